//! The Lambda (`CUSTOM`) authorizer, as API Gateway runs it:
//!
//! 1. With a resource policy, the anonymous caller's evaluation first: an explicit deny refuses
//!    without calling the function (`authorize::deny_before_authorizer`).
//! 2. The identity sources: TOKEN reads its one header (and checks
//!    `identityValidationExpression`), REQUEST reads every source — headers, query string
//!    parameters, stage variables, `$context` values. A missing or empty one, or a token the
//!    expression does not match, is 401 `Unauthorized` without invoking.
//! 3. The cache (`lambda_authorizer::cache`), by those values: a fresh answer is reused, and
//!    concurrent misses invoke once.
//! 4. Otherwise the function, with the event API Gateway sends (`lambda_authorizer::event`). It
//!    failing with the error `Unauthorized` is 401 (cached like an answer); another error, a
//!    timeout or a malformed answer is 500 `AUTHORIZER_FAILURE`; not being able to invoke it
//!    (throttled, the host failing) is 500 `AUTHORIZER_CONFIGURATION_ERROR`.
//! 5. The answer becomes the caller's `Identity::Authorizer`; the authorize phase evaluates its
//!    policy against this request's method ARN (with the resource policy, table A).
//!
//! Nothing here reaches the backend: every refusal ends the request before integrate.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use restapi::render::Vars;
use restapi::{AuthType, IdentitySource, LambdaAuthorizer, LambdaKind};

use super::Exchange;
use super::authorize;
use super::identity::Identity;
use super::params;
use crate::error::{ErrorKind, GatewayError};
use crate::lambda_authorizer::{Cached, RequestEvent, cache_key, parse_result};
use crate::services::Services;

/// Why the authorizer refused or failed, for logs and `portcullis_auth_outcomes_total`.
#[derive(Debug)]
enum Refusal {
    /// An identity source was missing or empty.
    MissingIdentity,
    /// The token did not match `identityValidationExpression`.
    InvalidToken,
    /// The function answered `Unauthorized`.
    Unauthorized,
    /// The function could not be invoked.
    Unavailable(String),
    /// The function failed, or answered something that is not an authorizer result.
    Failed(String),
}

impl Refusal {
    fn label(&self) -> &'static str {
        match self {
            Refusal::MissingIdentity => "missing_identity_source",
            Refusal::InvalidToken => "invalid_token",
            Refusal::Unauthorized => "unauthorized",
            Refusal::Unavailable(_) => "authorizer_unavailable",
            Refusal::Failed(_) => "authorizer_failed",
        }
    }

    fn error(&self) -> GatewayError {
        match self {
            Refusal::MissingIdentity | Refusal::InvalidToken | Refusal::Unauthorized => {
                GatewayError::new(ErrorKind::Unauthorized)
            }
            Refusal::Unavailable(detail) => {
                GatewayError::new(ErrorKind::AuthorizerConfiguration).detail(detail)
            }
            Refusal::Failed(detail) => {
                GatewayError::new(ErrorKind::AuthorizerFailure).detail(detail)
            }
        }
    }
}

pub(super) async fn authenticate(
    svc: &Services,
    exchange: &mut Exchange,
    authorizer: &LambdaAuthorizer,
) -> Result<(), GatewayError> {
    authorize::deny_before_authorizer(svc, exchange)?;
    let started = Instant::now();
    let outcome = decide(svc, exchange, authorizer).await;
    let ctx = &mut exchange.ctx;
    ctx.authenticate.latency = Some(started.elapsed());
    if let Some(route) = &ctx.route {
        let (result, label) = match &outcome {
            Ok(_) => ("allow", "ok"),
            Err(refusal) => ("deny", refusal.label()),
        };
        svc.metrics.auth_outcome(
            &route.api.id,
            &route.stage().name,
            AuthType::Custom,
            result,
            label,
        );
    }
    match outcome {
        Ok(answer) => {
            ctx.authenticate.status = Some(200);
            ctx.identity = Identity::Authorizer(answer);
            Ok(())
        }
        Err(refusal) => {
            let error = refusal.error();
            // The detail (the function's error type and message, why an answer is malformed) is
            // for the operator's log, never the caller: it may carry what the function saw.
            // Refused callers are routine (debug); a failing authorizer needs an operator.
            let detail = error.detail.as_deref().unwrap_or("");
            let (name, reason) = (&authorizer.name, refusal.label());
            if error.kind.spec().status >= 500 {
                tracing::warn!(target: "portcullis::auth", request_id = %ctx.request_id, authorizer = %name, reason, detail, "Lambda authorizer failed");
            } else {
                tracing::debug!(target: "portcullis::auth", request_id = %ctx.request_id, authorizer = %name, reason, "Lambda authorizer refused the request");
            }
            ctx.authenticate.status = Some(error.kind.spec().status);
            ctx.authenticate.error = Some(refusal.label().to_string());
            Err(error)
        }
    }
}

