//! The JWT authorizer (`type: jwt`, as HTTP APIs run it) on REST API methods: the token from the
//! identity source (a header, with or without `Bearer `, or a query string parameter), verified
//! against the keys the issuer publishes (`crate::jwks`): `alg` RS256, `kid` in the key set,
//! `iss` exact, `exp`/`nbf`/`iat`, `aud` (or, without one, `client_id`) in the audiences, and
//! with method scopes a `scope`/`scp` claim granting one of them.
//!
//! Answers, as HTTP APIs give them: 401 `{"message":"Unauthorized"}` for a missing or invalid
//! token, 403 `{"message":"Forbidden"}` for a valid token without a required scope, 500 when the
//! issuer's keys cannot be had (and nothing cached). The backend is never called on any of them.
//!
//! An issuer that is one of this gateway's user pools is checked with the pool's local keys
//! and its revocation deny list (`cognito::Provider::authorize_issuer_token`).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use cognito::authorizer::Refusal as Checked;
use restapi::{AuthType, IdentitySource, JwtAuthorizer};
use tokens::{TokenError, Verified};

use super::bearer::{self, Refusal};
use super::{Exchange, params};
use crate::error::{ErrorKind, GatewayError};
use crate::jwks::Rules;
use crate::services::Services;

pub(super) async fn authenticate(
    svc: &Services,
    exchange: &mut Exchange,
    authorizer: &JwtAuthorizer,
    scopes: &[String],
) -> Result<(), GatewayError> {
    let started = Instant::now();
    let now = svc.clock.now();
    let value = match &authorizer.identity_source {
        IdentitySource::Header(name) => exchange
            .parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        IdentitySource::Query(name) => {
            params::query_value(exchange.parts.uri.query().unwrap_or(""), name)
        }
        // The import accepts only a header or a query string parameter.
        _ => None,
    };
    let outcome = match bearer::token(value.as_deref()) {
        None => Err(Refusal::Missing),
        Some(token) => verify(svc, exchange, authorizer, scopes, token.as_bytes(), now)
            .await
            .map_err(Refusal::Checked),
    };
    bearer::conclude(
        svc,
        &mut exchange.ctx,
        AuthType::Jwt,
        &authorizer.name,
        started,
        outcome,
        |refusal| match refusal {
            Refusal::Checked(Checked::Unavailable(detail)) => {
                GatewayError::new(ErrorKind::Internal).detail(detail.clone())
            }
            Refusal::Checked(Checked::Token(TokenError::MissingScope)) => {
                GatewayError::new(ErrorKind::Forbidden)
            }
            _ => GatewayError::new(ErrorKind::Unauthorized),
        },
    )
}

async fn verify(
    svc: &Services,
    exchange: &Exchange,
    authorizer: &JwtAuthorizer,
    scopes: &[String],
    token: &[u8],
    now: SystemTime,
) -> Result<Verified, Checked> {
    let local = exchange
        .deployment
        .idp
        .authorize_issuer_token(
            &authorizer.issuer,
            &authorizer.audiences,
            scopes,
            token,
            now,
        )
        .await;
    if let Some(result) = local {
        return result;
    }
    let rules = Rules {
        audiences: authorizer.audiences.clone(),
        scopes: scopes.to_vec(),
    };
    let unavailable = |e: crate::jwks::FetchError| Checked::Unavailable(e.to_string());
    let keys = svc
        .jwks
        .keys(&authorizer.issuer, None, now)
        .await
        .map_err(unavailable)?;
    match keys.validate(&rules, token, now) {
        Err(TokenError::UnknownKid(kid)) => {
            let fresh = svc
                .jwks
                .keys(&authorizer.issuer, Some(&kid), now)
                .await
                .map_err(unavailable)?;
            if Arc::ptr_eq(&fresh, &keys) {
                return Err(Checked::Token(TokenError::UnknownKid(kid)));
            }
            fresh.validate(&rules, token, now).map_err(Checked::Token)
        }
        other => other.map_err(Checked::Token),
    }
}
