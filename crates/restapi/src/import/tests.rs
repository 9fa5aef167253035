use crate::FunctionArn;
use serde_json::{Value, json};

use super::*;
use crate::authorizer::Authorizer;
use crate::model::*;

/// A document in the shape `aws apigateway get-export --export-type oas30
/// --parameters extensions='integrations'` writes.
fn export() -> Value {
    json!({
      "openapi": "3.0.1",
      "info": {"title": "PetStore", "version": "2026-11-21T00:00:00Z"},
      "servers": [{"url": "https://abc123.execute-api.us-east-1.amazonaws.com/{basePath}",
                   "variables": {"basePath": {"default": "prod"}}}],
      "paths": {
        "/pets": {
          "get": {
            "parameters": [
              {"name": "type", "in": "query", "schema": {"type": "string"}},
              {"$ref": "#/components/parameters/page"}
            ],
            "responses": {"200": {"description": "ok"}},
            "security": [{"sigv4": []}],
            "x-amazon-apigateway-integration": {
              "type": "http", "httpMethod": "GET",
              "uri": "http://${stageVariables.backend}/pets",
              "responses": {
                "default": {"statusCode": "200",
                  "responseParameters": {"method.response.header.Access-Control-Allow-Origin": "'*'"}},
                "4\\d{2}": {"statusCode": "400"}
              },
              "requestParameters": {
                "integration.request.querystring.type": "method.request.querystring.type",
                "integration.request.header.x-caller": "context.identity.caller"
              },
              "passthroughBehavior": "when_no_match",
              "timeoutInMillis": 5000
            }
          },
          "options": {
            "responses": {"200": {"description": "cors"}},
            "x-amazon-apigateway-integration": {
              "type": "mock",
              "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
              "responses": {"default": {"statusCode": "200",
                "responseTemplates": {"application/json": "{}"}}},
              "passthroughBehavior": "when_no_match"
            }
          }
        },
        "/pets/{petId}": {
          "parameters": [{"name": "petId", "in": "path", "required": true}],
          "get": {
            "x-amazon-apigateway-integration": {
              "type": "http_proxy", "httpMethod": "GET",
              "uri": "http://127.0.0.1:9000/pets/{id}",
              "requestParameters": {"integration.request.path.id": "method.request.path.petId"},
              "responses": {"default": {"statusCode": "200"}}
            }
          }
        },
        "/{proxy+}": {
          "x-amazon-apigateway-any-method": {
            "x-amazon-apigateway-integration": {
              "type": "http_proxy", "httpMethod": "ANY", "uri": "http://127.0.0.1:9000/{proxy}"
            }
          }
        }
      },
      "components": {
        "parameters": {"page": {"name": "page", "in": "query"}},
        "securitySchemes": {
          "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4"}
        }
      },
      "x-amazon-apigateway-gateway-responses": {
        "MISSING_AUTHENTICATION_TOKEN": {
          "statusCode": 404,
          "responseParameters": {"gatewayresponse.header.x-path": "method.request.path.petId"},
          "responseTemplates": {"application/json": "{\"message\":$context.error.messageString}"}
        }
      },
      "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": []},
      "x-amazon-apigateway-binary-media-types": ["image/png"]
    })
}

fn errors(doc: &Value) -> Vec<ImportError> {
    import(doc).expect_err("the document is refused")
}

fn has_error(errors: &[ImportError], pointer: &str, needle: &str) -> bool {
    errors
        .iter()
        .any(|e| e.pointer == pointer && e.message.contains(needle))
}

