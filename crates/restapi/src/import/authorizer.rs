//! Security schemes (`components.securitySchemes`): the authorizers an API defines.
//!
//! Every form `aws apigateway get-export` writes is parsed into the model — `awsSigv4`, Cognito
//! user pools, Lambda token and request authorizers — plus HTTP API style JWT authorizers. Which
//! authorizer each method uses is `security.rs`'s job; whether the gateway *serves* a kind is a
//! separate question, answered by [`super::security::refuse_unserved`] after parsing, so the
//! parser is tested on every form while the gateway still refuses, by name, what it cannot enforce
//! yet.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;
use serde_json::{Map, Value};

use super::identity_source::{Syntax, identity_source_list};
use super::{Cx, escape};
use crate::authorizer::{
    AuthType, CognitoAuthorizer, IdentitySource, JwtAuthorizer, LambdaAuthorizer, LambdaKind,
};

/// What a security scheme means to API Gateway.
#[derive(Clone, Debug)]
pub(crate) enum Scheme {
    Iam,
    Cognito(Arc<CognitoAuthorizer>),
    Lambda(Arc<LambdaAuthorizer>),
    Jwt(Arc<JwtAuthorizer>),
    /// A scheme whose definition has errors, already reported; methods naming it report nothing
    /// more (except the refusal of its kind, when the kind is known).
    Invalid(Option<AuthType>),
    /// API Gateway's API key scheme (`type: apiKey`, `name: x-api-key`, `in: header`): not an
    /// authorizer; naming it makes the method require a key.
    ApiKey,
    /// Not an API Gateway scheme: API Gateway ignores these on import, and so do we.
    Ignored,
}

pub(crate) fn security_schemes(cx: &mut Cx, root: &Map<String, Value>) -> BTreeMap<String, Scheme> {
    let mut out = BTreeMap::new();
    let Some(schemes) = root
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Value::as_object)
    else {
        return out;
    };
    for (name, scheme) in schemes {
        let pointer = format!("/components/securitySchemes/{}", escape(name));
        out.insert(name.clone(), classify_scheme(cx, name, scheme, &pointer));
    }
    out
}

fn classify_scheme(cx: &mut Cx, name: &str, scheme: &Value, pointer: &str) -> Scheme {
    // Not an object is OpenAPI's problem, not an API Gateway scheme: ignored, as before.
    let Some(scheme) = scheme.as_object() else {
        return Scheme::Ignored;
    };
    let authtype_pointer = format!("{pointer}/x-amazon-apigateway-authtype");
    let authtype = match scheme.get("x-amazon-apigateway-authtype") {
        None => None,
        Some(Value::String(t)) => Some(t.as_str()),
        Some(_) => {
            cx.error(&authtype_pointer, "must be a string");
            return Scheme::Invalid(None);
        }
    };
    let is = |reserved: &str| authtype.is_some_and(|t| t.eq_ignore_ascii_case(reserved));
    let authorizer_pointer = format!("{pointer}/x-amazon-apigateway-authorizer");
    match scheme.get("x-amazon-apigateway-authorizer") {
        Some(_) if is("awsSigv4") => {
            cx.error(
                &authorizer_pointer,
                "an awsSigv4 (AWS_IAM) scheme takes no x-amazon-apigateway-authorizer",
            );
            Scheme::Invalid(Some(AuthType::AwsIam))
        }
        None if is("awsSigv4") => Scheme::Iam,
        Some(authorizer) => {
            let errors_before = cx.errors.len();
            let parsed = parse_authorizer(cx, name, scheme, authorizer, &authorizer_pointer);
            let kind = scheme_kind(&parsed);
            // `x-amazon-apigateway-authtype` is free-form for Lambda authorizers ("oauth2" in
            // AWS's own examples); only its reserved values must agree with the type.
            let mismatch = kind.is_some_and(|kind| {
                (is("cognito_user_pools") && kind != AuthType::CognitoUserPools)
                    || (is("custom") && kind != AuthType::Custom)
            });
            if mismatch {
                cx.error(
                    &authtype_pointer,
                    format!(
                        "x-amazon-apigateway-authtype {:?} does not match the authorizer type",
                        authtype.unwrap_or_default()
                    ),
                );
            }
            if cx.errors.len() > errors_before {
                return Scheme::Invalid(kind);
            }
            parsed
        }
        None if is("cognito_user_pools") => {
            cx.error(
                pointer,
                "a Cognito user pool scheme needs an x-amazon-apigateway-authorizer with providerARNs",
            );
            Scheme::Invalid(Some(AuthType::CognitoUserPools))
        }
        None if is("custom") => {
            cx.error(
                pointer,
                "a custom (Lambda) scheme needs an x-amazon-apigateway-authorizer",
            );
            Scheme::Invalid(Some(AuthType::Custom))
        }
        None => match authtype {
            Some(t) => {
                cx.error(&authtype_pointer, format!("unknown authtype {t:?}"));
                Scheme::Invalid(None)
            }
            None if is_api_key(scheme) => Scheme::ApiKey,
            None => Scheme::Ignored,
        },
    }
}

