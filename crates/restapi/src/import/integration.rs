//! `x-amazon-apigateway-integration`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use super::authorizer::function_arn;
use super::{Cx, escape, mapping};
use crate::FunctionArn;
use crate::model::{
    CacheKeyParameter, DEFAULT_TIMEOUT, FunctionTarget, Integration, IntegrationKind,
    IntegrationResponse, MIN_TIMEOUT, ParamLocation, Passthrough, UriPart, UriTemplate,
};
use crate::template::Template;

const KNOWN_KEYS: &[&str] = &[
    "type",
    "httpMethod",
    "uri",
    "connectionType",
    "connectionId",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "timeoutInMillis",
    "responses",
    "contentHandling",
    "cacheKeyParameters",
    "cacheNamespace",
    "tlsConfig",
    "description",
    "integrationSubtype",
];

pub(crate) fn integration(cx: &mut Cx, value: &Value, pointer: &str) -> Option<Integration> {
    let Some(obj) = value.as_object() else {
        cx.error(pointer, "must be an object");
        return None;
    };
    for key in obj.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            cx.error(
                &format!("{pointer}/{}", escape(key)),
                format!("unknown integration property {key:?}"),
            );
        }
    }
    let kind = kind(cx, obj, pointer)?;
    let errors_before = cx.errors.len();
    let mut http_method = None;
    let mut uri = None;
    let mut function = None;
    match kind {
        IntegrationKind::Mock => {}
        IntegrationKind::AwsProxy => {
            lambda_method(cx, obj, pointer);
            function = lambda_function(cx, obj, pointer);
        }
        IntegrationKind::Http | IntegrationKind::HttpProxy => {
            http_method = backend_method(cx, obj, pointer);
            uri = backend_uri(cx, obj, pointer);
        }
    }
    unsupported_options(cx, obj, pointer);

    let request_parameters = match obj.get("requestParameters") {
        Some(v) => mapping::request_parameters(cx, v, &format!("{pointer}/requestParameters")),
        None => Vec::new(),
    };
    let request_templates = templates(
        cx,
        obj.get("requestTemplates"),
        &format!("{pointer}/requestTemplates"),
    );
    if kind == IntegrationKind::HttpProxy && !request_templates.is_empty() {
        cx.error(
            &format!("{pointer}/requestTemplates"),
            "http_proxy integrations pass the request through; mapping templates apply to http integrations only",
        );
    }
    if kind == IntegrationKind::AwsProxy {
        // The proxy event carries the whole request; nothing would apply these.
        for (key, what) in [
            ("requestTemplates", "mapping templates"),
            ("requestParameters", "request parameter mappings"),
        ] {
            if obj.contains_key(key) {
                cx.error(
                    &format!("{pointer}/{key}"),
                    format!("aws_proxy (Lambda proxy) integrations pass the whole request to the function as its event; {what} apply to http integrations only"),
                );
            }
        }
    }
    let passthrough = passthrough(cx, obj, pointer);
    let insecure_skip_verification = obj
        .get("tlsConfig")
        .and_then(|t| t.get("insecureSkipVerification"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let timeout = timeout(cx, obj, pointer);
    let responses = if matches!(kind, IntegrationKind::HttpProxy | IntegrationKind::AwsProxy) {
        // API Gateway ignores integration responses on proxy integrations; exports often carry a
        // `default` entry anyway.
        Vec::new()
    } else {
        match obj.get("responses") {
            Some(v) => responses(cx, v, &format!("{pointer}/responses")),
            None => Vec::new(),
        }
    };
    if kind == IntegrationKind::Mock {
        check_mock_templates(cx, &request_templates, pointer);
    }
    let cache_key_parameters = cache_key_parameters(cx, obj, pointer);
    let cache_namespace = match obj.get("cacheNamespace") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            cx.error(&format!("{pointer}/cacheNamespace"), "must be a string");
            None
        }
    };
    if cx.errors.len() > errors_before {
        return None;
    }
    Some(Integration {
        kind,
        http_method,
        uri,
        function,
        request_parameters,
        request_templates,
        passthrough,
        timeout,
        insecure_skip_verification,
        responses,
        cache_key_parameters,
        cache_namespace,
    })
}

