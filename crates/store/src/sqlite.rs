//! The embedded default: one SQLite file (WAL mode), or memory for tests.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::{SessionCredentials, Store, StoreError};

fn unix(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn from_unix(secs: i64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

type SessionRow = (
    String,
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

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

    async fn put_session(&self, s: &SessionCredentials) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (access_key_id, secret_access_key, session_token, expires_at, \
             role_arn, session_name, session_policy, source_identity, issued_to, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.access_key_id)
        .bind(&s.secret_access_key)
        .bind(&s.session_token)
        .bind(unix(s.expiration))
        .bind(&s.role_arn)
        .bind(&s.session_name)
        .bind(&s.session_policy)
        .bind(&s.source_identity)
        .bind(&s.issued_to)
        .bind(unix(std::time::SystemTime::now()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session(&self, access_key_id: &str) -> Result<Option<SessionCredentials>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT access_key_id, secret_access_key, session_token, expires_at, role_arn, \
             session_name, session_policy, source_identity, issued_to \
             FROM sessions WHERE access_key_id = ?",
        )
        .bind(access_key_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(
            |(
                access_key_id,
                secret_access_key,
                session_token,
                expires_at,
                role_arn,
                session_name,
                session_policy,
                source_identity,
                issued_to,
            )| {
                SessionCredentials {
                    access_key_id,
                    secret_access_key,
                    session_token,
                    expiration: from_unix(expires_at),
                    role_arn,
                    session_name,
                    session_policy,
                    source_identity,
                    issued_to,
                }
            },
        ))
    }

    async fn delete_expired_sessions(&self, now: std::time::SystemTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
            .bind(unix(now))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
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

    fn session(id: &str, expires_in: i64) -> SessionCredentials {
        SessionCredentials {
            access_key_id: id.to_string(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration: from_unix(unix(std::time::SystemTime::now()) + expires_in),
            role_arn: "arn:aws:iam::123456789012:role/Reader".into(),
            session_name: "s".into(),
            session_policy: Some("{}".into()),
            source_identity: None,
            issued_to: "arn:aws:iam::123456789012:user/demo".into(),
        }
    }

    #[tokio::test]
    async fn sessions_round_trip_and_expire() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.db");
        let store = SqliteStore::open(&path).await.expect("open");
        let live = session("ASIALIVE000000000000", 3600);
        let dead = session("ASIADEAD000000000000", -10);
        store.put_session(&live).await.expect("put");
        store.put_session(&dead).await.expect("put");
        // A duplicate key id is refused rather than overwritten.
        assert!(store.put_session(&live).await.is_err());
        assert_eq!(
            store.session("ASIALIVE000000000000").await.expect("get"),
            Some(live.clone())
        );
        assert_eq!(store.session("nope").await.expect("get"), None);
        assert_eq!(
            store
                .delete_expired_sessions(std::time::SystemTime::now())
                .await
                .expect("purge"),
            1
        );
        assert_eq!(
            store.session("ASIADEAD000000000000").await.expect("get"),
            None
        );
        // Sessions survive a restart.
        drop(store);
        let again = SqliteStore::open(&path).await.expect("reopen");
        assert_eq!(
            again.session("ASIALIVE000000000000").await.expect("get"),
            Some(live.clone())
        );
        assert!(!format!("{live:?}").contains("secret"));
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
