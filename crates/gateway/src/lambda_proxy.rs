//! The Lambda proxy integration's wire formats, pure: the REST API proxy event (payload format
//! 1.0, `aws_lambda_events::apigw::ApiGatewayProxyRequest`) built from what the pipeline already
//! computed, and the function's answer (`statusCode`, `headers`, `multiValueHeaders`, `body`,
//! `isBase64Encoded`) parsed as strictly as API Gateway parses it. The integration phase
//! (`pipeline/integrate/lambda.rs`) does the I/O around them; benches and the fuzz target call
//! these directly.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyRequestContext, ApiGatewayRequestAuthorizer,
    ApiGatewayRequestIdentity,
};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

/// Who the caller is, as the event's `requestContext.identity` reports it (`$context.identity.*`).
#[derive(Debug, Default, Clone)]
pub struct EventIdentity<'a> {
    pub source_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub caller: Option<&'a str>,
    pub user: Option<&'a str>,
    pub user_arn: Option<&'a str>,
    pub access_key: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub cognito_identity_id: Option<&'a str>,
    pub cognito_identity_pool_id: Option<&'a str>,
    pub cognito_authentication_type: Option<&'a str>,
    pub cognito_authentication_provider: Option<&'a str>,
    pub api_key: Option<&'a str>,
    pub api_key_id: Option<&'a str>,
}

/// `requestContext.authorizer`: what the method's authorizer established.
#[derive(Debug, Clone, Copy)]
pub enum EventAuthorizer<'a> {
    None,
    /// A Cognito user pool authorizer: the token's claims, as `claims`.
    Claims(&'a BTreeMap<String, String>),
    /// A Lambda authorizer: `principalId` and its `context`, side by side.
    Lambda {
        principal_id: &'a str,
        context: &'a BTreeMap<String, String>,
    },
}

/// Everything the event says, borrowed from the request context.
#[derive(Debug, Clone)]
pub struct EventInput<'a> {
    /// The resource's path template (`/ride/{id}`).
    pub resource: &'a str,
    /// The request path without the stage, canonical (`/ride/7`).
    pub path: &'a str,
    pub http_method: &'a http::Method,
    pub headers: &'a HeaderMap,
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// The path parameters, decoded.
    pub path_parameters: Vec<(&'a str, String)>,
    pub stage_variables: Option<&'a BTreeMap<String, String>>,
    pub body: &'a [u8],
    /// The body is one of the API's binary media types: sent base64.
    pub binary: bool,
    pub account_id: &'a str,
    pub api_id: &'a str,
    pub resource_id: &'a str,
    pub stage: &'a str,
    pub request_id: &'a str,
    pub extended_request_id: &'a str,
    /// `$context.requestTime` (`03/Dec/2026:09:00:00 +0000`).
    pub request_time: &'a str,
    pub request_time_epoch: i64,
    /// The request path with the stage (`/prod/ride/7`), as `requestContext.path`.
    pub context_path: &'a str,
    pub protocol: &'a str,
    pub domain_name: Option<&'a str>,
    pub identity: EventIdentity<'a>,
    pub authorizer: EventAuthorizer<'a>,
}

