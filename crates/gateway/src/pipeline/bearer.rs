//! What the two bearer-token authorizers share — `COGNITO_USER_POOLS` (`user_pool_auth.rs`) and
//! JWT (`jwt_auth.rs`): reading the token, the refusal reasons, and recording the outcome
//! (metric, `$context.authenticate.*`, the caller's claims). Each decides only how its refusals
//! are answered.

use std::sync::Arc;
use std::time::Instant;

use restapi::AuthType;
use tokens::Verified;

use super::RequestCtx;
use super::identity::{Claims, Identity};
use crate::error::GatewayError;
use crate::services::Services;

/// Why a token was refused, for logs and `portcullis_auth_outcomes_total`.
pub(super) enum Refusal {
    Missing,
    Checked(cognito::authorizer::Refusal),
}

impl Refusal {
    pub(super) fn label(&self) -> &'static str {
        match self {
            Refusal::Missing => "missing_token",
            Refusal::Checked(r) => r.label(),
        }
    }
}

/// The token of an identity-source value: the raw token or `Bearer <token>`; none if empty.
pub(super) fn token(value: Option<&str>) -> Option<&str> {
    value
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .filter(|v| !v.is_empty())
}

/// Records `outcome` — counted, timed, the claims as the caller's identity — and answers it,
/// a refusal as `answer` says.
pub(super) fn conclude(
    svc: &Services,
    ctx: &mut RequestCtx,
    auth_type: AuthType,
    authorizer: &str,
    started: Instant,
    outcome: Result<Verified, Refusal>,
    answer: impl FnOnce(&Refusal) -> GatewayError,
) -> Result<(), GatewayError> {
    if let Some(route) = &ctx.route {
        let label = outcome.as_ref().err().map_or("ok", Refusal::label);
        let result = if outcome.is_ok() { "allow" } else { "deny" };
        svc.metrics
            .auth_outcome(&route.api.id, &route.stage().name, auth_type, result, label);
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
            let error = answer(&refusal);
            tracing::debug!(
                authorizer,
                reason = refusal.label(),
                auth_type = auth_type.as_str(),
                "token refused"
            );
            ctx.authenticate.status = Some(error.kind.spec().status);
            ctx.authenticate.error = Some(refusal.label().to_string());
            Err(error)
        }
    }
}
