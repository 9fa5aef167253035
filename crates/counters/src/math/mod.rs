//! The counters' arithmetic, without storage: each function takes the state a backend kept (or
//! `None` for a key never seen) and returns the new state and the answer. A backend's only job
//! is to apply them atomically per key.
//!
//! Time is nanoseconds since the Unix epoch in a `u64` (until the year 2554); instants before
//! the epoch count as the epoch.

pub mod bucket;
pub mod quota;
pub mod window;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `t` as nanoseconds since the Unix epoch, clamped to `u64`.
pub fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A `Duration` as nanoseconds, clamped to `u64`.
pub fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Saturating conversion from a wide intermediate result.
fn clamp(n: u128) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_clamps() {
        assert_eq!(nanos(UNIX_EPOCH), 0);
        assert_eq!(nanos(UNIX_EPOCH - Duration::from_secs(1)), 0);
        assert_eq!(
            nanos(UNIX_EPOCH + Duration::from_millis(1500)),
            1_500_000_000
        );
        assert_eq!(duration_nanos(Duration::MAX), u64::MAX);
        assert_eq!(clamp(u128::MAX), u64::MAX);
    }
}
