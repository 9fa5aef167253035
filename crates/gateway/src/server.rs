//! Listeners: the edge endpoint (HTTP/1.1 and HTTP/2, plain or TLS), the admin endpoint and the
//! static site (`site.rs`, with the edge's TLS).
//!
//! Connection hygiene lives here, not in the pipeline: a client must send its request head within
//! `header_read_timeout`; a connection with no request in flight for `idle_timeout` is closed;
//! TLS handshakes get the same deadline as a request head; past `max_concurrent_requests` an
//! edge request is shed with a 429 (`admission.rs`). On shutdown
//! the listeners stop accepting, every connection is asked to finish its in-flight requests, and
//! whatever is still open after `shutdown_grace` is dropped.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use config::{ServerSettings, SiteConfig};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;

use crate::admin;
use crate::admission::{Admission, shed_response};
use crate::aws;
use crate::body::Body;
use crate::pipeline::ConnInfo;
use crate::services::Services;
use crate::site::Site;
use crate::workers;

/// Bound listeners, before serving. Binding first lets the caller learn the real addresses
/// (port 0 resolved) and print them only once connections are being accepted.
pub struct Listeners {
    pub edge: TcpListener,
    pub admin: TcpListener,
    /// The static site's listener and what it serves (`site:`), when configured.
    pub site: Option<(TcpListener, Arc<Site>)>,
}

async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

impl Listeners {
    pub async fn bind(
        edge: SocketAddr,
        admin: SocketAddr,
        site: Option<&SiteConfig>,
    ) -> io::Result<Listeners> {
        let edge = bind(edge).await?;
        let admin = bind(admin).await?;
        let site = match site {
            Some(site) => Some((
                bind(site.listen).await?,
                Arc::new(Site::new(site.dir.clone())),
            )),
            None => None,
        };
        Ok(Listeners { edge, admin, site })
    }

    /// The site listener's address, when there is one.
    pub fn site_addr(&self) -> io::Result<Option<SocketAddr>> {
        self.site
            .as_ref()
            .map(|(listener, _)| listener.local_addr())
            .transpose()
    }

    pub fn edge_addr(&self) -> io::Result<SocketAddr> {
        self.edge.local_addr()
    }

    pub fn admin_addr(&self) -> io::Result<SocketAddr> {
        self.admin.local_addr()
    }
}

/// Serves both listeners until `shutdown` resolves, then drains. Returns the number of
/// connections that were still open when the grace period ended.
///
/// Edge connections are served on the worker threads (`workers.rs`: `server.worker_threads`,
/// else one per CPU); the admin listener's, rare and light, on the caller's runtime.
pub async fn serve(
    svc: Arc<Services>,
    listeners: Listeners,
    tls: Option<TlsAcceptor>,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
) -> usize {
    let (stop_tx, stop_rx) = watch::channel(false);
    let tracker = TaskTracker::new();
    let settings = Arc::new(settings);
    let secure = tls.is_some();
    // The site is served with the edge's TLS: a page loaded over HTTPS may call the edge, and
    // its browser then speaks HTTP/2 to both.
    let site = listeners.site.map(|(listener, site)| {
        let serve = connection_server(
            tls.clone(),
            settings.clone(),
            stop_rx.clone(),
            Handler::Site(site),
        );
        tokio::spawn(accept_loop(
            listener,
            secure,
            stop_rx.clone(),
            Spawn::Here(serve, tracker.clone()),
        ))
    });
    let edge_serve = connection_server(
        tls,
        settings.clone(),
        stop_rx.clone(),
        Handler::Edge(
            svc.clone(),
            Admission::new(settings.max_concurrent_requests),
        ),
    );
    let count = settings.worker_threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let (edge_spawn, threads) = match workers::start(count, edge_serve.clone(), tracker.clone()) {
        Ok((dispatcher, threads)) => (Spawn::Workers(dispatcher), Some(threads)),
        Err(e) => {
            // No threads to be had: serve on this runtime rather than not at all.
            tracing::warn!(
                "cannot start the edge worker threads ({e}); serving on the main runtime"
            );
            (Spawn::Here(edge_serve, tracker.clone()), None)
        }
    };
    let edge = tokio::spawn(accept_loop(
        listeners.edge,
        secure,
        stop_rx.clone(),
        edge_spawn,
    ));
    let admin_serve = connection_server(
        None,
        settings.clone(),
        stop_rx.clone(),
        Handler::Admin(svc.clone()),
    );
    let admin = tokio::spawn(accept_loop(
        listeners.admin,
        false,
        stop_rx.clone(),
        Spawn::Here(admin_serve, tracker.clone()),
    ));

    shutdown.await;
    tracing::info!("shutting down: no new connections; finishing in-flight requests");
    let _ = stop_tx.send(true);
    let _ = edge.await;
    let _ = admin.await;
    if let Some(site) = site {
        let _ = site.await;
    }
    tracker.close();
    let open = if tokio::time::timeout(settings.shutdown_grace, tracker.wait())
        .await
        .is_ok()
    {
        0
    } else {
        let open = tracker.len();
        tracing::warn!(
            open,
            "shutdown grace period ({:?}) ended; closing remaining connections",
            settings.shutdown_grace
        );
        open
    };
    if let Some(threads) = threads {
        threads.stop().await;
    }
    open
}

