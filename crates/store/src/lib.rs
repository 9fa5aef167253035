//! Portcullis state, one trait per capability, so that the embedded SQLite default and a shared
//! database for several nodes are interchangeable.
//!
//! A capability is a trait for one kind of state: [`SessionStore`] (temporary credentials),
//! [`UsageStore`] (API keys and usage), [`UserPoolStore`] (user-pool users and groups),
//! [`SignInStore`] (user-pool signing keys, sign-in sessions, codes and the outbox),
//! [`IdentityStore`] (identity-pool identities) and
//! [`Health`] (is the storage there). A backend implements every capability and hands them out
//! bundled as [`Stores`], which the gateway holds and clones freely; code that needs one kind of
//! state takes that trait alone (the purge task takes only an `Arc<dyn SessionStore>`), so a test
//! double implements only what it is used for.
//!
//! Adding a capability (user pools, identities, API keys, usage…):
//!
//! 1. a module with the trait and its types (`async_trait`, `Send + Sync + 'static`, time passed
//!    in as `now: SystemTime` wherever a method depends on it — never read from the OS here);
//! 2. a migration per dialect, `migrations/sqlite/NNNN_what.sql` (and, once it exists, its
//!    `migrations/postgres/` twin), never editing a migration that has shipped: databases
//!    created by an older Portcullis are upgraded in place by the new files;
//! 3. the backend's implementation (`sqlite/`), and a field on [`Stores`] set in
//!    [`SqliteStore::into_stores`].
//!
//! Every backend applies its migrations when it opens, so an old database file is upgraded
//! before it is read and never silently misread.

// On the request path: no code path may panic on what a request brings. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod health;
mod identity;
pub mod purge;
mod session;
mod signin;
mod sqlite;
mod usage;
mod userpool;

use std::sync::Arc;

pub use health::Health;
pub use identity::{IdentityPage, IdentityStore, StoredIdentity};
pub use session::{
    SessionCredentials, SessionStore, SessionTags, StoredSession, WebIdentity, session_token_sha256,
};
pub use signin::{
    CODE_ATTEMPTS, CodeCheck, CodePurpose, CodeRedemption, OAuthCode, OutboxMessage, SignInSession,
    SignInStore, StoredSigningKey,
};
pub use sqlite::SqliteStore;
pub use usage::{StoredApiKey, StoredUsagePlan, UsageCount, UsageError, UsageStore};
pub use userpool::{
    Alias, MfaSettings, PasswordRecord, StoredGroup, StoredUser, UserPoolError, UserPoolStore,
    UserStatus,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage is unreachable: {0}")]
    Unavailable(String),
    #[error("storage migration failed: {0}")]
    Migration(String),
    #[error("storage query failed: {0}")]
    Query(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Query(other.to_string()),
        }
    }
}

/// Every capability of one backend. Cheap to clone: each field is shared.
#[derive(Clone)]
pub struct Stores {
    /// Temporary credentials issued by STS.
    pub sessions: Arc<dyn SessionStore>,
    /// API keys and usage plans created through the admin API, and recorded usage.
    pub usage: Arc<dyn UsageStore>,
    /// User-pool users, aliases and groups (not served yet: the Cognito issue wires it).
    pub userpools: Arc<dyn UserPoolStore>,
    /// Signing keys, sign-in sessions and refresh tokens, codes and the outbox of user pools.
    pub signin: Arc<dyn SignInStore>,
    /// Identity-pool identities (one per pool, provider and subject; guests).
    pub identities: Arc<dyn IdentityStore>,
    /// Reachability, for `/readyz` and the startup log.
    pub health: Arc<dyn Health>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("backend", &self.health.describe())
            .finish_non_exhaustive()
    }
}