/// Builds the proxy event's JSON. Absent parts are `null`, as API Gateway sends them (no query
/// string, no path parameters, no stage variables, no body).
pub fn event(input: &EventInput<'_>) -> Result<Bytes, serde_json::Error> {
    let mut request = ApiGatewayProxyRequest::default();
    request.resource = Some(input.resource.to_string());
    request.path = Some(input.path.to_string());
    request.http_method = input.http_method.clone();
    // `headers` holds each header's last value, `multiValueHeaders` all of them.
    let mut last = HeaderMap::with_capacity(input.headers.keys_len());
    let mut all = HeaderMap::with_capacity(input.headers.len());
    for (name, value) in input.headers {
        // A value that is not text cannot be a JSON string; API Gateway drops such bytes too.
        if value.to_str().is_err() {
            continue;
        }
        last.insert(name.clone(), value.clone());
        all.append(name.clone(), value.clone());
    }
    request.headers = last;
    request.multi_value_headers = all;

    let mut single: HashMap<String, String> = HashMap::new();
    let mut multi: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in crate::pipeline::params::query_pairs(input.query) {
        let (k, v) = (
            crate::pipeline::params::decode_component(k).into_owned(),
            crate::pipeline::params::decode_component(v).into_owned(),
        );
        single.insert(k.clone(), v.clone());
        multi.entry(k).or_default().push(v);
    }
    let has_query = !single.is_empty();
    request.query_string_parameters = QueryMap::from(single);
    request.multi_value_query_string_parameters = QueryMap::from(multi);
    request.path_parameters = input
        .path_parameters
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    request.stage_variables = input
        .stage_variables
        .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    request.is_base64_encoded = input.binary;
    request.body = (!input.body.is_empty()).then(|| {
        if input.binary {
            base64::engine::general_purpose::STANDARD.encode(input.body)
        } else {
            String::from_utf8_lossy(input.body).into_owned()
        }
    });
    request.request_context = request_context(input);

    let mut value = serde_json::to_value(&request)?;
    if let Some(obj) = value.as_object_mut() {
        let empty = |obj: &Map<String, Value>, key: &str| {
            obj.get(key)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
        };
        for key in [
            "headers",
            "multiValueHeaders",
            "pathParameters",
            "stageVariables",
        ] {
            if empty(obj, key) {
                obj.insert(key.to_string(), Value::Null);
            }
        }
        if !has_query {
            obj.insert("queryStringParameters".into(), Value::Null);
            obj.insert("multiValueQueryStringParameters".into(), Value::Null);
        }
        if let Some(ctx) = obj.get_mut("requestContext").and_then(Value::as_object_mut) {
            // Not a field of the crate's struct.
            ctx.insert(
                "extendedRequestId".into(),
                Value::String(input.extended_request_id.to_string()),
            );
        }
    }
    serde_json::to_vec(&value).map(Bytes::from)
}

fn request_context(input: &EventInput<'_>) -> ApiGatewayProxyRequestContext {
    let owned = |s: Option<&str>| s.map(str::to_string);
    let mut ctx = ApiGatewayProxyRequestContext::default();
    ctx.account_id = Some(input.account_id.to_string());
    ctx.apiid = Some(input.api_id.to_string());
    ctx.resource_id = Some(input.resource_id.to_string());
    ctx.resource_path = Some(input.resource.to_string());
    ctx.stage = Some(input.stage.to_string());
    ctx.request_id = Some(input.request_id.to_string());
    ctx.request_time = Some(input.request_time.to_string());
    ctx.request_time_epoch = input.request_time_epoch;
    ctx.http_method = input.http_method.clone();
    ctx.path = Some(input.context_path.to_string());
    ctx.protocol = Some(input.protocol.to_string());
    ctx.domain_name = owned(input.domain_name);
    ctx.domain_prefix = input
        .domain_name
        .and_then(|d| d.split('.').next())
        .map(str::to_string);
    let id = &input.identity;
    let mut identity = ApiGatewayRequestIdentity::default();
    identity.source_ip = owned(id.source_ip);
    identity.user_agent = owned(id.user_agent);
    identity.caller = owned(id.caller);
    identity.user = owned(id.user);
    identity.user_arn = owned(id.user_arn);
    identity.access_key = owned(id.access_key);
    identity.account_id = owned(id.account_id);
    identity.cognito_identity_id = owned(id.cognito_identity_id);
    identity.cognito_identity_pool_id = owned(id.cognito_identity_pool_id);
    identity.cognito_authentication_type = owned(id.cognito_authentication_type);
    identity.cognito_authentication_provider = owned(id.cognito_authentication_provider);
    identity.api_key = owned(id.api_key);
    identity.api_key_id = owned(id.api_key_id);
    ctx.identity = identity;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    match input.authorizer {
        EventAuthorizer::None => {}
        EventAuthorizer::Claims(claims) => {
            let claims: Map<String, Value> = claims
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            authorizer
                .fields
                .insert("claims".into(), Value::Object(claims));
        }
        EventAuthorizer::Lambda {
            principal_id,
            context,
        } => {
            for (k, v) in context {
                authorizer
                    .fields
                    .insert(k.clone(), Value::String(v.clone()));
            }
            authorizer.fields.insert(
                "principalId".into(),
                Value::String(principal_id.to_string()),
            );
        }
    }
    ctx.authorizer = authorizer;
    ctx
}