fn cache_key_parameters(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    pointer: &str,
) -> Vec<CacheKeyParameter> {
    let Some(value) = obj.get("cacheKeyParameters") else {
        return Vec::new();
    };
    let pointer = format!("{pointer}/cacheKeyParameters");
    let Some(items) = value.as_array() else {
        cx.error(&pointer, "must be a list of method request parameters");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let parsed = item.as_str().and_then(|s| {
            let rest = s.strip_prefix("method.request.")?;
            let (location, name) = rest.split_once('.')?;
            let location = match location {
                "path" => ParamLocation::Path,
                "querystring" | "multivaluequerystring" => ParamLocation::Query,
                "header" | "multivalueheader" => ParamLocation::Header,
                _ => return None,
            };
            (!name.is_empty()).then(|| CacheKeyParameter {
                location,
                name: name.to_string(),
            })
        });
        match parsed {
            Some(p) if !out.contains(&p) => out.push(p),
            Some(_) => {}
            None => cx.error(
                &format!("{pointer}/{i}"),
                "a cache key parameter is method.request.path.NAME, method.request.querystring.NAME or method.request.header.NAME",
            ),
        }
    }
    out
}

fn kind(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) -> Option<IntegrationKind> {
    let p = format!("{pointer}/type");
    let Some(t) = obj.get("type").and_then(Value::as_str) else {
        cx.error(pointer, "an integration needs a \"type\"");
        return None;
    };
    match t.to_ascii_lowercase().as_str() {
        "http_proxy" => Some(IntegrationKind::HttpProxy),
        "http" => Some(IntegrationKind::Http),
        "mock" => Some(IntegrationKind::Mock),
        "aws_proxy" => Some(IntegrationKind::AwsProxy),
        "aws" => {
            cx.error(&p, "aws (AWS service) integrations are not supported yet");
            None
        }
        other => {
            cx.error(
                &p,
                format!(
                    "unknown integration type {other:?}; expected http_proxy, http, aws_proxy or mock"
                ),
            );
            None
        }
    }
}

fn backend_method(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) -> Option<http::Method> {
    let p = format!("{pointer}/httpMethod");
    match obj.get("httpMethod").and_then(Value::as_str) {
        None => {
            cx.error(pointer, "an HTTP integration needs an \"httpMethod\"");
            None
        }
        Some(m) if m.eq_ignore_ascii_case("ANY") => None,
        Some(m) => match http::Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
            Ok(method) => Some(method),
            Err(_) => {
                cx.error(&p, format!("invalid HTTP method {m:?}"));
                None
            }
        },
    }
}

fn backend_uri(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) -> Option<UriTemplate> {
    let p = format!("{pointer}/uri");
    let Some(source) = obj.get("uri").and_then(Value::as_str) else {
        cx.error(pointer, "an HTTP integration needs a \"uri\"");
        return None;
    };
    match parse_uri(source) {
        Ok(t) => Some(t),
        Err(message) => {
            cx.error(&p, message);
            None
        }
    }
}

/// Splits a backend URI into literal text, `{param}` and `${stageVariables.name}` parts.
pub(crate) fn parse_uri(source: &str) -> Result<UriTemplate, String> {
    let parts = split_template(source, "the integration URI")?;
    // A URI that starts with a stage variable gets its scheme at request time.
    let starts_ok = match parts.first() {
        Some(UriPart::Literal(l)) => {
            let lower = l.to_ascii_lowercase();
            lower.starts_with("http://") || lower.starts_with("https://")
        }
        Some(UriPart::StageVariable(_)) => true,
        _ => false,
    };
    if !starts_ok {
        return Err(format!(
            "the integration URI {source:?} must be an absolute http:// or https:// URL"
        ));
    }
    Ok(UriTemplate {
        parts,
        source: source.to_string(),
    })
}

/// Splits text into literal parts, `{param}` and `${stageVariables.name}`.
fn split_template(source: &str, what: &str) -> Result<Vec<UriPart>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("${") {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unterminated ${{...}} in {source:?}"))?;
            let name = after[..end]
                .strip_prefix("stageVariables.")
                .filter(|n| is_identifier(n))
                .ok_or_else(|| {
                    format!(
                        "unsupported variable ${{{}}} in {what}; only ${{stageVariables.name}} is allowed",
                        &after[..end]
                    )
                })?;
            flush(&mut parts, &mut literal);
            parts.push(UriPart::StageVariable(name.to_string()));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unterminated {{...}} in {source:?}"))?;
            let name = &after[..end];
            if !is_identifier(name) {
                return Err(format!("invalid path parameter {{{name}}} in {what}"));
            }
            flush(&mut parts, &mut literal);
            parts.push(UriPart::PathParam(name.to_string()));
            rest = &after[end + 1..];
        } else {
            let next = rest.find(['$', '{']).unwrap_or(rest.len()).max(1);
            literal.push_str(&rest[..next]);
            rest = &rest[next..];
        }
    }
    flush(&mut parts, &mut literal);
    Ok(parts)
}

