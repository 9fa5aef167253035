//! Arbitrary bytes → an Authorization header value, a path, a query, an `X-Amz-Date`, an
//! `x-amz-content-sha256` and a body →
//! `parse`, then `precheck` and `verify` with a fixed secret (unsigned payloads allowed and not),
//! and the log rendering of every refusal. None of it may panic.
//!
//! Layout: the input is split on 0xFF bytes into up to six fields, so the fuzzer can grow each
//! independently; header values that `http` refuses are dropped rather than rejected, so the
//! rest of the input still runs. Seeds in `corpus/parse_and_verify` are not required.
#![no_main]

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use sigv4::{Request, Verifier};

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|&b| b == 0xff);
    let auth = fields.next().unwrap_or_default();
    let path = String::from_utf8_lossy(fields.next().unwrap_or_default());
    let query = String::from_utf8_lossy(fields.next().unwrap_or_default());
    let date = fields.next().unwrap_or_default();
    let content_sha256 = fields.next().unwrap_or_default();
    let body = fields.next().unwrap_or_default();

    let mut headers = HeaderMap::new();
    headers.insert(
        "host",
        HeaderValue::from_static("abc.execute-api.us-east-1.amazonaws.com"),
    );
    if !auth.is_empty() {
        if let Ok(v) = HeaderValue::from_bytes(auth) {
            headers.insert("authorization", v);
        }
    }
    if !date.is_empty() {
        if let Ok(v) = HeaderValue::from_bytes(date) {
            headers.insert("x-amz-date", v);
        }
    }
    if !content_sha256.is_empty() {
        if let Ok(v) = HeaderValue::from_bytes(content_sha256) {
            headers.insert("x-amz-content-sha256", v);
        }
    }
    let req = Request {
        method: "POST",
        path: &path,
        query: &query,
        headers: &headers,
    };
    let parsed = match sigv4::parse(&req) {
        Ok(parsed) => parsed,
        Err(e) => {
            let log = e.log_message();
            assert!(
                matches!(sigv4::redact_for_log(&log), Cow::Borrowed(_)),
                "{log}"
            );
            None
        }
    };
    if let Some(parsed) = parsed {
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        for allow_unsigned in [false, true] {
            let verifier =
                Verifier::new("us-east-1", "execute-api").allow_unsigned_payload(allow_unsigned);
            let _ = verifier.precheck(&parsed, now);
            let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
            if let Err(e) = verifier.verify(&parsed, &req, body, secret, now) {
                // The log rendering hides what it hides in one pass.
                let log = e.log_message();
                assert!(
                    matches!(sigv4::redact_for_log(&log), Cow::Borrowed(_)),
                    "{log}"
                );
            }
        }
        // Every stage's text form, too.
        let creq = sigv4::canonical_request(&parsed, &req, "UNSIGNED-PAYLOAD");
        let _ = sigv4::string_to_sign(&parsed, &creq).to_string();
        let _ = format!("{parsed:?}");
    }
});
