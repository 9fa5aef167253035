//! Runs the `render_access_log` fuzz target's body (`fuzz/render_access_log.rs`) on hand-written
//! hostile inputs and on generated ones, so `cargo test` checks what the fuzzer checks.
#![allow(clippy::unwrap_used)]

#[path = "../fuzz/render_access_log.rs"]
mod body;

use body::render_access_log;
use proptest::prelude::*;

/// Format, then values, separated by 0xFF.
fn input(format: &str, values: &[&str]) -> Vec<u8> {
    let mut data = format.as_bytes().to_vec();
    for v in values {
        data.push(0xff);
        data.extend_from_slice(v.as_bytes());
    }
    data
}

#[test]
fn hostile_values_in_the_usual_formats() {
    let values = [
        "ok",
        "line one\nline two\r\n127.0.0.1 - - [x] \"GET / HTTP/1.1\" 200",
        "\u{0}\u{1b}[2J\u{7f}\u{85}\u{2028}\u{2029}\u{202e}\u{2066}",
        r"back\slash \n \x41 \u{41}",
        "\"quoted\", 'single', <tag>&amp;",
        "",
    ];
    for format in [
        "$context.identity.sourceIp - $context.identity.caller [$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status $context.responseLength $context.requestId",
        "$context.identity.sourceIp,$context.requestTime,$context.error.message,$context.requestId",
        "<request id=\"$context.requestId\"><ip>$context.identity.sourceIp</ip><err>$context.error.message</err></request>",
        r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","error":"$context.error.message","stage":"$stageVariables.name"}"#,
        "literal\nline break in the operator's own format $context.requestId",
    ] {
        assert!(render_access_log(&input(format, &values)), "{format}");
    }
    // Formats that do not parse still check every value.
    assert!(!render_access_log(&input("#set($x = 1)", &values)));
    // An empty format, values that are not UTF-8.
    assert!(render_access_log(&[0xff, 0xfe, b'\n', 0xff, 0xc2]));
}

proptest! {
    #[test]
    fn generated_inputs(data in prop::collection::vec(any::<u8>(), 0..300)) {
        render_access_log(&data);
    }

    #[test]
    fn generated_values_in_a_fixed_format(values in prop::collection::vec("\\PC{0,20}|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{2028}\\u{2029}\\\\]{0,10}", 0..5)) {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        prop_assert!(render_access_log(&input("$context.requestId \"$context.error.message\" $stageVariables.v", &values)));
    }
}
