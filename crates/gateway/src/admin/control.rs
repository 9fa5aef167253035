//! The control plane's request handling: authentication first (fail closed), then the route
//! table of API Gateway's REST operations, the error shape (status, `x-amzn-ErrorType`,
//! `{"message"}`), and what every operation shares (query parameters, paging, ids).
//!
//! Order: the signature is checked and the action authorized before the path is even matched,
//! so that a caller without credentials learns nothing about which operations exist.

use std::collections::HashMap;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use ring::rand::SecureRandom;
use serde_json::Value;
use store::{StoreError, UsageError};

use super::{auth, cache, keys, plans, usage};
use crate::auth::Caller;
use crate::body::{Body, full};
use crate::deploy::Deployment;
use crate::pipeline::ConnInfo;
use crate::services::Services;
use crate::usage::plan_json::PlanDefinitionError;

/// Control-plane requests are small JSON documents; anything larger is refused unread.
pub(super) const MAX_BODY: usize = 64 * 1024;

/// API Gateway's page size: 25 by default, at most 500.
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 500;

/// The control plane's error types, as API Gateway names them in `x-amzn-ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorType {
    BadRequest,
    NotFound,
    Conflict,
    AccessDenied,
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    UnrecognizedClient,
    ExpiredToken,
    RequestTooLarge,
    RequestTimeout,
    ServiceUnavailable,
}

impl ErrorType {
    /// The one table of status and `x-amzn-ErrorType` for the control plane.
    fn spec(self) -> (StatusCode, &'static str) {
        use ErrorType as E;
        match self {
            E::BadRequest => (StatusCode::BAD_REQUEST, "BadRequestException"),
            E::NotFound => (StatusCode::NOT_FOUND, "NotFoundException"),
            E::Conflict => (StatusCode::CONFLICT, "ConflictException"),
            E::AccessDenied => (StatusCode::FORBIDDEN, "AccessDeniedException"),
            E::MissingAuthenticationToken => {
                (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException")
            }
            E::IncompleteSignature => (StatusCode::FORBIDDEN, "IncompleteSignatureException"),
            E::InvalidSignature => (StatusCode::FORBIDDEN, "InvalidSignatureException"),
            E::UnrecognizedClient => (StatusCode::FORBIDDEN, "UnrecognizedClientException"),
            E::ExpiredToken => (StatusCode::FORBIDDEN, "ExpiredTokenException"),
            E::RequestTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLargeException"),
            E::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "RequestTimeoutException"),
            E::ServiceUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
            ),
        }
    }
}

/// A refused control-plane request: its type and the message the caller reads.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub(crate) struct ApiError {
    pub kind: ErrorType,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(kind: ErrorType, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorType::BadRequest, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorType::NotFound, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorType::Conflict, message)
    }

    /// An item declared in the configuration file: the file is its source of truth, so the API
    /// refuses to change it rather than let the next reload silently undo the change.
    pub(crate) fn read_only(what: &str) -> ApiError {
        ApiError::bad_request(format!(
            "{what} is declared in the configuration file and cannot be changed through the API: edit the configuration file and reload (SIGHUP)"
        ))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::warn!(target: "portcullis::admin", "storage failed: {e}");
        ApiError::new(ErrorType::ServiceUnavailable, e.to_string())
    }
}

impl From<UsageError> for ApiError {
    fn from(e: UsageError) -> ApiError {
        match e {
            UsageError::Conflict(m) => ApiError::conflict(m),
            UsageError::NotFound(m) => ApiError::not_found(m),
            UsageError::Store(e) => e.into(),
        }
    }
}

impl From<PlanDefinitionError> for ApiError {
    fn from(e: PlanDefinitionError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

/// A successful answer: a status and, except for 202s, a JSON document.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Option<Value>,
}

impl Reply {
    pub(crate) fn ok(body: Value) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Some(body),
        }
    }

    pub(crate) fn created(body: Value) -> Reply {
        Reply {
            status: StatusCode::CREATED,
            body: Some(body),
        }
    }

    /// API Gateway answers deletions and flushes with 202 and no body.
    pub(crate) fn accepted() -> Reply {
        Reply {
            status: StatusCode::ACCEPTED,
            body: None,
        }
    }
}

/// One authenticated, authorized control-plane call, as an operation sees it.
pub(crate) struct Call<'a> {
    pub svc: &'a Services,
    /// Taken once: the whole call is checked against one deployment.
    pub deployment: &'a Deployment,
    pub caller: &'a Caller,
    pub query: HashMap<String, String>,
    pub body: Bytes,
}

