//! Arbitrary bytes as a Lambda authorizer's answer (`lambda_authorizer::parse_result`): a
//! compiled result or a refusal, never a panic; an accepted answer has a policy, and every
//! context value it kept is text.
#![no_main]

use gateway::lambda_authorizer::parse_result;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(result) = parse_result(data) {
        assert!(!result.policy.is_empty());
        let answer: serde_json::Value = serde_json::from_slice(data).expect("accepted answers are JSON");
        assert_eq!(
            result.context.len(),
            answer.get("context").and_then(|c| c.as_object()).map_or(0, |m| m.len())
        );
    }
});
