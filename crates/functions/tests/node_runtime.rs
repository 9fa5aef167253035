//! Node.js handlers, unmodified, under the bootstrap this crate ships
//! (`runtimes/node/bootstrap.js`): async, callback-style, ES module, thrown errors, a handler
//! that is not there, Lambda's context and console format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use functions::{CognitoIdentity, FailureKind, FunctionError, FunctionHost, Invocation};
use serde_json::json;

fn node(name: &str, handler: &str) -> functions::FunctionSpec {
    spec(&format!(
        "{{name: {name}, runtime: nodejs22.x, handler: {handler}, code: node, timeout: 1}}"
    ))
}

fn require_node() {
    let ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "these tests need Node.js (`node` on PATH)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_handlers_get_lambdas_context() {
    require_node();
    let host = FunctionHost::start(&[node("hello-node", "index.handler")], options()).unwrap();
    let invocation = Invocation {
        client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
        cognito_identity: Some(CognitoIdentity {
            identity_id: "us-east-1:id".into(),
            identity_pool_id: "us-east-1:pool".into(),
        }),
        log_tail: true,
        ..event(json!({"x": 1}))
    };
    let (outcome, v) = call(&host, "hello-node", invocation).await;
    assert_eq!(outcome.failure, None, "{v}");
    assert_eq!(v["event"], json!({"x": 1}));
    assert_eq!(v["awsRequestId"], outcome.request_id.as_str());
    assert_eq!(v["functionName"], "hello-node");
    assert_eq!(v["functionVersion"], "$LATEST");
    assert_eq!(v["memoryLimitInMB"], "128");
    assert_eq!(v["logGroupName"], "/aws/lambda/hello-node");
    assert!(v["logStreamName"].as_str().unwrap().contains("[$LATEST]"));
    assert_eq!(
        v["invokedFunctionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:hello-node"
    );
    let remaining = v["remaining"].as_u64().unwrap();
    assert!(remaining > 0 && remaining <= 1000, "{remaining}");
    assert_eq!(
        v["identity"],
        json!({"cognitoIdentityId": "us-east-1:id", "cognitoIdentityPoolId": "us-east-1:pool"})
    );
    assert_eq!(v["clientContext"], json!({"custom": {"k": "v"}}));
    assert!(v["traceId"].as_str().unwrap().starts_with("Root=1-"));
    assert_eq!(v["executionEnv"], "AWS_Lambda_nodejs22.x");
    assert_eq!(v["handler"], "index.handler");
    assert_eq!(v["taskRoot"], fixtures().join("node").to_str().unwrap());
    // console.log as Lambda writes it: time, request id, level, message.
    let text = tail(&outcome);
    let line = text
        .lines()
        .find(|l| l.contains("hello from node"))
        .unwrap_or_else(|| panic!("{text}"));
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields.len(), 4, "{line}");
    assert!(fields[0].ends_with('Z'));
    assert_eq!(fields[1], outcome.request_id);
    assert_eq!(fields[2], "INFO");
    assert_eq!(fields[3], "hello from node { n: 1 }");
    // Warm reuse.
    let (second, w) = call(&host, "hello-node", event(json!({}))).await;
    assert_eq!(second.cold_start, None);
    assert_eq!(v["pid"], w["pid"]);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thrown_errors_are_reported_with_their_type() {
    require_node();
    let host = FunctionHost::start(&[node("throws", "index.handler")], options()).unwrap();
    let (outcome, v) = call(&host, "throws", event(json!({"action": "throw"}))).await;
    assert_eq!(outcome.function_error, Some(FunctionError::Unhandled));
    let failure = outcome.failure.unwrap();
    assert_eq!(
        (failure.kind, failure.error_type.as_str()),
        (FailureKind::Function, "TypeError")
    );
    assert_eq!(v["errorType"], "TypeError");
    assert_eq!(v["errorMessage"], "node says no");
    let trace = v["trace"].as_array().unwrap();
    assert_eq!(trace[0], "TypeError: node says no");
    // The environment lives on.
    let (again, _) = call(&host, "throws", event(json!({}))).await;
    assert_eq!((again.failure, again.cold_start), (None, None));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_and_esm_handlers() {
    require_node();
    let host = FunctionHost::start(
        &[node("cb", "callback.handler"), node("esm", "esm.handler")],
        options(),
    )
    .unwrap();
    let (outcome, v) = call(&host, "cb", event(json!({"n": 7}))).await;
    assert_eq!(
        v,
        json!({"via": "callback", "n": 7, "id": outcome.request_id})
    );
    let (outcome, v) = call(&host, "cb", event(json!({"fail": true}))).await;
    assert_eq!(outcome.failure.unwrap().error_type, "RangeError");
    assert_eq!(v["errorMessage"], "callback failed");
    let (_, v) = call(&host, "esm", event(json!({"m": true}))).await;
    assert_eq!(v, json!({"esm": true, "event": {"m": true}}));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_handler_is_an_init_error_and_timeouts_kill() {
    require_node();
    let host = FunctionHost::start(
        &[
            node("nohandler", "index.nothere"),
            node("nomodule", "absent.handler"),
            node("slow-node", "index.handler"),
        ],
        options(),
    )
    .unwrap();
    let (outcome, v) = call(&host, "nohandler", event(json!({}))).await;
    let failure = outcome.failure.unwrap();
    assert_eq!(failure.kind, FailureKind::Init);
    assert_eq!(v["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(
        v["errorMessage"],
        "index.nothere is undefined or not exported"
    );
    assert_eq!(host.stats("nohandler").unwrap().environments, 0);
    let (_, v) = call(&host, "nomodule", event(json!({}))).await;
    assert_eq!(v["errorType"], "Runtime.ImportModuleError");

    let (outcome, v) = call(
        &host,
        "slow-node",
        event(json!({"action": "sleep", "ms": 10_000})),
    )
    .await;
    assert_eq!(outcome.failure.unwrap().kind, FailureKind::Timeout);
    assert_eq!(v["errorType"], "Sandbox.Timedout");
    let (outcome, v) = call(
        &host,
        "slow-node",
        event(json!({"action": "exit", "code": 4})),
    )
    .await;
    assert_eq!(outcome.failure.unwrap().kind, FailureKind::Exit);
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("exit status 4")
    );
    host.shutdown().await;
}
