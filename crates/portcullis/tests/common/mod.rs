//! Starting the real server in-process on ephemeral loopback ports, with its configuration
//! written to a temporary workspace.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::sync::Arc;

use gateway::clock::Clock;
use portcullis::{Running, StartOptions};
pub use testkit::{Client, TestResponse, Upstream, Workspace};

pub mod oidc;
pub mod pools;

pub struct TestServer {
    pub running: Option<Running>,
    pub ws: Workspace,
    pub client: Client,
    pub edge: std::net::SocketAddr,
    pub admin: std::net::SocketAddr,
    pub scheme: &'static str,
}

impl TestServer {
    /// Writes `config` as `portcullis.yaml` into `ws` and starts the gateway on `127.0.0.1:0`.
    pub async fn start(ws: Workspace, config: &str) -> TestServer {
        Self::start_with(ws, config, StartOptions::default()).await
    }

    pub async fn start_with_clock(
        ws: Workspace,
        config: &str,
        clock: Arc<dyn Clock>,
    ) -> TestServer {
        Self::start_with(
            ws,
            config,
            StartOptions {
                clock: Some(clock),
                ..StartOptions::default()
            },
        )
        .await
    }

    pub async fn start_with(ws: Workspace, config: &str, options: StartOptions) -> TestServer {
        let path = ws.write("portcullis.yaml", config);
        let overrides = config::Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            admin_listen: Some("127.0.0.1:0".parse().unwrap()),
            storage: Some("sqlite::memory:".to_string()),
        };
        let config = config::load_with(&path, &overrides).unwrap_or_else(|r| panic!("{r}"));
        let running = portcullis::start(config, options).await.unwrap();
        TestServer {
            edge: running.edge,
            admin: running.admin,
            scheme: running.scheme,
            running: Some(running),
            ws,
            client: Client::http1(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.edge, path)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{}", self.admin, path)
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.client.get(&self.url(path)).await
    }

    pub async fn stop(mut self) -> usize {
        self.running.take().unwrap().stop().await.unwrap()
    }
}

/// A configuration with one API `api0000001` and stage `prod`, whose OpenAPI document is
/// `openapi` and whose stage variables are `variables` (a YAML flow mapping).
pub fn single_api(ws: &Workspace, openapi: &str, variables: &str) -> String {
    ws.write("api.yaml", openapi);
    format!(
        "account_id: \"123456789012\"\napis:\n  - id: api0000001\n    openapi: api.yaml\n    stages:\n      prod:\n        variables: {variables}\n"
    )
}

/// An OpenAPI document whose only route proxies everything to `${stageVariables.backend}`.
pub const PROXY_ALL: &str = r#"openapi: 3.0.1
info: {title: proxy, version: "1"}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/{proxy}"
"#;

/// Asserts an error answer in API Gateway's shape.
pub fn assert_error(r: &TestResponse, status: u16, error_type: &str, message: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some(error_type),
        "{:?}",
        r.headers
    );
    assert_eq!(r.json(), serde_json::json!({ "message": message }));
    assert!(r.header("x-amzn-requestid").is_some());
}

/// Builds a workspace example crate (`echo-rust`, `request-unicorn`) into this test binary's
/// target directory (`<target>/<profile>/deps/<test>`) and returns its binary.
pub fn example_binary(package: &str) -> std::path::PathBuf {
    let target = std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .unwrap()
        .to_path_buf();
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", package])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build -p {package} failed");
    target.join("debug").join(package)
}