#[test]
fn imports_an_export() {
    let api = import(&export()).expect("imports");
    assert_eq!(api.title, "PetStore");
    let paths: Vec<&str> = api.resources.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/pets", "/pets/{petId}", "/{proxy+}"]);

    let pets = &api.resources[0];
    let get = pets.method(Verb::Get).expect("GET /pets");
    assert_eq!(get.authorizer, Authorizer::Iam);
    assert_eq!(get.parameters.len(), 2);
    let integration = &get.integration;
    assert_eq!(integration.kind, IntegrationKind::Http);
    assert_eq!(integration.http_method, Some(http::Method::GET));
    assert_eq!(integration.timeout.as_millis(), 5000);
    assert_eq!(
        integration.uri.as_ref().map(|u| u.parts.clone()),
        Some(vec![
            UriPart::Literal("http://".into()),
            UriPart::StageVariable("backend".into()),
            UriPart::Literal("/pets".into()),
        ])
    );
    // `default` goes last so selection patterns are tried first.
    let keys: Vec<&str> = integration
        .responses
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(keys, ["4\\d{2}", "default"]);
    assert!(
        integration.responses[0]
            .selection
            .as_ref()
            .unwrap()
            .is_match("404")
    );
    assert!(
        !integration.responses[0]
            .selection
            .as_ref()
            .unwrap()
            .is_match("4044")
    );

    let options = pets.method(Verb::Options).expect("OPTIONS /pets");
    assert_eq!(options.authorizer, Authorizer::None);
    assert_eq!(options.integration.kind, IntegrationKind::Mock);

    let pet = api.resources[1]
        .method(Verb::Get)
        .expect("GET /pets/{petId}");
    assert_eq!(pet.integration.kind, IntegrationKind::HttpProxy);
    assert!(pet.integration.responses.is_empty());
    assert_eq!(pet.parameters[0].name, "petId");

    let any = api.resources[2].method(Verb::Any).expect("ANY /{proxy+}");
    assert_eq!(any.integration.http_method, None);

    let missing = &api.gateway_responses[&ResponseType::MissingAuthenticationToken];
    assert_eq!(missing.status, Some(404));
    assert_eq!(missing.headers[0].0.as_str(), "x-path");
    assert!(api.policy.is_some());
    assert_eq!(api.binary_media_types, ["image/png"]);
}

#[test]
fn reports_every_problem_with_its_pointer() {
    let mut doc = export();
    let get = &mut doc["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"];
    get["type"] = json!("aws");
    doc["paths"]["/pets/{petId}"]["get"]["x-amazon-apigateway-integration"]["timeoutInMillis"] =
        json!(40000);
    doc["paths"]["/bad{x}"] = json!({});
    doc["x-amazon-apigateway-gateway-responses"]["NOPE"] = json!({});
    let errs = errors(&doc);
    assert!(has_error(
        &errs,
        "/paths/~1pets/get/x-amazon-apigateway-integration/type",
        "aws (AWS service) integrations are not supported yet"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1pets~1{petId}/get/x-amazon-apigateway-integration/timeoutInMillis",
        "between 50 and 29000"
    ));
    assert!(has_error(&errs, "/paths/~1bad{x}", "whole segment"));
    assert!(has_error(
        &errs,
        "/x-amazon-apigateway-gateway-responses/NOPE",
        "unknown gateway response type"
    ));
    assert_eq!(errs.len(), 4, "{errs:#?}");
}

#[test]
fn refuses_features_not_built_yet() {
    let mut doc = export();
    doc["components"]["securitySchemes"]["pool"] = json!({
        "type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": []}
    });
    doc["components"]["securitySchemes"]["key"] =
        json!({"type": "apiKey", "name": "x-api-key", "in": "header"});
    doc["paths"]["/pets"]["get"]["security"] = json!([{"pool": []}, {"key": []}]);
    doc["paths"]["/pets"]["options"]["x-amazon-apigateway-request-validator"] = json!("all");
    let errs = errors(&doc);
    // Cognito user pool authorizers are served; their empty providerARNs is still refused.
    assert!(!has_error(
        &errs,
        "/paths/~1pets/get/security/0/pool",
        "Cognito user pool authorizers are not supported yet"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1pets/options/x-amazon-apigateway-request-validator",
        "request validation is not supported yet"
    ));
}

