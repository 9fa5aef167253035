//! Every form of security scheme and requirement, parsed with refusal off (the model), and the
//! default import refusing what the gateway does not serve yet.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;
use serde_json::{Value, json};

use crate::authorizer::*;
use crate::context::{ContextVar, IdentityVar};
use crate::import::{ImportError, ImportOptions, import, import_with};
use crate::model::Verb;

const UNREFUSED: ImportOptions = ImportOptions {
    refuse_unserved_authorizers: false,
};

/// `aws apigateway get-export --export-type oas30 --parameters extensions='apigateway'` of an API
/// using every REST authorizer kind.
const EXPORT: &str = include_str!("../../../tests/data/authorizers/export.json");

const TOKEN_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations";
const POOL_ARN: &str = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool";

/// A one-method document (`GET /r`) with one security scheme named `s`, named by the method's
/// security requirement with `scopes`.
fn doc(scheme: Value, scopes: Value) -> Value {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {"/r": {"get": {
            "security": [{"s": scopes}],
            "x-amazon-apigateway-integration": {"type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}
        }}},
        "components": {"securitySchemes": {"s": scheme}}
    })
}

fn lambda_scheme(authorizer: Value) -> Value {
    json!({"type": "apiKey", "name": "Authorization", "in": "header",
           "x-amazon-apigateway-authtype": "custom",
           "x-amazon-apigateway-authorizer": authorizer})
}

/// The authorizer of `GET /r`, parsed without refusal.
fn authorizer_of(doc: &Value) -> Authorizer {
    let api = import_with(doc, UNREFUSED).unwrap_or_else(|e| panic!("imports: {e:#?}"));
    api.resources[0]
        .method(Verb::Get)
        .expect("GET /r")
        .authorizer
        .clone()
}

fn errors_of(doc: &Value) -> Vec<ImportError> {
    import_with(doc, UNREFUSED).expect_err("the document is refused")
}

#[track_caller]
fn assert_error(errors: &[ImportError], pointer: &str, needle: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.pointer == pointer && e.message.contains(needle)),
        "no {needle:?} at {pointer}: {errors:#?}"
    );
}

const SCHEME: &str = "/components/securitySchemes/s";
const AUTHORIZER: &str = "/components/securitySchemes/s/x-amazon-apigateway-authorizer";
const REQUIREMENT: &str = "/paths/~1r/get/security/0/s";

fn remove_security(doc: &mut Value) {
    if let Some(op) = doc["paths"]["/r"]["get"].as_object_mut() {
        op.remove("security");
    }
}

fn header(name: &'static str) -> IdentitySource {
    IdentitySource::Header(HeaderName::from_static(name))
}

#[test]
fn token_authorizer() {
    let scheme = json!({"type": "apiKey", "name": "X-Token", "in": "header",
    // Free-form for Lambda authorizers, as in AWS's own example.
    "x-amazon-apigateway-authtype": "oauth2",
    "x-amazon-apigateway-authorizer": {
        "type": "TOKEN", "authorizerUri": TOKEN_URI,
        "authorizerCredentials": "arn:aws:iam::123456789012:role/invoker",
        "identityValidationExpression": "^x-[a-z]+",
        "authorizerResultTtlInSeconds": "60"
    }});
    let Authorizer::Lambda(a) = authorizer_of(&doc(scheme, json!([]))) else {
        panic!("a Lambda authorizer");
    };
    assert_eq!(a.name, "s");
    assert_eq!(a.kind, LambdaKind::Token);
    assert_eq!(
        a.function_arn,
        "arn:aws:lambda:us-east-1:123456789012:function:auth"
    );
    assert_eq!(a.authorizer_uri, TOKEN_URI);
    assert_eq!(
        a.credentials.as_deref(),
        Some("arn:aws:iam::123456789012:role/invoker")
    );
    // No identitySource: the header the scheme names.
    assert_eq!(a.identity_sources, [header("x-token")]);
    assert_eq!(a.result_ttl, Duration::from_secs(60));
    let re = a.validation_expression.as_ref().expect("a regex");
    assert!(re.is_match("x-abc"));
    // Anchored at both ends: the whole token must match.
    assert!(!re.is_match("x-abc1"));
}

