//! The authorizer: identity, session and resource policies combined into one decision.
//!
//! The combination is API Gateway's ("How API Gateway resource policies affect authorization
//! workflow", Tables A and B) and IAM's ("Policy evaluation logic", "Cross-account policy
//! evaluation logic", "Session policies"):
//!
//! 1. An explicit deny in any policy wins.
//! 2. **No identity at all** (a method without IAM auth: the caller is anonymous as far as IAM
//!    goes): the resource policy must allow, naming `*` or the caller.
//! 3. **Same account** (the principal's account owns the resource) — Table A: allowed if the
//!    identity policies allow *or* the resource policy allows.
//! 4. **Cross-account** — Table B: both must allow.
//! 5. No resource policy: the identity policies decide in the same account; a caller from
//!    another account is implicitly denied (nobody in the owning account granted anything).
//!
//! Refinements, each from the IAM User Guide:
//!
//! * A resource-policy Allow that applies only through the caller's *account* (`123456789012`
//!   or `arn:aws:iam::123456789012:root`) delegates to that account's administrators: it grants
//!   nothing unless the identity policies also allow. It does satisfy the resource side of a
//!   cross-account request.
//! * Session policies (AssumeRole's `Policy`): when present, the identity side allows only if the
//!   identity policies *and* the session policies allow. A resource-policy Allow naming the role
//!   is limited by the session policies too; one naming the session itself (or `*`) is not.
//! * The account root user has every permission in its own account: its identity side allows
//!   unless something denies.
//!
//! How the gateway maps API Gateway's authorization types onto [`AuthzInput`]:
//!
//! | method authorization | `principal` | `identity` |
//! |---|---|---|
//! | `AWS_IAM` | the SigV4 caller | its identity policies (from the directory) |
//! | Lambda authorizer | [`Principal::anonymous`] | the policy the authorizer returned |
//! | Cognito user pools, or none | [`Principal::anonymous`] | `None` |
//!
//! A caller with no IAM account (anonymous, an authorizer's caller) cannot be in another
//! account: when such a caller comes with identity policies — a Lambda authorizer's, which API
//! Gateway evaluates in the API's own account — Table A applies.
//!
//! **Role trust policies are not API Gateway resource policies.** `sts:AssumeRole` is decided
//! by [`authorize_assume_role`], where the trust policy must always allow the caller (Table A's
//! "identity policies alone suffice" does not apply); see that function for its table.

use std::fmt;

use crate::arn;
use crate::context::RequestContext;
use crate::evaluate::{self, Request};
use crate::explain::{Explanation, PolicySource};
use crate::model::{Effect, PrincipalMatch};
use crate::policy_set::{NamedPolicy, PolicySet};
use crate::principal::{Principal, PrincipalKind};

/// Everything one authorization needs.
#[derive(Clone, Copy, Debug)]
pub struct AuthzInput<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The action, e.g. `execute-api:Invoke` (matched case-insensitively).
    pub action: &'a str,
    /// The resource ARN, e.g. `arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets`.
    pub resource: &'a str,
    /// Condition keys for the request.
    pub context: &'a RequestContext,
    /// The account that owns the resource.
    pub resource_account: &'a str,
    /// The caller's identity-based policies (or a Lambda authorizer's policy); `None` for a
    /// method with no IAM or Lambda authorization.
    pub identity: Option<&'a PolicySet>,
    /// Session policies, which must also allow when present.
    pub session_policies: Option<&'a PolicySet>,
    /// The resource-based policy (API Gateway resource policy, or a role's trust policy).
    pub resource_policy: Option<&'a NamedPolicy>,
}

/// The outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// A statement explicitly denies.
    ExplicitDeny,
    /// Nothing allows.
    ImplicitDeny,
}

