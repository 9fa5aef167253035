//! Lambda authorizers through the real server, with real functions: the Python TOKEN authorizer
//! of `examples/functions/token-authorizer` under AWS's `awslambdaric`, and the Node.js REQUEST
//! authorizer of `examples/functions/request-authorizer` under our bootstrap. Every refusal is
//! checked to leave the backend untouched (the recording upstream counts its hits), and what
//! reached the function is counted with `FunctionHost::stats`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use gateway::clock::FixedClock;
use http::Method;
use serde_json::json;

const TOKEN_FN: &str = "TokenAuthorizer";
const REQUEST_FN: &str = "RequestAuthorizer";

fn example(dir: &str) -> String {
    format!(
        "{}/../../examples/functions/{dir}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn require_awslambdaric() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import awslambdaric"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "these tests need awslambdaric: python3 -m pip install -r crates/portcullis/tests/python/requirements.txt"
    );
}

/// The API key the `/metered` method's usage plan meters (an authorizer names it).
const KEY: &str = "partner-key-abcdefghij";

const USAGE: &str = r#"
api_keys:
  - {id: partner, name: partner, value: "partner-key-abcdefghij"}
usage_plans:
  - name: Partners
    api_stages: [{api: api0000001, stage: prod}]
    keys: [partner]
"#;

const FUNCTIONS: &str = r#"
functions:
  - {name: TokenAuthorizer, runtime: python3.13, handler: authorizer.handler, code: "TOKEN_DIR", timeout: 1}
  - {name: RequestAuthorizer, runtime: nodejs22.x, handler: index.handler, code: "REQUEST_DIR"}
"#;

fn functions() -> String {
    FUNCTIONS
        .replace("TOKEN_DIR", &example("token-authorizer"))
        .replace("REQUEST_DIR", &example("request-authorizer"))
}

const AUTHORIZER_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:FUNCTION/invocations";

