//! Observability: per-stage access logs in API Gateway's `$context` format language, Prometheus
//! metrics, and trace-id propagation.
//!
//! The request path pays for this with pre-resolved handles: access-log templates are parsed at
//! load, metric label sets are resolved per route at deploy time, and log lines are written by a
//! background thread.

pub mod access_log;
pub mod metrics;
pub mod trace;

pub use access_log::{AccessLog, Destination, Sinks, Vars};
pub use metrics::{Metrics, RouteMetrics};
pub use prometheus_client::metrics::counter::Counter;
pub use trace::TraceContext;
