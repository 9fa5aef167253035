//! The two date formats SigV4 reads, and the one it writes.
//!
//! SigV4 times are whole seconds in UTC. `X-Amz-Date` is ISO-8601 basic format
//! (`20150830T123600Z`); the `Date` header fallback is an HTTP date (IMF-fixdate). The ISO shape is
//! checked by hand because it is one fixed 16-byte layout and `time`'s format descriptions accept
//! more than SigV4 does (signs, wider years); calendar validity and the arithmetic are `time`'s.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc2822;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Length of an ISO-8601 basic timestamp, `YYYYMMDDTHHMMSSZ`.
pub(crate) const ISO_LEN: usize = 16;

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub(crate) fn parse_iso_basic(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != ISO_LEN || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let year = i32::try_from(digits(b.get(0..4)?)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(b.get(4..6)?)?).ok()?).ok()?;
    let day = u8::try_from(digits(b.get(6..8)?)?).ok()?;
    let hour = u8::try_from(digits(b.get(9..11)?)?).ok()?;
    let minute = u8::try_from(digits(b.get(11..13)?)?).ok()?;
    let second = u8::try_from(digits(b.get(13..15)?)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Parses an HTTP `Date` header (IMF-fixdate, e.g. `Sun, 30 Aug 2015 12:36:00 GMT`) into Unix seconds.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    // RFC 2822 parsing covers IMF-fixdate (a subset of it) including the `GMT` zone.
    OffsetDateTime::parse(s.trim(), &Rfc2822)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`. Times outside years 0000–9999 (only reachable by
/// arithmetic on extreme inputs) fall back to the plain number so messages never fail.
pub(crate) fn format_iso_basic(secs: i64) -> String {
    let mut out = String::with_capacity(ISO_LEN);
    write_iso_basic(&mut out, secs);
    out
}

fn write_iso_basic(out: &mut String, secs: i64) {
    use std::fmt::Write as _;
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) if (0..=9999).contains(&t.year()) => {
            let _ = write!(
                out,
                "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
        }
        _ => {
            let _ = write!(out, "{secs}");
        }
    }
}

/// Whole Unix seconds of `t` (sub-second parts truncated toward the past; pre-epoch times negative).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            // -0.5 s is second -1, not second 0.
            if d.subsec_nanos() > 0 {
                whole.saturating_add(1).saturating_neg()
            } else {
                whole.saturating_neg()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn iso_basic_round_trip() {
        let t = parse_iso_basic("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_iso_basic(t), "20150830T123600Z");
    }

    #[test]
    fn iso_basic_rejects_near_misses() {
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150830T123600z",
            "20150830 123600Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20150830T246000Z",
            "+0150830T123600Z",
            "2015083aT123600Z",
            "",
            "20150830T123600Z ",
        ] {
            assert_eq!(parse_iso_basic(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date() {
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160)
        );
        assert_eq!(parse_http_date("not a date"), None);
    }

    #[test]
    fn unix_seconds_truncates() {
        let t = UNIX_EPOCH + Duration::from_millis(1500);
        assert_eq!(unix_seconds(t), 1);
        let t = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(unix_seconds(t), -1);
    }

    #[test]
    fn formatting_never_fails() {
        assert_eq!(format_iso_basic(i64::MAX), i64::MAX.to_string());
    }
}