fn is_api_key(scheme: &Map<String, Value>) -> bool {
    scheme.get("type").and_then(Value::as_str) == Some("apiKey")
        && scheme
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
        && scheme.get("in").and_then(Value::as_str) == Some("header")
}

pub(crate) fn scheme_kind(scheme: &Scheme) -> Option<AuthType> {
    match scheme {
        Scheme::Iam => Some(AuthType::AwsIam),
        Scheme::Cognito(_) => Some(AuthType::CognitoUserPools),
        Scheme::Lambda(_) => Some(AuthType::Custom),
        Scheme::Jwt(_) => Some(AuthType::Jwt),
        Scheme::Invalid(kind) => *kind,
        Scheme::ApiKey | Scheme::Ignored => None,
    }
}

/// The authorizer kinds `x-amazon-apigateway-authorizer.type` names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Token,
    Request,
    Cognito,
    Jwt,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        [
            ("token", Kind::Token),
            ("request", Kind::Request),
            ("cognito_user_pools", Kind::Cognito),
            ("jwt", Kind::Jwt),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, k)| k)
    }

    fn auth_type(self) -> AuthType {
        match self {
            Kind::Token | Kind::Request => AuthType::Custom,
            Kind::Cognito => AuthType::CognitoUserPools,
            Kind::Jwt => AuthType::Jwt,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::Request => "request",
            Kind::Cognito => "cognito_user_pools",
            Kind::Jwt => "jwt",
        }
    }

    /// The properties that mean something for this kind.
    fn accepts(self, key: &str) -> bool {
        match key {
            "type" | "identitySource" | "authorizerResultTtlInSeconds" => true,
            "authorizerUri" | "authorizerCredentials" => {
                matches!(self, Kind::Token | Kind::Request)
            }
            "identityValidationExpression" => self == Kind::Token,
            "providerARNs" => self == Kind::Cognito,
            "jwtConfiguration" => self == Kind::Jwt,
            _ => false,
        }
    }
}

const KNOWN_PROPERTIES: &[&str] = &[
    "type",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
    "jwtConfiguration",
];

/// Properties only HTTP APIs' Lambda authorizers have; their payload and answers differ from a
/// REST API's, so reading them as a REST request authorizer would be wrong.
const HTTP_API_LAMBDA_PROPERTIES: &[&str] =
    &["authorizerPayloadFormatVersion", "enableSimpleResponses"];

