//! The edge endpoint's dispatcher: AWS service requests go to their protocol, every other request
//! is an API invocation for the pipeline.
//!
//! One listener serves both, like a local AWS endpoint: SDK clients point `endpoint_url` at it,
//! and apps invoke APIs on the same address. AWS's protocols tell their requests apart:
//!
//! - **Query** (STS): `POST /` with a form body, or `GET /?Action=…`; answered by the service the
//!   signature's credential scope names ([`query`]);
//! - **JSON 1.1** (Cognito user pools and identity pools): `POST /` with `X-Amz-Target:
//!   Service.Operation` ([`json`]), and the browsers' CORS preflight for it, `OPTIONS /` with
//!   `Access-Control-Request-Method` ([`cors`]);
//! - **REST-JSON** (Lambda's Invoke): `/2015-03-31/functions/…`, signed for `lambda`
//!   ([`rest_json`]).
//!
//! None of these shapes can be an API invocation: `/` names no stage, and a REST-JSON request
//! counts as one only when signed for its service. Each protocol has one error encoder, so an
//! unknown action, target or path answers in the shape the client's SDK parses.

mod cors;
mod hosted;
mod identity;
mod identity_iam;
mod invoke_request;
mod json;
mod oidc;
mod open_id;
mod query;
mod rest_json;
pub(crate) mod sts;
mod web_identity;

use std::sync::Arc;

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::{Body, full};
use crate::pipeline::{self, ConnInfo};
use crate::services::Services;

/// The AWS protocols the edge endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Query,
    Json,
    /// A CORS preflight for the JSON endpoint.
    Preflight,
    RestJson,
}

/// Handles one request on the edge endpoint.
pub async fn handle(svc: Arc<Services>, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
    match protocol(&req) {
        Some(Protocol::Query) => query::handle(svc, conn, req).await,
        Some(Protocol::Json) => cors::with_cors(json::handle(svc, conn, req).await),
        Some(Protocol::Preflight) => cors::preflight(&req),
        Some(Protocol::RestJson) => rest_json::handle(svc, conn, req).await,
        None if open_id::matches(&svc.deployment(), &req) => open_id::jwks(svc, req).await,
        None if oidc::matches(&svc.deployment(), &req) => oidc::handle(svc, conn, req).await,
        None => pipeline::handle(svc, conn, req).await,
    }
}

/// Which AWS protocol `req` speaks, if any.
pub fn protocol<B>(req: &Request<B>) -> Option<Protocol> {
    let path = req.uri().path();
    if is_execute_api_host(req) {
        return None;
    }
    if path == "/" {
        if req.method() == Method::POST && req.headers().contains_key("x-amz-target") {
            return Some(Protocol::Json);
        }
        if cors::is_preflight(req) {
            return Some(Protocol::Preflight);
        }
        let form = req.method() == Method::POST
            && req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let query_action = req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
        return (form || query_action).then_some(Protocol::Query);
    }
    if path.starts_with(rest_json::LAMBDA_PREFIX)
        && signed_service(req).as_deref() == Some("lambda")
    {
        return Some(Protocol::RestJson);
    }
    None
}

fn is_execute_api_host<B>(req: &Request<B>) -> bool {
    pipeline::route::host(req.uri(), req.headers()).is_some_and(|h| h.contains(".execute-api."))
}

/// An AWS protocol answer: `body` as `content_type`, with the `x-amzn-RequestId` every AWS answer
/// carries; each protocol's encoder (`query`, `json`, `rest_json`) shapes the body.
fn answer(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    request_id: &str,
) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

/// A request id for an AWS protocol answer (`x-amzn-RequestId`).
fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The service a SigV4 signature's credential scope names (`AKID/date/region/SERVICE/aws4_request`),
/// from the `Authorization` header or a presigned URL's `X-Amz-Credential`. Only for picking a
/// protocol handler: the handler verifies the signature itself.
pub(crate) fn signed_service<B>(req: &Request<B>) -> Option<String> {
    let credential = match req.headers().get(AUTHORIZATION) {
        Some(header) => {
            let header = header.to_str().ok()?;
            let start = header.find("Credential=")? + "Credential=".len();
            let rest = header.get(start..)?;
            rest.split([',', ' ']).next()?.to_string()
        }
        None => form_urlencoded::parse(req.uri().query()?.as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")?
            .1
            .into_owned(),
    };
    credential.split('/').nth(3).map(str::to_string)
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

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
    const LAMBDA_SIGNED: (&str, &str) = (
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
    );

    /// Method, URI, headers, the protocol expected.
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
        Option<Protocol>,
    );

    #[test]
    fn protocols_by_shape() {
        let cases: &[Case] = &[
            ("POST", "/", &[FORM], Some(Protocol::Query)),
            (
                "GET",
                "/?Action=GetCallerIdentity",
                &[],
                Some(Protocol::Query),
            ),
            (
                "POST",
                "/",
                &[("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")],
                Some(Protocol::Json),
            ),
            (
                "POST",
                "/2015-03-31/functions/f/invocations",
                &[LAMBDA_SIGNED],
                Some(Protocol::RestJson),
            ),
            // Unsigned, or signed for another service: an API with a stage named 2015-03-31.
            ("POST", "/2015-03-31/functions/f/invocations", &[], None),
            (
                "OPTIONS",
                "/",
                &[("access-control-request-method", "POST")],
                Some(Protocol::Preflight),
            ),
            ("OPTIONS", "/", &[], None),
            (
                "OPTIONS",
                "/prod/ride",
                &[("access-control-request-method", "POST")],
                None,
            ),
            ("GET", "/prod/pets", &[], None),
            ("POST", "/prod/pets", &[FORM], None),
            ("GET", "/", &[], None),
            (
                "POST",
                "/",
                &[FORM, ("host", "abc.execute-api.localhost")],
                None,
            ),
        ];
        for (method, uri, headers, expected) in cases {
            assert_eq!(
                protocol(&request(method, uri, headers)),
                *expected,
                "{method} {uri} {headers:?}"
            );
        }
    }

    #[test]
    fn signed_service_from_header_and_query() {
        assert_eq!(
            signed_service(&request("GET", "/", &[LAMBDA_SIGNED])).as_deref(),
            Some("lambda")
        );
        let presigned = "/?Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsts%2Faws4_request";
        assert_eq!(
            signed_service(&request("GET", presigned, &[])).as_deref(),
            Some("sts")
        );
        assert_eq!(signed_service(&request("GET", "/", &[])), None);
    }
}
