//! User pools as loaded: the `user_pools` section. Docs: `docs/userpools.md`.
//!
//! Everything here is enforced by the gateway; a Cognito setting it cannot enforce yet is a
//! load error naming it (`load/user_pools.rs`), never a field stored and ignored.

use std::time::Duration;

pub use userpools::PasswordPolicy;

/// One user pool.
#[derive(Debug, Clone)]
pub struct UserPoolConfig {
    /// `{region}_{name}`, e.g. `us-east-1_WildRydes`.
    pub id: String,
    pub name: String,
    /// The region part of the id.
    pub region: String,
    /// `arn:aws:cognito-idp:{region}:{account}:userpool/{id}`.
    pub arn: String,
    /// Which attributes stand in for the username at sign-up and sign-in (Cognito's
    /// `UsernameAttributes`): with `email`, the email is the username and the internal
    /// username is the `sub`.
    pub username_attributes: Vec<AliasKind>,
    /// Attributes a user may also sign in with, beside the username (`AliasAttributes`).
    pub alias_attributes: Vec<AliasKind>,
    /// Attributes verified by a code at sign-up (`AutoVerifiedAttributes`).
    pub auto_verified_attributes: Vec<AliasKind>,
    pub sign_up_confirmation: SignUpConfirmation,
    /// `false` is Cognito's `AllowAdminCreateUserOnly`: SignUp is refused.
    pub allow_self_sign_up: bool,
    pub password_policy: PasswordPolicy,
    /// `custom:` attributes the pool accepts, without the prefix.
    pub custom_attributes: Vec<String>,
    pub clients: Vec<AppClientConfig>,
    pub groups: Vec<GroupConfig>,
    pub resource_servers: Vec<ResourceServerConfig>,
    /// The base of the pool's issuer (`iss` = `{issuer_base}/{id}`); `None`: the edge
    /// endpoint's URL. Set it to `https://cognito-idp.{region}.amazonaws.com` for libraries
    /// that accept only Cognito's own issuer form (docs/userpools.md).
    pub issuer_base: Option<String>,
    /// Whether the gateway's authorizers refuse tokens of revoked sessions (sign-out, revoked
    /// refresh token) before they expire. On by default; stricter than API Gateway.
    pub authorizers_check_revocation: bool,
    /// Cognito's `MfaConfiguration`, with software tokens (TOTP) as the only factor.
    pub mfa_configuration: MfaConfiguration,
}

/// Whether users sign in with a second factor (Cognito's `MfaConfiguration`). The factor is a
/// software token (TOTP); SMS and email factors are not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MfaConfiguration {
    /// No second factor, and no MFA operations.
    #[default]
    Off,
    /// Users who enabled a verified software token are asked for a code.
    Optional,
    /// Every user is asked for a code; one without a token sets one up first (`MFA_SETUP`).
    On,
}

impl MfaConfiguration {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaConfiguration::Off => "OFF",
            MfaConfiguration::Optional => "OPTIONAL",
            MfaConfiguration::On => "ON",
        }
    }
}

impl UserPoolConfig {
    pub fn client(&self, id: &str) -> Option<&AppClientConfig> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// Whether the email is the username (Cognito's `UsernameAttributes: [email]`).
    pub fn email_is_username(&self) -> bool {
        self.username_attributes.contains(&AliasKind::Email)
    }

    /// Every kind of attribute a user can sign in with, beside the username.
    pub fn sign_in_aliases(&self) -> impl Iterator<Item = AliasKind> + '_ {
        self.username_attributes
            .iter()
            .chain(&self.alias_attributes)
            .copied()
    }

    /// The longest a token of this pool lives: signing keys stay published that long after
    /// they retire.
    pub fn longest_token_validity(&self) -> Duration {
        self.clients
            .iter()
            .map(|c| c.id_token_validity.max(c.access_token_validity))
            .max()
            .unwrap_or(DEFAULT_TOKEN_VALIDITY)
    }
}

/// An attribute that can stand in for a username.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AliasKind {
    Email,
    PhoneNumber,
    PreferredUsername,
}

