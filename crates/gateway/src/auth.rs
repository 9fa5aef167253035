//! SigV4 authentication, shared by API methods (`execute-api`) and the STS endpoint (`sts`).
//!
//! The order of checks is the cheap-first order AWS's answers imply: parse the signature, check
//! its scope and clock skew, look the access key up (long-term keys in the directory, temporary
//! ones in storage), and only then hash the body and compute the signature. A failure is an
//! [`AuthFailure`], which each caller words its own way (API Gateway JSON or STS XML).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::HOST;
use http::request::Parts;
use iam::{Directory, NamedPolicy, ParseOptions, Policy, PolicySet, Principal};
use moka::sync::Cache;
use sigv4::{ParsedAuth, Verifier};
use store::{SessionStore, StoredSession};
use subtle::ConstantTimeEq;

/// Why authentication failed, before it is worded for a protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No SigV4 signature at all.
    Missing,
    /// `IncompleteSignatureException`: the signature is malformed.
    Incomplete(String),
    /// `InvalidSignatureException`: wrong scope, clock skew, expiry, or a mismatch.
    Invalid(String),
    /// A streaming payload or another SigV4 feature the gateway does not implement.
    Unsupported(String),
    /// Unknown access key, or a session token that is missing, wrong, or not expected.
    UnrecognizedClient,
    /// The temporary credentials expired.
    ExpiredToken,
    /// Storage failed while looking the key up.
    Unavailable(String),
}

impl AuthFailure {
    /// What AWS answers it with: the signature check's own words, or the standard message of
    /// its kind in the one error table (`ErrorKind::spec`). Storage failures are each
    /// protocol's to word.
    pub(crate) fn message(&self) -> String {
        use crate::error::ErrorKind;
        let standard = |kind: ErrorKind| kind.spec().default_message.to_string();
        match self {
            AuthFailure::Missing => standard(ErrorKind::MissingAuthenticationToken),
            AuthFailure::UnrecognizedClient => standard(ErrorKind::UnrecognizedClient),
            AuthFailure::ExpiredToken => standard(ErrorKind::ExpiredToken),
            AuthFailure::Incomplete(m)
            | AuthFailure::Invalid(m)
            | AuthFailure::Unsupported(m)
            | AuthFailure::Unavailable(m) => m.clone(),
        }
    }

    /// Short stable label for metrics.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing_authentication_token",
            AuthFailure::Incomplete(_) => "incomplete_signature",
            AuthFailure::Invalid(_) => "invalid_signature",
            AuthFailure::Unsupported(_) => "unsupported_signature",
            AuthFailure::UnrecognizedClient => "unrecognized_client",
            AuthFailure::ExpiredToken => "expired_token",
            AuthFailure::Unavailable(_) => "storage_unavailable",
        }
    }
}

impl From<sigv4::Error> for AuthFailure {
    fn from(e: sigv4::Error) -> Self {
        match e.error_type() {
            "IncompleteSignatureException" => AuthFailure::Incomplete(e.to_string()),
            "InvalidSignatureException" => AuthFailure::Invalid(e.to_string()),
            _ => AuthFailure::Unsupported(e.to_string()),
        }
    }
}

/// An authenticated caller. Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct Caller {
    pub principal: Arc<Principal>,
    pub access_key_id: Arc<str>,
    /// Identity-based policies: the user's, or the assumed role's.
    pub policies: Arc<PolicySet>,
    /// The session policy passed to AssumeRole, which narrows the role's permissions.
    pub session_policies: Option<Arc<PolicySet>>,
    /// The condition keys the principal implies (`aws:PrincipalArn`, `aws:username`, tags…),
    /// built once per principal rather than per request.
    pub context: Arc<iam::RequestContext>,
    /// The identity-pool identity of credentials from GetCredentialsForIdentity.
    pub web_identity: Option<Arc<store::WebIdentity>>,
    /// The session's tags (AssumeRole's `Tags`, with inherited transitive ones): their
    /// transitive keys pass on when this session assumes a role.
    pub session_tags: Option<Arc<store::SessionTags>>,
}

/// A resolved access key: who it belongs to and the secret that signs with it.
#[derive(Clone)]
struct ResolvedKey {
    caller: Caller,
    secret: iam::Secret,
}

/// A temporary credential, compiled for the request path.
struct Session {
    stored: StoredSession,
    key: ResolvedKey,
    /// How long the cache may keep it: [`SESSION_CACHE_TTL`], or less if it expires sooner.
    cache_for: Duration,
}

/// Sessions kept in memory so that a request signed with temporary credentials does not read
/// storage every time. Bounded in number; each entry lives at most this long (so a session
/// deleted from shared storage by another node stops working here within that time even without
/// [`Credentials::invalidate`]) and never past its own expiration.
const SESSION_CACHE_ENTRIES: u64 = 10_000;
const SESSION_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

