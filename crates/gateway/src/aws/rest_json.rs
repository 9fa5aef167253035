//! REST-JSON (operations by method and path, JSON bodies, the error code in
//! `X-Amzn-ErrorType`): Lambda's API under `/2015-03-31/functions/`. `Invoke`
//! (`POST /2015-03-31/functions/{FunctionName}/invocations`) runs a function of the services'
//! host; every other operation answers the protocol's `UnknownOperationException`.
//!
//! An Invoke is checked as Lambda checks it: the SigV4 signature for the `lambda` service (over
//! the body received), then `lambda:InvokeFunction` on the function's ARN by the caller's
//! identity policies — before the function's existence, so that a caller not allowed learns
//! nothing — then the name, the qualifier (`$LATEST` only) and the headers. Nothing starts a
//! function before all of that passed.

use std::sync::Arc;

use functions::{Invocation, InvocationType, InvokeError};
use http::header::HeaderValue;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use iam::AuthzInput;
use restapi::AuthType;

use super::invoke_request::{self, LambdaError};
use crate::auth::{self, AuthFailure};
use crate::body::{Body, full};
use crate::error::ErrorKind;
use crate::pipeline::ConnInfo;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

/// Where Lambda's API lives.
pub(super) const LAMBDA_PREFIX: &str = "/2015-03-31/functions/";

pub(super) async fn handle(
    svc: Arc<Services>,
    conn: ConnInfo,
    req: Request<Incoming>,
) -> Response<Body> {
    let Some(encoded_name) = req
        .uri()
        .path()
        .strip_prefix(LAMBDA_PREFIX)
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .filter(|name| !name.contains('/') && req.method() == Method::POST)
        .map(str::to_string)
    else {
        tracing::debug!(path = req.uri().path(), "unknown REST-JSON operation");
        return error_response(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "The operation is not supported by this endpoint",
        );
    };
    match invoke(&svc, &conn, req, &encoded_name).await {
        Ok(response) => response,
        Err(e) => lambda_error(&e),
    }
}

async fn invoke(
    svc: &Services,
    conn: &ConnInfo,
    req: Request<Incoming>,
    encoded_name: &str,
) -> Result<Response<Body>, LambdaError> {
    let (mut parts, body) = req.into_parts();
    let gw = svc.deployment();
    let now = svc.clock.now();
    auth::ensure_host_header(&mut parts);
    let pending = auth::identify(&gw.credentials, &gw.lambda_verifier, &parts, now)
        .await
        .map_err(auth_refusal)?;
    // One byte past Lambda's limit tells "too large" from "exactly the limit".
    let body = RequestBody::streaming(body, svc.body_deadline())
        .collect_limited(functions::protocol::MAX_PAYLOAD + 1)
        .await
        .map_err(|e| match e.kind {
            ErrorKind::RequestTooLarge => too_large(),
            _ => LambdaError {
                status: 400,
                error_type: "InvalidRequestContentException",
                message: format!("cannot read the request body: {}", e.message),
            },
        })?;
    if body.len() > functions::protocol::MAX_PAYLOAD {
        return Err(too_large());
    }
    let caller =
        auth::verify(pending, &gw.lambda_verifier, &parts, &body, now).map_err(auth_refusal)?;

    let name = percent_encoding::percent_decode_str(encoded_name)
        .decode_utf8()
        .map_err(|_| LambdaError::not_found(encoded_name))?;
    let qualifier = parts.uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "Qualifier")
            .map(|(_, v)| v.into_owned())
    });
    let target = invoke_request::target(&name, qualifier.as_deref(), &gw.region, &gw.account_id)?;

    // lambda:InvokeFunction on the function, by the caller's identity policies.
    let action = "lambda:InvokeFunction";
    let context = auth::request_context(
        &caller.context,
        &parts,
        &conn.remote_ip_value,
        conn.secure,
        &gw.shared_values,
        now,
    );
    let result = iam::authorize(&AuthzInput {
        principal: &caller.principal,
        action,
        resource: &target.arn,
        context: &context,
        resource_account: &gw.account_id,
        identity: Some(&caller.policies),
        session_policies: caller.session_policies.as_deref(),
        resource_policy: None,
    });
    let outcome = if result.is_allowed() { "allow" } else { "deny" };
    svc.metrics.auth_outcome(
        "lambda",
        "-",
        AuthType::AwsIam,
        outcome,
        result.reason().label(),
    );
    if !result.is_allowed() {
        tracing::info!(
            target: "portcullis::auth",
            principal = caller.principal.arn(),
            resource = %target.arn,
            reason = result.reason().label(),
            "function invocation denied\n{}",
            result.explanation().for_request(&caller.principal, action, &target.arn)
        );
        return Err(LambdaError {
            status: 403,
            error_type: "AccessDeniedException",
            message: result.deny_message(&caller.principal, action, &target.arn),
        });
    }
    // Versions and aliases do not exist here: Lambda's answer for one it does not have.
    if !target.is_latest() || !svc.functions.contains(&target.name) {
        return Err(LambdaError::not_found(&target.arn));
    }
    let headers = invoke_request::headers(&parts.headers)?;
    let invocation = Invocation {
        payload: body,
        // Lambda passes the client context to synchronous invocations only.
        client_context: headers
            .client_context
            .filter(|_| headers.invocation_type == InvocationType::RequestResponse),
        cognito_identity: None,
        trace_id: headers.trace_id,
        invocation_type: headers.invocation_type,
        log_tail: headers.log_tail,
    };
    let outcome = svc
        .functions
        .invoke(&target.name, invocation)
        .await
        .map_err(|e| invoke_refusal(&e, &target.arn))?;

    let status = StatusCode::from_u16(outcome.status()).unwrap_or(StatusCode::OK);
    let mut response = Response::new(full(outcome.payload.clone()));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("x-amzn-requestid", &outcome.request_id);
    if outcome.invocation_type == InvocationType::RequestResponse {
        set("x-amz-executed-version", outcome.executed_version());
    }
    if let Some(e) = outcome.function_error {
        set("x-amz-function-error", e.as_str());
    }
    if let Some(tail) = &outcome.log_tail {
        set("x-amz-log-result", tail);
    }
    Ok(response)
}

