//! A function's answer to the Lambda proxy integration (bytes the function chose): parsing never
//! panics, and what parses is a response hyper can send — a real status, valid headers — whose
//! body, when not decoded, is exactly the answer's `body` text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flag, payload)) = data.split_first() else {
        return;
    };
    let decode = flag & 1 == 1;
    let Ok(response) = gateway::lambda_proxy::parse_response(payload, decode) else {
        return;
    };
    assert!((100..=599).contains(&response.status.as_u16()));
    for value in response.headers.values() {
        assert!(http::HeaderValue::from_bytes(value.as_bytes()).is_ok());
    }
    if !response.decoded {
        let doc: serde_json::Value = serde_json::from_slice(payload).expect("parsed once");
        let body = doc.get("body").and_then(serde_json::Value::as_str).unwrap_or("");
        assert_eq!(&response.body[..], body.as_bytes());
    }
});
