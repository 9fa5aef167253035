//! The SQLite [`UsageStore`]: conflicts, not-found answers, plan keys following their key or
//! plan on delete, usage accumulation and range queries, and a file database that survives being
//! reopened.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::SqliteStore;
use crate::{StoredApiKey, StoredUsagePlan, UsageCount, UsageError, UsageStore};

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn key(id: &str, value: &str) -> StoredApiKey {
    StoredApiKey {
        id: id.into(),
        name: format!("{id}-name"),
        value: value.into(),
        enabled: true,
        description: Some("a key".into()),
        created: at(1_700_000_000),
        last_updated: at(1_700_000_000),
    }
}

fn plan(id: &str) -> StoredUsagePlan {
    StoredUsagePlan {
        id: id.into(),
        definition: json!({"name": id, "quota": {"limit": 10, "period": "DAY", "offset": 0}}),
        keys: vec!["ignored-on-create".into()],
        created: at(1_700_000_100),
    }
}

fn count(plan: &str, key: &str, day: &str, n: u64) -> UsageCount {
    UsageCount {
        plan_id: plan.into(),
        key_id: key.into(),
        day: day.into(),
        count: n,
    }
}

async fn memory() -> SqliteStore {
    SqliteStore::memory().await.unwrap()
}

#[tokio::test]
async fn keys_round_trip_and_conflict_on_id_or_value() {
    let s = memory().await;
    s.create_api_key(&key("k1", "value-one-0123456789"))
        .await
        .unwrap();
    assert_eq!(
        s.api_keys().await.unwrap(),
        vec![key("k1", "value-one-0123456789")]
    );
    let same_id = s.create_api_key(&key("k1", "value-two-0123456789")).await;
    assert!(
        matches!(same_id, Err(UsageError::Conflict(_))),
        "{same_id:?}"
    );
    let same_value = s.create_api_key(&key("k2", "value-one-0123456789")).await;
    assert!(
        matches!(same_value, Err(UsageError::Conflict(_))),
        "{same_value:?}"
    );
    // The conflict message never carries the value.
    if let Err(e) = same_value {
        assert!(!e.to_string().contains("value-one"), "{e}");
    }
    assert_eq!(s.api_keys().await.unwrap().len(), 1);
}

#[tokio::test]
async fn key_updates_change_only_their_fields() {
    let s = memory().await;
    s.create_api_key(&key("k1", "value-one-0123456789"))
        .await
        .unwrap();
    let mut changed = key("k1", "another-value-ignored-0");
    changed.name = "renamed".into();
    changed.enabled = false;
    changed.description = None;
    changed.last_updated = at(1_700_000_500);
    s.update_api_key(&changed).await.unwrap();
    let stored = s.api_keys().await.unwrap().remove(0);
    assert_eq!(stored.name, "renamed");
    assert!(!stored.enabled);
    assert_eq!(stored.description, None);
    assert_eq!(stored.last_updated, at(1_700_000_500));
    // The value and creation time are not changed by an update.
    assert_eq!(stored.value, "value-one-0123456789");
    assert_eq!(stored.created, at(1_700_000_000));
}

#[tokio::test]
async fn missing_keys_and_plans_are_not_found() {
    let s = memory().await;
    let nf = |r: Result<(), UsageError>| matches!(r, Err(UsageError::NotFound(_)));
    assert!(nf(s
        .update_api_key(&key("nope", "value-one-0123456789"))
        .await));
    assert!(nf(s.delete_api_key("nope").await));
    assert!(nf(s.update_usage_plan("nope", &json!({"name": "x"})).await));
    assert!(nf(s.delete_usage_plan("nope").await));
    assert!(nf(s.add_plan_key("nope", "k1").await));
    s.create_usage_plan(&plan("p1")).await.unwrap();
    assert!(nf(s.remove_plan_key("p1", "k1").await));
}

#[tokio::test]
async fn plans_round_trip_and_conflict_on_id() {
    let s = memory().await;
    s.create_usage_plan(&plan("p1")).await.unwrap();
    let again = s.create_usage_plan(&plan("p1")).await;
    assert!(matches!(again, Err(UsageError::Conflict(_))), "{again:?}");
    let plans = s.usage_plans().await.unwrap();
    assert_eq!(plans.len(), 1);
    // Keys passed at creation are ignored: they are added one by one.
    assert!(plans[0].keys.is_empty());
    assert_eq!(plans[0].created, at(1_700_000_100));
    s.update_usage_plan("p1", &json!({"name": "renamed"}))
        .await
        .unwrap();
    assert_eq!(
        s.usage_plans().await.unwrap()[0].definition,
        json!({"name": "renamed"})
    );
}

