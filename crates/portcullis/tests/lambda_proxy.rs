//! The `aws_proxy` (Lambda proxy) integration through the real server: the Wild Rydes
//! RequestUnicorn example (`examples/functions/request-unicorn`, Rust on `lambda_runtime` +
//! `aws_lambda_events`) behind a Cognito user pool authorizer, and a Node.js handler
//! (`tests/functions/proxy/index.js`, run by the host's bootstrap) for the event's every part and
//! every way an invocation fails, each answered as API Gateway answers it. Refused requests
//! never start a function: the host's start counts prove it.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use common::*;
use http::Method;
use serde_json::json;
use testkit::aws::cognito_idp;

const POOL: &str = "us-east-1_WildRydes";
const WEB: &str = "wildrydes-web";
const PASSWORD: &str = "Correct-Horse-42";

fn uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

fn openapi() -> String {
    let integration = |function: &str, extra: &str| {
        format!(
            "x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: \"{}\"{extra}}}",
            uri(function)
        )
    };
    format!(
        r#"openapi: 3.0.1
info: {{title: rides, version: "1"}}
x-amazon-apigateway-binary-media-types: [application/octet-stream]
components:
  securitySchemes:
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}"]
    sigv4: {{type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}}
paths:
  /ride:
    post:
      security: [{{pool: []}}]
      {unicorn}
  /open-ride:
    post:
      {unicorn}
  /proxy/{{action}}:
    x-amazon-apigateway-any-method:
      {proxy}
  /slow/{{action}}:
    get:
      {slow}
  /guarded/{{action}}:
    get:
      security: [{{sigv4: []}}]
      {guarded}
  /guarded-pool/{{action}}:
    get:
      security: [{{pool: []}}]
      {guarded}
  /keyed/{{action}}:
    get:
      x-amazon-apigateway-api-key-required: true
      {guarded}
  /throttled/{{action}}:
    get:
      {throttled}
  /staged/{{action}}:
    get:
      {staged}
  /unstaged/{{action}}:
    get:
      {unstaged}
"#,
        unicorn = integration("RequestUnicorn", ""),
        proxy = integration("Proxy", ""),
        slow = integration("Proxy", ", timeoutInMillis: 300"),
        guarded = integration("Guarded", ""),
        throttled = integration("Throttled", ""),
        staged = integration("${stageVariables.fn}", ""),
        unstaged = integration("${stageVariables.nothing}", ""),
    )
}

fn proxy_code() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/functions/proxy")
}

fn config(ws: &Workspace) -> String {
    let api = single_api(ws, &openapi(), "{fn: Proxy, nothing: Nope}");
    let node = |name: &str, extra: &str| {
        format!(
            "  - {{name: {name}, runtime: nodejs22.x, handler: index.handler, code: {:?}{extra}}}\n",
            proxy_code().display().to_string()
        )
    };
    format!(
        r#"{api}functions:
  - {{name: RequestUnicorn, command: [{bin:?}], timeout: 3, environment: {{TABLE_NAME: Rides}}}}
{proxy}{guarded}{throttled}iam:
  policies:
    Invoke: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}}]}}
  users:
    - {{name: rider, access_keys: [{{id: AKIARIDER00000000001, secret: rider-secret-00000000000000000000000}}], policies: [Invoke]}}
user_pools:
  - id: {POOL}
    name: WildRydes
    username_attributes: [email]
    auto_verified_attributes: [email]
    sign_up_confirmation: code
    password_policy: {{minimum_length: 8, require_symbols: false}}
    clients:
      - {{id: {WEB}, name: web, auth_flows: [USER_PASSWORD_AUTH]}}
"#,
        bin = example_binary("request-unicorn").display().to_string(),
        proxy = node("Proxy", ", timeout: 1"),
        guarded = node("Guarded", ""),
        throttled = node("Throttled", ", reserved_concurrency: 0"),
    )
}

struct Fixture {
    server: TestServer,
    idp: cognito_idp::Client,
}

impl Fixture {
    async fn start() -> Fixture {
        let ws = Workspace::new();
        let config = config(&ws);
        let server = TestServer::start(ws, &config).await;
        let idp = pools::idp(&server);
        Fixture { server, idp }
    }

    fn starts(&self, function: &str) -> u64 {
        let running = self.server.running.as_ref().unwrap();
        running
            .services()
            .functions()
            .stats(function)
            .unwrap()
            .starts
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<bytes::Bytes>,
    ) -> TestResponse {
        self.server
            .client
            .send(method, &self.server.url(path), headers, body)
            .await
    }

