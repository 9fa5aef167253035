//! The Cognito Identity Provider service (`AWSCognitoIdentityProviderService`): the operations
//! of Amazon Cognito user pools, over the user-pool stores, answering in Cognito's JSON.
//!
//! - [`Shared`] lives as long as the process: the stores, the password hasher, every pool's
//!   keys ([`keys::KeyCache`]) and the edge endpoint's URL (the default issuer base).
//! - [`Provider`] is compiled from one configuration's `user_pools` and replaced with it; it
//!   answers operations ([`Provider::call`]) and issues and checks tokens.
//!
//! Operations take their input as the JSON body an SDK sends and return the JSON it parses, or
//! a [`CognitoError`] (`__type` + `message`, HTTP 400). The HTTP framing is the gateway's
//! (`gateway::aws::json`). The pure parts — password policy and hashing, SRP, tokens, codes —
//! are the `userpools`, `srp` and `tokens` crates; this crate decides what each operation does
//! with them, as Cognito does.

// Requests come from anyone: no code path may panic on them. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod account;
pub mod admin;
mod auth;
pub mod authorizer;
mod code_grant;
mod hosted;
mod input;
mod issue;
pub mod keys;
mod lockout;
mod login_form;
mod mfa;
mod oauth;
mod pkce;
mod refresh;
pub mod revocation;
mod session;
mod signup;
mod userinfo;
mod users;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use config::{AppClientConfig, UserPoolConfig};
use serde_json::Value;
use store::{SignInStore, UserPoolStore};
use userpools::PasswordHasher;
pub use userpools::{CognitoError, ErrorType};

pub use hosted::HostedAnswer;
pub use input::MAX_INPUT_BYTES;
pub use keys::{KeyCache, PoolKeys};
pub use oauth::{OAuthError, RevokeRequest, TokenRequest};
pub use userinfo::UserInfoError;

/// The `X-Amz-Target` prefix of this service's operations.
pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// What lives as long as the process.
pub struct Shared {
    pub keys: KeyCache,
    pub deny: revocation::DenyList,
    pub(crate) users: Arc<dyn UserPoolStore>,
    pub(crate) signin: Arc<dyn SignInStore>,
    pub(crate) hasher: PasswordHasher,
    /// Failed sign-ins per user and per source address (`lockout.rs`); shared by nodes with a
    /// shared backend.
    pub(crate) counters: Arc<dyn counters::Counters>,
    edge_url: OnceLock<String>,
}

impl Shared {
    pub fn new(
        users: Arc<dyn UserPoolStore>,
        signin: Arc<dyn SignInStore>,
        hasher: PasswordHasher,
        counters: Arc<dyn counters::Counters>,
    ) -> Self {
        Shared {
            counters,
            keys: KeyCache::new(signin.clone()),
            deny: revocation::DenyList::default(),
            users,
            signin,
            hasher,
            edge_url: OnceLock::new(),
        }
    }

    /// The edge endpoint's URL (`http://127.0.0.1:8080`), known once the listener is bound: the
    /// issuer base of pools that do not set one.
    pub fn set_edge_url(&self, url: String) {
        let _ = self.edge_url.set(url);
    }

    /// Whether an authorizer must refuse a token of session `origin_jti` (see
    /// [`revocation`]).
    pub async fn is_revoked(
        &self,
        pool: &str,
        origin_jti: &str,
        now: SystemTime,
    ) -> Result<bool, store::StoreError> {
        self.deny
            .is_revoked(self.signin.as_ref(), pool, origin_jti, now)
            .await
    }

    pub fn edge_url(&self) -> &str {
        self.edge_url
            .get()
            .map_or("http://localhost", String::as_str)
    }
}

