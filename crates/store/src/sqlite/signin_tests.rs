//! The SQLite [`SignInStore`]: one first signing key however many nodes race for it, rotation and
//! pruning, sessions by refresh-token hash and their revocation, codes that are spent when they
//! match, expire, or run out of attempts, the outbox, and a file database that keeps all of it
//! when reopened.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::SqliteStore;
use crate::{
    CODE_ATTEMPTS, CodeCheck, CodePurpose, OutboxMessage, SignInSession, SignInStore,
    StoredSigningKey,
};

const POOL: &str = "us-east-1_Test";
const OTHER: &str = "us-east-1_Other";

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn key(kid: &str, created: u64) -> StoredSigningKey {
    StoredSigningKey {
        kid: kid.into(),
        created_at: at(created),
        retired_at: None,
        private_key_pem: format!("-----BEGIN PRIVATE KEY-----\n{kid}\n-----END PRIVATE KEY-----\n"),
    }
}

fn session(pool: &str, jti: &str, username: &str, refresh: u8) -> SignInSession {
    SignInSession {
        pool: pool.into(),
        origin_jti: jti.into(),
        client_id: "client-1".into(),
        username: username.into(),
        refresh_sha256: [refresh; 32],
        auth_time: at(0),
        expires_at: at(3600),
        revoked_at: None,
        scopes: Vec::new(),
    }
}

fn message(username: &str, code: &str, sent: u64) -> OutboxMessage {
    OutboxMessage {
        pool: POOL.into(),
        username: username.into(),
        purpose: CodePurpose::SignUp,
        medium: "EMAIL".into(),
        destination: format!("{username}@example.com"),
        code: code.into(),
        sent_at: at(sent),
    }
}

async fn store() -> SqliteStore {
    SqliteStore::memory().await.expect("store")
}

async fn file_store(path: &Path) -> SqliteStore {
    SqliteStore::open(path).await.expect("open")
}

#[tokio::test]
async fn the_first_signing_key_is_one_key_however_many_race_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let s = file_store(&path).await;
    // Two calls on one store's connections, and a second store (another node) on the same file.
    let node2 = file_store(&path).await;
    let (ka, kb, kc) = (key("kid-a", 0), key("kid-b", 0), key("kid-c", 0));
    let (a, b, c) = tokio::join!(
        s.first_signing_key(POOL, &ka),
        s.first_signing_key(POOL, &kb),
        node2.first_signing_key(POOL, &kc),
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(s.signing_keys(POOL).await.unwrap(), a);
    // Once there is a key, a later call changes nothing.
    assert_eq!(
        s.first_signing_key(POOL, &key("kid-late", 9))
            .await
            .unwrap(),
        a
    );
    // Another pool gets its own.
    let other = s.first_signing_key(OTHER, &key("kid-o", 0)).await.unwrap();
    assert_eq!(other, vec![key("kid-o", 0)]);
}

#[tokio::test]
async fn rotation_retires_the_current_key_and_prune_removes_old_retired_ones() {
    let s = store().await;
    assert!(s.signing_keys(POOL).await.unwrap().is_empty());
    s.first_signing_key(POOL, &key("k1", 0)).await.unwrap();
    s.rotate_signing_key(POOL, &key("k2", 100), at(100))
        .await
        .unwrap();
    s.rotate_signing_key(POOL, &key("k3", 200), at(200))
        .await
        .unwrap();
    s.first_signing_key(OTHER, &key("o1", 0)).await.unwrap();
    let keys = s.signing_keys(POOL).await.unwrap();
    let summary: Vec<_> = keys
        .iter()
        .map(|k| (k.kid.as_str(), k.retired_at))
        .collect();
    assert_eq!(
        summary,
        vec![("k1", Some(at(100))), ("k2", Some(at(200))), ("k3", None)],
        "oldest first; a retired key keeps its first retirement"
    );
    assert_eq!(
        keys.last().unwrap().private_key_pem,
        key("k3", 0).private_key_pem
    );
    // The other pool's key is not retired by this pool's rotation.
    assert_eq!(s.signing_keys(OTHER).await.unwrap()[0].retired_at, None);

    // Retired before 150: k1 only. The current key is never pruned.
    assert_eq!(s.prune_signing_keys(POOL, at(150)).await.unwrap(), 1);
    assert_eq!(s.prune_signing_keys(POOL, at(10_000)).await.unwrap(), 1);
    let left: Vec<_> = s
        .signing_keys(POOL)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(left, vec!["k3"]);
    assert_eq!(s.prune_signing_keys(OTHER, at(10_000)).await.unwrap(), 0);
}

