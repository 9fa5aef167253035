//! The configuration file's shape, as serde reads it. Every struct denies unknown keys: a typo in a
//! security setting must be an error, not a default.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiEntry {
    pub id: String,
    pub openapi: String,
    #[serde(default)]
    pub stages: BTreeMap<String, serde_json::Value>,
}

/// A stage, read field by field (see `Loader::stage_entry`); method settings stay raw until each
/// entry is read on its own.
#[derive(Debug, Default)]
pub(crate) struct StageEntry {
    pub variables: BTreeMap<String, String>,
    pub access_log: Option<AccessLogEntry>,
    pub method_settings: BTreeMap<String, serde_json::Value>,
    pub cache_cluster: Option<CacheClusterEntry>,
    pub unauthorized_cache_control_header_strategy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CacheClusterEntry {
    pub enabled: bool,
    pub size_mb: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessLogEntry {
    pub destination: String,
    pub format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MethodSettingEntry {
    pub logging_level: Option<crate::LoggingLevel>,
    pub throttling_rate_limit: Option<f64>,
    pub throttling_burst_limit: Option<u64>,
    pub caching_enabled: Option<bool>,
    pub cache_ttl_in_seconds: Option<u64>,
    pub cache_data_encrypted: Option<bool>,
    pub require_authorization_for_cache_control: Option<bool>,
    pub unauthorized_cache_control_header_strategy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThrottleEntry {
    pub rate_limit: f64,
    pub burst_limit: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiKeyEntry {
    pub id: String,
    pub name: String,
    pub value: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsagePlanEntry {
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub api_stages: Vec<PlanStageEntry>,
    pub throttle: Option<ThrottleEntry>,
    pub quota: Option<QuotaEntry>,
    #[serde(default)]
    pub keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanStageEntry {
    pub api: String,
    pub stage: String,
    #[serde(default)]
    pub throttle: BTreeMap<String, ThrottleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuotaEntry {
    pub limit: u64,
    pub period: String,
    #[serde(default)]
    pub offset: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsEntry {
    pub cert_file: String,
    pub key_file: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerEntry {
    #[serde(default, deserialize_with = "duration_opt")]
    pub header_read_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration_opt")]
    pub idle_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration_opt")]
    pub shutdown_grace: Option<Duration>,
    pub worker_threads: Option<usize>,
    #[serde(default, deserialize_with = "duration_opt")]
    pub body_read_timeout: Option<Duration>,
    pub allow_unsigned_payload: Option<bool>,
    pub max_concurrent_requests: Option<usize>,
}

fn duration_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `500ms`, `10s`, `2m`, `1h`, `30d`: the forms people write in config files.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {s:?}; write e.g. 500ms, 10s or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        "d" => Ok(Duration::from_secs(n.saturating_mul(86_400))),
        _ => Err(format!(
            "invalid duration {s:?}; write e.g. 500ms, 10s or 2m"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        for bad in ["", "10", "s", "1w", "-1s", "1.5s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
