//! A Lambda authorizer's answer, as "Output from an API Gateway Lambda authorizer" defines it:
//!
//! ```json
//! {"principalId": "user", "policyDocument": {"Version": "2012-10-17", "Statement": [...]},
//!  "context": {"stringKey": "value", "numberKey": 1, "booleanKey": true},
//!  "usageIdentifierKey": "{api-key}"}
//! ```
//!
//! `principalId` (a string) and `policyDocument` are required, as the guide says the output
//! "must include" them; the policy is compiled by the IAM engine as an identity policy of the
//! caller (the authorize phase evaluates it against each request's method ARN, so one answer can
//! cover several methods). `context` values must be strings, numbers or booleans; each is kept as
//! the text `$context.authorizer.<key>` renders. Anything else is [`Malformed`], which API
//! Gateway answers with 500 (`AuthorizerConfigurationException`). Pure: bytes in, a compiled
//! result or the reason out; fuzzed (`gateway/fuzz`, target `authorizer_result`).

use std::collections::BTreeMap;
use std::sync::Arc;

use iam::{NamedPolicy, ParseOptions, Policy, PolicySet};
use serde_json::Value;

use crate::pipeline::identity::AuthorizerResult;

/// Why an answer is not an authorizer result. The text is for logs (never sent to the caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("the answer is not a JSON object")]
    NotAnObject,
    #[error("the answer has no principalId string")]
    PrincipalId,
    #[error("the answer has no policyDocument")]
    NoPolicy,
    #[error("policyDocument does not compile: {0}")]
    Policy(String),
    #[error("context must be an object")]
    Context,
    #[error("context value {0:?} is not a string, number or boolean")]
    ContextValue(String),
    #[error("usageIdentifierKey must be a string")]
    UsageIdentifierKey,
}

/// The name the returned policy has in explanations and logs.
pub const POLICY_NAME: &str = "Lambda authorizer policy";

/// Checks and compiles the function's response `payload`.
pub fn parse_result(payload: &[u8]) -> Result<AuthorizerResult, Malformed> {
    let value: Value = serde_json::from_slice(payload).map_err(|_| Malformed::NotAnObject)?;
    let Value::Object(answer) = value else {
        return Err(Malformed::NotAnObject);
    };
    let principal_id = match answer.get("principalId") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(Malformed::PrincipalId),
    };
    let policy = match answer.get("policyDocument") {
        None | Some(Value::Null) => return Err(Malformed::NoPolicy),
        // The IAM engine parses text (its errors name statements and JSON pointers); an object
        // serializes back to exactly what it was.
        Some(document @ Value::Object(_)) => document.to_string(),
        Some(_) => return Err(Malformed::Policy("must be an object".into())),
    };
    let policy = Policy::from_json_str(&policy, &ParseOptions::identity())
        .map_err(|e| Malformed::Policy(e.to_string()))?;
    let mut context = BTreeMap::new();
    match answer.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(Malformed::ContextValue(key.clone())),
                };
                context.insert(key.clone(), text);
            }
        }
        Some(_) => return Err(Malformed::Context),
    }
    let usage_identifier_key = match answer.get("usageIdentifierKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(Malformed::UsageIdentifierKey),
    };
    Ok(AuthorizerResult {
        principal_id,
        policy: Arc::new(PolicySet::new([NamedPolicy::new(POLICY_NAME, policy)])),
        context,
        usage_identifier_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const ALLOW: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:123456789012:a/prod/GET/*"}]}"#;

    fn answer(extra: Value) -> Vec<u8> {
        let mut v = json!({"principalId": "user-1", "policyDocument": serde_json::from_str::<Value>(ALLOW).unwrap()});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn the_documented_answer() {
        let r = parse_result(&answer(json!({
            "context": {"stringKey": "value", "numberKey": 1, "float": 1.5, "booleanKey": true},
            "usageIdentifierKey": "key-1"
        })))
        .unwrap();
        assert_eq!(r.principal_id, "user-1");
        assert_eq!(r.context["stringKey"], "value");
        assert_eq!(r.context["numberKey"], "1");
        assert_eq!(r.context["float"], "1.5");
        assert_eq!(r.context["booleanKey"], "true");
        assert_eq!(r.usage_identifier_key.as_deref(), Some("key-1"));
        assert!(!r.policy.is_empty());
    }

    #[test]
    fn what_is_refused() {
        let cases = [
            (b"[]".to_vec(), Malformed::NotAnObject),
            (b"not json".to_vec(), Malformed::NotAnObject),
            (br#"{"principalId": "u"}"#.to_vec(), Malformed::NoPolicy),
            (
                br#"{"policyDocument": {"Statement": []}}"#.to_vec(),
                Malformed::PrincipalId,
            ),
            (answer(json!({"principalId": 7})), Malformed::PrincipalId),
            (answer(json!({"context": [1]})), Malformed::Context),
            (
                answer(json!({"context": {"nested": {"a": 1}}})),
                Malformed::ContextValue("nested".into()),
            ),
            (
                answer(json!({"context": {"list": [1]}})),
                Malformed::ContextValue("list".into()),
            ),
            (
                answer(json!({"context": {"nothing": null}})),
                Malformed::ContextValue("nothing".into()),
            ),
            (
                answer(json!({"usageIdentifierKey": 1})),
                Malformed::UsageIdentifierKey,
            ),
        ];
        for (payload, expected) in cases {
            assert_eq!(
                parse_result(&payload).err(),
                Some(expected),
                "{}",
                String::from_utf8_lossy(&payload)
            );
        }
        let bad_policy = answer(json!({"policyDocument": {"Statement": "nope"}}));
        assert!(matches!(
            parse_result(&bad_policy),
            Err(Malformed::Policy(_))
        ));
        let string_policy = answer(json!({"policyDocument": ALLOW}));
        assert!(matches!(
            parse_result(&string_policy),
            Err(Malformed::Policy(_))
        ));
    }

    #[test]
    fn context_and_key_are_optional() {
        let payload = json!({"principalId": "p", "policyDocument": serde_json::from_str::<Value>(ALLOW).unwrap()});
        let r = parse_result(&serde_json::to_vec(&payload).unwrap()).unwrap();
        assert_eq!(r.principal_id, "p");
        assert!(r.context.is_empty());
        assert_eq!(r.usage_identifier_key, None);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-z*:/ ]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[A-Za-z]{1,10}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any bytes: an answer or a refusal, never a panic.
        #[test]
        fn any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_result(&bytes);
        }

        /// Any JSON in any field: accepted only with a compiled policy and scalar context values
        /// kept as text.
        #[test]
        fn any_fields(
            principal in json_value(),
            policy in json_value(),
            context in json_value(),
            key in json_value(),
        ) {
            let payload = json!({"principalId": principal, "policyDocument": policy,
                "context": context.clone(), "usageIdentifierKey": key});
            if let Ok(r) = parse_result(&serde_json::to_vec(&payload).unwrap()) {
                prop_assert!(policy.is_object() && principal.is_string());
                let expected = context.as_object().map_or(0, |m| m.len());
                prop_assert_eq!(r.context.len(), expected);
                if let Some(map) = context.as_object() {
                    for (k, v) in map {
                        prop_assert!(v.is_string() || v.is_number() || v.is_boolean());
                        let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                        prop_assert_eq!(&r.context[k], &text);
                    }
                }
            }
        }
    }
}
