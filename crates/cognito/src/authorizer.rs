//! Checking a token for a `COGNITO_USER_POOLS` authorizer: which validator applies (ID token
//! without scopes, access token with one of the method's scopes), keys from [`KeyCache`] with a
//! re-read for an unknown `kid`, verified tokens cached until they expire, and the deny list.
//!
//! Validators are kept per (pool, scopes) for the deployment, each with its cache of verified
//! tokens, and rebuilt when the pool's keys were re-read (at most every 60 s): a cached token
//! is never trusted past a key change. The revocation check runs on every request, cached or
//! not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokens::{
    Audiences, CachingValidator, ExpectedUse, TokenError, Validator, ValidatorConfig, Verified,
};

use crate::keys::PoolKeys;
use crate::{KeyCache, Provider};

/// Verified tokens remembered per validator.
const CACHED_TOKENS: u64 = 10_000;

/// Why an authorizer refuses a token.
#[derive(Debug)]
pub enum Refusal {
    Token(TokenError),
    /// Its session was revoked (sign-out, RevokeToken, DeleteUser).
    Revoked,
    /// Keys or the deny list could not be read: the request fails, it is not let through.
    Unavailable(String),
}

impl Refusal {
    /// A stable label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Token(e) => e.code(),
            Refusal::Revoked => "revoked",
            Refusal::Unavailable(_) => "unavailable",
        }
    }
}

struct Entry {
    /// The method's scopes the validator requires.
    scopes: Vec<String>,
    /// A JWT authorizer's audiences; `None` for `COGNITO_USER_POOLS` (any app client of the pool).
    audiences: Option<Vec<String>>,
    keys: Arc<PoolKeys>,
    validator: Arc<CachingValidator>,
}

/// The deployment's validators: by pool id, then by the method's scopes (a handful per pool;
/// looked up without allocating).
#[derive(Default)]
pub(crate) struct Validators(Mutex<HashMap<String, Vec<Entry>>>);

impl Provider {
    pub(crate) fn validator(
        &self,
        pool: &str,
        scopes: &[String],
        audiences: Option<&[String]>,
        keys: &Arc<PoolKeys>,
    ) -> Arc<CachingValidator> {
        let mut map = self.validators.0.lock().unwrap_or_else(|e| e.into_inner());
        let same = |e: &Entry| e.scopes == scopes && e.audiences.as_deref() == audiences;
        if let Some(entry) = map.get(pool).and_then(|v| v.iter().find(|e| same(e)))
            && Arc::ptr_eq(&entry.keys, keys)
        {
            return entry.validator.clone();
        }
        let validator = Arc::new(CachingValidator::new(
            Validator::new(
                ValidatorConfig {
                    issuer: self.issuer(pool).unwrap_or_default(),
                    audiences: audiences.map_or(Audiences::Any, |a| Audiences::OneOf(a.to_vec())),
                    // A JWT authorizer takes either token by HTTP API's audience rule (`aud`,
                    // else `client_id`); `COGNITO_USER_POOLS` decides by the method's scopes.
                    token_use: match (audiences, scopes.is_empty()) {
                        (Some(_), _) => ExpectedUse::Unchecked,
                        (None, true) => ExpectedUse::Id,
                        (None, false) => ExpectedUse::Access,
                    },
                    required_scopes: scopes.to_vec(),
                    clock_skew: std::time::Duration::ZERO,
                },
                keys.verifying.clone(),
            ),
            CACHED_TOKENS,
        ));
        let entries = map.entry(pool.to_string()).or_default();
        entries.retain(|e| !same(e));
        entries.push(Entry {
            scopes: scopes.to_vec(),
            audiences: audiences.map(<[String]>::to_vec),
            keys: keys.clone(),
            validator: validator.clone(),
        });
        validator
    }

