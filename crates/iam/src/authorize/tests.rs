//! Every cell of API Gateway's Tables A and B, through `decide` and end to end.

use super::*;
use crate::model::{ParseOptions, Policy};

#[derive(Clone, Copy, Debug)]
enum Side {
    Allow,
    Neither,
    Deny,
}

const SIDES: [Side; 3] = [Side::Allow, Side::Neither, Side::Deny];

fn facts(identity: Side, resource: Side, same_account: bool) -> Facts {
    Facts {
        identity_present: true,
        id_allow: matches!(identity, Side::Allow),
        id_deny: matches!(identity, Side::Deny),
        resource_present: true,
        resource_allow: matches!(resource, Side::Allow).then_some(PrincipalMatch::Own),
        resource_deny: matches!(resource, Side::Deny),
        same_account,
        ..Facts::default()
    }
}

/// Table A: Account A calls an API owned by account A.
fn table_a(identity: Side, resource: Side) -> Decision {
    match (identity, resource) {
        (Side::Deny, _) | (_, Side::Deny) => Decision::ExplicitDeny,
        (Side::Allow, _) | (_, Side::Allow) => Decision::Allow,
        (Side::Neither, Side::Neither) => Decision::ImplicitDeny,
    }
}

/// Table B: Account B calls an API owned by account A.
fn table_b(identity: Side, resource: Side) -> Decision {
    match (identity, resource) {
        (Side::Deny, _) | (_, Side::Deny) => Decision::ExplicitDeny,
        (Side::Allow, Side::Allow) => Decision::Allow,
        _ => Decision::ImplicitDeny,
    }
}

#[test]
fn decide_matches_table_a_and_b_cell_by_cell() {
    for i in SIDES {
        for r in SIDES {
            assert_eq!(
                decide(facts(i, r, true)).0,
                table_a(i, r),
                "table A {i:?}/{r:?}"
            );
            assert_eq!(
                decide(facts(i, r, false)).0,
                table_b(i, r),
                "table B {i:?}/{r:?}"
            );
        }
    }
}

#[test]
fn decide_reasons() {
    let r = |i, res, same| decide(facts(i, res, same)).1;
    assert_eq!(
        r(Side::Deny, Side::Allow, true),
        Reason::ExplicitDenyIdentity
    );
    assert_eq!(
        r(Side::Allow, Side::Deny, true),
        Reason::ExplicitDenyResource
    );
    assert_eq!(
        r(Side::Neither, Side::Neither, true),
        Reason::NoIdentityAllow
    );
    assert_eq!(
        r(Side::Allow, Side::Neither, false),
        Reason::CrossAccountNoResourceAllow
    );
    assert_eq!(
        r(Side::Neither, Side::Allow, false),
        Reason::CrossAccountNoIdentityAllow
    );
    assert_eq!(
        r(Side::Neither, Side::Neither, false),
        Reason::CrossAccountNoIdentityAllow
    );
    assert_eq!(r(Side::Allow, Side::Allow, false), Reason::Allowed);
}

#[test]
fn decide_without_resource_policy() {
    let f = |allow, same| Facts {
        identity_present: true,
        id_allow: allow,
        same_account: same,
        ..Facts::default()
    };
    assert_eq!(decide(f(true, true)).0, Decision::Allow);
    assert_eq!(decide(f(false, true)).1, Reason::NoIdentityAllow);
    assert_eq!(
        decide(f(true, false)).1,
        Reason::CrossAccountNoResourcePolicy
    );
}

#[test]
fn decide_without_identity() {
    let f = |allow: Option<PrincipalMatch>, deny, present| Facts {
        resource_present: present,
        resource_allow: allow,
        resource_deny: deny,
        ..Facts::default()
    };
    assert_eq!(
        decide(f(Some(PrincipalMatch::Wildcard), false, true)).0,
        Decision::Allow
    );
    assert_eq!(
        decide(f(Some(PrincipalMatch::Wildcard), true, true)).1,
        Reason::ExplicitDenyResource
    );
    assert_eq!(decide(f(None, false, true)).1, Reason::NoResourceAllow);
    assert_eq!(
        decide(f(Some(PrincipalMatch::Account), false, true)).1,
        Reason::NoResourceAllow
    );
    assert_eq!(decide(f(None, false, false)).1, Reason::NoResourcePolicy);
}

#[test]
fn decide_account_delegation() {
    let f = |id_allow, same| Facts {
        identity_present: true,
        id_allow,
        resource_present: true,
        resource_allow: Some(PrincipalMatch::Account),
        same_account: same,
        ..Facts::default()
    };
    // Delegation alone grants nothing in the same account…
    assert_eq!(decide(f(false, true)).1, Reason::NoIdentityAllow);
    assert_eq!(decide(f(true, true)).0, Decision::Allow);
    // …and across accounts it is the resource side identity policies need.
    assert_eq!(decide(f(true, false)).0, Decision::Allow);
    assert_eq!(
        decide(f(false, false)).1,
        Reason::CrossAccountNoIdentityAllow
    );
}

