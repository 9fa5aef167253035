//! The static site listener (`site:` in the configuration): the files of one directory, for a
//! web page that calls the gateway from a browser (the Wild Rydes page).
//!
//! Read-only and small on purpose: `GET` and `HEAD` (anything else is 405), `/` and any path
//! ending in `/` serve that directory's `index.html` (never a listing), and a path is resolved
//! only after `router::canonicalize` accepted it — the same refusals as the edge endpoint: dot
//! segments, empty segments, encoded separators, `%00` and control characters. Segments starting
//! with `.` (`.git`, `.env`) are not served. The file found is resolved again on disk (symlinks
//! followed) and must still lie under the site's canonical directory, so a link pointing outside
//! is a 404 like a missing file. Every answer says `cache-control: no-cache`: a page being
//! developed is revalidated on each load.

use std::path::{Path, PathBuf};

use http::{HeaderValue, Method, Request, Response, StatusCode, header};

use crate::body::{self, Body};

/// Why a request path does not name a servable file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The path has no canonical form (see `router::canonicalize`).
    #[error("invalid request path: {0}")]
    BadPath(#[from] router::PathError),
    /// No such file under the directory (hidden, missing, a directory, or outside it).
    #[error("not found")]
    NotFound,
}

/// The site: its canonical directory.
#[derive(Debug, Clone)]
pub struct Site {
    root: PathBuf,
}

impl Site {
    /// `root` must be canonical (the configuration makes it so): served files are checked to
    /// lie under it.
    pub fn new(root: PathBuf) -> Site {
        Site { root }
    }

    /// The file a request path names, relative to the root, before it is looked up on disk.
    pub fn relative(path: &str) -> Result<PathBuf, Refusal> {
        let canonical = router::canonicalize(path)?;
        let mut relative = PathBuf::new();
        let mut segments = canonical.split('/').skip(1).peekable();
        while let Some(segment) = segments.next() {
            if segment.is_empty() {
                // Canonical paths have no empty segment but the last (a trailing slash): that
                // directory's index. Any other is refused, should that ever change.
                if segments.peek().is_some() {
                    return Err(Refusal::NotFound);
                }
                relative.push("index.html");
                break;
            }
            // What escapes remain after canonicalization stand for characters of the name
            // (`%20`); never a separator or a dot segment, which canonicalize refused.
            let name = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .map_err(|_| Refusal::NotFound)?;
            if name.starts_with('.') || name.contains(['/', '\\', '\0']) {
                return Err(Refusal::NotFound);
            }
            relative.push(name.as_ref());
        }
        Ok(relative)
    }

    /// The file on disk for `path`: canonical, a regular file, under the root.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, Refusal> {
        let file = self.root.join(Site::relative(path)?);
        let real = std::fs::canonicalize(&file).map_err(|_| Refusal::NotFound)?;
        if !real.starts_with(&self.root) || !real.is_file() {
            return Err(Refusal::NotFound);
        }
        Ok(real)
    }

    /// Answers one request.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Body> {
        let head = req.method() == Method::HEAD;
        if req.method() != Method::GET && !head {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let site = self.clone();
        let path = req.uri().path().to_string();
        // File system calls block: off the connection's runtime thread.
        let read = tokio::task::spawn_blocking(move || {
            let file = site.resolve(&path)?;
            std::fs::read(&file)
                .map(|bytes| (file, bytes))
                .map_err(|_| Refusal::NotFound)
        })
        .await;
        match read {
            Ok(Ok((file, bytes))) => {
                let length = bytes.len();
                let mut response = Response::new(if head {
                    body::empty()
                } else {
                    body::full(bytes)
                });
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&file)),
                );
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
                common_headers(headers);
                response
            }
            Ok(Err(Refusal::BadPath(_))) => plain(StatusCode::BAD_REQUEST, "Bad Request\n"),
            Ok(Err(Refusal::NotFound)) => plain(StatusCode::NOT_FOUND, "Not Found\n"),
            Err(e) => {
                tracing::error!("site: reading a file failed: {e}");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n")
            }
        }
    }
}

fn common_headers(headers: &mut http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // A file is what its extension says, never what a browser guesses from its bytes.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// A refusal: a fixed text that does not repeat the path asked for.
fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(body::full(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    common_headers(headers);
    response
}

/// The media type of a file, by its extension.
pub fn content_type(file: &Path) -> &'static str {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
#[path = "site_tests.rs"]
mod tests;