#[test]
fn token_authorizer_defaults() {
    let scheme = json!({"type": "apiKey", "name": "ignored", "in": "query",
        "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": TOKEN_URI}});
    let Authorizer::Lambda(a) = authorizer_of(&doc(scheme, json!([]))) else {
        panic!("a Lambda authorizer");
    };
    assert_eq!(a.identity_sources, [header("authorization")]);
    assert_eq!(a.result_ttl, Duration::from_secs(300));
    assert!(a.credentials.is_none() && a.validation_expression.is_none());

    let explicit = lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI,
        "identitySource": "method.request.header.Auth"}));
    let Authorizer::Lambda(a) = authorizer_of(&doc(explicit, json!([]))) else {
        panic!("a Lambda authorizer");
    };
    assert_eq!(a.identity_sources, [header("auth")]);
}

#[test]
fn token_authorizer_reads_one_header() {
    for source in [
        "method.request.querystring.token",
        "method.request.header.A, method.request.header.B",
    ] {
        let scheme = lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI,
            "identitySource": source}));
        assert_error(
            &errors_of(&doc(scheme, json!([]))),
            &format!("{AUTHORIZER}/identitySource"),
            "exactly one header",
        );
    }
}

#[test]
fn request_authorizer_with_several_sources() {
    let scheme = json!({"type": "apiKey", "name": "Unused", "in": "header",
    "x-amazon-apigateway-authtype": "CUSTOM",
    "x-amazon-apigateway-authorizer": {
        "type": "request", "authorizerUri": TOKEN_URI,
        "identitySource": "method.request.header.HeaderAuth1, method.request.querystring.QueryString1,stageVariables.stage, context.identity.sourceIp",
        "authorizerResultTtlInSeconds": 3600
    }});
    let Authorizer::Lambda(a) = authorizer_of(&doc(scheme, json!([]))) else {
        panic!("a Lambda authorizer");
    };
    assert_eq!(a.kind, LambdaKind::Request);
    assert_eq!(
        a.identity_sources,
        [
            header("headerauth1"),
            IdentitySource::Query("QueryString1".into()),
            IdentitySource::StageVariable("stage".into()),
            IdentitySource::Context(ContextVar::Identity(IdentityVar::SourceIp)),
        ]
    );
    assert_eq!(a.result_ttl, Duration::from_secs(3600));
    assert_eq!(Authorizer::Lambda(a).auth_type(), AuthType::Custom);
}

#[test]
fn request_authorizer_needs_sources_only_when_caching() {
    let uncached = lambda_scheme(json!({"type": "request", "authorizerUri": TOKEN_URI,
        "authorizerResultTtlInSeconds": 0}));
    let Authorizer::Lambda(a) = authorizer_of(&doc(uncached, json!([]))) else {
        panic!("a Lambda authorizer");
    };
    assert!(a.identity_sources.is_empty());
    assert_eq!(a.result_ttl, Duration::ZERO);

    let cached = lambda_scheme(json!({"type": "request", "authorizerUri": TOKEN_URI}));
    assert_error(
        &errors_of(&doc(cached, json!([]))),
        AUTHORIZER,
        "needs an identitySource",
    );
}

#[test]
fn cognito_user_pool_with_scopes() {
    let scheme = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "COGNITO_USER_POOLS",
        "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [POOL_ARN]}});
    let authorizer = authorizer_of(&doc(scheme, json!(["email", "pets/write"])));
    assert_eq!(authorizer.auth_type(), AuthType::CognitoUserPools);
    assert_eq!(authorizer.scopes(), ["email", "pets/write"]);
    assert_eq!(authorizer.name(), Some("s"));
    let Authorizer::CognitoUserPools { authorizer, .. } = authorizer else {
        panic!("a Cognito authorizer");
    };
    assert_eq!(
        *authorizer,
        CognitoAuthorizer {
            name: "s".into(),
            provider_arns: vec![POOL_ARN.into()],
            identity_source: header("authorization"),
        }
    );
}

