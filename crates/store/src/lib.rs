//! Portcullis state behind one trait, so that the embedded SQLite default and a shared database for
//! several nodes are interchangeable.
//!
//! Every backend applies the same migrations (`migrations/`) when it opens, so a database file
//! created by an older Portcullis is upgraded in place and never silently misread.

mod sqlite;

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

pub use sqlite::SqliteStore;

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

/// Temporary security credentials: an access key, its secret and session token, and the role
/// session they stand for.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: SystemTime,
    pub role_arn: String,
    pub session_name: String,
    /// The session policy (JSON) given to AssumeRole, which narrows the role's permissions.
    pub session_policy: Option<String>,
    pub source_identity: Option<String>,
    /// ARN of the principal the credentials were issued to.
    pub issued_to: String,
}

// Hand-written: the secret and the token must never reach a log.
impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("issued_to", &self.issued_to)
            .finish_non_exhaustive()
    }
}

/// The gateway's persistent state.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks that the storage answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Saves newly issued temporary credentials.
    async fn put_session(&self, session: &SessionCredentials) -> Result<(), StoreError>;

    /// Looks temporary credentials up by access key id, expired or not (the caller decides what
    /// an expired session means).
    async fn session(&self, access_key_id: &str) -> Result<Option<SessionCredentials>, StoreError>;

    /// Deletes sessions that expired before `now`; returns how many.
    async fn delete_expired_sessions(&self, now: SystemTime) -> Result<u64, StoreError>;

    /// A short description for logs, e.g. `sqlite:/path/portcullis.db`.
    fn describe(&self) -> String;
}
