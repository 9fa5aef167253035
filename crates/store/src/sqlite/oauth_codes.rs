//! Authorization codes on SQLite (`userpool_oauth_codes`, `migrations/sqlite/0008_*.sql`): stored
//! as their SHA-256, redeemed at most once under the write lock.

use std::time::SystemTime;

use super::signin::scopes_from;
use super::{SqliteStore, from_unix, unix};
use crate::StoreError;
use crate::signin::{CodeRedemption, OAuthCode};

pub(super) async fn put(store: &SqliteStore, code: &OAuthCode) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO userpool_oauth_codes (pool, code_sha256, client_id, username, redirect_uri, \
         code_challenge, scopes, nonce, auth_time, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&code.pool)
    .bind(&code.code_sha256[..])
    .bind(&code.client_id)
    .bind(&code.username)
    .bind(&code.redirect_uri)
    .bind(code.code_challenge.as_deref())
    .bind(code.scopes.join(" "))
    .bind(code.nonce.as_deref())
    .bind(unix(code.auth_time))
    .bind(unix(code.expires_at))
    .execute(store.pool())
    .await?;
    Ok(())
}

type CodeRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

pub(super) async fn redeem(
    store: &SqliteStore,
    pool: &str,
    code_sha256: &[u8; 32],
    origin_jti: &str,
    now: SystemTime,
) -> Result<CodeRedemption, StoreError> {
    // Write-locked from the read on: of two concurrent redemptions, one wins, the other finds
    // the code spent.
    let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await?;
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT client_id, username, redirect_uri, code_challenge, scopes, nonce, auth_time, \
         expires_at, redeemed_at, origin_jti FROM userpool_oauth_codes \
         WHERE pool = ? AND code_sha256 = ?",
    )
    .bind(pool)
    .bind(&code_sha256[..])
    .fetch_optional(&mut *tx)
    .await?;
    let Some((
        client_id,
        username,
        redirect_uri,
        code_challenge,
        scopes,
        nonce,
        auth_time,
        expires_at,
        redeemed_at,
        first_session,
    )) = row
    else {
        return Ok(CodeRedemption::Unknown);
    };
    if redeemed_at.is_some() {
        return Ok(CodeRedemption::Reused {
            origin_jti: first_session,
        });
    }
    if expires_at <= unix(now) {
        return Ok(CodeRedemption::Expired);
    }
    sqlx::query(
        "UPDATE userpool_oauth_codes SET redeemed_at = ?, origin_jti = ? \
         WHERE pool = ? AND code_sha256 = ?",
    )
    .bind(unix(now))
    .bind(origin_jti)
    .bind(pool)
    .bind(&code_sha256[..])
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CodeRedemption::Redeemed(Box::new(OAuthCode {
        pool: pool.to_string(),
        code_sha256: *code_sha256,
        client_id,
        username,
        redirect_uri,
        code_challenge,
        scopes: scopes_from(&scopes),
        nonce,
        auth_time: from_unix(auth_time),
        expires_at: from_unix(expires_at),
    })))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{SignInSession, SignInStore};

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn code(byte: u8) -> OAuthCode {
        OAuthCode {
            pool: "us-east-1_Test".into(),
            code_sha256: [byte; 32],
            client_id: "web".into(),
            username: "alice".into(),
            redirect_uri: "https://app.example/cb".into(),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            scopes: vec!["openid".into(), "email".into()],
            nonce: Some("n-0S6_WzA2Mj".into()),
            auth_time: at(0),
            expires_at: at(300),
        }
    }

    #[tokio::test]
    async fn a_code_is_redeemed_once_and_remembers_its_session() {
        let s = SqliteStore::memory().await.unwrap();
        s.put_oauth_code(&code(1)).await.unwrap();
        let pool = "us-east-1_Test";
        assert_eq!(
            s.redeem_oauth_code(pool, &[1; 32], "jti-1", at(10))
                .await
                .unwrap(),
            CodeRedemption::Redeemed(Box::new(code(1)))
        );
        assert_eq!(
            s.redeem_oauth_code(pool, &[1; 32], "jti-2", at(11))
                .await
                .unwrap(),
            CodeRedemption::Reused {
                origin_jti: Some("jti-1".into())
            }
        );
        // Another pool's code of the same digest does not exist.
        assert_eq!(
            s.redeem_oauth_code("us-east-1_Other", &[1; 32], "jti-3", at(11))
                .await
                .unwrap(),
            CodeRedemption::Unknown
        );
        assert_eq!(
            s.redeem_oauth_code(pool, &[9; 32], "jti-3", at(11))
                .await
                .unwrap(),
            CodeRedemption::Unknown
        );
    }

    #[tokio::test]
    async fn an_expired_code_is_refused_and_purged() {
        let s = SqliteStore::memory().await.unwrap();
        s.put_oauth_code(&code(2)).await.unwrap();
        let pool = "us-east-1_Test";
        assert_eq!(
            s.redeem_oauth_code(pool, &[2; 32], "jti", at(300))
                .await
                .unwrap(),
            CodeRedemption::Expired
        );
        s.purge_sessions(at(301)).await.unwrap();
        assert_eq!(
            s.redeem_oauth_code(pool, &[2; 32], "jti", at(10))
                .await
                .unwrap(),
            CodeRedemption::Unknown
        );
    }

    #[tokio::test]
    async fn sessions_keep_their_scopes() {
        let s = SqliteStore::memory().await.unwrap();
        let session = SignInSession {
            pool: "us-east-1_Test".into(),
            origin_jti: "jti".into(),
            client_id: "web".into(),
            username: "alice".into(),
            refresh_sha256: [7; 32],
            auth_time: at(0),
            expires_at: at(3600),
            revoked_at: None,
            scopes: vec!["openid".into(), "profile".into()],
        };
        s.create_session(&session).await.unwrap();
        let read = s
            .session_by_refresh("us-east-1_Test", &[7; 32])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, session);
    }
}
