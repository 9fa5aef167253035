//! The backend URI: the integration's URI template with `{param}` and `${stageVariables.x}`
//! filled in, plus the query string the integration type calls for.

use http::HeaderMap;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use restapi::{Integration, MappingSource, MappingTarget, UriPart};

use crate::error::{ErrorKind, GatewayError};
use crate::pipeline::context::RequestCtx;
use crate::pipeline::params;

/// Characters encoded when a mapped value lands in a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Characters encoded in a query component we generate.
const QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'`');

fn config_error(detail: impl std::fmt::Display) -> GatewayError {
    GatewayError::new(ErrorKind::ApiConfigurationError).detail(detail)
}

/// The value of `{name}` in the URI: the `integration.request.path.name` mapping when there is
/// one, else the method's path parameter of the same name (API Gateway requires the mapping; we
/// accept the obvious default). Path parameters are used as received, still encoded.
fn path_param(
    name: &str,
    integration: &Integration,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    query: &str,
) -> Option<String> {
    let route = ctx.route.as_ref()?;
    let raw_param = |p: &str| route.param(p).map(str::to_string);
    let mapping = integration
        .request_parameters
        .iter()
        .find(|m| matches!(&m.target, MappingTarget::Path(t) if t == name));
    match mapping.map(|m| &m.source) {
        Some(MappingSource::Path(p)) => raw_param(p),
        Some(source) => params::evaluate(source, ctx, headers, query)
            .into_iter()
            .next()
            .map(|v| utf8_percent_encode(&v, SEGMENT).to_string()),
        None => raw_param(name),
    }
}

/// Renders the URI template. `query` is appended to whatever query the template has.
pub(crate) fn backend_uri(
    integration: &Integration,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    client_query: &str,
    extra_query: &str,
) -> Result<http::Uri, GatewayError> {
    let template = integration
        .uri
        .as_ref()
        .ok_or_else(|| config_error("the integration has no URI"))?;
    let mut uri = String::with_capacity(template.source.len() + 64);
    for part in &template.parts {
        match part {
            UriPart::Literal(l) => uri.push_str(l),
            UriPart::StageVariable(name) => uri.push_str(
                ctx.stage_variables()
                    .and_then(|v| v.get(name))
                    .ok_or_else(|| config_error(format!("stage variable {name} is not defined")))?,
            ),
            UriPart::PathParam(name) => uri.push_str(
                &path_param(name, integration, ctx, headers, client_query).ok_or_else(|| {
                    config_error(format!("no value for the URI parameter {{{name}}}"))
                })?,
            ),
        }
    }
    if !extra_query.is_empty() {
        uri.push(if uri.contains('?') { '&' } else { '?' });
        uri.push_str(extra_query);
    }
    // From the String itself: `Uri` takes its bytes over instead of copying them.
    let parsed = http::Uri::try_from(uri)
        .map_err(|e| config_error(format!("invalid endpoint address: {e}")))?;
    match parsed.scheme_str() {
        Some("http" | "https") if parsed.authority().is_some() => Ok(parsed),
        _ => Err(config_error(format!("invalid endpoint address {parsed}"))),
    }
}

/// The query string for the backend: `base` (the client's raw query for proxies, empty for
/// custom integrations) with the `integration.request.querystring.*` mappings applied on top.
pub(crate) fn mapped_query<'a>(
    integration: &Integration,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    client_query: &str,
    base: &'a str,
) -> std::borrow::Cow<'a, str> {
    let mapped: Vec<(&str, Vec<String>)> = integration
        .request_parameters
        .iter()
        .filter_map(|m| match &m.target {
            MappingTarget::Query(name) => Some((
                name.as_str(),
                params::evaluate(&m.source, ctx, headers, client_query)
                    .into_iter()
                    .take(1)
                    .collect(),
            )),
            MappingTarget::MultiQuery(name) => Some((
                name.as_str(),
                params::evaluate(&m.source, ctx, headers, client_query),
            )),
            _ => None,
        })
        .collect();
    if mapped.is_empty() {
        return std::borrow::Cow::Borrowed(base);
    }
    let mut out: Vec<String> = params::query_pairs(base)
        .filter(|(k, _)| {
            let key = params::decode_component(k);
            !mapped.iter().any(|(name, _)| *name == key)
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for (name, values) in mapped {
        for v in values {
            out.push(format!(
                "{}={}",
                utf8_percent_encode(name, QUERY),
                utf8_percent_encode(&v, QUERY)
            ));
        }
    }
    std::borrow::Cow::Owned(out.join("&"))
}

/// `integration.request.header.*` mappings, evaluated.
pub(crate) fn mapped_headers(
    integration: &Integration,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    client_query: &str,
) -> Vec<(http::HeaderName, Vec<String>)> {
    integration
        .request_parameters
        .iter()
        .filter_map(|m| {
            let (name, multi) = match &m.target {
                MappingTarget::Header(n) => (n, false),
                MappingTarget::MultiHeader(n) => (n, true),
                _ => return None,
            };
            let name = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
            let mut values = params::evaluate(&m.source, ctx, headers, client_query);
            if !multi && values.len() > 1 {
                values = vec![values.join(",")];
            }
            Some((name, values))
        })
        .collect()
}