#[test]
fn api_keys_and_cache_keys() {
    let mut doc = export();
    doc["components"]["securitySchemes"]["api_key"] =
        json!({"type": "apiKey", "name": "x-api-key", "in": "header"});
    doc["x-amazon-apigateway-api-key-source"] = json!("AUTHORIZER");
    // AWS's export form: the key beside the authorizer, in one requirement.
    doc["paths"]["/pets"]["get"]["security"] = json!([{"sigv4": [], "api_key": []}]);
    doc["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"]["cacheKeyParameters"] =
        json!([
            "method.request.querystring.type",
            "method.request.header.Accept"
        ]);
    doc["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"]["cacheNamespace"] =
        json!("pets");
    doc["paths"]["/pets"]["options"]["x-amazon-apigateway-api-key-required"] = json!(true);
    let api = crate::import(&doc).expect("imports");
    assert_eq!(api.api_key_source, crate::ApiKeySource::Authorizer);
    let pets = api.resources.iter().find(|r| r.path == "/pets").unwrap();
    let get = pets.method(Verb::Get).unwrap();
    assert!(get.api_key_required);
    assert_eq!(get.authorizer, Authorizer::Iam);
    assert_eq!(
        get.integration.cache_key_parameters,
        vec![
            crate::CacheKeyParameter {
                location: crate::ParamLocation::Query,
                name: "type".into()
            },
            crate::CacheKeyParameter {
                location: crate::ParamLocation::Header,
                name: "Accept".into()
            },
        ]
    );
    assert_eq!(get.integration.cache_namespace.as_deref(), Some("pets"));
    assert!(pets.method(Verb::Options).unwrap().api_key_required);
    let pet = api
        .resources
        .iter()
        .find(|r| r.path == "/pets/{petId}")
        .unwrap();
    assert!(!pet.method(Verb::Get).unwrap().api_key_required);

    doc["x-amazon-apigateway-api-key-source"] = json!("QUERY");
    doc["paths"]["/pets"]["get"]["security"] = json!([{"api_key": ["read"]}]);
    doc["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"]["cacheKeyParameters"] =
        json!(["querystring.type"]);
    let errs = errors(&doc);
    assert!(has_error(
        &errs,
        "/x-amazon-apigateway-api-key-source",
        "HEADER or AUTHORIZER"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1pets/get/security/0/api_key",
        "takes no scopes"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1pets/get/x-amazon-apigateway-integration/cacheKeyParameters/0",
        "method.request.path.NAME"
    ));
}

