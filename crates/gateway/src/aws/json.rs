//! AWS JSON 1.1 (`X-Amz-Target: Service.Operation`, JSON bodies): the protocol of Cognito user
//! pools (`AWSCognitoIdentityProviderService`) and identity pools (`AWSCognitoIdentityService`).
//! Their services are added here as they are built; until then, and for any other target, the
//! answer is the protocol's `UnknownOperationException`.

use http::{Request, Response, StatusCode};

use crate::body::Body;

pub(super) fn handle<B>(req: &Request<B>) -> Response<Body> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::debug!(target, "unknown AWS JSON operation");
    error_response(
        StatusCode::BAD_REQUEST,
        "UnknownOperationException",
        "The operation is not supported by this endpoint",
    )
}

/// The JSON 1.1 error shape: `{"__type": code, "message": …}`, which every AWS SDK parses.
pub(super) fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({"__type": code, "message": message}).to_string();
    super::answer(
        status,
        "application/x-amz-json-1.1",
        body,
        &super::new_request_id(),
    )
}
