//! What the user-pool tests share: the IAM administrator their signed calls come from, SDK
//! clients for the running server, the password sign-in most of them make, and the run of the
//! unmodified `amazon-cognito-identity-js` client (`tests/node/sign_in.js`).

use std::time::Duration;

use testkit::aws::cognito_idp::{
    self, error::ProvideErrorMetadata, operation::initiate_auth::InitiateAuthOutput,
    types::AuthFlowType,
};
use testkit::signer::Key;

use super::TestServer;

/// The IAM user `admin` of [`admin_iam`]: its access key id and secret.
pub const ADMIN_KEY_ID: &str = "AKIAADMIN00000000001";
pub const ADMIN_SECRET: &str = "admin-secret-000000000000000000000000";

/// The `iam:` section of a configuration whose user `admin` (key [`ADMIN_KEY_ID`]) may call
/// every `cognito-idp` operation on `resource` (a user-pool ARN, wildcards allowed).
pub fn admin_iam(resource: &str) -> String {
    format!(
        r#"iam:
  policies:
    PoolAdmin:
      Version: "2012-10-17"
      Statement:
        - {{Effect: Allow, Action: "cognito-idp:*", Resource: "{resource}"}}
  users:
    - {{name: admin, access_keys: [{{id: {ADMIN_KEY_ID}, secret: {ADMIN_SECRET}}}], policies: [PoolAdmin]}}
"#
    )
}

/// A Cognito Identity Provider client for the server's public (unsigned) operations.
pub fn idp(server: &TestServer) -> cognito_idp::Client {
    testkit::aws::cognito_client(&server.url(""), "us-east-1")
}

/// A client signing its calls as `admin` (see [`admin_iam`]).
pub fn idp_admin(server: &TestServer) -> cognito_idp::Client {
    idp_signed(server, &Key::new(ADMIN_KEY_ID, ADMIN_SECRET))
}

/// A client signing its calls with `key`.
pub fn idp_signed(server: &TestServer, key: &Key) -> cognito_idp::Client {
    testkit::aws::cognito_admin_client(&server.url(""), "us-east-1", key)
}

/// An SDK error as `Code: message`, the way the tests compare refusals.
pub fn error_text<E: ProvideErrorMetadata>(e: E) -> String {
    format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
}

/// `InitiateAuth` with `USER_PASSWORD_AUTH` (and `SECRET_HASH` when given).
pub async fn password_auth(
    idp: &cognito_idp::Client,
    client: &str,
    username: &str,
    password: &str,
    secret_hash: Option<String>,
) -> Result<InitiateAuthOutput, String> {
    let mut req = idp
        .initiate_auth()
        .client_id(client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password);
    if let Some(hash) = secret_hash {
        req = req.auth_parameters("SECRET_HASH", hash);
    }
    req.send().await.map_err(error_text)
}

/// [`password_auth`] for a sign-in that must end with tokens (no challenge).
pub async fn password_sign_in(
    idp: &cognito_idp::Client,
    client: &str,
    username: &str,
    password: &str,
) -> Result<cognito_idp::types::AuthenticationResultType, String> {
    password_auth(idp, client, username, password, None)
        .await
        .map(|o| o.authentication_result.expect("tokens, not a challenge"))
}

/// The newest code the built-in sender delivered to `user` (a username or `sub`) of `pool`.
pub async fn last_code(server: &TestServer, pool: &str, user: &str) -> String {
    let stores = server.running.as_ref().unwrap().services().store().clone();
    let messages = stores.signin.outbox(pool, Some(user), 1).await.unwrap();
    messages[0].code.clone()
}

/// Signs `username` up with `attributes` (name, value) and confirms it with the code from the
/// outbox, as a user of a pool with `sign_up_confirmation: code` does; returns its `sub`.
pub async fn sign_up_confirmed(
    server: &TestServer,
    (pool, client): (&str, &str),
    username: &str,
    password: &str,
    attributes: &[(&str, &str)],
) -> String {
    let idp = idp(server);
    let mut req = idp
        .sign_up()
        .client_id(client)
        .username(username)
        .password(password);
    for (name, value) in attributes {
        req = req.user_attributes(
            cognito_idp::types::AttributeType::builder()
                .name(*name)
                .value(*value)
                .build()
                .unwrap(),
        );
    }
    let sub = req.send().await.unwrap().user_sub().to_string();
    idp.confirm_sign_up()
        .client_id(client)
        .username(username)
        .confirmation_code(last_code(server, pool, &sub).await)
        .send()
        .await
        .unwrap();
    sub
}

/// Runs `tests/node/sign_in.js` (amazon-cognito-identity-js, unmodified) against the server
/// with `args` after the endpoint (pool, client, username, password[, new password]) and `env`,
/// and returns what it printed, as JSON.
pub async fn js_sign_in(
    server: &TestServer,
    args: &[&str],
    env: &[(&str, &str)],
) -> serde_json::Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        dir.join("node_modules/amazon-cognito-identity-js").is_dir(),
        "run `npm ci` in {} (./scripts/test does)",
        dir.display()
    );
    let out = tokio::process::Command::new("node")
        .current_dir(&dir)
        .arg("sign_in.js")
        .arg(server.url("/"))
        .args(args)
        .envs(env.iter().copied())
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .expect("node finished within 30 s")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "node printed {stdout:?}, stderr {:?}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
