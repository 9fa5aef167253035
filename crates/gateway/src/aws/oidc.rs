//! The user pools' OpenID Connect and OAuth 2.0 endpoints on the edge listener:
//! `GET /{poolId}/.well-known/jwks.json`, `GET /{poolId}/.well-known/openid-configuration` and
//! `POST /oauth2/token`. They are matched only for configured pools (the loader refuses a
//! stage named like a pool or `oauth2`, so no API invocation is shadowed).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::AUTHORIZATION;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::Body;
use crate::deploy::Deployment;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

const JWKS: &str = "/.well-known/jwks.json";
const DISCOVERY: &str = "/.well-known/openid-configuration";
pub(crate) const TOKEN_PATH: &str = "/oauth2/token";
/// Token requests are a few hundred bytes.
const MAX_FORM: usize = 16 * 1024;

/// Whether `req` is for one of these endpoints of a configured pool.
pub(crate) fn matches<B>(gw: &Deployment, req: &Request<B>) -> bool {
    let path = req.uri().path();
    if path == TOKEN_PATH {
        return !gw.idp.is_empty();
    }
    pool_of(path).is_some_and(|(pool, _)| gw.idp.pool_config(pool).is_some())
}

fn pool_of(path: &str) -> Option<(&str, &'static str)> {
    let rest = path.strip_prefix('/')?;
    [JWKS, DISCOVERY]
        .into_iter()
        .find_map(|doc| rest.strip_suffix(doc).map(|pool| (pool, doc)))
        .filter(|(pool, _)| !pool.is_empty() && !pool.contains('/'))
}

fn json(status: StatusCode, body: String) -> Response<Body> {
    let mut response = super::answer(status, "application/json", body, &super::new_request_id());
    response
        .headers_mut()
        .insert("cache-control", http::HeaderValue::from_static("no-store"));
    response
}

pub(crate) async fn handle(svc: Arc<Services>, req: Request<Incoming>) -> Response<Body> {
    let gw = svc.deployment();
    let now = svc.clock.now();
    let path = req.uri().path().to_string();
    if path == TOKEN_PATH {
        if req.method() != Method::POST {
            return json(
                StatusCode::METHOD_NOT_ALLOWED,
                r#"{"error":"invalid_request"}"#.into(),
            );
        }
        return token(&svc, &gw, req, now).await;
    }
    let Some((pool, doc)) = pool_of(&path) else {
        return json(StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#.into());
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return json(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"message":"Method Not Allowed"}"#.into(),
        );
    }
    match doc {
        JWKS => match svc.idp.keys.get(pool, now).await {
            Ok(keys) => json(StatusCode::OK, keys.jwks_json.clone()),
            Err(e) => {
                tracing::error!(pool, error = %e, "cannot read the pool's signing keys");
                json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"message":"Internal server error"}"#.into(),
                )
            }
        },
        _ => {
            let issuer = gw.idp.issuer(pool).unwrap_or_default();
            let body = tokens::discovery::openid_configuration(&issuer, svc.idp.edge_url());
            json(StatusCode::OK, body)
        }
    }
}

async fn token(
    svc: &Services,
    gw: &Deployment,
    req: Request<Incoming>,
    now: std::time::SystemTime,
) -> Response<Body> {
    let basic = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(str::to_string);
    let body = match RequestBody::streaming(req.into_body(), svc.body_deadline())
        .collect_limited(MAX_FORM)
        .await
    {
        Ok(b) => b,
        Err(_) => {
            return json(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_request"}"#.into(),
            );
        }
    };
    let mut request = cognito::TokenRequest::default();
    for (k, v) in form_urlencoded::parse(&body) {
        let slot = match k.as_ref() {
            "grant_type" => &mut request.grant_type,
            "client_id" => &mut request.client_id,
            "client_secret" => &mut request.client_secret,
            "scope" => &mut request.scope,
            "refresh_token" => &mut request.refresh_token,
            _ => continue,
        };
        // A parameter given twice is refused (RFC 6749 §3.2).
        if slot.replace(v.into_owned()).is_some() {
            return json(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_request"}"#.into(),
            );
        }
    }
    if let Some(basic) = basic {
        let decoded = STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return json(
                StatusCode::UNAUTHORIZED,
                r#"{"error":"invalid_client"}"#.into(),
            );
        };
        // The client authenticates one way only.
        if request.client_secret.is_some() || request.client_id.as_deref().is_some_and(|c| c != id)
        {
            return json(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_request"}"#.into(),
            );
        }
        // As Cognito reads it: `base64(client_id:client_secret)`, not URL-encoded.
        request.client_id = Some(id.to_string());
        request.client_secret = Some(secret.to_string());
    }
    match gw.idp.oauth_token(&request, now).await {
        Ok(answer) => json(StatusCode::OK, answer.to_string()),
        Err(e) => json(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.body(),
        ),
    }
}
