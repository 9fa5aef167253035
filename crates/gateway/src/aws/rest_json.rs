//! REST-JSON (operations by method and path, JSON bodies, the error code in
//! `X-Amzn-ErrorType`): Lambda's `Invoke` and function APIs under `/2015-03-31/functions/`. Lambda
//! is not served yet: every such request answers the protocol's `UnknownOperationException`.

use http::header::HeaderValue;
use http::{Request, Response, StatusCode};

use crate::body::Body;

/// Where Lambda's API lives.
pub(super) const LAMBDA_PREFIX: &str = "/2015-03-31/functions/";

pub(super) fn handle<B>(req: &Request<B>) -> Response<Body> {
    tracing::debug!(path = req.uri().path(), "unknown REST-JSON operation");
    error_response(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        "The operation is not supported by this endpoint",
    )
}

/// The REST-JSON error shape: the code in `X-Amzn-ErrorType`, `{"Type":"User","message":…}` in
/// the body (as Lambda writes it).
pub(super) fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({"Type": "User", "message": message}).to_string();
    let mut response = super::answer(status, "application/json", body, &super::new_request_id());
    if let Ok(v) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}