#[test]
fn cognito_refuses_bad_provider_arns() {
    for arns in [json!([]), json!(["arn:aws:iam::1:role/x"]), json!("x")] {
        let scheme = json!({"type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": arns}});
        let errors = errors_of(&doc(scheme, json!([])));
        assert!(
            errors
                .iter()
                .any(|e| e.pointer.starts_with(&format!("{AUTHORIZER}/providerARNs"))),
            "{errors:#?}"
        );
    }
}

#[test]
fn jwt_authorizer() {
    let scheme = json!({"type": "oauth2", "x-amazon-apigateway-authorizer": {
        "type": "jwt",
        "jwtConfiguration": {"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool",
                             "audience": ["a1", "a2"]},
        "identitySource": "$request.header.Authorization"
    }});
    let authorizer = authorizer_of(&doc(scheme, json!(["read"])));
    assert_eq!(authorizer.auth_type(), AuthType::Jwt);
    assert_eq!(authorizer.scopes(), ["read"]);
    let Authorizer::Jwt { authorizer, .. } = authorizer else {
        panic!("a JWT authorizer");
    };
    assert_eq!(
        *authorizer,
        JwtAuthorizer {
            name: "s".into(),
            issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool".into(),
            audiences: vec!["a1".into(), "a2".into()],
            identity_source: header("authorization"),
        }
    );
}

#[test]
fn jwt_issuer_from_open_id_connect_url_and_query_source() {
    let scheme = json!({"type": "openIdConnect",
        "openIdConnectUrl": "https://issuer.example.com/pool/.well-known/openid-configuration",
        "x-amazon-apigateway-authorizer": {"type": "jwt",
            "jwtConfiguration": {"audience": ["a"]},
            "identitySource": "$request.querystring.access_token"}});
    let Authorizer::Jwt { authorizer, scopes } = authorizer_of(&doc(scheme, json!([]))) else {
        panic!("a JWT authorizer");
    };
    assert_eq!(authorizer.issuer, "https://issuer.example.com/pool");
    assert_eq!(
        authorizer.identity_source,
        IdentitySource::Query("access_token".into())
    );
    assert!(scopes.is_empty());
}

#[test]
fn jwt_refuses_rest_syntax_and_missing_audience() {
    let scheme = json!({"type": "oauth2", "x-amazon-apigateway-authorizer": {"type": "jwt",
        "jwtConfiguration": {"issuer": "https://i.example.com"},
        "identitySource": "method.request.header.Authorization"}});
    let errors = errors_of(&doc(scheme, json!([])));
    assert_error(
        &errors,
        &format!("{AUTHORIZER}/jwtConfiguration/audience"),
        "audiences",
    );
    let scheme = json!({"type": "oauth2", "x-amazon-apigateway-authorizer": {"type": "jwt",
        "jwtConfiguration": {"issuer": "https://i.example.com", "audience": ["a"]},
        "identitySource": "method.request.header.Authorization"}});
    assert_error(
        &errors_of(&doc(scheme, json!([]))),
        &format!("{AUTHORIZER}/identitySource"),
        "expected $request.header.NAME",
    );
}

#[test]
fn aws_sigv4_in_any_case() {
    for authtype in ["awsSigv4", "AWSSIGV4", "awssigv4"] {
        let scheme = json!({"type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": authtype});
        assert_eq!(authorizer_of(&doc(scheme, json!([]))), Authorizer::Iam);
    }
}