    /// Checks `token` for an authorizer accepting the pools `provider_arns` names, requiring one
    /// of `scopes` (none: an ID token).
    pub async fn authorize_token(
        &self,
        provider_arns: &[String],
        scopes: &[String],
        token: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Refusal> {
        let mut last = Refusal::Token(TokenError::UnknownKid(String::new()));
        for arn in provider_arns {
            // The loader refuses ARNs that name no configured pool.
            let Some(pool) = self.pool_by_arn(arn) else {
                continue;
            };
            match self.check(pool, scopes, None, token, now).await {
                // Another pool of the authorizer may have signed it.
                Err(Refusal::Token(e @ TokenError::UnknownKid(_))) => last = Refusal::Token(e),
                result => return result,
            }
        }
        Err(last)
    }

    /// Checks `token` for a JWT authorizer whose issuer is one of these pools (`None` if none
    /// is): the pool's keys as read locally (no HTTP fetch to ourselves), `audiences` by HTTP
    /// API's rule, one of `scopes` if any, and the pool's deny list as for `COGNITO_USER_POOLS`.
    pub async fn authorize_issuer_token(
        &self,
        issuer: &str,
        audiences: &[String],
        scopes: &[String],
        token: &[u8],
        now: SystemTime,
    ) -> Option<Result<Verified, Refusal>> {
        let pool = self.pools.values().find(|p| self.issuer_of(p) == issuer)?;
        Some(self.check(pool, scopes, Some(audiences), token, now).await)
    }

    /// Checks a `Logins` token for an identity pool: an ID token of `pool_id` (signature,
    /// expiry, issuer) issued to one of `client_ids`, not revoked — what `COGNITO_USER_POOLS`
    /// checks, with the identity pool's app clients as the audience. `None` if the pool is not
    /// served.
    pub async fn authorize_identity_login(
        &self,
        pool_id: &str,
        client_ids: &[String],
        token: &[u8],
        now: SystemTime,
    ) -> Option<Result<Verified, Refusal>> {
        let pool = self.pools.get(pool_id)?;
        let checked = self
            .check(pool, &[], Some(client_ids), token, now)
            .await
            .and_then(|v| {
                // An audience list makes the validator take either token (HTTP API's rule);
                // identity pools take ID tokens only.
                if v.token_use() == Some(tokens::TokenUse::Id) {
                    Ok(v)
                } else {
                    Err(Refusal::Token(TokenError::WrongTokenUse))
                }
            });
        Some(checked)
    }

    /// Checks a web identity token for STS's `AssumeRoleWithWebIdentity` when `issuer` is one
    /// of these pools (`None` if none is): an ID token of the pool (signature, expiry, issuer)
    /// issued to any of its app clients — the role's trust policy decides which ones, by
    /// `{provider}:aud` —, not revoked. Access tokens are refused: they carry no `aud`.
    pub async fn authorize_web_identity(
        &self,
        issuer: &str,
        token: &[u8],
        now: SystemTime,
    ) -> Option<Result<Verified, Refusal>> {
        let pool = self.pools.values().find(|p| self.issuer_of(p) == issuer)?;
        let clients: Vec<String> = pool.clients.iter().map(|c| c.id.clone()).collect();
        let checked = self
            .check(pool, &[], Some(&clients), token, now)
            .await
            .and_then(|v| {
                if v.token_use() == Some(tokens::TokenUse::Id) {
                    Ok(v)
                } else {
                    Err(Refusal::Token(TokenError::WrongTokenUse))
                }
            });
        Some(checked)
    }

    /// One pool's check: its keys (re-read once for an unknown `kid`), then the deny list.
    async fn check(
        &self,
        pool: &config::UserPoolConfig,
        scopes: &[String],
        audiences: Option<&[String]>,
        token: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Refusal> {
        let cache: &KeyCache = &self.shared.keys;
        let unavailable = |e: crate::keys::KeysError| Refusal::Unavailable(e.to_string());
        let keys = cache.get(&pool.id, now).await.map_err(unavailable)?;
        let mut result = self
            .validator(&pool.id, scopes, audiences, &keys)
            .validate(token, now);
        if matches!(result, Err(TokenError::UnknownKid(_)))
            && let Some(fresh) = cache
                .reread_for_unknown(&pool.id, now)
                .await
                .map_err(unavailable)?
        {
            result = self
                .validator(&pool.id, scopes, audiences, &fresh)
                .validate(token, now);
        }
        let verified = result.map_err(Refusal::Token)?;
        if pool.authorizers_check_revocation
            && let Some(origin) = verified.origin_jti()
            && self
                .shared
                .is_revoked(&pool.id, origin, now)
                .await
                .map_err(|e| Refusal::Unavailable(e.to_string()))?
        {
            return Err(Refusal::Revoked);
        }
        Ok(verified)
    }
}
