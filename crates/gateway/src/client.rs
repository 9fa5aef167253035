//! The HTTP client integrations use: HTTP/1.1 over pooled keep-alive connections, plain or TLS
//! (Mozilla roots; a second pool accepts any certificate for `insecureSkipVerification`).
//!
//! Hand-written around `hyper::client::conn::http1` rather than hyper-util's pooled client: that
//! client costs about 11,000 instructions per request before a byte moves (a SipHash-keyed pool,
//! checkout futures, connector services), more than the rest of the proxy path. Integrations
//! speak HTTP/1.1 to their backends, as API Gateway does, so the pool needs only one connection
//! per request and no multiplexing.
//!
//! A connection goes back to its pool when the response body has been read to its end; a body
//! dropped early takes its connection with it. A pooled connection the backend closed meanwhile
//! is detected when the request cannot be sent on it, and the request is sent on a new one —
//! only a request hyper hands back unsent, never one that may have reached the backend: a `POST`
//! is not idempotent, and its failure is the caller's 502, not a silent second delivery.
//!
//! The pool is sharded by edge worker thread (`workers.rs`): a connection is created, used and
//! parked by one worker only, so its I/O stays on the thread that drives it and the shard's lock
//! is never contended. Threads that are not edge workers share shard 0.
//!
//! Each shard is bounded: at most [`MAX_IDLE_PER_HOST`] idle connections per backend and
//! [`MAX_IDLE_HOSTS`] backends with idle connections (stage-variable URIs make the set of hosts
//! unbounded), and a reaper closes connections idle for [`IDLE_TIMEOUT`], so a backend that
//! stops getting traffic does not keep sockets open forever.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, Uri};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

use crate::body::{Body, BoxError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per backend: enough for the edge's concurrency against one backend.
const MAX_IDLE_PER_HOST: usize = 1024;
/// Backends with idle connections at once; past it, a released connection is closed.
const MAX_IDLE_HOSTS: usize = 256;
/// How often the reaper looks for connections idle past [`IDLE_TIMEOUT`].
const REAP_EVERY: Duration = Duration::from_secs(30);

/// Why a backend call failed before a response head arrived.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid backend URI: {0}")]
    Uri(String),
    #[error("cannot connect to {authority}: {source}")]
    Connect {
        authority: String,
        source: std::io::Error,
    },
    #[error("TLS handshake with {authority} failed: {source}")]
    Tls {
        authority: String,
        source: std::io::Error,
    },
    #[error("HTTP error: {0}")]
    Http(#[from] hyper::Error),
}

#[derive(Clone)]
pub struct Upstream {
    pub verified: Pool,
    pub insecure: Pool,
}

impl Upstream {
    pub fn new() -> Result<Upstream, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let mut verified = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut insecure = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth();
        for config in [&mut verified, &mut insecure] {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        Ok(Upstream {
            verified: Pool::new(TlsConnector::from(Arc::new(verified))),
            insecure: Pool::new(TlsConnector::from(Arc::new(insecure))),
        })
    }
}

#[derive(Clone, PartialEq, Eq)]
struct Key {
    https: bool,
    authority: Authority,
}

/// Hashes as `Authority` compares: ASCII case-insensitively. `Authority`'s own `Hash` feeds the
/// hasher one byte at a time (~500 instructions for a short host under SipHash, twice per proxied
/// request); this lowercases into a stack buffer and hashes 64 bytes at a time. Chunk boundaries
/// depend only on the length, which equal authorities share, so equal keys hash alike.
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.https.hash(state);
        let bytes = self.authority.as_str().as_bytes();
        state.write_usize(bytes.len());
        let mut buf = [0u8; 64];
        for chunk in bytes.chunks(buf.len()) {
            let lower = buf.get_mut(..chunk.len()).unwrap_or_default();
            for (out, b) in lower.iter_mut().zip(chunk) {
                *out = b.to_ascii_lowercase();
            }
            state.write(lower);
        }
    }
}

struct Idle<S = SendRequest<Body>> {
    sender: S,
    since: Instant,
}

/// Keep-alive connections by (scheme, authority).
#[derive(Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

/// Shards of the pool: edge workers beyond this many share (`index % SHARDS`).
const SHARDS: usize = 16;

