//! End-to-end matching rules: wildcards, Not* elements, variables, conditions, principal
//! context keys, managed policies and explanations.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use iam::*;
use serde_json::json;

#[test]
fn action_wildcards_are_case_insensitive() {
    let a = alice();
    let r = res("/prod/GET/pets");
    for pattern in [
        "Execute-API:invoke",
        "execute-api:Inv*",
        "execute-api:?nvoke",
        "*",
        "execute-*:*",
        "*:Invoke",
    ] {
        let id = ident(json!([{"Effect": "Allow", "Action": pattern, "Resource": "*"}]));
        assert_eq!(
            Req::new(&a, &r).identity(&id).decision(),
            Decision::Allow,
            "{pattern}"
        );
    }
    let id = ident(json!([{"Effect": "Allow", "Action": ["execute-api:Invoke"], "Resource": "*"}]));
    assert_eq!(
        Req::new(&a, &r)
            .identity(&id)
            .action("execute-api:InvalidateCache")
            .decision(),
        Decision::ImplicitDeny
    );
    assert_eq!(
        Req::new(&a, &r)
            .identity(&id)
            .action("EXECUTE-API:INVOKE")
            .decision(),
        Decision::Allow
    );
}

#[test]
fn resource_wildcards_are_case_sensitive_and_per_component() {
    let a = alice();
    let r = res("/prod/GET/pets/1");
    let case = |pattern: &str| {
        let id = ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": pattern}]));
        Req::new(&a, &r).identity(&id).decision()
    };
    assert_eq!(case("arn:aws:execute-api:*:*:*"), Decision::Allow);
    assert_eq!(
        case("arn:aws:execute-api:us-east-1:123456789012:abc123/*"),
        Decision::Allow
    );
    assert_eq!(
        case("arn:aws:execute-api:*:*:abc123/*/GET/pets/*"),
        Decision::Allow
    );
    assert_eq!(
        case("arn:aws:execute-api:*:*:abc123/prod/GET/pets/?"),
        Decision::Allow
    );
    assert_eq!(
        case("arn:aws:execute-api:*:*:abc123/prod/get/*"),
        Decision::ImplicitDeny,
        "case-sensitive"
    );
    assert_eq!(
        case("arn:aws:execute-api:*:*:ABC123/*"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        case("arn:aws:execute-api:us-*:abc123/*:*"),
        Decision::ImplicitDeny,
        "region wildcard stays in the region"
    );
    assert_eq!(
        case("arn:aws:execute-api:*:123456789012:abc123/prod/GET/pets"),
        Decision::ImplicitDeny
    );
    assert_eq!(case("arn:aws-cn:execute-api:*:*:*"), Decision::ImplicitDeny);
    assert_eq!(case("*"), Decision::Allow);
}

#[test]
fn not_action_and_not_resource_invert() {
    let a = alice();
    let r = res("/prod/GET/pets");
    let id = ident(
        json!([{"Effect": "Allow", "NotAction": "execute-api:InvalidateCache", "Resource": "*"}]),
    );
    assert_eq!(Req::new(&a, &r).identity(&id).decision(), Decision::Allow);
    assert_eq!(
        Req::new(&a, &r)
            .identity(&id)
            .action("execute-api:InvalidateCache")
            .decision(),
        Decision::ImplicitDeny
    );

    let id = ident(json!([
        {"Effect": "Allow", "Action": INVOKE, "Resource": "*"},
        {"Effect": "Deny", "Action": INVOKE, "NotResource": format!("{API}/prod/*")}
    ]));
    assert_eq!(Req::new(&a, &r).identity(&id).decision(), Decision::Allow);
    let dev = res("/dev/GET/pets");
    let got = Req::new(&a, &dev).identity(&id).run();
    assert_eq!(got.decision(), Decision::ExplicitDeny);
    assert_eq!(got.reason(), Reason::ExplicitDenyIdentity);
}

#[test]
fn policy_variables_in_resources() {
    let a = alice().with_tags([("team".to_string(), "blue".to_string())].into());
    let id = ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": [
        format!("{API}/prod/GET/users/${{aws:username}}"),
        format!("{API}/prod/GET/teams/${{aws:PrincipalTag/team}}/*"),
        format!("{API}/prod/GET/lit/${{*}}"),
        format!("{API}/prod/GET/who/${{aws:missing, 'nobody'}}"),
    ]}]));
    let d = |path: &str| Req::new(&a, &res(path)).identity(&id).decision();
    assert_eq!(d("/prod/GET/users/alice"), Decision::Allow);
    assert_eq!(d("/prod/GET/users/bob"), Decision::ImplicitDeny);
    assert_eq!(d("/prod/GET/teams/blue/x"), Decision::Allow);
    assert_eq!(d("/prod/GET/teams/red/x"), Decision::ImplicitDeny);
    assert_eq!(d("/prod/GET/lit/*"), Decision::Allow);
    assert_eq!(
        d("/prod/GET/lit/anything"),
        Decision::ImplicitDeny,
        "${{*}} is a literal star"
    );
    assert_eq!(d("/prod/GET/who/nobody"), Decision::Allow);
    // A session has no aws:username: the entry matches nothing.
    let s = Principal::assumed_role(OWNER, "alice", "alice");
    assert_eq!(
        Req::new(&s, &res("/prod/GET/users/alice"))
            .identity(&id)
            .decision(),
        Decision::ImplicitDeny
    );
    // Version 2008 takes variables literally.
    let old = Policy::parse(
        &json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": INVOKE, "Resource": format!("{API}/prod/GET/users/${{aws:username}}")}]}),
        &ParseOptions::identity(),
    )
    .unwrap();
    let old = PolicySet::new([NamedPolicy::new("old", old)]);
    assert_eq!(
        Req::new(&a, &res("/prod/GET/users/alice"))
            .identity(&old)
            .decision(),
        Decision::ImplicitDeny
    );
    assert_eq!(
        Req::new(&a, &res("/prod/GET/users/${aws:username}"))
            .identity(&old)
            .decision(),
        Decision::Allow
    );
}

