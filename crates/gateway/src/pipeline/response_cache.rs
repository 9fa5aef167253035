//! Phase: the stage response cache. For a method with caching enabled (on a stage with a cache
//! cluster), a response cached under the request's key answers at once (`Flow::Respond`);
//! otherwise the integration's answer is stored, in `on_response`, for the method's TTL.
//!
//! The key is the namespace (the integration's `cacheNamespace`, else the resource path), the
//! method, and the values of the integration's `cacheKeyParameters`. The phase runs after
//! authentication, authorization, the API key and throttling: a cached answer is only ever given
//! to a request that passed all of them.
//!
//! `Cache-Control: max-age=0` asks for a fresh answer. With `require_authorization_for_cache_control`
//! (the default), only a caller allowed `execute-api:InvalidateCache` on the method's ARN gets
//! it; any other is answered per `unauthorized_cache_control_header_strategy`: 403
//! (`FAIL_WITH_403`, the default), or the cached answer with (`SUCCEED_WITH_RESPONSE_HEADER`) or
//! without a `Warning` header saying the header was ignored.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use config::CacheControlStrategy;
use http::{HeaderMap, HeaderValue, Response};
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;
use restapi::ParamLocation;

use super::authorize::{decide, route_arn, subject};
use super::context::RequestCtx;
use super::params::{header_value, query_value};
use super::{Exchange, Flow, Phase};
use crate::auth;
use crate::body::{Body, BoxError, full};
use crate::cache::{CachedResponse, MAX_ENTRY_BYTES, StageCache, cache_key};
use crate::deploy::Deployment;
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

pub const INVALIDATE_CACHE: &str = "execute-api:InvalidateCache";

/// What API Gateway's `SUCCEED_WITH_RESPONSE_HEADER` strategy adds.
const IGNORED_WARNING: &str =
    "199 - \"Cache-control headers were ignored because the caller was unauthorized.\"";

/// A miss to be filled with the integration's answer.
pub struct CacheFill {
    key: String,
    ttl: Duration,
    cache: Arc<StageCache>,
    /// Add the `Warning` of an ignored `Cache-Control` (and do not store).
    warn: bool,
}

pub(crate) struct ResponseCache;

impl Phase for ResponseCache {
    const NAME: &'static str = "cache";

    async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        let ctx = &*exchange.ctx;
        let Some(route) = ctx.route.as_ref() else {
            return Ok(Flow::Continue);
        };
        let stage = route.stage();
        let (Some(cache), Some(settings), Some(method)) = (
            stage.cache.as_ref(),
            route
                .resource
                .zip(route.method)
                .and_then(|(r, m)| stage.methods.get(r)?.get(m))
                .and_then(|m| m.cache.as_ref()),
            route.method(),
        ) else {
            return Ok(Flow::Continue);
        };
        let query = ctx.uri.query().unwrap_or("");
        let values: Vec<(&str, Option<Cow<'_, str>>)> = method
            .integration
            .cache_key_parameters
            .iter()
            .map(|p| {
                let value = match p.location {
                    ParamLocation::Path => route.param(&p.name).map(Cow::Borrowed),
                    ParamLocation::Query => query_value(query, &p.name).map(Cow::Owned),
                    ParamLocation::Header => {
                        header_value(&exchange.parts.headers, &p.name).map(Cow::Owned)
                    }
                };
                (p.name.as_str(), value)
            })
            .collect();
        let key = cache_key(
            &settings.namespace,
            route.verb.as_str(),
            values.iter().map(|(n, v)| (*n, v.as_deref())),
        );
        let mut warn = false;
        if asks_fresh(&exchange.parts.headers) {
            let allowed = !settings.require_authorization_for_cache_control
                || may_invalidate(svc, &exchange.deployment, ctx, &exchange.parts);
            if allowed {
                cache.invalidate(&key);
                stage.usage_metrics.cache_misses.inc();
                let fill = CacheFill {
                    key,
                    ttl: settings.ttl,
                    cache: Arc::clone(cache),
                    warn: false,
                };
                exchange.ctx.cache_fill = Some(Box::new(fill));
                return Ok(Flow::Continue);
            }
            match settings.unauthorized_cache_control {
                CacheControlStrategy::FailWith403 => {
                    return Err(GatewayError::new(ErrorKind::CacheInvalidationDenied));
                }
                CacheControlStrategy::SucceedWithResponseHeader => warn = true,
                CacheControlStrategy::SucceedWithoutResponseHeader => {}
            }
        }
        if let Some(hit) = cache.get(&key) {
            stage.usage_metrics.cache_hits.inc();
            let mut response = Response::new(full(hit.body.clone()));
            *response.status_mut() = hit.status;
            *response.headers_mut() = hit.headers.clone();
            if warn {
                response.headers_mut().insert(
                    http::header::WARNING,
                    HeaderValue::from_static(IGNORED_WARNING),
                );
            }
            return Ok(Flow::Respond(response));
        }
        stage.usage_metrics.cache_misses.inc();
        let fill = CacheFill {
            key,
            ttl: settings.ttl,
            cache: Arc::clone(cache),
            warn,
        };
        exchange.ctx.cache_fill = Some(Box::new(fill));
        Ok(Flow::Continue)
    }

