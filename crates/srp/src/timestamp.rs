//! The `TIMESTAMP` of a `PASSWORD_VERIFIER` answer, as the JS client writes it:
//! `Tue Dec 1 08:05:09 UTC 2026` (day of the month not padded, UTC).

use std::time::SystemTime;

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::SrpError;

const FORMAT: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short] [month repr:short] [day padding:none] [hour]:[minute]:[second] UTC [year]"
);

/// The timestamp of `t`, as the client writes it.
pub fn format(t: SystemTime) -> String {
    OffsetDateTime::from(t).format(FORMAT).unwrap_or_default()
}

/// Reads a timestamp. Only the exact form the client writes is accepted (the weekday must be
/// the date's, the day unpadded): it is written back and compared.
pub fn parse(s: &str) -> Result<SystemTime, SrpError> {
    let t: SystemTime = PrimitiveDateTime::parse(s, FORMAT)
        .map_err(|_| SrpError::MalformedTimestamp)?
        .assume_utc()
        .into();
    if format(t) == s {
        Ok(t)
    } else {
        Err(SrpError::MalformedTimestamp)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn as_the_js_client_writes_it() {
        // 2026-12-01 08:05:09 UTC, a Tuesday.
        let t = UNIX_EPOCH + Duration::from_secs(1_796_112_309);
        assert_eq!(format(t), "Tue Dec 1 08:05:09 UTC 2026");
        assert_eq!(parse("Tue Dec 1 08:05:09 UTC 2026"), Ok(t));
        for bad in [
            "",
            "Tue Dec 01 08:05:09 UTC 2026",
            "Tue Dec 1 08:05:09 GMT 2026",
            "Tue Dec 1 8:05:09 UTC 2026",
            "Wed Dec 1 08:05:09 UTC 2026",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
