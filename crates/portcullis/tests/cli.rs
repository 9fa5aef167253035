//! The `portcullis` binary: `validate`, `serve` (addresses printed, refusal on a bad config,
//! graceful shutdown on SIGTERM, reload on SIGHUP) and `--dev-tls`.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

fn good_config(ws: &Workspace, backend: &str) -> std::path::PathBuf {
    let config = single_api(ws, PROXY_ALL, &format!("{{backend: \"{backend}\"}}"));
    ws.write("portcullis.yaml", &config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_reports_ok_and_problems() {
    let ws = Workspace::new();
    let path = good_config(&ws, "http://127.0.0.1:9");
    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK (1 API(s), 1 stage(s))"));

    ws.write(
        "api.yaml",
        "openapi: 3.0.1\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: {type: aws}\n",
    );
    ws.write(
        "portcullis.yaml",
        "colour: red\napis:\n  - id: api0000001\n    openapi: api.yaml\n    stages: {prod: {}}\n",
    );
    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("portcullis.yaml:1:9: unknown setting \"colour\""),
        "{err}"
    );
    assert!(err.contains("api.yaml:5:"), "{err}");
    assert!(
        err.contains("aws (AWS service) integrations are not supported yet"),
        "{err}"
    );
    assert!(err.trim_end().ends_with("2 problems"), "{err}");

    // `serve` refuses to start with the same report.
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown setting \"colour\""), "{err}");
    assert!(err.contains("refusing to start"), "{err}");
}

/// Starts `portcullis serve` and returns it with the addresses it printed.
async fn serve(path: &std::path::Path, extra: &[&str]) -> (Child, Vec<String>) {
    let (child, printed, _stderr) = serve_capturing(path, extra).await;
    (child, printed)
}

/// [`serve`], with the server's standard error as a stream of lines.
async fn serve_capturing(
    path: &std::path::Path,
    extra: &[&str],
) -> (
    Child,
    Vec<String>,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--storage",
            "sqlite::memory:",
            "--config",
        ])
        .arg(path)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    while printed
        .iter()
        .filter(|l: &&String| l.starts_with("listening on"))
        .count()
        < 2
    {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the server printed its addresses")
            .unwrap()
            .expect("a line");
        printed.push(line);
    }
    // Keep draining stdout so access logs never block the server.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            let _ = tx.send(line);
        }
    });
    (child, printed, rx)
}

fn address(printed: &[String], role: &str) -> String {
    printed
        .iter()
        .find(|l| l.ends_with(&format!("({role})")))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap()
        .to_string()
}

fn signal(child: &Child, signal: &str) {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

fn sigterm(child: &Child) {
    signal(child, "-TERM");
}

/// Waits (bounded) for a line of standard error containing `needle`.
async fn stderr_line(
    lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    needle: &str,
) -> String {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.recv().await {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("standard error closed before {needle:?}");
    });
    found
        .await
        .unwrap_or_else(|_| panic!("no {needle:?} on standard error"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_a_good_config_and_reports_a_bad_one() {
    let first =
        Upstream::start(|_r| async { http::Response::new(Full::new(Bytes::from("first"))) }).await;
    let second =
        Upstream::start(|_r| async { http::Response::new(Full::new(Bytes::from("second"))) }).await;
    let ws = Workspace::new();
    let path = good_config(&ws, &first.url());
    let (mut child, printed, mut stderr) = serve_capturing(&path, &[]).await;
    let edge = address(&printed, "edge");
    let client = Client::http1();
    assert_eq!(client.get(&format!("{edge}/prod/x")).await.text(), "first");

    // A valid configuration replaces the deployment.
    good_config(&ws, &second.url());
    signal(&child, "-HUP");
    stderr_line(&mut stderr, "configuration reloaded").await;
    assert_eq!(client.get(&format!("{edge}/prod/x")).await.text(), "second");

    // An invalid one is reported like `validate` reports it, and changes nothing.
    ws.write(
        "portcullis.yaml",
        "colour: red\napis:\n  - id: api0000001\n    openapi: api.yaml\n    stages: {prod: {}}\n",
    );
    signal(&child, "-HUP");
    stderr_line(&mut stderr, "unknown setting \"colour\"").await;
    stderr_line(&mut stderr, "reload refused").await;
    assert_eq!(client.get(&format!("{edge}/prod/x")).await.text(), "second");
    assert_eq!(first.requests().len(), 1);
    assert_eq!(second.requests().len(), 2);

    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the server exits")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_addresses_and_drains_on_sigterm() {
    let upstream = Upstream::start(|_r| async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        http::Response::new(Full::new(Bytes::from("slow but fine")))
    })
    .await;
    let ws = Workspace::new();
    let path = good_config(&ws, &upstream.url());
    let (mut child, printed) = serve(&path, &[]).await;
    let edge = address(&printed, "edge");
    let admin = address(&printed, "admin");
    assert!(
        edge.starts_with("http://127.0.0.1:") && !edge.ends_with(":0"),
        "{edge}"
    );
    assert!(
        admin.starts_with("http://127.0.0.1:") && !admin.ends_with(":0"),
        "{admin}"
    );

    let client = Client::http1();
    let health = client.get(&format!("{admin}/healthz")).await;
    assert_eq!(health.status, 200);

    // A request in flight when SIGTERM arrives still completes.
    let url = format!("{edge}/prod/slow");
    let in_flight = tokio::spawn(async move { Client::http1().get(&url).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    sigterm(&child);
    let response = in_flight.await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "slow but fine");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the server exits")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_tls_serves_https_over_http1_and_http2() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let path = good_config(&ws, &upstream.url());
    let (mut child, printed) = serve(&path, &["--dev-tls"]).await;
    let cert_line = printed
        .iter()
        .find(|l| l.starts_with("development TLS certificate"))
        .unwrap();
    assert!(cert_line.contains("SHA-256 "), "{cert_line}");
    assert!(ws.path().join(".portcullis/dev-cert.pem").is_file());
    let edge = address(&printed, "edge");
    assert!(edge.starts_with("https://127.0.0.1:"), "{edge}");
    let r = Client::http1().get(&format!("{edge}/prod/tls")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["uri"], "/tls");
    assert_eq!(upstream.last().headers["x-forwarded-proto"], "https");
    let r = Client::http2().get(&format!("{edge}/prod/tls2")).await;
    assert_eq!((r.status.as_u16(), r.version), (200, http::Version::HTTP_2));
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}
