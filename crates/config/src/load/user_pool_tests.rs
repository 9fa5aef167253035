use std::time::Duration;

use super::tests::{messages, setup};
use super::*;
use crate::{
    AliasKind, AuthFlow, MfaConfiguration, OAuthFlow, RefreshTokenRotation, SignUpConfirmation,
};

/// The `user_pools` section of the Cognito issue, verbatim: it must load as written.
const ISSUE_POOLS: &str = r#"
account_id: "123456789012"
user_pools:
  - id: us-east-1_WildRydes
    name: WildRydes
    username_attributes: [email]            # sign in with the email as username
    auto_verified_attributes: [email]
    sign_up_confirmation: code              # or: auto
    password_policy: {minimum_length: 8, require_lowercase: true, require_uppercase: true, require_numbers: true, require_symbols: false}
    clients:
      - {id: wildrydes-web, name: web, auth_flows: [USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]}
      - {id: rides-backend, name: backend, secret: "s3cr3t-value-for-tests-only", oauth_flows: [client_credentials], oauth_scopes: [rides/read]}
    groups: [{name: admins, precedence: 1}]
    resource_servers: [{identifier: rides, scopes: [read, write]}]
"#;

/// Whether the report has a line with `expected`'s message (after the pointer and ": ")
/// reported at its pointer.
fn has(all: &str, expected: &str) -> bool {
    let (pointer, message) = expected.split_once(": ").unwrap();
    all.lines()
        .any(|l| l.contains(message) && l.ends_with(&format!("(at {pointer})")))
}

#[test]
fn the_issue_user_pools_load_as_written() {
    let (_dir, path) = setup(ISSUE_POOLS);
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    let pool = &config.user_pools[0];
    assert_eq!(pool.id, "us-east-1_WildRydes");
    assert_eq!(pool.region, "us-east-1");
    assert_eq!(
        pool.arn,
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_WildRydes"
    );
    assert!(pool.email_is_username());
    assert_eq!(pool.auto_verified_attributes, [AliasKind::Email]);
    assert_eq!(pool.sign_up_confirmation, SignUpConfirmation::Code);
    assert!(!pool.password_policy.require_symbols);
    assert!(pool.authorizers_check_revocation);
    let web = pool.client("wildrydes-web").unwrap();
    assert!(web.secret.is_none());
    assert!(web.allows(AuthFlow::UserSrpAuth) && web.allows(AuthFlow::UserPasswordAuth));
    assert!(!web.allows(AuthFlow::AdminUserPasswordAuth));
    assert_eq!(web.id_token_validity, Duration::from_secs(3600));
    assert!(web.prevent_user_existence_errors);
    let backend = pool.client("rides-backend").unwrap();
    assert_eq!(
        backend.secret.as_ref().unwrap().expose(),
        "s3cr3t-value-for-tests-only"
    );
    assert_eq!(backend.oauth_flows, [OAuthFlow::ClientCredentials]);
    assert_eq!(backend.oauth_scopes, ["rides/read"]);
    assert_eq!(pool.groups[0].precedence, Some(1));
    assert_eq!(pool.resource_servers[0].scopes, ["read", "write"]);
}

#[test]
fn settings_not_enforced_yet_are_refused_by_name() {
    let (_dir, path) = setup(
        r#"
user_pools:
  - id: us-east-1_Pool
    mfa_configuration: SMS_ONLY
    clients:
      - {id: a, auth_flows: [CUSTOM_AUTH]}
      - {id: b, secret: "0123456789", oauth_flows: [implicit], oauth_scopes: [openid]}
      - {id: c, oauth_flows: [client_credentials]}
"#,
    );
    let report = load(&path).unwrap_err();
    let all = messages(&report).join("\n");
    for expected in [
        "/user_pools/0/mfa_configuration: mfa_configuration is OFF, OPTIONAL or ON, not \"SMS_ONLY\"",
        "/user_pools/0/clients/0/auth_flows/0: auth flow \"CUSTOM_AUTH\" is not supported",
        "/user_pools/0/clients/1/oauth_flows/0: the OAuth implicit grant is not supported",
        "/user_pools/0/clients/1/oauth_scopes/0: \"openid\" is granted by the authorization-code grant only",
        "/user_pools/0/clients/2/oauth_flows: the client_credentials grant needs a client with a secret",
    ] {
        assert!(has(&all, expected), "missing {expected:?} in\n{all}");
    }
}

