//! An identity pool as configured (`identity_pools:` in the configuration, checked by the
//! `config` crate): which user pools' tokens it accepts, and which roles it hands out.

/// One identity pool. Role fields hold role ARNs (the configuration's names are resolved
/// against the IAM directory when it loads, so there is one form here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPool {
    /// `{region}:{uuid}`.
    pub id: String,
    pub name: String,
    /// The region part of the id.
    pub region: String,
    /// `arn:aws:cognito-identity:{region}:{account}:identitypool/{id}`: what
    /// `cognito-identity:*` operations are authorized on.
    pub arn: String,
    /// Cognito's `AllowUnauthenticatedIdentities`: GetId without `Logins` is served.
    pub allow_unauthenticated: bool,
    pub providers: Vec<IdentityProvider>,
    pub authenticated_role: Option<String>,
    pub unauthenticated_role: Option<String>,
    pub role_mappings: Vec<RoleMapping>,
}

impl IdentityPool {
    /// The providers of one user pool (a pool may be listed with several app clients).
    pub fn providers_of<'a>(
        &'a self,
        user_pool: &'a str,
    ) -> impl Iterator<Item = &'a IdentityProvider> + 'a {
        self.providers
            .iter()
            .filter(move |p| p.user_pool == user_pool)
    }

    /// The role mapping of a user pool, if one is configured.
    pub fn mapping_of(&self, user_pool: &str) -> Option<&RoleMapping> {
        self.role_mappings.iter().find(|m| m.provider == user_pool)
    }
}

/// A Portcullis user pool whose ID tokens, issued to `client_id`, the identity pool accepts
/// (Cognito's `CognitoIdentityProviders` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    /// The user pool id, `{region}_{name}`.
    pub user_pool: String,
    pub client_id: String,
}

impl IdentityProvider {
    /// The region part of the user pool id.
    pub fn region(&self) -> &str {
        self.user_pool.split('_').next().unwrap_or_default()
    }

    /// AWS's provider name, `cognito-idp.{region}.amazonaws.com/{poolId}`: the canonical
    /// `Logins` key, the `amr` entry and the start of `cognitoAuthenticationProvider`.
    pub fn provider_name(&self) -> String {
        format!(
            "cognito-idp.{}.amazonaws.com/{}",
            self.region(),
            self.user_pool
        )
    }
}

/// How signed-in users of one provider get their role (Cognito's `RoleMapping`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    /// The user pool id the mapping applies to.
    pub provider: String,
    pub kind: RoleMappingKind,
    pub ambiguous_role_resolution: AmbiguousRoleResolution,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleMappingKind {
    /// `Token`: the role from the token's `cognito:preferred_role`, else its only
    /// `cognito:roles` entry.
    Token,
    /// `Rules`: the first matching rule's role, in order.
    Rules(Vec<MappingRule>),
}

/// What happens when no role follows from the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmbiguousRoleResolution {
    /// The pool's authenticated role.
    AuthenticatedRole,
    /// No credentials.
    Deny,
}

impl AmbiguousRoleResolution {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "AuthenticatedRole" => Some(Self::AuthenticatedRole),
            "Deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// One rule: a claim of the ID token compared with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRule {
    pub claim: String,
    pub match_type: MatchType,
    pub value: String,
    /// The role ARN.
    pub role: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Equals,
    Contains,
    StartsWith,
    NotEqual,
}

impl MatchType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Equals" => Some(Self::Equals),
            "Contains" => Some(Self::Contains),
            "StartsWith" => Some(Self::StartsWith),
            "NotEqual" => Some(Self::NotEqual),
            _ => None,
        }
    }
}