#[test]
fn none_forms() {
    // No security at all, an empty requirement list, an ignored (non-API Gateway) scheme, and
    // `x-amazon-apigateway-auth: NONE` overriding a Lambda authorizer.
    let lambda = lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI}));
    let mut no_security = doc(lambda.clone(), json!([]));
    remove_security(&mut no_security);
    let mut empty = doc(lambda.clone(), json!([]));
    empty["paths"]["/r"]["get"]["security"] = json!([]);
    let ignored = doc(json!({"type": "http", "scheme": "bearer"}), json!(["x"]));
    let mut overridden = doc(lambda, json!([]));
    overridden["paths"]["/r"]["get"]["x-amazon-apigateway-auth"] = json!({"type": "none"});
    for d in [no_security, empty, ignored, overridden] {
        assert_eq!(authorizer_of(&d), Authorizer::None, "{d:#}");
    }
}

#[test]
fn bad_ttl() {
    for ttl in [json!(3601), json!(-1), json!("soon"), json!(1.5)] {
        let scheme = lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI,
            "authorizerResultTtlInSeconds": ttl}));
        assert_error(
            &errors_of(&doc(scheme, json!([]))),
            &format!("{AUTHORIZER}/authorizerResultTtlInSeconds"),
            "between 0 and 3600",
        );
    }
}

#[test]
fn bad_authorizer_uri() {
    for uri in [
        "arn:aws:lambda:us-east-1:123456789012:function:auth",
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/auth/invocations",
        "arn:aws:apigateway:us-east-1:s3:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations",
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f",
        "https://example.com/auth",
    ] {
        let scheme = lambda_scheme(json!({"type": "request", "authorizerUri": uri,
            "authorizerResultTtlInSeconds": 0}));
        assert_error(
            &errors_of(&doc(scheme, json!([]))),
            &format!("{AUTHORIZER}/authorizerUri"),
            "authorizerUri must be",
        );
    }
    let missing = lambda_scheme(json!({"type": "token"}));
    assert_error(
        &errors_of(&doc(missing, json!([]))),
        AUTHORIZER,
        "needs an authorizerUri",
    );
}

#[test]
fn function_arn_keeps_qualifiers_and_stage_variables() {
    use super::function_arn;
    let uri = "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:${stageVariables.fn}:live/invocations";
    assert_eq!(
        function_arn(uri),
        Some("arn:aws-cn:lambda:cn-north-1:123456789012:function:${stageVariables.fn}:live")
    );
}

#[test]
fn unknown_type_and_properties() {
    let scheme = lambda_scheme(json!({"type": "saml", "authorizerUri": TOKEN_URI}));
    assert_error(
        &errors_of(&doc(scheme, json!([]))),
        &format!("{AUTHORIZER}/type"),
        "unknown authorizer type \"saml\"",
    );
    let scheme = lambda_scheme(json!({"type": "request", "authorizerUri": TOKEN_URI,
        "authorizerResultTtlInSeconds": 0, "identityValidationExpression": ".*",
        "enableSimpleResponses": true, "bogus": 1}));
    let errors = errors_of(&doc(scheme, json!([])));
    assert_error(
        &errors,
        &format!("{AUTHORIZER}/identityValidationExpression"),
        "does not apply to request authorizers",
    );
    assert_error(
        &errors,
        &format!("{AUTHORIZER}/enableSimpleResponses"),
        "HTTP API Lambda authorizers",
    );
    assert_error(
        &errors,
        &format!("{AUTHORIZER}/bogus"),
        "unknown authorizer property",
    );
    let unknown_authtype = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "kerberos"});
    assert_error(
        &errors_of(&doc(unknown_authtype, json!([]))),
        &format!("{SCHEME}/x-amazon-apigateway-authtype"),
        "unknown authtype",
    );
}

#[test]
fn mismatched_authtype() {
    let scheme = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": TOKEN_URI}});
    assert_error(
        &errors_of(&doc(scheme, json!([]))),
        &format!("{SCHEME}/x-amazon-apigateway-authtype"),
        "does not match",
    );
    let sigv4_with_authorizer = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "awsSigv4",
        "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": TOKEN_URI}});
    assert_error(
        &errors_of(&doc(sigv4_with_authorizer, json!([]))),
        AUTHORIZER,
        "takes no x-amazon-apigateway-authorizer",
    );
}

