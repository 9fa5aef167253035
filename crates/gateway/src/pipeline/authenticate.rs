//! Phase: authenticate. Runs the method's authorizer and records the caller's [`Identity`] in
//! the request context. For `AWS_IAM` methods that is the request's SigV4 signature; for
//! Cognito user pools the token (`user_pool_auth`); for Lambda authorizers the function's answer
//! (`lambda_auth`). Methods without an authorizer pass through untouched (their bodies keep
//! streaming).
//!
//! The body of a signed request is read here (at most 10 MB) because its hash is part of the
//! signature; the integration then gets the bytes that were verified.

use std::time::Instant;

use restapi::{AuthType, Authorizer};

use super::context::RequestCtx;
use super::identity::Identity;
use super::{Exchange, Flow, Phase};
use super::{jwt_auth, lambda_auth, user_pool_auth};
use crate::auth::{self, AuthFailure};
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

pub(crate) struct Authenticate;

impl Phase for Authenticate {
    const NAME: &'static str = "authenticate";

    async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        let authorizer = exchange
            .ctx
            .route
            .as_ref()
            .and_then(|r| r.method())
            .map(|m| &m.authorizer);
        match authorizer {
            Some(Authorizer::Iam) => sigv4(svc, exchange).await?,
            Some(Authorizer::CognitoUserPools { .. }) => {
                // The method belongs to the route's API runtime: hold that by its `Arc` (no copy
                // of the authorizer per request) while the phase updates the exchange.
                let route = exchange
                    .ctx
                    .route
                    .as_ref()
                    .map(|r| (r.api.clone(), r.resource, r.method));
                let method = route
                    .as_ref()
                    .and_then(|(api, r, m)| api.api.resources.get((*r)?)?.methods.get((*m)?));
                if let Some(Authorizer::CognitoUserPools { authorizer, scopes }) =
                    method.map(|m| &m.authorizer)
                {
                    user_pool_auth::authenticate(svc, exchange, authorizer, scopes).await?;
                }
            }
            Some(Authorizer::Lambda(authorizer)) => {
                // Its own `Arc` (no copy of the definition); boxed, since invoking a function
                // is a large future most requests never build.
                let authorizer = authorizer.clone();
                Box::pin(lambda_auth::authenticate(svc, exchange, &authorizer)).await?;
            }
            Some(Authorizer::Jwt { authorizer, scopes }) => {
                // Their own `Arc` and a copy of the scopes (a handful of short strings), since
                // the phase updates the exchange the method lives in.
                let (authorizer, scopes) = (authorizer.clone(), scopes.clone());
                Box::pin(jwt_auth::authenticate(svc, exchange, &authorizer, &scopes)).await?;
            }
            Some(Authorizer::None) | None => {}
        }
        Ok(Flow::Continue)
    }
}

/// `AWS_IAM`: verifies the SigV4 signature over the request as received and the body's hash.
async fn sigv4(svc: &Services, exchange: &mut Exchange) -> Result<(), GatewayError> {
    let started = Instant::now();
    let deployment = exchange.deployment.clone();
    auth::ensure_host_header(&mut exchange.parts);
    let now = svc.clock.now();
    let identified = auth::identify(
        &deployment.credentials,
        &deployment.verifier,
        &exchange.parts,
        now,
    )
    .await;
    let pending = match identified {
        Ok(p) => p,
        Err(failure) => return Err(fail(svc, &mut exchange.ctx, started, failure)),
    };
    let bytes = exchange.body_bytes().await?;
    let caller = match auth::verify(pending, &deployment.verifier, &exchange.parts, &bytes, now) {
        Ok(c) => c,
        Err(failure) => return Err(fail(svc, &mut exchange.ctx, started, failure)),
    };
    let ctx = &mut exchange.ctx;
    ctx.identity = Identity::Iam(caller);
    ctx.authenticate.status = Some(200);
    ctx.authenticate.latency = Some(started.elapsed());
    Ok(())
}

fn fail(
    svc: &Services,
    ctx: &mut RequestCtx,
    started: Instant,
    failure: AuthFailure,
) -> GatewayError {
    if let Some(route) = &ctx.route {
        svc.metrics.auth_outcome(
            &route.api.id,
            &route.stage().name,
            AuthType::AwsIam,
            "deny",
            failure.label(),
        );
    }
    let error = match failure {
        AuthFailure::Missing => GatewayError::new(ErrorKind::MissingAuthenticationToken),
        AuthFailure::Incomplete(m) => GatewayError::with_message(ErrorKind::IncompleteSignature, m),
        AuthFailure::Invalid(m) => GatewayError::with_message(ErrorKind::InvalidSignature, m),
        AuthFailure::Unsupported(m) => GatewayError::with_message(ErrorKind::BadRequest, m),
        AuthFailure::UnrecognizedClient => GatewayError::new(ErrorKind::UnrecognizedClient),
        AuthFailure::ExpiredToken => GatewayError::new(ErrorKind::ExpiredToken),
        AuthFailure::Unavailable(detail) => GatewayError::new(ErrorKind::Internal).detail(detail),
    };
    ctx.authenticate.status = Some(error.kind.spec().status);
    // `$context.authenticate.error` is for logs: without the token AWS's mismatch text echoes.
    ctx.authenticate.error = Some(sigv4::redact_for_log(&error.message).into_owned());
    ctx.authenticate.latency = Some(started.elapsed());
    error
}
