//! Identity pools on the edge endpoint: the Cognito Identity API (AWS JSON 1.1,
//! `X-Amz-Target: AWSCognitoIdentityService.<Op>`), dispatched by [`super::json`].
//!
//! GetId, GetCredentialsForIdentity and GetOpenIdToken are called by the end user's device,
//! unsigned, as on AWS: what they trust is the `Logins` token, checked as the
//! `COGNITO_USER_POOLS` authorizer checks it (signature, expiry, issuer, deny list) with the
//! identity pool's app clients as audience and ID tokens only. The role chosen
//! (`identitypools::resolve_role`) must trust `cognito-identity.amazonaws.com` for
//! `sts:AssumeRoleWithWebIdentity`, its `cognito-identity.amazonaws.com:aud`/`:amr` conditions
//! evaluated by the IAM engine; the credentials are stored like AssumeRole's. GetOpenIdToken
//! makes the same identity and login checks and answers an OpenID token (`aws/open_id.rs`).
//! DescribeIdentity and ListIdentities are signed (`cognito-identity`) and authorized as
//! `cognito-identity:<Op>` on the pool's ARN by the caller's identity policies
//! (`aws/identity_iam.rs`), as the user pools' administrative operations are.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::request::Parts;
use http::{Request, Response};
use hyper::body::Incoming;
use iam::AuthzInput;
use identitypools::input::{MAX_INPUT_BYTES, Operation};
use identitypools::{ErrorType, IdentityError, IdentityPool};
use restapi::AuthType;
use serde_json::{Value, json};

use super::identity_iam::authorize;
use crate::auth::{self, AuthFailure};
use crate::body::Body;
use crate::deploy::Deployment;
use crate::pipeline::ConnInfo;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

/// The federated principal identity pools assume roles as.
pub(crate) const COGNITO_IDENTITY: &str = "cognito-identity.amazonaws.com";
/// Cognito Identity's credentials last one hour.
const CREDENTIALS_LIFETIME: Duration = Duration::from_secs(3600);
/// The role session name of every identity-pool session.
const SESSION_NAME: &str = "CognitoIdentityCredentials";

pub(super) async fn handle(
    svc: Arc<Services>,
    conn: ConnInfo,
    req: Request<Incoming>,
    op: String,
) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    let gw = svc.deployment();
    let now = svc.clock.now();
    let signed = matches!(op.as_str(), "DescribeIdentity" | "ListIdentities");
    // Signed operations: the signature's key first, before the body is read.
    let pending = if signed {
        auth::ensure_host_header(&mut parts);
        match auth::identify(&gw.credentials, &gw.cognito_identity_verifier, &parts, now).await {
            Ok(p) => Some(p),
            Err(failure) => return error(&auth_refusal(failure)),
        }
    } else {
        None
    };
    let body = match RequestBody::streaming(body, svc.body_deadline())
        .collect_limited(MAX_INPUT_BYTES)
        .await
    {
        Ok(b) => b,
        Err(e) => {
            return error(&IdentityError::new(
                ErrorType::InvalidParameter,
                format!("cannot read the request body: {}", e.message),
            ));
        }
    };
    let caller = match pending {
        None => None,
        Some(p) => match auth::verify(p, &gw.cognito_identity_verifier, &parts, &body, now) {
            Ok(c) => Some(c),
            Err(failure) => return error(&auth_refusal(failure)),
        },
    };
    let result = match identitypools::parse_operation(&op, &body) {
        Ok(operation) => serve(&svc, &gw, &conn, &parts, caller.as_ref(), operation, now).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(answer) => super::json::ok(&answer),
        Err(e) => {
            tracing::debug!(operation = %op, error = e.kind.name(), "identity pool operation refused");
            error(&e)
        }
    }
}

fn error(e: &IdentityError) -> Response<Body> {
    super::json::typed_error(e.kind.status(), e.kind.name(), e.body())
}

fn internal(what: impl std::fmt::Display) -> IdentityError {
    tracing::warn!("identity pool operation failed: {what}");
    IdentityError::new(ErrorType::Internal, "An internal error occurred.")
}

pub(super) fn auth_refusal(failure: AuthFailure) -> IdentityError {
    let kind = match &failure {
        AuthFailure::Missing => ErrorType::MissingAuthenticationToken,
        AuthFailure::Incomplete(_) | AuthFailure::Invalid(_) => ErrorType::InvalidSignature,
        AuthFailure::Unsupported(_) => ErrorType::InvalidParameter,
        AuthFailure::UnrecognizedClient => ErrorType::UnrecognizedClient,
        AuthFailure::ExpiredToken => ErrorType::ExpiredToken,
        AuthFailure::Unavailable(m) => return internal(format!("credential lookup: {m}")),
    };
    IdentityError::new(kind, failure.message())
}