impl Decision {
    /// The policy simulator's spelling: `allowed`, `explicitDeny`, `implicitDeny`.
    pub fn simulator_name(self) -> &'static str {
        match self {
            Decision::Allow => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// Why the decision came out as it did; `label()` is a short static string for metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Allowed.
    Allowed,
    /// An identity-based policy explicitly denies.
    ExplicitDenyIdentity,
    /// A session policy explicitly denies.
    ExplicitDenySession,
    /// The resource-based policy explicitly denies.
    ExplicitDenyResource,
    /// Same account: neither the identity policies nor the resource policy allow.
    NoIdentityAllow,
    /// The identity (or role) side allows but the session policies do not.
    NoSessionAllow,
    /// No IAM identity: the resource policy does not allow.
    NoResourceAllow,
    /// No IAM identity and no resource policy: nothing could allow.
    NoResourcePolicy,
    /// Cross-account: the resource policy allows but the identity policies do not.
    CrossAccountNoIdentityAllow,
    /// Cross-account: the identity policies allow but the resource policy does not.
    CrossAccountNoResourceAllow,
    /// Cross-account and the resource has no resource policy.
    CrossAccountNoResourcePolicy,
    /// `sts:AssumeRole`: the role's trust policy does not allow the caller (whatever the
    /// caller's identity policies say).
    NoTrustAllow,
}

impl Reason {
    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Allowed => "allowed",
            Reason::ExplicitDenyIdentity => "explicit_deny_identity",
            Reason::ExplicitDenySession => "explicit_deny_session",
            Reason::ExplicitDenyResource => "explicit_deny_resource",
            Reason::NoIdentityAllow => "no_identity_allow",
            Reason::NoSessionAllow => "no_session_allow",
            Reason::NoResourceAllow => "no_resource_allow",
            Reason::NoResourcePolicy => "no_resource_policy",
            Reason::CrossAccountNoIdentityAllow => "cross_account_no_identity_allow",
            Reason::CrossAccountNoResourceAllow => "cross_account_no_resource_allow",
            Reason::CrossAccountNoResourcePolicy => "cross_account_no_resource_policy",
            Reason::NoTrustAllow => "no_trust_allow",
        }
    }

    /// Every reason.
    pub const ALL: &'static [Reason] = &[
        Reason::Allowed,
        Reason::ExplicitDenyIdentity,
        Reason::ExplicitDenySession,
        Reason::ExplicitDenyResource,
        Reason::NoIdentityAllow,
        Reason::NoSessionAllow,
        Reason::NoResourceAllow,
        Reason::NoResourcePolicy,
        Reason::CrossAccountNoIdentityAllow,
        Reason::CrossAccountNoResourceAllow,
        Reason::CrossAccountNoResourcePolicy,
        Reason::NoTrustAllow,
    ];
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The result of [`authorize`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    explanation: Explanation,
    identity_evaluated: bool,
}

impl Authorization {
    /// The decision.
    pub fn decision(&self) -> Decision {
        self.explanation.decision
    }

    /// True if allowed.
    pub fn is_allowed(&self) -> bool {
        self.explanation.decision == Decision::Allow
    }

    /// Why.
    pub fn reason(&self) -> Reason {
        self.explanation.reason
    }

    /// Which statements applied and decided.
    pub fn explanation(&self) -> &Explanation {
        &self.explanation
    }

    /// AWS's access-denied message for this decision (empty for an Allow):
    ///
    /// * explicit deny: `User: {arn} is not authorized to perform: {action} on resource:
    ///   {resource} with an explicit deny`
    /// * same account, nothing allows: `… because no identity-based policy allows the {action}
    ///   action`; cross-account with the resource policy silent: `… because no resource-based
    ///   policy allows the {action} action`; session policy silent: `… because no session policy
    ///   allows the {action} action`; a role's trust policy silent ([`authorize_assume_role`]):
    ///   `… because no resource-based policy allows the {action} action`
    /// * no IAM identity (or an anonymous caller): `User: anonymous is not authorized to perform:
    ///   {action} on resource: {resource}`, with ` with an explicit deny` when a statement denies.
    ///
    /// The resource is printed as given; API Gateway's responses hide all but the last four
    /// digits of the account (see [`mask_account`]).
    pub fn deny_message(&self, principal: &Principal, action: &str, resource: &str) -> String {
        let who = if !self.identity_evaluated {
            "anonymous"
        } else {
            principal.display_name()
        };
        let base =
            format!("User: {who} is not authorized to perform: {action} on resource: {resource}");
        match self.explanation.decision {
            Decision::Allow => String::new(),
            Decision::ExplicitDeny => format!("{base} with an explicit deny"),
            Decision::ImplicitDeny => {
                let because = match self.explanation.reason {
                    Reason::NoIdentityAllow | Reason::CrossAccountNoIdentityAllow => {
                        "identity-based policy"
                    }
                    Reason::NoSessionAllow => "session policy",
                    Reason::CrossAccountNoResourceAllow
                    | Reason::CrossAccountNoResourcePolicy
                    | Reason::NoTrustAllow => "resource-based policy",
                    _ => return base,
                };
                if principal.is_anonymous() {
                    return base;
                }
                format!("{base} because no {because} allows the {action} action")
            }
        }
    }
}

