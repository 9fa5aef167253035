//! `sts:AssumeRole` and role trust policies, through `authorize_assume_role`: every combination
//! of what the trust policy names, what the caller's identity (and session) policies say,
//! `sts:ExternalId` conditions, and same- versus cross-account callers.
//!
//! The rules (IAM User Guide, "Policy evaluation logic", "IAM JSON policy elements: Principal",
//! "Cross-account policy evaluation logic"): the trust policy must always allow the caller;
//! naming the caller's own ARN grants by itself in the same account; naming only the account
//! delegates, so the identity policies must allow `sts:AssumeRole` on the role too; a caller
//! from another account always needs its identity policies as well; an explicit deny anywhere
//! denies; session policies still narrow a role session.
#![allow(clippy::unwrap_used)]

mod common;

use common::{OTHER, OWNER};
use iam::*;
use serde_json::{Value, json};

const ACTION: &str = "sts:AssumeRole";
const ROLE: &str = "arn:aws:iam::123456789012:role/target";
const EXTERNAL_ID: &str = "ext-4711";

fn trust_policy(statements: Value) -> NamedPolicy {
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    NamedPolicy::new(
        "target trust policy",
        Policy::parse(&doc, &ParseOptions::trust()).unwrap(),
    )
}

fn allow_trust(principal: Value) -> NamedPolicy {
    trust_policy(json!([{"Effect": "Allow", "Principal": principal, "Action": ACTION}]))
}

fn identity(statements: Value) -> PolicySet {
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    PolicySet::new([NamedPolicy::new(
        "caller policy",
        Policy::parse(&doc, &ParseOptions::identity()).unwrap(),
    )])
}

/// What the trust policy's one Allow statement names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trust {
    /// The caller's own ARN (user ARN, or the session ARN for a role session).
    Caller,
    /// The caller's role (for role sessions: role chaining).
    CallerRole,
    /// `arn:aws:iam::{caller account}:root`.
    AccountRoot,
    /// `"{caller account}"`.
    BareAccount,
    /// Someone else in the caller's account.
    AnotherPrincipal,
    /// Another account altogether.
    AnotherAccount,
    /// The caller's account root, only with `sts:ExternalId` = EXTERNAL_ID.
    AccountWithExternalId,
    /// The caller's own ARN, only with `sts:ExternalId` = EXTERNAL_ID.
    CallerWithExternalId,
    /// `"*"` (AWS warns against it; it names everyone).
    Everyone,
}

const TRUSTS: [Trust; 9] = [
    Trust::Caller,
    Trust::CallerRole,
    Trust::AccountRoot,
    Trust::BareAccount,
    Trust::AnotherPrincipal,
    Trust::AnotherAccount,
    Trust::AccountWithExternalId,
    Trust::CallerWithExternalId,
    Trust::Everyone,
];

/// The caller's identity-based policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ident {
    /// Allows `sts:AssumeRole` on `*` (the reported case).
    AllowStar,
    /// Allows `sts:AssumeRole` on this role.
    AllowRole,
    /// Allows other things only.
    Silent,
    /// Allows on `*` but explicitly denies this role.
    Deny,
}

const IDENTS: [Ident; 4] = [
    Ident::AllowStar,
    Ident::AllowRole,
    Ident::Silent,
    Ident::Deny,
];

fn identity_policies(i: Ident) -> PolicySet {
    match i {
        Ident::AllowStar => {
            identity(json!([{"Effect": "Allow", "Action": ACTION, "Resource": "*"}]))
        }
        Ident::AllowRole => {
            identity(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}]))
        }
        Ident::Silent => identity(
            json!([{"Effect": "Allow", "Action": ACTION, "Resource": "arn:aws:iam::123456789012:role/elsewhere"},
                   {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]),
        ),
        Ident::Deny => identity(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": ROLE}
        ])),
    }
}

/// The `sts:ExternalId` the caller sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ext {
    Right,
    Wrong,
    Absent,
}

