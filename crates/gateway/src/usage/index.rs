//! The key index: keys by digest, plans by key.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use config::{Config, QuotaPeriod, Throttle};
use counters::{BucketSpec, Period, QuotaSpec};
use restapi::Verb;
use store::{StoredApiKey, StoredUsagePlan};

use super::{key_digest, plan_json};

/// One API key, without its value.
#[derive(Debug)]
pub struct KeyRecord {
    pub id: Arc<str>,
    pub name: String,
    pub enabled: bool,
    /// Declared in the configuration file (read-only through the admin API).
    pub from_config: bool,
}

/// One usage plan, compiled for the request path.
#[derive(Debug)]
pub struct PlanRuntime {
    pub id: Arc<str>,
    pub name: String,
    /// Keyed by (API id, stage name).
    pub stages: HashMap<(String, String), PlanStageRuntime>,
    /// Per key, across the plan's stages.
    pub throttle: Option<BucketSpec>,
    pub quota: Option<QuotaSpec>,
    pub from_config: bool,
}

/// A plan's settings for one API stage: per-method throttles that replace the plan's own for
/// that method.
#[derive(Debug, Default)]
pub struct PlanStageRuntime {
    /// By resource path, then verb: the request path looks up with borrowed parts.
    methods: HashMap<String, HashMap<Verb, BucketSpec>>,
}

impl PlanStageRuntime {
    /// From (resource path, verb) pairs.
    pub fn new(methods: impl IntoIterator<Item = ((String, Verb), BucketSpec)>) -> Self {
        let mut by_path: HashMap<String, HashMap<Verb, BucketSpec>> = HashMap::new();
        for ((path, verb), spec) in methods {
            by_path.entry(path).or_default().insert(verb, spec);
        }
        PlanStageRuntime { methods: by_path }
    }

    /// The plan's own throttle for one method, if it sets one.
    pub fn method(&self, path: &str, verb: Verb) -> Option<BucketSpec> {
        self.methods.get(path)?.get(&verb).copied()
    }
}

impl PlanRuntime {
    pub fn stage(&self, api: &str, stage: &str) -> Option<&PlanStageRuntime> {
        // A lookup with borrowed parts would need a custom key type; plans have few stages.
        self.stages
            .iter()
            .find(|((a, s), _)| a == api && s == stage)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Default)]
pub struct KeyIndex {
    by_digest: HashMap<[u8; 32], Arc<KeyRecord>>,
    plans_by_key: HashMap<Arc<str>, Vec<Arc<PlanRuntime>>>,
    plans: Vec<Arc<PlanRuntime>>,
}

pub fn bucket(t: Throttle) -> BucketSpec {
    BucketSpec {
        rate_per_sec: t.rate_limit,
        burst: t.burst_limit,
    }
}

pub fn period(p: QuotaPeriod) -> Period {
    match p {
        QuotaPeriod::Day => Period::Day,
        QuotaPeriod::Week => Period::Week,
        QuotaPeriod::Month => Period::Month,
    }
}

impl KeyIndex {
    /// The keys and plans of the configuration file. `now` is when the plans take effect (what a
    /// quota's `offset` is counted from).
    pub fn from_config(config: &Config, now: SystemTime) -> KeyIndex {
        let mut index = KeyIndex::default();
        for key in &config.api_keys {
            index.by_digest.insert(
                key_digest(key.value.expose()),
                Arc::new(KeyRecord {
                    id: key.id.as_str().into(),
                    name: key.name.clone(),
                    enabled: key.enabled,
                    from_config: true,
                }),
            );
        }
        for plan in &config.usage_plans {
            let runtime = Arc::new(PlanRuntime {
                id: plan.id.as_str().into(),
                name: plan.name.clone(),
                stages: plan
                    .api_stages
                    .iter()
                    .map(|s| {
                        let methods = s.throttle.iter().map(|(m, t)| (m.clone(), bucket(*t)));
                        (
                            (s.api.clone(), s.stage.clone()),
                            PlanStageRuntime::new(methods),
                        )
                    })
                    .collect(),
                throttle: plan.throttle.map(bucket),
                quota: plan.quota.map(|q| QuotaSpec {
                    limit: q.limit,
                    period: period(q.period),
                    offset: q.offset,
                    starts: now,
                }),
                from_config: true,
            });
            index.add_plan(runtime, &plan.keys);
        }
        index
    }

