//! [`SignInStore`] on SQLite: `userpool_signing_keys`, `userpool_sessions`, `userpool_codes` and
//! `userpool_outbox` (`migrations/sqlite/0006_*.sql`), and the refresh tokens rotations retired,
//! `userpool_retired_refresh` (`0007_*.sql`).
//!
//! The statements that read before they write (the first key, rotation, a code check) run in a
//! `BEGIN IMMEDIATE` transaction: it takes the database's write lock before the read, so a
//! concurrent writer waits (the busy timeout) instead of acting on the same stale read.

use std::time::SystemTime;

use async_trait::async_trait;
use subtle::ConstantTimeEq;

use super::{SqliteStore, from_unix, unix};
use crate::StoreError;
use crate::signin::{
    CODE_ATTEMPTS, CodeCheck, CodePurpose, CodeRedemption, OAuthCode, OutboxMessage, SignInSession,
    SignInStore, StoredSigningKey,
};

fn purpose_from(text: &str) -> Result<CodePurpose, StoreError> {
    [
        CodePurpose::SignUp,
        CodePurpose::ForgotPassword,
        CodePurpose::VerifyAttribute,
    ]
    .into_iter()
    .find(|p| p.as_str() == text)
    .ok_or_else(|| StoreError::Query(format!("a stored code purpose is unreadable: {text:?}")))
}

type KeyRow = (String, i64, Option<i64>, String);

fn key_from((kid, created_at, retired_at, private_key_pem): KeyRow) -> StoredSigningKey {
    StoredSigningKey {
        kid,
        created_at: from_unix(created_at),
        retired_at: retired_at.map(from_unix),
        private_key_pem,
    }
}

type SessionRow = (
    String,
    String,
    String,
    String,
    Vec<u8>,
    i64,
    i64,
    Option<i64>,
    String,
);

/// Scopes as a column keeps them: space-separated ('' for none).
pub(super) fn scopes_from(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn session_from(row: SessionRow) -> Result<SignInSession, StoreError> {
    let (pool, origin_jti, client_id, username, hash, auth_time, expires_at, revoked_at, scopes) =
        row;
    // The table's CHECK keeps every hash 32 bytes long; a row that is not is refused.
    let refresh_sha256 = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| {
        StoreError::Query(format!(
            "sign-in session {origin_jti}: the refresh token hash is not 32 bytes"
        ))
    })?;
    Ok(SignInSession {
        pool,
        origin_jti,
        client_id,
        username,
        refresh_sha256,
        auth_time: from_unix(auth_time),
        expires_at: from_unix(expires_at),
        revoked_at: revoked_at.map(from_unix),
        scopes: scopes_from(&scopes),
    })
}

type OutboxRow = (String, String, String, String, String, String, i64);

fn outbox_from(row: OutboxRow) -> Result<OutboxMessage, StoreError> {
    let (pool, username, purpose, medium, destination, code, sent_at) = row;
    Ok(OutboxMessage {
        pool,
        username,
        purpose: purpose_from(&purpose)?,
        medium,
        destination,
        code,
        sent_at: from_unix(sent_at),
    })
}

async fn keys_of<'e, E>(executor: E, pool: &str) -> Result<Vec<StoredSigningKey>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT kid, created_at, retired_at, private_key_pem FROM userpool_signing_keys \
         WHERE pool = ? ORDER BY created_at, rowid",
    )
    .bind(pool)
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(key_from).collect())
}

#[async_trait]
impl SignInStore for SqliteStore {
    async fn signing_keys(&self, pool: &str) -> Result<Vec<StoredSigningKey>, StoreError> {
        keys_of(self.pool(), pool).await
    }

