//! Paths, operations and parameters: everything about a method except its integration and its
//! authorizer (`security.rs`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::authorizer::Scheme;
use super::security;
use super::{Cx, escape, integration};
use crate::model::{Method, MethodParameter, ParamLocation, Resource, Verb};

pub(crate) struct Env<'a> {
    pub schemes: &'a BTreeMap<String, Scheme>,
    pub global_security: Option<&'a Value>,
    pub components: Option<&'a Map<String, Value>>,
}

const OPERATION_KEYS: &[(&str, Verb)] = &[
    ("get", Verb::Get),
    ("put", Verb::Put),
    ("post", Verb::Post),
    ("delete", Verb::Delete),
    ("options", Verb::Options),
    ("head", Verb::Head),
    ("patch", Verb::Patch),
    ("x-amazon-apigateway-any-method", Verb::Any),
];

pub(crate) fn resource(
    cx: &mut Cx,
    env: &Env<'_>,
    path: &str,
    item: &Value,
    pointer: &str,
) -> Option<Resource> {
    check_path(cx, path, pointer);
    let Some(item) = item.as_object() else {
        cx.error(pointer, "a path item must be an object");
        return None;
    };
    let shared_params = item.get("parameters");
    let mut methods = Vec::new();
    for (key, value) in item {
        let op_pointer = format!("{pointer}/{}", escape(key));
        if let Some((_, verb)) = OPERATION_KEYS.iter().find(|(k, _)| k == key) {
            if let Some(m) = method(cx, env, *verb, value, shared_params, &op_pointer) {
                methods.push(m);
            }
            continue;
        }
        match key.as_str() {
            "parameters" | "summary" | "description" | "servers" => {}
            "trace" => cx.error(&op_pointer, "API Gateway does not support the TRACE method"),
            "$ref" => cx.error(
                &op_pointer,
                "path item references are not supported; inline the path item",
            ),
            k if k.starts_with("x-amazon-apigateway-") => {
                cx.error(
                    &op_pointer,
                    format!("unknown API Gateway extension {k} on a path item"),
                );
            }
            _ => {}
        }
    }
    methods.sort_by_key(|m| m.verb);
    Some(Resource {
        path: path.to_string(),
        methods,
    })
}

/// API Gateway resource paths: `/`, or `/`-separated segments that are each literal text, `{name}`,
/// or (last segment only) `{name+}`.
fn check_path(cx: &mut Cx, path: &str, pointer: &str) {
    if path == "/" {
        return;
    }
    if !path.starts_with('/') {
        cx.error(pointer, "a resource path must start with '/'");
        return;
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            cx.error(
                pointer,
                "a resource path cannot have empty segments or a trailing '/'",
            );
            return;
        }
        if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                cx.error(pointer, format!("invalid path parameter {seg:?}"));
            } else if greedy && i + 1 != segments.len() {
                cx.error(
                    pointer,
                    "a greedy path parameter {name+} must be the last segment",
                );
            }
        } else if seg.contains(['{', '}']) {
            cx.error(
                pointer,
                format!("path parameters must span a whole segment, found {seg:?}"),
            );
        }
    }
}

fn method(
    cx: &mut Cx,
    env: &Env<'_>,
    verb: Verb,
    op: &Value,
    shared_params: Option<&Value>,
    pointer: &str,
) -> Option<Method> {
    let Some(obj) = op.as_object() else {
        cx.error(pointer, "an operation must be an object");
        return None;
    };
    for key in obj.keys() {
        let ok = matches!(
            key.as_str(),
            "x-amazon-apigateway-integration"
                | "x-amazon-apigateway-auth"
                | "x-amazon-apigateway-api-key-required"
        );
        if key == "x-amazon-apigateway-request-validator" {
            cx.error(
                &format!("{pointer}/{}", escape(key)),
                "request validation is not supported yet",
            );
        } else if key.starts_with("x-amazon-apigateway-") && !ok {
            cx.error(
                &format!("{pointer}/{}", escape(key)),
                format!("unknown API Gateway extension {key} on an operation"),
            );
        }
    }
    let authorizer =
        security::method_authorizer(cx, env.schemes, env.global_security, obj, pointer);
    let api_key_required =
        security::api_key_required(cx, env.schemes, env.global_security, obj, pointer);
    let mut parameters = Vec::new();
    if let Some(shared) = shared_params {
        let parent = pointer.rsplit_once('/').map_or("", |(p, _)| p);
        collect_parameters(
            cx,
            env,
            shared,
            &format!("{parent}/parameters"),
            &mut parameters,
        );
    }
    if let Some(own) = obj.get("parameters") {
        collect_parameters(
            cx,
            env,
            own,
            &format!("{pointer}/parameters"),
            &mut parameters,
        );
    }
    let integration_pointer = format!("{pointer}/x-amazon-apigateway-integration");
    let integration = match obj.get("x-amazon-apigateway-integration") {
        Some(v) => integration::integration(cx, v, &integration_pointer)?,
        None => {
            cx.error(
                pointer,
                "the operation has no x-amazon-apigateway-integration; API Gateway cannot invoke it",
            );
            return None;
        }
    };
    Some(Method {
        verb,
        operation_id: obj
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string),
        authorizer,
        api_key_required,
        parameters,
        integration,
        pointer: pointer.to_string(),
    })
}

fn collect_parameters(
    cx: &mut Cx,
    env: &Env<'_>,
    params: &Value,
    pointer: &str,
    out: &mut Vec<MethodParameter>,
) {
    let Some(list) = params.as_array() else {
        cx.error(pointer, "parameters must be a list");
        return;
    };
    for (i, param) in list.iter().enumerate() {
        let p = format!("{pointer}/{i}");
        let param = match resolve_ref(env, param) {
            Ok(param) => param,
            Err(message) => {
                cx.error(&p, message);
                continue;
            }
        };
        let name = param.get("name").and_then(Value::as_str);
        let location = match param.get("in").and_then(Value::as_str) {
            Some("path") => Some(ParamLocation::Path),
            Some("query") => Some(ParamLocation::Query),
            Some("header") => Some(ParamLocation::Header),
            Some("cookie") => None,
            Some(other) => {
                cx.error(
                    &format!("{p}/in"),
                    format!("unknown parameter location {other:?}"),
                );
                None
            }
            None => {
                cx.error(&p, "a parameter needs \"in\"");
                None
            }
        };
        let Some(name) = name else {
            cx.error(&p, "a parameter needs a \"name\"");
            continue;
        };
        if let Some(location) = location {
            let required = param
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(location == ParamLocation::Path);
            // Operation-level parameters override path-level ones with the same name and location.
            out.retain(|existing| !(existing.location == location && existing.name == name));
            out.push(MethodParameter {
                location,
                name: name.to_string(),
                required,
            });
        }
    }
}

/// Resolves a local `$ref` to `#/components/parameters/<name>`.
fn resolve_ref<'a>(env: &Env<'a>, param: &'a Value) -> Result<&'a Value, String> {
    let Some(reference) = param.get("$ref").and_then(Value::as_str) else {
        return Ok(param);
    };
    let name = reference
        .strip_prefix("#/components/parameters/")
        .ok_or_else(|| {
            format!(
                "unsupported reference {reference:?}; only #/components/parameters/... is supported"
            )
        })?;
    env.components
        .and_then(|c| c.get("parameters"))
        .and_then(|p| p.get(name))
        .ok_or_else(|| format!("reference {reference:?} does not resolve"))
}
