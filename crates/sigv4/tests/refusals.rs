//! Every refusal, with AWS's exact message and error type, and the boundaries of the clock checks.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{
    AKID, OwnedRequest, REGION, SECRET, SERVICE, SignSpec, T0, at, request, sign_with_aws_sigv4,
};
use http::HeaderValue;
use sigv4::{Error, ParsedAuth, Verifier, parse};

fn with_headers(pairs: &[(&'static str, &str)]) -> OwnedRequest {
    let mut r = request("GET", "/", "", b"");
    for (k, v) in pairs {
        r.headers.append(*k, HeaderValue::from_str(v).unwrap());
    }
    r
}

fn parse_err(r: &OwnedRequest) -> Error {
    parse(&r.view()).unwrap_err()
}

fn auth_header(credential: &str, signed_headers: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_headers}, Signature={}",
        "0".repeat(64)
    )
}

fn parsed(r: &OwnedRequest) -> ParsedAuth {
    parse(&r.view()).unwrap().unwrap()
}

fn verifier() -> Verifier {
    Verifier::new(REGION, SERVICE)
}

fn check(err: &Error, message: &str, error_type: &str) {
    assert_eq!(err.to_string(), message);
    assert_eq!(err.error_type(), error_type, "{message}");
    assert_eq!(err.http_status(), 403);
}

const CRED: &str = "AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request";

#[test]
fn no_auth_at_all_is_not_an_error() {
    let r = with_headers(&[("x-amz-date", "20150830T123600Z")]);
    assert_eq!(parse(&r.view()).unwrap(), None);
}

#[test]
fn bare_token_lists_every_missing_part_and_echoes_the_header() {
    let r = with_headers(&[(
        "authorization",
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.x",
    )]);
    check(
        &parse_err(&r),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.x",
        "IncompleteSignatureException",
    );
}

#[test]
fn only_the_missing_parts_are_listed() {
    let header = format!("AWS4-HMAC-SHA256 Credential={CRED}");
    let r = with_headers(&[
        ("authorization", &header),
        ("x-amz-date", "20150830T123600Z"),
    ]);
    check(
        &parse_err(&r),
        &format!(
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={header}"
        ),
        "IncompleteSignatureException",
    );
}

