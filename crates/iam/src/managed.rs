//! The AWS managed policies Portcullis knows without configuration.
//!
//! Their documents are AWS's own (AWS Managed Policy Reference):
//!
//! * `AmazonAPIGatewayInvokeFullAccess` — allow `execute-api:Invoke` and
//!   `execute-api:ManageConnections` on `arn:aws:execute-api:*:*:*`;
//! * `AdministratorAccess` — allow `*` on `*`.
//!
//! They are referred to by name or by ARN (`arn:aws:iam::aws:policy/{name}`).

use std::sync::LazyLock;

use crate::model::{ParseOptions, Policy};
use crate::policy_set::NamedPolicy;

/// Name of the managed policy that allows invoking any API.
pub const API_GATEWAY_INVOKE_FULL_ACCESS: &str = "AmazonAPIGatewayInvokeFullAccess";
/// Name of the managed policy that allows everything.
pub const ADMINISTRATOR_ACCESS: &str = "AdministratorAccess";

const INVOKE_FULL_ACCESS_DOC: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["execute-api:Invoke", "execute-api:ManageConnections"],
      "Resource": "arn:aws:execute-api:*:*:*"
    }
  ]
}"#;

const ADMINISTRATOR_ACCESS_DOC: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": "*" }]
}"#;

// Parsed once. The documents are constants covered by tests, so parsing cannot fail; should it
// ever, the policy is simply unknown (and the directory reports it) rather than a panic.
static INVOKE_FULL_ACCESS: LazyLock<Option<NamedPolicy>> =
    LazyLock::new(|| parse(API_GATEWAY_INVOKE_FULL_ACCESS, INVOKE_FULL_ACCESS_DOC));
static ADMIN: LazyLock<Option<NamedPolicy>> =
    LazyLock::new(|| parse(ADMINISTRATOR_ACCESS, ADMINISTRATOR_ACCESS_DOC));

fn parse(name: &str, doc: &str) -> Option<NamedPolicy> {
    Policy::from_json_str(doc, &ParseOptions::identity())
        .ok()
        .map(|p| NamedPolicy::new(name, p))
}

/// Looks an AWS managed policy up by name or ARN.
pub fn aws_managed_policy(name_or_arn: &str) -> Option<NamedPolicy> {
    let name = name_or_arn
        .strip_prefix("arn:aws:iam::aws:policy/")
        .unwrap_or(name_or_arn);
    match name {
        API_GATEWAY_INVOKE_FULL_ACCESS => INVOKE_FULL_ACCESS.clone(),
        ADMINISTRATOR_ACCESS => ADMIN.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parse_and_resolve_by_name_and_arn() {
        assert!(aws_managed_policy("AmazonAPIGatewayInvokeFullAccess").is_some());
        assert!(
            aws_managed_policy("arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess")
                .is_some()
        );
        assert!(aws_managed_policy("AdministratorAccess").is_some());
        assert!(aws_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").is_some());
        assert!(aws_managed_policy("ReadOnlyAccess").is_none());
        assert!(
            aws_managed_policy("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none()
        );
    }
}
