//! Rate limits as API Gateway counts them: token buckets (throttling), quotas per calendar period
//! (usage plans) and counts over fixed windows, behind one async trait, [`Counters`].
//!
//! The arithmetic is pure and lives in [`math`]: every backend applies the same functions to the
//! state it keeps, so the in-memory implementation ([`MemoryCounters`]) and a shared one (Redis,
//! for several nodes) answer alike. Time is always a parameter (`now`); nothing here reads a
//! clock to decide anything.
//!
//! Keys are the caller's (an API key id, `stage/method/resource`, …). The three kinds of counter
//! are separate namespaces: a bucket and a quota may share a key.

// On the request path: no code path may panic on what a request brings. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod math;
mod memory;

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

pub use memory::{DEFAULT_MAX_KEYS, MemoryCounters};

/// A token bucket, API Gateway's throttling: `burst` requests at once, refilled at
/// `rate_per_sec` per second in steady state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketSpec {
    /// Steady-state requests per second (API Gateway's `rateLimit`); fractions allowed. Zero
    /// throttles every request.
    pub rate_per_sec: f64,
    /// The bucket's size: how many requests may arrive at once (`burstLimit`). Zero throttles
    /// every request.
    pub burst: u64,
}

/// What [`Counters::take`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// For a refusal, how long until the same take would succeed (if nothing else takes
    /// meanwhile). `None` when allowed, or when it never can (more than `burst` at once, or a
    /// zero rate).
    pub retry_after: Option<Duration>,
}

/// The calendar periods of a usage plan's quota, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// From 00:00 UTC to the next.
    Day,
    /// From Monday 00:00 UTC (ISO 8601 weeks) to the next.
    Week,
    /// From the 1st, 00:00 UTC, to the next month's.
    Month,
}

/// A quota: at most `limit` requests per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaSpec {
    pub limit: u64,
    pub period: Period,
    /// API Gateway's `offset`: requests subtracted from `limit` in the initial period, the one
    /// that contains `starts`.
    pub offset: u64,
    /// When the quota took effect (the usage plan's creation, say). Only `offset` depends on it;
    /// periods are calendar periods whatever it is.
    pub starts: SystemTime,
}

/// A quota's state after [`Counters::quota_add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaState {
    /// Whether the requests were counted: a quota refuses (and does not count) what would take
    /// it past its limit.
    pub allowed: bool,
    /// Requests counted in the current period.
    pub used: u64,
    /// Requests still allowed in the current period.
    pub remaining: u64,
    /// When the current period ends and the count starts again from zero.
    pub resets_at: SystemTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountersError {
    /// A spec no counter can follow (a negative or NaN rate, a zero window).
    #[error("invalid counter spec: {0}")]
    InvalidSpec(&'static str),
    /// The backend did not answer (a shared backend over the network).
    #[error("counter storage is unreachable: {0}")]
    Unavailable(String),
}

/// Counters, shared by every request (and, with a shared backend, every node). Each call reads
/// and updates one key atomically.
#[async_trait]
pub trait Counters: Send + Sync + 'static {
    /// Takes `n` tokens from the bucket `key` at `now`, or none if there are not `n`. A refusal
    /// changes nothing; `n = 0` is always allowed and changes nothing.
    async fn take(
        &self,
        key: &str,
        bucket: BucketSpec,
        n: u64,
        now: SystemTime,
    ) -> Result<Decision, CountersError>;

    /// Counts `n` requests against the quota `key` in the period containing `now`, unless that
    /// would exceed the limit (then nothing is counted). `n = 0` reads the state.
    async fn quota_add(
        &self,
        key: &str,
        quota: QuotaSpec,
        n: u64,
        now: SystemTime,
    ) -> Result<QuotaState, CountersError>;

    /// Adds `n` to the count of `key` in the current `window` and returns that count. Windows are
    /// fixed and aligned to the Unix epoch (`[k·window, (k+1)·window)`), so every node and
    /// backend agrees on where one ends.
    async fn window_add(
        &self,
        key: &str,
        window: Duration,
        n: u64,
        now: SystemTime,
    ) -> Result<u64, CountersError>;
}
