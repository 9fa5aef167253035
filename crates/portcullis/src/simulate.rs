//! `portcullis policy simulate`: would principal P be allowed action A on resource R with context
//! C, under the configuration's policies? Like AWS's policy simulator, it prints the decision and
//! which statements of which policies decided it.
//!
//! The resource-based policy is picked the way the gateway picks it: an `execute-api` ARN brings
//! its API's `x-amazon-apigateway-policy`, and `sts:AssumeRole` on a role ARN brings the role's
//! trust policy.

use std::sync::Arc;

use anyhow::{Context, bail};
use config::Config;
use iam::{Authorization, AuthzInput, NamedPolicy, Principal, RequestContext};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// A user name, a user or role ARN, an assumed-role session ARN, or `anonymous`.
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// Condition keys, `key=value`; a key given twice has several values.
    pub context: Vec<String>,
}

pub struct Outcome {
    pub authorization: Authorization,
    pub principal: Principal,
    /// The text the command prints.
    pub report: String,
}

fn principal(config: &Config, spec: &str) -> anyhow::Result<Principal> {
    let directory = &config.iam;
    if spec == "anonymous" || spec == "*" {
        return Ok(Principal::anonymous());
    }
    if let Some(user) = directory.user(spec) {
        return Ok((**user.principal()).clone());
    }
    if let Some(rest) = spec.strip_prefix("arn:aws:sts::") {
        // arn:aws:sts::{account}:assumed-role/{role}/{session}
        let (account, path) = rest.split_once(':').context("malformed assumed-role ARN")?;
        let mut parts = path.split('/');
        if let (Some("assumed-role"), Some(role), Some(session)) =
            (parts.next(), parts.next(), parts.next())
        {
            let role_arn = iam::role_arn(account, role);
            let role = directory
                .role(&role_arn)
                .with_context(|| format!("no role {role_arn} in the configuration"))?;
            return Ok(role.session_principal(session));
        }
        bail!("{spec:?} is not an assumed-role session ARN");
    }
    if let Some(role) = directory.role(spec) {
        // A role acts through sessions; simulate one.
        return Ok(role.session_principal("simulation"));
    }
    bail!("no user or role {spec:?} in the configuration (try a user name, an ARN, or anonymous)")
}

fn context(principal: &Principal, pairs: &[String]) -> anyhow::Result<RequestContext> {
    let mut context = RequestContext::for_principal(principal);
    context.set_current_time(time::OffsetDateTime::now_utc());
    let mut given: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("context entries are key=value, got {pair:?}"))?;
        given
            .entry(key.to_string())
            .or_default()
            .push(value.to_string());
    }
    for (key, values) in given {
        context.insert_values(&key, values);
    }
    Ok(context)
}

/// The account and API id of an `execute-api` ARN.
fn execute_api_target(resource: &str) -> Option<(&str, &str)> {
    let rest = resource.strip_prefix("arn:aws:execute-api:")?;
    let mut fields = rest.splitn(3, ':');
    let (_region, account, tail) = (fields.next()?, fields.next()?, fields.next()?);
    let api = tail.split('/').next()?;
    Some((account, api))
}

pub fn simulate(config: &Config, sim: &Simulation) -> anyhow::Result<Outcome> {
    let principal = principal(config, &sim.principal)?;
    let context = context(&principal, &sim.context)?;
    let identity = config.iam.identity_policies(&principal).cloned();
    let (resource_account, resource_policy): (String, Option<NamedPolicy>) =
        if let Some((account, api)) = execute_api_target(&sim.resource) {
            let policy = config
                .apis
                .iter()
                .find(|a| a.id == api)
                .and_then(|a| a.resource_policy.clone());
            (account.to_string(), policy)
        } else if sim.action.eq_ignore_ascii_case("sts:AssumeRole") {
            match config.iam.role(&sim.resource) {
                Some(role) => (
                    role.account().to_string(),
                    Some(role.trust_policy().clone()),
                ),
                None => bail!("no role {} in the configuration", sim.resource),
            }
        } else {
            (config.account_id.clone(), None)
        };
    let identity: Option<Arc<iam::PolicySet>> = if principal.is_anonymous() {
        None
    } else {
        identity
    };
    let input = AuthzInput {
        principal: &principal,
        action: &sim.action,
        resource: &sim.resource,
        context: &context,
        resource_account: &resource_account,
        identity: identity.as_deref(),
        session_policies: None,
        resource_policy: resource_policy.as_ref(),
    };
    // The same decision STS makes: a role's trust policy is not an ordinary resource policy.
    let authorization = if sim.action.eq_ignore_ascii_case("sts:AssumeRole") {
        iam::authorize_assume_role(&input)
    } else {
        iam::authorize(&input)
    };
    let mut report = authorization
        .explanation()
        .for_request(&principal, &sim.action, &sim.resource)
        .to_string();
    if !authorization.is_allowed() {
        report.push_str("\nDenyMessage: ");
        report.push_str(&authorization.deny_message(&principal, &sim.action, &sim.resource));
    }
    report.push('\n');
    Ok(Outcome {
        authorization,
        principal,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_api_targets() {
        assert_eq!(
            execute_api_target("arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets"),
            Some(("123456789012", "abc"))
        );
        assert_eq!(execute_api_target("arn:aws:iam::123456789012:role/R"), None);
    }
}
