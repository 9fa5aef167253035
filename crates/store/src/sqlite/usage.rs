//! [`UsageStore`] on SQLite: `api_keys`, `usage_plans`, `usage_plan_keys` and `usage_counts`
//! (`migrations/sqlite/0004_*.sql`).

use async_trait::async_trait;

use super::{SqliteStore, from_unix, is_unique_violation, unix};
use crate::{StoreError, StoredApiKey, StoredUsagePlan, UsageCount, UsageError, UsageStore};

fn conflict_or(e: sqlx::Error, what: impl FnOnce() -> String) -> UsageError {
    if is_unique_violation(&e) {
        UsageError::Conflict(what())
    } else {
        UsageError::Store(e.into())
    }
}

fn not_found(rows: u64, what: impl FnOnce() -> String) -> Result<(), UsageError> {
    if rows == 0 {
        Err(UsageError::NotFound(what()))
    } else {
        Ok(())
    }
}

type KeyRow = (String, String, String, i64, Option<String>, i64, i64);

#[async_trait]
impl UsageStore for SqliteStore {
    async fn create_api_key(&self, key: &StoredApiKey) -> Result<(), UsageError> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, value, enabled, description, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.value)
        .bind(i64::from(key.enabled))
        .bind(&key.description)
        .bind(unix(key.created))
        .bind(unix(key.last_updated))
        .execute(self.pool())
        .await
        .map_err(|e| {
            conflict_or(e, || {
                format!("an API key with id {:?} or the same value exists", key.id)
            })
        })?;
        Ok(())
    }

    async fn api_keys(&self) -> Result<Vec<StoredApiKey>, StoreError> {
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT id, name, value, enabled, description, created_at, updated_at \
             FROM api_keys ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, value, enabled, description, created, updated)| StoredApiKey {
                    id,
                    name,
                    value,
                    enabled: enabled != 0,
                    description,
                    created: from_unix(created),
                    last_updated: from_unix(updated),
                },
            )
            .collect())
    }

    async fn update_api_key(&self, key: &StoredApiKey) -> Result<(), UsageError> {
        let done = sqlx::query(
            "UPDATE api_keys SET name = ?, enabled = ?, description = ?, updated_at = ? WHERE id = ?",
        )
        .bind(&key.name)
        .bind(i64::from(key.enabled))
        .bind(&key.description)
        .bind(unix(key.last_updated))
        .bind(&key.id)
        .execute(self.pool())
        .await
        .map_err(|e| UsageError::Store(e.into()))?;
        not_found(done.rows_affected(), || {
            format!("no API key has the id {:?}", key.id)
        })
    }

    async fn delete_api_key(&self, id: &str) -> Result<(), UsageError> {
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        let done = sqlx::query("DELETE FROM api_keys WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        sqlx::query("DELETE FROM usage_plan_keys WHERE key_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        not_found(done.rows_affected(), || {
            format!("no API key has the id {id:?}")
        })?;
        tx.commit().await.map_err(|e| UsageError::Store(e.into()))
    }

    async fn create_usage_plan(&self, plan: &StoredUsagePlan) -> Result<(), UsageError> {
        sqlx::query("INSERT INTO usage_plans (id, definition, created_at) VALUES (?, ?, ?)")
            .bind(&plan.id)
            .bind(plan.definition.to_string())
            .bind(unix(plan.created))
            .execute(self.pool())
            .await
            .map_err(|e| conflict_or(e, || format!("a usage plan with id {:?} exists", plan.id)))?;
        Ok(())
    }

    async fn update_usage_plan(
        &self,
        id: &str,
        definition: &serde_json::Value,
    ) -> Result<(), UsageError> {
        let done = sqlx::query("UPDATE usage_plans SET definition = ? WHERE id = ?")
            .bind(definition.to_string())
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        not_found(done.rows_affected(), || {
            format!("no usage plan has the id {id:?}")
        })
    }

    async fn usage_plans(&self) -> Result<Vec<StoredUsagePlan>, StoreError> {
        let plans: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT id, definition, created_at FROM usage_plans ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        let keys: Vec<(String, String)> =
            sqlx::query_as("SELECT plan_id, key_id FROM usage_plan_keys ORDER BY plan_id, key_id")
                .fetch_all(self.pool())
                .await?;
        plans
            .into_iter()
            .map(|(id, definition, created)| {
                let definition = serde_json::from_str(&definition).map_err(|e| {
                    StoreError::Query(format!(
                        "usage plan {id}: stored definition is not JSON: {e}"
                    ))
                })?;
                let keys = keys
                    .iter()
                    .filter(|(p, _)| *p == id)
                    .map(|(_, k)| k.clone())
                    .collect();
                Ok(StoredUsagePlan {
                    id,
                    definition,
                    keys,
                    created: from_unix(created),
                })
            })
            .collect()
    }

    async fn delete_usage_plan(&self, id: &str) -> Result<(), UsageError> {
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        sqlx::query("DELETE FROM usage_plan_keys WHERE plan_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        let done = sqlx::query("DELETE FROM usage_plans WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        not_found(done.rows_affected(), || {
            format!("no usage plan has the id {id:?}")
        })?;
        tx.commit().await.map_err(|e| UsageError::Store(e.into()))
    }

    async fn add_plan_key(&self, plan_id: &str, key_id: &str) -> Result<(), UsageError> {
        let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM usage_plans WHERE id = ?")
            .bind(plan_id)
            .fetch_optional(self.pool())
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        if exists.is_none() {
            return Err(UsageError::NotFound(format!(
                "no usage plan has the id {plan_id:?}"
            )));
        }
        sqlx::query("INSERT INTO usage_plan_keys (plan_id, key_id) VALUES (?, ?)")
            .bind(plan_id)
            .bind(key_id)
            .execute(self.pool())
            .await
            .map_err(|e| {
                conflict_or(e, || {
                    format!("API key {key_id:?} is already in usage plan {plan_id:?}")
                })
            })?;
        Ok(())
    }

    async fn remove_plan_key(&self, plan_id: &str, key_id: &str) -> Result<(), UsageError> {
        let done = sqlx::query("DELETE FROM usage_plan_keys WHERE plan_id = ? AND key_id = ?")
            .bind(plan_id)
            .bind(key_id)
            .execute(self.pool())
            .await
            .map_err(|e| UsageError::Store(e.into()))?;
        not_found(done.rows_affected(), || {
            format!("API key {key_id:?} is not in usage plan {plan_id:?}")
        })
    }

    async fn record_usage(&self, counts: &[UsageCount]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for c in counts {
            sqlx::query(
                "INSERT INTO usage_counts (plan_id, key_id, day, count) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (plan_id, key_id, day) DO UPDATE SET count = count + excluded.count",
            )
            .bind(&c.plan_id)
            .bind(&c.key_id)
            .bind(&c.day)
            .bind(i64::try_from(c.count).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn usage(
        &self,
        plan_id: &str,
        key_id: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<UsageCount>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT plan_id, key_id, day, count FROM usage_counts \
             WHERE plan_id = ? AND (? IS NULL OR key_id = ?) AND day >= ? AND day <= ? \
             ORDER BY key_id, day",
        )
        .bind(plan_id)
        .bind(key_id)
        .bind(key_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(plan_id, key_id, day, count)| UsageCount {
                plan_id,
                key_id,
                day,
                count: u64::try_from(count).unwrap_or(0),
            })
            .collect())
    }
}
