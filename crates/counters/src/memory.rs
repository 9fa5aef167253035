//! [`Counters`] in this process's memory: for one node, or for tests.
//!
//! Built for the request path's budget (the throttle check, a few hundred nanoseconds): a take on
//! a key already seen is one read lock on its shard, one hash lookup and one compare-and-swap of
//! the bucket's TAT — no allocation and nothing that waits. A quota or window holds a small mutex
//! per key instead (its state is two numbers updated together). Only a key's first use takes the
//! shard's write lock and allocates.
//!
//! Written by hand rather than on a cache crate: moka's atomic `compute` costs microseconds per
//! call, and eviction here needs to know each entry's state (below), which a general-purpose
//! concurrent map (dashmap) does not expose per shard.
//!
//! Memory is bounded: at most `max_keys` keys of each kind, spread over shards. When a new key
//! arrives at a full shard, the shard first drops every key whose state at `now` is that of a key
//! never seen — its bucket full again, its quota period or window over — which changes no
//! answer. If that frees nothing, it drops the one key whose state stops mattering soonest; that
//! key starts afresh (a full bucket, a zero count), erring on the permissive side as a restarted
//! node does. Size `max_keys` above the number of keys in use (API keys × methods) so that this
//! never happens in practice. A state equal to a fresh key's (a refusal on a key never seen, a
//! read) is never stored.
//!
//! Staleness is judged on the `now` callers pass, like every answer: nothing here reads a clock.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use foldhash::fast::RandomState;
use hashbrown::HashTable;

use crate::math::{self, bucket, quota, window};
use crate::{BucketSpec, Counters, CountersError, Decision, QuotaSpec, QuotaState};

/// The default bound on keys of each kind (buckets, quotas, windows).
pub const DEFAULT_MAX_KEYS: u64 = 100_000;

/// Shards per kind: enough that two workers rarely meet on one lock.
const SHARDS: u64 = 64;

/// A kept state that knows when it stops mattering.
trait Kept: Default {
    /// The instant (ns since the epoch) from which this state equals a fresh key's.
    fn stale_from(&self) -> u64;
}

/// A bucket's TAT (GCRA, see [`bucket`]); 0 stands for `None` (never used, full), which no take
/// can produce (a take always adds at least one nanosecond to a TAT of at least `now`). The
/// bucket is full again at its TAT.
#[derive(Default)]
struct Tat(AtomicU64);

impl Kept for Tat {
    fn stale_from(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// A quota's or window's state, and when it stops mattering.
struct Timed<S> {
    state: Option<S>,
    until: u64,
}

impl<S> Default for Timed<S> {
    fn default() -> Self {
        Timed {
            state: None,
            until: 0,
        }
    }
}

impl<S> Kept for Mutex<Timed<S>> {
    fn stale_from(&self) -> u64 {
        self.lock().unwrap_or_else(PoisonError::into_inner).until
    }
}

/// A key and its state.
struct Entry<V> {
    key: Box<str>,
    kept: V,
}

/// A `HashTable` rather than a `HashMap`: the key's one hash picks the shard and finds the entry.
type Shard<V> = RwLock<HashTable<Entry<V>>>;

/// One kind's keys, sharded by hash.
struct Shards<V> {
    shards: Box<[Shard<V>]>,
    hasher: RandomState,
    per_shard: usize,
}

impl<V: Kept> Shards<V> {
    fn new(max_keys: u64) -> Shards<V> {
        let count = max_keys.clamp(1, SHARDS);
        let per_shard = usize::try_from(max_keys / count).unwrap_or(usize::MAX);
        Shards {
            shards: (0..count).map(|_| RwLock::default()).collect(),
            hasher: RandomState::default(),
            per_shard,
        }
    }

    /// Runs `f` on the state of `key`, atomically as far as `f` updates it atomically (`f` may
    /// run under a read lock, alongside other callers' `f` on the same key).
    fn with<R>(&self, key: &str, now: u64, f: impl FnOnce(&V) -> R) -> Result<R, CountersError> {
        let hash = self.hasher.hash_one(key);
        // The high bits pick the shard; the table uses the low ones first.
        let index = usize::try_from((hash >> 32) % self.shards.len() as u64).unwrap_or(0);
        let Some(shard) = self.shards.get(index) else {
            return Err(CountersError::Unavailable("no counter shard".into()));
        };
        let is_key = |e: &Entry<V>| &*e.key == key;
        if let Some(e) = shard
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .find(hash, is_key)
        {
            return Ok(f(&e.kept));
        }
        let mut table = shard.write().unwrap_or_else(PoisonError::into_inner);
        // Another caller may have added it between the two locks.
        if let Some(e) = table.find(hash, is_key) {
            return Ok(f(&e.kept));
        }
        let fresh = V::default();
        let answer = f(&fresh);
        if fresh.stale_from() > now {
            if table.len() >= self.per_shard {
                make_room(&mut table, now);
            }
            let entry = Entry {
                key: key.into(),
                kept: fresh,
            };
            let hasher = &self.hasher;
            table.insert_unique(hash, entry, |e| hasher.hash_one(&*e.key));
        }
        Ok(answer)
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// Frees at least one place in a full shard (see the module docs).
fn make_room<V: Kept>(table: &mut HashTable<Entry<V>>, now: u64) {
    let before = table.len();
    table.retain(|e| e.kept.stale_from() > now);
    if table.len() < before {
        return;
    }
    let soonest = table.iter().map(|e| e.kept.stale_from()).min();
    if let Some(soonest) = soonest {
        let mut removed = false;
        // One entry only, even if several share the instant.
        table.retain(|e| {
            let drop = !removed && e.kept.stale_from() == soonest;
            removed |= drop;
            !drop
        });
    }
}

/// Reads and updates a quota's or window's state under its mutex: `f` gets the kept state and
/// returns the new one, how long it matters, and the answer.
fn update<S: Copy, R>(
    kept: &Mutex<Timed<S>>,
    now: u64,
    f: impl FnOnce(Option<S>) -> (S, Duration, R),
) -> R {
    let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
    let (state, matters_for, answer) = f(kept.state);
    *kept = Timed {
        state: Some(state),
        until: now.saturating_add(math::duration_nanos(matters_for)),
    };
    answer
}

/// Buckets, quotas and windows in this process's memory. See the module docs for its bounds.
pub struct MemoryCounters {
    buckets: Shards<Tat>,
    quotas: Shards<Mutex<Timed<quota::QuotaCount>>>,
    windows: Shards<Mutex<Timed<window::WindowCount>>>,
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
            buckets: Shards::new(max_keys),
            quotas: Shards::new(max_keys),
            windows: Shards::new(max_keys),
        }
    }

    /// How many keys are kept, all kinds together.
    pub fn len(&self) -> u64 {
        let n = self.buckets.len() + self.quotas.len() + self.windows.len();
        u64::try_from(n).unwrap_or(u64::MAX)
    }

    /// Whether no key is kept.
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
        self.buckets.with(key, now, |tat| {
            let mut current = tat.0.load(Ordering::Acquire);
            loop {
                let (new, decision) = bucket::take(b, (current != 0).then_some(current), n, now);
                let new = new.unwrap_or(0);
                if new == current {
                    return decision;
                }
                match tat
                    .0
                    .compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return decision,
                    Err(seen) => current = seen,
                }
            }
        })
    }

