//! Phase: authorize. Evaluates `execute-api:Invoke` on the method's ARN with the IAM engine, as
//! "How API Gateway resource policies affect authorization workflow" (API Gateway developer
//! guide) lays out, by the caller's identity and whether the API has a resource policy:
//!
//! | identity | no resource policy | resource policy |
//! |---|---|---|
//! | anonymous (authorization `NONE`) | allowed, nothing evaluated | the policy alone must allow |
//! | IAM caller | identity (and session) policies | table A (same account) / table B (cross account) |
//! | token claims (Cognito, JWT) | allowed: the authorizer decided | the policy alone must allow |
//! | Lambda authorizer result | its policy must allow | table A, its policy as the identity policy; before the authorizer is called, the anonymous row's evaluation: an explicit deny refuses at once |
//!
//! [`subject`] is that table; `tests/authorization_flow.tsv` holds AWS's outcome for each cell.
//! Every denial is logged with the engine's explanation (which statements decided; never the
//! policy contents) and counted by reason.

use std::borrow::Cow;
use std::time::Instant;

use iam::{
    Authorization, AuthzInput, NamedPolicy, PolicySet, Principal, RequestContext, mask_account,
};

use super::context::Route;
use super::identity::Identity;
use super::{Exchange, Flow, Phase};
use crate::auth;
use crate::deploy::Deployment;
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

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

/// Who is evaluated, with which identity-based policies: one row of the module's table.
pub(crate) struct Subject<'a> {
    pub principal: &'a Principal,
    /// The condition keys the principal implies.
    pub context: &'a RequestContext,
    pub identity: Option<&'a PolicySet>,
    pub session: Option<&'a PolicySet>,
}

/// The table: what authorization evaluates for `identity`, or `None` when nothing needs
/// evaluating (no policy applies, or an authorizer already decided and no resource policy
/// narrows it).
pub(crate) fn subject<'a>(
    identity: &'a Identity,
    anonymous: &'a Principal,
    anonymous_context: &'a RequestContext,
    resource_policy: Option<&NamedPolicy>,
) -> Option<Subject<'a>> {
    let has_resource_policy = resource_policy.is_some();
    let anonymous = |identity| Subject {
        principal: anonymous,
        context: anonymous_context,
        identity,
        session: None,
    };
    match identity {
        Identity::Anonymous | Identity::Claims(_) => has_resource_policy.then(|| anonymous(None)),
        Identity::Iam(caller) => Some(Subject {
            principal: &caller.principal,
            context: &caller.context,
            identity: Some(&caller.policies),
            session: caller.session_policies.as_deref(),
        }),
        // The authorizer's caller has no IAM account: the engine judges its policy in the API's
        // own account (table A).
        Identity::Authorizer(result) => Some(anonymous(Some(&result.policy))),
    }
}

/// `action` (`execute-api:Invoke`, `execute-api:InvalidateCache`) on `resource` for `subject`,
/// with the condition keys in `context`.
pub(crate) fn decide(
    subject: &Subject<'_>,
    action: &str,
    context: &RequestContext,
    resource: &str,
    resource_account: &str,
    resource_policy: Option<&NamedPolicy>,
) -> Authorization {
    iam::authorize(&AuthzInput {
        principal: subject.principal,
        action,
        resource,
        context,
        resource_account,
        identity: subject.identity,
        session_policies: subject.session,
        resource_policy,
    })
}

pub(crate) struct Authorize;

impl Phase for Authorize {
    const NAME: &'static str = "authorize";

    async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        authorize(svc, exchange).map(|()| Flow::Continue)
    }
}

/// One evaluation of `execute-api:Invoke` for `identity` on the routed request.
struct Evaluated<'a> {
    subject: Subject<'a>,
    /// The condition keys it was evaluated with.
    context: Cow<'a, RequestContext>,
    result: Authorization,
    resource: String,
}

/// Evaluates the table's row for `identity`; `None` when nothing needs evaluating.
fn evaluate<'a>(
    svc: &Services,
    deployment: &'a Deployment,
    route: &'a Route,
    identity: &'a Identity,
    parts: &http::request::Parts,
    source_ip: &iam::ContextValue,
    secure: bool,
) -> Option<Evaluated<'a>> {
    let api = &route.api;
    let resource_policy = api.resource_policy.as_ref();
    let subject = subject(
        identity,
        &deployment.anonymous,
        &deployment.anonymous_context,
        resource_policy,
    )?;
    let resource = route_arn(route);
    // The request's own keys (source IP, time, user agent…) are only built when a condition or
    // a policy variable could read them: most policies have neither.
    let reads_context = subject
        .identity
        .is_some_and(PolicySet::reads_request_context)
        || subject
            .session
            .is_some_and(PolicySet::reads_request_context)
        || resource_policy.is_some_and(|p| p.policy().reads_request_context());
    let context = if reads_context {
        Cow::Owned(auth::request_context(
            subject.context,
            parts,
            source_ip,
            secure,
            &deployment.shared_values,
            svc.clock.now(),
        ))
    } else {
        Cow::Borrowed(subject.context)
    };
    let result = decide(
        &subject,
        INVOKE,
        &context,
        &resource,
        &api.account_id,
        resource_policy,
    );
    Some(Evaluated {
        subject,
        context,
        result,
        resource,
    })
}

