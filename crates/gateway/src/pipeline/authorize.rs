//! Phase: authorize. Evaluates `execute-api:Invoke` on the method's ARN with the IAM engine:
//! the caller's identity policies (AWS_IAM methods), the API's resource policy, or both, combined
//! as API Gateway's documented tables say.
//!
//! A method without IAM auth on an API without a resource policy skips the phase entirely. Every
//! denial is logged with the engine's explanation (which statements decided; never the policy
//! contents) and counted by reason.

use std::borrow::Cow;
use std::time::Instant;

use http::request::Parts;
use iam::{AuthzInput, mask_account};

use super::context::RequestCtx;
use crate::auth;
use crate::deploy::Gateway;
use crate::error::{ErrorKind, GatewayError};

pub const INVOKE: &str = "execute-api:Invoke";

/// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, the resource API
/// Gateway authorizes: the request's method and path, not the matched resource template.
pub(crate) fn method_arn(
    region: &str,
    account: &str,
    api: &str,
    stage: &str,
    method: &str,
    path: &str,
) -> String {
    let path = path.strip_prefix('/').unwrap_or(path);
    // `concat` sizes the string once; `format!` costs about as much again on every request.
    [
        "arn:aws:execute-api:",
        region,
        ":",
        account,
        ":",
        api,
        "/",
        stage,
        "/",
        method,
        "/",
        path,
    ]
    .concat()
}

/// The ARN of a routed request: its canonical method and path (see `route`).
pub(crate) fn route_arn(route: &super::context::Route) -> String {
    let api = &route.api;
    method_arn(
        &api.region,
        &api.account_id,
        &api.id,
        &route.stage().name,
        route.verb.as_str(),
        &route.resource_request_path,
    )
}

pub(crate) fn authorize(
    gw: &Gateway,
    ctx: &mut RequestCtx,
    parts: &Parts,
) -> Result<(), GatewayError> {
    let Some(route) = ctx.route.as_ref() else {
        return Ok(());
    };
    // Held (reference counts only) rather than borrowed, so that `ctx` stays free for the
    // phase's own fields.
    let caller = ctx.caller.clone();
    let caller = caller.as_ref();
    let api = route.api.clone();
    let resource_policy = api.resource_policy.as_ref();
    if caller.is_none() && resource_policy.is_none() {
        return Ok(());
    }
    let started = Instant::now();
    let stage = &api.stages[route.stage];
    let resource = route_arn(route);
    let (principal, base) = match caller {
        Some(c) => (c.principal.clone(), &*c.context),
        None => (gw.anonymous.clone(), &*gw.anonymous_context),
    };
    // The request's own keys (source IP, time, user agent…) are only built when a condition or
    // a policy variable could read them: most policies have neither.
    let reads_context = caller.is_some_and(|c| {
        c.policies.reads_request_context()
            || c.session_policies
                .as_ref()
                .is_some_and(|p| p.reads_request_context())
    }) || resource_policy.is_some_and(|p| p.policy().reads_request_context());
    let context = if reads_context {
        Cow::Owned(auth::request_context(
            base,
            parts,
            &ctx.source_ip_value,
            ctx.secure,
            &gw.shared_values,
            gw.clock.now(),
        ))
    } else {
        Cow::Borrowed(base)
    };
    let result = iam::authorize(&AuthzInput {
        principal: &principal,
        action: INVOKE,
        resource: &resource,
        context: &context,
        resource_account: &api.account_id,
        identity: caller.map(|c| &*c.policies),
        session_policies: caller.and_then(|c| c.session_policies.as_deref()),
        resource_policy,
    });
    let auth_type = if caller.is_some() { "AWS_IAM" } else { "NONE" };
    ctx.authorize.latency = Some(started.elapsed());
    if result.is_allowed() {
        ctx.authorize.status = Some(200);
        let allowed = if caller.is_some() {
            &stage.allowed_iam
        } else {
            &stage.allowed_anonymous
        };
        allowed.inc();
        return Ok(());
    }
    gw.metrics.auth_outcome(
        &api.id,
        &stage.name,
        auth_type,
        "deny",
        result.reason().label(),
    );
    tracing::info!(
        target: "portcullis::auth",
        request_id = %ctx.request_id,
        principal = principal.arn(),
        resource = %resource,
        reason = result.reason().label(),
        "access denied\n{}",
        result.explanation().for_request(&principal, INVOKE, &resource)
    );
    let message = result.deny_message(&principal, INVOKE, &mask_account(&resource));
    ctx.authorize.status = Some(403);
    ctx.authorize.error = Some(message.clone());
    Err(GatewayError::with_message(ErrorKind::AccessDenied, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_arns() {
        assert_eq!(
            method_arn("us-east-1", "123456789012", "abc", "prod", "GET", "/pets/1"),
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets/1"
        );
        assert_eq!(
            method_arn("us-east-1", "123456789012", "abc", "prod", "POST", "/"),
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/POST/"
        );
    }
}
