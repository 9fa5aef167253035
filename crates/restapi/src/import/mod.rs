//! Import of an OpenAPI 3 document carrying API Gateway's extensions, in the form
//! `aws apigateway get-export --export-type oas30 --parameters extensions='integrations'` writes.
//!
//! The importer collects every problem it finds, each with the JSON pointer of the offending node,
//! instead of stopping at the first: `portcullis validate` reports them all at once.
//! Features the gateway does not implement yet are refused by name rather than ignored: a method
//! that silently lost its authorizer or validator would be a security bug. Authorizers the gateway
//! does not serve yet are parsed into the model first and refused afterwards (see
//! [`ImportOptions`]), so the model is complete and tested before the gateway enforces it.

mod authorizer;
mod identity_source;
mod integration;
mod mapping;
mod operation;
mod responses;
mod security;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::model::{Api, ApiKeySource, Resource};

/// One problem found in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// JSON pointer (RFC 6901) to the node the problem is about.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// Extensions we understand but that do not change request handling.
const INERT_EXTENSIONS: &[&str] = &[
    "x-amazon-apigateway-endpoint-configuration",
    "x-amazon-apigateway-importexport-version",
    "x-amazon-apigateway-documentation",
    "x-amazon-apigateway-tag-value",
    "x-amazon-apigateway-minimum-compression-size",
    "x-amazon-apigateway-request-validators",
];

/// How [`import_with`] treats what it can parse but the gateway cannot serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// Refuse, by name, methods whose authorizer the gateway does not enforce yet (JWT
    /// authorizers). On by default: serving such a method without its authorizer would open it
    /// to anyone. Off only to inspect the parsed model (tests, tools).
    pub refuse_unserved_authorizers: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            refuse_unserved_authorizers: true,
        }
    }
}

/// Imports a document already parsed into JSON values (YAML documents are converted first), with
/// the default [`ImportOptions`]: what the gateway cannot serve is refused.
pub fn import(doc: &Value) -> Result<Api, Vec<ImportError>> {
    import_with(doc, ImportOptions::default())
}

/// [`import`] with explicit options.
pub fn import_with(doc: &Value, options: ImportOptions) -> Result<Api, Vec<ImportError>> {
    let mut cx = Cx::default();
    let Some(root) = doc.as_object() else {
        cx.error("", "an OpenAPI document must be an object");
        return Err(cx.errors);
    };
    check_version(&mut cx, root);

    let info = root.get("info").and_then(Value::as_object);
    let title = info
        .and_then(|i| i.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let version = info
        .and_then(|i| i.get("version"))
        .and_then(Value::as_str)
        .map(str::to_string);

    for (key, value) in root {
        if key.starts_with("x-amazon-apigateway-") {
            check_root_extension(&mut cx, key, value);
        }
    }

    let schemes = authorizer::security_schemes(&mut cx, root);
    let global_security = root.get("security");
    let components = root.get("components").and_then(Value::as_object);
    let mut resources = Vec::new();
    match root.get("paths") {
        Some(Value::Object(paths)) => {
            for (path, item) in paths {
                let pointer = format!("/paths/{}", escape(path));
                let env = operation::Env {
                    schemes: &schemes,
                    global_security,
                    components,
                };
                if let Some(resource) = operation::resource(&mut cx, &env, path, item, &pointer) {
                    resources.push(resource);
                }
            }
        }
        Some(_) => cx.error("/paths", "must be an object"),
        None => cx.error("", "the document has no paths"),
    }
    resources.sort_by(|a: &Resource, b: &Resource| a.path.cmp(&b.path));

    let gateway_responses = match root.get("x-amazon-apigateway-gateway-responses") {
        Some(v) => responses::gateway_responses(&mut cx, v),
        None => BTreeMap::new(),
    };
    let policy = root.get("x-amazon-apigateway-policy").cloned();
    let binary_media_types = binary_media_types(&mut cx, root);
    let api_key_source = api_key_source(&mut cx, root);
    if options.refuse_unserved_authorizers {
        security::refuse_unserved(&mut cx);
    }

    if cx.errors.is_empty() {
        Ok(Api {
            title,
            version,
            resources,
            gateway_responses,
            policy,
            binary_media_types,
            api_key_source,
        })
    } else {
        Err(cx.errors)
    }
}

fn check_version(cx: &mut Cx, root: &Map<String, Value>) {
    if root.contains_key("swagger") {
        cx.error(
            "/swagger",
            "Swagger 2.0 documents are not supported; export OpenAPI 3 instead (aws apigateway get-export --export-type oas30)",
        );
        return;
    }
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0") || v.starts_with("3.1") => {}
        Some(v) => cx.error(
            "/openapi",
            format!("unsupported OpenAPI version {v:?}; expected 3.0.x or 3.1.x"),
        ),
        None => cx.error("", "missing the \"openapi\" version field (expected 3.0.x)"),
    }
}

fn check_root_extension(cx: &mut Cx, key: &str, value: &Value) {
    let pointer = format!("/{}", escape(key));
    match key {
        "x-amazon-apigateway-gateway-responses"
        | "x-amazon-apigateway-binary-media-types"
        | "x-amazon-apigateway-policy"
        | "x-amazon-apigateway-api-key-source" => {}
        "x-amazon-apigateway-request-validator" => cx.error(
            &pointer,
            "request validation is not supported yet; remove the default request validator to import this API",
        ),
        "x-amazon-apigateway-policy-document" => cx.error(&pointer, "unknown extension"),
        _ if INERT_EXTENSIONS.contains(&key) => {}
        _ => cx.error(&pointer, format!("unknown API Gateway extension {key}")),
    }
    if key == "x-amazon-apigateway-policy" && !value.is_object() {
        cx.error(&pointer, "the resource policy must be a JSON object");
    }
}

fn api_key_source(cx: &mut Cx, root: &Map<String, Value>) -> ApiKeySource {
    match root.get("x-amazon-apigateway-api-key-source") {
        None => ApiKeySource::Header,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("HEADER") => ApiKeySource::Header,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("AUTHORIZER") => ApiKeySource::Authorizer,
        Some(other) => {
            cx.error(
                "/x-amazon-apigateway-api-key-source",
                format!("the API key source must be HEADER or AUTHORIZER, got {other}"),
            );
            ApiKeySource::Header
        }
    }
}

fn binary_media_types(cx: &mut Cx, root: &Map<String, Value>) -> Vec<String> {
    match root.get("x-amazon-apigateway-binary-media-types") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    cx.error(
                        &format!("/x-amazon-apigateway-binary-media-types/{i}"),
                        "must be a string",
                    );
                    None
                }
            })
            .collect(),
        Some(_) => {
            cx.error(
                "/x-amazon-apigateway-binary-media-types",
                "must be a list of media types",
            );
            Vec::new()
        }
    }
}

/// Escapes one JSON-pointer reference token (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Collects errors during an import.
#[derive(Default)]
pub(crate) struct Cx {
    errors: Vec<ImportError>,
    /// Every method's use of an authorizer, for [`security::refuse_unserved`].
    authorizer_uses: Vec<security::AuthorizerUse>,
}

impl Cx {
    pub(crate) fn error(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors.push(ImportError {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests;
