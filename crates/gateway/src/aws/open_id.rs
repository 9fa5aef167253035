//! Identity pools' OpenID tokens: Cognito Identity's `GetOpenIdToken` (called from
//! [`super::identity`] once the identity and its login are checked) and the key set that
//! verifies them, published at `GET /.well-known/jwks_uri` — the path AWS publishes the
//! `https://cognito-identity.amazonaws.com` issuer's keys at — whenever identity pools are
//! configured. STS's `AssumeRoleWithWebIdentity` checks these tokens with the same keys
//! (`aws/web_identity.rs`).
//!
//! The signing keys are kept like a user pool's, in the same store under the key-set name
//! [`KEY_SET`] (which no user pool id can be: those are `{region}_{name}`): generated once for
//! every node, re-read every 60 s, and re-read on an unknown `kid`; rotated by
//! `portcullis identitypool rotate-keys`.

use std::sync::Arc;
use std::time::SystemTime;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use identitypools::{ErrorType, IdentityError};
use serde_json::{Value, json};

use crate::body::Body;
use crate::deploy::Deployment;
use crate::services::Services;

/// The name the OpenID tokens' keys are stored under, beside the user pools' keys.
pub(crate) const KEY_SET: &str = cognito::keys::OPEN_ID_KEY_SET;
/// Where the key set is published (AWS's path for this issuer).
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks_uri";

/// GetOpenIdToken's answer: a token for `identity`, signed with the current key.
pub(super) async fn token(
    svc: &Services,
    identity: &store::WebIdentity,
    now: SystemTime,
) -> Result<Value, IdentityError> {
    let keys = svc.idp.keys.get(KEY_SET, now).await.map_err(|e| {
        tracing::warn!(error = %e, "cannot read the OpenID token signing keys");
        IdentityError::new(ErrorType::Internal, "An internal error occurred.")
    })?;
    let token = tokens::open_id::sign_open_id_token(
        keys.set.current(),
        &tokens::open_id::OpenIdToken {
            identity_id: identity.identity_id.clone(),
            identity_pool_id: identity.identity_pool_id.clone(),
            amr: identity.amr.clone(),
        },
        now,
    )
    .map_err(|e| {
        tracing::warn!(error = %e, "cannot sign an OpenID token");
        IdentityError::new(ErrorType::Internal, "An internal error occurred.")
    })?;
    Ok(json!({"IdentityId": identity.identity_id, "Token": token}))
}

/// Whether `req` asks for the OpenID tokens' key set (served when identity pools are).
pub(crate) fn matches<B>(gw: &Deployment, req: &Request<B>) -> bool {
    req.uri().path() == JWKS_PATH && !gw.identity_pools.is_empty()
}

/// `GET /.well-known/jwks_uri`.
pub(crate) async fn jwks(svc: Arc<Services>, req: Request<Incoming>) -> Response<Body> {
    let answer = |status: StatusCode, body: String| {
        let mut response =
            super::answer(status, "application/json", body, &super::new_request_id());
        response
            .headers_mut()
            .insert("cache-control", http::HeaderValue::from_static("no-store"));
        response
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"message":"Method Not Allowed"}"#.into(),
        );
    }
    match svc.idp.keys.get(KEY_SET, svc.clock.now()).await {
        Ok(keys) => answer(StatusCode::OK, keys.jwks_json.clone()),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the OpenID token signing keys");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"message":"Internal server error"}"#.into(),
            )
        }
    }
}
