//! The long-lived half of the gateway: what outlives a configuration reload.
//!
//! [`Services`] holds storage, the clock, metrics, the backend connection pool, randomness and the
//! access-log writers — everything a request uses that is not compiled from the configuration —
//! and the current [`Deployment`], which a reload swaps atomically. A request takes the deployment
//! once, when it starts ([`Services::deployment`]), and keeps it to the end: a reload never
//! changes the rules under a request in flight, and never drops a connection.
//!
//! Later capabilities add their long-lived parts here (counters, response and authorizer caches,
//! the Lambda function host); per-configuration parts go to [`Deployment`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use config::{Config, ServerSettings, Storage, TlsFiles};
use store::Stores;
use telemetry::{Metrics, Sinks};

use counters::{Counters, MemoryCounters};
use store::StoreError;

use crate::cache::CacheRegistry;
use crate::client::Upstream;
use crate::clock::Clock;
use crate::deploy::{DeployError, Deployment};
use crate::usage::{self, KeyIndex, UsageRecorder};

pub struct Services {
    deployment: ArcSwap<Deployment>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) upstream: Upstream,
    pub(crate) store: Stores,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: ring::rand::SystemRandom,
    /// `server.body_read_timeout`: how long after its head a request's body may take to arrive.
    pub(crate) body_read_timeout: Duration,
    /// The access-log writers, one per destination, shared by every deployment; taken at
    /// shutdown so that the writers can finish.
    sinks: Mutex<Option<Sinks>>,
    /// What the process was started with and a reload cannot change.
    fixed: Fixed,
    /// Token buckets and quotas (in memory on one node).
    pub(crate) counters: Arc<dyn Counters>,
    /// The API keys and usage plans the admin API stored, indexed (see [`crate::usage`]).
    stored_keys: ArcSwap<KeyIndex>,
    /// Requests counted per key and day, written to storage in batches.
    pub(crate) usage_recorder: UsageRecorder,
    /// The stage response caches, kept across deployments.
    pub(crate) caches: CacheRegistry,
    /// What the user pools keep across deployments: their keys, the password hasher, the edge
    /// URL.
    pub(crate) idp: Arc<cognito::Shared>,
    /// The Lambda functions' host: their execution environments live as long as the process.
    pub(crate) functions: functions::FunctionHost,
    /// Lambda authorizers' answers by identity, kept across deployments (keyed by each
    /// authorizer's fingerprint, so a changed authorizer starts empty).
    pub(crate) authorizer_cache: crate::lambda_authorizer::AuthorizerCache,
    /// JWT authorizers' issuer key sets (kept across reloads).
    pub(crate) jwks: crate::jwks::JwksCache,
}

/// The settings bound at startup: sockets, storage, TLS and connection handling.
#[derive(Clone, PartialEq)]
struct Fixed {
    listen: SocketAddr,
    admin_listen: SocketAddr,
    storage: Storage,
    tls: Option<TlsFiles>,
    site: Option<config::SiteConfig>,
    server: ServerSettings,
    /// The function host is started once, with these: its environments and their processes are
    /// not swapped by a reload.
    functions: Vec<functions::FunctionSpec>,
}

impl Fixed {
    fn of(config: &Config) -> Fixed {
        Fixed {
            listen: config.listen,
            admin_listen: config.admin_listen,
            storage: config.storage.clone(),
            tls: config.tls.clone(),
            site: config.site.clone(),
            server: config.server.clone(),
            functions: config.functions.clone(),
        }
    }

    /// The top-level keys whose values differ, as the configuration names them.
    fn changed(&self, other: &Fixed) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if self.listen != other.listen {
            changed.push("listen");
        }
        if self.admin_listen != other.admin_listen {
            changed.push("admin_listen");
        }
        if self.storage != other.storage {
            changed.push("storage");
        }
        if self.tls != other.tls {
            changed.push("tls");
        }
        if self.site != other.site {
            changed.push("site");
        }
        if self.server != other.server {
            changed.push("server");
        }
        if self.functions != other.functions {
            changed.push("functions");
        }
        changed
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// A reload that would silently keep the old value of a setting is refused whole: the
    /// operator asked for something the running process cannot do.
    #[error(
        "these settings take effect only on restart: {}; the configuration was not reloaded",
        .0.join(", ")
    )]
    RestartRequired(Vec<&'static str>),
    #[error("the gateway is shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Deploy(#[from] DeployError),
}

/// The function host's settings from the configuration: functions' ARNs name the file's region
/// and account, and their relative paths are the file's directory's.
fn host_options(config: &Config) -> functions::HostOptions {
    functions::HostOptions {
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        base_dir: config.dir().to_path_buf(),
        ..functions::HostOptions::default()
    }
}