#[test]
fn refuses_malformed_documents() {
    assert!(has_error(&errors(&json!([])), "", "must be an object"));
    assert!(has_error(
        &errors(&json!({"swagger": "2.0", "paths": {}})),
        "/swagger",
        "Swagger 2.0"
    ));
    assert!(has_error(
        &errors(&json!({"openapi": "3.0.1"})),
        "",
        "no paths"
    ));
    let doc = json!({"openapi": "3.0.1", "paths": {
        "/a/{p+}/b": {},
        "/x": {"get": {}},
        "/y": {"post": {"x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET", "uri": "ftp://x"}}},
        "/z": {"put": {"x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "nope"}}}},
        "/w": {"get": {"security": [{"missing": []}], "x-amazon-apigateway-integration": {"type": "mock", "bogus": 1}}}
    }, "x-amazon-apigateway-typo": 1});
    let errs = errors(&doc);
    assert!(has_error(
        &errs,
        "/paths/~1a~1{p+}~1b",
        "must be the last segment"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1x/get",
        "no x-amazon-apigateway-integration"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1y/post/x-amazon-apigateway-integration/uri",
        "absolute http:// or https://"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1z/put/x-amazon-apigateway-integration/requestTemplates/application~1json",
        "must be JSON"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1w/get/security/0/missing",
        "not defined"
    ));
    assert!(has_error(
        &errs,
        "/paths/~1w/get/x-amazon-apigateway-integration/bogus",
        "unknown integration property"
    ));
    assert!(has_error(
        &errs,
        "/x-amazon-apigateway-typo",
        "unknown API Gateway extension"
    ));
}

#[test]
fn uri_templates() {
    use super::integration::parse_uri;
    let t = parse_uri("https://h/{a}/x?q=${stageVariables.v}").unwrap();
    assert_eq!(
        t.parts,
        vec![
            UriPart::Literal("https://h/".into()),
            UriPart::PathParam("a".into()),
            UriPart::Literal("/x?q=".into()),
            UriPart::StageVariable("v".into()),
        ]
    );
    assert!(parse_uri("${stageVariables.url}/pets").is_ok());
    assert!(parse_uri("http://h/{a").is_err());
    assert!(parse_uri("http://h/${context.requestId}").is_err());
    assert!(parse_uri("/relative").is_err());
}

#[test]
fn x_amazon_apigateway_auth_overrides_security() {
    let mut doc = export();
    doc["paths"]["/pets"]["get"]["x-amazon-apigateway-auth"] = json!({"type": "NONE"});
    doc["paths"]["/pets/{petId}"]["get"]["x-amazon-apigateway-auth"] = json!({"type": "aws_iam"});
    let api = import(&doc).unwrap();
    assert_eq!(
        api.resources[0].method(Verb::Get).unwrap().authorizer,
        Authorizer::None
    );
    assert_eq!(
        api.resources[1].method(Verb::Get).unwrap().authorizer,
        Authorizer::Iam
    );
}

#[test]
fn global_security_applies_unless_overridden() {
    let mut doc = export();
    doc["security"] = json!([{"sigv4": []}]);
    doc["paths"]["/pets"]["options"]["security"] = json!([]);
    let api = import(&doc).unwrap();
    assert_eq!(
        api.resources[0].method(Verb::Options).unwrap().authorizer,
        Authorizer::None
    );
    assert_eq!(
        api.resources[2].method(Verb::Any).unwrap().authorizer,
        Authorizer::Iam
    );
}

proptest::proptest! {
    /// The importer never panics, whatever JSON it is given.
    #[test]
    fn import_never_panics(doc in arb_json()) {
        let _ = import(&doc);
    }
}

fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let key = prop_oneof![
        Just("openapi".to_string()),
        Just("paths".to_string()),
        Just("/p/{x}".to_string()),
        Just("/{proxy+}".to_string()),
        Just("get".to_string()),
        Just("x-amazon-apigateway-any-method".to_string()),
        Just("x-amazon-apigateway-integration".to_string()),
        Just("x-amazon-apigateway-gateway-responses".to_string()),
        Just("type".to_string()),
        Just("uri".to_string()),
        Just("httpMethod".to_string()),
        Just("responses".to_string()),
        Just("requestParameters".to_string()),
        Just("requestTemplates".to_string()),
        Just("security".to_string()),
        Just("parameters".to_string()),
        "[a-z{}+/.$']{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("3.0.1".to_string()),
            Just("http_proxy".to_string()),
            Just("mock".to_string()),
            Just("http://h/{x}".to_string()),
            Just("{\"statusCode\": 200}".to_string()),
            Just("method.request.path.x".to_string()),
            ".{0,16}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn lambda_doc(integration: serde_json::Value) -> serde_json::Value {
    json!({
        "openapi": "3.0.1",
        "paths": {"/ride": {"post": {"x-amazon-apigateway-integration": integration}}}
    })
}

const LAMBDA_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:RequestUnicorn/invocations";

#[test]
fn lambda_proxy_integrations() {
    let api = import(&lambda_doc(json!({
        "type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI,
        "responses": {"default": {"statusCode": "200"}}
    })))
    .unwrap();
    let integration = &api.resources[0].methods[0].integration;
    assert_eq!(integration.kind, IntegrationKind::AwsProxy);
    assert!(integration.responses.is_empty(), "proxy: responses ignored");
    let target = integration.function.as_ref().unwrap();
    assert!(target.is_static());
    assert_eq!(
        target.arn,
        "arn:aws:lambda:us-east-1:123456789012:function:RequestUnicorn"
    );
    let rendered = target.render(|_| None);
    let arn = FunctionArn::parse(&rendered).unwrap();
    assert_eq!(
        (arn.region, arn.account, arn.name),
        ("us-east-1", "123456789012", "RequestUnicorn")
    );
    assert!(arn.is_latest());

    // Stage variables: resolved per request.
    let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations";
    let api = import(&lambda_doc(
        json!({"type": "AWS_PROXY", "httpMethod": "post", "uri": uri}),
    ))
    .unwrap();
    let target = api.resources[0].methods[0]
        .integration
        .function
        .clone()
        .unwrap();
    assert!(!target.is_static());
    let rendered = target.render(|v| (v == "fn").then_some("Echo"));
    assert_eq!(
        rendered,
        "arn:aws:lambda:us-east-1:123456789012:function:Echo"
    );
    assert_eq!(
        target.render(|_| None),
        "arn:aws:lambda:us-east-1:123456789012:function:"
    );
    assert_eq!(FunctionArn::parse(&target.render(|_| None)), None);
}

#[test]
fn lambda_proxy_refusals() {
    let cases = [
        (
            json!({"type": "aws_proxy", "httpMethod": "GET", "uri": LAMBDA_URI}),
            "/httpMethod",
            "must be POST",
        ),
        (
            json!({"type": "aws_proxy", "uri": LAMBDA_URI}),
            "",
            "needs \"httpMethod\": \"POST\"",
        ),
        (
            json!({"type": "aws_proxy", "httpMethod": "POST", "uri": "https://example.com/x"}),
            "/uri",
            "a Lambda integration's uri must be",
        ),
        (
            json!({"type": "aws_proxy", "httpMethod": "POST"}),
            "",
            "needs a \"uri\"",
        ),
        (
            json!({"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI.replace("RequestUnicorn", "RequestUnicorn:prod")}),
            "/uri",
            "versions and aliases are not supported",
        ),
        (
            json!({"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI.replace("RequestUnicorn", "${stageVariables.a b}")}),
            "/uri",
            "only ${stageVariables.name}",
        ),
        (
            json!({"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI.replace("RequestUnicorn", "{name}")}),
            "/uri",
            "cannot hold path parameters",
        ),
        (
            json!({"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI, "requestTemplates": {"application/json": "{}"}}),
            "/requestTemplates",
            "mapping templates apply to http integrations only",
        ),
        (
            json!({"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI, "requestParameters": {"integration.request.header.x": "'a'"}}),
            "/requestParameters",
            "request parameter mappings apply to http integrations only",
        ),
    ];
    for (integration, at, message) in cases {
        let errs = errors(&lambda_doc(integration.clone()));
        let pointer = format!("/paths/~1ride/post/x-amazon-apigateway-integration{at}");
        assert!(
            has_error(&errs, &pointer, message),
            "{integration}: {errs:#?}"
        );
    }
}

#[test]
fn function_arns() {
    let ok =
        FunctionArn::parse("arn:aws:lambda:eu-west-1:111122223333:function:f:$LATEST").unwrap();
    assert!(ok.is_latest());
    assert_eq!(ok.qualifier, Some("$LATEST"));
    let alias =
        FunctionArn::parse("arn:aws:lambda:eu-west-1:111122223333:function:f:prod").unwrap();
    assert!(!alias.is_latest());
    for bad in [
        "",
        "arn:aws:lambda:eu-west-1:111122223333:function:",
        "arn:aws:lambda:eu-west-1:111122223333:layer:f",
        "arn:aws:s3:eu-west-1:111122223333:function:f",
        "arn:aws:lambda:eu-west-1:111122223333:function:f:1:2",
        "arn:aws:lambda::111122223333:function:f",
    ] {
        assert_eq!(FunctionArn::parse(bad), None, "{bad}");
    }
}
