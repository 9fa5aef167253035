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

use restapi::{AuthType, IdentitySource, JwtAuthorizer};
use tokens::{TokenError, Verified};

use super::identity::{Claims, Identity};
use super::{Exchange, params};
use crate::error::{ErrorKind, GatewayError};
use crate::jwks::Rules;
use crate::services::Services;

/// Why a token was refused, for logs and `portcullis_auth_outcomes_total`.
enum Refusal {
    Missing,
    Token(TokenError),
    Revoked,
    /// The issuer's keys (or a local pool's deny list) could not be read.
    Unavailable(String),
}

impl Refusal {
    fn label(&self) -> &'static str {
        match self {
            Refusal::Missing => "missing_token",
            Refusal::Token(e) => e.code(),
            Refusal::Revoked => "revoked",
            Refusal::Unavailable(_) => "unavailable",
        }
    }

    fn error(&self) -> GatewayError {
        match self {
            Refusal::Unavailable(detail) => {
                GatewayError::new(ErrorKind::Internal).detail(detail.clone())
            }
            Refusal::Token(TokenError::MissingScope) => GatewayError::new(ErrorKind::Forbidden),
            _ => GatewayError::new(ErrorKind::Unauthorized),
        }
    }
}

pub(super) async fn authenticate(
    svc: &Services,
    exchange: &mut Exchange,
    authorizer: &JwtAuthorizer,
    scopes: &[String],
) -> Result<(), GatewayError> {
    let started = Instant::now();
    let now = svc.clock.now();
    let token = match &authorizer.identity_source {
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
    let token = token
        .as_deref()
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .filter(|v| !v.is_empty());
    let outcome = match token {
        None => Err(Refusal::Missing),
        Some(token) => verify(svc, exchange, authorizer, scopes, token.as_bytes(), now).await,
    };
    let ctx = &mut exchange.ctx;
    if let Some(route) = &ctx.route {
        let label = outcome.as_ref().err().map_or("ok", Refusal::label);
        let result = if outcome.is_ok() { "allow" } else { "deny" };
        svc.metrics.auth_outcome(
            &route.api.id,
            &route.stage().name,
            AuthType::Jwt,
            result,
            label,
        );
    }
    ctx.authenticate.latency = Some(started.elapsed());
    match outcome {
        Ok(verified) => {
            ctx.authenticate.status = Some(200);
            ctx.identity = Identity::Claims(Arc::new(Claims {
                values: verified.rest_api_claims(),
            }));
            Ok(())
        }
        Err(refusal) => {
            let error = refusal.error();
            tracing::debug!(authorizer = %authorizer.name, reason = refusal.label(), "JWT refused");
            ctx.authenticate.status = Some(error.kind.spec().status);
            ctx.authenticate.error = Some(refusal.label().to_string());
            Err(error)
        }
    }
}

async fn verify(
    svc: &Services,
    exchange: &Exchange,
    authorizer: &JwtAuthorizer,
    scopes: &[String],
    token: &[u8],
    now: SystemTime,
) -> Result<Verified, Refusal> {
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
        return result.map_err(|r| match r {
            cognito::authorizer::Refusal::Token(e) => Refusal::Token(e),
            cognito::authorizer::Refusal::Revoked => Refusal::Revoked,
            cognito::authorizer::Refusal::Unavailable(d) => Refusal::Unavailable(d),
        });
    }
    let rules = Rules {
        audiences: authorizer.audiences.clone(),
        scopes: scopes.to_vec(),
    };
    let unavailable = |e: crate::jwks::FetchError| Refusal::Unavailable(e.to_string());
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
                return Err(Refusal::Token(TokenError::UnknownKid(kid)));
            }
            fresh.validate(&rules, token, now).map_err(Refusal::Token)
        }
        other => other.map_err(Refusal::Token),
    }
}