/// Hides the account id of an ARN the way API Gateway's error messages do:
/// `arn:aws:execute-api:us-east-1:********9012:abc123/prod/GET/`.
pub fn mask_account(resource: &str) -> String {
    match arn::split(resource) {
        Some([a, p, s, r, acct, res]) if acct.len() > 4 => {
            let tail = acct.get(acct.len() - 4..).unwrap_or("");
            format!("{a}:{p}:{s}:{r}:{}{tail}:{res}", "*".repeat(acct.len() - 4))
        }
        _ => resource.to_owned(),
    }
}

/// What the policies said, before combining.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    pub(crate) identity_present: bool,
    pub(crate) id_allow: bool,
    pub(crate) id_deny: bool,
    pub(crate) session_present: bool,
    pub(crate) session_allow: bool,
    pub(crate) session_deny: bool,
    pub(crate) resource_present: bool,
    pub(crate) resource_allow: Option<PrincipalMatch>,
    pub(crate) resource_deny: bool,
    pub(crate) same_account: bool,
}

/// Which sides granted an Allow (for marking decisive statements).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Grants {
    pub(crate) identity: bool,
    pub(crate) resource: bool,
}

/// An explicit Deny in any policy decides before anything else, in both tables.
fn explicit_deny(f: Facts) -> Option<(Decision, Reason, Grants)> {
    let reason = if f.id_deny {
        Reason::ExplicitDenyIdentity
    } else if f.session_deny {
        Reason::ExplicitDenySession
    } else if f.resource_deny {
        Reason::ExplicitDenyResource
    } else {
        return None;
    };
    Some((Decision::ExplicitDeny, reason, Grants::default()))
}

/// The decision tables. Pure; the unit tests walk every cell.
pub(crate) fn decide(f: Facts) -> (Decision, Reason, Grants) {
    use Decision::*;
    use Reason::*;
    let none = Grants::default();
    if let Some(denied) = explicit_deny(f) {
        return denied;
    }
    let session_ok = !f.session_present || f.session_allow;
    // What the resource policy grants on its own (not merely delegated to the account).
    let resource_direct = match f.resource_allow {
        Some(PrincipalMatch::Own | PrincipalMatch::Wildcard) => true,
        Some(PrincipalMatch::Role) => session_ok,
        Some(PrincipalMatch::Account) | None => false,
    };
    if !f.identity_present {
        return match (f.resource_present, resource_direct) {
            (false, _) => (ImplicitDeny, NoResourcePolicy, none),
            (true, true) => (
                Allow,
                Allowed,
                Grants {
                    identity: false,
                    resource: true,
                },
            ),
            (true, false) => (ImplicitDeny, NoResourceAllow, none),
        };
    }
    let identity_ok = f.id_allow && session_ok;
    let blocked_by_session =
        !session_ok && (f.id_allow || f.resource_allow == Some(PrincipalMatch::Role));
    match (f.resource_present, f.same_account) {
        (false, true) if identity_ok => (
            Allow,
            Allowed,
            Grants {
                identity: true,
                resource: false,
            },
        ),
        (false, true) if blocked_by_session => (ImplicitDeny, NoSessionAllow, none),
        (false, true) => (ImplicitDeny, NoIdentityAllow, none),
        (false, false) => (ImplicitDeny, CrossAccountNoResourcePolicy, none),
        (true, true) if identity_ok || resource_direct => (
            Allow,
            Allowed,
            Grants {
                identity: identity_ok,
                resource: resource_direct,
            },
        ),
        (true, true) if blocked_by_session => (ImplicitDeny, NoSessionAllow, none),
        (true, true) => (ImplicitDeny, NoIdentityAllow, none),
        (true, false) => match (identity_ok, f.resource_allow.is_some()) {
            (true, true) => (
                Allow,
                Allowed,
                Grants {
                    identity: true,
                    resource: true,
                },
            ),
            (true, false) => (ImplicitDeny, CrossAccountNoResourceAllow, none),
            (false, _) if f.id_allow => (ImplicitDeny, NoSessionAllow, none),
            (false, _) => (ImplicitDeny, CrossAccountNoIdentityAllow, none),
        },
    }
}

