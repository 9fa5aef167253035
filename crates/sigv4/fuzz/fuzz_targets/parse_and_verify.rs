//! Arbitrary bytes → an Authorization header value, a path, a query, an `X-Amz-Date`, an
//! `x-amz-content-sha256` and a body →
//! `parse`, then `precheck` and `verify` with a fixed secret. None of it may panic.
//!
//! Layout: the input is split on 0xFF bytes into up to six fields, so the fuzzer can grow each
//! independently; header values that `http` refuses are dropped rather than rejected, so the
//! rest of the input still runs. Seeds in `corpus/parse_and_verify` are not required.
#![no_main]

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
    headers.insert("host", HeaderValue::from_static("abc.execute-api.us-east-1.amazonaws.com"));
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
    let req = Request { method: "POST", path: &path, query: &query, headers: &headers };
    if let Ok(Some(parsed)) = sigv4::parse(&req) {
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let verifier = Verifier::new("us-east-1", "execute-api");
        let _ = verifier.precheck(&parsed, now);
        let _ = verifier.verify(&parsed, &req, body, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now);
        // Every stage's text form, too.
        let creq = sigv4::canonical_request(&parsed, &req, "UNSIGNED-PAYLOAD");
        let _ = sigv4::string_to_sign(&parsed, &creq).to_string();
        let _ = format!("{parsed:?}");
    }
});
