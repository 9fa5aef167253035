//! API Gateway's `$context` variables, as named in access-log formats, mapping templates and
//! parameter mappings (`context.requestId`).
//!
//! Names are parsed once, when a document or config is loaded, into [`ContextVar`]; the gateway
//! resolves a `ContextVar` against a request without looking at strings again. An unknown name is a
//! load-time error rather than an empty value: AWS renders unknown variables as empty, which hides
//! typos in log formats for weeks.

use std::fmt;

/// One `$context` variable. The `Display` form is the name as written after `$context.`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContextVar {
    AccountId,
    ApiId,
    DomainName,
    DomainPrefix,
    ExtendedRequestId,
    HttpMethod,
    Path,
    Protocol,
    RequestId,
    RequestTime,
    RequestTimeEpoch,
    ResourceId,
    ResourcePath,
    Stage,
    Status,
    ResponseLength,
    ResponseLatency,
    IntegrationLatency,
    /// `integrationStatus`: the status the integration returned (for proxies, the backend's).
    IntegrationStatus,
    /// `integration.status`
    IntegrationStatusDotted,
    /// `integration.latency`
    IntegrationLatencyDotted,
    /// `integration.error`
    IntegrationError,
    XrayTraceId,
    Identity(IdentityVar),
    Error(ErrorVar),
    /// `authenticate.status`, `authorize.status`, ...: outcome of the auth phases.
    AuthPhase(AuthPhase, PhaseVar),
    /// `authorizer.*`: what the method's authorizer established about the caller.
    Authorizer(AuthorizerVar),
}

