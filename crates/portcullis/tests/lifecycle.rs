//! A request's and a deployment's life: reloading the configuration under live connections and
//! requests in flight, the reload that must be refused, the request whose client goes away
//! (always logged and counted), and the AWS protocol errors of the edge endpoint.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use tokio::io::AsyncWriteExt;

fn proxy_config(ws: &Workspace, backend: &str) -> String {
    single_api(ws, PROXY_ALL, &format!("{{backend: \"{backend}\"}}"))
}

async fn answering(text: &'static str) -> Upstream {
    Upstream::start(move |_r| async move { http::Response::new(Full::new(Bytes::from(text))) })
        .await
}

async fn load(server: &TestServer, config: &str) -> config::Config {
    let path = server.ws.write("portcullis.yaml", config);
    // The overrides `TestServer` started with, as a SIGHUP reload applies the command line's.
    let overrides = config::Overrides {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        storage: Some("sqlite::memory:".to_string()),
    };
    config::load_with(&path, &overrides).unwrap_or_else(|r| panic!("{r}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_swaps_the_deployment_under_live_connections() {
    let slow = Upstream::start(|_r| async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        http::Response::new(Full::new(Bytes::from("old")))
    })
    .await;
    let new = answering("new").await;
    let ws = Workspace::new();
    let first = proxy_config(&ws, &slow.url());
    let server = TestServer::start(ws, &first).await;
    assert_eq!(server.get("/prod/a").await.text(), "old");

    let url = server.url("/prod/in-flight");
    let client = server.client.clone();
    let in_flight = tokio::spawn(async move { client.get(&url).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = load(&server, &proxy_config(&server.ws, &new.url())).await;
    server.running.as_ref().unwrap().reload(&second).unwrap();

    // The request that started on the old deployment finishes on it.
    let finished = in_flight.await.unwrap();
    assert_eq!(finished.status, 200);
    assert_eq!(finished.text(), "old");
    // New requests, on the client's kept-alive connections, are served by the new one.
    assert_eq!(server.get("/prod/b").await.text(), "new");
    assert_eq!(slow.requests().len(), 2);
    assert_eq!(new.requests().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_refuses_what_only_a_restart_applies() {
    let upstream = answering("kept").await;
    let ws = Workspace::new();
    let config = proxy_config(&ws, &upstream.url());
    let server = TestServer::start(ws, &config).await;
    let mut changed = load(&server, &config).await;
    changed.server.idle_timeout += Duration::from_secs(1);
    changed.storage = config::Storage::Sqlite("elsewhere.db".into());
    let error = server
        .running
        .as_ref()
        .unwrap()
        .reload(&changed)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "these settings take effect only on restart: storage, server; the configuration was not reloaded"
    );
    assert_eq!(server.get("/prod/x").await.text(), "kept");
    server.stop().await;
}

/// A client that sends its request and leaves before the (slow) backend answers: the request is
/// still logged, with status 499, and counted with the phase it was in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_is_logged_and_counted() {
    let upstream = Upstream::start(|_r| async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        http::Response::new(Full::new(Bytes::from("too late")))
    })
    .await;
    let ws = Workspace::new();
    ws.write("api.yaml", PROXY_ALL);
    let config = format!(
        "apis:\n  - id: api0000001\n    openapi: api.yaml\n    stages:\n      prod:\n        variables: {{backend: \"{}\"}}\n        access_log:\n          destination: logs/access.log\n          format: '$context.requestId $context.status $context.path'\n",
        upstream.url()
    );
    let server = TestServer::start(ws, &config).await;

    let mut socket = tokio::net::TcpStream::connect(server.edge).await.unwrap();
    socket
        .write_all(b"GET /prod/leaving HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    // Bounded wait for the request to reach the backend, then hang up.
    for _ in 0..100 {
        if !upstream.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(upstream.requests().len(), 1);
    drop(socket);

    let counted =
        r#"portcullis_client_disconnects_total{api="api0000001",stage="prod",phase="integrate"} 1"#;
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = server
            .client
            .get(&server.admin_url("/metrics"))
            .await
            .text();
        if metrics.contains(counted) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(metrics.contains(counted), "{metrics}");
    // The writer thread appends soon after; bounded wait.
    let mut log = String::new();
    for _ in 0..100 {
        log = std::fs::read_to_string(server.ws.path().join("logs/access.log")).unwrap_or_default();
        if !log.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let line = log.lines().next().unwrap_or_default();
    assert!(line.ends_with(" 499 /prod/leaving"), "{log}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_protocols_answer_unknown_operations_in_their_own_shape() {
    // Every path of the API proxies here: none of these requests may reach it.
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = proxy_config(&ws, &upstream.url());
    let server = TestServer::start(ws, &config).await;
    let post = |headers: &[(&str, &str)], path: &str, body: &'static str| {
        let mut request = http::Request::post(server.url(path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.body(Full::new(Bytes::from(body))).unwrap()
    };

    // JSON 1.1, by X-Amz-Target: an identity-pool operation not served, and an operation the
    // user pools do not serve.
    for target in [
        "AWSCognitoIdentityService.GetOpenIdTokenForDeveloperIdentity",
        "AWSCognitoIdentityProviderService.AdminResetUserPassword",
    ] {
        let json = server
            .client
            .request(post(
                &[
                    ("x-amz-target", target),
                    ("content-type", "application/x-amz-json-1.1"),
                ],
                "/",
                "{}",
            ))
            .await;
        assert_eq!(json.status, 400, "{target}");
        assert_eq!(
            json.json()["__type"],
            "UnknownOperationException",
            "{target}"
        );
        assert_eq!(
            json.header("content-type"),
            Some("application/x-amz-json-1.1")
        );
    }

    // REST-JSON: Lambda's paths, signed for lambda: an operation not served (PutFunctionConcurrency),
    // and Invoke, whose signature is checked first.
    let lambda_signed = [(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
    )];
    let lambda = server
        .client
        .request(post(
            &lambda_signed,
            "/2015-03-31/functions/f/concurrency",
            "{}",
        ))
        .await;
    assert_eq!(lambda.status, 404);
    assert_eq!(
        lambda.header("x-amzn-errortype"),
        Some("UnknownOperationException")
    );
    let lambda = server
        .client
        .request(post(
            &lambda_signed,
            "/2015-03-31/functions/f/invocations",
            "{}",
        ))
        .await;
    assert_eq!(lambda.status, 403);
    assert!(
        lambda
            .header("x-amzn-errortype")
            .is_some_and(|t| t.ends_with("Exception")),
        "{:?}",
        lambda.headers
    );

    // Query: a service other than STS.
    let query = server
        .client
        .request(post(
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
                ),
            ],
            "/",
            "Action=ListUsers&Version=2010-05-08",
        ))
        .await;
    assert_eq!(query.status, 400);
    assert!(
        query.text().contains("<Code>InvalidAction</Code>"),
        "{}",
        query.text()
    );
    assert!(upstream.requests().is_empty());
    server.stop().await;
}
