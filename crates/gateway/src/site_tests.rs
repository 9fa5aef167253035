#![allow(clippy::unwrap_used)]

use super::*;
use http_body_util::BodyExt;

/// A site directory with an index, a script, a subdirectory and, beside it, a secret.
fn site() -> (tempfile::TempDir, Site) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dist");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("index.html"), "<h1>index</h1>").unwrap();
    std::fs::write(root.join("app.js"), "console.log(1)").unwrap();
    std::fs::write(root.join("a b.txt"), "spaced").unwrap();
    std::fs::write(root.join("sub/index.html"), "sub").unwrap();
    std::fs::write(root.join(".env"), "SECRET=1").unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "outside").unwrap();
    let root = std::fs::canonicalize(root).unwrap();
    (tmp, Site::new(root))
}

async fn get(site: &Site, method: Method, path: &str) -> (StatusCode, http::HeaderMap, String) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(())
        .unwrap();
    let response = site.handle(req).await;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[test]
fn relative_paths() {
    assert_eq!(Site::relative("/").unwrap(), PathBuf::from("index.html"));
    assert_eq!(
        Site::relative("/sub/").unwrap(),
        PathBuf::from("sub/index.html")
    );
    assert_eq!(Site::relative("/app.js").unwrap(), PathBuf::from("app.js"));
    assert_eq!(
        Site::relative("/%61pp.js").unwrap(),
        PathBuf::from("app.js")
    );
    assert_eq!(
        Site::relative("/a%20b.txt").unwrap(),
        PathBuf::from("a b.txt")
    );
}

#[test]
fn paths_the_edge_refuses_are_refused() {
    for path in [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/.%2E/secret.txt",
        "/sub%2F..%2F..%2Fsecret.txt",
        "/sub%5Cindex.html",
        "//etc/passwd",
        "/app.js%00.html",
        "relative",
    ] {
        assert!(
            matches!(Site::relative(path), Err(Refusal::BadPath(_))),
            "{path}"
        );
    }
}

#[test]
fn hidden_files_and_invalid_names_are_not_found() {
    assert_eq!(Site::relative("/.env"), Err(Refusal::NotFound));
    assert_eq!(Site::relative("/sub/.git/config"), Err(Refusal::NotFound));
    // Not UTF-8 once decoded.
    assert_eq!(Site::relative("/%FF.html"), Err(Refusal::NotFound));
}

#[test]
fn a_symlink_leaving_the_directory_is_not_followed() {
    let (tmp, site) = site();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), site.root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(tmp.path(), site.root.join("up")).unwrap();
    assert_eq!(site.resolve("/link.txt"), Err(Refusal::NotFound));
    assert_eq!(site.resolve("/up/secret.txt"), Err(Refusal::NotFound));
    // A link that stays inside is served.
    std::os::unix::fs::symlink(site.root.join("app.js"), site.root.join("alias.js")).unwrap();
    assert_eq!(site.resolve("/alias.js").unwrap(), site.root.join("app.js"));
}

#[test]
fn directories_are_not_listed() {
    let (_tmp, site) = site();
    // `/sub` is a directory: not a file, and no listing.
    assert_eq!(site.resolve("/sub"), Err(Refusal::NotFound));
    assert_eq!(
        site.resolve("/sub/").unwrap(),
        site.root.join("sub/index.html")
    );
    assert_eq!(site.resolve("/missing.js"), Err(Refusal::NotFound));
}

#[test]
fn content_types_by_extension() {
    for (file, expected) in [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("APP.JS", "text/javascript; charset=utf-8"),
        ("app.js.map", "application/json"),
        ("style.css", "text/css; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("logo.png", "image/png"),
        ("README", "application/octet-stream"),
        ("x.exe", "application/octet-stream"),
    ] {
        assert_eq!(content_type(Path::new(file)), expected, "{file}");
    }
}

#[tokio::test]
async fn get_serves_files_with_no_cache() {
    let (_tmp, site) = site();
    let (status, headers, body) = get(&site, Method::GET, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "<h1>index</h1>");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-length"], "14");
    // The query string is not part of the file name.
    let (status, headers, body) = get(&site, Method::GET, "/app.js?v=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "console.log(1)");
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
}

#[tokio::test]
async fn head_has_the_headers_and_no_body() {
    let (_tmp, site) = site();
    let (status, headers, body) = get(&site, Method::HEAD, "/app.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "");
    assert_eq!(headers["content-length"], "14");
}

#[tokio::test]
async fn other_methods_are_405() {
    let (_tmp, site) = site();
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
        let (status, headers, _) = get(&site, method.clone(), "/index.html").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(headers["allow"], "GET, HEAD");
    }
}

#[tokio::test]
async fn refusals_do_not_repeat_the_path() {
    let (_tmp, site) = site();
    let (status, _, body) = get(&site, Method::GET, "/%2e%2e/secret.txt").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "Bad Request\n");
    let (status, headers, body) = get(&site, Method::GET, "/no-such-file.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, "Not Found\n");
    assert_eq!(headers["cache-control"], "no-cache");
    let (status, _, body) = get(&site, Method::GET, "/.env").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("SECRET"));
}
