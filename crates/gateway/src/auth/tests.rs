//! `Credentials`: token hashes, the session cache and its invalidation.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use iam::{DirectoryBuilder, RoleSpec};
use store::{Health, SessionCredentials, StoreError};

use super::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/Reader";

/// Sessions in a map, counting lookups so that tests see what the cache saved.
#[derive(Default)]
struct CountingStore {
    sessions: Mutex<HashMap<String, StoredSession>>,
    lookups: AtomicUsize,
}

impl CountingStore {
    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }

    fn remove(&self, id: &str) {
        if let Ok(mut m) = self.sessions.lock() {
            m.remove(id);
        }
    }
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn put_session(
        &self,
        s: &SessionCredentials,
        _now: SystemTime,
    ) -> Result<(), StoreError> {
        if let Ok(mut m) = self.sessions.lock() {
            m.insert(s.access_key_id.clone(), s.to_stored());
        }
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<StoredSession>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        Ok(self.sessions.lock().ok().and_then(|m| m.get(id).cloned()))
    }

    async fn delete_expired_sessions(&self, _now: SystemTime) -> Result<u64, StoreError> {
        Ok(0)
    }
}

#[async_trait]
impl Health for CountingStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn describe(&self) -> String {
        "test".into()
    }
}

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn credentials(store: &Arc<CountingStore>) -> Credentials {
    let trust = Policy::from_json_str(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
        &ParseOptions::trust(),
    )
    .expect("trust policy");
    let directory = DirectoryBuilder::new("123456789012")
        .role(RoleSpec::new("Reader", trust))
        .build()
        .expect("directory");
    Credentials::new(Arc::new(directory), store.clone())
}

async fn issue(store: &CountingStore, id: &str, lifetime: Duration) {
    let s = SessionCredentials {
        access_key_id: id.into(),
        secret_access_key: "secret".into(),
        session_token: format!("token-{id}"),
        expiration: t0() + lifetime,
        role_arn: ROLE.into(),
        session_name: "s".into(),
        session_policy: None,
        source_identity: None,
        issued_to: "arn:aws:iam::123456789012:user/demo".into(),
        web_identity: None,
        session_tags: None,
    };
    store.put_session(&s, t0()).await.expect("put");
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn the_token_is_checked_against_its_stored_hash() {
    let store = Arc::new(CountingStore::default());
    let c = credentials(&store);
    issue(&store, "ASIA1", HOUR).await;
    let key = c
        .resolve("ASIA1", Some("token-ASIA1"), t0())
        .await
        .expect("resolves");
    assert_eq!(
        key.caller.principal.arn(),
        "arn:aws:sts::123456789012:assumed-role/Reader/s"
    );
    for token in [Some("token-ASIA2"), Some("token-ASIA1 "), Some(""), None] {
        assert_eq!(
            c.resolve("ASIA1", token, t0()).await.err(),
            Some(AuthFailure::UnrecognizedClient),
            "{token:?}"
        );
    }
    assert_eq!(
        c.resolve("ASIA1", Some("token-ASIA1"), t0() + HOUR)
            .await
            .err(),
        Some(AuthFailure::ExpiredToken)
    );
    assert_eq!(
        c.resolve("ASIANONE", Some("x"), t0()).await.err(),
        Some(AuthFailure::UnrecognizedClient)
    );
}

#[tokio::test]
async fn sessions_are_cached_until_invalidated() {
    let store = Arc::new(CountingStore::default());
    let c = credentials(&store);
    issue(&store, "ASIA1", HOUR).await;
    issue(&store, "ASIA2", HOUR).await;
    for _ in 0..3 {
        c.resolve("ASIA1", Some("token-ASIA1"), t0())
            .await
            .expect("ok");
    }
    assert_eq!(store.lookups(), 1);
    // Revoked in storage: the cache still answers until told.
    store.remove("ASIA1");
    assert!(c.resolve("ASIA1", Some("token-ASIA1"), t0()).await.is_ok());
    c.invalidate("ASIA1");
    assert_eq!(
        c.resolve("ASIA1", Some("token-ASIA1"), t0()).await.err(),
        Some(AuthFailure::UnrecognizedClient)
    );
    c.resolve("ASIA2", Some("token-ASIA2"), t0())
        .await
        .expect("ok");
    let before = store.lookups();
    c.invalidate_all();
    c.resolve("ASIA2", Some("token-ASIA2"), t0())
        .await
        .expect("ok");
    assert_eq!(store.lookups(), before + 1);
}

#[tokio::test]
async fn the_cache_never_outlives_the_session() {
    let store = Arc::new(CountingStore::default());
    let c = credentials(&store);
    issue(&store, "ASIALONG", HOUR).await;
    issue(&store, "ASIASHORT", Duration::from_secs(10)).await;
    let long = c
        .session("ASIALONG", t0())
        .await
        .expect("ok")
        .expect("some");
    assert_eq!(long.cache_for, SESSION_CACHE_TTL);
    let short = c
        .session("ASIASHORT", t0())
        .await
        .expect("ok")
        .expect("some");
    assert_eq!(short.cache_for, Duration::from_secs(10));
    // An expired session is looked up every time, never cached.
    let later = t0() + Duration::from_secs(20);
    c.invalidate_all();
    let before = store.lookups();
    for _ in 0..2 {
        assert_eq!(
            c.resolve("ASIASHORT", Some("token-ASIASHORT"), later)
                .await
                .err(),
            Some(AuthFailure::ExpiredToken)
        );
    }
    assert_eq!(store.lookups(), before + 2);
}