/// API Gateway calls Lambda's Invoke API, which is a POST: a Lambda integration's `httpMethod`
/// must say so.
fn lambda_method(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) {
    match obj.get("httpMethod").and_then(Value::as_str) {
        Some(m) if m.eq_ignore_ascii_case("POST") => {}
        None => cx.error(
            pointer,
            "a Lambda integration needs \"httpMethod\": \"POST\" (API Gateway invokes functions with POST)",
        ),
        Some(m) => cx.error(
            &format!("{pointer}/httpMethod"),
            format!("a Lambda integration's httpMethod must be POST (API Gateway invokes functions with POST), got {m:?}"),
        ),
    }
}

/// The function of a Lambda integration's `uri`; stage variables inside are resolved per request.
fn lambda_function(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) -> Option<FunctionTarget> {
    let p = format!("{pointer}/uri");
    let Some(uri) = obj.get("uri").and_then(Value::as_str) else {
        cx.error(pointer, "a Lambda integration needs a \"uri\"");
        return None;
    };
    let Some(arn) = function_arn(uri) else {
        cx.error(
            &p,
            format!("a Lambda integration's uri must be arn:aws:apigateway:{{region}}:lambda:path/2015-03-31/functions/arn:aws:lambda:{{region}}:{{account}}:function:{{name}}/invocations, got {uri:?}"),
        );
        return None;
    };
    let parts = match split_template(arn, "the function ARN") {
        Ok(parts) => parts,
        Err(message) => {
            cx.error(&p, message);
            return None;
        }
    };
    if parts
        .iter()
        .any(|part| matches!(part, UriPart::PathParam(_)))
    {
        cx.error(
            &p,
            "a function ARN cannot hold path parameters; only ${stageVariables.name}",
        );
        return None;
    }
    let target = FunctionTarget {
        arn: arn.to_string(),
        parts,
    };
    if target.is_static() {
        match FunctionArn::parse(arn) {
            Some(parsed) if parsed.is_latest() => {}
            Some(parsed) => {
                cx.error(
                    &p,
                    format!("function versions and aliases are not supported (qualifier {:?}): Portcullis runs $LATEST only", parsed.qualifier.unwrap_or_default()),
                );
                return None;
            }
            None => {
                cx.error(&p, format!("{arn:?} is not a function ARN"));
                return None;
            }
        }
    }
    Some(target)
}

