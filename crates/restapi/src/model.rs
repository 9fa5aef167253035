//! The REST API model: what an imported OpenAPI document means to the gateway.
//!
//! Everything here is resolved and validated: regexes compiled, templates parsed, mapping
//! expressions typed. The gateway never re-reads the document.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::authorizer::Authorizer;
use crate::context::ContextVar;
use crate::template::Template;

/// One REST API, as imported.
#[derive(Clone, Debug)]
pub struct Api {
    pub title: String,
    pub version: Option<String>,
    /// Resources sorted by path.
    pub resources: Vec<Resource>,
    pub gateway_responses: BTreeMap<ResponseType, GatewayResponse>,
    /// `x-amazon-apigateway-policy`, unparsed: the gateway compiles it with the IAM engine, which
    /// needs the API's ARN to expand the `execute-api:/` shorthand.
    pub policy: Option<serde_json::Value>,
    pub binary_media_types: Vec<String>,
    /// `x-amazon-apigateway-api-key-source`: where methods that require an API key find it.
    pub api_key_source: ApiKeySource,
}

/// Where API Gateway reads the API key of a method that requires one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ApiKeySource {
    /// The `x-api-key` request header (API Gateway's default).
    #[default]
    Header,
    /// The `usageIdentifierKey` a Lambda authorizer returns.
    Authorizer,
}

impl ApiKeySource {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeySource::Header => "HEADER",
            ApiKeySource::Authorizer => "AUTHORIZER",
        }
    }
}

/// A resource: a path like `/pets/{petId}` and its methods.
#[derive(Clone, Debug)]
pub struct Resource {
    pub path: String,
    /// Sorted by verb; at most one per verb.
    pub methods: Vec<Method>,
}

impl Resource {
    pub fn method(&self, verb: Verb) -> Option<&Method> {
        self.methods.iter().find(|m| m.verb == verb)
    }

    /// A stable id for `$context.resourceId`, like API Gateway's 6-10 character resource ids.
    pub fn id(&self) -> String {
        // FNV-1a of the path: stable across restarts and processes, no dependency needed.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.path.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..6)
            .map(|i| {
                let idx = ((hash >> (i * 6)) % 36) as usize;
                char::from(ALPHABET.get(idx).copied().unwrap_or(b'a'))
            })
            .collect()
    }
}

/// HTTP verbs a method can be defined for. `Any` is `x-amazon-apigateway-any-method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
    Any,
}

impl Verb {
    pub const ALL: [Verb; 8] = [
        Verb::Get,
        Verb::Post,
        Verb::Put,
        Verb::Delete,
        Verb::Patch,
        Verb::Head,
        Verb::Options,
        Verb::Any,
    ];