fn parse_authorizer(
    cx: &mut Cx,
    name: &str,
    scheme: &Map<String, Value>,
    authorizer: &Value,
    pointer: &str,
) -> Scheme {
    let Some(obj) = authorizer.as_object() else {
        cx.error(pointer, "must be an object");
        return Scheme::Invalid(None);
    };
    let kind = match obj.get("type") {
        Some(Value::String(t)) => match Kind::parse(t) {
            Some(kind) => kind,
            None => {
                cx.error(
                    &format!("{pointer}/type"),
                    format!(
                        "unknown authorizer type {t:?}; expected token, request, cognito_user_pools or jwt"
                    ),
                );
                return Scheme::Invalid(None);
            }
        },
        Some(_) => {
            cx.error(&format!("{pointer}/type"), "must be a string");
            return Scheme::Invalid(None);
        }
        None => {
            cx.error(pointer, "an authorizer needs a \"type\"");
            return Scheme::Invalid(None);
        }
    };
    for key in obj.keys() {
        let p = format!("{pointer}/{}", escape(key));
        if HTTP_API_LAMBDA_PROPERTIES.contains(&key.as_str()) {
            cx.error(
                &p,
                format!(
                    "{key} belongs to HTTP API Lambda authorizers, which REST APIs do not have"
                ),
            );
        } else if !KNOWN_PROPERTIES.contains(&key.as_str()) {
            cx.error(&p, format!("unknown authorizer property {key:?}"));
        } else if !kind.accepts(key) {
            cx.error(
                &p,
                format!("{key} does not apply to {} authorizers", kind.name()),
            );
        }
    }
    let ttl = result_ttl(cx, obj, pointer);
    let name = name.to_string();
    match kind {
        Kind::Token | Kind::Request => lambda(cx, name, kind, scheme, obj, ttl, pointer)
            .map_or(Scheme::Invalid(Some(AuthType::Custom)), |a| {
                Scheme::Lambda(Arc::new(a))
            }),
        Kind::Cognito => cognito(cx, name, scheme, obj, pointer)
            .map_or(Scheme::Invalid(Some(kind.auth_type())), |a| {
                Scheme::Cognito(Arc::new(a))
            }),
        Kind::Jwt => jwt(cx, name, scheme, obj, pointer)
            .map_or(Scheme::Invalid(Some(kind.auth_type())), |a| {
                Scheme::Jwt(Arc::new(a))
            }),
    }
}

const DEFAULT_TTL: Duration = Duration::from_secs(300);
const MAX_TTL_SECONDS: u64 = 3600;

fn result_ttl(cx: &mut Cx, obj: &Map<String, Value>, pointer: &str) -> Duration {
    let Some(v) = obj.get("authorizerResultTtlInSeconds") else {
        return DEFAULT_TTL;
    };
    // AWS documents the property as a string and exports it as a number: accept both.
    let seconds = v
        .as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
    match seconds {
        Some(s) if s <= MAX_TTL_SECONDS => Duration::from_secs(s),
        _ => {
            cx.error(
                &format!("{pointer}/authorizerResultTtlInSeconds"),
                format!(
                    "authorizerResultTtlInSeconds must be between 0 and {MAX_TTL_SECONDS}, got {v}"
                ),
            );
            DEFAULT_TTL
        }
    }
}

fn lambda(
    cx: &mut Cx,
    name: String,
    kind: Kind,
    scheme: &Map<String, Value>,
    obj: &Map<String, Value>,
    result_ttl: Duration,
    pointer: &str,
) -> Option<LambdaAuthorizer> {
    let uri_pointer = format!("{pointer}/authorizerUri");
    let (authorizer_uri, function_arn) = match obj.get("authorizerUri") {
        Some(Value::String(uri)) => match function_arn(uri) {
            Some(arn) => (uri.clone(), arn.to_string()),
            None => {
                cx.error(
                    &uri_pointer,
                    format!(
                        "authorizerUri must be arn:aws:apigateway:{{region}}:lambda:path/2015-03-31/functions/{{functionArn}}/invocations, got {uri:?}"
                    ),
                );
                return None;
            }
        },
        Some(_) => {
            cx.error(&uri_pointer, "must be a string");
            return None;
        }
        None => {
            cx.error(pointer, "a Lambda authorizer needs an authorizerUri");
            return None;
        }
    };
    let credentials = match obj.get("authorizerCredentials") {
        None | Some(Value::Null) => None,
        Some(Value::String(arn)) if is_iam_arn(arn) => Some(arn.clone()),
        Some(other) => {
            cx.error(
                &format!("{pointer}/authorizerCredentials"),
                format!("authorizerCredentials must be an IAM role ARN, got {other}"),
            );
            return None;
        }
    };
    let source_pointer = format!("{pointer}/identitySource");
    let identity_sources = match kind {
        Kind::Token => vec![single_header(cx, scheme, obj, &source_pointer, "a token")?],
        _ => {
            let sources = match obj.get("identitySource") {
                Some(v) => identity_source_list(cx, v, Syntax::Rest, &source_pointer)?,
                None => Vec::new(),
            };
            // API Gateway's rule: the identity sources are the cache key, so caching needs them.
            if sources.is_empty() && !result_ttl.is_zero() {
                cx.error(
                    pointer,
                    "a request authorizer with caching (authorizerResultTtlInSeconds > 0) needs an identitySource",
                );
                return None;
            }
            sources
        }
    };
    let validation_expression = match obj.get("identityValidationExpression") {
        None => None,
        Some(Value::String(expr)) => match regex::Regex::new(&format!("^(?:{expr})$")) {
            Ok(re) => Some(re),
            Err(e) => {
                cx.error(
                    &format!("{pointer}/identityValidationExpression"),
                    format!("invalid identityValidationExpression: {e}"),
                );
                return None;
            }
        },
        Some(_) => {
            cx.error(
                &format!("{pointer}/identityValidationExpression"),
                "must be a string",
            );
            return None;
        }
    };
    Some(LambdaAuthorizer {
        name,
        kind: match kind {
            Kind::Token => LambdaKind::Token,
            _ => LambdaKind::Request,
        },
        function_arn,
        authorizer_uri,
        credentials,
        identity_sources,
        validation_expression,
        result_ttl,
    })
}

