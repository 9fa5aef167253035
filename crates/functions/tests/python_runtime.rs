//! A Python handler, unmodified, under AWS's own runtime interface client, `awslambdaric`
//! (pip-installed from `crates/portcullis/tests/python/requirements.txt`; the tests fail, with
//! the install command, when it is missing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use functions::{CognitoIdentity, FailureKind, FunctionError, FunctionHost, Invocation};
use serde_json::json;

fn require_awslambdaric() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import awslambdaric"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "these tests need awslambdaric: python3 -m pip install -r crates/portcullis/tests/python/requirements.txt"
    );
}

fn python(name: &str, handler: &str) -> functions::FunctionSpec {
    spec(&format!(
        "{{name: {name}, runtime: python3.13, handler: {handler}, code: python, memory_size: 512}}"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awslambdaric_runs_the_handler_with_lambdas_context() {
    require_awslambdaric();
    let host = FunctionHost::start(&[python("hello-py", "app.handler")], options()).unwrap();
    let invocation = Invocation {
        cognito_identity: Some(CognitoIdentity {
            identity_id: "us-east-1:py".into(),
            identity_pool_id: "us-east-1:pool".into(),
        }),
        log_tail: true,
        ..event(json!({"a": [1, 2]}))
    };
    let (outcome, v) = call(&host, "hello-py", invocation).await;
    assert_eq!(outcome.failure, None, "{v}");
    assert!(outcome.cold_start.is_some());
    assert_eq!(v["event"], json!({"a": [1, 2]}));
    assert_eq!(v["request_id"], outcome.request_id.as_str());
    assert_eq!(v["function_name"], "hello-py");
    assert_eq!(v["memory"], "512");
    assert_eq!(
        v["arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:hello-py"
    );
    assert!(v["remaining"].as_u64().unwrap() <= 3000);
    assert_eq!(v["identity"], "us-east-1:py");
    let env = &v["env"];
    assert_eq!(env["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.13");
    assert_eq!(env["_HANDLER"], "app.handler");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "512");
    assert_eq!(env["TZ"], ":UTC");
    assert!(
        env["_X_AMZN_TRACE_ID"]
            .as_str()
            .unwrap()
            .starts_with("Root=1-")
    );
    assert_eq!(env["CARGO_MANIFEST_DIR"], serde_json::Value::Null);
    assert!(
        tail(&outcome).contains("\nhello from python\n"),
        "{}",
        tail(&outcome)
    );
    let (warm, w) = call(&host, "hello-py", event(json!({}))).await;
    assert_eq!(warm.cold_start, None);
    assert_eq!(v["pid"], w["pid"]);
    assert_eq!(host.stats("hello-py").unwrap().starts, 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_and_import_errors_are_lambdas() {
    require_awslambdaric();
    let host = FunctionHost::start(
        &[
            python("raises", "app.handler"),
            python("broken", "broken.handler"),
        ],
        options(),
    )
    .unwrap();
    let (outcome, v) = call(&host, "raises", event(json!({"action": "raise"}))).await;
    assert_eq!(outcome.function_error, Some(FunctionError::Unhandled));
    let failure = outcome.failure.unwrap();
    assert_eq!(
        (failure.kind, failure.error_type.as_str()),
        (FailureKind::Function, "ValueError")
    );
    assert_eq!(v["errorMessage"], "python says no");
    assert_eq!(v["requestId"], outcome.request_id.as_str());
    assert!(v["stackTrace"].is_array(), "{v}");

    let (outcome, v) = call(&host, "broken", event(json!({}))).await;
    let failure = outcome.failure.unwrap();
    assert_eq!(failure.kind, FailureKind::Init);
    assert_eq!(v["errorType"], "Runtime.ImportModuleError");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .contains("a_module_that_is_not_installed"),
        "{v}"
    );
    assert_eq!(host.stats("broken").unwrap().environments, 0);
    host.shutdown().await;
}
