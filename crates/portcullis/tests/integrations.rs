//! The integration types: http_proxy, http (custom) and mock, with stage variables, parameter
//! mappings, integration responses, timeouts and failing backends.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use http::Method;
use http_body_util::Full;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_forwards_everything_and_streams_back() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        PROXY_ALL,
        &format!("{{backend: \"{}/base\"}}", upstream.url()),
    );
    let server = TestServer::start(ws, &config).await;
    let r = server
        .client
        .send(
            Method::PUT,
            &server.url("/prod/a/b%20c?x=1&y=%2F&x=2"),
            &[
                ("x-custom", "v1"),
                ("content-type", "text/plain"),
                ("x-forwarded-for", "10.0.0.1"),
                ("connection", "x-hop"),
                ("x-hop", "dropped"),
            ],
            "the body",
        )
        .await;
    assert_eq!(r.status, 200);
    let got = upstream.last();
    assert_eq!(got.method, Method::PUT);
    assert_eq!(got.uri, "/base/a/b%20c?x=1&y=%2F&x=2");
    assert_eq!(got.body, Bytes::from("the body"));
    assert_eq!(got.headers["x-custom"], "v1");
    assert_eq!(got.headers["content-type"], "text/plain");
    assert_eq!(got.headers["host"], upstream.addr.to_string());
    assert_eq!(got.headers["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
    assert_eq!(got.headers["x-forwarded-proto"], "http");
    assert_eq!(
        got.headers["x-forwarded-port"],
        server.edge.port().to_string()
    );
    assert!(!got.headers.contains_key("x-hop"));
    assert_eq!(got.headers["x-amzn-apigateway-api-id"], "api0000001");
    // The backend's own headers come back, except those API Gateway remaps.
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-amzn-remapped-server"), Some("testkit-upstream"));
    assert_eq!(r.header("server"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_ids_propagate_to_the_backend() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        PROXY_ALL,
        &format!("{{backend: \"{}\"}}", upstream.url()),
    );
    let server = TestServer::start(ws, &config).await;
    let r = server
        .client
        .send(
            Method::GET,
            &server.url("/prod/x"),
            &[(
                "x-amzn-trace-id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            )],
            "",
        )
        .await;
    assert_eq!(
        r.header("x-amzn-trace-id"),
        Some("Root=1-5759e988-bd862e3fe1be46a994272793")
    );
    let got = upstream.last();
    let xray = got.headers["x-amzn-trace-id"].to_str().unwrap();
    assert!(
        xray.starts_with("Root=1-5759e988-bd862e3fe1be46a994272793;Parent="),
        "{xray}"
    );
    assert!(
        !xray.contains("53995c3f42cd8ad8"),
        "the gateway's own span is the parent: {xray}"
    );
    let traceparent = got.headers["traceparent"].to_str().unwrap();
    assert!(
        traceparent.starts_with("00-5759e988bd862e3fe1be46a994272793-"),
        "{traceparent}"
    );
    assert!(traceparent.ends_with("-01"));

    // W3C traceparent alone is honored too.
    server
        .client
        .send(
            Method::GET,
            &server.url("/prod/x"),
            &[(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )],
            "",
        )
        .await;
    let xray = upstream.last().headers["x-amzn-trace-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        xray.starts_with("Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;"),
        "{xray}"
    );
}

const CUSTOM: &str = r#"openapi: 3.0.1
info: {title: custom, version: "1"}
paths:
  /items/{id}:
    get:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: "${stageVariables.backend}/lookup/{key}?fixed=1"
        requestParameters:
          integration.request.path.key: method.request.path.id
          integration.request.querystring.q: method.request.querystring.search
          integration.request.querystring.stage: stageVariables.label
          integration.request.header.x-caller-ip: context.identity.sourceIp
          integration.request.header.x-static: "'constant'"
          integration.request.header.x-from-header: method.request.header.x-in
        requestTemplates:
          application/json: '{"requestId": "$context.requestId", "stage": "$context.stage"}'
        passthroughBehavior: when_no_templates
        responses:
          "4\\d{2}":
            statusCode: "404"
            responseParameters:
              method.response.header.x-backend-status: integration.response.header.x-status
            responseTemplates:
              application/json: '{"error": "not found", "id": "$context.requestId"}'
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.x-stage: stageVariables.label
              method.response.header.x-static: "'yes'"
  /passthrough:
    post:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: "${stageVariables.backend}/pass"
        passthroughBehavior: when_no_match
        responses: {default: {statusCode: "201"}}
  /never:
    post:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: "${stageVariables.backend}/never"
        passthroughBehavior: never
        requestTemplates: {application/json: '{}'}
        responses: {default: {statusCode: "200"}}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_custom_integration_maps_parameters_and_responses() {
    let upstream = Upstream::start(|r: testkit::Recorded| async move {
        let status = if r.uri.contains("/lookup/missing") {
            404
        } else {
            200
        };
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-status", status.to_string())
            .body(Full::new(Bytes::from(r#"{"from":"backend"}"#)))
            .unwrap()
    })
    .await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        CUSTOM,
        &format!("{{backend: \"{}\", label: blue}}", upstream.url()),
    );
    let server = TestServer::start(ws, &config).await;

    let r = server
        .client
        .send(
            Method::GET,
            &server.url("/prod/items/42?search=a+b&ignored=1"),
            &[("x-in", "hello"), ("x-not-mapped", "no")],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Passthrough of the backend body; mapped response headers only.
    assert_eq!(r.json(), serde_json::json!({"from": "backend"}));
    assert_eq!(r.header("x-stage"), Some("blue"));
    assert_eq!(r.header("x-static"), Some("yes"));
    assert_eq!(r.header("x-status"), None);
    let got = upstream.last();
    assert_eq!(got.method, Method::POST);
    assert_eq!(got.uri, "/lookup/42?fixed=1&q=a%20b&stage=blue");
    assert_eq!(got.headers["x-caller-ip"], "127.0.0.1");
    assert_eq!(got.headers["x-static"], "constant");
    assert_eq!(got.headers["x-from-header"], "hello");
    assert!(!got.headers.contains_key("x-not-mapped"));
    // The request template rendered the body sent upstream.
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["stage"], "prod");
    assert_eq!(body["requestId"], r.header("x-amzn-requestid").unwrap());

    // A 4xx from the backend selects the "4\d{2}" integration response and its template.
    let r = server.get("/prod/items/missing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "not found");
    assert_eq!(r.header("x-backend-status"), Some("404"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_behaviors() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        CUSTOM,
        &format!("{{backend: \"{}\", label: x}}", upstream.url()),
    );
    let server = TestServer::start(ws, &config).await;
    // when_no_match: an unmatched content type passes through untouched.
    let r = server
        .client
        .send(
            Method::POST,
            &server.url("/prod/passthrough"),
            &[("content-type", "text/csv")],
            "a,b",
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(upstream.last().body, Bytes::from("a,b"));
    assert_eq!(upstream.last().headers["content-type"], "text/csv");
    // never: no matching template means 415.
    let r = server
        .client
        .send(
            Method::POST,
            &server.url("/prod/never"),
            &[("content-type", "text/csv")],
            "a,b",
        )
        .await;
    assert_error(
        &r,
        415,
        "UnsupportedMediaTypeException",
        "Unsupported Media Type",
    );
    // when_no_templates with templates defined and no match: 415 as well.
    let r = server
        .client
        .send(
            Method::GET,
            &server.url("/prod/items/1"),
            &[("content-type", "text/csv")],
            "a",
        )
        .await;
    assert_error(
        &r,
        415,
        "UnsupportedMediaTypeException",
        "Unsupported Media Type",
    );
}

const MOCKS: &str = r#"openapi: 3.0.1
info: {title: mocks, version: "1"}
paths:
  /ok:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.x-request: context.requestId
            responseTemplates:
              application/json: '{"stage": "$context.stage", "color": "$stageVariables.color"}'
  /teapot:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 418}'}
        responses:
          "418": {statusCode: "418", responseTemplates: {text/plain: "short and stout"}}
          default: {statusCode: "200"}
  /nomatch:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 500}'}
        responses:
          "2\\d{2}": {statusCode: "200"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_integrations() {
    let ws = Workspace::new();
    let config = single_api(&ws, MOCKS, "{color: green}");
    let server = TestServer::start(ws, &config).await;
    let r = server.get("/prod/ok").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        serde_json::json!({"stage": "prod", "color": "green"})
    );
    assert_eq!(r.header("x-request"), r.header("x-amzn-requestid"));
    assert_eq!(r.header("content-type"), Some("application/json"));

    let r = server.get("/prod/teapot").await;
    assert_eq!(r.status, 418);
    assert_eq!(r.text(), "short and stout");
    assert_eq!(r.header("content-type"), Some("text/plain"));

    // No integration response for the status and no default: API Gateway's configuration error.
    let r = server.get("/prod/nomatch").await;
    assert_error(
        &r,
        500,
        "InternalServerErrorException",
        "Internal server error",
    );
}

const SLOW: &str = r#"openapi: 3.0.1
info: {title: slow, version: "1"}
paths:
  /slow:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/slow"
        timeoutInMillis: 200
  /down:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "http://127.0.0.1:9/down"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_unreachable_backends() {
    let upstream = Upstream::start(|_r| async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        http::Response::new(Full::new(Bytes::from("late")))
    })
    .await;
    let ws = Workspace::new();
    let config = single_api(&ws, SLOW, &format!("{{backend: \"{}\"}}", upstream.url()));
    let server = TestServer::start(ws, &config).await;
    // The backend answers after 2 s; a 504 (not its 200) means the 200 ms timeout fired.
    let r = server.get("/prod/slow").await;
    assert_error(
        &r,
        504,
        "InternalServerErrorException",
        "Endpoint request timed out",
    );
    let r = server.get("/prod/down").await;
    assert_error(
        &r,
        502,
        "InternalServerErrorException",
        "Internal server error",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_connections_are_pooled_and_renewed() {
    // Every third response asks to close the connection; the rest keep it alive.
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = counter.clone();
    let upstream = Upstream::start(move |_r| {
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            let mut response = http::Response::new(Full::new(Bytes::from(format!("answer {n}"))));
            if n % 3 == 2 {
                response
                    .headers_mut()
                    .insert("connection", http::HeaderValue::from_static("close"));
            }
            response
        }
    })
    .await;
    let ws = Workspace::new();
    // One edge worker: the backend pool is per worker, and the test client opens a connection
    // per request, which a second worker would take every other time.
    let config = format!(
        "server: {{worker_threads: 1}}\n{}",
        single_api(
            &ws,
            PROXY_ALL,
            &format!("{{backend: \"{}\"}}", upstream.url()),
        )
    );
    let server = TestServer::start(ws, &config).await;
    for n in 0..9 {
        let r = server.get("/prod/x").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), format!("answer {n}"));
    }
    // Sequential requests share a connection until the backend closes it: 9 requests, 3 closes.
    assert_eq!(upstream.connections(), 3, "connections are reused");

    // A large body streamed through returns its connection once read to the end.
    let slow = Upstream::start(|_r| async {
        http::Response::new(Full::new(Bytes::from(vec![b'x'; 4 * 1024 * 1024])))
    })
    .await;
    let ws = Workspace::new();
    let config = format!(
        "server: {{worker_threads: 1}}\n{}",
        single_api(&ws, PROXY_ALL, &format!("{{backend: \"{}\"}}", slow.url()))
    );
    let server = TestServer::start(ws, &config).await;
    for _ in 0..3 {
        assert_eq!(server.get("/prod/big").await.body.len(), 4 * 1024 * 1024);
        // The connection goes back to the pool when the backend's body ends, which can be just
        // after the client has the last byte: the next request must not race it.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(slow.connections(), 1);
}
