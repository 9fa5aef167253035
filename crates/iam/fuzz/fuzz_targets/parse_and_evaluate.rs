//! Arbitrary bytes → JSON → `Policy::parse` (every kind) → evaluate against a fixed request.
//! Policies arrive over the network (STS AssumeRole's session `Policy`), so none of this may
//! panic, whatever the input.
#![no_main]

use iam::{
    AuthzInput, NamedPolicy, ParseOptions, Policy, PolicySet, Principal, RequestContext, authorize,
};
use libfuzzer_sys::fuzz_target;

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let principals = [
        Principal::user("123456789012", "alice"),
        Principal::assumed_role("123456789012", "dev", "app"),
        Principal::anonymous(),
    ];
    let kinds = [
        ParseOptions::identity(),
        ParseOptions::resource(Some(API.to_string())),
        ParseOptions::trust(),
    ];
    for opts in kinds {
        let Ok(policy) = Policy::parse(&doc, &opts) else {
            continue;
        };
        let named = NamedPolicy::new("fuzzed", policy);
        let set = PolicySet::new([named.clone()]);
        for principal in &principals {
            let mut ctx = RequestContext::for_principal(principal);
            ctx.set_source_ip("10.1.2.3".parse().expect("valid literal"));
            ctx.insert("aws:CurrentTime", "2024-06-01T00:00:00Z");
            ctx.insert_values("k", ["a", "${aws:username}", "*"]);
            for resource in [
                format!("{API}/prod/GET/pets"),
                "arn:aws:s3:::b/x".to_string(),
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
});
