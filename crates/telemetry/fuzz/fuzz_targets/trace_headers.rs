//! `X-Amzn-Trace-Id` and `traceparent` come from clients: parsing never panics, and whatever
//! parses is re-emitted in a form that parses back to the same trace.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telemetry::TraceContext;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (amzn, rest) = data.split_at(split);
    let traceparent = rest.get(1..).unwrap_or_default();
    if let Some(t) = TraceContext::from_headers(Some(amzn), Some(traceparent)) {
        let again = TraceContext::from_headers(Some(t.xray_header(1).as_bytes()), None)
            .expect("our own header parses");
        assert_eq!(again.trace_id, t.trace_id);
        let w3c = TraceContext::from_headers(None, Some(t.traceparent(1).as_bytes()))
            .expect("our own traceparent parses");
        assert_eq!(w3c.trace_id, t.trace_id);
    }
});