/// The caller's words for a denial. For a Lambda authorizer's caller, when the authorizer's own
/// policy refuses, API Gateway's: `User is not authorized to access this resource` (with an
/// explicit deny, `… with an explicit deny`); otherwise — IAM callers, resource policies — the
/// IAM engine's `User: … is not authorized to perform: …`.
fn deny_message(evaluated: &Evaluated<'_>, route: &Route, identity: &Identity) -> String {
    // Which policy refused: the authorizer's is judged alone too, only on the way to a denial.
    if let Identity::Authorizer(_) = identity {
        let alone = decide(
            &evaluated.subject,
            INVOKE,
            &evaluated.context,
            &evaluated.resource,
            &route.api.account_id,
            None,
        );
        match alone.decision() {
            iam::Decision::ExplicitDeny => {
                return "User is not authorized to access this resource with an explicit deny"
                    .into();
            }
            iam::Decision::ImplicitDeny => {
                return "User is not authorized to access this resource".into();
            }
            iam::Decision::Allow => {}
        }
    }
    evaluated.result.deny_message(
        evaluated.subject.principal,
        INVOKE,
        &mask_account(&evaluated.resource),
    )
}

fn authorize(svc: &Services, exchange: &mut Exchange) -> Result<(), GatewayError> {
    let deployment = &exchange.deployment;
    // A plain `&mut RequestCtx`: the route and the identity are read in place while the phase's
    // own fields (`ctx.authorize`) are written, with nothing cloned.
    let ctx = &mut *exchange.ctx;
    let Some(route) = ctx.route.as_ref() else {
        return Ok(());
    };
    let started = Instant::now();
    let Some(evaluated) = evaluate(
        svc,
        deployment,
        route,
        &ctx.identity,
        &exchange.parts,
        &ctx.source_ip_value,
        ctx.secure,
    ) else {
        return Ok(());
    };
    let api = &route.api;
    let auth_type = route
        .method()
        .map_or(restapi::AuthType::None, |m| m.authorizer.auth_type());
    let stage = route.stage();
    ctx.authorize.latency = Some(started.elapsed());
    let result = &evaluated.result;
    if result.is_allowed() {
        ctx.authorize.status = Some(200);
        stage.allowed(auth_type).inc();
        return Ok(());
    }
    let principal = evaluated.subject.principal;
    let resource = &evaluated.resource;
    svc.metrics.auth_outcome(
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
        result.explanation().for_request(principal, INVOKE, resource)
    );
    let message = deny_message(&evaluated, route, &ctx.identity);
    ctx.authorize.status = Some(403);
    ctx.authorize.error = Some(message.clone());
    Err(GatewayError::with_message(ErrorKind::AccessDenied, message))
}

