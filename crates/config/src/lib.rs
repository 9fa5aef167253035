//! Portcullis configuration.
//!
//! [`load`] reads the YAML configuration file and everything it names (OpenAPI documents, policy
//! files), checks all of it, and returns either a fully resolved [`Config`] or a [`Report`] of
//! every problem found, each with its file, line and column, and JSON pointer. `portcullis
//! validate` prints that report; `portcullis serve` refuses to start with it.
//!
//! The shape of the file is documented in `docs/configuration.md`. Relative paths inside the file
//! are relative to the file's directory.

mod diagnostic;
mod directory;
mod file;
mod identitypool;
mod load;
pub mod located;
mod usage;
mod userpool;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use diagnostic::{Diagnostic, Report};
pub use identitypool::*;
pub use load::{Overrides, load, load_with};
use restapi::{Template, Verb};
pub use usage::*;
pub use userpool::*;

pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:8081";
pub const DEFAULT_STORAGE: &str = "sqlite://portcullis.db";

/// The API Gateway console's "JSON" access-log preset, used when a stage names no format.
pub const DEFAULT_ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration file itself.
    pub file: PathBuf,
    pub region: String,
    pub account_id: String,
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub storage: Storage,
    pub tls: Option<TlsFiles>,
    /// Static files served on a listener of their own (`site:`), with the edge's TLS.
    pub site: Option<SiteConfig>,
    pub server: ServerSettings,
    pub apis: Vec<ApiDeployment>,
    /// The account-level throttle, applied to every request to every API.
    pub account_throttle: Throttle,
    /// API keys and usage plans declared in the file (more may be created through the admin
    /// API; those live in storage).
    pub api_keys: Vec<ApiKeyConfig>,
    pub usage_plans: Vec<UsagePlanConfig>,
    /// Cognito-compatible user pools served on the edge endpoint.
    pub user_pools: Vec<UserPoolConfig>,
    /// Cognito-compatible identity pools (temporary credentials for user-pool users).
    pub identity_pools: Vec<IdentityPoolConfig>,
    /// The Lambda functions the gateway runs, checked as the function host checks them (paths
    /// relative to the file's directory are resolved when the host starts, against [`Config::dir`]).
    pub functions: Vec<functions::FunctionSpec>,
    /// Accounts, policies, users with their access keys, and roles.
    pub iam: std::sync::Arc<iam::Directory>,
}

impl Config {
    /// The directory of the configuration file: relative paths in it are relative to this.
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// An SQLite database file (created when missing).
    Sqlite(PathBuf),
    /// An in-memory SQLite database: nothing survives a restart. For tests.
    SqliteMemory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// A directory of static files (a web page calling the gateway) and the address it is served on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    pub listen: SocketAddr,
    /// The directory, canonical (symlinks resolved): no file outside it is served.
    pub dir: PathBuf,
}

/// Connection handling limits of the edge listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Longest wait for a complete request head, including on an idle keep-alive connection.
    pub header_read_timeout: Duration,
    /// Longest idle time of a connection (no request in flight) before it is closed.
    pub idle_timeout: Duration,
    /// How long shutdown waits for in-flight requests before closing connections.
    pub shutdown_grace: Duration,
    /// Tokio worker threads; `None` means one per CPU.
    pub worker_threads: Option<usize>,
    /// Longest time a client may take to send a request body, from the moment its head arrived.
    /// API Gateway's integration timeout is 29 s, so a body slower than that can never succeed.
    pub body_read_timeout: Duration,
    /// Accept SigV4 requests that sign `UNSIGNED-PAYLOAD` with a non-empty body (which leaves the
    /// body outside the signature). Off, as API Gateway.
    pub allow_unsigned_payload: bool,
    /// The edge listener's admission limit: requests being served at once (until each one's
    /// response head is ready). One more is answered 429 at once, before the pipeline runs.
    pub max_concurrent_requests: usize,
}

/// The default admission limit: far above what the 1,024 connections of the benchmark target
/// hold (HTTP/1.1: one request each), low enough that a flood is shed before it exhausts
/// memory or backend connections.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 10_000;

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            worker_threads: None,
            body_read_timeout: Duration::from_secs(10),
            allow_unsigned_payload: false,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}

