//! Differential tests, as cedar does: the real (indexed, compiled) engine must agree with the
//! naive reference evaluator in `reference/` on generated policies and requests — same decision,
//! same statements matched. Plus: the glob matcher agrees with a backtracking matcher.
#![allow(clippy::unwrap_used)]

mod reference;

use iam::*;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

const OWNER: &str = "123456789012";
const OTHER: &str = "210987654321";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123";

fn principal_pool() -> Vec<Principal> {
    let tag = |k: &str, v: &str| [(k.to_string(), v.to_string())].into();
    vec![
        Principal::user(OWNER, "alice").with_tags(tag("team", "blue")),
        Principal::user(OWNER, "bob"),
        Principal::assumed_role(OWNER, "dev", "app").with_tags(tag("team", "red")),
        Principal::assumed_role(OWNER, "dev", "other"),
        Principal::user(OTHER, "carol"),
        Principal::account_root(OWNER),
        Principal::anonymous(),
        Principal::service("apigateway.amazonaws.com"),
        Principal::federated_user(OWNER, "fed"),
        Principal::account_root(OTHER),
    ]
}

fn arb_principal() -> impl Strategy<Value = Principal> {
    select(principal_pool())
}

fn action_patterns() -> Vec<&'static str> {
    vec![
        "execute-api:Invoke",
        "execute-api:*",
        "*",
        "execute-api:Inv?ke",
        "EXECUTE-API:invoke",
        "execute-api:InvalidateCache",
        "s3:*",
        "*:Invoke",
        "execute-api:*Cache",
        "sts:AssumeRole",
        "execute-*:Invoke",
    ]
}

fn resource_patterns() -> Vec<String> {
    [
        "*",
        "{API}/*",
        "{API}/prod/*",
        "{API}/*/GET/*",
        "arn:aws:execute-api:*:*:*",
        "{API}/prod/GET/pets",
        "arn:aws:execute-api:*:123456789012:abc123/${aws:username}/*",
        "{API}/prod/GET/${aws:PrincipalTag/team}",
        "{API}/${*}/x",
        "arn:aws:execute-api:us-*:*:abc123/dev/*",
        "arn:aws:execute-api:*:*:abc123/prod/get/*",
        "{API}/prod/GET/users/${aws:username, 'nobody'}",
        "arn:aws:s3:::*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/?????/GET/*",
        // For sts:AssumeRole: roles, one named through a variable few callers resolve.
        "arn:aws:iam::123456789012:role/*",
        "arn:aws:iam::123456789012:role/target",
        "arn:aws:iam::*:role/${aws:PrincipalTag/team}",
    ]
    .iter()
    .map(|s| s.replace("{API}", API))
    .collect()
}

fn principal_values() -> Vec<Value> {
    let alice = "arn:aws:iam::123456789012:user/alice";
    let bob = "arn:aws:iam::123456789012:user/bob";
    let carol = "arn:aws:iam::210987654321:user/carol";
    let role = "arn:aws:iam::123456789012:role/dev";
    let session = "arn:aws:sts::123456789012:assumed-role/dev/app";
    vec![
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": OWNER}),
        json!({"AWS": format!("arn:aws:iam::{OWNER}:root")}),
        json!({"AWS": OTHER}),
        json!({"AWS": alice}),
        json!({"AWS": [bob, carol]}),
        json!({"AWS": role}),
        json!({"AWS": session}),
        json!({"AWS": [session, role, OWNER]}),
        json!({"AWS": [alice, OWNER]}),
        json!({"Service": "apigateway.amazonaws.com"}),
        json!({"AWS": "arn:aws:sts::123456789012:federated-user/fed"}),
    ]
}

