//! Conversions between `SystemTime` and the Unix seconds JWTs carry (`exp`, `iat`, …).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole seconds since 1970, or `None` before it.
pub(crate) fn unix_seconds(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// The instant `secs` seconds after 1970, if the platform can represent it.
pub(crate) fn from_unix(secs: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// `t` as signed Unix seconds, rounded down: the clock a validator compares claims with.
/// Times before 1970 are negative; nothing here panics on any `SystemTime`.
pub(crate) fn signed_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let before = e.duration();
            // Round toward minus infinity: 0.5 s before 1970 is second -1.
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let extra = i64::from(before.subsec_nanos() > 0);
            whole.saturating_add(extra).saturating_neg()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(signed_seconds(UNIX_EPOCH + Duration::from_millis(1_999)), 1);
        assert_eq!(signed_seconds(UNIX_EPOCH - Duration::from_millis(500)), -1);
        assert_eq!(signed_seconds(UNIX_EPOCH - Duration::from_secs(2)), -2);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(from_unix(7).and_then(unix_seconds), Some(7));
    }
}
