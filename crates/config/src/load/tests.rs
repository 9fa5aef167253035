use std::fs;
use std::path::Path;

use super::*;

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: Pets, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/pets"
  /pets/{petId}:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
"#;

/// The configuration from the foundation issue, verbatim: it must load as written.
const ISSUE_CONFIG: &str = r#"region: us-east-1
account_id: "123456789012"
listen: 127.0.0.1:8080
admin_listen: 127.0.0.1:8081
storage: sqlite://portcullis.db          # relative paths are relative to this file
apis:
  - id: petstore01
    openapi: petstore.openapi.yaml        # OpenAPI 3.0, YAML or JSON, AWS extensions
    stages:
      prod:
        variables: {backend: "http://127.0.0.1:9000"}
        access_log: {destination: stdout, format: '{"requestId":"$context.requestId","status":"$context.status"}'}
        method_settings:                   # AWS's methodSettings, keyed "resourcePath/METHOD" or "*/*"
          "*/*": {logging_level: INFO}
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

pub(super) fn setup(config: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "petstore.openapi.yaml", OPENAPI);
    let path = write(dir.path(), "portcullis.yaml", config);
    (dir, path)
}

pub(super) fn messages(report: &Report) -> Vec<String> {
    report.diagnostics.iter().map(ToString::to_string).collect()
}

#[test]
fn the_issue_config_loads_as_written() {
    let (dir, path) = setup(ISSUE_CONFIG);
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(config.region, "us-east-1");
    assert_eq!(config.account_id, "123456789012");
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(
        config.storage,
        Storage::Sqlite(dir.path().join("portcullis.db"))
    );
    let api = &config.apis[0];
    assert_eq!(api.id, "petstore01");
    assert_eq!(api.api.resources.len(), 2);
    let stage = &api.stages[0];
    assert_eq!(stage.name, "prod");
    assert_eq!(stage.variables["backend"], "http://127.0.0.1:9000");
    let log = stage.access_log.as_ref().unwrap();
    assert_eq!(log.destination, LogDestination::Stdout);
    assert_eq!(stage.logging_level("/pets", Verb::Get), LoggingLevel::Info);
}

#[test]
fn defaults() {
    let (dir, path) = setup("");
    let config = load(&path).unwrap();
    assert_eq!(config.region, "us-east-1");
    assert_eq!(config.account_id, "000000000000");
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.admin_listen.to_string(), "127.0.0.1:8081");
    assert_eq!(
        config.storage,
        Storage::Sqlite(dir.path().join("portcullis.db"))
    );
    assert_eq!(config.server, ServerSettings::default());
    assert!(config.apis.is_empty());
}

#[test]
fn body_deadline_and_unsigned_payload_settings() {
    let (_dir, path) = setup("server: {body_read_timeout: 750ms, allow_unsigned_payload: true}\n");
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        config.server.body_read_timeout,
        std::time::Duration::from_millis(750)
    );
    assert!(config.server.allow_unsigned_payload);
    assert_eq!(
        ServerSettings::default().body_read_timeout,
        std::time::Duration::from_secs(10)
    );
    assert!(!ServerSettings::default().allow_unsigned_payload);

    // No deadline is not a setting: refused by name.
    let (_dir, path) = setup("server: {body_read_timeout: 0s}\n");
    let report = load(&path).unwrap_err();
    let all = messages(&report).join("\n");
    assert!(all.contains("/server/body_read_timeout"), "{all}");
    assert!(
        all.contains("body_read_timeout must be more than zero"),
        "{all}"
    );
}

#[test]
fn overrides_win() {
    let (_dir, path) = setup(ISSUE_CONFIG);
    let config = load_with(
        &path,
        &Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            admin_listen: Some("127.0.0.1:1".parse().unwrap()),
            storage: Some("sqlite::memory:".into()),
        },
    )
    .unwrap();
    assert_eq!(config.listen.port(), 0);
    assert_eq!(config.admin_listen.port(), 1);
    assert_eq!(config.storage, Storage::SqliteMemory);
}

