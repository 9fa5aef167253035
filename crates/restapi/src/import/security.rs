//! Security requirements (`security` of an operation or of the document) and
//! `x-amazon-apigateway-auth`: which [`Authorizer`] each method has, and the refusal of the kinds
//! the gateway does not serve yet.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::authorizer::{Scheme, scheme_kind};
use super::{Cx, escape};
use crate::authorizer::{AuthType, Authorizer};

/// A method naming an authorizer of some kind, kept for [`refuse_unserved`].
#[derive(Clone, Debug)]
pub(crate) struct AuthorizerUse {
    /// The security requirement entry naming it (`…/security/0/name`).
    pub pointer: String,
    pub auth_type: AuthType,
}

/// Kinds the gateway does not serve yet, and how the refusal names them (wording users and tests
/// already know). Every kind is served now (JWT since issue 10); the check stays so that a kind
/// added to the importer before the gateway enforces it is refused, never imported open.
const UNSERVED: &[(AuthType, &str)] = &[];

/// Refuses every method that uses an authorizer kind the gateway cannot enforce yet: importing it
/// as if it had no authorizer would open the method to anyone.
pub(crate) fn refuse_unserved(cx: &mut Cx) {
    let uses = std::mem::take(&mut cx.authorizer_uses);
    // With global `security`, every method names the same entry: report it once.
    let mut reported = BTreeSet::new();
    for u in uses {
        let Some((_, feature)) = UNSERVED.iter().find(|(t, _)| *t == u.auth_type) else {
            continue;
        };
        if reported.insert(u.pointer.clone()) {
            cx.error(&u.pointer, format!("{feature} are not supported yet"));
        }
    }
}

/// The authorizer of one operation: `x-amazon-apigateway-auth` if present, else its `security`
/// (or the document's global `security`).
pub(crate) fn method_authorizer(
    cx: &mut Cx,
    schemes: &BTreeMap<String, Scheme>,
    global_security: Option<&Value>,
    op: &Map<String, Value>,
    pointer: &str,
) -> Authorizer {
    if let Some(auth) = op.get("x-amazon-apigateway-auth") {
        let p = format!("{pointer}/x-amazon-apigateway-auth/type");
        return match auth.get("type").and_then(Value::as_str) {
            Some(t) if t.eq_ignore_ascii_case(AuthType::AwsIam.as_str()) => Authorizer::Iam,
            Some(t) if t.eq_ignore_ascii_case(AuthType::None.as_str()) => Authorizer::None,
            Some(t) => {
                cx.error(
                    &p,
                    format!("unknown auth type {t:?}; expected AWS_IAM or NONE"),
                );
                Authorizer::None
            }
            None => {
                cx.error(&p, "missing auth type");
                Authorizer::None
            }
        };
    }
    let Some((security, sec_pointer)) = effective_security(op, global_security, pointer) else {
        return Authorizer::None;
    };
    let Some(requirements) = security.as_array() else {
        cx.error(
            &sec_pointer,
            "security must be a list of requirement objects",
        );
        return Authorizer::None;
    };
    // (scheme name, authorizer) of the first authorizer named.
    let mut chosen: Option<(&str, Authorizer)> = None;
    for (i, requirement) in requirements.iter().enumerate() {
        let Some(requirement) = requirement.as_object() else {
            cx.error(&format!("{sec_pointer}/{i}"), "must be an object");
            continue;
        };
        for (name, scopes) in requirement {
            let p = format!("{sec_pointer}/{i}/{}", escape(name));
            let Some(scopes) = scope_list(cx, scopes, &p) else {
                continue;
            };
            let scheme = match schemes.get(name) {
                Some(s) => s,
                None => {
                    cx.error(
                        &p,
                        format!(
                            "security scheme {name:?} is not defined in components.securitySchemes"
                        ),
                    );
                    continue;
                }
            };
            if let Some(auth_type) = scheme_kind(scheme) {
                cx.authorizer_uses.push(AuthorizerUse {
                    pointer: p.clone(),
                    auth_type,
                });
            }
            if let Some(kind) = scheme_kind(scheme)
                && !scopes.is_empty()
                && !matches!(kind, AuthType::CognitoUserPools | AuthType::Jwt)
            {
                cx.error(
                    &p,
                    format!(
                        "authorization scopes apply only to Cognito user pool and JWT authorizers, not {kind}"
                    ),
                );
                continue;
            }
            let authorizer = match scheme {
                // The key requirement is read by `api_key_required`.
                Scheme::Ignored | Scheme::Invalid(_) | Scheme::ApiKey => continue,
                Scheme::Iam => Authorizer::Iam,
                Scheme::Lambda(a) => Authorizer::Lambda(Arc::clone(a)),
                Scheme::Cognito(a) => Authorizer::CognitoUserPools {
                    authorizer: Arc::clone(a),
                    scopes: Vec::new(),
                },
                Scheme::Jwt(a) => Authorizer::Jwt {
                    authorizer: Arc::clone(a),
                    scopes: Vec::new(),
                },
            };
            match &mut chosen {
                None => {
                    let mut authorizer = authorizer;
                    add_scopes(&mut authorizer, scopes);
                    chosen = Some((name, authorizer));
                }
                // The same scheme named again (an alternative requirement): its scopes are
                // alternatives too, which is what API Gateway's scope list means.
                Some((first, existing)) if *first == name.as_str() => add_scopes(existing, scopes),
                // Two awsSigv4 schemes under different names are still the one AWS_IAM.
                Some((_, Authorizer::Iam)) if authorizer == Authorizer::Iam => {}
                Some((first, _)) => cx.error(
                    &p,
                    format!(
                        "an API Gateway method has one authorizer, and this one already uses {first:?}"
                    ),
                ),
            }
        }
    }
    chosen.map_or(Authorizer::None, |(_, a)| a)
}

