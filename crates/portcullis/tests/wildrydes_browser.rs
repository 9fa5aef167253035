//! The Wild Rydes page (`examples/wildrydes/web`) in a real browser: Debian's Chromium, headless,
//! driven through `playwright-core` by `tests/node/wildrydes_browser.js`, against the real
//! server started with the example's configuration over TLS (the development certificate) on
//! ephemeral loopback ports, the page served by the `site:` listener. The rider registers,
//! verifies with the code the built-in sender put in the outbox (read here and typed in by the
//! driver), signs in with SRP, gets the identity pool's credentials, and requests a unicorn with
//! a SigV4-signed `POST /prod/ride`; then the same request unsigned shows API Gateway's refusal.
//! Every call to the edge must have gone over HTTP/2. A screenshot of the final page is saved
//! as `<target dir>/wildrydes-browser.png`.
//!
//! Chromium must be installed (`apt-get install chromium`, as `.ci/run` does): without it this
//! test fails; it never skips.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{TestServer, Workspace};
use portcullis::StartOptions;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const CHROMIUM: &str = "/usr/bin/chromium";
const POOL: &str = "us-east-1_WildRydes";
/// RequestUnicorn's fleet (`examples/functions/request-unicorn`).
const FLEET: [&str; 3] = ["Bucephalus", "Shadowfax", "Rocinante"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `program args` in `dir`, bounded, and fails the test with its output if it fails.
fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} in {} failed: {}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Bundles the page into `out` (its npm dependencies installed from the lock file if missing).
fn build_page(out: &Path) {
    let web = repo().join("examples/wildrydes/web");
    if !web.join("node_modules/esbuild").is_dir() {
        run(&web, "npm", &["ci", "--no-audit", "--no-fund", "--silent"]);
    }
    run(&web, "node", &["build.mjs", out.to_str().unwrap()]);
    assert!(out.join("index.html").is_file() && out.join("app.js").is_file());
}

/// The example's configuration, its function pointed at this build's RequestUnicorn and the
/// page served from `dist` beside it.
fn example_config(ws: &Workspace) -> String {
    let example = repo().join("examples/wildrydes");
    ws.write(
        "wildrydes.openapi.yaml",
        &std::fs::read_to_string(example.join("wildrydes.openapi.yaml")).unwrap(),
    );
    let original = std::fs::read_to_string(example.join("portcullis.yaml")).unwrap();
    let unicorn = common::example_binary("request-unicorn");
    let release = "command: [../../target/release/request-unicorn]";
    assert!(
        original.contains(release),
        "examples/wildrydes/portcullis.yaml no longer runs {release}; update this test"
    );
    let config = original.replace(release, &format!("command: [{}]", unicorn.display()));
    format!("{config}\nsite: {{listen: 127.0.0.1:0, dir: dist}}\n")
}

/// Where the screenshot goes: the target directory this test binary was built in.
fn screenshot_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .unwrap()
        .join("wildrydes-browser.png")
}

#[tokio::test]
async fn a_rider_signs_up_signs_in_and_rides_a_unicorn_in_chromium() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: this test needs Debian's Chromium (`apt-get install -y chromium chromium-driver`, as .ci/run does)"
    );
    let node_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        node_dir.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in {} (./scripts/test does)",
        node_dir.display()
    );

    let ws = Workspace::new();
    build_page(&ws.path().join("dist"));
    let config = example_config(&ws);
    let options = StartOptions {
        dev_tls: true,
        ..StartOptions::default()
    };
    let server = TestServer::start_with(ws, &config, options).await;
    assert_eq!(server.scheme, "https");
    let site = server.running.as_ref().unwrap().site.unwrap();
    let edge = format!("https://127.0.0.1:{}", server.edge.port());
    let page = format!("https://127.0.0.1:{}/?endpoint={edge}", site.port());
    let screenshot = screenshot_path();
    let _ = std::fs::remove_file(&screenshot);

    let mut driver = tokio::process::Command::new("node")
        .current_dir(&node_dir)
        .arg("wildrydes_browser.js")
        .arg(&page)
        .arg(&screenshot)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut stdin = driver.stdin.take().unwrap();
    let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
    let mut next = async || -> serde_json::Value {
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .expect("the driver printed a line within 120 s")
            .unwrap()
            .expect("the driver printed a line before it ended");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("the driver printed {line:?}"))
    };

    // Registered: the code the built-in sender delivered, typed in by the driver.
    let registered = next().await;
    assert_eq!(registered["step"], "registered", "{registered}");
    let email = registered["email"].as_str().unwrap();
    let stores = server.running.as_ref().unwrap().services().store().clone();
    let messages = stores.signin.outbox(POOL, None, 1).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].destination, email);
    stdin
        .write_all(format!("{}\n", messages[0].code).as_bytes())
        .await
        .unwrap();
    stdin.flush().await.unwrap();

    let result = next().await;
    assert_eq!(result["ok"], true, "the page failed: {result:#}");

    // The unicorn RequestUnicorn chose, shown by the page.
    let unicorn = result["unicorn"].as_str().unwrap();
    assert!(FLEET.contains(&unicorn), "{result:#}");
    assert!(
        result["ride"].as_str().unwrap().starts_with(unicorn),
        "{result:#}"
    );
    // The unsigned request: API Gateway's answer for an AWS_IAM method without a signature,
    // read by the page through the CORS headers of DEFAULT_4XX.
    assert_eq!(
        result["unsigned"], "403: Missing Authentication Token",
        "{result:#}"
    );

    // Every call went over HTTP/2: the page's files and each call to the edge (Cognito,
    // Cognito Identity, the API's preflight and the ride).
    let protocols = result["protocols"].as_array().unwrap();
    let ride = format!("{edge}/prod/ride");
    let calls = |method: &str, status: u64| {
        protocols
            .iter()
            .filter(|p| p["url"] == ride.as_str() && p["method"] == method && p["status"] == status)
            .count()
    };
    assert_eq!(calls("POST", 201), 1, "{protocols:#?}");
    assert_eq!(calls("POST", 403), 1, "{protocols:#?}");
    assert!(calls("OPTIONS", 200) >= 1, "{protocols:#?}");
    assert!(
        protocols
            .iter()
            .any(|p| p["url"] == format!("{edge}/") && p["method"] == "POST"),
        "{protocols:#?}"
    );
    for p in protocols {
        assert_eq!(p["protocol"], "h2", "{p}");
    }
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );
    // RequestUnicorn ran once: for the signed ride, never for the refused one.
    let invocations = server
        .running
        .as_ref()
        .unwrap()
        .services()
        .functions()
        .stats("RequestUnicorn")
        .unwrap()
        .invocations;
    assert_eq!(invocations, 1);

    let status = tokio::time::timeout(Duration::from_secs(30), driver.wait())
        .await
        .expect("the driver exits")
        .unwrap();
    assert!(status.success());
    server.stop().await;
}
