//! Prometheus metrics, served as text on the admin listener's `/metrics`.
//!
//! Label sets for routes are known when an API is deployed, so the gateway takes a [`RouteMetrics`]
//! handle per (api, stage, method, resource) once and the request path only touches atomics: no
//! label hashing, no map lookup per request.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use restapi::AuthType;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    api: String,
    stage: String,
    method: String,
    resource: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatusLabels {
    api: String,
    stage: String,
    method: String,
    resource: String,
    status_class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AuthLabels {
    api: String,
    stage: String,
    auth_type: &'static str,
    outcome: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UnroutedLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DisconnectLabels {
    api: String,
    stage: String,
    phase: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DestinationLabels {
    destination: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    api: String,
    stage: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UsageLabels {
    api: String,
    stage: String,
    /// The API key's id (never its value); empty for limits that are not a key's.
    key: String,
    reason: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

fn latency_histogram() -> Histogram {
    // 0.25 ms .. ~33 s: from a cached mock to a timed-out integration.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 18))
}

/// The registry and the metric families in it.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatusLabels, Counter>,
    latency: HistogramFamily,
    integration_latency: HistogramFamily,
    auth: Family<AuthLabels, Counter>,
    unrouted: Family<UnroutedLabels, Counter>,
    disconnects: Family<DisconnectLabels, Counter>,
    access_log_dropped: AccessLogDrops,
    cache: Family<CacheLabels, Counter>,
    usage: Family<UsageLabels, Counter>,
    shed: Counter,
}

/// One stage's cache and usage-limit counters: cache hits and misses resolved once, refusals
/// (`throttled`, `quota_exceeded`, `invalid_api_key`) by key when they happen (refusals are the
/// rare path; keys are bounded by the configured ones).
#[derive(Clone, Debug)]
pub struct StageUsageMetrics {
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    usage: Family<UsageLabels, Counter>,
    api: String,
    stage: String,
}

impl StageUsageMetrics {
    pub fn refused(&self, key: &str, reason: &'static str) {
        self.usage
            .get_or_create(&UsageLabels {
                api: self.api.clone(),
                stage: self.stage.clone(),
                key: key.to_string(),
                reason,
            })
            .inc();
    }
}

/// Access-log lines dropped because their destination's writer fell a whole queue behind, per
/// destination (`stdout`, `stderr` or the file's path). Cloning shares the series.
#[derive(Clone, Debug, Default)]
pub struct AccessLogDrops(Family<DestinationLabels, Counter>);

impl AccessLogDrops {
    /// The counter for one destination, resolved once per writer.
    pub fn destination(&self, destination: &str) -> Counter {
        self.0
            .get_or_create(&DestinationLabels {
                destination: destination.to_string(),
            })
            .clone()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("portcullis");
        let requests = Family::<RouteStatusLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let integration_latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let auth = Family::<AuthLabels, Counter>::default();
        let unrouted = Family::<UnroutedLabels, Counter>::default();
        let disconnects = Family::<DisconnectLabels, Counter>::default();
        let access_log_dropped = AccessLogDrops::default();
        let cache = Family::<CacheLabels, Counter>::default();
        let usage = Family::<UsageLabels, Counter>::default();
        let shed = Counter::default();
        registry.register(
            "requests_shed",
            "Edge requests answered 429 at once, unprocessed, because server.max_concurrent_requests were being served",
            shed.clone(),
        );
        registry.register(
            "cache_lookups",
            "Stage response cache lookups by api, stage and result (hit or miss)",
            cache.clone(),
        );
        registry.register(
            "usage_refusals",
            "Requests refused by an API key, throttle or quota check, by api, stage, key id and reason",
            usage.clone(),
        );
        registry.register(
            "requests",
            "API requests by api, stage, method, resource and status class",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from request received to response head sent",
            latency.clone(),
        );
        registry.register(
            "integration_duration_seconds",
            "Time spent waiting for the integration (backend) response",
            integration_latency.clone(),
        );
        registry.register(
            "auth_outcomes",
            "Authentication and authorization outcomes by auth type, outcome and reason",
            auth.clone(),
        );
        registry.register(
            "unrouted_requests",
            "Requests on the edge endpoint that matched no API and stage",
            unrouted.clone(),
        );
        registry.register(
            "client_disconnects",
            "Requests whose client went away before the answer was sent, by the phase they were in",
            disconnects.clone(),
        );
        registry.register(
            "access_log_dropped",
            "Access-log lines dropped because their destination could not keep up, by destination",
            access_log_dropped.0.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            integration_latency,
            auth,
            unrouted,
            disconnects,
            access_log_dropped,
            cache,
            usage,
            shed,
        }
    }

    /// The cache and usage-limit counters of one stage, resolved at deploy time.
    pub fn stage_usage(&self, api: &str, stage: &str) -> StageUsageMetrics {
        let cache = |result| {
            self.cache
                .get_or_create(&CacheLabels {
                    api: api.to_string(),
                    stage: stage.to_string(),
                    result,
                })
                .clone()
        };
        StageUsageMetrics {
            cache_hits: cache("hit"),
            cache_misses: cache("miss"),
            usage: self.usage.clone(),
            api: api.to_string(),
            stage: stage.to_string(),
        }
    }

    /// The dropped-access-log-line counters, for [`crate::Sinks::with_metrics`].
    pub fn access_log_drops(&self) -> AccessLogDrops {
        self.access_log_dropped.clone()
    }

    /// Handles for one route. `resource` is the resource path (`/pets/{petId}`), or empty for
    /// requests that reached a stage but matched no resource.
    pub fn route(&self, api: &str, stage: &str, method: &str, resource: &str) -> RouteMetrics {
        let labels = RouteLabels {
            api: api.to_string(),
            stage: stage.to_string(),
            method: method.to_string(),
            resource: resource.to_string(),
        };
        let requests = STATUS_CLASSES.map(|status_class| {
            self.requests
                .get_or_create(&RouteStatusLabels {
                    api: labels.api.clone(),
                    stage: labels.stage.clone(),
                    method: labels.method.clone(),
                    resource: labels.resource.clone(),
                    status_class,
                })
                .clone()
        });
        RouteMetrics {
            requests,
            latency: self.latency.get_or_create(&labels).clone(),
            integration_latency: self.integration_latency.get_or_create(&labels).clone(),
        }
    }

    /// A handle on one auth-outcome series, for outcomes counted on every request (the gateway
    /// resolves the "allowed" ones per stage at deploy time).
    pub fn auth_counter(
        &self,
        api: &str,
        stage: &str,
        auth_type: AuthType,
        outcome: &'static str,
        reason: &'static str,
    ) -> Counter {
        self.auth
            .get_or_create(&AuthLabels {
                api: api.to_string(),
                stage: stage.to_string(),
                auth_type: auth_type.as_str(),
                outcome,
                reason,
            })
            .clone()
    }

    /// Counts an authentication or authorization outcome. `reason` is a short stable label such
    /// as `missing_token`, `invalid_signature` or `explicit_deny_identity`.
    pub fn auth_outcome(
        &self,
        api: &str,
        stage: &str,
        auth_type: AuthType,
        outcome: &'static str,
        reason: &'static str,
    ) {
        self.auth_counter(api, stage, auth_type, outcome, reason)
            .inc();
    }

    /// Counts a request shed by the admission limit.
    pub fn shed(&self) {
        self.shed.inc();
    }

    pub fn unrouted(&self, reason: &'static str) {
        self.unrouted
            .get_or_create(&UnroutedLabels { reason })
            .inc();
    }

    /// Counts a request abandoned by its client; `phase` is the pipeline phase it was in, or
    /// `response` when the body was being sent. `api` and `stage` are empty before routing.
    pub fn client_disconnect(&self, api: &str, stage: &str, phase: &'static str) {
        self.disconnects
            .get_or_create(&DisconnectLabels {
                api: api.to_string(),
                stage: stage.to_string(),
                phase,
            })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Pre-resolved metric handles for one route.
#[derive(Clone, Debug)]
pub struct RouteMetrics {
    requests: [Counter; 5],
    latency: Histogram,
    integration_latency: Histogram,
}

impl RouteMetrics {
    pub fn observe(&self, status: u16, latency_seconds: f64, integration_seconds: Option<f64>) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let Some(c) = self.requests.get(class) {
            c.inc();
        }
        self.latency.observe(latency_seconds);
        if let Some(s) = integration_seconds {
            self.integration_latency.observe(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_metrics_are_exposed() {
        let m = Metrics::new();
        let r = m.route("petstore01", "prod", "GET", "/pets/{petId}");
        r.observe(200, 0.002, Some(0.001));
        r.observe(404, 0.001, None);
        r.observe(503, 0.5, Some(0.49));
        m.auth_outcome(
            "petstore01",
            "prod",
            AuthType::AwsIam,
            "deny",
            "invalid_signature",
        );
        m.unrouted("no_stage");
        m.access_log_drops().destination("stdout").inc();
        let text = m.encode();
        for needle in [
            r#"portcullis_requests_total{api="petstore01",stage="prod",method="GET",resource="/pets/{petId}",status_class="2xx"} 1"#,
            r#"portcullis_requests_total{api="petstore01",stage="prod",method="GET",resource="/pets/{petId}",status_class="4xx"} 1"#,
            r#"portcullis_requests_total{api="petstore01",stage="prod",method="GET",resource="/pets/{petId}",status_class="5xx"} 1"#,
            r#"portcullis_request_duration_seconds_count{api="petstore01",stage="prod",method="GET",resource="/pets/{petId}"} 3"#,
            r#"portcullis_integration_duration_seconds_count{api="petstore01",stage="prod",method="GET",resource="/pets/{petId}"} 2"#,
            r#"portcullis_auth_outcomes_total{api="petstore01",stage="prod",auth_type="AWS_IAM",outcome="deny",reason="invalid_signature"} 1"#,
            r#"portcullis_unrouted_requests_total{reason="no_stage"} 1"#,
            r#"portcullis_access_log_dropped_total{destination="stdout"} 1"#,
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }

    #[test]
    fn handles_share_the_same_series() {
        let m = Metrics::new();
        m.route("a", "s", "GET", "/").observe(200, 0.1, None);
        m.route("a", "s", "GET", "/").observe(201, 0.1, None);
        assert!(m.encode().contains(
            r#"portcullis_requests_total{api="a",stage="s",method="GET",resource="/",status_class="2xx"} 2"#
        ));
    }
}
