//! Parsing of the scalar types condition operators compare: dates and numbers.
//!
//! Dates follow "Date condition operators" in the IAM User Guide: the W3C profile of ISO 8601
//! (`YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s…]]TZD`, with `TZD` = `Z` or `±hh:mm`) or
//! epoch (UNIX) seconds. Two lenient readings, both documented choices: a date-time without a
//! zone designator is UTC, and an all-digit string is always epoch seconds (so the W3C bare-year
//! form `YYYY` reads as seconds since 1970). The compact form `YYYYMMDDThhmmssZ` (what SigV4's
//! `X-Amz-Date` carries) is accepted too.
//!
//! Instants are nanoseconds since the epoch in an `i128`, which covers every 4-digit year.

use time::{Date, Month};

const NANOS: i128 = 1_000_000_000;

/// Parses a date value to nanoseconds since the UNIX epoch.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    if s.is_empty() {
        return None;
    }
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        return Some(i128::from(secs) * NANOS);
    }
    if let Some((secs, frac)) = s.split_once('.')
        && !secs.is_empty()
        && secs.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        let whole: i64 = secs.parse().ok()?;
        return Some(i128::from(whole) * NANOS + fraction_nanos(frac)?);
    }
    parse_iso(s)
}

fn fraction_nanos(frac: &str) -> Option<i128> {
    let mut n: i128 = 0;
    let mut scale = NANOS;
    for b in frac.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        scale /= 10;
        n += i128::from(b - b'0') * scale;
    }
    Some(n)
}

fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, s.get(n..)?))
}

fn expect(s: &str, c: char) -> Option<&str> {
    s.strip_prefix(c)
}

fn parse_iso(s: &str) -> Option<i128> {
    let (year, rest) = digits(s, 4)?;
    // Compact form: YYYYMMDDThhmmss[Z].
    if let Some((month, rest2)) = digits(rest, 2)
        && let Some((day, rest3)) = digits(rest2, 2)
        && let Some(rest4) = rest3.strip_prefix(['T', 't'])
        && let Some((h, r)) = digits(rest4, 2)
        && let Some((m, r)) = digits(r, 2)
        && let Some((sec, r)) = digits(r, 2)
    {
        let offset = parse_zone(r)?;
        return instant(year, month, day, h, m, sec, 0, offset);
    }
    let rest = expect(rest, '-')?;
    let (month, rest) = digits(rest, 2)?;
    if rest.is_empty() {
        return instant(year, month, 1, 0, 0, 0, 0, 0);
    }
    let rest = expect(rest, '-')?;
    let (day, rest) = digits(rest, 2)?;
    if rest.is_empty() {
        return instant(year, month, day, 0, 0, 0, 0, 0);
    }
    let rest = rest.strip_prefix(['T', 't'])?;
    let (hour, rest) = digits(rest, 2)?;
    let rest = expect(rest, ':')?;
    let (minute, mut rest) = digits(rest, 2)?;
    let mut second = 0;
    let mut frac = 0;
    if let Some(r) = rest.strip_prefix(':') {
        let (sec, r) = digits(r, 2)?;
        second = sec;
        rest = r;
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            frac = fraction_nanos(r.get(..end)?)?;
            rest = r.get(end..)?;
        }
    }
    let offset = parse_zone(rest)?;
    instant(year, month, day, hour, minute, second, frac, offset)
}

/// Zone designator to an offset in seconds east of UTC. Empty means UTC (lenient).
fn parse_zone(s: &str) -> Option<i64> {
    match s {
        "" | "Z" | "z" => Some(0),
        _ => {
            let sign = match s.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = s.get(1..)?;
            let (h, r) = digits(r, 2)?;
            let r = r.strip_prefix(':').unwrap_or(r);
            let (m, r) = digits(r, 2)?;
            if !r.is_empty() || h > 23 || m > 59 {
                return None;
            }
            Some(sign * (i64::from(h) * 3600 + i64::from(m) * 60))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn instant(
    year: u32,
    month: u32,
    day: u32,
    h: u32,
    m: u32,
    s: u32,
    frac: i128,
    offset: i64,
) -> Option<i128> {
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    // Julian day 2440588 is 1970-01-01.
    let days = i64::from(date.to_julian_day()) - 2_440_588;
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s) - offset;
    Some(i128::from(secs) * NANOS + frac)
}

/// Parses a numeric condition value: an optional sign, digits, and an optional fraction.
/// Exponents, `NaN`, `inf` and surrounding space are refused.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int_ok = !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !int_ok || !frac_ok {
        return None;
    }
    s.parse().ok()
}

/// Formats an instant (whole seconds) the way `aws:CurrentTime` reads: `2020-01-01T00:00:00Z`.
pub(crate) fn format_utc(dt: time::OffsetDateTime) -> String {
    let dt = dt.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i128 = 86_400 * NANOS;

    #[test]
    fn iso_forms() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(DAY));
        assert_eq!(parse_date("1970-02"), Some(31 * DAY));
        assert_eq!(parse_date("1970-01-01T01:00+01:00"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:00.5Z"), Some(NANOS / 2));
        assert_eq!(parse_date("1970-01-01T00:00:01"), Some(NANOS));
        assert_eq!(parse_date("19700101T000001Z"), Some(NANOS));
        assert_eq!(
            parse_date("2020-01-01T00:00:00Z"),
            Some(1_577_836_800 * NANOS)
        );
        assert_eq!(
            parse_date("2020-01-01T00:00:00-05:00"),
            Some((1_577_836_800 + 5 * 3600) * NANOS)
        );
    }

    #[test]
    fn epoch_forms() {
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800 * NANOS));
        assert_eq!(parse_date("1.5"), Some(NANOS + NANOS / 2));
        assert_eq!(parse_date("-1"), Some(-NANOS));
    }

    #[test]
    fn invalid_dates() {
        for s in [
            "",
            "2020-13-01",
            "2020-02-30",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:00:00+25:00",
            "yesterday",
            "2020-1-1",
            "2020-01-01T00:00:00.Z",
            "1e9",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.25"), Some(-1.25));
        assert_eq!(parse_number("+3"), Some(3.0));
        for s in ["", "1e3", "NaN", "inf", " 1", "1.", ".5", "0x10"] {
            assert_eq!(parse_number(s), None, "{s}");
        }
    }

    #[test]
    fn formats_current_time() {
        let dt = time::OffsetDateTime::from_unix_timestamp(1_577_836_800).unwrap();
        assert_eq!(format_utc(dt), "2020-01-01T00:00:00Z");
    }
}
