//! The authorization-code grant at `/oauth2/token`: a code the hosted sign-in page issued
//! (`hosted.rs`) is redeemed once for ID (with `openid`), access and refresh tokens.
//!
//! The code is spent by the first redemption whatever comes after it (a wrong `redirect_uri`
//! or verifier cannot be retried with the same code), and a second redemption revokes the
//! session the first one opened, as RFC 6749 §4.1.2 recommends: a code presented twice was
//! stolen by one of the two.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use config::{AppClientConfig, UserPoolConfig};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{Value, json};
use store::{CodeRedemption, OAuthCode, StoredUser};
use tokens::TokenIds;

use crate::issue::Grant;
use crate::oauth::{OAuthError, TokenRequest};
use crate::{Provider, pkce};

/// How long an authorization code may be redeemed (Cognito's codes live 5 minutes).
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// SHA-256 of a code: the only form storage keeps.
fn code_digest(code: &str) -> [u8; 32] {
    crate::issue::refresh_digest(code)
}

fn server_error(e: impl std::fmt::Display) -> OAuthError {
    crate::internal(e);
    OAuthError::new(500, "server_error")
}

/// What a code is bound to when the hosted page issues it.
pub(crate) struct CodeBinding<'a> {
    pub redirect_uri: &'a str,
    pub code_challenge: Option<&'a str>,
    pub scopes: Vec<String>,
    pub nonce: Option<&'a str>,
}

impl Provider {
    /// A new code for `user`, signed in on the hosted page at `now`, bound to `binding`.
    pub(crate) async fn issue_code(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        user: &StoredUser,
        binding: CodeBinding<'_>,
        now: SystemTime,
    ) -> Result<String, userpools::CognitoError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(crate::internal)?;
        let code = URL_SAFE_NO_PAD.encode(bytes);
        let stored = OAuthCode {
            pool: pool.id.clone(),
            code_sha256: code_digest(&code),
            client_id: client.id.clone(),
            username: user.username.clone(),
            redirect_uri: binding.redirect_uri.to_string(),
            code_challenge: binding.code_challenge.map(str::to_string),
            scopes: binding.scopes,
            nonce: binding.nonce.map(str::to_string),
            auth_time: now,
            expires_at: now + CODE_LIFETIME,
        };
        self.shared
            .signin
            .put_oauth_code(&stored)
            .await
            .map_err(crate::internal)?;
        Ok(code)
    }

    /// `grant_type=authorization_code` for `client` (authenticated by the caller).
    pub(crate) async fn code_grant(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        req: &TokenRequest,
        now: SystemTime,
    ) -> Result<Value, OAuthError> {
        let invalid_grant = || OAuthError::new(400, "invalid_grant");
        let (Some(code), Some(redirect_uri)) = (req.code.as_deref(), req.redirect_uri.as_deref())
        else {
            return Err(OAuthError::new(400, "invalid_request"));
        };
        let ids = TokenIds::random();
        let redemption = self
            .shared
            .signin
            .redeem_oauth_code(&pool.id, &code_digest(code), &ids.origin_jti, now)
            .await
            .map_err(server_error)?;
        let stored = match redemption {
            CodeRedemption::Redeemed(stored) => stored,
            CodeRedemption::Reused { origin_jti } => {
                if let Some(first) = origin_jti {
                    tracing::warn!(pool = %pool.id, client = %client.id, "an authorization code was presented twice: its session is revoked");
                    self.revoke_session_now(&pool.id, &first, now)
                        .await
                        .map_err(|_| OAuthError::new(500, "server_error"))?;
                }
                return Err(invalid_grant());
            }
            CodeRedemption::Expired | CodeRedemption::Unknown => return Err(invalid_grant()),
        };
        if !binding_holds(
            &stored,
            &client.id,
            redirect_uri,
            req.code_verifier.as_deref(),
        )? {
            return Err(invalid_grant());
        }
        let user = self
            .shared
            .users
            .user(&pool.id, &stored.username)
            .await
            .map_err(server_error)?
            .filter(|u| u.enabled)
            .ok_or_else(invalid_grant)?;
        let grant = Grant {
            scopes: stored.scopes.clone(),
            nonce: stored.nonce.clone(),
        };
        let result = self
            .open_session(pool, client, &user, &grant, ids, stored.auth_time, now)
            .await
            .map_err(|_| OAuthError::new(500, "server_error"))?;
        let field = |name: &str| result.get(name).cloned().unwrap_or(Value::Null);
        let mut answer = json!({
            "access_token": field("AccessToken"),
            "refresh_token": field("RefreshToken"),
            "expires_in": field("ExpiresIn"),
            "token_type": "Bearer",
        });
        if let (Some(id), Some(obj)) = (result.get("IdToken"), answer.as_object_mut()) {
            obj.insert("id_token".into(), id.clone());
        }
        Ok(answer)
    }
}

/// Whether a redeemed code was issued to `client_id` for `redirect_uri` (exactly) and, if it
/// carries a PKCE challenge, `verifier` answers it. A verifier for a code without a challenge
/// is a malformed request.
fn binding_holds(
    stored: &OAuthCode,
    client_id: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<bool, OAuthError> {
    let pkce_holds = match (&stored.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => pkce::verifies(challenge, verifier),
        (Some(_), None) => false,
        (None, Some(_)) => return Err(OAuthError::new(400, "invalid_request")),
        (None, None) => true,
    };
    Ok(stored.client_id == client_id && stored.redirect_uri == redirect_uri && pkce_holds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn code(challenge: Option<&str>) -> OAuthCode {
        let t = SystemTime::UNIX_EPOCH;
        OAuthCode {
            pool: "us-east-1_P".into(),
            code_sha256: [0; 32],
            client_id: "web".into(),
            username: "alice".into(),
            redirect_uri: "https://app.example/cb".into(),
            code_challenge: challenge.map(str::to_string),
            scopes: vec!["openid".into()],
            nonce: None,
            auth_time: t,
            expires_at: t + CODE_LIFETIME,
        }
    }

    #[test]
    fn a_code_is_bound_to_its_client_redirect_and_challenge() {
        let with = code(Some(CHALLENGE));
        let cb = "https://app.example/cb";
        assert_eq!(binding_holds(&with, "web", cb, Some(VERIFIER)), Ok(true));
        assert_eq!(binding_holds(&with, "other", cb, Some(VERIFIER)), Ok(false));
        assert_eq!(
            binding_holds(&with, "web", "https://app.example/cb/", Some(VERIFIER)),
            Ok(false)
        );
        assert_eq!(binding_holds(&with, "web", cb, None), Ok(false));
        assert_eq!(binding_holds(&with, "web", cb, Some(CHALLENGE)), Ok(false));
        let without = code(None);
        assert_eq!(binding_holds(&without, "web", cb, None), Ok(true));
        assert_eq!(
            binding_holds(&without, "web", cb, Some(VERIFIER)),
            Err(OAuthError::new(400, "invalid_request"))
        );
    }
}