std::thread_local! {
    static SHARD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Makes this thread use shard `index` (an edge worker's, from 1).
pub(crate) fn set_worker_shard(index: usize) {
    SHARD.with(|s| s.set(index % SHARDS));
}

type Shard = Mutex<HashMap<Key, Vec<Idle>>>;

struct PoolInner {
    tls: TlsConnector,
    idle: [Shard; SHARDS],
    /// The reaper is started by the first connection parked (inside the runtime, which
    /// `Pool::new` may not be).
    reaping: AtomicBool,
}

impl PoolInner {
    /// This thread's shard.
    fn shard(&self) -> &Shard {
        let i = SHARD.with(std::cell::Cell::get);
        // `set_worker_shard` keeps the index below SHARDS; 0 for any other thread.
        self.idle.get(i).unwrap_or(&self.idle[0])
    }
}

impl Pool {
    fn new(tls: TlsConnector) -> Pool {
        Pool {
            inner: Arc::new(PoolInner {
                tls,
                idle: std::array::from_fn(|_| Mutex::new(HashMap::new())),
                reaping: AtomicBool::new(false),
            }),
        }
    }

    /// Idle connections now: (backends, connections).
    #[cfg(test)]
    fn idle_counts(&self) -> (usize, usize) {
        self.inner.shard().lock().map_or((0, 0), |idle| {
            (idle.len(), idle.values().map(Vec::len).sum())
        })
    }

    /// Sends a request with an absolute URI and returns the response head; its body streams
    /// from the backend connection.
    pub async fn request(&self, mut req: Request<Body>) -> Result<Response<Body>, ClientError> {
        let (key, origin) = split_uri(req.uri())?;
        *req.uri_mut() = origin;
        if !req.headers().contains_key(http::header::HOST) {
            let host = HeaderValue::from_str(key.authority.as_str())
                .map_err(|e| ClientError::Uri(e.to_string()))?;
            req.headers_mut().insert(http::header::HOST, host);
        }
        // A pooled connection may have been closed by the backend since; its request comes back
        // unsent and goes out on a fresh connection (at most once: a fresh one cannot be stale).
        let mut req = req;
        while let Some(mut sender) = self.checkout(&key) {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(response) => return Ok(self.wrap(response, key, sender)),
                Err(mut e) => match e.take_message() {
                    Some(unsent) => req = unsent,
                    None => return Err(ClientError::Http(e.into_error())),
                },
            }
        }
        // Boxed: connecting (TCP, TLS handshake) is a 3.6 KB future that most requests, served on
        // pooled connections, never run; inline it would grow and be copied with every request.
        let mut sender = Box::pin(self.connect(&key)).await?;
        sender.ready().await?;
        let response = sender.send_request(req).await?;
        Ok(self.wrap(response, key, sender))
    }

    fn checkout(&self, key: &Key) -> Option<SendRequest<Body>> {
        let mut idle = self.inner.shard().lock().ok()?;
        let list = idle.get_mut(key)?;
        while let Some(entry) = list.pop() {
            if !entry.sender.is_closed() && entry.since.elapsed() < IDLE_TIMEOUT {
                return Some(entry.sender);
            }
        }
        None
    }

    async fn connect(&self, key: &Key) -> Result<SendRequest<Body>, ClientError> {
        let authority = key.authority.as_str();
        let port = key
            .authority
            .port_u16()
            .unwrap_or(if key.https { 443 } else { 80 });
        let host = key
            .authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let connect_error = |source| ClientError::Connect {
            authority: authority.to_string(),
            source,
        };
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port)))
            .await
            .map_err(|_| {
                connect_error(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connect timed out",
                ))
            })?
            .map_err(connect_error)?;
        let _ = tcp.set_nodelay(true);
        if key.https {
            let name = ServerName::try_from(host.to_string()).map_err(|e| ClientError::Tls {
                authority: authority.to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
            })?;
            let tls =
                self.inner
                    .tls
                    .connect(name, tcp)
                    .await
                    .map_err(|source| ClientError::Tls {
                        authority: authority.to_string(),
                        source,
                    })?;
            handshake(tls).await
        } else {
            handshake(tcp).await
        }
    }

    fn wrap(
        &self,
        response: Response<Incoming>,
        key: Key,
        sender: SendRequest<Body>,
    ) -> Response<Body> {
        response.map(|incoming| {
            http_body_util::BodyExt::boxed_unsync(PooledBody {
                inner: incoming,
                release: Some(Release {
                    pool: self.inner.clone(),
                    key,
                    sender,
                }),
            })
        })
    }
}

async fn handshake<IO>(io: IO) -> Result<SendRequest<Body>, ClientError>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("backend connection ended: {e}");
        }
    });
    Ok(sender)
}

/// The pool key and the origin-form URI (`/path?query`) sent on the connection.
fn split_uri(uri: &Uri) -> Result<(Key, Uri), ClientError> {
    let https = match uri.scheme() {
        Some(s) if *s == Scheme::HTTPS => true,
        Some(s) if *s == Scheme::HTTP => false,
        _ => return Err(ClientError::Uri(format!("{uri} is not an http(s) URL"))),
    };
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| ClientError::Uri(format!("{uri} has no host")))?;
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let origin = Uri::from(path);
    Ok((Key { https, authority }, origin))
}

