//! The user pools' administrative operations with the AWS SDK for Rust, signed: allowed by
//! `cognito-idp:<Op>` on the pool's ARN, refused to unsigned callers, unknown keys and callers
//! without the permission. A user created by an administrator sets its password through
//! `NEW_PASSWORD_REQUIRED`.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use testkit::aws::cognito_idp::types::{AttributeType, AuthFlowType, ChallengeNameType};
use testkit::signer::Key;

const POOL: &str = "us-east-1_Admin";

const CONFIG: &str = r#"
account_id: "123456789012"
iam:
  policies:
    PoolAdmin:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Action: "cognito-idp:*", Resource: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Admin"}
        - {Effect: Deny, Action: "cognito-idp:AdminDeleteUser", Resource: "*"}
    Nothing: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}
  users:
    - {name: admin, access_keys: [{id: AKIAADMIN00000000001, secret: admin-secret-000000000000000000000000}], policies: [PoolAdmin]}
    - {name: nobody, access_keys: [{id: AKIANOBODY0000000001, secret: nobody-secret-00000000000000000000000}], policies: [Nothing]}
user_pools:
  - id: us-east-1_Admin
    alias_attributes: [email]
    password_policy: {require_symbols: false}
    clients:
      - {id: console, auth_flows: [ADMIN_USER_PASSWORD_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]}
    groups: [{name: admins, precedence: 1}, {name: riders, precedence: 5}]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_users_and_others_are_refused() {
    let server = TestServer::start(Workspace::new(), CONFIG).await;
    let admin = pools::idp_admin(&server);
    let nobody = pools::idp_signed(
        &server,
        &Key::new(
            "AKIANOBODY0000000001",
            "nobody-secret-00000000000000000000000",
        ),
    );
    let stranger = pools::idp_signed(
        &server,
        &Key::new(
            "AKIAUNKNOWN000000001",
            "whatever-00000000000000000000000000000",
        ),
    );
    let public = pools::idp(&server);

    // Refusals: no signature, an unknown key, a caller without the permission, an explicit deny.
    // (The SDK will not send an unsigned ListUsers: a raw request does.)
    let r = server
        .client
        .send(
            http::Method::POST,
            &server.url("/"),
            &[
                (
                    "x-amz-target",
                    "AWSCognitoIdentityProviderService.ListUsers",
                ),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            r#"{"UserPoolId": "us-east-1_Admin"}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    assert_eq!(r.json()["message"], "Missing Authentication Token");
    let e = stranger
        .list_users()
        .user_pool_id(POOL)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert!(e.starts_with("UnrecognizedClientException"), "{e}");
    let e = nobody
        .list_users()
        .user_pool_id(POOL)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert!(e.starts_with("AccessDeniedException"), "{e}");
    assert!(e.contains("cognito-idp:ListUsers"), "{e}");
    let e = admin
        .list_users()
        .user_pool_id("us-east-1_Other")
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(
        e,
        "ResourceNotFoundException: User pool us-east-1_Other does not exist."
    );

    // AdminCreateUser: a temporary password, FORCE_CHANGE_PASSWORD.
    let created = admin
        .admin_create_user()
        .user_pool_id(POOL)
        .username("alice")
        .temporary_password("Temporary-Pass1")
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value("alice@example.com")
                .build()
                .unwrap(),
        )
        .user_attributes(
            AttributeType::builder()
                .name("email_verified")
                .value("true")
                .build()
                .unwrap(),
        )
        .message_action(testkit::aws::cognito_idp::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let user = created.user().unwrap();
    assert_eq!(user.username(), Some("alice"));
    assert_eq!(
        user.user_status().map(|s| s.as_str()),
        Some("FORCE_CHANGE_PASSWORD")
    );

    // Signing in with it asks for a new password; the answer signs the user in.
    let challenge = public
        .initiate_auth()
        .client_id("console")
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", "Temporary-Pass1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let session = challenge.session().unwrap().to_string();
    let e = public
        .respond_to_auth_challenge()
        .client_id("console")
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session("forged.session")
        .challenge_responses("USERNAME", "alice")
        .challenge_responses("NEW_PASSWORD", "Permanent-Pass2")
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid session for the user.");
    let done = public
        .respond_to_auth_challenge()
        .client_id("console")
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(session)
        .challenge_responses("USERNAME", "alice")
        .challenge_responses("NEW_PASSWORD", "Permanent-Pass2")
        .send()
        .await
        .unwrap();
    assert!(done.authentication_result().unwrap().id_token().is_some());

    // The verified email is an alias; AdminInitiateAuth signs in with it.
    let signed_in = admin
        .admin_initiate_auth()
        .user_pool_id(POOL)
        .client_id("console")
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "alice@example.com")
        .auth_parameters("PASSWORD", "Permanent-Pass2")
        .send()
        .await
        .unwrap();
    let tokens = signed_in.authentication_result().unwrap();

    // Groups: membership shows in the next tokens, ordered by precedence.
    for group in ["riders", "admins"] {
        admin
            .admin_add_user_to_group()
            .user_pool_id(POOL)
            .username("alice")
            .group_name(group)
            .send()
            .await
            .unwrap();
    }
    let groups = admin
        .admin_list_groups_for_user()
        .user_pool_id(POOL)
        .username("alice")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = groups
        .groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert_eq!(names, ["admins", "riders"]);
    let refreshed = public
        .initiate_auth()
        .client_id("console")
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let id = refreshed
        .authentication_result()
        .unwrap()
        .id_token()
        .unwrap();
    let payload = id.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["cognito:groups"],
        serde_json::json!(["admins", "riders"])
    );

    // A username Cognito's pattern refuses is refused to administrators too.
    let e = admin
        .admin_create_user()
        .user_pool_id(POOL)
        .username("has space")
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert!(e.starts_with("InvalidParameterException"), "{e}");

    // ListUsers with a filter; AdminGetUser; disable and enable.
    admin
        .admin_create_user()
        .user_pool_id(POOL)
        .username("bob")
        .message_action(testkit::aws::cognito_idp::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let listed = admin
        .list_users()
        .user_pool_id(POOL)
        .filter("username ^= \"al\"")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = listed.users().iter().filter_map(|u| u.username()).collect();
    assert_eq!(names, ["alice"]);
    let all = admin
        .list_users()
        .user_pool_id(POOL)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(all.users().len(), 1);
    assert!(all.pagination_token().is_some());
    admin
        .admin_disable_user()
        .user_pool_id(POOL)
        .username("alice")
        .send()
        .await
        .unwrap();
    let got = admin
        .admin_get_user()
        .user_pool_id(POOL)
        .username("alice")
        .send()
        .await
        .unwrap();
    assert!(!got.enabled());
    let e = public
        .initiate_auth()
        .client_id("console")
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", "Permanent-Pass2")
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: User is disabled.");

    // The explicit deny wins over the allow.
    let e = admin
        .admin_delete_user()
        .user_pool_id(POOL)
        .username("bob")
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert!(e.starts_with("AccessDeniedException"), "{e}");
    assert!(e.contains("explicit deny"), "{e}");
    server.stop().await;
}