fn flush(parts: &mut Vec<UriPart>, literal: &mut String) {
    if !literal.is_empty() {
        parts.push(UriPart::Literal(std::mem::take(literal)));
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn unsupported_options(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) {
    if let Some(ct) = obj.get("connectionType").and_then(Value::as_str)
        && !ct.eq_ignore_ascii_case("INTERNET")
    {
        cx.error(
            &format!("{pointer}/connectionType"),
            format!("connection type {ct:?} is not supported; only INTERNET"),
        );
    }
    if obj.contains_key("contentHandling") {
        cx.error(
            &format!("{pointer}/contentHandling"),
            "content handling (binary conversion) is not supported yet",
        );
    }
    if obj.contains_key("integrationSubtype") {
        cx.error(
            &format!("{pointer}/integrationSubtype"),
            "integrationSubtype belongs to HTTP APIs, not REST APIs",
        );
    }
    if let Some(tls) = obj.get("tlsConfig") {
        let ok = tls.as_object().is_some_and(|o| {
            o.iter()
                .all(|(k, v)| k == "insecureSkipVerification" && v.is_boolean())
        });
        if !ok {
            cx.error(
                &format!("{pointer}/tlsConfig"),
                "tlsConfig supports only insecureSkipVerification (a boolean)",
            );
        }
    }
}

fn passthrough(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) -> Passthrough {
    match obj.get("passthroughBehavior").and_then(Value::as_str) {
        None => Passthrough::WhenNoMatch,
        Some(s) => match s.to_ascii_lowercase().as_str() {
            "when_no_match" => Passthrough::WhenNoMatch,
            "when_no_templates" => Passthrough::WhenNoTemplates,
            "never" => Passthrough::Never,
            other => {
                cx.error(
                    &format!("{pointer}/passthroughBehavior"),
                    format!("unknown passthrough behavior {other:?}; expected when_no_match, when_no_templates or never"),
                );
                Passthrough::WhenNoMatch
            }
        },
    }
}

fn timeout(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) -> Duration {
    let Some(v) = obj.get("timeoutInMillis") else {
        return DEFAULT_TIMEOUT;
    };
    let millis = v
        .as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
    match millis.map(Duration::from_millis) {
        Some(d) if (MIN_TIMEOUT..=DEFAULT_TIMEOUT).contains(&d) => d,
        _ => {
            cx.error(
                &format!("{pointer}/timeoutInMillis"),
                format!("timeoutInMillis must be between 50 and 29000, got {v}"),
            );
            DEFAULT_TIMEOUT
        }
    }
}

pub(crate) fn templates(
    cx: &mut Cx,
    value: Option<&Value>,
    pointer: &str,
) -> BTreeMap<String, Template> {
    let mut out = BTreeMap::new();
    let Some(value) = value else { return out };
    let Some(obj) = value.as_object() else {
        cx.error(pointer, "templates must be an object keyed by content type");
        return out;
    };
    for (content_type, source) in obj {
        let p = format!("{pointer}/{}", escape(content_type));
        let Some(source) = source.as_str() else {
            cx.error(&p, "a template must be a string");
            continue;
        };
        match Template::parse(source) {
            Ok(t) => {
                out.insert(content_type.to_ascii_lowercase(), t);
            }
            Err(e) => cx.error(&p, e.to_string()),
        }
    }
    out
}

fn responses(cx: &mut Cx, value: &Value, pointer: &str) -> Vec<IntegrationResponse> {
    let Some(obj) = value.as_object() else {
        cx.error(
            pointer,
            "responses must be an object keyed by selection pattern",
        );
        return Vec::new();
    };
    let mut out: Vec<IntegrationResponse> = Vec::new();
    let mut default = None;
    for (key, response) in obj {
        let p = format!("{pointer}/{}", escape(key));
        let selection = if key == "default" {
            None
        } else {
            match regex::Regex::new(&format!("^(?:{key})$")) {
                Ok(r) => Some(r),
                Err(e) => {
                    cx.error(&p, format!("invalid selection pattern: {e}"));
                    continue;
                }
            }
        };
        let status = response
            .get("statusCode")
            .and_then(|s| {
                s.as_u64()
                    .or_else(|| s.as_str().and_then(|s| s.parse().ok()))
            })
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..=599).contains(s));
        let Some(status) = status else {
            cx.error(
                &p,
                "an integration response needs a statusCode between 100 and 599",
            );
            continue;
        };
        let headers = match response.get("responseParameters") {
            Some(v) => mapping::response_parameters(cx, v, &format!("{p}/responseParameters")),
            None => Vec::new(),
        };
        let templates = templates(
            cx,
            response.get("responseTemplates"),
            &format!("{p}/responseTemplates"),
        );
        if response.get("contentHandling").is_some() {
            cx.error(
                &format!("{p}/contentHandling"),
                "content handling (binary conversion) is not supported yet",
            );
        }
        let entry = IntegrationResponse {
            key: key.clone(),
            selection,
            status,
            headers,
            templates,
        };
        if entry.selection.is_none() {
            default = Some(entry);
        } else {
            out.push(entry);
        }
    }
    out.extend(default);
    out
}

/// A mock integration answers with the `statusCode` its request template renders; check the static
/// ones now rather than on the first request.
fn check_mock_templates(cx: &mut Cx, templates: &BTreeMap<String, Template>, pointer: &str) {
    for (content_type, template) in templates {
        if !template.is_static() {
            continue;
        }
        let p = format!("{pointer}/requestTemplates/{}", escape(content_type));
        let text = template.source().trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v) if v.get("statusCode").is_some_and(|s| s.as_u64().is_some()) => {}
            Ok(_) => cx.error(
                &p,
                "a mock request template must set \"statusCode\" to a number",
            ),
            Err(e) => cx.error(&p, format!("a mock request template must be JSON: {e}")),
        }
    }
}
