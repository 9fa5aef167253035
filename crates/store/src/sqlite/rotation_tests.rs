//! Refresh-token rotation in the SQLite [`SignInStore`]: the current token moves on, the retired
//! one is found with its grace, a stale or revoked rotation changes nothing, and the purge takes
//! retired tokens with their session.

use std::time::{Duration, SystemTime};

use super::SqliteStore;
use crate::{SignInSession, SignInStore};

const POOL: &str = "us-east-1_Test";

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn session(jti: &str, refresh: u8) -> SignInSession {
    SignInSession {
        pool: POOL.into(),
        origin_jti: jti.into(),
        client_id: "client-1".into(),
        username: "alice".into(),
        refresh_sha256: [refresh; 32],
        auth_time: at(0),
        expires_at: at(3600),
        revoked_at: None,
        scopes: Vec::new(),
    }
}

#[tokio::test]
async fn rotation_replaces_the_current_token_and_keeps_the_old_one_retired() {
    let s = SqliteStore::memory().await.unwrap();
    s.create_session(&session("jti-1", 1)).await.unwrap();
    assert!(
        s.rotate_refresh(POOL, "jti-1", &[1; 32], &[2; 32], at(10))
            .await
            .unwrap()
    );
    // The new token is the session's; the old one is retired until its grace ends.
    let current = s.session_by_refresh(POOL, &[2; 32]).await.unwrap().unwrap();
    assert_eq!(current.origin_jti, "jti-1");
    assert_eq!(s.session_by_refresh(POOL, &[1; 32]).await.unwrap(), None);
    let (retired, until) = s.retired_refresh(POOL, &[1; 32]).await.unwrap().unwrap();
    assert_eq!(retired.refresh_sha256, [2; 32], "the session as it is now");
    assert_eq!(until, at(10));
    assert_eq!(s.retired_refresh(POOL, &[2; 32]).await.unwrap(), None);
    assert_eq!(
        s.retired_refresh("us-east-1_Other", &[1; 32])
            .await
            .unwrap(),
        None
    );

    // A rotation from a token that is no longer current changes nothing (a concurrent one won).
    assert!(
        !s.rotate_refresh(POOL, "jti-1", &[1; 32], &[3; 32], at(20))
            .await
            .unwrap()
    );
    assert_eq!(s.session_by_refresh(POOL, &[3; 32]).await.unwrap(), None);
    assert_eq!(
        s.retired_refresh(POOL, &[1; 32]).await.unwrap().unwrap().1,
        at(10)
    );
    // Rotating on keeps the first retirement's grace.
    assert!(
        s.rotate_refresh(POOL, "jti-1", &[2; 32], &[3; 32], at(30))
            .await
            .unwrap()
    );
    assert_eq!(
        s.retired_refresh(POOL, &[1; 32]).await.unwrap().unwrap().1,
        at(10)
    );
    assert_eq!(
        s.retired_refresh(POOL, &[2; 32]).await.unwrap().unwrap().1,
        at(30)
    );

    // A revoked session does not rotate.
    s.revoke_session(POOL, "jti-1", at(40)).await.unwrap();
    assert!(
        !s.rotate_refresh(POOL, "jti-1", &[3; 32], &[4; 32], at(50))
            .await
            .unwrap()
    );
    let (revoked, _) = s.retired_refresh(POOL, &[2; 32]).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at(40)));
}

#[tokio::test]
async fn the_purge_takes_retired_tokens_with_their_session() {
    let s = SqliteStore::memory().await.unwrap();
    let mut old = session("old", 1);
    old.expires_at = at(100);
    s.create_session(&old).await.unwrap();
    s.create_session(&session("live", 5)).await.unwrap();
    s.rotate_refresh(POOL, "old", &[1; 32], &[2; 32], at(10))
        .await
        .unwrap();
    s.rotate_refresh(POOL, "live", &[5; 32], &[6; 32], at(10))
        .await
        .unwrap();
    assert_eq!(s.purge_sessions(at(200)).await.unwrap(), 1);
    assert_eq!(s.retired_refresh(POOL, &[1; 32]).await.unwrap(), None);
    assert!(s.retired_refresh(POOL, &[5; 32]).await.unwrap().is_some());
}