const EXTS: [Ext; 3] = [Ext::Right, Ext::Wrong, Ext::Absent];

/// The callers: a user and a role session in the role's account, and a user and a role
/// session in another account.
fn callers() -> Vec<(&'static str, Principal)> {
    vec![
        ("same-account user", Principal::user(OWNER, "alice")),
        (
            "same-account session",
            Principal::assumed_role(OWNER, "dev", "app"),
        ),
        ("cross-account user", Principal::user(OTHER, "carol")),
        (
            "cross-account session",
            Principal::assumed_role(OTHER, "ops", "ci"),
        ),
    ]
}

fn trust_for(t: Trust, caller: &Principal) -> NamedPolicy {
    let account = caller.account();
    let own = caller.arn().to_string();
    let role = match caller.kind() {
        PrincipalKind::AssumedRole { role_arn, .. } => role_arn.clone(),
        // A user has no role: name some role that is not it.
        _ => format!("arn:aws:iam::{account}:role/nobody"),
    };
    let ext = json!({"StringEquals": {"sts:ExternalId": EXTERNAL_ID}});
    match t {
        Trust::Caller => allow_trust(json!({"AWS": own})),
        Trust::CallerRole => allow_trust(json!({"AWS": role})),
        Trust::AccountRoot => allow_trust(json!({"AWS": format!("arn:aws:iam::{account}:root")})),
        Trust::BareAccount => allow_trust(json!({"AWS": account})),
        Trust::AnotherPrincipal => {
            allow_trust(json!({"AWS": format!("arn:aws:iam::{account}:user/somebody-else")}))
        }
        Trust::AnotherAccount => allow_trust(json!({"AWS": "999999999999"})),
        Trust::AccountWithExternalId => trust_policy(json!([{
            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": ACTION, "Condition": ext
        }])),
        Trust::CallerWithExternalId => trust_policy(json!([{
            "Effect": "Allow", "Principal": {"AWS": own}, "Action": ACTION, "Condition": ext
        }])),
        Trust::Everyone => allow_trust(json!({"AWS": "*"})),
    }
}

fn context(caller: &Principal, ext: Ext) -> RequestContext {
    let mut ctx = RequestContext::for_principal(caller);
    ctx.insert("sts:RoleSessionName", "s1");
    match ext {
        Ext::Right => {
            ctx.insert("sts:ExternalId", EXTERNAL_ID);
        }
        Ext::Wrong => {
            ctx.insert("sts:ExternalId", "guessed");
        }
        Ext::Absent => {}
    }
    ctx
}

fn run(
    caller: &Principal,
    ident: &PolicySet,
    session: Option<&PolicySet>,
    trust: &NamedPolicy,
    ctx: &RequestContext,
) -> Authorization {
    authorize_assume_role(&AuthzInput {
        principal: caller,
        action: ACTION,
        resource: ROLE,
        context: ctx,
        resource_account: OWNER,
        identity: Some(ident),
        session_policies: session,
        resource_policy: Some(trust),
    })
}

/// The expected outcome, from the documented rules, one question at a time.
fn expected(t: Trust, i: Ident, same_account: bool, is_session: bool, ext: Ext) -> Reason {
    // 1. An explicit deny in any policy denies.
    if i == Ident::Deny {
        return Reason::ExplicitDenyIdentity;
    }
    // 2. The trust policy must allow the caller: name it (its ARN, its role, its account or
    //    everyone), with every condition holding.
    let names_caller = match t {
        Trust::Caller | Trust::CallerWithExternalId | Trust::Everyone => true,
        Trust::CallerRole => is_session,
        Trust::AccountRoot | Trust::BareAccount | Trust::AccountWithExternalId => true,
        Trust::AnotherPrincipal | Trust::AnotherAccount => false,
    };
    let conditions_hold = match t {
        Trust::AccountWithExternalId | Trust::CallerWithExternalId => ext == Ext::Right,
        _ => true,
    };
    if !(names_caller && conditions_hold) {
        return Reason::NoTrustAllow;
    }
    // 3. Does the caller's account have to allow too?
    let delegates = matches!(
        t,
        Trust::AccountRoot | Trust::BareAccount | Trust::AccountWithExternalId
    );
    let identity_allows = matches!(i, Ident::AllowStar | Ident::AllowRole);
    if !same_account && !identity_allows {
        return Reason::CrossAccountNoIdentityAllow;
    }
    if same_account && delegates && !identity_allows {
        return Reason::NoIdentityAllow;
    }
    Reason::Allowed
}

