//! A database written by an older Portcullis opens and is upgraded in place.
//!
//! The old database is made the way the old binary made it: by sqlx's migrator running the
//! migrations that had shipped then (the same files, so the same checksums in
//! `_sqlx_migrations`), then rows in the old layout: a session with its token in clear (before
//! token hashes), a user-pool user (before sign-in state).

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::SqliteStore;
use super::sessions::tests::{session, t0};
use crate::{CodeCheck, CodePurpose, SessionStore, SignInStore, StoredSigningKey, UserPoolStore};

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

/// The migrations of the schema before sign-in state (signing keys, sessions, codes, outbox).
const BEFORE_SIGN_IN: [(&str, &str); 5] = [
    BEFORE_TOKEN_HASHES[0],
    BEFORE_TOKEN_HASHES[1],
    (
        "0003_session_token_hash.sql",
        include_str!("../../migrations/sqlite/0003_session_token_hash.sql"),
    ),
    (
        "0004_api_keys_usage.sql",
        include_str!("../../migrations/sqlite/0004_api_keys_usage.sql"),
    ),
    (
        "0005_user_pools.sql",
        include_str!("../../migrations/sqlite/0005_user_pools.sql"),
    ),
];

/// A database as the binary that shipped `migrations` left it, still open.
async fn migrated_with(path: &std::path::Path, migrations: &[(&str, &str)]) -> sqlx::SqlitePool {
    let scripts = tempfile::tempdir().expect("tempdir");
    for (name, sql) in migrations {
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
    pool
}

async fn old_database(path: &std::path::Path) {
    let pool = migrated_with(path, &BEFORE_TOKEN_HASHES).await;
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

#[tokio::test]
async fn a_database_from_before_sign_in_is_upgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    let pool = migrated_with(&path, &BEFORE_SIGN_IN).await;
    sqlx::query(
        "INSERT INTO userpool_users (pool, username, sub, attributes, status, enabled, password, \
         mfa, created_at, updated_at, version) VALUES ('us-east-1_Old', 'alice', 'sub-alice', \
         '{}', 'CONFIRMED', 1, NULL, '{}', 1700000000, 1700000000, 1)",
    )
    .execute(&pool)
    .await
    .expect("old user");
    pool.close().await;

    let store = SqliteStore::open(&path).await.expect("open and upgrade");
    // The pool's users are untouched.
    let alice = store
        .user("us-east-1_Old", "alice")
        .await
        .expect("get")
        .expect("alice survives");
    assert_eq!(alice.sub, "sub-alice");
    // The sign-in tables are there, and empty.
    assert!(
        store
            .signing_keys("us-east-1_Old")
            .await
            .expect("keys")
            .is_empty()
    );
    assert!(store.revoked_since(t0()).await.expect("revoked").is_empty());
    let key = StoredSigningKey {
        kid: "k1".into(),
        created_at: t0(),
        retired_at: None,
        private_key_pem: "pem".into(),
    };
    assert_eq!(
        store
            .first_signing_key("us-east-1_Old", &key)
            .await
            .expect("first key"),
        vec![key]
    );
    store
        .put_code(
            "us-east-1_Old",
            "alice",
            CodePurpose::SignUp,
            &[7; 32],
            t0() + std::time::Duration::from_secs(60),
        )
        .await
        .expect("put code");
    assert_eq!(
        store
            .check_code(
                "us-east-1_Old",
                "alice",
                CodePurpose::SignUp,
                &[7; 32],
                t0()
            )
            .await
            .expect("check"),
        CodeCheck::Matched
    );
    let applied: (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .expect("migrations table");
    let shipped = sqlx::migrate!("./migrations/sqlite").iter().count();
    assert_eq!(usize::try_from(applied.0).ok(), Some(shipped));
}
