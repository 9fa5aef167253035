//! Statement evaluation over the indexed policies.
//!
//! For one request this module answers, per kind of policy, "does any statement explicitly deny,
//! does any allow, and (for a resource policy) through which principal match" — recording each
//! statement that applied in the explanation. Combining those answers into a decision is the
//! authorizer's job.
//!
//! A statement applies when its action, principal (resource policies), resource and conditions
//! all match ("Policy evaluation logic", IAM User Guide). They are checked cheapest first: the
//! index has already filtered by action, principals are a few string comparisons, resources a
//! few globs, and conditions last.

use smallvec::SmallVec;

use crate::context::RequestContext;
use crate::explain::{Explanation, MatchedStatement, PolicySource};
use crate::index::Candidates;
use crate::model::{Effect, PrincipalMatch, Statement};
use crate::policy_set::{NamedPolicy, PolicySet, StmtRef};
use crate::principal::Principal;

/// The request as the evaluator sees it: the action lowercased and the resource split once.
pub(crate) struct Request<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) action_lc: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) arn: Option<[&'a str; 6]>,
    pub(crate) ctx: &'a RequestContext,
}

/// What a set of identity or session policies says.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    pub(crate) allow: bool,
    pub(crate) deny: bool,
}

/// What a resource policy says; `allow` is the strongest principal match of an applying Allow.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ResourceTally {
    pub(crate) allow: Option<PrincipalMatch>,
    pub(crate) deny: bool,
}

fn action_ok(stmt: &Statement, req: &Request<'_>) -> bool {
    // Candidates from the index already match unless they are `NotAction` statements.
    !stmt.action.negated || stmt.action.matches(req.action_lc)
}

fn record(
    expl: &mut Explanation,
    source: PolicySource,
    policy: &NamedPolicy,
    index: u32,
    stmt: &Statement,
    principal_match: Option<PrincipalMatch>,
) {
    expl.matched.push(MatchedStatement {
        source,
        policy: policy.name_arc().clone(),
        index: index as usize,
        sid: stmt.sid_arc(),
        effect: stmt.effect,
        principal_match,
        decisive: false,
    });
}

/// Evaluates identity-based (or session) policies.
pub(crate) fn eval_set(
    set: &PolicySet,
    req: &Request<'_>,
    source: PolicySource,
    expl: &mut Explanation,
) -> Tally {
    let mut cands: Candidates<StmtRef> = SmallVec::new();
    set.index.candidates(req.action_lc, &mut cands);
    let mut tally = Tally::default();
    for r in cands {
        let Some(named) = set.policies().get(r.policy as usize) else {
            continue;
        };
        let Some(stmt) = named.policy().statements.get(r.stmt as usize) else {
            continue;
        };
        if !action_ok(stmt, req) {
            continue;
        }
        // Identity policies have no Principal; should a resource-style policy be attached to an
        // identity anyway, its Principal still has to match.
        let pm = match &stmt.principal {
            Some(p) => match p.matches(req.principal) {
                Some(m) => Some(m),
                None => continue,
            },
            None => None,
        };
        if !stmt.resource_and_conditions_hold(req.resource, req.arn.as_ref(), req.ctx) {
            continue;
        }
        match stmt.effect {
            Effect::Allow => tally.allow = true,
            Effect::Deny => tally.deny = true,
        }
        record(expl, source, named, r.stmt, stmt, pm);
    }
    tally
}

/// Evaluates a resource-based policy (or a role's trust policy). A statement without a
/// `Principal` never applies here: a resource policy must say whom it is for.
pub(crate) fn eval_resource(
    policy: &NamedPolicy,
    req: &Request<'_>,
    expl: &mut Explanation,
) -> ResourceTally {
    let mut cands: Candidates<u32> = SmallVec::new();
    policy.policy().index.candidates(req.action_lc, &mut cands);
    let mut tally = ResourceTally::default();
    for i in cands {
        let Some(stmt) = policy.policy().statements.get(i as usize) else {
            continue;
        };
        if !action_ok(stmt, req) {
            continue;
        }
        let Some(pm) = stmt
            .principal
            .as_ref()
            .and_then(|p| p.matches(req.principal))
        else {
            continue;
        };
        if !stmt.resource_and_conditions_hold(req.resource, req.arn.as_ref(), req.ctx) {
            continue;
        }
        match stmt.effect {
            Effect::Allow => tally.allow = tally.allow.max(Some(pm)),
            Effect::Deny => tally.deny = true,
        }
        record(expl, PolicySource::Resource, policy, i, stmt, Some(pm));
    }
    tally
}