#[test]
fn mistakes_are_reported_each_at_its_line() {
    let (_dir, path) = setup(
        r#"
user_pools:
  - id: WildRydes
  - id: us-east-1_Two
    username_attributes: [email]
    alias_attributes: [phone_number]
    password_policy: {minimum_length: 4}
    custom_attributes: ["custom:has space"]
    clients:
      - {id: web, id_token_validity: 2d, refresh_token_validity: 30m}
      - {id: web, secret: short}
    groups: [{name: admins, precedence: -1}, {name: admins}]
    resource_servers: [{identifier: "a/b", scopes: [read, read]}]
    typo_setting: true
"#,
    );
    let report = load(&path).unwrap_err();
    let all = messages(&report).join("\n");
    for expected in [
        "/user_pools/0/id: \"WildRydes\" is not a user pool id",
        "/user_pools/1/typo_setting: unknown field",
    ] {
        assert!(has(&all, expected), "missing {expected:?} in\n{all}");
    }
    // Without the unknown key, the rest is reported together.
    let (_dir, path) = setup(
        &std::fs::read_to_string(&path)
            .unwrap()
            .replace("    typo_setting: true\n", ""),
    );
    let all = messages(&load(&path).unwrap_err()).join("\n");
    for expected in [
        "/user_pools/1/alias_attributes: a pool has username_attributes or alias_attributes, not both",
        "/user_pools/1/password_policy/minimum_length: minimum_length is 6 to 99",
        "/user_pools/1/custom_attributes/0: \"custom:has space\" is not a custom attribute name",
        "/user_pools/1/clients/0/id_token_validity: \"2d\" is outside Cognito's bounds",
        "/user_pools/1/clients/0/refresh_token_validity: \"30m\" is outside Cognito's bounds",
        "/user_pools/1/clients/1/secret: an app client secret is 8 to 128 characters",
        "/user_pools/1/clients/1/id: duplicate app client id \"web\"",
        "/user_pools/1/groups/0/precedence: precedence is 0 or more",
        "/user_pools/1/groups/1/name: duplicate group \"admins\"",
        "/user_pools/1/resource_servers/0/identifier: \"a/b\" is not a resource server identifier",
        "/user_pools/1/resource_servers/0/scopes/1: duplicate scope \"read\"",
    ] {
        assert!(has(&all, expected), "missing {expected:?} in\n{all}");
    }
    // The secret itself is never echoed.
    assert!(!all.contains("\"short\""), "{all}");
}

#[test]
fn mfa_and_refresh_token_rotation() {
    let (_dir, path) = setup(
        r#"
user_pools:
  - id: us-east-1_On
    mfa_configuration: ON
    clients:
      - {id: rotating, refresh_token_rotation: {enabled: true, retry_grace_period: 10s}}
      - {id: plain, refresh_token_rotation: {enabled: false}}
  - id: us-east-1_Optional
    mfa_configuration: "optional"
  - id: us-east-1_Off
    mfa_configuration: OFF
"#,
    );
    let config = load(&path).unwrap();
    let pools = &config.user_pools;
    assert_eq!(pools[0].mfa_configuration, MfaConfiguration::On);
    assert_eq!(pools[1].mfa_configuration, MfaConfiguration::Optional);
    assert_eq!(pools[2].mfa_configuration, MfaConfiguration::Off);
    let rotating = &pools[0].clients[0];
    assert_eq!(
        rotating.refresh_token_rotation,
        Some(RefreshTokenRotation {
            retry_grace_period: std::time::Duration::from_secs(10)
        })
    );
    // The default flows of a rotating client leave REFRESH_TOKEN_AUTH out.
    assert_eq!(rotating.auth_flows, [AuthFlow::UserSrpAuth]);
    assert_eq!(pools[0].clients[1].refresh_token_rotation, None);
    assert!(pools[0].clients[1].allows(AuthFlow::RefreshTokenAuth));

    let (_dir, path) = setup(
        r#"
user_pools:
  - id: us-east-1_Bad
    clients:
      - {id: a, auth_flows: [REFRESH_TOKEN_AUTH], refresh_token_rotation: {enabled: true}}
      - {id: b, refresh_token_rotation: {enabled: true, retry_grace_period: 61s}}
      - {id: c, refresh_token_rotation: {enabled: true, grace: 1s}}
"#,
    );
    let all = messages(&load(&path).unwrap_err()).join("\n");
    for expected in [
        "/user_pools/0/clients/0/auth_flows: a client with refresh_token_rotation cannot allow REFRESH_TOKEN_AUTH",
        "/user_pools/0/clients/1/refresh_token_rotation/retry_grace_period: retry_grace_period is whole seconds from 0s to 60s",
        "/user_pools/0/clients/2/refresh_token_rotation/grace: unknown field",
    ] {
        assert!(has(&all, expected), "missing {expected:?} in\n{all}");
    }
}

