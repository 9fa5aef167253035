//! The user pools' OpenID Connect and OAuth 2.0 endpoints on the edge listener:
//! `GET /{poolId}/.well-known/jwks.json`, `GET /{poolId}/.well-known/openid-configuration`,
//! `POST /oauth2/token`, `POST /oauth2/revoke`, `GET|POST /oauth2/userInfo`, and the hosted
//! sign-in page's `GET /oauth2/authorize`, `GET|POST /login`, `GET /logout` (`hosted.rs`).
//! They are matched only when pools are configured (the loader refuses a stage named like a
//! pool, `oauth2`, `login` or `logout`, so no API invocation is shadowed).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::AUTHORIZATION;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::Body;
use crate::deploy::Deployment;
use crate::pipeline::ConnInfo;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

const JWKS: &str = "/.well-known/jwks.json";
const DISCOVERY: &str = "/.well-known/openid-configuration";
pub(crate) const TOKEN_PATH: &str = "/oauth2/token";
const REVOKE_PATH: &str = "/oauth2/revoke";
const USERINFO_PATH: &str = "/oauth2/userInfo";
/// Paths served whenever pools are configured.
const FIXED_PATHS: [&str; 6] = [
    TOKEN_PATH,
    REVOKE_PATH,
    USERINFO_PATH,
    super::hosted::AUTHORIZE_PATH,
    super::hosted::LOGIN_PATH,
    super::hosted::LOGOUT_PATH,
];
/// Token requests and sign-in forms are a few hundred bytes.
pub(super) const MAX_FORM: usize = 16 * 1024;

