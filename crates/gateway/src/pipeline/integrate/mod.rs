//! Phase: integrate. Sends the request to the method's integration and turns the answer into the
//! method response.
//!
//! - `http_proxy` streams the request and the response through, headers and all;
//! - `http` maps parameters, applies request templates and passthrough rules, then selects an
//!   integration response by the backend's status code;
//! - `mock` answers from the integration's own templates;
//! - `aws_proxy` invokes a Lambda function with the proxy event and maps its answer back.

mod backend;
mod http_custom;
mod http_proxy;
mod lambda;
mod mock;
mod uri;

#[cfg(any(test, feature = "test-util"))]
pub(crate) use http_proxy::target as proxy_target;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Response};
use http_body_util::BodyExt;
use restapi::render::Vars;
use restapi::{IntegrationKind, IntegrationResponse, ResponseSource, Template};

use super::context::RequestCtx;
use super::{Exchange, Flow, Phase};
use crate::body::{
    Body, BodyTimeout, Capped, MAX_PAYLOAD, PayloadTooLarge, ReadError, full, read_limited,
};
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

/// A request body on its way to an integration: still streaming from the client (capped at API
/// Gateway's 10 MB payload and at the body-read deadline), or already read (when authentication
/// needed its hash).
pub enum RequestBody {
    Streaming(Capped),
    Buffered(Bytes),
    /// Handed on already (see `Exchange::take_body`).
    Taken,
}

impl RequestBody {
    /// A body streaming from the client, which must arrive whole by `deadline`.
    pub fn streaming(body: hyper::body::Incoming, deadline: tokio::time::Instant) -> RequestBody {
        RequestBody::Streaming(Capped::new(body, MAX_PAYLOAD, deadline))
    }

    /// The body as sent upstream.
    pub fn into_body(self) -> Body {
        match self {
            RequestBody::Streaming(b) => b.boxed_unsync(),
            RequestBody::Buffered(b) => full(b),
            RequestBody::Taken => full(Bytes::new()),
        }
    }

    /// Reads the whole body (at most 10 MB).
    pub async fn collect(self) -> Result<Bytes, GatewayError> {
        self.collect_limited(MAX_PAYLOAD).await
    }

    /// Reads the whole body, refusing it with `RequestTooLarge` past `limit` bytes.
    pub async fn collect_limited(self, limit: usize) -> Result<Bytes, GatewayError> {
        let body = match self {
            RequestBody::Buffered(b) => return Ok(b),
            RequestBody::Streaming(b) => b,
            // A phase order mistake, never the client's: refuse rather than send an empty body.
            RequestBody::Taken => {
                return Err(GatewayError::new(ErrorKind::Internal)
                    .detail("the request body was read after it was handed on"));
            }
        };
        read_limited(body, limit).await.map_err(|e| match e {
            ReadError::TooLarge(_) => GatewayError::new(ErrorKind::RequestTooLarge),
            ReadError::Timeout => GatewayError::new(ErrorKind::RequestTimeout),
            ReadError::Body(detail) => GatewayError::new(ErrorKind::BadRequest).detail(detail),
        })
    }
}

/// Whether an error (or one of its sources) is the payload limit being hit.
pub(crate) fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    has_source(error, |e| {
        e.is::<PayloadTooLarge>() || e.is::<http_body_util::LengthLimitError>()
    })
}

/// Whether an error (or one of its sources) is the client's body missing its deadline.
pub(crate) fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    has_source(error, |e| e.is::<BodyTimeout>())
}

fn has_source(
    error: &(dyn std::error::Error + 'static),
    test: impl Fn(&(dyn std::error::Error + 'static)) -> bool,
) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if test(e) {
            return true;
        }
        current = e.source();
    }
    false
}

/// Phase: integrate. Always answers: with the integration's response, or an error.
pub(crate) struct Integrate;

impl Phase for Integrate {
    const NAME: &'static str = "integrate";

    async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        let parts = exchange.take_parts();
        let body = exchange.take_body();
        integrate(svc, &mut exchange.ctx, parts, body)
            .await
            .map(Flow::Respond)
    }
}

