//! Counts over fixed windows aligned to the Unix epoch: `[k·w, (k+1)·w)` for a window `w`.
//! Aligned windows need no per-key start, so every node (and a shared backend's key expiry)
//! agrees on where one ends.

use std::time::Duration;

use crate::CountersError;

/// A window's kept state: which window it counts, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    /// Start of the counted window, nanoseconds since the epoch.
    pub start: u64,
    pub count: u64,
}

/// The window length in nanoseconds; zero is refused.
pub fn length(window: Duration) -> Result<u64, CountersError> {
    match super::duration_nanos(window) {
        0 => Err(CountersError::InvalidSpec(
            "a window must be longer than zero",
        )),
        ns => Ok(ns),
    }
}

/// Adds `n` at `now` (nanoseconds) to a count whose kept state is `kept` (`None`: never used);
/// returns the new state, whose `count` is the answer.
pub fn add(window: u64, kept: Option<WindowCount>, n: u64, now: u64) -> WindowCount {
    let start = now - now % window.max(1);
    let count = match kept {
        Some(k) if k.start == start => k.count,
        _ => 0,
    };
    WindowCount {
        start,
        count: count.saturating_add(n),
    }
}

/// How long after `now` the kept state stops mattering (its window ends), zero when it counts
/// nothing.
pub fn matters_for(window: u64, kept: WindowCount, now: u64) -> Duration {
    if kept.count == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(kept.start.saturating_add(window).saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn counts_within_a_window_and_restarts_at_the_next() {
        let w = 60 * SEC;
        let a = add(w, None, 1, 61 * SEC);
        assert_eq!(
            a,
            WindowCount {
                start: 60 * SEC,
                count: 1
            }
        );
        let b = add(w, Some(a), 2, 119 * SEC);
        assert_eq!(b.count, 3);
        let c = add(w, Some(b), 1, 120 * SEC);
        assert_eq!(
            c,
            WindowCount {
                start: 120 * SEC,
                count: 1
            }
        );
        assert_eq!(matters_for(w, c, 130 * SEC), Duration::from_secs(50));
        assert_eq!(matters_for(w, add(w, None, 0, 0), 0), Duration::ZERO);
    }

    #[test]
    fn a_zero_window_is_refused() {
        assert!(length(Duration::ZERO).is_err());
        assert_eq!(length(Duration::from_millis(2)), Ok(2_000_000));
    }

    proptest! {
        /// The count is the sum of what was added since the current window began.
        #[test]
        fn count_is_the_sum_in_the_current_window(
            window in 1u64..100 * SEC,
            steps in proptest::collection::vec((0u64..20 * SEC, 0u64..5), 1..100),
        ) {
            let mut now = 1_000 * SEC;
            let mut kept = None;
            let mut log = Vec::new();
            for (gap, n) in steps {
                now += gap;
                let k = add(window, kept, n, now);
                log.push((now, n));
                let start = now - now % window;
                let expected: u64 = log.iter().filter(|(t, _)| *t >= start).map(|(_, n)| n).sum();
                prop_assert_eq!(k.count, expected);
                prop_assert!(k.start <= now && now < k.start + window);
                kept = Some(k);
            }
        }
    }
}
