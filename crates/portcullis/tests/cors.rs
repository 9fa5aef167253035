//! CORS on a REST API as API Gateway does it, in the shape its console and `get-export` write:
//! an `OPTIONS` method with a `mock` integration whose integration response maps the
//! `Access-Control-Allow-*` headers, and a `DEFAULT_4XX` gateway response carrying
//! `Access-Control-Allow-Origin`, so that a browser can read a 403. The preflight never reaches
//! the backend, and neither does a refused call.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::Method;

const API: &str = r#"openapi: 3.0.1
info: {title: rides, version: "1"}
paths:
  /ride:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: "${stageVariables.backend}/ride"
    options:
      responses:
        "200":
          description: 200 response
          headers:
            Access-Control-Allow-Origin: {schema: {type: string}}
            Access-Control-Allow-Methods: {schema: {type: string}}
            Access-Control-Allow-Headers: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        passthroughBehavior: when_no_match
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Access-Control-Allow-Methods: "'OPTIONS,POST'"
              method.response.header.Access-Control-Allow-Headers: "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'"
              method.response.header.Access-Control-Allow-Origin: "'*'"
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
      gatewayresponse.header.Access-Control-Allow-Headers: "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_preflights_and_reads_a_refusal() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(&ws, API, &format!("{{backend: \"{}\"}}", upstream.url()));
    let server = TestServer::start(ws, &config).await;
    let origin = ("origin", "http://localhost:3000");

    let r = server
        .client
        .send(
            Method::OPTIONS,
            &server.url("/prod/ride"),
            &[
                origin,
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type,x-amz-date,x-amz-security-token",
                ),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("OPTIONS,POST")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token")
    );

    // The ride requested without a signature: API Gateway's 403, readable cross-origin.
    let r = server
        .client
        .send(
            Method::POST,
            &server.url("/prod/ride"),
            &[origin, ("content-type", "application/json")],
            r#"{"PickupLocation":{"Latitude":47.6,"Longitude":-122.3}}"#,
        )
        .await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    // A method the resource does not have is refused the same way.
    let r = server
        .client
        .send(Method::GET, &server.url("/prod/ride"), &[origin], "")
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    assert_eq!(upstream.requests().len(), 0, "no call reached the backend");
}