/// One API and its stages.
#[derive(Debug, Clone)]
pub struct ApiDeployment {
    pub id: String,
    pub openapi_file: PathBuf,
    pub api: restapi::Api,
    /// The compiled `x-amazon-apigateway-policy`, named after the API.
    pub resource_policy: Option<iam::NamedPolicy>,
    pub stages: Vec<StageConfig>,
}

#[derive(Debug, Clone)]
pub struct StageConfig {
    pub name: String,
    pub variables: BTreeMap<String, String>,
    pub access_log: Option<AccessLogConfig>,
    pub method_settings: Vec<MethodSetting>,
    /// The response cache, when enabled.
    pub cache_cluster: Option<CacheCluster>,
    /// The stage's `unauthorized_cache_control_header_strategy` (method settings may override).
    pub unauthorized_cache_control: Option<CacheControlStrategy>,
}

impl StageConfig {
    /// The settings of one method: each from the most specific matching `method_settings` entry
    /// that sets it (exact resource and method beat `*`), else the stage's, else API Gateway's
    /// default. Resolved per setting, so `/pets/GET: {caching_enabled: true}` keeps the
    /// throttle of `*/*`.
    pub fn method(&self, resource: &str, verb: Verb) -> ResolvedMethodSettings {
        let mut matching: Vec<&MethodSetting> = self
            .method_settings
            .iter()
            .filter(|s| s.matches(resource, verb))
            .collect();
        matching.sort_by_key(|s| std::cmp::Reverse((s.resource.is_some(), s.verb.is_some())));
        fn first<T: Copy>(
            m: &[&MethodSetting],
            f: impl Fn(&MethodSetting) -> Option<T>,
        ) -> Option<T> {
            m.iter().find_map(|s| f(s))
        }
        ResolvedMethodSettings {
            logging_level: first(&matching, |s| s.logging_level).unwrap_or(LoggingLevel::Off),
            throttle: first(&matching, |s| s.throttle),
            // GET is cached when `*/*` enables caching; other methods only when their own
            // entry does, as API Gateway's console and docs describe.
            caching_enabled: self.cache_cluster.is_some()
                && first(&matching, |s| {
                    (verb == Verb::Get || s.verb.is_some())
                        .then_some(s.caching_enabled)
                        .flatten()
                })
                .unwrap_or(false),
            cache_ttl: first(&matching, |s| s.cache_ttl).unwrap_or(DEFAULT_CACHE_TTL),
            require_authorization_for_cache_control: first(&matching, |s| {
                s.require_authorization_for_cache_control
            })
            .unwrap_or(true),
            unauthorized_cache_control: first(&matching, |s| s.unauthorized_cache_control)
                .or(self.unauthorized_cache_control)
                .unwrap_or_default(),
        }
    }

    /// The execution-log level for a method (see [`StageConfig::method`]).
    pub fn logging_level(&self, resource: &str, verb: Verb) -> LoggingLevel {
        self.method(resource, verb).logging_level
    }
}

#[derive(Debug, Clone)]
pub struct AccessLogConfig {
    pub destination: LogDestination,
    pub format: Template,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDestination {
    Stdout,
    Stderr,
    File(PathBuf),
}

/// One `method_settings` entry. `None` resource or verb means `*`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MethodSetting {
    pub resource: Option<String>,
    pub verb: Option<Verb>,
    pub logging_level: Option<LoggingLevel>,
    /// `throttling_rate_limit` and `throttling_burst_limit`, set together.
    pub throttle: Option<Throttle>,
    pub caching_enabled: Option<bool>,
    pub cache_ttl: Option<Duration>,
    /// Accepted as API Gateway does; cached responses are held in memory only.
    pub cache_data_encrypted: Option<bool>,
    pub require_authorization_for_cache_control: Option<bool>,
    pub unauthorized_cache_control: Option<CacheControlStrategy>,
}

impl MethodSetting {
    fn matches(&self, resource: &str, verb: Verb) -> bool {
        self.resource.as_deref().is_none_or(|r| r == resource)
            && self.verb.is_none_or(|v| v == verb)
    }
}

/// API Gateway's execution logging levels, written as AWS writes them (`OFF`, `ERROR`, `INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
pub enum LoggingLevel {
    #[serde(rename = "OFF", alias = "off")]
    Off,
    #[serde(rename = "ERROR", alias = "error")]
    Error,
    #[serde(rename = "INFO", alias = "info")]
    Info,
}
