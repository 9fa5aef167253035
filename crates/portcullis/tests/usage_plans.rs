//! API keys and usage plans, throttling at every level, quotas, and the stage response cache,
//! through the running server. Limits are checked by counting what a frozen clock admits, never
//! by timing; the backend counts its hits, so every refusal is shown to cost it nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use gateway::clock::FixedClock;
use http::Method;
use testkit::signer::{Key, Signing, signed};

const KEY1: &str = "pa-0123456789abcdefghij";
const KEY_DISABLED: &str = "disabled-0123456789abcdef";
const KEY_NO_PLAN: &str = "noplan-0123456789abcdefgh";
const KEY_BETA: &str = "beta-only-0123456789abcdef";
const KEY_TIGHT: &str = "tight-0123456789abcdefghi";

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: keyed, version: "1"}
paths:
  /pets:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration: &proxy
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/pets"
        requestParameters:
          integration.request.header.x-key-id: context.identity.apiKeyId
          integration.request.header.x-key: context.identity.apiKey
        cacheKeyParameters: [method.request.querystring.type]
    post:
      security: [{api_key: []}]
      x-amazon-apigateway-integration: *proxy
  /signed:
    get:
      security: [{sigv4: [], api_key: []}]
      x-amazon-apigateway-integration: *proxy
  /open:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/open"
  /report:
    get:
      x-amazon-apigateway-auth: {type: AWS_IAM}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/report"
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
"#;

