//! `aws_proxy`: the request becomes a Lambda proxy event (REST API payload format 1.0), the
//! function runs on the services' function host, and its answer becomes the response.
//!
//! Every value of the event comes from what the pipeline already computed — the canonical
//! method and path from route, the identity from authenticate, `$context` through
//! [`RequestCtx`]'s variables — never re-derived from the raw request. The wire formats are
//! [`crate::lambda_proxy`]'s. Failures are API Gateway's: the function's own error, crash or
//! timeout → 502; a malformed answer → 502 and `Malformed Lambda proxy response`; no answer
//! within the integration's timeout (29 s unless `timeoutInMillis`) → 504; Lambda throttling →
//! 500; an unknown function (a stage variable naming none) → 500.

use std::time::Instant;

use functions::{CognitoIdentity, Invocation, InvokeError};
use http::request::Parts;
use http::{HeaderMap, Response};
use restapi::context::IdentityVar;
use restapi::render::Vars;
use restapi::{ContextVar, FunctionArn, Integration};

use super::{RequestBody, backend};
use crate::body::{Body, full};
use crate::error::{ErrorKind, GatewayError};
use crate::lambda_proxy::{self, EventAuthorizer, EventIdentity, EventInput};
use crate::pipeline::context::RequestCtx;
use crate::pipeline::identity::Identity;
use crate::services::Services;

/// API Gateway's execution-log target.
const EXECUTION_LOG: &str = "portcullis::execution";

pub(crate) async fn invoke(
    svc: &Services,
    ctx: &mut RequestCtx,
    parts: Parts,
    body: RequestBody,
    integration: &Integration,
) -> Result<Response<Body>, GatewayError> {
    let name = function_name(svc, ctx, integration)?;
    let body = body.collect().await?;
    let mut headers = parts.headers;
    backend::strip_hop_by_hop(&mut headers);
    backend::add_forwarding_headers(&mut headers, ctx);
    let payload = event(ctx, &headers, parts.uri.query().unwrap_or(""), &body)?;
    let invocation = Invocation {
        payload,
        client_context: None,
        cognito_identity: cognito_identity(ctx),
        trace_id: Some(ctx.trace.xray_header(ctx.span_id)),
        ..Invocation::default()
    };

    let started = Instant::now();
    let result =
        tokio::time::timeout(integration.timeout, svc.functions.invoke(&name, invocation)).await;
    ctx.integration.latency = Some(started.elapsed());
    let outcome = match result {
        Err(_) => {
            ctx.integration.error = Some("timeout".into());
            execution_log(ctx, "Execution failed due to a timeout error");
            return Err(
                GatewayError::new(ErrorKind::IntegrationTimeout).detail(format!(
                    "function {name}: no answer within {} ms",
                    integration.timeout.as_millis()
                )),
            );
        }
        Ok(Err(e)) => return Err(invoke_error(ctx, &name, &e)),
        Ok(Ok(outcome)) => outcome,
    };
    ctx.integration.status = Some(200);
    if let Some(failure) = &outcome.failure {
        let line = format!(
            "Lambda execution failed with status 200 due to customer function error: {}. Lambda request id: {}",
            failure.error_message, outcome.request_id
        );
        ctx.integration.error = Some(failure.error_type.clone());
        execution_log(ctx, &line);
        return Err(GatewayError::new(ErrorKind::LambdaFunctionError).detail(line));
    }
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let binary = ctx.route.as_ref().is_some_and(|r| {
        accept.is_some_and(|a| {
            a.split(',')
                .any(|t| lambda_proxy::is_binary(&r.api.api.binary_media_types, Some(t)))
        })
    });
    let answer = match lambda_proxy::parse_response(&outcome.payload, binary) {
        Ok(answer) => answer,
        Err(e) => {
            let line =
                "Execution failed due to configuration error: Malformed Lambda proxy response";
            ctx.integration.error = Some(e.to_string());
            execution_log(ctx, line);
            return Err(GatewayError::new(ErrorKind::MalformedLambdaResponse)
                .detail(format!("function {name}: {e}")));
        }
    };
    let mut response = Response::new(full(answer.body));
    *response.status_mut() = answer.status;
    let mut out = answer.headers;
    backend::remap_response_headers(&mut out);
    if !out.contains_key(http::header::CONTENT_TYPE) {
        // API Gateway's default for a proxy response without one.
        out.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    *response.headers_mut() = out;
    Ok(response)
}

/// The function the integration names, with the stage's variables; one the host does not run
/// (only a stage variable can name one: static ARNs are checked at load) is a configuration
/// error, as API Gateway's execution log reports it.
fn function_name(
    svc: &Services,
    ctx: &RequestCtx,
    integration: &Integration,
) -> Result<String, GatewayError> {
    let target = integration
        .function
        .as_ref()
        .ok_or_else(|| GatewayError::new(ErrorKind::ApiConfigurationError))?;
    let arn = target.render(|v| ctx.stage_variable(v));
    let route = ctx.route.as_ref();
    let resolved = FunctionArn::parse(&arn).filter(|a| {
        a.is_latest()
            && route.is_some_and(|r| a.region == r.api.region && a.account == r.api.account_id)
            && svc.functions.contains(a.name)
    });
    match resolved {
        Some(a) => Ok(a.name.to_string()),
        None => {
            let line =
                format!("Execution failed due to configuration error: Function not found: {arn}");
            execution_log(ctx, &line);
            Err(GatewayError::new(ErrorKind::ApiConfigurationError).detail(line))
        }
    }
}

/// The event, from the request context: never from the raw request line.
fn event(
    ctx: &RequestCtx,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Result<bytes::Bytes, GatewayError> {
    let config = || GatewayError::new(ErrorKind::ApiConfigurationError);
    let route = ctx.route.as_ref().ok_or_else(config)?;
    let resource = route.resource().ok_or_else(config)?;
    // The verb route matched (one of API Gateway's seven), the one the ARN named.
    let method = http::Method::from_bytes(route.verb.as_str().as_bytes()).map_err(|_| config())?;
    let var = |v: ContextVar| ctx.context(&v);
    let id = |v: IdentityVar| ctx.context(&ContextVar::Identity(v));
    let path_parameters = resource
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|n| n.strip_suffix('+').unwrap_or(n))
        .filter_map(|n| {
            let value = route.param(n)?;
            Some((
                n,
                crate::pipeline::params::decode_component(value).into_owned(),
            ))
        })
        .collect();
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let binary = lambda_proxy::is_binary(&route.api.api.binary_media_types, content_type);
    let (request_time, epoch, resource_id) = (
        var(ContextVar::RequestTime).unwrap_or_default(),
        var(ContextVar::RequestTimeEpoch).unwrap_or_default(),
        resource.id(),
    );
    let identity_values: Vec<Option<std::borrow::Cow<'_, str>>> = [
        IdentityVar::SourceIp,
        IdentityVar::UserAgent,
        IdentityVar::Caller,
        IdentityVar::User,
        IdentityVar::UserArn,
        IdentityVar::AccessKey,
        IdentityVar::AccountId,
        IdentityVar::CognitoIdentityId,
        IdentityVar::CognitoIdentityPoolId,
        IdentityVar::CognitoAuthenticationType,
        IdentityVar::CognitoAuthenticationProvider,
        IdentityVar::ApiKey,
        IdentityVar::ApiKeyId,
    ]
    .into_iter()
    .map(id)
    .collect();
    let at = |i: usize| identity_values.get(i).and_then(|v| v.as_deref());
    let identity = EventIdentity {
        source_ip: at(0),
        user_agent: at(1),
        caller: at(2),
        user: at(3),
        user_arn: at(4),
        access_key: at(5),
        account_id: at(6),
        cognito_identity_id: at(7),
        cognito_identity_pool_id: at(8),
        cognito_authentication_type: at(9),
        cognito_authentication_provider: at(10),
        api_key: at(11),
        api_key_id: at(12),
    };
    let authorizer = match &ctx.identity {
        Identity::Claims(claims) => EventAuthorizer::Claims(&claims.values),
        Identity::Authorizer(result) => EventAuthorizer::Lambda {
            principal_id: &result.principal_id,
            context: &result.context,
        },
        Identity::Anonymous | Identity::Iam(_) => EventAuthorizer::None,
    };
    let input = EventInput {
        resource: &resource.path,
        path: &route.resource_request_path,
        http_method: &method,
        headers,
        query,
        path_parameters,
        stage_variables: ctx.stage_variables().filter(|v| !v.is_empty()),
        body,
        binary,
        account_id: &route.api.account_id,
        api_id: &route.api.id,
        resource_id: &resource_id,
        stage: &route.stage().name,
        request_id: ctx.request_id.as_str(),
        extended_request_id: ctx.extended_request_id(),
        request_time: &request_time,
        request_time_epoch: epoch.parse().unwrap_or(0),
        context_path: ctx.path(),
        protocol: ctx.protocol,
        domain_name: ctx.domain_name(),
        identity,
        authorizer,
    };
    lambda_proxy::event(&input)
        .map_err(|e| GatewayError::new(ErrorKind::Internal).detail(format!("proxy event: {e}")))
}