#[test]
fn every_combination_of_trust_identity_external_id_and_account() {
    let mut cells = 0;
    for (label, caller) in callers() {
        let same_account = caller.account() == OWNER;
        let is_session = matches!(caller.kind(), PrincipalKind::AssumedRole { .. });
        for t in TRUSTS {
            let trust = trust_for(t, &caller);
            for i in IDENTS {
                let ident = identity_policies(i);
                for ext in EXTS {
                    let ctx = context(&caller, ext);
                    let got = run(&caller, &ident, None, &trust, &ctx);
                    let want = expected(t, i, same_account, is_session, ext);
                    assert_eq!(
                        got.reason(),
                        want,
                        "{label}, trust {t:?}, identity {i:?}, external id {ext:?}\n{}",
                        got.explanation()
                    );
                    assert_eq!(got.is_allowed(), want == Reason::Allowed);
                    cells += 1;
                }
            }
        }
    }
    assert_eq!(cells, 4 * 9 * 4 * 3);
}

/// The report: an IAM user whose identity policy allows `sts:AssumeRole` on `*` assumed a role
/// whose trust policy names only another user, and needed no `ExternalId`.
#[test]
fn reported_example_identity_star_does_not_bypass_the_trust_policy() {
    let mallory = Principal::user(OWNER, "mallory");
    let star = identity_policies(Ident::AllowStar);
    let only_bob = allow_trust(json!({"AWS": "arn:aws:iam::123456789012:user/bob"}));
    let got = run(
        &mallory,
        &star,
        None,
        &only_bob,
        &context(&mallory, Ext::Absent),
    );
    assert_eq!(got.decision(), Decision::ImplicitDeny);
    assert_eq!(got.reason(), Reason::NoTrustAllow);
    assert_eq!(
        got.deny_message(&mallory, ACTION, ROLE),
        "User: arn:aws:iam::123456789012:user/mallory is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/target because no resource-based policy allows the sts:AssumeRole action"
    );
    assert!(
        got.explanation()
            .notes()
            .iter()
            .any(|n| n.contains("trust policy allows")),
        "{}",
        got.explanation()
    );
    // The plain `authorize` (API Gateway's Table A) would have allowed: the root cause.
    let table_a = authorize(&AuthzInput {
        principal: &mallory,
        action: ACTION,
        resource: ROLE,
        context: &context(&mallory, Ext::Absent),
        resource_account: OWNER,
        identity: Some(&star),
        session_policies: None,
        resource_policy: Some(&only_bob),
    });
    assert!(table_a.is_allowed());

    // ExternalId: the trust policy's condition must hold, whatever the identity policy says.
    let with_ext = trust_for(Trust::AccountWithExternalId, &mallory);
    for (ext, allowed) in [
        (Ext::Right, true),
        (Ext::Wrong, false),
        (Ext::Absent, false),
    ] {
        let got = run(&mallory, &star, None, &with_ext, &context(&mallory, ext));
        assert_eq!(got.is_allowed(), allowed, "{ext:?}\n{}", got.explanation());
    }
}