    /// Signs up, confirms and signs in a rider: their ID token.
    async fn id_token(&self, email: &str) -> String {
        pools::sign_up_confirmed(&self.server, (POOL, WEB), email, PASSWORD, &[]).await;
        pools::password_sign_in(&self.idp, WEB, email, PASSWORD)
            .await
            .unwrap()
            .id_token
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn request_unicorn_behind_a_user_pool() {
    let f = Fixture::start().await;
    let ride = json!({"PickupLocation": {"Latitude": 47.5, "Longitude": -122.25}}).to_string();

    // Refusals first: the function has not started.
    let r = f.send(Method::POST, "/prod/ride", &[], ride.clone()).await;
    assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    let r = f
        .send(
            Method::POST,
            "/prod/ride",
            &[("authorization", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln")],
            ride.clone(),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(f.starts("RequestUnicorn"), 0, "no invocation on a refusal");

    let token = f.id_token("rider@example.com").await;
    let r = f
        .send(
            Method::POST,
            "/prod/ride?src=app",
            &[
                ("authorization", &token),
                ("content-type", "application/json"),
                ("user-agent", "wildrydes-test"),
            ],
            ride.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let body = r.json();
    assert_eq!(body["Eta"], "30 seconds");
    assert!(
        ["Bucephalus", "Shadowfax", "Rocinante"].contains(&body["UnicornName"].as_str().unwrap())
    );
    assert_eq!(body["Unicorn"]["Name"], body["UnicornName"]);
    assert_eq!(body["RideId"].as_str().unwrap().len(), 32);
    assert_eq!(body["Table"], "Rides");
    // The claims reached the function in requestContext.authorizer.claims.
    let claims = &body["Caller"]["claims"];
    assert_eq!(claims["email"], "rider@example.com");
    assert_eq!(body["Rider"], claims["cognito:username"]);
    assert!(!body["Rider"].as_str().unwrap().is_empty());
    assert_eq!(body["Caller"]["sourceIp"], "127.0.0.1");
    assert_eq!(body["Caller"]["userAgent"], "wildrydes-test");
    assert_eq!(body["PickupLocation"]["Longitude"], -122.25);
    // The event as aws_lambda_events parsed it inside the function.
    let event = &body["Event"];
    assert_eq!(event["resource"], "/ride");
    assert_eq!(event["path"], "/ride");
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["queryStringParameters"]["src"], "app");
    let ctx = &event["requestContext"];
    assert_eq!(ctx["stage"], "prod");
    assert_eq!(ctx["path"], "/prod/ride");
    assert_eq!(ctx["resourcePath"], "/ride");
    assert_eq!(ctx["apiId"], "api0000001");
    assert_eq!(ctx["accountId"], "123456789012");
    assert_eq!(ctx["requestId"], r.header("x-amzn-requestid").unwrap());
    assert_eq!(f.starts("RequestUnicorn"), 1);

    // Without an authorizer the workshop's function refuses to work.
    let r = f.send(Method::POST, "/prod/open-ride", &[], ride).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["Error"], "Authorization not configured");
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_and_the_response() {
    let f = Fixture::start().await;
    let r = f
        .send(
            Method::PUT,
            "/prod/proxy/echo?a=1&a=2&b=x%20y",
            &[
                ("x-multi", "one"),
                ("x-multi", "two"),
                ("content-type", "text/plain"),
            ],
            "plain body",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let echoed: Vec<_> = r.headers.get_all("x-echo").iter().collect();
    assert_eq!(echoed, ["one", "two"], "multiValueHeaders map back");
    assert!(r.header("x-request-id").is_some());
    let e = r.json();
    assert_eq!(e["resource"], "/proxy/{action}");
    assert_eq!(e["path"], "/proxy/echo");
    assert_eq!(e["httpMethod"], "PUT");
    assert_eq!(e["pathParameters"], json!({"action": "echo"}));
    assert_eq!(
        e["stageVariables"],
        json!({"fn": "Proxy", "nothing": "Nope"})
    );
    assert_eq!(e["headers"]["x-multi"], "two");
    assert_eq!(e["multiValueHeaders"]["x-multi"], json!(["one", "two"]));
    assert_eq!(e["queryStringParameters"], json!({"a": "2", "b": "x y"}));
    assert_eq!(
        e["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"], "b": ["x y"]})
    );
    assert_eq!(e["body"], "plain body");
    assert_eq!(e["isBase64Encoded"], false);
    let ctx = &e["requestContext"];
    assert_eq!(ctx["httpMethod"], "PUT");
    assert_eq!(ctx["protocol"], "HTTP/1.1");
    assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(ctx["extendedRequestId"].as_str().unwrap().len(), 16);
    assert!(ctx["requestTimeEpoch"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(ctx["requestTime"].as_str().unwrap().ends_with("+0000"));
    assert!(
        e["headers"]["x-amzn-trace-id"]
            .as_str()
            .unwrap()
            .starts_with("Root=1-")
    );

    // Binary: a body of a binary media type arrives base64; the function's base64 answer is
    // sent as bytes to a client that accepts the type.
    let bytes: Vec<u8> = vec![0, 159, 146, 150, 255];
    let r = f
        .send(
            Method::POST,
            "/prod/proxy/binary",
            &[
                ("content-type", "application/octet-stream"),
                ("accept", "application/octet-stream"),
            ],
            bytes.clone(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], &bytes[..]);
    // A client not accepting it gets the base64 text, as from API Gateway.
    let r = f
        .send(
            Method::POST,
            "/prod/proxy/binary",
            &[("content-type", "application/octet-stream")],
            bytes.clone(),
        )
        .await;
    assert_eq!(
        r.text(),
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );

    // A stage variable naming the function.
    let r = f.send(Method::GET, "/prod/staged/echo", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["resource"], "/staged/{action}");
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_api_gateways() {
    let f = Fixture::start().await;
    // The function throws: 502.
    let r = f.send(Method::GET, "/prod/proxy/error", &[], "").await;
    assert_error(
        &r,
        502,
        "InternalServerErrorException",
        "Internal server error",
    );
    // A malformed answer: 502.
    let r = f.send(Method::GET, "/prod/proxy/malformed", &[], "").await;
    assert_error(
        &r,
        502,
        "InternalServerErrorException",
        "Internal server error",
    );
    // The process dies mid-invocation: 502, and the next request gets a new environment.
    let before = f.starts("Proxy");
    let r = f.send(Method::GET, "/prod/proxy/exit", &[], "").await;
    assert_error(
        &r,
        502,
        "InternalServerErrorException",
        "Internal server error",
    );
    let r = f.send(Method::GET, "/prod/proxy/echo", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(f.starts("Proxy"), before + 1);
    // The function runs past its own timeout (1 s): a function error, 502.
    let r = f
        .send(Method::GET, "/prod/proxy/sleep?ms=1500", &[], "")
        .await;
    assert_error(
        &r,
        502,
        "InternalServerErrorException",
        "Internal server error",
    );
    // No answer within the integration's timeout (300 ms): 504.
    let r = f
        .send(Method::GET, "/prod/slow/sleep?ms=800", &[], "")
        .await;
    assert_error(
        &r,
        504,
        "InternalServerErrorException",
        "Endpoint request timed out",
    );
    // Lambda throttles (reserved concurrency 0): API Gateway's 500.
    let r = f.send(Method::GET, "/prod/throttled/echo", &[], "").await;
    assert_error(
        &r,
        500,
        "InternalServerErrorException",
        "Internal server error",
    );
    assert_eq!(f.starts("Throttled"), 0);
    // A stage variable naming no function: 500.
    let r = f.send(Method::GET, "/prod/unstaged/echo", &[], "").await;
    assert_error(
        &r,
        500,
        "InternalServerErrorException",
        "Internal server error",
    );

    // Refused callers never reach the function.
    let r = f.send(Method::GET, "/prod/guarded/echo", &[], "").await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    let r = f
        .send(
            Method::GET,
            "/prod/guarded/echo",
            &[(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIARIDER00000000001/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00",
            )],
            "",
        )
        .await;
    assert_eq!(r.status, 403);
    let r = f
        .send(Method::GET, "/prod/guarded-pool/echo", &[], "")
        .await;
    assert_eq!(r.status, 401);
    let r = f
        .send(
            Method::GET,
            "/prod/keyed/echo",
            &[("x-api-key", "not-a-key-of-this-api-0000")],
            "",
        )
        .await;
    assert_error(&r, 403, "ForbiddenException", "Forbidden");
    assert_eq!(f.starts("Guarded"), 0, "no invocation on a refusal");
    // A signed caller gets through.
    let key = testkit::signer::Key::new(
        "AKIARIDER00000000001",
        "rider-secret-00000000000000000000000",
    );
    let r = f
        .server
        .client
        .request(testkit::signer::signed(
            Method::GET,
            &f.server.url("/prod/guarded/echo"),
            &[],
            "",
            &key,
            &testkit::signer::Signing::execute_api(std::time::SystemTime::now()),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ctx = &r.json()["requestContext"];
    assert_eq!(ctx["identity"]["accessKey"], "AKIARIDER00000000001");
    assert_eq!(
        ctx["identity"]["userArn"],
        "arn:aws:iam::123456789012:user/rider"
    );
    assert_eq!(f.starts("Guarded"), 1);
    f.server.stop().await;
}