#[test]
fn principal_context_keys() {
    let s = Principal::assumed_role(OWNER, "dev", "app")
        .with_tags([("team".into(), "blue".into())].into());
    let ctx = RequestContext::for_principal(&s);
    let v = |k: &str| ctx.get(k).map(|v| v[0].as_str().to_owned());
    assert_eq!(
        v("aws:PrincipalArn").as_deref(),
        Some("arn:aws:iam::123456789012:role/dev")
    );
    assert_eq!(v("aws:PrincipalAccount").as_deref(), Some(OWNER));
    assert_eq!(v("aws:PrincipalType").as_deref(), Some("AssumedRole"));
    assert_eq!(v("aws:username"), None);
    assert!(v("aws:userid").unwrap().starts_with("AROA"));
    assert!(v("aws:userid").unwrap().ends_with(":app"));
    assert_eq!(v("aws:principaltag/TEAM").as_deref(), Some("blue"));
    let r = res("/prod/GET/pets");
    let rp = rpol(
        json!([{"Effect": "Allow", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*",
                          "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/dev"},
                                        "StringEquals": {"aws:PrincipalTag/team": "blue"}}}]),
    );
    assert_eq!(
        Req::new(&s, &r)
            .identity(&PolicySet::empty())
            .rp(&rp)
            .decision(),
        Decision::Allow
    );
    let u = alice();
    let ctx = RequestContext::for_principal(&u);
    assert_eq!(ctx.get("aws:username").unwrap()[0].as_str(), "alice");
    assert_eq!(ctx.get("aws:PrincipalType").unwrap()[0].as_str(), "User");
    assert_eq!(
        RequestContext::for_principal(&Principal::anonymous())
            .get("aws:userid")
            .unwrap()[0]
            .as_str(),
        "anonymous"
    );
}

#[test]
fn managed_policies() {
    let r = res("/prod/GET/pets");
    let a = alice();
    let invoke = PolicySet::new([aws_managed_policy("AmazonAPIGatewayInvokeFullAccess").unwrap()]);
    assert_eq!(
        Req::new(&a, &r).identity(&invoke).decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&a, &r)
            .identity(&invoke)
            .action("execute-api:ManageConnections")
            .decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&a, &r)
            .identity(&invoke)
            .action("execute-api:InvalidateCache")
            .decision(),
        Decision::ImplicitDeny
    );
    let admin = PolicySet::new([
        aws_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").unwrap(),
    ]);
    assert_eq!(
        Req::new(&a, &r)
            .identity(&admin)
            .action("execute-api:InvalidateCache")
            .decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&a, "arn:aws:s3:::bucket")
            .identity(&admin)
            .action("s3:GetObject")
            .decision(),
        Decision::Allow
    );
}