/// Evaluates the request against each policy source it names: identity, session, resource (or
/// trust) policy, recording matches in `expl`.
fn evaluate_sources(
    input: &AuthzInput<'_>,
    expl: &mut Explanation,
) -> (
    Option<evaluate::Tally>,
    Option<evaluate::Tally>,
    Option<evaluate::ResourceTally>,
) {
    let mut buf = [0u8; 64];
    let action_lc = lowercase(input.action, &mut buf);
    let req = Request {
        principal: input.principal,
        action_lc: &action_lc,
        resource: input.resource,
        arn: arn::split(input.resource),
        ctx: input.context,
    };
    let id = input
        .identity
        .map(|s| evaluate::eval_set(s, &req, PolicySource::Identity, expl));
    let session = input
        .session_policies
        .map(|s| evaluate::eval_set(s, &req, PolicySource::Session, expl));
    let resource = input
        .resource_policy
        .map(|p| evaluate::eval_resource(p, &req, expl));
    (id, session, resource)
}

/// Authorizes one request.
pub fn authorize(input: &AuthzInput<'_>) -> Authorization {
    let mut expl = Explanation::new();
    let (id, session, resource) = evaluate_sources(input, &mut expl);

    let account = input.principal.account();
    let is_root = matches!(input.principal.kind(), PrincipalKind::Account);
    let root_allow = is_root && id.is_some();
    let facts = Facts {
        identity_present: id.is_some(),
        id_allow: id.is_some_and(|t| t.allow) || root_allow,
        id_deny: id.is_some_and(|t| t.deny),
        session_present: session.is_some(),
        session_allow: session.is_some_and(|t| t.allow),
        session_deny: session.is_some_and(|t| t.deny),
        resource_present: resource.is_some(),
        resource_allow: resource.and_then(|t| t.allow),
        resource_deny: resource.is_some_and(|t| t.deny),
        // No IAM account means an authorizer's caller, judged in the API's own account.
        same_account: if account.is_empty() {
            id.is_some()
        } else {
            account == input.resource_account
        },
    };
    let (decision, reason, grants) = decide(facts);
    expl.decision = decision;
    expl.reason = reason;
    let session_ok = !facts.session_present || facts.session_allow;
    mark_decisive(&mut expl, decision, grants, |named| match named {
        Some(PrincipalMatch::Own | PrincipalMatch::Wildcard) => true,
        Some(PrincipalMatch::Role) => session_ok,
        // Delegation counts where it is what the cross-account table needs.
        Some(PrincipalMatch::Account) => !facts.same_account,
        None => false,
    });
    if root_allow && decision == Decision::Allow && grants.identity {
        expl.notes
            .push("the account root user has every identity-based permission");
    }
    if decision != Decision::Allow
        && facts.resource_allow == Some(PrincipalMatch::Account)
        && facts.same_account
    {
        expl.notes.push(
            "the resource policy allows only through the caller's account principal, which delegates to identity-based policies",
        );
    }
    Authorization {
        explanation: expl,
        identity_evaluated: id.is_some(),
    }
}

