//! AWS JSON 1.1 (`X-Amz-Target: Service.Operation`, JSON bodies): the protocol of Cognito user
//! pools (`AWSCognitoIdentityProviderService`, served by the `cognito` crate) and identity pools
//! (`AWSCognitoIdentityService`, served by [`super::identity`]). Any other target is the protocol's
//! `UnknownOperationException`.

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use cognito::{CognitoError, ErrorType};
use http::request::Parts;
use iam::AuthzInput;
use restapi::AuthType;

use crate::auth::{self, AuthFailure};
use crate::body::Body;
use crate::deploy::Deployment;
use crate::pipeline::ConnInfo;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// Identity pools' operations (`aws/identity.rs`).
const IDENTITY_TARGET_PREFIX: &str = "AWSCognitoIdentityService.";

pub(super) async fn handle(
    svc: Arc<Services>,
    conn: ConnInfo,
    req: Request<Incoming>,
) -> Response<Body> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Some(op) = target.strip_prefix(IDENTITY_TARGET_PREFIX) {
        let op = op.to_string();
        return super::identity::handle(svc, conn, req, op).await;
    }
    let Some(op) = target.strip_prefix(cognito::TARGET_PREFIX) else {
        tracing::debug!(target = %target, "unknown AWS JSON operation");
        return error_response(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            "The operation is not supported by this endpoint",
        );
    };
    let op = op.to_string();
    let (mut parts, body) = req.into_parts();
    let deadline = svc.body_deadline();
    let gw = svc.deployment();
    let now = svc.clock.now();
    // The administrative operations need a signature first (it is checked before the body is
    // read, as for every signed request).
    let pending = if cognito::admin::is_admin_operation(&op) {
        auth::ensure_host_header(&mut parts);
        match auth::identify(&gw.credentials, &gw.cognito_verifier, &parts, now).await {
            Ok(p) => Some(p),
            Err(failure) => return cognito_error(&auth_refusal(failure)),
        }
    } else {
        None
    };
    let body = match RequestBody::streaming(body, deadline)
        .collect_limited(cognito::MAX_INPUT_BYTES)
        .await
    {
        Ok(b) => b,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "InvalidParameterException",
                &format!("cannot read the request body: {}", e.message),
            );
        }
    };
    let answer = match pending {
        None => gw.idp.call(&op, &body, conn.remote.ip(), now).await,
        Some(pending) => {
            match authorize_admin(&svc, &gw, &conn, &parts, pending, &body, &op, now) {
                Ok(()) => gw.idp.call_admin(&op, &body, now).await,
                Err(e) => Err(e),
            }
        }
    };
    match answer {
        Ok(answer) => ok(&answer),
        Err(e) => {
            tracing::debug!(operation = %op, error = e.kind.name(), "user pool operation refused");
            cognito_error(&e)
        }
    }
}

fn cognito_error(e: &CognitoError) -> Response<Body> {
    typed_error(e.kind.status(), e.kind.name(), e.body())
}

/// A JSON 1.1 success: the operation's output document, with a new request id.
pub(super) fn ok(answer: &serde_json::Value) -> Response<Body> {
    super::answer(
        StatusCode::OK,
        CONTENT_TYPE,
        answer.to_string(),
        &super::new_request_id(),
    )
}

/// A JSON 1.1 error whose body the service wrote (`{"__type", "message"}`), with the
/// `x-amzn-ErrorType` header the SDKs read the code from first. Shared by user pools and
/// identity pools, whose error types differ but frame the same.
pub(super) fn typed_error(status: u16, error_type: &'static str, body: String) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = super::answer(status, CONTENT_TYPE, body, &super::new_request_id());
    response.headers_mut().insert(
        "x-amzn-errortype",
        http::HeaderValue::from_static(error_type),
    );
    response
}

/// A failed signature check, in the JSON protocol's words (HTTP 400, as AWS's JSON services
/// answer them).
fn auth_refusal(failure: AuthFailure) -> CognitoError {
    let kind = match &failure {
        AuthFailure::Missing => ErrorType::MissingAuthenticationToken,
        AuthFailure::Incomplete(_) => ErrorType::IncompleteSignature,
        AuthFailure::Invalid(_) => ErrorType::InvalidSignature,
        AuthFailure::Unsupported(_) => ErrorType::InvalidParameter,
        AuthFailure::UnrecognizedClient => ErrorType::UnrecognizedClient,
        AuthFailure::ExpiredToken => ErrorType::ExpiredToken,
        AuthFailure::Unavailable(m) => {
            tracing::warn!("credential lookup failed: {m}");
            return CognitoError::new(ErrorType::Internal, "An internal error occurred.");
        }
    };
    CognitoError::new(kind, failure.message())
}

/// An administrative call: the signature over what was received, then `cognito-idp:<Op>` on the
/// pool's ARN by the caller's identity policies (no resource policy: only the pool's own
/// account's principals can be allowed).
#[allow(clippy::too_many_arguments)]
fn authorize_admin(
    svc: &Services,
    gw: &Deployment,
    conn: &ConnInfo,
    parts: &Parts,
    pending: auth::Pending,
    body: &[u8],
    op: &str,
    now: std::time::SystemTime,
) -> Result<(), CognitoError> {
    let caller =
        auth::verify(pending, &gw.cognito_verifier, parts, body, now).map_err(auth_refusal)?;
    let arn = gw.idp.admin_pool_arn(body)?;
    let action = format!("cognito-idp:{op}");
    let context = auth::request_context(
        &caller.context,
        parts,
        &conn.remote_ip_value,
        conn.secure,
        &gw.shared_values,
        now,
    );
    let principal = &caller.principal;
    let pool_account = arn.split(':').nth(4).unwrap_or_default();
    let result = iam::authorize(&AuthzInput {
        principal,
        action: &action,
        resource: &arn,
        context: &context,
        resource_account: pool_account,
        identity: Some(&caller.policies),
        session_policies: caller.session_policies.as_deref(),
        resource_policy: None,
    });
    let outcome = if result.is_allowed() { "allow" } else { "deny" };
    svc.metrics.auth_outcome(
        "cognito-idp",
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
        "user pool administration denied\n{}",
        result.explanation().for_request(principal, &action, &arn)
    );
    Err(CognitoError::new(
        ErrorType::AccessDenied,
        result.deny_message(principal, &action, &arn),
    ))
}

/// The JSON 1.1 error shape: `{"__type": code, "message": …}`, which every AWS SDK parses.
pub(super) fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({"__type": code, "message": message}).to_string();
    super::answer(status, CONTENT_TYPE, body, &super::new_request_id())
}
