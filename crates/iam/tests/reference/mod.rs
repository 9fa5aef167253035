//! A small, obviously-correct reference evaluator, written from the AWS documents and nothing
//! else: no index, no compiled patterns, no shared code with the engine beyond reading the
//! parsed model's text. Matching is naive backtracking; dates, numbers and CIDRs are parsed
//! here with the simplest code that covers the generated inputs.
//!
//! The differential tests check that the real engine agrees with it.
//!
//! The rules it encodes, each quoted from the IAM User Guide where it is implemented:
//!
//! * "Policy variables with no value" ("IAM policy elements: Variables and tags"): such a
//!   variable's value "is effectively null. There is no equal or like value"; positive
//!   operators do not match, "Inverted condition operators like `StringNotEquals` or
//!   `StringNotLike` do match against a null value"; in `Resource`/`NotResource` "the resource
//!   that includes a policy variable with no value will not match any resource".
//! * "Set operators for multivalued context keys": `ForAnyValue` — "For no matching context key
//!   or a null dataset, the condition returns false"; `ForAllValues` — "returns true if there
//!   are no keys in the request". "…IfExists condition operators": "If the key is not present,
//!   evaluate the condition element as true" — for the single-valued test; it does not make an
//!   empty `ForAnyValue` set match.
//! * Role trust policies: "Policy evaluation logic" (they "must explicitly allow access for
//!   principals"), "IAM JSON policy elements: Principal" (an account principal "delegates
//!   authority to the account"), "Cross-account policy evaluation logic" (both accounts'
//!   evaluations must allow).
//!
//! [`Quirks`] switches on readings that the documents do not support, so that the tests can
//! prove the generators produce cases where those readings decide differently (and would have
//! been caught).

use iam::{
    AuthzInput, Decision, Effect, NamedPolicy, Operator, Policy, PolicySet, PolicySource,
    Principal, PrincipalKind, SetQualifier, Statement,
};

/// Alternative, undocumented semantics, off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// The mistake the engine and this reference once shared: `…IfExists` made a
    /// `ForAnyValue:` condition true on an absent key.
    pub if_exists_rescues_for_any_value: bool,
    /// A stricter reading of "If AWS cannot resolve a variable, this might cause the entire
    /// statement to be invalid": any unresolvable variable in the statement's resource or
    /// condition values voids the statement, even under negated operators and `NotResource`.
    /// The "Policy variables with no value" section says otherwise.
    pub unresolved_variable_voids_statement: bool,
}

// ---- wildcards -----------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tok {
    Star,
    One,
    Ch(char),
}

pub fn pattern(text: &str) -> Vec<Tok> {
    text.chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Ch(c),
        })
        .collect()
}

/// Textbook backtracking glob: exponential in the worst case, fine for short inputs.
pub fn glob(p: &[Tok], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some((Tok::Star, rest)) => (0..=t.len()).any(|i| glob(rest, &t[i..])),
        Some((Tok::One, rest)) => !t.is_empty() && glob(rest, &t[1..]),
        Some((Tok::Ch(c), rest)) => t.first() == Some(c) && glob(rest, &t[1..]),
    }
}

pub fn glob_str(p: &[Tok], t: &str) -> bool {
    glob(p, &t.chars().collect::<Vec<_>>())
}

// ---- policy variables ------------------------------------------------------------------------

/// Substitutes `${…}` (when `enabled`): variables and escapes become literal characters, the
/// rest of the text keeps its wildcards. `None` if a variable has no value and no default.
pub fn substitute(text: &str, ctx: &iam::RequestContext, enabled: bool) -> Option<Vec<Tok>> {
    if !enabled {
        return Some(pattern(text));
    }
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let Some(start) = rest.find("${") else {
            out.extend(pattern(rest));
            return Some(out);
        };
        out.extend(pattern(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.extend(pattern(&rest[start..]));
            return Some(out);
        };
        let inner = &after[..end];
        let value: String = match inner {
            "*" | "?" | "$" => inner.to_string(),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_string())),
                    None => (inner.trim(), None),
                };
                match ctx.get(key) {
                    Some([v]) => v.as_str().to_string(),
                    _ => default?,
                }
            }
        };
        out.extend(value.chars().map(Tok::Ch));
        rest = &after[end + 1..];
    }
}