struct Release {
    pool: Arc<PoolInner>,
    key: Key,
    sender: SendRequest<Body>,
}

/// A response body that returns its connection to the pool once read to the end.
struct PooledBody {
    inner: Incoming,
    release: Option<Release>,
}

impl PooledBody {
    fn release(&mut self) {
        let Some(r) = self.release.take() else { return };
        if r.sender.is_closed() {
            return;
        }
        if !r.pool.reaping.swap(true, Ordering::Relaxed)
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(reaper(Arc::downgrade(&r.pool)));
        }
        if let Ok(mut idle) = r.pool.shard().lock() {
            park(&mut idle, r.key, r.sender, Instant::now());
        }
    }
}

/// Keeps a released connection, within the pool's bounds; one past them is dropped (closed).
fn park<S>(idle: &mut HashMap<Key, Vec<Idle<S>>>, key: Key, sender: S, now: Instant) {
    if idle.len() >= MAX_IDLE_HOSTS && !idle.contains_key(&key) {
        idle.retain(|_, list| !list.is_empty());
        if idle.len() >= MAX_IDLE_HOSTS {
            return;
        }
    }
    let list = idle.entry(key).or_default();
    if list.len() < MAX_IDLE_PER_HOST {
        list.push(Idle { sender, since: now });
    }
}

/// Drops the connections idle past [`IDLE_TIMEOUT`] or closed by their backend, and the
/// backends left with none.
fn sweep(idle: &mut HashMap<Key, Vec<Idle>>, now: Instant) {
    idle.retain(|_, list| {
        list.retain(|c| !c.sender.is_closed() && now.duration_since(c.since) < IDLE_TIMEOUT);
        !list.is_empty()
    });
}

/// Sweeps the pool every [`REAP_EVERY`] for as long as the pool exists.
async fn reaper(pool: Weak<PoolInner>) {
    loop {
        tokio::time::sleep(REAP_EVERY).await;
        let Some(pool) = pool.upgrade() else { return };
        for shard in &pool.idle {
            if let Ok(mut idle) = shard.lock() {
                sweep(&mut idle, Instant::now());
            }
        }
    }
}

impl http_body::Body for PooledBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                self.release();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                // The connection is broken: never reuse it.
                self.release = None;
                Poll::Ready(Some(Err(Box::new(e))))
            }
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // A body with nothing left to read (hyper may not poll it to `None`, e.g. for an empty
        // or HEAD response) leaves a reusable connection; a body abandoned midway does not.
        if http_body::Body::is_end_stream(&self.inner) {
            self.release();
        }
    }
}

