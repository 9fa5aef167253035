//! Access logs with `$context` variables, Prometheus metrics and health endpoints.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

const FORMAT: &str = r#"{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId","ip":"$context.identity.sourceIp","ua":"$context.identity.userAgent","requestTime":"$context.requestTime","requestTimeEpoch":"$context.requestTimeEpoch","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path","stage":"$context.stage","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency","integrationStatus":"$context.integration.status","errorMessage":"$context.error.message","errorType":"$context.error.responseType","apiId":"$context.apiId","stageVar":"$stageVariables.backend"}"#;

async fn wait_for_lines(ws: &Workspace, name: &str, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(ws.path().join(name)) {
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect();
            if lines.len() >= n {
                return lines;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the access log did not get {n} lines");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_carry_context_variables() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write("api.yaml", PROXY_ALL);
    let config = format!(
        "apis:\n  - id: api0000001\n    openapi: api.yaml\n    stages:\n      prod:\n        variables: {{backend: \"{}\"}}\n        access_log:\n          destination: logs/access.log\n          format: '{FORMAT}'\n",
        upstream.url()
    );
    let server = TestServer::start(ws, &config).await;
    let ok = server
        .client
        .send(
            http::Method::POST,
            &server.url("/prod/a/b"),
            &[("user-agent", "tester \"quoted\"")],
            "12345",
        )
        .await;
    let miss = server.get("/prod").await;
    assert_eq!(miss.status, 403);
    let lines = wait_for_lines(&server.ws, "logs/access.log", 2).await;
    let first = &lines[0];
    assert_eq!(first["requestId"].as_str(), ok.header("x-amzn-requestid"));
    assert_eq!(
        first["extendedRequestId"].as_str(),
        ok.header("x-amz-apigw-id")
    );
    assert_eq!(first["ip"], "127.0.0.1");
    assert_eq!(first["ua"], "tester \"quoted\"");
    assert_eq!(first["httpMethod"], "POST");
    assert_eq!(first["resourcePath"], "/{proxy+}");
    assert_eq!(first["path"], "/prod/a/b");
    assert_eq!(first["stage"], "prod");
    assert_eq!(first["status"], "200");
    assert_eq!(first["protocol"], "HTTP/1.1");
    assert_eq!(first["responseLength"], ok.body.len().to_string());
    assert_eq!(first["integrationStatus"], "200");
    assert_eq!(first["apiId"], "api0000001");
    assert_eq!(first["stageVar"], upstream.url());
    assert_eq!(first["errorMessage"], "-");
    assert!(
        first["integrationLatency"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert!(
        first["requestTimeEpoch"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1_700_000_000_000
    );
    assert!(first["requestTime"].as_str().unwrap().ends_with(" +0000"));

    let second = &lines[1];
    assert_eq!(second["status"], "403");
    assert_eq!(second["resourcePath"], "-");
    assert_eq!(second["errorMessage"], "Missing Authentication Token");
    assert_eq!(second["errorType"], "MISSING_AUTHENTICATION_TOKEN");
    assert_eq!(second["integrationLatency"], "-");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_endpoints() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        PROXY_ALL,
        &format!("{{backend: \"{}\"}}", upstream.url()),
    );
    let server = TestServer::start(ws, &config).await;
    for _ in 0..3 {
        assert_eq!(server.get("/prod/x").await.status, 200);
    }
    server.get("/nostage").await;
    server.get("/prod").await;
    let admin = Client::http1();
    // The edge endpoint does not serve admin paths.
    assert_eq!(server.get("/metrics").await.status, 403);
    let metrics = admin.get(&server.admin_url("/metrics")).await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    for needle in [
        r#"portcullis_requests_total{api="api0000001",stage="prod",method="ANY",resource="/{proxy+}",status_class="2xx"} 3"#,
        r#"portcullis_requests_total{api="api0000001",stage="prod",method="",resource="",status_class="4xx"} 1"#,
        r#"portcullis_unrouted_requests_total{reason="no_api_or_stage"} 2"#,
        r#"portcullis_request_duration_seconds_count{api="api0000001",stage="prod",method="ANY",resource="/{proxy+}"} 3"#,
        r#"portcullis_integration_duration_seconds_count{api="api0000001",stage="prod",method="ANY",resource="/{proxy+}"} 3"#,
    ] {
        assert!(text.contains(needle), "missing {needle}\n{text}");
    }
    let health = admin.get(&server.admin_url("/healthz")).await;
    assert_eq!(
        (health.status.as_u16(), health.json()["status"].as_str()),
        (200, Some("ok"))
    );
    let ready = admin.get(&server.admin_url("/readyz")).await;
    assert_eq!(
        (ready.status.as_u16(), ready.json()["status"].as_str()),
        (200, Some("ready"))
    );
    // Everything else on the admin listener is the control plane, which wants a signature
    // before it says whether a path exists (as AWS's does).
    assert_eq!(admin.get(&server.admin_url("/nope")).await.status, 403);
}
