//! User-pool users, their sign-in aliases, and groups, as storage keeps them.
//!
//! A user is one record, updated whole and by compare-and-swap on its `version`: two
//! concurrent changes to one user (a password change and a sign-out, on two nodes) cannot
//! silently undo each other — the second gets [`UserPoolError::Conflict`] and re-reads. Aliases
//! (an email or phone number a user signs in with) are unique per pool and kind, enforced by
//! the database, so two sign-ups racing for one email cannot both succeed.
//!
//! Sessions, refresh tokens, signing keys and codes are not here yet (issue 10 adds them).

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::StoreError;

/// Cognito's user statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
    ResetRequired,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ResetRequired => "RESET_REQUIRED",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        [
            UserStatus::Unconfirmed,
            UserStatus::Confirmed,
            UserStatus::ForceChangePassword,
            UserStatus::ResetRequired,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A password as stored: its Argon2id hash, and what SRP needs (the salt and verifier).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordRecord {
    /// The PHC string (`$argon2id$…`).
    pub phc: String,
    pub srp_salt: Vec<u8>,
    pub srp_verifier: Vec<u8>,
    pub set_at: SystemTime,
}

// Hand-written: each field allows guessing the password offline.
impl fmt::Debug for PasswordRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordRecord")
            .field("set_at", &self.set_at)
            .finish_non_exhaustive()
    }
}

/// Software-token MFA settings.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MfaSettings {
    /// The verified TOTP secret (Base32).
    pub software_token_secret: Option<String>,
    /// A secret handed out by AssociateSoftwareToken, not verified yet.
    pub pending_software_token_secret: Option<String>,
    pub software_token_enabled: bool,
    pub preferred: Option<String>,
    /// The last TOTP step accepted (a code is never accepted twice).
    pub last_totp_step: Option<u64>,
    /// VerifySoftwareToken's `FriendlyDeviceName`, echoed in the sign-in challenge.
    pub friendly_device_name: Option<String>,
}

impl fmt::Debug for MfaSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaSettings")
            .field("software_token_enabled", &self.software_token_enabled)
            .field("preferred", &self.preferred)
            .field("verified", &self.software_token_secret.is_some())
            .finish_non_exhaustive()
    }
}

/// One user of one pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub pool: String,
    /// Cognito's internal username: immutable, and what SRP's `USER_ID_FOR_SRP` names.
    pub username: String,
    pub sub: String,
    pub attributes: BTreeMap<String, String>,
    pub status: UserStatus,
    pub enabled: bool,
    pub password: Option<PasswordRecord>,
    pub mfa: MfaSettings,
    pub created: SystemTime,
    pub modified: SystemTime,
    /// Incremented by every update; see the module docs.
    pub version: u64,
}

/// A sign-in alias: (kind, canonical value), e.g. `("email", "alice@example.com")`.
pub type Alias = (String, String);

/// A group of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGroup {
    pub pool: String,
    pub name: String,
    pub description: Option<String>,
    /// Lower wins (the `cognito:preferred_role`); `None` sorts last.
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
    pub created: SystemTime,
    pub modified: SystemTime,
}

#[derive(Debug, thiserror::Error)]
pub enum UserPoolError {
    #[error("a user with this username exists")]
    UsernameExists,
    /// Another user holds this alias (its kind is named).
    #[error("another user has this {0}")]
    AliasExists(String),
    #[error("a group with this name exists")]
    GroupExists,
    #[error("no such user or group")]
    NotFound,
    /// The user changed since it was read; read it again and retry.
    #[error("the user changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait UserPoolStore: Send + Sync + 'static {
    /// Stores a new user (its `version` is stored as given) with its aliases, in one
    /// transaction.
    async fn create_user(&self, user: &StoredUser, aliases: &[Alias]) -> Result<(), UserPoolError>;
    async fn user(&self, pool: &str, username: &str) -> Result<Option<StoredUser>, StoreError>;
    async fn user_by_alias(
        &self,
        pool: &str,
        kind: &str,
        value: &str,
    ) -> Result<Option<StoredUser>, StoreError>;
    async fn user_by_sub(&self, pool: &str, sub: &str) -> Result<Option<StoredUser>, StoreError>;
    /// Replaces a user read at `user.version` and its aliases, storing `version + 1`;
    /// `Conflict` if it changed since, `NotFound` if it is gone. Returns the new version.
    async fn update_user(&self, user: &StoredUser, aliases: &[Alias])
    -> Result<u64, UserPoolError>;
    /// Deletes a user with its aliases and memberships.
    async fn delete_user(&self, pool: &str, username: &str) -> Result<(), UserPoolError>;
    /// Users ordered by username, after `after` if given, at most `limit`.
    async fn list_users(
        &self,
        pool: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredUser>, StoreError>;

    async fn create_group(&self, group: &StoredGroup) -> Result<(), UserPoolError>;
    async fn group(&self, pool: &str, name: &str) -> Result<Option<StoredGroup>, StoreError>;
    async fn list_groups(&self, pool: &str) -> Result<Vec<StoredGroup>, StoreError>;
    /// Deletes a group and its memberships.
    async fn delete_group(&self, pool: &str, name: &str) -> Result<(), UserPoolError>;
    /// Adds a user to a group (idempotent); `NotFound` if either is missing.
    async fn add_user_to_group(
        &self,
        pool: &str,
        username: &str,
        group: &str,
    ) -> Result<(), UserPoolError>;
    async fn remove_user_from_group(
        &self,
        pool: &str,
        username: &str,
        group: &str,
    ) -> Result<(), UserPoolError>;
    /// A user's groups by precedence (unset last), then name: the order of `cognito:groups`.
    async fn groups_of_user(
        &self,
        pool: &str,
        username: &str,
    ) -> Result<Vec<StoredGroup>, StoreError>;
}
