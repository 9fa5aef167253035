use super::tests::{messages, setup};
use super::*;
use crate::{AmbiguousRoleResolution, MatchType, RoleMappingKind};

const TRUST: &str = r#"{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Federated: cognito-identity.amazonaws.com}, Action: "sts:AssumeRoleWithWebIdentity"}]}"#;

/// The user pool, the IAM roles, and the issue's `identity_pools` section verbatim.
fn issue_config(identity_pools: &str) -> String {
    format!(
        r#"
account_id: "123456789012"
user_pools:
  - id: us-east-1_WildRydes
    clients: [{{id: wildrydes-web}}]
iam:
  roles:
    - {{name: WildRydesAuthRole, trust_policy: {TRUST}}}
    - {{name: WildRydesUnauthRole, trust_policy: {TRUST}}}
    - {{name: WildRydesAdminRole, trust_policy: {TRUST}}}
{identity_pools}"#
    )
}

const ISSUE_POOLS: &str = r#"
identity_pools:
  - id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01"
    name: WildRydesIdentityPool
    allow_unauthenticated: true
    providers: [{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}]
    authenticated_role: WildRydesAuthRole
    unauthenticated_role: WildRydesUnauthRole
    role_mappings:
      - {provider: us-east-1_WildRydes, type: rules, ambiguous_role_resolution: AuthenticatedRole,
         rules: [{claim: "cognito:groups", match_type: Contains, value: admins, role: WildRydesAdminRole}]}
"#;

fn has(all: &str, pointer: &str, message: &str) -> bool {
    all.lines()
        .any(|l| l.contains(message) && l.ends_with(&format!("(at {pointer})")))
}

fn errors(identity_pools: &str) -> String {
    let (_dir, path) = setup(&issue_config(identity_pools));
    let report = load(&path).expect_err("the configuration must be refused");
    messages(&report).join("\n")
}

#[test]
fn the_issue_identity_pool_loads_as_written() {
    let (_dir, path) = setup(&issue_config(ISSUE_POOLS));
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    let pool = &config.identity_pools[0];
    assert_eq!(pool.id, "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01");
    assert_eq!(pool.region, "us-east-1");
    assert_eq!(pool.name, "WildRydesIdentityPool");
    assert_eq!(
        pool.arn,
        "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01"
    );
    assert!(pool.allow_unauthenticated);
    assert_eq!(pool.providers[0].user_pool, "us-east-1_WildRydes");
    assert_eq!(pool.providers[0].client_id, "wildrydes-web");
    assert_eq!(
        pool.providers[0].provider_name(),
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_WildRydes"
    );
    // Role names are resolved to ARNs: one form downstream.
    assert_eq!(
        pool.authenticated_role.as_deref(),
        Some("arn:aws:iam::123456789012:role/WildRydesAuthRole")
    );
    assert_eq!(
        pool.unauthenticated_role.as_deref(),
        Some("arn:aws:iam::123456789012:role/WildRydesUnauthRole")
    );
    let mapping = &pool.role_mappings[0];
    assert_eq!(mapping.provider, "us-east-1_WildRydes");
    assert_eq!(
        mapping.ambiguous_role_resolution,
        AmbiguousRoleResolution::AuthenticatedRole
    );
    let RoleMappingKind::Rules(rules) = &mapping.kind else {
        panic!("{mapping:?}");
    };
    assert_eq!(rules[0].claim, "cognito:groups");
    assert_eq!(rules[0].match_type, MatchType::Contains);
    assert_eq!(rules[0].value, "admins");
    assert_eq!(
        rules[0].role,
        "arn:aws:iam::123456789012:role/WildRydesAdminRole"
    );
}

#[test]
fn roles_by_arn_and_token_mappings_load() {
    let pools = r#"
identity_pools:
  - id: "eu-west-1:00000000-0000-4000-8000-000000000000"
    providers: [{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}]
    authenticated_role: "arn:aws:iam::123456789012:role/WildRydesAuthRole"
    role_mappings: [{provider: us-east-1_WildRydes, type: token, ambiguous_role_resolution: Deny}]
"#;
    let (_dir, path) = setup(&issue_config(pools));
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    let pool = &config.identity_pools[0];
    assert!(!pool.allow_unauthenticated);
    assert_eq!(pool.name, pool.id);
    assert_eq!(pool.role_mappings[0].kind, RoleMappingKind::Token);
    assert_eq!(
        pool.role_mappings[0].ambiguous_role_resolution,
        AmbiguousRoleResolution::Deny
    );
}