/// The `sts:AssumeRole` table. Pure; the unit tests walk every cell.
///
/// `resource_allow` is the trust policy's strongest applying Allow, `identity_present` whether
/// the caller is an IAM principal (users, role sessions, the root user, federated users).
pub(crate) fn decide_assume_role(f: Facts) -> (Decision, Reason, Grants) {
    use Decision::*;
    use Reason::*;
    let none = Grants::default();
    if let Some(denied) = explicit_deny(f) {
        return denied;
    }
    // The trust policy must allow, always.
    let Some(trust) = f.resource_allow else {
        return (ImplicitDeny, NoTrustAllow, none);
    };
    let trust_only = Grants {
        identity: false,
        resource: true,
    };
    let both = Grants {
        identity: true,
        resource: true,
    };
    if !f.identity_present {
        // A service or web-identity principal: no IAM identity side, the trust policy decides,
        // but only by naming the caller (or everyone).
        return match trust {
            PrincipalMatch::Own | PrincipalMatch::Wildcard => (Allow, Allowed, trust_only),
            PrincipalMatch::Role | PrincipalMatch::Account => (ImplicitDeny, NoTrustAllow, none),
        };
    }
    let session_ok = !f.session_present || f.session_allow;
    let identity_ok = f.id_allow && session_ok;
    if !f.same_account {
        // Cross-account: the caller's own account must allow too, whatever the trust names.
        return if identity_ok {
            (Allow, Allowed, both)
        } else if f.id_allow {
            (ImplicitDeny, NoSessionAllow, none)
        } else {
            (ImplicitDeny, CrossAccountNoIdentityAllow, none)
        };
    }
    match trust {
        // Naming the caller's ARN (or everyone) grants by itself; session policies do not limit
        // a grant to the session's own ARN ("Session policies").
        PrincipalMatch::Own | PrincipalMatch::Wildcard => (Allow, Allowed, trust_only),
        // Naming the caller's role grants to every session, within its session policies.
        PrincipalMatch::Role if session_ok => (Allow, Allowed, trust_only),
        PrincipalMatch::Role => (ImplicitDeny, NoSessionAllow, none),
        // Naming the account delegates to the account's IAM policies.
        PrincipalMatch::Account if identity_ok => (Allow, Allowed, both),
        PrincipalMatch::Account if f.id_allow => (ImplicitDeny, NoSessionAllow, none),
        PrincipalMatch::Account => (ImplicitDeny, NoIdentityAllow, none),
    }
}