impl Services {
    /// Compiles `config` into the first deployment and starts the services around it.
    pub fn new(
        config: &Config,
        store: Stores,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
        mut sinks: Sinks,
    ) -> Result<Services, DeployError> {
        let caches = CacheRegistry::default();
        let hasher =
            userpools::PasswordHasher::new().map_err(|e| DeployError::UserPools(e.to_string()))?;
        let counters: Arc<dyn Counters> = Arc::new(MemoryCounters::new(counters::DEFAULT_MAX_KEYS));
        let idp = Arc::new(cognito::Shared::new(
            store.userpools.clone(),
            store.signin.clone(),
            hasher,
            counters.clone(),
        ));
        let deployment = Deployment::compile(
            config,
            store.clone(),
            &idp,
            &metrics,
            &mut sinks,
            &caches,
            clock.now(),
        )?;
        let upstream = Upstream::new().map_err(DeployError::Client)?;
        let jwks = crate::jwks::JwksCache::new(Arc::new(crate::jwks::HttpFetch(
            upstream.verified.clone(),
        )));
        let functions = functions::FunctionHost::start(&config.functions, host_options(config))
            .map_err(|e| DeployError::Functions(e.to_string()))?;
        Ok(Services {
            deployment: ArcSwap::from_pointee(deployment),
            metrics,
            upstream,
            store,
            clock,
            random: ring::rand::SystemRandom::new(),
            body_read_timeout: config.server.body_read_timeout,
            sinks: Mutex::new(Some(sinks)),
            fixed: Fixed::of(config),
            counters,
            stored_keys: ArcSwap::from_pointee(KeyIndex::default()),
            usage_recorder: UsageRecorder::default(),
            caches,
            idp,
            functions,
            authorizer_cache: crate::lambda_authorizer::AuthorizerCache::default(),
            jwks,
        })
    }

    /// The deployment serving now. Hold it for the whole request.
    pub fn deployment(&self) -> Arc<Deployment> {
        self.deployment.load_full()
    }

    /// Replaces the deployment with one compiled from `config`. On any error the current
    /// deployment keeps serving, untouched.
    pub fn reload(&self, config: &Config) -> Result<(), ReloadError> {
        let changed = self.fixed.changed(&Fixed::of(config));
        if !changed.is_empty() {
            return Err(ReloadError::RestartRequired(changed));
        }
        // One reload at a time: the lock is held while compiling. (A panic elsewhere while it was
        // held leaves the registry as consistent as any map insert does.)
        let mut sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        let sinks = sinks.as_mut().ok_or(ReloadError::ShuttingDown)?;
        let next = Deployment::compile(
            config,
            self.store.clone(),
            &self.idp,
            &self.metrics,
            sinks,
            &self.caches,
            self.clock.now(),
        )?;
        self.deployment.store(Arc::new(next));
        Ok(())
    }

    /// Closes the access-log registry (no reload after this) and returns the handle that waits
    /// for the writers to drain once the last deployment using them is gone.
    pub fn close_access_logs(&self) -> Option<telemetry::access_log::Flusher> {
        let sinks = self
            .sinks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        Some(sinks.into_flusher())
    }

    /// The deadline for the body of a request whose head arrives now.
    pub(crate) fn body_deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::now() + self.body_read_timeout
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The user pools' long-lived state (`start` sets the edge URL once bound).
    pub fn user_pools(&self) -> &Arc<cognito::Shared> {
        &self.idp
    }

    /// The Lambda function host.
    pub fn functions(&self) -> &functions::FunctionHost {
        &self.functions
    }

    pub fn store(&self) -> &Stores {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The index of the keys and plans the admin API stored.
    pub fn stored_keys(&self) -> Arc<KeyIndex> {
        self.stored_keys.load_full()
    }

    /// Rebuilds the stored-key index from storage: at startup, and after the admin API changed
    /// a key or a plan. Requests see the change as soon as this returns.
    pub async fn refresh_usage(&self) -> Result<(), StoreError> {
        let keys = self.store.usage.api_keys().await?;
        let plans = self.store.usage.usage_plans().await?;
        self.stored_keys
            .store(Arc::new(KeyIndex::from_stored(&keys, &plans)));
        Ok(())
    }

    /// Writes the usage counted since the last flush to storage.
    pub async fn flush_usage(&self) -> Result<usize, StoreError> {
        self.usage_recorder.flush(&*self.store.usage).await
    }

    /// Sets each quota's count for the current period from the usage storage recorded, so that a
    /// restart does not hand every key a fresh quota. Run once, at startup, after
    /// [`Services::refresh_usage`].
    pub async fn restore_quotas(&self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let deployment = self.deployment();
        let stored = self.stored_keys();
        for plan in deployment.keys.plans().iter().chain(stored.plans()) {
            let Some(quota) = plan.quota else { continue };
            let (start, end) = counters::math::quota::bounds(quota.period, now);
            let (from, to) = (
                usage::utc_day_of_unix(start),
                usage::utc_day_of_unix(end - 1),
            );
            for count in self.store.usage.usage(&plan.id, None, &from, &to).await? {
                let key = usage::quota_key(&plan.id, &count.key_id);
                // Best effort: a count larger than the limit leaves the quota exhausted.
                let _ = self
                    .counters
                    .quota_add(&key, quota, count.count.min(quota.limit), now)
                    .await;
            }
        }
        Ok(())
    }

    /// Writes counted usage every `every` until `shutdown` completes, then once more. A failed
    /// write keeps the counts for the next one.
    pub async fn write_usage_every(
        self: Arc<Self>,
        every: Duration,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            let stopping = tokio::select! {
                biased;
                () = &mut shutdown => true,
                _ = ticks.tick() => false,
            };
            if let Err(e) = self.flush_usage().await {
                tracing::warn!("writing API key usage failed (kept for the next write): {e}");
            }
            if stopping {
                return;
            }
        }
    }

    /// Drops every cached response of a stage; `false` when the stage has no cache.
    pub fn flush_stage_cache(&self, api: &str, stage: &str) -> bool {
        match self.caches.get(api, stage) {
            Some(cache) => {
                cache.flush();
                true
            }
            None => false,
        }
    }
}
