//! The identity pools' signed operations (DescribeIdentity, ListIdentities) authorized as
//! `cognito-identity:<Op>` on the pool's ARN by the caller's identity policies, as the user
//! pools' administrative operations are (no resource policy: only the pool's own account's
//! principals can be allowed).

use std::time::SystemTime;

use http::request::Parts;
use iam::AuthzInput;
use identitypools::{ErrorType, IdentityError};
use restapi::AuthType;

use super::identity::auth_refusal;
use crate::auth::{self, AuthFailure};
use crate::deploy::Deployment;
use crate::pipeline::ConnInfo;
use crate::services::Services;

/// `cognito-identity:<Op>` on a pool's ARN, by the caller's identity policies.
#[allow(clippy::too_many_arguments)]
pub(super) fn authorize(
    svc: &Services,
    gw: &Deployment,
    conn: &ConnInfo,
    parts: &Parts,
    caller: Option<&auth::Caller>,
    op: &str,
    arn: &str,
    now: SystemTime,
) -> Result<(), IdentityError> {
    let Some(caller) = caller else {
        return Err(auth_refusal(AuthFailure::Missing));
    };
    let action = format!("cognito-identity:{op}");
    let context = auth::request_context(
        &caller.context,
        parts,
        &conn.remote_ip_value,
        conn.secure,
        &gw.shared_values,
        now,
    );
    let principal = &caller.principal;
    let result = iam::authorize(&AuthzInput {
        principal,
        action: &action,
        resource: arn,
        context: &context,
        resource_account: &gw.account_id,
        identity: Some(&caller.policies),
        session_policies: caller.session_policies.as_deref(),
        resource_policy: None,
    });
    let outcome = if result.is_allowed() { "allow" } else { "deny" };
    svc.metrics.auth_outcome(
        "cognito-identity",
        "-",
        AuthType::AwsIam,
        outcome,
        result.reason().label(),
    );
    if result.is_allowed() {
        return Ok(());
    }
    tracing::info!(
        target: "portcullis::auth",
        principal = principal.arn(),
        resource = %arn,
        reason = result.reason().label(),
        "identity pool operation denied\n{}",
        result.explanation().for_request(principal, &action, arn)
    );
    Err(IdentityError::new(
        ErrorType::AccessDenied,
        result.deny_message(principal, &action, arn),
    ))
}
