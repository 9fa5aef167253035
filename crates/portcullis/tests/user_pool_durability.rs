//! Acknowledged sign-ups survive a crash: the real binary is killed with SIGKILL during a burst
//! of sign-ups, restarted on the same SQLite file, and every user whose SignUp was answered
//! signs in.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use testkit::aws::cognito_idp::types::AuthFlowType;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");
const PASSWORD: &str = "Correct-Horse-42";

const CONFIG: &str = r#"
account_id: "123456789012"
storage: sqlite://state.db
user_pools:
  - id: us-east-1_Durable
    username_attributes: [email]
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients:
      - {id: web, auth_flows: [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]}
"#;

/// Starts `portcullis serve` and returns it with its edge URL.
async fn serve(config: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let edge = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the server printed its addresses")
            .unwrap()
            .expect("a line");
        if line.starts_with("listening on") && line.ends_with("(edge)") {
            break line.split_whitespace().nth(2).unwrap().to_string();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, edge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_sign_up_survives_sigkill() {
    let ws = Workspace::new();
    let config = ws.write("portcullis.yaml", CONFIG);
    let (mut child, edge) = serve(&config).await;
    let idp = testkit::aws::cognito_client(&edge, "us-east-1");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for writer in 0..6 {
        let (idp, acknowledged) = (idp.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            // Bounded: the server is killed long before.
            for i in 0..200 {
                let email = format!("user{writer}-{i}@example.com");
                let answer = idp
                    .sign_up()
                    .client_id("web")
                    .username(&email)
                    .password(PASSWORD)
                    .send()
                    .await;
                match answer {
                    Ok(_) => acknowledged.lock().unwrap().push(email),
                    Err(_) => return,
                }
            }
        }));
    }
    // Kill it mid-burst, once some sign-ups are acknowledged (bounded wait).
    for _ in 0..600 {
        if acknowledged.lock().unwrap().len() >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    child.wait().await.unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 12,
        "only {} sign-ups answered",
        acknowledged.len()
    );

    let (_child, edge) = serve(&config).await;
    let idp = testkit::aws::cognito_client(&edge, "us-east-1");
    for email in &acknowledged {
        let signed_in = idp
            .initiate_auth()
            .client_id("web")
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await;
        assert!(
            signed_in.is_ok(),
            "{email} was acknowledged but is gone: {signed_in:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reads_the_outbox_and_rotates_keys() {
    let ws = Workspace::new();
    let config = ws.write(
        "portcullis.yaml",
        &CONFIG
            .replace("sign_up_confirmation: auto", "sign_up_confirmation: code")
            .replace(
                "username_attributes: [email]",
                "username_attributes: [email]\n    auto_verified_attributes: [email]",
            ),
    );
    let (child, edge) = serve(&config).await;
    let idp = testkit::aws::cognito_client(&edge, "us-east-1");
    let email = "coded@example.com";
    let sub = idp
        .sign_up()
        .client_id("web")
        .username(email)
        .password(PASSWORD)
        .send()
        .await
        .unwrap()
        .user_sub()
        .to_string();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(BIN)
            .arg("userpool")
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = cli(&["codes", "us-east-1_Durable", "--username", &sub]);
    let message: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(message["purpose"], "sign_up");
    assert_eq!(message["destination"], email);
    idp.confirm_sign_up()
        .client_id("web")
        .username(email)
        .confirmation_code(message["code"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    // The first key exists (the sign-up did not need one; the JWKS does).
    let client = Client::http1();
    let jwks = |edge: String| {
        let client = client.clone();
        async move {
            let r = client
                .get(&format!("{edge}/us-east-1_Durable/.well-known/jwks.json"))
                .await;
            r.json()["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let before = jwks(edge.clone()).await;
    assert_eq!(before.len(), 1);
    let new_kid = cli(&["rotate-keys", "us-east-1_Durable"])
        .trim()
        .to_string();
    assert!(!before.contains(&new_kid));
    drop(child);
    let (_child, edge) = serve(&config).await;
    let after = jwks(edge).await;
    assert!(
        after.contains(&new_kid) && after.contains(&before[0]),
        "{after:?}"
    );
    // An unknown pool is an error naming the configured ones.
    let out = std::process::Command::new(BIN)
        .args(["userpool", "codes", "us-east-1_Nope", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("us-east-1_Durable"));
}
