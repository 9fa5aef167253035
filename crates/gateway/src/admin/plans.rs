//! Usage plans and their keys: `CreateUsagePlan`, `GetUsagePlans`, `GetUsagePlan`,
//! `UpdateUsagePlan`, `DeleteUsagePlan`, `CreateUsagePlanKey`, `GetUsagePlanKeys`,
//! `GetUsagePlanKey`, `DeleteUsagePlanKey`.
//!
//! A plan is API Gateway's `UsagePlan` JSON, checked by [`plan_json::parse`] and against the
//! deployment ([`PlanDefinition::check`]) so that it never names a stage or method that does
//! not exist. A key may belong to one plan per API stage, as in API Gateway: otherwise which
//! plan's throttle and quota apply would be ambiguous.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::StoredUsagePlan;

use super::control::{self, ApiError, Call, Reply};
use super::keys::{self, PatchBody, PatchOp};
use crate::usage::plan_json::{self, PlanDefinition, QuotaSettings, ThrottleSettings};

/// A plan, wherever it is declared.
pub(super) struct Plan {
    pub id: String,
    /// As stored (or, for the configuration file's, as [`PlanDefinition::of_config`] shows it).
    pub definition: Value,
    /// `None` for a stored definition that no longer parses (the request path ignores it too).
    pub parsed: Option<PlanDefinition>,
    pub keys: Vec<String>,
    pub from_config: bool,
    pub created: Option<SystemTime>,
}

impl Plan {
    fn covers(&self, api: &str, stage: &str) -> bool {
        self.parsed.as_ref().is_some_and(|d| {
            d.api_stages
                .iter()
                .any(|s| s.api_id == api && s.stage == stage)
        })
    }

    /// API Gateway's `UsagePlan` representation.
    fn to_json(&self) -> Value {
        let mut map = match &self.definition {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        map.insert("id".into(), self.id.clone().into());
        map.entry("apiStages").or_insert_with(|| json!([]));
        if self.from_config {
            map.insert("tags".into(), keys::config_tags());
        }
        Value::Object(map)
    }
}

/// Every plan, sorted by id.
pub(super) async fn all(call: &Call<'_>) -> Result<Vec<Plan>, ApiError> {
    let mut plans: Vec<Plan> = call
        .deployment
        .config_plans
        .iter()
        .map(|p| {
            let def = PlanDefinition::of_config(p);
            Plan {
                id: p.id.clone(),
                definition: serde_json::to_value(&def).unwrap_or(Value::Null),
                parsed: Some(def),
                keys: p.keys.clone(),
                from_config: true,
                created: None,
            }
        })
        .collect();
    plans.extend(
        call.svc
            .store
            .usage
            .usage_plans()
            .await?
            .into_iter()
            .map(stored),
    );
    plans.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(plans)
}

fn stored(p: StoredUsagePlan) -> Plan {
    Plan {
        parsed: plan_json::parse(&p.definition).ok(),
        id: p.id,
        definition: p.definition,
        keys: p.keys,
        from_config: false,
        created: Some(p.created),
    }
}

pub(super) async fn find(call: &Call<'_>, id: &str) -> Result<Plan, ApiError> {
    let missing = || ApiError::not_found(format!("Invalid Usage Plan ID specified: {id}"));
    if !control::valid_id(id) {
        return Err(missing());
    }
    all(call)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(missing)
}

/// Parses, checks against the deployment, and refuses a stage listed twice.
fn checked(call: &Call<'_>, definition: &Value) -> Result<PlanDefinition, ApiError> {
    let def = plan_json::parse(definition)?;
    def.check(call.deployment)?;
    for (i, s) in def.api_stages.iter().enumerate() {
        if def
            .api_stages
            .iter()
            .skip(i + 1)
            .any(|t| t.api_id == s.api_id && t.stage == s.stage)
        {
            return Err(ApiError::bad_request(format!(
                "API stage {}:{} is listed twice",
                s.api_id, s.stage
            )));
        }
    }
    Ok(def)
}

/// Refuses `key` in plan `plan_id` covering `stages` when another plan already has it for one of
/// those stages.
fn check_one_plan_per_stage(
    plans: &[Plan],
    plan_id: &str,
    key: &str,
    def: &PlanDefinition,
) -> Result<(), ApiError> {
    for other in plans
        .iter()
        .filter(|p| p.id != plan_id && p.keys.iter().any(|k| k == key))
    {
        if let Some(s) = def
            .api_stages
            .iter()
            .find(|s| other.covers(&s.api_id, &s.stage))
        {
            return Err(ApiError::conflict(format!(
                "API key {key} is already in usage plan {}, which covers API stage {}:{}: a key may belong to one usage plan per API stage",
                other.id, s.api_id, s.stage
            )));
        }
    }
    Ok(())
}

pub(super) async fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let mut body: Map<String, Value> = call.json()?;
    if let Some(tags) = body.remove("tags")
        && tags.as_object().is_some_and(|t| !t.is_empty())
    {
        return Err(ApiError::bad_request(
            "tags on usage plans are not supported",
        ));
    }
    let definition = Value::Object(body);
    let def = checked(call, &definition)?;
    // Stored as normalized (defaults filled in), so that it reads back as it will be enforced.
    let definition =
        serde_json::to_value(&def).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let _writing = control::WRITES.lock().await;
    let taken: Vec<String> = all(call).await?.into_iter().map(|p| p.id).collect();
    let id = loop {
        let id = control::new_id(call.svc)?;
        if !taken.contains(&id) {
            break id;
        }
    };
    let plan = StoredUsagePlan {
        id,
        definition,
        keys: Vec::new(),
        created: call.now(),
    };
    call.svc.store.usage.create_usage_plan(&plan).await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), plan = plan.id, name = def.name, "usage plan created");
    Ok(Reply::created(stored(plan).to_json()))
}