/// Whether the operation requires an API key: its `x-amazon-apigateway-api-key-required`, else a
/// requirement of its effective `security` naming the API key scheme. API Gateway has one
/// `apiKeyRequired` flag per method, so a key scheme in any alternative requires the key (the
/// stricter reading of `[{key: []}, {sigv4: []}]`; see docs/compatibility.md).
pub(crate) fn api_key_required(
    cx: &mut Cx,
    schemes: &BTreeMap<String, Scheme>,
    global_security: Option<&Value>,
    op: &Map<String, Value>,
    pointer: &str,
) -> bool {
    if let Some(v) = op.get("x-amazon-apigateway-api-key-required") {
        return match v.as_bool() {
            Some(b) => b,
            None => {
                cx.error(
                    &format!("{pointer}/x-amazon-apigateway-api-key-required"),
                    "must be true or false",
                );
                false
            }
        };
    }
    let Some((security, sec_pointer)) = effective_security(op, global_security, pointer) else {
        return false;
    };
    let mut required = false;
    for (i, requirement) in security.as_array().into_iter().flatten().enumerate() {
        for (name, scopes) in requirement.as_object().into_iter().flatten() {
            if !matches!(schemes.get(name), Some(Scheme::ApiKey)) {
                continue;
            }
            required = true;
            if scopes.as_array().is_some_and(|s| !s.is_empty()) {
                cx.error(
                    &format!("{sec_pointer}/{i}/{}", escape(name)),
                    "an API key requirement takes no scopes",
                );
            }
        }
    }
    required
}

/// The operation's `security`, else the document's, with the pointer to report problems at.
fn effective_security<'a>(
    op: &'a Map<String, Value>,
    global_security: Option<&'a Value>,
    pointer: &str,
) -> Option<(&'a Value, String)> {
    match op.get("security") {
        Some(s) => Some((s, format!("{pointer}/security"))),
        None => global_security.map(|s| (s, "/security".to_string())),
    }
}

fn scope_list(cx: &mut Cx, value: &Value, pointer: &str) -> Option<Vec<String>> {
    let list = value
        .as_array()
        .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect());
    if list.is_none() {
        cx.error(pointer, "must be a list of scope names");
    }
    list
}

fn add_scopes(authorizer: &mut Authorizer, more: Vec<String>) {
    if let Authorizer::CognitoUserPools { scopes, .. } | Authorizer::Jwt { scopes, .. } = authorizer
    {
        for scope in more {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
}
