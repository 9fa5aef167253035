//! What a request accumulates on its way through the pipeline: the values behind API Gateway's
//! `$context` variables, for integrations, gateway responses and the access log.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use http::HeaderValue;
use http::request::Parts;
use restapi::context::{AuthPhase, AuthorizerVar, ErrorVar, IdentityVar, PhaseVar};
use restapi::{ContextVar, Method, Resource};
use telemetry::TraceContext;

use super::ConnInfo;
use super::identity::Identity;
use crate::deploy::{ApiRuntime, StageRuntime};
use crate::error::GatewayError;

/// Where a request landed: always an API and stage; a resource and method once routing matched.
pub struct Route {
    pub api: Arc<ApiRuntime>,
    pub stage: usize,
    /// The request's method, one of API Gateway's seven (never `ANY`): what the ARN names.
    pub verb: restapi::Verb,
    pub resource: Option<usize>,
    pub method: Option<usize>,
    /// The request path without the stage, in its canonical form (`router::canonicalize`; no
    /// trailing slash unless a greedy parameter holds it), e.g. `/pets/7`. The ARN, the access log
    /// and the backend request are built from this one value.
    pub resource_request_path: String,
    /// Where each path parameter's value sits in `resource_request_path`, in the order of the
    /// resource template's parameters. Ranges rather than strings: no allocation per parameter.
    pub params: smallvec::SmallVec<[std::ops::Range<usize>; 4]>,
}

impl Route {
    /// A path parameter's value as it stands in the canonical path (still percent-encoded).
    pub fn param(&self, name: &str) -> Option<&str> {
        let template = &self.resource()?.path;
        let position = template
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|n| n.strip_suffix('+').unwrap_or(n))
            .position(|n| n == name)?;
        let range = self.params.get(position)?.clone();
        self.resource_request_path.get(range)
    }

    pub fn stage(&self) -> &StageRuntime {
        // `stage` came from `ApiRuntime::stage`, a position in this same (immutable) `stages`.
        #[allow(clippy::indexing_slicing)]
        &self.api.stages[self.stage]
    }

    pub fn resource(&self) -> Option<&Resource> {
        self.resource.and_then(|r| self.api.api.resources.get(r))
    }

    pub fn method(&self) -> Option<&Method> {
        self.resource()
            .zip(self.method)
            .and_then(|(r, m)| r.methods.get(m))
    }
}

/// Outcome of an auth phase for `$context.authenticate.*` / `$context.authorize.*`.
#[derive(Clone, Debug, Default)]
pub struct PhaseOutcome {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency: Option<Duration>,
}

#[derive(Clone, Debug, Default)]
pub struct IntegrationOutcome {
    pub status: Option<u16>,
    pub latency: Option<Duration>,
    pub error: Option<String>,
}

/// A request id: a v4 UUID, kept as its 36 ASCII characters to spare an allocation.
#[derive(Clone, Copy)]
pub struct RequestId([u8; 36]);

