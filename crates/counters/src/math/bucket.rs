//! The token bucket, kept as one number: the generic cell rate algorithm (GCRA).
//!
//! Instead of a token count and a refill time, the state is the *theoretical arrival time*
//! (TAT): the instant at which the bucket would be full again if nothing more were taken. Each
//! token pushes it one emission interval (`1 / rate`) later; a take of `n` fits when, after
//! it, the TAT is no more than `burst` intervals ahead of now. That is exactly a bucket of
//! `burst` tokens refilled at `rate` — a fresh key allows `burst` at once, then `rate` per
//! second — in integer nanoseconds, with no floating point after the interval is computed and a
//! state that a shared backend updates with one read and one write.

use std::time::Duration;

use super::clamp;
use crate::{BucketSpec, CountersError, Decision};

/// A [`BucketSpec`] checked and turned into integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Nanoseconds per token; `None` for a zero rate (no token ever).
    interval: Option<u64>,
    burst: u64,
}

impl Bucket {
    pub fn new(spec: BucketSpec) -> Result<Bucket, CountersError> {
        let rate = spec.rate_per_sec;
        if !rate.is_finite() || rate < 0.0 {
            return Err(CountersError::InvalidSpec(
                "the rate must be a finite number of requests per second, at least zero",
            ));
        }
        let interval = if rate == 0.0 {
            None
        } else {
            // `as` saturates; at least a nanosecond so that a token always costs something.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ns = (1e9 / rate).round() as u64;
            Some(ns.max(1))
        };
        Ok(Bucket {
            interval,
            burst: spec.burst,
        })
    }

    /// Nanoseconds per token, `None` for a zero rate.
    pub fn interval(&self) -> Option<u64> {
        self.interval
    }
}

/// Takes `n` tokens at `now` (nanoseconds) from a bucket whose TAT is `tat` (`None`: never
/// used, i.e. full). Returns the new TAT (unchanged on a refusal) and the decision.
pub fn take(bucket: Bucket, tat: Option<u64>, n: u64, now: u64) -> (Option<u64>, Decision) {
    const REFUSED_FOR_GOOD: Decision = Decision {
        allowed: false,
        retry_after: None,
    };
    if n == 0 {
        let allowed = Decision {
            allowed: true,
            retry_after: None,
        };
        return (tat, allowed);
    }
    let Some(interval) = bucket.interval else {
        return (tat, REFUSED_FOR_GOOD);
    };
    if n > bucket.burst {
        return (tat, REFUSED_FOR_GOOD);
    }
    let interval = u128::from(interval);
    // A TAT more than `burst` intervals ahead of now cannot come from takes: the clock stepped
    // back (an NTP correction, a test clock set earlier). Such a state is forgotten — the bucket
    // is full again — rather than throttling every request until the clock catches up.
    let ceiling = u128::from(now) + u128::from(bucket.burst) * interval;
    let tat = tat.filter(|t| u128::from(*t) <= ceiling);
    let base = u128::from(tat.unwrap_or(0).max(now));
    let new_tat = base + u128::from(n) * interval;
    // The earliest instant at which this take fits in the bucket.
    let fits_at = new_tat.saturating_sub(u128::from(bucket.burst) * interval);
    if fits_at <= u128::from(now) {
        let decision = Decision {
            allowed: true,
            retry_after: None,
        };
        (Some(clamp(new_tat)), decision)
    } else {
        let wait = clamp(fits_at - u128::from(now));
        let decision = Decision {
            allowed: false,
            retry_after: Some(Duration::from_nanos(wait)),
        };
        (tat, decision)
    }
}

