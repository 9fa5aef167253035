//! The SQLite [`UserPoolStore`]: users whole and by version, aliases unique per pool and kind,
//! groups and memberships, deletes that take what hangs off a user or group, and a file
//! database that keeps its users when reopened.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::SqliteStore;
use crate::{
    MfaSettings, PasswordRecord, StoredGroup, StoredUser, UserPoolError, UserPoolStore, UserStatus,
};

const POOL: &str = "us-east-1_Test";

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn user(pool: &str, name: &str) -> StoredUser {
    StoredUser {
        pool: pool.into(),
        username: name.into(),
        sub: format!("sub-{name}"),
        attributes: BTreeMap::from([("email".to_string(), format!("{name}@example.com"))]),
        status: UserStatus::Unconfirmed,
        enabled: true,
        password: Some(PasswordRecord {
            phc: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            srp_salt: vec![1, 2, 3],
            srp_verifier: vec![4, 5, 6],
            set_at: at(1_700_000_000),
        }),
        mfa: MfaSettings {
            software_token_secret: Some("JBSWY3DPEHPK3PXP".into()),
            software_token_enabled: true,
            preferred: Some("SOFTWARE_TOKEN_MFA".into()),
            last_totp_step: Some(56_666_666),
            friendly_device_name: Some("phone".into()),
            ..MfaSettings::default()
        },
        created: at(1_700_000_000),
        modified: at(1_700_000_000),
        version: 1,
    }
}

fn email(name: &str) -> Vec<(String, String)> {
    vec![("email".into(), format!("{name}@example.com"))]
}

fn group(name: &str, precedence: Option<i64>) -> StoredGroup {
    StoredGroup {
        pool: POOL.into(),
        name: name.into(),
        description: Some(format!("{name} group")),
        precedence,
        role_arn: None,
        created: at(1_700_000_000),
        modified: at(1_700_000_000),
    }
}

async fn store() -> SqliteStore {
    SqliteStore::memory().await.expect("store")
}

