//! The deny list: sessions revoked before their tokens expire (GlobalSignOut, RevokeToken,
//! DeleteUser), which the gateway's authorizers refuse for pools with
//! `authorizers_check_revocation` on.
//!
//! Revocations are rows in storage, so every node sees them; a node reads the new ones at most
//! [`POLL`] apart, when an authorizer asks, so a revocation on any node is in force everywhere
//! within about a second. Revocations made on this node are in force at once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use store::{SignInStore, StoreError};

/// How stale the list may get before an authorizer's check reads storage again.
pub const POLL: Duration = Duration::from_secs(1);
/// Storage keeps revocation times in whole seconds: re-read a little before the last poll.
const OVERLAP: Duration = Duration::from_secs(2);

#[derive(Default)]
struct State {
    /// Pool → revoked `origin_jti`s (looked up by `&str`, without allocating).
    revoked: HashMap<String, HashSet<String>>,
    polled_at: Option<SystemTime>,
    /// A revocation was written on this node: the next check reads storage.
    force: bool,
}

#[derive(Default)]
pub struct DenyList {
    state: Mutex<State>,
    /// Serializes polls, so a burst of requests reads storage once.
    poll: tokio::sync::Mutex<()>,
}

impl DenyList {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a revocation made on this node.
    pub fn insert(&self, pool: &str, origin_jti: &str) {
        self.lock()
            .revoked
            .entry(pool.to_string())
            .or_default()
            .insert(origin_jti.to_string());
    }

    /// Makes the next check read storage (after revoking sessions whose ids this node does not
    /// hold, as GlobalSignOut does).
    pub fn expire(&self) {
        self.lock().force = true;
    }

    fn stale(&self, now: SystemTime) -> Option<SystemTime> {
        let state = self.lock();
        match state.polled_at {
            Some(t) if !state.force && now.duration_since(t).unwrap_or_default() < POLL => None,
            Some(t) => Some(t.checked_sub(OVERLAP).unwrap_or(UNIX_EPOCH)),
            None => Some(UNIX_EPOCH),
        }
    }

    /// Whether the session `origin_jti` of `pool` is revoked, reading storage first when the
    /// list is older than [`POLL`].
    pub async fn is_revoked(
        &self,
        store: &dyn SignInStore,
        pool: &str,
        origin_jti: &str,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        if self.stale(now).is_some() {
            let _polling = self.poll.lock().await;
            // Another request may have polled while this one waited.
            if let Some(since) = self.stale(now) {
                let rows = store.revoked_since(since).await?;
                let mut state = self.lock();
                for (p, o, _) in rows {
                    state.revoked.entry(p).or_default().insert(o);
                }
                state.polled_at = Some(now);
                state.force = false;
            }
        }
        Ok(self
            .lock()
            .revoked
            .get(pool)
            .is_some_and(|s| s.contains(origin_jti)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use store::{SignInSession, SqliteStore};

    use super::*;

    fn session(origin: &str, now: SystemTime) -> SignInSession {
        SignInSession {
            pool: "us-east-1_P".into(),
            origin_jti: origin.into(),
            client_id: "c".into(),
            username: "u".into(),
            refresh_sha256: *ring::digest::digest(&ring::digest::SHA256, origin.as_bytes())
                .as_ref()
                .first_chunk::<32>()
                .unwrap(),
            auth_time: now,
            expires_at: now + Duration::from_secs(3600),
            revoked_at: None,
            scopes: Vec::new(),
        }
    }

    #[tokio::test]
    async fn revocations_elsewhere_are_seen_within_a_poll() {
        let store: Arc<dyn SignInStore> = SqliteStore::memory().await.unwrap().into_stores().signin;
        let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        store.create_session(&session("a", t0)).await.unwrap();
        store.create_session(&session("b", t0)).await.unwrap();
        let deny = DenyList::default();
        assert!(
            !deny
                .is_revoked(store.as_ref(), "us-east-1_P", "a", t0)
                .await
                .unwrap()
        );
        // Another node revokes "a": this node sees it once POLL has passed…
        store.revoke_session("us-east-1_P", "a", t0).await.unwrap();
        assert!(
            !deny
                .is_revoked(store.as_ref(), "us-east-1_P", "a", t0)
                .await
                .unwrap()
        );
        let later = t0 + POLL;
        assert!(
            deny.is_revoked(store.as_ref(), "us-east-1_P", "a", later)
                .await
                .unwrap()
        );
        assert!(
            !deny
                .is_revoked(store.as_ref(), "us-east-1_P", "b", later)
                .await
                .unwrap()
        );
        // …and at once after a revocation on this node.
        store
            .revoke_user_sessions("us-east-1_P", "u", later)
            .await
            .unwrap();
        deny.expire();
        assert!(
            deny.is_revoked(store.as_ref(), "us-east-1_P", "b", later)
                .await
                .unwrap()
        );
        deny.insert("us-east-1_Q", "c");
        assert!(
            deny.is_revoked(store.as_ref(), "us-east-1_Q", "c", later)
                .await
                .unwrap()
        );
        assert!(
            !deny
                .is_revoked(store.as_ref(), "us-east-1_Q", "a", later)
                .await
                .unwrap()
        );
    }
}
