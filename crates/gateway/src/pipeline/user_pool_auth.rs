//! The `COGNITO_USER_POOLS` authorizer, as API Gateway runs it: the token from the identity
//! source header (the raw token, or `Bearer <token>`), verified offline against the keys of the
//! pools `providerARNs` names. Without authorization scopes on the method an ID token is
//! required; with scopes, an access token granting at least one of them. Every refusal is
//! 401 `{"message":"Unauthorized"}`, whatever the reason (logged and counted by reason).
//!
//! Stricter than API Gateway, per pool (`authorizers_check_revocation`, on by default): a
//! token whose session was revoked (sign-out, revoked refresh token) is refused too.

use std::time::{Instant, SystemTime};

use restapi::{AuthType, CognitoAuthorizer, IdentitySource};
use tokens::Verified;

use super::Exchange;
use super::bearer::{self, Refusal};
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

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
    let token = bearer::token(header.and_then(|v| v.to_str().ok()));
    let outcome = match token {
        None => Err(Refusal::Missing),
        Some(token) => verify(exchange, authorizer, scopes, token.as_bytes(), now).await,
    };
    bearer::conclude(
        svc,
        &mut exchange.ctx,
        AuthType::CognitoUserPools,
        &authorizer.name,
        started,
        outcome,
        |refusal| match refusal {
            Refusal::Checked(cognito::authorizer::Refusal::Unavailable(detail)) => {
                GatewayError::new(ErrorKind::Internal).detail(detail.clone())
            }
            // A wrong scope too: API Gateway's Cognito authorizer answers it 401.
            _ => GatewayError::new(ErrorKind::Unauthorized),
        },
    )
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