impl Call<'_> {
    pub(crate) fn now(&self) -> SystemTime {
        self.svc.clock.now()
    }

    /// The body as JSON (an empty body reads as `{}`: the CLI sends none for some calls).
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &self.body
        };
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
    }

    pub(crate) fn query_str(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A boolean query parameter (`true`/`false`, absent meaning `false`).
    pub(crate) fn query_bool(&self, name: &str) -> Result<bool, ApiError> {
        match self.query_str(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::bad_request(format!(
                "Invalid value for {name}: {v:?} is not true or false"
            ))),
        }
    }

    /// Makes a change visible to requests: the stored-key index is rebuilt from storage.
    pub(crate) async fn refresh(&self) -> Result<(), ApiError> {
        self.svc.refresh_usage().await.map_err(|e| {
            ApiError::new(
                ErrorType::ServiceUnavailable,
                format!("the change was stored but could not be applied yet ({e}); it applies at the next change or restart"),
            )
        })
    }

    /// Who made a change, for the audit lines in the log.
    pub(crate) fn who(&self) -> &str {
        self.caller.principal.arn()
    }
}

/// A page of (id, item) and the position of the next page.
pub(crate) type Page<T> = (Vec<(String, T)>, Option<String>);

/// One page of `items` (sorted by id) and the position of the next, if more follow: the id of
/// the next item, which stays valid while items come and go (API Gateway's own is opaque too).
pub(crate) fn page_of<T>(call: &Call<'_>, items: Vec<(String, T)>) -> Result<Page<T>, ApiError> {
    let limit = match call.query_str("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Invalid limit {v:?}: use a number from 1 to {MAX_LIMIT}"
                )));
            }
        },
    };
    let position = call.query_str("position");
    let mut rest = items
        .into_iter()
        .filter(|(id, _)| position.is_none_or(|p| id.as_str() >= p));
    let page: Vec<(String, T)> = rest.by_ref().take(limit).collect();
    Ok((page, rest.next().map(|(id, _)| id)))
}

/// One page in API Gateway's list shape: `{"item": [...]}`, and `"position"` when more follow.
pub(crate) fn page(call: &Call<'_>, items: Vec<(String, Value)>) -> Result<Value, ApiError> {
    let (page, next) = page_of(call, items)?;
    let item: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    let mut answer = serde_json::json!({ "item": item });
    if let Some(next) = next
        && let Some(map) = answer.as_object_mut()
    {
        map.insert("position".into(), Value::String(next));
    }
    Ok(answer)
}

