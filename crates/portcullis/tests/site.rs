//! The static site listener (`site:`): the real server on ephemeral loopback ports serving a
//! directory, plain and with the development certificate (HTTP/2 over TLS, as the edge).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, TestServer, Workspace};
use http::Method;
use portcullis::StartOptions;

/// A workspace whose `web/dist` holds a page, with a secret beside the directory and a
/// symlink pointing at it, and the configuration serving `web/dist`.
fn workspace() -> (Workspace, String) {
    let ws = Workspace::new();
    ws.write("web/dist/index.html", "<h1>Wild Rydes</h1>");
    ws.write("web/dist/app.js", "console.log('ride')");
    ws.write("secret.txt", "outside the site");
    std::os::unix::fs::symlink(
        ws.path().join("secret.txt"),
        ws.path().join("web/dist/leak.txt"),
    )
    .unwrap();
    (
        ws,
        "site: {listen: 127.0.0.1:0, dir: web/dist}\n".to_string(),
    )
}

fn site_url(server: &TestServer, path: &str) -> String {
    let site = server.running.as_ref().unwrap().site.unwrap();
    format!("{}://{site}{path}", server.scheme)
}

#[tokio::test]
async fn serves_the_directory_and_nothing_else() {
    let (ws, config) = workspace();
    let server = TestServer::start(ws, &config).await;
    let client = Client::http1();

    let index = client.get(&site_url(&server, "/")).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.text(), "<h1>Wild Rydes</h1>");
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    let script = client.get(&site_url(&server, "/app.js")).await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );

    let head = client
        .send(Method::HEAD, &site_url(&server, "/app.js"), &[], "")
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let post = client
        .send(Method::POST, &site_url(&server, "/index.html"), &[], "x")
        .await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));

    // The edge's canonical-path refusals, then what lies outside the directory.
    for path in [
        "/%2e%2e/secret.txt",
        "/web%2Fdist",
        "/x/%2E%2E/%2E%2E/secret.txt",
    ] {
        let r = client.get(&site_url(&server, path)).await;
        assert_eq!(r.status, 400, "{path}");
    }
    for path in ["/leak.txt", "/missing.js", "/.portcullis/dev-cert.pem"] {
        let r = client.get(&site_url(&server, path)).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("outside"), "{path}");
    }
    // The site is not the edge: the gateway's routes are not on it, nor the site on the edge.
    assert_eq!(server.get("/index.html").await.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn with_dev_tls_the_site_is_https_and_speaks_http2() {
    let (ws, config) = workspace();
    let options = StartOptions {
        dev_tls: true,
        ..StartOptions::default()
    };
    let server = TestServer::start_with(ws, &config, options).await;
    assert_eq!(server.scheme, "https");
    let index = Client::http2().get(&site_url(&server, "/")).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.version, http::Version::HTTP_2);
    assert_eq!(index.text(), "<h1>Wild Rydes</h1>");
    server.stop().await;
}

#[tokio::test]
async fn a_site_directory_that_does_not_exist_refuses_to_load() {
    let ws = Workspace::new();
    let path = ws.write(
        "portcullis.yaml",
        "site: {listen: 127.0.0.1:0, dir: web/dist}\n",
    );
    let report = config::load(&path).unwrap_err().to_string();
    assert!(report.contains("/site/dir"), "{report}");
    assert!(report.contains("web/dist"), "{report}");
}

#[tokio::test]
async fn the_site_changes_only_on_restart() {
    let (ws, config) = workspace();
    let server = TestServer::start(ws, &config).await;
    std::fs::create_dir_all(server.ws.path().join("other")).unwrap();
    let path = server.ws.write(
        "portcullis.yaml",
        "site: {listen: 127.0.0.1:0, dir: other}\n",
    );
    let overrides = config::Overrides {
        listen: Some(server.edge),
        admin_listen: Some(server.admin),
        storage: Some("sqlite::memory:".to_string()),
    };
    let changed = config::load_with(&path, &overrides).unwrap();
    let e = server
        .running
        .as_ref()
        .unwrap()
        .reload(&changed)
        .unwrap_err();
    assert!(e.to_string().contains("site"), "{e}");
    // Still the first directory.
    let index = Client::http1().get(&site_url(&server, "/")).await;
    assert_eq!(index.text(), "<h1>Wild Rydes</h1>");
    server.stop().await;
}