fn condition_pool() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    vec![
        ("StringEquals", "aws:username", vec!["alice"]),
        ("StringEquals", "k", vec!["a", "${aws:username}"]),
        ("StringNotEquals", "aws:PrincipalTag/team", vec!["blue"]),
        ("StringLike", "aws:userid", vec!["AIDA*", "AROA*:app"]),
        ("StringLike", "k", vec!["a*", "${aws:username}*"]),
        ("StringNotLike", "k", vec!["b", "c?"]),
        ("StringEqualsIgnoreCase", "aws:username", vec!["ALICE"]),
        ("StringNotEqualsIgnoreCase", "k", vec!["A"]),
        (
            "IpAddress",
            "aws:SourceIp",
            vec!["10.0.0.0/8", "2001:db8::/32"],
        ),
        ("NotIpAddress", "aws:SourceIp", vec!["10.1.0.0/16"]),
        ("IpAddress", "aws:SourceIp", vec!["192.0.2.1"]),
        (
            "DateLessThan",
            "aws:CurrentTime",
            vec!["2025-01-01T00:00:00Z"],
        ),
        ("DateGreaterThan", "aws:EpochTime", vec!["1600000000"]),
        ("DateNotEquals", "aws:CurrentTime", vec!["2024-06-01"]),
        ("NumericLessThan", "n", vec!["5"]),
        ("NumericEquals", "n", vec!["3", "7"]),
        ("NumericNotEquals", "n", vec!["3"]),
        ("Bool", "aws:SecureTransport", vec!["true"]),
        ("Bool", "aws:SecureTransport", vec!["false"]),
        ("ArnLike", "aws:PrincipalArn", vec!["arn:aws:iam::*:role/*"]),
        (
            "ArnEquals",
            "aws:PrincipalArn",
            vec!["arn:aws:iam::${aws:PrincipalAccount}:user/alice"],
        ),
        (
            "ArnNotEquals",
            "aws:PrincipalArn",
            vec!["arn:aws:iam::123456789012:user/alice"],
        ),
        ("ArnNotLike", "aws:SourceArn", vec!["*"]),
        ("Null", "aws:username", vec!["true"]),
        ("Null", "k", vec!["false"]),
        // Unresolvable variables under negated operators ("Policy variables with no value"):
        // only alice and the dev/app session have a team tag; sessions have no aws:username.
        ("StringNotEquals", "k", vec!["${aws:PrincipalTag/team}"]),
        (
            "StringNotLike",
            "aws:userid",
            vec!["${aws:PrincipalTag/team}*"],
        ),
        (
            "StringNotEqualsIgnoreCase",
            "aws:PrincipalTag/team",
            vec!["${aws:username}"],
        ),
        (
            "ArnNotEquals",
            "aws:PrincipalArn",
            vec!["arn:aws:iam::123456789012:user/${aws:username}"],
        ),
        (
            "ArnNotLike",
            "aws:PrincipalArn",
            vec!["arn:aws:iam::*:role/${aws:PrincipalTag/team}"],
        ),
        (
            "StringEquals",
            "aws:userid",
            vec!["${aws:PrincipalTag/team}"],
        ),
        // A key no request carries (with every qualifier and IfExists: ForAnyValue…IfExists
        // on an absent key).
        ("StringEquals", "aws:TagKeys", vec!["team"]),
        ("StringLike", "aws:TagKeys", vec!["t*"]),
        // Trust-policy conditions.
        ("StringEquals", "sts:ExternalId", vec!["ext-1"]),
        ("StringNotEquals", "sts:ExternalId", vec!["ext-1"]),
    ]
}

/// `(operator as written, key, values)`.
fn arb_condition() -> impl Strategy<Value = (String, &'static str, Vec<&'static str>)> {
    (
        select(condition_pool()),
        select(vec!["", "", "ForAllValues:", "ForAnyValue:"]),
        any::<bool>(),
    )
        .prop_map(|((op, key, vals), qualifier, if_exists)| {
            if op == "Null" {
                return (op.to_string(), key, vals);
            }
            let suffix = if if_exists { "IfExists" } else { "" };
            (format!("{qualifier}{op}{suffix}"), key, vals)
        })
}

fn list_or_single(items: Vec<Value>) -> Value {
    if items.len() == 1 {
        items.into_iter().next().unwrap()
    } else {
        Value::Array(items)
    }
}

