//! The `portcullis` binary's wiring, as a library so integration tests can start the real server
//! in-process on ephemeral ports.
//!
//! [`start`] opens storage, compiles the configuration into the gateway's [`gateway::Services`]
//! and first [`gateway::Deployment`], binds the edge and admin listeners and serves them until
//! [`Running::stop`]; [`Running::reload`] swaps in a new deployment.

pub mod simulate;
pub mod userpool_cli;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use config::{Config, Storage};
use gateway::clock::{Clock, SystemClock};
use gateway::server::{self, Listeners};
use gateway::tls;
use store::{SqliteStore, Stores};
use telemetry::{Metrics, Sinks};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How to start, beyond what the configuration says.
#[derive(Clone, Default)]
pub struct StartOptions {
    /// Serve HTTPS with a generated self-signed certificate (ignored when the config has `tls:`).
    pub dev_tls: bool,
    /// The clock the pipeline uses; the system clock when `None`.
    pub clock: Option<Arc<dyn Clock>>,
}

/// A started server.
pub struct Running {
    pub edge: SocketAddr,
    pub admin: SocketAddr,
    /// The static site's address (`site:`), when configured; same scheme as the edge.
    pub site: Option<SocketAddr>,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The development certificate, when `dev_tls` generated or reused one.
    pub dev_certificate: Option<(std::path::PathBuf, String)>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<usize>,
    services: Arc<gateway::Services>,
    /// Dropping the sender (with `Running`) stops the purge task too.
    stop_purge: Option<oneshot::Sender<()>>,
    purge: Option<JoinHandle<()>>,
    /// The usage writer (API key usage per day), stopped the same way; its last flush runs
    /// after the last request.
    stop_usage: Option<oneshot::Sender<()>>,
    usage: Option<JoinHandle<()>>,
}

impl Running {
    /// The running services (storage, the current deployment), for tests and tools in-process.
    pub fn services(&self) -> &Arc<gateway::Services> {
        &self.services
    }

    /// Stops accepting, drains in-flight requests (bounded by `server.shutdown_grace`) and
    /// flushes access logs. Returns how many connections had to be cut at the end of the grace
    /// period.
    pub async fn stop(mut self) -> anyhow::Result<usize> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let cut = (&mut self.task).await.context("the server task failed")?;
        if let Some(stop) = self.stop_purge.take() {
            let _ = stop.send(());
        }
        if let Some(purge) = self.purge.take() {
            // A purge in progress finishes first; it is one indexed DELETE.
            let _ = purge.await;
        }
        if let Some(stop) = self.stop_usage.take() {
            let _ = stop.send(());
        }
        if let Some(usage) = self.usage.take() {
            let _ = usage.await;
        }
        // Function processes are killed and reaped (bounded) before the process exits.
        self.services.functions().shutdown().await;
        let flusher = self.services.close_access_logs();
        // The writers end when the last logger is gone: let go of the deployment holding them.
        drop(self.services);
        if let Some(flusher) = flusher {
            // The writers finish once the last connection lets go of the gateway; connections cut
            // at the end of the grace period may hold it until the runtime stops, so the wait is
            // bounded. Lines already queued are written as they arrive either way.
            let join = tokio::task::spawn_blocking(move || flusher.join());
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), join).await;
        }
        Ok(cut)
    }

    /// Replaces the served deployment with `config`'s, without dropping a connection or a
    /// request in flight; on error the current one keeps serving. `config` must have been
    /// loaded and checked (`config::load`): this compiles it, and refuses changes to what only a
    /// restart applies (listeners, storage, TLS, `server:`).
    pub fn reload(&self, config: &Config) -> Result<(), gateway::ReloadError> {
        self.services.reload(config)?;
        tracing::info!(
            "configuration reloaded: serving {} API(s)",
            config.apis.len()
        );
        Ok(())
    }

    /// Resolves when the server stops by itself (it does not, unless it fails).
    pub async fn wait(&mut self) -> anyhow::Result<usize> {
        Ok((&mut self.task).await?)
    }
}

/// Opens the storage the configuration names, applying pending migrations.
pub async fn open_store(storage: &Storage) -> anyhow::Result<Stores> {
    let backend = match storage {
        Storage::Sqlite(path) => SqliteStore::open(path)
            .await
            .with_context(|| format!("opening storage {}", path.display()))?,
        Storage::SqliteMemory => SqliteStore::memory().await?,
    };
    Ok(backend.into_stores())
}

