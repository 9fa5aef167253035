//! What user-pool sign-ins leave in storage: each pool's token-signing keys, the sessions a
//! sign-in opens (with their refresh token, kept as its SHA-256 only), confirmation and reset
//! codes (kept as a digest), and the outbox of messages the built-in sender "delivers".
//!
//! A session is named by its `origin_jti`, the claim every token issued from it carries, so a
//! sign-out or a revoked refresh token is one row changed, and every node's authorizers see it
//! through [`SignInStore::revoked_since`].

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::StoreError;

/// One RS256 signing key of a pool, in its storage form.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    pub kid: String,
    pub created_at: SystemTime,
    /// When it stopped signing (it stays published until its tokens have expired).
    pub retired_at: Option<SystemTime>,
    /// PKCS#8 PEM.
    pub private_key_pem: String,
}

// Hand-written: the private key never reaches a log.
impl fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// One sign-in: what a refresh token stands for.
#[derive(Clone, PartialEq, Eq)]
pub struct SignInSession {
    pub pool: String,
    /// The `origin_jti` of every token issued from this session.
    pub origin_jti: String,
    pub client_id: String,
    pub username: String,
    /// SHA-256 of the refresh token.
    pub refresh_sha256: [u8; 32],
    /// The `auth_time` claim: when the user signed in.
    pub auth_time: SystemTime,
    /// When the refresh token stops working.
    pub expires_at: SystemTime,
    /// When it was revoked (sign-out, RevokeToken), if it was.
    pub revoked_at: Option<SystemTime>,
    /// The scopes its access tokens carry (an authorization-code sign-in's grant); empty for a
    /// sign-in through the API, whose tokens carry the user-admin scope alone.
    pub scopes: Vec<String>,
}

impl fmt::Debug for SignInSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInSession")
            .field("pool", &self.pool)
            .field("origin_jti", &self.origin_jti)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// An OAuth 2.0 authorization code as storage keeps it: its SHA-256 (never the code), and what
/// it was issued for.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthCode {
    pub pool: String,
    pub code_sha256: [u8; 32],
    pub client_id: String,
    pub username: String,
    /// The `redirect_uri` of the authorization request: the token request must repeat it.
    pub redirect_uri: String,
    /// The PKCE `code_challenge` (S256), if the request had one.
    pub code_challenge: Option<String>,
    pub scopes: Vec<String>,
    /// The OpenID Connect `nonce`, for the ID token.
    pub nonce: Option<String>,
    /// When the user signed in on the hosted page.
    pub auth_time: SystemTime,
    pub expires_at: SystemTime,
}

impl fmt::Debug for OAuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthCode")
            .field("pool", &self.pool)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// How redeeming an authorization code came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// First use: the code, now spent; its tokens belong to the session named at redemption.
    Redeemed(Box<OAuthCode>),
    /// Used before: the session its first redemption opened (RFC 6749 §4.1.2: the caller
    /// should revoke it).
    Reused {
        origin_jti: Option<String>,
    },
    Expired,
    /// No such code.
    Unknown,
}

/// What a code is for; a user has at most one live code per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    SignUp,
    ForgotPassword,
    VerifyAttribute,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignUp => "sign_up",
            CodePurpose::ForgotPassword => "forgot_password",
            CodePurpose::VerifyAttribute => "verify_attribute",
        }
    }
}

/// How a code check came out. A check that does not match spends one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// It matched, and is spent.
    Matched,
    Mismatch,
    Expired,
    /// No live code for this user and purpose.
    Missing,
    /// Too many wrong attempts: the code is spent.
    TooManyAttempts,
}

/// Wrong attempts a code allows: the first `CODE_ATTEMPTS - 1` are [`CodeCheck::Mismatch`], the
/// last spends the code ([`CodeCheck::TooManyAttempts`]), and a right code after it is `Missing`.
pub const CODE_ATTEMPTS: u32 = 5;

/// One message the built-in sender delivered (to the log and here), for `portcullis userpool
/// codes` and the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub pool: String,
    pub username: String,
    pub purpose: CodePurpose,
    /// `EMAIL` or `SMS`, as Cognito's `CodeDeliveryDetails.DeliveryMedium`.
    pub medium: String,
    /// The address it would have gone to.
    pub destination: String,
    pub code: String,
    pub sent_at: SystemTime,
}

