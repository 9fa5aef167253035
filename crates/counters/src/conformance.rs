//! The behavior every [`Counters`] backend must have, as functions over `&dyn Counters`, so that
//! the in-memory backend's tests and a shared backend's (Redis, for several nodes) run the same
//! checks: `counters::conformance::all(&backend).await` in the new backend's tests, with the
//! `conformance` feature. Each check returns what went wrong instead of panicking, so the suite
//! can live in library code.

use std::time::{Duration, SystemTime};

use crate::{BucketSpec, Counters, Period, QuotaSpec};

type Check = Result<(), String>;

fn t(secs: u64) -> SystemTime {
    // 2027-01-15 08:00:00 UTC, a Friday: far from any period boundary used below.
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn expect(cond: bool, what: &str) -> Check {
    if cond { Ok(()) } else { Err(what.to_string()) }
}

/// Runs every check, each on keys of its own (`prefix` keeps runs apart on a shared backend).
pub async fn all(c: &dyn Counters, prefix: &str) -> Check {
    burst_then_rate(c, &format!("{prefix}b1")).await?;
    refusals_change_nothing(c, &format!("{prefix}b2")).await?;
    quota_limit_and_reset(c, &format!("{prefix}q1")).await?;
    quota_offset_in_first_period(c, &format!("{prefix}q2")).await?;
    kinds_are_separate(c, &format!("{prefix}k")).await?;
    invalid_specs_are_errors(c, &format!("{prefix}i")).await?;
    Ok(())
}

/// A bucket admits `burst` at once, then `rate` per second.
pub async fn burst_then_rate(c: &dyn Counters, key: &str) -> Check {
    let spec = BucketSpec {
        rate_per_sec: 2.0,
        burst: 3,
    };
    let mut admitted = 0;
    for _ in 0..10 {
        if c.take(key, spec, 1, t(0))
            .await
            .map_err(|e| e.to_string())?
            .allowed
        {
            admitted += 1;
        }
    }
    expect(admitted == 3, "burst: 3 at once")?;
    let later = c
        .take(key, spec, 1, t(0) + Duration::from_millis(500))
        .await;
    expect(
        later.map_err(|e| e.to_string())?.allowed,
        "one more after 1/rate",
    )?;
    let again = c
        .take(key, spec, 1, t(0) + Duration::from_millis(500))
        .await;
    let again = again.map_err(|e| e.to_string())?;
    expect(!again.allowed, "but not two")?;
    expect(
        again
            .retry_after
            .is_some_and(|d| d <= Duration::from_millis(500)),
        "a refusal says when to retry",
    )
}

/// A refused take leaves the bucket as it was; `n = 0` is always allowed.
pub async fn refusals_change_nothing(c: &dyn Counters, key: &str) -> Check {
    let spec = BucketSpec {
        rate_per_sec: 1.0,
        burst: 2,
    };
    let big = c
        .take(key, spec, 3, t(0))
        .await
        .map_err(|e| e.to_string())?;
    expect(
        !big.allowed && big.retry_after.is_none(),
        "more than burst: never",
    )?;
    let zero = c
        .take(key, spec, 0, t(0))
        .await
        .map_err(|e| e.to_string())?;
    expect(zero.allowed, "n = 0 allowed")?;
    let two = c
        .take(key, spec, 2, t(0))
        .await
        .map_err(|e| e.to_string())?;
    expect(two.allowed, "the refusals took nothing")
}

/// A quota counts to its limit, refuses (without counting) past it, and starts again next
/// period.
pub async fn quota_limit_and_reset(c: &dyn Counters, key: &str) -> Check {
    let spec = QuotaSpec {
        limit: 3,
        period: Period::Day,
        offset: 0,
        starts: t(0),
    };
    for i in 1..=3 {
        let s = c
            .quota_add(key, spec, 1, t(i))
            .await
            .map_err(|e| e.to_string())?;
        expect(s.allowed && s.used == i, "counted up to the limit")?;
    }
    let s = c
        .quota_add(key, spec, 1, t(10))
        .await
        .map_err(|e| e.to_string())?;
    expect(
        !s.allowed && s.used == 3 && s.remaining == 0,
        "refused past the limit",
    )?;
    let next_day = t(0) + Duration::from_secs(86_400);
    let s = c
        .quota_add(key, spec, 1, next_day)
        .await
        .map_err(|e| e.to_string())?;
    expect(s.allowed && s.used == 1, "a new period")
}

/// `offset` requests count as made in the period containing `starts`, and only then.
pub async fn quota_offset_in_first_period(c: &dyn Counters, key: &str) -> Check {
    let spec = QuotaSpec {
        limit: 5,
        period: Period::Week,
        offset: 4,
        starts: t(0),
    };
    let s = c
        .quota_add(key, spec, 1, t(5))
        .await
        .map_err(|e| e.to_string())?;
    expect(
        s.allowed && s.remaining == 0,
        "offset used in the first week",
    )?;
    let s = c
        .quota_add(key, spec, 1, t(6))
        .await
        .map_err(|e| e.to_string())?;
    expect(!s.allowed, "limit minus offset")?;
    let next_week = t(0) + Duration::from_secs(7 * 86_400);
    let s = c
        .quota_add(key, spec, 5, next_week)
        .await
        .map_err(|e| e.to_string())?;
    expect(s.allowed, "no offset afterwards")
}

/// A bucket, a quota and a window may share a key without sharing state.
pub async fn kinds_are_separate(c: &dyn Counters, key: &str) -> Check {
    let spec = BucketSpec {
        rate_per_sec: 0.001,
        burst: 1,
    };
    expect(
        c.take(key, spec, 1, t(0))
            .await
            .map_err(|e| e.to_string())?
            .allowed,
        "bucket",
    )?;
    let quota = QuotaSpec {
        limit: 1,
        period: Period::Month,
        offset: 0,
        starts: t(0),
    };
    let q = c
        .quota_add(key, quota, 1, t(0))
        .await
        .map_err(|e| e.to_string())?;
    expect(q.allowed, "quota untouched by the bucket")?;
    let w = c.window_add(key, Duration::from_secs(60), 1, t(0)).await;
    expect(
        w.map_err(|e| e.to_string())? == 1,
        "window untouched by both",
    )
}

/// Specs no counter can follow are errors, not silent allows.
pub async fn invalid_specs_are_errors(c: &dyn Counters, key: &str) -> Check {
    let nan = BucketSpec {
        rate_per_sec: f64::NAN,
        burst: 1,
    };
    expect(c.take(key, nan, 1, t(0)).await.is_err(), "NaN rate")?;
    expect(
        c.window_add(key, Duration::ZERO, 1, t(0)).await.is_err(),
        "zero window",
    )
}

#[cfg(test)]
mod tests {
    use crate::MemoryCounters;

    #[tokio::test]
    async fn memory_counters_conform() {
        let memory = MemoryCounters::default();
        if let Err(e) = super::all(&memory, "t:").await {
            panic!("MemoryCounters: {e}");
        }
    }
}