#[test]
fn every_reference_is_checked_where_it_is_written() {
    let pools = r#"
identity_pools:
  - id: "us-east-1:8D4C5B1E-9F1A-4C1E-A2A8-2B7E8F6D9C01"
    allow_unauthenticated: true
    providers:
      - {user_pool: us-east-1_Nope, client_id: wildrydes-web}
      - {user_pool: us-east-1_WildRydes, client_id: other-client}
      - {oidc_issuer: "https://accounts.google.com", client_id: x}
    authenticated_role: MissingRole
    role_mappings:
      - {provider: us-east-1_Nope, type: rules, ambiguous_role_resolution: Deny, rules: []}
"#;
    let all = errors(pools);
    for (pointer, message) in [
        ("/identity_pools/0/id", "is not an identity pool id"),
        (
            "/identity_pools/0/providers/0/user_pool",
            "\"us-east-1_Nope\" is not a user pool",
        ),
        (
            "/identity_pools/0/providers/1/client_id",
            "\"other-client\" is not an app client",
        ),
        (
            "/identity_pools/0/providers/2/oidc_issuer",
            "provider setting \"oidc_issuer\" is not served",
        ),
        (
            "/identity_pools/0/authenticated_role",
            "role \"MissingRole\" is not a role",
        ),
        (
            "/identity_pools/0/allow_unauthenticated",
            "needs an unauthenticated_role",
        ),
        (
            "/identity_pools/0/role_mappings/0/provider",
            "is not a user pool among this identity pool's providers",
        ),
    ] {
        assert!(has(&all, pointer, message), "{pointer}: {message}\n{all}");
    }
}

#[test]
fn mapping_shapes_are_checked() {
    let pools = r#"
identity_pools:
  - id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01"
    providers: [{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}]
    role_mappings:
      - {provider: us-east-1_WildRydes, type: rules, ambiguous_role_resolution: AuthenticatedRole,
         rules: [{claim: "cognito:groups", match_type: Like, value: admins, role: WildRydesAdminRole},
                 {claim: "custom:x", match_type: Equals, value: paid, role: NoSuchRole}]}
  - id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c02"
    providers: [{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}]
    authenticated_role: WildRydesAuthRole
    role_mappings:
      - {provider: us-east-1_WildRydes, type: token, ambiguous_role_resolution: Maybe}
  - id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c03"
    providers: [{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}]
    authenticated_role: WildRydesAuthRole
    role_mappings:
      - {provider: us-east-1_WildRydes, type: claims, ambiguous_role_resolution: Deny}
  - id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c03"
    providers: [{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}]
    authenticated_role: WildRydesAuthRole
    surprise: true
"#;
    let all = errors(pools);
    for (pointer, message) in [
        (
            "/identity_pools/0/role_mappings/0/ambiguous_role_resolution",
            "AuthenticatedRole needs the pool's authenticated_role",
        ),
        (
            "/identity_pools/0/role_mappings/0/rules/0/match_type",
            "\"Like\" is not Equals",
        ),
        (
            "/identity_pools/0/role_mappings/0/rules/1/role",
            "role \"NoSuchRole\" is not a role",
        ),
        (
            "/identity_pools/1/role_mappings/0/ambiguous_role_resolution",
            "\"Maybe\" is not AuthenticatedRole or Deny",
        ),
        (
            "/identity_pools/2/role_mappings/0/type",
            "\"claims\" is not rules or token",
        ),
        ("/identity_pools/3/surprise", "unknown field `surprise`"),
    ] {
        assert!(has(&all, pointer, message), "{pointer}: {message}\n{all}");
    }
}

#[test]
fn duplicate_pool_ids_are_refused() {
    let one = r#"
  - id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01"
    providers: [{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}]
    authenticated_role: WildRydesAuthRole"#;
    let all = errors(&format!("identity_pools:{one}{one}\n"));
    assert!(
        has(&all, "/identity_pools/1/id", "duplicate identity pool id"),
        "{all}"
    );
}
