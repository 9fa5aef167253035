//! `identitySource` values: where an authorizer reads the caller's identity from.

use http::HeaderName;
use serde_json::Value;

use super::Cx;
use crate::authorizer::IdentitySource;
use crate::context::ContextVar;

/// How identity sources are written: REST APIs use mapping expressions, HTTP APIs (JWT
/// authorizers) selection expressions with a leading `$`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Syntax {
    Rest,
    Http,
}

/// A comma-separated `identitySource` (HTTP API documents may also write a list).
pub(crate) fn identity_source_list(
    cx: &mut Cx,
    value: &Value,
    syntax: Syntax,
    pointer: &str,
) -> Option<Vec<IdentitySource>> {
    let items: Vec<&str> = match value {
        Value::String(s) => s.split(',').map(str::trim).collect(),
        Value::Array(items) if syntax == Syntax::Http => {
            match items.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
                Some(items) => items.into_iter().map(str::trim).collect(),
                None => {
                    cx.error(pointer, "must be a list of strings");
                    return None;
                }
            }
        }
        _ => {
            cx.error(
                pointer,
                "must be a string of comma-separated identity sources",
            );
            return None;
        }
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        match identity_source(item, syntax) {
            Ok(source) => out.push(source),
            Err(message) => {
                cx.error(pointer, message);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Parses one identity source: `method.request.header.X`, `method.request.querystring.X`,
/// `stageVariables.X`, `context.X` (REST), or the same with `$request.` / `$stageVariables.` /
/// `$context.` (HTTP APIs).
pub(crate) fn identity_source(s: &str, syntax: Syntax) -> Result<IdentitySource, String> {
    let (header, query, stage, context, expected) = match syntax {
        Syntax::Rest => (
            "method.request.header.",
            "method.request.querystring.",
            "stageVariables.",
            "context.",
            "method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME",
        ),
        Syntax::Http => (
            "$request.header.",
            "$request.querystring.",
            "$stageVariables.",
            "$context.",
            "$request.header.NAME, $request.querystring.NAME, $stageVariables.NAME or $context.NAME",
        ),
    };
    if let Some(name) = s.strip_prefix(header) {
        return HeaderName::from_bytes(name.as_bytes())
            .map(IdentitySource::Header)
            .map_err(|_| format!("invalid header name {name:?} in identity source {s:?}"));
    }
    if let Some(name) = s.strip_prefix(query) {
        if name.is_empty() {
            return Err(format!("identity source {s:?} names no parameter"));
        }
        return Ok(IdentitySource::Query(name.to_string()));
    }
    if let Some(name) = s.strip_prefix(stage) {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/'));
        if !valid {
            return Err(format!(
                "invalid stage variable name in identity source {s:?}"
            ));
        }
        return Ok(IdentitySource::StageVariable(name.to_string()));
    }
    if let Some(name) = s.strip_prefix(context) {
        return ContextVar::parse(name)
            .map(IdentitySource::Context)
            .ok_or_else(|| format!("unknown context variable {name:?} in identity source {s:?}"));
    }
    Err(format!(
        "invalid identity source {s:?}; expected {expected}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::IdentityVar;

    #[test]
    fn identity_source_syntax() {
        assert_eq!(
            identity_source("$context.requestId", Syntax::Http),
            Ok(IdentitySource::Context(ContextVar::RequestId))
        );
        assert_eq!(
            identity_source("$stageVariables.v", Syntax::Http),
            Ok(IdentitySource::StageVariable("v".into()))
        );
        for (bad, syntax) in [
            ("method.request.path.id", Syntax::Rest),
            ("$request.header.Authorization", Syntax::Rest),
            ("method.request.header.Bad Header", Syntax::Rest),
            ("method.request.querystring.", Syntax::Rest),
            ("context.nope", Syntax::Rest),
            ("stageVariables.", Syntax::Rest),
            ("request.header.x", Syntax::Http),
        ] {
            assert!(identity_source(bad, syntax).is_err(), "{bad}");
        }
    }

    #[test]
    fn rest_forms() {
        assert_eq!(
            identity_source("method.request.header.Auth", Syntax::Rest),
            Ok(IdentitySource::Header(HeaderName::from_static("auth")))
        );
        assert_eq!(
            identity_source("context.identity.sourceIp", Syntax::Rest),
            Ok(IdentitySource::Context(ContextVar::Identity(
                IdentityVar::SourceIp
            )))
        );
    }
}
