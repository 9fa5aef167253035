//! Issuing tokens: a sign-in opens a session (its refresh token, kept by storage as a hash) and
//! gets ID and access tokens; a refresh gets new ones for the same session (`origin_jti` kept,
//! so revoking the session refuses them all).

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use config::{AppClientConfig, UserPoolConfig};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{Value, json};
use store::{SignInSession, StoredUser};
use tokens::{AccessToken, IdToken, TokenIds};
use userpools::CognitoError;

use crate::{Provider, internal};

/// The scope of tokens from a user's own sign-in: it lets them call the user's own operations
/// (GetUser, ChangePassword, …), as in Cognito.
pub(crate) const USER_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// SHA-256 of a refresh token: the only form storage keeps.
pub(crate) fn refresh_digest(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

pub(crate) fn new_refresh_token() -> Result<String, CognitoError> {
    let mut bytes = [0u8; 48];
    SystemRandom::new().fill(&mut bytes).map_err(internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What an authorization-code sign-in grants: its scopes (empty: an API sign-in, whose
/// access tokens carry the user-admin scope alone) and the request's `nonce`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Grant {
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
}

/// The scopes a session's access tokens carry.
fn access_scopes(granted: &[String]) -> Vec<String> {
    if granted.is_empty() {
        vec![USER_ADMIN_SCOPE.to_string()]
    } else {
        granted.to_vec()
    }
}

/// Whether a session's tokens include an ID token: every API sign-in's does; an OAuth grant's
/// only with the `openid` scope, as Cognito's token endpoint.
fn has_id_token(granted: &[String]) -> bool {
    granted.is_empty() || granted.iter().any(|s| s == "openid")
}

impl Provider {
    /// A fresh sign-in of `user` through `client`: a new session, and its three tokens.
    pub(crate) async fn sign_in(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        user: &StoredUser,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        self.open_session(
            pool,
            client,
            user,
            &Grant::default(),
            TokenIds::random(),
            now,
            now,
        )
        .await
    }

    /// A new session of `user` through `client` for `grant`, named `ids.origin_jti`, signed in
    /// at `auth_time`: its refresh token and its tokens.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_session(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        user: &StoredUser,
        grant: &Grant,
        ids: TokenIds,
        auth_time: SystemTime,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let refresh = new_refresh_token()?;
        let session = SignInSession {
            pool: pool.id.clone(),
            origin_jti: ids.origin_jti.clone(),
            client_id: client.id.clone(),
            username: user.username.clone(),
            refresh_sha256: refresh_digest(&refresh),
            auth_time,
            expires_at: now + client.refresh_token_validity,
            revoked_at: None,
            scopes: grant.scopes.clone(),
        };
        self.shared
            .signin
            .create_session(&session)
            .await
            .map_err(internal)?;
        let mut result = self
            .tokens(pool, client, user, ids, grant, auth_time, now)
            .await?;
        if let Some(obj) = result.as_object_mut() {
            obj.insert("RefreshToken".into(), Value::String(refresh));
        }
        Ok(result)
    }

    /// ID and access tokens for `user` in the session `ids.origin_jti` names, as
    /// `AuthenticationResult` (without a refresh token); no `IdToken` for a grant without
    /// `openid`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn tokens(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        user: &StoredUser,
        ids: TokenIds,
        grant: &Grant,
        auth_time: SystemTime,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let keys = self.pool_keys(&pool.id, now).await?;
        let groups: Vec<String> = self
            .shared
            .users
            .groups_of_user(&pool.id, &user.username)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|g| g.name)
            .collect();
        let issuer = self.issuer_of(pool);
        let attr = |n: &str| user.attributes.get(n).cloned();
        let id = IdToken {
            sub: user.sub.clone(),
            username: user.username.clone(),
            client_id: client.id.clone(),
            groups: groups.clone(),
            email: attr("email"),
            email_verified: attr("email")
                .map(|_| attr("email_verified").as_deref() == Some("true")),
            custom: user
                .attributes
                .iter()
                .filter_map(|(n, v)| {
                    n.strip_prefix("custom:")
                        .map(|c| (c.to_string(), v.clone()))
                })
                .collect(),
            auth_time,
            ids: ids.clone(),
            nonce: grant.nonce.clone(),
        };
        let access = AccessToken {
            sub: user.sub.clone(),
            username: user.username.clone(),
            client_id: client.id.clone(),
            scopes: access_scopes(&grant.scopes),
            groups,
            auth_time,
            ids,
        };
        let key = keys.set.current();
        let id_token =
            tokens::issue::sign_id_token(key, &issuer, &id, now, client.id_token_validity)
                .map_err(internal)?;
        let access_token = tokens::issue::sign_access_token(
            key,
            &issuer,
            &access,
            now,
            client.access_token_validity,
        )
        .map_err(internal)?;
        let mut result = json!({
            "AccessToken": access_token,
            "ExpiresIn": client.access_token_validity.as_secs(),
            "TokenType": "Bearer",
        });
        if has_id_token(&grant.scopes)
            && let Some(obj) = result.as_object_mut()
        {
            obj.insert("IdToken".into(), Value::String(id_token));
        }
        Ok(result)
    }
}