/// Steps 2 to 4 of the module's list.
async fn decide(
    svc: &Services,
    exchange: &Exchange,
    authorizer: &LambdaAuthorizer,
) -> Result<Arc<crate::pipeline::identity::AuthorizerResult>, Refusal> {
    let ctx = &*exchange.ctx;
    let Some(route) = ctx.route.as_ref() else {
        return Err(Refusal::Unavailable("no route".into()));
    };
    let Some(stage_authorizer) = route.stage().lambda_authorizers.get(&authorizer.name) else {
        return Err(Refusal::Unavailable(format!(
            "authorizer {:?} has no function on this stage",
            authorizer.name
        )));
    };
    let values = identity_values(exchange, authorizer)?;
    if let (LambdaKind::Token, Some(expression), [token]) = (
        authorizer.kind,
        &authorizer.validation_expression,
        values.as_slice(),
    ) && !expression.is_match(token)
    {
        return Err(Refusal::InvalidToken);
    }
    let function = stage_authorizer.function.as_str();
    let invoke = || async {
        let payload = event(exchange, authorizer, &values)?;
        invoke(svc, exchange, function, payload).await
    };
    let answer = if authorizer.result_ttl.is_zero() {
        invoke().await?
    } else {
        let key = cache_key(
            &stage_authorizer.fingerprint,
            values.iter().map(String::as_str),
        );
        let now = svc.clock.now();
        let (answer, hit) = svc
            .authorizer_cache
            .get_or_fill(key, authorizer.result_ttl, now, invoke)
            .await?;
        tracing::debug!(authorizer = %authorizer.name, hit, "Lambda authorizer cache");
        answer
    };
    match answer {
        Cached::Allow(result) => Ok(result),
        Cached::Unauthorized => Err(Refusal::Unauthorized),
    }
}

/// The identity-source values, in the authorizer's order: the cache key and, for TOKEN, the
/// token. Any missing or empty value refuses.
fn identity_values(
    exchange: &Exchange,
    authorizer: &LambdaAuthorizer,
) -> Result<Vec<String>, Refusal> {
    let ctx = &*exchange.ctx;
    let query = exchange.parts.uri.query().unwrap_or("");
    let mut values = Vec::with_capacity(authorizer.identity_sources.len());
    for source in &authorizer.identity_sources {
        let value = match source {
            IdentitySource::Header(name) => {
                params::header_value(&exchange.parts.headers, name.as_str())
            }
            IdentitySource::Query(name) => params::query_value(query, name),
            IdentitySource::StageVariable(name) => ctx.stage_variable(name).map(str::to_string),
            IdentitySource::Context(var) => ctx.context(var).map(|v| v.into_owned()),
        };
        match value {
            Some(v) if !v.trim().is_empty() => values.push(v),
            _ => return Err(Refusal::MissingIdentity),
        }
    }
    Ok(values)
}

/// The event for this request (TOKEN: the token; REQUEST: the request).
fn event(
    exchange: &Exchange,
    authorizer: &LambdaAuthorizer,
    values: &[String],
) -> Result<Bytes, Refusal> {
    let ctx = &*exchange.ctx;
    let Some(route) = ctx.route.as_ref() else {
        return Err(Refusal::Unavailable("no route".into()));
    };
    // The ARN the authorize phase evaluates: one function over the canonical method and path.
    let method_arn = authorize::route_arn(route);
    let encoded = match authorizer.kind {
        LambdaKind::Token => {
            let token = values.first().map_or("", String::as_str);
            crate::lambda_authorizer::token_event(token, &method_arn)
        }
        LambdaKind::Request => {
            let resource = route.resource();
            let template = resource.map_or("", |r| r.path.as_str());
            let path_parameters: HashMap<String, String> = template
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .map(|n| n.strip_suffix('+').unwrap_or(n))
                .filter_map(|name| {
                    let raw = route.param(name)?;
                    let value = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
                    Some((name.to_string(), value.into_owned()))
                })
                .collect();
            let query = params::query_pairs(exchange.parts.uri.query().unwrap_or(""))
                .map(|(k, v)| {
                    (
                        params::decode_component(k).into_owned(),
                        params::decode_component(v).into_owned(),
                    )
                })
                .collect();
            let stage = route.stage();
            crate::lambda_authorizer::request_event(&RequestEvent {
                method_arn: &method_arn,
                resource: template,
                path: &route.resource_request_path,
                stage_path: ctx.path(),
                http_method: &ctx.http_method,
                headers: &exchange.parts.headers,
                query,
                path_parameters,
                stage_variables: &stage.variables,
                account_id: &route.api.account_id,
                api_id: &route.api.id,
                stage: &stage.name,
                resource_id: resource.map(|r| r.id()).unwrap_or_default(),
                request_id: ctx.request_id.as_str(),
                source_ip: ctx.source_ip_value.as_str().to_string(),
                api_key: exchange
                    .parts
                    .headers
                    .get("x-api-key")
                    .and_then(|v| v.to_str().ok()),
            })
        }
    };
    encoded
        .map(Bytes::from)
        .map_err(|e| Refusal::Failed(format!("the event could not be encoded: {e}")))
}

/// Invokes the function and reads its answer.
async fn invoke(
    svc: &Services,
    exchange: &Exchange,
    function: &str,
    payload: Bytes,
) -> Result<Cached, Refusal> {
    let ctx = &*exchange.ctx;
    let invocation = functions::Invocation {
        payload,
        trace_id: Some(ctx.trace.xray_header(ctx.span_id)),
        ..functions::Invocation::default()
    };
    let outcome = svc
        .functions
        .invoke(function, invocation)
        .await
        .map_err(|e| Refusal::Unavailable(format!("{}: {e}", e.error_type())))?;
    match outcome.failure {
        // API Gateway's one way for a function to say 401: the error message `Unauthorized`
        // (`raise Exception('Unauthorized')`, `callback('Unauthorized')`).
        Some(failure)
            if failure.kind == functions::FailureKind::Function
                && failure.error_message == "Unauthorized" =>
        {
            Ok(Cached::Unauthorized)
        }
        Some(failure) => Err(Refusal::Failed(format!(
            "{}: {}",
            failure.error_type, failure.error_message
        ))),
        None => parse_result(&outcome.payload)
            .map(|result| Cached::Allow(Arc::new(result)))
            .map_err(|e| Refusal::Failed(format!("malformed authorizer answer: {e}"))),
    }
}