fn epoch(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn pool<'a>(gw: &'a Deployment, id: &str) -> Result<&'a IdentityPool, IdentityError> {
    gw.identity_pools
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| IdentityError::pool_not_found(id))
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    svc: &Services,
    gw: &Deployment,
    conn: &ConnInfo,
    parts: &Parts,
    caller: Option<&auth::Caller>,
    operation: Operation,
    now: SystemTime,
) -> Result<Value, IdentityError> {
    let identities = &svc.store.identities;
    match operation {
        Operation::GetId {
            identity_pool_id,
            account_id,
            logins,
        } => {
            let pool = pool(gw, &identity_pool_id)?;
            if account_id.as_deref().is_some_and(|a| a != gw.account_id) {
                return Err(IdentityError::pool_not_found(&identity_pool_id));
            }
            let new_id = identitypools::new_identity_id(&pool.region);
            let identity = match login(gw, pool, logins.as_ref(), now).await? {
                None => {
                    if !pool.allow_unauthenticated {
                        return Err(unauthenticated_refused());
                    }
                    identities
                        .create_unauthenticated(&pool.id, &new_id, now)
                        .await
                        .map_err(internal)?
                }
                Some(l) => identities
                    .identity_for_login(&pool.id, &l.provider, &l.subject, &new_id, now)
                    .await
                    .map_err(internal)?,
            };
            Ok(json!({"IdentityId": identity.identity_id}))
        }
        Operation::GetCredentialsForIdentity {
            identity_id,
            logins,
            custom_role_arn,
        } => {
            let checked = signed_in(svc, gw, &identity_id, logins.as_ref(), now).await?;
            let role = match &checked.login {
                None => {
                    if custom_role_arn.is_some() {
                        return Err(IdentityError::new(
                            ErrorType::InvalidParameter,
                            "CustomRoleArn is not accepted for unauthenticated identities.",
                        ));
                    }
                    checked
                        .pool
                        .unauthenticated_role
                        .clone()
                        .ok_or_else(no_role)?
                }
                Some(l) => {
                    identitypools::resolve_role(
                        checked.pool,
                        &l.user_pool,
                        &l.claims,
                        custom_role_arn.as_deref(),
                    )?
                    .role_arn
                }
            };
            let web = WebIdentity {
                role,
                identity: checked.identity,
            };
            credentials(svc, gw, conn, parts, checked.pool, &identity_id, &web, now).await
        }
        Operation::GetOpenIdToken {
            identity_id,
            logins,
        } => {
            let checked = signed_in(svc, gw, &identity_id, logins.as_ref(), now).await?;
            super::open_id::token(svc, &checked.identity, now).await
        }
        Operation::DescribeIdentity { identity_id } => {
            let found = identities.identity(&identity_id).await.map_err(internal)?;
            let Some(identity) =
                found.filter(|i| gw.identity_pools.iter().any(|p| p.id == i.pool_id))
            else {
                // No pool to authorize on: the caller must be allowed on every pool of the
                // region before it learns that the identity does not exist, so an unauthorized
                // caller cannot probe for identity ids.
                let every = format!(
                    "arn:aws:cognito-identity:{}:{}:identitypool/*",
                    identitypools::id::region_of(&identity_id),
                    gw.account_id
                );
                authorize(
                    svc,
                    gw,
                    conn,
                    parts,
                    caller,
                    "DescribeIdentity",
                    &every,
                    now,
                )?;
                return Err(IdentityError::identity_not_found(&identity_id));
            };
            let pool = pool(gw, &identity.pool_id)?;
            authorize(
                svc,
                gw,
                conn,
                parts,
                caller,
                "DescribeIdentity",
                &pool.arn,
                now,
            )?;
            Ok(describe(&identity))
        }
        Operation::ListIdentities {
            identity_pool_id,
            max_results,
            next_token,
        } => {
            let pool = pool(gw, &identity_pool_id)?;
            authorize(
                svc,
                gw,
                conn,
                parts,
                caller,
                "ListIdentities",
                &pool.arn,
                now,
            )?;
            let page = identities
                .list_identities(&pool.id, max_results, next_token.as_deref())
                .await
                .map_err(internal)?;
            let mut answer = json!({
                "IdentityPoolId": pool.id,
                "Identities": page.identities.iter().map(describe).collect::<Vec<_>>(),
            });
            if let (Some(token), Some(map)) = (page.next_token, answer.as_object_mut()) {
                map.insert("NextToken".into(), Value::String(token));
            }
            Ok(answer)
        }
    }
}

