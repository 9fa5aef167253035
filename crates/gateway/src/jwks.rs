//! The key sets of the OIDC issuers JWT authorizers name, fetched once and kept for the life of
//! the process (in [`crate::services::Services`], so a reload keeps them).
//!
//! Per issuer: `{issuer}/.well-known/openid-configuration` (whose `issuer` must equal the
//! configured one exactly) gives `jwks_uri`, whose key set is parsed and cached. A token whose
//! `kid` is not in the cached set may trigger a refetch, at most once per [`REFETCH_EVERY`] per
//! issuer by the gateway's clock: a stream of tokens with made-up `kid`s never becomes a stream
//! of fetches. Concurrent misses share one fetch (the second waits for the first and then sees
//! its result). A fetch failure keeps the keys already cached; with none cached the request
//! fails (500), it never gets through.
//!
//! Validators (each with its cache of verified tokens) hang off the key set they were built
//! with, so a refetched set starts with fresh ones: a cached token is never trusted past a key
//! change.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::BodyExt;
use tokens::{
    Audiences, CachingValidator, ExpectedUse, Jwks, TokenError, Validator, ValidatorConfig,
    Verified,
};

use crate::client::Pool;

/// The shortest time between two fetches for one issuer.
pub(crate) const REFETCH_EVERY: Duration = Duration::from_secs(30);
/// One fetch (connect, head and body) takes at most this long.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest discovery document or key set read.
const MAX_BODY: usize = 1024 * 1024;
/// Verified tokens remembered per validator.
const CACHED_TOKENS: u64 = 10_000;
/// The issuer's clock may be this far from ours (`exp`, `nbf`, `iat`).
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Why an issuer's keys could not be had. The text names the issuer and the step, never a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("discovery document of {issuer}: {reason}")]
    Discovery { issuer: String, reason: String },
    #[error("key set at {url}: {reason}")]
    Jwks { url: String, reason: String },
    #[error("no keys for {issuer}: the last fetch failed less than 30 s ago")]
    RecentlyFailed { issuer: String },
}

/// GETs a URL, returning its body. The gateway's is [`HttpFetch`]; tests count calls.
pub(crate) trait Fetch: Send + Sync + 'static {
    fn get<'a>(
        &'a self,
        url: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Bytes, FetchError>> + Send + 'a>>;
}

/// Fetches over the gateway's verified client pool (https verifies against the webpki roots).
pub(crate) struct HttpFetch(pub(crate) Pool);

impl Fetch for HttpFetch {
    fn get<'a>(
        &'a self,
        url: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Bytes, FetchError>> + Send + 'a>> {
        Box::pin(async move {
            let fail = |reason: String| FetchError::Http {
                url: url.to_string(),
                reason,
            };
            let fetch = async {
                let req = http::Request::get(url)
                    .header(http::header::ACCEPT, "application/json")
                    .body(crate::body::empty())
                    .map_err(|e| fail(e.to_string()))?;
                let response = self.0.request(req).await.map_err(|e| fail(e.to_string()))?;
                if response.status() != http::StatusCode::OK {
                    return Err(fail(format!("status {}", response.status())));
                }
                read_bounded(response.into_body())
                    .await
                    .map_err(|e| fail(format!("body: {e}")))
            };
            tokio::time::timeout(FETCH_TIMEOUT, fetch)
                .await
                .map_err(|_| fail(format!("no answer within {FETCH_TIMEOUT:?}")))?
        })
    }
}

/// The body, refused past [`MAX_BODY`] (read frame by frame: never more than that in memory).
async fn read_bounded(mut body: crate::body::Body) -> Result<Bytes, String> {
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_BODY {
                return Err(format!("longer than {MAX_BODY} bytes"));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.freeze())
}

/// What a JWT authorizer accepts besides the issuer's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rules {
    pub audiences: Vec<String>,
    pub scopes: Vec<String>,
}

/// One fetched key set and the validators built on it.
pub(crate) struct KeySet {
    issuer: String,
    jwks: Jwks,
    validators: Mutex<Vec<(Rules, Arc<CachingValidator>)>>,
}

impl KeySet {
    fn new(issuer: &str, jwks: Jwks) -> KeySet {
        KeySet {
            issuer: issuer.to_string(),
            jwks,
            validators: Mutex::new(Vec::new()),
        }
    }

