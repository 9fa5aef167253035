//! The identity directory: lookups, validation errors, and secrets that never print.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use iam::*;

const OWN: &str = "123456789012";
const PARTNER: &str = "210987654321";

fn invoke_prod() -> Policy {
    Policy::from_json_str(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/prod/*"}]}"#,
        &ParseOptions::identity(),
    )
    .unwrap()
}

fn trust_own_account() -> Policy {
    Policy::from_json_str(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}"#,
        &ParseOptions::trust(),
    )
    .unwrap()
}

fn user(name: &str, key: &str, secret: &str, policies: &[&str]) -> UserSpec {
    UserSpec {
        name: name.into(),
        account: None,
        access_keys: vec![(key.into(), Secret::new(secret))],
        policies: policies.iter().map(|s| s.to_string()).collect(),
        tags: BTreeMap::from([("team".to_string(), "blue".to_string())]),
    }
}

fn good() -> Directory {
    let mut role = RoleSpec::new("deployer", trust_own_account());
    role.policies = vec![
        "InvokeProd".into(),
        "arn:aws:iam::aws:policy/AdministratorAccess".into(),
    ];
    role.tags.insert("env".into(), "prod".into());
    role.max_session_duration = Duration::from_secs(7200);
    let mut partner = user(
        "carol",
        "AKIAPARTNER000000001",
        "partner-secret",
        &["AmazonAPIGatewayInvokeFullAccess"],
    );
    partner.account = Some(PARTNER.into());
    DirectoryBuilder::new(OWN)
        .account(PARTNER)
        .policy("InvokeProd", invoke_prod())
        .user(user(
            "demo",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            &["InvokeProd"],
        ))
        .user(partner)
        .role(role)
        .build()
        .unwrap()
}

#[test]
fn access_keys_resolve_to_principal_secret_and_policies() {
    let dir = good();
    let key = dir.access_key("AKIAIOSFODNN7EXAMPLE").unwrap();
    assert_eq!(key.principal().arn(), "arn:aws:iam::123456789012:user/demo");
    assert_eq!(
        key.secret().expose(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    assert_eq!(key.policy_names().collect::<Vec<_>>(), ["InvokeProd"]);
    assert_eq!(
        key.principal().tags().get("team").map(String::as_str),
        Some("blue")
    );
    assert!(dir.access_key("AKIANOSUCHKEY0000000").is_none());
    let carol = dir.access_key("AKIAPARTNER000000001").unwrap();
    assert_eq!(carol.principal().account(), PARTNER);
    assert_eq!(
        carol.policy_names().collect::<Vec<_>>(),
        ["AmazonAPIGatewayInvokeFullAccess"]
    );
    assert_eq!(
        dir.user("demo").unwrap().principal().arn(),
        key.principal().arn()
    );
    assert!(dir.user("arn:aws:iam::123456789012:user/demo").is_some());
    assert_eq!(dir.own_account(), OWN);
    assert_eq!(dir.accounts().len(), 2);
}

#[test]
fn roles_and_sessions() {
    let dir = good();
    let role = dir.role("deployer").unwrap();
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/deployer");
    assert!(
        dir.role("arn:aws:iam::123456789012:role/deployer")
            .is_some()
    );
    assert!(role.unique_id().starts_with("AROA"));
    assert_eq!(role.max_session_duration(), Duration::from_secs(7200));
    assert_eq!(role.trust_policy().name(), "deployer trust policy");
    assert_eq!(role.policies().len(), 2);
    let s = role.session_principal("ci");
    assert_eq!(
        s.arn(),
        "arn:aws:sts::123456789012:assumed-role/deployer/ci"
    );
    assert_eq!(s.userid().unwrap(), format!("{}:ci", role.unique_id()));
    assert_eq!(s.tags().get("env").map(String::as_str), Some("prod"));
    let tagged = role.session_principal_with_tags(
        "ci",
        &BTreeMap::from([("env".to_string(), "staging".to_string())]),
    );
    assert_eq!(
        tagged.tags().get("env").map(String::as_str),
        Some("staging")
    );
    assert_eq!(dir.identity_policies(&s).unwrap().len(), 2);
    let demo = dir.user("demo").unwrap().principal().clone();
    assert_eq!(dir.identity_policies(&demo).unwrap().len(), 1);
    assert!(dir.identity_policies(&Principal::anonymous()).is_none());

    // The session can invoke through the role's policies.
    let ctx = RequestContext::for_principal(&s);
    let got = authorize(&AuthzInput {
        principal: &s,
        action: "execute-api:Invoke",
        resource: "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x",
        context: &ctx,
        resource_account: OWN,
        identity: Some(dir.identity_policies(&s).unwrap()),
        session_policies: None,
        resource_policy: None,
    });
    assert!(got.is_allowed());
}

#[test]
fn policies_by_name_and_arn() {
    let dir = good();
    assert!(dir.policy("InvokeProd").is_some());
    assert!(
        dir.policy("arn:aws:iam::123456789012:policy/InvokeProd")
            .is_some()
    );
    assert!(
        dir.policy("arn:aws:iam::999999999999:policy/InvokeProd")
            .is_none()
    );
    assert!(dir.policy("AmazonAPIGatewayInvokeFullAccess").is_some());
    assert!(
        dir.policy("arn:aws:iam::aws:policy/AdministratorAccess")
            .is_some()
    );
    assert!(dir.policy("ReadOnlyAccess").is_none());
}

#[test]
fn every_problem_is_reported() {
    let resource_policy = Policy::from_json_str(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
        &ParseOptions::resource(None),
    )
    .unwrap();
    let mut stranger = user("stranger", "AKIASTRANGER00000001", "s", &[]);
    stranger.account = Some("999999999999".into());
    let mut bad_role = RoleSpec::new("bad", invoke_prod());
    bad_role.max_session_duration = Duration::from_secs(60);
    bad_role.policies = vec!["Nope".into()];
    let errors = DirectoryBuilder::new(OWN)
        .account("12345")
        .policy("InvokeProd", invoke_prod())
        .policy("InvokeProd", invoke_prod())
        .policy("Public", resource_policy)
        .policy("bad name!", invoke_prod())
        .user(user(
            "demo",
            "AKIAIOSFODNN7EXAMPLE",
            "x",
            &["InvokeProd", "Missing"],
        ))
        .user(user("demo", "AKIAOTHER00000000001", "y", &[]))
        .user(user("dup-key", "AKIAIOSFODNN7EXAMPLE", "z", &[]))
        .user(user("short-key", "AKIA", "z", &[]))
        .user(user("no-secret", "AKIANOSECRET00000001", "", &[]))
        .user(user("bad/name", "AKIABADNAME000000001", "z", &[]))
        .user(stranger)
        .role(RoleSpec::new("deployer", trust_own_account()))
        .role(RoleSpec::new("deployer", trust_own_account()))
        .role(bad_role)
        .build()
        .unwrap_err();
    let has = |pred: &dyn Fn(&DirectoryError) -> bool| errors.iter().any(pred);
    assert!(has(
        &|e| matches!(e, DirectoryError::InvalidAccountId(a) if a == "12345")
    ));
    assert!(has(
        &|e| matches!(e, DirectoryError::DuplicatePolicy(n) if n == "InvokeProd")
    ));
    assert!(has(
        &|e| matches!(e, DirectoryError::NotAnIdentityPolicy { name, .. } if name == "Public")
    ));
    assert!(has(&|e| matches!(
        e,
        DirectoryError::InvalidName { what: "policy", .. }
    )));
    assert!(has(
        &|e| matches!(e, DirectoryError::UnknownPolicy { policy, .. } if policy == "Missing")
    ));
    assert!(has(
        &|e| matches!(e, DirectoryError::UnknownPolicy { policy, .. } if policy == "Nope")
    ));
    assert!(has(
        &|e| matches!(e, DirectoryError::DuplicateUser(a) if a.ends_with("user/demo"))
    ));
    assert!(has(
        &|e| matches!(e, DirectoryError::DuplicateAccessKey { key_id, .. } if key_id == "AKIAIOSFODNN7EXAMPLE")
    ));
    assert!(has(
        &|e| matches!(e, DirectoryError::InvalidAccessKeyId { key_id, .. } if key_id == "AKIA")
    ));
    assert!(has(&|e| matches!(e, DirectoryError::EmptySecret { .. })));
    assert!(has(&|e| matches!(
        e,
        DirectoryError::InvalidName { what: "user", .. }
    )));
    assert!(has(
        &|e| matches!(e, DirectoryError::UnknownAccount { account, .. } if account == "999999999999")
    ));
    assert!(has(
        &|e| matches!(e, DirectoryError::DuplicateRole(a) if a.ends_with("role/deployer"))
    ));
    assert!(has(&|e| matches!(
        e,
        DirectoryError::NotATrustPolicy { .. }
    )));
    assert!(has(&|e| matches!(
        e,
        DirectoryError::InvalidMaxSessionDuration { seconds: 60, .. }
    )));
    // No secret appears in any message.
    for e in &errors {
        let text = format!("{e} {e:?}");
        for secret in ["\"x\"", "\"y\"", "\"z\"", "\"s\""] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[test]
fn secrets_are_redacted() {
    let s = Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert_eq!(format!("{s}"), "<redacted>");
    assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    let dir = good();
    let entry = dir.access_key("AKIAIOSFODNN7EXAMPLE").unwrap();
    let debug = format!("{entry:?} {dir:?}");
    assert!(
        !debug.contains("wJalrXUtnFEMI"),
        "secret leaked through Debug"
    );
    assert!(!debug.contains("partner-secret"));
    let spec = format!(
        "{:?}",
        user("u", "AKIAIOSFODNN7EXAMPLE", "hunter2hunter2", &[])
    );
    assert!(!spec.contains("hunter2"));
}
