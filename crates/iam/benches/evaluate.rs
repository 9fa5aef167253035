//! Authorization cost per request.
//!
//! (a) one user with `AmazonAPIGatewayInvokeFullAccess`;
//! (b) 10 policies × 10 statements, with IpAddress / StringLike / DateLessThan conditions,
//!     spread over several actions and APIs the way real policies are;
//! (c) a same-account resource policy plus identity policies.
//!
//! Run: `cargo bench -p iam -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iam::*;
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123";

fn context(p: &Principal) -> RequestContext {
    let mut ctx = RequestContext::for_principal(p);
    ctx.set_source_ip("10.1.2.3".parse().unwrap());
    ctx.set_current_time(time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap());
    ctx.set_secure_transport(true);
    ctx.insert("aws:UserAgent", "aws-sdk-rust/1.3.0 os/linux lang/rust");
    ctx.insert("aws:RequestedRegion", "us-east-1");
    ctx
}

/// Ten policies of ten statements. Each policy mixes statements for the invoked API (with
/// conditions), for other APIs and stages, for other execute-api actions and for other services.
fn ten_by_ten() -> PolicySet {
    let policies = (0..10).map(|p| {
        let statements: Vec<_> = (0..10)
            .map(|s| {
                let condition = json!({
                    "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"]},
                    "StringLike": {"aws:UserAgent": ["aws-sdk-*", "aws-cli/*"]},
                    "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}
                });
                match s % 5 {
                    0 => json!({"Sid": format!("Invoke{s}"), "Effect": "Allow", "Action": "execute-api:Invoke",
                                "Resource": format!("{API}/prod/GET/items{p}/*"), "Condition": condition}),
                    1 => json!({"Effect": "Allow", "Action": ["execute-api:Invoke", "execute-api:ManageConnections"],
                                "Resource": format!("arn:aws:execute-api:*:*:api{p}x{s}/*"), "Condition": condition}),
                    2 => json!({"Effect": "Deny", "Action": "execute-api:InvalidateCache", "Resource": "*"}),
                    3 => json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                                "Resource": format!("arn:aws:s3:::bucket{p}/${{aws:username}}/*")}),
                    _ => json!({"Effect": "Deny", "Action": "execute-api:Invoke",
                                "Resource": format!("{API}/dev/*"), "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
                }
            })
            .collect();
        let doc = json!({"Version": "2012-10-17", "Statement": statements});
        NamedPolicy::new(format!("policy{p}"), Policy::parse(&doc, &ParseOptions::identity()).unwrap())
    });
    PolicySet::new(policies)
}

fn bench(c: &mut Criterion) {
    let user = Principal::user(ACCOUNT, "alice");
    let ctx = context(&user);
    let resource = format!("{API}/prod/GET/items3/42");

    // (a) One user with InvokeFullAccess.
    let invoke_all = PolicySet::new([aws_managed_policy(API_GATEWAY_INVOKE_FULL_ACCESS).unwrap()]);
    let input = AuthzInput {
        principal: &user,
        action: "execute-api:Invoke",
        resource: &resource,
        context: &ctx,
        resource_account: ACCOUNT,
        identity: Some(&invoke_all),
        session_policies: None,
        resource_policy: None,
    };
    assert!(authorize(&input).is_allowed());
    c.bench_function("a_invoke_full_access", |b| {
        b.iter(|| authorize(black_box(&input)))
    });

    // (b) 10 policies × 10 statements with conditions.
    let big = ten_by_ten();
    let input_b = AuthzInput {
        identity: Some(&big),
        ..input
    };
    assert!(authorize(&input_b).is_allowed());
    c.bench_function("b_10x10_with_conditions", |b| {
        b.iter(|| authorize(black_box(&input_b)))
    });
    let denied_resource = format!("{API}/prod/GET/elsewhere");
    let input_b2 = AuthzInput {
        resource: &denied_resource,
        ..input_b
    };
    assert_eq!(authorize(&input_b2).decision(), Decision::ImplicitDeny);
    c.bench_function("b_10x10_implicit_deny", |b| {
        b.iter(|| authorize(black_box(&input_b2)))
    });

    // (c) Same-account resource policy plus identity policies.
    let rp_doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [format!("arn:aws:iam::{ACCOUNT}:user/alice"), format!("arn:aws:iam::{ACCOUNT}:role/dev")]},
         "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/*"},
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/GET/public/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}}
    ]});
    let rp = NamedPolicy::new(
        "abc123",
        Policy::parse(&rp_doc, &ParseOptions::resource(Some(API.into()))).unwrap(),
    );
    let identity = PolicySet::new([
        aws_managed_policy(API_GATEWAY_INVOKE_FULL_ACCESS).unwrap(),
        NamedPolicy::new(
            "NoDev",
            Policy::parse(
                &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "execute-api:*", "Resource": format!("{API}/dev/*")}]}),
                &ParseOptions::identity(),
            )
            .unwrap(),
        ),
    ]);
    let input_c = AuthzInput {
        identity: Some(&identity),
        resource_policy: Some(&rp),
        ..input
    };
    assert!(authorize(&input_c).is_allowed());
    c.bench_function("c_resource_policy_same_account", |b| {
        b.iter(|| authorize(black_box(&input_c)))
    });

    // Building the per-request context is part of the cost a gateway pays.
    c.bench_function("context_for_principal", |b| {
        b.iter(|| context(black_box(&user)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
