//! `account_throttle`, `api_keys` and `usage_plans`: checked against each other and against the
//! APIs, so that a plan naming a stage, method or key that does not exist is an error, not a
//! plan that silently meters nothing.

use std::collections::{BTreeMap, BTreeSet};

use restapi::Verb;
use serde_json::Value;

use super::Loader;
use crate::file::{ApiKeyEntry, ThrottleEntry, UsagePlanEntry};
use crate::{
    ApiDeployment, ApiKeyConfig, DEFAULT_ACCOUNT_THROTTLE, PlanStage, Quota, QuotaPeriod, Throttle,
    UsagePlanConfig,
};

/// API Gateway's minimum length of an imported key value.
pub(crate) const MIN_KEY_LENGTH: usize = 20;
/// And its maximum.
pub(crate) const MAX_KEY_LENGTH: usize = 128;

impl Loader {
    pub(crate) fn throttle(&mut self, rate: f64, burst: u64, pointer: &str) -> Option<Throttle> {
        if !rate.is_finite() || rate < 0.0 {
            self.error(pointer, format!("the rate limit must be a number of requests per second of at least 0, got {rate}"));
            return None;
        }
        Some(Throttle {
            rate_limit: rate,
            burst_limit: burst,
        })
    }

    fn throttle_entry(&mut self, value: &Value, pointer: &str) -> Option<Throttle> {
        let entry: ThrottleEntry = self.typed(value, pointer)?;
        self.throttle(entry.rate_limit, entry.burst_limit, pointer)
    }

    pub(super) fn account_throttle(&mut self, root: &serde_json::Map<String, Value>) -> Throttle {
        match root.get("account_throttle") {
            None => DEFAULT_ACCOUNT_THROTTLE,
            Some(v) => self
                .throttle_entry(v, "/account_throttle")
                .unwrap_or(DEFAULT_ACCOUNT_THROTTLE),
        }
    }

    pub(super) fn api_keys(&mut self, root: &serde_json::Map<String, Value>) -> Vec<ApiKeyConfig> {
        let Some(value) = root.get("api_keys") else {
            return Vec::new();
        };
        let Some(entries): Option<Vec<Value>> = self.typed(value, "/api_keys") else {
            return Vec::new();
        };
        let mut out: Vec<ApiKeyConfig> = Vec::new();
        for (i, item) in entries.iter().enumerate() {
            let pointer = format!("/api_keys/{i}");
            let Some(entry): Option<ApiKeyEntry> = self.typed(item, &pointer) else {
                continue;
            };
            if !is_key_id(&entry.id) {
                self.error(
                    &format!("{pointer}/id"),
                    format!("{:?} is not a valid API key id: use 1-64 letters, digits, hyphens and underscores", entry.id),
                );
            }
            // The value is never echoed: it is a credential.
            let len = entry.value.chars().count();
            if !(MIN_KEY_LENGTH..=MAX_KEY_LENGTH).contains(&len)
                || !entry.value.chars().all(|c| c.is_ascii_graphic())
            {
                self.error(
                    &format!("{pointer}/value"),
                    format!("an API key value is {MIN_KEY_LENGTH} to {MAX_KEY_LENGTH} printable ASCII characters without spaces (this one has {len})"),
                );
            }
            if out.iter().any(|k| k.id == entry.id) {
                self.error(
                    &format!("{pointer}/id"),
                    format!("duplicate API key id {:?}", entry.id),
                );
            }
            if out.iter().any(|k| k.value.expose() == entry.value) {
                self.error(
                    &format!("{pointer}/value"),
                    format!("API key {:?} has the same value as another key", entry.id),
                );
            }
            out.push(ApiKeyConfig {
                id: entry.id,
                name: entry.name,
                value: iam::Secret::new(entry.value),
                enabled: entry.enabled,
                description: entry.description,
            });
        }
        out
    }

