//! A database written by an older Portcullis opens and is upgraded in place.
//!
//! The old database is made the way the old binary made it: by sqlx's migrator running the
//! migrations that had shipped then (the same files, so the same checksums in
//! `_sqlx_migrations`), then a session row in the old layout (the token in clear).

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::SqliteStore;
use super::sessions::tests::{session, t0};
use crate::SessionStore;

/// The migrations of the schema before session tokens were hashed.
const BEFORE_TOKEN_HASHES: [(&str, &str); 2] = [
    (
        "0001_meta.sql",
        include_str!("../../migrations/sqlite/0001_meta.sql"),
    ),
    (
        "0002_sessions.sql",
        include_str!("../../migrations/sqlite/0002_sessions.sql"),
    ),
];

async fn old_database(path: &std::path::Path) {
    let scripts = tempfile::tempdir().expect("tempdir");
    for (name, sql) in BEFORE_TOKEN_HASHES {
        std::fs::write(scripts.path().join(name), sql).expect("write migration");
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true),
        )
        .await
        .expect("create old database");
    sqlx::migrate::Migrator::new(scripts.path())
        .await
        .expect("old migrations")
        .run(&pool)
        .await
        .expect("old schema");
    sqlx::query(
        "INSERT INTO sessions (access_key_id, secret_access_key, session_token, expires_at, \
         role_arn, session_name, session_policy, source_identity, issued_to, created_at) \
         VALUES ('ASIAOLD0000000000000', 'secret', 'old-token', 4102444800, \
         'arn:aws:iam::123456789012:role/Reader', 's', NULL, NULL, \
         'arn:aws:iam::123456789012:user/demo', 1700000000)",
    )
    .execute(&pool)
    .await
    .expect("old session");
    pool.close().await;
}

#[tokio::test]
async fn a_database_from_before_token_hashes_is_upgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    old_database(&path).await;

    let store = SqliteStore::open(&path).await.expect("open and upgrade");
    // Sessions issued before the upgrade are gone (their tokens could not be hashed in SQL);
    // their holders assume the role again.
    assert_eq!(
        store.session("ASIAOLD0000000000000").await.expect("get"),
        None
    );
    let meta: (String,) = sqlx::query_as("SELECT value FROM meta WHERE key = 'created_by'")
        .fetch_one(store.pool())
        .await
        .expect("meta survives");
    assert_eq!(meta.0, "portcullis");
    // The new layout works.
    let fresh = session("ASIANEW0000000000000", 3600);
    store.put_session(&fresh, t0()).await.expect("put");
    assert_eq!(
        store.session(&fresh.access_key_id).await.expect("get"),
        Some(fresh.to_stored())
    );
    let applied: (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .expect("migrations table");
    let shipped = sqlx::migrate!("./migrations/sqlite").iter().count();
    assert_eq!(usize::try_from(applied.0).ok(), Some(shipped));
    drop(store);
    // And it reopens without applying anything twice.
    let again = SqliteStore::open(&path).await.expect("reopen");
    assert!(
        again
            .session(&fresh.access_key_id)
            .await
            .expect("get")
            .is_some()
    );
}
