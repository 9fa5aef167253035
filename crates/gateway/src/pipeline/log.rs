//! Phase: log. Runs for every request, failed or not, once its response is done: metrics, the
//! stage's access log, and the execution log at the method's `logging_level`.

use config::LoggingLevel;

use super::context::RequestCtx;
use crate::error::{Blame, GatewayError};
use crate::services::Services;

/// Logs a request whose client went away before its answer was complete (`ctx.phase` says
/// where it was; `response` once the body was being sent): counted, then logged like any other.
pub(crate) fn abandoned(svc: &Services, ctx: &RequestCtx) {
    let (api, stage) = ctx
        .route
        .as_ref()
        .map_or(("", ""), |r| (r.api.id.as_str(), r.stage().name.as_str()));
    svc.metrics.client_disconnect(api, stage, ctx.phase);
    tracing::debug!(
        request_id = %ctx.request_id,
        phase = ctx.phase,
        "the client went away before the answer was sent"
    );
    finish(svc, ctx);
}

pub(crate) fn finish(svc: &Services, ctx: &RequestCtx) {
    // Runs after the response body, outside the request's span: name the request again.
    let _span = tracing::debug_span!("log", request_id = %ctx.request_id).entered();
    let latency = ctx.response_latency.unwrap_or_default().as_secs_f64();
    let integration = ctx.integration.latency.map(|d| d.as_secs_f64());
    let Some(route) = &ctx.route else {
        svc.metrics.unrouted("no_api_or_stage");
        return;
    };
    let stage = route.stage();
    let method = route
        .resource
        .zip(route.method)
        .and_then(|(r, m)| stage.methods.get(r)?.get(m));
    match method {
        Some(m) => m.metrics.observe(ctx.status, latency, integration),
        None => stage.unmatched.observe(ctx.status, latency, integration),
    }
    if let Some(log) = &stage.access_log {
        log.log(&ForLog(ctx));
    }
    let level = method.map_or(LoggingLevel::Off, |m| m.logging);
    let failed = ctx.status >= 400;
    if level == LoggingLevel::Info || (level == LoggingLevel::Error && failed) {
        tracing::info!(
            target: "portcullis::execution",
            request_id = %ctx.request_id,
            api = %route.api.id,
            stage = %stage.name,
            method = %ctx.http_method,
            resource = route.resource().map_or("", |r| r.path.as_str()),
            path = ctx.path(),
            status = ctx.status,
            integration_status = ctx.integration.status,
            latency_ms = ctx.response_latency.map(|d| d.as_millis() as u64),
            integration_latency_ms = ctx.integration.latency.map(|d| d.as_millis() as u64),
            error = ctx.error.as_ref().map(|e| e.message.as_ref()),
            "Method completed with status: {}", ctx.status
        );
    }
}

/// Failures the operator must see are logged whatever the method's logging level: a backend that
/// fails or a configuration that cannot work. Callers' mistakes stay at debug level.
pub(crate) fn error(ctx: &RequestCtx, error: &GatewayError) {
    let spec = error.kind.spec();
    match spec.blame {
        Blame::Internal => tracing::error!(
            request_id = %ctx.request_id, path = ctx.path(), kind = spec.label,
            detail = error.detail.as_deref(), "{}", error.message
        ),
        Blame::Upstream => tracing::warn!(
            request_id = %ctx.request_id, path = ctx.path(), kind = spec.label,
            detail = error.detail.as_deref(), "{}", error.message
        ),
        Blame::Client => tracing::debug!(
            request_id = %ctx.request_id, path = ctx.path(), kind = spec.label,
            detail = error.detail.as_deref(), "{}", error.message
        ),
    }
}

/// The request's `$context` as the access log reads it: the same values, except the API key,
/// which is masked (a key value is a credential; API Gateway's own logs mask it too).
struct ForLog<'a>(&'a RequestCtx);

impl restapi::render::Vars for ForLog<'_> {
    fn context(&self, var: &restapi::ContextVar) -> Option<std::borrow::Cow<'_, str>> {
        match var {
            restapi::ContextVar::Identity(restapi::context::IdentityVar::ApiKey) => {
                Some(std::borrow::Cow::Owned(self.0.api_key.as_ref()?.masked()))
            }
            other => self.0.context(other),
        }
    }

    fn stage_variable(&self, name: &str) -> Option<&str> {
        self.0.stage_variable(name)
    }
}