#[test]
fn explanation_reads_like_the_simulator() {
    let r = res("/prod/GET/pets");
    let a = alice();
    let set = PolicySet::new([
        NamedPolicy::new(
            "InvokeAll",
            policy(
                json!([{"Sid": "Invoke", "Effect": "Allow", "Action": INVOKE, "Resource": "*"}]),
            ),
        ),
        NamedPolicy::new(
            "NoProd",
            policy(json!([{"Effect": "Deny", "Action": "*", "Resource": format!("{API}/prod/*")}])),
        ),
    ]);
    let got = Req::new(&a, &r).identity(&set).run();
    let text = got.explanation().for_request(&a, INVOKE, &r).to_string();
    let expected = format!(
        "Principal: arn:aws:iam::123456789012:user/alice\n\
         EvalActionName: execute-api:Invoke\n\
         EvalResourceName: {r}\n\
         EvalDecision: explicitDeny (explicit_deny_identity)\n\
         MatchedStatements:\n  \
         - identity-based policy \"InvokeAll\", statement 0 (Sid \"Invoke\"): Allow\n  \
         - identity-based policy \"NoProd\", statement 0: Deny [decisive]"
    );
    assert_eq!(text, expected);
    let none = Req::new(&a, &r).identity(&PolicySet::empty()).run();
    assert_eq!(
        none.explanation().to_string(),
        "EvalDecision: implicitDeny (no_identity_allow)\nMatchedStatements: none"
    );
}

#[test]
fn conditions_in_context() {
    let r = res("/prod/GET/pets");
    let a = alice();
    let id = ident(
        json!([{"Effect": "Allow", "Action": INVOKE, "Resource": "*", "Condition": {
            "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
            "Bool": {"aws:SecureTransport": "true"},
            "StringLike": {"aws:UserAgent": "aws-sdk-*"}
        }}]),
    );
    let mut ctx = RequestContext::for_principal(&a);
    ctx.set_current_time(time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap());
    ctx.set_secure_transport(true);
    ctx.insert("aws:UserAgent", "aws-sdk-rust/1.0");
    assert_eq!(
        Req::new(&a, &r).identity(&id).ctx(ctx.clone()).decision(),
        Decision::Allow
    );
    ctx.set_secure_transport(false);
    assert_eq!(
        Req::new(&a, &r).identity(&id).ctx(ctx.clone()).decision(),
        Decision::ImplicitDeny
    );
    ctx.set_secure_transport(true);
    ctx.set_current_time(time::OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap());
    assert_eq!(
        Req::new(&a, &r).identity(&id).ctx(ctx).decision(),
        Decision::ImplicitDeny
    );
}

/// "Policy variables with no value" (IAM User Guide, "IAM policy elements: Variables and
/// tags"), statement by statement. An independent evaluator read "the entire statement might
/// be invalid" as "an unresolvable variable voids the statement"; the section itself says
/// otherwise, and its own example depends on it:
///
/// * positive operators "do not match, and the policy statement does not take effect";
/// * "Inverted condition operators like `StringNotEquals` or `StringNotLike` do match against a
///   null value" — so a `Deny` on `StringNotEquals: {s3:ExistingObjectTag/Team:
///   ${aws:PrincipalTag/Team}}` denies a caller without the tag ("Access is specifically denied
///   when `aws:principaltag/Team` is not set");
/// * in `Resource` or `NotResource`, "the resource that includes a policy variable with no
///   value will not match any resource": a `Resource` entry with it matches nothing, and a
///   `NotResource` entry with it excludes nothing.
#[test]
fn unresolvable_variables_follow_the_no_value_section() {
    let untagged = alice();
    let tagged = Principal::user(OWNER, "alice").with_tags([("Team".into(), "blue".into())].into());
    let r = res("/prod/GET/pets");
    let ctx = |p: &Principal, object_team: Option<&str>| {
        let mut c = RequestContext::for_principal(p);
        if let Some(t) = object_team {
            c.insert("s3:ExistingObjectTag/Team", t);
        }
        c
    };
    let allow_all = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});

    // The page's example: Deny unless the object's team is the caller's.
    let doc_example = ident(json!([allow_all, {
        "Effect": "Deny", "Action": INVOKE, "Resource": "*",
        "Condition": {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
    }]));
    let d = |p: &Principal, team| {
        Req::new(p, &r)
            .identity(&doc_example)
            .ctx(ctx(p, team))
            .decision()
    };
    assert_eq!(d(&tagged, Some("blue")), Decision::Allow);
    assert_eq!(d(&tagged, Some("red")), Decision::ExplicitDeny);
    assert_eq!(
        d(&untagged, Some("blue")),
        Decision::ExplicitDeny,
        "the tag is not set: specifically denied"
    );
    assert_eq!(d(&untagged, None), Decision::ExplicitDeny);

    // Positive operator with the variable: the Allow does not take effect.
    let positive = ident(json!([{
        "Effect": "Allow", "Action": INVOKE, "Resource": "*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
    }]));
    let d = |p: &Principal, team| {
        Req::new(p, &r)
            .identity(&positive)
            .ctx(ctx(p, team))
            .decision()
    };
    assert_eq!(d(&tagged, Some("blue")), Decision::Allow);
    assert_eq!(d(&untagged, Some("blue")), Decision::ImplicitDeny);

    // ArnNotEquals/ArnNotLike likewise match the null value.
    let arn_not = ident(json!([allow_all, {
        "Effect": "Deny", "Action": INVOKE, "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/${aws:PrincipalTag/Team}"}}
    }]));
    assert_eq!(
        Req::new(&untagged, &r).identity(&arn_not).decision(),
        Decision::ExplicitDeny
    );

    // Resource: the entry matches nothing; NotResource: the entry excludes nothing.
    let team_resource = format!("{API}/prod/GET/${{aws:PrincipalTag/Team}}");
    let team_r = res("/prod/GET/blue");
    let allow_team =
        ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": team_resource}]));
    assert_eq!(
        Req::new(&tagged, &team_r).identity(&allow_team).decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&untagged, &team_r)
            .identity(&allow_team)
            .decision(),
        Decision::ImplicitDeny
    );
    let deny_but_team = ident(json!([allow_all, {
        "Effect": "Deny", "Action": INVOKE, "NotResource": team_resource
    }]));
    assert_eq!(
        Req::new(&tagged, &team_r)
            .identity(&deny_but_team)
            .decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&untagged, &team_r)
            .identity(&deny_but_team)
            .decision(),
        Decision::ExplicitDeny,
        "NotResource's entry with no value excludes nothing: the Deny covers every resource"
    );
    // A default resolves the variable, so the statement is judged on its value.
    let with_default = ident(json!([allow_all, {
        "Effect": "Deny", "Action": INVOKE,
        "NotResource": format!("{API}/prod/GET/${{aws:PrincipalTag/Team, 'blue'}}")
    }]));
    assert_eq!(
        Req::new(&untagged, &team_r)
            .identity(&with_default)
            .decision(),
        Decision::Allow
    );
}