/// The configuration; `methods` adds `method_settings` entries and `extra` settings to stage
/// `prod`.
fn config(backend: &str, methods: &str, extra: &str) -> String {
    format!(
        r#"account_id: "123456789012"
account_throttle: {{rate_limit: 1000, burst_limit: 1000}}
api_keys:
  - {{id: key1, name: partner-a, value: "{KEY1}"}}
  - {{id: disabled1, name: disabled, value: "{KEY_DISABLED}", enabled: false}}
  - {{id: loose, name: no-plan, value: "{KEY_NO_PLAN}"}}
  - {{id: beta, name: beta-only, value: "{KEY_BETA}"}}
  - {{id: tight, name: tight, value: "{KEY_TIGHT}"}}
usage_plans:
  - name: Basic
    api_stages: [{{api: api0000001, stage: prod}}]
    quota: {{limit: 5, period: DAY}}
    keys: [key1]
  - name: Beta
    api_stages: [{{api: api0000001, stage: beta}}]
    keys: [beta]
  - name: Tight
    api_stages:
      - {{api: api0000001, stage: prod, throttle: {{"/pets/POST": {{rate_limit: 1, burst_limit: 1}}}}}}
    throttle: {{rate_limit: 1, burst_limit: 2}}
    keys: [tight]
apis:
  - id: api0000001
    openapi: api.yaml
    stages:
      prod:
        variables: {{backend: "{backend}"}}
        method_settings:
          "/open/GET": {{throttling_rate_limit: 1, throttling_burst_limit: 3}}
{methods}{extra}      beta:
        variables: {{backend: "{backend}"}}
iam:
  policies:
    Invoke: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}}]}}
    Invalidate: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:InvalidateCache", Resource: "arn:aws:execute-api:us-east-1:123456789012:api0000001/prod/GET/*"}}]}}
  users:
    - name: demo
      access_keys: [{{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}]
      policies: [Invoke, Invalidate]
    - name: reader
      access_keys: [{{id: AKIAREADER0000000001, secret: "reader-secret-0000000000000000000000000"}}]
      policies: [Invoke]
"#
    )
}

fn demo() -> Key {
    Key::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
}

fn reader() -> Key {
    Key::new(
        "AKIAREADER0000000001",
        "reader-secret-0000000000000000000000000",
    )
}

/// 2026-12-02 10:00 UTC: the middle of a day, so a quota's day does not end during a test.
fn noon() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_205_600)
}

struct Fixture {
    server: TestServer,
    upstream: Upstream,
    clock: Arc<FixedClock>,
}

impl Fixture {
    async fn start(methods: &str, extra: &str) -> Fixture {
        let upstream = Upstream::echo().await;
        let ws = Workspace::new();
        ws.write("api.yaml", OPENAPI);
        let clock = Arc::new(FixedClock::new(noon()));
        let server = TestServer::start_with_clock(
            ws,
            &config(&upstream.url(), methods, extra),
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
            .send(method, &self.server.url(path), headers, "")
            .await
    }

    async fn get_with_key(&self, path: &str, key: &str) -> TestResponse {
        self.call(Method::GET, path, &[("x-api-key", key)]).await
    }

    async fn signed_get(&self, path: &str, key: &Key, headers: &[(&str, &str)]) -> TestResponse {
        let request = signed(
            Method::GET,
            &self.server.url(path),
            headers,
            "",
            key,
            &Signing::execute_api(self.clock.now()),
        );
        self.server.client.request(request).await
    }

    fn hits(&self) -> usize {
        self.upstream.requests().len()
    }
}

use gateway::clock::Clock;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_required_known_enabled_and_in_a_plan_for_the_stage() {
    let f = Fixture::start("", "").await;
    for headers in [
        vec![],
        vec![("x-api-key", "")],
        vec![("x-api-key", "not-a-key-0123456789abc")],
        vec![("x-api-key", KEY_DISABLED)],
        vec![("x-api-key", KEY_NO_PLAN)],
        vec![("x-api-key", KEY_BETA)],
        // A prefix of a real key is another key.
        vec![("x-api-key", &KEY1[..KEY1.len() - 1])],
    ] {
        let r = f.call(Method::GET, "/prod/pets", &headers).await;
        assert_error(&r, 403, "ForbiddenException", "Forbidden");
    }
    assert_eq!(f.hits(), 0, "no refused request reaches the backend");

    let r = f.get_with_key("/prod/pets", KEY1).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = f.upstream.last();
    assert_eq!(got.headers["x-key-id"], "key1");
    assert_eq!(got.headers["x-key"], KEY1);
    // The beta key works on the stage its plan covers.
    assert_eq!(f.get_with_key("/beta/pets", KEY_BETA).await.status, 200);
    // Methods that require no key ignore one.
    assert_eq!(f.call(Method::GET, "/prod/open", &[]).await.status, 200);
    assert_eq!(f.hits(), 3);
    let metrics = f
        .server
        .client
        .get(&f.server.admin_url("/metrics"))
        .await
        .text();
    assert!(
        metrics.contains(
            r#"portcullis_usage_refusals_total{api="api0000001",stage="prod",key="disabled1",reason="invalid_api_key"} 1"#
        ),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_refuses_past_its_limit_until_the_next_day() {
    let f = Fixture::start("", "").await;
    for _ in 0..5 {
        assert_eq!(f.get_with_key("/prod/pets", KEY1).await.status, 200);
    }
    let r = f.get_with_key("/prod/pets", KEY1).await;
    assert_error(&r, 429, "LimitExceededException", "Limit Exceeded");
    assert_eq!(f.hits(), 5);
    f.clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(f.get_with_key("/prod/pets", KEY1).await.status, 200);
    assert_eq!(f.hits(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_caller_spends_no_quota() {
    let f = Fixture::start("", "").await;
    // Unsigned and wrongly signed requests with a good key: refused before the key is counted.
    for _ in 0..10 {
        let r = f.get_with_key("/prod/signed", KEY1).await;
        assert_error(
            &r,
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    for _ in 0..5 {
        let r = f
            .signed_get("/prod/signed", &demo(), &[("x-api-key", KEY1)])
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = f
        .signed_get("/prod/signed", &demo(), &[("x-api-key", KEY1)])
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(f.hits(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_bucket_admits_its_burst_then_its_rate() {
    let f = Fixture::start("", "").await;
    // Burst 3 at one instant, then one per second of (frozen, stepped) time.
    let mut admitted = 0;
    for _ in 0..10 {
        let r = f.call(Method::GET, "/prod/open", &[]).await;
        match r.status.as_u16() {
            200 => admitted += 1,
            429 => assert_error(&r, 429, "TooManyRequestsException", "Too Many Requests"),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(admitted, 3);
    for _ in 0..5 {
        f.clock.advance(Duration::from_secs(1));
        let statuses = [
            f.call(Method::GET, "/prod/open", &[]).await.status,
            f.call(Method::GET, "/prod/open", &[]).await.status,
        ];
        assert_eq!(statuses, [200, 429]);
    }
    assert_eq!(f.hits(), 8);
    // The other stage has no method setting: its own, untouched limits.
    for _ in 0..10 {
        assert_eq!(f.call(Method::GET, "/beta/open", &[]).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_throttles_per_key_and_per_method() {
    let f = Fixture::start("", "").await;
    // The plan's own bucket (burst 2) for GET …
    let get: Vec<u16> = {
        let mut out = Vec::new();
        for _ in 0..4 {
            out.push(
                f.get_with_key("/prod/pets", KEY_TIGHT)
                    .await
                    .status
                    .as_u16(),
            );
        }
        out
    };
    assert_eq!(get, [200, 200, 429, 429]);
    // … and the per-method override (burst 1) for POST, a bucket of its own.
    let post1 = f
        .call(Method::POST, "/prod/pets", &[("x-api-key", KEY_TIGHT)])
        .await;
    let post2 = f
        .call(Method::POST, "/prod/pets", &[("x-api-key", KEY_TIGHT)])
        .await;
    assert_eq!((post1.status.as_u16(), post2.status.as_u16()), (200, 429));
    // Another key's plan is not affected.
    assert_eq!(f.get_with_key("/prod/pets", KEY1).await.status, 200);
    assert_eq!(f.hits(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_bucket_covers_every_api_and_stage() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write("api.yaml", OPENAPI);
    let text = config(&upstream.url(), "", "").replace(
        "{rate_limit: 1000, burst_limit: 1000}",
        "{rate_limit: 1, burst_limit: 4}",
    );
    let clock = Arc::new(FixedClock::new(noon()));
    let server = TestServer::start_with_clock(ws, &text, clock.clone()).await;
    let mut statuses = Vec::new();
    for path in [
        "/beta/open",
        "/prod/pets?k",
        "/beta/open",
        "/prod/open",
        "/beta/open",
        "/prod/open",
    ] {
        let r = server
            .client
            .send(Method::GET, &server.url(path), &[("x-api-key", KEY1)], "")
            .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    assert_eq!(upstream.requests().len(), 4);
}

/// Caching of every GET (`/pets` keyed by `type`), a TTL of 60 s.
const CACHE_ALL: &str = "          \"*/*\": {caching_enabled: true, cache_ttl_in_seconds: 60}\n";
const CLUSTER: &str = "        cache_cluster: {enabled: true, size_mb: 8}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_answers_by_key_parameter_and_only_after_every_check() {
    let f = Fixture::start(CACHE_ALL, CLUSTER).await;
    let first = f.get_with_key("/prod/pets?type=dog", KEY1).await;
    assert_eq!(first.status, 200);
    let again = f.get_with_key("/prod/pets?type=dog&page=2", KEY1).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.text(),
        first.text(),
        "page is not a cache key parameter"
    );
    assert_eq!(f.hits(), 1);
    assert_ne!(
        again.header("x-amzn-requestid"),
        first.header("x-amzn-requestid"),
        "each answer has its own request id"
    );
    assert_eq!(
        f.get_with_key("/prod/pets?type=cat", KEY1).await.status,
        200
    );
    assert_eq!(f.hits(), 2);
    // A cached answer is given only to a request that passes the key check, and it counts
    // against the quota (5 a day: three used).
    let r = f.call(Method::GET, "/prod/pets?type=dog", &[]).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        f.get_with_key("/prod/pets?type=dog", KEY1).await.status,
        200
    );
    assert_eq!(
        f.get_with_key("/prod/pets?type=dog", KEY1).await.status,
        200
    );
    assert_eq!(
        f.get_with_key("/prod/pets?type=dog", KEY1).await.status,
        429
    );
    assert_eq!(f.hits(), 2);
    // POST is not cached by `*/*`.
    f.call(Method::POST, "/prod/pets", &[("x-api-key", KEY_TIGHT)])
        .await;
    assert_eq!(f.hits(), 3);
    let metrics = f
        .server
        .client
        .get(&f.server.admin_url("/metrics"))
        .await
        .text();
    assert!(
        metrics.contains(
            r#"portcullis_cache_lookups_total{api="api0000001",stage="prod",result="hit"} 3"#
        ),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidation_needs_execute_api_invalidate_cache() {
    let f = Fixture::start(CACHE_ALL, CLUSTER).await;
    assert_eq!(f.signed_get("/prod/report", &demo(), &[]).await.status, 200);
    assert_eq!(
        f.signed_get("/prod/report", &reader(), &[]).await.status,
        200
    );
    assert_eq!(f.hits(), 1);
    let fresh = [("cache-control", "max-age=0")];
    // Anonymous and a caller without the permission: FAIL_WITH_403, the entry stays.
    let r = f.signed_get("/prod/report", &reader(), &fresh).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    let r = f.call(Method::GET, "/prod/open", &fresh).await;
    assert_eq!(r.status, 403, "an anonymous caller may never invalidate");
    assert_eq!(f.hits(), 1);
    // A caller allowed execute-api:InvalidateCache gets a fresh answer, which is cached again.
    assert_eq!(
        f.signed_get("/prod/report", &demo(), &fresh).await.status,
        200
    );
    assert_eq!(f.hits(), 2);
    assert_eq!(
        f.signed_get("/prod/report", &reader(), &[]).await.status,
        200
    );
    assert_eq!(f.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_invalidation_can_be_ignored_with_a_warning() {
    let extra = format!(
        "{CLUSTER}        unauthorized_cache_control_header_strategy: SUCCEED_WITH_RESPONSE_HEADER\n"
    );
    let f = Fixture::start(CACHE_ALL, &extra).await;
    assert_eq!(
        f.signed_get("/prod/report", &reader(), &[]).await.status,
        200
    );
    let r = f
        .signed_get("/prod/report", &reader(), &[("cache-control", "max-age=0")])
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("warning").unwrap().contains("ignored"),
        "{:?}",
        r.headers
    );
    assert_eq!(f.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_masks_the_key_value() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write("api.yaml", OPENAPI);
    let log = ws.path().join("access.log");
    let extra = format!(
        "        access_log: {{destination: {}, format: '$context.requestId $context.identity.apiKeyId $context.identity.apiKey'}}\n",
        log.display()
    );
    let server = TestServer::start(ws, &config(&upstream.url(), "", &extra)).await;
    let r = server
        .client
        .send(
            Method::GET,
            &server.url("/prod/pets"),
            &[("x-api-key", KEY1)],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    // The line is written by a background writer: wait for it, boundedly.
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains('\n') {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(text.contains(" key1 *******************ghij"), "{text}");
    assert!(!text.contains(KEY1), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_survives_a_restart() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write("api.yaml", OPENAPI);
    let db = ws.path().join("state.db");
    let text = config(&upstream.url(), "", "");
    let path = ws.write("portcullis.yaml", &text);
    let start = || async {
        let overrides = config::Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            admin_listen: Some("127.0.0.1:0".parse().unwrap()),
            storage: Some(format!("sqlite://{}", db.display())),
        };
        let loaded = config::load_with(&path, &overrides).unwrap();
        let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(noon()));
        portcullis::start(
            loaded,
            portcullis::StartOptions {
                clock: Some(clock),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    };
    let client = Client::http1();
    let get = |running: &portcullis::Running| {
        let url = format!("http://{}/prod/pets", running.edge);
        let client = &client;
        async move {
            client
                .send(Method::GET, &url, &[("x-api-key", KEY1)], "")
                .await
                .status
        }
    };
    let running = start().await;
    for _ in 0..3 {
        assert_eq!(get(&running).await, 200);
    }
    running.stop().await.unwrap();
    let running = start().await;
    assert_eq!(get(&running).await, 200);
    assert_eq!(get(&running).await, 200);
    assert_eq!(
        get(&running).await,
        429,
        "5 a day, 3 used before the restart"
    );
    running.stop().await.unwrap();
    assert_eq!(upstream.requests().len(), 5);
}
