//! The request pipeline. Every API invocation goes through the same named phases, in the order
//! [`run`] lists them. Each phase is a [`Phase`]: one contract,
//! `run(&Services, &mut Exchange) -> Result<Flow, GatewayError>`, where the [`Exchange`] holds the
//! request (context, head, body) and the deployment it is served by. A phase either lets the
//! request go on (`Flow::Continue`), answers it itself (`Flow::Respond`, e.g. a cache hit or the
//! integration), or fails with a [`GatewayError`], which skips to respond.
//!
//! After a phase answers, every phase that had passed gets [`Phase::on_response`] with the
//! answer, in pipeline order (cache store and usage accounting go there). Then **respond** adds
//! the headers every API Gateway answer carries, or renders the gateway response for an error
//! ([`respond`], [`crate::responses`]); **log** — access log, metrics, execution log — runs
//! once for every request, when its body has been sent, or when the client goes away at any
//! point ([`log`], [`guard`]).
//!
//! Adding a phase means one module implementing [`Phase`] and one line in [`run`].

mod api_key;
mod authenticate;
pub(crate) mod authorize;
mod bearer;
pub mod context;
mod exchange;
mod guard;
pub mod identity;
pub mod integrate;
mod jwt_auth;
mod lambda_auth;
mod limits;
mod log;
pub(crate) mod params;
#[cfg(any(test, feature = "test-util"))]
pub mod probe;
mod respond;
mod response_cache;
pub(crate) mod route;
mod throttle;
mod user_pool_auth;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use http::request::Parts;
use http::{Request, Response};
use hyper::body::Incoming;
use telemetry::TraceContext;
use tracing::Instrument;

use crate::body::Body;
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;
use context::RequestCtx;
pub use exchange::{Exchange, Flow};
use integrate::RequestBody;

/// What the pipeline knows about the connection a request came on.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub secure: bool,
    /// The client's address and the local port as header values (`X-Forwarded-For`,
    /// `X-Forwarded-Port`), made once per connection.
    pub remote_ip_header: http::HeaderValue,
    pub local_port_header: http::HeaderValue,
    /// The client's address as an IAM condition value (`aws:SourceIp`).
    pub remote_ip_value: iam::ContextValue,
}

impl ConnInfo {
    pub fn new(remote: SocketAddr, local: SocketAddr, secure: bool) -> ConnInfo {
        let remote_ip_header = http::HeaderValue::try_from(remote.ip().to_string())
            .unwrap_or_else(|_| http::HeaderValue::from_static("unknown"));
        ConnInfo {
            remote,
            local,
            secure,
            remote_ip_header,
            local_port_header: http::HeaderValue::from(local.port()),
            remote_ip_value: remote.ip().into(),
        }
    }
}

/// Handles one request on the edge endpoint. Never fails: every error becomes a response.
pub async fn handle(svc: Arc<Services>, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = RequestBody::streaming(body, svc.body_deadline());
    handle_parts(svc, conn, parts, body).await
}