/// The function ARN inside
/// `arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations`.
pub(crate) fn function_arn(uri: &str) -> Option<&str> {
    let parts: Vec<&str> = uri.splitn(6, ':').collect();
    let [arn, partition, service, region, lambda, path] = parts.as_slice() else {
        return None;
    };
    if *arn != "arn"
        || partition.is_empty()
        || *service != "apigateway"
        || region.is_empty()
        || *lambda != "lambda"
    {
        return None;
    }
    let function = path
        .strip_prefix("path/2015-03-31/functions/")?
        .strip_suffix("/invocations")?;
    // A `${stageVariables.…}` part is checked per stage, once resolved.
    crate::authorizer::FunctionArn::parse(function).map(|_| function)
}

fn is_iam_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", _, resource] if !partition.is_empty() && !resource.is_empty())
}

/// The one header a token or Cognito authorizer reads: `identitySource` when given, else the
/// scheme's `name` (`in: header`, as exports write it), else `Authorization`.
fn single_header(
    cx: &mut Cx,
    scheme: &Map<String, Value>,
    obj: &Map<String, Value>,
    pointer: &str,
    what: &str,
) -> Option<IdentitySource> {
    if let Some(v) = obj.get("identitySource") {
        let sources = identity_source_list(cx, v, Syntax::Rest, pointer)?;
        return match sources.as_slice() {
            [source @ IdentitySource::Header(_)] => Some(source.clone()),
            _ => {
                cx.error(
                    pointer,
                    format!("{what} authorizer reads exactly one header, written method.request.header.NAME"),
                );
                None
            }
        };
    }
    let from_scheme = scheme
        .get("name")
        .and_then(Value::as_str)
        .filter(|_| scheme.get("in").and_then(Value::as_str) == Some("header"))
        .and_then(|n| HeaderName::from_bytes(n.as_bytes()).ok());
    Some(IdentitySource::Header(
        from_scheme.unwrap_or(http::header::AUTHORIZATION),
    ))
}

fn cognito(
    cx: &mut Cx,
    name: String,
    scheme: &Map<String, Value>,
    obj: &Map<String, Value>,
    pointer: &str,
) -> Option<CognitoAuthorizer> {
    let arns_pointer = format!("{pointer}/providerARNs");
    let Some(list) = obj.get("providerARNs") else {
        cx.error(pointer, "a Cognito user pool authorizer needs providerARNs");
        return None;
    };
    let Some(list) = list.as_array() else {
        cx.error(&arns_pointer, "must be a list of user pool ARNs");
        return None;
    };
    let mut provider_arns = Vec::new();
    for (i, arn) in list.iter().enumerate() {
        match arn.as_str() {
            Some(arn) if is_user_pool_arn(arn) => provider_arns.push(arn.to_string()),
            _ => cx.error(
                &format!("{arns_pointer}/{i}"),
                format!(
                    "expected a user pool ARN arn:aws:cognito-idp:{{region}}:{{account}}:userpool/{{id}}, got {arn}"
                ),
            ),
        }
    }
    if list.is_empty() {
        cx.error(&arns_pointer, "must name at least one user pool");
    }
    let identity_source = single_header(
        cx,
        scheme,
        obj,
        &format!("{pointer}/identitySource"),
        "a Cognito user pool",
    )?;
    (provider_arns.len() == list.len() && !list.is_empty()).then_some(CognitoAuthorizer {
        name,
        provider_arns,
        identity_source,
    })
}

