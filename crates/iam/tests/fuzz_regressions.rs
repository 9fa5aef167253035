//! Replays `fuzz/regressions/*` through what the `parse_and_evaluate` fuzz target does.
//!
//! Crashers found by `cargo fuzz` go into that folder (named after the bug they pin) so that
//! `cargo test` keeps them fixed. It also holds hostile inputs written by hand: wildcard
//! patterns that make backtracking matchers exponential, long `?` runs, variable-syntax edge
//! cases, deep nesting and extreme numbers and dates.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use iam::{
    AuthzInput, NamedPolicy, ParseOptions, Policy, PolicySet, Principal, RequestContext, authorize,
};

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123";

/// The fuzz target's body; returns how many policy kinds accepted the document.
fn parse_and_evaluate(data: &[u8]) -> usize {
    let mut parsed = 0;
    let Ok(text) = std::str::from_utf8(data) else {
        return parsed;
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return parsed;
    };
    let principals = [
        Principal::user("123456789012", "alice"),
        Principal::assumed_role("123456789012", "dev", "app"),
        Principal::anonymous(),
    ];
    let long_resource = format!("{API}/{}b", "a".repeat(5000));
    let long_value = format!("{}b", "a".repeat(5000));
    for opts in [
        ParseOptions::identity(),
        ParseOptions::resource(Some(API.to_string())),
        ParseOptions::trust(),
    ] {
        let Ok(policy) = Policy::parse(&doc, &opts) else {
            continue;
        };
        parsed += 1;
        let named = NamedPolicy::new("fuzzed", policy);
        let set = PolicySet::new([named.clone()]);
        for principal in &principals {
            let mut ctx = RequestContext::for_principal(principal);
            ctx.set_source_ip("10.1.2.3".parse().unwrap());
            ctx.insert("aws:CurrentTime", "2024-06-01T00:00:00Z");
            ctx.insert_values("k", ["a", "${aws:username}", "*", &long_value]);
            for resource in [
                format!("{API}/prod/GET/pets"),
                long_resource.clone(),
                "x".to_string(),
            ] {
                let got = authorize(&AuthzInput {
                    principal,
                    action: "execute-api:Invoke",
                    resource: &resource,
                    context: &ctx,
                    resource_account: "123456789012",
                    identity: Some(&set),
                    session_policies: Some(&set),
                    resource_policy: Some(&named),
                });
                let _ = got.explanation().to_string();
                let _ = got.deny_message(principal, "execute-api:Invoke", &resource);
            }
        }
    }
    parsed
}

#[test]
fn replay_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let parsed = parse_and_evaluate(&data);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Hand-written hostile inputs are valid policies: they must reach the evaluator.
        assert!(
            !name.starts_with("hostile-") || parsed > 0,
            "{name} did not parse"
        );
        // Generous (debug build, shared machine): catches exponential blow-ups, not regressions
        // of a few percent — those are the benchmark's job.
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
        count += 1;
    }
    assert!(
        count >= 5,
        "regression corpus missing from {}",
        dir.display()
    );
}
