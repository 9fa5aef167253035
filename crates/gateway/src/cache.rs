//! The stage response cache: API Gateway's cache cluster, in this process's memory.
//!
//! One [`StageCache`] per API stage with `cache_cluster` enabled, bounded by its size in bytes
//! (moka's TinyLFU evicts what is least likely to be used again) and expiring each entry after its
//! method's TTL. The caches live in [`CacheRegistry`], owned by `Services`, so that a
//! configuration reload keeps the cached responses (a stage whose size changed gets a new, empty
//! cache); a deployment holds the `Arc` of each of its stages' caches.
//!
//! What is stored is a whole response — status, headers, body — of at most [`MAX_ENTRY_BYTES`]
//! (API Gateway's limit on a cached response), keyed by [`cache_key`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use moka::sync::Cache;

/// API Gateway does not cache a response larger than 1 MB.
pub const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// A response as the cache keeps it.
pub struct CachedResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub ttl: Duration,
}

impl CachedResponse {
    fn weight(&self) -> u32 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 32)
            .sum();
        u32::try_from(self.body.len() + headers + 64).unwrap_or(u32::MAX)
    }
}

struct EntryTtl;

impl moka::Expiry<String, Arc<CachedResponse>> for EntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Arc<CachedResponse>,
        _at: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

pub struct StageCache {
    entries: Cache<String, Arc<CachedResponse>>,
    size_mb: u64,
}

impl StageCache {
    fn new(size_mb: u64) -> StageCache {
        StageCache {
            entries: Cache::builder()
                .max_capacity(size_mb.saturating_mul(1024 * 1024))
                .weigher(|_k: &String, v: &Arc<CachedResponse>| v.weight())
                .expire_after(EntryTtl)
                .build(),
            size_mb,
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.entries.get(key)
    }

    pub fn insert(&self, key: String, response: CachedResponse) {
        if response.ttl.is_zero() || response.body.len() > MAX_ENTRY_BYTES {
            return;
        }
        self.entries.insert(key, Arc::new(response));
    }

    pub fn invalidate(&self, key: &str) {
        self.entries.invalidate(key);
    }

    /// Drops every entry (FlushStageCache).
    pub fn flush(&self) {
        self.entries.invalidate_all();
    }

    /// Entries currently held (after pending evictions run), for tests and the admin API.
    pub fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every stage cache of the process, kept across deployments.
#[derive(Default)]
pub struct CacheRegistry {
    caches: Mutex<HashMap<(String, String), Arc<StageCache>>>,
}

impl CacheRegistry {
    /// The cache of `api`/`stage` with `size_mb`: the existing one if its size is unchanged.
    pub(crate) fn stage(&self, api: &str, stage: &str, size_mb: u64) -> Arc<StageCache> {
        let mut caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        let slot = caches
            .entry((api.to_string(), stage.to_string()))
            .or_insert_with(|| Arc::new(StageCache::new(size_mb)));
        if slot.size_mb != size_mb {
            *slot = Arc::new(StageCache::new(size_mb));
        }
        Arc::clone(slot)
    }

    /// Forgets the caches of stages no longer deployed.
    pub(crate) fn retain(&self, live: &[(String, String)]) {
        let mut caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        caches.retain(|k, _| live.contains(k));
    }

    pub fn get(&self, api: &str, stage: &str) -> Option<Arc<StageCache>> {
        let caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        caches.get(&(api.to_string(), stage.to_string())).cloned()
    }
}

/// The cache key of a request: the namespace (the integration's `cacheNamespace`, else the
/// resource path), the method, and each cache key parameter's name and value. Every part is
/// length-prefixed, so no value can forge another key's boundaries.
pub fn cache_key<'a>(
    namespace: &str,
    verb: &str,
    params: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> String {
    use std::fmt::Write;
    fn part(key: &mut String, s: &str) {
        let _ = write!(key, "{}:{s}|", s.len());
    }
    let mut key = String::with_capacity(64);
    part(&mut key, namespace);
    part(&mut key, verb);
    for (name, value) in params {
        part(&mut key, name);
        match value {
            Some(v) => part(&mut key, v),
            // An absent parameter differs from an empty one.
            None => key.push('-'),
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_collide_through_separators() {
        let a = cache_key("/pets", "GET", [("q.type", Some("a|1:b"))]);
        let b = cache_key("/pets", "GET", [("q.type", Some("a")), ("1:b", None)]);
        assert_ne!(a, b);
        assert_ne!(
            cache_key("/pets", "GET", [("q.type", Some(""))]),
            cache_key("/pets", "GET", [("q.type", None)])
        );
    }

    #[test]
    fn entries_expire_and_are_bounded() {
        let cache = StageCache::new(1);
        let response = |len: usize, ttl: u64| CachedResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; len]),
            ttl: Duration::from_secs(ttl),
        };
        cache.insert("zero".into(), response(10, 0));
        cache.insert("huge".into(), response(MAX_ENTRY_BYTES + 1, 60));
        assert!(cache.is_empty());
        for i in 0..40 {
            cache.insert(format!("k{i}"), response(100 * 1024, 60));
        }
        // 40 × 100 KB into 1 MB: eviction keeps the total under the bound.
        assert!(cache.len() <= 10, "{}", cache.len());
        cache.flush();
        assert!(cache.is_empty());
    }

    #[test]
    fn the_registry_keeps_a_cache_across_deployments_unless_resized() {
        let registry = CacheRegistry::default();
        let a = registry.stage("api", "prod", 8);
        assert!(Arc::ptr_eq(&a, &registry.stage("api", "prod", 8)));
        assert!(!Arc::ptr_eq(&a, &registry.stage("api", "prod", 16)));
        registry.retain(&[]);
        assert!(registry.get("api", "prod").is_none());
    }
}
