//! The payload hash is the verifier's: computed from the body that arrived, never taken from the
//! client. A declared `x-amz-content-sha256` (header, or a presigned URL's
//! `X-Amz-Content-Sha256`) is only compared with it, and `UNSIGNED-PAYLOAD` leaves no body outside
//! the signature unless the verifier allows it. Every refusal here is AWS's signature mismatch.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{
    BodyMode, OwnedRequest, SignSpec, request, sha256_hex, sign_with_aws_sigv4, verify, verify_with,
};
use http::HeaderValue;
use proptest::prelude::*;
use sigv4::{Error, UNSIGNED_PAYLOAD, parse, payload_hash};

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'";

/// How the client tells the verifier about the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    /// Nothing: the verifier hashes the body.
    Nothing,
    /// `x-amz-content-sha256` header (signed), in the header form.
    Header,
    /// `x-amz-content-sha256` header (signed), in a presigned URL.
    PresignedHeader,
    /// `X-Amz-Content-Sha256` query parameter (signed), in a presigned URL.
    PresignedQuery,
}

const DECLARED: [Declared; 3] = [
    Declared::Header,
    Declared::PresignedHeader,
    Declared::PresignedQuery,
];

fn spec(presign: bool, body_mode: BodyMode) -> SignSpec<'static> {
    SignSpec {
        presign: presign.then(|| Duration::from_secs(300)),
        body_mode,
        ..SignSpec::default()
    }
}

/// A POST whose body the client signs as `signed_hash` (a hex hash or `UNSIGNED-PAYLOAD`),
/// declaring it as `declared` says; then the body is replaced by `sent` as it arrives.
fn request_with(
    declared: Declared,
    signed_body: &[u8],
    unsigned: bool,
    sent: &[u8],
) -> (OwnedRequest, SignSpec<'static>) {
    let value = if unsigned {
        UNSIGNED_PAYLOAD.to_owned()
    } else {
        sha256_hex(signed_body)
    };
    let presign = matches!(
        declared,
        Declared::PresignedHeader | Declared::PresignedQuery
    );
    let query = if declared == Declared::PresignedQuery {
        format!("x=1&X-Amz-Content-Sha256={value}")
    } else {
        "x=1".to_owned()
    };
    let mut req = request("POST", "/prod/pets", &query, signed_body);
    if matches!(declared, Declared::Header | Declared::PresignedHeader) {
        req.headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    // The header is already there (and signed as any other); the signer only picks the hash.
    let mode = if unsigned {
        BodyMode::UnsignedNoHeader
    } else {
        BodyMode::Hashed
    };
    let spec = spec(presign, mode);
    sign_with_aws_sigv4(&mut req, &spec);
    req.body = sent.to_vec();
    (req, spec)
}

/// The refusal must be AWS's signature mismatch, its canonical request ending in the hash of the
/// body that arrived (what the client should have signed).
fn assert_mismatch_with_body_hash(result: Result<(), Error>, body: &[u8]) {
    let err = result.unwrap_err();
    assert_eq!(err.error_type(), "InvalidSignatureException");
    assert!(err.to_string().starts_with(MISMATCH), "{err}");
    let Error::SignatureMismatch {
        canonical_request, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(
        canonical_request.ends_with(&sha256_hex(body)),
        "{canonical_request}"
    );
}

#[test]
fn a_right_declared_hash_verifies_in_every_form() {
    for declared in DECLARED {
        for body in [&b""[..], b"{\"name\":\"rex\"}"] {
            let (req, spec) = request_with(declared, body, false, body);
            verify(&req, &spec).unwrap_or_else(|e| panic!("{declared:?}: {e}"));
        }
    }
}

#[test]
fn a_tampered_body_under_the_original_declared_hash_is_a_signature_mismatch() {
    for declared in DECLARED {
        let (req, spec) = request_with(declared, b"original", false, b"tampered");
        assert_mismatch_with_body_hash(verify(&req, &spec), b"tampered");
        // The option concerns UNSIGNED-PAYLOAD only.
        assert_mismatch_with_body_hash(verify_with(&req, &spec, true), b"tampered");
    }
}

#[test]
fn a_tampered_body_with_a_matching_declared_hash_is_a_signature_mismatch() {
    // The attacker fixes the declared hash up too; the signature still covers the original.
    for declared in [Declared::Header, Declared::PresignedHeader] {
        let (mut req, spec) = request_with(declared, b"original", false, b"tampered");
        req.headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_str(&sha256_hex(b"tampered")).unwrap(),
        );
        assert_mismatch_with_body_hash(verify(&req, &spec), b"tampered");
    }
    let (mut req, spec) = request_with(Declared::PresignedQuery, b"original", false, b"tampered");
    req.query = req
        .query
        .replace(&sha256_hex(b"original"), &sha256_hex(b"tampered"));
    assert_mismatch_with_body_hash(verify(&req, &spec), b"tampered");
}

#[test]
fn a_wrong_declared_hash_with_the_signed_body_is_a_signature_mismatch() {
    // The client signed (and declared) a hash that is not its body's: the body that arrived is
    // the one it signed, but API Gateway hashes the body itself, so the signature cannot match.
    for declared in DECLARED {
        let (mut req, spec) = request_with(declared, b"declared", false, b"declared");
        req.body = b"sent".to_vec();
        assert_mismatch_with_body_hash(verify(&req, &spec), b"sent");
    }
}

#[test]
fn an_unsigned_declared_hash_is_still_compared() {
    // `x-amz-content-sha256` added after signing (not in SignedHeaders): compared all the same.
    let spec = spec(false, BodyMode::Hashed);
    let mut req = request("POST", "/prod/pets", "", b"body");
    sign_with_aws_sigv4(&mut req, &spec);
    let auth = parse(&req.view()).unwrap().unwrap();
    assert!(!auth.signed_headers().contains("x-amz-content-sha256"));
    req.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&sha256_hex(b"body")).unwrap(),
    );
    verify(&req, &spec).unwrap();
    req.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&sha256_hex(b"other")).unwrap(),
    );
    assert_mismatch_with_body_hash(verify(&req, &spec), b"body");
    // Not a hash at all, or in capitals: not what the body hashes to either.
    for bad in [
        "not-a-hash".to_owned(),
        sha256_hex(b"body").to_uppercase(),
        String::new(),
    ] {
        req.headers
            .insert("x-amz-content-sha256", HeaderValue::from_str(&bad).unwrap());
        assert_mismatch_with_body_hash(verify(&req, &spec), b"body");
    }
}