#[test]
fn reports_every_problem_with_line_numbers() {
    let config = r#"region: mars
account_id: 000000000000
listn: 127.0.0.1:1
apis:
  - id: Petstore
    openapi: petstore.openapi.yaml
    stages:
      prod:
        variables: {other: x}
        access_log: {destinaton: stdout}
  - id: ok
    openapi: missing.yaml
    stages: {dev: {}}
"#;
    let (_dir, path) = setup(config);
    let report = load(&path).unwrap_err();
    let text = messages(&report);
    let has = |line: u32, needle: &str| {
        report
            .diagnostics
            .iter()
            .any(|d| d.position.map(|p| p.line) == Some(line) && d.message.contains(needle))
    };
    assert!(has(1, "not a region name"), "{text:#?}");
    assert!(has(2, "quoted 12-digit string"), "{text:#?}");
    assert!(has(3, "unknown setting \"listn\""), "{text:#?}");
    assert!(has(5, "not a valid API id"), "{text:#?}");
    assert!(has(10, "unknown field `destinaton`"), "{text:#?}");
    assert!(
        has(9, "does not define the stage variable \"backend\""),
        "{text:#?}"
    );
    assert!(has(12, "cannot read"), "{text:#?}");
    assert_eq!(report.len(), 7, "{text:#?}");
}

#[test]
fn stage_problems() {
    let config = r#"apis:
  - id: petstore01
    openapi: petstore.openapi.yaml
    stages:
      prod:
        variables: {"bad-name": "x", backend: "has space"}
        access_log: {destination: stdout, format: '{"status":"$context.status"}'}
        method_settings:
          "/nope/GET": {logging_level: INFO}
          "/pets/POST": {logging_level: INFO}
          "GET": {logging_level: INFO}
          "*/*": {logging_level: LOUD}
      beta: {}
"#;
    let (_dir, path) = setup(config);
    let report = load(&path).unwrap_err();
    let text = messages(&report).join("\n");
    for needle in [
        "stage variable name \"bad-name\"",
        "characters API Gateway does not allow",
        "must include $context.requestId",
        "the API has no resource \"/nope\"",
        "resource \"/pets\" has no POST method",
        "keyed \"resourcePath/METHOD\"",
        "unknown variant `LOUD`",
        "stage \"beta\" does not define the stage variable \"backend\"",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn openapi_problems_point_into_the_document() {
    let (dir, path) = setup(ISSUE_CONFIG);
    write(
        dir.path(),
        "petstore.openapi.yaml",
        "openapi: 3.0.1\npaths:\n  /a/{x}:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws\n  /a/{y}/b:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n",
    );
    let report = load(&path).unwrap_err();
    let d = &report.diagnostics[0];
    assert!(d.file.ends_with("petstore.openapi.yaml"));
    assert_eq!(d.position.map(|p| p.line), Some(6));
    assert_eq!(
        d.pointer.as_deref(),
        Some("/paths/~1a~1{x}/get/x-amazon-apigateway-integration/type")
    );
    assert!(d.message.contains("aws (AWS service)"), "{d}");
}

#[test]
fn route_conflicts_are_reported() {
    let (dir, path) = setup(ISSUE_CONFIG);
    write(
        dir.path(),
        "petstore.openapi.yaml",
        "openapi: 3.0.1\npaths:\n  /a/{x}:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n  /a/{y}/b:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n",
    );
    let report = load(&path).unwrap_err();
    assert!(
        messages(&report).join("\n").contains("conflicts"),
        "{report}"
    );
}

#[test]
fn yaml_syntax_errors_have_a_line() {
    let (_dir, path) = setup("apis: [\n  {id: x\n");
    let report = load(&path).unwrap_err();
    assert_eq!(report.len(), 1);
    assert!(report.diagnostics[0].position.is_some(), "{report}");
}

#[test]
fn storage_urls() {
    assert_eq!(parse_storage("sqlite::memory:"), Ok(Storage::SqliteMemory));
    assert_eq!(
        parse_storage("sqlite:///abs/x.db"),
        Ok(Storage::Sqlite("/abs/x.db".into()))
    );
    assert!(
        parse_storage("postgres://x")
            .unwrap_err()
            .contains("not supported yet")
    );
    assert!(parse_storage("sqlite://").is_err());
    assert!(parse_storage("mysql://x").is_err());
}

#[test]
fn report_display_names_file_line_and_pointer() {
    let (_dir, path) = setup("region: 5\n");
    let report = load(&path).unwrap_err();
    let line = report.diagnostics[0].to_string();
    assert!(line.contains("portcullis.yaml:1:"), "{line}");
    assert!(line.ends_with("(at /region)"), "{line}");
    assert!(report.to_string().ends_with("1 problem"));
}

/// The `iam:` section from the IAM issue, verbatim: it must load as written.
const ISSUE_IAM: &str = r#"
iam:
  accounts: ["123456789012", "210987654321"]   # the gateway's own account_id is always included
  policies:
    InvokeAll: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}]}
    ReadOnly: policies/read-only.json
  users:
    - name: demo
      account: "123456789012"                   # default: the gateway's account_id
      access_keys: [{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}]
      policies: [InvokeAll]
      tags: {team: rides}
  roles:
    - name: Reader
      trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::123456789012:root"}, Action: "sts:AssumeRole"}]}
      policies: [ReadOnly]
