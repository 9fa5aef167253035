//! A custom runtime (`provided.al2023`): a bash `bootstrap` driving the Runtime API with curl, as
//! Lambda's tutorial writes one. It also probes the API's refusals from the inside, and leaves a
//! descendant process running to show that killing an environment kills its whole group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use functions::{FailureKind, FunctionHost, Invocation};
use serde_json::json;

fn provided(name: &str, code: &str) -> functions::FunctionSpec {
    spec(&format!(
        "{{name: {name}, runtime: provided.al2023, handler: function.handler, code: {code}}}"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_script_is_a_function() {
    let host = FunctionHost::start(&[provided("shell", "provided")], options()).unwrap();
    let (outcome, v) = call(
        &host,
        "shell",
        Invocation {
            log_tail: true,
            ..event(json!({"k": "v"}))
        },
    )
    .await;
    assert_eq!(outcome.failure, None, "{v}");
    assert_eq!(v["event"], json!({"k": "v"}));
    assert_eq!(v["request_id"], outcome.request_id.as_str());
    assert_eq!(v["handler"], "function.handler");
    assert!(v["deadline_ms"].as_u64().unwrap() > 1_600_000_000_000);
    // Standard output and standard error both reach the log, in order.
    let text = tail(&outcome);
    assert!(
        text.contains(&format!("\nto stdout {}\nto stderr\n", outcome.request_id)),
        "{text}"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_api_refuses_as_lambda_does() {
    let host = FunctionHost::start(&[provided("probe", "provided")], options()).unwrap();
    let (outcome, v) = call(&host, "probe", event(json!({"action": "probe"}))).await;
    assert_eq!(outcome.failure, None, "{v}");
    assert_eq!(
        v["wrong_id"],
        json!({"status": 400, "body": {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}})
    );
    assert_eq!(v["init_error_late"]["status"], 403);
    assert_eq!(
        v["init_error_late"]["body"]["errorType"],
        "InvalidStateTransition"
    );
    assert_eq!(v["not_found"]["status"], 404);
    assert_eq!(v["wrong_method"]["status"], 405);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_and_oversized_responses_fail_the_invocation() {
    let host = FunctionHost::start(&[provided("bad", "provided")], options()).unwrap();
    let (outcome, v) = call(&host, "bad", event(json!({"action": "invalid"}))).await;
    assert_eq!(outcome.failure.unwrap().kind, FailureKind::InvalidResponse);
    assert_eq!(v["errorType"], "Runtime.InvalidResponsePayload");
    let (outcome, v) = call(&host, "bad", event(json!({"action": "large"}))).await;
    assert_eq!(outcome.failure.unwrap().kind, FailureKind::ResponseTooLarge);
    assert_eq!(v["errorType"], "Function.ResponseSizeTooLarge");
    assert_eq!(
        v["errorMessage"],
        "Response payload size exceeded maximum allowed payload size (6291456 bytes)."
    );
    // Neither broke the environment.
    let (ok, _) = call(&host, "bad", event(json!({}))).await;
    assert_eq!((ok.failure, ok.cold_start), (None, None));
    assert_eq!(host.stats("bad").unwrap().starts, 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_init_error_is_reported_and_the_environment_dropped() {
    let host =
        FunctionHost::start(&[provided("initfail", "provided-init-error")], options()).unwrap();
    let (outcome, v) = call(
        &host,
        "initfail",
        Invocation {
            log_tail: true,
            ..event(json!({}))
        },
    )
    .await;
    let failure = outcome.failure.clone().unwrap();
    assert_eq!(failure.kind, FailureKind::Init);
    assert_eq!(failure.error_type, "Custom.InitFailed");
    assert_eq!(
        v,
        json!({"errorMessage": "no configuration", "errorType": "Custom.InitFailed"})
    );
    assert!(tail(&outcome).contains("loading configuration"));
    assert_eq!(host.stats("initfail").unwrap().environments, 0);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_environment_kills_its_process_group() {
    let host = FunctionHost::start(&[provided("group", "provided")], options()).unwrap();
    let (_, v) = call(&host, "group", event(json!({}))).await;
    let descendant = u32::try_from(v["sleep_pid"].as_u64().unwrap()).unwrap();
    let runtime = host.stats("group").unwrap().pids[0];
    assert!(alive(descendant) && alive(runtime));
    // A crash: the runtime exits, and its descendant goes with it.
    let (outcome, v) = call(&host, "group", event(json!({"action": "crash"}))).await;
    assert_eq!(outcome.failure.unwrap().kind, FailureKind::Exit);
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("exit status 7")
    );
    eventually("the descendant is killed with its group", || {
        !alive(descendant)
    })
    .await;

    // Shutdown does the same for a live environment.
    let (_, v) = call(&host, "group", event(json!({}))).await;
    let descendant = u32::try_from(v["sleep_pid"].as_u64().unwrap()).unwrap();
    let runtime = host.stats("group").unwrap().pids[0];
    host.shutdown().await;
    assert!(!alive(runtime));
    eventually("the descendant is killed at shutdown", || {
        !alive(descendant)
    })
    .await;
}
