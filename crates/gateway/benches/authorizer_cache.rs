//! A cached Lambda authorizer decision, the work a request behind a warm authorizer adds: the
//! cache lookup by identity (key digest, entry, gateway-clock freshness) and the cached policy's
//! evaluation against the request's method ARN — for the ARN the answer was given for, and for
//! another method the same answer covers (`…/*/GET/*`).
//!
//! Run: `cargo bench -p gateway --bench authorizer_cache -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use gateway::lambda_authorizer::{AuthorizerCache, Cached, cache_key, parse_result};
use iam::{AuthzInput, Principal, RequestContext};

const ACCOUNT: &str = "123456789012";
const ANSWER: &str = r#"{"principalId": "alice",
  "policyDocument": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "execute-api:Invoke",
     "Resource": "arn:aws:execute-api:us-east-1:123456789012:api0000001/prod/GET/*"},
    {"Effect": "Deny", "Action": "execute-api:Invoke",
     "Resource": "arn:aws:execute-api:us-east-1:123456789012:api0000001/prod/*/admin/*"}]},
  "context": {"user": "alice", "tier": "gold", "calls": 3}}"#;
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";

fn cached_decision(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cache = AuthorizerCache::default();
    let fingerprint = [7u8; 32];
    let ttl = Duration::from_secs(300);
    let now = SystemTime::now();
    let anonymous = Principal::anonymous();
    let context = RequestContext::for_principal(&anonymous);
    // Fill the entry once, as the first request would.
    let key = cache_key(&fingerprint, [TOKEN]);
    runtime
        .block_on(cache.get_or_fill(key, ttl, now, || async {
            Ok::<_, ()>(Cached::Allow(std::sync::Arc::new(
                parse_result(ANSWER.as_bytes()).unwrap(),
            )))
        }))
        .unwrap();
    let mut group = c.benchmark_group("lambda_authorizer");
    for (name, arn) in [
        (
            "cached_same_arn",
            "arn:aws:execute-api:us-east-1:123456789012:api0000001/prod/GET/pets",
        ),
        (
            "cached_other_method",
            "arn:aws:execute-api:us-east-1:123456789012:api0000001/prod/GET/pets/7/toys",
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let key = cache_key(&fingerprint, [black_box(TOKEN)]);
                let (answer, hit) = runtime
                    .block_on(cache.get_or_fill(key, ttl, now, || async { Err::<Cached, ()>(()) }))
                    .unwrap();
                assert!(hit);
                let Cached::Allow(result) = answer else {
                    unreachable!("an allow was cached")
                };
                let decision = iam::authorize(&AuthzInput {
                    principal: &anonymous,
                    action: "execute-api:Invoke",
                    resource: black_box(arn),
                    context: &context,
                    resource_account: ACCOUNT,
                    identity: Some(&result.policy),
                    session_policies: None,
                    resource_policy: None,
                });
                assert!(decision.is_allowed());
            });
        });
    }
    group.bench_function("parse_answer", |b| {
        b.iter(|| parse_result(black_box(ANSWER.as_bytes())).unwrap());
    });
    group.finish();
}

criterion_group!(benches, cached_decision);
criterion_main!(benches);
