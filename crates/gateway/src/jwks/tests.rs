#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use super::*;

const ISSUER: &str = "https://issuer.example.com";

/// Serves the discovery document and a key set; counts the key-set fetches; can be slowed down
/// or made to fail.
struct Fake {
    jwks: Mutex<String>,
    jwks_fetches: AtomicUsize,
    delay: Duration,
    down: std::sync::atomic::AtomicBool,
}

impl Fake {
    fn new(delay: Duration) -> Arc<Fake> {
        Arc::new(Fake {
            jwks: Mutex::new(key_set()),
            jwks_fetches: AtomicUsize::new(0),
            delay,
            down: false.into(),
        })
    }
    fn fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::SeqCst)
    }
}

fn key_set() -> String {
    tokens::KeySet::generate(UNIX_EPOCH).unwrap().jwks_json()
}

impl Fetch for Fake {
    fn get<'a>(
        &'a self,
        url: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Bytes, FetchError>> + Send + 'a>> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            if self.down.load(Ordering::SeqCst) {
                return Err(FetchError::Http {
                    url: url.to_string(),
                    reason: "down".into(),
                });
            }
            if url == format!("{ISSUER}/.well-known/openid-configuration") {
                let doc =
                    serde_json::json!({"issuer": ISSUER, "jwks_uri": format!("{ISSUER}/jwks")});
                return Ok(Bytes::from(doc.to_string()));
            }
            assert_eq!(url, format!("{ISSUER}/jwks"));
            self.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            Ok(Bytes::from(self.jwks.lock().unwrap().clone()))
        })
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

#[tokio::test]
async fn unknown_kid_refetches_at_most_every_30_seconds() {
    let fake = Fake::new(Duration::ZERO);
    let cache = JwksCache::new(fake.clone());
    let first = cache.keys(ISSUER, None, at(0)).await.unwrap();
    assert_eq!(fake.fetches(), 1);
    // Cached: no fetch for a known set.
    cache.keys(ISSUER, None, at(1)).await.unwrap();
    assert_eq!(fake.fetches(), 1);
    // An unknown kid within 30 s of the first fetch: no fetch, the old set answers.
    for s in 1..30 {
        let keys = cache.keys(ISSUER, Some("made-up"), at(s)).await.unwrap();
        assert!(Arc::ptr_eq(&keys, &first));
    }
    assert_eq!(fake.fetches(), 1);
    // Past 30 s: one refetch, then quiet again for 30 s.
    *fake.jwks.lock().unwrap() = key_set();
    let second = cache.keys(ISSUER, Some("made-up"), at(30)).await.unwrap();
    assert!(!Arc::ptr_eq(&second, &first));
    for s in 31..60 {
        cache.keys(ISSUER, Some("made-up"), at(s)).await.unwrap();
    }
    assert_eq!(fake.fetches(), 2);
    cache.keys(ISSUER, Some("made-up"), at(60)).await.unwrap();
    assert_eq!(fake.fetches(), 3);
}

#[tokio::test(start_paused = true)]
async fn concurrent_misses_share_one_fetch() {
    let fake = Fake::new(Duration::from_secs(1));
    let cache = Arc::new(JwksCache::new(fake.clone()));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.keys(ISSUER, Some("made-up"), at(0)).await })
        })
        .collect();
    let mut sets = Vec::new();
    for t in tasks {
        sets.push(t.await.unwrap().unwrap());
    }
    assert_eq!(fake.fetches(), 1);
    assert!(sets.iter().all(|s| Arc::ptr_eq(s, &sets[0])));
}

#[tokio::test]
async fn failure_without_keys_is_an_error_and_is_rate_limited_too() {
    let fake = Fake::new(Duration::ZERO);
    fake.down.store(true, Ordering::SeqCst);
    let cache = JwksCache::new(fake.clone());
    assert!(matches!(
        cache.keys(ISSUER, None, at(0)).await,
        Err(FetchError::Http { .. })
    ));
    fake.down.store(false, Ordering::SeqCst);
    // Within 30 s of the failure: no new attempt.
    assert!(matches!(
        cache.keys(ISSUER, None, at(10)).await,
        Err(FetchError::RecentlyFailed { .. })
    ));
    assert_eq!(fake.fetches(), 0);
    let keys = cache.keys(ISSUER, None, at(30)).await.unwrap();
    assert_eq!(fake.fetches(), 1);
    // A later failure keeps the cached keys.
    fake.down.store(true, Ordering::SeqCst);
    let again = cache.keys(ISSUER, Some("made-up"), at(61)).await.unwrap();
    assert!(Arc::ptr_eq(&keys, &again));
}

#[tokio::test]
async fn discovery_must_name_the_configured_issuer() {
    let fake = Fake::new(Duration::ZERO);
    let cache = JwksCache::new(fake.clone());
    let other = format!("{ISSUER}/");
    assert!(matches!(
        cache.keys(&other, None, at(0)).await,
        Err(FetchError::Discovery { .. })
    ));
    assert_eq!(fake.fetches(), 0);
}