/// Authorizes `sts:AssumeRole`: may `input.principal` assume the role `input.resource`, owned
/// by `input.resource_account`, whose trust policy is `input.resource_policy`?
///
/// A role's trust policy is **not** combined like an API Gateway resource policy: it must
/// itself allow the caller, always. IAM User Guide: "Policy evaluation logic" ("For most
/// resources, you only need an explicit allow … in either an identity-based policy or a
/// resource-based policy … IAM role trust policies and KMS key policies are exceptions to this
/// logic, because they must explicitly allow access for principals"); "IAM JSON policy
/// elements: Principal", *AWS account principals* (naming an account "delegates authority to
/// the account"; the `:root` ARN and the bare id "behave the same way"); "Cross-account policy
/// evaluation logic" (both accounts' evaluations must allow); "Policy evaluation logic" on
/// resource-based policies naming a role (limited by session policies) or a role session (not
/// limited). Then:
///
/// | caller | trust policy's Allow names | identity policies (and session policies) | result |
/// |---|---|---|---|
/// | any | nothing applies (another principal, a condition fails) | anything | denied (`no_trust_allow`) |
/// | same account | the caller's ARN, or `*` | not needed | allowed |
/// | same account, role session | the session's role (role chaining) | session policies must allow, when present | allowed / `no_session_allow` |
/// | same account | only the account (`arn:aws:iam::ACCOUNT:root`, `"ACCOUNT"`) | must allow `sts:AssumeRole` on the role | allowed / `no_identity_allow` |
/// | other account | anything that applies | must allow | allowed / `cross_account_no_identity_allow` |
/// | any | — | an explicit Deny in identity, session or trust policy | denied (`explicit_deny_*`) |
///
/// Trust-policy conditions (`sts:ExternalId`, `aws:SourceIp`, …) are evaluated against
/// `input.context`; a statement whose condition fails does not apply. The account root user has
/// every identity-based permission in its own account. Service and web-identity principals
/// have no identity side: the trust policy must name them. `None` for `resource_policy` (no
/// trust policy) allows nothing.
pub fn authorize_assume_role(input: &AuthzInput<'_>) -> Authorization {
    let mut expl = Explanation::new();
    let (id, session, trust) = evaluate_sources(input, &mut expl);

    let account = input.principal.account();
    let is_root = matches!(input.principal.kind(), PrincipalKind::Account);
    let anonymous = input.principal.is_anonymous();
    let facts = Facts {
        // Every principal with an account is an IAM principal with an identity side (empty
        // when it has no policies).
        identity_present: !account.is_empty(),
        id_allow: id.is_some_and(|t| t.allow) || is_root,
        id_deny: id.is_some_and(|t| t.deny),
        session_present: session.is_some(),
        session_allow: session.is_some_and(|t| t.allow),
        session_deny: session.is_some_and(|t| t.deny),
        resource_present: trust.is_some(),
        // STS refuses unsigned callers; a trust policy naming `*` does not change that.
        resource_allow: trust.and_then(|t| t.allow).filter(|_| !anonymous),
        resource_deny: trust.is_some_and(|t| t.deny),
        same_account: !account.is_empty() && account == input.resource_account,
    };
    let (decision, reason, grants) = decide_assume_role(facts);
    expl.decision = decision;
    expl.reason = reason;
    // The trust statements that decided are those naming the caller the way the table used.
    mark_decisive(&mut expl, decision, grants, |named| {
        named == facts.resource_allow
    });
    if is_root && decision == Decision::Allow && grants.identity {
        expl.notes
            .push("the account root user has every identity-based permission");
    }
    if decision == Decision::ImplicitDeny {
        match reason {
            Reason::NoTrustAllow if facts.id_allow && !is_root => expl.notes.push(
                "identity-based policies allow, but a role can be assumed only by a principal its trust policy allows",
            ),
            Reason::NoIdentityAllow => expl.notes.push(
                "the trust policy allows only through the caller's account principal, which delegates to identity-based policies: they must allow sts:AssumeRole on the role too",
            ),
            Reason::CrossAccountNoIdentityAllow => expl.notes.push(
                "a caller from another account needs both the trust policy and its own identity-based policies to allow",
            ),
            _ => {}
        }
    }
    Authorization {
        explanation: expl,
        identity_evaluated: !anonymous,
    }
}

/// Lowercases the action the way patterns were lowercased at parse time, on the stack for the
/// usual short ASCII names.
fn lowercase<'b>(action: &'b str, buf: &'b mut [u8; 64]) -> std::borrow::Cow<'b, str> {
    use std::borrow::Cow;
    if !action.is_ascii() {
        return Cow::Owned(action.to_lowercase());
    }
    if !action.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(action);
    }
    match buf.get_mut(..action.len()) {
        Some(out) => {
            for (o, b) in out.iter_mut().zip(action.bytes()) {
                *o = b.to_ascii_lowercase();
            }
            // ASCII in, ASCII out: always valid UTF-8.
            match std::str::from_utf8(out) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(action.to_ascii_lowercase()),
            }
        }
        None => Cow::Owned(action.to_ascii_lowercase()),
    }
}

/// Marks the statements that decided: every Deny of a denial; for an Allow, the identity and
/// session statements when that side granted, and the resource (trust) statements the table's
/// `resource_statement_decides` accepts, by how they named the caller.
fn mark_decisive(
    expl: &mut Explanation,
    decision: Decision,
    grants: Grants,
    resource_statement_decides: impl Fn(Option<PrincipalMatch>) -> bool,
) {
    for m in expl.matched.iter_mut() {
        m.decisive = match (decision, m.effect) {
            (Decision::ExplicitDeny, Effect::Deny) => true,
            (Decision::Allow, Effect::Allow) => match m.source {
                PolicySource::Identity | PolicySource::Session => grants.identity,
                PolicySource::Resource => {
                    grants.resource && resource_statement_decides(m.principal_match)
                }
            },
            _ => false,
        };
    }
}

#[cfg(test)]
mod tests;
