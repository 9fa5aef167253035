//! The background task that deletes expired sessions.
//!
//! An expired session is refused whatever storage says (the gateway checks the expiration), so
//! purging is housekeeping: it keeps the table, and the database file, from growing with every
//! AssumeRole ever answered.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::MissedTickBehavior;

use crate::SessionStore;

/// Deletes the sessions that expired before `now()` once straight away and then every `every`,
/// until `shutdown` completes. A failed purge is logged and retried at the next tick: storage
/// that is briefly unreachable must not end the task.
pub async fn run(
    sessions: Arc<dyn SessionStore>,
    now: impl Fn() -> SystemTime + Send,
    every: Duration,
    shutdown: impl Future<Output = ()> + Send,
) {
    // `interval` panics on a zero period.
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(1)));
    // A purge that took long, or a suspended machine, gives one purge, not a burst of them.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => return,
            _ = ticks.tick() => {}
        }
        match sessions.delete_expired_sessions(now()).await {
            Ok(deleted) => tracing::debug!(deleted, "purged expired sessions"),
            Err(e) => tracing::warn!("purging expired sessions failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::{SessionCredentials, StoreError, StoredSession};

    /// Sessions in a map. Not SQLite: its queries complete on a worker thread, and with tokio's
    /// clock paused an idle runtime jumps to the next timer while waiting for them, which would
    /// make the test's timeline depend on thread scheduling.
    #[derive(Default)]
    struct MapSessions {
        map: Mutex<HashMap<String, StoredSession>>,
        purges: Mutex<u32>,
    }

    impl MapSessions {
        fn has(&self, id: &str) -> bool {
            self.map.lock().is_ok_and(|m| m.contains_key(id))
        }

        fn purges(&self) -> u32 {
            self.purges.lock().map_or(0, |n| *n)
        }
    }

    #[async_trait]
    impl SessionStore for MapSessions {
        async fn put_session(
            &self,
            s: &SessionCredentials,
            _now: SystemTime,
        ) -> Result<(), StoreError> {
            let mut map = self
                .map
                .lock()
                .map_err(|e| StoreError::Query(e.to_string()))?;
            map.insert(s.access_key_id.clone(), s.to_stored());
            Ok(())
        }

        async fn session(&self, id: &str) -> Result<Option<StoredSession>, StoreError> {
            Ok(self.map.lock().ok().and_then(|m| m.get(id).cloned()))
        }

        async fn delete_expired_sessions(&self, now: SystemTime) -> Result<u64, StoreError> {
            let mut map = self
                .map
                .lock()
                .map_err(|e| StoreError::Query(e.to_string()))?;
            let before = map.len();
            map.retain(|_, s| s.expiration >= now);
            if let Ok(mut n) = self.purges.lock() {
                *n += 1;
            }
            Ok(u64::try_from(before - map.len()).unwrap_or(u64::MAX))
        }
    }

    fn credentials(id: &str, expiration: SystemTime) -> SessionCredentials {
        SessionCredentials {
            access_key_id: id.into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration,
            role_arn: "arn:aws:iam::123456789012:role/Reader".into(),
            session_name: "s".into(),
            session_policy: None,
            source_identity: None,
            issued_to: "arn:aws:iam::123456789012:user/demo".into(),
            web_identity: None,
            session_tags: None,
        }
    }

    /// Lets the purge task run until it has purged `n` times in all (bounded: a task that never
    /// gets there fails the test instead of hanging it).
    async fn until_purged(sessions: &MapSessions, n: u32) {
        for _ in 0..1000 {
            if sessions.purges() >= n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!(
            "the purge task did not run (purged {} times)",
            sessions.purges()
        );
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn expired_sessions_go_and_live_ones_stay() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let started = tokio::time::Instant::now();
        // The store's clock follows tokio's paused clock.
        let now = move || t0 + started.elapsed();
        let sessions = Arc::new(MapSessions::default());
        let soon = credentials("ASIASOON000000000000", t0 + Duration::from_secs(90));
        let live = credentials("ASIALIVE000000000000", t0 + Duration::from_secs(3600));
        sessions.put_session(&soon, t0).await.expect("put");
        sessions.put_session(&live, t0).await.expect("put");

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(run(
            sessions.clone(),
            now,
            Duration::from_secs(60),
            async move {
                let _ = stopped.await;
            },
        ));
        // The first purge runs at once; nothing has expired yet.
        until_purged(&sessions, 1).await;
        assert!(sessions.has("ASIASOON000000000000"));
        // At 60 s the first session is still valid; at 120 s it has expired.
        tokio::time::advance(Duration::from_secs(60)).await;
        until_purged(&sessions, 2).await;
        assert!(sessions.has("ASIASOON000000000000"));
        tokio::time::advance(Duration::from_secs(60)).await;
        until_purged(&sessions, 3).await;
        assert!(!sessions.has("ASIASOON000000000000"));
        assert!(sessions.has("ASIALIVE000000000000"));

        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("the task stops on shutdown")
            .expect("the task did not panic");
        assert!(sessions.has("ASIALIVE000000000000"));
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_dropped_shutdown_sender_stops_the_task() {
        let sessions: Arc<dyn SessionStore> = Arc::new(MapSessions::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(run(
            sessions,
            || SystemTime::UNIX_EPOCH,
            Duration::from_secs(60),
            async move {
                let _ = stopped.await;
            },
        ));
        drop(stop);
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("stops")
            .expect("no panic");
    }
}