/// Whether a media type is one of the API's binary media types (`image/png`, `image/*`, `*/*`;
/// parameters and case ignored).
pub fn is_binary(binary_media_types: &[String], media_type: Option<&str>) -> bool {
    let Some(media_type) = media_type else {
        return false;
    };
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    binary_media_types.iter().any(|t| {
        let t = t.trim().to_ascii_lowercase();
        match t.split_once('/') {
            Some(("*", "*")) => true,
            Some((k, "*")) => k == kind,
            Some((k, s)) => k == kind && s == sub,
            None => false,
        }
    })
}

/// A function's answer, as the method response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    pub status: http::StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `isBase64Encoded` was true and the body decoded.
    pub decoded: bool,
}

/// Why a function's answer is not a Lambda proxy response (API Gateway answers 502 and logs
/// `Malformed Lambda proxy response`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Malformed Lambda proxy response: {0}")]
pub struct Malformed(pub &'static str);

const RESPONSE_KEYS: [&str; 5] = [
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// Parses a function's answer. `decode_binary` says whether a base64 body becomes bytes (the
/// client accepts one of the API's binary media types); otherwise it is sent as the text it is,
/// as API Gateway does.
pub fn parse_response(payload: &[u8], decode_binary: bool) -> Result<ProxyResponse, Malformed> {
    let value: Value = serde_json::from_slice(payload).map_err(|_| Malformed("not JSON"))?;
    let Value::Object(obj) = value else {
        return Err(Malformed("not a JSON object"));
    };
    if obj.keys().any(|k| !RESPONSE_KEYS.contains(&k.as_str())) {
        return Err(Malformed("an unknown field"));
    }
    let status = match obj.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        _ => return Err(Malformed("no statusCode")),
    }
    .and_then(|n| u16::try_from(n).ok())
    .filter(|n| (100..=599).contains(n))
    .and_then(|n| http::StatusCode::from_u16(n).ok())
    .ok_or(Malformed("statusCode is not an HTTP status"))?;
    let base64 = match obj.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Malformed("isBase64Encoded is not a boolean")),
    };
    let body = match obj.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(Malformed("body is not a string")),
    };
    let mut headers = HeaderMap::new();
    // `multiValueHeaders` win over `headers` for a name both set (API Gateway's merge rule).
    let mut multi_names = Vec::new();
    if let Some(multi) = section(&obj, "multiValueHeaders")? {
        for (name, values) in multi {
            let name = header_name(name)?;
            let Value::Array(values) = values else {
                return Err(Malformed("a multiValueHeaders entry is not a list"));
            };
            for v in values {
                headers.append(name.clone(), header_value(v)?);
            }
            multi_names.push(name);
        }
    }
    if let Some(single) = section(&obj, "headers")? {
        for (name, value) in single {
            let name = header_name(name)?;
            if multi_names.contains(&name) {
                continue;
            }
            headers.insert(name, header_value(value)?);
        }
    }
    let (body, decoded) = if base64 && decode_binary {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| Malformed("body is not base64"))?;
        (Bytes::from(bytes), true)
    } else {
        (Bytes::from(body), false)
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
        decoded,
    })
}

fn section<'a>(
    obj: &'a Map<String, Value>,
    key: &'static str,
) -> Result<Option<&'a Map<String, Value>>, Malformed> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Malformed("headers are not an object")),
    }
}

fn header_name(name: &str) -> Result<HeaderName, Malformed> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| Malformed("an invalid header name"))
}

/// Header values are strings; numbers and booleans are taken as their JSON text.
fn header_value(value: &Value) -> Result<HeaderValue, Malformed> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(Malformed("a header value is not a string")),
    };
    HeaderValue::from_str(&text).map_err(|_| Malformed("an invalid header value"))
}

#[cfg(test)]
#[path = "lambda_proxy_tests.rs"]
mod tests;
