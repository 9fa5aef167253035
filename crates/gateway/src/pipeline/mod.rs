//! The request pipeline. Every API invocation goes through the same named phases, in order:
//!
//! 1. **limits** — payload, URL and header sizes ([`limits`]);
//! 2. **route** — API, stage, resource, method ([`route`]);
//! 3. **authenticate** — SigV4 for `AWS_IAM` methods ([`authenticate`]);
//! 4. **authorize** — IAM policies and the API's resource policy ([`authorize`]);
//! 5. **integrate** — call the integration and build the method response ([`integrate`]);
//! 6. **respond** — add the headers every answer carries, or render the gateway response for an
//!    error ([`respond`], [`crate::responses`]);
//! 7. **log** — access log, metrics and execution log, always, once the body has been sent
//!    ([`log`]).
//!
//! Each phase takes the shared [`context::RequestCtx`] and either passes or fails with a
//! [`GatewayError`]; the first failure skips to respond. Adding a phase (authenticate, authorize,
//! meter, validate, cache) means adding one call in [`run`].

mod authenticate;
pub(crate) mod authorize;
pub mod context;
pub mod integrate;
mod limits;
mod log;
pub(crate) mod params;
#[cfg(any(test, feature = "test-util"))]
pub mod probe;
mod respond;
pub(crate) mod route;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use http::request::Parts;
use http::{Request, Response};
use hyper::body::Incoming;
use telemetry::TraceContext;
use tracing::Instrument;

use crate::body::Body;
use crate::deploy::Gateway;
use crate::error::GatewayError;
use context::RequestCtx;
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
pub async fn handle(gw: Arc<Gateway>, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = RequestBody::streaming(body, gw.body_deadline());
    handle_parts(gw, conn, parts, body).await
}

/// [`handle`] for a request already split into parts; the entry point tests and other services
/// on the edge endpoint use.
pub async fn handle_parts(
    gw: Arc<Gateway>,
    conn: ConnInfo,
    parts: Parts,
    body: RequestBody,
) -> Response<Body> {
    let now = gw.clock.now();
    let trace = TraceContext::from_headers(
        parts.headers.get("x-amzn-trace-id").map(|v| v.as_bytes()),
        parts.headers.get("traceparent").map(|v| v.as_bytes()),
    )
    .unwrap_or_else(|| {
        TraceContext::generate(now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    });
    // Boxed once here and passed by reference: the context is about a kilobyte, and the log phase
    // keeps it until the response body has been sent.
    let mut ctx = Box::new(RequestCtx::new(&parts, &conn, trace, now));

    // One span per request and one per phase, at debug level: with the default `info` filter they
    // are never built (their fields are not even evaluated); `RUST_LOG=portcullis=debug,gateway=debug`
    // shows every phase with its timing.
    let span = tracing::debug_span!(
        "request",
        request_id = %ctx.request_id,
        trace_id = %ctx.trace.xray_root(),
        method = %ctx.http_method,
        path = ctx.path(),
    );
    let result = in_span!(span.clone(), run(&gw, &mut ctx, parts, body));
    let _in_request = span.enter();
    respond::respond(gw, ctx, result)
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

/// The phases, in order.
async fn run(
    gw: &Gateway,
    ctx: &mut RequestCtx,
    mut parts: Parts,
    body: RequestBody,
) -> Result<Response<Body>, GatewayError> {
    tracing::debug_span!("limits").in_scope(|| limits::check(&parts))?;
    tracing::debug_span!("route").in_scope(|| route::route(gw, ctx, &parts))?;
    let body = in_span!(
        tracing::debug_span!("authenticate"),
        authenticate::authenticate(gw, ctx, &mut parts, body)
    )?;
    tracing::debug_span!("authorize").in_scope(|| authorize::authorize(gw, ctx, &parts))?;
    in_span!(
        tracing::debug_span!("integrate"),
        integrate::integrate(gw, ctx, parts, body)
    )
}

#[cfg(test)]
mod size_tests {
    use std::sync::Arc;

    use crate::deploy::Gateway;

    fn fut_size<F: Fn(Arc<Gateway>) -> Fut, Fut>(_: &F) -> usize {
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
        let f = |gw: Arc<Gateway>| {
            let parts = http::Request::new(()).into_parts().0;
            super::handle_parts(
                gw,
                conn.clone(),
                parts,
                super::RequestBody::Buffered(Default::default()),
            )
        };
        assert!(fut_size(&f) <= 6 * 1024, "{} bytes", fut_size(&f));
        assert!(std::mem::size_of::<super::context::RequestCtx>() <= 1536);
    }
}