/// The API: `/pets` (GET, POST) behind a cached TOKEN authorizer, `/fresh` behind the same
/// function uncached, `/tenants/{petId}` behind a REQUEST authorizer. The backend gets the
/// authorizer's context through request parameter mappings.
fn openapi() -> String {
    let token_uri = AUTHORIZER_URI.replace("FUNCTION", TOKEN_FN);
    let request_uri = AUTHORIZER_URI.replace("FUNCTION", REQUEST_FN);
    format!(
        r#"openapi: 3.0.1
info: {{title: pets, version: "1"}}
components:
  securitySchemes:
    token:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "{token_uri}"
        identityValidationExpression: "[a-z:-]+"
    fresh:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "{token_uri}"
        authorizerResultTtlInSeconds: 0
    tenant:
      type: apiKey
      name: x-tenant
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: "{request_uri}"
        identitySource: "method.request.header.x-tenant, method.request.querystring.key, stageVariables.open"
        authorizerResultTtlInSeconds: 60
x-amazon-apigateway-api-key-source: AUTHORIZER
x-proxy: &proxy
  type: http_proxy
  httpMethod: ANY
  uri: "${{stageVariables.backend}}/pets"
  requestParameters:
    integration.request.header.x-user: context.authorizer.user
    integration.request.header.x-principal: context.authorizer.principalId
    integration.request.header.x-tier: context.authorizer.tier
    integration.request.header.x-calls: context.authorizer.calls
    integration.request.header.x-admin: context.authorizer.admin
paths:
  /pets:
    get:
      security: [{{token: []}}]
      x-amazon-apigateway-integration: *proxy
    post:
      security: [{{token: []}}]
      x-amazon-apigateway-integration: *proxy
  /metered:
    get:
      security: [{{token: []}}]
      x-amazon-apigateway-api-key-required: true
      x-amazon-apigateway-integration: *proxy
  /fresh:
    get:
      security: [{{fresh: []}}]
      x-amazon-apigateway-integration: *proxy
  /tenants/{{petId}}:
    get:
      security: [{{tenant: []}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${{stageVariables.backend}}/tenants"
        requestParameters:
          integration.request.header.x-tenant-ctx: context.authorizer.tenant
          integration.request.header.x-pet: context.authorizer.pet
          integration.request.header.x-resource: context.authorizer.resource
"#
    )
}

struct Fixture {
    server: TestServer,
    upstream: Upstream,
    clock: Arc<FixedClock>,
}

impl Fixture {
    async fn start() -> Fixture {
        require_awslambdaric();
        let upstream = Upstream::echo().await;
        let ws = Workspace::new();
        let config = single_api(
            &ws,
            &openapi(),
            &format!("{{backend: \"{}\", open: \"yes\"}}", upstream.url()),
        );
        let clock = Arc::new(FixedClock::new(SystemTime::now()));
        let server = TestServer::start_with_clock(
            ws,
            &format!("{config}{}{USAGE}", functions()),
            clock.clone(),
        )
        .await;
        Fixture {
            server,
            upstream,
            clock,
        }
    }

    async fn call(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.server
            .client
            .send(
                method,
                &self.server.url(&format!("/prod{path}")),
                headers,
                "",
            )
            .await
    }

    async fn with_token(&self, method: Method, path: &str, token: &str) -> TestResponse {
        self.call(method, path, &[("authorization", token)]).await
    }

    /// Invocations the function has accepted so far.
    fn invocations(&self, function: &str) -> u64 {
        let running = self.server.running.as_ref().unwrap();
        running
            .services()
            .functions()
            .stats(function)
            .unwrap()
            .invocations
    }

    fn backend_hits(&self) -> usize {
        self.upstream.requests().len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_reaches_the_backend_with_the_authorizers_context() {
    let f = Fixture::start().await;
    let r = f.with_token(Method::GET, "/pets", "allow:alice").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = f.upstream.last();
    let header = |name: &str| {
        seen.headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(header("x-user"), "alice");
    assert_eq!(header("x-principal"), "alice");
    assert_eq!(header("x-tier"), "gold");
    // Numbers and booleans reach `$context.authorizer.*` as their JSON text.
    assert_eq!(header("x-calls"), "3");
    assert_eq!(header("x-admin"), "false");
    assert_eq!(f.invocations(TOKEN_FN), 1);
    f.server.stop().await;
}

/// What the function cannot see from here, it sees in its event: the methodArn the authorize
/// phase evaluates, built from the canonical path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_methods_an_answer_covers_are_decided_by_its_policy() {
    let f = Fixture::start().await;
    // `get-only` allows `…/prod/GET/*`: GET passes, POST (same token, cached answer) does not.
    let r = f.with_token(Method::GET, "/pets", "get-only").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = f.with_token(Method::POST, "/pets", "get-only").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"Message": "User is not authorized to access this resource"})
    );
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    // `allow` covers `…/prod/*/*`: both methods, one invocation.
    for method in [Method::GET, Method::POST, Method::GET] {
        let r = f.with_token(method, "/pets", "allow:bob").await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(f.invocations(TOKEN_FN), 2);
    assert_eq!(f.backend_hits(), 4);
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_failures_never_reach_the_backend() {
    let f = Fixture::start().await;
    let deny =
        json!({"Message": "User is not authorized to access this resource with an explicit deny"});
    let unauthorized = json!({"message": "Unauthorized"});
    let failed = json!({"message": null});
    // (token, status, body, x-amzn-ErrorType, whether the function is invoked)
    let cases: [(Option<&str>, u16, &serde_json::Value, &str, bool); 9] = [
        (Some("deny"), 403, &deny, "AccessDeniedException", true),
        (
            Some("unauthorized"),
            401,
            &unauthorized,
            "UnauthorizedException",
            true,
        ),
        (
            Some("error"),
            500,
            &failed,
            "AuthorizerConfigurationException",
            true,
        ),
        (
            Some("malformed"),
            500,
            &failed,
            "AuthorizerConfigurationException",
            true,
        ),
        (
            Some("bad-context"),
            500,
            &failed,
            "AuthorizerConfigurationException",
            true,
        ),
        // Past the function's 1 s timeout.
        (
            Some("sleep"),
            500,
            &failed,
            "AuthorizerConfigurationException",
            true,
        ),
        // No token, an empty one, one the validation expression refuses: 401, not invoked.
        (None, 401, &unauthorized, "UnauthorizedException", false),
        (
            Some(" "),
            401,
            &unauthorized,
            "UnauthorizedException",
            false,
        ),
        (
            Some("Not A Token!"),
            401,
            &unauthorized,
            "UnauthorizedException",
            false,
        ),
    ];
    for (token, status, body, error_type, invoked) in cases {
        let before = f.invocations(TOKEN_FN);
        let headers: Vec<(&str, &str)> = token.map(|t| ("authorization", t)).into_iter().collect();
        let r = f.call(Method::GET, "/pets", &headers).await;
        assert_eq!(r.status.as_u16(), status, "{token:?}: {}", r.text());
        assert_eq!(&r.json(), body, "{token:?}");
        assert_eq!(r.header("x-amzn-errortype"), Some(error_type), "{token:?}");
        assert!(r.header("x-amzn-requestid").is_some());
        assert_eq!(
            f.invocations(TOKEN_FN) - before,
            u64::from(invoked),
            "{token:?}"
        );
    }
    assert_eq!(f.backend_hits(), 0, "no refusal may reach the backend");
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_cached_by_token_for_the_ttl() {
    let f = Fixture::start().await;
    for _ in 0..5 {
        let r = f.with_token(Method::GET, "/pets", "allow:carol").await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(
        f.invocations(TOKEN_FN),
        1,
        "one invocation for five requests"
    );
    // Another token is another entry.
    f.with_token(Method::GET, "/pets", "allow:dave").await;
    assert_eq!(f.invocations(TOKEN_FN), 2);
    // `Unauthorized` is cached too; failures are not.
    for _ in 0..2 {
        let r = f.with_token(Method::GET, "/pets", "unauthorized").await;
        assert_eq!(r.status, 401);
    }
    assert_eq!(f.invocations(TOKEN_FN), 3);
    for _ in 0..2 {
        let r = f.with_token(Method::GET, "/pets", "error").await;
        assert_eq!(r.status, 500);
    }
    assert_eq!(f.invocations(TOKEN_FN), 5);
    // Past the TTL (300 s by default) on the gateway's clock, the function is asked again.
    f.clock.advance(Duration::from_secs(299));
    f.with_token(Method::GET, "/pets", "allow:carol").await;
    assert_eq!(f.invocations(TOKEN_FN), 5);
    f.clock.advance(Duration::from_secs(2));
    f.with_token(Method::GET, "/pets", "allow:carol").await;
    assert_eq!(f.invocations(TOKEN_FN), 6);
    // `authorizerResultTtlInSeconds: 0`: every request invokes.
    for _ in 0..3 {
        let r = f.with_token(Method::GET, "/fresh", "allow:carol").await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(f.invocations(TOKEN_FN), 9);
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_invoke_once() {
    let f = Arc::new(Fixture::start().await);
    let requests: Vec<_> = (0..16)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.with_token(Method::GET, "/pets", "allow:erin").await })
        })
        .collect();
    for r in requests {
        let r = r.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(f.invocations(TOKEN_FN), 1);
    assert_eq!(f.backend_hits(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_authorizer_reads_headers_query_and_stage_variables() {
    let f = Fixture::start().await;
    let r = f
        .call(
            Method::GET,
            "/tenants/7?key=acme-key",
            &[("x-tenant", "acme")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = f.upstream.last();
    let header = |name: &str| {
        seen.headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(header("x-tenant-ctx"), "acme");
    assert_eq!(header("x-pet"), "7");
    assert_eq!(header("x-resource"), "/tenants/{petId}");
    assert_eq!(f.invocations(REQUEST_FN), 1);
    // The identity sources are the cache key: the same values hit, even on another path. The
    // cached policy allows only the ARN it was asked about (`event.methodArn`), so re-evaluated
    // for `/tenants/8` it refuses, without a second invocation: API Gateway's caching pitfall.
    let r = f
        .call(
            Method::GET,
            "/tenants/8?key=acme-key",
            &[("x-tenant", "acme")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"Message": "User is not authorized to access this resource"})
    );
    assert_eq!(f.invocations(REQUEST_FN), 1);
    let r = f
        .call(Method::GET, "/tenants/7?key=wrong", &[("x-tenant", "acme")])
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(f.invocations(REQUEST_FN), 2);
    let r = f
        .call(
            Method::GET,
            "/tenants/7?key=unauthorized",
            &[("x-tenant", "acme")],
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    // Any identity source missing: 401 without invoking.
    let before = f.invocations(REQUEST_FN);
    for (path, tenant) in [
        ("/tenants/7", Some("acme")),
        ("/tenants/7?key=acme-key", None),
        ("/tenants/7?key=", Some("acme")),
    ] {
        let headers: Vec<(&str, &str)> = tenant.map(|t| ("x-tenant", t)).into_iter().collect();
        let r = f.call(Method::GET, path, &headers).await;
        assert_eq!(r.status, 401, "{path} {tenant:?}: {}", r.text());
        assert_eq!(r.json(), json!({"message": "Unauthorized"}));
    }
    assert_eq!(f.invocations(REQUEST_FN), before);
    assert_eq!(f.backend_hits(), 1);
    f.server.stop().await;
}

/// The Lambda-authorizer rows of `gateway/tests/data/authorization_flow.tsv`, through the real
/// authorizer: one API per resource-policy cell, the token choosing the identity-policy cell
/// (`allow:*` allows, `deny` denies, `get-only` on POST is silent about the method).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_flow_rows_run_through_the_real_authorizer() {
    require_awslambdaric();
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let statement = |effect: &str, action: &str| {
        format!(
            "x-amazon-apigateway-policy: {{Version: \"2012-10-17\", Statement: [{{Effect: {effect}, Principal: \"*\", Action: \"{action}\", Resource: \"*\"}}]}}\n"
        )
    };
    let policies = [
        ("absent", String::new()),
        ("allow", statement("Allow", "execute-api:Invoke")),
        (
            "silent",
            statement("Allow", "execute-api:ManageConnections"),
        ),
        ("deny", statement("Deny", "execute-api:Invoke")),
    ];
    let uri = AUTHORIZER_URI.replace("FUNCTION", TOKEN_FN);
    let mut config = String::from("account_id: \"123456789012\"\napis:\n");
    for (i, (cell, policy)) in policies.iter().enumerate() {
        let file = format!("flow-{cell}.yaml");
        ws.write(
            &file,
            &format!(
                r#"openapi: 3.0.1
info: {{title: flow, version: "1"}}
{policy}components:
  securitySchemes:
    token:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer: {{type: token, authorizerUri: "{uri}", authorizerResultTtlInSeconds: 0}}
paths:
  /pets:
    post:
      security: [{{token: []}}]
      x-amazon-apigateway-integration: {{type: http_proxy, httpMethod: POST, uri: "{}/pets"}}
"#,
                upstream.url()
            ),
        );
        config.push_str(&format!(
            "  - id: flow{i:06}\n    openapi: {file}\n    stages: {{prod: {{}}}}\n"
        ));
    }
    let server = TestServer::start(ws, &format!("{config}{}", functions())).await;
    let invocations = || {
        let running = server.running.as_ref().unwrap();
        running
            .services()
            .functions()
            .stats(TOKEN_FN)
            .unwrap()
            .invocations
    };
    let table = include_str!("../../gateway/tests/data/authorization_flow.tsv");
    let mut rows = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cells: Vec<&str> = line.split('\t').collect();
        let [kind, identity, resource, _, expected] = cells[..] else {
            panic!("malformed row {line:?}");
        };
        if kind != "lambda-pre" && kind != "authorizer" {
            continue;
        }
        let api = policies.iter().position(|(c, _)| *c == resource).unwrap();
        let token = match identity {
            "allow" | "-" => "allow:flow",
            "deny" => "deny",
            "silent" => "get-only",
            other => panic!("unknown identity cell {other:?}"),
        };
        let before = invocations();
        let hits = upstream.requests().len();
        let url = server.url(&format!("/restapis/flow{api:06}/prod/_user_request_/pets"));
        let r = server
            .client
            .send(Method::POST, &url, &[("authorization", token)], "")
            .await;
        let invoked = invocations() - before;
        let got = match (r.status.as_u16(), kind) {
            (403, "lambda-pre") if invoked == 0 => "explicit_deny",
            (_, "lambda-pre") if invoked == 1 => "proceed",
            (200, _) => "allow",
            (403, _) if r.text().contains("explicit deny") => "explicit_deny",
            (403, _) => "implicit_deny",
            (s, _) => panic!("{line:?}: status {s}: {}", r.text()),
        };
        assert_eq!(got, expected, "{line:?}: {} {}", r.status, r.text());
        let reached = upstream.requests().len() - hits;
        assert_eq!(
            reached,
            usize::from(got == "allow" || (got == "proceed" && r.status == 200)),
            "{line:?}"
        );
        rows += 1;
    }
    assert_eq!(rows, 16, "every Lambda-authorizer row ran");
    server.stop().await;
}

/// With the API's key source `AUTHORIZER`, the key a usage plan meters is the authorizer's
/// `usageIdentifierKey`, not the `x-api-key` header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_identifier_key_is_the_metered_api_key() {
    let f = Fixture::start().await;
    let r = f
        .with_token(Method::GET, "/metered", &format!("keyed:{KEY}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    for (token, header) in [
        // An answer without a usageIdentifierKey, even with the key in x-api-key.
        ("allow:frank", Some(KEY)),
        ("keyed:unknown-key-abcdefghij", None),
    ] {
        let mut headers = vec![("authorization", token)];
        headers.extend(header.map(|k| ("x-api-key", k)));
        let r = f.call(Method::GET, "/metered", &headers).await;
        assert_eq!(r.status, 403, "{token}: {}", r.text());
        assert_eq!(r.json(), json!({"message": "Forbidden"}));
    }
    assert_eq!(f.backend_hits(), 1);
    f.server.stop().await;
}

/// The cache outlives a reload, keyed by each authorizer's definition: an unchanged authorizer
/// keeps its answers, a changed one starts empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_reuses_answers_only_of_unchanged_authorizers() {
    let f = Fixture::start().await;
    let reload = |openapi: String| {
        let ws = &f.server.ws;
        ws.write("api.yaml", &openapi);
        let overrides = config::Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            admin_listen: Some("127.0.0.1:0".parse().unwrap()),
            storage: Some("sqlite::memory:".to_string()),
        };
        let config = config::load_with(&ws.path().join("portcullis.yaml"), &overrides)
            .unwrap_or_else(|r| panic!("{r}"));
        f.server.running.as_ref().unwrap().reload(&config).unwrap();
    };
    f.with_token(Method::GET, "/pets", "allow:gina").await;
    assert_eq!(f.invocations(TOKEN_FN), 1);
    reload(openapi());
    let r = f.with_token(Method::GET, "/pets", "allow:gina").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.invocations(TOKEN_FN), 1, "unchanged: the cached answer");
    reload(openapi().replace(r#""[a-z:-]+""#, r#""[a-z:-]{1,64}""#));
    let r = f.with_token(Method::GET, "/pets", "allow:gina").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.invocations(TOKEN_FN), 2, "changed: asked again");
    f.server.stop().await;
}