fn arb_statement(kind: PolicyKind) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        (
            any::<bool>(),
            proptest::collection::vec(select(action_patterns()), 1..3),
        ),
        (
            any::<bool>(),
            proptest::collection::vec(select(resource_patterns()), 1..3),
        ),
        (
            prop_oneof![4 => Just(false), 1 => Just(true)],
            select(principal_values()),
        ),
        proptest::collection::vec(arb_condition(), 0..3),
    )
        .prop_map(
            move |(
                allow,
                (not_action, actions),
                (not_resource, resources),
                (not_principal, principal),
                conds,
            )| {
                let mut s = Map::new();
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                let actions = list_or_single(actions.into_iter().map(Value::from).collect());
                s.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    actions,
                );
                // Trust policies have no Resource: the role is the resource.
                if kind != PolicyKind::Trust {
                    let resources =
                        list_or_single(resources.into_iter().map(Value::from).collect());
                    s.insert(
                        if not_resource {
                            "NotResource"
                        } else {
                            "Resource"
                        }
                        .into(),
                        resources,
                    );
                }
                if kind != PolicyKind::Identity {
                    s.insert(
                        if not_principal {
                            "NotPrincipal"
                        } else {
                            "Principal"
                        }
                        .into(),
                        principal,
                    );
                }
                if !conds.is_empty() {
                    let mut block = Map::new();
                    for (op, key, vals) in conds {
                        let entry = block.entry(op).or_insert_with(|| json!({}));
                        entry[key] = list_or_single(vals.into_iter().map(Value::from).collect());
                    }
                    s.insert("Condition".into(), Value::Object(block));
                }
                Value::Object(s)
            },
        )
}

fn arb_policy(kind: PolicyKind) -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        proptest::collection::vec(arb_statement(kind), 1..5),
    )
        .prop_map(move |(v2012, statements)| {
            let mut doc = json!({"Statement": statements});
            if v2012 {
                doc["Version"] = json!("2012-10-17");
            }
            let opts = match kind {
                PolicyKind::Resource => ParseOptions::resource(Some(API.into())),
                PolicyKind::Trust => ParseOptions::trust(),
                PolicyKind::Identity => ParseOptions::identity(),
            };
            Policy::parse(&doc, &opts)
                .unwrap_or_else(|e| panic!("generated policy refused: {e}\n{doc}"))
        })
}

fn arb_set(name: &'static str, max: usize) -> impl Strategy<Value = PolicySet> {
    proptest::collection::vec(arb_policy(PolicyKind::Identity), 0..max).prop_map(move |ps| {
        PolicySet::new(
            ps.into_iter()
                .enumerate()
                .map(|(i, p)| NamedPolicy::new(format!("{name}{i}"), p)),
        )
    })
}

#[derive(Debug, Clone)]
struct Extras {
    ip: Option<&'static str>,
    time: Option<&'static str>,
    epoch: Option<&'static str>,
    secure: Option<&'static str>,
    k: Vec<&'static str>,
    n: Option<&'static str>,
    external_id: Option<&'static str>,
}

fn arb_extras() -> impl Strategy<Value = Extras> {
    (
        proptest::option::of(select(vec![
            "10.1.2.3",
            "10.200.0.1",
            "192.0.2.1",
            "2001:db8::5",
            "garbage",
        ])),
        proptest::option::of(select(vec![
            "2024-06-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            "2024-06-01",
        ])),
        proptest::option::of(select(vec!["1500000000", "1700000000"])),
        proptest::option::of(select(vec!["true", "false", "TRUE"])),
        proptest::collection::vec(select(vec!["a", "b", "c", "alice", "A", "ab"]), 0..3),
        proptest::option::of(select(vec!["3", "7", "x", "5"])),
        proptest::option::of(select(vec!["ext-1", "ext-2"])),
    )
        .prop_map(|(ip, time, epoch, secure, k, n, external_id)| Extras {
            ip,
            time,
            epoch,
            secure,
            k,
            n,
            external_id,
        })
}

fn context(p: &Principal, e: &Extras) -> RequestContext {
    let mut c = RequestContext::for_principal(p);
    let mut set = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            c.insert(k, v);
        }
    };
    set("aws:SourceIp", e.ip);
    set("aws:CurrentTime", e.time);
    set("aws:EpochTime", e.epoch);
    set("aws:SecureTransport", e.secure);
    set("n", e.n);
    set("sts:ExternalId", e.external_id);
    c.insert_values("k", e.k.iter().copied());
    c
}