fn literal(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Star => '*',
            Tok::One => '?',
            Tok::Ch(c) => *c,
        })
        .collect()
}

// ---- ARNs ----------------------------------------------------------------------------------

fn split6(s: &str) -> Option<Vec<&str>> {
    let v: Vec<&str> = s.splitn(6, ':').collect();
    (v.len() == 6).then_some(v)
}

/// "Each of the six colon-delimited components of the ARN is checked separately."
fn arn_like(p: &[Tok], value: &str) -> bool {
    let mut groups: Vec<Vec<Tok>> = vec![Vec::new()];
    for t in p {
        if *t == Tok::Ch(':') && groups.len() < 6 {
            groups.push(Vec::new());
        } else {
            groups.last_mut().unwrap().push(*t);
        }
    }
    if groups.len() < 6 {
        return glob_str(p, value);
    }
    match split6(value) {
        Some(parts) => groups.iter().zip(parts).all(|(g, part)| glob_str(g, part)),
        None => false,
    }
}

/// `Resource` patterns: variables only after the fifth colon.
fn resource_matches(raw: &str, resource: &str, ctx: &iam::RequestContext, vars: bool) -> bool {
    if raw == "*" {
        return true;
    }
    let (Some(p), Some(r)) = (split6(raw), split6(resource)) else {
        return false;
    };
    for i in 0..5 {
        if !glob_str(&pattern(p[i]), r[i]) {
            return false;
        }
    }
    match substitute(p[5], ctx, vars) {
        Some(toks) => glob_str(&toks, r[5]),
        // "the resource that includes a policy variable with no value will not match any
        // resource" — in `Resource` and in `NotResource` alike.
        None => false,
    }
}

// ---- scalars ---------------------------------------------------------------------------------

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Epoch seconds, or `YYYY-MM-DDThh:mm:ssZ`, or `YYYY-MM-DD` (the generated forms).
fn date(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let n = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let days = days_from_civil(n(0, 4)?, n(5, 7)?, n(8, 10)?);
    if s.len() == 10 {
        return Some(days * 86_400);
    }
    if s.len() != 20 || !s.ends_with('Z') {
        return None;
    }
    Some(days * 86_400 + n(11, 13)? * 3600 + n(14, 16)? * 60 + n(17, 19)?)
}

fn number(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .then(|| s.parse().ok())?
}

fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let Ok(ip) = ip.parse::<std::net::IpAddr>() else {
        return false;
    };
    let (net, len) = match cidr.split_once('/') {
        Some((n, l)) => (n, l.parse::<u32>().unwrap()),
        None => (cidr, if cidr.contains(':') { 128 } else { 32 }),
    };
    let net: std::net::IpAddr = net.parse().unwrap();
    let bits = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(v) => (u128::from(u32::from(v)) << 96, 4),
        std::net::IpAddr::V6(v) => (u128::from(v), 6),
    };
    let ((a, fa), (b, fb)) = (bits(ip), bits(net));
    if fa != fb {
        return false;
    }
    // IPv4 addresses sit in the top 32 bits, so for both families the prefix is the top bits.
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    a & mask == b & mask
}

// ---- conditions ------------------------------------------------------------------------------

/// "If any one of the request values matches any one of the policy values" — the positive test
/// for one request value. A policy value whose variable has no value is "effectively null":
/// nothing equals or is like it, so it never matches here (and a negated operator, which is the
/// negation of this test, then holds).
fn value_matches(
    op: Operator,
    policy_values: &[String],
    v: &str,
    ctx: &iam::RequestContext,
    vars: bool,
) -> bool {
    use Operator::*;
    policy_values.iter().any(|pv| match op {
        StringEquals | StringNotEquals => {
            substitute(pv, ctx, vars).is_some_and(|t| literal(&t) == v)
        }
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => substitute(pv, ctx, vars)
            .is_some_and(|t| literal(&t).to_lowercase() == v.to_lowercase()),
        StringLike | StringNotLike => substitute(pv, ctx, vars).is_some_and(|t| glob_str(&t, v)),
        NumericEquals | NumericNotEquals => {
            matches!((number(v), number(pv)), (Some(a), Some(b)) if a == b)
        }
        NumericLessThan => matches!((number(v), number(pv)), (Some(a), Some(b)) if a < b),
        DateEquals | DateNotEquals => matches!((date(v), date(pv)), (Some(a), Some(b)) if a == b),
        DateLessThan => matches!((date(v), date(pv)), (Some(a), Some(b)) if a < b),
        DateGreaterThan => matches!((date(v), date(pv)), (Some(a), Some(b)) if a > b),
        Bool => v.eq_ignore_ascii_case(pv),
        IpAddress | NotIpAddress => cidr_contains(pv, v),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
            substitute(pv, ctx, vars).is_some_and(|t| arn_like(&t, v))
        }
        other => panic!("reference does not model {other:?}"),
    })
}