#[test]
fn bearer_token_is_a_missing_equal_sign_with_the_header_hashed() {
    let header = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
    let r = with_headers(&[("authorization", header)]);
    let hash = ring::digest::digest(&ring::digest::SHA256, header.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(hash.as_ref());
    check(
        &parse_err(&r),
        &format!(
            "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '{b64}'."
        ),
        "IncompleteSignatureException",
    );
    assert!(
        !parse_err(&r).to_string().contains("eyJ"),
        "the token must not be echoed"
    );
}

#[test]
fn unsupported_algorithm() {
    let header =
        auth_header(CRED, "host;x-amz-date").replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512");
    let r = with_headers(&[
        ("authorization", &header),
        ("x-amz-date", "20150830T123600Z"),
    ]);
    check(
        &parse_err(&r),
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.",
        "IncompleteSignatureException",
    );
}

#[test]
fn presigned_missing_parameters() {
    let r = request(
        "GET",
        "/",
        "X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fexecute-api%2Faws4_request",
        b"",
    );
    check(
        &parse_err(&r),
        "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
        "IncompleteSignatureException",
    );
}

#[test]
fn presigned_with_another_algorithm_carries_no_sigv4_auth() {
    let r = request(
        "GET",
        "/",
        "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=x&X-Amz-Signature=y",
        b"",
    );
    assert_eq!(parse(&r.view()).unwrap(), None);
}

#[test]
fn malformed_credential() {
    let header = auth_header(
        "AKIDEXAMPLE/20150830/us-east-1/execute-api",
        "host;x-amz-date",
    );
    let r = with_headers(&[
        ("authorization", &header),
        ("x-amz-date", "20150830T123600Z"),
    ]);
    check(
        &parse_err(&r),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/execute-api'",
        "IncompleteSignatureException",
    );
}

#[test]
fn bad_date_formats() {
    let header = auth_header(CRED, "host;x-amz-date");
    for bad in ["2015-08-30T12:36:00Z", "20150830T123600", "yesterday"] {
        let r = with_headers(&[("authorization", &header), ("x-amz-date", bad)]);
        check(
            &parse_err(&r),
            &format!(
                "Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
            "IncompleteSignatureException",
        );
    }
    let r = with_headers(&[("authorization", &header), ("date", "30/08/2015")]);
    check(
        &parse_err(&r),
        "Date must be in ISO-8601 'basic format'. Got '30/08/2015'. See http://en.wikipedia.org/wiki/ISO_8601",
        "IncompleteSignatureException",
    );
    let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Date=2015&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    check(
        &parse_err(&request("GET", "/", q, b"")),
        "Date must be in ISO-8601 'basic format'. Got '2015'. See http://en.wikipedia.org/wiki/ISO_8601",
        "IncompleteSignatureException",
    );
}

fn presigned_query(expires: &str) -> String {
    format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
        "0".repeat(64)
    )
}

#[test]
fn expires_refusals() {
    check(
        &parse_err(&request("GET", "/", &presigned_query("soon"), b"")),
        "X-Amz-Expires should be a number",
        "IncompleteSignatureException",
    );
    check(
        &parse_err(&request("GET", "/", &presigned_query("-1"), b"")),
        "X-Amz-Expires must be non-negative",
        "IncompleteSignatureException",
    );
    let auth = parsed(&request("GET", "/", &presigned_query("604801"), b""));
    check(
        &verifier().precheck(&auth, at(T0)).unwrap_err(),
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        "IncompleteSignatureException",
    );
    let auth = parsed(&request("GET", "/", &presigned_query("604800"), b""));
    verifier().precheck(&auth, at(T0)).unwrap();
}

#[test]
fn presigned_expiry_boundary() {
    let auth = parsed(&request("GET", "/", &presigned_query("3600"), b""));
    verifier().precheck(&auth, at(T0 + 3600)).unwrap();
    check(
        &verifier().precheck(&auth, at(T0 + 3601)).unwrap_err(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T133601Z - 3600 sec.)",
        "InvalidSignatureException",
    );
    // A presigned URL may be used early only within the skew.
    verifier().precheck(&auth, at(T0 - 300)).unwrap();
    assert!(matches!(
        verifier().precheck(&auth, at(T0 - 301)),
        Err(Error::SignatureNotYetCurrent { .. })
    ));
}

fn header_auth(credential: &str, date: &str, signed_headers: &str) -> ParsedAuth {
    let header = auth_header(credential, signed_headers);
    parsed(&with_headers(&[
        ("authorization", &header),
        ("x-amz-date", date),
    ]))
}

#[test]
fn credential_scope_refusals() {
    let v = verifier();
    let e = v.precheck(
        &header_auth(
            "AKID/20150830/eu-west-1/execute-api/aws4_request",
            "20150830T123600Z",
            "host",
        ),
        at(T0),
    );
    check(
        &e.unwrap_err(),
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
        "InvalidSignatureException",
    );
    let e = v.precheck(
        &header_auth(
            "AKID/20150830/us-east-1/lambda/aws4_request",
            "20150830T123600Z",
            "host",
        ),
        at(T0),
    );
    check(
        &e.unwrap_err(),
        "Credential should be scoped to correct service: 'execute-api'. ",
        "InvalidSignatureException",
    );
    let e = v.precheck(
        &header_auth(
            "AKID/20150830/us-east-1/execute-api/x",
            "20150830T123600Z",
            "host",
        ),
        at(T0),
    );
    check(
        &e.unwrap_err(),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'x'. ",
        "InvalidSignatureException",
    );
    let e = v.precheck(
        &header_auth(
            "AKID/20150830/us-east-1/execute-api/aws4_request",
            "20150831T000000Z",
            "host",
        ),
        at(T0),
    );
    check(
        &e.unwrap_err(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150830' != '20150831', from '20150831T000000Z'.",
        "InvalidSignatureException",
    );
}

#[test]
fn host_must_be_signed() {
    let e = verifier().precheck(&header_auth(CRED, "20150830T123600Z", "x-amz-date"), at(T0));
    check(
        &e.unwrap_err(),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        "InvalidSignatureException",
    );
    verifier()
        .precheck(
            &header_auth(CRED, "20150830T123600Z", ":authority;x-amz-date"),
            at(T0),
        )
        .unwrap();
}

#[test]
fn clock_skew_boundaries() {
    let v = verifier();
    let auth = header_auth(CRED, "20150830T123600Z", "host;x-amz-date");
    // Exactly five minutes either way is accepted.
    v.precheck(&auth, at(T0 + 300)).unwrap();
    v.precheck(&auth, at(T0 - 300)).unwrap();
    // Sub-second parts of the clock do not matter.
    v.precheck(&auth, at(T0 + 300) + Duration::from_millis(999))
        .unwrap();
    check(
        &v.precheck(&auth, at(T0 + 600)).unwrap_err(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)",
        "InvalidSignatureException",
    );
    assert!(matches!(
        v.precheck(&auth, at(T0 + 301)),
        Err(Error::SignatureExpired { .. })
    ));

    let future = header_auth(CRED, "20150830T130000Z", "host;x-amz-date");
    check(
        &v.precheck(&future, at(T0 + 300)).unwrap_err(),
        "Signature not yet current: 20150830T130000Z is still later than 20150830T124600Z (20150830T124100Z + 5 min.)",
        "InvalidSignatureException",
    );
    assert!(matches!(
        v.precheck(&auth, at(T0 - 301)),
        Err(Error::SignatureNotYetCurrent { .. })
    ));

    // The skew is configurable.
    let lenient = Verifier::new(REGION, SERVICE).with_max_skew(Duration::from_secs(15 * 60));
    lenient.precheck(&auth, at(T0 + 900)).unwrap();
    let e = lenient.precheck(&auth, at(T0 + 901)).unwrap_err();
    assert!(e.to_string().ends_with("- 15 min.)"), "{e}");
}

fn signed_get(spec: &SignSpec<'_>) -> OwnedRequest {
    let mut r = request("POST", "/prod/pets", "a=1", b"{}");
    sign_with_aws_sigv4(&mut r, spec);
    r
}

#[test]
fn payload_hash_refusals() {
    let spec = SignSpec::default();
    let mut r = signed_get(&spec);
    r.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    );
    let auth = parsed(&r);
    let e = verifier()
        .verify(&auth, &r.view(), &r.body, SECRET, at(T0))
        .unwrap_err();
    check(
        &e,
        "A header you provided implies functionality that is not implemented.",
        "NotImplemented",
    );

    r.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("not-a-hash"),
    );
    // A declared value that is not the body's hash is a signature mismatch, whose text shows the
    // hash the client should have signed.
    let e = verifier()
        .verify(&auth, &r.view(), &r.body, SECRET, at(T0))
        .unwrap_err();
    assert_eq!(e.error_type(), "InvalidSignatureException");
    let Error::SignatureMismatch {
        canonical_request, ..
    } = &e
    else {
        panic!("{e:?}");
    };
    assert!(canonical_request.ends_with(&common::sha256_hex(b"{}")));
    assert!(e.to_string().starts_with(
        "The request signature we calculated does not match the signature you provided."
    ));
}

