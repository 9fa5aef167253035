//! HTTP framing of the hosted sign-in page (`cognito::hosted`): `GET /oauth2/authorize`,
//! `GET|POST /login`, `GET /logout`. Every answer is `no-store`, may not be framed, sends no
//! `Referer` on, and runs no script (`Content-Security-Policy`); the only URL that ever
//! carries a code is the registered callback the final redirect goes to.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::{Body, full};
use crate::deploy::Deployment;
use crate::pipeline::ConnInfo;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

pub(super) const AUTHORIZE_PATH: &str = "/oauth2/authorize";
pub(super) const LOGIN_PATH: &str = "/login";
pub(super) const LOGOUT_PATH: &str = "/logout";
const LOGIN_COOKIE: &str = "portcullis-login";
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

fn frame(answer: cognito::HostedAnswer) -> Response<Body> {
    let mut response = Response::new(full(answer.html.unwrap_or_default()));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("content-security-policy", HeaderValue::from_static(CSP));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if let Some(v) = answer.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(LOCATION, v);
    }
    if let Some(v) = answer
        .set_cookie
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        headers.insert(SET_COOKIE, v);
    }
    response
}

/// The sign-in cookie's value, from any `Cookie` header.
fn login_cookie<B>(req: &Request<B>) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LOGIN_COOKIE)
        .map(|(_, value)| value.to_string())
}

fn method_not_allowed() -> Response<Body> {
    frame(cognito::HostedAnswer {
        status: 405,
        location: None,
        html: None,
        set_cookie: None,
    })
}

pub(super) async fn handle(
    svc: &Services,
    gw: &Deployment,
    conn: &ConnInfo,
    req: Request<Incoming>,
    now: std::time::SystemTime,
) -> Response<Body> {
    let query = req.uri().query().unwrap_or_default().to_string();
    let get = req.method() == Method::GET;
    match req.uri().path() {
        AUTHORIZE_PATH if get => frame(gw.idp.authorize(&query).await),
        LOGOUT_PATH if get => frame(gw.idp.logout(&query)),
        LOGIN_PATH if get => {
            let cookie = login_cookie(&req);
            frame(gw.idp.login_page(&query, cookie.as_deref(), now).await)
        }
        LOGIN_PATH if req.method() == Method::POST => {
            let cookie = login_cookie(&req);
            let body = match RequestBody::streaming(req.into_body(), svc.body_deadline())
                .collect_limited(super::oidc::MAX_FORM)
                .await
            {
                Ok(body) => body,
                Err(_) => {
                    return frame(cognito::HostedAnswer {
                        status: 400,
                        location: None,
                        html: None,
                        set_cookie: None,
                    });
                }
            };
            frame(
                gw.idp
                    .login_submit(&query, &body, cookie.as_deref(), conn.remote.ip(), now)
                    .await,
            )
        }
        _ => method_not_allowed(),
    }
}
