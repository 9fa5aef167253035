//! API keys: `CreateApiKey`, `GetApiKeys`, `GetApiKey`, `UpdateApiKey`, `DeleteApiKey`.
//!
//! Keys of the configuration file are listed with the stored ones (their values only when asked
//! for) and marked with the tag `portcullis:source = configuration`; they cannot be changed here.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};
use store::StoredApiKey;

use super::control::{self, ApiError, Call, Reply};
use crate::usage::key_digest;

/// API Gateway's bounds on a key value it is given.
const MIN_VALUE_LEN: usize = 20;
const MAX_VALUE_LEN: usize = 128;
/// The length of a value the gateway generates, as API Gateway's.
const GENERATED_VALUE_LEN: usize = 40;
const VALUE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The tag marking items of the configuration file in listings.
pub(super) fn config_tags() -> Value {
    json!({"portcullis:source": "configuration"})
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateApiKey {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    enabled: bool,
    value: Option<String>,
    /// AWS Marketplace's customer id: accepted and not kept (there is no marketplace here).
    #[serde(rename = "customerId")]
    _customer_id: Option<String>,
    /// Deprecated by AWS, and ids are always distinct from values here.
    #[serde(rename = "generateDistinctId")]
    _generate_distinct_id: Option<bool>,
    #[serde(default)]
    stage_keys: Vec<Value>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// A key, wherever it is declared.
pub(super) enum Key<'a> {
    Config(&'a config::ApiKeyConfig),
    Stored(StoredApiKey),
}

impl Key<'_> {
    pub(super) fn id(&self) -> &str {
        match self {
            Key::Config(k) => &k.id,
            Key::Stored(k) => &k.id,
        }
    }

    pub(super) fn name(&self) -> &str {
        match self {
            Key::Config(k) => &k.name,
            Key::Stored(k) => &k.name,
        }
    }

    /// API Gateway's `ApiKey` representation.
    fn to_json(&self, include_value: bool) -> Value {
        let mut v = match self {
            Key::Config(k) => json!({
                "id": k.id,
                "name": k.name,
                "enabled": k.enabled,
                "stageKeys": [],
                "tags": config_tags(),
            }),
            Key::Stored(k) => json!({
                "id": k.id,
                "name": k.name,
                "enabled": k.enabled,
                "createdDate": control::epoch(k.created),
                "lastUpdatedDate": control::epoch(k.last_updated),
                "stageKeys": [],
            }),
        };
        let (description, value) = match self {
            Key::Config(k) => (k.description.as_deref(), k.value.expose()),
            Key::Stored(k) => (k.description.as_deref(), k.value.as_str()),
        };
        if let Some(map) = v.as_object_mut() {
            if let Some(d) = description {
                map.insert("description".into(), d.into());
            }
            if include_value {
                map.insert("value".into(), value.into());
            }
        }
        v
    }
}

/// Every key, configuration file's first, sorted by id.
pub(super) async fn all<'a>(call: &Call<'a>) -> Result<Vec<Key<'a>>, ApiError> {
    let mut keys: Vec<Key<'a>> = call
        .deployment
        .config_keys
        .iter()
        .map(Key::Config)
        .collect();
    keys.extend(
        call.svc
            .store
            .usage
            .api_keys()
            .await?
            .into_iter()
            .map(Key::Stored),
    );
    keys.sort_by(|a, b| a.id().cmp(b.id()));
    Ok(keys)
}

/// The key with this id, or API Gateway's `NotFoundException`.
pub(super) async fn find<'a>(call: &Call<'a>, id: &str) -> Result<Key<'a>, ApiError> {
    let missing = || ApiError::not_found(format!("Invalid API Key identifier specified: {id}"));
    if !control::valid_id(id) {
        return Err(missing());
    }
    if let Some(k) = call.deployment.config_keys.iter().find(|k| k.id == id) {
        return Ok(Key::Config(k));
    }
    let stored = call.svc.store.usage.api_keys().await?;
    stored
        .into_iter()
        .find(|k| k.id == id)
        .map(Key::Stored)
        .ok_or_else(missing)
}