#[tokio::test]
async fn keys_created_in_the_same_second_keep_their_insertion_order() {
    let s = store().await;
    s.first_signing_key(POOL, &key("z-first", 5)).await.unwrap();
    s.rotate_signing_key(POOL, &key("a-second", 5), at(5))
        .await
        .unwrap();
    let kids: Vec<_> = s
        .signing_keys(POOL)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, vec!["z-first", "a-second"]);
}

#[tokio::test]
async fn sessions_by_refresh_hash_and_their_revocation() {
    let s = store().await;
    let one = session(POOL, "jti-1", "alice", 1);
    s.create_session(&one).await.unwrap();
    s.create_session(&session(POOL, "jti-2", "alice", 2))
        .await
        .unwrap();
    s.create_session(&session(POOL, "jti-3", "bob", 3))
        .await
        .unwrap();
    // The same origin_jti and refresh hash in another pool are another session.
    s.create_session(&session(OTHER, "jti-1", "alice", 1))
        .await
        .unwrap();

    assert_eq!(
        s.session_by_refresh(POOL, &[1; 32]).await.unwrap(),
        Some(one.clone())
    );
    assert_eq!(s.session_by_refresh(POOL, &[9; 32]).await.unwrap(), None);
    // A refresh hash is unique per pool, as is an origin_jti.
    assert!(
        s.create_session(&session(POOL, "jti-9", "carol", 1))
            .await
            .is_err()
    );
    assert!(
        s.create_session(&session(POOL, "jti-1", "carol", 9))
            .await
            .is_err()
    );

    assert!(!s.is_revoked(POOL, "jti-1").await.unwrap());
    assert!(
        !s.is_revoked(POOL, "unknown").await.unwrap(),
        "an unknown session is not revoked"
    );
    assert!(s.revoke_session(POOL, "jti-1", at(10)).await.unwrap());
    assert!(
        !s.revoke_session(POOL, "jti-1", at(20)).await.unwrap(),
        "revoked already"
    );
    assert!(!s.revoke_session(POOL, "unknown", at(20)).await.unwrap());
    assert!(s.is_revoked(POOL, "jti-1").await.unwrap());
    assert!(
        !s.is_revoked(OTHER, "jti-1").await.unwrap(),
        "pools are apart"
    );
    // Revoked, it is still found by its refresh token, with when it was revoked.
    let mut revoked = one.clone();
    revoked.revoked_at = Some(at(10));
    assert_eq!(
        s.session_by_refresh(POOL, &[1; 32]).await.unwrap(),
        Some(revoked)
    );

    // Global sign-out: alice's live sessions only (jti-1 is revoked already).
    assert_eq!(
        s.revoke_user_sessions(POOL, "alice", at(30)).await.unwrap(),
        1
    );
    assert_eq!(
        s.revoke_user_sessions(POOL, "alice", at(40)).await.unwrap(),
        0
    );
    assert!(s.is_revoked(POOL, "jti-2").await.unwrap());
    assert!(!s.is_revoked(POOL, "jti-3").await.unwrap());
    assert!(!s.is_revoked(OTHER, "jti-1").await.unwrap());
    s.revoke_session(OTHER, "jti-1", at(20)).await.unwrap();

    let all = s.revoked_since(at(0)).await.unwrap();
    assert_eq!(
        all,
        vec![
            (POOL.to_string(), "jti-1".to_string(), at(10)),
            (OTHER.to_string(), "jti-1".to_string(), at(20)),
            (POOL.to_string(), "jti-2".to_string(), at(30)),
        ],
        "every pool, oldest revocation first"
    );
    assert_eq!(
        s.revoked_since(at(20)).await.unwrap(),
        all[1..].to_vec(),
        "at or after `since`"
    );
    assert!(s.revoked_since(at(31)).await.unwrap().is_empty());
}

#[tokio::test]
async fn purge_removes_sessions_whose_refresh_token_expired() {
    let s = store().await;
    let mut old = session(POOL, "old", "alice", 1);
    old.expires_at = at(100);
    old.revoked_at = Some(at(50));
    let mut edge = session(OTHER, "edge", "alice", 2);
    edge.expires_at = at(200);
    let live = session(POOL, "live", "alice", 3); // expires at 3600
    for s_ in [&old, &edge, &live] {
        s.create_session(s_).await.unwrap();
    }
    assert_eq!(
        s.purge_sessions(at(200)).await.unwrap(),
        1,
        "before, not at"
    );
    assert_eq!(s.session_by_refresh(POOL, &[1; 32]).await.unwrap(), None);
    assert!(s.revoked_since(at(0)).await.unwrap().is_empty());
    assert_eq!(s.purge_sessions(at(201)).await.unwrap(), 1);
    assert_eq!(s.purge_sessions(at(201)).await.unwrap(), 0);
    assert_eq!(
        s.session_by_refresh(POOL, &[3; 32]).await.unwrap(),
        Some(live)
    );
}

