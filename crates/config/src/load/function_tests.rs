use super::tests::{messages, setup};
use super::*;

/// The `functions` section of the Lambda issue, verbatim: it must load as written.
const ISSUE_FUNCTIONS: &str = r#"
functions:
  - name: RequestUnicorn
    command: ["target/release/request-unicorn"]       # relative to the config file's folder
    timeout: 3
    memory_size: 128
    reserved_concurrency: 4
    environment: {TABLE_NAME: Rides}
  - name: TokenAuthorizer
    command: ["python3", "-m", "awslambdaric", "authorizer.handler"]
    working_dir: functions/authorizer
"#;

#[test]
fn the_issue_functions_load_as_written() {
    let (dir, path) = setup(ISSUE_FUNCTIONS);
    std::fs::create_dir_all(dir.path().join("functions/authorizer")).unwrap();
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    let [unicorn, authorizer] = config.functions.as_slice() else {
        panic!("{:?}", config.functions)
    };
    assert_eq!(unicorn.name, "RequestUnicorn");
    assert_eq!(unicorn.reserved_concurrency, Some(4));
    assert_eq!(unicorn.environment["TABLE_NAME"], "Rides");
    let valid = authorizer.validate(config.dir()).unwrap();
    assert_eq!(valid.working_dir, dir.path().join("functions/authorizer"));
    assert_eq!(valid.timeout_secs, 3);
    assert_eq!(config.dir(), dir.path());
}

#[test]
fn function_mistakes_are_reported_at_their_field() {
    let (_dir, path) = setup(
        r#"
functions:
  - {name: "bad name", command: [x]}
  - {name: slow, command: [x], timeout: 901}
  - {name: twice, command: [x]}
  - {name: twice, command: [x]}
  - {name: env, command: [x], environment: {AWS_REGION: eu-west-1}}
  - {name: nowhere, runtime: python3.13, handler: app.handler, code: missing}
  - {name: typo, command: [x], timeuot: 3}
  - {name: greedy, command: [x], reserved_concurrency: 40}
"#,
    );
    let all = messages(&load(&path).unwrap_err()).join("\n");
    for (pointer, message) in [
        ("/functions/0/name", "must be 1 to 64 characters"),
        ("/functions/1/timeout", "901 is outside 1..=900"),
        ("/functions/3/name", "\"twice\" is defined twice"),
        (
            "/functions/4/environment",
            "\"AWS_REGION\" is reserved by Lambda",
        ),
        ("/functions/5/code", "is not a directory"),
        ("/functions/6/timeuot", "unknown field `timeuot`"),
        ("/functions", "reserve 40 environments"),
    ] {
        assert!(
            all.lines()
                .any(|l| l.contains(message) && l.ends_with(&format!("(at {pointer})"))),
            "{pointer}: {message} missing in\n{all}"
        );
    }
}

/// An OpenAPI document with one TOKEN authorizer invoking `arn`.
fn authorizer_api(arn: &str) -> String {
    format!(
        r#"openapi: 3.0.1
info: {{title: t, version: "1"}}
components:
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
paths:
  /r:
    get:
      security: [{{tok: []}}]
      x-amazon-apigateway-integration: {{type: mock}}
"#
    )
}

const AUTHORIZER_CONFIG: &str = r#"
account_id: "123456789012"
functions:
  - {name: auth, command: [x]}
apis:
  - id: api0000001
    openapi: api.yaml
    stages:
      prod: {variables: {fn: auth}}
      dev: {variables: {fn: missing}}
"#;

#[test]
fn lambda_authorizers_name_configured_functions_on_every_stage() {
    let (dir, path) = setup(AUTHORIZER_CONFIG);
    let pointer = "/components/securitySchemes/tok/x-amazon-apigateway-authorizer/authorizerUri";
    let cases = [
        (
            "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}",
            "stage \"dev\": arn:aws:lambda:us-east-1:123456789012:function:missing names function \"missing\", which is not one of this configuration's functions",
        ),
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:auth",
            "is not in this configuration's region and account",
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:auth:live",
            "functions run as $LATEST only",
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.nope}",
            "does not resolve to a function ARN with this stage's variables",
        ),
    ];
    for (arn, message) in cases {
        std::fs::write(dir.path().join("api.yaml"), authorizer_api(arn)).unwrap();
        let all = messages(&load(&path).unwrap_err()).join("\n");
        assert!(
            all.lines().any(|l| l.contains("Lambda authorizer \"tok\"")
                && l.contains(message)
                && l.contains("api.yaml")
                && l.ends_with(&format!("(at {pointer})"))),
            "{arn}: {message} missing in\n{all}"
        );
    }
    // Resolving on every stage, to a configured function: loads.
    std::fs::write(
        dir.path().join("api.yaml"),
        authorizer_api("arn:aws:lambda:us-east-1:123456789012:function:auth:$LATEST"),
    )
    .unwrap();
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(config.apis.len(), 1);
}

#[test]
fn lambda_integrations_name_configured_functions() {
    let config = r#"region: us-east-1
account_id: "123456789012"
functions:
  - {name: RequestUnicorn, command: [x]}
apis:
  - id: rides
    openapi: rides.yaml
    stages: {prod: {}}
"#;
    let (dir, path) = setup(config);
    let uri = |region: &str, name: &str| {
        format!(
            "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:123456789012:function:{name}/invocations"
        )
    };
    let doc = format!(
        "openapi: 3.0.1\npaths:\n  /ride:\n    post:\n      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: \"{}\"}}\n  /other:\n    post:\n      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: \"{}\"}}\n  /away:\n    post:\n      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: \"{}\"}}\n  /staged:\n    post:\n      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: \"{}\"}}\n",
        uri("us-east-1", "RequestUnicorn"),
        uri("us-east-1", "Missing"),
        uri("eu-west-1", "RequestUnicorn"),
        uri("us-east-1", "${stageVariables.fn}"),
    );
    std::fs::write(dir.path().join("rides.yaml"), doc).unwrap();
    let report = load(&path).unwrap_err();
    let all = messages(&report);
    assert_eq!(all.len(), 2, "{all:#?}");
    let missing = report
        .diagnostics
        .iter()
        .find(|d| d.message.contains("function:Missing"))
        .unwrap();
    assert!(missing.file.ends_with("rides.yaml"));
    assert_eq!(missing.position.map(|p| p.line), Some(8));
    assert_eq!(
        missing.pointer.as_deref(),
        Some("/paths/~1other/post/x-amazon-apigateway-integration/uri")
    );
    assert!(
        missing
            .message
            .contains("function:Missing names function \"Missing\", which is not one of this configuration's functions"),
        "{missing}"
    );
    assert!(
        all.iter()
            .any(|m| m.contains("eu-west-1:123456789012:function:RequestUnicorn")),
        "{all:#?}"
    );
}