fn condition_holds(c: &iam::Condition, ctx: &iam::RequestContext, vars: bool, q: Quirks) -> bool {
    let values: Option<Vec<String>> = ctx
        .get(c.key())
        .map(|vs| vs.iter().map(|v| v.as_str().to_string()).collect());
    if c.operator() == Operator::Null {
        let absent = values.is_none();
        return c.values().iter().any(|v| (v == "true") == absent);
    }
    let negated = c.operator().is_negated();
    let Some(values) = values else {
        // "Set operators for multivalued context keys": ForAnyValue over no values is false,
        // ForAllValues true; IfExists only speaks for the single-valued test.
        return match c.qualifier() {
            Some(SetQualifier::ForAnyValue) => q.if_exists_rescues_for_any_value && c.if_exists(),
            Some(SetQualifier::ForAllValues) => true,
            // "If the key … is not present … the condition is false", unless the operator
            // requires that the key is *not* matched; "…IfExists": true.
            None => c.if_exists() || negated,
        };
    };
    let test = |v: &String| value_matches(c.operator(), c.values(), v, ctx, vars);
    match c.qualifier() {
        None => {
            let any = values.iter().any(test);
            if negated { !any } else { any }
        }
        Some(SetQualifier::ForAnyValue) => values.iter().any(|v| test(v) != negated),
        Some(SetQualifier::ForAllValues) => values.iter().all(|v| test(v) != negated),
    }
}

// ---- statements and principals -------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Account,
    Role,
    Direct,
}

/// True if some variable in the statement's resource patterns or (variable-taking) condition
/// values has no value (for [`Quirks::unresolved_variable_voids_statement`]).
fn has_unresolvable_variable(s: &Statement, ctx: &iam::RequestContext) -> bool {
    let unresolved = |text: &str| substitute(text, ctx, true).is_none();
    let in_resources = s.resource().is_some_and(|r| {
        r.patterns()
            .iter()
            .any(|p| split6(p.as_str()).is_some_and(|parts| unresolved(parts[5])))
    });
    let in_conditions = s
        .conditions()
        .iter()
        .any(|c| c.operator().takes_variables() && c.values().iter().any(|v| unresolved(v)));
    in_resources || in_conditions
}

fn statement_applies(
    s: &Statement,
    vars: bool,
    action: &str,
    resource: &str,
    ctx: &iam::RequestContext,
    q: Quirks,
) -> bool {
    let action_hit = s
        .action()
        .patterns()
        .iter()
        .any(|p| glob_str(&pattern(&p.as_str().to_lowercase()), &action.to_lowercase()));
    if action_hit == s.action().is_negated() {
        return false;
    }
    if let Some(r) = s.resource() {
        let hit = r
            .patterns()
            .iter()
            .any(|p| resource_matches(p.as_str(), resource, ctx, vars));
        if hit == r.is_negated() {
            return false;
        }
    }
    if q.unresolved_variable_voids_statement && vars && has_unresolvable_variable(s, ctx) {
        return false;
    }
    s.conditions()
        .iter()
        .all(|c| condition_holds(c, ctx, vars, q))
}

