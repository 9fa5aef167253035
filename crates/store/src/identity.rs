//! Identity-pool identities as storage keeps them: an identity id per (identity pool,
//! provider, subject), created by the first GetId of that user and the same ever after, on
//! every node and across restarts; and unauthenticated (guest) identities, which have no login.

use std::time::SystemTime;

use async_trait::async_trait;

use crate::StoreError;

/// One identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIdentity {
    /// `{region}:{uuid}`.
    pub identity_id: String,
    pub pool_id: String,
    /// The providers linked to it (`cognito-idp.{region}.amazonaws.com/{poolId}`), sorted;
    /// empty for an unauthenticated identity.
    pub logins: Vec<String>,
    pub created: SystemTime,
    pub last_modified: SystemTime,
}

/// A page of [`IdentityStore::list_identities`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPage {
    pub identities: Vec<StoredIdentity>,
    /// Present when more identities follow: pass it back to continue after this page.
    pub next_token: Option<String>,
}

#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// The identity of `subject` at `provider` in identity pool `pool_id`: the existing one,
    /// or a new one with id `new_id` (the caller draws it). Two nodes racing for the same user
    /// both answer the one identity that was stored first.
    async fn identity_for_login(
        &self,
        pool_id: &str,
        provider: &str,
        subject: &str,
        new_id: &str,
        now: SystemTime,
    ) -> Result<StoredIdentity, StoreError>;

    /// A new unauthenticated identity with id `new_id`.
    async fn create_unauthenticated(
        &self,
        pool_id: &str,
        new_id: &str,
        now: SystemTime,
    ) -> Result<StoredIdentity, StoreError>;

    /// An identity by id, with its logins.
    async fn identity(&self, identity_id: &str) -> Result<Option<StoredIdentity>, StoreError>;

    /// The subject linked to `identity_id` at `provider`, if any: what a login token presented
    /// for an identity must match.
    async fn identity_subject(
        &self,
        identity_id: &str,
        provider: &str,
    ) -> Result<Option<String>, StoreError>;

    /// At most `max` identities of a pool, ordered by id, after `next_token` (a token from a
    /// previous page).
    async fn list_identities(
        &self,
        pool_id: &str,
        max: u32,
        next_token: Option<&str>,
    ) -> Result<IdentityPage, StoreError>;
}