/// Whether `req` is for one of these endpoints of a configured pool.
pub(crate) fn matches<B>(gw: &Deployment, req: &Request<B>) -> bool {
    let path = req.uri().path();
    if FIXED_PATHS.contains(&path) {
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

pub(crate) async fn handle(
    svc: Arc<Services>,
    conn: ConnInfo,
    req: Request<Incoming>,
) -> Response<Body> {
    let gw = svc.deployment();
    let now = svc.clock.now();
    let path = req.uri().path().to_string();
    match path.as_str() {
        TOKEN_PATH | REVOKE_PATH if req.method() != Method::POST => {
            return json(
                StatusCode::METHOD_NOT_ALLOWED,
                r#"{"error":"invalid_request"}"#.into(),
            );
        }
        TOKEN_PATH => return token(&svc, &gw, req, now).await,
        REVOKE_PATH => return revoke(&svc, &gw, req, now).await,
        USERINFO_PATH => return user_info(&gw, &req, now).await,
        super::hosted::AUTHORIZE_PATH | super::hosted::LOGIN_PATH | super::hosted::LOGOUT_PATH => {
            return super::hosted::handle(&svc, &gw, &conn, req, now).await;
        }
        _ => {}
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

/// A form body (`application/x-www-form-urlencoded`) and the `Authorization: Basic` client
/// credentials, as the token and revocation endpoints read them.
pub(super) async fn read_form(
    svc: &Services,
    req: Request<Incoming>,
) -> Result<(Option<String>, bytes::Bytes), Refused> {
    let basic = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(str::to_string);
    match RequestBody::streaming(req.into_body(), svc.body_deadline())
        .collect_limited(MAX_FORM)
        .await
    {
        Ok(body) => Ok((basic, body)),
        Err(_) => Err(Refused::InvalidRequest),
    }
}

/// A request refused before the service sees it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Refused {
    InvalidRequest,
    InvalidClient,
}

impl Refused {
    fn answer(self) -> Response<Body> {
        match self {
            Refused::InvalidRequest => invalid_request(),
            Refused::InvalidClient => json(
                StatusCode::UNAUTHORIZED,
                r#"{"error":"invalid_client"}"#.into(),
            ),
        }
    }
}

fn invalid_request() -> Response<Body> {
    json(
        StatusCode::BAD_REQUEST,
        r#"{"error":"invalid_request"}"#.into(),
    )
}

/// Puts the Basic credentials in the body's `client_id`/`client_secret` slots: the client
/// authenticates one way only.
fn client_credentials(
    basic: Option<String>,
    client_id: &mut Option<String>,
    client_secret: &mut Option<String>,
) -> Result<(), Refused> {
    let Some(basic) = basic else {
        return Ok(());
    };
    let decoded = STANDARD
        .decode(basic.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(Refused::InvalidClient);
    };
    if client_secret.is_some() || client_id.as_deref().is_some_and(|c| c != id) {
        return Err(Refused::InvalidRequest);
    }
    // As Cognito reads it: `base64(client_id:client_secret)`, not URL-encoded.
    *client_id = Some(id.to_string());
    *client_secret = Some(secret.to_string());
    Ok(())
}

fn oauth_error(e: &cognito::OAuthError) -> Response<Body> {
    json(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        e.body(),
    )
}

async fn token(
    svc: &Services,
    gw: &Deployment,
    req: Request<Incoming>,
    now: std::time::SystemTime,
) -> Response<Body> {
    let (basic, body) = match read_form(svc, req).await {
        Ok(form) => form,
        Err(refused) => return refused.answer(),
    };
    let mut request = cognito::TokenRequest::default();
    for (k, v) in form_urlencoded::parse(&body) {
        let slot = match k.as_ref() {
            "grant_type" => &mut request.grant_type,
            "client_id" => &mut request.client_id,
            "client_secret" => &mut request.client_secret,
            "scope" => &mut request.scope,
            "refresh_token" => &mut request.refresh_token,
            "code" => &mut request.code,
            "redirect_uri" => &mut request.redirect_uri,
            "code_verifier" => &mut request.code_verifier,
            _ => continue,
        };
        // A parameter given twice is refused (RFC 6749 §3.2).
        if slot.replace(v.into_owned()).is_some() {
            return invalid_request();
        }
    }
    if let Err(answer) =
        client_credentials(basic, &mut request.client_id, &mut request.client_secret)
    {
        return answer.answer();
    }
    match gw.idp.oauth_token(&request, now).await {
        Ok(answer) => json(StatusCode::OK, answer.to_string()),
        Err(e) => oauth_error(&e),
    }
}

/// `POST /oauth2/revoke`: 200 with an empty body, as Cognito.
async fn revoke(
    svc: &Services,
    gw: &Deployment,
    req: Request<Incoming>,
    now: std::time::SystemTime,
) -> Response<Body> {
    let (basic, body) = match read_form(svc, req).await {
        Ok(form) => form,
        Err(refused) => return refused.answer(),
    };
    let mut request = cognito::RevokeRequest::default();
    for (k, v) in form_urlencoded::parse(&body) {
        let slot = match k.as_ref() {
            "token" => &mut request.token,
            "client_id" => &mut request.client_id,
            "client_secret" => &mut request.client_secret,
            _ => continue,
        };
        if slot.replace(v.into_owned()).is_some() {
            return invalid_request();
        }
    }
    if let Err(answer) =
        client_credentials(basic, &mut request.client_id, &mut request.client_secret)
    {
        return answer.answer();
    }
    match gw.idp.oauth_revoke(&request, now).await {
        Ok(()) => json(StatusCode::OK, String::new()),
        Err(e) => oauth_error(&e),
    }
}

/// `GET|POST /oauth2/userInfo` with `Authorization: Bearer <access token>`.
async fn user_info<B>(
    gw: &Deployment,
    req: &Request<B>,
    now: std::time::SystemTime,
) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::POST {
        return json(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"error":"invalid_request"}"#.into(),
        );
    }
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match gw.idp.user_info(token, now).await {
        Ok(claims) => json(StatusCode::OK, claims.to_string()),
        Err(e) => {
            let mut response = json(
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED),
                e.body(),
            );
            if let Some(v) = e
                .www_authenticate()
                .and_then(|v| http::HeaderValue::from_str(&v).ok())
            {
                response
                    .headers_mut()
                    .insert(http::header::WWW_AUTHENTICATE, v);
            }
            response
        }
    }
}
