//! Portcullis state behind one trait, so that the embedded SQLite default and a shared database for
//! several nodes are interchangeable.
//!
//! Every backend applies the same migrations (`migrations/`) when it opens, so a database file
//! created by an older Portcullis is upgraded in place and never silently misread.

mod sqlite;

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

/// The gateway's persistent state.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks that the storage answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// A short description for logs, e.g. `sqlite:/path/portcullis.db`.
    fn describe(&self) -> String;
}