fn describe(identity: &store::StoredIdentity) -> Value {
    json!({
        "IdentityId": identity.identity_id,
        "Logins": identity.logins,
        "CreationDate": epoch(identity.created),
        "LastModifiedDate": epoch(identity.last_modified),
    })
}

fn unauthenticated_refused() -> IdentityError {
    IdentityError::new(
        ErrorType::NotAuthorized,
        "Unauthenticated access is not supported for this identity pool.",
    )
}

fn forbidden(identity_id: &str) -> IdentityError {
    IdentityError::new(
        ErrorType::NotAuthorized,
        format!("Access to Identity '{identity_id}' is forbidden."),
    )
}

fn no_role() -> IdentityError {
    IdentityError::new(
        ErrorType::InvalidIdentityPoolConfiguration,
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
    )
}

/// A validated login: the user pool, its provider name, the token's subject and claims.
struct ValidLogin {
    user_pool: String,
    provider: String,
    subject: String,
    claims: serde_json::Map<String, Value>,
}

/// The role and web identity of the credentials about to be issued.
struct WebIdentity {
    role: String,
    identity: store::WebIdentity,
}

/// An identity with the login presented for it, checked as GetCredentialsForIdentity and
/// GetOpenIdToken both check it.
struct SignedIn<'a> {
    pool: &'a IdentityPool,
    /// The identity as credentials and tokens name it (`aud`, `sub`, `amr`).
    identity: store::WebIdentity,
    /// `None` for a guest.
    login: Option<ValidLogin>,
}

/// The identity `identity_id` and its login: no login only for a guest identity of a pool that
/// allows guests; a login only for the user the identity belongs to (a token of another user
/// never yields this identity's credentials or tokens).
async fn signed_in<'a>(
    svc: &Services,
    gw: &'a Deployment,
    identity_id: &str,
    logins: Option<&Value>,
    now: SystemTime,
) -> Result<SignedIn<'a>, IdentityError> {
    let identities = &svc.store.identities;
    let identity = identities
        .identity(identity_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| IdentityError::identity_not_found(identity_id))?;
    let pool = pool(gw, &identity.pool_id)?;
    let login = login(gw, pool, logins, now).await?;
    let (provider, amr) = match &login {
        None => {
            if !identity.logins.is_empty() {
                return Err(forbidden(identity_id));
            }
            if !pool.allow_unauthenticated {
                return Err(unauthenticated_refused());
            }
            (None, vec!["unauthenticated".to_string()])
        }
        Some(l) => {
            let linked = identities
                .identity_subject(identity_id, &l.provider)
                .await
                .map_err(internal)?;
            if linked.as_deref() != Some(l.subject.as_str()) {
                return Err(forbidden(identity_id));
            }
            (
                Some((l.provider.clone(), l.subject.clone())),
                vec![
                    "authenticated".to_string(),
                    l.provider.clone(),
                    format!("{}:CognitoSignIn:{}", l.provider, l.subject),
                ],
            )
        }
    };
    Ok(SignedIn {
        pool,
        identity: store::WebIdentity {
            identity_id: identity_id.to_string(),
            identity_pool_id: pool.id.clone(),
            provider,
            amr,
        },
        login,
    })
}

