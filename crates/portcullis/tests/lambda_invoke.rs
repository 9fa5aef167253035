//! Lambda's Invoke API on the edge endpoint, driven by real clients — the AWS SDK for Rust's
//! Lambda client and the AWS CLI (`aws lambda invoke`, botocore's signer) — against the running
//! server: synchronous, asynchronous and dry-run invocations, the log tail, function errors,
//! Lambda's refusals, and unsigned, ill-signed or denied callers, who never start the function.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use base64::Engine;
use common::*;
use http::Method;
use testkit::aws::lambda::error::ProvideErrorMetadata;
use testkit::aws::lambda::primitives::Blob;
use testkit::aws::lambda::types::{InvocationType, LogType};
use testkit::signer::Key;

const INVOKER: (&str, &str) = (
    "AKIAINVOKER000000001",
    "invoker-secret-000000000000000000000",
);
const OUTSIDER: (&str, &str) = (
    "AKIAOUTSIDER00000001",
    "outsider-secret-00000000000000000000",
);

fn config() -> String {
    format!(
        r#"account_id: "123456789012"
functions:
  - {{name: Echo, command: [{bin:?}]}}
  - {{name: Other, command: [{bin:?}]}}
  - {{name: Busy, command: [{bin:?}], reserved_concurrency: 0}}
iam:
  policies:
    InvokeEcho:
      Version: "2012-10-17"
      Statement:
        - {{Effect: Allow, Action: "lambda:InvokeFunction", Resource: ["arn:aws:lambda:us-east-1:123456789012:function:Echo", "arn:aws:lambda:us-east-1:123456789012:function:Echo:*", "arn:aws:lambda:us-east-1:123456789012:function:Busy", "arn:aws:lambda:us-east-1:123456789012:function:Missing"]}}
    Nothing: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "s3:GetObject", Resource: "*"}}]}}
  users:
    - {{name: invoker, access_keys: [{{id: {}, secret: {}}}], policies: [InvokeEcho]}}
    - {{name: outsider, access_keys: [{{id: {}, secret: {}}}], policies: [Nothing]}}
"#,
        INVOKER.0,
        INVOKER.1,
        OUTSIDER.0,
        OUTSIDER.1,
        bin = example_binary("echo-rust").display().to_string(),
    )
}

fn starts(server: &TestServer, function: &str) -> u64 {
    let running = server.running.as_ref().unwrap();
    running
        .services()
        .functions()
        .stats(function)
        .unwrap()
        .starts
}