    async fn quota_add(
        &self,
        key: &str,
        spec: QuotaSpec,
        n: u64,
        now: SystemTime,
    ) -> Result<QuotaState, CountersError> {
        let at = math::nanos(now);
        self.quotas.with(key, at, |kept| {
            update(kept, at, |count| {
                let (count, state) = quota::add(spec, count, n, now);
                (count, quota::matters_for(count, &state, now), state)
            })
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
        self.windows.with(key, now, |kept| {
            update(kept, now, |count| {
                let count = window::add(w, count, n, now);
                (count, window::matters_for(w, count, now), count.count)
            })
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

    #[tokio::test]
    async fn a_full_store_makes_room() {
        // One key at most: a second key needs the first one's place.
        let c = MemoryCounters::new(1);
        assert!(c.take("a", BUCKET, 2, t(0)).await.expect("take").allowed);
        // At t(1) "a" still matters (full again at t(2)): it makes way for "b" only because
        // nothing else can, and comes back fresh.
        assert!(c.take("b", BUCKET, 1, t(1)).await.expect("take").allowed);
        assert_eq!(c.len(), 1);
        assert!(c.take("a", BUCKET, 2, t(1)).await.expect("take").allowed);
        // At t(10) "a" is full again: dropping it changes nothing.
        assert!(c.take("c", BUCKET, 2, t(10)).await.expect("take").allowed);
        assert!(!c.take("c", BUCKET, 1, t(10)).await.expect("take").allowed);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn room_is_made_from_stale_keys_first_then_the_soonest_stale() {
        let hasher = RandomState::default();
        let mut table = HashTable::new();
        for (key, tat) in [("stale", 5), ("soon", 20), ("late", 30)] {
            let entry = Entry {
                key: key.into(),
                kept: Tat(AtomicU64::new(tat)),
            };
            table.insert_unique(hasher.hash_one(key), entry, |e| hasher.hash_one(&*e.key));
        }
        let keys = |t: &HashTable<Entry<Tat>>| {
            let mut keys: Vec<String> = t.iter().map(|e| e.key.to_string()).collect();
            keys.sort();
            keys
        };
        make_room(&mut table, 10);
        assert_eq!(keys(&table), ["late", "soon"]);
        make_room(&mut table, 10);
        assert_eq!(keys(&table), ["late"]);
    }

    #[tokio::test]
    async fn quotas_and_windows_are_forgotten_once_over() {
        let c = MemoryCounters::new(1);
        let quota = QuotaSpec {
            limit: 1,
            period: Period::Day,
            offset: 0,
            starts: t(0),
        };
        assert!(
            c.quota_add("q", quota, 1, t(0))
                .await
                .expect("quota")
                .allowed
        );
        // The next day "q" is over: "r" takes its place and "q" starts from zero.
        let next_day = t(86_400);
        assert!(
            c.quota_add("r", quota, 1, next_day)
                .await
                .expect("quota")
                .allowed
        );
        assert!(
            c.quota_add("q", quota, 1, next_day)
                .await
                .expect("quota")
                .allowed
        );
        let minute = Duration::from_secs(60);
        assert_eq!(c.window_add("w", minute, 2, t(0)).await, Ok(2));
        assert_eq!(c.window_add("x", minute, 1, t(120)).await, Ok(1));
        assert_eq!(c.window_add("w", minute, 1, t(120)).await, Ok(1));
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
