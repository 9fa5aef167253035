//! STS's unsigned action on the wire: the AWS CLI's `sts assume-role-with-web-identity`
//! (botocore, unsigned as it sends it) against the real server with a user pool's ID token —
//! its exit status, and the JSON it prints is AWS's shape; needs botocore and the AWS CLI
//! (`tests/python/requirements.txt`) — and every other unsigned STS request refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::*;
use http::Method;

const POOL: &str = "us-east-1_CliPool";
const WEB: &str = "web";
const PASSWORD: &str = "Correct-Horse-42";
const PROVIDER: &str = "cognito-idp.us-east-1.amazonaws.com/us-east-1_CliPool";

fn config() -> String {
    format!(
        r#"account_id: "123456789012"
user_pools:
  - id: {POOL}
    issuer_base: https://cognito-idp.us-east-1.amazonaws.com
    username_attributes: [email]
    auto_verified_attributes: [email]
    clients: [{{id: {WEB}, auth_flows: [USER_PASSWORD_AUTH]}}]
iam:
  roles:
    - name: CliRole
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Federated: "{PROVIDER}"}}, Action: "sts:AssumeRoleWithWebIdentity", Condition: {{StringEquals: {{"{PROVIDER}:aud": {WEB}}}}}}}]}}
"#
    )
}

/// `aws sts assume-role-with-web-identity` without any credentials: (exit status, output).
fn cli(endpoint: &str, token: &str) -> (i32, String) {
    let out = Command::new("python3")
        .args([
            "-m",
            "awscli",
            "--endpoint-url",
            endpoint,
            "--output",
            "json",
        ])
        .args(["sts", "assume-role-with-web-identity"])
        .args(["--role-arn", "arn:aws:iam::123456789012:role/CliRole"])
        .args(["--role-session-name", "cli", "--web-identity-token", token])
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .unwrap();
    let text = if out.status.success() {
        out.stdout
    } else {
        out.stderr
    };
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&text).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_assumes_a_role_with_a_user_pool_token() {
    let ok = Command::new("python3")
        .args(["-c", "import botocore, awscli"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "this test needs botocore and the AWS CLI: python3 -m pip install -r crates/portcullis/tests/python/requirements.txt"
    );
    let server = TestServer::start(Workspace::new(), &config()).await;
    let email = "cli@example.com";
    common::pools::sign_up_confirmed(&server, (POOL, WEB), email, PASSWORD, &[]).await;
    let idp = common::pools::idp(&server);
    let token = common::pools::password_sign_in(&idp, WEB, email, PASSWORD)
        .await
        .unwrap()
        .id_token
        .unwrap();
    let endpoint = server.url("");
    let (status, out) = {
        let (endpoint, token) = (endpoint.clone(), token.clone());
        tokio::task::spawn_blocking(move || cli(&endpoint, &token))
            .await
            .unwrap()
    };
    assert_eq!(status, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::123456789012:assumed-role/CliRole/cli"
    );
    assert_eq!(v["Audience"], WEB);
    assert_eq!(v["Provider"], format!("https://{PROVIDER}"));
    assert!(
        v["Credentials"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert!(v["SubjectFromWebIdentityToken"].as_str().is_some());
    // A refusal in STS's XML, as the CLI reports it.
    let (status, out) = tokio::task::spawn_blocking(move || cli(&endpoint, "not.a.token"))
        .await
        .unwrap();
    assert_ne!(status, 0);
    assert!(out.contains("InvalidIdentityToken"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_assume_role_with_web_identity_may_be_unsigned() {
    let server = TestServer::start(Workspace::new(), &config()).await;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    for body in [
        "Action=GetCallerIdentity&Version=2011-06-15",
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FPoolRole&RoleSessionName=s1",
        "Action=Nonsense",
        "",
    ] {
        let r = server
            .client
            .send(Method::POST, &server.url("/"), &form, body)
            .await;
        assert_eq!(r.status, 403, "{body}: {}", r.text());
        assert!(
            r.text().contains("<Code>MissingAuthenticationToken</Code>"),
            "{body}: {}",
            r.text()
        );
    }
    // Unsigned web identity requests are validated in STS's words.
    let r = server
        .client
        .send(
            Method::POST,
            &server.url("/"),
            &form,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=s1&WebIdentityToken=a.b.c",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("<Code>ValidationError</Code>"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("roleArn"), "{}", r.text());
}
