//! What the pipeline decides about a request's path, without sending it anywhere: for the fuzz
//! target and property tests that check the canonical-path invariant (the path the ARN names =
//! the path routed = the path forwarded). Built only with the `test-util` feature.
//!
//! Each value comes from the function the real phase calls (`route::route`,
//! `authorize::route_arn`, `http_proxy::target`), so the probe cannot drift from the pipeline.

use http::request::Parts;

use super::context::RequestCtx;
use super::{ConnInfo, integrate, route};
use crate::error::ErrorKind;
use crate::services::Services;

/// The decisions about one routed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The `execute-api` ARN authorization evaluates.
    pub arn: String,
    /// The canonical request path without the stage, as routed.
    pub routed_path: String,
    /// `$context.path`: the whole path (stage included) that logs and templates report.
    pub logged_path: String,
    /// The backend URI, when the matched method has an `http_proxy` integration.
    pub forwarded: Option<http::Uri>,
}

/// A gateway for `config` as the fuzz targets and property tests drive it: in-memory storage,
/// fresh metrics, the system clock.
pub async fn gateway(config: &config::Config) -> Result<Services, crate::BoxError> {
    let store = store::SqliteStore::memory().await?.into_stores();
    let metrics = std::sync::Arc::new(telemetry::Metrics::new());
    let clock = std::sync::Arc::new(crate::clock::SystemClock);
    Ok(Services::new(
        config,
        store,
        metrics,
        clock,
        telemetry::Sinks::new(),
    )?)
}

/// Routes `parts` as the pipeline would; `Err` is the refusal's kind.
pub fn probe(svc: &Services, parts: &Parts) -> Result<Probe, ErrorKind> {
    let conn = ConnInfo::new(
        std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
        std::net::SocketAddr::from(([127, 0, 0, 1], 2)),
        false,
    );
    let trace = telemetry::TraceContext::generate(0);
    let mut ctx = RequestCtx::new(parts, &conn, trace, svc.clock.now());
    route::route(&svc.deployment(), &mut ctx, parts).map_err(|e| e.kind)?;
    let route = ctx.route.as_ref().ok_or(ErrorKind::Internal)?;
    let method = route.method().ok_or(ErrorKind::Internal)?;
    let forwarded = match method.integration.kind {
        restapi::IntegrationKind::HttpProxy => {
            Some(integrate::proxy_target(&method.integration, &ctx, parts).map_err(|e| e.kind)?)
        }
        _ => None,
    };
    Ok(Probe {
        arn: super::authorize::route_arn(route),
        routed_path: route.resource_request_path.clone(),
        logged_path: ctx.path().to_string(),
        forwarded,
    })
}