fn is_user_pool_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "cognito-idp", region, account, resource]
        if !partition.is_empty() && !region.is_empty() && !account.is_empty()
            && resource.strip_prefix("userpool/").is_some_and(|id| !id.is_empty()))
}

const JWT_CONFIGURATION_KEYS: &[&str] = &["issuer", "audience"];

fn jwt(
    cx: &mut Cx,
    name: String,
    scheme: &Map<String, Value>,
    obj: &Map<String, Value>,
    pointer: &str,
) -> Option<JwtAuthorizer> {
    let config_pointer = format!("{pointer}/jwtConfiguration");
    let Some(config) = obj.get("jwtConfiguration") else {
        cx.error(pointer, "a JWT authorizer needs a jwtConfiguration");
        return None;
    };
    let Some(config) = config.as_object() else {
        cx.error(&config_pointer, "must be an object");
        return None;
    };
    for key in config.keys() {
        if !JWT_CONFIGURATION_KEYS.contains(&key.as_str()) {
            cx.error(
                &format!("{config_pointer}/{}", escape(key)),
                format!("unknown jwtConfiguration property {key:?}"),
            );
        }
    }
    // Without an issuer, API Gateway derives it from an openIdConnect scheme's discovery URL.
    let issuer = match config.get("issuer") {
        Some(v) => v.as_str().map(str::to_string),
        None => scheme
            .get("openIdConnectUrl")
            .and_then(Value::as_str)
            .and_then(|u| u.strip_suffix("/.well-known/openid-configuration"))
            .map(str::to_string),
    };
    let issuer = match issuer {
        Some(i) if issuer_scheme_ok(&i) => i,
        _ => {
            cx.error(
                &format!("{config_pointer}/issuer"),
                "a JWT authorizer needs an https:// issuer (http:// only on a loopback host), or an openIdConnectUrl ending in /.well-known/openid-configuration",
            );
            return None;
        }
    };
    let audience_pointer = format!("{config_pointer}/audience");
    let audiences: Option<Vec<String>> = config
        .get("audience")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect());
    let audiences = match audiences {
        Some(a) if !a.is_empty() => a,
        _ => {
            cx.error(
                &audience_pointer,
                "a JWT authorizer needs a non-empty list of audiences",
            );
            return None;
        }
    };
    let source_pointer = format!("{pointer}/identitySource");
    let identity_source = match obj.get("identitySource") {
        None => IdentitySource::Header(http::header::AUTHORIZATION),
        Some(v) => {
            let sources = identity_source_list(cx, v, Syntax::Http, &source_pointer)?;
            match sources.as_slice() {
                [s @ (IdentitySource::Header(_) | IdentitySource::Query(_))] => s.clone(),
                _ => {
                    cx.error(
                        &source_pointer,
                        "a JWT authorizer reads exactly one header or query string parameter, written $request.header.NAME or $request.querystring.NAME",
                    );
                    return None;
                }
            }
        }
    };
    Some(JwtAuthorizer {
        name,
        issuer,
        audiences,
        identity_source,
    })
}

/// An `https://` issuer, or `http://` on a loopback host (an issuer run beside the gateway, as
/// tests do): keys fetched over plain HTTP from anywhere else could be replaced in transit.
fn issuer_scheme_ok(issuer: &str) -> bool {
    if let Some(rest) = issuer.strip_prefix("https://") {
        return !rest.is_empty();
    }
    let Some(rest) = issuer.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| format!("[{h}]")),
        None => authority.split(':').next().map(str::to_string),
    };
    matches!(host.as_deref(), Some("127.0.0.1" | "[::1]" | "localhost"))
}

#[cfg(test)]
mod tests;