/// Ids of keys and plans (API Gateway's own, and those of the configuration file).
pub(crate) fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `n` characters drawn uniformly from `alphabet`, from OS randomness.
pub(crate) fn random_string(svc: &Services, alphabet: &[u8], n: usize) -> Result<String, ApiError> {
    let failed = || ApiError::new(ErrorType::ServiceUnavailable, "no randomness available");
    let len = u8::try_from(alphabet.len()).map_err(|_| failed())?;
    if len == 0 {
        return Err(failed());
    }
    // Bytes past the last whole multiple of the alphabet's size are dropped, so every
    // character is equally likely (no modulo bias).
    let cutoff = 256 - 256 % usize::from(len);
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        svc.random.fill(&mut buf).map_err(|_| failed())?;
        for b in buf {
            if usize::from(b) < cutoff && out.len() < n {
                let c = alphabet
                    .get(usize::from(b) % usize::from(len))
                    .ok_or_else(failed)?;
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

/// A 10-character lowercase alphanumeric id, like API Gateway's.
pub(crate) fn new_id(svc: &Services) -> Result<String, ApiError> {
    random_string(svc, b"abcdefghijklmnopqrstuvwxyz0123456789", 10)
}

/// Unix seconds: API Gateway's REST JSON sends timestamps as epoch seconds.
pub(crate) fn epoch(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Serializes changes made through the API: "a key is in one plan per API stage" is checked
/// against what storage holds, then written, and two calls must not interleave between the
/// two. Process-wide, since one process serves one admin endpoint.
pub(crate) static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(super) async fn handle(
    svc: &Services,
    conn: ConnInfo,
    req: Request<Incoming>,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    // Boxed as `dyn Future + Send` here, where its borrows have concrete lifetimes (as the STS
    // handler does, for the same rustc limitation).
    let serving: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>> =
        Box::pin(serve(svc, &conn, req, &request_id));
    match serving.await {
        Ok(reply) => reply_response(reply, &request_id),
        Err(e) => {
            tracing::debug!(
                target: "portcullis::admin",
                request_id,
                error_type = e.kind.spec().1,
                "control-plane request refused: {}",
                sigv4::redact_for_log(&e.message)
            );
            error_response(&e, &request_id)
        }
    }
}

async fn serve(
    svc: &Services,
    conn: &ConnInfo,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Reply, ApiError> {
    let deployment = svc.deployment();
    let (mut parts, body) = req.into_parts();
    let (caller, body) = auth::authenticate(svc, &deployment, &mut parts, body).await?;
    let segments = segments(parts.uri.path())?;
    let resource = format!("/{}", segments.join("/"));
    auth::authorize(
        svc,
        &deployment,
        conn,
        &parts,
        &caller,
        &resource,
        request_id,
    )?;
    let query = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let call = Call {
        svc,
        deployment: &deployment,
        caller: &caller,
        query,
        body,
    };
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = &parts.method;
    match (method, s.as_slice()) {
        (&Method::POST, ["apikeys"]) => keys::create(&call).await,
        (&Method::GET, ["apikeys"]) => keys::list(&call).await,
        (&Method::GET, ["apikeys", id]) => keys::get(&call, id).await,
        (&Method::PATCH, ["apikeys", id]) => keys::update(&call, id).await,
        (&Method::DELETE, ["apikeys", id]) => keys::delete(&call, id).await,
        (&Method::POST, ["usageplans"]) => plans::create(&call).await,
        (&Method::GET, ["usageplans"]) => plans::list(&call).await,
        (&Method::GET, ["usageplans", id]) => plans::get(&call, id).await,
        (&Method::PATCH, ["usageplans", id]) => plans::update(&call, id).await,
        (&Method::DELETE, ["usageplans", id]) => plans::delete(&call, id).await,
        (&Method::POST, ["usageplans", id, "keys"]) => plans::add_key(&call, id).await,
        (&Method::GET, ["usageplans", id, "keys"]) => plans::list_keys(&call, id).await,
        (&Method::GET, ["usageplans", id, "keys", key]) => plans::get_key(&call, id, key).await,
        (&Method::DELETE, ["usageplans", id, "keys", key]) => {
            plans::remove_key(&call, id, key).await
        }
        (&Method::GET, ["usageplans", id, "usage"]) => usage::get(&call, id).await,
        (&Method::DELETE, ["restapis", api, "stages", stage, "cache", "data"]) => {
            cache::flush(&call, api, stage)
        }
        _ => Err(ApiError::not_found(format!(
            "Unsupported operation: {method} {resource} (see docs/admin-api.md for the operations served)"
        ))),
    }
}

/// The path's segments, percent-decoded. Empty segments and ones that decode to `/` are
/// refused: the ARN authorized is built from these segments, so they must have one meaning.
fn segments(path: &str) -> Result<Vec<String>, ApiError> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    trimmed
        .split('/')
        .map(|s| {
            let decoded = percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map_err(|_| ApiError::bad_request("Invalid request path"))?;
            if decoded.is_empty() || decoded.contains('/') {
                return Err(ApiError::bad_request("Invalid request path"));
            }
            Ok(decoded.into_owned())
        })
        .collect()
}

fn with_request_id(mut response: Response<Body>, request_id: &str) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

fn reply_response(reply: Reply, request_id: &str) -> Response<Body> {
    let mut response = match reply.body {
        Some(body) => {
            let mut r = Response::new(full(body.to_string()));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        None => Response::new(full(Bytes::new())),
    };
    *response.status_mut() = reply.status;
    with_request_id(response, request_id)
}

/// API Gateway's control-plane error: the type in `x-amzn-ErrorType`, `{"message"}` in the body.
pub(crate) fn error_response(e: &ApiError, request_id: &str) -> Response<Body> {
    let (status, error_type) = e.kind.spec();
    let mut response = Response::new(full(
        serde_json::json!({ "message": e.message }).to_string(),
    ));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    with_request_id(response, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_decoded_and_ambiguous_ones_refused() {
        assert_eq!(segments("/apikeys/abc").unwrap(), ["apikeys", "abc"]);
        assert_eq!(segments("/apikeys/").unwrap(), ["apikeys"]);
        assert_eq!(segments("/a%62c").unwrap(), ["abc"]);
        for bad in ["/apikeys//x", "/a%2Fb", "/%ff"] {
            assert!(segments(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids() {
        assert!(valid_id("abc_-09"));
        assert!(!valid_id(""));
        assert!(!valid_id("a:b"));
        assert!(!valid_id(&"a".repeat(65)));
    }
}