#[test]
fn role_chaining_is_narrowed_by_session_policies() {
    let session = Principal::assumed_role(OWNER, "dev", "app");
    let ctx = context(&session, Ext::Absent);
    let silent = identity_policies(Ident::Silent);
    let star = identity_policies(Ident::AllowStar);
    let session_allows = identity(json!([{"Effect": "Allow", "Action": ACTION, "Resource": ROLE}]));
    let session_silent =
        identity(json!([{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]));
    let session_denies = identity(json!([{"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]));
    let by_role = trust_for(Trust::CallerRole, &session);
    let by_session = trust_for(Trust::Caller, &session);
    let by_account = trust_for(Trust::AccountRoot, &session);
    let cases: [(&NamedPolicy, &PolicySet, Option<&PolicySet>, Reason); 12] = [
        // Trust names the role: granted, within the session policy.
        (&by_role, &silent, None, Reason::Allowed),
        (&by_role, &silent, Some(&session_allows), Reason::Allowed),
        (
            &by_role,
            &silent,
            Some(&session_silent),
            Reason::NoSessionAllow,
        ),
        (
            &by_role,
            &star,
            Some(&session_denies),
            Reason::ExplicitDenySession,
        ),
        // Trust names the session itself: not limited by the session policy's silence.
        (&by_session, &silent, Some(&session_silent), Reason::Allowed),
        (
            &by_session,
            &silent,
            Some(&session_denies),
            Reason::ExplicitDenySession,
        ),
        // Trust names the account: the role's policies and the session policy must allow.
        (&by_account, &silent, None, Reason::NoIdentityAllow),
        (&by_account, &star, None, Reason::Allowed),
        (&by_account, &star, Some(&session_allows), Reason::Allowed),
        (
            &by_account,
            &star,
            Some(&session_silent),
            Reason::NoSessionAllow,
        ),
        (
            &by_account,
            &silent,
            Some(&session_allows),
            Reason::NoIdentityAllow,
        ),
        (
            &by_account,
            &star,
            Some(&session_denies),
            Reason::ExplicitDenySession,
        ),
    ];
    for (i, (trust, ident, sess, want)) in cases.into_iter().enumerate() {
        let got = run(&session, ident, sess, trust, &ctx);
        assert_eq!(got.reason(), want, "case {i}\n{}", got.explanation());
    }
}

#[test]
fn explicit_denies_in_the_trust_policy_win() {
    let alice = Principal::user(OWNER, "alice");
    let trust = trust_policy(json!([
        {"Effect": "Allow", "Principal": {"AWS": alice.arn()}, "Action": ACTION},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ACTION,
         "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    ]));
    let star = identity_policies(Ident::AllowStar);
    let mut ctx = context(&alice, Ext::Absent);
    ctx.insert("aws:SourceIp", "192.0.2.1");
    let got = run(&alice, &star, None, &trust, &ctx);
    assert_eq!(got.reason(), Reason::ExplicitDenyResource);
    assert!(
        got.deny_message(&alice, ACTION, ROLE)
            .ends_with("with an explicit deny")
    );
    ctx.insert("aws:SourceIp", "10.1.2.3");
    assert!(run(&alice, &star, None, &trust, &ctx).is_allowed());
}

#[test]
fn trust_conditions_on_the_source_ip_must_hold() {
    let alice = Principal::user(OWNER, "alice");
    let trust = trust_policy(json!([{
        "Effect": "Allow", "Principal": {"AWS": alice.arn()}, "Action": ACTION,
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    }]));
    let star = identity_policies(Ident::AllowStar);
    let mut ctx = context(&alice, Ext::Absent);
    assert_eq!(
        run(&alice, &star, None, &trust, &ctx).reason(),
        Reason::NoTrustAllow
    );
    ctx.insert("aws:SourceIp", "192.0.2.1");
    assert_eq!(
        run(&alice, &star, None, &trust, &ctx).reason(),
        Reason::NoTrustAllow
    );
    ctx.insert("aws:SourceIp", "10.0.0.1");
    assert!(run(&alice, &star, None, &trust, &ctx).is_allowed());
}

#[test]
fn explanations_mark_what_decided() {
    let alice = Principal::user(OWNER, "alice");
    let ctx = context(&alice, Ext::Absent);
    let star = identity_policies(Ident::AllowStar);
    // Named directly: the trust statement decides, the identity policy is not needed.
    let got = run(
        &alice,
        &star,
        None,
        &allow_trust(json!({"AWS": alice.arn()})),
        &ctx,
    );
    assert!(got.is_allowed());
    let decisive: Vec<_> = got
        .explanation()
        .matched()
        .iter()
        .filter(|m| m.decisive)
        .map(|m| m.source)
        .collect();
    assert_eq!(decisive, vec![PolicySource::Resource]);
    // Through the account: both decide.
    let got = run(
        &alice,
        &star,
        None,
        &trust_for(Trust::BareAccount, &alice),
        &ctx,
    );
    let decisive: Vec<_> = got
        .explanation()
        .matched()
        .iter()
        .filter(|m| m.decisive)
        .map(|m| m.source)
        .collect();
    assert_eq!(
        decisive,
        vec![PolicySource::Identity, PolicySource::Resource]
    );
    // Delegation without an identity allow: the note says why.
    let silent = identity_policies(Ident::Silent);
    let got = run(
        &alice,
        &silent,
        None,
        &trust_for(Trust::AccountRoot, &alice),
        &ctx,
    );
    assert_eq!(
        got.deny_message(&alice, ACTION, ROLE),
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/target because no identity-based policy allows the sts:AssumeRole action"
    );
    assert!(
        got.explanation()
            .notes()
            .iter()
            .any(|n| n.contains("delegates")),
        "{}",
        got.explanation()
    );
    assert!(got.explanation().to_string().contains("no_identity_allow"));
}

#[test]
fn callers_without_an_iam_identity() {
    let anon = Principal::anonymous();
    let everyone = allow_trust(json!("*"));
    let got = authorize_assume_role(&AuthzInput {
        principal: &anon,
        action: ACTION,
        resource: ROLE,
        context: &RequestContext::for_principal(&anon),
        resource_account: OWNER,
        identity: None,
        session_policies: None,
        resource_policy: Some(&everyone),
    });
    assert!(!got.is_allowed(), "unsigned callers never assume roles");
    assert_eq!(
        got.deny_message(&anon, ACTION, ROLE),
        format!("User: anonymous is not authorized to perform: sts:AssumeRole on resource: {ROLE}")
    );
    // A service principal is judged by the trust policy alone.
    let svc = Principal::service("ec2.amazonaws.com");
    let ec2 = allow_trust(json!({"Service": "ec2.amazonaws.com"}));
    let run_svc = |trust: &NamedPolicy| {
        authorize_assume_role(&AuthzInput {
            principal: &svc,
            action: ACTION,
            resource: ROLE,
            context: &RequestContext::for_principal(&svc),
            resource_account: OWNER,
            identity: None,
            session_policies: None,
            resource_policy: Some(trust),
        })
    };
    assert!(run_svc(&ec2).is_allowed());
    assert!(!run_svc(&allow_trust(json!({"AWS": OWNER}))).is_allowed());
    // No trust policy at all allows nothing.
    let alice = Principal::user(OWNER, "alice");
    let got = authorize_assume_role(&AuthzInput {
        principal: &alice,
        action: ACTION,
        resource: ROLE,
        context: &RequestContext::for_principal(&alice),
        resource_account: OWNER,
        identity: Some(&identity_policies(Ident::AllowStar)),
        session_policies: None,
        resource_policy: None,
    });
    assert_eq!(got.reason(), Reason::NoTrustAllow);
}

#[test]
fn the_root_user_has_its_accounts_identity_permissions() {
    let root = Principal::account_root(OWNER);
    let none = PolicySet::empty();
    let ctx = RequestContext::for_principal(&root);
    let run_root = |trust: &NamedPolicy| run(&root, &none, None, trust, &ctx);
    assert!(run_root(&allow_trust(json!({"AWS": OWNER}))).is_allowed());
    assert_eq!(
        run_root(&allow_trust(
            json!({"AWS": "arn:aws:iam::123456789012:user/bob"})
        ))
        .reason(),
        Reason::NoTrustAllow
    );
}