/// A request signed with `UNSIGNED-PAYLOAD`, declared as `declared` says; for
/// [`Declared::Nothing`], what botocore's presigner does: sign it and say nothing.
fn unsigned_request(
    declared: Declared,
    method: &str,
    body: &[u8],
) -> (OwnedRequest, SignSpec<'static>) {
    if declared == Declared::Nothing {
        let spec = spec(true, BodyMode::UnsignedNoHeader);
        let mut req = request(method, "/prod/pets", "", body);
        sign_with_aws_sigv4(&mut req, &spec);
        (req, spec)
    } else {
        request_with(declared, body, true, body)
    }
}

const EVERY_FORM: [Declared; 4] = [
    Declared::Nothing,
    Declared::Header,
    Declared::PresignedHeader,
    Declared::PresignedQuery,
];

#[test]
fn unsigned_payload_with_an_empty_body_verifies_in_every_form() {
    for declared in EVERY_FORM {
        let (req, spec) = unsigned_request(declared, "GET", b"");
        for allow in [false, true] {
            verify_with(&req, &spec, allow)
                .unwrap_or_else(|e| panic!("{declared:?} allow={allow}: {e}"));
        }
    }
}

#[test]
fn unsigned_payload_with_a_body_needs_the_option_in_every_form() {
    for declared in EVERY_FORM {
        let (req, spec) = unsigned_request(declared, "POST", b"{}");
        assert_mismatch_with_body_hash(verify(&req, &spec), b"{}");
        verify_with(&req, &spec, true).unwrap_or_else(|e| panic!("{declared:?}: {e}"));
    }
    // The header form too, signed by the SDK's own unsigned-payload mode.
    let spec = spec(false, BodyMode::Unsigned);
    let mut req = request("PUT", "/prod/pets/1", "", b"original");
    sign_with_aws_sigv4(&mut req, &spec);
    assert_mismatch_with_body_hash(verify(&req, &spec), b"original");
    req.body = b"anything at all".to_vec();
    verify_with(&req, &spec, true).unwrap();
}

#[test]
fn the_option_is_off_by_default() {
    let v = sigv4::Verifier::new("us-east-1", "execute-api");
    assert!(!v.unsigned_payload_allowed());
    assert!(v.allow_unsigned_payload(true).unsigned_payload_allowed());
}

#[test]
fn streaming_payloads_stay_unsupported() {
    for allow in [false, true] {
        let (mut req, spec) = request_with(Declared::Header, b"", false, b"");
        req.headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        );
        assert_eq!(
            verify_with(&req, &spec, allow),
            Err(Error::StreamingPayloadUnsupported)
        );
    }
}

#[test]
fn payload_hash_is_the_computed_one() {
    let (req, _) = request_with(Declared::Header, b"signed", false, b"sent");
    let auth = parse(&req.view()).unwrap().unwrap();
    assert_eq!(
        payload_hash(&auth, &req.view(), &req.body).unwrap(),
        sha256_hex(b"sent")
    );
    let (req, _) = request_with(Declared::Header, b"", true, b"");
    let auth = parse(&req.view()).unwrap().unwrap();
    assert_eq!(
        payload_hash(&auth, &req.view(), b"").unwrap(),
        UNSIGNED_PAYLOAD
    );
    assert_eq!(
        payload_hash(&auth, &req.view(), b"x").unwrap(),
        sha256_hex(b"x")
    );
}

fn declared() -> impl Strategy<Value = Declared> {
    prop::sample::select(DECLARED.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever the client declares and whatever body arrives, a request verifies exactly when
    /// the body that arrived is the one whose hash was signed.
    #[test]
    fn a_declared_hash_verifies_only_with_its_body(
        declared in declared(),
        signed in prop::collection::vec(any::<u8>(), 0..64),
        sent in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
        allow in any::<bool>(),
    ) {
        let sent = sent.unwrap_or_else(|| signed.clone());
        let (req, spec) = request_with(declared, &signed, false, &sent);
        let result = verify_with(&req, &spec, allow);
        if sent == signed {
            prop_assert_eq!(result, Ok(()));
        } else {
            assert_mismatch_with_body_hash(result, &sent);
        }
    }

    /// UNSIGNED-PAYLOAD verifies with an empty body, or with any body when allowed; otherwise it
    /// is a signature mismatch showing the body's hash.
    #[test]
    fn unsigned_payload_covers_a_body_only_when_allowed(
        declared in declared(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        tampered in prop::collection::vec(any::<u8>(), 0..64),
        allow in any::<bool>(),
    ) {
        let (mut req, spec) = request_with(declared, &body, true, &body);
        for sent in [body, tampered] {
            req.body.clone_from(&sent);
            let result = verify_with(&req, &spec, allow);
            if allow || sent.is_empty() {
                prop_assert_eq!(result, Ok(()));
            } else {
                assert_mismatch_with_body_hash(result, &sent);
            }
        }
    }
}