/// `$context.authorizer.*`. Empty unless the method's authorizer produced the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthorizerVar {
    /// `authorizer.principalId`: the principal a Lambda authorizer returned.
    PrincipalId,
    /// `authorizer.claims.<name>`: a claim of the token a Cognito user pool (or JWT) authorizer
    /// verified.
    Claim(String),
    /// `authorizer.<key>`: a value of the `context` a Lambda authorizer returned.
    Value(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdentityVar {
    SourceIp,
    UserAgent,
    Caller,
    User,
    UserArn,
    AccountId,
    AccessKey,
    ApiKey,
    ApiKeyId,
    PrincipalOrgId,
    CognitoIdentityId,
    CognitoIdentityPoolId,
    CognitoAuthenticationType,
    CognitoAuthenticationProvider,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorVar {
    Message,
    MessageString,
    ResponseType,
    ValidationErrorString,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthPhase {
    Authenticate,
    Authorize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhaseVar {
    Status,
    Error,
    Latency,
}

const SIMPLE: &[(&str, ContextVar)] = &[
    ("accountId", ContextVar::AccountId),
    ("apiId", ContextVar::ApiId),
    ("domainName", ContextVar::DomainName),
    ("domainPrefix", ContextVar::DomainPrefix),
    ("extendedRequestId", ContextVar::ExtendedRequestId),
    ("httpMethod", ContextVar::HttpMethod),
    ("path", ContextVar::Path),
    ("protocol", ContextVar::Protocol),
    ("requestId", ContextVar::RequestId),
    ("requestTime", ContextVar::RequestTime),
    ("requestTimeEpoch", ContextVar::RequestTimeEpoch),
    ("resourceId", ContextVar::ResourceId),
    ("resourcePath", ContextVar::ResourcePath),
    ("stage", ContextVar::Stage),
    ("status", ContextVar::Status),
    ("responseLength", ContextVar::ResponseLength),
    ("responseLatency", ContextVar::ResponseLatency),
    ("integrationLatency", ContextVar::IntegrationLatency),
    ("integrationStatus", ContextVar::IntegrationStatus),
    ("integration.status", ContextVar::IntegrationStatusDotted),
    ("integration.latency", ContextVar::IntegrationLatencyDotted),
    ("integration.error", ContextVar::IntegrationError),
    ("xrayTraceId", ContextVar::XrayTraceId),
];

const IDENTITY: &[(&str, IdentityVar)] = &[
    ("sourceIp", IdentityVar::SourceIp),
    ("userAgent", IdentityVar::UserAgent),
    ("caller", IdentityVar::Caller),
    ("user", IdentityVar::User),
    ("userArn", IdentityVar::UserArn),
    ("accountId", IdentityVar::AccountId),
    ("accessKey", IdentityVar::AccessKey),
    ("apiKey", IdentityVar::ApiKey),
    ("apiKeyId", IdentityVar::ApiKeyId),
    ("principalOrgId", IdentityVar::PrincipalOrgId),
    ("cognitoIdentityId", IdentityVar::CognitoIdentityId),
    ("cognitoIdentityPoolId", IdentityVar::CognitoIdentityPoolId),
    (
        "cognitoAuthenticationType",
        IdentityVar::CognitoAuthenticationType,
    ),
    (
        "cognitoAuthenticationProvider",
        IdentityVar::CognitoAuthenticationProvider,
    ),
];

const ERROR: &[(&str, ErrorVar)] = &[
    ("message", ErrorVar::Message),
    ("messageString", ErrorVar::MessageString),
    ("responseType", ErrorVar::ResponseType),
    ("validationErrorString", ErrorVar::ValidationErrorString),
];

const PHASE: &[(&str, PhaseVar)] = &[
    ("status", PhaseVar::Status),
    ("error", PhaseVar::Error),
    ("latency", PhaseVar::Latency),
];

fn lookup<T: Clone>(table: &[(&str, T)], name: &str) -> Option<T> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.clone())
}

fn name_of<T: PartialEq>(table: &[(&'static str, T)], value: &T) -> &'static str {
    table
        .iter()
        .find(|(_, v)| v == value)
        .map_or("?", |(n, _)| n)
}

impl ContextVar {
    /// Parses a name as written after `$context.` (or `context.` in parameter mappings).
    pub fn parse(name: &str) -> Option<ContextVar> {
        if let Some(v) = lookup(SIMPLE, name) {
            return Some(v);
        }
        if let Some(rest) = name.strip_prefix("identity.") {
            return lookup(IDENTITY, rest).map(ContextVar::Identity);
        }
        if let Some(rest) = name.strip_prefix("error.") {
            return lookup(ERROR, rest).map(ContextVar::Error);
        }
        if let Some(rest) = name.strip_prefix("authenticate.") {
            return lookup(PHASE, rest).map(|p| ContextVar::AuthPhase(AuthPhase::Authenticate, p));
        }
        if let Some(rest) = name.strip_prefix("authorize.") {
            return lookup(PHASE, rest).map(|p| ContextVar::AuthPhase(AuthPhase::Authorize, p));
        }
        if let Some(rest) = name.strip_prefix("authorizer.") {
            return AuthorizerVar::parse(rest).map(ContextVar::Authorizer);
        }
        None
    }
}

impl AuthorizerVar {
    fn parse(name: &str) -> Option<AuthorizerVar> {
        // A key is one identifier, as in API Gateway's `$context.authorizer.key`: no dots, so
        // that `claims.x` can only mean a claim.
        let is_key = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b':')
        };
        if name == "principalId" {
            return Some(AuthorizerVar::PrincipalId);
        }
        if let Some(claim) = name.strip_prefix("claims.") {
            return is_key(claim).then(|| AuthorizerVar::Claim(claim.to_string()));
        }
        is_key(name).then(|| AuthorizerVar::Value(name.to_string()))
    }
}

impl fmt::Display for ContextVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextVar::Identity(v) => write!(f, "identity.{}", name_of(IDENTITY, v)),
            ContextVar::Error(v) => write!(f, "error.{}", name_of(ERROR, v)),
            ContextVar::AuthPhase(phase, v) => {
                let phase = match phase {
                    AuthPhase::Authenticate => "authenticate",
                    AuthPhase::Authorize => "authorize",
                };
                write!(f, "{phase}.{}", name_of(PHASE, v))
            }
            ContextVar::Authorizer(AuthorizerVar::PrincipalId) => {
                f.write_str("authorizer.principalId")
            }
            ContextVar::Authorizer(AuthorizerVar::Claim(c)) => write!(f, "authorizer.claims.{c}"),
            ContextVar::Authorizer(AuthorizerVar::Value(k)) => write!(f, "authorizer.{k}"),
            simple => f.write_str(name_of(SIMPLE, simple)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        let names = SIMPLE
            .iter()
            .map(|(n, _)| (*n).to_string())
            .chain(IDENTITY.iter().map(|(n, _)| format!("identity.{n}")))
            .chain(ERROR.iter().map(|(n, _)| format!("error.{n}")))
            .chain(PHASE.iter().map(|(n, _)| format!("authorize.{n}")))
            .chain(PHASE.iter().map(|(n, _)| format!("authenticate.{n}")))
            .chain(
                [
                    "authorizer.principalId",
                    "authorizer.claims.sub",
                    "authorizer.claims.cognito:username",
                    "authorizer.tenant",
                ]
                .map(String::from),
            );
        for name in names {
            let var = ContextVar::parse(&name).unwrap_or_else(|| panic!("{name} parses"));
            assert_eq!(var.to_string(), name);
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        for name in [
            "",
            "requestid",
            "identity.",
            "identity.nope",
            "error",
            "x.y",
            "authorizer.",
            "authorizer.claims.",
            "authorizer.a.b",
            "authorizer.claims.a.b",
        ] {
            assert_eq!(ContextVar::parse(name), None, "{name}");
        }
    }
}
