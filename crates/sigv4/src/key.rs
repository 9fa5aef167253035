//! Signing keys and their cache.
//!
//! A SigV4 signing key is `HMAC("AWS4" + secret, date) → region → service → "aws4_request"`: four
//! HMACs, about 3.5 µs here, more than the rest of a verification. It changes only when the secret
//! or the UTC day changes, so the gateway derives it once per (secret, date, region, service) and
//! keeps it in a [`KeyCache`]. What is cached is ring's prepared `hmac::Key` (inner and outer pads
//! already absorbed), which also saves two SHA-256 compressions per signature check.
//!
//! The cache is sharded (one `Mutex<HashMap>` per shard, chosen by a keyed hash), bounded, and
//! evicts an arbitrary entry of a full shard — keys are cheap to rebuild, and a day's working set is
//! small, so nothing cleverer pays for itself. An entry remembers the full tuple it was derived
//! from and is only returned when the tuple matches, so a hash collision can never hand out another
//! secret's key.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ring::hmac;

use crate::ALGORITHM_TERMINATOR;

/// A derived SigV4 signing key, ready to sign strings to sign. `Debug` never shows key material.
#[derive(Clone)]
pub struct SigningKey {
    key: hmac::Key,
}

impl SigningKey {
    /// Derives the signing key for `secret` on `date` (`YYYYMMDD`) in `region` for `service`.
    #[must_use]
    pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> Self {
        let mut seed = Vec::with_capacity(4 + secret.len());
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret.as_bytes());
        let k_date = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &seed), date.as_bytes());
        // Best effort: do not leave the secret copy in freed memory longer than needed.
        seed.fill(0);
        let k_region = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, k_date.as_ref()),
            region.as_bytes(),
        );
        let k_service = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, k_region.as_ref()),
            service.as_bytes(),
        );
        let k_signing = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, k_service.as_ref()),
            ALGORITHM_TERMINATOR.as_bytes(),
        );
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref()),
        }
    }

    /// HMAC-SHA256 of `data` pieces under this key.
    pub(crate) fn sign_parts(&self, feed: impl FnOnce(&mut dyn FnMut(&[u8]))) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.key);
        feed(&mut |p: &[u8]| ctx.update(p));
        let tag = ctx.sign();
        let mut out = [0u8; 32];
        if let Some(bytes) = tag.as_ref().get(..32) {
            out.copy_from_slice(bytes);
        }
        out
    }

    /// HMAC-SHA256 of `data` under this key, as lowercase hex (the SigV4 signature of a string to sign).
    #[must_use]
    pub fn sign_hex(&self, data: &[u8]) -> String {
        let tag = self.sign_parts(|f| f(data));
        let hex = crate::encode::hex32(&tag);
        String::from_utf8_lossy(&hex).into_owned()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

struct Entry {
    secret: Box<str>,
    date: Box<str>,
    region: Box<str>,
    service: Box<str>,
    key: Arc<SigningKey>,
}

impl Entry {
    fn matches(&self, secret: &str, date: &str, region: &str, service: &str) -> bool {
        // A plain comparison is enough: both secrets are the server's own (the caller looked the
        // secret up by access key), so its timing tells a client nothing it could steer or use.
        *self.secret == *secret
            && *self.date == *date
            && *self.region == *region
            && *self.service == *service
    }
}

/// Power of two, so a masked hash indexes the shard array.
const SHARDS: usize = 16;

/// A bounded, thread-safe cache of derived signing keys, keyed by (secret, date, region, service).
///
/// Hits cost a keyed hash of the tuple, one uncontended mutex and an `Arc` clone.
pub struct KeyCache {
    shards: [Mutex<HashMap<u64, Entry>>; SHARDS],
    per_shard: usize,
    hasher: RandomState,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl KeyCache {
    /// Default capacity: a few thousand keys, far more than one gateway's active keys per day.
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// A cache holding at most `capacity` keys (rounded up to a multiple of the shard count).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        Self {
            shards: std::array::from_fn(|_| Mutex::new(HashMap::with_capacity(per_shard.min(64)))),
            per_shard,
            hasher: RandomState::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Returns the signing key for the tuple, deriving and caching it on a miss.
    pub fn get_or_derive(
        &self,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Arc<SigningKey> {
        let h = self.hasher.hash_one((secret, date, region, service));
        let shard = self.shard(h);
        {
            let map = shard.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(e) = map
                .get(&h)
                .filter(|e| e.matches(secret, date, region, service))
            {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Arc::clone(&e.key);
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // Derive outside the lock: four HMACs should not serialize other threads' hits.
        let key = Arc::new(SigningKey::derive(secret, date, region, service));
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.per_shard
            && !map.contains_key(&h)
            && let Some(victim) = map.keys().next().copied()
        {
            map.remove(&victim);
        }
        map.insert(
            h,
            Entry {
                secret: secret.into(),
                date: date.into(),
                region: region.into(),
                service: service.into(),
                key: Arc::clone(&key),
            },
        );
        key
    }

    fn shard(&self, h: u64) -> &Mutex<HashMap<u64, Entry>> {
        // The low bits pick the bucket inside a shard's map; use the top bits for the shard. The
        // mask keeps the index below `SHARDS`, the array's length.
        let idx = (h >> 60) as usize & (SHARDS - 1);
        // `idx < SHARDS` by the mask above: cannot panic.
        #[allow(clippy::indexing_slicing)]
        let shard = &self.shards[idx];
        shard
    }

    /// Number of cached keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// `true` when no key is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most keys this cache holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }

    /// `(hits, misses)` since creation, for metrics.
    #[must_use]
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Forgets every key (e.g. after secrets were rotated).
    pub fn clear(&self) {
        for s in &self.shards {
            s.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hits, misses) = self.stats();
        f.debug_struct("KeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("hits", &hits)
            .field("misses", &misses)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn derivation_matches_aws_example() {
        // From AWS's SigV4 documentation: the get-vanilla string to sign signs to this signature.
        let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "service");
        let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
        assert_eq!(
            key.sign_hex(sts.as_bytes()),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn hit_returns_the_same_key() {
        let cache = KeyCache::new(64);
        let a = cache.get_or_derive(SECRET, "20150830", "us-east-1", "service");
        let b = cache.get_or_derive(SECRET, "20150830", "us-east-1", "service");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(cache.stats(), (1, 1));
        assert_eq!(cache.len(), 1);
        // Any change to the tuple is a different key.
        for (s, d, r, v) in [
            ("other", "20150830", "us-east-1", "service"),
            (SECRET, "20150831", "us-east-1", "service"),
            (SECRET, "20150830", "us-west-2", "service"),
            (SECRET, "20150830", "us-east-1", "execute-api"),
        ] {
            let c = cache.get_or_derive(s, d, r, v);
            assert!(!Arc::ptr_eq(&a, &c));
            assert_ne!(a.sign_hex(b"x"), c.sign_hex(b"x"));
        }
        assert_eq!(cache.len(), 5);
    }

    #[test]
    fn size_is_bounded() {
        let cache = KeyCache::new(32);
        for i in 0..1000 {
            let _ = cache.get_or_derive(&format!("secret{i}"), "20150830", "us-east-1", "service");
        }
        assert!(cache.len() <= cache.capacity());
        assert_eq!(cache.capacity(), 32);
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn debug_never_shows_keys_or_secrets() {
        let cache = KeyCache::new(8);
        let k = cache.get_or_derive(SECRET, "20150830", "us-east-1", "service");
        let dbg = format!("{cache:?} {k:?}");
        assert!(!dbg.contains(SECRET));
        assert!(dbg.contains("redacted"));
    }
}
