//! The embedded default: one SQLite file (WAL mode), or memory (`sqlite::memory:`, nothing
//! survives a restart). Migrations: `migrations/sqlite/`.

mod identities;
#[cfg(test)]
mod identities_tests;
mod oauth_codes;
#[cfg(test)]
mod rotation_tests;
mod sessions;
mod signin;
#[cfg(test)]
mod signin_tests;
#[cfg(test)]
mod upgrade_tests;
mod usage;
#[cfg(test)]
mod usage_tests;
mod userpool;
#[cfg(test)]
mod userpool_tests;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::{Health, StoreError, Stores};

/// Unix seconds, as the tables keep time. Before the epoch counts as the epoch.
fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn from_unix(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// Whether a statement failed on a UNIQUE constraint (an id, name or value already taken).
fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

pub struct SqliteStore {
    pool: SqlitePool,
    description: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        Self::with_options(options, format!("sqlite:{}", path.display()), 4).await
    }

    /// A private in-memory database. One connection, since each SQLite memory connection is a
    /// database of its own.
    pub async fn memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Self::with_options(options, "sqlite::memory:".to_string(), 1).await
    }

    async fn with_options(
        options: SqliteConnectOptions,
        description: String,
        max_connections: u32,
    ) -> Result<SqliteStore, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            // Keep the in-memory database alive: it vanishes with its last connection.
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("{description}: {e}")))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SqliteStore { pool, description })
    }

    /// Every capability, backed by this database.
    pub fn into_stores(self) -> Stores {
        let this = Arc::new(self);
        Stores {
            sessions: this.clone(),
            usage: this.clone(),
            userpools: this.clone(),
            signin: this.clone(),
            identities: this.clone(),
            health: this,
        }
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl From<SqliteStore> for Stores {
    fn from(store: SqliteStore) -> Stores {
        store.into_stores()
    }
}

#[async_trait]
impl Health for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/state.db");
        let store = SqliteStore::open(&path).await.expect("open");
        store.ping().await.expect("ping");
        let created: (String,) = sqlx::query_as("SELECT value FROM meta WHERE key = 'created_by'")
            .fetch_one(store.pool())
            .await
            .expect("meta row");
        assert_eq!(created.0, "portcullis");
        drop(store);
        // Reopening applies no migration twice.
        let again = SqliteStore::open(&path).await.expect("reopen");
        again.ping().await.expect("ping");
        assert!(again.describe().ends_with("state.db"));
    }

    #[tokio::test]
    async fn memory_database() {
        let stores = SqliteStore::memory().await.expect("memory").into_stores();
        stores.health.ping().await.expect("ping");
        assert_eq!(stores.health.describe(), "sqlite::memory:");
        assert!(format!("{stores:?}").contains("sqlite::memory:"));
    }

    #[tokio::test]
    async fn unopenable_path_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("file");
        std::fs::write(&file, "x").expect("write");
        // A directory cannot be created under a regular file.
        let err = SqliteStore::open(&file.join("db.sqlite"))
            .await
            .err()
            .expect("fails");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    }

    #[test]
    fn unix_seconds_round_trip_and_clamp() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(from_unix(unix(t)), t);
        assert_eq!(unix(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(from_unix(-5), UNIX_EPOCH);
    }
}