/// [`handle`] for a request already split into parts; the entry point tests and other services
/// on the edge endpoint use.
pub async fn handle_parts(
    svc: Arc<Services>,
    conn: ConnInfo,
    parts: Parts,
    body: RequestBody,
) -> Response<Body> {
    let now = svc.clock.now();
    let trace = TraceContext::from_headers(
        parts.headers.get("x-amzn-trace-id").map(|v| v.as_bytes()),
        parts.headers.get("traceparent").map(|v| v.as_bytes()),
    )
    .unwrap_or_else(|| {
        TraceContext::generate(now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    });
    // Boxed once here and passed by reference: the context is about a kilobyte, and the log phase
    // keeps it until the response body has been sent.
    let ctx = Box::new(RequestCtx::new(&parts, &conn, trace, now));
    // The deployment is taken once: a reload while this request runs does not change its rules.
    let mut exchange = Exchange::new(svc.deployment(), ctx, parts, body);

    // One span per request and one per phase, at debug level: with the default `info` filter they
    // are never built (their fields are not even evaluated); `RUST_LOG=portcullis=debug,gateway=debug`
    // shows every phase with its timing.
    let span = tracing::debug_span!(
        "request",
        request_id = %exchange.ctx.request_id,
        trace_id = %exchange.ctx.trace.xray_root(),
        method = %exchange.ctx.http_method,
        path = exchange.ctx.path(),
    );
    // Should the client go away before the answer, this future is dropped mid-phase: the guard
    // then logs the request as abandoned. Once the answer exists, the response body's wrapper
    // takes over (see `respond`).
    let mut guard = guard::Unanswered::new(&svc, &mut exchange);
    let result = in_span!(span.clone(), run(&svc, guard.exchange()));
    guard.answered();
    let _in_request = span.enter();
    respond::respond(svc, exchange.ctx, result)
}

/// Awaits an async phase inside `span`. `Instrumented` would move the phase's future (kilobytes:
/// it holds the backend call) into itself, a copy every request pays even when the span is off;
/// so with the span disabled, the default, the future is awaited where it is built.
macro_rules! in_span {
    ($span:expr, $future:expr) => {{
        let span = $span;
        if span.is_disabled() {
            $future.await
        } else {
            $future.instrument(span).await
        }
    }};
}
use in_span;

/// One step of the request path. Phases are types rather than values: the pipeline calls each
/// statically (no boxing of futures, no dynamic dispatch on the hot path).
pub(crate) trait Phase {
    /// The phase's name in spans, logs (`phase` of an abandoned request) and docs.
    const NAME: &'static str;

    async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError>;

    /// Called with the answer a later phase produced, when this phase had passed. The default
    /// does nothing. Errors are not seen here: they become gateway responses in respond.
    async fn on_response(
        _svc: &Services,
        _exchange: &mut Exchange,
        _response: &mut Response<Body>,
    ) {
    }
}

/// Runs `$phase`s in order until one answers or fails; then, on an answer, the `on_response`
/// of every phase that passed, in the same order.
macro_rules! phases {
    ($svc:expr, $exchange:expr; $($phase:ty),+ $(,)?) => {{
        let svc: &Services = $svc;
        let exchange: &mut Exchange = $exchange;
        let mut passed = 0usize;
        let answer: Result<Response<Body>, GatewayError> = 'run: {
            $(
                exchange.ctx.phase = <$phase as Phase>::NAME;
                match in_span!(
                    tracing::debug_span!(<$phase as Phase>::NAME),
                    <$phase as Phase>::run(svc, exchange)
                ) {
                    Ok(Flow::Continue) => passed += 1,
                    Ok(Flow::Respond(response)) => break 'run Ok(response),
                    Err(error) => break 'run Err(error),
                }
            )+
            Err(GatewayError::new(ErrorKind::Internal).detail("no phase answered the request"))
        };
        match answer {
            Ok(mut response) => {
                let mut index = 0usize;
                $(
                    if index < passed {
                        <$phase as Phase>::on_response(svc, exchange, &mut response).await;
                    }
                    index += 1;
                )+
                let _ = index;
                Ok(response)
            }
            Err(error) => Err(error),
        }
    }};
}

/// The phases, in order. The order is the contract between them:
/// - **limits** first: nothing is worth doing for a request over API Gateway's sizes;
/// - **route** next: every later phase needs the method, and its canonical path, to act on (an
///   unknown API, stage or method is refused here, unauthenticated, as AWS does);
/// - **authenticate** before **authorize**: authorization needs the verified caller;
/// - **api_key** (the key and its usage plan), then **throttle** (buckets and the quota) after
///   authorization: a caller refused there must not spend a key's quota, and the key names the
///   plan whose limits apply;
/// - **cache** after every check, so a cached answer only reaches a request that passed them
///   all, and before the integration it saves (request validation, when it comes, goes
///   before the cache);
/// - **integrate** last: it always answers.
async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Response<Body>, GatewayError> {
    phases!(svc, exchange;
        limits::Limits,
        route::Routing,
        authenticate::Authenticate,
        authorize::Authorize,
        api_key::ApiKeyCheck,
        throttle::Throttle,
        response_cache::ResponseCache,
        integrate::Integrate,
    )
}

#[cfg(test)]
mod size_tests {
    use std::sync::Arc;

    use crate::services::Services;

    fn fut_size<F: Fn(Arc<Services>) -> Fut, Fut>(_: &F) -> usize {
        std::mem::size_of::<Fut>()
    }

    /// The request future is boxed once per request and its context once more; both are copied
    /// when created. A guard against them silently growing (they are 4.5 KB and 1 KB; the future was
    /// 7.9 KB while it held the backend connect path inline).
    #[test]
    fn request_state_stays_small() {
        let conn = super::ConnInfo::new(
            "127.0.0.1:1".parse().expect("addr"),
            "127.0.0.1:2".parse().expect("addr"),
            false,
        );
        let f = |svc: Arc<Services>| {
            let parts = http::Request::new(()).into_parts().0;
            super::handle_parts(
                svc,
                conn.clone(),
                parts,
                super::RequestBody::Buffered(Default::default()),
            )
        };
        assert!(fut_size(&f) <= 6 * 1024, "{} bytes", fut_size(&f));
        assert!(std::mem::size_of::<super::context::RequestCtx>() <= 1536);
    }
}