fn requests() -> (Vec<&'static str>, Vec<String>) {
    let actions = vec![
        "execute-api:Invoke",
        "execute-api:invoke",
        "EXECUTE-API:INVOKE",
        "execute-api:InvalidateCache",
        "s3:GetObject",
        "sts:AssumeRole",
    ];
    let resources = [
        "{API}/prod/GET/pets",
        "{API}/dev/GET/pets",
        "{API}/prod/get/pets",
        "{API}/alice/x",
        "{API}/prod/GET/blue",
        "{API}/*/x",
        "arn:aws:execute-api:us-west-2:123456789012:abc123/prod/GET/pets",
        "arn:aws:s3:::bucket",
        "not-an-arn",
        "{API}/prod/GET/users/alice",
        "{API}/prod/GET/users/nobody",
    ]
    .iter()
    .map(|s| s.replace("{API}", API))
    .collect();
    (actions, resources)
}

#[derive(Debug, Clone)]
struct Scenario {
    principal: Principal,
    identity: Option<PolicySet>,
    session: Option<PolicySet>,
    resource_policy: Option<Policy>,
    action: &'static str,
    resource: String,
    extras: Extras,
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    let (actions, resources) = requests();
    (
        arb_principal(),
        prop_oneof![1 => Just(None), 4 => arb_set("id", 4).prop_map(Some)],
        prop_oneof![3 => Just(None), 1 => arb_set("session", 3).prop_map(Some)],
        prop_oneof![2 => Just(None), 3 => arb_policy(PolicyKind::Resource).prop_map(Some)],
        select(actions),
        select(resources),
        arb_extras(),
    )
        .prop_map(
            |(principal, identity, session, resource_policy, action, resource, extras)| Scenario {
                principal,
                identity,
                session,
                resource_policy,
                action,
                resource,
                extras,
            },
        )
}

const ROLE: &str = "arn:aws:iam::123456789012:role/target";

/// `sts:AssumeRole` on [`ROLE`]: the caller's identity (and session) policies and the role's
/// trust policy.
#[derive(Debug, Clone)]
struct AssumeScenario {
    principal: Principal,
    identity: PolicySet,
    session: Option<PolicySet>,
    trust: Policy,
    extras: Extras,
}

fn arb_assume_scenario() -> impl Strategy<Value = AssumeScenario> {
    (
        arb_principal(),
        arb_set("id", 3),
        prop_oneof![3 => Just(None), 1 => arb_set("session", 2).prop_map(Some)],
        arb_policy(PolicyKind::Trust),
        arb_extras(),
    )
        .prop_map(
            |(principal, identity, session, trust, extras)| AssumeScenario {
                principal,
                identity,
                session,
                trust,
                extras,
            },
        )
}

