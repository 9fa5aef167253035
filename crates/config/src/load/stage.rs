//! Stage settings: variables, the access log and method settings.

use std::collections::BTreeMap;
use std::time::Duration;

use restapi::{Template, UriPart, Verb};
use serde_json::Value;

use super::Loader;
use crate::file::{MethodSettingEntry, StageEntry};
use crate::{
    AccessLogConfig, CacheCluster, CacheControlStrategy, DEFAULT_ACCESS_LOG_FORMAT, LogDestination,
    MAX_CACHE_TTL_SECONDS, MethodSetting, StageConfig,
};

/// The cache capacity when `cache_cluster` names none (API Gateway's smallest cluster is 0.5 GB;
/// a local gateway rarely needs that much).
const DEFAULT_CACHE_SIZE_MB: u64 = 128;

impl Loader {
    pub(super) fn stage(
        &mut self,
        name: &str,
        value: &Value,
        pointer: &str,
        api: Option<&restapi::Api>,
    ) -> Option<StageConfig> {
        let entry = self.stage_entry(value, pointer)?;
        for (var, val) in &entry.variables {
            let p = format!("{pointer}/variables/{}", restapi::import::escape(var));
            if !is_stage_variable_name(var) {
                self.error(&p, format!("stage variable name {var:?} may contain only letters, digits and underscores"));
            }
            if !is_stage_variable_value(val) {
                self.error(
                    &p,
                    format!("stage variable value {val:?} has characters API Gateway does not allow (letters, digits and -._~:/?#&=, only)"),
                );
            }
        }
        if let Some(api) = api {
            self.check_stage_variables_used(api, name, &entry.variables, pointer);
        }
        let access_log = entry
            .access_log
            .and_then(|log| self.access_log(log, &format!("{pointer}/access_log")));
        let cache_cluster = entry.cache_cluster.as_ref().and_then(|c| {
            c.enabled.then(|| CacheCluster {
                size_mb: c.size_mb.unwrap_or(DEFAULT_CACHE_SIZE_MB),
            })
        });
        if cache_cluster.is_some_and(|c| c.size_mb == 0) {
            self.error(
                &format!("{pointer}/cache_cluster/size_mb"),
                "a cache cluster needs a size of at least 1 MB",
            );
        }
        let mut method_settings = Vec::new();
        for (key, setting) in &entry.method_settings {
            let p = format!("{pointer}/method_settings/{}", restapi::import::escape(key));
            let Some(setting): Option<MethodSettingEntry> = self.typed(setting, &p) else {
                continue;
            };
            if cache_cluster.is_none() && setting.caching_enabled == Some(true) {
                self.error(
                    &format!("{p}/caching_enabled"),
                    "caching is enabled for this method but the stage has no cache: add cache_cluster: {enabled: true} to the stage",
                );
            }
            if let Some(s) = self.method_setting(key, setting, api, &p) {
                method_settings.push(s);
            }
        }
        let unauthorized_cache_control = self.cache_control_strategy(
            entry.unauthorized_cache_control_header_strategy.as_deref(),
            pointer,
        );
        Some(StageConfig {
            name: name.to_string(),
            variables: entry.variables,
            access_log,
            method_settings,
            cache_cluster,
            unauthorized_cache_control,
        })
    }

    /// Reads a stage field by field, so that a mistake in one setting does not hide the others.
    fn stage_entry(&mut self, value: &Value, pointer: &str) -> Option<StageEntry> {
        let mut entry = StageEntry::default();
        let map = match value {
            Value::Null => return Some(entry),
            Value::Object(map) => map,
            _ => {
                self.error(pointer, "a stage must be a mapping of settings");
                return None;
            }
        };
        for (key, v) in map {
            let p = format!("{pointer}/{}", restapi::import::escape(key));
            match key.as_str() {
                "variables" => entry.variables = self.typed(v, &p).unwrap_or_default(),
                "access_log" => entry.access_log = self.typed(v, &p),
                "method_settings" => entry.method_settings = self.typed(v, &p).unwrap_or_default(),
                "cache_cluster" => entry.cache_cluster = self.typed(v, &p),
                "unauthorized_cache_control_header_strategy" => {
                    entry.unauthorized_cache_control_header_strategy = self.typed(v, &p);
                }
                other => self.error(
                    &p,
                    format!("unknown stage setting {other:?}; known settings are variables, access_log, method_settings, cache_cluster, unauthorized_cache_control_header_strategy"),
                ),
            }
        }
        Some(entry)
    }

