//! [`Counters`] in this process's memory: for one node, or for tests.
//!
//! Memory is bounded two ways:
//!
//! - **Idle keys go.** A key is dropped once its state is back to that of a key never seen —
//!   its bucket refilled, its quota period over, its window passed — as computed from the `now`
//!   of its last update, plus [`GRACE`] (measured on the process's monotonic clock, which is
//!   what the cache runs on). Dropping such a key changes no answer.
//! - **At most `max_keys` per kind.** Past that, the cache evicts the keys it judges least
//!   likely to be used again (moka's TinyLFU). An evicted key starts afresh — a full bucket, a
//!   zero count — which errs on the permissive side, as a restarted node does. Size `max_keys`
//!   above the number of keys in use (API keys × methods) so that this never happens in
//!   practice.
//!
//! If callers pass a clock slower than the process's (a frozen test clock), a key may come back
//! fresh once its lifetime plus [`GRACE`] has passed in real time.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use moka::ops::compute::Op;
use moka::sync::Cache;

use crate::math::{self, bucket, quota, window};
use crate::{BucketSpec, Counters, CountersError, Decision, QuotaSpec, QuotaState};

/// How long past the moment its state stops mattering a key is kept (see the module docs).
pub const GRACE: Duration = Duration::from_secs(60);

/// The default bound on keys of each kind (buckets, quotas, windows).
pub const DEFAULT_MAX_KEYS: u64 = 100_000;

/// A kept state and how long it matters.
#[derive(Clone)]
struct Held<S> {
    state: S,
    keep_for: Duration,
}

struct UntilStale;

impl<S> moka::Expiry<String, Held<S>> for UntilStale {
    fn expire_after_create(
        &self,
        _key: &String,
        held: &Held<S>,
        _at: std::time::Instant,
    ) -> Option<Duration> {
        Some(held.keep_for.saturating_add(GRACE))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        held: &Held<S>,
        _at: std::time::Instant,
        _until_now: Option<Duration>,
    ) -> Option<Duration> {
        Some(held.keep_for.saturating_add(GRACE))
    }
}

fn cache<S: Clone + Send + Sync + 'static>(max_keys: u64) -> Cache<String, Held<S>> {
    Cache::builder()
        .max_capacity(max_keys)
        .expire_after(UntilStale)
        .build()
}

/// Reads and updates `key` atomically: `f` gets the kept state and returns the new one (with
/// how long it matters; zero drops the key) and the answer.
fn update<S, R>(
    cache: &Cache<String, Held<S>>,
    key: &str,
    f: impl FnOnce(Option<S>) -> (S, Duration, R),
) -> Result<R, CountersError>
where
    S: Clone + Send + Sync + 'static,
{
    let mut answer = None;
    cache.entry_by_ref(key).and_compute_with(|entry| {
        let (state, keep_for, r) = f(entry.map(|e| e.into_value().state));
        answer = Some(r);
        if keep_for.is_zero() {
            Op::Remove
        } else {
            Op::Put(Held { state, keep_for })
        }
    });
    // The cache calls the closure exactly once; this is not expected to happen.
    answer.ok_or_else(|| CountersError::Unavailable("the counter was not updated".into()))
}

/// Buckets, quotas and windows in this process's memory. See the module docs for its bounds.
pub struct MemoryCounters {
    buckets: Cache<String, Held<Option<u64>>>,
    quotas: Cache<String, Held<quota::QuotaCount>>,
    windows: Cache<String, Held<window::WindowCount>>,
}

impl Default for MemoryCounters {
    fn default() -> Self {
        MemoryCounters::new(DEFAULT_MAX_KEYS)
    }
}

impl MemoryCounters {
    /// Counters keeping at most `max_keys` keys of each kind.
    pub fn new(max_keys: u64) -> MemoryCounters {
        MemoryCounters {
            buckets: cache(max_keys),
            quotas: cache(max_keys),
            windows: cache(max_keys),
        }
    }

    /// How many keys are kept, all kinds together (approximate: the cache applies evictions and
    /// expirations lazily).
    pub fn len(&self) -> u64 {
        self.buckets.run_pending_tasks();
        self.quotas.run_pending_tasks();
        self.windows.run_pending_tasks();
        self.buckets.entry_count() + self.quotas.entry_count() + self.windows.entry_count()
    }

