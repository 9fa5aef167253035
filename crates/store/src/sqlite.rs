//! The embedded default: one SQLite file (WAL mode), or memory for tests.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::{Store, StoreError};

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
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SqliteStore { pool, description })
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqliteStore {
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
        let store = SqliteStore::memory().await.expect("memory");
        store.ping().await.expect("ping");
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
}
