//! What a function's process sends the Runtime API — the request line, the error-type header,
//! error bodies, its output — is user code's, so untrusted: classifying a request never panics
//! and yields only well-formed request ids, an error report always has a type and a JSON payload,
//! and cutting output into log lines never panics or makes a line longer than the limit.
#![no_main]

use functions::logs::{LineSplitter, MAX_LINE};
use functions::protocol::{ErrorReport, Route};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input: method+path, header, body.
    let (cut, rest) = match data.split_first() {
        Some((c, r)) => (usize::from(*c), r),
        None => (0, data),
    };
    let (head, body) = rest.split_at(cut.min(rest.len()));
    let head = String::from_utf8_lossy(head);
    let (method, path) = head.split_once(' ').unwrap_or(("GET", &head));
    match Route::parse(method, path) {
        Route::Response(id) | Route::Error(id) => {
            assert!(!id.is_empty() && !id.contains('/') && id.len() <= 128);
        }
        _ => {}
    }
    let header = body.get(..body.len().min(32));
    let report = ErrorReport::parse(header, body);
    assert!(!report.error_type.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&report.payload).is_ok());

    let mut lines = LineSplitter::default();
    for line in lines.push(body).into_iter().chain(lines.finish()) {
        assert!(line.len() <= MAX_LINE * 3, "a cut line is at most MAX_LINE bytes before lossy decoding");
    }
});