fn too_large() -> LambdaError {
    let e = InvokeError::RequestTooLarge {
        limit: functions::protocol::MAX_PAYLOAD,
    };
    LambdaError {
        status: e.status(),
        error_type: e.error_type(),
        message: e.to_string(),
    }
}

/// A failed signature check in Lambda's words: 403 for every signature problem, as Lambda
/// answers them.
fn auth_refusal(failure: AuthFailure) -> LambdaError {
    let error_type = match &failure {
        AuthFailure::Missing => "MissingAuthenticationTokenException",
        AuthFailure::Incomplete(_) => "IncompleteSignatureException",
        AuthFailure::Invalid(_) => "InvalidSignatureException",
        AuthFailure::Unsupported(_) => "InvalidSignatureException",
        AuthFailure::UnrecognizedClient => "UnrecognizedClientException",
        AuthFailure::ExpiredToken => "ExpiredTokenException",
        AuthFailure::Unavailable(m) => {
            tracing::warn!("credential lookup failed: {m}");
            return LambdaError {
                status: 500,
                error_type: "ServiceException",
                message: "An internal error occurred.".into(),
            };
        }
    };
    LambdaError {
        status: 403,
        error_type,
        message: failure.message(),
    }
}

fn invoke_refusal(e: &InvokeError, arn: &str) -> LambdaError {
    let message = match e {
        // The host names the function as it was asked for; Lambda names its ARN.
        InvokeError::NotFound { .. } => format!("Function not found: {arn}"),
        InvokeError::Internal(detail) => {
            tracing::warn!("function host failure: {detail}");
            "An internal error occurred.".into()
        }
        other => other.to_string(),
    };
    LambdaError {
        status: e.status(),
        error_type: e.error_type(),
        message,
    }
}

fn lambda_error(e: &LambdaError) -> Response<Body> {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // AWS's authorization layer writes `Message`; Lambda's own errors `Type` and `message`
    // (with `Reason` on throttles).
    let body = match e.error_type {
        "AccessDeniedException" => serde_json::json!({"Message": e.message}),
        "TooManyRequestsException" => serde_json::json!({
            "Type": "User", "message": e.message, "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
        }),
        "ServiceException" => serde_json::json!({"Type": "Service", "message": e.message}),
        _ => serde_json::json!({"Type": "User", "message": e.message}),
    };
    json_error(status, e.error_type, &body)
}

/// The REST-JSON error shape: the code in `X-Amzn-ErrorType`, `{"Type":"User","message":…}` in
/// the body (as Lambda writes it).
pub(super) fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json_error(
        status,
        code,
        &serde_json::json!({"Type": "User", "message": message}),
    )
}

fn json_error(status: StatusCode, code: &str, body: &serde_json::Value) -> Response<Body> {
    let mut response = super::answer(
        status,
        "application/json",
        body.to_string(),
        &super::new_request_id(),
    );
    if let Ok(v) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}