#[test]
fn decide_session_policies() {
    let f = |id_allow, session_allow, resource_allow: Option<PrincipalMatch>| Facts {
        identity_present: true,
        id_allow,
        session_present: true,
        session_allow,
        resource_present: resource_allow.is_some(),
        resource_allow,
        same_account: true,
        ..Facts::default()
    };
    assert_eq!(decide(f(true, true, None)).0, Decision::Allow);
    assert_eq!(decide(f(true, false, None)).1, Reason::NoSessionAllow);
    assert_eq!(decide(f(false, true, None)).1, Reason::NoIdentityAllow);
    // A resource policy naming the session is not limited by session policies…
    assert_eq!(
        decide(f(false, false, Some(PrincipalMatch::Own))).0,
        Decision::Allow
    );
    // …one naming the role is.
    assert_eq!(
        decide(f(false, false, Some(PrincipalMatch::Role))).1,
        Reason::NoSessionAllow
    );
    assert_eq!(
        decide(f(false, true, Some(PrincipalMatch::Role))).0,
        Decision::Allow
    );
    let deny = Facts {
        session_deny: true,
        ..f(true, true, None)
    };
    assert_eq!(decide(deny).1, Reason::ExplicitDenySession);
}

// ---- end to end -------------------------------------------------------------------------

const OWNER: &str = "111111111111";
const OTHER: &str = "222222222222";
const API: &str = "arn:aws:execute-api:us-east-1:111111111111:abc123";

fn identity_policy(effect: Option<&str>) -> PolicySet {
    let Some(effect) = effect else {
        return PolicySet::empty();
    };
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"execute-api:Invoke","Resource":"{API}/*"}}]}}"#
    );
    let p = Policy::from_json_str(&doc, &ParseOptions::identity()).unwrap();
    PolicySet::new([NamedPolicy::new("caller-policy", p)])
}

fn resource_policy(effect: Option<&str>, principal: &str) -> Option<NamedPolicy> {
    let effect = effect?;
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"{effect}","Principal":{{"AWS":"{principal}"}},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}}]}}"#
    );
    let p = Policy::from_json_str(&doc, &ParseOptions::resource(Some(API.into()))).unwrap();
    Some(NamedPolicy::new("abc123", p))
}

fn side_effect(s: Side) -> Option<&'static str> {
    match s {
        Side::Allow => Some("Allow"),
        Side::Deny => Some("Deny"),
        Side::Neither => None,
    }
}

fn run(
    principal: &Principal,
    identity: &PolicySet,
    resource: Option<&NamedPolicy>,
) -> Authorization {
    let ctx = RequestContext::for_principal(principal);
    authorize(&AuthzInput {
        principal,
        action: "execute-api:Invoke",
        resource: &format!("{API}/prod/GET/pets"),
        context: &ctx,
        resource_account: OWNER,
        identity: Some(identity),
        session_policies: None,
        resource_policy: resource,
    })
}

#[test]
fn tables_a_and_b_end_to_end() {
    for i in SIDES {
        for r in SIDES {
            let same = Principal::user(OWNER, "alice");
            let rp = resource_policy(side_effect(r), same.arn());
            let got = run(&same, &identity_policy(side_effect(i)), rp.as_ref());
            assert_eq!(
                got.decision(),
                table_a(i, r),
                "A {i:?}/{r:?}: {}",
                got.explanation()
            );

            let cross = Principal::user(OTHER, "bob");
            let rp = resource_policy(side_effect(r), cross.arn());
            let got = run(&cross, &identity_policy(side_effect(i)), rp.as_ref());
            assert_eq!(
                got.decision(),
                table_b(i, r),
                "B {i:?}/{r:?}: {}",
                got.explanation()
            );
        }
    }
}

