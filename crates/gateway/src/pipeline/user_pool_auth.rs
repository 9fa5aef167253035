//! The `COGNITO_USER_POOLS` authorizer, as API Gateway runs it: the token from the identity
//! source header (the raw token, or `Bearer <token>`), verified offline against the keys of the
//! pools `providerARNs` names. Without authorization scopes on the method an ID token is
//! required; with scopes, an access token granting at least one of them. Every refusal is
//! 401 `{"message":"Unauthorized"}`, whatever the reason (logged and counted by reason).
//!
//! Stricter than API Gateway, per pool (`authorizers_check_revocation`, on by default): a
//! token whose session was revoked (sign-out, revoked refresh token) is refused too.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use restapi::{AuthType, CognitoAuthorizer, IdentitySource};
use tokens::Verified;

use super::Exchange;
use super::identity::{Claims, Identity};
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

/// Why a token was refused, for logs and `portcullis_auth_outcomes_total`.
enum Refusal {
    Missing,
    Checked(cognito::authorizer::Refusal),
}

impl Refusal {
    fn label(&self) -> &'static str {
        match self {
            Refusal::Missing => "missing_token",
            Refusal::Checked(r) => r.label(),
        }
    }
}

pub(super) async fn authenticate(
    svc: &Services,
    exchange: &mut Exchange,
    authorizer: &CognitoAuthorizer,
    scopes: &[String],
) -> Result<(), GatewayError> {
    let started = Instant::now();
    let now = svc.clock.now();
    let header = match &authorizer.identity_source {
        IdentitySource::Header(name) => exchange.parts.headers.get(name),
        _ => None,
    };
    let token = header
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .filter(|v| !v.is_empty());
    let outcome = match token {
        None => Err(Refusal::Missing),
        Some(token) => verify(exchange, authorizer, scopes, token.as_bytes(), now).await,
    };
    let ctx = &mut exchange.ctx;
    if let Some(route) = &ctx.route {
        let label = outcome.as_ref().err().map_or("ok", Refusal::label);
        let result = if outcome.is_ok() { "allow" } else { "deny" };
        svc.metrics.auth_outcome(
            &route.api.id,
            &route.stage().name,
            AuthType::CognitoUserPools,
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
            let error = match &refusal {
                Refusal::Checked(cognito::authorizer::Refusal::Unavailable(detail)) => {
                    GatewayError::new(ErrorKind::Internal).detail(detail.clone())
                }
                _ => GatewayError::new(ErrorKind::Unauthorized),
            };
            tracing::debug!(authorizer = %authorizer.name, reason = refusal.label(), "user pool token refused");
            ctx.authenticate.status = Some(error.kind.spec().status);
            ctx.authenticate.error = Some(refusal.label().to_string());
            Err(error)
        }
    }
}

async fn verify(
    exchange: &Exchange,
    authorizer: &CognitoAuthorizer,
    scopes: &[String],
    token: &[u8],
    now: SystemTime,
) -> Result<Verified, Refusal> {
    exchange
        .deployment
        .idp
        .authorize_token(&authorizer.provider_arns, scopes, token, now)
        .await
        .map_err(Refusal::Checked)
}