#[tokio::test]
async fn users_round_trip_by_username_alias_and_sub() {
    let s = store().await;
    let alice = user(POOL, "alice");
    s.create_user(&alice, &email("alice")).await.unwrap();
    assert_eq!(s.user(POOL, "alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(
        s.user_by_alias(POOL, "email", "alice@example.com")
            .await
            .unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        s.user_by_sub(POOL, "sub-alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(s.user(POOL, "bob").await.unwrap(), None);
    assert_eq!(
        s.user_by_alias(POOL, "email", "bob@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.user("us-east-1_Other", "alice").await.unwrap(),
        None,
        "pools are apart"
    );
    let mut bare = user(POOL, "carol");
    bare.password = None;
    bare.mfa = MfaSettings::default();
    s.create_user(&bare, &[]).await.unwrap();
    assert_eq!(s.user(POOL, "carol").await.unwrap(), Some(bare));
}

#[tokio::test]
async fn usernames_and_aliases_are_unique_per_pool() {
    let s = store().await;
    s.create_user(&user(POOL, "alice"), &email("alice"))
        .await
        .unwrap();
    assert!(matches!(
        s.create_user(&user(POOL, "alice"), &[]).await,
        Err(UserPoolError::UsernameExists)
    ));
    // Another user with alice's email: refused, and nothing of it stored.
    let mut bob = user(POOL, "bob");
    bob.sub = "sub-bob".into();
    match s.create_user(&bob, &email("alice")).await {
        Err(UserPoolError::AliasExists(kind)) => assert_eq!(kind, "email"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.user(POOL, "bob").await.unwrap(),
        None,
        "the transaction rolled back"
    );
    // The same email in another pool is another user's.
    s.create_user(&user("us-east-1_Other", "alice2"), &email("alice"))
        .await
        .unwrap();
}

#[tokio::test]
async fn updates_are_compare_and_swap_on_the_version() {
    let s = store().await;
    let alice = user(POOL, "alice");
    s.create_user(&alice, &email("alice")).await.unwrap();
    let mut changed = alice.clone();
    changed.status = UserStatus::Confirmed;
    changed
        .attributes
        .insert("email".into(), "new@example.com".into());
    let new_aliases = vec![("email".to_string(), "new@example.com".to_string())];
    assert_eq!(s.update_user(&changed, &new_aliases).await.unwrap(), 2);
    let stored = s.user(POOL, "alice").await.unwrap().unwrap();
    assert_eq!((stored.status, stored.version), (UserStatus::Confirmed, 2));
    assert_eq!(
        s.user_by_alias(POOL, "email", "alice@example.com")
            .await
            .unwrap(),
        None
    );
    assert!(
        s.user_by_alias(POOL, "email", "new@example.com")
            .await
            .unwrap()
            .is_some()
    );
    // A second writer holding version 1 loses.
    assert!(matches!(
        s.update_user(&alice, &[]).await,
        Err(UserPoolError::Conflict)
    ));
    let mut gone = user(POOL, "nobody");
    gone.version = 1;
    assert!(matches!(
        s.update_user(&gone, &[]).await,
        Err(UserPoolError::NotFound)
    ));
}

#[tokio::test]
async fn users_list_in_pages() {
    let s = store().await;
    for name in ["d", "a", "c", "b"] {
        s.create_user(&user(POOL, name), &[]).await.unwrap();
    }
    s.create_user(&user("us-east-1_Other", "e"), &[])
        .await
        .unwrap();
    let names = |users: Vec<StoredUser>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_users(POOL, None, 3).await.unwrap()),
        ["a", "b", "c"]
    );
    assert_eq!(
        names(s.list_users(POOL, Some("c"), 3).await.unwrap()),
        ["d"]
    );
}

#[tokio::test]
async fn groups_and_memberships() {
    let s = store().await;
    s.create_user(&user(POOL, "alice"), &[]).await.unwrap();
    for g in [
        group("readers", None),
        group("admins", Some(1)),
        group("staff", Some(5)),
    ] {
        s.create_group(&g).await.unwrap();
    }
    assert!(matches!(
        s.create_group(&group("admins", None)).await,
        Err(UserPoolError::GroupExists)
    ));
    assert_eq!(
        s.group(POOL, "admins").await.unwrap(),
        Some(group("admins", Some(1)))
    );
    for g in ["readers", "staff", "admins", "admins"] {
        s.add_user_to_group(POOL, "alice", g).await.unwrap();
    }
    let names = |groups: Vec<StoredGroup>| groups.into_iter().map(|g| g.name).collect::<Vec<_>>();
    assert_eq!(
        names(s.groups_of_user(POOL, "alice").await.unwrap()),
        ["admins", "staff", "readers"]
    );
    assert!(matches!(
        s.add_user_to_group(POOL, "bob", "admins").await,
        Err(UserPoolError::NotFound)
    ));
    assert!(matches!(
        s.add_user_to_group(POOL, "alice", "nope").await,
        Err(UserPoolError::NotFound)
    ));
    s.remove_user_from_group(POOL, "alice", "staff")
        .await
        .unwrap();
    assert!(matches!(
        s.remove_user_from_group(POOL, "alice", "staff").await,
        Err(UserPoolError::NotFound)
    ));
    s.delete_group(POOL, "admins").await.unwrap();
    assert_eq!(
        names(s.groups_of_user(POOL, "alice").await.unwrap()),
        ["readers"]
    );
    assert_eq!(
        names(s.list_groups(POOL).await.unwrap()),
        ["readers", "staff"]
    );
    assert!(matches!(
        s.delete_group(POOL, "admins").await,
        Err(UserPoolError::NotFound)
    ));
}

#[tokio::test]
async fn deleting_a_user_takes_its_aliases_and_memberships() {
    let s = store().await;
    s.create_user(&user(POOL, "alice"), &email("alice"))
        .await
        .unwrap();
    s.create_group(&group("admins", None)).await.unwrap();
    s.add_user_to_group(POOL, "alice", "admins").await.unwrap();
    s.delete_user(POOL, "alice").await.unwrap();
    assert!(matches!(
        s.delete_user(POOL, "alice").await,
        Err(UserPoolError::NotFound)
    ));
    // The alias and the membership went with it: a new alice starts with neither.
    let mut again = user(POOL, "alice");
    again.sub = "sub-alice-2".into();
    s.create_user(&again, &email("alice")).await.unwrap();
    assert!(s.groups_of_user(POOL, "alice").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_file_database_keeps_its_users() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portcullis.db");
    let alice = user(POOL, "alice");
    {
        let s = SqliteStore::open(&path).await.unwrap();
        s.create_user(&alice, &email("alice")).await.unwrap();
    }
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        s.user_by_alias(POOL, "email", "alice@example.com")
            .await
            .unwrap(),
        Some(alice)
    );
}

#[test]
fn secrets_stay_out_of_debug() {
    let text = format!("{:?}", user(POOL, "alice"));
    for secret in ["argon2id", "JBSWY3DPEHPK3PXP", "[1, 2, 3]", "[4, 5, 6]"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}