/// What a listener serves.
#[derive(Clone)]
enum Handler {
    /// The edge endpoint, behind its admission limit.
    Edge(Arc<Services>, Arc<Admission>),
    Admin(Arc<Services>),
    /// The static site (`site.rs`).
    Site(Arc<Site>),
}

impl Handler {
    async fn handle(self, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
        match self {
            Handler::Edge(svc, admission) => {
                let Some(permit) = admission.try_admit() else {
                    svc.metrics.shed();
                    return shed_response();
                };
                let response = aws::handle(svc, conn, req).await;
                drop(permit);
                response
            }
            Handler::Admin(svc) => admin::handle(&svc, conn, req).await,
            Handler::Site(site) => site.handle(req).await,
        }
    }
}

/// How an accepted connection is served: on this runtime, or handed to a worker thread.
enum Spawn {
    Here(workers::Serve, TaskTracker),
    Workers(workers::Dispatcher),
}

/// Everything that serves one connection of a listener, as one function of the stream.
fn connection_server(
    tls: Option<TlsAcceptor>,
    settings: Arc<ServerSettings>,
    stop: watch::Receiver<bool>,
    handler: Handler,
) -> workers::Serve {
    let builder = Arc::new(connection_builder(&settings));
    Arc::new(move |stream, conn| {
        Box::pin(serve_connection(
            stream,
            conn,
            tls.clone(),
            builder.clone(),
            settings.clone(),
            stop.clone(),
            handler.clone(),
        ))
    })
}

/// Accepts connections until `stop`; `secure`: the listener's connections are TLS.
async fn accept_loop(
    listener: TcpListener,
    secure: bool,
    mut stop: watch::Receiver<bool>,
    spawn: Spawn,
) {
    let local = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("listener has no address: {e}");
            return;
        }
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let conn = ConnInfo::new(remote, local, secure);
                    match &spawn {
                        Spawn::Here(serve, tracker) => {
                            tracker.spawn(serve(stream, conn));
                        }
                        Spawn::Workers(dispatcher) => dispatcher.dispatch(stream, conn),
                    }
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed on {local}: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => return,
        }
    }
}

fn connection_builder(settings: &ServerSettings) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        .keep_alive(true)
        // Request heads larger than this are refused by hyper with 431 before the pipeline's
        // own (stricter, API Gateway-sized) check sees them.
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(64 * 1024)
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    builder
}

