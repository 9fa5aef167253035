//! Parsing never panics: arbitrary JSON, policy-shaped JSON with arbitrary leaves, and
//! arbitrary text all either parse or are refused — and whatever parses also evaluates.
#![allow(clippy::unwrap_used)]

use iam::*;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

const OWNER: &str = "123456789012";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123";

const KEYS: &[&str] = &[
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
    "StringEquals",
    "StringLike",
    "ForAllValues:StringNotLikeIfExists",
    "ForAnyValue:IpAddress",
    "IpAddress",
    "DateLessThan",
    "NumericLessThan",
    "Null",
    "NullIfExists",
    "Bool",
    "BinaryEquals",
    "ArnLike",
    "aws:SourceIp",
    "aws:username",
    "k",
];

const STRINGS: &[&str] = &[
    "2012-10-17",
    "2008-10-17",
    "Allow",
    "Deny",
    "*",
    "?",
    "execute-api:Invoke",
    "execute-api:*",
    "execute-api:/*",
    "arn:aws:execute-api:*:*:*",
    "arn:aws:iam::123456789012:root",
    "123456789012",
    "arn:aws:iam::123456789012:user/u",
    "arn:aws:sts::123456789012:assumed-role/r/s",
    "10.0.0.0/8",
    "::/0",
    "2020-01-01T00:00:00Z",
    "1",
    "-1.5",
    "true",
    "${aws:username}",
    "${",
    "${*}",
    "${a, 'b'}",
    "${a, b}",
    "arn:::::",
    "arn:aws:s3:::${*}?*",
    "QUJD",
    "é",
    "",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(STRINGS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![3 => select(KEYS).prop_map(String::from), 1 => "\\PC{0,8}"],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Policy-shaped documents: the right skeleton with arbitrary leaves, so parsing gets deep.
fn arb_policyish() -> impl Strategy<Value = Value> {
    (arb_json(), arb_json(), arb_json(), arb_json(), arb_json(), select(STRINGS)).prop_map(|(p, a, r, c, extra, v)| {
        json!({"Version": v, "Statement": [
            {"Effect": "Allow", "Principal": p, "Action": a, "Resource": r, "Condition": c},
            {"Effect": "Deny", "NotPrincipal": "*", "NotAction": extra.clone(), "NotResource": extra}
        ]})
    })
}

fn exercise(doc: &Value) {
    let alice = Principal::user(OWNER, "alice");
    let ctx = RequestContext::for_principal(&alice);
    for opts in [
        ParseOptions::identity(),
        ParseOptions::resource(Some(API.into())),
        ParseOptions::resource(None),
        ParseOptions::trust(),
    ] {
        let Ok(policy) = Policy::parse(doc, &opts) else {
            continue;
        };
        let named = NamedPolicy::new("p", policy);
        let set = PolicySet::new([named.clone()]);
        let got = authorize(&AuthzInput {
            principal: &alice,
            action: "execute-api:Invoke",
            resource: &format!("{API}/prod/GET/pets"),
            context: &ctx,
            resource_account: OWNER,
            identity: Some(&set),
            session_policies: Some(&set),
            resource_policy: Some(&named),
        });
        let _ = got.explanation().to_string();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_json(doc in arb_json()) {
        exercise(&doc);
    }

    #[test]
    fn parse_never_panics_on_policy_shaped_json(doc in arb_policyish()) {
        exercise(&doc);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in "\\PC{0,64}") {
        let _ = Policy::from_json_str(&text, &ParseOptions::identity());
    }
}