    async fn first_signing_key(
        &self,
        pool: &str,
        key: &StoredSigningKey,
    ) -> Result<Vec<StoredSigningKey>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO userpool_signing_keys (pool, kid, created_at, retired_at, \
             private_key_pem) SELECT ?1, ?2, ?3, ?4, ?5 \
             WHERE NOT EXISTS (SELECT 1 FROM userpool_signing_keys WHERE pool = ?1)",
        )
        .bind(pool)
        .bind(&key.kid)
        .bind(unix(key.created_at))
        .bind(key.retired_at.map(unix))
        .bind(&key.private_key_pem)
        .execute(&mut *tx)
        .await?;
        let keys = keys_of(&mut *tx, pool).await?;
        tx.commit().await?;
        Ok(keys)
    }

    async fn rotate_signing_key(
        &self,
        pool: &str,
        next: &StoredSigningKey,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE userpool_signing_keys SET retired_at = ? WHERE pool = ? AND retired_at IS NULL",
        )
        .bind(unix(now))
        .bind(pool)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO userpool_signing_keys (pool, kid, created_at, retired_at, \
             private_key_pem) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(pool)
        .bind(&next.kid)
        .bind(unix(next.created_at))
        .bind(next.retired_at.map(unix))
        .bind(&next.private_key_pem)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn prune_signing_keys(&self, pool: &str, before: SystemTime) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM userpool_signing_keys WHERE pool = ? AND retired_at IS NOT NULL \
             AND retired_at < ?",
        )
        .bind(pool)
        .bind(unix(before))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    async fn create_session(&self, session: &SignInSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO userpool_sessions (pool, origin_jti, client_id, username, \
             refresh_sha256, auth_time, expires_at, revoked_at, scopes) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session.pool)
        .bind(&session.origin_jti)
        .bind(&session.client_id)
        .bind(&session.username)
        .bind(&session.refresh_sha256[..])
        .bind(unix(session.auth_time))
        .bind(unix(session.expires_at))
        .bind(session.revoked_at.map(unix))
        .bind(session.scopes.join(" "))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session_by_refresh(
        &self,
        pool: &str,
        refresh_sha256: &[u8; 32],
    ) -> Result<Option<SignInSession>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT pool, origin_jti, client_id, username, refresh_sha256, auth_time, \
             expires_at, revoked_at, scopes FROM userpool_sessions \
             WHERE pool = ? AND refresh_sha256 = ?",
        )
        .bind(pool)
        .bind(&refresh_sha256[..])
        .fetch_optional(self.pool())
        .await?;
        row.map(session_from).transpose()
    }

    async fn retired_refresh(
        &self,
        pool: &str,
        refresh_sha256: &[u8; 32],
    ) -> Result<Option<(SignInSession, SystemTime)>, StoreError> {
        let row: Option<(
            String,
            String,
            String,
            String,
            Vec<u8>,
            i64,
            i64,
            Option<i64>,
            String,
            i64,
        )> = sqlx::query_as(
            "SELECT s.pool, s.origin_jti, s.client_id, s.username, s.refresh_sha256, \
                 s.auth_time, s.expires_at, s.revoked_at, s.scopes, r.valid_until \
                 FROM userpool_retired_refresh r JOIN userpool_sessions s \
                 ON s.pool = r.pool AND s.origin_jti = r.origin_jti \
                 WHERE r.pool = ? AND r.refresh_sha256 = ?",
        )
        .bind(pool)
        .bind(&refresh_sha256[..])
        .fetch_optional(self.pool())
        .await?;
        row.map(
            |(p, jti, client, user, hash, auth, expires, revoked, scopes, until)| {
                let session =
                    session_from((p, jti, client, user, hash, auth, expires, revoked, scopes))?;
                Ok((session, from_unix(until)))
            },
        )
        .transpose()
    }

    async fn rotate_refresh(
        &self,
        pool: &str,
        origin_jti: &str,
        current: &[u8; 32],
        next: &[u8; 32],
        retired_until: SystemTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE userpool_sessions SET refresh_sha256 = ? \
             WHERE pool = ? AND origin_jti = ? AND refresh_sha256 = ? AND revoked_at IS NULL",
        )
        .bind(&next[..])
        .bind(pool)
        .bind(origin_jti)
        .bind(&current[..])
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO userpool_retired_refresh (pool, refresh_sha256, origin_jti, valid_until) \
             VALUES (?, ?, ?, ?) ON CONFLICT (pool, refresh_sha256) DO NOTHING",
        )
        .bind(pool)
        .bind(&current[..])
        .bind(origin_jti)
        .bind(unix(retired_until))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn revoke_session(
        &self,
        pool: &str,
        origin_jti: &str,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE userpool_sessions SET revoked_at = ? \
             WHERE pool = ? AND origin_jti = ? AND revoked_at IS NULL",
        )
        .bind(unix(now))
        .bind(pool)
        .bind(origin_jti)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_user_sessions(
        &self,
        pool: &str,
        username: &str,
        now: SystemTime,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE userpool_sessions SET revoked_at = ? \
             WHERE pool = ? AND username = ? AND revoked_at IS NULL",
        )
        .bind(unix(now))
        .bind(pool)
        .bind(username)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    async fn is_revoked(&self, pool: &str, origin_jti: &str) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM userpool_sessions \
             WHERE pool = ? AND origin_jti = ? AND revoked_at IS NOT NULL",
        )
        .bind(pool)
        .bind(origin_jti)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    async fn revoked_since(
        &self,
        since: SystemTime,
    ) -> Result<Vec<(String, String, SystemTime)>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT pool, origin_jti, revoked_at FROM userpool_sessions \
             WHERE revoked_at IS NOT NULL AND revoked_at >= ? \
             ORDER BY revoked_at, pool, origin_jti",
        )
        .bind(unix(since))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(pool, jti, at)| (pool, jti, from_unix(at)))
            .collect())
    }

    async fn purge_sessions(&self, before: SystemTime) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("DELETE FROM userpool_sessions WHERE expires_at < ?")
            .bind(unix(before))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM userpool_retired_refresh WHERE NOT EXISTS (SELECT 1 FROM \
             userpool_sessions s WHERE s.pool = userpool_retired_refresh.pool \
             AND s.origin_jti = userpool_retired_refresh.origin_jti)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM userpool_oauth_codes WHERE expires_at < ?")
            .bind(unix(before))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn put_oauth_code(&self, code: &OAuthCode) -> Result<(), StoreError> {
        super::oauth_codes::put(self, code).await
    }

    async fn redeem_oauth_code(
        &self,
        pool: &str,
        code_sha256: &[u8; 32],
        origin_jti: &str,
        now: SystemTime,
    ) -> Result<CodeRedemption, StoreError> {
        super::oauth_codes::redeem(self, pool, code_sha256, origin_jti, now).await
    }

    async fn put_code(
        &self,
        pool: &str,
        username: &str,
        purpose: CodePurpose,
        digest: &[u8; 32],
        expires_at: SystemTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO userpool_codes (pool, username, purpose, digest, expires_at, attempts) \
             VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (pool, username, purpose) DO UPDATE SET \
             digest = excluded.digest, expires_at = excluded.expires_at, attempts = 0",
        )
        .bind(pool)
        .bind(username)
        .bind(purpose.as_str())
        .bind(&digest[..])
        .bind(unix(expires_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn check_code(
        &self,
        pool: &str,
        username: &str,
        purpose: CodePurpose,
        digest: &[u8; 32],
        now: SystemTime,
    ) -> Result<CodeCheck, StoreError> {
        const DELETE: &str =
            "DELETE FROM userpool_codes WHERE pool = ? AND username = ? AND purpose = ?";
        // Write-locked from the read on: two concurrent wrong guesses each spend an attempt.
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(Vec<u8>, i64, i64)> = sqlx::query_as(
            "SELECT digest, expires_at, attempts FROM userpool_codes \
             WHERE pool = ? AND username = ? AND purpose = ?",
        )
        .bind(pool)
        .bind(username)
        .bind(purpose.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((stored, expires_at, attempts)) = row else {
            return Ok(CodeCheck::Missing);
        };
        let outcome = if expires_at <= unix(now) {
            CodeCheck::Expired
        } else if bool::from(stored.as_slice().ct_eq(&digest[..])) {
            CodeCheck::Matched
        } else if attempts.saturating_add(1) >= i64::from(CODE_ATTEMPTS) {
            CodeCheck::TooManyAttempts
        } else {
            CodeCheck::Mismatch
        };
        let statement = if outcome == CodeCheck::Mismatch {
            "UPDATE userpool_codes SET attempts = attempts + 1 \
             WHERE pool = ? AND username = ? AND purpose = ?"
        } else {
            // Matched, expired or out of attempts: the code is spent.
            DELETE
        };
        sqlx::query(statement)
            .bind(pool)
            .bind(username)
            .bind(purpose.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn delete_codes(&self, pool: &str, username: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM userpool_codes WHERE pool = ? AND username = ?")
            .bind(pool)
            .bind(username)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn push_outbox(&self, message: &OutboxMessage) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO userpool_outbox (pool, username, purpose, medium, destination, code, \
             sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&message.pool)
        .bind(&message.username)
        .bind(message.purpose.as_str())
        .bind(&message.medium)
        .bind(&message.destination)
        .bind(&message.code)
        .bind(unix(message.sent_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn outbox(
        &self,
        pool: &str,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows: Vec<OutboxRow> = match username {
            Some(username) => {
                sqlx::query_as(
                    "SELECT pool, username, purpose, medium, destination, code, sent_at \
                     FROM userpool_outbox WHERE pool = ? AND username = ? \
                     ORDER BY id DESC LIMIT ?",
                )
                .bind(pool)
                .bind(username)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as(
                    "SELECT pool, username, purpose, medium, destination, code, sent_at \
                     FROM userpool_outbox WHERE pool = ? ORDER BY id DESC LIMIT ?",
                )
                .bind(pool)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.into_iter().map(outbox_from).collect()
    }
}
