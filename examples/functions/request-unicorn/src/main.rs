//! Wild Rydes' `RequestUnicorn`, the function behind `POST /ride` in AWS's serverless workshop,
//! as a Rust function on `lambda_runtime` and `aws_lambda_events` — unmodified from what one
//! would deploy to Lambda behind an API Gateway REST API with a Cognito user pool authorizer.
//!
//! It reads the rider from the authorizer's claims (`cognito:username`, as the workshop's
//! Node.js function does) or, when the caller signed with an identity pool's credentials
//! (`AWS_IAM`, the workshop's IAM module), from the user-pool `sub` at the end of
//! `requestContext.identity.cognitoAuthenticationProvider`
//! (`…,cognito-idp.{region}.amazonaws.com/{pool}:CognitoSignIn:{sub}`); the workshop then looks
//! the username up with ListUsers, this one reports the `sub`. The pickup location comes from the body, picks a unicorn from the fleet
//! and answers `201` with the ride: `RideId`, `Unicorn`, `UnicornName`, `Eta`, `Rider`. It also
//! echoes what it read from the event (`Caller`: the identity and claims of `requestContext`;
//! `Event`: the event as `aws_lambda_events` parsed it), so that the gateway's tests can check
//! the event through the function's own library. The workshop stores each ride in DynamoDB
//! (`TABLE_NAME`); this one only reports the table it would write to.
//!
//! With neither (no authorizer, or a guest's credentials) it answers 500
//! `Authorization not configured`, as the workshop's does.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// The workshop's fleet.
const FLEET: [(&str, &str, &str); 3] = [
    ("Bucephalus", "Golden", "Male"),
    ("Shadowfax", "White", "Male"),
    ("Rocinante", "Yellow", "Female"),
];

async fn handle(
    event: LambdaEvent<ApiGatewayProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let (request, ctx) = event.into_parts();
    let claims = request
        .request_context
        .authorizer
        .fields
        .get("claims")
        .cloned();
    let identity = &request.request_context.identity;
    let rider = match (&claims, identity.cognito_authentication_provider.as_deref()) {
        (Some(claims), _) => claims
            .get("cognito:username")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        (None, Some(provider)) if provider.contains(":CognitoSignIn:") => provider
            .rsplit(":CognitoSignIn:")
            .next()
            .unwrap_or_default()
            .to_string(),
        _ => {
            return Ok(respond(
                500,
                &json!({"Error": "Authorization not configured", "Reference": ctx.request_id}),
            ));
        }
    };
    let body: Value = request
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let pickup = &body["PickupLocation"];
    let ride_id = ride_id(&ctx.request_id);
    let (name, color, gender) = pick(&ride_id, pickup);
    let answer = json!({
        "RideId": ride_id,
        "Unicorn": {"Name": name, "Color": color, "Gender": gender},
        "UnicornName": name,
        "Eta": "30 seconds",
        "Rider": rider,
        "PickupLocation": pickup,
        "Table": std::env::var("TABLE_NAME").ok(),
        "Caller": {
            "claims": claims,
            "sourceIp": identity.source_ip,
            "userAgent": identity.user_agent,
            "userArn": identity.user_arn,
            "cognitoIdentityId": identity.cognito_identity_id,
            "cognitoAuthenticationProvider": identity.cognito_authentication_provider,
        },
        "Event": request,
    });
    Ok(respond(201, &answer))
}

/// A URL-safe id unique to the invocation (the workshop uses 16 random bytes).
fn ride_id(request_id: &str) -> String {
    request_id.replace('-', "")
}

/// Picks a unicorn (the workshop picks at random; any unicorn will do, so this one picks by the
/// ride id and the pickup's coordinates).
fn pick(ride_id: &str, pickup: &Value) -> (&'static str, &'static str, &'static str) {
    let seed = ride_id.bytes().map(usize::from).sum::<usize>()
        + pickup["Latitude"].as_f64().map_or(0, |l| l.abs() as usize);
    FLEET[seed % FLEET.len()]
}

fn respond(status: i64, body: &Value) -> ApiGatewayProxyResponse {
    let mut headers = HeaderMap::new();
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