pub(super) async fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    let request: CreateApiKey = call.json()?;
    if !request.stage_keys.is_empty() {
        return Err(ApiError::bad_request(
            "stageKeys are not supported (AWS deprecated them for usage plans): add the key to a usage plan with CreateUsagePlanKey",
        ));
    }
    if !request.tags.is_empty() {
        return Err(ApiError::bad_request("tags on API keys are not supported"));
    }
    let value = match request.value {
        Some(v) => {
            let len = v.chars().count();
            if !(MIN_VALUE_LEN..=MAX_VALUE_LEN).contains(&len)
                || !v.chars().all(|c| c.is_ascii_graphic())
            {
                return Err(ApiError::bad_request(format!(
                    "API Key value should be {MIN_VALUE_LEN} to {MAX_VALUE_LEN} printable ASCII characters without spaces"
                )));
            }
            v
        }
        None => control::random_string(call.svc, VALUE_ALPHABET, GENERATED_VALUE_LEN)?,
    };
    let _writing = control::WRITES.lock().await;
    // Checked here rather than left to storage, whose answer cannot tell a taken value from a
    // taken id, and which does not know the configuration file's keys: one value must never
    // name two keys. Digests are compared, not the secrets.
    let digest = key_digest(&value);
    let stored = call.svc.store.usage.api_keys().await?;
    let taken_value = call
        .deployment
        .config_keys
        .iter()
        .any(|k| key_digest(k.value.expose()) == digest)
        || stored.iter().any(|k| key_digest(&k.value) == digest);
    if taken_value {
        return Err(ApiError::conflict(
            "an API key with this value already exists",
        ));
    }
    let id = loop {
        let id = control::new_id(call.svc)?;
        let taken = call.deployment.config_keys.iter().any(|k| k.id == id)
            || stored.iter().any(|k| k.id == id);
        if !taken {
            break id;
        }
    };
    let now = call.now();
    let key = StoredApiKey {
        name: request.name.unwrap_or_else(|| id.clone()),
        id,
        value,
        enabled: request.enabled,
        description: request.description,
        created: now,
        last_updated: now,
    };
    call.svc.store.usage.create_api_key(&key).await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), key = key.id, name = key.name, "API key created");
    // The value is returned once, at creation, as API Gateway does.
    Ok(Reply::created(Key::Stored(key).to_json(true)))
}

pub(super) async fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let include_values = call.query_bool("includeValues")?;
    // The wire name of `nameQuery` is `name`; API Gateway matches it as a prefix.
    let name = call
        .query_str("name")
        .or_else(|| call.query_str("nameQuery"));
    // No key has a marketplace customer id here, so filtering by one finds nothing.
    let by_customer = call.query_str("customerId").is_some();
    let items = all(call)
        .await?
        .into_iter()
        .filter(|k| !by_customer && name.is_none_or(|n| k.name().starts_with(n)))
        .map(|k| (k.id().to_string(), k.to_json(include_values)))
        .collect();
    Ok(Reply::ok(control::page(call, items)?))
}

pub(super) async fn get(call: &Call<'_>, id: &str) -> Result<Reply, ApiError> {
    let include_value = call.query_bool("includeValue")?;
    Ok(Reply::ok(find(call, id).await?.to_json(include_value)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PatchBody {
    #[serde(default)]
    pub patch_operations: Vec<PatchOp>,
}

/// One of API Gateway's JSON-Patch-like operations.
#[derive(Deserialize)]
pub(super) struct PatchOp {
    pub op: String,
    pub path: String,
    #[serde(default)]
    pub value: Option<String>,
}

impl PatchOp {
    pub(super) fn value(&self) -> Result<&str, ApiError> {
        self.value.as_deref().ok_or_else(|| {
            ApiError::bad_request(format!("{} {} needs a value", self.op, self.path))
        })
    }

    pub(super) fn unsupported(&self) -> ApiError {
        ApiError::bad_request(format!(
            "Invalid patch operation: {} {} is not supported",
            self.op, self.path
        ))
    }
}

pub(super) fn parse_bool(op: &PatchOp) -> Result<bool, ApiError> {
    match op.value()? {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        v => Err(ApiError::bad_request(format!(
            "Invalid value for {}: {v:?} is not true or false",
            op.path
        ))),
    }
}

pub(super) async fn update(call: &Call<'_>, id: &str) -> Result<Reply, ApiError> {
    let patch: PatchBody = call.json()?;
    let _writing = control::WRITES.lock().await;
    let mut key = match find(call, id).await? {
        Key::Config(_) => return Err(ApiError::read_only(&format!("API key {id}"))),
        Key::Stored(k) => k,
    };
    for op in &patch.patch_operations {
        match (op.op.as_str(), op.path.as_str()) {
            ("replace", "/enabled") => key.enabled = parse_bool(op)?,
            ("replace", "/name") => key.name = op.value()?.to_string(),
            ("replace", "/description") => key.description = op.value.clone(),
            ("remove", "/description") => key.description = None,
            _ => return Err(op.unsupported()),
        }
    }
    key.last_updated = call.now();
    call.svc.store.usage.update_api_key(&key).await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), key = key.id, enabled = key.enabled, "API key updated");
    Ok(Reply::ok(Key::Stored(key).to_json(false)))
}

pub(super) async fn delete(call: &Call<'_>, id: &str) -> Result<Reply, ApiError> {
    let _writing = control::WRITES.lock().await;
    if let Key::Config(_) = find(call, id).await? {
        return Err(ApiError::read_only(&format!("API key {id}")));
    }
    call.svc.store.usage.delete_api_key(id).await?;
    call.refresh().await?;
    tracing::info!(target: "portcullis::admin", by = call.who(), key = id, "API key deleted");
    Ok(Reply::accepted())
}
