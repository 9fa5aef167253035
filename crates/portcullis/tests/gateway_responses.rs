//! `x-amazon-apigateway-gateway-responses`: overrides of status, headers and templates, with the
//! DEFAULT_4XX / DEFAULT_5XX fallbacks.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const API: &str = r#"openapi: 3.0.1
info: {title: responses, version: "1"}
paths:
  /items/{id}:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "http://127.0.0.1:9/items/{id}"
x-amazon-apigateway-gateway-responses:
  MISSING_AUTHENTICATION_TOKEN:
    statusCode: 404
    responseParameters:
      gatewayresponse.header.x-path-param: method.request.path.id
      gatewayresponse.header.x-query: method.request.querystring.q
      gatewayresponse.header.x-header: method.request.header.x-in
      gatewayresponse.header.x-stage-var: stageVariables.team
    responseTemplates:
      application/json: '{"error":$context.error.messageString,"type":"$context.error.responseType","path":"$context.path","requestId":"$context.requestId"}'
  DEFAULT_4XX:
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
  DEFAULT_5XX:
    statusCode: 503
    responseTemplates:
      application/json: '{"oops":$context.error.messageString}'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_apply_with_class_defaults() {
    let ws = Workspace::new();
    let config = single_api(&ws, API, "{team: blue}");
    let server = TestServer::start(ws, &config).await;

    // A type's own override: status, template and header mappings.
    let r = server
        .client
        .send(
            http::Method::GET,
            &server.url("/prod/nowhere?q=search"),
            &[("x-in", "hi")],
            "",
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    let body = r.json();
    assert_eq!(body["error"], "Missing Authentication Token");
    assert_eq!(body["type"], "MISSING_AUTHENTICATION_TOKEN");
    assert_eq!(body["path"], "/prod/nowhere");
    assert_eq!(body["requestId"].as_str(), r.header("x-amzn-requestid"));
    assert_eq!(r.header("x-query"), Some("search"));
    assert_eq!(r.header("x-header"), Some("hi"));
    assert_eq!(r.header("x-stage-var"), Some("blue"));
    // No path parameter on a miss: the header is left out rather than sent empty.
    assert_eq!(r.header("x-path-param"), None);
    // The type's own override replaces the DEFAULT_4XX headers entirely.
    assert_eq!(r.header("access-control-allow-origin"), None);

    // DEFAULT_5XX: its status replaces the class's, its template applies.
    let r = server.get("/prod/items/5").await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InternalServerErrorException")
    );
    assert_eq!(
        r.json(),
        serde_json::json!({"oops": "Internal server error"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_4xx_headers_apply_to_other_4xx() {
    let ws = Workspace::new();
    let api = r#"openapi: 3.0.1
info: {title: responses, version: "1"}
paths:
  /x:
    get:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200"}}}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    statusCode: 400
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
"#;
    let config = single_api(&ws, api, "{}");
    let server = TestServer::start(ws, &config).await;
    let r = server.get("/prod/missing").await;
    // DEFAULT_4XX's status replaces 403; the default body and error type stay.
    assert_eq!(r.status, 400);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "Missing Authentication Token"})
    );
    // An unknown stage has no API context to customize: the built-in answer.
    assert_error(
        &server.get("/beta/x").await,
        403,
        "ForbiddenException",
        "Forbidden",
    );
}
