//! End-to-end authorization: resource-policy principals, account delegation, anonymous callers,
//! Lambda authorizers, session policies, the root user, trust policies and deny messages.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use iam::*;
use serde_json::{Value, json};

#[test]
fn not_principal_excludes_only_fully_listed_callers() {
    let r = res("/prod/GET/pets");
    let bob = Principal::user(OWNER, "bob");
    let a = alice();
    let allow_all = ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": "*"}]));
    let rp = rpol(
        json!([{"Effect": "Deny", "NotPrincipal": {"AWS": [bob.arn(), format!("arn:aws:iam::{OWNER}:root")]},
                          "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&bob, &r).identity(&allow_all).rp(&rp).decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&a, &r).identity(&allow_all).rp(&rp).decision(),
        Decision::ExplicitDeny
    );
    assert_eq!(
        Req::new(&Principal::anonymous(), &r).rp(&rp).decision(),
        Decision::ExplicitDeny
    );

    // A session is excluded only if its session ARN, its role and its account are all listed.
    let s = Principal::assumed_role(OWNER, "dev", "app");
    let only_role = rpol(
        json!([{"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::123456789012:role/dev", OWNER]},
                                "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&s, &r)
            .identity(&allow_all)
            .rp(&only_role)
            .decision(),
        Decision::ExplicitDeny
    );
    let all_three = rpol(
        json!([{"Effect": "Deny", "NotPrincipal": {"AWS": [s.arn(), "arn:aws:iam::123456789012:role/dev", OWNER]},
                                 "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&s, &r)
            .identity(&allow_all)
            .rp(&all_three)
            .decision(),
        Decision::Allow
    );
}

#[test]
fn resource_policy_principals() {
    let r = res("/prod/GET/pets");
    let rp_for = |p: Value| {
        rpol(
            json!([{"Effect": "Allow", "Principal": p, "Action": INVOKE, "Resource": "execute-api:/*"}]),
        )
    };
    let none = PolicySet::empty();
    let anon = Principal::anonymous();
    let a = alice();
    let session = Principal::assumed_role(OWNER, "dev", "app");
    let other_session = Principal::assumed_role(OWNER, "dev", "other");

    // "*" and {"AWS": "*"} match everyone, anonymous callers included.
    for p in [json!("*"), json!({"AWS": "*"}), json!({"AWS": ["*"]})] {
        let rp = rp_for(p);
        assert_eq!(Req::new(&anon, &r).rp(&rp).decision(), Decision::Allow);
        assert_eq!(
            Req::new(&a, &r).identity(&none).rp(&rp).decision(),
            Decision::Allow
        );
    }
    // A user ARN matches that user only.
    let rp = rp_for(json!({"AWS": a.arn()}));
    assert_eq!(
        Req::new(&a, &r).identity(&none).rp(&rp).decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&Principal::user(OWNER, "bob"), &r)
            .identity(&none)
            .rp(&rp)
            .decision(),
        Decision::ImplicitDeny
    );
    assert_eq!(
        Req::new(&anon, &r).rp(&rp).decision(),
        Decision::ImplicitDeny
    );
    // A role ARN matches every session of the role.
    let rp = rp_for(json!({"AWS": "arn:aws:iam::123456789012:role/dev"}));
    assert_eq!(
        Req::new(&session, &r).identity(&none).rp(&rp).decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&other_session, &r)
            .identity(&none)
            .rp(&rp)
            .decision(),
        Decision::Allow
    );
    // A session ARN matches that session only.
    let rp = rp_for(json!({"AWS": session.arn()}));
    assert_eq!(
        Req::new(&session, &r).identity(&none).rp(&rp).decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&other_session, &r)
            .identity(&none)
            .rp(&rp)
            .decision(),
        Decision::ImplicitDeny
    );
    // Service principals have no identity policies: the resource policy decides.
    let svc = Principal::service("apigateway.amazonaws.com");
    let rp = rp_for(json!({"Service": "APIGateway.amazonaws.com"}));
    assert_eq!(Req::new(&svc, &r).rp(&rp).decision(), Decision::Allow);
    assert_eq!(
        Req::new(&a, &r).identity(&none).rp(&rp).decision(),
        Decision::ImplicitDeny
    );
}

#[test]
fn account_principal_is_delegation_only() {
    let r = res("/prod/GET/pets");
    let none = PolicySet::empty();
    let allow = ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": "*"}]));
    let a = alice();
    for principal in [
        json!({"AWS": OWNER}),
        json!({"AWS": format!("arn:aws:iam::{OWNER}:root")}),
    ] {
        let rp = rpol(
            json!([{"Effect": "Allow", "Principal": principal, "Action": INVOKE, "Resource": "execute-api:/*"}]),
        );
        let got = Req::new(&a, &r).identity(&none).rp(&rp).run();
        assert_eq!(
            got.decision(),
            Decision::ImplicitDeny,
            "{}",
            got.explanation()
        );
        assert_eq!(got.reason(), Reason::NoIdentityAllow);
        assert!(
            got.explanation()
                .notes()
                .iter()
                .any(|n| n.contains("delegates"))
        );
        assert_eq!(
            Req::new(&a, &r).identity(&allow).rp(&rp).decision(),
            Decision::Allow
        );
        // The account's root user is named by it directly.
        let root = Principal::account_root(OWNER);
        assert_eq!(
            Req::new(&root, &r).identity(&none).rp(&rp).decision(),
            Decision::Allow
        );
    }
    // Cross-account: naming the caller's account satisfies the resource side of Table B.
    let carol = Principal::user(OTHER, "carol");
    let rp = rpol(
        json!([{"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&carol, &r).identity(&allow).rp(&rp).decision(),
        Decision::Allow
    );
    let got = Req::new(&carol, &r).identity(&none).rp(&rp).run();
    assert_eq!(got.reason(), Reason::CrossAccountNoIdentityAllow);
    // Cross-account with no resource policy at all.
    let got = Req::new(&carol, &r).identity(&allow).run();
    assert_eq!(got.reason(), Reason::CrossAccountNoResourcePolicy);
    // A Deny naming an account denies everyone in it.
    let deny = rpol(
        json!([{"Effect": "Deny", "Principal": {"AWS": OWNER}, "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&a, &r).identity(&allow).rp(&deny).decision(),
        Decision::ExplicitDeny
    );
}

#[test]
fn anonymous_callers_need_the_resource_policy() {
    let r = res("/prod/GET/pets");
    let anon = Principal::anonymous();
    let rp = rpol(
        json!([{"Effect": "Allow", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*",
                          "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "198.51.100.0/24"]}}}]),
    );
    let mut ctx = RequestContext::for_principal(&anon);
    ctx.set_source_ip("192.0.2.7".parse().unwrap());
    assert_eq!(
        Req::new(&anon, &r).rp(&rp).ctx(ctx.clone()).decision(),
        Decision::Allow
    );
    ctx.set_source_ip("203.0.113.1".parse().unwrap());
    let got = Req::new(&anon, &r).rp(&rp).ctx(ctx).run();
    assert_eq!(got.reason(), Reason::NoResourceAllow);
    assert_eq!(
        got.deny_message(&anon, INVOKE, &r),
        format!(
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {r}"
        )
    );
    // No resource policy and no identity: nothing can allow.
    assert_eq!(Req::new(&anon, &r).run().reason(), Reason::NoResourcePolicy);
    // Private-API style: deny outside a VPC endpoint.
    let vpce = rpol(json!([
        {"Effect": "Allow", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}
    ]));
    let got = Req::new(&anon, &r).rp(&vpce).run();
    assert_eq!(got.decision(), Decision::ExplicitDeny);
    assert_eq!(
        got.deny_message(&anon, INVOKE, &r),
        format!(
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {r} with an explicit deny"
        )
    );
    let mut ctx = RequestContext::new();
    ctx.insert("aws:SourceVpce", "vpce-1a2b3c4d");
    assert_eq!(
        Req::new(&anon, &r).rp(&vpce).ctx(ctx).decision(),
        Decision::Allow
    );
}

#[test]
fn deny_messages_use_aws_wording() {
    let r = res("/prod/GET/pets");
    let a = alice();
    let none = PolicySet::empty();
    let deny = ident(json!([{"Effect": "Deny", "Action": INVOKE, "Resource": "*"}]));
    let allow = ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": "*"}]));
    let base = format!(
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: {r}"
    );

    let got = Req::new(&a, &r).identity(&deny).run();
    assert_eq!(
        got.deny_message(&a, INVOKE, &r),
        format!("{base} with an explicit deny")
    );
    let got = Req::new(&a, &r).identity(&none).run();
    assert_eq!(
        got.deny_message(&a, INVOKE, &r),
        format!("{base} because no identity-based policy allows the execute-api:Invoke action")
    );

    let carol = Principal::user(OTHER, "carol");
    let silent = rpol(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/nobody"}, "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    let got = Req::new(&carol, &r).identity(&allow).rp(&silent).run();
    assert_eq!(got.reason(), Reason::CrossAccountNoResourceAllow);
    assert_eq!(
        got.deny_message(&carol, INVOKE, &r),
        format!(
            "User: arn:aws:iam::210987654321:user/carol is not authorized to perform: execute-api:Invoke on resource: {r} because no resource-based policy allows the execute-api:Invoke action"
        )
    );

    let s = Principal::assumed_role(OWNER, "dev", "app");
    let sess = ident(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    let got = Req::new(&s, &r).identity(&allow).session(&sess).run();
    assert_eq!(got.reason(), Reason::NoSessionAllow);
    assert_eq!(
        got.deny_message(&s, INVOKE, &r),
        format!(
            "User: arn:aws:sts::123456789012:assumed-role/dev/app is not authorized to perform: execute-api:Invoke on resource: {r} because no session policy allows the execute-api:Invoke action"
        )
    );
    assert_eq!(
        Req::new(&a, &r)
            .identity(&allow)
            .run()
            .deny_message(&a, INVOKE, &r),
        ""
    );
    assert_eq!(
        mask_account(&r),
        "arn:aws:execute-api:us-east-1:********9012:abc123/prod/GET/pets"
    );
}

#[test]
fn session_policies_intersect() {
    let r = res("/prod/GET/pets");
    let s = Principal::assumed_role(OWNER, "dev", "app");
    let role = ident(json!([{"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"}]));
    let narrow = ident(
        json!([{"Effect": "Allow", "Action": INVOKE, "Resource": format!("{API}/prod/GET/*")}]),
    );
    assert_eq!(
        Req::new(&s, &r).identity(&role).session(&narrow).decision(),
        Decision::Allow
    );
    let post = res("/prod/POST/pets");
    assert_eq!(
        Req::new(&s, &post)
            .identity(&role)
            .session(&narrow)
            .decision(),
        Decision::ImplicitDeny
    );
    // A session policy cannot grant beyond the identity policies.
    let none = PolicySet::empty();
    assert_eq!(
        Req::new(&s, &r).identity(&none).session(&narrow).decision(),
        Decision::ImplicitDeny
    );
    // A resource policy naming the session is added after the session policy…
    let by_session = rpol(
        json!([{"Effect": "Allow", "Principal": {"AWS": s.arn()}, "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&s, &post)
            .identity(&role)
            .session(&narrow)
            .rp(&by_session)
            .decision(),
        Decision::Allow
    );
    // …one naming the role is limited by it.
    let by_role = rpol(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/dev"}, "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&s, &post)
            .identity(&none)
            .session(&narrow)
            .rp(&by_role)
            .decision(),
        Decision::ImplicitDeny
    );
    assert_eq!(
        Req::new(&s, &r)
            .identity(&none)
            .session(&narrow)
            .rp(&by_role)
            .decision(),
        Decision::Allow
    );
    // An explicit deny in a session policy wins.
    let deny = ident(json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}]));
    let got = Req::new(&s, &r)
        .identity(&role)
        .session(&deny)
        .rp(&by_session)
        .run();
    assert_eq!(got.reason(), Reason::ExplicitDenySession);
}

#[test]
fn root_user_has_full_access_in_its_account() {
    let r = res("/prod/GET/pets");
    let root = Principal::account_root(OWNER);
    let got = Req::new(&root, &r).identity(&PolicySet::empty()).run();
    assert_eq!(got.decision(), Decision::Allow);
    assert!(!got.explanation().notes().is_empty());
    let deny = rpol(
        json!([{"Effect": "Deny", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    assert_eq!(
        Req::new(&root, &r)
            .identity(&PolicySet::empty())
            .rp(&deny)
            .decision(),
        Decision::ExplicitDeny
    );
}

#[test]
fn trust_policies_gate_assume_role() {
    let role_arn = "arn:aws:iam::123456789012:role/dev";
    let trust = |principal: Value| {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]});
        NamedPolicy::new(
            "dev trust policy",
            Policy::parse(&doc, &ParseOptions::trust()).unwrap(),
        )
    };
    let a = alice();
    let none = PolicySet::empty();
    let may_assume =
        ident(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]));
    let named = trust(json!({"AWS": a.arn()}));
    assert_eq!(
        Req::new(&a, role_arn)
            .identity(&none)
            .rp(&named)
            .action("sts:AssumeRole")
            .decision(),
        Decision::Allow
    );
    let account = trust(json!({"AWS": OWNER}));
    assert_eq!(
        Req::new(&a, role_arn)
            .identity(&none)
            .rp(&account)
            .action("sts:AssumeRole")
            .decision(),
        Decision::ImplicitDeny
    );
    assert_eq!(
        Req::new(&a, role_arn)
            .identity(&may_assume)
            .rp(&account)
            .action("sts:AssumeRole")
            .decision(),
        Decision::Allow
    );
    let carol = Principal::user(OTHER, "carol");
    let other = trust(json!({"AWS": OTHER}));
    assert_eq!(
        Req::new(&carol, role_arn)
            .identity(&may_assume)
            .rp(&other)
            .action("sts:AssumeRole")
            .decision(),
        Decision::Allow
    );
    assert_eq!(
        Req::new(&carol, role_arn)
            .identity(&none)
            .rp(&other)
            .action("sts:AssumeRole")
            .decision(),
        Decision::ImplicitDeny
    );
    let web = Principal::web_identity("cognito-identity.amazonaws.com");
    let fed = trust(json!({"Federated": "cognito-identity.amazonaws.com"}));
    assert_eq!(
        Req::new(&web, role_arn)
            .rp(&fed)
            .action("sts:AssumeRoleWithWebIdentity")
            .decision(),
        Decision::ImplicitDeny
    );
    let fed = {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]});
        NamedPolicy::new("t", Policy::parse(&doc, &ParseOptions::trust()).unwrap())
    };
    assert_eq!(
        Req::new(&web, role_arn)
            .rp(&fed)
            .action("sts:AssumeRoleWithWebIdentity")
            .decision(),
        Decision::Allow
    );
    // An OIDC provider is matched by its host/path or by its IAM ARN, and by nothing else.
    let oidc = Principal::oidc_web_identity("issuer.example.com/pool", "123456789012");
    let trusting = |federated: &str| {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": federated}, "Action": "sts:AssumeRoleWithWebIdentity"}]});
        NamedPolicy::new("t", Policy::parse(&doc, &ParseOptions::trust()).unwrap())
    };
    for (federated, expected) in [
        ("issuer.example.com/pool", Decision::Allow),
        (
            "arn:aws:iam::123456789012:oidc-provider/issuer.example.com/pool",
            Decision::Allow,
        ),
        (
            "arn:aws:iam::111122223333:oidc-provider/issuer.example.com/pool",
            Decision::ImplicitDeny,
        ),
        ("issuer.example.com/other", Decision::ImplicitDeny),
        ("cognito-identity.amazonaws.com", Decision::ImplicitDeny),
    ] {
        let rp = trusting(federated);
        assert_eq!(
            Req::new(&oidc, role_arn)
                .rp(&rp)
                .action("sts:AssumeRoleWithWebIdentity")
                .decision(),
            expected,
            "{federated}"
        );
    }
}

#[test]
fn lambda_authorizer_policies_follow_table_a() {
    let r = res("/prod/GET/pets");
    let anon = Principal::anonymous();
    let authorizer_allow =
        ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": format!("{API}/prod/*")}]));
    let authorizer_silent =
        ident(json!([{"Effect": "Allow", "Action": INVOKE, "Resource": format!("{API}/dev/*")}]));
    let authorizer_deny = ident(json!([{"Effect": "Deny", "Action": INVOKE, "Resource": "*"}]));
    let rp_allow = rpol(
        json!([{"Effect": "Allow", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    let rp_deny = rpol(
        json!([{"Effect": "Deny", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*"}]),
    );
    let d = |id: &PolicySet, rp: Option<&NamedPolicy>| {
        let mut q = Req::new(&anon, &r).identity(id);
        q.resource_policy = rp;
        q.decision()
    };
    assert_eq!(d(&authorizer_allow, None), Decision::Allow);
    assert_eq!(d(&authorizer_allow, Some(&rp_allow)), Decision::Allow);
    assert_eq!(
        d(&authorizer_silent, Some(&rp_allow)),
        Decision::Allow,
        "Table A: either allows"
    );
    assert_eq!(d(&authorizer_silent, None), Decision::ImplicitDeny);
    assert_eq!(d(&authorizer_allow, Some(&rp_deny)), Decision::ExplicitDeny);
    assert_eq!(d(&authorizer_deny, Some(&rp_allow)), Decision::ExplicitDeny);
    let got = Req::new(&anon, &r).identity(&authorizer_silent).run();
    assert_eq!(
        got.deny_message(&anon, INVOKE, &r),
        format!(
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {r}"
        )
    );
}
