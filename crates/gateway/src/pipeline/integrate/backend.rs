//! Talking to an HTTP backend: headers every integration request carries, the call itself with its
//! timeout, and the response headers API Gateway renames.

use std::time::Instant;

use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response};
use restapi::Integration;

use super::{is_body_timeout, is_length_limit};
use crate::body::Body;
use crate::client::ClientError;
use crate::error::{ErrorKind, GatewayError};
use crate::pipeline::context::RequestCtx;
use crate::services::Services;

/// Hop-by-hop headers (RFC 9110 §7.6.1) never cross a proxy.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
static X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
static X_AMZN_API_ID: HeaderName = HeaderName::from_static("x-amzn-apigateway-api-id");

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the names finds the few present (a backend's answer usually has
    // `Connection: keep-alive` and nothing else of the list): a removal per candidate would hash
    // every name of the list on every request.
    let present: smallvec::SmallVec<[HeaderName; 4]> = headers
        .keys()
        .filter(|name| HOP_BY_HOP.contains(name))
        .cloned()
        .collect();
    if present.is_empty() {
        return;
    }
    if let Some(connection) = headers.get(header::CONNECTION).cloned() {
        for token in connection.to_str().unwrap_or("").split(',') {
            let token = token.trim();
            // By `&str`: parsed on the stack, no `HeaderName` made for a name that is absent.
            if !token.is_empty() && !token.eq_ignore_ascii_case("keep-alive") {
                headers.remove(token);
            }
        }
    }
    for name in &present {
        headers.remove(name);
    }
}

/// Adds what API Gateway adds to every integration request: `X-Forwarded-*` and the trace
/// headers, with the gateway's own span as the parent. Values come pre-made where they can
/// (the client address per connection, the API id per deployment): this runs on every request.
pub(crate) fn add_forwarding_headers(headers: &mut HeaderMap, ctx: &RequestCtx) {
    headers.reserve(6);
    let xff = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.is_empty() => {
            HeaderValue::try_from(format!("{existing}, {}", ctx.source_ip)).ok()
        }
        _ => Some(ctx.source_ip_header.clone()),
    };
    if let Some(v) = xff {
        headers.insert(X_FORWARDED_FOR.clone(), v);
    }
    headers.insert(
        X_FORWARDED_PROTO.clone(),
        HeaderValue::from_static(if ctx.secure { "https" } else { "http" }),
    );
    headers.insert(X_FORWARDED_PORT.clone(), ctx.local_port_header.clone());
    if let Ok(v) = HeaderValue::try_from(ctx.trace.xray_header(ctx.span_id)) {
        headers.insert(X_AMZN_TRACE_ID.clone(), v);
    }
    if let Ok(v) = HeaderValue::try_from(ctx.trace.traceparent(ctx.span_id)) {
        headers.insert(TRACEPARENT.clone(), v);
    }
    if let Some(route) = &ctx.route {
        headers.insert(X_AMZN_API_ID.clone(), route.api.id_header.clone());
    }
}

/// Sends the request within the integration's timeout and records the outcome in `ctx`.
pub(crate) async fn call(
    svc: &Services,
    ctx: &mut RequestCtx,
    integration: &Integration,
    request: Request<Body>,
) -> Result<Response<Body>, GatewayError> {
    let client = if integration.insecure_skip_verification {
        &svc.upstream.insecure
    } else {
        &svc.upstream.verified
    };
    let started = Instant::now();
    let result = tokio::time::timeout(integration.timeout, client.request(request)).await;
    ctx.integration.latency = Some(started.elapsed());
    match result {
        Err(_) => {
            ctx.integration.error = Some("timeout".into());
            Err(
                GatewayError::new(ErrorKind::IntegrationTimeout).detail(format!(
                    "no response within {} ms",
                    integration.timeout.as_millis()
                )),
            )
        }
        // The client's body failing its own limits is the client's fault, not the backend's.
        Ok(Err(ClientError::Http(e))) if is_length_limit(&e) => {
            Err(GatewayError::new(ErrorKind::RequestTooLarge))
        }
        Ok(Err(ClientError::Http(e))) if is_body_timeout(&e) => {
            Err(GatewayError::new(ErrorKind::RequestTimeout))
        }
        Ok(Err(e)) => {
            let detail = error_chain(&e);
            ctx.integration.error = Some(detail.clone());
            Err(GatewayError::new(ErrorKind::IntegrationFailure).detail(detail))
        }
        Ok(Ok(response)) => {
            ctx.integration.status = Some(response.status().as_u16());
            Ok(response)
        }
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Headers of a backend response that API Gateway does not pass through under their own name:
/// they describe the backend's connection or would change how clients authenticate, so they
/// arrive as `x-amzn-Remapped-<name>` (API Gateway's documented behavior for REST APIs).
static REMAPPED: [(HeaderName, HeaderName); 9] = [
    (
        header::AUTHORIZATION,
        HeaderName::from_static("x-amzn-remapped-authorization"),
    ),
    (
        header::DATE,
        HeaderName::from_static("x-amzn-remapped-date"),
    ),
    (
        header::SERVER,
        HeaderName::from_static("x-amzn-remapped-server"),
    ),
    (
        header::WWW_AUTHENTICATE,
        HeaderName::from_static("x-amzn-remapped-www-authenticate"),
    ),
    (
        header::PROXY_AUTHENTICATE,
        HeaderName::from_static("x-amzn-remapped-proxy-authenticate"),
    ),
    (
        header::MAX_FORWARDS,
        HeaderName::from_static("x-amzn-remapped-max-forwards"),
    ),
    (
        header::EXPECT,
        HeaderName::from_static("x-amzn-remapped-expect"),
    ),
    (
        header::HOST,
        HeaderName::from_static("x-amzn-remapped-host"),
    ),
    (
        header::USER_AGENT,
        HeaderName::from_static("x-amzn-remapped-user-agent"),
    ),
];

/// Prepares a proxied response's headers for the client.
pub(crate) fn remap_response_headers(headers: &mut HeaderMap) {
    strip_hop_by_hop(headers);
    // Only the names present (usually `Server` alone), found by comparing names — no hashing —
    // so that an answer without them costs no lookup per remapped name.
    let present: smallvec::SmallVec<[&(HeaderName, HeaderName); 2]> = REMAPPED
        .iter()
        .filter(|(name, _)| headers.keys().any(|k| k == name))
        .collect();
    for (name, remapped) in present {
        if let http::header::Entry::Occupied(entry) = headers.entry(name) {
            let (_, values) = entry.remove_entry_mult();
            let values: smallvec::SmallVec<[HeaderValue; 2]> = values.collect();
            for v in values {
                headers.append(remapped.clone(), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            "keep-alive, X-Secret, not a name, ".parse().unwrap(),
        );
        h.insert("x-secret", "1".parse().unwrap());
        h.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        h.insert("x-kept", "1".parse().unwrap());
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }

    #[test]
    fn remapping() {
        let mut h = HeaderMap::new();
        h.insert(header::SERVER, "nginx".parse().unwrap());
        h.append(header::WWW_AUTHENTICATE, "Basic".parse().unwrap());
        h.append(header::WWW_AUTHENTICATE, "Bearer".parse().unwrap());
        h.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        remap_response_headers(&mut h);
        assert!(!h.contains_key(header::SERVER));
        assert_eq!(h["x-amzn-remapped-server"], "nginx");
        assert_eq!(
            h.get_all("x-amzn-remapped-www-authenticate").iter().count(),
            2
        );
        assert_eq!(h[header::CONTENT_TYPE], "text/plain");
    }
}
