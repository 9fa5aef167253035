//! The admin endpoint (loopback by default): Prometheus metrics and health checks.
//!
//! - `GET /metrics` — the Prometheus/OpenMetrics text exposition;
//! - `GET /healthz` — 200 while the process serves (liveness);
//! - `GET /readyz` — 200 when the configuration is loaded and storage answers, else 503.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};

use crate::body::{Body, full};
use crate::services::Services;

pub async fn handle<B>(gw: &Services, req: Request<B>) -> Response<Body> {
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
        _ => (
            StatusCode::NOT_FOUND,
            "application/json",
            r#"{"message":"Not Found"}"#.to_string(),
        ),
    };
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