#[test]
fn bad_regex() {
    let scheme = lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI,
        "identityValidationExpression": "Bearer (unclosed"}));
    assert_error(
        &errors_of(&doc(scheme, json!([]))),
        &format!("{AUTHORIZER}/identityValidationExpression"),
        "invalid identityValidationExpression",
    );
}

#[test]
fn scopes_only_on_cognito_and_jwt() {
    let iam = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "awsSigv4"});
    assert_error(
        &errors_of(&doc(iam, json!(["admin"]))),
        REQUIREMENT,
        "scopes apply only to Cognito user pool and JWT authorizers, not AWS_IAM",
    );
    let lambda = lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI}));
    assert_error(
        &errors_of(&doc(lambda, json!(["admin"]))),
        REQUIREMENT,
        "not CUSTOM",
    );
    let iam = json!({"x-amazon-apigateway-authtype": "awsSigv4"});
    assert_error(
        &errors_of(&doc(iam, json!("admin"))),
        REQUIREMENT,
        "must be a list of scope names",
    );
}

#[test]
fn one_authorizer_per_method() {
    let mut d = doc(
        lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI})),
        json!([]),
    );
    d["components"]["securitySchemes"]["iam"] = json!({"x-amazon-apigateway-authtype": "awsSigv4"});
    d["components"]["securitySchemes"]["iam2"] =
        json!({"x-amazon-apigateway-authtype": "awsSigv4"});
    d["paths"]["/r"]["get"]["security"] = json!([{"s": []}, {"iam": []}]);
    assert_error(
        &errors_of(&d),
        "/paths/~1r/get/security/1/iam",
        "one authorizer",
    );
    // Two awsSigv4 schemes are the same AWS_IAM.
    d["paths"]["/r"]["get"]["security"] = json!([{"iam": []}, {"iam2": []}]);
    assert_eq!(authorizer_of(&d), Authorizer::Iam);
}