    pub fn from_http(method: &http::Method) -> Option<Verb> {
        Some(match *method {
            http::Method::GET => Verb::Get,
            http::Method::POST => Verb::Post,
            http::Method::PUT => Verb::Put,
            http::Method::DELETE => Verb::Delete,
            http::Method::PATCH => Verb::Patch,
            http::Method::HEAD => Verb::Head,
            http::Method::OPTIONS => Verb::Options,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
            Verb::Patch => "PATCH",
            Verb::Head => "HEAD",
            Verb::Options => "OPTIONS",
            Verb::Any => "ANY",
        }
    }

    pub fn parse(s: &str) -> Option<Verb> {
        Verb::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Method {
    pub verb: Verb,
    pub operation_id: Option<String>,
    /// How callers authenticate: `x-amazon-apigateway-auth`, else the operation's (or the
    /// document's) `security`.
    pub authorizer: Authorizer,
    /// The method requires an API key (a `security` requirement naming an `x-api-key` scheme, or
    /// `x-amazon-apigateway-api-key-required: true`).
    pub api_key_required: bool,
    /// Method request parameters declared in the document (`method.request.*`).
    pub parameters: Vec<MethodParameter>,
    pub integration: Integration,
    /// Where the operation sits in the document, for diagnostics.
    pub pointer: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodParameter {
    pub location: ParamLocation,
    pub name: String,
    pub required: bool,
}

#[derive(Clone, Debug)]
pub struct Integration {
    pub kind: IntegrationKind,
    /// The method sent to the backend; `None` means the client's method (`ANY`).
    pub http_method: Option<http::Method>,
    /// Backend URI for HTTP integrations.
    pub uri: Option<UriTemplate>,
    /// The Lambda function an `aws_proxy` integration invokes.
    pub function: Option<FunctionTarget>,
    pub request_parameters: Vec<ParameterMapping>,
    /// Keyed by content type.
    pub request_templates: BTreeMap<String, Template>,
    pub passthrough: Passthrough,
    pub timeout: Duration,
    /// `tlsConfig.insecureSkipVerification`: accept any certificate from an HTTPS backend.
    pub insecure_skip_verification: bool,
    /// Integration responses (non-proxy integrations), in document order with `default` last.
    pub responses: Vec<IntegrationResponse>,
    /// `cacheKeyParameters`: the request parameters that, with the method and resource, key the
    /// stage's response cache.
    pub cache_key_parameters: Vec<CacheKeyParameter>,
    /// `cacheNamespace`: methods sharing one share cached responses; by default each resource
    /// has its own.
    pub cache_namespace: Option<String>,
}

/// One `cacheKeyParameters` entry, `method.request.{path|querystring|header}.NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKeyParameter {
    pub location: ParamLocation,
    /// As written; headers compare case-insensitively.
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegrationKind {
    /// `http_proxy`: the request and response pass through unchanged.
    HttpProxy,
    /// `http`: custom HTTP integration with integration responses.
    Http,
    /// `mock`: answered by the gateway itself.
    Mock,
    /// `aws_proxy` with a Lambda `uri`: the request becomes a Lambda proxy event (payload format
    /// 1.0) and the function's answer the response.
    AwsProxy,
}

impl IntegrationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::HttpProxy => "http_proxy",
            IntegrationKind::Http => "http",
            IntegrationKind::Mock => "mock",
            IntegrationKind::AwsProxy => "aws_proxy",
        }
    }
}

/// `passthroughBehavior`: what happens to a request body no template maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passthrough {
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(29_000);
pub const MIN_TIMEOUT: Duration = Duration::from_millis(50);

/// A backend URI with `{param}` and `${stageVariables.name}` placeholders, split once at load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriTemplate {
    pub parts: Vec<UriPart>,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UriPart {
    Literal(String),
    /// `{name}`: the value of the `integration.request.path.name` mapping.
    PathParam(String),
    StageVariable(String),
}

/// The function of a Lambda integration: the function ARN inside its `uri`
/// (`arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]`), split into literal text and
/// `${stageVariables.name}` parts once, at load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionTarget {
    /// The function ARN as written.
    pub arn: String,
    pub parts: Vec<UriPart>,
}

impl FunctionTarget {
    /// Whether the ARN has a stage variable in it (resolved per request).
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, UriPart::Literal(_)))
    }

    /// The ARN with its stage variables replaced (a missing variable is empty, as API Gateway
    /// renders it).
    pub fn render<'a>(&self, stage_variable: impl Fn(&str) -> Option<&'a str>) -> String {
        let mut out = String::with_capacity(self.arn.len());
        for part in &self.parts {
            match part {
                UriPart::Literal(l) => out.push_str(l),
                UriPart::StageVariable(v) => out.push_str(stage_variable(v).unwrap_or("")),
                // Refused at import.
                UriPart::PathParam(_) => {}
            }
        }
        out
    }
}