    /// The keys and plans the admin API stored. A stored plan whose definition no longer parses
    /// (written by a newer version, say) is left out, with a warning: its keys then have no plan
    /// and are refused, which is the safe side.
    pub fn from_stored(keys: &[StoredApiKey], plans: &[StoredUsagePlan]) -> KeyIndex {
        let mut index = KeyIndex::default();
        for key in keys {
            index.by_digest.insert(
                key_digest(&key.value),
                Arc::new(KeyRecord {
                    id: key.id.as_str().into(),
                    name: key.name.clone(),
                    enabled: key.enabled,
                    from_config: false,
                }),
            );
        }
        for plan in plans {
            match plan_json::parse(&plan.definition) {
                Ok(def) => {
                    let runtime = Arc::new(def.compile(&plan.id, plan.created));
                    index.add_plan(runtime, &plan.keys);
                }
                Err(e) => tracing::warn!(plan = plan.id, "stored usage plan ignored: {e}"),
            }
        }
        index
    }

    fn add_plan(&mut self, plan: Arc<PlanRuntime>, keys: &[String]) {
        for key in keys {
            self.plans_by_key
                .entry(key.as_str().into())
                .or_default()
                .push(Arc::clone(&plan));
        }
        self.plans.push(plan);
    }

    pub fn key(&self, digest: &[u8; 32]) -> Option<&Arc<KeyRecord>> {
        self.by_digest.get(digest)
    }

    pub fn keys(&self) -> impl Iterator<Item = &Arc<KeyRecord>> {
        self.by_digest.values()
    }

    pub fn plans(&self) -> &[Arc<PlanRuntime>] {
        &self.plans
    }

    /// The plans `key_id` belongs to, in this index.
    pub fn plans_of(&self, key_id: &str) -> &[Arc<PlanRuntime>] {
        self.plans_by_key.get(key_id).map_or(&[], Vec::as_slice)
    }

    /// The plan of `key_id` covering the API stage, looking in both indexes.
    pub fn plan_for<'a>(
        indexes: [&'a KeyIndex; 2],
        key_id: &str,
        api: &str,
        stage: &str,
    ) -> Option<&'a Arc<PlanRuntime>> {
        indexes
            .into_iter()
            .flat_map(|i| i.plans_of(key_id))
            .find(|p| p.stage(api, stage).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_key(id: &str, value: &str, enabled: bool) -> StoredApiKey {
        StoredApiKey {
            id: id.into(),
            name: id.into(),
            value: value.into(),
            enabled,
            description: None,
            created: SystemTime::UNIX_EPOCH,
            last_updated: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn stored_keys_and_plans() {
        let plan = StoredUsagePlan {
            id: "p1".into(),
            definition: serde_json::json!({
                "name": "Gold",
                "apiStages": [{"apiId": "petstore01", "stage": "prod",
                               "throttle": {"/pets/GET": {"rateLimit": 2.0, "burstLimit": 3}}}],
                "throttle": {"rateLimit": 10.0, "burstLimit": 20},
                "quota": {"limit": 100, "period": "WEEK", "offset": 5}
            }),
            keys: vec!["k1".into()],
            created: SystemTime::UNIX_EPOCH,
        };
        let broken = StoredUsagePlan {
            id: "p2".into(),
            definition: serde_json::json!({"name": 7}),
            keys: vec!["k2".into()],
            created: SystemTime::UNIX_EPOCH,
        };
        let index = KeyIndex::from_stored(
            &[
                stored_key("k1", "value-one-0123456789", true),
                stored_key("k2", "value-two-0123456789", false),
            ],
            &[plan, broken],
        );
        let k1 = index.key(&key_digest("value-one-0123456789")).unwrap();
        assert!(k1.enabled && !k1.from_config);
        assert!(
            !index
                .key(&key_digest("value-two-0123456789"))
                .unwrap()
                .enabled
        );
        assert!(index.key(&key_digest("value-one-012345678")).is_none());
        let empty = KeyIndex::default();
        let plan = KeyIndex::plan_for([&empty, &index], "k1", "petstore01", "prod").unwrap();
        assert_eq!(&*plan.id, "p1");
        assert_eq!(plan.quota.unwrap().period, Period::Week);
        let stage = plan.stage("petstore01", "prod").unwrap();
        assert_eq!(stage.method("/pets", Verb::Get).map(|b| b.burst), Some(3));
        assert!(KeyIndex::plan_for([&empty, &index], "k1", "petstore01", "beta").is_none());
        // The broken plan is left out: its key has no plan.
        assert!(KeyIndex::plan_for([&empty, &index], "k2", "petstore01", "prod").is_none());
        assert_eq!(index.plans().len(), 1);
    }
}
