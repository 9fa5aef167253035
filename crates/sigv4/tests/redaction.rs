//! Session tokens and signatures never reach a log: the signature-mismatch text (AWS's, kept for
//! the response) shows the canonical request with the token in it; `redact_for_log` and
//! `Error::log_message` hide it.
#![allow(clippy::unwrap_used)]

mod common;

use std::borrow::Cow;
use std::time::Duration;

use common::{OwnedRequest, SignSpec, form_encode, request, sign_with_aws_sigv4};
use http::HeaderValue;
use proptest::prelude::*;
use sigv4::{Error, Verifier, parse, redact_for_log};

/// Signs a GET with temporary credentials and verifies it with the wrong secret.
fn mismatch(token: &str, presign: bool, query: &str) -> (OwnedRequest, Error) {
    let spec = SignSpec {
        token: Some(token),
        presign: presign.then(|| Duration::from_secs(300)),
        ..SignSpec::default()
    };
    let mut req = request("GET", "/prod/pets", query, b"");
    req.headers
        .insert("x-custom", HeaderValue::from_static("kept"));
    sign_with_aws_sigv4(&mut req, &spec);
    let view = req.view();
    let auth = parse(&view).unwrap().unwrap();
    assert_eq!(auth.session_token(), Some(token));
    let err = Verifier::new(common::REGION, common::SERVICE)
        .verify(&auth, &view, &req.body, "wrong secret", spec.time)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureMismatch { .. }), "{err}");
    (req, err)
}

/// The forms a token takes in the message: as sent, as canonicalized (blanks collapsed), encoded.
fn forms(token: &str) -> Vec<String> {
    let collapsed = token.split_whitespace().collect::<Vec<_>>().join(" ");
    vec![token.to_owned(), collapsed, form_encode(token)]
}

fn signature_of(req: &OwnedRequest) -> String {
    parse(&req.view()).unwrap().unwrap().signature().to_owned()
}

#[test]
fn the_message_carries_the_token_and_the_log_message_does_not() {
    let token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token==";
    for presign in [false, true] {
        let (req, err) = mismatch(token, presign, "a=1");
        let message = err.to_string();
        if presign {
            assert!(message.contains(&format!("X-Amz-Security-Token={}", form_encode(token))));
        } else {
            assert!(message.contains(&format!("\nx-amz-security-token:{token}\n")));
        }
        let log = err.log_message();
        assert_eq!(log, redact_for_log(&message));
        for form in forms(token) {
            assert!(!log.contains(&form), "{log}");
        }
        assert!(!log.contains(&signature_of(&req)));
        // What helps debugging a signer stays.
        assert!(
            log.contains("x-custom:kept") && log.contains("a=1"),
            "{log}"
        );
        assert!(
            log.contains("x-amz-security-token:<redacted>")
                || log.contains("X-Amz-Security-Token=<redacted>"),
            "{log}"
        );
        assert!(log.starts_with("The request signature we calculated does not match"));
    }
}

#[test]
fn refusals_without_secrets_log_as_they_read() {
    let e = Error::WrongRegion {
        region: "eu-west-1".into(),
    };
    assert_eq!(e.log_message(), e.to_string());
    let msg = e.to_string();
    assert!(matches!(redact_for_log(&msg), Cow::Borrowed(_)));
}

#[test]
fn an_echoed_authorization_header_loses_its_signature_or_token() {
    // Every part but the signature: AWS echoes the header.
    let mut r = request("GET", "/", "", b"");
    r.headers.insert(
        "authorization",
        HeaderValue::from_static("AWS4-HMAC-SHA256 Signature=0123abcd"),
    );
    let e = parse(&r.view()).unwrap_err();
    assert!(e.to_string().contains("Signature=0123abcd"));
    assert!(!e.log_message().contains("0123abcd"), "{}", e.log_message());
    // A bearer token sent by mistake, with no `=` (a JWT): echoed by AWS, not by the log.
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    r.headers
        .insert("authorization", HeaderValue::from_static(jwt));
    let e = parse(&r.view()).unwrap_err();
    assert!(e.to_string().contains(jwt));
    assert!(!e.log_message().contains(jwt), "{}", e.log_message());
}

/// Session tokens as STS mints them (base64), and arbitrary visible text with inner blanks.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9+/]{16,400}={0,2}",
        "[!-~]{8}([ \t]{0,3}[!-~]{1,8}){1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn redacted_mismatch_text_never_contains_the_token(
        token in token(),
        presign in any::<bool>(),
        query in prop::sample::select(vec!["", "a=1", "z=last&b=2", "x-amz-security-token=user-param"]),
    ) {
        let (req, err) = mismatch(&token, presign, query);
        let message = err.to_string();
        let log = redact_for_log(&message);
        for form in forms(&token) {
            prop_assert!(!log.contains(&form), "{:?} in {}", form, log);
        }
        prop_assert!(!log.contains(&signature_of(&req)));
        prop_assert_eq!(err.log_message(), log.as_ref());
        // Idempotent: a redacted text has nothing left to hide.
        prop_assert!(matches!(redact_for_log(&log), Cow::Borrowed(_)));
    }

    #[test]
    fn redaction_never_panics_and_is_idempotent(text in "\\PC{0,200}", noise in "(x-amz-security-token|X%2DAmz%2DSignature|Signature|Authorization)(=|:| :|%3D)?[^&\n]{0,10}") {
        let text = format!("{noise}{text}{noise}");
        let once = redact_for_log(&text).into_owned();
        prop_assert!(matches!(redact_for_log(&once), Cow::Borrowed(_)), "{}", once);
    }
}