#[test]
fn the_code_grant_takes_callback_urls_and_openid_scopes() {
    let (_dir, path) = setup(
        r#"
user_pools:
  - id: us-east-1_Pool
    resource_servers: [{identifier: rides, scopes: [read]}]
    clients:
      - id: web
        oauth_flows: [code]
        oauth_scopes: [openid, email, profile, phone, aws.cognito.signin.user.admin, rides/read]
        callback_urls: ["https://app.example/callback", "http://localhost:3000/cb"]
        logout_urls: ["https://app.example/"]
"#,
    );
    let config = load(&path).unwrap();
    let web = &config.user_pools[0].clients[0];
    assert_eq!(web.oauth_flows, [OAuthFlow::Code]);
    assert_eq!(web.oauth_scopes.len(), 6);
    assert_eq!(
        web.callback_urls,
        ["https://app.example/callback", "http://localhost:3000/cb"]
    );
    assert_eq!(web.logout_urls, ["https://app.example/"]);
}

#[test]
fn code_grant_mistakes_are_refused_at_their_pointer() {
    let (_dir, path) = setup(
        r#"
user_pools:
  - id: us-east-1_Pool
    clients:
      - {id: a, oauth_flows: [code], oauth_scopes: [openid]}
      - id: b
        oauth_flows: [code, code]
        oauth_scopes: [email]
        callback_urls: ["/relative", "http://app.example/cb", "https://app.example/cb#frag", "https://u@app.example/", "https://app.example:x/", "https://ok.example/", "https://ok.example/"]
      - {id: c, callback_urls: ["https://app.example/"], logout_urls: ["https://app.example/"]}
      - {id: d, oauth_flows: [code], callback_urls: ["https://app.example/"]}
"#,
    );
    let report = load(&path).unwrap_err();
    let all = messages(&report).join("\n");
    for expected in [
        "/user_pools/0/clients/0/callback_urls: the code grant needs at least one callback URL",
        "/user_pools/0/clients/1/oauth_flows/1: \"code\" is listed twice",
        "/user_pools/0/clients/1/oauth_scopes/0: \"email\" needs the openid scope too",
        "/user_pools/0/clients/1/callback_urls/0: \"/relative\" is not a redirect URL: an absolute https:// URL",
        "/user_pools/0/clients/1/callback_urls/1: \"http://app.example/cb\" is not a redirect URL: http:// is allowed for localhost only",
        "/user_pools/0/clients/1/callback_urls/2: \"https://app.example/cb#frag\" is not a redirect URL: a redirect URL has no fragment",
        "/user_pools/0/clients/1/callback_urls/3: \"https://u@app.example/\" is not a redirect URL: a redirect URL has no user info",
        "/user_pools/0/clients/1/callback_urls/4: \"https://app.example:x/\" is not a redirect URL: its port is not a number",
        "/user_pools/0/clients/1/callback_urls/6: \"https://ok.example/\" is listed twice",
        "/user_pools/0/clients/2/callback_urls: callback_urls are used by the code grant only",
        "/user_pools/0/clients/2/logout_urls: logout_urls are used by the code grant only",
        "/user_pools/0/clients/3/oauth_scopes: the code grant needs oauth_scopes to grant",
    ] {
        assert!(has(&all, expected), "missing {expected:?} in\n{all}");
    }
}

#[test]
fn stages_named_like_the_pools_endpoints_are_refused() {
    let (_dir, path) = setup(
        r#"
apis:
  - id: petstore
    openapi: petstore.openapi.yaml
    stages:
      login: {variables: {backend: "http://127.0.0.1:9"}}
      logout: {variables: {backend: "http://127.0.0.1:9"}}
      oauth2: {variables: {backend: "http://127.0.0.1:9"}}
      us-east-1_Pool: {variables: {backend: "http://127.0.0.1:9"}}
      prod: {variables: {backend: "http://127.0.0.1:9"}}
user_pools:
  - id: us-east-1_Pool
"#,
    );
    let report = load(&path).unwrap_err();
    let all = messages(&report).join("\n");
    for stage in ["login", "logout", "oauth2", "us-east-1_Pool"] {
        let expected = format!(
            "/apis/0/stages/{stage}: stage name \"{stage}\" is taken by the user pools' endpoints"
        );
        assert!(has(&all, &expected), "missing {expected:?} in\n{all}");
    }
    assert!(!all.contains("\"prod\""), "{all}");
}