impl AliasKind {
    pub fn attribute(self) -> &'static str {
        match self {
            AliasKind::Email => "email",
            AliasKind::PhoneNumber => "phone_number",
            AliasKind::PreferredUsername => "preferred_username",
        }
    }

    pub fn parse(s: &str) -> Option<AliasKind> {
        [
            AliasKind::Email,
            AliasKind::PhoneNumber,
            AliasKind::PreferredUsername,
        ]
        .into_iter()
        .find(|k| k.attribute() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpConfirmation {
    /// A code is sent to the first auto-verified attribute; the user stays `UNCONFIRMED` until
    /// ConfirmSignUp.
    Code,
    /// Users are confirmed at sign-up (a pre-sign-up trigger's `autoConfirmUser`).
    Auto,
}

/// The sign-in flows an app client allows (`ExplicitAuthFlows`, written with or without
/// `ALLOW_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuthFlow {
    UserSrpAuth,
    UserPasswordAuth,
    RefreshTokenAuth,
    AdminUserPasswordAuth,
}

impl AuthFlow {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthFlow::UserSrpAuth => "USER_SRP_AUTH",
            AuthFlow::UserPasswordAuth => "USER_PASSWORD_AUTH",
            AuthFlow::RefreshTokenAuth => "REFRESH_TOKEN_AUTH",
            AuthFlow::AdminUserPasswordAuth => "ADMIN_USER_PASSWORD_AUTH",
        }
    }

    pub fn parse(s: &str) -> Option<AuthFlow> {
        let s = s.strip_prefix("ALLOW_").unwrap_or(s);
        [
            AuthFlow::UserSrpAuth,
            AuthFlow::UserPasswordAuth,
            AuthFlow::RefreshTokenAuth,
            AuthFlow::AdminUserPasswordAuth,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// OAuth 2.0 grants an app client may use at `/oauth2/token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthFlow {
    ClientCredentials,
    /// The authorization-code grant: `/oauth2/authorize`, the hosted sign-in page, then
    /// `grant_type=authorization_code`.
    Code,
}

/// The OpenID Connect scopes and Cognito's user-admin scope, which an app client may be granted
/// through the authorization-code grant beside its resource-server scopes.
pub const OIDC_SCOPES: [&str; 5] = [
    "openid",
    "email",
    "profile",
    "phone",
    "aws.cognito.signin.user.admin",
];

/// One app client.
#[derive(Debug, Clone)]
pub struct AppClientConfig {
    pub id: String,
    pub name: String,
    /// The client secret: SECRET_HASH is required of every call naming this client.
    pub secret: Option<iam::Secret>,
    pub auth_flows: Vec<AuthFlow>,
    pub oauth_flows: Vec<OAuthFlow>,
    /// Scopes it may be granted: resource-server scopes (`rides/read`) and, with the code grant,
    /// [`OIDC_SCOPES`].
    pub oauth_scopes: Vec<String>,
    /// Where the authorization endpoint may send a user back (`redirect_uri`), compared
    /// exactly, as Cognito's `CallbackURLs`.
    pub callback_urls: Vec<String>,
    /// Where `/logout` may send a user (`logout_uri`), compared exactly (`LogoutURLs`).
    pub logout_urls: Vec<String>,
    pub id_token_validity: Duration,
    pub access_token_validity: Duration,
    pub refresh_token_validity: Duration,
    /// `PreventUserExistenceErrors: ENABLED` (the default of new Cognito clients): an unknown
    /// user and a wrong password get the same answer.
    pub prevent_user_existence_errors: bool,
    /// Cognito's `RefreshTokenRotation`: `Some` when `Feature: ENABLED`.
    pub refresh_token_rotation: Option<RefreshTokenRotation>,
}

/// Refresh-token rotation (Cognito's `RefreshTokenRotation`): every refresh through
/// GetTokensFromRefreshToken or `/oauth2/token` answers a new refresh token, and the one
/// presented stops working after the grace period. `REFRESH_TOKEN_AUTH` is not served to such
/// a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshTokenRotation {
    /// `RetryGracePeriodSeconds`: 0 to 60 s; 0 ends the old token at once.
    pub retry_grace_period: Duration,
}

impl AppClientConfig {
    pub fn allows(&self, flow: AuthFlow) -> bool {
        self.auth_flows.contains(&flow)
    }
}

/// Cognito's default ID and access token validity.
pub const DEFAULT_TOKEN_VALIDITY: Duration = Duration::from_secs(3600);
/// Cognito's default refresh token validity (30 days).
pub const DEFAULT_REFRESH_VALIDITY: Duration = Duration::from_secs(30 * 86_400);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServerConfig {
    pub identifier: String,
    pub name: String,
    /// Scope names without the identifier (`read`); granted as `{identifier}/{name}`.
    pub scopes: Vec<String>,
}
