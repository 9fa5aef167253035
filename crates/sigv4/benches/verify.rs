//! What one IAM-authorized request costs the gateway, three ways:
//!
//! - `a_cached`: this crate, signing key from a warm `KeyCache` (the production path);
//! - `b_derive`: this crate, deriving the signing key every time (a cold cache, or no cache);
//! - `c_aws_sigv4`: the alternative design — rebuild the request with exactly the client's
//!   `SignedHeaders` and re-sign it with the `aws-sigv4` crate, then compare signatures.
//!
//! Each includes `parse` (every design must read the Authorization header) and the comparison.
//! Two requests: a typical GET (5 headers, small query) and a POST with a 1 KiB body.
//! Run: `cargo bench -p sigv4 -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use common::{OwnedRequest, SECRET, SignSpec, T0, at, request, sign_with_aws_sigv4};
use criterion::{Criterion, criterion_group, criterion_main};
use http::HeaderValue;
use sigv4::{ParsedAuth, SigningKey, Verifier, parse};
use subtle::ConstantTimeEq;

fn typical_get() -> OwnedRequest {
    let mut r = request("GET", "/prod/pets/42", "limit=10&sort=name", b"");
    r.headers
        .insert("accept", HeaderValue::from_static("application/json"));
    r.headers.insert(
        "user-agent",
        HeaderValue::from_static("aws-sdk-rust/1.0 os/linux lang/rust/1.95"),
    );
    r.headers.insert(
        "x-request-id",
        HeaderValue::from_static("6f1c2f9e-3d6b-4c1e-9a51-0d3b7f7c2a10"),
    );
    sign_with_aws_sigv4(&mut r, &SignSpec::default());
    r
}

fn post_1k() -> OwnedRequest {
    let body: Vec<u8> = (0..1024u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz012345"[(i % 32) as usize])
        .collect();
    let mut r = request("POST", "/prod/pets", "", &body);
    r.headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    r.headers
        .insert("accept", HeaderValue::from_static("application/json"));
    sign_with_aws_sigv4(&mut r, &SignSpec::default());
    r
}

/// Design (c): re-sign with `aws-sigv4` given exactly the signed headers, compare in constant time.
fn resign_with_aws_sigv4(auth: &ParsedAuth, req: &OwnedRequest) -> bool {
    let identity =
        aws_credential_types::Credentials::new(auth.access_key_id(), SECRET, None, None, "gateway")
            .into();
    let secs = common::iso_to_unix(auth.amz_date());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region())
        .name(auth.service())
        .time(UNIX_EPOCH + Duration::from_secs(secs))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers: Vec<(&str, &str)> = auth
        .signed_header_names()
        .filter(|n| *n != "host" && *n != "x-amz-date")
        .flat_map(|n| {
            req.headers
                .get_all(n)
                .iter()
                .map(move |v| (n, v.to_str().unwrap_or_default()))
        })
        .collect();
    let host = req.headers.get("host").unwrap().to_str().unwrap();
    let uri = format!("https://{host}{}", req.target());
    let signable = SignableRequest::new(
        &req.method,
        uri,
        headers.into_iter(),
        SignableBody::Bytes(&req.body),
    )
    .unwrap();
    let (_, signature) = sign(signable, &params).unwrap().into_parts();
    signature
        .as_bytes()
        .ct_eq(auth.signature().as_bytes())
        .into()
}

fn bench(c: &mut Criterion) {
    let now = at(T0);
    for (name, req) in [("get_5_headers", typical_get()), ("post_1KiB", post_1k())] {
        let view = req.view();
        let verifier = Verifier::new(common::REGION, common::SERVICE);
        // Sanity: every design accepts the request.
        let auth = parse(&view).unwrap().unwrap();
        verifier
            .verify(&auth, &view, &req.body, SECRET, now)
            .unwrap();
        assert!(resign_with_aws_sigv4(&auth, &req));

        let mut g = c.benchmark_group(name);
        g.bench_function("a_cached", |b| {
            b.iter(|| {
                let auth = parse(black_box(&view)).unwrap().unwrap();
                verifier
                    .verify(&auth, &view, black_box(&req.body), SECRET, now)
                    .unwrap();
            });
        });
        g.bench_function("b_derive", |b| {
            b.iter(|| {
                let auth = parse(black_box(&view)).unwrap().unwrap();
                let key =
                    SigningKey::derive(SECRET, auth.scope_date(), auth.region(), auth.service());
                verifier
                    .verify_with_key(&auth, &view, black_box(&req.body), &key, now)
                    .unwrap();
            });
        });
        g.bench_function("c_aws_sigv4", |b| {
            b.iter(|| {
                let auth = parse(black_box(&view)).unwrap().unwrap();
                assert!(resign_with_aws_sigv4(&auth, black_box(&req)));
            });
        });
        g.finish();
    }

    // The pieces, for context.
    let req = typical_get();
    let view = req.view();
    let verifier = Verifier::new(common::REGION, common::SERVICE);
    let auth = parse(&view).unwrap().unwrap();
    c.bench_function("parts/parse", |b| {
        b.iter(|| parse(black_box(&view)).unwrap())
    });
    c.bench_function("parts/precheck", |b| {
        b.iter(|| verifier.precheck(black_box(&auth), now).unwrap())
    });
    c.bench_function("parts/key_cache_hit", |b| {
        b.iter(|| {
            verifier.key_cache().get_or_derive(
                black_box(SECRET),
                "20150830",
                "us-east-1",
                "execute-api",
            )
        });
    });
    c.bench_function("parts/key_derive", |b| {
        b.iter(|| SigningKey::derive(black_box(SECRET), "20150830", "us-east-1", "execute-api"));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