/// The caller's identities: (what names it, how strong that naming is).
fn identities(p: &Principal) -> Vec<(String, Class)> {
    let root = format!("arn:aws:iam::{}:root", p.account());
    match p.kind() {
        PrincipalKind::Anonymous => vec![("<anonymous>".into(), Class::Direct)],
        PrincipalKind::Service { name } => {
            vec![(format!("service:{}", name.to_lowercase()), Class::Direct)]
        }
        PrincipalKind::WebIdentity { provider } => {
            vec![(format!("federated:{provider}"), Class::Direct)]
        }
        PrincipalKind::Account => vec![(root, Class::Direct)],
        PrincipalKind::AssumedRole { role_arn, .. } => {
            vec![
                (p.arn().into(), Class::Direct),
                (role_arn.clone(), Class::Role),
                (root, Class::Account),
            ]
        }
        _ => vec![(p.arn().into(), Class::Direct), (root, Class::Account)],
    }
}

/// What a policy entry names, in the same vocabulary; `None` = everyone.
fn entry_name(key: &str, raw: &str) -> Option<String> {
    match key {
        "*" => None,
        "AWS" if raw == "*" => None,
        "AWS" if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("arn:aws:iam::{raw}:root"))
        }
        "AWS" => Some(raw.to_string()),
        "Service" => Some(format!("service:{}", raw.to_lowercase())),
        "Federated" => Some(format!("federated:{raw}")),
        _ => Some(format!("canonical:{raw}")),
    }
}

fn principal_class(s: &Statement, p: &Principal) -> Option<Class> {
    let clause = s.principal()?;
    let ids = identities(p);
    let covers = |id: &str| {
        clause
            .entries()
            .iter()
            .any(|e| match entry_name(e.key, &e.raw) {
                None => true,
                Some(n) => n == id,
            })
    };
    if clause.is_negated() {
        return ids
            .iter()
            .any(|(id, _)| !covers(id))
            .then_some(Class::Direct);
    }
    ids.iter()
        .filter(|(id, _)| covers(id))
        .map(|(_, c)| *c)
        .max()
}

// ---- decisions ----------------------------------------------------------------------------------

/// (source, policy name, statement index, effect) of every statement that applied.
pub type Matched = Vec<(PolicySource, String, usize, Effect)>;

#[derive(Default)]
struct Side {
    allow: bool,
    deny: bool,
}

fn eval_set(
    set: &PolicySet,
    source: PolicySource,
    input: &AuthzInput<'_>,
    matched: &mut Matched,
    q: Quirks,
) -> Side {
    let mut side = Side::default();
    for np in set.policies() {
        eval_policy(np, source, input, matched, &mut side, &mut None, q);
    }
    side
}

fn eval_policy(
    np: &NamedPolicy,
    source: PolicySource,
    input: &AuthzInput<'_>,
    matched: &mut Matched,
    side: &mut Side,
    resource_allow: &mut Option<Class>,
    q: Quirks,
) {
    let p: &Policy = np.policy();
    let vars = p.version().substitutes_variables();
    for (i, s) in p.statements().iter().enumerate() {
        let class = match source {
            PolicySource::Resource => match principal_class(s, input.principal) {
                Some(c) => Some(c),
                None => continue,
            },
            _ => match s.principal() {
                Some(_) => match principal_class(s, input.principal) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => None,
            },
        };
        if !statement_applies(s, vars, input.action, input.resource, input.context, q) {
            continue;
        }
        matched.push((source, np.name().to_string(), i, s.effect()));
        match s.effect() {
            Effect::Deny => side.deny = true,
            Effect::Allow => {
                side.allow = true;
                if source == PolicySource::Resource {
                    *resource_allow = (*resource_allow).max(class);
                }
            }
        }
    }
}

/// Every policy's statements: (identity side, session side, resource side, strongest resource
/// Allow), recording matches in order: identity, session, resource.
fn evaluate_all(
    input: &AuthzInput<'_>,
    matched: &mut Matched,
    q: Quirks,
) -> (Option<Side>, Option<Side>, Side, Option<Class>) {
    let identity = input
        .identity
        .map(|s| eval_set(s, PolicySource::Identity, input, matched, q));
    let session = input
        .session_policies
        .map(|s| eval_set(s, PolicySource::Session, input, matched, q));
    let mut resource_allow = None;
    let mut resource = Side::default();
    if let Some(rp) = input.resource_policy {
        eval_policy(
            rp,
            PolicySource::Resource,
            input,
            matched,
            &mut resource,
            &mut resource_allow,
            q,
        );
    }
    (identity, session, resource, resource_allow)
}

