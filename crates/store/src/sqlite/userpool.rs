//! [`UserPoolStore`] on SQLite: `userpool_users`, `userpool_aliases`, `userpool_groups` and
//! `userpool_memberships` (`migrations/sqlite/0005_*.sql`). A user's password and MFA settings
//! are JSON columns: they are read and written whole with the user.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::{Sqlite, Transaction};

use super::{SqliteStore, from_unix, is_unique_violation, unix};
use crate::StoreError;
use crate::userpool::{
    Alias, MfaSettings, PasswordRecord, StoredGroup, StoredUser, UserPoolError, UserPoolStore,
    UserStatus,
};

impl From<sqlx::Error> for UserPoolError {
    fn from(e: sqlx::Error) -> Self {
        UserPoolError::Store(e.into())
    }
}

/// `taken` for a unique-constraint violation (the name, alias or id is someone else's), the
/// storage error otherwise.
fn taken_or(e: sqlx::Error, taken: UserPoolError) -> UserPoolError {
    if is_unique_violation(&e) {
        taken
    } else {
        e.into()
    }
}

fn attributes_json(attributes: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(attributes).map_err(|e| StoreError::Query(e.to_string()))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Query(format!("a stored user's {what} is unreadable"))
}

fn password_json(p: &PasswordRecord) -> String {
    json!({
        "phc": p.phc,
        "srp_salt": hex::encode(&p.srp_salt),
        "srp_verifier": hex::encode(&p.srp_verifier),
        "set_at": unix(p.set_at),
    })
    .to_string()
}

fn password_from(text: &str) -> Result<PasswordRecord, StoreError> {
    let v: Value = serde_json::from_str(text).map_err(|_| corrupt("password"))?;
    let field = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| corrupt("password"))
    };
    let bytes = |name: &str| hex::decode(field(name)?).map_err(|_| corrupt("password"));
    Ok(PasswordRecord {
        phc: field("phc")?.to_string(),
        srp_salt: bytes("srp_salt")?,
        srp_verifier: bytes("srp_verifier")?,
        set_at: from_unix(v.get("set_at").and_then(Value::as_i64).unwrap_or(0)),
    })
}

fn mfa_json(m: &MfaSettings) -> String {
    json!({
        "software_token_secret": m.software_token_secret,
        "pending_software_token_secret": m.pending_software_token_secret,
        "software_token_enabled": m.software_token_enabled,
        "preferred": m.preferred,
        "last_totp_step": m.last_totp_step,
        "friendly_device_name": m.friendly_device_name,
    })
    .to_string()
}

fn mfa_from(text: &str) -> Result<MfaSettings, StoreError> {
    let v: Value = serde_json::from_str(text).map_err(|_| corrupt("MFA settings"))?;
    let string = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    Ok(MfaSettings {
        software_token_secret: string("software_token_secret"),
        pending_software_token_secret: string("pending_software_token_secret"),
        software_token_enabled: v
            .get("software_token_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        preferred: string("preferred"),
        last_totp_step: v.get("last_totp_step").and_then(Value::as_u64),
        friendly_device_name: string("friendly_device_name"),
    })
}

type UserRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    i64,
    i64,
    i64,
);

/// The user columns, in [`UserRow`]'s order (a macro: statements are `concat!`ed literals, as
/// sqlx takes only static SQL).
macro_rules! user_columns {
    () => {
        "pool, username, sub, attributes, status, enabled, password, mfa, created_at, updated_at, version"
    };
}

fn user_from(row: UserRow) -> Result<StoredUser, StoreError> {
    let (
        pool,
        username,
        sub,
        attributes,
        status,
        enabled,
        password,
        mfa,
        created,
        updated,
        version,
    ) = row;
    let attributes: BTreeMap<String, String> =
        serde_json::from_str(&attributes).map_err(|_| corrupt("attributes"))?;
    Ok(StoredUser {
        pool,
        username,
        sub,
        attributes,
        status: UserStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        enabled: enabled != 0,
        password: password.as_deref().map(password_from).transpose()?,
        mfa: mfa_from(&mfa)?,
        created: from_unix(created),
        modified: from_unix(updated),
        version: u64::try_from(version).unwrap_or(0),
    })
}

fn version_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

async fn put_aliases(
    tx: &mut Transaction<'_, Sqlite>,
    user: &StoredUser,
    aliases: &[Alias],
) -> Result<(), UserPoolError> {
    sqlx::query("DELETE FROM userpool_aliases WHERE pool = ? AND username = ?")
        .bind(&user.pool)
        .bind(&user.username)
        .execute(&mut **tx)
        .await?;
    for (kind, value) in aliases {
        sqlx::query(
            "INSERT INTO userpool_aliases (pool, kind, value, username) VALUES (?, ?, ?, ?)",
        )
        .bind(&user.pool)
        .bind(kind)
        .bind(value)
        .bind(&user.username)
        .execute(&mut **tx)
        .await
        .map_err(|e| taken_or(e, UserPoolError::AliasExists(kind.clone())))?;
    }
    Ok(())
}

type GroupRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

fn group_from(
    (pool, name, description, precedence, role_arn, created, updated): GroupRow,
) -> StoredGroup {
    StoredGroup {
        pool,
        name,
        description,
        precedence,
        role_arn,
        created: from_unix(created),
        modified: from_unix(updated),
    }
}

async fn fetch_user(
    store: &SqliteStore,
    query: sqlx::query::QueryAs<'_, Sqlite, UserRow, sqlx::sqlite::SqliteArguments>,
) -> Result<Option<StoredUser>, StoreError> {
    query
        .fetch_optional(store.pool())
        .await?
        .map(user_from)
        .transpose()
}

/// Deletes a row and what hangs off it, in one transaction: each of `dependents`, then `owner`,
/// all bound to (`pool`, `key`). `NotFound` (and nothing deleted) if `owner` matches no row.
async fn delete_with_dependents(
    store: &SqliteStore,
    dependents: &[&'static str],
    owner: &'static str,
    pool: &str,
    key: &str,
) -> Result<(), UserPoolError> {
    let mut tx = store.pool().begin().await?;
    for statement in dependents.iter().chain([&owner]) {
        let done = sqlx::query(*statement)
            .bind(pool)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        if *statement == owner && done.rows_affected() == 0 {
            // Dropping the transaction rolls the dependents' deletes back.
            return Err(UserPoolError::NotFound);
        }
    }
    tx.commit().await?;
    Ok(())
}

#[async_trait]
impl UserPoolStore for SqliteStore {
    async fn create_user(&self, user: &StoredUser, aliases: &[Alias]) -> Result<(), UserPoolError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(concat!(
            "INSERT INTO userpool_users (",
            user_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&user.pool)
        .bind(&user.username)
        .bind(&user.sub)
        .bind(attributes_json(&user.attributes)?)
        .bind(user.status.as_str())
        .bind(i64::from(user.enabled))
        .bind(user.password.as_ref().map(password_json))
        .bind(mfa_json(&user.mfa))
        .bind(unix(user.created))
        .bind(unix(user.modified))
        .bind(version_i64(user.version))
        .execute(&mut *tx)
        .await
        .map_err(|e| taken_or(e, UserPoolError::UsernameExists))?;
        put_aliases(&mut tx, user, aliases).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, pool: &str, username: &str) -> Result<Option<StoredUser>, StoreError> {
        let q = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM userpool_users WHERE pool = ? AND username = ?"
        ));
        fetch_user(self, q.bind(pool).bind(username)).await
    }

    async fn user_by_alias(
        &self,
        pool: &str,
        kind: &str,
        value: &str,
    ) -> Result<Option<StoredUser>, StoreError> {
        let q = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM userpool_users WHERE pool = ? AND username = (SELECT username FROM \
             userpool_aliases WHERE pool = userpool_users.pool AND kind = ? AND value = ?)"
        ));
        fetch_user(self, q.bind(pool).bind(kind).bind(value)).await
    }

    async fn user_by_sub(&self, pool: &str, sub: &str) -> Result<Option<StoredUser>, StoreError> {
        let q = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM userpool_users WHERE pool = ? AND sub = ?"
        ));
        fetch_user(self, q.bind(pool).bind(sub)).await
    }

    async fn update_user(
        &self,
        user: &StoredUser,
        aliases: &[Alias],
    ) -> Result<u64, UserPoolError> {
        let next = user.version.saturating_add(1);
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE userpool_users SET sub = ?, attributes = ?, status = ?, enabled = ?, \
             password = ?, mfa = ?, updated_at = ?, version = ? \
             WHERE pool = ? AND username = ? AND version = ?",
        )
        .bind(&user.sub)
        .bind(attributes_json(&user.attributes)?)
        .bind(user.status.as_str())
        .bind(i64::from(user.enabled))
        .bind(user.password.as_ref().map(password_json))
        .bind(mfa_json(&user.mfa))
        .bind(unix(user.modified))
        .bind(version_i64(next))
        .bind(&user.pool)
        .bind(&user.username)
        .bind(version_i64(user.version))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<(i64,)> =
                sqlx::query_as("SELECT 1 FROM userpool_users WHERE pool = ? AND username = ?")
                    .bind(&user.pool)
                    .bind(&user.username)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(if exists.is_some() {
                UserPoolError::Conflict
            } else {
                UserPoolError::NotFound
            });
        }
        put_aliases(&mut tx, user, aliases).await?;
        tx.commit().await?;
        Ok(next)
    }

    async fn delete_user(&self, pool: &str, username: &str) -> Result<(), UserPoolError> {
        delete_with_dependents(
            self,
            &[
                "DELETE FROM userpool_aliases WHERE pool = ? AND username = ?",
                "DELETE FROM userpool_memberships WHERE pool = ? AND username = ?",
            ],
            "DELETE FROM userpool_users WHERE pool = ? AND username = ?",
            pool,
            username,
        )
        .await
    }

    async fn list_users(
        &self,
        pool: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredUser>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM userpool_users WHERE pool = ? AND username > ? ORDER BY username LIMIT ?"
        ))
        .bind(pool)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(user_from).collect()
    }

    async fn create_group(&self, group: &StoredGroup) -> Result<(), UserPoolError> {
        sqlx::query(
            "INSERT INTO userpool_groups (pool, name, description, precedence, role_arn, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&group.pool)
        .bind(&group.name)
        .bind(&group.description)
        .bind(group.precedence)
        .bind(&group.role_arn)
        .bind(unix(group.created))
        .bind(unix(group.modified))
        .execute(self.pool())
        .await
        .map_err(|e| taken_or(e, UserPoolError::GroupExists))?;
        Ok(())
    }

    async fn group(&self, pool: &str, name: &str) -> Result<Option<StoredGroup>, StoreError> {
        let row: Option<GroupRow> = sqlx::query_as(
            "SELECT pool, name, description, precedence, role_arn, created_at, updated_at \
             FROM userpool_groups WHERE pool = ? AND name = ?",
        )
        .bind(pool)
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(group_from))
    }

    async fn list_groups(&self, pool: &str) -> Result<Vec<StoredGroup>, StoreError> {
        let rows: Vec<GroupRow> = sqlx::query_as(
            "SELECT pool, name, description, precedence, role_arn, created_at, updated_at \
             FROM userpool_groups WHERE pool = ? ORDER BY name",
        )
        .bind(pool)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(group_from).collect())
    }

    async fn delete_group(&self, pool: &str, name: &str) -> Result<(), UserPoolError> {
        delete_with_dependents(
            self,
            &["DELETE FROM userpool_memberships WHERE pool = ? AND group_name = ?"],
            "DELETE FROM userpool_groups WHERE pool = ? AND name = ?",
            pool,
            name,
        )
        .await
    }

    async fn add_user_to_group(
        &self,
        pool: &str,
        username: &str,
        group: &str,
    ) -> Result<(), UserPoolError> {
        // Both must exist: checked in the statement itself, so a concurrent delete cannot slip
        // between a check and the insert.
        let done = sqlx::query(
            "INSERT OR IGNORE INTO userpool_memberships (pool, group_name, username) \
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM userpool_groups WHERE pool = ?1 AND name = ?2) \
             AND EXISTS (SELECT 1 FROM userpool_users WHERE pool = ?1 AND username = ?3)",
        )
        .bind(pool)
        .bind(group)
        .bind(username)
        .execute(self.pool())
        .await
        ?;
        if done.rows_affected() == 0 {
            let member: Option<(i64,)> = sqlx::query_as(
                "SELECT 1 FROM userpool_memberships WHERE pool = ? AND group_name = ? AND username = ?",
            )
            .bind(pool)
            .bind(group)
            .bind(username)
            .fetch_optional(self.pool())
            .await
            ?;
            if member.is_none() {
                return Err(UserPoolError::NotFound);
            }
        }
        Ok(())
    }

    async fn remove_user_from_group(
        &self,
        pool: &str,
        username: &str,
        group: &str,
    ) -> Result<(), UserPoolError> {
        let done = sqlx::query(
            "DELETE FROM userpool_memberships WHERE pool = ? AND group_name = ? AND username = ?",
        )
        .bind(pool)
        .bind(group)
        .bind(username)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(UserPoolError::NotFound);
        }
        Ok(())
    }

    async fn groups_of_user(
        &self,
        pool: &str,
        username: &str,
    ) -> Result<Vec<StoredGroup>, StoreError> {
        let rows: Vec<GroupRow> = sqlx::query_as(
            "SELECT g.pool, g.name, g.description, g.precedence, g.role_arn, g.created_at, \
             g.updated_at FROM userpool_groups g JOIN userpool_memberships m \
             ON m.pool = g.pool AND m.group_name = g.name \
             WHERE g.pool = ? AND m.username = ? \
             ORDER BY g.precedence IS NULL, g.precedence, g.name",
        )
        .bind(pool)
        .bind(username)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(group_from).collect())
    }
}