pub(super) async fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let key = call.query_str("keyId");
    let items = all(call)
        .await?
        .into_iter()
        .filter(|p| key.is_none_or(|k| p.keys.iter().any(|pk| pk == k)))
        .map(|p| (p.id.clone(), p.to_json()))
        .collect();
    Ok(Reply::ok(control::page(call, items)?))
}

pub(super) async fn get(call: &Call<'_>, id: &str) -> Result<Reply, ApiError> {
    Ok(Reply::ok(find(call, id).await?.to_json()))
}

/// A stored plan, for a change: the configuration file's are refused.
async fn find_stored(call: &Call<'_>, id: &str) -> Result<Plan, ApiError> {
    let plan = find(call, id).await?;
    if plan.from_config {
        return Err(ApiError::read_only(&format!("usage plan {id}")));
    }
    Ok(plan)
}

/// A stored plan's definition, parsed: one that no longer parses (written by a newer version)
/// can only be deleted.
fn definition(plan: &Plan) -> Result<PlanDefinition, ApiError> {
    Ok(plan_json::parse(&plan.definition)?)
}

fn number<T: std::str::FromStr>(op: &PatchOp) -> Result<T, ApiError> {
    let v = op.value()?;
    v.parse()
        .map_err(|_| ApiError::bad_request(format!("Invalid value for {}: {v:?}", op.path)))
}

/// `apiId:stage`, as API Gateway writes a plan's stage in a patch value.
fn api_stage(op: &PatchOp) -> Result<(String, String), ApiError> {
    let v = op.value()?;
    v.split_once(':')
        .filter(|(a, s)| !a.is_empty() && !s.is_empty())
        .map(|(a, s)| (a.to_string(), s.to_string()))
        .ok_or_else(|| {
            ApiError::bad_request(format!("Invalid API stage {v:?}: write it apiId:stageName"))
        })
}

fn apply(def: &mut PlanDefinition, op: &PatchOp) -> Result<(), ApiError> {
    // A throttle or quota patched into a plan that has none starts from zeros, as the
    // operation names one field at a time.
    let throttle = |def: &mut PlanDefinition| -> ThrottleSettings {
        def.throttle.unwrap_or(ThrottleSettings {
            burst_limit: 0,
            rate_limit: 0.0,
        })
    };
    let quota = |def: &mut PlanDefinition| -> QuotaSettings {
        def.quota.clone().unwrap_or(QuotaSettings {
            limit: 0,
            offset: 0,
            period: "DAY".into(),
        })
    };
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/name") => def.name = op.value()?.to_string(),
        ("replace", "/description") => def.description = op.value.clone(),
        ("remove", "/description") => def.description = None,
        ("replace", "/throttle/rateLimit") => {
            let mut t = throttle(def);
            t.rate_limit = number(op)?;
            def.throttle = Some(t);
        }
        ("replace", "/throttle/burstLimit") => {
            let mut t = throttle(def);
            t.burst_limit = number(op)?;
            def.throttle = Some(t);
        }
        ("remove", "/throttle") => def.throttle = None,
        ("replace", "/quota/limit") => {
            let mut q = quota(def);
            q.limit = number(op)?;
            def.quota = Some(q);
        }
        ("replace", "/quota/offset") => {
            let mut q = quota(def);
            q.offset = number(op)?;
            def.quota = Some(q);
        }
        ("replace", "/quota/period") => {
            let mut q = quota(def);
            q.period = op.value()?.to_ascii_uppercase();
            def.quota = Some(q);
        }
        ("remove", "/quota") => def.quota = None,
        ("add", "/apiStages") => {
            let (api_id, stage) = api_stage(op)?;
            if def
                .api_stages
                .iter()
                .any(|s| s.api_id == api_id && s.stage == stage)
            {
                return Err(ApiError::conflict(format!(
                    "API stage {api_id}:{stage} is already in the usage plan"
                )));
            }
            def.api_stages.push(plan_json::ApiStage {
                api_id,
                stage,
                throttle: BTreeMap::new(),
            });
        }
        ("remove", "/apiStages") => {
            let (api_id, stage) = api_stage(op)?;
            let before = def.api_stages.len();
            def.api_stages
                .retain(|s| !(s.api_id == api_id && s.stage == stage));
            if def.api_stages.len() == before {
                return Err(ApiError::not_found(format!(
                    "API stage {api_id}:{stage} is not in the usage plan"
                )));
            }
        }
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

pub(super) async fn update(call: &Call<'_>, id: &str) -> Result<Reply, ApiError> {
    let patch: PatchBody = call.json()?;
    let _writing = control::WRITES.lock().await;
    let plan = find_stored(call, id).await?;
    let mut def = definition(&plan)?;
    for op in &patch.patch_operations {
        apply(&mut def, op)?;
    }
    let definition =
        serde_json::to_value(&def).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let def = checked(call, &definition)?;
    let plans = all(call).await?;
    for key in &plan.keys {
        check_one_plan_per_stage(&plans, id, key, &def)?;
    }
    call.svc
        .store
        .usage
        .update_usage_plan(id, &definition)
        .await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), plan = id, "usage plan updated");
    let updated = Plan {
        definition,
        parsed: Some(def),
        ..plan
    };
    Ok(Reply::ok(updated.to_json()))
}

