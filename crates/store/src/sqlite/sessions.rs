//! [`SessionStore`] on SQLite: the `sessions` table (`migrations/sqlite/0003_*.sql`).

use std::time::SystemTime;

use async_trait::async_trait;

use super::{SqliteStore, from_unix, unix};
use crate::{
    SessionCredentials, SessionStore, SessionTags, StoreError, StoredSession, WebIdentity,
};

type SessionRow = (
    String,
    String,
    Vec<u8>,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

fn stored(row: SessionRow) -> Result<StoredSession, StoreError> {
    let (
        access_key_id,
        secret_access_key,
        hash,
        expires_at,
        role_arn,
        session_name,
        session_policy,
        source_identity,
        issued_to,
        web_identity,
        session_tags,
    ) = row;
    // The table's CHECK keeps every hash 32 bytes long; a row that is not is refused rather than
    // compared against.
    let token_sha256 = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| {
        StoreError::Query(format!(
            "session {access_key_id}: the token hash is not 32 bytes"
        ))
    })?;
    // A web identity that does not read back is refused, not dropped: without it the session
    // would lose the policy variables its policies may depend on.
    let web_identity = match web_identity {
        None => None,
        Some(text) => Some(WebIdentity::from_json(&text).ok_or_else(|| {
            StoreError::Query(format!("session {access_key_id}: unreadable web identity"))
        })?),
    };
    // Likewise tags: without them, `aws:PrincipalTag` conditions would read the role's alone.
    let session_tags = match session_tags {
        None => None,
        Some(text) => Some(SessionTags::from_json(&text).ok_or_else(|| {
            StoreError::Query(format!("session {access_key_id}: unreadable session tags"))
        })?),
    };
    Ok(StoredSession {
        access_key_id,
        secret_access_key,
        token_sha256,
        expiration: from_unix(expires_at),
        role_arn,
        session_name,
        session_policy,
        source_identity,
        issued_to,
        web_identity,
        session_tags,
    })
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn put_session(&self, s: &SessionCredentials, now: SystemTime) -> Result<(), StoreError> {
        let hash = crate::session_token_sha256(&s.session_token);
        sqlx::query(
            "INSERT INTO sessions (access_key_id, secret_access_key, session_token_sha256, \
             expires_at, role_arn, session_name, session_policy, source_identity, issued_to, \
             created_at, web_identity, session_tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.access_key_id)
        .bind(&s.secret_access_key)
        .bind(&hash[..])
        .bind(unix(s.expiration))
        .bind(&s.role_arn)
        .bind(&s.session_name)
        .bind(&s.session_policy)
        .bind(&s.source_identity)
        .bind(&s.issued_to)
        .bind(unix(now))
        .bind(s.web_identity.as_ref().map(WebIdentity::to_json))
        .bind(s.session_tags.as_ref().map(SessionTags::to_json))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session(&self, access_key_id: &str) -> Result<Option<StoredSession>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT access_key_id, secret_access_key, session_token_sha256, expires_at, role_arn, \
             session_name, session_policy, source_identity, issued_to, web_identity, \
             session_tags FROM sessions WHERE access_key_id = ?",
        )
        .bind(access_key_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(stored).transpose()
    }

    async fn delete_expired_sessions(&self, now: SystemTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
            .bind(unix(now))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::time::Duration;

    use super::*;

    /// A fixed instant, so that nothing here depends on the OS clock.
    pub(in crate::sqlite) fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    pub(in crate::sqlite) fn session(id: &str, expires_in: i64) -> SessionCredentials {
        SessionCredentials {
            access_key_id: id.to_string(),
            secret_access_key: "secret".into(),
            session_token: format!("token-for-{id}"),
            expiration: from_unix(unix(t0()) + expires_in),
            role_arn: "arn:aws:iam::123456789012:role/Reader".into(),
            session_name: "s".into(),
            session_policy: Some("{}".into()),
            source_identity: None,
            issued_to: "arn:aws:iam::123456789012:user/demo".into(),
            web_identity: None,
            session_tags: None,
        }
    }

    #[tokio::test]
    async fn sessions_round_trip_and_expire() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.db");
        let store = SqliteStore::open(&path).await.expect("open");
        let live = session("ASIALIVE000000000000", 3600);
        let dead = session("ASIADEAD000000000000", -10);
        store.put_session(&live, t0()).await.expect("put");
        store.put_session(&dead, t0()).await.expect("put");
        // A duplicate key id is refused rather than overwritten.
        assert!(store.put_session(&live, t0()).await.is_err());
        assert_eq!(
            store.session("ASIALIVE000000000000").await.expect("get"),
            Some(live.to_stored())
        );
        assert_eq!(store.session("nope").await.expect("get"), None);
        assert_eq!(store.delete_expired_sessions(t0()).await.expect("purge"), 1);
        assert_eq!(
            store.session("ASIADEAD000000000000").await.expect("get"),
            None
        );
        // Sessions survive a restart.
        drop(store);
        let again = SqliteStore::open(&path).await.expect("reopen");
        assert_eq!(
            again.session("ASIALIVE000000000000").await.expect("get"),
            Some(live.to_stored())
        );
    }

    #[tokio::test]
    async fn web_identities_are_kept_with_their_sessions() {
        let store = SqliteStore::memory().await.expect("open");
        let mut s = session("ASIAWEBIDENTITY00000", 3600);
        s.web_identity = Some(WebIdentity {
            identity_id: "us-east-1:00000000-0000-4000-8000-000000000001".into(),
            identity_pool_id: "us-east-1:00000000-0000-4000-8000-000000000002".into(),
            provider: Some((
                "cognito-idp.us-east-1.amazonaws.com/us-east-1_P".into(),
                "sub-1".into(),
            )),
            amr: vec!["authenticated".into()],
        });
        store.put_session(&s, t0()).await.expect("put");
        let back = store
            .session("ASIAWEBIDENTITY00000")
            .await
            .expect("get")
            .expect("row");
        assert_eq!(back.web_identity, s.web_identity);
        // A stored identity that does not read back voids the session rather than dropping it.
        sqlx::query("UPDATE sessions SET web_identity = '{}' WHERE access_key_id = ?")
            .bind("ASIAWEBIDENTITY00000")
            .execute(store.pool())
            .await
            .expect("update");
        assert!(store.session("ASIAWEBIDENTITY00000").await.is_err());
    }

    #[tokio::test]
    async fn session_tags_are_kept_with_their_sessions() {
        let store = SqliteStore::memory().await.expect("open");
        let mut s = session("ASIATAGGED0000000000", 3600);
        s.session_tags = Some(SessionTags {
            tags: [
                ("Project".to_string(), "x y".to_string()),
                ("team".into(), "ops".into()),
            ]
            .into_iter()
            .collect(),
            transitive: vec!["Project".into()],
        });
        store.put_session(&s, t0()).await.expect("put");
        let back = store.session("ASIATAGGED0000000000").await.expect("get");
        assert_eq!(back.expect("row").session_tags, s.session_tags);
        // Tags that do not read back (a transitive key that is no tag) void the session.
        sqlx::query(
            r#"UPDATE sessions SET session_tags = '{"tags":{},"transitive":["k"]}' WHERE access_key_id = ?"#,
        )
        .bind("ASIATAGGED0000000000")
        .execute(store.pool())
        .await
        .expect("update");
        assert!(store.session("ASIATAGGED0000000000").await.is_err());
    }

    #[tokio::test]
    async fn the_token_itself_is_never_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.db");
        let store = SqliteStore::open(&path).await.expect("open");
        let s = session("ASIAHASHED0000000000", 3600);
        store.put_session(&s, t0()).await.expect("put");
        let (hash, created): (Vec<u8>, i64) = sqlx::query_as(
            "SELECT session_token_sha256, created_at FROM sessions WHERE access_key_id = ?",
        )
        .bind(&s.access_key_id)
        .fetch_one(store.pool())
        .await
        .expect("row");
        assert_eq!(hash, crate::session_token_sha256(&s.session_token));
        // `created_at` is the clock the caller passed, not the OS's.
        assert_eq!(created, unix(t0()));
        drop(store);
        // Not in the database file, nor in its write-ahead log.
        for name in ["state.db", "state.db-wal"] {
            if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
                let needle = s.session_token.as_bytes();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{name} holds the token"
                );
            }
        }
    }

    #[tokio::test]
    async fn expiry_boundary_is_exclusive() {
        let store = SqliteStore::memory().await.expect("memory");
        store
            .put_session(&session("ASIAEDGE000000000000", 0), t0())
            .await
            .expect("put");
        // Expiring exactly now is not yet "expired before now".
        assert_eq!(store.delete_expired_sessions(t0()).await.expect("purge"), 0);
        let later = t0() + Duration::from_secs(1);
        assert_eq!(
            store.delete_expired_sessions(later).await.expect("purge"),
            1
        );
    }
}