#[tokio::test]
async fn plan_keys_conflict_and_follow_deletes() {
    let s = memory().await;
    s.create_api_key(&key("k1", "value-one-0123456789"))
        .await
        .unwrap();
    s.create_api_key(&key("k2", "value-two-0123456789"))
        .await
        .unwrap();
    s.create_usage_plan(&plan("p1")).await.unwrap();
    s.create_usage_plan(&plan("p2")).await.unwrap();
    s.add_plan_key("p1", "k1").await.unwrap();
    s.add_plan_key("p1", "k2").await.unwrap();
    s.add_plan_key("p2", "k1").await.unwrap();
    // A key declared in the configuration file is not in the store, and may still be added.
    s.add_plan_key("p2", "config-key").await.unwrap();
    let twice = s.add_plan_key("p1", "k1").await;
    assert!(matches!(twice, Err(UsageError::Conflict(_))), "{twice:?}");
    let keys_of = |plans: &[StoredUsagePlan], id: &str| {
        plans.iter().find(|p| p.id == id).unwrap().keys.clone()
    };
    let plans = s.usage_plans().await.unwrap();
    assert_eq!(keys_of(&plans, "p1"), ["k1", "k2"]);
    assert_eq!(keys_of(&plans, "p2"), ["config-key", "k1"]);

    // Deleting a key removes it from every plan.
    s.delete_api_key("k1").await.unwrap();
    let plans = s.usage_plans().await.unwrap();
    assert_eq!(keys_of(&plans, "p1"), ["k2"]);
    assert_eq!(keys_of(&plans, "p2"), ["config-key"]);

    // Deleting a plan removes its memberships: re-creating it starts empty.
    s.delete_usage_plan("p1").await.unwrap();
    s.create_usage_plan(&plan("p1")).await.unwrap();
    assert!(keys_of(&s.usage_plans().await.unwrap(), "p1").is_empty());

    s.remove_plan_key("p2", "config-key").await.unwrap();
    assert!(keys_of(&s.usage_plans().await.unwrap(), "p2").is_empty());
}

#[tokio::test]
async fn usage_accumulates_per_plan_key_and_day() {
    let s = memory().await;
    s.record_usage(&[
        count("p1", "k1", "2026-03-01", 2),
        count("p1", "k1", "2026-03-02", 1),
        count("p1", "k2", "2026-03-01", 4),
        count("p2", "k1", "2026-03-01", 9),
    ])
    .await
    .unwrap();
    // A second batch adds to what is stored.
    s.record_usage(&[count("p1", "k1", "2026-03-01", 3)])
        .await
        .unwrap();
    s.record_usage(&[]).await.unwrap();

    let all = s
        .usage("p1", None, "2026-01-01", "2026-12-31")
        .await
        .unwrap();
    let rows: Vec<(&str, &str, u64)> = all
        .iter()
        .map(|c| (c.key_id.as_str(), c.day.as_str(), c.count))
        .collect();
    // Ordered by key, then day; other plans' usage is not included.
    assert_eq!(
        rows,
        [
            ("k1", "2026-03-01", 5),
            ("k1", "2026-03-02", 1),
            ("k2", "2026-03-01", 4)
        ]
    );
    assert!(all.iter().all(|c| c.plan_id == "p1"));

    let k1 = s
        .usage("p1", Some("k1"), "2026-03-01", "2026-03-01")
        .await
        .unwrap();
    assert_eq!(k1, vec![count("p1", "k1", "2026-03-01", 5)]);
    // The range includes both ends and nothing outside them.
    let second = s
        .usage("p1", None, "2026-03-02", "2026-03-31")
        .await
        .unwrap();
    assert_eq!(second, vec![count("p1", "k1", "2026-03-02", 1)]);
    assert!(
        s.usage("p1", None, "2026-03-03", "2026-03-31")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.usage("p1", Some("k3"), "2026-01-01", "2026-12-31")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn everything_survives_reopening_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let s = SqliteStore::open(&path).await.unwrap();
        s.create_api_key(&key("k1", "value-one-0123456789"))
            .await
            .unwrap();
        s.create_usage_plan(&plan("p1")).await.unwrap();
        s.add_plan_key("p1", "k1").await.unwrap();
        s.record_usage(&[count("p1", "k1", "2026-03-01", 7)])
            .await
            .unwrap();
        s.pool().close().await;
    }
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        s.api_keys().await.unwrap(),
        vec![key("k1", "value-one-0123456789")]
    );
    let plans = s.usage_plans().await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].keys, ["k1"]);
    assert_eq!(plans[0].definition, plan("p1").definition);
    assert_eq!(
        s.usage("p1", Some("k1"), "2026-03-01", "2026-03-01")
            .await
            .unwrap(),
        vec![count("p1", "k1", "2026-03-01", 7)]
    );
    // A key deleted after reopening takes its memberships with it there too.
    s.delete_api_key("k1").await.unwrap();
    assert!(s.usage_plans().await.unwrap()[0].keys.is_empty());
}
