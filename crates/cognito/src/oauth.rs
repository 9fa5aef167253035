//! `POST /oauth2/token`, as Cognito's token endpoint: the `client_credentials` grant (a
//! client with a secret gets an access token for resource-server scopes), the
//! `authorization_code` grant (`code_grant.rs`) and the `refresh_token` grant (with a new
//! refresh token for a client with rotation); and `POST /oauth2/revoke`. Errors are RFC 6749's
//! (`{"error": "invalid_client"}`).

use std::time::SystemTime;

use config::{AppClientConfig, OAuthFlow, UserPoolConfig};
use serde_json::{Value, json};
use tokens::{AccessToken, TokenIds};

use crate::Provider;

/// A token request, read by the gateway from the form body and the `Authorization: Basic`
/// header.
#[derive(Debug, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
    pub refresh_token: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

/// A revocation request (`/oauth2/revoke`): `token`, and the client as at the token endpoint.
#[derive(Debug, Default)]
pub struct RevokeRequest {
    pub token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// An RFC 6749 §5.2 error: its code and the HTTP status Cognito answers it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
}

impl OAuthError {
    pub(crate) fn new(status: u16, error: &'static str) -> Self {
        OAuthError { status, error }
    }

    pub fn body(&self) -> String {
        json!({"error": self.error}).to_string()
    }
}

impl Provider {
    /// The pool and client a request names, the client proving its secret if it has one.
    fn oauth_client(
        &self,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<(&UserPoolConfig, &AppClientConfig), OAuthError> {
        let invalid_client = || OAuthError::new(401, "invalid_client");
        let client_id = client_id.ok_or_else(invalid_client)?;
        let (pool, client) = self.client(client_id).map_err(|_| invalid_client())?;
        // A client with a secret must present it; one without must not claim one.
        match (&client.secret, client_secret) {
            (Some(secret), Some(presented)) if crate::signup::secret_matches(secret, presented) => {
            }
            (None, None) => {}
            _ => return Err(invalid_client()),
        }
        Ok((pool, client))
    }

    /// `/oauth2/revoke`: ends the session of a refresh token, as RevokeToken. An unknown token
    /// is revoked already (RFC 7009 §2.2: 200); a token that is not a refresh token (a JWT),
    /// or another client's, is `unsupported_token_type`.
    pub async fn oauth_revoke(
        &self,
        req: &RevokeRequest,
        now: SystemTime,
    ) -> Result<(), OAuthError> {
        let token = req
            .token
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::new(400, "invalid_request"))?;
        let (pool, client) =
            self.oauth_client(req.client_id.as_deref(), req.client_secret.as_deref())?;
        if token.contains('.') {
            return Err(OAuthError::new(400, "unsupported_token_type"));
        }
        self.revoke_refresh(pool, client, token, now)
            .await
            .map_err(|e| match e.kind {
                userpools::ErrorType::UnsupportedTokenType => {
                    OAuthError::new(400, "unsupported_token_type")
                }
                _ => OAuthError::new(500, "server_error"),
            })
    }

    pub async fn oauth_token(
        &self,
        req: &TokenRequest,
        now: SystemTime,
    ) -> Result<Value, OAuthError> {
        let (pool, client) =
            self.oauth_client(req.client_id.as_deref(), req.client_secret.as_deref())?;
        match req.grant_type.as_deref() {
            Some("client_credentials") => {
                if !client.oauth_flows.contains(&OAuthFlow::ClientCredentials)
                    || client.secret.is_none()
                {
                    return Err(OAuthError::new(400, "unauthorized_client"));
                }
                // Resource-server scopes only: the OpenID scopes are a user's.
                let resource_scopes: Vec<String> = client
                    .oauth_scopes
                    .iter()
                    .filter(|s| s.contains('/'))
                    .cloned()
                    .collect();
                let scopes: Vec<String> = match req.scope.as_deref() {
                    Some(s) if !s.trim().is_empty() => {
                        let asked: Vec<String> = s.split_whitespace().map(str::to_string).collect();
                        if asked.iter().any(|a| !resource_scopes.contains(a)) {
                            return Err(OAuthError::new(400, "invalid_scope"));
                        }
                        asked
                    }
                    _ => resource_scopes,
                };
                let keys = self.shared.keys.get(&pool.id, now).await.map_err(|e| {
                    crate::internal(e);
                    OAuthError::new(500, "server_error")
                })?;
                // A machine client's token: `sub` is the client, as in Cognito.
                let token = AccessToken {
                    sub: client.id.clone(),
                    username: String::new(),
                    client_id: client.id.clone(),
                    scopes,
                    groups: Vec::new(),
                    auth_time: now,
                    ids: TokenIds::random(),
                };
                let signed = tokens::issue::sign_access_token(
                    keys.set.current(),
                    &self.issuer_of(pool),
                    &token,
                    now,
                    client.access_token_validity,
                )
                .map_err(|e| {
                    crate::internal(e);
                    OAuthError::new(500, "server_error")
                })?;
                Ok(json!({
                    "access_token": signed,
                    "expires_in": client.access_token_validity.as_secs(),
                    "token_type": "Bearer",
                }))
            }
            Some("refresh_token") => {
                let refresh = req
                    .refresh_token
                    .as_deref()
                    .ok_or_else(|| OAuthError::new(400, "invalid_request"))?;
                // The client proved its secret above: no SECRET_HASH on this path.
                let result = self
                    .refresh(pool, client, refresh, None, true, now)
                    .await
                    .map_err(|_| OAuthError::new(400, "invalid_grant"))?;
                let field = |name: &str| result.get(name).cloned().unwrap_or(Value::Null);
                let mut answer = json!({
                    "access_token": field("AccessToken"),
                    "expires_in": field("ExpiresIn"),
                    "token_type": "Bearer",
                });
                // No ID token for a session granted without `openid`.
                if let (Some(id), Some(obj)) = (result.get("IdToken"), answer.as_object_mut()) {
                    obj.insert("id_token".into(), id.clone());
                }
                // With refresh-token rotation, the new refresh token (as Cognito's endpoint).
                if let (Some(next), Some(obj)) =
                    (result.get("RefreshToken"), answer.as_object_mut())
                {
                    obj.insert("refresh_token".into(), next.clone());
                }
                Ok(answer)
            }
            Some("authorization_code") => {
                if !client.oauth_flows.contains(&OAuthFlow::Code) {
                    return Err(OAuthError::new(400, "unauthorized_client"));
                }
                self.code_grant(pool, client, req, now).await
            }
            Some(_) => Err(OAuthError::new(400, "unsupported_grant_type")),
            None => Err(OAuthError::new(400, "invalid_request")),
        }
    }
}