/// The caller's Cognito identity, for `Lambda-Runtime-Cognito-Identity`: set when an identity
/// pool's credentials signed the request.
fn cognito_identity(ctx: &RequestCtx) -> Option<CognitoIdentity> {
    let web = ctx.identity.iam()?.web_identity.as_deref()?;
    Some(CognitoIdentity {
        identity_id: web.identity_id.clone(),
        identity_pool_id: web.identity_pool_id.clone(),
    })
}

/// What API Gateway answers when Lambda's Invoke refused the call.
fn invoke_error(ctx: &mut RequestCtx, name: &str, e: &InvokeError) -> GatewayError {
    ctx.integration.status = Some(e.status());
    ctx.integration.error = Some(e.error_type().to_string());
    let kind = match e {
        InvokeError::TooManyRequests { .. } => {
            execution_log(ctx, "Lambda invocation failed with status: 429");
            ErrorKind::LambdaThrottled
        }
        InvokeError::RequestTooLarge { .. } => ErrorKind::RequestTooLarge,
        InvokeError::NotFound { .. } => {
            execution_log(
                ctx,
                &format!("Execution failed due to configuration error: {e}"),
            );
            ErrorKind::ApiConfigurationError
        }
        InvokeError::InvalidRequestContent { .. }
        | InvokeError::ShuttingDown
        | InvokeError::Internal(_) => ErrorKind::IntegrationFailure,
    };
    GatewayError::new(kind).detail(format!("function {name}: {}: {e}", e.error_type()))
}

/// One line of the method's execution log, in API Gateway's words. Failures are logged whatever
/// the method's logging level (the operator must see them).
fn execution_log(ctx: &RequestCtx, line: &str) {
    tracing::warn!(target: EXECUTION_LOG, request_id = %ctx.request_id, "{line}");
}
