//! API Gateway's `UsagePlan` JSON shape, as the admin API takes it and storage keeps it:
//!
//! ```json
//! {"name": "Basic", "description": "…",
//!  "apiStages": [{"apiId": "petstore01", "stage": "prod",
//!                 "throttle": {"/pets/GET": {"rateLimit": 5, "burstLimit": 5}}}],
//!  "throttle": {"rateLimit": 10, "burstLimit": 20},
//!  "quota": {"limit": 1000, "period": "DAY", "offset": 0}}
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use counters::{BucketSpec, QuotaSpec};
use restapi::Verb;
use serde::{Deserialize, Serialize};

use super::index::{PlanRuntime, PlanStageRuntime, period};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub api_stages: Vec<ApiStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<ThrottleSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaSettings>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiStage {
    pub api_id: String,
    pub stage: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub throttle: BTreeMap<String, ThrottleSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThrottleSettings {
    pub burst_limit: u64,
    pub rate_limit: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuotaSettings {
    pub limit: u64,
    #[serde(default)]
    pub offset: u64,
    pub period: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanDefinitionError {
    #[error("invalid usage plan: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("invalid usage plan: {0}")]
    Value(String),
}

/// Parses and checks a definition (not against the deployment: see [`PlanDefinition::check`]).
pub fn parse(value: &serde_json::Value) -> Result<PlanDefinition, PlanDefinitionError> {
    let def: PlanDefinition = serde_json::from_value(value.clone())?;
    let bad_rate = |t: &ThrottleSettings| !t.rate_limit.is_finite() || t.rate_limit < 0.0;
    if def.throttle.as_ref().is_some_and(bad_rate)
        || def
            .api_stages
            .iter()
            .any(|s| s.throttle.values().any(bad_rate))
    {
        return Err(PlanDefinitionError::Value(
            "a rate limit is a number of requests per second of at least 0".into(),
        ));
    }
    if let Some(q) = &def.quota {
        if config::QuotaPeriod::parse(&q.period).is_none() {
            return Err(PlanDefinitionError::Value(format!(
                "{:?} is not a quota period: use DAY, WEEK or MONTH",
                q.period
            )));
        }
        if q.offset > 0 && q.offset >= q.limit {
            return Err(PlanDefinitionError::Value(
                "the quota offset must be smaller than its limit".into(),
            ));
        }
    }
    for stage in &def.api_stages {
        for key in stage.throttle.keys() {
            if method_key(key).is_none() {
                return Err(PlanDefinitionError::Value(format!(
                    "a per-method throttle is keyed \"/resource/METHOD\", got {key:?}"
                )));
            }
        }
    }
    Ok(def)
}

/// `/pets/GET` → (`/pets`, GET).
pub fn method_key(key: &str) -> Option<(String, Verb)> {
    let (resource, method) = key.rsplit_once('/')?;
    let resource = if resource.is_empty() { "/" } else { resource };
    Some((resource.to_string(), Verb::parse(method)?))
}

fn bucket(t: ThrottleSettings) -> BucketSpec {
    BucketSpec {
        rate_per_sec: t.rate_limit,
        burst: t.burst_limit,
    }
}

impl PlanDefinition {
    /// Compiles a parsed definition; `created` is when its quota's offset applies.
    pub fn compile(&self, id: &str, created: SystemTime) -> PlanRuntime {
        let stages = self
            .api_stages
            .iter()
            .map(|s| {
                let methods = s
                    .throttle
                    .iter()
                    .filter_map(|(k, t)| Some((method_key(k)?, bucket(*t))));
                (
                    (s.api_id.clone(), s.stage.clone()),
                    PlanStageRuntime::new(methods),
                )
            })
            .collect();
        PlanRuntime {
            id: Arc::from(id),
            name: self.name.clone(),
            stages,
            throttle: self.throttle.map(bucket),
            quota: self.quota.as_ref().and_then(|q| {
                Some(QuotaSpec {
                    limit: q.limit,
                    period: period(config::QuotaPeriod::parse(&q.period)?),
                    offset: q.offset,
                    starts: created,
                })
            }),
            from_config: false,
        }
    }

    /// The definition of a plan declared in the configuration file, for the admin API to show.
    pub fn of_config(plan: &config::UsagePlanConfig) -> PlanDefinition {
        let throttle = |t: config::Throttle| ThrottleSettings {
            burst_limit: t.burst_limit,
            rate_limit: t.rate_limit,
        };
        PlanDefinition {
            name: plan.name.clone(),
            description: plan.description.clone(),
            api_stages: plan
                .api_stages
                .iter()
                .map(|s| ApiStage {
                    api_id: s.api.clone(),
                    stage: s.stage.clone(),
                    throttle: s
                        .throttle
                        .iter()
                        .map(|((r, v), t)| (format!("{r}/{v}"), throttle(*t)))
                        .collect(),
                })
                .collect(),
            throttle: plan.throttle.map(throttle),
            quota: plan.quota.map(|q| QuotaSettings {
                limit: q.limit,
                offset: q.offset,
                period: q.period.as_str().to_string(),
            }),
        }
    }

    /// Checks the plan against a deployment: every API stage and method must exist, or the
    /// plan would silently meter nothing.
    pub fn check(&self, deployment: &crate::Deployment) -> Result<(), PlanDefinitionError> {
        for s in &self.api_stages {
            let api = deployment.api(&s.api_id).ok_or_else(|| {
                PlanDefinitionError::Value(format!("no API has the id {:?}", s.api_id))
            })?;
            if api.stage(&s.stage).is_none() {
                return Err(PlanDefinitionError::Value(format!(
                    "API {:?} has no stage {:?}",
                    s.api_id, s.stage
                )));
            }
            for key in s.throttle.keys() {
                let exists = method_key(key).is_some_and(|(r, v)| {
                    api.api
                        .resources
                        .iter()
                        .any(|res| res.path == r && res.method(v).is_some())
                });
                if !exists {
                    return Err(PlanDefinitionError::Value(format!(
                        "API {:?} has no method {key:?}",
                        s.api_id
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(serde_json::Value::from),
            "[a-zA-Z/{}_*]{0,8}".prop_map(serde_json::Value::from),
        ];
        let keys = prop_oneof![
            Just("name".to_string()),
            Just("apiStages".to_string()),
            Just("apiId".to_string()),
            Just("stage".to_string()),
            Just("throttle".to_string()),
            Just("quota".to_string()),
            Just("limit".to_string()),
            Just("offset".to_string()),
            Just("period".to_string()),
            Just("rateLimit".to_string()),
            Just("burstLimit".to_string()),
            Just("/pets/GET".to_string()),
        ];
        leaf.prop_recursive(4, 32, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map(keys.clone(), inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON is a plan or an error; what parses compiles and round-trips.
        #[test]
        fn any_json_parses_or_is_refused(value in json()) {
            if let Ok(def) = parse(&value) {
                let plan = def.compile("p", SystemTime::UNIX_EPOCH);
                prop_assert_eq!(plan.stages.len() <= def.api_stages.len(), true);
                let again = serde_json::to_value(&def).unwrap();
                prop_assert_eq!(parse(&again).unwrap(), def);
            }
        }
    }

    #[test]
    fn parses_api_gateway_shape_and_refuses_mistakes() {
        let ok = serde_json::json!({"name": "Basic", "apiStages": [{"apiId": "a", "stage": "prod"}],
            "quota": {"limit": 10, "period": "MONTH"}});
        assert_eq!(parse(&ok).unwrap().quota.unwrap().offset, 0);
        for bad in [
            serde_json::json!({"name": "x", "quota": {"limit": 10, "period": "HOUR"}}),
            serde_json::json!({"name": "x", "quota": {"limit": 10, "period": "DAY", "offset": 10}}),
            serde_json::json!({"name": "x", "throttle": {"rateLimit": -1.0, "burstLimit": 1}}),
            serde_json::json!({"name": "x", "apiStages": [{"apiId": "a", "stage": "s",
                "throttle": {"pets": {"rateLimit": 1.0, "burstLimit": 1}}}]}),
            serde_json::json!({"name": "x", "unknown": 1}),
            serde_json::json!({"description": "no name"}),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }
}
