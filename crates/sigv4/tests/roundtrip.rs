//! Round trips with an independent signer: requests signed by `aws-sigv4` (AWS's Rust SDK signer)
//! must verify, in both forms, across the awkward corners of paths, queries, bodies and payload
//! modes.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{BodyMode, OwnedRequest, SignSpec, request, sign_with_aws_sigv4, verify, verify_with};
use sigv4::{Error, Form};

const PATHS: &[&str] = &[
    "/",
    "/prod/pets",
    "/prod/pets/",
    "/a%20b",
    "/caf%C3%A9/%E1%88%B4",
    "/a%2Fb",
    "/users/me@example.com",
    "/users/me%40example.com",
    "/k=v;x,y",
    "/%2540already-double",
    "//repeated//slashes//",
    "/a/./b/../c",
    "/a/b/..",
    "/~user/-_.!*'()",
];

const QUERIES: &[&str] = &[
    "",
    "a=1",
    "b=2&a=1",
    "a=2&a=1&a=10",
    "empty=&also=",
    "flag",
    "flag&x=1&flag2",
    "reserved=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D",
    "plus=a+b",
    "space=a%20b",
    "euro=%E2%82%AC&%E1%88%B4=key",
    "pct=100%25",
    "A=upper&a=lower&_=u&~=t",
    "X-Amz-Date=not-a-param-in-header-form",
];