pub(super) async fn delete(call: &Call<'_>, id: &str) -> Result<Reply, ApiError> {
    let _writing = control::WRITES.lock().await;
    // A stored plan whose definition no longer parses may still be deleted: it is not parsed.
    find_stored(call, id).await?;
    call.svc.store.usage.delete_usage_plan(id).await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), plan = id, "usage plan deleted");
    Ok(Reply::accepted())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateUsagePlanKey {
    key_id: String,
    key_type: String,
}

/// API Gateway's `UsagePlanKey`, without the key's value: a plan's key list is no place to
/// read secrets from (use `GetApiKey` with `includeValue`).
fn plan_key_json(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "type": "API_KEY"})
}

pub(super) async fn add_key(call: &Call<'_>, plan_id: &str) -> Result<Reply, ApiError> {
    let request: CreateUsagePlanKey = call.json()?;
    if request.key_type != "API_KEY" {
        return Err(ApiError::bad_request(format!(
            "Invalid keyType {:?}: the only key type is API_KEY",
            request.key_type
        )));
    }
    let _writing = control::WRITES.lock().await;
    let plan = find_stored(call, plan_id).await?;
    let def = definition(&plan)?;
    let key = keys::find(call, &request.key_id).await?;
    if plan.keys.iter().any(|k| k == key.id()) {
        return Err(ApiError::conflict(format!(
            "API key {} is already in usage plan {plan_id}",
            key.id()
        )));
    }
    check_one_plan_per_stage(&all(call).await?, plan_id, key.id(), &def)?;
    call.svc.store.usage.add_plan_key(plan_id, key.id()).await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), plan = plan_id, key = key.id(), "API key added to usage plan");
    Ok(Reply::created(plan_key_json(key.id(), key.name())))
}

/// The plan's keys with their names (empty for a key no longer declared anywhere).
async fn plan_keys(call: &Call<'_>, plan: &Plan) -> Result<Vec<(String, Value)>, ApiError> {
    let all_keys = keys::all(call).await?;
    let mut out: Vec<(String, Value)> = plan
        .keys
        .iter()
        .map(|id| {
            let name = all_keys
                .iter()
                .find(|k| k.id() == id)
                .map_or("", |k| k.name());
            (id.clone(), plan_key_json(id, name))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

pub(super) async fn list_keys(call: &Call<'_>, plan_id: &str) -> Result<Reply, ApiError> {
    let plan = find(call, plan_id).await?;
    let name = call
        .query_str("name")
        .or_else(|| call.query_str("nameQuery"));
    let items = plan_keys(call, &plan)
        .await?
        .into_iter()
        .filter(|(_, v)| {
            name.is_none_or(|n| {
                v.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with(n))
            })
        })
        .collect();
    Ok(Reply::ok(control::page(call, items)?))
}

pub(super) async fn get_key(
    call: &Call<'_>,
    plan_id: &str,
    key_id: &str,
) -> Result<Reply, ApiError> {
    let plan = find(call, plan_id).await?;
    plan_keys(call, &plan)
        .await?
        .into_iter()
        .find(|(id, _)| id == key_id)
        .map(|(_, v)| Reply::ok(v))
        .ok_or_else(|| {
            ApiError::not_found(format!("API key {key_id} is not in usage plan {plan_id}"))
        })
}

pub(super) async fn remove_key(
    call: &Call<'_>,
    plan_id: &str,
    key_id: &str,
) -> Result<Reply, ApiError> {
    let _writing = control::WRITES.lock().await;
    find_stored(call, plan_id).await?;
    call.svc
        .store
        .usage
        .remove_plan_key(plan_id, key_id)
        .await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), plan = plan_id, key = key_id, "API key removed from usage plan");
    Ok(Reply::accepted())
}
