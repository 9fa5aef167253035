//! API keys, usage plans and throttling settings, as loaded: the `account_throttle`, `api_keys`
//! and `usage_plans` sections, and the stage's cache settings. Docs: `docs/configuration.md`.

use std::collections::BTreeMap;
use std::time::Duration;

use restapi::Verb;

/// A token bucket as API Gateway writes it: `rateLimit` requests per second in steady state,
/// `burstLimit` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub rate_limit: f64,
    pub burst_limit: u64,
}

/// API Gateway's default account-level throttle per region.
pub const DEFAULT_ACCOUNT_THROTTLE: Throttle = Throttle {
    rate_limit: 10_000.0,
    burst_limit: 5_000,
};

/// One API key declared in the configuration file.
#[derive(Debug, Clone)]
pub struct ApiKeyConfig {
    pub id: String,
    pub name: String,
    /// At least 20 characters, as API Gateway requires of imported keys.
    pub value: iam::Secret,
    pub enabled: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

impl QuotaPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaPeriod::Day => "DAY",
            QuotaPeriod::Week => "WEEK",
            QuotaPeriod::Month => "MONTH",
        }
    }

    pub fn parse(s: &str) -> Option<QuotaPeriod> {
        [QuotaPeriod::Day, QuotaPeriod::Week, QuotaPeriod::Month]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }
}

/// A usage plan's quota: `limit` requests per `period`, `offset` of them already used in the
/// first period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub period: QuotaPeriod,
    pub offset: u64,
}

/// One API stage of a usage plan, with per-method throttle overrides keyed by
/// (resource path, verb).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStage {
    pub api: String,
    pub stage: String,
    pub throttle: BTreeMap<(String, Verb), Throttle>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlanConfig {
    /// The plan's id: `id:` if given, else its name.
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub api_stages: Vec<PlanStage>,
    pub throttle: Option<Throttle>,
    pub quota: Option<Quota>,
    /// Ids of the API keys in the plan.
    pub keys: Vec<String>,
}

/// The stage's response cache (`cache_cluster`), present only when enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheCluster {
    /// Capacity in megabytes: responses are evicted (least likely to be reused first) past it.
    pub size_mb: u64,
}

/// `unauthorizedCacheControlHeaderStrategy`: what a `Cache-Control: max-age=0` request from a
/// caller not allowed `execute-api:InvalidateCache` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheControlStrategy {
    /// 403, and the entry stays.
    #[default]
    FailWith403,
    /// The cached answer, with a header saying the invalidation was ignored.
    SucceedWithResponseHeader,
    /// The cached answer.
    SucceedWithoutResponseHeader,
}

impl CacheControlStrategy {
    pub fn parse(s: &str) -> Option<CacheControlStrategy> {
        match s.to_ascii_uppercase().as_str() {
            "FAIL_WITH_403" => Some(CacheControlStrategy::FailWith403),
            "SUCCEED_WITH_RESPONSE_HEADER" => Some(CacheControlStrategy::SucceedWithResponseHeader),
            "SUCCEED_WITHOUT_RESPONSE_HEADER" => {
                Some(CacheControlStrategy::SucceedWithoutResponseHeader)
            }
            _ => None,
        }
    }
}

/// The settings that apply to one method of a stage, each resolved from the most specific
/// `method_settings` entry that sets it (`/pets/GET`, then `*/*`), then the stage, then
/// API Gateway's default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedMethodSettings {
    pub logging_level: crate::LoggingLevel,
    /// `None`: no stage or method throttle (the account's still applies).
    pub throttle: Option<Throttle>,
    /// Whether responses of this method are cached (the stage must have a cache cluster).
    pub caching_enabled: bool,
    pub cache_ttl: Duration,
    pub require_authorization_for_cache_control: bool,
    pub unauthorized_cache_control: CacheControlStrategy,
}

/// API Gateway's default cache TTL, and its maximum.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);
pub const MAX_CACHE_TTL_SECONDS: u64 = 3600;
