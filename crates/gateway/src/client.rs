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
//! is detected when the request cannot be sent on it, and the request is sent on a new one.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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
use tokio_rustls::TlsConnector;

use crate::body::{Body, BoxError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const MAX_IDLE_PER_HOST: usize = 1024;

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

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    https: bool,
    authority: Authority,
}

struct Idle {
    sender: SendRequest<Body>,
    since: Instant,
}

/// Keep-alive connections by (scheme, authority).
#[derive(Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    tls: TlsConnector,
    idle: Mutex<HashMap<Key, Vec<Idle>>>,
}

impl Pool {
    fn new(tls: TlsConnector) -> Pool {
        Pool {
            inner: Arc::new(PoolInner {
                tls,
                idle: Mutex::new(HashMap::new()),
            }),
        }
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
        let mut idle = self.inner.idle.lock().ok()?;
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
        if let Ok(mut idle) = r.pool.idle.lock() {
            let list = idle.entry(r.key).or_default();
            if list.len() < MAX_IDLE_PER_HOST {
                list.push(Idle {
                    sender: r.sender,
                    since: Instant::now(),
                });
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