/// The check before a Lambda authorizer is called (the table's `lambda-pre` row): with a
/// resource policy, the anonymous caller's evaluation; an explicit deny refuses at once, without
/// invoking the function, anything else goes on to the authorizer.
pub(crate) fn deny_before_authorizer(
    svc: &Services,
    exchange: &Exchange,
) -> Result<(), GatewayError> {
    let ctx = &*exchange.ctx;
    let Some(route) = ctx.route.as_ref() else {
        return Ok(());
    };
    let Some(evaluated) = evaluate(
        svc,
        &exchange.deployment,
        route,
        &Identity::Anonymous,
        &exchange.parts,
        &ctx.source_ip_value,
        ctx.secure,
    ) else {
        return Ok(());
    };
    if evaluated.result.decision() != iam::Decision::ExplicitDeny {
        return Ok(());
    }
    let api = &route.api;
    svc.metrics.auth_outcome(
        &api.id,
        &route.stage().name,
        restapi::AuthType::Custom,
        "deny",
        evaluated.result.reason().label(),
    );
    let message = deny_message(&evaluated, route, &Identity::Anonymous);
    Err(GatewayError::with_message(ErrorKind::AccessDenied, message))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use iam::{Decision, ParseOptions, Policy};

    use super::*;
    use crate::auth::Caller;
    use crate::pipeline::identity::{AuthorizerResult, Claims};

    const API_ACCOUNT: &str = "123456789012";
    const OTHER_ACCOUNT: &str = "999999999999";
    const RESOURCE: &str = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets";

    fn statement(effect: &str, action: &str, principal: bool) -> String {
        let principal = if principal {
            r#""Principal": "*","#
        } else {
            ""
        };
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "{effect}", {principal} "Action": "{action}", "Resource": "*"}}]}}"#
        )
    }

    /// `allow`, `deny`, `silent` (about another action) as a policy; `None` for `-`/`absent`.
    fn policy(cell: &str, resource: bool) -> Option<Policy> {
        let text = match cell {
            "allow" => statement("Allow", INVOKE, resource),
            "deny" => statement("Deny", INVOKE, resource),
            "silent" => statement("Allow", "execute-api:ManageConnections", resource),
            "-" | "absent" => return None,
            other => panic!("unknown policy cell {other:?}"),
        };
        let options = if resource {
            ParseOptions::resource(None)
        } else {
            ParseOptions::identity()
        };
        Some(Policy::from_json_str(&text, &options).expect("policy parses"))
    }

    fn policy_set(policy: Option<Policy>) -> Arc<PolicySet> {
        Arc::new(PolicySet::new(
            policy.map(|p| NamedPolicy::new("identity policy", p)),
        ))
    }

    fn identity(kind: &str, identity_policy: Option<Policy>, account: &str) -> Identity {
        match kind {
            "anonymous" | "lambda-pre" => Identity::Anonymous,
            "claims" => Identity::Claims(Arc::new(Claims::default())),
            "iam" => {
                let account = if account == "cross" {
                    OTHER_ACCOUNT
                } else {
                    API_ACCOUNT
                };
                let principal = Principal::user(account, "alice");
                Identity::Iam(Caller {
                    context: Arc::new(RequestContext::for_principal(&principal)),
                    principal: Arc::new(principal),
                    access_key_id: "AKIDEXAMPLE".into(),
                    policies: policy_set(identity_policy),
                    session_policies: None,
                    web_identity: None,
                    session_tags: None,
                })
            }
            "authorizer" => Identity::Authorizer(Arc::new(AuthorizerResult {
                principal_id: "user-1".into(),
                policy: policy_set(identity_policy),
                context: BTreeMap::new(),
                usage_identifier_key: None,
            })),
            other => panic!("unknown identity {other:?}"),
        }
    }

    /// The outcome the gateway reaches for one cell, in the table's words.
    fn outcome(kind: &str, identity: &Identity, resource_policy: Option<&NamedPolicy>) -> String {
        let anonymous = Principal::anonymous();
        let anonymous_context = RequestContext::for_principal(&anonymous);
        let Some(subject) = subject(identity, &anonymous, &anonymous_context, resource_policy)
        else {
            return if kind == "lambda-pre" {
                "proceed"
            } else {
                "allow"
            }
            .into();
        };
        let result = decide(
            &subject,
            INVOKE,
            subject.context,
            RESOURCE,
            API_ACCOUNT,
            resource_policy,
        );
        match (kind, result.decision()) {
            ("lambda-pre", Decision::ExplicitDeny) => "explicit_deny",
            ("lambda-pre", _) => "proceed",
            (_, Decision::Allow) => "allow",
            (_, Decision::ExplicitDeny) => "explicit_deny",
            (_, Decision::ImplicitDeny) => "implicit_deny",
        }
        .into()
    }

    /// Every cell of AWS's authorization flows and outcome tables, one row each in
    /// `tests/data/authorization_flow.tsv`, including the identity kinds no authorizer produces
    /// yet (driven here with synthetic identities).
    #[test]
    fn every_cell_of_the_flow() {
        let table = include_str!("../../tests/data/authorization_flow.tsv");
        let mut rows = 0;
        let mut failures = Vec::new();
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let cells: Vec<&str> = line.split('\t').collect();
            let [kind, identity_policy, resource_policy, account, expected] = cells[..] else {
                panic!("malformed row {line:?}");
            };
            let resource_policy =
                policy(resource_policy, true).map(|p| NamedPolicy::new("resource policy", p));
            let identity = identity(kind, policy(identity_policy, false), account);
            let got = outcome(kind, &identity, resource_policy.as_ref());
            if got != expected {
                failures.push(format!("{line:?}: got {got}"));
            }
            rows += 1;
        }
        assert_eq!(rows, 48, "the table has one row per cell");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

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