#[async_trait]
pub trait SignInStore: Send + Sync + 'static {
    /// A pool's signing keys, oldest first.
    async fn signing_keys(&self, pool: &str) -> Result<Vec<StoredSigningKey>, StoreError>;
    /// Stores `key` only if the pool has no key yet, and returns the pool's keys: of several
    /// nodes starting together, every one ends up with the same first key.
    async fn first_signing_key(
        &self,
        pool: &str,
        key: &StoredSigningKey,
    ) -> Result<Vec<StoredSigningKey>, StoreError>;
    /// Marks every current key of the pool retired at `now` and adds `next` (one transaction).
    async fn rotate_signing_key(
        &self,
        pool: &str,
        next: &StoredSigningKey,
        now: SystemTime,
    ) -> Result<(), StoreError>;
    /// Deletes keys retired before `before`; returns how many.
    async fn prune_signing_keys(&self, pool: &str, before: SystemTime) -> Result<u64, StoreError>;

    async fn create_session(&self, session: &SignInSession) -> Result<(), StoreError>;
    /// The session a refresh token belongs to, revoked or not.
    async fn session_by_refresh(
        &self,
        pool: &str,
        refresh_sha256: &[u8; 32],
    ) -> Result<Option<SignInSession>, StoreError>;
    /// A refresh token a rotation replaced ([`SignInStore::rotate_refresh`]): its session (as it
    /// is now, with its current token) and until when the retired one still works.
    async fn retired_refresh(
        &self,
        pool: &str,
        refresh_sha256: &[u8; 32],
    ) -> Result<Option<(SignInSession, SystemTime)>, StoreError>;
    /// Refresh-token rotation, in one transaction: the live session `origin_jti` whose current
    /// token is `current` gets `next` instead, and `current` is kept as retired, usable until
    /// `retired_until`. `false` (and nothing changed) if the session is gone, revoked, or its
    /// current token is no longer `current` (a concurrent rotation won).
    async fn rotate_refresh(
        &self,
        pool: &str,
        origin_jti: &str,
        current: &[u8; 32],
        next: &[u8; 32],
        retired_until: SystemTime,
    ) -> Result<bool, StoreError>;
    /// Revokes one session; `false` if there is none or it was revoked already.
    async fn revoke_session(
        &self,
        pool: &str,
        origin_jti: &str,
        now: SystemTime,
    ) -> Result<bool, StoreError>;
    /// Revokes every live session of a user (GlobalSignOut); returns how many.
    async fn revoke_user_sessions(
        &self,
        pool: &str,
        username: &str,
        now: SystemTime,
    ) -> Result<u64, StoreError>;
    /// Whether a session is revoked. An unknown session is not: tokens of a pool without
    /// storage-backed sessions (client credentials) have none.
    async fn is_revoked(&self, pool: &str, origin_jti: &str) -> Result<bool, StoreError>;
    /// `(pool, origin_jti, revoked_at)` of every session revoked at or after `since`, oldest
    /// first: what a node's deny list polls.
    async fn revoked_since(
        &self,
        since: SystemTime,
    ) -> Result<Vec<(String, String, SystemTime)>, StoreError>;
    /// Deletes sessions whose refresh token expired before `before`, with the tokens their
    /// rotations retired, and authorization codes expired before `before`; returns how many
    /// sessions.
    async fn purge_sessions(&self, before: SystemTime) -> Result<u64, StoreError>;

    /// Stores a code's digest for a user and purpose, replacing any earlier one.
    async fn put_code(
        &self,
        pool: &str,
        username: &str,
        purpose: CodePurpose,
        digest: &[u8; 32],
        expires_at: SystemTime,
    ) -> Result<(), StoreError>;
    /// Checks a code's digest (in constant time) and spends it when it matches; see
    /// [`CodeCheck`].
    async fn check_code(
        &self,
        pool: &str,
        username: &str,
        purpose: CodePurpose,
        digest: &[u8; 32],
        now: SystemTime,
    ) -> Result<CodeCheck, StoreError>;
    /// Deletes a user's codes (the user was deleted).
    async fn delete_codes(&self, pool: &str, username: &str) -> Result<(), StoreError>;

    /// Stores a new authorization code.
    async fn put_oauth_code(&self, code: &OAuthCode) -> Result<(), StoreError>;
    /// Redeems the code of digest `code_sha256` of `pool`, once: on first use it is marked spent
    /// in the same transaction that reads it, and `origin_jti` (the session about to be opened)
    /// is recorded with it. See [`CodeRedemption`].
    async fn redeem_oauth_code(
        &self,
        pool: &str,
        code_sha256: &[u8; 32],
        origin_jti: &str,
        now: SystemTime,
    ) -> Result<CodeRedemption, StoreError>;

    async fn push_outbox(&self, message: &OutboxMessage) -> Result<(), StoreError>;
    /// A pool's messages, newest first, to one user if given, at most `limit`.
    async fn outbox(
        &self,
        pool: &str,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
}
