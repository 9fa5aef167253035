//! [`IdentityStore`] on SQLite: `identities` and `identity_logins`
//! (`migrations/sqlite/0009_*.sql`).

use std::time::SystemTime;

use async_trait::async_trait;

use super::{SqliteStore, from_unix, is_unique_violation, unix};
use crate::StoreError;
use crate::identity::{IdentityPage, IdentityStore, StoredIdentity};

impl SqliteStore {
    async fn logins_of(&self, identity_id: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT provider FROM identity_logins WHERE identity_id = ? ORDER BY provider",
        )
        .bind(identity_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(p,)| p).collect())
    }

    async fn login_owner(
        &self,
        pool_id: &str,
        provider: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT identity_id FROM identity_logins \
             WHERE pool_id = ? AND provider = ? AND subject = ?",
        )
        .bind(pool_id)
        .bind(provider)
        .bind(subject)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(id,)| id))
    }

    async fn existing(&self, identity_id: &str) -> Result<StoredIdentity, StoreError> {
        self.identity(identity_id)
            .await?
            .ok_or_else(|| StoreError::Query(format!("identity {identity_id} vanished while read")))
    }
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn identity_for_login(
        &self,
        pool_id: &str,
        provider: &str,
        subject: &str,
        new_id: &str,
        now: SystemTime,
    ) -> Result<StoredIdentity, StoreError> {
        if let Some(id) = self.login_owner(pool_id, provider, subject).await? {
            return self.existing(&id).await;
        }
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO identities (identity_id, pool_id, created_at, modified_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(new_id)
        .bind(pool_id)
        .bind(unix(now))
        .bind(unix(now))
        .execute(&mut *tx)
        .await?;
        let linked = sqlx::query(
            "INSERT INTO identity_logins (pool_id, provider, subject, identity_id) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(pool_id)
        .bind(provider)
        .bind(subject)
        .bind(new_id)
        .execute(&mut *tx)
        .await;
        match linked {
            Ok(_) => {
                tx.commit().await?;
                self.existing(new_id).await
            }
            // Another node linked this user first: its identity is the one.
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                let id = self
                    .login_owner(pool_id, provider, subject)
                    .await?
                    .ok_or_else(|| StoreError::Query("identity login vanished".into()))?;
                self.existing(&id).await
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn create_unauthenticated(
        &self,
        pool_id: &str,
        new_id: &str,
        now: SystemTime,
    ) -> Result<StoredIdentity, StoreError> {
        sqlx::query(
            "INSERT INTO identities (identity_id, pool_id, created_at, modified_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(new_id)
        .bind(pool_id)
        .bind(unix(now))
        .bind(unix(now))
        .execute(self.pool())
        .await?;
        self.existing(new_id).await
    }

    async fn identity(&self, identity_id: &str) -> Result<Option<StoredIdentity>, StoreError> {
        let row: Option<(String, i64, i64)> = sqlx::query_as(
            "SELECT pool_id, created_at, modified_at FROM identities WHERE identity_id = ?",
        )
        .bind(identity_id)
        .fetch_optional(self.pool())
        .await?;
        let Some((pool_id, created, modified)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredIdentity {
            identity_id: identity_id.to_string(),
            pool_id,
            logins: self.logins_of(identity_id).await?,
            created: from_unix(created),
            last_modified: from_unix(modified),
        }))
    }

    async fn identity_subject(
        &self,
        identity_id: &str,
        provider: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT subject FROM identity_logins WHERE identity_id = ? AND provider = ?",
        )
        .bind(identity_id)
        .bind(provider)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(s,)| s))
    }

    async fn list_identities(
        &self,
        pool_id: &str,
        max: u32,
        next_token: Option<&str>,
    ) -> Result<IdentityPage, StoreError> {
        // One row more than the page shows whether another page follows.
        let limit = i64::from(max) + 1;
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT identity_id, created_at, modified_at FROM identities \
             WHERE pool_id = ? AND identity_id > ? ORDER BY identity_id LIMIT ?",
        )
        .bind(pool_id)
        .bind(next_token.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let more = rows.len() > max as usize;
        let mut identities = Vec::with_capacity(rows.len());
        for (identity_id, created, modified) in rows.into_iter().take(max as usize) {
            identities.push(StoredIdentity {
                logins: self.logins_of(&identity_id).await?,
                identity_id,
                pool_id: pool_id.to_string(),
                created: from_unix(created),
                last_modified: from_unix(modified),
            });
        }
        let next_token = if more {
            identities.last().map(|i| i.identity_id.clone())
        } else {
            None
        };
        Ok(IdentityPage {
            identities,
            next_token,
        })
    }
}
