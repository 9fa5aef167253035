//! `POST /oauth2/token`, as Cognito's token endpoint: the `client_credentials` grant (a
//! client with a secret gets an access token for resource-server scopes) and the
//! `refresh_token` grant (with a new refresh token for a client with rotation). Errors are RFC 6749's (`{"error": "invalid_client"}`).

use std::time::SystemTime;

use config::OAuthFlow;
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
}

/// An RFC 6749 §5.2 error: its code and the HTTP status Cognito answers it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
}

impl OAuthError {
    fn new(status: u16, error: &'static str) -> Self {
        OAuthError { status, error }
    }

    pub fn body(&self) -> String {
        json!({"error": self.error}).to_string()
    }
}

impl Provider {
    pub async fn oauth_token(
        &self,
        req: &TokenRequest,
        now: SystemTime,
    ) -> Result<Value, OAuthError> {
        let invalid_client = || OAuthError::new(401, "invalid_client");
        let client_id = req.client_id.as_deref().ok_or_else(invalid_client)?;
        let (pool, client) = self.client(client_id).map_err(|_| invalid_client())?;
        // A client with a secret must present it; one without must not claim one.
        match (&client.secret, &req.client_secret) {
            (Some(secret), Some(presented)) if crate::signup::secret_matches(secret, presented) => {
            }
            (None, None) => {}
            _ => return Err(invalid_client()),
        }
        match req.grant_type.as_deref() {
            Some("client_credentials") => {
                if !client.oauth_flows.contains(&OAuthFlow::ClientCredentials)
                    || client.secret.is_none()
                {
                    return Err(OAuthError::new(400, "unauthorized_client"));
                }
                let scopes: Vec<String> = match req.scope.as_deref() {
                    Some(s) if !s.trim().is_empty() => {
                        let asked: Vec<String> = s.split_whitespace().map(str::to_string).collect();
                        if asked.iter().any(|a| !client.oauth_scopes.contains(a)) {
                            return Err(OAuthError::new(400, "invalid_scope"));
                        }
                        asked
                    }
                    _ => client.oauth_scopes.clone(),
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
                    "id_token": field("IdToken"),
                    "expires_in": field("ExpiresIn"),
                    "token_type": "Bearer",
                });
                // With refresh-token rotation, the new refresh token (as Cognito's endpoint).
                if let (Some(next), Some(obj)) =
                    (result.get("RefreshToken"), answer.as_object_mut())
                {
                    obj.insert("refresh_token".into(), next.clone());
                }
                Ok(answer)
            }
            Some("authorization_code") => Err(OAuthError::new(400, "unsupported_grant_type")),
            Some(_) => Err(OAuthError::new(400, "unsupported_grant_type")),
            None => Err(OAuthError::new(400, "invalid_request")),
        }
    }
}
