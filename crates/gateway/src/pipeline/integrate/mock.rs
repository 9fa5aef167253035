//! `mock`: the gateway answers by itself. The request template renders to JSON whose
//! `statusCode` selects the integration response, whose template becomes the body.

use http::Response;
use http::header;
use http::request::Parts;
use restapi::Integration;

use super::{method_response, render, select_response, template_for};
use crate::body::Body;
use crate::error::{ErrorKind, GatewayError};
use crate::pipeline::context::RequestCtx;

pub(crate) fn invoke(
    ctx: &mut RequestCtx,
    parts: &Parts,
    integration: &Integration,
) -> Result<Response<Body>, GatewayError> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let status = match template_for(&integration.request_templates, content_type) {
        // Without a request template a mock integration answers 200.
        None => 200,
        Some((_, template)) => {
            let rendered = render(template, ctx);
            let value: serde_json::Value = serde_json::from_str(rendered.trim()).map_err(|e| {
                GatewayError::new(ErrorKind::ApiConfigurationError).detail(format!(
                    "the mock request template did not render to JSON: {e}"
                ))
            })?;
            value
                .get("statusCode")
                .and_then(serde_json::Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| {
                    GatewayError::new(ErrorKind::ApiConfigurationError)
                        .detail("the mock request template has no numeric statusCode")
                })?
        }
    };
    ctx.integration.status = Some(status);
    let selected = select_response(&integration.responses, status).ok_or_else(|| {
        GatewayError::new(ErrorKind::ApiConfigurationError).detail(format!(
            "no integration response matches status {status} and there is no default"
        ))
    })?;
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    Ok(method_response(
        ctx,
        selected,
        accept,
        &http::HeaderMap::new(),
        None,
    ))
}
