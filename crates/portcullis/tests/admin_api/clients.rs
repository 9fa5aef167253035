//! Real clients: the AWS CLI, the `portcullis` binary, and a created key on the request path.

use std::process::Command;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use serde_json::{Value, json};

use crate::*;

pub(crate) fn require_aws_cli() {
    let ok = Command::new("python3")
        .args(["-c", "import awscli"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "this test needs the AWS CLI: python3 -m pip install -r crates/portcullis/tests/python/requirements.txt"
    );
}

/// Runs `aws apigateway ARGS` against the admin endpoint with the admin's credentials from the
/// environment; (exit status, stdout, stderr).
pub(crate) fn aws(s: &Server, args: &[&str]) -> (i32, String, String) {
    let out = Command::new("python3")
        .args([
            "-m",
            "awscli",
            "apigateway",
            "--endpoint-url",
            &s.admin_url(),
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", ADMIN.0)
        .env("AWS_SECRET_ACCESS_KEY", ADMIN.1)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", s.ws.path().join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            s.ws.path().join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn aws_json(s: &Server, args: &[&str]) -> Value {
    let (code, out, err) = aws(s, args);
    assert_eq!(code, 0, "aws apigateway {args:?}: {err}");
    if out.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_works_unmodified() {
    require_aws_cli();
    let s = Server::start().await;
    let s = tokio::task::spawn_blocking(move || {
        let key = aws_json(&s, &["create-api-key", "--name", "cli-key", "--enabled"]);
        let key_id = key["id"].as_str().unwrap().to_string();
        let value = key["value"].as_str().unwrap().to_string();
        assert_eq!(key["enabled"], true);
        // The CLI parsed our epoch seconds as timestamps.
        assert!(
            key["createdDate"].is_string() || key["createdDate"].is_number(),
            "{key}"
        );

        let keys = aws_json(&s, &["get-api-keys", "--include-values"]);
        let listed = keys["items"].as_array().unwrap();
        assert_eq!(listed.len(), 2, "{keys}");
        let mine = listed.iter().find(|k| k["id"] == key_id.as_str()).unwrap();
        assert_eq!(mine["value"], value.as_str());
        let hidden = aws_json(&s, &["get-api-keys"]);
        assert!(
            hidden["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|k| k.get("value").is_none())
        );

        let plan = aws_json(
            &s,
            &[
                "create-usage-plan",
                "--name",
                "CliPlan",
                "--api-stages",
                "apiId=petstore01,stage=beta",
                "--throttle",
                "burstLimit=10,rateLimit=5",
                "--quota",
                "limit=100,period=DAY",
            ],
        );
        let plan_id = plan["id"].as_str().unwrap().to_string();
        assert_eq!(plan["quota"]["limit"], 100);
        assert_eq!(plan["apiStages"][0]["stage"], "beta");

        let plan_key = aws_json(
            &s,
            &[
                "create-usage-plan-key",
                "--usage-plan-id",
                &plan_id,
                "--key-id",
                &key_id,
                "--key-type",
                "API_KEY",
            ],
        );
        assert_eq!(plan_key["id"], key_id.as_str());
        assert_eq!(plan_key["type"], "API_KEY");

        let day = today();
        let usage = aws_json(
            &s,
            &[
                "get-usage",
                "--usage-plan-id",
                &plan_id,
                "--start-date",
                &day,
                "--end-date",
                &day,
            ],
        );
        assert_eq!(usage["usagePlanId"], plan_id.as_str());
        // The CLI names the wire's `values` member `items`.
        assert_eq!(usage["items"][&key_id], json!([[0, 100]]), "{usage}");

        assert_eq!(
            aws_json(
                &s,
                &[
                    "flush-stage-cache",
                    "--rest-api-id",
                    "petstore01",
                    "--stage-name",
                    "prod"
                ]
            ),
            Value::Null
        );
        let (code, _, err) = aws(
            &s,
            &[
                "flush-stage-cache",
                "--rest-api-id",
                "petstore01",
                "--stage-name",
                "beta",
            ],
        );
        assert_ne!(code, 0);
        assert!(err.contains("NotFoundException"), "{err}");
        let (code, _, err) = aws(&s, &["get-api-key", "--api-key", "nope0nope0"]);
        assert_ne!(code, 0);
        assert!(
            err.contains("(NotFoundException)") && err.contains("Invalid API Key identifier"),
            "{err}"
        );
        aws_json(&s, &["delete-api-key", "--api-key", &key_id]);
        s
    })
    .await
    .unwrap();
    s.stop().await;
}

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

pub(crate) fn portcullis(s: &Server, args: &[&str], credentials: bool) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("PORTCULLIS_ADMIN_URL", s.admin_url())
        .env_remove("AWS_SESSION_TOKEN");
    if credentials {
        cmd.env("AWS_ACCESS_KEY_ID", ADMIN.0)
            .env("AWS_SECRET_ACCESS_KEY", ADMIN.1);
    } else {
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
    }
    cmd.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portcullis_cli_creates_and_lists_keys() {
    let s = Server::start().await;
    let s = tokio::task::spawn_blocking(move || {
        let out = portcullis(&s, &["apikeys", "create", "--name", "bin-key"], true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let created: Value = serde_json::from_slice(&out.stdout).unwrap();
        let id = created["id"].as_str().unwrap().to_string();
        let value = created["value"].as_str().unwrap().to_string();
        assert_eq!(value.len(), 40);
        assert_eq!(created["enabled"], true);

        let out = portcullis(&s, &["apikeys", "list"], true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!stdout.contains(&value), "list must not print values");
        assert!(
            !stdout.contains(CONFIG_KEY_VALUE),
            "list must not print values"
        );
        let listed: Value = serde_json::from_str(&stdout).unwrap();
        let ids: Vec<&str> = listed["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&id.as_str()) && ids.contains(&"cfgkey1"));

        let out = portcullis(&s, &["apikeys", "disable", &id], true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = portcullis(&s, &["apikeys", "get", &id, "--show-value"], true);
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got["enabled"], false);
        assert_eq!(got["value"], value.as_str());

        // Errors: stderr and status 1.
        let out = portcullis(&s, &["apikeys", "delete", "cfgkey1"], true);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("BadRequestException") && err.contains("edit the configuration file"),
            "{err}"
        );
        let out = portcullis(&s, &["apikeys", "list"], false);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("AWS_ACCESS_KEY_ID"));
        let out = portcullis(&s, &["cache", "flush", "petstore01", "prod"], true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        s
    })
    .await
    .unwrap();
    s.stop().await;
}

/// Needs the lead's API key phase: a key created through the admin API is honoured (and
/// metered) by the request path as soon as the call returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_key_reaches_the_request_path() {
    let s = Server::start().await;
    let client = Client::http1();
    let pets = format!("http://{}/prod/pets", s.edge);
    let with_key = |value: &str| {
        Request::builder()
            .uri(&pets)
            .header("x-api-key", value)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let r = s
        .admin(
            Method::POST,
            "/apikeys",
            Some(json!({"name": "live", "enabled": true})),
        )
        .await;
    let key_id = r.json()["id"].as_str().unwrap().to_string();
    let value = r.json()["value"].as_str().unwrap().to_string();
    // A key in no plan for the stage is refused.
    assert_eq!(client.request(with_key(&value)).await.status, 403);
    let r = s
        .admin(Method::POST, "/usageplans", Some(json!({"name": "Live", "apiStages": [{"apiId": "petstore01", "stage": "prod"}], "quota": {"limit": 10, "period": "DAY"}})))
        .await;
    let plan_id = r.json()["id"].as_str().unwrap().to_string();
    let r = s
        .admin(
            Method::POST,
            &format!("/usageplans/{plan_id}/keys"),
            Some(json!({"keyId": key_id, "keyType": "API_KEY"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = client.request(with_key(&value)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let day = today();
    let r = s
        .admin(
            Method::GET,
            &format!("/usageplans/{plan_id}/usage?startDate={day}&endDate={day}"),
            None,
        )
        .await
        .json();
    assert_eq!(r["values"][&key_id], json!([[1, 9]]), "{r}");
    // Disabled, then deleted: refused at once.
    let patch =
        json!({"patchOperations": [{"op": "replace", "path": "/enabled", "value": "false"}]});
    s.admin(Method::PATCH, &format!("/apikeys/{key_id}"), Some(patch))
        .await;
    assert_eq!(client.request(with_key(&value)).await.status, 403);
    s.admin(Method::DELETE, &format!("/apikeys/{key_id}"), None)
        .await;
    assert_eq!(client.request(with_key(&value)).await.status, 403);
    // The configuration file's key works through the configuration file's plan.
    assert_eq!(client.request(with_key(CONFIG_KEY_VALUE)).await.status, 200);
    s.stop().await;
}
