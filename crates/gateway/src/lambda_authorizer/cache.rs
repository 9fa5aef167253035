//! The authorizer cache, as API Gateway keeps one: a Lambda authorizer's answer for an identity
//! is reused for `authorizerResultTtlInSeconds` (0: never cached). The key is the identity-source
//! values (TOKEN: the token) together with the authorizer's *fingerprint* — API, stage, function
//! and the whole authorizer definition — so that a reload changing an authorizer never serves
//! an answer the old one gave, while an unchanged one keeps its entries. What is cached is the
//! answer (principal, policy, context) or `Unauthorized`; the policy is evaluated again for each
//! request's method ARN by the authorize phase. Failures (function errors, timeouts, malformed
//! answers) are not cached.
//!
//! Concurrent misses for one key invoke the function once: the first fills the entry's cell while
//! the others wait for it and share its answer (should it fail, the next waiter tries again).
//! Expiry is decided by the gateway's clock (which tests set); the cache's own timer, the same
//! TTL in real time, only frees memory. Bounded by entry count; keys are SHA-256 digests, so no
//! token is kept in memory as a key.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use moka::Expiry;
use moka::sync::Cache;
use tokio::sync::OnceCell;

use crate::pipeline::identity::AuthorizerResult;

/// What an authorizer decided for an identity.
#[derive(Clone)]
pub enum Cached {
    /// It answered with a policy (which may still deny a given method).
    Allow(Arc<AuthorizerResult>),
    /// The function failed with the error `Unauthorized`: 401.
    Unauthorized,
}

/// SHA-256 of an authorizer's fingerprint and the identity values.
pub type CacheKey = [u8; 32];

/// The key for `values` of the authorizer with `fingerprint`; each value is length-prefixed, so
/// no two lists of values share a key.
pub fn cache_key<'a>(
    fingerprint: &[u8; 32],
    values: impl IntoIterator<Item = &'a str>,
) -> CacheKey {
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    digest.update(fingerprint);
    for value in values {
        digest.update(&(value.len() as u64).to_be_bytes());
        digest.update(value.as_bytes());
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(digest.finish().as_ref());
    key
}

/// The fingerprint of an authorizer as one stage of one API runs it.
pub fn fingerprint(api: &str, stage: &str, function: &str, definition: &str) -> [u8; 32] {
    cache_key(&[0; 32], [api, stage, function, definition])
}

/// Entries kept at most (each is one principal's compiled policy and context).
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;

pub struct AuthorizerCache {
    slots: Cache<CacheKey, Arc<Slot>>,
}

struct Slot {
    ttl: Duration,
    answer: OnceCell<(SystemTime, Cached)>,
}

struct SlotExpiry;

impl Expiry<CacheKey, Arc<Slot>> for SlotExpiry {
    fn expire_after_create(&self, _: &CacheKey, slot: &Arc<Slot>, _: Instant) -> Option<Duration> {
        Some(slot.ttl)
    }
}

impl Default for AuthorizerCache {
    fn default() -> Self {
        AuthorizerCache::new(DEFAULT_MAX_ENTRIES)
    }
}

impl AuthorizerCache {
    pub fn new(max_entries: u64) -> AuthorizerCache {
        AuthorizerCache {
            slots: Cache::builder()
                .max_capacity(max_entries)
                .expire_after(SlotExpiry)
                .build(),
        }
    }

    /// The answer cached for `key` while younger than `ttl` at `now`, else the one `fill`
    /// produces (cached when it is `Ok`). The flag says whether the answer came from the cache.
    pub async fn get_or_fill<E, F, Fut>(
        &self,
        key: CacheKey,
        ttl: Duration,
        now: SystemTime,
        fill: F,
    ) -> Result<(Cached, bool), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Cached, E>>,
    {
        let slot = self.slot(key, ttl, now);
        let mut filled_here = false;
        let (_, answer) = slot
            .answer
            .get_or_try_init(|| {
                filled_here = true;
                async move { fill().await.map(|answer| (now, answer)) }
            })
            .await?;
        Ok((answer.clone(), !filled_here))
    }

    /// The slot for `key`: the current one, unless its answer is older than `ttl` by the
    /// gateway's clock, in which case a new, empty one replaces it.
    fn slot(&self, key: CacheKey, ttl: Duration, now: SystemTime) -> Arc<Slot> {
        let new = || {
            Arc::new(Slot {
                ttl,
                answer: OnceCell::new(),
            })
        };
        let slot = self.slots.get_with(key, new);
        let stale = slot
            .answer
            .get()
            .is_some_and(|(at, _)| now.duration_since(*at).is_ok_and(|age| age >= ttl));
        if stale {
            self.slots.invalidate(&key);
            return self.slots.get_with(key, new);
        }
        slot
    }

    /// Entries held now (approximate; for tests and metrics).
    pub fn len(&self) -> u64 {
        self.slots.run_pending_tasks();
        self.slots.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn allow() -> Cached {
        Cached::Allow(Arc::new(AuthorizerResult {
            principal_id: "p".into(),
            policy: Arc::new(iam::PolicySet::new([])),
            context: Default::default(),
            usage_identifier_key: None,
        }))
    }

    const TTL: Duration = Duration::from_secs(300);

    #[tokio::test]
    async fn hits_until_the_ttl_by_the_gateway_clock() {
        let cache = AuthorizerCache::default();
        let calls = AtomicUsize::new(0);
        let key = cache_key(&[1; 32], ["token"]);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for (at, hit) in [(0, false), (299, true), (300, false), (301, true)] {
            let now = t0 + Duration::from_secs(at);
            let (_, was_hit) = cache
                .get_or_fill(key, TTL, now, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(allow())
                })
                .await
                .unwrap();
            assert_eq!(was_hit, hit, "at +{at}s");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let cache = AuthorizerCache::default();
        let key = cache_key(&[1; 32], ["token"]);
        let now = SystemTime::now();
        let failed = cache
            .get_or_fill(key, TTL, now, || async { Err::<Cached, _>("boom") })
            .await;
        assert!(failed.is_err());
        let (answer, hit) = cache
            .get_or_fill(key, TTL, now, || async {
                Ok::<_, ()>(Cached::Unauthorized)
            })
            .await
            .unwrap();
        assert!(matches!(answer, Cached::Unauthorized) && !hit);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_fill_once() {
        let cache = Arc::new(AuthorizerCache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let key = cache_key(&[2; 32], ["token"]);
        let now = SystemTime::now();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (cache, calls) = (cache.clone(), calls.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_fill(key, TTL, now, || async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok::<_, ()>(allow())
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn keys_separate_values_and_authorizers() {
        let f = [3; 32];
        assert_ne!(cache_key(&f, ["ab", "c"]), cache_key(&f, ["a", "bc"]));
        assert_ne!(cache_key(&f, ["a"]), cache_key(&[4; 32], ["a"]));
        assert_eq!(cache_key(&f, ["a"]), cache_key(&f, ["a"]));
        assert_ne!(
            fingerprint("api", "prod", "auth", "def"),
            fingerprint("api", "dev", "auth", "def")
        );
    }

    #[test]
    fn bounded() {
        let cache = AuthorizerCache::new(10);
        for i in 0..100u32 {
            let key = cache_key(&[0; 32], [i.to_string().as_str()]);
            let _ = cache.slot(key, TTL, SystemTime::now());
        }
        assert!(cache.len() <= 10, "{}", cache.len());
    }
}
