//! Parameter mapping expressions: `integration.request.header.x = method.request.querystring.y`,
//! `method.response.header.x = integration.response.header.y`, and gateway response headers.

use serde_json::Value;

use super::{Cx, escape};
use crate::context::ContextVar;
use crate::model::{
    GatewayHeaderSource, MappingSource, MappingTarget, ParameterMapping, ResponseSource,
};

fn entries<'a>(cx: &mut Cx, value: &'a Value, pointer: &str) -> Vec<(&'a str, &'a str, String)> {
    let Some(obj) = value.as_object() else {
        cx.error(pointer, "must be an object of mapping expressions");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, source) in obj {
        let p = format!("{pointer}/{}", escape(key));
        match source.as_str() {
            Some(source) => out.push((key.as_str(), source, p)),
            None => cx.error(&p, "a mapping source must be a string"),
        }
    }
    out
}

/// A static value: `'text'` (API Gateway's quoting).
fn static_value(source: &str) -> Option<&str> {
    source.strip_prefix('\'').and_then(|s| s.strip_suffix('\''))
}

/// A `'static'`, `context.<var>` or `stageVariables.<name>` source, which every kind of mapping
/// accepts.
enum Dynamic {
    Static(String),
    Context(ContextVar),
    Stage(String),
}

fn context_or_stage(source: &str) -> Option<Result<Dynamic, String>> {
    if let Some(name) = source.strip_prefix("context.") {
        return Some(
            ContextVar::parse(name)
                .map(Dynamic::Context)
                .ok_or_else(|| format!("unknown context variable {source:?}")),
        );
    }
    let name = source.strip_prefix("stageVariables.")?;
    Some(if name.is_empty() {
        Err("empty stage variable name".to_string())
    } else {
        Ok(Dynamic::Stage(name.to_string()))
    })
}

fn non_empty(name: &str) -> Option<String> {
    (!name.is_empty()).then(|| name.to_string())
}

pub(crate) fn request_parameters(
    cx: &mut Cx,
    value: &Value,
    pointer: &str,
) -> Vec<ParameterMapping> {
    let mut out = Vec::new();
    for (target, source, p) in entries(cx, value, pointer) {
        let target = match parse_request_target(target) {
            Some(t) => t,
            None => {
                cx.error(
                    &p,
                    format!("invalid mapping target {target:?}; expected integration.request.(path|querystring|multivaluequerystring|header|multivalueheader).<name>"),
                );
                continue;
            }
        };
        match parse_request_source(source) {
            Ok(source) => out.push(ParameterMapping { target, source }),
            Err(message) => cx.error(&p, message),
        }
    }
    out
}

fn parse_request_target(target: &str) -> Option<MappingTarget> {
    let rest = target.strip_prefix("integration.request.")?;
    let (kind, name) = rest.split_once('.')?;
    let name = non_empty(name)?;
    Some(match kind {
        "path" => MappingTarget::Path(name),
        "querystring" => MappingTarget::Query(name),
        "multivaluequerystring" => MappingTarget::MultiQuery(name),
        "header" => MappingTarget::Header(name),
        "multivalueheader" => MappingTarget::MultiHeader(name),
        _ => return None,
    })
}

fn parse_request_source(source: &str) -> Result<MappingSource, String> {
    if let Some(s) = static_value(source) {
        return Ok(MappingSource::Static(s.to_string()));
    }
    if let Some(r) = context_or_stage(source) {
        return r.map(|d| match d {
            Dynamic::Static(s) => MappingSource::Static(s),
            Dynamic::Context(v) => MappingSource::Context(v),
            Dynamic::Stage(s) => MappingSource::StageVariable(s),
        });
    }
    if source.starts_with("method.request.body") {
        return Err(
            "mapping from the request body (method.request.body) is not supported yet".into(),
        );
    }
    let invalid = || {
        format!(
            "invalid mapping source {source:?}; expected method.request.(path|querystring|header|...).<name>, 'static', context.<var> or stageVariables.<name>"
        )
    };
    let rest = source.strip_prefix("method.request.").ok_or_else(invalid)?;
    let (kind, name) = rest.split_once('.').ok_or_else(invalid)?;
    let name = non_empty(name).ok_or_else(invalid)?;
    Ok(match kind {
        "path" => MappingSource::Path(name),
        "querystring" => MappingSource::Query(name),
        "multivaluequerystring" => MappingSource::MultiQuery(name),
        "header" => MappingSource::Header(name),
        "multivalueheader" => MappingSource::MultiHeader(name),
        _ => return Err(invalid()),
    })
}

fn header_name(cx: &mut Cx, name: &str, pointer: &str) -> Option<http::HeaderName> {
    match http::HeaderName::from_bytes(name.as_bytes()) {
        Ok(h) => Some(h),
        Err(_) => {
            cx.error(pointer, format!("invalid header name {name:?}"));
            None
        }
    }
}