/// Expires each cached session after its own `cache_for`.
struct SessionExpiry;

impl moka::Expiry<String, Arc<Session>> for SessionExpiry {
    fn expire_after_create(
        &self,
        _key: &String,
        session: &Arc<Session>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(session.cache_for)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        session: &Arc<Session>,
        _updated_at: std::time::Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(session.cache_for)
    }
}

/// Looks access keys up: long-term keys in the directory, temporary ones in storage.
pub(crate) struct Credentials {
    directory: Arc<Directory>,
    sessions: Arc<dyn SessionStore>,
    cache: Cache<String, Arc<Session>>,
    /// Every long-term access key resolved ahead (caller, condition keys, secret), so that a
    /// request only bumps reference counts.
    long_term: HashMap<String, ResolvedKey>,
}

impl Credentials {
    pub(crate) fn new(directory: Arc<Directory>, sessions: Arc<dyn SessionStore>) -> Credentials {
        let long_term = directory
            .access_keys()
            .map(|(id, entry)| {
                let caller = Caller {
                    principal: entry.principal().clone(),
                    access_key_id: id.into(),
                    policies: entry.policies().clone(),
                    session_policies: None,
                    context: Arc::new(iam::RequestContext::for_principal(entry.principal())),
                    web_identity: None,
                    session_tags: None,
                };
                let secret = entry.secret().clone();
                (id.to_string(), ResolvedKey { caller, secret })
            })
            .collect();
        Credentials {
            directory,
            sessions,
            cache: Cache::builder()
                .max_capacity(SESSION_CACHE_ENTRIES)
                .expire_after(SessionExpiry)
                .build(),
            long_term,
        }
    }

    pub(crate) fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Forgets what the cache holds for one temporary access key, so that the next request with
    /// it reads storage again. The hook for whatever ends a session early (revocation, a
    /// changed role): call it after changing storage, on every node that caches.
    #[allow(dead_code, reason = "the hook that session revocation will call")]
    pub(crate) fn invalidate(&self, access_key_id: &str) {
        self.cache.invalidate(access_key_id);
    }

    /// Forgets every cached session (for changes that touch many, such as a role's removal).
    #[allow(dead_code, reason = "the hook that session revocation will call")]
    pub(crate) fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }

    async fn resolve(
        &self,
        key_id: &str,
        token: Option<&str>,
        now: SystemTime,
    ) -> Result<ResolvedKey, AuthFailure> {
        if let Some(resolved) = self.long_term.get(key_id) {
            // Long-term keys never come with a session token.
            if token.is_some() {
                return Err(AuthFailure::UnrecognizedClient);
            }
            return Ok(resolved.clone());
        }
        let token = token.ok_or(AuthFailure::UnrecognizedClient)?;
        let session = self
            .session(key_id, now)
            .await?
            .ok_or(AuthFailure::UnrecognizedClient)?;
        // Storage keeps only the token's hash; hashes of equal length compare in constant time.
        let presented = store::session_token_sha256(token);
        if !bool::from(session.stored.token_sha256.ct_eq(&presented)) {
            return Err(AuthFailure::UnrecognizedClient);
        }
        if now >= session.stored.expiration {
            return Err(AuthFailure::ExpiredToken);
        }
        Ok(session.key.clone())
    }

    async fn session(
        &self,
        key_id: &str,
        now: SystemTime,
    ) -> Result<Option<Arc<Session>>, AuthFailure> {
        if let Some(s) = self.cache.get(key_id) {
            return Ok(Some(s));
        }
        let stored = self
            .sessions
            .session(key_id)
            .await
            .map_err(|e| AuthFailure::Unavailable(e.to_string()))?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        // The role may have left the configuration since: then the session is void.
        let Some(role) = self.directory.role(&stored.role_arn) else {
            return Ok(None);
        };
        let session_policies = match &stored.session_policy {
            None => None,
            Some(text) => match Policy::from_json_str(text, &ParseOptions::identity()) {
                Ok(p) => Some(Arc::new(PolicySet::new([NamedPolicy::new(
                    "session policy",
                    p,
                )]))),
                // It parsed when the session was issued; a policy that no longer parses (a newer
                // gateway, stricter rules) must not widen access, so the session is void.
                Err(_) => return Ok(None),
            },
        };
        let principal = match &stored.session_tags {
            Some(t) => role.session_principal_with_tags(&stored.session_name, &t.tags),
            None => role.session_principal(&stored.session_name),
        };
        let mut context = iam::RequestContext::for_principal(&principal);
        if let Some(web) = &stored.web_identity {
            web_identity_keys(&mut context, web);
        }
        let key = ResolvedKey {
            caller: Caller {
                context: Arc::new(context),
                web_identity: stored.web_identity.clone().map(Arc::new),
                session_tags: stored.session_tags.clone().map(Arc::new),
                principal: Arc::new(principal),
                access_key_id: key_id.into(),
                policies: role.policies().clone(),
                session_policies,
            },
            secret: iam::Secret::new(stored.secret_access_key.clone()),
        };
        // An expired session is not cached: it is refused now and there is nothing to reuse.
        let remaining = stored.expiration.duration_since(now).unwrap_or_default();
        let session = Arc::new(Session {
            stored,
            key,
            cache_for: remaining.min(SESSION_CACHE_TTL),
        });
        if !session.cache_for.is_zero() {
            self.cache.insert(key_id.to_string(), session.clone());
        }
        Ok(Some(session))
    }
}

