//! What validating a Cognito ID token costs an authorizer:
//!
//! - `uncached`: the full path — shape, header, RS256 signature (2048-bit key), claims;
//! - `cached`: a repeat of the same token through `CachingValidator` (SHA-256 of the token and
//!   one cache lookup);
//! - `cached_miss_garbage`: a token that is refused before the signature (unknown kid), the
//!   cost of junk traffic;
//! - `issue_id_token`: signing one token (the user pool's side).
//!
//! Run: `cargo bench -p tokens -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{CLIENT, ISSUER, now, pool, validator};
use criterion::{Criterion, criterion_group, criterion_main};
use tokens::issue::sign_id_token;
use tokens::{CachingValidator, IdToken, TokenIds};

fn token() -> IdToken {
    IdToken {
        sub: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into(),
        username: "alice".into(),
        client_id: CLIENT.into(),
        groups: vec!["admin".into(), "ops".into()],
        email: Some("alice@example.com".into()),
        email_verified: Some(true),
        custom: vec![("tier".into(), "gold".into())],
        auth_time: now(),
        ids: TokenIds::random(),
        nonce: None,
    }
}

fn bench(c: &mut Criterion) {
    let keys = pool();
    let hour = Duration::from_secs(3_600);
    let jwt = sign_id_token(keys.current(), ISSUER, &token(), now(), hour).unwrap();
    let plain = validator(&keys, "id");
    let cached = CachingValidator::new(validator(&keys, "id"), 10_000);
    cached.validate(jwt.as_bytes(), now()).unwrap();
    let garbage = {
        let mut parts = jwt.splitn(2, '.');
        let _ = parts.next();
        format!(
            "eyJraWQiOiJub3BlIiwiYWxnIjoiUlMyNTYifQ.{}",
            parts.next().unwrap()
        )
    };
    assert!(plain.validate(garbage.as_bytes(), now()).is_err());

    let mut g = c.benchmark_group("tokens");
    g.bench_function("uncached", |b| {
        b.iter(|| plain.validate(black_box(jwt.as_bytes()), now()).unwrap())
    });
    g.bench_function("cached", |b| {
        b.iter(|| cached.validate(black_box(jwt.as_bytes()), now()).unwrap())
    });
    g.bench_function("cached_miss_garbage", |b| {
        b.iter(|| {
            cached
                .validate(black_box(garbage.as_bytes()), now())
                .unwrap_err()
        })
    });
    let t = token();
    g.bench_function("issue_id_token", |b| {
        b.iter(|| sign_id_token(keys.current(), ISSUER, black_box(&t), now(), hour).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
