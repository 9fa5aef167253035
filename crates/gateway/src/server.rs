//! Listeners: the edge endpoint (HTTP/1.1 and HTTP/2, plain or TLS) and the admin endpoint.
//!
//! Connection hygiene lives here, not in the pipeline: a client must send its request head within
//! `header_read_timeout`; a connection with no request in flight for `idle_timeout` is closed; TLS handshakes get the same deadline as a request head. On shutdown
//! the listeners stop accepting, every connection is asked to finish its in-flight requests, and
//! whatever is still open after `shutdown_grace` is dropped.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use config::ServerSettings;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;

use crate::admin;
use crate::aws;
use crate::body::Body;
use crate::pipeline::ConnInfo;
use crate::services::Services;

/// Bound listeners, before serving. Binding first lets the caller learn the real addresses
/// (port 0 resolved) and print them only once connections are being accepted.
pub struct Listeners {
    pub edge: TcpListener,
    pub admin: TcpListener,
}

impl Listeners {
    pub async fn bind(edge: SocketAddr, admin: SocketAddr) -> io::Result<Listeners> {
        let edge = TcpListener::bind(edge)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {edge}: {e}")))?;
        let admin = TcpListener::bind(admin)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {admin}: {e}")))?;
        Ok(Listeners { edge, admin })
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

    let edge = tokio::spawn(accept_loop(
        listeners.edge,
        tls,
        settings.clone(),
        stop_rx.clone(),
        tracker.clone(),
        Handler::Edge(svc.clone()),
    ));
    let admin = tokio::spawn(accept_loop(
        listeners.admin,
        None,
        settings.clone(),
        stop_rx.clone(),
        tracker.clone(),
        Handler::Admin(svc.clone()),
    ));

    shutdown.await;
    tracing::info!("shutting down: no new connections; finishing in-flight requests");
    let _ = stop_tx.send(true);
    let _ = edge.await;
    let _ = admin.await;
    tracker.close();
    if tokio::time::timeout(settings.shutdown_grace, tracker.wait())
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
    }
}

/// What a listener serves.
#[derive(Clone)]
enum Handler {
    Edge(Arc<Services>),
    Admin(Arc<Services>),
}

impl Handler {
    async fn handle(self, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
        match self {
            Handler::Edge(svc) => aws::handle(svc, conn, req).await,
            Handler::Admin(svc) => admin::handle(&svc, conn, req).await,
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    settings: Arc<ServerSettings>,
    mut stop: watch::Receiver<bool>,
    tracker: TaskTracker,
    handler: Handler,
) {
    let local = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("listener has no address: {e}");
            return;
        }
    };
    let builder = Arc::new(connection_builder(&settings));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let conn = ConnInfo::new(remote, local, tls.is_some());
                    tracker.spawn(serve_connection(
                        stream,
                        conn,
                        tls.clone(),
                        builder.clone(),
                        settings.clone(),
                        stop.clone(),
                        handler.clone(),
                    ));
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
    epoch: Instant,
    last_millis: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            epoch: Instant::now(),
            last_millis: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let millis = self.epoch.elapsed().as_millis() as u64;
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_millis.load(Ordering::Relaxed))
    }
}

/// Resolves once the connection has had no request in flight for `idle`.
async fn idle_expired(activity: &Activity, idle: Duration) {
    loop {
        let last = activity.last();
        tokio::time::sleep_until((last + idle).into()).await;
        if activity.in_flight.load(Ordering::Relaxed) == 0 && activity.last() <= last {
            return;
        }
    }
}

struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}
