//! A Lambda function on `lambda_runtime`, unmodified from what one would deploy to Lambda. It
//! echoes its event with what the runtime told it (the context and Lambda's environment), and
//! the event can ask it to misbehave, so that the function host's tests see every way an
//! invocation ends through a real Lambda client:
//!
//! - `{"action": "sleep", "ms": N}` sleeps, then answers (timeouts, concurrency);
//! - `{"action": "exit", "code": N}` exits the process mid-invocation (a crash);
//! - `{"action": "error", "message": "…"}` returns an error (`EchoError`);
//! - `{"action": "print", "lines": ["…"]}` prints the lines first (logs);
//! - anything else is echoed.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// The environment variables the echo reports: Lambda's, the function's own, and two a host
/// must not leak from its own environment.
const REPORTED_ENV: &[&str] = &[
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
    "LANG",
    "PATH",
    "LD_LIBRARY_PATH",
    "ECHO_GREETING",
    "CARGO_MANIFEST_DIR",
    "RUST_LOG",
];

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let (payload, ctx) = event.into_parts();
    match payload.get("action").and_then(Value::as_str) {
        Some("sleep") => {
            let ms = payload.get("ms").and_then(Value::as_u64).unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        Some("exit") => {
            let code = payload.get("code").and_then(Value::as_i64).unwrap_or(1);
            std::process::exit(i32::try_from(code).unwrap_or(1));
        }
        Some("error") => {
            let message = payload
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error");
            return Err(Diagnostic {
                error_type: "EchoError".into(),
                error_message: message.into(),
            });
        }
        Some("print") => {
            for line in payload
                .get("lines")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                println!("{}", line.as_str().unwrap_or_default());
            }
        }
        _ => {}
    }
    let env: serde_json::Map<String, Value> = REPORTED_ENV
        .iter()
        .filter_map(|k| {
            std::env::var(k)
                .ok()
                .map(|v| ((*k).to_owned(), Value::String(v)))
        })
        .collect();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Ok(json!({
        "event": payload,
        "request_id": ctx.request_id,
        "deadline_ms": ctx.deadline,
        "remaining_ms": ctx.deadline.saturating_sub(now_ms),
        "invoked_function_arn": ctx.invoked_function_arn,
        "xray_trace_id": ctx.xray_trace_id,
        "function_name": ctx.env_config.function_name,
        "memory": ctx.env_config.memory,
        "version": ctx.env_config.version,
        "log_stream": ctx.env_config.log_stream,
        "log_group": ctx.env_config.log_group,
        "identity": ctx.identity.map(|i| json!({"id": i.identity_id, "pool": i.identity_pool_id})),
        "client_custom": ctx.client_context.map(|c| json!(c.custom)),
        "env": env,
        "pid": std::process::id(),
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handle)).await
}