"#;

const READ_ONLY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadPets", "Effect": "Allow", "Action": "execute-api:Invoke",
     "Resource": "arn:aws:execute-api:*:*:*/*/GET/*"}
  ]
}
"#;

#[test]
fn the_issue_iam_section_loads_as_written() {
    let (dir, path) = setup(&format!("{ISSUE_CONFIG}{ISSUE_IAM}"));
    fs::create_dir_all(dir.path().join("policies")).unwrap();
    write(dir.path(), "policies/read-only.json", READ_ONLY);
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    let key = config
        .iam
        .access_key("AKIAIOSFODNN7EXAMPLE")
        .expect("the key is known");
    assert_eq!(key.principal().arn(), "arn:aws:iam::123456789012:user/demo");
    assert_eq!(
        key.secret().expose(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    let role = config.iam.role("Reader").expect("the role is known");
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/Reader");
    assert!(config.iam.accounts().contains("210987654321"));
}

#[test]
fn policy_problems_name_the_file_line_and_statement() {
    let iam = r#"
iam:
  policies:
    Broken:
      Version: "2012-10-17"
      Statement:
        - {Sid: First, Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}
        - {Sid: Second, Effect: Allow, Action: "execute-api:Invoke", Resource: "*", Condition: {StringEquls: {"aws:username": x}}}
    FromFile: policies/bad.json
  users:
    - name: demo
      access_keys: [{id: AKIAIOSFODNN7EXAMPLE, secret: "s3cr3t-value-never-printed"}]
      policies: [Missing]
"#;
    let (dir, path) = setup(&format!("{ISSUE_CONFIG}{iam}"));
    fs::create_dir_all(dir.path().join("policies")).unwrap();
    write(
        dir.path(),
        "policies/bad.json",
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Maybe\",\n    \"Action\": \"*\",\n    \"Resource\": \"*\"\n  }\n}\n",
    );
    let report = load(&path).unwrap_err();
    let text = report.to_string();
    assert!(!text.contains("s3cr3t"), "{text}");
    let inline = report
        .diagnostics
        .iter()
        .find(|d| d.message.contains("StringEquls"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        inline.message.contains("statement 1 (Sid \"Second\")"),
        "{inline}"
    );
    assert_eq!(inline.position.map(|p| p.line), Some(22), "{inline}");
    let file = report
        .diagnostics
        .iter()
        .find(|d| d.file.ends_with("bad.json"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(file.position.map(|p| p.line), Some(4), "{file}");
    assert!(file.message.contains("Maybe"), "{file}");
    // Reference problems are reported once the policies themselves are fine; here the broken
    // policies are dropped and the unknown name shows up too.
    assert!(text.contains("unknown policy \"Missing\""), "{text}");
}

#[test]
fn resource_policies_are_compiled_with_the_api_arn() {
    let (dir, path) = setup(ISSUE_CONFIG);
    let with_policy = format!(
        "{OPENAPI}x-amazon-apigateway-policy:\n  Version: \"2012-10-17\"\n  Statement:\n    - Effect: Allow\n      Principal: \"*\"\n      Action: execute-api:Invoke\n      Resource: execute-api:/prod/GET/*\n"
    );
    write(dir.path(), "petstore.openapi.yaml", &with_policy);
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    let policy = config.apis[0].resource_policy.as_ref().expect("compiled");
    assert_eq!(policy.name(), "petstore01");
    // An identity-style policy (no Principal) is refused, pointing into the OpenAPI file.
    let broken = with_policy.replace("      Principal: \"*\"\n", "");
    write(dir.path(), "petstore.openapi.yaml", &broken);
    let report = load(&path).unwrap_err();
    let d = &report.diagnostics[0];
    assert!(d.file.ends_with("petstore.openapi.yaml"), "{report}");
    assert!(
        d.pointer
            .as_deref()
            .unwrap_or("")
            .starts_with("/x-amazon-apigateway-policy"),
        "{d}"
    );
    assert!(d.message.contains("Principal"), "{d}");
}

/// The API keys issue's configuration, verbatim (the stage part uncommented): it must load as
/// written.
const USAGE_CONFIG: &str = r#"account_id: "123456789012"
account_throttle: {rate_limit: 10000, burst_limit: 5000}
api_keys:
  - {id: key1, name: partner-a, value: "pa-0123456789abcdefghij", enabled: true}
usage_plans:
  - name: Basic
    api_stages:
      - {api: petstore01, stage: prod, throttle: {"/pets/GET": {rate_limit: 5, burst_limit: 5}}}
    throttle: {rate_limit: 10, burst_limit: 20}
    quota: {limit: 1000, period: DAY, offset: 0}
    keys: [key1]
apis:
  - id: petstore01
    openapi: petstore.openapi.yaml
    stages:
      prod:
        variables: {backend: "http://127.0.0.1:9000"}
        cache_cluster: {enabled: true, size_mb: 64}
        method_settings:
          "*/*": {throttling_rate_limit: 100, throttling_burst_limit: 200, caching_enabled: false, cache_ttl_in_seconds: 300}
          "/pets/GET": {caching_enabled: true, cache_ttl_in_seconds: 60}
        unauthorized_cache_control_header_strategy: FAIL_WITH_403
"#;

#[test]
fn the_usage_plan_config_loads_as_written() {
    let (_dir, path) = setup(USAGE_CONFIG);
    let config = load(&path).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(config.account_throttle.burst_limit, 5000);
    assert_eq!(config.api_keys.len(), 1);
    assert_eq!(config.api_keys[0].value.expose(), "pa-0123456789abcdefghij");
    assert!(!format!("{:?}", config.api_keys).contains("pa-0123"));
    let plan = &config.usage_plans[0];
    assert_eq!(plan.id, "Basic");
    assert_eq!(plan.quota.unwrap().period, crate::QuotaPeriod::Day);
    assert_eq!(
        plan.api_stages[0].throttle[&("/pets".to_string(), Verb::Get)].rate_limit,
        5.0
    );
    let stage = &config.apis[0].stages[0];
    assert_eq!(stage.cache_cluster.unwrap().size_mb, 64);
    let get = stage.method("/pets", Verb::Get);
    assert!(get.caching_enabled);
    assert_eq!(get.cache_ttl, std::time::Duration::from_secs(60));
    // Resolved per setting: the throttle still comes from */*.
    assert_eq!(get.throttle.unwrap().burst_limit, 200);
    let other = stage.method("/pets/{petId}", Verb::Get);
    assert!(!other.caching_enabled);
    assert_eq!(other.cache_ttl, std::time::Duration::from_secs(300));
}

#[test]
fn usage_plan_mistakes_are_reported() {
    let bad = USAGE_CONFIG
        .replace("value: \"pa-0123456789abcdefghij\"", "value: short")
        .replace("keys: [key1]", "keys: [key1, nokey]")
        .replace(
            "\"/pets/GET\": {rate_limit",
            "\"/pets/DELETE\": {rate_limit",
        )
        .replace("period: DAY", "period: HOUR")
        .replace(
            "caching_enabled: true, cache_ttl_in_seconds: 60",
            "cache_ttl_in_seconds: 7200",
        )
        .replace("FAIL_WITH_403", "IGNORE")
        .replace("throttling_burst_limit: 200, ", "");
    let (_dir, path) = setup(&bad);
    let report = load(&path).unwrap_err();
    let all = messages(&report).join("\n");
    for expected in [
        "20 to 128 printable ASCII characters",
        "no API key has the id \"nokey\"",
        "has no method DELETE /pets",
        "not a quota period",
        "at most 3600 seconds",
        "is not a strategy",
        "set throttling_rate_limit and throttling_burst_limit together",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    assert!(
        !all.contains("short"),
        "the key value must not be echoed:\n{all}"
    );

    let no_cache = USAGE_CONFIG.replace(
        "cache_cluster: {enabled: true, size_mb: 64}",
        "cache_cluster: {enabled: false}",
    );
    let (_dir, path) = setup(&no_cache);
    let all = messages(&load(&path).unwrap_err()).join("\n");
    assert!(all.contains("the stage has no cache"), "{all}");
}
