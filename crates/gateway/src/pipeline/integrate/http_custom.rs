//! `http` (custom, non-proxy) integrations.
//!
//! Only what the integration maps reaches the backend: the URI's parameters, mapped query strings
//! and headers, and a body that is either rendered from a request template or passed through
//! according to `passthroughBehavior`. The backend's answer is matched against the integration
//! responses by status code; the selected one decides the client's status, headers and body.

use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Request, Response};
use restapi::{Integration, Passthrough};

use super::{RequestBody, backend, method_response, render, select_response, template_for, uri};
use crate::body::{Body, MAX_PAYLOAD, empty, full, read_limited};
use crate::error::{ErrorKind, GatewayError};
use crate::pipeline::context::RequestCtx;
use crate::services::Services;

pub(crate) async fn invoke(
    svc: &Services,
    ctx: &mut RequestCtx,
    parts: Parts,
    body: RequestBody,
    integration: &Integration,
) -> Result<Response<Body>, GatewayError> {
    let client_query = parts.uri.query().unwrap_or("");
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    // Request body: a matching template, or passthrough as the behavior allows.
    let (upstream_body, upstream_content_type) =
        match template_for(&integration.request_templates, content_type) {
            Some((template_type, template)) => (
                full(render(template, ctx)),
                HeaderValue::from_str(template_type).ok(),
            ),
            None => {
                let allowed = match integration.passthrough {
                    Passthrough::WhenNoMatch => true,
                    Passthrough::WhenNoTemplates => integration.request_templates.is_empty(),
                    Passthrough::Never => false,
                };
                if !allowed {
                    return Err(GatewayError::new(ErrorKind::UnsupportedMediaType));
                }
                (
                    body.into_body(),
                    parts.headers.get(header::CONTENT_TYPE).cloned(),
                )
            }
        };

    let query = uri::mapped_query(integration, ctx, &parts.headers, client_query, "");
    let target = uri::backend_uri(integration, ctx, &parts.headers, client_query, &query)?;
    let mut request = Request::new(upstream_body);
    *request.method_mut() = integration
        .http_method
        .clone()
        .unwrap_or_else(|| parts.method.clone());
    *request.uri_mut() = target;
    let headers = request.headers_mut();
    if let Some(ct) = upstream_content_type {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    for (name, values) in uri::mapped_headers(integration, ctx, &parts.headers, client_query) {
        for v in values {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.append(name.clone(), v);
            }
        }
    }
    backend::add_forwarding_headers(headers, ctx);

    let response = backend::call(svc, ctx, integration, request).await?;
    let status = response.status().as_u16();
    let (head, incoming) = response.into_parts();
    // Integration responses may need the whole body (templates see it; passthrough returns it),
    // so it is read here, within what remains of the integration timeout.
    let remaining = integration
        .timeout
        .saturating_sub(ctx.integration.latency.unwrap_or_default());
    let bytes = match tokio::time::timeout(remaining, read_limited(incoming, MAX_PAYLOAD)).await {
        Err(_) => return Err(GatewayError::new(ErrorKind::IntegrationTimeout)),
        Ok(Err(e)) => {
            return Err(GatewayError::new(ErrorKind::IntegrationFailure)
                .detail(format!("reading the integration response: {e}")));
        }
        Ok(Ok(bytes)) => bytes,
    };
    let selected = select_response(&integration.responses, status).ok_or_else(|| {
        GatewayError::new(ErrorKind::ApiConfigurationError).detail(format!(
            "no integration response matches status {status} and there is no default"
        ))
    })?;
    let backend_content_type = head.headers.get(header::CONTENT_TYPE).cloned();
    let mut response = method_response(
        ctx,
        selected,
        accept.as_deref(),
        &head.headers,
        Some((bytes, backend_content_type)),
    );
    if parts.method == http::Method::HEAD {
        *response.body_mut() = empty();
    }
    Ok(response)
}