/// Reads `<prefix><header-name>: <source>` entries, the shape of both integration response and
/// gateway response header mappings; `parse` reads a source that is not a static value, a
/// context variable or a stage variable.
fn header_mappings<S>(
    cx: &mut Cx,
    value: &Value,
    pointer: &str,
    prefix: &str,
    common: impl Fn(Dynamic) -> S,
    parse: impl Fn(&str) -> Result<S, String>,
) -> Vec<(http::HeaderName, S)> {
    let mut out = Vec::new();
    for (target, source, p) in entries(cx, value, pointer) {
        let Some(name) = target.strip_prefix(prefix) else {
            cx.error(
                &p,
                format!("invalid mapping target {target:?}; expected {prefix}<name>"),
            );
            continue;
        };
        let Some(name) = header_name(cx, name, &p) else {
            continue;
        };
        let parsed = match static_value(source) {
            Some(s) => Ok(common(Dynamic::Static(s.to_string()))),
            None => match context_or_stage(source) {
                Some(r) => r.map(&common),
                None => parse(source),
            },
        };
        match parsed {
            Ok(s) => out.push((name, s)),
            Err(message) => cx.error(&p, message),
        }
    }
    out
}

pub(crate) fn response_parameters(
    cx: &mut Cx,
    value: &Value,
    pointer: &str,
) -> Vec<(http::HeaderName, ResponseSource)> {
    header_mappings(
        cx,
        value,
        pointer,
        "method.response.header.",
        |d| match d {
            Dynamic::Static(s) => ResponseSource::Static(s),
            Dynamic::Context(v) => ResponseSource::Context(v),
            Dynamic::Stage(s) => ResponseSource::StageVariable(s),
        },
        |source| {
            if let Some(h) = source
                .strip_prefix("integration.response.header.")
                .or_else(|| source.strip_prefix("integration.response.multivalueheader."))
            {
                non_empty(h)
                    .map(ResponseSource::IntegrationHeader)
                    .ok_or_else(|| "empty header name".to_string())
            } else if source.starts_with("integration.response.body") {
                Err("mapping from the integration response body is not supported yet".to_string())
            } else {
                Err(format!("invalid response mapping source {source:?}"))
            }
        },
    )
}

pub(crate) fn gateway_response_parameters(
    cx: &mut Cx,
    value: &Value,
    pointer: &str,
) -> Vec<(http::HeaderName, GatewayHeaderSource)> {
    header_mappings(
        cx,
        value,
        pointer,
        "gatewayresponse.header.",
        |d| match d {
            Dynamic::Static(s) => GatewayHeaderSource::Static(s),
            Dynamic::Context(v) => GatewayHeaderSource::Context(v),
            Dynamic::Stage(s) => GatewayHeaderSource::StageVariable(s),
        },
        |source| {
            let rest = source
                .strip_prefix("method.request.")
                .and_then(|r| r.split_once('.'));
            match rest {
                Some(("header" | "multivalueheader", n)) if !n.is_empty() => {
                    Ok(GatewayHeaderSource::RequestHeader(n.to_string()))
                }
                Some(("querystring" | "multivaluequerystring", n)) if !n.is_empty() => {
                    Ok(GatewayHeaderSource::RequestQuery(n.to_string()))
                }
                Some(("path", n)) if !n.is_empty() => {
                    Ok(GatewayHeaderSource::RequestPath(n.to_string()))
                }
                _ => Err(format!(
                    "invalid gateway response mapping source {source:?}"
                )),
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_sources() {
        assert_eq!(
            parse_request_source("method.request.path.petId"),
            Ok(MappingSource::Path("petId".into()))
        );
        assert_eq!(
            parse_request_source("'abc'"),
            Ok(MappingSource::Static("abc".into()))
        );
        assert_eq!(
            parse_request_source("context.identity.sourceIp"),
            Ok(MappingSource::Context(ContextVar::Identity(
                crate::context::IdentityVar::SourceIp
            )))
        );
        assert_eq!(
            parse_request_source("stageVariables.v"),
            Ok(MappingSource::StageVariable("v".into()))
        );
        for bad in [
            "method.request.path.",
            "method.request.cookie.x",
            "context.bogus",
            "method.request.body.x",
            "x",
        ] {
            assert!(parse_request_source(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_targets() {
        assert_eq!(
            parse_request_target("integration.request.header.X-Id"),
            Some(MappingTarget::Header("X-Id".into()))
        );
        assert_eq!(parse_request_target("integration.request.body"), None);
        assert_eq!(parse_request_target("integration.request.path."), None);
    }
}