    async fn on_response(_svc: &Services, exchange: &mut Exchange, response: &mut Response<Body>) {
        let Some(fill) = exchange.ctx.cache_fill.take() else {
            return;
        };
        if fill.warn {
            response.headers_mut().insert(
                http::header::WARNING,
                HeaderValue::from_static(IGNORED_WARNING),
            );
        }
        // Only successful answers are cached (see docs/compatibility.md), and only those that
        // can fit: a declared length over the limit is not even buffered.
        let too_big = response
            .body()
            .size_hint()
            .exact()
            .is_some_and(|n| n > MAX_ENTRY_BYTES as u64);
        if !response.status().is_success() || too_big {
            return;
        }
        let status = response.status();
        let headers = cacheable_headers(response.headers());
        let body = std::mem::replace(response.body_mut(), crate::body::empty());
        *response.body_mut() = Filling {
            inner: body,
            buffered: Some(BytesMut::new()),
            entry: Some((*fill, status, headers)),
        }
        .boxed_unsync();
    }
}

/// `Cache-Control: max-age=0` (or `no-cache`, which means the same to a cache).
fn asks_fresh(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .any(|d| d == "max-age=0" || d == "no-cache")
}

/// Whether the caller is allowed `execute-api:InvalidateCache` on the request's ARN. Only an
/// identity some policy speaks for can be: an anonymous caller of an API without a resource
/// policy never is.
fn may_invalidate(
    svc: &Services,
    deployment: &Deployment,
    ctx: &RequestCtx,
    parts: &http::request::Parts,
) -> bool {
    let Some(route) = ctx.route.as_ref() else {
        return false;
    };
    let resource_policy = route.api.resource_policy.as_ref();
    let Some(subject) = subject(
        &ctx.identity,
        &deployment.anonymous,
        &deployment.anonymous_context,
        resource_policy,
    ) else {
        return false;
    };
    let context = auth::request_context(
        subject.context,
        parts,
        &ctx.source_ip_value,
        ctx.secure,
        &deployment.shared_values,
        svc.clock.now(),
    );
    decide(
        &subject,
        INVALIDATE_CACHE,
        &context,
        &route_arn(route),
        &route.api.account_id,
        resource_policy,
    )
    .is_allowed()
}

/// The headers a cached answer replays: not the per-request ones respond adds again, nor
/// hop-by-hop ones, nor cookies (a cached `Set-Cookie` would hand one caller's session to the
/// next).
fn cacheable_headers(headers: &HeaderMap) -> HeaderMap {
    const SKIP: &[&str] = &[
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "set-cookie",
        "x-amzn-requestid",
        "x-amz-apigw-id",
        "x-amzn-trace-id",
        "date",
    ];
    headers
        .iter()
        .filter(|(n, _)| !SKIP.contains(&n.as_str()))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// A response body passed through to the client and kept, up to [`MAX_ENTRY_BYTES`]; stored
/// when it ends. A body cut off midway (backend error, client gone) is not stored.
struct Filling {
    inner: Body,
    buffered: Option<BytesMut>,
    entry: Option<(CacheFill, http::StatusCode, HeaderMap)>,
}

impl Filling {
    fn store(&mut self) {
        let (Some(body), Some((fill, status, headers))) = (self.buffered.take(), self.entry.take())
        else {
            return;
        };
        fill.cache.insert(
            fill.key,
            CachedResponse {
                status,
                headers,
                body: Bytes::from(body),
                ttl: fill.ttl,
            },
        );
    }
}

impl http_body::Body for Filling {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(buffered)) = (frame.data_ref(), self.buffered.as_mut()) {
                    if buffered.len() + data.len() > MAX_ENTRY_BYTES {
                        self.buffered = None;
                    } else {
                        buffered.extend_from_slice(data);
                    }
                }
                if self.inner.is_end_stream() {
                    self.store();
                }
            }
            Poll::Ready(None) => self.store(),
            Poll::Ready(Some(Err(_))) => self.buffered = None,
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_requests() {
        let mut h = HeaderMap::new();
        assert!(!asks_fresh(&h));
        h.insert(
            "cache-control",
            HeaderValue::from_static("public, Max-Age=0"),
        );
        assert!(asks_fresh(&h));
        h.insert("cache-control", HeaderValue::from_static("max-age=60"));
        assert!(!asks_fresh(&h));
        h.insert("cache-control", HeaderValue::from_static("no-cache"));
        assert!(asks_fresh(&h));
    }
}
