//! Phase: authenticate. For `AWS_IAM` methods, verifies the request's SigV4 signature and records
//! the caller in the request context; other methods pass through untouched (their bodies keep
//! streaming).
//!
//! The body of a signed request is read here (at most 10 MB) because its hash is part of the
//! signature; the integration then gets the bytes that were verified.

use std::time::Instant;

use http::request::Parts;
use restapi::Authorizer;

use super::context::RequestCtx;
use super::integrate::RequestBody;
use crate::auth::{self, AuthFailure};
use crate::deploy::Gateway;
use crate::error::{ErrorKind, GatewayError};

pub(crate) async fn authenticate(
    gw: &Gateway,
    ctx: &mut RequestCtx,
    parts: &mut Parts,
    body: RequestBody,
) -> Result<RequestBody, GatewayError> {
    let iam = ctx
        .route
        .as_ref()
        .and_then(|r| r.method())
        .is_some_and(|m| matches!(m.authorizer, Authorizer::Iam));
    if !iam {
        return Ok(body);
    }
    let started = Instant::now();
    auth::ensure_host_header(parts);
    let now = gw.clock.now();
    let pending = match auth::identify(&gw.credentials, &gw.verifier, parts, now).await {
        Ok(p) => p,
        Err(failure) => return Err(fail(gw, ctx, started, failure)),
    };
    let bytes = body.collect().await?;
    let caller = match auth::verify(pending, &gw.verifier, parts, &bytes, now) {
        Ok(c) => c,
        Err(failure) => return Err(fail(gw, ctx, started, failure)),
    };
    ctx.caller = Some(caller);
    ctx.authenticate.status = Some(200);
    ctx.authenticate.latency = Some(started.elapsed());
    Ok(RequestBody::Buffered(bytes))
}

fn fail(
    gw: &Gateway,
    ctx: &mut RequestCtx,
    started: Instant,
    failure: AuthFailure,
) -> GatewayError {
    if let Some(route) = &ctx.route {
        gw.metrics.auth_outcome(
            &route.api.id,
            &route.stage().name,
            "AWS_IAM",
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