    /// Whether no key is kept (see [`MemoryCounters::len`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl Counters for MemoryCounters {
    async fn take(
        &self,
        key: &str,
        spec: BucketSpec,
        n: u64,
        now: SystemTime,
    ) -> Result<Decision, CountersError> {
        let b = bucket::Bucket::new(spec)?;
        let now = math::nanos(now);
        update(&self.buckets, key, |tat| {
            let (tat, decision) = bucket::take(b, tat.flatten(), n, now);
            (tat, bucket::full_in(tat, now), decision)
        })
    }

    async fn quota_add(
        &self,
        key: &str,
        spec: QuotaSpec,
        n: u64,
        now: SystemTime,
    ) -> Result<QuotaState, CountersError> {
        update(&self.quotas, key, |count| {
            let (count, state) = quota::add(spec, count, n, now);
            (count, quota::matters_for(count, &state, now), state)
        })
    }

    async fn window_add(
        &self,
        key: &str,
        length: Duration,
        n: u64,
        now: SystemTime,
    ) -> Result<u64, CountersError> {
        let w = window::length(length)?;
        let now = math::nanos(now);
        update(&self.windows, key, |kept| {
            let kept = window::add(w, kept, n, now);
            (kept, window::matters_for(w, kept, now), kept.count)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Period;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    const BUCKET: BucketSpec = BucketSpec {
        rate_per_sec: 1.0,
        burst: 2,
    };

    #[tokio::test]
    async fn buckets_are_per_key() {
        let c = MemoryCounters::default();
        for _ in 0..2 {
            assert!(c.take("a", BUCKET, 1, t(0)).await.expect("take").allowed);
        }
        let refused = c.take("a", BUCKET, 1, t(0)).await.expect("take");
        assert_eq!(refused.retry_after, Some(Duration::from_secs(1)));
        assert!(c.take("b", BUCKET, 1, t(0)).await.expect("take").allowed);
        assert!(c.take("a", BUCKET, 1, t(1)).await.expect("take").allowed);
    }

    #[tokio::test]
    async fn kinds_are_separate_namespaces() {
        let c = MemoryCounters::default();
        let quota = QuotaSpec {
            limit: 1,
            period: Period::Day,
            offset: 0,
            starts: t(0),
        };
        assert!(
            c.quota_add("k", quota, 1, t(0))
                .await
                .expect("quota")
                .allowed
        );
        assert!(
            !c.quota_add("k", quota, 1, t(0))
                .await
                .expect("quota")
                .allowed
        );
        assert!(c.take("k", BUCKET, 1, t(0)).await.expect("take").allowed);
        assert_eq!(
            c.window_add("k", Duration::from_secs(60), 3, t(0)).await,
            Ok(3)
        );
        assert_eq!(
            c.window_add("k", Duration::from_secs(60), 1, t(1)).await,
            Ok(4)
        );
    }

    #[tokio::test]
    async fn invalid_specs_are_errors() {
        let c = MemoryCounters::default();
        let nan = BucketSpec {
            rate_per_sec: f64::NAN,
            burst: 1,
        };
        assert!(matches!(
            c.take("k", nan, 1, t(0)).await,
            Err(CountersError::InvalidSpec(_))
        ));
        assert!(c.window_add("k", Duration::ZERO, 1, t(0)).await.is_err());
    }

    #[tokio::test]
    async fn state_equal_to_fresh_is_not_kept() {
        let c = MemoryCounters::default();
        // Refused for good, a peek, nothing counted: nothing to remember.
        let huge = BucketSpec {
            rate_per_sec: 1.0,
            burst: 0,
        };
        let _ = c.take("refused", huge, 1, t(0)).await;
        let _ = c.take("peek", BUCKET, 0, t(0)).await;
        let _ = c.window_add("zero", Duration::from_secs(1), 0, t(0)).await;
        assert!(c.is_empty());
        // A take is remembered until the bucket is full again.
        let _ = c.take("used", BUCKET, 1, t(0)).await;
        assert_eq!(c.len(), 1);
    }

    #[tokio::test]
    async fn the_key_count_is_bounded() {
        let c = MemoryCounters::new(50);
        for i in 0..500 {
            let _ = c.take(&format!("key-{i}"), BUCKET, 1, t(0)).await;
        }
        assert!(c.len() <= 50, "{} keys kept", c.len());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_takes_never_overspend() {
        let c = Arc::new(MemoryCounters::default());
        let spec = BucketSpec {
            rate_per_sec: 0.001,
            burst: 100,
        };
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move {
                    let mut allowed = 0u32;
                    for _ in 0..100 {
                        allowed += u32::from(
                            c.take("shared", spec, 1, t(0))
                                .await
                                .is_ok_and(|d| d.allowed),
                        );
                    }
                    allowed
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("task");
        }
        assert_eq!(total, 100);
    }
}
