//! The events API Gateway sends a Lambda authorizer ("Input to an API Gateway Lambda
//! authorizer"), built with `aws_lambda_events`' types:
//!
//! - TOKEN: `{"type": "TOKEN", "authorizationToken": "…", "methodArn": "arn:aws:execute-api:…"}`;
//! - REQUEST: `type`, `methodArn`, `resource`, `path`, `httpMethod`, `headers`,
//!   `multiValueHeaders`, `queryStringParameters`, `multiValueQueryStringParameters`,
//!   `pathParameters`, `stageVariables` and `requestContext` (`path`, `accountId`, `resourceId`,
//!   `stage`, `requestId`, `identity` {`apiKey`, `sourceIp`}, `resourcePath`, `httpMethod`,
//!   `apiId`).
//!
//! The method ARN is the one the authorize phase evaluates (`authorize::route_arn`), passed in.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequestContext,
    ApiGatewayCustomAuthorizerRequestTypeRequestIdentity,
};
use aws_lambda_events::query_map::QueryMap;
use http::HeaderMap;

/// The TOKEN event.
pub fn token_event(token: &str, method_arn: &str) -> Result<Vec<u8>, serde_json::Error> {
    let mut event = ApiGatewayCustomAuthorizerRequest::default();
    event.type_ = Some("TOKEN".into());
    event.authorization_token = Some(token.into());
    event.method_arn = Some(method_arn.into());
    serde_json::to_vec(&event)
}

/// What a REQUEST event is made of, taken from the request in flight.
pub struct RequestEvent<'a> {
    pub method_arn: &'a str,
    /// The matched resource's template, `/pets/{petId}`.
    pub resource: &'a str,
    /// The request path without the stage, `/pets/7`.
    pub path: &'a str,
    /// The path with the stage, `/prod/pets/7` (`requestContext.path`).
    pub stage_path: &'a str,
    pub http_method: &'a http::Method,
    pub headers: &'a HeaderMap,
    /// `(name, value)` pairs, decoded, in the order sent.
    pub query: Vec<(String, String)>,
    /// Path parameters, decoded.
    pub path_parameters: HashMap<String, String>,
    pub stage_variables: &'a BTreeMap<String, String>,
    pub account_id: &'a str,
    pub api_id: &'a str,
    pub stage: &'a str,
    pub resource_id: String,
    pub request_id: &'a str,
    pub source_ip: String,
    pub api_key: Option<&'a str>,
}

/// The REQUEST event.
pub fn request_event(input: &RequestEvent<'_>) -> Result<Vec<u8>, serde_json::Error> {
    let mut multi: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in &input.query {
        multi.entry(name.clone()).or_default().push(value.clone());
    }
    // `aws_lambda_events` serializes both query maps with every value; API Gateway's single-value
    // map holds the last one. It is replaced below, after serialization.
    let single: BTreeMap<&str, &str> = input
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // A header value that is not UTF-8 cannot be a JSON string: left out, as it cannot be read.
    let mut headers = HeaderMap::with_capacity(input.headers.len());
    for (name, value) in input.headers {
        if std::str::from_utf8(value.as_bytes()).is_ok() {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut identity = ApiGatewayCustomAuthorizerRequestTypeRequestIdentity::default();
    identity.source_ip = Some(input.source_ip.clone());
    identity.api_key = input.api_key.map(str::to_string);
    let mut context = ApiGatewayCustomAuthorizerRequestTypeRequestContext::default();
    context.path = Some(input.stage_path.into());
    context.account_id = Some(input.account_id.into());
    context.resource_id = Some(input.resource_id.clone());
    context.stage = Some(input.stage.into());
    context.request_id = Some(input.request_id.into());
    context.identity = Some(identity);
    context.resource_path = Some(input.resource.into());
    context.http_method = Some(input.http_method.clone());
    context.apiid = Some(input.api_id.into());
    let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
    event.type_ = Some("REQUEST".into());
    event.method_arn = Some(input.method_arn.into());
    event.resource = Some(input.resource.into());
    event.path = Some(input.path.into());
    event.http_method = Some(input.http_method.clone());
    event.headers = headers.clone();
    event.multi_value_headers = headers;
    event.query_string_parameters = QueryMap::from(multi.clone());
    event.multi_value_query_string_parameters = QueryMap::from(multi);
    event.path_parameters = input.path_parameters.clone();
    event.stage_variables = input
        .stage_variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    event.request_context = context;
    let mut value = serde_json::to_value(&event)?;
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "queryStringParameters".into(),
            serde_json::to_value(single)?,
        );
    }
    serde_json::to_vec(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:api0000001/prod/GET/pets/7";

    #[test]
    fn token_event_is_the_documented_one() {
        let event: Value = serde_json::from_slice(&token_event("allow", ARN).unwrap()).unwrap();
        assert_eq!(
            event,
            json!({"type": "TOKEN", "authorizationToken": "allow", "methodArn": ARN})
        );
    }

    #[test]
    fn request_event_has_the_documented_fields() {
        let mut headers = HeaderMap::new();
        headers.append("headerauth1", "headerValue1".parse().unwrap());
        headers.append("x-twice", "a".parse().unwrap());
        headers.append("x-twice", "b".parse().unwrap());
        let vars = BTreeMap::from([("stage".to_string(), "prod".to_string())]);
        let input = RequestEvent {
            method_arn: ARN,
            resource: "/pets/{petId}",
            path: "/pets/7",
            stage_path: "/prod/pets/7",
            http_method: &http::Method::GET,
            headers: &headers,
            query: vec![
                ("QueryString1".into(), "queryValue1".into()),
                ("q".into(), "1".into()),
                ("q".into(), "2".into()),
            ],
            path_parameters: HashMap::from([("petId".to_string(), "7".to_string())]),
            stage_variables: &vars,
            account_id: "123456789012",
            api_id: "api0000001",
            stage: "prod",
            resource_id: "abc123".into(),
            request_id: "req-1",
            source_ip: "127.0.0.1".into(),
            api_key: None,
        };
        let event: Value = serde_json::from_slice(&request_event(&input).unwrap()).unwrap();
        assert_eq!(event["type"], "REQUEST");
        assert_eq!(event["methodArn"], ARN);
        assert_eq!(event["resource"], "/pets/{petId}");
        assert_eq!(event["path"], "/pets/7");
        assert_eq!(event["httpMethod"], "GET");
        assert_eq!(event["headers"]["headerauth1"], "headerValue1");
        assert_eq!(event["multiValueHeaders"]["x-twice"], json!(["a", "b"]));
        assert_eq!(
            event["queryStringParameters"],
            json!({"QueryString1": "queryValue1", "q": "2"})
        );
        assert_eq!(
            event["multiValueQueryStringParameters"]["q"],
            json!(["1", "2"])
        );
        assert_eq!(event["pathParameters"], json!({"petId": "7"}));
        assert_eq!(event["stageVariables"], json!({"stage": "prod"}));
        let rc = &event["requestContext"];
        assert_eq!(rc["path"], "/prod/pets/7");
        assert_eq!(rc["accountId"], "123456789012");
        assert_eq!(rc["resourceId"], "abc123");
        assert_eq!(rc["stage"], "prod");
        assert_eq!(rc["requestId"], "req-1");
        assert_eq!(rc["identity"]["sourceIp"], "127.0.0.1");
        assert_eq!(rc["resourcePath"], "/pets/{petId}");
        assert_eq!(rc["httpMethod"], "GET");
        assert_eq!(rc["apiId"], "api0000001");
    }
}