impl AssumeScenario {
    fn with_input<T>(&self, f: impl FnOnce(&AuthzInput<'_>) -> T) -> T {
        let ctx = context(&self.principal, &self.extras);
        let trust = NamedPolicy::new("target trust policy", self.trust.clone());
        let identity = (!self.principal.is_anonymous()).then_some(&self.identity);
        f(&AuthzInput {
            principal: &self.principal,
            action: "sts:AssumeRole",
            resource: ROLE,
            context: &ctx,
            resource_account: OWNER,
            identity,
            session_policies: self.session.as_ref(),
            resource_policy: Some(&trust),
        })
    }
}

/// Cases per differential run; `IAM_DIFF_CASES=100000 cargo test --release …` for a long run.
fn diff_cases() -> u32 {
    std::env::var("IAM_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: diff_cases(), ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_reference(s in arb_scenario()) {
        let ctx = context(&s.principal, &s.extras);
        let rp = s.resource_policy.clone().map(|p| NamedPolicy::new("api", p));
        let input = AuthzInput {
            principal: &s.principal,
            action: s.action,
            resource: &s.resource,
            context: &ctx,
            resource_account: OWNER,
            identity: s.identity.as_ref(),
            session_policies: s.session.as_ref(),
            resource_policy: rp.as_ref(),
        };
        let got = authorize(&input);
        let (want, want_matched) = reference::authorize(&input);
        let got_matched: reference::Matched = got
            .explanation()
            .matched()
            .iter()
            .map(|m| (m.source, m.policy.to_string(), m.index, m.effect))
            .collect();
        prop_assert_eq!(got.decision(), want, "{}", got.explanation());
        prop_assert_eq!(got_matched, want_matched);
        // Labels agree with decisions.
        match got.decision() {
            Decision::Allow => prop_assert_eq!(got.reason(), Reason::Allowed),
            Decision::ExplicitDeny => prop_assert!(got.reason().label().starts_with("explicit_deny")),
            Decision::ImplicitDeny => prop_assert!(!got.reason().label().starts_with("explicit") && got.reason() != Reason::Allowed),
        }
        // Decisive statements: a deny always names one; an allow names one unless it came from
        // the root user's implicit permissions; an implicit deny names none.
        let decisive = got.explanation().matched().iter().filter(|m| m.decisive).count();
        let root = matches!(s.principal.kind(), PrincipalKind::Account);
        match got.decision() {
            Decision::ExplicitDeny => prop_assert!(decisive > 0),
            Decision::Allow => prop_assert!(decisive > 0 || root),
            Decision::ImplicitDeny => prop_assert_eq!(decisive, 0),
        }
    }

    #[test]
    fn assume_role_agrees_with_reference(s in arb_assume_scenario()) {
        let (got, (want, want_matched)) = s.with_input(|input| {
            (authorize_assume_role(input), reference::authorize_assume_role(input))
        });
        let got_matched: reference::Matched = got
            .explanation()
            .matched()
            .iter()
            .map(|m| (m.source, m.policy.to_string(), m.index, m.effect))
            .collect();
        prop_assert_eq!(got.decision(), want, "{}", got.explanation());
        prop_assert_eq!(got_matched, want_matched);
        match got.decision() {
            Decision::Allow => {
                prop_assert_eq!(got.reason(), Reason::Allowed);
                // The trust policy always takes part in an Allow.
                prop_assert!(got.explanation().matched().iter().any(|m| m.decisive && m.source == PolicySource::Resource));
            }
            Decision::ExplicitDeny => prop_assert!(got.reason().label().starts_with("explicit_deny")),
            Decision::ImplicitDeny => prop_assert!(got.explanation().matched().iter().all(|m| !m.decisive)),
        }
    }

    #[test]
    fn glob_agrees_with_backtracking(p in "[ab*?é]{0,8}", t in "[abé]{0,10}") {
        let naive = reference::glob_str(&reference::pattern(&p), &t);
        prop_assert_eq!(Glob::new(&p).is_match(&t), naive, "pattern {:?} text {:?}", p, t);
    }
}

/// Guards the generators: a sample of scenarios reaches every decision and most reasons, so
/// the agreement above is not vacuous.
#[test]
fn generated_scenarios_cover_the_decision_space() {
    use proptest::strategy::ValueTree;
    use std::collections::BTreeMap;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_scenario();
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..3000 {
        let s = strategy.new_tree(&mut runner).unwrap().current();
        let ctx = context(&s.principal, &s.extras);
        let rp = s
            .resource_policy
            .clone()
            .map(|p| NamedPolicy::new("api", p));
        let got = authorize(&AuthzInput {
            principal: &s.principal,
            action: s.action,
            resource: &s.resource,
            context: &ctx,
            resource_account: OWNER,
            identity: s.identity.as_ref(),
            session_policies: s.session.as_ref(),
            resource_policy: rp.as_ref(),
        });
        *reasons.entry(got.reason().label()).or_default() += 1;
    }
    for label in [
        "allowed",
        "explicit_deny_identity",
        "explicit_deny_session",
        "explicit_deny_resource",
        "no_identity_allow",
        "no_session_allow",
        "no_resource_allow",
        "no_resource_policy",
        "cross_account_no_identity_allow",
        "cross_account_no_resource_allow",
        "cross_account_no_resource_policy",
    ] {
        assert!(
            reasons.get(label).copied().unwrap_or(0) >= 5,
            "{label} rarely generated: {reasons:?}"
        );
    }
}

/// Guards the generators for the two bug classes the reference once shared with the engine:
/// scenarios where `ForAnyValue:…IfExists` meets an absent key, and where unresolvable
/// variables sit in `NotResource` or under negated operators, must be generated — often enough
/// that the readings differ in the final decision, so `engine_agrees_with_reference` decides
/// between them.
#[test]
fn generated_scenarios_exercise_absent_keys_and_unresolvable_variables() {
    use proptest::strategy::ValueTree;
    use reference::Quirks;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_scenario();
    let (mut if_exists_flips, mut variable_flips) = (0, 0);
    let (mut not_resource_unresolved, mut negated_unresolved, mut any_if_exists_absent) = (0, 0, 0);
    for _ in 0..3000 {
        let s = strategy.new_tree(&mut runner).unwrap().current();
        let ctx = context(&s.principal, &s.extras);
        let rp = s
            .resource_policy
            .clone()
            .map(|p| NamedPolicy::new("api", p));
        let input = AuthzInput {
            principal: &s.principal,
            action: s.action,
            resource: &s.resource,
            context: &ctx,
            resource_account: OWNER,
            identity: s.identity.as_ref(),
            session_policies: s.session.as_ref(),
            resource_policy: rp.as_ref(),
        };
        let documented = reference::authorize(&input).0;
        let q1 = Quirks {
            if_exists_rescues_for_any_value: true,
            ..Quirks::default()
        };
        let q2 = Quirks {
            unresolved_variable_voids_statement: true,
            ..Quirks::default()
        };
        if_exists_flips += usize::from(reference::authorize_with(&input, q1).0 != documented);
        variable_flips += usize::from(reference::authorize_with(&input, q2).0 != documented);
        let statements = s
            .identity
            .iter()
            .chain(s.session.iter())
            .flat_map(|set| set.policies().iter().map(|p| p.policy().clone()))
            .chain(s.resource_policy.iter().cloned())
            .filter(|p| p.version() == PolicyVersion::V2012_10_17)
            .flat_map(|p| p.statements().to_vec())
            .collect::<Vec<_>>();
        let unresolved = |text: &str| {
            text.contains("${aws:PrincipalTag/team}") && ctx.get("aws:PrincipalTag/team").is_none()
                || text.contains("${aws:username}") && ctx.get("aws:username").is_none()
        };
        for st in &statements {
            if st.resource().is_some_and(|r| {
                r.is_negated() && r.patterns().iter().any(|p| unresolved(p.as_str()))
            }) {
                not_resource_unresolved += 1;
            }
            for c in st.conditions() {
                if c.operator().is_negated() && c.values().iter().any(|v| unresolved(v)) {
                    negated_unresolved += 1;
                }
                if c.qualifier() == Some(SetQualifier::ForAnyValue)
                    && c.if_exists()
                    && ctx.get(c.key()).is_none()
                {
                    any_if_exists_absent += 1;
                }
            }
        }
    }
    for (what, n) in [
        (
            "NotResource with an unresolvable variable",
            not_resource_unresolved,
        ),
        (
            "negated operator with an unresolvable variable",
            negated_unresolved,
        ),
        (
            "ForAnyValue:…IfExists on an absent key",
            any_if_exists_absent,
        ),
        (
            "decisions flipped by IfExists rescuing ForAnyValue",
            if_exists_flips,
        ),
        (
            "decisions flipped by voiding statements with unresolvable variables",
            variable_flips,
        ),
    ] {
        assert!(n >= 20, "{what}: only {n} in 3000 scenarios");
    }
}

/// For `sts:AssumeRole`: the generated scenarios reach every outcome, and plenty of them are
/// decided differently by API Gateway's Table A (the old fail-open evaluation), so
/// `assume_role_agrees_with_reference` would catch a regression to it.
#[test]
fn generated_assume_role_scenarios_cover_the_trust_table() {
    use proptest::strategy::ValueTree;
    use std::collections::BTreeMap;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_assume_scenario();
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut table_a_differs = 0;
    for _ in 0..3000 {
        let s = strategy.new_tree(&mut runner).unwrap().current();
        let (got, table_a) = s.with_input(|input| (authorize_assume_role(input), authorize(input)));
        *reasons.entry(got.reason().label()).or_default() += 1;
        table_a_differs += usize::from(got.decision() != table_a.decision());
    }
    for label in [
        "allowed",
        "explicit_deny_identity",
        "explicit_deny_session",
        "explicit_deny_resource",
        "no_identity_allow",
        "no_session_allow",
        "no_trust_allow",
        "cross_account_no_identity_allow",
    ] {
        assert!(
            reasons.get(label).copied().unwrap_or(0) >= 5,
            "{label} rarely generated: {reasons:?}"
        );
    }
    assert!(
        table_a_differs >= 50,
        "only {table_a_differs} scenarios tell the rules apart"
    );
}