#[test]
fn alternative_requirements_merge_scopes() {
    let pool = json!({"x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [POOL_ARN]}});
    let mut d = doc(pool, json!(["a"]));
    d["paths"]["/r"]["get"]["security"] = json!([{"s": ["a", "b"]}, {"s": ["c", "a"]}]);
    assert_eq!(authorizer_of(&d).scopes(), ["a", "b", "c"]);
}

#[test]
fn methods_share_one_authorizer() {
    let mut doc: Value = serde_json::from_str(EXPORT).expect("JSON");
    doc["paths"]["/pets/{petId}"]["put"] = doc["paths"]["/pets/{petId}"]["get"].clone();
    let api = import_with(&doc, UNREFUSED).expect("imports");
    let pet = api
        .resources
        .iter()
        .find(|r| r.path == "/pets/{petId}")
        .expect("resource");
    let (Some(get), Some(put)) = (pet.method(Verb::Get), pet.method(Verb::Put)) else {
        panic!("GET and PUT");
    };
    let (Authorizer::Lambda(a), Authorizer::Lambda(b)) = (&get.authorizer, &put.authorizer) else {
        panic!("Lambda authorizers");
    };
    assert!(Arc::ptr_eq(a, b));
}

#[test]
fn imports_an_export_with_every_rest_authorizer() {
    let api =
        import_with(&serde_json::from_str(EXPORT).expect("JSON"), UNREFUSED).expect("imports");
    let method = |path: &str, verb| {
        api.resources
            .iter()
            .find(|r| r.path == path)
            .and_then(|r| r.method(verb))
            .map(|m| m.authorizer.clone())
            .unwrap_or_else(|| panic!("{verb} {path}"))
    };
    assert_eq!(method("/health", Verb::Get), Authorizer::None);
    assert_eq!(method("/pets", Verb::Get), Authorizer::Iam);

    let pool = method("/pets", Verb::Post);
    assert_eq!(pool.scopes(), ["email", "pets.example.com/pets.write"]);
    let Authorizer::CognitoUserPools { authorizer, .. } = pool else {
        panic!("Cognito");
    };
    assert_eq!(
        authorizer.provider_arns,
        ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"]
    );

    let Authorizer::Lambda(token) = method("/pets/{petId}", Verb::Get) else {
        panic!("token");
    };
    assert_eq!(token.name, "TokenAuth");
    assert_eq!(token.kind, LambdaKind::Token);
    assert_eq!(
        token.function_arn,
        "arn:aws:lambda:eu-west-1:123456789012:function:pet-token-authorizer:live"
    );
    assert_eq!(token.identity_sources, [header("authorization")]);
    assert!(
        token
            .validation_expression
            .as_ref()
            .is_some_and(|re| re.is_match("Bearer abc.def"))
    );

    let Authorizer::Lambda(request) = method("/pets/{petId}", Verb::Delete) else {
        panic!("request");
    };
    assert_eq!(request.kind, LambdaKind::Request);
    assert_eq!(request.result_ttl, Duration::ZERO);
    assert_eq!(request.credentials, None);
    assert_eq!(
        request.identity_sources,
        [
            header("x-pet-owner"),
            IdentitySource::Query("owner".into()),
            IdentitySource::Context(ContextVar::Identity(IdentityVar::SourceIp)),
        ]
    );
}

#[test]
fn default_import_serves_every_kind() {
    // Cognito user pool, Lambda and JWT authorizers are served: the export imports whole.
    import(&serde_json::from_str(EXPORT).expect("JSON")).expect("served kinds import");

    let jwt = json!({"type": "oauth2", "x-amazon-apigateway-authorizer": {"type": "jwt",
        "jwtConfiguration": {"issuer": "https://i.example.com", "audience": ["a"]}}});
    let api = import(&doc(jwt.clone(), json!([]))).expect("JWT authorizers import");
    assert!(api.resources.iter().any(|r| {
        r.methods
            .iter()
            .any(|m| m.authorizer.auth_type() == AuthType::Jwt)
    }));
    let mut d = doc(jwt, json!([]));
    remove_security(&mut d);
    d["security"] = json!([{"s": []}]);
    assert!(import(&d).is_ok());
}

#[test]
fn served_kinds_import() {
    // Served kinds are not refused, and a broken scheme of a served kind reports only its own
    // problem.
    let iam = json!({"x-amazon-apigateway-authtype": "awsSigv4"});
    assert!(import(&doc(iam, json!([]))).is_ok());
    let lambda = lambda_scheme(json!({"type": "token", "authorizerUri": TOKEN_URI}));
    assert!(import(&doc(lambda, json!([]))).is_ok());
    let broken = json!({"x-amazon-apigateway-authtype": "custom"});
    let errors = import(&doc(broken, json!([]))).expect_err("refused");
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn jwt_issuer_over_http_only_on_loopback() {
    let with = |issuer: &str| {
        json!({"type": "oauth2", "x-amazon-apigateway-authorizer": {"type": "jwt",
            "jwtConfiguration": {"issuer": issuer, "audience": ["a"]}}})
    };
    for ok in [
        "http://127.0.0.1:8080/pool",
        "http://localhost:9",
        "http://[::1]:9/x",
        "https://i.example.com",
    ] {
        assert!(import(&doc(with(ok), json!([]))).is_ok(), "{ok}");
    }
    for refused in [
        "http://i.example.com",
        "http://127.0.0.1.example.com/",
        "http://localhost@evil.example.com/",
        "http://10.0.0.1/",
        "ftp://localhost/",
        "https://",
    ] {
        assert!(import(&doc(with(refused), json!([]))).is_err(), "{refused}");
    }
}