    pub(super) fn usage_plans(
        &mut self,
        root: &serde_json::Map<String, Value>,
        apis: &[ApiDeployment],
        keys: &[ApiKeyConfig],
    ) -> Vec<UsagePlanConfig> {
        let Some(value) = root.get("usage_plans") else {
            return Vec::new();
        };
        let Some(entries): Option<Vec<Value>> = self.typed(value, "/usage_plans") else {
            return Vec::new();
        };
        let mut out: Vec<UsagePlanConfig> = Vec::new();
        // (key, api, stage) → the plan already metering it: API Gateway refuses a key in two
        // plans that share a stage, since it could not tell which plan a request counts against.
        let mut metered: BTreeMap<(String, String, String), String> = BTreeMap::new();
        for (i, item) in entries.iter().enumerate() {
            let pointer = format!("/usage_plans/{i}");
            let Some(entry): Option<UsagePlanEntry> = self.typed(item, &pointer) else {
                continue;
            };
            let id = entry.id.clone().unwrap_or_else(|| entry.name.clone());
            if !is_key_id(&id) {
                self.error(
                    &pointer,
                    format!("{id:?} is not a valid usage plan id: use 1-64 letters, digits, hyphens and underscores (set id: when the name has others)"),
                );
            }
            if out.iter().any(|p| p.id == id) {
                self.error(&pointer, format!("duplicate usage plan id {id:?}"));
            }
            let throttle = entry.throttle.as_ref().and_then(|t| {
                self.throttle(t.rate_limit, t.burst_limit, &format!("{pointer}/throttle"))
            });
            let quota = entry.quota.as_ref().and_then(|q| {
                let p = format!("{pointer}/quota");
                let Some(period) = QuotaPeriod::parse(&q.period) else {
                    self.error(
                        &format!("{p}/period"),
                        format!(
                            "{:?} is not a quota period: use DAY, WEEK or MONTH",
                            q.period
                        ),
                    );
                    return None;
                };
                if q.offset > 0 && q.offset >= q.limit {
                    self.error(
                        &format!("{p}/offset"),
                        "the offset must be smaller than the limit",
                    );
                }
                Some(Quota {
                    limit: q.limit,
                    period,
                    offset: q.offset,
                })
            });
            let mut api_stages = Vec::new();
            let mut seen_stages = BTreeSet::new();
            for (j, s) in entry.api_stages.iter().enumerate() {
                let p = format!("{pointer}/api_stages/{j}");
                if !seen_stages.insert((s.api.clone(), s.stage.clone())) {
                    self.error(&p, format!("the plan lists {}/{} twice", s.api, s.stage));
                }
                let Some(api) = apis.iter().find(|a| a.id == s.api) else {
                    self.error(
                        &format!("{p}/api"),
                        format!("no API has the id {:?}", s.api),
                    );
                    continue;
                };
                if !api.stages.iter().any(|st| st.name == s.stage) {
                    self.error(
                        &format!("{p}/stage"),
                        format!("API {:?} has no stage {:?}", s.api, s.stage),
                    );
                }
                let mut overrides = BTreeMap::new();
                for (key, t) in &s.throttle {
                    let tp = format!("{p}/throttle/{}", restapi::import::escape(key));
                    let Some(target) = self.plan_method(key, api, &tp) else {
                        continue;
                    };
                    if let Some(t) = self.throttle(t.rate_limit, t.burst_limit, &tp) {
                        overrides.insert(target, t);
                    }
                }
                api_stages.push(PlanStage {
                    api: s.api.clone(),
                    stage: s.stage.clone(),
                    throttle: overrides,
                });
            }
            for (j, key) in entry.keys.iter().enumerate() {
                let p = format!("{pointer}/keys/{j}");
                if !keys.iter().any(|k| &k.id == key) {
                    self.error(&p, format!("no API key has the id {key:?}"));
                    continue;
                }
                for s in &api_stages {
                    let slot = (key.clone(), s.api.clone(), s.stage.clone());
                    if let Some(other) = metered.insert(slot, id.clone())
                        && other != id
                    {
                        self.error(
                            &p,
                            format!("API key {key:?} is already in usage plan {other:?}, which also covers {}/{}", s.api, s.stage),
                        );
                    }
                }
            }
            out.push(UsagePlanConfig {
                id,
                name: entry.name,
                description: entry.description,
                api_stages,
                throttle,
                quota,
                keys: entry.keys,
            });
        }
        out
    }

    /// A plan's per-method key, `/resource/METHOD` as API Gateway writes it.
    fn plan_method(
        &mut self,
        key: &str,
        api: &ApiDeployment,
        pointer: &str,
    ) -> Option<(String, Verb)> {
        let parsed = key.rsplit_once('/').and_then(|(resource, method)| {
            let resource = if resource.is_empty() { "/" } else { resource };
            Some((resource.to_string(), Verb::parse(method)?))
        });
        let Some((resource, verb)) = parsed else {
            self.error(
                pointer,
                format!("a per-method throttle is keyed \"/resource/METHOD\", got {key:?}"),
            );
            return None;
        };
        let exists = api
            .api
            .resources
            .iter()
            .any(|r| r.path == resource && r.method(verb).is_some());
        if !exists {
            self.error(
                pointer,
                format!("API {:?} has no method {verb} {resource}", api.id),
            );
            return None;
        }
        Some((resource, verb))
    }
}

fn is_key_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
