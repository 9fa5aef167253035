//! Observability: per-stage access logs in API Gateway's `$context` format language, Prometheus
//! metrics, and trace-id propagation.
//!
//! The request path pays for this with pre-resolved handles: access-log templates are parsed at
//! load, metric label sets are resolved per route at deploy time, and log lines are written by a
//! background thread that never makes a request wait (a line it cannot queue is dropped and
//! counted). Templates render through [`restapi::render`].

// On the request path: input that reaches this crate comes from clients, so no code path may
// panic on it. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod access_log;
pub mod metrics;
pub mod trace;

pub use access_log::{AccessLog, Destination, Sinks};
pub use metrics::{AccessLogDrops, Metrics, RouteMetrics, StageUsageMetrics};
pub use prometheus_client::metrics::counter::Counter;
pub use trace::TraceContext;