impl RequestId {
    /// A v4 UUID from the thread-local fast generator: request ids need uniqueness, not secrecy,
    /// and a syscall per request for OS randomness would cost more than the rest of the routing.
    fn new() -> RequestId {
        let mut out = [0u8; 36];
        let uuid = uuid::Builder::from_random_bytes(fastrand::u128(..).to_be_bytes()).into_uuid();
        uuid.hyphenated().encode_lower(&mut out);
        RequestId(out)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub struct RequestCtx {
    pub started: Instant,
    pub request_time: SystemTime,
    pub request_id: RequestId,
    /// API Gateway's `extendedRequestId`: 10 random bytes, base64 (16 characters).
    extended_request_id: [u8; 16],
    pub trace: TraceContext,
    /// The gateway's span in the trace; integrations see it as their parent.
    pub span_id: u64,
    pub http_method: http::Method,
    /// The request URI exactly as received (a cheap clone: `Uri` shares its bytes).
    pub uri: http::Uri,
    /// The canonical request path when it differs from the received one (set by route).
    pub canonical_path: Option<Box<str>>,
    pub protocol: &'static str,
    /// The `Host` (or `:authority`) the client named.
    pub host: Option<HeaderValue>,
    pub source_ip: IpAddr,
    /// `source_ip` as a header value and as an IAM condition value, made once per connection.
    pub source_ip_header: HeaderValue,
    pub source_ip_value: iam::ContextValue,
    pub user_agent: Option<HeaderValue>,
    pub secure: bool,
    /// The port the client connected to, as a header value for `X-Forwarded-Port`.
    pub local_port_header: HeaderValue,
    pub route: Option<Route>,
    /// Request headers and raw query, kept only when a gateway response of the API maps them.
    pub kept_request: Option<(http::HeaderMap, String)>,
    /// Who the caller is, as the method's authorizer established it: behind
    /// `$context.identity.*` and `$context.authorizer.*`.
    pub identity: Identity,
    /// The API key the request presented and its usage plan (methods that require a key).
    pub api_key: Option<Box<super::api_key::ApiKeyUse>>,
    /// A cache miss the integration's answer will fill.
    pub cache_fill: Option<Box<super::response_cache::CacheFill>>,
    pub authenticate: PhaseOutcome,
    pub authorize: PhaseOutcome,
    pub integration: IntegrationOutcome,
    pub error: Option<GatewayError>,
    /// The phase the request is in (its `NAME`), for the log of a request abandoned midway.
    pub phase: &'static str,
    pub status: u16,
    pub response_length: u64,
    /// Set once the response head is ready.
    pub response_latency: Option<Duration>,
}

impl RequestCtx {
    /// A context for a request that just arrived on `conn`.
    pub fn new(
        parts: &Parts,
        conn: &ConnInfo,
        trace: TraceContext,
        request_time: SystemTime,
    ) -> RequestCtx {
        let mut ext = [0u8; 10];
        fastrand::fill(&mut ext);
        let mut extended_request_id = [0u8; 16];
        let _ =
            base64::engine::general_purpose::STANDARD.encode_slice(ext, &mut extended_request_id);
        let host = match parts.uri.authority() {
            Some(a) => HeaderValue::from_str(a.as_str()).ok(),
            None => parts.headers.get(http::header::HOST).cloned(),
        };
        RequestCtx {
            started: Instant::now(),
            request_time,
            request_id: RequestId::new(),
            extended_request_id,
            trace,
            span_id: telemetry::trace::new_span_id(),
            http_method: parts.method.clone(),
            uri: parts.uri.clone(),
            canonical_path: None,
            protocol: protocol(parts.version),
            host,
            source_ip: conn.remote.ip(),
            source_ip_header: conn.remote_ip_header.clone(),
            source_ip_value: conn.remote_ip_value.clone(),
            user_agent: parts.headers.get(http::header::USER_AGENT).cloned(),
            secure: conn.secure,
            local_port_header: conn.local_port_header.clone(),
            route: None,
            kept_request: None,
            identity: Identity::Anonymous,
            api_key: None,
            cache_fill: None,
            authenticate: PhaseOutcome::default(),
            authorize: PhaseOutcome::default(),
            integration: IntegrationOutcome::default(),
            error: None,
            phase: "",
            status: 0,
            response_length: 0,
            response_latency: None,
        }
    }

    /// The request path, stage included: canonical once routing has run, as received before
    /// (a request refused before routing is logged with the path it sent).
    pub fn path(&self) -> &str {
        self.canonical_path.as_deref().unwrap_or(self.uri.path())
    }

    pub fn extended_request_id(&self) -> &str {
        std::str::from_utf8(&self.extended_request_id).unwrap_or("")
    }

    /// The host without its port, for `$context.domainName`.
    pub fn domain_name(&self) -> Option<&str> {
        let host = self.host.as_ref()?.to_str().ok()?;
        Some(super::route::strip_port(host))
    }

    pub fn stage_variables(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        self.route.as_ref().map(|r| &r.stage().variables)
    }

    fn epoch_millis(&self) -> u128 {
        self.request_time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    }
}

fn protocol(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

/// `21/Nov/2026:05:49:45 +0000`, the CLF time API Gateway uses for `$context.requestTime`.
fn clf_time(t: SystemTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    time::OffsetDateTime::from(t)
        .format(FORMAT)
        .unwrap_or_default()
}

impl restapi::render::Vars for RequestCtx {
    fn context(&self, var: &ContextVar) -> Option<Cow<'_, str>> {
        let route = self.route.as_ref();
        Some(match var {
            ContextVar::AccountId => Cow::Borrowed(route?.api.account_id.as_str()),
            ContextVar::ApiId => Cow::Borrowed(route?.api.id.as_str()),
            ContextVar::DomainName => Cow::Borrowed(self.domain_name()?),
            ContextVar::DomainPrefix => Cow::Borrowed(self.domain_name()?.split('.').next()?),
            ContextVar::ExtendedRequestId => Cow::Borrowed(self.extended_request_id()),
            ContextVar::HttpMethod => Cow::Borrowed(self.http_method.as_str()),
            ContextVar::Path => Cow::Borrowed(self.path()),
            ContextVar::Protocol => Cow::Borrowed(self.protocol),
            ContextVar::RequestId => Cow::Borrowed(self.request_id.as_str()),
            ContextVar::RequestTime => Cow::Owned(clf_time(self.request_time)),
            ContextVar::RequestTimeEpoch => Cow::Owned(self.epoch_millis().to_string()),
            ContextVar::ResourceId => Cow::Owned(route?.resource()?.id()),
            ContextVar::ResourcePath => Cow::Borrowed(route?.resource()?.path.as_str()),
            ContextVar::Stage => Cow::Borrowed(route?.stage().name.as_str()),
            ContextVar::Status => Cow::Owned(self.status.to_string()),
            ContextVar::ResponseLength => Cow::Owned(self.response_length.to_string()),
            ContextVar::ResponseLatency => Cow::Owned(millis(self.response_latency?)),
            ContextVar::IntegrationLatency | ContextVar::IntegrationLatencyDotted => {
                Cow::Owned(millis(self.integration.latency?))
            }
            ContextVar::IntegrationStatus | ContextVar::IntegrationStatusDotted => {
                Cow::Owned(self.integration.status?.to_string())
            }
            ContextVar::IntegrationError => Cow::Borrowed(self.integration.error.as_deref()?),
            ContextVar::XrayTraceId => Cow::Owned(self.trace.xray_root()),
            ContextVar::Identity(v) => self.identity_var(*v)?,
            ContextVar::Authorizer(v) => self.authorizer_var(v)?,
            ContextVar::Error(v) => {
                let error = self.error.as_ref()?;
                match v {
                    ErrorVar::Message => Cow::Borrowed(error.message.as_ref()),
                    ErrorVar::MessageString => Cow::Owned(
                        serde_json::to_string(error.message.as_ref()).unwrap_or_default(),
                    ),
                    ErrorVar::ResponseType => {
                        Cow::Borrowed(error.kind.spec().response_type?.as_str())
                    }
                    ErrorVar::ValidationErrorString => return None,
                }
            }
            ContextVar::AuthPhase(phase, v) => {
                let outcome = match phase {
                    AuthPhase::Authenticate => &self.authenticate,
                    AuthPhase::Authorize => &self.authorize,
                };
                match v {
                    PhaseVar::Status => Cow::Owned(outcome.status?.to_string()),
                    PhaseVar::Error => Cow::Borrowed(outcome.error.as_deref()?),
                    PhaseVar::Latency => Cow::Owned(millis(outcome.latency?)),
                }
            }
        })
    }

    fn stage_variable(&self, name: &str) -> Option<&str> {
        self.stage_variables()?.get(name).map(String::as_str)
    }
}

impl RequestCtx {
    fn authorizer_var(&self, v: &AuthorizerVar) -> Option<Cow<'_, str>> {
        let value = match (v, &self.identity) {
            (AuthorizerVar::PrincipalId, Identity::Authorizer(r)) => &r.principal_id,
            (AuthorizerVar::Value(key), Identity::Authorizer(r)) => r.context.get(key)?,
            (AuthorizerVar::Claim(name), Identity::Claims(c)) => c.values.get(name)?,
            _ => return None,
        };
        Some(Cow::Borrowed(value.as_str()))
    }

    fn identity_var(&self, v: IdentityVar) -> Option<Cow<'_, str>> {
        let caller = self.identity.iam();
        Some(match v {
            IdentityVar::SourceIp => Cow::Borrowed(self.source_ip_value.as_str()),
            IdentityVar::UserAgent => Cow::Borrowed(self.user_agent.as_ref()?.to_str().ok()?),
            // API Gateway reports the caller's unique id (`AIDA…`, `AROA…:session`) as both.
            IdentityVar::Caller | IdentityVar::User => Cow::Borrowed(caller?.principal.userid()?),
            IdentityVar::UserArn => Cow::Borrowed(caller?.principal.arn()),
            IdentityVar::AccountId => Cow::Borrowed(caller?.principal.account()),
            IdentityVar::AccessKey => Cow::Borrowed(&*caller?.access_key_id),
            IdentityVar::ApiKey => Cow::Borrowed(&*self.api_key.as_ref()?.value),
            IdentityVar::ApiKeyId => Cow::Borrowed(&*self.api_key.as_ref()?.key.id),
            // Set for requests signed with identity-pool credentials.
            IdentityVar::CognitoIdentityId => {
                Cow::Borrowed(caller?.web_identity.as_deref()?.identity_id.as_str())
            }
            IdentityVar::CognitoIdentityPoolId => {
                Cow::Borrowed(caller?.web_identity.as_deref()?.identity_pool_id.as_str())
            }
            IdentityVar::CognitoAuthenticationType => {
                Cow::Borrowed(caller?.web_identity.as_deref()?.authentication_type())
            }
            IdentityVar::CognitoAuthenticationProvider => {
                Cow::Owned(caller?.web_identity.as_deref()?.authentication_provider()?)
            }
            // Not produced by any feature yet: Organizations arrive in a later release.
            IdentityVar::PrincipalOrgId => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_v4_uuids() {
        let id = RequestId::new();
        let parsed = uuid::Uuid::parse_str(id.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_ne!(id.as_str(), RequestId::new().as_str());
    }

    #[test]
    fn clf_time_format() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_704_185);
        assert_eq!(clf_time(t), "21/Nov/2025:05:49:45 +0000");
    }
}