/// The condition keys (and policy variables) of identity-pool credentials, as AWS sets them for
/// a session from `AssumeRoleWithWebIdentity` by `cognito-identity.amazonaws.com`: `:aud` the
/// identity pool, `:sub` the identity id, `:amr` the authentication methods.
pub(crate) fn web_identity_keys(context: &mut iam::RequestContext, web: &store::WebIdentity) {
    context
        .insert(
            "cognito-identity.amazonaws.com:aud",
            web.identity_pool_id.as_str(),
        )
        .insert(
            "cognito-identity.amazonaws.com:sub",
            web.identity_id.as_str(),
        )
        .insert_values(
            "cognito-identity.amazonaws.com:amr",
            web.amr.iter().map(String::as_str),
        );
}

/// HTTP/2 requests carry the host in `:authority`, which SigV4 signs as `host`.
pub(crate) fn ensure_host_header(parts: &mut Parts) {
    if !parts.headers.contains_key(HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(value) = http::HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(HOST, value);
    }
}

/// A request whose signature has been parsed and whose key is known, waiting for its body.
pub(crate) struct Pending {
    auth: ParsedAuth,
    key: ResolvedKey,
}

/// The first half of authentication: everything that does not need the body.
pub(crate) async fn identify(
    credentials: &Credentials,
    verifier: &Verifier,
    parts: &Parts,
    now: SystemTime,
) -> Result<Pending, AuthFailure> {
    let request = sigv4::Request::from_parts(parts);
    let auth = sigv4::parse(&request)?.ok_or(AuthFailure::Missing)?;
    verifier.precheck(&auth, now)?;
    let key = credentials
        .resolve(auth.access_key_id(), auth.session_token(), now)
        .await?;
    Ok(Pending { auth, key })
}

/// The second half: the payload hash and the signature itself.
pub(crate) fn verify(
    pending: Pending,
    verifier: &Verifier,
    parts: &Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<Caller, AuthFailure> {
    let request = sigv4::Request::from_parts(parts);
    verifier.verify(
        &pending.auth,
        &request,
        body,
        pending.key.secret.expose(),
        now,
    )?;
    Ok(pending.key.caller)
}

/// Values of IAM's global condition keys that stay the same for a while, shared rather than
/// rebuilt for every request.
pub(crate) struct SharedValues {
    pub region: iam::ContextValue,
}

/// `aws:CurrentTime` and `aws:EpochTime` for the current second, formatted once per second per
/// thread.
fn time_values(now: std::time::SystemTime) -> (iam::ContextValue, iam::ContextValue) {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<Option<(u64, iam::ContextValue, iam::ContextValue)>> = const { RefCell::new(None) };
    }
    let second = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((s, current, epoch)) = cache.as_ref()
            && *s == second
        {
            return (current.clone(), epoch.clone());
        }
        // Whole seconds, as AWS reports them.
        let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(second).unwrap_or(0))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let values = (
            iam::ContextValue::time(at),
            iam::ContextValue::epoch_time(at),
        );
        *cache = Some((second, values.0.clone(), values.1.clone()));
        values
    })
}

/// A principal's condition keys plus the request's: `aws:SourceIp`, `aws:CurrentTime`,
/// `aws:EpochTime`, `aws:SecureTransport`, `aws:RequestedRegion`, `aws:Referer`, `aws:UserAgent`.
pub(crate) fn request_context(
    base: &iam::RequestContext,
    parts: &Parts,
    source_ip: &iam::ContextValue,
    secure: bool,
    shared: &SharedValues,
    now: SystemTime,
) -> iam::RequestContext {
    let mut context = base.clone();
    let (current, epoch) = time_values(now);
    context
        .set_lowercase("aws:sourceip", source_ip.clone())
        .set_lowercase("aws:currenttime", current)
        .set_lowercase("aws:epochtime", epoch)
        .set_lowercase("aws:securetransport", secure.into())
        .set_lowercase("aws:requestedregion", shared.region.clone());
    if let Some(v) = parts
        .headers
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())
    {
        context.set_lowercase("aws:referer", v.into());
    }
    if let Some(v) = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        context.set_lowercase("aws:useragent", v.into());
    }
    context
}

#[cfg(test)]
mod tests;
