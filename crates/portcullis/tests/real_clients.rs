//! AWS's Python tooling against the real server: botocore's SigV4 signers (header and presigned)
//! and the AWS CLI's STS commands. `.ci/run` installs botocore and awscli; this test fails, with
//! the install command, when they are missing.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::*;

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: real-clients, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-auth: {type: AWS_IAM}
      x-amazon-apigateway-integration: &proxy
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/echo"
    post:
      x-amazon-apigateway-auth: {type: AWS_IAM}
      x-amazon-apigateway-integration: *proxy
  /pets/{id}:
    get:
      x-amazon-apigateway-auth: {type: AWS_IAM}
      x-amazon-apigateway-integration: *proxy
"#;

fn config(backend: &str) -> String {
    format!(
        r#"account_id: "123456789012"
apis:
  - id: realclient
    openapi: api.yaml
    stages: {{prod: {{variables: {{backend: "{backend}"}}}}}}
iam:
  policies:
    InvokeAll: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: ["execute-api:Invoke", "sts:AssumeRole"], Resource: "*"}}]}}
    ReadOnly: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/GET/*"}}]}}
  users:
    - name: botocore
      access_keys: [{{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}]
      policies: [InvokeAll]
  roles:
    - name: Reader
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::123456789012:user/botocore"}}, Action: "sts:AssumeRole"}}]}}
      policies: [ReadOnly]
"#
    )
}

fn require_python_tools() {
    let ok = Command::new("python3")
        .args(["-c", "import botocore, awscli"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "this test needs botocore and the AWS CLI: python3 -m pip install -r crates/portcullis/tests/python/requirements.txt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_and_the_aws_cli_work_unmodified() {
    require_python_tools();
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write("api.yaml", OPENAPI);
    let server = TestServer::start(ws, &config(&upstream.url())).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/real_clients.py");
    let endpoint = server.url("");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([
                script,
                &endpoint,
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "arn:aws:iam::123456789012:role/Reader",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let status = |case: &str| {
        results[case][0]
            .as_u64()
            .unwrap_or_else(|| panic!("{case}: {results}"))
    };
    let body = |case: &str| results[case][1].as_str().unwrap().to_string();
    for case in ["get", "post", "odd_path", "presigned", "session_get"] {
        assert_eq!(status(case), 200, "{case}: {}", body(case));
    }
    assert_eq!(status("wrong_secret"), 403, "{}", body("wrong_secret"));
    assert!(body("wrong_secret").contains("The request signature we calculated does not match"));
    assert_eq!(status("session_post"), 403, "{}", body("session_post"));
    assert!(body("session_post").contains("assumed-role/Reader/cli-session is not authorized"));
    // The CLI's exit status is 0 and its JSON is what AWS returns.
    assert_eq!(status("cli_identity"), 0, "{}", body("cli_identity"));
    let me: serde_json::Value = serde_json::from_str(&body("cli_identity")).unwrap();
    assert_eq!(me["Arn"], "arn:aws:iam::123456789012:user/botocore");
    assert_eq!(me["Account"], "123456789012");
    assert_eq!(status("cli_assume_role"), 0, "{}", body("cli_assume_role"));
    let session: serde_json::Value = serde_json::from_str(&body("session_identity")).unwrap();
    assert_eq!(
        session["Arn"],
        "arn:aws:sts::123456789012:assumed-role/Reader/cli-session"
    );
    // What the backend saw from botocore's POST.
    assert!(
        upstream
            .requests()
            .iter()
            .any(|r| r.body == r#"{"type":"bird"}"#)
    );
}
