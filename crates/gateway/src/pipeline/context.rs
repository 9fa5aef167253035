//! What a request accumulates on its way through the pipeline: the values behind API Gateway's
//! `$context` variables, for integrations, gateway responses and the access log.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use http::HeaderValue;
use http::request::Parts;
use restapi::context::{AuthPhase, ErrorVar, IdentityVar, PhaseVar};
use restapi::{ContextVar, Method, Resource};
use telemetry::TraceContext;

use super::ConnInfo;
use crate::deploy::{ApiRuntime, StageRuntime};
use crate::error::GatewayError;

/// Where a request landed: always an API and stage; a resource and method once routing matched.
#[derive(Clone)]
pub struct Route {
    pub api: Arc<ApiRuntime>,
    pub stage: usize,
    pub resource: Option<usize>,
    pub method: Option<usize>,
    /// Path parameters, raw (percent-encoded) as they appeared in the request.
    pub params: Vec<(String, String)>,
    /// The request path without the stage, e.g. `/pets/7`.
    pub resource_request_path: String,
}

impl Route {
    pub fn stage(&self) -> &StageRuntime {
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

/// The authenticated caller, as `$context.identity.*` reports it.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    pub caller: Option<String>,
    pub user: Option<String>,
    pub user_arn: Option<String>,
    pub account_id: Option<String>,
    pub access_key: Option<String>,
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

pub struct RequestCtx {
    pub started: Instant,
    pub request_time: SystemTime,
    pub request_id: String,
    pub extended_request_id: String,
    pub trace: TraceContext,
    /// The gateway's span in the trace; integrations see it as their parent.
    pub span_id: u64,
    pub http_method: http::Method,
    /// The request path exactly as received, stage included.
    pub path: String,
    pub protocol: &'static str,
    pub domain_name: Option<String>,
    pub source_ip: IpAddr,
    pub user_agent: Option<HeaderValue>,
    pub secure: bool,
    /// The port the client connected to, for `X-Forwarded-Port`.
    pub local_port: u16,
    pub route: Option<Route>,
    /// Request headers and raw query, kept only when a gateway response of the API maps them.
    pub kept_request: Option<(http::HeaderMap, String)>,
    pub identity: Identity,
    pub authenticate: PhaseOutcome,
    pub authorize: PhaseOutcome,
    pub integration: IntegrationOutcome,
    pub error: Option<GatewayError>,
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
        RequestCtx {
            started: Instant::now(),
            request_time,
            request_id: new_request_id(),
            extended_request_id: base64::engine::general_purpose::STANDARD.encode(ext),
            trace,
            span_id: telemetry::trace::new_span_id(),
            http_method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            protocol: protocol(parts.version),
            domain_name: super::route::request_host(parts).map(str::to_string),
            source_ip: conn.remote.ip(),
            user_agent: parts.headers.get(http::header::USER_AGENT).cloned(),
            secure: conn.secure,
            local_port: conn.local.port(),
            route: None,
            kept_request: None,
            identity: Identity::default(),
            authenticate: PhaseOutcome::default(),
            authorize: PhaseOutcome::default(),
            integration: IntegrationOutcome::default(),
            error: None,
            status: 0,
            response_length: 0,
            response_latency: None,
        }
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

/// A v4 UUID from the thread-local fast generator: request ids need uniqueness, not secrecy, and
/// a syscall per request for OS randomness would cost more than the rest of the routing.
fn new_request_id() -> String {
    let bytes = fastrand::u128(..).to_be_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
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

impl telemetry::Vars for RequestCtx {
    fn context(&self, var: &ContextVar) -> Option<Cow<'_, str>> {
        let route = self.route.as_ref();
        Some(match var {
            ContextVar::AccountId => Cow::Borrowed(route?.api.account_id.as_str()),
            ContextVar::ApiId => Cow::Borrowed(route?.api.id.as_str()),
            ContextVar::DomainName => Cow::Borrowed(self.domain_name.as_deref()?),
            ContextVar::DomainPrefix => {
                Cow::Borrowed(self.domain_name.as_deref()?.split('.').next()?)
            }
            ContextVar::ExtendedRequestId => Cow::Borrowed(&self.extended_request_id),
            ContextVar::HttpMethod => Cow::Borrowed(self.http_method.as_str()),
            ContextVar::Path => Cow::Borrowed(&self.path),
            ContextVar::Protocol => Cow::Borrowed(self.protocol),
            ContextVar::RequestId => Cow::Borrowed(&self.request_id),
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
    fn identity_var(&self, v: IdentityVar) -> Option<Cow<'_, str>> {
        let id = &self.identity;
        Some(match v {
            IdentityVar::SourceIp => Cow::Owned(self.source_ip.to_string()),
            IdentityVar::UserAgent => Cow::Borrowed(self.user_agent.as_ref()?.to_str().ok()?),
            IdentityVar::Caller => Cow::Borrowed(id.caller.as_deref()?),
            IdentityVar::User => Cow::Borrowed(id.user.as_deref()?),
            IdentityVar::UserArn => Cow::Borrowed(id.user_arn.as_deref()?),
            IdentityVar::AccountId => Cow::Borrowed(id.account_id.as_deref()?),
            IdentityVar::AccessKey => Cow::Borrowed(id.access_key.as_deref()?),
            // Not produced by any feature yet: API keys, Organizations and Cognito identity
            // pools arrive in later releases.
            IdentityVar::ApiKey
            | IdentityVar::ApiKeyId
            | IdentityVar::PrincipalOrgId
            | IdentityVar::CognitoIdentityId
            | IdentityVar::CognitoIdentityPoolId
            | IdentityVar::CognitoAuthenticationType
            | IdentityVar::CognitoAuthenticationProvider => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_v4_uuids() {
        let id = new_request_id();
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn clf_time_format() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_704_185);
        assert_eq!(clf_time(t), "21/Nov/2025:05:49:45 +0000");
    }
}