async fn serve_connection(
    stream: TcpStream,
    conn: ConnInfo,
    tls: Option<TlsAcceptor>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    settings: Arc<ServerSettings>,
    stop: watch::Receiver<bool>,
    handler: Handler,
) {
    let activity = Arc::new(Activity::new());
    match tls {
        None => drive(stream, conn, builder, settings, stop, handler, activity).await,
        Some(acceptor) => {
            let handshake =
                tokio::time::timeout(settings.header_read_timeout, acceptor.accept(stream)).await;
            match handshake {
                Ok(Ok(tls_stream)) => {
                    drive(tls_stream, conn, builder, settings, stop, handler, activity).await;
                }
                Ok(Err(e)) => tracing::debug!(remote = %conn.remote, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(remote = %conn.remote, "TLS handshake timed out"),
            }
        }
    }
}

async fn drive<IO>(
    io: IO,
    conn: ConnInfo,
    builder: Arc<auto::Builder<TokioExecutor>>,
    settings: Arc<ServerSettings>,
    mut stop: watch::Receiver<bool>,
    handler: Handler,
    activity: Arc<Activity>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service_activity = activity.clone();
    let remote = conn.remote;
    let service = service_fn(move |req: Request<Incoming>| {
        let guard = InFlight::new(service_activity.clone());
        // Boxed: the request future is large (every phase's state), and hyper would otherwise
        // move it by value, several times per request.
        let fut: Pin<Box<dyn Future<Output = Response<Body>> + Send>> =
            Box::pin(handler.clone().handle(conn.clone(), req));
        async move {
            let response = fut.await;
            drop(guard);
            Ok::<_, Infallible>(response)
        }
    });
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let mut draining = *stop.borrow();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%remote, "connection ended: {e}");
                }
                return;
            }
            () = idle_expired(&activity, settings.idle_timeout), if !draining => {
                tracing::debug!(%remote, "closing idle connection");
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
            _ = stop.changed(), if !draining => {
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}

/// When a connection last finished a request, and how many requests are in flight on it.
///
/// Request boundaries are enough for the idle timeout: a slow request head is the header-read
/// timeout's business, and closing an idle connection is a graceful shutdown, which never cuts a
/// response body still streaming.
struct Activity {
    /// Tokio's clock, not the system's, so that paused-clock tests drive the idle timeout.
    epoch: tokio::time::Instant,
    last_millis: AtomicU64,
    in_flight: AtomicUsize,
    /// Woken when the last request in flight finishes: the idle wait sleeps on it meanwhile.
    quiet: Notify,
    /// How many times the idle wait went round its loop, for the test that it does not spin.
    #[cfg(test)]
    rounds: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            epoch: tokio::time::Instant::now(),
            last_millis: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            quiet: Notify::new(),
            #[cfg(test)]
            rounds: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let millis = self.epoch.elapsed().as_millis() as u64;
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    fn last(&self) -> tokio::time::Instant {
        self.epoch + Duration::from_millis(self.last_millis.load(Ordering::Relaxed))
    }
}

/// Resolves once the connection has had no request in flight for `idle`.
///
/// While a request is in flight the wait sleeps until it finishes rather than on a deadline: a
/// request running past `idle` would otherwise leave the deadline in the past, and the loop
/// would spin on it for as long as the request runs.
async fn idle_expired(activity: &Activity, idle: Duration) {
    loop {
        #[cfg(test)]
        activity.rounds.fetch_add(1, Ordering::Relaxed);
        // Registered before the check, so a request finishing in between still wakes it.
        let quiet = activity.quiet.notified();
        tokio::pin!(quiet);
        quiet.as_mut().enable();
        if activity.in_flight.load(Ordering::Acquire) > 0 {
            quiet.await;
            continue;
        }
        let last = activity.last();
        tokio::time::sleep_until(last + idle).await;
        if activity.in_flight.load(Ordering::Acquire) == 0 && activity.last() <= last {
            return;
        }
    }
}

struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.quiet.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(5);

    /// The review's finding: a request in flight past `idle_timeout` made the idle wait re-poll a
    /// deadline in the past, a CPU spin for as long as the request ran. Counted, not timed: one
    /// poll of the wait, long after the deadline, may go round its loop once.
    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_past_the_idle_timeout_does_not_spin_the_idle_wait() {
        let activity = Arc::new(Activity::new());
        let request = InFlight::new(activity.clone());
        let wait = idle_expired(&activity, IDLE);
        tokio::pin!(wait);
        tokio::time::advance(IDLE * 3).await;
        assert!(futures_poll_once(wait.as_mut()).await.is_pending());
        assert_eq!(activity.rounds.load(Ordering::Relaxed), 1);
        tokio::time::advance(IDLE * 3).await;
        assert!(futures_poll_once(wait.as_mut()).await.is_pending());
        assert_eq!(activity.rounds.load(Ordering::Relaxed), 1);

        // The request ends: the connection is idle from then, and closes `idle` later.
        drop(request);
        let ended = tokio::time::Instant::now();
        wait.await;
        assert!(tokio::time::Instant::now() >= ended + IDLE);
        assert_eq!(activity.rounds.load(Ordering::Relaxed), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_request_before_the_deadline_restarts_the_idle_wait() {
        let activity = Arc::new(Activity::new());
        let wait = idle_expired(&activity, IDLE);
        tokio::pin!(wait);
        assert!(futures_poll_once(wait.as_mut()).await.is_pending());
        tokio::time::advance(IDLE / 2).await;
        drop(InFlight::new(activity.clone()));
        let touched = tokio::time::Instant::now();
        wait.await;
        assert!(tokio::time::Instant::now() >= touched + IDLE);
    }

    async fn futures_poll_once<F: Future + Unpin>(mut f: F) -> std::task::Poll<F::Output> {
        std::future::poll_fn(|cx| std::task::Poll::Ready(Pin::new(&mut f).poll(cx))).await
    }
}