/// The decision, straight from "Policy evaluation logic", "Session policies" and API Gateway's
/// Tables A and B.
pub fn authorize(input: &AuthzInput<'_>) -> (Decision, Matched) {
    authorize_with(input, Quirks::default())
}

/// [`authorize`] under alternative semantics.
pub fn authorize_with(input: &AuthzInput<'_>, q: Quirks) -> (Decision, Matched) {
    let mut matched = Matched::new();
    let (identity, session, resource, resource_allow) = evaluate_all(input, &mut matched, q);

    // An explicit deny in any policy wins.
    let any_deny = identity.as_ref().is_some_and(|s| s.deny)
        || session.as_ref().is_some_and(|s| s.deny)
        || resource.deny;
    if any_deny {
        return (Decision::ExplicitDeny, matched);
    }
    let session_allows = session.as_ref().is_none_or(|s| s.allow);
    // A resource policy grants by itself when it names the caller (or everyone); naming the
    // role is limited by session policies; naming the account only delegates.
    let resource_grants = match resource_allow {
        Some(Class::Direct) => true,
        Some(Class::Role) => session_allows,
        _ => false,
    };
    let decision = match identity {
        // No IAM identity: the resource policy must allow.
        None => resource_grants,
        Some(id) => {
            let root = matches!(input.principal.kind(), PrincipalKind::Account);
            let identity_allows = (id.allow || root) && session_allows;
            // API Gateway evaluates a Lambda authorizer's policy in the API's own account
            // (Table A); a caller with no account can only be such a caller.
            let account = input.principal.account();
            let same_account = account.is_empty() || account == input.resource_account;
            match (input.resource_policy.is_some(), same_account) {
                (false, true) => identity_allows,
                (false, false) => false,
                // Table A: either allows.
                (true, true) => identity_allows || resource_grants,
                // Table B: both allow.
                (true, false) => identity_allows && resource_allow.is_some(),
            }
        }
    };
    (
        if decision {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        },
        matched,
    )
}

/// `sts:AssumeRole`, as two evaluations ("Cross-account policy evaluation logic"): the
/// trusting account's — the role's trust policy must allow the caller ("IAM role trust
/// policies … must explicitly allow access for principals", "Policy evaluation logic") — and
/// the trusted account's — the caller's identity policies, narrowed by its session policies.
/// In the role's own account the second is not needed when the trust policy grants to the
/// caller directly: by its ARN or `*` (not limited by session policies), or by its role
/// (limited by them); naming the account "delegates authority to the account" ("IAM JSON policy
/// elements: Principal"), so then the identity policies must allow.
pub fn authorize_assume_role(input: &AuthzInput<'_>) -> (Decision, Matched) {
    authorize_assume_role_with(input, Quirks::default())
}

/// [`authorize_assume_role`] under alternative semantics.
pub fn authorize_assume_role_with(input: &AuthzInput<'_>, q: Quirks) -> (Decision, Matched) {
    let mut matched = Matched::new();
    let (identity, session, trust, trust_allow) = evaluate_all(input, &mut matched, q);
    if identity.as_ref().is_some_and(|s| s.deny)
        || session.as_ref().is_some_and(|s| s.deny)
        || trust.deny
    {
        return (Decision::ExplicitDeny, matched);
    }
    let p = input.principal;
    // STS only serves signed requests.
    let trust_allow = if p.is_anonymous() { None } else { trust_allow };
    let session_allows = session.as_ref().is_none_or(|s| s.allow);
    let root = matches!(p.kind(), PrincipalKind::Account);
    let trusted_account_allows =
        (root || identity.as_ref().is_some_and(|s| s.allow)) && session_allows;
    let allowed = match trust_allow {
        None => false,
        // No IAM account (a service or web identity): the trust policy must name the caller.
        Some(class) if p.account().is_empty() => class == Class::Direct,
        Some(class) if p.account() == input.resource_account => match class {
            Class::Direct => true,
            Class::Role => session_allows,
            Class::Account => trusted_account_allows,
        },
        Some(_) => trusted_account_allows,
    };
    (
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        },
        matched,
    )
}
