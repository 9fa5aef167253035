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
        keys: &Arc<PoolKeys>,
    ) -> Arc<CachingValidator> {
        let mut map = self.validators.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map
            .get(pool)
            .and_then(|v| v.iter().find(|e| e.scopes == scopes))
            && Arc::ptr_eq(&entry.keys, keys)
        {
            return entry.validator.clone();
        }
        let validator = Arc::new(CachingValidator::new(
            Validator::new(
                ValidatorConfig {
                    issuer: self.issuer(pool).unwrap_or_default(),
                    audiences: Audiences::Any,
                    token_use: if scopes.is_empty() {
                        ExpectedUse::Id
                    } else {
                        ExpectedUse::Access
                    },
                    required_scopes: scopes.to_vec(),
                    clock_skew: std::time::Duration::ZERO,
                },
                keys.verifying.clone(),
            ),
            CACHED_TOKENS,
        ));
        let entries = map.entry(pool.to_string()).or_default();
        entries.retain(|e| e.scopes != scopes);
        entries.push(Entry {
            scopes: scopes.to_vec(),
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
        let cache: &KeyCache = &self.shared.keys;
        let unavailable = |e: crate::keys::KeysError| Refusal::Unavailable(e.to_string());
        let mut last = Refusal::Token(TokenError::UnknownKid(String::new()));
        for arn in provider_arns {
            // The loader refuses ARNs that name no configured pool.
            let Some(pool) = self.pool_by_arn(arn) else {
                continue;
            };
            let keys = cache.get(&pool.id, now).await.map_err(unavailable)?;
            let mut result = self.validator(&pool.id, scopes, &keys).validate(token, now);
            if matches!(result, Err(TokenError::UnknownKid(_)))
                && let Some(fresh) = cache
                    .reread_for_unknown(&pool.id, now)
                    .await
                    .map_err(unavailable)?
            {
                result = self
                    .validator(&pool.id, scopes, &fresh)
                    .validate(token, now);
            }
            match result {
                Ok(verified) => {
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
                    return Ok(verified);
                }
                // Another pool of the authorizer may have signed it.
                Err(e @ TokenError::UnknownKid(_)) => last = Refusal::Token(e),
                Err(e) => return Err(Refusal::Token(e)),
            }
        }
        Err(last)
    }
}