async fn check(s: &SqliteStore, digest: u8, now: u64) -> CodeCheck {
    s.check_code(POOL, "alice", CodePurpose::SignUp, &[digest; 32], at(now))
        .await
        .unwrap()
}

async fn put(s: &SqliteStore, digest: u8, expires: u64) {
    s.put_code(
        POOL,
        "alice",
        CodePurpose::SignUp,
        &[digest; 32],
        at(expires),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_matching_code_is_spent() {
    let s = store().await;
    assert_eq!(check(&s, 7, 0).await, CodeCheck::Missing);
    put(&s, 7, 600).await;
    // Another purpose, user or pool has no code.
    assert_eq!(
        s.check_code(POOL, "alice", CodePurpose::ForgotPassword, &[7; 32], at(0))
            .await
            .unwrap(),
        CodeCheck::Missing
    );
    assert_eq!(
        s.check_code(POOL, "bob", CodePurpose::SignUp, &[7; 32], at(0))
            .await
            .unwrap(),
        CodeCheck::Missing
    );
    assert_eq!(
        s.check_code(OTHER, "alice", CodePurpose::SignUp, &[7; 32], at(0))
            .await
            .unwrap(),
        CodeCheck::Missing
    );
    assert_eq!(check(&s, 7, 0).await, CodeCheck::Matched);
    assert_eq!(check(&s, 7, 0).await, CodeCheck::Missing, "spent");
}

#[tokio::test]
async fn wrong_guesses_short_of_the_limit_leave_the_code_usable() {
    let s = store().await;
    put(&s, 7, 600).await;
    for _ in 1..CODE_ATTEMPTS {
        assert_eq!(check(&s, 8, 0).await, CodeCheck::Mismatch);
    }
    assert_eq!(check(&s, 7, 0).await, CodeCheck::Matched);
}

#[tokio::test]
async fn the_last_allowed_wrong_guess_spends_the_code() {
    let s = store().await;
    put(&s, 7, 600).await;
    for _ in 1..CODE_ATTEMPTS {
        assert_eq!(check(&s, 8, 0).await, CodeCheck::Mismatch);
    }
    assert_eq!(check(&s, 9, 0).await, CodeCheck::TooManyAttempts);
    assert_eq!(
        check(&s, 7, 0).await,
        CodeCheck::Missing,
        "the right code comes too late"
    );
}

#[tokio::test]
async fn concurrent_wrong_guesses_each_spend_an_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(file_store(&dir.path().join("state.db")).await);
    put(&s, 7, 600).await;
    let guesses: Vec<_> = (0..CODE_ATTEMPTS)
        .map(|i| {
            let s = s.clone();
            let digest = u8::try_from(10 + i).unwrap();
            tokio::spawn(async move {
                s.check_code(POOL, "alice", CodePurpose::SignUp, &[digest; 32], at(0))
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for guess in guesses {
        outcomes.push(guess.await.unwrap().unwrap());
    }
    let count = |wanted: CodeCheck| outcomes.iter().filter(|o| **o == wanted).count();
    assert_eq!(
        count(CodeCheck::Mismatch),
        usize::try_from(CODE_ATTEMPTS - 1).unwrap(),
        "{outcomes:?}"
    );
    assert_eq!(count(CodeCheck::TooManyAttempts), 1, "{outcomes:?}");
    assert_eq!(check(&s, 7, 0).await, CodeCheck::Missing);
}

#[tokio::test]
async fn an_expired_code_is_spent() {
    let s = store().await;
    put(&s, 7, 600).await;
    assert_eq!(check(&s, 7, 600).await, CodeCheck::Expired, "at expiry");
    assert_eq!(check(&s, 7, 0).await, CodeCheck::Missing);
    put(&s, 7, 600).await;
    assert_eq!(
        check(&s, 8, 700).await,
        CodeCheck::Expired,
        "even a wrong one"
    );
    assert_eq!(check(&s, 7, 0).await, CodeCheck::Missing);
}

#[tokio::test]
async fn a_new_code_replaces_the_older_one_and_its_attempts() {
    let s = store().await;
    put(&s, 7, 600).await;
    for _ in 1..CODE_ATTEMPTS {
        assert_eq!(check(&s, 8, 0).await, CodeCheck::Mismatch);
    }
    put(&s, 9, 1200).await;
    assert_eq!(
        check(&s, 7, 0).await,
        CodeCheck::Mismatch,
        "the old code is gone"
    );
    assert_eq!(
        check(&s, 9, 900).await,
        CodeCheck::Matched,
        "the new one counts attempts afresh and expires later"
    );
}

#[tokio::test]
async fn delete_codes_removes_every_purpose_of_one_user() {
    let s = store().await;
    for purpose in [
        CodePurpose::SignUp,
        CodePurpose::ForgotPassword,
        CodePurpose::VerifyAttribute,
    ] {
        for user in ["alice", "bob"] {
            s.put_code(POOL, user, purpose, &[7; 32], at(600))
                .await
                .unwrap();
        }
    }
    s.delete_codes(POOL, "alice").await.unwrap();
    for purpose in [
        CodePurpose::SignUp,
        CodePurpose::ForgotPassword,
        CodePurpose::VerifyAttribute,
    ] {
        assert_eq!(
            s.check_code(POOL, "alice", purpose, &[7; 32], at(0))
                .await
                .unwrap(),
            CodeCheck::Missing
        );
        assert_eq!(
            s.check_code(POOL, "bob", purpose, &[7; 32], at(0))
                .await
                .unwrap(),
            CodeCheck::Matched
        );
    }
}

#[tokio::test]
async fn the_outbox_is_newest_first_per_pool_and_user() {
    let s = store().await;
    s.push_outbox(&message("alice", "111111", 1)).await.unwrap();
    s.push_outbox(&message("bob", "222222", 2)).await.unwrap();
    let mut reset = message("alice", "333333", 3);
    reset.purpose = CodePurpose::ForgotPassword;
    reset.medium = "SMS".into();
    reset.destination = "+15555550100".into();
    s.push_outbox(&reset).await.unwrap();
    let mut elsewhere = message("alice", "444444", 4);
    elsewhere.pool = OTHER.into();
    s.push_outbox(&elsewhere).await.unwrap();

    let codes = |messages: Vec<OutboxMessage>| -> Vec<String> {
        messages.into_iter().map(|m| m.code).collect()
    };
    assert_eq!(
        codes(s.outbox(POOL, None, 10).await.unwrap()),
        vec!["333333", "222222", "111111"]
    );
    assert_eq!(
        s.outbox(POOL, Some("alice"), 10).await.unwrap(),
        vec![reset.clone(), message("alice", "111111", 1)]
    );
    assert_eq!(
        codes(s.outbox(POOL, None, 2).await.unwrap()),
        vec!["333333", "222222"]
    );
    assert_eq!(s.outbox(POOL, Some("alice"), 1).await.unwrap(), vec![reset]);
    assert!(s.outbox(POOL, Some("carol"), 10).await.unwrap().is_empty());
    assert!(s.outbox(POOL, None, 0).await.unwrap().is_empty());
    assert_eq!(s.outbox(OTHER, None, 10).await.unwrap(), vec![elsewhere]);
}

#[tokio::test]
async fn an_unreadable_outbox_purpose_is_an_error_not_a_panic() {
    let s = store().await;
    s.push_outbox(&message("alice", "111111", 1)).await.unwrap();
    sqlx::query("UPDATE userpool_outbox SET purpose = 'mystery'")
        .execute(s.pool())
        .await
        .unwrap();
    let err = s.outbox(POOL, None, 10).await.unwrap_err();
    assert!(matches!(err, crate::StoreError::Query(_)), "{err}");
}

#[tokio::test]
async fn a_file_database_keeps_keys_sessions_codes_and_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let s = file_store(&path).await;
    s.first_signing_key(POOL, &key("k1", 0)).await.unwrap();
    s.rotate_signing_key(POOL, &key("k2", 100), at(100))
        .await
        .unwrap();
    let live = session(POOL, "live", "alice", 1);
    s.create_session(&live).await.unwrap();
    s.create_session(&session(POOL, "gone", "alice", 2))
        .await
        .unwrap();
    s.revoke_session(POOL, "gone", at(50)).await.unwrap();
    put(&s, 7, 600).await;
    assert_eq!(check(&s, 8, 0).await, CodeCheck::Mismatch);
    s.push_outbox(&message("alice", "111111", 1)).await.unwrap();
    let keys = s.signing_keys(POOL).await.unwrap();
    drop(s);

    let again = file_store(&path).await;
    assert_eq!(again.signing_keys(POOL).await.unwrap(), keys);
    assert_eq!(keys.len(), 2);
    assert_eq!(
        again.session_by_refresh(POOL, &[1; 32]).await.unwrap(),
        Some(live)
    );
    assert!(again.is_revoked(POOL, "gone").await.unwrap());
    assert_eq!(
        again.revoked_since(at(0)).await.unwrap(),
        vec![(POOL.to_string(), "gone".to_string(), at(50))]
    );
    assert_eq!(
        again.outbox(POOL, None, 10).await.unwrap(),
        vec![message("alice", "111111", 1)]
    );
    // The code kept its spent attempt: the remaining ones run out one sooner.
    for _ in 2..CODE_ATTEMPTS {
        assert_eq!(check(&again, 8, 0).await, CodeCheck::Mismatch);
    }
    assert_eq!(check(&again, 8, 0).await, CodeCheck::TooManyAttempts);
}
