//! The SQLite [`IdentityStore`]: one identity per (pool, provider, subject), stable across
//! reopening; guests; pagination.

use std::time::{Duration, SystemTime};

use super::SqliteStore;
use crate::IdentityStore;

const POOL: &str = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01";
const OTHER: &str = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c02";
const IDP: &str = "cognito-idp.us-east-1.amazonaws.com/us-east-1_P";

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn id(n: u32) -> String {
    format!("us-east-1:00000000-0000-4000-8000-{n:012}")
}

#[tokio::test]
async fn one_identity_per_user_stable_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let first = store
        .identity_for_login(POOL, IDP, "sub-1", &id(1), at(100))
        .await
        .unwrap();
    assert_eq!(first.identity_id, id(1));
    assert_eq!(first.pool_id, POOL);
    assert_eq!(first.logins, vec![IDP.to_string()]);
    assert_eq!(first.created, at(100));
    // The same user again: the same identity, whatever new id is offered.
    let again = store
        .identity_for_login(POOL, IDP, "sub-1", &id(2), at(200))
        .await
        .unwrap();
    assert_eq!(again, first);
    // Another user, or the same subject in another pool: another identity.
    let other = store
        .identity_for_login(POOL, IDP, "sub-2", &id(3), at(200))
        .await
        .unwrap();
    assert_eq!(other.identity_id, id(3));
    let elsewhere = store
        .identity_for_login(OTHER, IDP, "sub-1", &id(4), at(200))
        .await
        .unwrap();
    assert_eq!(elsewhere.identity_id, id(4));
    assert!(store.identity(&id(2)).await.unwrap().is_none());
    drop(store);
    let reopened = SqliteStore::open(&path).await.unwrap();
    let after = reopened
        .identity_for_login(POOL, IDP, "sub-1", &id(5), at(300))
        .await
        .unwrap();
    assert_eq!(after, first);
    assert_eq!(
        reopened
            .identity_subject(&id(1), IDP)
            .await
            .unwrap()
            .as_deref(),
        Some("sub-1")
    );
    assert!(
        reopened
            .identity_subject(&id(1), "other")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn unauthenticated_identities_have_no_logins() {
    let store = SqliteStore::memory().await.unwrap();
    let guest = store
        .create_unauthenticated(POOL, &id(7), at(5))
        .await
        .unwrap();
    assert!(guest.logins.is_empty());
    assert_eq!(store.identity(&id(7)).await.unwrap(), Some(guest));
    // An id is never reused.
    assert!(
        store
            .create_unauthenticated(POOL, &id(7), at(6))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn listing_pages_through_a_pool_only() {
    let store = SqliteStore::memory().await.unwrap();
    for n in 0..5 {
        store
            .create_unauthenticated(POOL, &id(n), at(1))
            .await
            .unwrap();
    }
    store
        .create_unauthenticated(OTHER, &id(99), at(1))
        .await
        .unwrap();
    let page = store.list_identities(POOL, 2, None).await.unwrap();
    assert_eq!(
        page.identities
            .iter()
            .map(|i| i.identity_id.clone())
            .collect::<Vec<_>>(),
        vec![id(0), id(1)]
    );
    let token = page.next_token.unwrap();
    let page2 = store.list_identities(POOL, 2, Some(&token)).await.unwrap();
    assert_eq!(page2.identities[0].identity_id, id(2));
    let page3 = store
        .list_identities(POOL, 2, page2.next_token.as_deref())
        .await
        .unwrap();
    assert_eq!(page3.identities.len(), 1);
    assert_eq!(page3.identities[0].identity_id, id(4));
    assert!(page3.next_token.is_none());
    let exact = store.list_identities(POOL, 5, None).await.unwrap();
    assert_eq!(exact.identities.len(), 5);
    assert!(exact.next_token.is_none());
}
