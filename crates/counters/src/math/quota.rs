//! Quotas per calendar period in UTC: a day from midnight, an ISO week from Monday, a month from
//! the 1st. Bounds are whole Unix seconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::{Date, Month, OffsetDateTime, Time};

use crate::{Period, QuotaSpec, QuotaState};

/// A quota's kept state: which period it counts, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaCount {
    /// Start of the counted period, Unix seconds.
    pub period_start: i64,
    pub used: u64,
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

fn system_time(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

fn midnight(date: Date) -> i64 {
    date.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp()
}

/// The first day of the period containing `date`, and of the next one (`None` past the
/// calendar's end).
fn period_days(period: Period, date: Date) -> (Date, Option<Date>) {
    match period {
        Period::Day => (date, date.next_day()),
        Period::Week => {
            let back = i64::from(date.weekday().number_days_from_monday());
            let monday = date.checked_sub(time::Duration::days(back)).unwrap_or(date);
            (monday, monday.checked_add(time::Duration::days(7)))
        }
        Period::Month => {
            let first = date.replace_day(1).unwrap_or(date);
            let next = match first.month() {
                Month::December => {
                    Date::from_calendar_date(first.year() + 1, Month::January, 1).ok()
                }
                m => Date::from_calendar_date(first.year(), m.next(), 1).ok(),
            };
            (first, next)
        }
    }
}

/// Start and end (exclusive) of the period containing `at`, in Unix seconds. Instants outside
/// the calendar `time` knows (years beyond ±9999) fall in one endless period.
pub fn bounds(period: Period, at: SystemTime) -> (i64, i64) {
    let Ok(utc) = OffsetDateTime::from_unix_timestamp(unix_seconds(at)) else {
        return (i64::MIN, i64::MAX);
    };
    let (first, next) = period_days(period, utc.date());
    (midnight(first), next.map_or(i64::MAX, midnight))
}

/// Counts `n` requests at `now` against a quota whose kept state is `count` (`None`: never
/// used). Refused — and not counted — if it would exceed the limit.
pub fn add(
    spec: QuotaSpec,
    count: Option<QuotaCount>,
    n: u64,
    now: SystemTime,
) -> (QuotaCount, QuotaState) {
    let (start, end) = bounds(spec.period, now);
    let used = match count {
        Some(c) if c.period_start == start => c.used,
        // A new period (or a key never seen) starts from zero.
        _ => 0,
    };
    let initial = bounds(spec.period, spec.starts).0 == start;
    let limit = if initial {
        spec.limit.saturating_sub(spec.offset)
    } else {
        spec.limit
    };
    let allowed = used.checked_add(n).is_some_and(|total| total <= limit);
    let used = if allowed { used + n } else { used };
    let count = QuotaCount {
        period_start: start,
        used,
    };
    let state = QuotaState {
        allowed,
        used,
        remaining: limit.saturating_sub(used),
        resets_at: system_time(end),
    };
    (count, state)
}

/// How long after `now` the kept state stops mattering (its period ends), zero when it counts
/// nothing.
pub fn matters_for(count: QuotaCount, state: &QuotaState, now: SystemTime) -> Duration {
    if count.used == 0 {
        return Duration::ZERO;
    }
    state.resets_at.duration_since(now).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;

    fn at(t: OffsetDateTime) -> SystemTime {
        system_time(t.unix_timestamp())
    }

    fn spec(limit: u64, period: Period) -> QuotaSpec {
        QuotaSpec {
            limit,
            period,
            offset: 0,
            starts: UNIX_EPOCH,
        }
    }

    #[test]
    fn calendar_periods_in_utc() {
        // Wednesday 2026-03-18 15:04:05 UTC.
        let now = at(datetime!(2026-03-18 15:04:05 UTC));
        let day = bounds(Period::Day, now);
        assert_eq!(day.0, datetime!(2026-03-18 00:00 UTC).unix_timestamp());
        assert_eq!(day.1, datetime!(2026-03-19 00:00 UTC).unix_timestamp());
        let week = bounds(Period::Week, now);
        assert_eq!(week.0, datetime!(2026-03-16 00:00 UTC).unix_timestamp());
        assert_eq!(week.1, datetime!(2026-03-23 00:00 UTC).unix_timestamp());
        let month = bounds(Period::Month, now);
        assert_eq!(month.0, datetime!(2026-03-01 00:00 UTC).unix_timestamp());
        assert_eq!(month.1, datetime!(2026-04-01 00:00 UTC).unix_timestamp());
        // December rolls over into January; February of a leap year has 29 days.
        let december = bounds(Period::Month, at(datetime!(2026-12-31 23:59:59 UTC)));
        assert_eq!(december.1, datetime!(2027-01-01 00:00 UTC).unix_timestamp());
        let february = bounds(Period::Month, at(datetime!(2028-02-10 00:00 UTC)));
        assert_eq!(february.1 - february.0, 29 * 86_400);
        // A Monday at midnight starts its own week.
        let monday = at(datetime!(2026-03-16 00:00 UTC));
        assert_eq!(
            bounds(Period::Week, monday).0,
            datetime!(2026-03-16 00:00 UTC).unix_timestamp()
        );
    }

    #[test]
    fn counts_up_to_the_limit_then_refuses_without_counting() {
        let s = spec(2, Period::Day);
        let now = at(datetime!(2026-03-18 10:00 UTC));
        let (c, q) = add(s, None, 1, now);
        assert_eq!((q.allowed, q.used, q.remaining), (true, 1, 1));
        assert_eq!(q.resets_at, at(datetime!(2026-03-19 00:00 UTC)));
        let (c, q) = add(s, Some(c), 1, now);
        assert_eq!((q.allowed, q.used, q.remaining), (true, 2, 0));
        let (c, q) = add(s, Some(c), 1, now);
        assert_eq!((q.allowed, q.used, q.remaining), (false, 2, 0));
        // The next day starts again.
        let (_, q) = add(s, Some(c), 1, at(datetime!(2026-03-19 00:00 UTC)));
        assert_eq!((q.allowed, q.used, q.remaining), (true, 1, 1));
    }

    #[test]
    fn offset_applies_in_the_initial_period_only() {
        let s = QuotaSpec {
            limit: 10,
            period: Period::Month,
            offset: 7,
            starts: at(datetime!(2026-03-05 12:00 UTC)),
        };
        let (_, q) = add(s, None, 0, at(datetime!(2026-03-20 00:00 UTC)));
        assert_eq!((q.used, q.remaining), (0, 3));
        let (_, q) = add(s, None, 4, at(datetime!(2026-03-20 00:00 UTC)));
        assert!(!q.allowed);
        let (_, q) = add(s, None, 4, at(datetime!(2026-04-01 00:00 UTC)));
        assert_eq!((q.allowed, q.remaining), (true, 6));
    }

    #[test]
    fn nothing_counted_matters_for_nothing() {
        let now = at(datetime!(2026-03-18 23:00 UTC));
        let (c, q) = add(spec(5, Period::Day), None, 0, now);
        assert_eq!(matters_for(c, &q, now), Duration::ZERO);
        let (c, q) = add(spec(5, Period::Day), None, 1, now);
        assert_eq!(matters_for(c, &q, now), Duration::from_secs(3600));
    }

    fn period() -> impl Strategy<Value = Period> {
        prop_oneof![Just(Period::Day), Just(Period::Week), Just(Period::Month)]
    }

    proptest! {
        /// Periods tile time: `at` lies in its period, which ends where the next begins.
        #[test]
        fn periods_tile(p in period(), secs in -2_000_000_000i64..20_000_000_000) {
            let (start, end) = bounds(p, system_time(secs));
            prop_assert!(start <= secs && secs < end);
            prop_assert_eq!(bounds(p, system_time(end)).0, end);
            prop_assert_eq!(bounds(p, system_time(end - 1)), (start, end));
            prop_assert_eq!(start.rem_euclid(86_400), 0);
            let len = end - start;
            match p {
                Period::Day => prop_assert_eq!(len, 86_400),
                Period::Week => prop_assert_eq!(len, 7 * 86_400),
                Period::Month => prop_assert!((28 * 86_400..=31 * 86_400).contains(&len)),
            }
        }

        /// Within a period, what is counted never exceeds the limit, and every refusal was needed.
        #[test]
        fn never_past_the_limit(
            limit in 0u64..50,
            p in period(),
            secs in 0i64..4_000_000_000,
            adds in proptest::collection::vec(0u64..8, 1..60),
        ) {
            let s = spec(limit, p);
            let now = system_time(secs);
            let mut count = None;
            let mut total = 0u64;
            for n in adds {
                let (c, q) = add(s, count, n, now);
                prop_assert_eq!(q.allowed, total + n <= limit);
                if q.allowed {
                    total += n;
                }
                prop_assert_eq!(q.used, total);
                prop_assert_eq!(q.used + q.remaining, limit);
                count = Some(c);
            }
        }
    }
}
