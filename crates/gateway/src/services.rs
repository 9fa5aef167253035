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

use crate::client::Upstream;
use crate::clock::Clock;
use crate::deploy::{DeployError, Deployment};

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
}

/// The settings bound at startup: sockets, storage, TLS and connection handling.
#[derive(Clone, PartialEq)]
struct Fixed {
    listen: SocketAddr,
    admin_listen: SocketAddr,
    storage: Storage,
    tls: Option<TlsFiles>,
    server: ServerSettings,
}

impl Fixed {
    fn of(config: &Config) -> Fixed {
        Fixed {
            listen: config.listen,
            admin_listen: config.admin_listen,
            storage: config.storage.clone(),
            tls: config.tls.clone(),
            server: config.server.clone(),
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
        if self.server != other.server {
            changed.push("server");
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

impl Services {
    /// Compiles `config` into the first deployment and starts the services around it.
    pub fn new(
        config: &Config,
        store: Stores,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
        mut sinks: Sinks,
    ) -> Result<Services, DeployError> {
        let deployment = Deployment::compile(config, store.clone(), &metrics, &mut sinks)?;
        Ok(Services {
            deployment: ArcSwap::from_pointee(deployment),
            metrics,
            upstream: Upstream::new().map_err(DeployError::Client)?,
            store,
            clock,
            random: ring::rand::SystemRandom::new(),
            body_read_timeout: config.server.body_read_timeout,
            sinks: Mutex::new(Some(sinks)),
            fixed: Fixed::of(config),
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
        let next = Deployment::compile(config, self.store.clone(), &self.metrics, sinks)?;
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

    pub fn store(&self) -> &Stores {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