/// Variables are substituted only in `Resource`/`NotResource` and in string and ARN condition
/// values ("Where you can use policy variables"). In `Action`/`NotAction` they could only be
/// literal text, which no action name contains: such policies are refused when loaded, so an
/// unresolvable variable can never widen a `NotAction`.
#[test]
fn variables_in_actions_are_refused() {
    for (element, value) in [
        ("Action", "execute-api:${aws:username}"),
        ("NotAction", "execute-api:${aws:username}"),
        ("NotAction", "${aws:username}:*"),
        ("NotAction", "execute-api:Invoke${aws:PrincipalTag/team}"),
    ] {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", element: value, "Resource": "*"}]});
        let err = Policy::parse(&doc, &ParseOptions::identity()).unwrap_err();
        assert_eq!(err.pointer, format!("/Statement/0/{element}"), "{value}");
    }
}

/// "Set operators for multivalued context keys" — `ForAnyValue` "For no matching context key
/// or a null dataset, the condition returns false" — with `IfExists`, in an Allow and a Deny.
#[test]
fn for_any_value_if_exists_on_an_absent_key_does_not_apply() {
    let a = alice();
    let r = res("/prod/GET/pets");
    let allow = ident(json!([{
        "Effect": "Allow", "Action": INVOKE, "Resource": "*",
        "Condition": {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}
    }]));
    assert_eq!(
        Req::new(&a, &r).identity(&allow).decision(),
        Decision::ImplicitDeny
    );
    let mut tagged = RequestContext::for_principal(&a);
    tagged.insert_values("aws:TagKeys", ["team", "env"]);
    assert_eq!(
        Req::new(&a, &r).identity(&allow).ctx(tagged).decision(),
        Decision::Allow
    );
    let deny = ident(
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}, {
            "Effect": "Deny", "Action": INVOKE, "Resource": "*",
            "Condition": {"ForAnyValue:StringNotLikeIfExists": {"aws:TagKeys": "t*"}}
        }]),
    );
    assert_eq!(Req::new(&a, &r).identity(&deny).decision(), Decision::Allow);
    // ForAllValues and single-valued IfExists are true on the absent key.
    for op in [
        "ForAllValues:StringEqualsIfExists",
        "ForAllValues:StringEquals",
        "StringEqualsIfExists",
    ] {
        let p = ident(json!([{
            "Effect": "Allow", "Action": INVOKE, "Resource": "*",
            "Condition": {op: {"aws:TagKeys": "team"}}
        }]));
        assert_eq!(
            Req::new(&a, &r).identity(&p).decision(),
            Decision::Allow,
            "{op}"
        );
    }
}