/// The service for one configuration's pools.
pub struct Provider {
    shared: Arc<Shared>,
    pools: HashMap<String, UserPoolConfig>,
    /// App client id → pool id (client ids are unique across pools).
    clients: HashMap<String, String>,
    /// Set once the configured groups are in storage.
    groups_synced: tokio::sync::OnceCell<()>,
    /// Token validators with their caches (`authorizer.rs`).
    validators: authorizer::Validators,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("pools", &self.pools.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Provider {
    pub fn new(shared: Arc<Shared>, pools: &[UserPoolConfig]) -> Self {
        let mut clients = HashMap::new();
        let pools = pools
            .iter()
            .map(|p| {
                for c in &p.clients {
                    clients.insert(c.id.clone(), p.id.clone());
                }
                (p.id.clone(), p.clone())
            })
            .collect();
        Provider {
            shared,
            pools,
            clients,
            groups_synced: tokio::sync::OnceCell::new(),
            validators: authorizer::Validators::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The pool's issuer: `{issuer base}/{pool id}`.
    pub fn issuer(&self, pool_id: &str) -> Option<String> {
        let pool = self.pools.get(pool_id)?;
        Some(self.issuer_of(pool))
    }

    fn issuer_of(&self, pool: &UserPoolConfig) -> String {
        let base = pool
            .issuer_base
            .as_deref()
            .unwrap_or_else(|| self.shared.edge_url());
        tokens::issue::issuer_for(base, &pool.id)
    }

    /// The pool a configured ARN names.
    pub fn pool_by_arn(&self, arn: &str) -> Option<&UserPoolConfig> {
        self.pools.values().find(|p| p.arn == arn)
    }

    pub fn pool_config(&self, pool_id: &str) -> Option<&UserPoolConfig> {
        self.pools.get(pool_id)
    }

    /// The pool and client a `ClientId` names; Cognito's answer when there is none.
    pub(crate) fn client(
        &self,
        client_id: &str,
    ) -> Result<(&UserPoolConfig, &AppClientConfig), CognitoError> {
        self.clients
            .get(client_id)
            .and_then(|pool| self.pools.get(pool))
            .and_then(|pool| pool.client(client_id).map(|c| (pool, c)))
            .ok_or_else(|| {
                CognitoError::new(
                    ErrorType::ResourceNotFound,
                    format!("User pool client {client_id} does not exist."),
                )
            })
    }

    /// Answers one operation (`op` is the part of `X-Amz-Target` after the service name) that
    /// came from `source` (the TCP peer: failed sign-ins are also counted per address,
    /// `lockout.rs`).
    pub async fn call(
        &self,
        op: &str,
        body: &[u8],
        source: std::net::IpAddr,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let mut input = input::Input::parse(body)?;
        input.1 = Some(source);
        self.ensure_groups(now).await?;
        match op {
            "SignUp" => self.sign_up(&input, now).await,
            "ConfirmSignUp" => self.confirm_sign_up(&input, now).await,
            "ResendConfirmationCode" => self.resend_confirmation_code(&input, now).await,
            "InitiateAuth" => self.initiate_auth(&input, now).await,
            "RespondToAuthChallenge" => self.respond_to_auth_challenge(&input, now).await,
            "GetUser" => self.get_user(&input, now).await,
            "UpdateUserAttributes" => self.update_user_attributes(&input, now).await,
            "VerifyUserAttribute" => self.verify_user_attribute(&input, now).await,
            "ChangePassword" => self.change_password(&input, now).await,
            "ForgotPassword" => self.forgot_password(&input, now).await,
            "ConfirmForgotPassword" => self.confirm_forgot_password(&input, now).await,
            "GlobalSignOut" => self.global_sign_out(&input, now).await,
            "RevokeToken" => self.revoke_token(&input, now).await,
            "GetTokensFromRefreshToken" => self.get_tokens_from_refresh_token(&input, now).await,
            "DeleteUser" => self.delete_user(&input, now).await,
            "AssociateSoftwareToken" => self.associate_software_token(&input, now).await,
            "VerifySoftwareToken" => self.verify_software_token(&input, now).await,
            "SetUserMFAPreference" => self.set_user_mfa_preference(&input, now).await,
            _ => Err(CognitoError::new(
                ErrorType::UnknownOperation,
                format!("The operation {op} is not supported by this endpoint."),
            )),
        }
    }

    /// A pool's keys for an operation (a storage failure is an internal error).
    pub(crate) async fn pool_keys(
        &self,
        pool_id: &str,
        now: SystemTime,
    ) -> Result<Arc<PoolKeys>, CognitoError> {
        self.shared.keys.get(pool_id, now).await.map_err(internal)
    }

    /// Once per deployment, before the first operation: the configured groups in storage.
    pub(crate) async fn ensure_groups(&self, now: SystemTime) -> Result<(), CognitoError> {
        self.groups_synced
            .get_or_try_init(|| self.sync_groups(now))
            .await?;
        Ok(())
    }

    /// Creates the configured groups that storage does not hold yet.
    async fn sync_groups(&self, now: SystemTime) -> Result<(), CognitoError> {
        for pool in self.pools.values() {
            for g in &pool.groups {
                let group = store::StoredGroup {
                    pool: pool.id.clone(),
                    name: g.name.clone(),
                    description: g.description.clone(),
                    precedence: g.precedence,
                    role_arn: g.role_arn.clone(),
                    created: now,
                    modified: now,
                };
                match self.shared.users.create_group(&group).await {
                    Ok(()) | Err(store::UserPoolError::GroupExists) => {}
                    Err(e) => return Err(internal(e)),
                }
            }
        }
        Ok(())
    }
}

/// A failure of ours, logged in full and answered without detail.
pub(crate) fn internal(e: impl std::fmt::Display) -> CognitoError {
    tracing::error!(error = %e, "user pool operation failed");
    CognitoError::new(ErrorType::Internal, "An internal error occurred.")
}