fn spec(presign: bool, token: Option<&'static str>) -> SignSpec<'static> {
    SignSpec {
        token,
        presign: presign.then(|| Duration::from_secs(900)),
        ..SignSpec::default()
    }
}

fn signed(method: &str, path: &str, query: &str, body: &[u8], spec: &SignSpec<'_>) -> OwnedRequest {
    let mut req = request(method, path, query, body);
    req.headers
        .insert("content-type", "application/json".parse().unwrap());
    req.headers
        .insert("x-custom", "  spaced   value  ".parse().unwrap());
    req.headers.append("x-multi", "one".parse().unwrap());
    req.headers.append("x-multi", "two".parse().unwrap());
    sign_with_aws_sigv4(&mut req, spec);
    req
}

#[test]
fn paths_and_queries_in_both_forms_with_and_without_token() {
    let mut n = 0;
    for presign in [false, true] {
        for token in [
            None,
            Some("FwoGZXIvYXdzEJr//////////wEaDP+token/with=chars"),
        ] {
            let spec = spec(presign, token);
            for path in PATHS {
                for query in QUERIES {
                    // The header form reads X-Amz-* query params as ordinary ones; presigning
                    // would add a second X-Amz-Date, which no signer does.
                    if presign && query.starts_with("X-Amz-") {
                        continue;
                    }
                    let req = signed("GET", path, query, b"", &spec);
                    let auth = sigv4::parse(&req.view()).unwrap().unwrap();
                    assert_eq!(
                        auth.form(),
                        if presign { Form::Query } else { Form::Header }
                    );
                    assert_eq!(auth.session_token(), token);
                    if let Err(e) = verify(&req, &spec) {
                        panic!(
                            "{} {path}?{query} presign={presign} token={token:?}: {e}",
                            req.method
                        );
                    }
                    n += 1;
                }
            }
        }
    }
    assert!(n > 700, "{n}");
}

#[test]
fn unnormalized_signers_verify_too() {
    let spec = SignSpec {
        normalize: false,
        ..SignSpec::default()
    };
    for path in ["//repeated//slashes//", "/a/./b/../c", "/a/b/.."] {
        let req = signed("GET", path, "", b"", &spec);
        verify(&req, &spec).unwrap();
    }
}

#[test]
fn bodies_and_payload_modes() {
    let big = vec![0x5a_u8; 1024 * 1024];
    let bodies: [&[u8]; 3] = [b"", br#"{"name":"rex","kind":"dog"}"#, &big];
    for presign in [false, true] {
        for mode in [
            BodyMode::Hashed,
            BodyMode::HashedWithHeader,
            BodyMode::Unsigned,
            BodyMode::UnsignedNoHeader,
        ] {
            // Without the header, only a presigned URL can carry UNSIGNED-PAYLOAD (S3 style).
            if mode == BodyMode::UnsignedNoHeader && !presign {
                continue;
            }
            for body in bodies {
                let spec = SignSpec {
                    body_mode: mode,
                    ..spec(presign, None)
                };
                let req = signed("POST", "/prod/pets", "x=1", body, &spec);
                let unsigned = matches!(mode, BodyMode::Unsigned | BodyMode::UnsignedNoHeader);
                let lenient = verify_with(&req, &spec, true);
                if let Err(e) = lenient {
                    panic!(
                        "allowed, presign={presign} {mode:?} body={}: {e}",
                        body.len()
                    );
                }
                match verify(&req, &spec) {
                    // An unsigned body is refused by default; an empty one is all covered.
                    Err(Error::SignatureMismatch { .. }) if unsigned && !body.is_empty() => {}
                    Ok(()) if !unsigned || body.is_empty() => {}
                    other => panic!("presign={presign} {mode:?} body={}: {other:?}", body.len()),
                }
            }
        }
    }
}

#[test]
fn declared_hash_protects_the_body() {
    let spec = SignSpec {
        body_mode: BodyMode::HashedWithHeader,
        ..SignSpec::default()
    };
    let mut req = signed("PUT", "/prod/pets/1", "", b"original", &spec);
    verify(&req, &spec).unwrap();
    req.body = b"tampered".to_vec();
    let err = verify(&req, &spec).unwrap_err();
    let Error::SignatureMismatch {
        canonical_request, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    // What the client should have signed: the hash of the body that arrived.
    assert!(
        canonical_request.ends_with(&common::sha256_hex(b"tampered")),
        "{canonical_request}"
    );
    assert!(err.to_string().starts_with(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'PUT\n"
    ));
    assert_eq!(err.error_type(), "InvalidSignatureException");
}

#[test]
fn hashed_body_without_header_is_protected() {
    for presign in [false, true] {
        let spec = spec(presign, None);
        let mut req = signed("POST", "/prod/pets", "", b"original", &spec);
        verify(&req, &spec).unwrap();
        req.body = b"tampered".to_vec();
        let err = verify(&req, &spec).unwrap_err();
        assert!(matches!(err, Error::SignatureMismatch { .. }), "{err}");
    }
}

#[test]
fn unsigned_payload_accepts_any_body_only_when_allowed() {
    let spec = SignSpec {
        body_mode: BodyMode::Unsigned,
        ..SignSpec::default()
    };
    let mut req = signed("POST", "/prod/pets", "", b"original", &spec);
    req.body = b"anything".to_vec();
    verify_with(&req, &spec, true).unwrap();
    let err = verify(&req, &spec).unwrap_err();
    assert!(matches!(err, Error::SignatureMismatch { .. }), "{err}");
}

#[test]
fn other_methods_and_a_long_expiry() {
    for method in ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
        let spec = SignSpec {
            presign: Some(Duration::from_secs(604_800)),
            ..SignSpec::default()
        };
        let req = signed(method, "/prod/pets/1", "", b"", &spec);
        verify(&req, &spec).unwrap();
        let later = SignSpec {
            time: common::at(common::T0 + 604_800),
            ..spec.clone()
        };
        let auth = sigv4::parse(&req.view()).unwrap().unwrap();
        sigv4::Verifier::new(common::REGION, common::SERVICE)
            .verify(&auth, &req.view(), &req.body, common::SECRET, later.time)
            .unwrap();
    }
}

#[test]
fn verifying_twice_uses_the_key_cache() {
    let spec = SignSpec::default();
    let req = signed("GET", "/prod/pets", "a=1", b"", &spec);
    let view = req.view();
    let auth = sigv4::parse(&view).unwrap().unwrap();
    let verifier = sigv4::Verifier::new(common::REGION, common::SERVICE);
    for _ in 0..3 {
        verifier
            .verify(&auth, &view, &req.body, common::SECRET, spec.time)
            .unwrap();
    }
    assert_eq!(verifier.key_cache().stats(), (2, 1));
}
