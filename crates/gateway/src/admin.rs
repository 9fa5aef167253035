//! The admin endpoint (loopback by default): Prometheus metrics, health checks, and API
//! Gateway's control plane for API keys, usage plans, usage and the stage cache.
//!
//! - `GET /metrics` — the Prometheus/OpenMetrics text exposition;
//! - `GET /healthz` — 200 while the process serves (liveness);
//! - `GET /readyz` — 200 when the configuration is loaded and storage answers, else 503;
//! - everything else is the control plane ([`control`]): API Gateway's own REST shapes
//!   (`/apikeys`, `/usageplans`, `/restapis/{id}/stages/{stage}/cache/data`), SigV4-signed for
//!   the service `apigateway` and authorized by IAM, so that the AWS CLI works unmodified.
//!
//! The three probes stay unauthenticated: monitoring systems scrape them without credentials,
//! and they reveal nothing a caller could change.

mod auth;
mod cache;
mod control;
mod keys;
mod plans;
mod usage;

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::{Body, full};
use crate::pipeline::ConnInfo;
use crate::services::Services;

pub async fn handle(gw: &Services, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
    let (status, content_type, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => (
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            gw.metrics().encode(),
        ),
        (&Method::GET, "/healthz") => (
            StatusCode::OK,
            "application/json",
            r#"{"status":"ok"}"#.to_string(),
        ),
        (&Method::GET, "/readyz") => match gw.store().health.ping().await {
            Ok(()) => (
                StatusCode::OK,
                "application/json",
                r#"{"status":"ready"}"#.to_string(),
            ),
            Err(e) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "application/json",
                serde_json::json!({"status": "unavailable", "reason": e.to_string()}).to_string(),
            ),
        },
        (_, "/metrics" | "/healthz" | "/readyz") => (
            StatusCode::METHOD_NOT_ALLOWED,
            "application/json",
            r#"{"message":"Method Not Allowed"}"#.to_string(),
        ),
        _ => return control::handle(gw, conn, req).await,
    };
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
