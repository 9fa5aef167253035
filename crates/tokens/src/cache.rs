//! [`CachingValidator`]: a [`Validator`] that remembers the tokens it verified, so that a client
//! sending the same token on every request pays for one RSA verification, not one per request.
//!
//! Entries are keyed by the SHA-256 of the token (the cache holds no bearer token an attacker
//! could read from memory dumps, and two tokens collide only by breaking SHA-256) and hold the
//! verified claims. A hit is checked against the caller's `now` with the same window the full
//! validation used (`nbf`/`iat`/`exp` with the skew), so the answer does not depend on whether
//! the token was cached; the cache's own expiry (at `exp`, measured from insertion) only frees
//! memory. The cache is bounded in entries (`moka`, TinyLFU admission).
//!
//! Refusals are not cached: garbage tokens would otherwise evict good ones, and a refusal is
//! cheap to repeat except for the signature check, which an attacker cannot make us do without
//! a `kid` we know. The cache belongs to one validator (same issuer, keys, audiences, scopes):
//! a token accepted under one configuration says nothing about another, and new keys make a
//! new validator with an empty cache. Revocation (a deny-list by `origin_jti`) stays the
//! caller's check, after this one, on the [`Verified`] it returns.

use std::time::{Duration, Instant, SystemTime};

use moka::Expiry;
use moka::sync::Cache;

use crate::claims::Verified;
use crate::error::TokenError;
use crate::time::signed_seconds;
use crate::validate::{MAX_TOKEN_BYTES, Validator};

type TokenHash = [u8; 32];

#[derive(Clone)]
struct Entry {
    verified: Verified,
    /// From insertion to the end of the validity window.
    ttl: Duration,
}

struct UntilExpiry;

impl Expiry<TokenHash, Entry> for UntilExpiry {
    fn expire_after_create(&self, _: &TokenHash, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// A validator with a cache of verified tokens.
pub struct CachingValidator {
    validator: Validator,
    cache: Cache<TokenHash, Entry>,
}

impl std::fmt::Debug for CachingValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingValidator")
            .field("validator", &self.validator)
            .field("entries", &self.cache.entry_count())
            .finish()
    }
}

impl CachingValidator {
    /// Wraps `validator` with a cache of at most `max_entries` tokens.
    pub fn new(validator: Validator, max_entries: u64) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_entries)
            .expire_after(UntilExpiry)
            .build();
        Self { validator, cache }
    }

    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The same answer as [`Validator::validate`], from the cache when the token was verified
    /// before.
    pub fn validate(&self, token: &[u8], now: SystemTime) -> Result<Verified, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLarge {
                max: MAX_TOKEN_BYTES,
            });
        }
        let key = hash(token);
        let now_secs = signed_seconds(now);
        if let Some(entry) = self.cache.get(&key) {
            if entry.verified.still_valid(now_secs) {
                return Ok(entry.verified);
            }
            // Outside its window: validate again, which gives the precise refusal.
            self.cache.invalidate(&key);
        }
        let verified = self.validator.validate(token, now)?;
        let remaining = verified.valid_until().saturating_sub(now_secs);
        if let Ok(secs) = u64::try_from(remaining)
            && secs > 0
            && verified.still_valid(now_secs)
        {
            let ttl = Duration::from_secs(secs);
            self.cache.insert(
                key,
                Entry {
                    verified: verified.clone(),
                    ttl,
                },
            );
        }
        Ok(verified)
    }

    /// How many tokens are cached (approximate: moka counts lazily).
    pub fn entry_count(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }
}

fn hash(token: &[u8]) -> TokenHash {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token);
    let mut out = [0u8; 32];
    // SHA-256 digests are 32 bytes: the lengths always match.
    out.copy_from_slice(digest.as_ref());
    out
}