/// How often expired sessions are deleted from storage. They are refused from the moment they
/// expire whatever storage holds; this only bounds how long they take up room.
const PURGE_SESSIONS_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// How often counted API key usage is written to storage: what a crash can lose, at most.
const WRITE_USAGE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Starts deleting expired sessions in the background, on the pipeline's clock, until `stop`
/// fires or is dropped.
fn spawn_session_purge(
    stores: &Stores,
    clock: Arc<dyn Clock>,
    stop: oneshot::Receiver<()>,
) -> JoinHandle<()> {
    tokio::spawn(store::purge::run(
        stores.sessions.clone(),
        move || clock.now(),
        PURGE_SESSIONS_EVERY,
        async move {
            let _ = stop.await;
        },
    ))
}

/// The host part of the edge URL: a wildcard bind address is reached as loopback.
fn edge_url_host(edge: std::net::SocketAddr) -> String {
    match edge.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => format!("127.0.0.1:{}", edge.port()),
        ip if ip.is_unspecified() => format!("[::1]:{}", edge.port()),
        _ => edge.to_string(),
    }
}

/// Starts the gateway described by `config`.
pub async fn start(config: Config, options: StartOptions) -> anyhow::Result<Running> {
    let store = open_store(&config.storage).await?;
    let metrics = Arc::new(Metrics::new());
    let sinks = Sinks::with_metrics(&metrics);
    let clock: Arc<dyn Clock> = options.clock.unwrap_or_else(|| Arc::new(SystemClock));
    let services = Arc::new(
        gateway::Services::new(&config, store.clone(), metrics, clock.clone(), sinks)
            .context("deploying the configuration")?,
    );
    services
        .refresh_usage()
        .await
        .context("reading the stored API keys and usage plans")?;
    services
        .restore_quotas()
        .await
        .context("reading the recorded API key usage")?;

    let mut dev_certificate = None;
    let acceptor = match (&config.tls, options.dev_tls) {
        (Some(files), _) => Some(
            tls::from_files(&files.cert_file, &files.key_file)
                .context("loading the TLS certificate")?,
        ),
        (None, true) => {
            let dir = config.dir().join(".portcullis");
            // The hosts of the pools' issuer bases (e.g. cognito-idp.us-east-1.amazonaws.com),
            // for verifiers that accept only Cognito's issuer form (docs/userpools.md).
            let hosts: Vec<String> = config
                .user_pools
                .iter()
                .filter_map(|p| p.issuer_base.as_deref())
                .filter_map(|base| http::Uri::try_from(base).ok())
                .filter_map(|uri| uri.host().map(str::to_string))
                .collect();
            let dev = tls::dev_certificate(&dir, &hosts)
                .context("preparing the development certificate")?;
            dev_certificate = Some((dev.cert_file.clone(), dev.fingerprint.clone()));
            Some(dev.acceptor)
        }
        (None, false) => None,
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };

    let listeners =
        Listeners::bind(config.listen, config.admin_listen, config.site.as_ref()).await?;
    let edge = listeners.edge_addr()?;
    let admin = listeners.admin_addr()?;
    let site = listeners.site_addr()?;
    // The user pools' default issuer base: the edge endpoint as clients reach it.
    services
        .user_pools()
        .set_edge_url(format!("{scheme}://{}", edge_url_host(edge)));
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let settings = config.server.clone();
    let task = tokio::spawn(server::serve(
        services.clone(),
        listeners,
        acceptor,
        settings,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let (stop_purge, purge_stopped) = oneshot::channel::<()>();
    let purge = spawn_session_purge(&store, clock, purge_stopped);
    let (stop_usage, usage_stopped) = oneshot::channel::<()>();
    let usage = tokio::spawn(
        services
            .clone()
            .write_usage_every(WRITE_USAGE_EVERY, async move {
                let _ = usage_stopped.await;
            }),
    );
    tracing::info!(storage = %store.health.describe(), "serving {} API(s)", config.apis.len());
    if let (Some(site), Some(files)) = (site, &config.site) {
        tracing::info!("site {}: {scheme}://{site}/", files.dir.display());
    }
    for api in &config.apis {
        for stage in &api.stages {
            tracing::info!(
                "API {} stage {}: {scheme}://{edge}/restapis/{}/{}/_user_request_/",
                api.id,
                stage.name,
                api.id,
                stage.name
            );
        }
    }
    Ok(Running {
        edge,
        admin,
        site,
        scheme,
        dev_certificate,
        stop: Some(stop_tx),
        task,
        services,
        stop_purge: Some(stop_purge),
        purge: Some(purge),
        stop_usage: Some(stop_usage),
        usage: Some(usage),
    })
}