    /// A stage variable an integration URI uses but the stage does not define would produce a
    /// broken backend URL on every request: refuse it now.
    fn check_stage_variables_used(
        &mut self,
        api: &restapi::Api,
        stage: &str,
        variables: &BTreeMap<String, String>,
        pointer: &str,
    ) {
        for resource in &api.resources {
            for method in &resource.methods {
                let Some(uri) = &method.integration.uri else {
                    continue;
                };
                for part in &uri.parts {
                    if let UriPart::StageVariable(v) = part
                        && !variables.contains_key(v)
                    {
                        self.error(
                            pointer,
                            format!(
                                "stage {stage:?} does not define the stage variable {v:?} that {} {} uses in its integration URI",
                                method.verb, resource.path
                            ),
                        );
                    }
                }
            }
        }
    }

    fn access_log(
        &mut self,
        log: crate::file::AccessLogEntry,
        pointer: &str,
    ) -> Option<AccessLogConfig> {
        let destination = match log.destination.as_str() {
            "stdout" => LogDestination::Stdout,
            "stderr" => LogDestination::Stderr,
            "" => {
                self.error(
                    &format!("{pointer}/destination"),
                    "destination must be stdout, stderr or a file path",
                );
                return None;
            }
            path => LogDestination::File(self.path(path)),
        };
        let source = log.format.as_deref().unwrap_or(DEFAULT_ACCESS_LOG_FORMAT);
        if !source.contains("$context.requestId") && !source.contains("${context.requestId}") {
            // API Gateway refuses such formats too: without the request id, log lines cannot be
            // correlated with anything.
            self.error(
                &format!("{pointer}/format"),
                "the access log format must include $context.requestId",
            );
        }
        match Template::parse(source) {
            Ok(format) => Some(AccessLogConfig {
                destination,
                format,
            }),
            Err(e) => {
                self.error(&format!("{pointer}/format"), e.to_string());
                None
            }
        }
    }

    /// `unauthorized_cache_control_header_strategy` of the stage or method setting at `pointer`.
    fn cache_control_strategy(
        &mut self,
        value: Option<&str>,
        pointer: &str,
    ) -> Option<CacheControlStrategy> {
        let s = value?;
        let parsed = CacheControlStrategy::parse(s);
        if parsed.is_none() {
            self.error(
                &format!("{pointer}/unauthorized_cache_control_header_strategy"),
                format!("{s:?} is not a strategy: use FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER or SUCCEED_WITHOUT_RESPONSE_HEADER"),
            );
        }
        parsed
    }

    fn method_setting(
        &mut self,
        key: &str,
        entry: MethodSettingEntry,
        api: Option<&restapi::Api>,
        pointer: &str,
    ) -> Option<MethodSetting> {
        let Some((resource, method)) = key.rsplit_once('/') else {
            self.error(
                pointer,
                format!(
                    "method settings are keyed \"resourcePath/METHOD\" or \"*/*\", got {key:?}"
                ),
            );
            return None;
        };
        let resource = match resource {
            "*" => None,
            r => Some(r.replace("~1", "/")),
        };
        let verb = match method {
            "*" => None,
            m => match Verb::parse(m) {
                Some(v) => Some(v),
                None => {
                    self.error(pointer, format!("unknown HTTP method {m:?}"));
                    return None;
                }
            },
        };
        if let (Some(api), Some(r)) = (api, resource.as_deref()) {
            match api.resources.iter().find(|res| res.path == r) {
                None => {
                    self.error(pointer, format!("the API has no resource {r:?}"));
                    return None;
                }
                Some(res) => {
                    if let Some(v) = verb
                        && res.method(v).is_none()
                    {
                        self.error(pointer, format!("resource {r:?} has no {v} method"));
                        return None;
                    }
                }
            }
        }
        let throttle = match (entry.throttling_rate_limit, entry.throttling_burst_limit) {
            (None, None) => None,
            (Some(rate), Some(burst)) => self.throttle(rate, burst, pointer),
            _ => {
                self.error(
                    pointer,
                    "set throttling_rate_limit and throttling_burst_limit together",
                );
                None
            }
        };
        let cache_ttl = entry.cache_ttl_in_seconds.and_then(|ttl| {
            if ttl > MAX_CACHE_TTL_SECONDS {
                self.error(
                    &format!("{pointer}/cache_ttl_in_seconds"),
                    format!("the cache TTL is at most {MAX_CACHE_TTL_SECONDS} seconds, got {ttl}"),
                );
                return None;
            }
            Some(Duration::from_secs(ttl))
        });
        let unauthorized_cache_control = self.cache_control_strategy(
            entry.unauthorized_cache_control_header_strategy.as_deref(),
            pointer,
        );
        Some(MethodSetting {
            resource,
            verb,
            logging_level: entry.logging_level,
            throttle,
            caching_enabled: entry.caching_enabled,
            cache_ttl,
            cache_data_encrypted: entry.cache_data_encrypted,
            require_authorization_for_cache_control: entry.require_authorization_for_cache_control,
            unauthorized_cache_control,
        })
    }
}

pub(super) fn is_stage_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_stage_variable_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn is_stage_variable_value(s: &str) -> bool {
    s.len() <= 512
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#&=,".contains(&b))
}
