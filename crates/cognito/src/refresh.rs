//! Refreshing a session: new ID and access tokens for the session a refresh token belongs to
//! (`origin_jti` kept, so revoking the session refuses every token of it), and for a client with
//! refresh-token rotation a new refresh token too, the presented one staying usable only for
//! the client's grace period (Cognito's `RefreshTokenRotation`).
//!
//! Rotation is served by GetTokensFromRefreshToken and the token endpoint only, as in Cognito:
//! `REFRESH_TOKEN_AUTH` is refused to a rotating client ([`refuse_rotating`]).

use std::time::SystemTime;

use config::{AppClientConfig, UserPoolConfig};
use serde_json::Value;
use store::SignInSession;
use tokens::TokenIds;
use userpools::{CognitoError, ErrorType};

use crate::auth::flow_not_enabled;
use crate::issue::{new_refresh_token, refresh_digest};
use crate::signup::check_secret_hash;
use crate::{Provider, internal};

/// How often a rotation is retried when a concurrent one (the same client retrying) moved the
/// session on between the read and the write.
const ROTATION_ATTEMPTS: usize = 3;

/// `REFRESH_TOKEN_AUTH` (InitiateAuth, AdminInitiateAuth) for a client with rotation: the flow
/// such a client may not allow (the loader refuses it in `auth_flows`; this holds whatever the
/// list says).
pub(crate) fn refuse_rotating(client: &AppClientConfig, flow: &str) -> Result<(), CognitoError> {
    if client.refresh_token_rotation.is_some() {
        return Err(flow_not_enabled(flow));
    }
    Ok(())
}

impl Provider {
    /// The live session of refresh token `digest` for `client`: its current token, or (for a
    /// rotating client) a token its rotation retired, within the grace period.
    async fn refresh_session(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        digest: &[u8; 32],
        now: SystemTime,
    ) -> Result<SignInSession, CognitoError> {
        let invalid_token = || CognitoError::new(ErrorType::NotAuthorized, "Invalid Refresh Token");
        let signin = &self.shared.signin;
        let (session, retired_until) = match signin
            .session_by_refresh(&pool.id, digest)
            .await
            .map_err(internal)?
        {
            Some(s) => (s, None),
            None => match signin
                .retired_refresh(&pool.id, digest)
                .await
                .map_err(internal)?
            {
                Some((s, until)) => (s, Some(until)),
                None => return Err(invalid_token()),
            },
        };
        if session.client_id != client.id {
            return Err(invalid_token());
        }
        if session.revoked_at.is_some() {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                "Refresh Token has been revoked",
            ));
        }
        if session.expires_at <= now {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                "Refresh Token has expired",
            ));
        }
        if let Some(until) = retired_until
            && (until <= now || client.refresh_token_rotation.is_none())
        {
            return Err(CognitoError::new(
                ErrorType::RefreshTokenReuse,
                "Refresh Token has already been used: refresh token rotation replaced it",
            ));
        }
        Ok(session)
    }

    /// A refresh: new ID and access tokens for the token's session (`AuthenticationResult`),
    /// with a new `RefreshToken` when the client rotates them. `client_authenticated`: the
    /// caller already proved the client's secret (GetTokensFromRefreshToken's `ClientSecret`,
    /// the OAuth token endpoint).
    pub(crate) async fn refresh(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        token: &str,
        secret_hash: Option<&str>,
        client_authenticated: bool,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let digest = refresh_digest(token);
        let mut session = self.refresh_session(pool, client, &digest, now).await?;
        if !client_authenticated {
            check_secret_hash(client, &session.username, secret_hash)?;
        }
        let user = self
            .shared
            .users
            .user(&pool.id, &session.username)
            .await
            .map_err(internal)?
            .ok_or_else(|| CognitoError::new(ErrorType::NotAuthorized, "User does not exist."))?;
        if !user.enabled {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                "User is disabled.",
            ));
        }
        let rotated = match client.refresh_token_rotation {
            None => None,
            Some(rotation) => {
                let retired_until = now + rotation.retry_grace_period;
                let mut attempts = 0;
                loop {
                    let next = new_refresh_token()?;
                    let moved = self
                        .shared
                        .signin
                        .rotate_refresh(
                            &pool.id,
                            &session.origin_jti,
                            &session.refresh_sha256,
                            &refresh_digest(&next),
                            retired_until,
                        )
                        .await
                        .map_err(internal)?;
                    if moved {
                        break Some(next);
                    }
                    attempts += 1;
                    if attempts == ROTATION_ATTEMPTS {
                        return Err(CognitoError::new(
                            ErrorType::TooManyRequests,
                            "The session was refreshed by another request; try again.",
                        ));
                    }
                    // Read again: the presented token may now be retired (still in its grace),
                    // or the session revoked.
                    session = self.refresh_session(pool, client, &digest, now).await?;
                }
            }
        };
        // The session's grant: its scopes; the nonce belonged to the first ID token only.
        let grant = crate::issue::Grant {
            scopes: session.scopes.clone(),
            nonce: None,
        };
        let ids = TokenIds {
            origin_jti: session.origin_jti.clone(),
            ..TokenIds::random()
        };
        let mut result = self
            .tokens(pool, client, &user, ids, &grant, session.auth_time, now)
            .await?;
        if let (Some(next), Some(obj)) = (rotated, result.as_object_mut()) {
            obj.insert("RefreshToken".into(), Value::String(next));
        }
        Ok(result)
    }

    /// The session a refresh token names for RevokeToken: current or retired, revoked or not.
    pub(crate) async fn session_of_refresh(
        &self,
        pool: &UserPoolConfig,
        token: &str,
    ) -> Result<Option<SignInSession>, CognitoError> {
        let digest = refresh_digest(token);
        let signin = &self.shared.signin;
        if let Some(s) = signin
            .session_by_refresh(&pool.id, &digest)
            .await
            .map_err(internal)?
        {
            return Ok(Some(s));
        }
        Ok(signin
            .retired_refresh(&pool.id, &digest)
            .await
            .map_err(internal)?
            .map(|(s, _)| s))
    }
}
