//! Invoke URLs, route matching and the answers for requests that match nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::Method;

const ROUTES: &str = r#"openapi: 3.0.1
info: {title: routes, version: "1"}
paths:
  /:
    get:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"route":"root"}'}}}}
  /pets:
    get:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"route":"GET /pets"}'}}}}
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"route":"ANY /pets"}'}}}}
  /pets/mine:
    get:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"route":"GET /pets/mine"}'}}}}
  /pets/{petId}:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/pet/{petId}"
  /files/{path+}:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/files/{path}"
"#;

async fn server() -> (TestServer, Upstream) {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(&ws, ROUTES, &format!("{{backend: \"{}\"}}", upstream.url()));
    (TestServer::start(ws, &config).await, upstream)
}

fn route_of(r: &TestResponse) -> String {
    r.json()["route"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_three_invoke_url_forms_reach_the_same_api() {
    let (server, upstream) = server().await;
    // `/{stage}/{path}` (one API configured).
    let r = server.get("/prod/pets").await;
    assert_eq!(route_of(&r), "GET /pets");
    // `/restapis/{apiId}/{stage}/_user_request_/{path}`.
    let r = server
        .get("/restapis/api0000001/prod/_user_request_/pets")
        .await;
    assert_eq!(route_of(&r), "GET /pets");
    let r = server
        .get("/restapis/api0000001/prod/_user_request_/")
        .await;
    assert_eq!(route_of(&r), "root");
    // Host `{apiId}.execute-api.<anything>`.
    let r = server
        .client
        .send(
            Method::GET,
            &server.url("/prod/pets/mine"),
            &[("host", "api0000001.execute-api.localhost:4566")],
            "",
        )
        .await;
    assert_eq!(route_of(&r), "GET /pets/mine");
    // The root resource with and without a trailing slash.
    assert_eq!(route_of(&server.get("/prod").await), "root");
    assert_eq!(route_of(&server.get("/prod/").await), "root");
    // The proxied path parameter reaches the backend as sent.
    let r = server.get("/prod/pets/7").await;
    assert_eq!(r.status, 200);
    assert_eq!(upstream.last().uri, "/pet/7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn most_specific_resource_and_method_win() {
    let (server, upstream) = server().await;
    assert_eq!(
        route_of(&server.get("/prod/pets/mine").await),
        "GET /pets/mine"
    );
    assert_eq!(route_of(&server.get("/prod/pets/").await), "GET /pets");
    // An exact method beats ANY on the same resource; ANY takes the rest.
    let r = server
        .client
        .send(Method::DELETE, &server.url("/prod/pets"), &[], "")
        .await;
    assert_eq!(route_of(&r), "ANY /pets");
    // Greedy parameters take the rest of the path, slashes included.
    let r = server.get("/prod/files/a/b/c.txt?x=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(upstream.last().uri, "/files/a/b/c.txt?x=1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_requests_get_aws_answers() {
    let (server, _upstream) = server().await;
    // No resource: 403 Missing Authentication Token, as API Gateway answers.
    let r = server.get("/prod/nothing/here").await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    // A resource without the method (and no ANY): the same. API Gateway does not fall back to
    // a less specific resource.
    let r = server
        .client
        .send(Method::POST, &server.url("/prod/pets/mine"), &[], "")
        .await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    // Greedy parameters never match zero segments.
    let r = server.get("/prod/files").await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    // Unknown stage, unknown API, no stage at all: 403 Forbidden.
    assert_error(
        &server.get("/beta/pets").await,
        403,
        "ForbiddenException",
        "Forbidden",
    );
    assert_error(
        &server.get("/restapis/nope/prod/_user_request_/pets").await,
        403,
        "ForbiddenException",
        "Forbidden",
    );
    assert_error(
        &server.get("/").await,
        403,
        "ForbiddenException",
        "Forbidden",
    );
    let r = server
        .client
        .send(
            Method::GET,
            &server.url("/prod/pets"),
            &[("host", "unknown00.execute-api.localhost")],
            "",
        )
        .await;
    assert_error(&r, 403, "ForbiddenException", "Forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_request_and_trace_ids() {
    let (server, _upstream) = server().await;
    let a = server.get("/prod/pets").await;
    let b = server.get("/nope").await;
    for r in [&a, &b] {
        let id = r.header("x-amzn-requestid").unwrap();
        assert_eq!(id.len(), 36, "a UUID: {id}");
        assert!(r.header("x-amz-apigw-id").is_some());
        assert!(r.header("x-amzn-trace-id").unwrap().starts_with("Root=1-"));
    }
    assert_ne!(a.header("x-amzn-requestid"), b.header("x-amzn-requestid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_apis_route_by_id_only() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write("a.yaml", PROXY_ALL);
    ws.write("b.yaml", PROXY_ALL);
    let config = format!(
        r#"apis:
  - id: aaaaaaaaaa
    openapi: a.yaml
    stages: {{prod: {{variables: {{backend: "{0}/a"}}}}}}
  - id: bbbbbbbbbb
    openapi: b.yaml
    stages: {{prod: {{variables: {{backend: "{0}/b"}}}}}}
"#,
        upstream.url()
    );
    let server = TestServer::start(ws, &config).await;
    // With two APIs the short form is ambiguous.
    assert_error(
        &server.get("/prod/x").await,
        403,
        "ForbiddenException",
        "Forbidden",
    );
    server
        .get("/restapis/bbbbbbbbbb/prod/_user_request_/x")
        .await;
    assert_eq!(upstream.last().uri, "/b/x");
    server
        .client
        .send(
            Method::GET,
            &server.url("/prod/y"),
            &[("host", "aaaaaaaaaa.execute-api.example.com")],
            "",
        )
        .await;
    assert_eq!(upstream.last().uri, "/a/y");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_cleartext_works() {
    let (server, upstream) = server().await;
    let client = Client::http2();
    let r = client.get(&server.url("/prod/pets/3")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.version, http::Version::HTTP_2);
    assert_eq!(upstream.last().uri, "/pet/3");
}