/// Reads and validates the `Logins` map: `None` when there is none. One login per request is
/// served (the identity is the one of that user).
async fn login(
    gw: &Deployment,
    pool: &IdentityPool,
    logins: Option<&Value>,
    now: SystemTime,
) -> Result<Option<ValidLogin>, IdentityError> {
    let served = |user_pool: &str| gw.idp.issuer(user_pool);
    let parsed = identitypools::parse_logins(pool, logins, &served)?;
    let login = match parsed.as_slice() {
        [] => return Ok(None),
        [one] => one,
        _ => {
            return Err(IdentityError::new(
                ErrorType::InvalidParameter,
                "Portcullis serves one login per request.",
            ));
        }
    };
    let clients: Vec<String> = pool
        .providers_of(&login.user_pool)
        .map(|p| p.client_id.clone())
        .collect();
    let verified = match gw
        .idp
        .authorize_identity_login(&login.user_pool, &clients, login.token.as_bytes(), now)
        .await
    {
        // The loader refuses providers that are not served; fail closed all the same.
        None => return Err(IdentityError::invalid_login_token()),
        Some(Err(cognito::authorizer::Refusal::Unavailable(m))) => {
            return Err(internal(format!("login check: {m}")));
        }
        Some(Err(refusal)) => {
            tracing::debug!(
                reason = refusal.label(),
                "identity pool login token refused"
            );
            return Err(IdentityError::invalid_login_token());
        }
        Some(Ok(v)) => v,
    };
    let subject = verified
        .sub()
        .filter(|s| !s.is_empty())
        .ok_or_else(IdentityError::invalid_login_token)?
        .to_string();
    let provider = pool
        .providers_of(&login.user_pool)
        .next()
        .map(identitypools::IdentityProvider::provider_name)
        .ok_or_else(IdentityError::invalid_login_token)?;
    Ok(Some(ValidLogin {
        user_pool: login.user_pool.clone(),
        provider,
        subject,
        claims: verified.claims().clone(),
    }))
}

/// The role's trust policy checked for the federated principal, then credentials minted and
/// stored.
#[allow(clippy::too_many_arguments)]
async fn credentials(
    svc: &Services,
    gw: &Deployment,
    conn: &ConnInfo,
    parts: &Parts,
    pool: &IdentityPool,
    identity_id: &str,
    web: &WebIdentity,
    now: SystemTime,
) -> Result<Value, IdentityError> {
    const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
    let denied = || {
        IdentityError::new(
            ErrorType::InvalidIdentityPoolConfiguration,
            "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
        )
    };
    // The loader resolved every configured role; a token-chosen role may name anything.
    let role = gw
        .credentials
        .directory()
        .role(&web.role)
        .filter(|r| r.arn() == web.role)
        .ok_or_else(denied)?;
    let principal = iam::Principal::web_identity(COGNITO_IDENTITY);
    let mut context = auth::request_context(
        &iam::RequestContext::for_principal(&principal),
        parts,
        &conn.remote_ip_value,
        conn.secure,
        &gw.shared_values,
        now,
    );
    auth::web_identity_keys(&mut context, &web.identity);
    let result = iam::authorize_assume_role(&AuthzInput {
        principal: &principal,
        action: ACTION,
        resource: role.arn(),
        context: &context,
        resource_account: role.account(),
        identity: None,
        session_policies: None,
        resource_policy: Some(role.trust_policy()),
    });
    let outcome = if result.is_allowed() { "allow" } else { "deny" };
    svc.metrics.auth_outcome(
        "cognito-identity",
        "-",
        AuthType::AwsIam,
        outcome,
        result.reason().label(),
    );
    if !result.is_allowed() {
        tracing::info!(
            target: "portcullis::auth",
            role = role.arn(),
            identity_pool = %pool.id,
            reason = result.reason().label(),
            "identity pool role not assumable\n{}",
            result.explanation().for_request(&principal, ACTION, role.arn())
        );
        return Err(denied());
    }
    let random = &svc.random;
    let minted = (|| -> Result<_, sts::credentials::RandomError> {
        Ok((
            sts::credentials::access_key_id(random)?,
            sts::credentials::secret_access_key(random)?,
            sts::credentials::session_token(random)?,
        ))
    })()
    .map_err(internal)?;
    let (access_key_id, secret_access_key, session_token) = minted;
    let expiration = now + CREDENTIALS_LIFETIME.min(role.max_session_duration());
    let session = store::SessionCredentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
        role_arn: role.arn().to_string(),
        session_name: SESSION_NAME.to_string(),
        session_policy: None,
        source_identity: None,
        issued_to: format!("{COGNITO_IDENTITY}/{identity_id}"),
        web_identity: Some(web.identity.clone()),
        session_tags: None,
    };
    svc.store
        .sessions
        .put_session(&session, now)
        .await
        .map_err(internal)?;
    tracing::info!(
        target: "portcullis::auth",
        role = role.arn(),
        identity_pool = %pool.id,
        access_key_id = %session.access_key_id,
        "issued identity pool credentials"
    );
    Ok(json!({
        "IdentityId": identity_id,
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "SecretKey": session.secret_access_key,
            "SessionToken": session.session_token,
            "Expiration": epoch(expiration),
        }
    }))
}
