//! Gateway responses: how an error becomes API Gateway's answer, honoring the API's
//! `x-amazon-apigateway-gateway-responses` overrides.
//!
//! Resolution follows API Gateway: a response type's own override wins; otherwise the
//! `DEFAULT_4XX`/`DEFAULT_5XX` override of its class applies (its status code replaces the
//! class's statuses); otherwise the built-in answer from [`ErrorKind::spec`].

use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use restapi::render::Vars;
use restapi::{GatewayHeaderSource, GatewayResponse, ResponseType, Template};

use crate::body::{Body, full};
use crate::error::GatewayError;
use crate::pipeline::context::RequestCtx;

pub static X_AMZN_ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// Builds the error response for `error`. `ctx.error` must already hold it, since templates read
/// `$context.error.*`.
pub(crate) fn error_response(ctx: &RequestCtx, error: &GatewayError) -> Response<Body> {
    let spec = error.kind.spec();
    let overrides = ctx.route.as_ref().map(|r| &r.api.api.gateway_responses);
    let specific = overrides
        .zip(spec.response_type)
        .and_then(|(o, t)| o.get(&t));
    let class_default = if spec.status >= 500 {
        ResponseType::Default5xx
    } else {
        ResponseType::Default4xx
    };
    let fallback = overrides.and_then(|o| o.get(&class_default));

    let status = specific
        .and_then(|r| r.status)
        .or_else(|| fallback.and_then(|r| r.status))
        .unwrap_or(spec.status);
    let custom: Option<&GatewayResponse> = specific
        .filter(|r| !r.templates.is_empty())
        .or_else(|| fallback.filter(|r| !r.templates.is_empty()));
    let (content_type, body) = match custom.and_then(|r| pick_template(&r.templates)) {
        Some((content_type, template)) => {
            let mut out = String::new();
            restapi::render::render(template, restapi::render::Escape::None, "", ctx, &mut out);
            (content_type.to_string(), out)
        }
        None => (
            "application/json".to_string(),
            format!(
                "{{\"{}\":{}}}",
                spec.body_key,
                // An empty message is API Gateway's `null` (Lambda authorizer failures).
                if error.message.is_empty() {
                    "null".to_string()
                } else {
                    serde_json::to_string(error.message.as_ref()).unwrap_or_default()
                }
            ),
        ),
    };

    let mut response = Response::new(full(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    headers.insert(
        X_AMZN_ERROR_TYPE.clone(),
        HeaderValue::from_static(spec.error_type),
    );
    let header_overrides = specific
        .filter(|r| !r.headers.is_empty())
        .or(fallback)
        .map(|r| r.headers.as_slice())
        .unwrap_or_default();
    for (name, source) in header_overrides {
        if let Some(value) = header_value(ctx, source)
            && let Ok(v) = HeaderValue::from_str(&value)
        {
            headers.insert(name.clone(), v);
        }
    }
    response
}

/// API Gateway answers with the `application/json` template when there is one.
fn pick_template(
    templates: &std::collections::BTreeMap<String, Template>,
) -> Option<(&str, &Template)> {
    templates
        .get_key_value("application/json")
        .or_else(|| templates.iter().next())
        .map(|(k, v)| (k.as_str(), v))
}

fn header_value(ctx: &RequestCtx, source: &GatewayHeaderSource) -> Option<String> {
    match source {
        GatewayHeaderSource::Static(s) => Some(s.clone()),
        GatewayHeaderSource::Context(var) => ctx.context(var).map(|v| v.into_owned()),
        GatewayHeaderSource::StageVariable(name) => ctx.stage_variable(name).map(str::to_string),
        GatewayHeaderSource::RequestHeader(name) => {
            let (headers, _) = ctx.kept_request.as_ref()?;
            headers
                .get(name.as_str())?
                .to_str()
                .ok()
                .map(str::to_string)
        }
        GatewayHeaderSource::RequestQuery(name) => {
            let (_, query) = ctx.kept_request.as_ref()?;
            crate::pipeline::params::query_value(query, name)
        }
        GatewayHeaderSource::RequestPath(name) => {
            ctx.route.as_ref()?.param(name).map(str::to_string)
        }
    }
}
