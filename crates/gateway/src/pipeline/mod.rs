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
mod respond;
pub(crate) mod route;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use http::request::Parts;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use telemetry::TraceContext;

use crate::body::{Body, BoxError};
use crate::deploy::Gateway;
use crate::error::GatewayError;
use context::RequestCtx;
use integrate::RequestBody;

/// What the pipeline knows about the connection a request came on.
#[derive(Clone, Copy, Debug)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub secure: bool,
}

/// Handles one request on the edge endpoint. Never fails: every error becomes a response.
pub async fn handle(gw: Arc<Gateway>, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync();
    handle_parts(gw, conn, parts, RequestBody::Streaming(body)).await
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
    let mut ctx = RequestCtx::new(&parts, &conn, trace, now);

    let result = run(&gw, &mut ctx, parts, body).await;
    respond::respond(gw, ctx, result)
}

/// The phases, in order.
async fn run(
    gw: &Gateway,
    ctx: &mut RequestCtx,
    mut parts: Parts,
    body: RequestBody,
) -> Result<Response<Body>, GatewayError> {
    limits::check(&parts)?;
    route::route(gw, ctx, &parts)?;
    let (caller, body) = authenticate::authenticate(gw, ctx, &mut parts, body).await?;
    authorize::authorize(gw, ctx, &parts, caller.as_ref())?;
    integrate::integrate(gw, ctx, parts, body).await
}
