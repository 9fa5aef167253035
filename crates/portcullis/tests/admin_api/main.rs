//! The admin endpoint's control plane (API Gateway's REST shapes for API keys, usage plans,
//! usage and the stage cache) against the real server: SigV4 for `apigateway` and IAM
//! authorization, the whole lifecycle, the configuration file's items being read-only, the real
//! AWS CLI, and the `portcullis` binary's client.
#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod clients;
mod lifecycle;

use std::path::PathBuf;

use std::time::SystemTime;

use bytes::Bytes;
pub(crate) use common::*;
use http::{Method, Request};
use http_body_util::Full;
use portcullis::{Running, StartOptions};
use serde_json::Value;
use testkit::signer::{Key, Signing, sign};

pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const ADMIN: (&str, &str) = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
);
pub(crate) const READER: (&str, &str) = (
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
);
pub(crate) const CONFIG_KEY_VALUE: &str = "cfg-0123456789abcdefghij";

pub(crate) const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: admin-api, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-api-key-required: true
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/pets"
  /open:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/open"
"#;

pub(crate) fn config(backend: &str) -> String {
    format!(
        r#"account_id: "{ACCOUNT}"
api_keys:
  - {{id: cfgkey1, name: config-partner, value: "{CONFIG_KEY_VALUE}", enabled: true}}
usage_plans:
  - id: cfgplan
    name: ConfigPlan
    api_stages:
      - {{api: petstore01, stage: prod}}
    quota: {{limit: 1000, period: DAY, offset: 0}}
    keys: [cfgkey1]
apis:
  - id: petstore01
    openapi: api.yaml
    stages:
      prod:
        variables: {{backend: "{backend}"}}
        cache_cluster: {{enabled: true, size_mb: 8}}
      beta:
        variables: {{backend: "{backend}"}}
iam:
  policies:
    AdminAll: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "apigateway:*", Resource: "arn:aws:apigateway:us-east-1::/*"}}, {{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}}]}}
    ReadOnly: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "apigateway:GET", Resource: "*"}}, {{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}}]}}
  users:
    - name: admin
      access_keys: [{{id: {}, secret: "{}"}}]
      policies: [AdminAll]
    - name: reader
      access_keys: [{{id: {}, secret: "{}"}}]
      policies: [ReadOnly]
  roles:
    - name: KeyManager
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::{ACCOUNT}:user/reader"}}, Action: "sts:AssumeRole"}}]}}
      policies: [AdminAll]
"#,
        ADMIN.0, ADMIN.1, READER.0, READER.1
    )
}

/// The real server with file storage (so that the test can write usage into it as the
/// gateway's usage writer does).
pub(crate) struct Server {
    running: Option<Running>,
    ws: Workspace,
    db: PathBuf,
    client: Client,
    admin: std::net::SocketAddr,
    edge: std::net::SocketAddr,
    _upstream: Upstream,
}

impl Server {
    pub(crate) async fn start() -> Server {
        let upstream = Upstream::echo().await;
        let ws = Workspace::new();
        ws.write("api.yaml", OPENAPI);
        let path = ws.write("portcullis.yaml", &config(&upstream.url()));
        let db = ws.path().join("state.db");
        let overrides = config::Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            admin_listen: Some("127.0.0.1:0".parse().unwrap()),
            storage: Some(format!("sqlite://{}", db.display())),
        };
        let config = config::load_with(&path, &overrides).unwrap_or_else(|r| panic!("{r}"));
        let running = portcullis::start(config, StartOptions::default())
            .await
            .unwrap();
        Server {
            admin: running.admin,
            edge: running.edge,
            running: Some(running),
            ws,
            db,
            client: Client::http1(),
            _upstream: upstream,
        }
    }

    pub(crate) fn admin_url(&self) -> String {
        format!("http://{}", self.admin)
    }

    /// A control-plane call, signed with `key` for `apigateway` (unsigned when `None`).
    pub(crate) async fn call(
        &self,
        key: Option<&Key>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> TestResponse {
        self.call_for(key, "apigateway", method, path, body).await
    }

    pub(crate) async fn call_for(
        &self,
        key: Option<&Key>,
        service: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> TestResponse {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.admin_url()))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.clone())))
            .unwrap();
        if let Some(key) = key {
            let how = Signing {
                service: service.to_string(),
                ..Signing::execute_api(SystemTime::now())
            };
            sign(&mut request, body.as_bytes(), key, &how);
        }
        self.client.request(request).await
    }

    pub(crate) async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> TestResponse {
        self.call(Some(&admin_key()), method, path, body).await
    }

    /// Writes usage into the database as the gateway's usage writer does.
    pub(crate) async fn record_usage(&self, plan: &str, key: &str, day: &str, count: u64) {
        use store::UsageStore;
        let store = store::SqliteStore::open(&self.db).await.unwrap();
        store
            .record_usage(&[store::UsageCount {
                plan_id: plan.into(),
                key_id: key.into(),
                day: day.into(),
                count,
            }])
            .await
            .unwrap();
    }

    pub(crate) async fn stop(mut self) {
        self.running.take().unwrap().stop().await.unwrap();
    }
}

pub(crate) fn admin_key() -> Key {
    Key::new(ADMIN.0, ADMIN.1)
}

pub(crate) fn reader_key() -> Key {
    Key::new(READER.0, READER.1)
}

/// Asserts a control-plane error: status, `x-amzn-ErrorType`, and a message containing `text`.
pub(crate) fn assert_refused(r: &TestResponse, status: u16, error_type: &str, text: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some(error_type),
        "{}",
        r.text()
    );
    let message = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.contains(text),
        "{message:?} should contain {text:?}"
    );
    assert!(r.header("x-amzn-requestid").is_some());
}

pub(crate) fn today() -> String {
    gateway::usage::utc_day(SystemTime::now())
}