/// How long after `now` the bucket is full again, when its state is the same as a key never
/// used and may be forgotten.
pub fn full_in(tat: Option<u64>, now: u64) -> Duration {
    Duration::from_nanos(tat.map_or(0, |t| t.saturating_sub(now)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SEC: u64 = 1_000_000_000;

    /// A clock stepped back leaves no bucket refusing until it catches up (a regression: the
    /// account bucket refused every request after a test clock was set six minutes back).
    #[test]
    fn a_clock_stepped_back_does_not_throttle() {
        let b = bucket(10.0, 5);
        let mut tat = None;
        for _ in 0..5 {
            let (t, d) = take(b, tat, 1, 600 * SEC);
            assert!(d.allowed);
            tat = t;
        }
        assert!(!take(b, tat, 1, 600 * SEC).1.allowed, "the burst is spent");
        // Six minutes earlier: what was taken "in the future" is forgotten.
        let (_, d) = take(b, tat, 1, 240 * SEC);
        assert!(d.allowed);
        // A step back that leaves the state possible keeps it: four taken at 600 s leave one
        // token, which 50 ms earlier had not been refilled yet.
        let mut tat = None;
        for _ in 0..4 {
            tat = take(b, tat, 1, 600 * SEC).0;
        }
        assert!(!take(b, tat, 1, 600 * SEC - SEC / 20).1.allowed);
    }

    fn bucket(rate: f64, burst: u64) -> Bucket {
        Bucket::new(BucketSpec {
            rate_per_sec: rate,
            burst,
        })
        .expect("valid spec")
    }

    #[test]
    fn a_fresh_bucket_allows_its_burst_then_the_rate() {
        let b = bucket(10.0, 3);
        let now = 100 * SEC;
        let mut tat = None;
        for _ in 0..3 {
            let (t, d) = take(b, tat, 1, now);
            assert!(d.allowed);
            tat = t;
        }
        let (_, d) = take(b, tat, 1, now);
        assert_eq!(
            d,
            Decision {
                allowed: false,
                retry_after: Some(Duration::from_millis(100))
            }
        );
        // A tenth of a second later one token is back, and only one.
        let (t, d) = take(b, tat, 1, now + SEC / 10);
        assert!(d.allowed);
        assert!(!take(b, t, 1, now + SEC / 10).1.allowed);
    }

    #[test]
    fn zero_rate_or_burst_refuse_everything_for_good() {
        for b in [bucket(0.0, 10), bucket(5.0, 0)] {
            let (tat, d) = take(b, None, 1, SEC);
            assert_eq!(tat, None);
            assert_eq!(
                d,
                Decision {
                    allowed: false,
                    retry_after: None
                }
            );
        }
    }

    #[test]
    fn more_than_the_burst_at_once_never_fits() {
        let (tat, d) = take(bucket(100.0, 5), None, 6, SEC);
        assert_eq!((tat, d.allowed, d.retry_after), (None, false, None));
    }

    #[test]
    fn taking_nothing_is_free() {
        let b = bucket(1.0, 1);
        let (tat, _) = take(b, None, 1, SEC);
        assert_eq!(
            take(b, tat, 0, SEC),
            (
                tat,
                Decision {
                    allowed: true,
                    retry_after: None
                }
            )
        );
    }

    #[test]
    fn fractional_rates() {
        // One request every two seconds.
        let b = bucket(0.5, 1);
        assert_eq!(b.interval(), Some(2 * SEC));
        let (tat, _) = take(b, None, 1, 10 * SEC);
        assert_eq!(
            take(b, tat, 1, 11 * SEC).1.retry_after,
            Some(Duration::from_secs(1))
        );
        assert!(take(b, tat, 1, 12 * SEC).1.allowed);
    }

    #[test]
    fn invalid_specs_are_refused() {
        for rate in [f64::NAN, f64::INFINITY, -1.0] {
            assert!(
                Bucket::new(BucketSpec {
                    rate_per_sec: rate,
                    burst: 1
                })
                .is_err()
            );
        }
    }

    #[test]
    fn full_in_counts_down_to_zero() {
        assert_eq!(full_in(None, 5), Duration::ZERO);
        assert_eq!(full_in(Some(3 * SEC), SEC), Duration::from_secs(2));
        assert_eq!(full_in(Some(SEC), 3 * SEC), Duration::ZERO);
    }

    fn spec() -> impl Strategy<Value = Bucket> {
        (1u32..=10_000, 1u64..=50)
            .prop_map(|(milli_rate, burst)| bucket(f64::from(milli_rate) / 10.0, burst))
    }

    proptest! {
        /// At one instant a fresh bucket allows exactly `burst` single tokens.
        #[test]
        fn burst_at_one_instant(b in spec(), now in 0u64..1u64 << 62) {
            let mut tat = None;
            let mut allowed = 0u64;
            for _ in 0..b.burst + 5 {
                let (t, d) = take(b, tat, 1, now);
                tat = t;
                allowed += u64::from(d.allowed);
            }
            prop_assert_eq!(allowed, b.burst);
        }

        /// Over any stretch of time, no more than `burst` plus what the rate refills is allowed.
        #[test]
        fn never_more_than_burst_plus_refill(
            b in spec(),
            steps in proptest::collection::vec((0u64..SEC, 1u64..4), 1..200),
        ) {
            let start = 1_000 * SEC;
            let mut now = start;
            let mut tat = None;
            let mut allowed = 0u128;
            for (gap, n) in steps {
                now += gap;
                let (t, d) = take(b, tat, n, now);
                tat = t;
                if d.allowed {
                    allowed += u128::from(n);
                }
            }
            let interval = u128::from(b.interval().unwrap_or(u64::MAX));
            let refill = u128::from(now - start) / interval;
            prop_assert!(allowed <= u128::from(b.burst) + refill,
                "allowed {} > burst {} + refill {}", allowed, b.burst, refill);
        }

        /// A refusal's `retry_after` is exact: the take fits then, and not a nanosecond before.
        #[test]
        fn retry_after_is_exact(
            b in spec(),
            used in 1u64..100,
            n in 1u64..10,
            now in SEC..1u64 << 60,
        ) {
            let mut tat = None;
            for _ in 0..used {
                tat = take(b, tat, 1, now).0;
            }
            let (_, d) = take(b, tat, n, now);
            if let Some(wait) = d.retry_after {
                prop_assert!(!d.allowed);
                let wait = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
                prop_assert!(take(b, tat, n, now + wait).1.allowed);
                prop_assert!(!take(b, tat, n, now + wait - 1).1.allowed);
            } else {
                prop_assert!(d.allowed || n > b.burst);
            }
        }

        /// Waiting never turns an allowed take into a refused one.
        #[test]
        fn later_is_never_worse(
            b in spec(),
            used in 0u64..60,
            n in 1u64..10,
            now in SEC..1u64 << 60,
            later in 0u64..10 * SEC,
        ) {
            let mut tat = None;
            for _ in 0..used {
                tat = take(b, tat, 1, now).0;
            }
            if take(b, tat, n, now).1.allowed {
                prop_assert!(take(b, tat, n, now + later).1.allowed);
            }
        }
    }
}
