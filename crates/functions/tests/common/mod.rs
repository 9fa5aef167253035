//! What every integration test needs: the real functions (the `echo-rust` example built with
//! cargo, the fixtures under `tests/functions/`), a host set up for tests, and bounded waits.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use functions::{FunctionHost, FunctionSpec, HostOptions, Invocation, Outcome};
use serde_json::Value;

/// The fixtures directory, the base for relative `code` paths.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/functions")
}

/// The target directory this test binary was built into (`<target>/<profile>/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// Builds `examples/functions/echo-rust` (once per test binary) into the same target directory
/// and returns the binary. Under `cargo test --workspace` it is usually built already, and this
/// is a no-op check.
pub fn echo_rust() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_echo(false)).clone()
}

pub fn build_echo(release: bool) -> PathBuf {
    let target = target_dir();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "-p", "echo-rust"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "cargo build -p echo-rust failed");
    let bin = target
        .join(if release { "release" } else { "debug" })
        .join("echo-rust");
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}

/// Test options: fixtures as the base directory, short waits.
pub fn options() -> HostOptions {
    HostOptions {
        base_dir: fixtures(),
        queue_timeout: Duration::from_millis(200),
        reap_interval: Duration::from_millis(50),
        ..HostOptions::default()
    }
}

pub fn spec(yaml: &str) -> FunctionSpec {
    serde_saphyr::from_str(yaml).unwrap()
}

/// A spec running the echo-rust binary as a `command` function.
pub fn rust_spec(name: &str, extra: &str) -> FunctionSpec {
    let bin = echo_rust();
    spec(&format!(
        "{{name: {name}, command: [{bin:?}], environment: {{ECHO_GREETING: hello}}{extra}}}",
        bin = bin.display().to_string()
    ))
}

pub fn event(json: Value) -> Invocation {
    Invocation {
        payload: Bytes::from(json.to_string()),
        ..Invocation::default()
    }
}

/// Invokes and parses the payload as JSON.
pub async fn call(host: &FunctionHost, name: &str, invocation: Invocation) -> (Outcome, Value) {
    let outcome = host.invoke(name, invocation).await.unwrap();
    let value = serde_json::from_slice(&outcome.payload).unwrap_or(Value::Null);
    (outcome, value)
}

/// The decoded `X-Amz-Log-Result`.
pub fn tail(outcome: &Outcome) -> String {
    use base64::Engine as _;
    let b64 = outcome
        .log_tail
        .as_deref()
        .expect("a log tail was asked for");
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

/// Whether `pid` is a live process (a zombie is not).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Polls `check` every 50 ms, at most 200 times (10 s), and fails with `what` if it never holds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}
