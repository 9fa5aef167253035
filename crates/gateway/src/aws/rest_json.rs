//! REST-JSON (operations by method and path, JSON bodies, the error code in
//! `X-Amzn-ErrorType`): Lambda's `Invoke` and function APIs under `/2015-03-31/functions/`. Lambda
//! is not served yet: every such request answers the protocol's `UnknownOperationException`.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};

use crate::body::{Body, full};

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
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(code) {
        headers.insert("x-amzn-errortype", v);
    }
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}