/// `integration.request.<target> = <source>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterMapping {
    pub target: MappingTarget,
    pub source: MappingSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingTarget {
    Path(String),
    Query(String),
    MultiQuery(String),
    Header(String),
    MultiHeader(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingSource {
    Path(String),
    Query(String),
    MultiQuery(String),
    Header(String),
    MultiHeader(String),
    Static(String),
    Context(ContextVar),
    StageVariable(String),
}

/// One entry of `x-amazon-apigateway-integration.responses`.
#[derive(Clone, Debug)]
pub struct IntegrationResponse {
    /// The key as written (`default`, or a regular expression).
    pub key: String,
    /// Anchored pattern matched against the backend status code; `None` for `default`.
    pub selection: Option<regex::Regex>,
    pub status: u16,
    /// `method.response.header.<name> = <source>`.
    pub headers: Vec<(http::HeaderName, ResponseSource)>,
    pub templates: BTreeMap<String, Template>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseSource {
    IntegrationHeader(String),
    Static(String),
    Context(ContextVar),
    StageVariable(String),
}

/// API Gateway's gateway response types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResponseType {
    AccessDenied,
    ApiConfigurationError,
    AuthorizerConfigurationError,
    AuthorizerFailure,
    BadRequestParameters,
    BadRequestBody,
    Default4xx,
    Default5xx,
    ExpiredToken,
    IntegrationFailure,
    IntegrationTimeout,
    InvalidApiKey,
    InvalidSignature,
    MissingAuthenticationToken,
    QuotaExceeded,
    RequestTooLarge,
    ResourceNotFound,
    Throttled,
    Unauthorized,
    UnsupportedMediaType,
    WafFiltered,
}

impl ResponseType {
    pub const ALL: [ResponseType; 21] = [
        ResponseType::AccessDenied,
        ResponseType::ApiConfigurationError,
        ResponseType::AuthorizerConfigurationError,
        ResponseType::AuthorizerFailure,
        ResponseType::BadRequestParameters,
        ResponseType::BadRequestBody,
        ResponseType::Default4xx,
        ResponseType::Default5xx,
        ResponseType::ExpiredToken,
        ResponseType::IntegrationFailure,
        ResponseType::IntegrationTimeout,
        ResponseType::InvalidApiKey,
        ResponseType::InvalidSignature,
        ResponseType::MissingAuthenticationToken,
        ResponseType::QuotaExceeded,
        ResponseType::RequestTooLarge,
        ResponseType::ResourceNotFound,
        ResponseType::Throttled,
        ResponseType::Unauthorized,
        ResponseType::UnsupportedMediaType,
        ResponseType::WafFiltered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::AccessDenied => "ACCESS_DENIED",
            ResponseType::ApiConfigurationError => "API_CONFIGURATION_ERROR",
            ResponseType::AuthorizerConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR",
            ResponseType::AuthorizerFailure => "AUTHORIZER_FAILURE",
            ResponseType::BadRequestParameters => "BAD_REQUEST_PARAMETERS",
            ResponseType::BadRequestBody => "BAD_REQUEST_BODY",
            ResponseType::Default4xx => "DEFAULT_4XX",
            ResponseType::Default5xx => "DEFAULT_5XX",
            ResponseType::ExpiredToken => "EXPIRED_TOKEN",
            ResponseType::IntegrationFailure => "INTEGRATION_FAILURE",
            ResponseType::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            ResponseType::InvalidApiKey => "INVALID_API_KEY",
            ResponseType::InvalidSignature => "INVALID_SIGNATURE",
            ResponseType::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            ResponseType::QuotaExceeded => "QUOTA_EXCEEDED",
            ResponseType::RequestTooLarge => "REQUEST_TOO_LARGE",
            ResponseType::ResourceNotFound => "RESOURCE_NOT_FOUND",
            ResponseType::Throttled => "THROTTLED",
            ResponseType::Unauthorized => "UNAUTHORIZED",
            ResponseType::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ResponseType::WafFiltered => "WAF_FILTERED",
        }
    }

    pub fn parse(s: &str) -> Option<ResponseType> {
        ResponseType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The status API Gateway documents for the type ("Gateway response types for API Gateway").
    /// `DEFAULT_4XX`/`DEFAULT_5XX` have none of their own.
    pub fn default_status(self) -> Option<u16> {
        Some(match self {
            ResponseType::AccessDenied
            | ResponseType::ExpiredToken
            | ResponseType::InvalidApiKey
            | ResponseType::InvalidSignature
            | ResponseType::MissingAuthenticationToken
            | ResponseType::WafFiltered => 403,
            ResponseType::ApiConfigurationError
            | ResponseType::AuthorizerConfigurationError
            | ResponseType::AuthorizerFailure => 500,
            ResponseType::BadRequestParameters | ResponseType::BadRequestBody => 400,
            ResponseType::IntegrationFailure | ResponseType::IntegrationTimeout => 504,
            ResponseType::QuotaExceeded | ResponseType::Throttled => 429,
            ResponseType::RequestTooLarge => 413,
            ResponseType::ResourceNotFound => 404,
            ResponseType::Unauthorized => 401,
            ResponseType::UnsupportedMediaType => 415,
            ResponseType::Default4xx | ResponseType::Default5xx => return None,
        })
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entry of `x-amazon-apigateway-gateway-responses`.
#[derive(Clone, Debug, Default)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    /// `gatewayresponse.header.<name> = <source>`.
    pub headers: Vec<(http::HeaderName, GatewayHeaderSource)>,
    pub templates: BTreeMap<String, Template>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayHeaderSource {
    Static(String),
    RequestHeader(String),
    RequestQuery(String),
    RequestPath(String),
    Context(ContextVar),
    StageVariable(String),
}
