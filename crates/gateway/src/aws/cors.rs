//! CORS for the AWS JSON 1.1 endpoint (Cognito user pools and identity pools), which browser
//! apps call cross-origin: Amplify and `amazon-cognito-identity-js` sign users in from the page's
//! origin, and the AWS SDK for JavaScript trades tokens for credentials the same way.
//!
//! Cognito's public operations answer any origin (`Access-Control-Allow-Origin: *`): they take no
//! cookies and no ambient credentials, so a wildcard grants nothing a script could not do with
//! `fetch` from anywhere. The answers expose `x-amzn-RequestId` and `x-amzn-ErrorType` so that a
//! browser SDK can read why a call failed. A preflight (`OPTIONS /` with
//! `Access-Control-Request-Method`) is answered here, before any service code, and allows `POST`
//! with the headers the browser asked for: the SDKs send their own (`x-amz-target`,
//! `x-amz-user-agent`, `amz-sdk-invocation-id`, ...) and the operations check what they need.

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, HeaderValue,
};
use http::{Method, Request, Response, StatusCode};

use crate::body::{Body, empty};

/// What a browser may read of an answer besides the CORS-safelisted headers.
const EXPOSED: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";
/// How long a browser may cache a preflight's answer, in seconds.
const MAX_AGE: &str = "86400";

/// Whether `req` is a CORS preflight for the AWS protocol endpoint (`OPTIONS /`).
pub(super) fn is_preflight<B>(req: &Request<B>) -> bool {
    req.method() == Method::OPTIONS
        && req.uri().path() == "/"
        && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight: `POST` from any origin, with the request headers asked for.
pub(super) fn preflight<B>(req: &Request<B>) -> Response<Body> {
    let mut response = Response::new(empty());
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    if let Some(asked) = req.headers().get(ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
    response
}

/// Adds the CORS headers every AWS JSON answer carries, errors included.
pub(super) fn with_cors(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).expect("request")
    }

    #[test]
    fn preflights_are_options_on_the_root_asking_for_a_method() {
        let asking = [("access-control-request-method", "POST")];
        assert!(is_preflight(&request("OPTIONS", "/", &asking)));
        assert!(!is_preflight(&request("OPTIONS", "/", &[])));
        assert!(!is_preflight(&request("OPTIONS", "/prod/ride", &asking)));
        assert!(!is_preflight(&request("POST", "/", &asking)));
    }

    #[test]
    fn a_preflight_allows_post_and_the_asked_headers() {
        let req = request(
            "OPTIONS",
            "/",
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "content-type,x-amz-target,x-amz-user-agent",
                ),
            ],
        );
        let response = preflight(&req);
        let h = response.headers();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(h[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(h[ACCESS_CONTROL_ALLOW_METHODS], "POST");
        assert_eq!(
            h[ACCESS_CONTROL_ALLOW_HEADERS],
            "content-type,x-amz-target,x-amz-user-agent"
        );
        assert_eq!(h[ACCESS_CONTROL_MAX_AGE], MAX_AGE);
    }

    #[test]
    fn answers_expose_the_error_headers() {
        let response = with_cors(Response::new(empty()));
        let h = response.headers();
        assert_eq!(h[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(
            h[ACCESS_CONTROL_EXPOSE_HEADERS]
                .to_str()
                .unwrap()
                .contains("x-amzn-ErrorType")
        );
    }
}