    fn has(&self, kid: &str) -> bool {
        self.jwks.get(kid).is_some()
    }

    /// Checks `token` under `rules` with these keys.
    pub(crate) fn validate(
        &self,
        rules: &Rules,
        token: &[u8],
        now: SystemTime,
    ) -> Result<Verified, TokenError> {
        let validator = {
            let mut list = self.validators.lock().unwrap_or_else(|e| e.into_inner());
            match list.iter().find(|(r, _)| r == rules) {
                Some((_, v)) => v.clone(),
                None => {
                    let v = Arc::new(CachingValidator::new(
                        Validator::new(
                            ValidatorConfig {
                                issuer: self.issuer.clone(),
                                audiences: Audiences::OneOf(rules.audiences.clone()),
                                // Other issuers write no `token_use`: HTTP API's audience rule.
                                token_use: ExpectedUse::Unchecked,
                                required_scopes: rules.scopes.clone(),
                                clock_skew: CLOCK_SKEW,
                            },
                            self.jwks.clone(),
                        ),
                        CACHED_TOKENS,
                    ));
                    list.push((rules.clone(), v.clone()));
                    v
                }
            }
        };
        validator.validate(token, now)
    }
}

#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    last_attempt: Option<SystemTime>,
}

#[derive(Default)]
struct Issuer {
    /// Held while fetching: concurrent misses queue here and share the result.
    fetching: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

impl Issuer {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The cache, by issuer.
pub(crate) struct JwksCache {
    fetch: Arc<dyn Fetch>,
    issuers: Mutex<HashMap<String, Arc<Issuer>>>,
}

impl JwksCache {
    pub(crate) fn new(fetch: Arc<dyn Fetch>) -> JwksCache {
        JwksCache {
            fetch,
            issuers: Mutex::new(HashMap::new()),
        }
    }

    fn issuer(&self, issuer: &str) -> Arc<Issuer> {
        let mut map = self.issuers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(issuer.to_string()).or_default().clone()
    }

    /// The issuer's keys, fetched if none are cached yet; with `kid`, refetched (rate limited)
    /// if the cached set lacks it. The answer may still lack `kid`: then the token is refused.
    pub(crate) async fn keys(
        &self,
        issuer: &str,
        kid: Option<&str>,
        now: SystemTime,
    ) -> Result<Arc<KeySet>, FetchError> {
        let slot = self.issuer(issuer);
        let satisfied = |keys: &Arc<KeySet>| kid.is_none_or(|k| keys.has(k));
        if let Some(keys) = slot.state().keys.clone()
            && satisfied(&keys)
        {
            return Ok(keys);
        }
        let _fetching = slot.fetching.lock().await;
        let cached = {
            let state = slot.state();
            let recent = state.last_attempt.is_some_and(|at| {
                // A clock that went back counts as recent: never a fetch per request.
                now.duration_since(at).map_or(true, |d| d < REFETCH_EVERY)
            });
            match &state.keys {
                // Fetched while this request waited, or a set to answer from until the next
                // fetch is allowed.
                Some(keys) if satisfied(keys) || recent => return Ok(keys.clone()),
                None if recent => {
                    return Err(FetchError::RecentlyFailed {
                        issuer: issuer.to_string(),
                    });
                }
                other => other.clone(),
            }
        };
        slot.state().last_attempt = Some(now);
        match self.fetch_keys(issuer).await {
            Ok(jwks) => {
                let keys = Arc::new(KeySet::new(issuer, jwks));
                slot.state().keys = Some(keys.clone());
                Ok(keys)
            }
            Err(e) => {
                tracing::warn!(issuer, error = %e, "JWT authorizer: fetching the issuer's keys failed");
                cached.ok_or(e)
            }
        }
    }

    async fn fetch_keys(&self, issuer: &str) -> Result<Jwks, FetchError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let body = self.fetch.get(&url).await?;
        let discovered = tokens::discovery::parse_discovery(&body, issuer).map_err(|e| {
            FetchError::Discovery {
                issuer: issuer.to_string(),
                reason: e.to_string(),
            }
        })?;
        let body = self.fetch.get(&discovered.jwks_uri).await?;
        Jwks::parse(&body).map_err(|e| FetchError::Jwks {
            url: discovered.jwks_uri.clone(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;