async fn integrate(
    svc: &Services,
    ctx: &mut RequestCtx,
    parts: Parts,
    body: RequestBody,
) -> Result<Response<Body>, GatewayError> {
    // Hold the API (not the whole route) so `ctx` stays free for the integration to update.
    let (api, resource, method) = ctx
        .route
        .as_ref()
        .and_then(|r| Some((r.api.clone(), r.resource?, r.method?)))
        .ok_or_else(|| GatewayError::new(ErrorKind::ApiConfigurationError))?;
    let integration = &api
        .api
        .resources
        .get(resource)
        .and_then(|r| r.methods.get(method))
        .ok_or_else(|| GatewayError::new(ErrorKind::ApiConfigurationError))?
        .integration;
    match integration.kind {
        IntegrationKind::Mock => mock::invoke(ctx, &parts, integration),
        IntegrationKind::HttpProxy => http_proxy::invoke(svc, ctx, parts, body, integration).await,
        IntegrationKind::Http => http_custom::invoke(svc, ctx, parts, body, integration).await,
        // Boxed: the invoke future is large and most requests never run it.
        IntegrationKind::AwsProxy => {
            Box::pin(lambda::invoke(svc, ctx, parts, body, integration)).await
        }
    }
}

/// Picks the request template for a content type, as API Gateway does: the template for exactly
/// that type; a request without `Content-Type` counts as `application/json`.
pub(crate) fn template_for<'a>(
    templates: &'a std::collections::BTreeMap<String, Template>,
    content_type: Option<&str>,
) -> Option<(&'a str, &'a Template)> {
    let wanted = content_type.and_then(|c| c.split(';').next()).map_or_else(
        || "application/json".to_string(),
        |c| c.trim().to_ascii_lowercase(),
    );
    templates
        .get_key_value(wanted.as_str())
        .map(|(k, v)| (k.as_str(), v))
}

pub(crate) fn render(template: &Template, ctx: &RequestCtx) -> String {
    let mut out = String::new();
    restapi::render::render(template, restapi::render::Escape::None, "", ctx, &mut out);
    out
}

/// Selects the integration response for a status code: the first whose selection pattern matches,
/// else `default`.
pub(crate) fn select_response(
    responses: &[IntegrationResponse],
    status: u16,
) -> Option<&IntegrationResponse> {
    let code = status.to_string();
    responses
        .iter()
        .find(|r| r.selection.as_ref().is_some_and(|re| re.is_match(&code)))
        .or_else(|| responses.iter().find(|r| r.selection.is_none()))
}

/// Picks an integration response's template for the client's Accept header: an exact match, else
/// `application/json`, else the first one defined — API Gateway answers with a template whenever
/// the integration response has one.
fn response_template<'a>(
    templates: &'a std::collections::BTreeMap<String, Template>,
    accept: Option<&str>,
) -> Option<(&'a str, &'a Template)> {
    accept
        .and_then(|a| template_for(templates, Some(a)))
        .or_else(|| template_for(templates, None))
        .or_else(|| templates.iter().next().map(|(k, v)| (k.as_str(), v)))
}

/// Builds a method response from an integration response: its status, mapped headers and its
/// template when it has one; otherwise `passthrough`.
pub(crate) fn method_response(
    ctx: &RequestCtx,
    selected: &IntegrationResponse,
    accept: Option<&str>,
    backend_headers: &HeaderMap,
    passthrough: Option<(Bytes, Option<http::HeaderValue>)>,
) -> Response<Body> {
    let (content_type, body) = match response_template(&selected.templates, accept) {
        Some((content_type, template)) => (
            http::HeaderValue::from_str(content_type).ok(),
            Bytes::from(render(template, ctx)),
        ),
        None => match passthrough {
            Some((bytes, content_type)) => (content_type, bytes),
            None => (
                Some(http::HeaderValue::from_static("application/json")),
                Bytes::new(),
            ),
        },
    };
    let mut response = Response::new(full(body));
    *response.status_mut() =
        http::StatusCode::from_u16(selected.status).unwrap_or(http::StatusCode::OK);
    let headers = response.headers_mut();
    if let Some(ct) = content_type {
        headers.insert(http::header::CONTENT_TYPE, ct);
    }
    for (name, source) in &selected.headers {
        let value = match source {
            ResponseSource::Static(s) => Some(s.clone()),
            ResponseSource::IntegrationHeader(h) => super::params::header_value(backend_headers, h),
            ResponseSource::Context(var) => ctx.context(var).map(|v| v.into_owned()),
            ResponseSource::StageVariable(v) => ctx.stage_variable(v).map(str::to_string),
        };
        if let Some(v) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
            headers.insert(name.clone(), v);
        }
    }
    response
}