#[test]
fn decisive_statements_are_marked() {
    let alice = Principal::user(OWNER, "alice");
    let rp = resource_policy(Some("Deny"), alice.arn());
    let got = run(&alice, &identity_policy(Some("Allow")), rp.as_ref());
    let m = got.explanation().matched();
    assert_eq!(m.len(), 2);
    assert!(!m[0].decisive && m[0].source == PolicySource::Identity);
    assert!(
        m[1].decisive && m[1].source == PolicySource::Resource && m[1].sid.as_deref() == Some("S")
    );
    let text = got.explanation().to_string();
    assert!(
        text.starts_with("EvalDecision: explicitDeny (explicit_deny_resource)"),
        "{text}"
    );
    assert!(
        text.contains(r#"resource-based policy "abc123", statement 0 (Sid "S"): Deny"#),
        "{text}"
    );
    assert!(
        !text.contains("execute-api:Invoke"),
        "no policy contents in explanations: {text}"
    );
}

#[test]
fn masks_accounts_like_api_gateway() {
    assert_eq!(
        mask_account("arn:aws:execute-api:us-west-2:123456782543:vd2gh6uqw3/api/GET/"),
        "arn:aws:execute-api:us-west-2:********2543:vd2gh6uqw3/api/GET/"
    );
    assert_eq!(mask_account("not an arn"), "not an arn");
}

#[test]
fn every_reason_has_a_distinct_label() {
    let labels: std::collections::HashSet<_> = Reason::ALL.iter().map(|r| r.label()).collect();
    assert_eq!(labels.len(), Reason::ALL.len());
}

// ---- sts:AssumeRole ------------------------------------------------------------------------

/// Every cell of the trust-policy table, against the rule stated the other way round: "the
/// trusting account's evaluation (the trust policy) must allow; the trusted account's
/// evaluation (identity and session policies) must allow too unless the trust policy granted
/// directly to the caller in its own account".
#[test]
fn decide_assume_role_every_cell() {
    let trusts = [
        None,
        Some(PrincipalMatch::Account),
        Some(PrincipalMatch::Role),
        Some(PrincipalMatch::Own),
        Some(PrincipalMatch::Wildcard),
    ];
    let sessions = [
        None,
        Some(Side::Allow),
        Some(Side::Neither),
        Some(Side::Deny),
    ];
    let mut cells = 0;
    for trust in trusts {
        for trust_deny in [false, true] {
            for id in SIDES {
                for session in sessions {
                    for same_account in [false, true] {
                        for identity_present in [false, true] {
                            let f = Facts {
                                identity_present,
                                id_allow: matches!(id, Side::Allow),
                                id_deny: matches!(id, Side::Deny),
                                session_present: session.is_some(),
                                session_allow: matches!(session, Some(Side::Allow)),
                                session_deny: matches!(session, Some(Side::Deny)),
                                resource_present: true,
                                resource_allow: trust,
                                resource_deny: trust_deny,
                                same_account,
                            };
                            let any_deny = f.id_deny || f.session_deny || f.resource_deny;
                            let session_ok = !f.session_present || f.session_allow;
                            let trusting_allows = trust.is_some();
                            let direct = match trust {
                                Some(PrincipalMatch::Own | PrincipalMatch::Wildcard) => true,
                                Some(PrincipalMatch::Role) => session_ok && identity_present,
                                _ => false,
                            };
                            let trusted_allows = if !identity_present {
                                direct
                            } else {
                                (same_account && direct) || (f.id_allow && session_ok)
                            };
                            let want = if any_deny {
                                Decision::ExplicitDeny
                            } else if trusting_allows && trusted_allows {
                                Decision::Allow
                            } else {
                                Decision::ImplicitDeny
                            };
                            let (got, reason, grants) = decide_assume_role(f);
                            assert_eq!(got, want, "{f:?}");
                            if got == Decision::Allow {
                                assert_eq!(reason, Reason::Allowed);
                                assert!(grants.resource, "the trust policy always grants: {f:?}");
                            }
                            if got == Decision::ImplicitDeny && trust.is_none() {
                                assert_eq!(reason, Reason::NoTrustAllow, "{f:?}");
                            }
                            cells += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cells, 5 * 2 * 3 * 4 * 2 * 2);
}

#[test]
fn decide_assume_role_reasons() {
    let f = |trust, id_allow, same_account| Facts {
        identity_present: true,
        id_allow,
        resource_present: true,
        resource_allow: trust,
        same_account,
        ..Facts::default()
    };
    let r = |trust, id, same| decide_assume_role(f(trust, id, same)).1;
    // Same account: identity alone never suffices (unlike Table A).
    assert_eq!(r(None, true, true), Reason::NoTrustAllow);
    assert_eq!(
        decide(f(None, true, true)).0,
        Decision::Allow,
        "Table A would allow"
    );
    assert_eq!(
        r(Some(PrincipalMatch::Account), false, true),
        Reason::NoIdentityAllow
    );
    assert_eq!(
        r(Some(PrincipalMatch::Account), true, true),
        Reason::Allowed
    );
    assert_eq!(r(Some(PrincipalMatch::Own), false, true), Reason::Allowed);
    // Cross-account: identity always needed.
    assert_eq!(
        r(Some(PrincipalMatch::Own), false, false),
        Reason::CrossAccountNoIdentityAllow
    );
    assert_eq!(r(Some(PrincipalMatch::Own), true, false), Reason::Allowed);
    assert_eq!(r(None, true, false), Reason::NoTrustAllow);
    // Session policies.
    let s = |trust, id_allow, session_allow| Facts {
        session_present: true,
        session_allow,
        ..f(trust, id_allow, true)
    };
    assert_eq!(
        decide_assume_role(s(Some(PrincipalMatch::Role), false, false)).1,
        Reason::NoSessionAllow
    );
    assert_eq!(
        decide_assume_role(s(Some(PrincipalMatch::Own), false, false)).1,
        Reason::Allowed
    );
    assert_eq!(
        decide_assume_role(s(Some(PrincipalMatch::Account), true, false)).1,
        Reason::NoSessionAllow
    );
}
