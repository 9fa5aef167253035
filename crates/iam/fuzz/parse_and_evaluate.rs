//! The body of the `parse_and_evaluate` fuzz target, shared with `tests/fuzz_regressions.rs` so
//! that `cargo test` replays saved inputs through exactly what the fuzzer runs.
//!
//! Arbitrary bytes → JSON → `Policy::parse` (every kind) → evaluate against fixed requests,
//! including 5,000-character resources and context values (where a backtracking matcher would go
//! exponential). Policies arrive over the network (STS AssumeRole's session `Policy`), so none
//! of this may panic, whatever the input.

use iam::{
    AuthzInput, NamedPolicy, ParseOptions, Policy, PolicySet, Principal, RequestContext, authorize,
    authorize_assume_role,
};

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123";

/// Returns how many policy kinds accepted the document.
pub fn parse_and_evaluate(data: &[u8]) -> usize {
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
            ctx.set_source_ip("10.1.2.3".parse().expect("valid literal"));
            ctx.insert("aws:CurrentTime", "2024-06-01T00:00:00Z");
            ctx.insert_values("k", ["a", "${aws:username}", "*", &long_value]);
            for resource in [
                format!("{API}/prod/GET/pets"),
                "arn:aws:s3:::b/x".to_string(),
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
            // The same document as a role's trust policy (and as the caller's policies).
            let role = "arn:aws:iam::123456789012:role/target";
            ctx.insert("sts:ExternalId", "ext");
            let got = authorize_assume_role(&AuthzInput {
                principal,
                action: "sts:AssumeRole",
                resource: role,
                context: &ctx,
                resource_account: "123456789012",
                identity: Some(&set),
                session_policies: Some(&set),
                resource_policy: Some(&named),
            });
            let _ = got.explanation().to_string();
            let _ = got.deny_message(principal, "sts:AssumeRole", role);
        }
    }
    parsed
}