/// Accepts any server certificate: what `tlsConfig.insecureSkipVerification: true` asks for, for
/// backends with self-signed certificates. Signatures are still checked, so the handshake is real.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn key(i: usize) -> Key {
        Key {
            https: false,
            authority: format!("backend-{i}:80").parse().unwrap(),
        }
    }

    #[test]
    fn the_pool_keeps_at_most_so_many_backends_and_connections_per_backend() {
        let now = Instant::now();
        let mut idle: HashMap<Key, Vec<Idle<()>>> = HashMap::new();
        for i in 0..MAX_IDLE_HOSTS + 10 {
            park(&mut idle, key(i), (), now);
        }
        assert_eq!(idle.len(), MAX_IDLE_HOSTS);
        for _ in 0..MAX_IDLE_PER_HOST + 5 {
            park(&mut idle, key(0), (), now);
        }
        assert_eq!(idle[&key(0)].len(), MAX_IDLE_PER_HOST);
        // A backend whose connections were all taken makes room for a new one.
        idle.get_mut(&key(1)).unwrap().clear();
        park(&mut idle, key(100_000), (), now);
        assert!(idle.contains_key(&key(100_000)));
        assert_eq!(idle.len(), MAX_IDLE_HOSTS);
    }

    /// What a backend saw: connections accepted and request heads read.
    #[derive(Default)]
    struct Seen {
        connections: AtomicUsize,
        requests: AtomicUsize,
    }

    /// A backend that answers `answers` requests per connection with a keep-alive 200, then
    /// closes the connection: at once when `hang_up` (as a backend's keep-alive timeout does),
    /// else after reading the next request head without answering it.
    async fn backend(answers: usize, hang_up: bool) -> (String, Arc<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let seen = Arc::new(Seen::default());
        let counts = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counts.connections.fetch_add(1, Ordering::SeqCst);
                let counts = counts.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    for answered in 0.. {
                        if hang_up && answered == answers {
                            return;
                        }
                        let mut head = Vec::new();
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => head.extend_from_slice(&buf[..n]),
                            }
                        }
                        counts.requests.fetch_add(1, Ordering::SeqCst);
                        if answered == answers {
                            return;
                        }
                        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if socket.write_all(ok).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (url, seen)
    }

    fn request(method: &str, url: &str) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(url)
            .body(crate::body::full(Bytes::from_static(b"{}")))
            .unwrap()
    }

    async fn read_to_end(response: Response<Body>) -> Bytes {
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
    }

    #[tokio::test]
    async fn a_post_the_backend_may_have_received_is_never_sent_twice() {
        // On a new connection.
        let (url, seen) = backend(0, false).await;
        let pool = Upstream::new().unwrap().verified;
        assert!(pool.request(request("POST", &url)).await.is_err());
        assert_eq!(seen.requests.load(Ordering::SeqCst), 1);
        assert_eq!(seen.connections.load(Ordering::SeqCst), 1);

        // On a pooled one, which the backend drops after reading the request.
        let (url, seen) = backend(1, false).await;
        let first = pool.request(request("GET", &url)).await.unwrap();
        assert_eq!(read_to_end(first).await, "ok");
        assert!(pool.request(request("POST", &url)).await.is_err());
        assert_eq!(seen.requests.load(Ordering::SeqCst), 2);
        assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_pooled_connection_the_backend_closed_is_replaced_and_idle_ones_are_reaped() {
        let (url, seen) = backend(1, true).await;
        let pool = Upstream::new().unwrap().verified;
        let first = pool.request(request("GET", &url)).await.unwrap();
        assert_eq!(read_to_end(first).await, "ok");
        // Bounded wait until the client has seen the backend's close (before the connection was
        // parked, or after: either way it must not be used again).
        for _ in 0..200 {
            let closed = pool
                .inner
                .shard()
                .lock()
                .unwrap()
                .values()
                .flatten()
                .all(|c| c.sender.is_closed());
            if closed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let second = pool.request(request("POST", &url)).await.unwrap();
        assert_eq!(read_to_end(second).await, "ok");
        assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
        assert_eq!(seen.requests.load(Ordering::SeqCst), 2);

        // A backend that keeps its connections: one stays parked until the reaper's sweep finds
        // it idle past IDLE_TIMEOUT.
        let (url, _) = backend(10, false).await;
        let third = pool.request(request("GET", &url)).await.unwrap();
        assert_eq!(read_to_end(third).await, "ok");
        assert_eq!(pool.idle_counts(), (1, 1));
        let mut idle = pool.inner.shard().lock().unwrap();
        sweep(&mut idle, Instant::now());
        assert_eq!(idle.len(), 1, "a fresh idle connection stays");
        sweep(&mut idle, Instant::now() + IDLE_TIMEOUT);
        assert!(idle.is_empty());
    }

    #[test]
    fn keys_equal_as_authorities_hash_alike() {
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        let long = "a".repeat(70);
        for (a, b) in [
            ("Backend.Example:8080", "backend.example:8080"),
            (
                &format!("{}.EXAMPLE", long.to_uppercase()) as &str,
                &format!("{long}.example"),
            ),
        ] {
            let (ka, kb) = (
                Key {
                    https: false,
                    authority: a.parse().unwrap(),
                },
                Key {
                    https: false,
                    authority: b.parse().unwrap(),
                },
            );
            assert!(ka == kb);
            assert_eq!(hasher.hash_one(&ka), hasher.hash_one(&kb), "{a} / {b}");
        }
        let plain = Key {
            https: false,
            authority: "x:80".parse().unwrap(),
        };
        let tls = Key {
            https: true,
            authority: "x:80".parse().unwrap(),
        };
        assert!(plain != tls);
        assert_ne!(hasher.hash_one(&plain), hasher.hash_one(&tls));
    }

    #[test]
    fn uris_split_into_key_and_origin_form() {
        let (key, origin) = split_uri(&"http://127.0.0.1:9000/a/b?c=d".parse().unwrap()).unwrap();
        assert!(!key.https);
        assert_eq!(key.authority.as_str(), "127.0.0.1:9000");
        assert_eq!(origin.to_string(), "/a/b?c=d");
        let (key, origin) = split_uri(&"https://example.com".parse().unwrap()).unwrap();
        assert!(key.https);
        assert_eq!(origin.to_string(), "/");
        assert!(split_uri(&"ftp://x/".parse().unwrap()).is_err());
        assert!(split_uri(&"/relative".parse().unwrap()).is_err());
    }
}