fn error_code<E: ProvideErrorMetadata>(e: &E) -> String {
    format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_with_the_sdk() {
    let server = TestServer::start(Workspace::new(), &config()).await;
    let endpoint = server.url("");
    let invoker =
        testkit::aws::lambda_client(&endpoint, "us-east-1", &Key::new(INVOKER.0, INVOKER.1));
    let outsider =
        testkit::aws::lambda_client(&endpoint, "us-east-1", &Key::new(OUTSIDER.0, OUTSIDER.1));
    let stranger = testkit::aws::lambda_client(
        &endpoint,
        "us-east-1",
        &Key::new(
            "AKIAUNKNOWN000000001",
            "whatever-00000000000000000000000000000",
        ),
    );

    // Refusals first: none starts the function.
    let e = outsider
        .invoke()
        .function_name("Echo")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        error_code(&e),
        "AccessDeniedException: User: arn:aws:iam::123456789012:user/outsider is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:Echo because no identity-based policy allows the lambda:InvokeFunction action"
    );
    let e = stranger
        .invoke()
        .function_name("Echo")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        error_code(&e).starts_with("UnrecognizedClientException: "),
        "{e:?}"
    );
    // Unsigned: Lambda's path, but no signature, so it is no Lambda request at all (an API
    // invocation, refused by the pipeline).
    let r = server
        .client
        .send(
            Method::POST,
            &server.url("/2015-03-31/functions/Echo/invocations"),
            &[],
            "{}",
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    // Ill-signed: a signature that does not match.
    let r = server
        .client
        .send(
            Method::POST,
            &server.url("/2015-03-31/functions/Echo/invocations"),
            &[(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAINVOKER000000001/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
            )],
            "{}",
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.header("x-amzn-errortype")
            .is_some_and(|t| t.ends_with("SignatureException"))
    );
    // Denied for another function, even one that exists: no existence is revealed.
    let e = invoker
        .invoke()
        .function_name("Other")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        error_code(&e).starts_with("AccessDeniedException: "),
        "{e:?}"
    );
    assert_eq!(starts(&server, "Echo"), 0);
    assert_eq!(starts(&server, "Other"), 0);

    // Allowed but missing, an alias, throttled.
    let e = invoker
        .invoke()
        .function_name("Missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    assert_eq!(
        e.message(),
        Some("Function not found: arn:aws:lambda:us-east-1:123456789012:function:Missing")
    );
    let e = invoker
        .invoke()
        .function_name("Echo")
        .qualifier("prod")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = invoker
        .invoke()
        .function_name("Busy")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_too_many_requests_exception(), "{e:?}");
    let e = invoker
        .invoke()
        .function_name("Echo")
        .payload(Blob::new(vec![b' '; 6 * 1024 * 1024 + 1]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_request_too_large_exception(), "{e:?}");
    let e = invoker
        .invoke()
        .function_name("Echo")
        .payload(Blob::new("{not json"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_request_content_exception(), "{e:?}");
    assert_eq!(starts(&server, "Echo"), 0);

    // RequestResponse with the log tail and a client context; by name, partial and full ARN.
    let client_context =
        base64::engine::general_purpose::STANDARD.encode(r#"{"custom":{"k":"v"}}"#);
    for name in [
        "Echo",
        "123456789012:function:Echo",
        "arn:aws:lambda:us-east-1:123456789012:function:Echo:$LATEST",
    ] {
        let out = invoker
            .invoke()
            .function_name(name)
            .payload(Blob::new(r#"{"ride": 1}"#))
            .log_type(LogType::Tail)
            .client_context(&client_context)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status_code(), 200);
        assert_eq!(out.executed_version(), Some("$LATEST"));
        assert_eq!(out.function_error(), None);
        let body: serde_json::Value =
            serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
        assert_eq!(body["event"], serde_json::json!({"ride": 1}));
        assert_eq!(body["client_custom"], serde_json::json!({"k": "v"}));
        assert_eq!(
            body["invoked_function_arn"],
            "arn:aws:lambda:us-east-1:123456789012:function:Echo"
        );
        let tail = base64::engine::general_purpose::STANDARD
            .decode(out.log_result().unwrap())
            .unwrap();
        let tail = String::from_utf8(tail).unwrap();
        assert!(tail.contains("REPORT RequestId: "), "{tail}");
    }
    // A function error: 200 with X-Amz-Function-Error and Lambda's error document.
    let out = invoker
        .invoke()
        .function_name("Echo")
        .payload(Blob::new(
            r#"{"action": "error", "message": "no unicorns"}"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(out.function_error(), Some("Unhandled"));
    let body: serde_json::Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(body["errorType"], "EchoError");
    assert_eq!(body["errorMessage"], "no unicorns");
    // Event: 202, nothing to read; DryRun: 204.
    let out = invoker
        .invoke()
        .function_name("Echo")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new("{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status_code(), 202);
    let out = invoker
        .invoke()
        .function_name("Echo")
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status_code(), 204);
    assert_eq!(starts(&server, "Other"), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_with_the_aws_cli() {
    let server = TestServer::start(Workspace::new(), &config()).await;
    let payload = server.ws.write("payload.json", r#"{"from": "cli"}"#);
    let out_dir = server.ws.path().to_path_buf();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/lambda_cli.py");
    let args: Vec<String> = vec![
        script.into(),
        server.url(""),
        INVOKER.0.into(),
        INVOKER.1.into(),
        "Echo".into(),
        payload.display().to_string(),
        out_dir.display().to_string(),
    ];
    let output =
        tokio::task::spawn_blocking(move || Command::new("python3").args(&args).output().unwrap())
            .await
            .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let invoke = &results["invoke"];
    assert_eq!(invoke[0], 0, "{invoke}");
    let meta: serde_json::Value = serde_json::from_str(invoke[1].as_str().unwrap()).unwrap();
    assert_eq!(meta["StatusCode"], 200);
    assert_eq!(meta["ExecutedVersion"], "$LATEST");
    assert!(meta["LogResult"].is_string());
    let body: serde_json::Value = serde_json::from_str(invoke[2].as_str().unwrap()).unwrap();
    assert_eq!(body["event"], serde_json::json!({"from": "cli"}));

    let event = &results["event"];
    assert_eq!(event[0], 0, "{event}");
    let meta: serde_json::Value = serde_json::from_str(event[1].as_str().unwrap()).unwrap();
    assert_eq!(meta["StatusCode"], 202);

    let missing = &results["missing"];
    assert_ne!(missing[0], 0);
    assert!(
        missing[1]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{missing}"
    );
    server.stop().await;
}

/// Runs the built `portcullis invoke` with `args`, the given credentials and `stdin`.
async fn portcullis_invoke(
    args: Vec<String>,
    key: (&str, &str),
    stdin: &'static str,
) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("invoke")
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", key.0)
        .env("AWS_SECRET_ACCESS_KEY", key.1)
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn portcullis_invoke_beside_serve() {
    let server = TestServer::start(Workspace::new(), &config()).await;
    let payload = server
        .ws
        .write("payload.json", r#"{"from": "portcullis invoke"}"#);
    // The configuration the server runs, as an operator has it: its listen is the edge's.
    let cfg = server.ws.write(
        "served.yaml",
        &format!("listen: {}\n{}", server.edge, config()),
    );

    let out = portcullis_invoke(
        vec![
            "Echo".into(),
            "--payload".into(),
            payload.display().to_string(),
            "--config".into(),
            cfg.display().to_string(),
            "--log-type".into(),
            "Tail".into(),
        ],
        INVOKER,
        "",
    )
    .await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        body["event"],
        serde_json::json!({"from": "portcullis invoke"})
    );
    assert!(stderr.contains("REPORT RequestId: "), "{stderr}");

    // The payload from standard input, the endpoint by URL.
    let out = portcullis_invoke(
        vec![
            "arn:aws:lambda:us-east-1:123456789012:function:Echo".into(),
            "--payload".into(),
            "-".into(),
            "--endpoint-url".into(),
            server.url(""),
        ],
        INVOKER,
        r#"{"action": "error", "message": "stdin"}"#,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["errorMessage"], "stdin");
    assert!(String::from_utf8_lossy(&out.stderr).contains("function error (Unhandled)"));

    // A caller without lambda:InvokeFunction.
    let out = portcullis_invoke(
        vec!["Echo".into(), "--endpoint-url".into(), server.url("")],
        OUTSIDER,
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("403 Forbidden AccessDeniedException: User: arn:aws:iam::123456789012:user/outsider is not authorized to perform: lambda:InvokeFunction"),
        "{stderr}"
    );
    assert_eq!(starts(&server, "Echo"), 1);
    server.stop().await;
}
