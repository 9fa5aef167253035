//! Authentication and authorization of control-plane calls, as AWS does for API Gateway's own
//! API: a SigV4 signature for the service `apigateway` by a principal of the `iam:` section
//! (long-term keys or stored STS sessions), whose identity policies (narrowed by its session
//! policy) allow `apigateway:{HTTP METHOD}` on `arn:aws:apigateway:{region}::{path}`.
//!
//! Fail closed: there is no anonymous access and no resource policy, so a configuration
//! without an `iam:` section has a control plane nobody can use.

use bytes::Bytes;
use http::request::Parts;
use hyper::body::Incoming;
use iam::AuthzInput;
use restapi::AuthType;

use super::control::{ApiError, ErrorType, MAX_BODY};
use crate::auth::{self, AuthFailure, Caller};
use crate::deploy::Deployment;
use crate::error::ErrorKind;
use crate::pipeline::ConnInfo;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

/// Checks the signature and reads the body (which the signature covers).
pub(super) async fn authenticate(
    svc: &Services,
    gw: &Deployment,
    parts: &mut Parts,
    body: Incoming,
) -> Result<(Caller, Bytes), ApiError> {
    let deadline = svc.body_deadline();
    auth::ensure_host_header(parts);
    let now = svc.clock.now();
    let denied = |failure: AuthFailure| {
        svc.metrics
            .auth_outcome("apigateway", "-", AuthType::AwsIam, "deny", failure.label());
        refusal(failure)
    };
    let pending = auth::identify(&gw.credentials, &gw.admin_verifier, parts, now)
        .await
        .map_err(denied)?;
    let body = read_body(body, deadline).await?;
    let caller = auth::verify(pending, &gw.admin_verifier, parts, &body, now).map_err(denied)?;
    Ok((caller, body))
}

/// The edge's answers to a failed authentication, in the control plane's error shape.
fn refusal(failure: AuthFailure) -> ApiError {
    let kind = match &failure {
        AuthFailure::Missing => ErrorType::MissingAuthenticationToken,
        AuthFailure::Incomplete(_) => ErrorType::IncompleteSignature,
        AuthFailure::Invalid(_) => ErrorType::InvalidSignature,
        AuthFailure::Unsupported(_) => ErrorType::BadRequest,
        AuthFailure::UnrecognizedClient => ErrorType::UnrecognizedClient,
        AuthFailure::ExpiredToken => ErrorType::ExpiredToken,
        AuthFailure::Unavailable(m) => {
            tracing::warn!(target: "portcullis::admin", "credential lookup failed: {m}");
            return ApiError::new(
                ErrorType::ServiceUnavailable,
                "credentials cannot be checked: storage is unavailable",
            );
        }
    };
    ApiError::new(kind, failure.message())
}

async fn read_body(body: Incoming, deadline: tokio::time::Instant) -> Result<Bytes, ApiError> {
    RequestBody::streaming(body, deadline)
        .collect_limited(MAX_BODY)
        .await
        .map_err(|e| match e.kind {
            ErrorKind::RequestTooLarge => ApiError::new(
                ErrorType::RequestTooLarge,
                format!(
                    "Request Too Long: the control plane takes bodies of at most {MAX_BODY} bytes"
                ),
            ),
            ErrorKind::RequestTimeout => ApiError::new(
                ErrorType::RequestTimeout,
                "the request body did not arrive in time",
            ),
            _ => ApiError::bad_request(format!("cannot read the request body: {}", e.message)),
        })
}

/// `apigateway:{METHOD}` on `arn:aws:apigateway:{region}::{resource}`.
pub(super) fn authorize(
    svc: &Services,
    gw: &Deployment,
    conn: &ConnInfo,
    parts: &Parts,
    caller: &Caller,
    resource: &str,
    request_id: &str,
) -> Result<(), ApiError> {
    let action = format!("apigateway:{}", parts.method);
    let arn = format!(
        "arn:aws:apigateway:{}::{resource}",
        gw.admin_verifier.region()
    );
    let context = auth::request_context(
        &caller.context,
        parts,
        &conn.remote_ip_value,
        conn.secure,
        &gw.shared_values,
        svc.clock.now(),
    );
    let principal = &caller.principal;
    // API Gateway's control-plane resources belong to the caller's own account (their ARNs name
    // none), so this is always the same-account evaluation: identity policies decide.
    let result = iam::authorize(&AuthzInput {
        principal,
        action: &action,
        resource: &arn,
        context: &context,
        resource_account: principal.account(),
        identity: Some(&caller.policies),
        session_policies: caller.session_policies.as_deref(),
        resource_policy: None,
    });
    if result.is_allowed() {
        svc.metrics
            .auth_outcome("apigateway", "-", AuthType::AwsIam, "allow", "allowed");
        return Ok(());
    }
    svc.metrics.auth_outcome(
        "apigateway",
        "-",
        AuthType::AwsIam,
        "deny",
        result.reason().label(),
    );
    tracing::info!(
        target: "portcullis::auth",
        request_id,
        principal = principal.arn(),
        resource = %arn,
        reason = result.reason().label(),
        "control-plane access denied\n{}",
        result.explanation().for_request(principal, &action, &arn)
    );
    Err(ApiError::new(
        ErrorType::AccessDenied,
        result.deny_message(principal, &action, &arn),
    ))
}
