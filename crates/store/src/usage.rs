//! API keys and usage plans created through the admin API, and the usage every key has
//! recorded per day (what API Gateway's `GetUsage` reports).
//!
//! Keys and plans declared in the configuration file are not stored: the file is their source of
//! truth. What is stored here is what the admin API (and `portcullis apikeys` / `usageplans`)
//! created; the gateway builds one in-memory index from both, so the request path never
//! queries storage. Usage is written in batches by a background task and read back at startup,
//! so a quota survives a restart.

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::StoreError;

/// An API key as stored. The value is kept as issued because API Gateway returns it
/// (`GetApiKey` with `includeValue`); its SHA-256 indexes lookups.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredApiKey {
    pub id: String,
    pub name: String,
    pub value: String,
    pub enabled: bool,
    pub description: Option<String>,
    pub created: SystemTime,
    pub last_updated: SystemTime,
}

// Hand-written: the value is a credential and must never reach a log.
impl fmt::Debug for StoredApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A usage plan as stored: its definition is API Gateway's `UsagePlan` JSON shape (`name`,
/// `description`, `apiStages`, `throttle`, `quota`), kept as a document so that the store need
/// not change when the plan grows a field; `keys` are the ids of its API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUsagePlan {
    pub id: String,
    /// API Gateway's `UsagePlan` representation, without `id`.
    pub definition: serde_json::Value,
    pub keys: Vec<String>,
    pub created: SystemTime,
}

/// One key's count of requests on one UTC day, in one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageCount {
    pub plan_id: String,
    pub key_id: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub count: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// An id or key value already exists.
    #[error("{0}")]
    Conflict(String),
    /// The key or plan named does not exist.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait UsageStore: Send + Sync + 'static {
    /// Stores a new key; `Conflict` if its id or value is taken.
    async fn create_api_key(&self, key: &StoredApiKey) -> Result<(), UsageError>;
    async fn api_keys(&self) -> Result<Vec<StoredApiKey>, StoreError>;
    /// Updates name, description and enabled of an existing key (`NotFound` otherwise).
    async fn update_api_key(&self, key: &StoredApiKey) -> Result<(), UsageError>;
    /// Deletes a key and its plan memberships (`NotFound` if there is none).
    async fn delete_api_key(&self, id: &str) -> Result<(), UsageError>;

    /// Stores a new plan (its `keys` ignored: add them with [`UsageStore::add_plan_key`]).
    async fn create_usage_plan(&self, plan: &StoredUsagePlan) -> Result<(), UsageError>;
    /// Replaces a plan's definition.
    async fn update_usage_plan(
        &self,
        id: &str,
        definition: &serde_json::Value,
    ) -> Result<(), UsageError>;
    async fn usage_plans(&self) -> Result<Vec<StoredUsagePlan>, StoreError>;
    async fn delete_usage_plan(&self, id: &str) -> Result<(), UsageError>;
    /// Adds a key to a plan. The key may be one declared in the configuration file, which the
    /// store does not know: the caller checks that it exists.
    async fn add_plan_key(&self, plan_id: &str, key_id: &str) -> Result<(), UsageError>;
    async fn remove_plan_key(&self, plan_id: &str, key_id: &str) -> Result<(), UsageError>;

    /// Adds each count to the stored count of its (plan, key, day), in one transaction.
    async fn record_usage(&self, counts: &[UsageCount]) -> Result<(), StoreError>;
    /// The counts of a plan (of one key, if given) for the days `from..=to` (`YYYY-MM-DD`),
    /// ordered by key then day.
    async fn usage(
        &self,
        plan_id: &str,
        key_id: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<UsageCount>, StoreError>;
}
