//! `http_proxy`: the request goes to the backend as the client sent it (method, query, headers,
//! body, streamed), and the backend's response comes back the same way.

use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Request, Response};
use restapi::Integration;

use super::{RequestBody, backend, uri};
use crate::body::Body;
use crate::error::GatewayError;
use crate::pipeline::context::RequestCtx;
use crate::services::Services;

/// The backend URI: the integration's, with the canonical path's parameters and the client's
/// query (plus mappings).
pub(crate) fn target(
    integration: &Integration,
    ctx: &RequestCtx,
    parts: &Parts,
) -> Result<http::Uri, GatewayError> {
    let client_query = parts.uri.query().unwrap_or("");
    let query = uri::mapped_query(integration, ctx, &parts.headers, client_query, client_query);
    uri::backend_uri(integration, ctx, &parts.headers, client_query, &query)
}

pub(crate) async fn invoke(
    svc: &Services,
    ctx: &mut RequestCtx,
    parts: Parts,
    body: RequestBody,
    integration: &Integration,
) -> Result<Response<Body>, GatewayError> {
    let target = target(integration, ctx, &parts)?;
    let client_query = parts.uri.query().unwrap_or("");
    let mapped = uri::mapped_headers(integration, ctx, &parts.headers, client_query);

    let mut headers = parts.headers;
    backend::strip_hop_by_hop(&mut headers);
    // The backend's own host, as API Gateway sends it (the client's Host named the gateway).
    headers.remove(header::HOST);
    for (name, values) in mapped {
        headers.remove(&name);
        for v in values {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.append(name.clone(), v);
            }
        }
    }
    backend::add_forwarding_headers(&mut headers, ctx);

    let method = integration.http_method.clone().unwrap_or(parts.method);
    let mut request = Request::new(body.into_body());
    *request.method_mut() = method;
    *request.uri_mut() = target;
    *request.headers_mut() = headers;

    let mut response = backend::call(svc, ctx, integration, request).await?;
    backend::remap_response_headers(response.headers_mut());
    Ok(response)
}