#[test]
fn signature_mismatch_carries_aws_debug_text() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/get-vanilla");
    let text = std::fs::read_to_string(dir.join("header-signed-request.txt")).unwrap();
    let r = common::parse_http(&text);
    let auth = parsed(&r);
    let e = Verifier::new("us-east-1", "service")
        .verify(&auth, &r.view(), &r.body, "wrong secret", at(T0))
        .unwrap_err();
    let creq = std::fs::read_to_string(dir.join("header-canonical-request.txt")).unwrap();
    let sts = std::fs::read_to_string(dir.join("header-string-to-sign.txt")).unwrap();
    check(
        &e,
        &format!(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{}'\n\nThe String-to-Sign should have been\n'{}'\n",
            creq.trim_end(),
            sts.trim_end()
        ),
        "InvalidSignatureException",
    );
}

#[test]
fn secrets_never_appear_in_errors_or_debug_output() {
    let spec = SignSpec::default();
    let r = signed_get(&spec);
    let auth = parsed(&r);
    let v = verifier();
    v.verify(&auth, &r.view(), &r.body, SECRET, at(T0)).unwrap();
    let wrong = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY";
    let e = v
        .verify(&auth, &r.view(), &r.body, wrong, at(T0))
        .unwrap_err();
    for text in [
        e.to_string(),
        format!("{e:?}"),
        format!("{v:?}"),
        format!("{auth:?}"),
    ] {
        assert!(!text.contains(SECRET) && !text.contains(wrong), "{text}");
    }
}

#[test]
fn header_form_wins_over_query_parameters() {
    let spec = SignSpec::default();
    let mut r = request("GET", "/", &presigned_query("60"), b"");
    sign_with_aws_sigv4(&mut r, &spec);
    let auth = parsed(&r);
    assert_eq!(auth.form(), sigv4::Form::Header);
    assert_eq!(auth.access_key_id(), AKID);
    verifier()
        .verify(&auth, &r.view(), &r.body, SECRET, at(T0))
        .unwrap();
}
