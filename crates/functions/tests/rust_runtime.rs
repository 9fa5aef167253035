//! The host against a real Rust function on `lambda_runtime` (`examples/functions/echo-rust`):
//! Lambda's environment and headers as that client reads them, warm reuse, scale-out and
//! throttling, timeouts, crashes, function errors, the log tail, reaping, shutdown and the
//! invoke-level errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use functions::{
    CognitoIdentity, FailureKind, FunctionError, FunctionHost, HostOptions, Invocation,
    InvocationType, InvokeError,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_and_environment_are_lambdas() {
    let host = FunctionHost::start(&[rust_spec("echo", ", memory_size: 256")], options()).unwrap();
    let invocation = Invocation {
        client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
        cognito_identity: Some(CognitoIdentity {
            identity_id: "us-east-1:abc".into(),
            identity_pool_id: "us-east-1:pool".into(),
        }),
        trace_id: Some(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
        ),
        ..event(json!({"hello": "world"}))
    };
    let (outcome, v) = call(&host, "echo", invocation).await;
    assert_eq!(outcome.failure, None, "{v}");
    assert_eq!(outcome.status(), 200);
    assert_eq!(v["event"], json!({"hello": "world"}));
    assert_eq!(v["request_id"], outcome.request_id.as_str());
    assert_eq!(v["function_name"], "echo");
    assert_eq!(v["memory"], 256);
    assert_eq!(v["version"], "$LATEST");
    assert_eq!(v["log_group"], "/aws/lambda/echo");
    assert_eq!(
        v["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:echo"
    );
    assert_eq!(host.arn("echo"), v["invoked_function_arn"].as_str());
    // The deadline is the function's timeout (3 s) from when the work was taken.
    assert!(v["remaining_ms"].as_u64().unwrap() <= 3000, "{v}");
    assert!(v["deadline_ms"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(
        v["xray_trace_id"],
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    );
    assert_eq!(
        v["identity"],
        json!({"id": "us-east-1:abc", "pool": "us-east-1:pool"})
    );
    assert_eq!(v["client_custom"], json!({"k": "v"}));

    let env = &v["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "echo");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["TZ"], ":UTC");
    assert_eq!(env["LANG"], "en_US.UTF-8");
    assert_eq!(env["ECHO_GREETING"], "hello");
    assert_eq!(env["LAMBDA_TASK_ROOT"], fixtures().to_str().unwrap());
    assert!(
        env["LD_LIBRARY_PATH"]
            .as_str()
            .unwrap()
            .starts_with(fixtures().to_str().unwrap())
    );
    assert!(env["LAMBDA_RUNTIME_DIR"].as_str().is_some());
    assert!(env["PATH"].as_str().is_some());
    // A `command` function is not a managed runtime: no AWS_EXECUTION_ENV, as for provided.*.
    assert!(env.get("AWS_EXECUTION_ENV").is_none());
    let api = env["AWS_LAMBDA_RUNTIME_API"].as_str().unwrap();
    assert!(api.starts_with("127.0.0.1:"), "{api}");
    let stream = env["AWS_LAMBDA_LOG_STREAM_NAME"].as_str().unwrap();
    let (date, id) = stream.split_once("/[$LATEST]").unwrap();
    assert_eq!(date.len(), 10, "{stream}");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{stream}"
    );
    assert_eq!(v["log_stream"], stream);
    // The host's own environment is not passed down.
    assert!(env.get("CARGO_MANIFEST_DIR").is_none(), "{env}");

    // Without a trace id, one is made, in X-Ray's form.
    let (_, v) = call(&host, "echo", event(json!({}))).await;
    let trace = v["xray_trace_id"].as_str().unwrap();
    assert!(
        trace.starts_with("Root=1-") && trace.ends_with(";Sampled=0"),
        "{trace}"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_environment_is_reused() {
    let host = FunctionHost::start(&[rust_spec("warm", "")], options()).unwrap();
    let (first, a) = call(&host, "warm", event(json!({"n": 1}))).await;
    let (second, b) = call(&host, "warm", event(json!({"n": 2}))).await;
    assert!(first.cold_start.is_some());
    assert_eq!(second.cold_start, None);
    assert_eq!(a["pid"], b["pid"]);
    assert_ne!(first.request_id, second.request_id);
    let stats = host.stats("warm").unwrap();
    assert_eq!((stats.starts, stats.environments, stats.busy), (1, 1, 0));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_stops_at_reserved_concurrency_then_throttles() {
    let host = std::sync::Arc::new(
        FunctionHost::start(&[rust_spec("wide", ", reserved_concurrency: 2")], options()).unwrap(),
    );
    let slow = || event(json!({"action": "sleep", "ms": 1500}));
    let running: Vec<_> = (0..2)
        .map(|_| {
            let host = host.clone();
            let inv = slow();
            tokio::spawn(async move { host.invoke("wide", inv).await })
        })
        .collect();
    eventually("two invocations run", || {
        host.stats("wide").unwrap().busy == 2
    })
    .await;
    // The third finds no environment free within the queue timeout (200 ms).
    let third = host.invoke("wide", event(json!({}))).await;
    assert_eq!(
        third.unwrap_err(),
        InvokeError::TooManyRequests { reserved: true }
    );
    let mut pids = Vec::new();
    for r in running {
        let outcome = r.await.unwrap().unwrap();
        assert_eq!(outcome.failure, None);
        let v: serde_json::Value = serde_json::from_slice(&outcome.payload).unwrap();
        pids.push(v["pid"].as_u64().unwrap());
    }
    pids.dedup();
    assert_eq!(pids.len(), 2, "two environments, one per invocation");
    assert_eq!(host.stats("wide").unwrap().starts, 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_invocation_waits_for_the_environment() {
    let opts = HostOptions {
        queue_timeout: Duration::from_secs(30),
        ..options()
    };
    let host = std::sync::Arc::new(
        FunctionHost::start(&[rust_spec("one", ", reserved_concurrency: 1")], opts).unwrap(),
    );
    let h = host.clone();
    let first = tokio::spawn(async move {
        h.invoke("one", event(json!({"action": "sleep", "ms": 300})))
            .await
    });
    eventually("the first runs", || host.stats("one").unwrap().busy == 1).await;
    let (second, _) = call(&host, "one", event(json!({"n": 2}))).await;
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.failure, None);
    assert_eq!(second.failure, None);
    // It waited for, and then reused, the one environment.
    assert_eq!(
        second.cold_start,
        None,
        "first: {first:?}\nsecond: {second:?}\n{:?}",
        host.stats("one")
    );
    assert_eq!(host.stats("one").unwrap().starts, 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_kills_the_environment_and_says_so() {
    let host = FunctionHost::start(&[rust_spec("slow", ", timeout: 1")], options()).unwrap();
    let (_, v) = call(&host, "slow", event(json!({}))).await;
    let pid = u32::try_from(v["pid"].as_u64().unwrap()).unwrap();
    let (outcome, v) = call(
        &host,
        "slow",
        Invocation {
            log_tail: true,
            ..event(json!({"action": "sleep", "ms": 30_000}))
        },
    )
    .await;
    let failure = outcome.failure.clone().unwrap();
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert_eq!(outcome.function_error, Some(FunctionError::Unhandled));
    assert_eq!(v["errorType"], "Sandbox.Timedout");
    assert_eq!(
        v["errorMessage"],
        format!(
            "RequestId: {} Error: Task timed out after 1.00 seconds",
            outcome.request_id
        )
    );
    assert!(tail(&outcome).contains("Task timed out after 1.00 seconds"));
    assert!(!alive(pid), "the timed-out process is gone");
    // The next invocation starts a new environment.
    let (next, _) = call(&host, "slow", event(json!({}))).await;
    assert!(next.cold_start.is_some());
    assert_eq!(host.stats("slow").unwrap().starts, 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_a_runtime_exit_error() {
    let host = FunctionHost::start(&[rust_spec("crash", "")], options()).unwrap();
    let (outcome, v) = call(&host, "crash", event(json!({"action": "exit", "code": 3}))).await;
    assert_eq!(outcome.failure.unwrap().kind, FailureKind::Exit);
    assert_eq!(outcome.function_error, Some(FunctionError::Unhandled));
    assert_eq!(v["errorType"], "Runtime.ExitError");
    assert_eq!(
        v["errorMessage"],
        format!(
            "RequestId: {} Error: Runtime exited with error: exit status 3",
            outcome.request_id
        )
    );
    assert_eq!(host.stats("crash").unwrap().environments, 0);
    let (again, _) = call(&host, "crash", event(json!({}))).await;
    assert_eq!(again.failure, None);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_error_keeps_its_type_and_the_environment() {
    let host = FunctionHost::start(&[rust_spec("err", "")], options()).unwrap();
    let (outcome, v) = call(
        &host,
        "err",
        event(json!({"action": "error", "message": "bad input"})),
    )
    .await;
    let failure = outcome.failure.unwrap();
    assert_eq!(failure.kind, FailureKind::Function);
    assert_eq!(failure.error_type, "EchoError");
    assert_eq!(failure.error_message, "bad input");
    assert_eq!(outcome.function_error, Some(FunctionError::Unhandled));
    assert_eq!(
        v,
        json!({"errorType": "EchoError", "errorMessage": "bad input"})
    );
    let (ok, _) = call(&host, "err", event(json!({}))).await;
    assert_eq!(ok.cold_start, None, "the environment survived");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_tail_is_the_invocations_framed_log() {
    let host = FunctionHost::start(&[rust_spec("logs", "")], options()).unwrap();
    let inv = |lines: serde_json::Value| Invocation {
        log_tail: true,
        ..event(json!({"action": "print", "lines": lines}))
    };
    let (cold, _) = call(&host, "logs", inv(json!(["first line", "second line"]))).await;
    let text = tail(&cold);
    let id = &cold.request_id;
    let start = format!("START RequestId: {id} Version: $LATEST\n");
    assert!(text.starts_with(&start), "{text}");
    assert!(text.contains("\nfirst line\nsecond line\n"), "{text}");
    assert!(text.contains(&format!(
        "\nEND RequestId: {id}\nREPORT RequestId: {id}\tDuration: "
    )));
    for part in [
        "\tBilled Duration: ",
        " ms\tMemory Size: 128 MB\tMax Memory Used: ",
        "\tInit Duration: ",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    // Warm: no Init Duration, and only this invocation's lines.
    let (warm, _) = call(&host, "logs", inv(json!(["third"]))).await;
    let text = tail(&warm);
    assert!(
        !text.contains("Init Duration") && !text.contains("first line"),
        "{text}"
    );
    assert!(text.contains("\nthird\n"));
    // Only the last 4 KB.
    let many: Vec<String> = (0..500).map(|i| format!("line number {i}")).collect();
    let (big, _) = call(&host, "logs", inv(json!(many))).await;
    let text = tail(&big);
    assert_eq!(text.len(), 4096);
    assert!(text.contains("line number 499\nEND RequestId"));
    // No tail unless asked.
    let (none, _) = call(&host, "logs", event(json!({}))).await;
    assert_eq!(none.log_tail, None);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_environments_are_reaped() {
    let host = FunctionHost::start(&[rust_spec("idle", ", idle_timeout: 1")], options()).unwrap();
    let (_, v) = call(&host, "idle", event(json!({}))).await;
    let pid = u32::try_from(v["pid"].as_u64().unwrap()).unwrap();
    assert_eq!(host.stats("idle").unwrap().environments, 1);
    eventually("the idle environment is reaped", || {
        host.stats("idle").unwrap().environments == 0
    })
    .await;
    eventually("its process is gone", || !alive(pid)).await;
    let (again, _) = call(&host, "idle", event(json!({}))).await;
    assert!(again.cold_start.is_some());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_leaves_no_process() {
    let host =
        std::sync::Arc::new(FunctionHost::start(&[rust_spec("many", "")], options()).unwrap());
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let host = host.clone();
            tokio::spawn(async move {
                host.invoke("many", event(json!({"action": "sleep", "ms": 200})))
                    .await
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    // One still running when the host goes.
    let h = host.clone();
    let in_flight = tokio::spawn(async move {
        h.invoke("many", event(json!({"action": "sleep", "ms": 30_000})))
            .await
    });
    eventually("one invocation runs", || {
        host.stats("many").unwrap().busy == 1
    })
    .await;
    let pids = host.stats("many").unwrap().pids;
    assert!(!pids.is_empty());
    host.shutdown().await;
    for pid in &pids {
        assert!(!alive(*pid), "process {pid} outlived the host");
    }
    let ended = in_flight.await.unwrap().unwrap();
    assert_eq!(ended.failure.unwrap().kind, FailureKind::Exit);
    assert_eq!(
        host.invoke("many", event(json!({}))).await.unwrap_err(),
        InvokeError::ShuttingDown
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_level_errors_and_invocation_types() {
    let host = FunctionHost::start(&[rust_spec("kinds", "")], options()).unwrap();
    assert!(host.contains("kinds") && !host.contains("other"));
    let e = host.invoke("other", event(json!({}))).await.unwrap_err();
    assert_eq!(
        (e.status(), e.error_type()),
        (404, "ResourceNotFoundException")
    );
    let bad = Invocation {
        payload: Bytes::from_static(b"{not json"),
        ..Invocation::default()
    };
    let e = host.invoke("kinds", bad).await.unwrap_err();
    assert_eq!(e.error_type(), "InvalidRequestContentException");

    // DryRun checks and runs nothing.
    let dry = host
        .invoke(
            "kinds",
            Invocation {
                invocation_type: InvocationType::DryRun,
                ..event(json!({}))
            },
        )
        .await
        .unwrap();
    assert_eq!(dry.status(), 204);
    assert_eq!(host.stats("kinds").unwrap().starts, 0);

    // Event answers at once and runs in the background.
    let queued = host
        .invoke(
            "kinds",
            Invocation {
                invocation_type: InvocationType::Event,
                ..event(json!({}))
            },
        )
        .await
        .unwrap();
    assert_eq!(queued.status(), 202);
    assert!(queued.payload.is_empty());
    eventually("the event ran", || {
        let s = host.stats("kinds").unwrap();
        s.starts == 1 && s.busy == 0
    })
    .await;

    // An empty payload is the event `{}`.
    let (_, v) = call(&host, "kinds", Invocation::default()).await;
    assert_eq!(v["event"], json!({}));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_that_cannot_start_is_an_invalid_entrypoint() {
    let host = FunctionHost::start(
        &[spec("{name: missing, command: [./no-such-program]}")],
        options(),
    )
    .unwrap();
    let (outcome, v) = call(&host, "missing", event(json!({}))).await;
    assert_eq!(outcome.failure.unwrap().kind, FailureKind::Entrypoint);
    assert_eq!(v["errorType"], "Runtime.InvalidEntrypoint");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_refuses_bad_configuration() {
    let e = FunctionHost::start(&[rust_spec("dup", ""), rust_spec("dup", "")], options())
        .err()
        .unwrap();
    assert!(e.to_string().contains("defined twice"), "{e}");
    let e = FunctionHost::start(
        &[spec(
            "{name: nodir, runtime: provided.al2, code: does-not-exist}",
        )],
        options(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("code:"), "{e}");
    let opts = HostOptions {
        account_concurrency: 3,
        ..options()
    };
    let e = FunctionHost::start(&[rust_spec("big", ", reserved_concurrency: 4")], opts)
        .err()
        .unwrap();
    assert!(e.to_string().contains("reserved_concurrency"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_that_died_while_idle_is_replaced() {
    let host = FunctionHost::start(&[rust_spec("fragile", "")], options()).unwrap();
    let (_, v) = call(&host, "fragile", event(json!({}))).await;
    let pid = v["pid"].as_u64().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // The host notices (the reaper drops dead idle environments), then starts another.
    eventually("the dead environment is dropped", || {
        host.stats("fragile").unwrap().environments == 0
    })
    .await;
    let (outcome, w) = call(&host, "fragile", event(json!({}))).await;
    assert_eq!(outcome.failure, None, "{w}");
    assert!(outcome.cold_start.is_some());
    assert_ne!(v["pid"], w["pid"]);
    host.shutdown().await;
}
