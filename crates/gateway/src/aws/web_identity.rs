//! STS `AssumeRoleWithWebIdentity` (unsigned, as on AWS): the web identity token checked
//! against the issuer it names, then the role's trust policy for that issuer as a `Federated`
//! principal, then a session stored like AssumeRole's.
//!
//! Issuers accepted, by the token's `iss` (read unverified only to choose; everything is then
//! verified):
//!
//! - `https://cognito-identity.amazonaws.com`: identity pools' OpenID tokens (GetOpenIdToken,
//!   `aws/open_id.rs`), with the gateway's own key set and a configured identity pool as `aud`;
//!   principal `cognito-identity.amazonaws.com`, condition keys
//!   `cognito-identity.amazonaws.com:aud|sub|amr`, and the session carries the identity (its
//!   policy variables and `$context.identity.cognito*`), as GetCredentialsForIdentity's does.
//! - a Portcullis user pool's served issuer: an ID token of one of its app clients, checked with
//!   the pool's keys and deny list (`cognito::Provider::authorize_web_identity`);
//! - an issuer of a JWT authorizer of the configuration: its published keys (`crate::jwks`), `aud`
//!   one of the audiences the configuration's JWT authorizers give that issuer.
//!
//! For the last two the principal is the issuer without its scheme (`{host}/{path}`), also
//! matched by its IAM OIDC provider ARN, with the condition keys `{host}/{path}:aud` and `:sub`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::request::Parts;
use iam::{AuthzInput, ParseOptions, Policy};
use serde_json::Value;
use sts::StsError;
use sts::response::AssumedRole;
use sts::web_identity::WebIdentityResult;
use tokens::{TokenError, Verified};

use super::identity::COGNITO_IDENTITY;
use super::sts::Client;
use crate::auth;
use crate::deploy::Deployment;
use crate::jwks::Rules;
use crate::services::Services;
use cognito::authorizer::Refusal;

const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
/// Session tags and the source identity an issuer may put in a token. Not served: a token that
/// carries them is refused rather than turned into a session without them.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// Which kind of issuer vouched for the token.
enum Issuer {
    CognitoIdentity,
    /// A user pool or a JWT authorizer's issuer: `{host}/{path}`.
    Oidc(String),
}

pub(super) async fn assume_role_with_web_identity(
    svc: &Services,
    gw: &Deployment,
    client: Client,
    parts: &Parts,
    request: &sts::AssumeRoleWithWebIdentity,
    request_id: &str,
) -> Result<String, StsError> {
    let now = svc.clock.now();
    let token = request.web_identity_token.as_bytes();
    let (issuer, verified) = verify(svc, gw, token, now).await?;
    let iss = verified
        .claim("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let subject = verified
        .sub()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| StsError::invalid_identity_token("The web identity token has no sub."))?
        .to_string();
    let audience = audience(&verified)?;
    if verified.claim(TAGS_CLAIM).is_some() || verified.claim(SOURCE_IDENTITY_CLAIM).is_some() {
        return Err(StsError::validation(format!(
            "Session tags and source identity in the web identity token ({TAGS_CLAIM}, {SOURCE_IDENTITY_CLAIM}) are not supported by this endpoint"
        )));
    }

    let denied = || StsError::access_denied(format!("Not authorized to perform {ACTION}"));
    // An unknown role answers like an untrusting one: callers learn nothing about roles.
    let role = gw
        .credentials
        .directory()
        .role(&request.role_arn)
        .filter(|r| r.arn() == request.role_arn)
        .ok_or_else(denied)?;
    let (principal, web_identity) = match &issuer {
        Issuer::CognitoIdentity => (
            iam::Principal::web_identity(COGNITO_IDENTITY),
            Some(identity_of(&verified, &subject, &audience)),
        ),
        Issuer::Oidc(provider) => (
            iam::Principal::oidc_web_identity(provider, &gw.account_id),
            None,
        ),
    };
    let mut context = auth::request_context(
        &iam::RequestContext::for_principal(&principal),
        parts,
        &client.ip.into(),
        client.secure,
        &gw.shared_values,
        now,
    );
    context.insert("sts:RoleSessionName", request.role_session_name.as_str());
    if let Some(web) = &web_identity {
        auth::web_identity_keys(&mut context, web);
    }
    if let Issuer::Oidc(provider) = &issuer {
        context
            .insert(&format!("{provider}:aud"), audience.as_str())
            .insert(&format!("{provider}:sub"), subject.as_str());
    }
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
    if !result.is_allowed() {
        tracing::info!(
            target: "portcullis::auth",
            request_id,
            provider = principal.unique_id(),
            role = role.arn(),
            reason = result.reason().label(),
            "AssumeRoleWithWebIdentity denied\n{}",
            result.explanation().for_request(&principal, ACTION, role.arn())
        );
        return Err(denied());
    }

    let requested = Duration::from_secs(u64::from(
        request
            .duration_seconds
            .unwrap_or(sts::request::DEFAULT_DURATION_SECONDS),
    ));
    if requested > role.max_session_duration() {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    if let Some(text) = &request.policy {
        Policy::from_json_str(text, &ParseOptions::identity())
            .map_err(|e| StsError::malformed_policy(e.to_string()))?;
    }
    let random = &svc.random;
    let minted = (|| -> Result<_, sts::credentials::RandomError> {
        Ok((
            sts::credentials::access_key_id(random)?,
            sts::credentials::secret_access_key(random)?,
            sts::credentials::session_token(random)?,
        ))
    })()
    .map_err(|e| StsError::internal(e.to_string()))?;
    let (access_key_id, secret_access_key, session_token) = minted;
    let expiration = now + requested;
    let session = store::SessionCredentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
        role_arn: role.arn().to_string(),
        session_name: request.role_session_name.clone(),
        session_policy: request.policy.clone(),
        source_identity: None,
        issued_to: format!("{}/{subject}", principal.unique_id()),
        web_identity,
        session_tags: None,
    };
    svc.store
        .sessions
        .put_session(&session, now)
        .await
        .map_err(|e| StsError::internal(e.to_string()))?;
    tracing::info!(
        target: "portcullis::auth",
        request_id,
        provider = principal.unique_id(),
        role = role.arn(),
        access_key_id = %session.access_key_id,
        "issued temporary credentials for a web identity"
    );
    let session_principal = role.session_principal(&request.role_session_name);
    let assumed_role_id = format!("{}:{}", role.unique_id(), request.role_session_name);
    let packed = request.policy.as_ref().map(|p| {
        let percent = p.chars().count() * 100 / sts::request::MAX_POLICY_CHARS;
        u32::try_from(percent.max(1)).unwrap_or(100)
    });
    Ok(sts::web_identity::response(
        &WebIdentityResult {
            role: AssumedRole {
                arn: session_principal.arn(),
                assumed_role_id: &assumed_role_id,
                access_key_id: &session.access_key_id,
                secret_access_key: &session.secret_access_key,
                session_token: &session.session_token,
                expiration,
                source_identity: None,
                packed_policy_size: packed,
            },
            subject: &subject,
            provider: &iss,
            audience: &audience,
        },
        request_id,
    ))
}

/// The token verified by the issuer it names.
async fn verify(
    svc: &Services,
    gw: &Deployment,
    token: &[u8],
    now: SystemTime,
) -> Result<(Issuer, Verified), StsError> {
    let iss = tokens::unverified_issuer(token).map_err(refusal)?;
    let provider = iss
        .strip_prefix("https://")
        .or_else(|| iss.strip_prefix("http://"))
        .unwrap_or(&iss)
        .to_string();
    if iss == tokens::open_id::ISSUER && !gw.identity_pools.is_empty() {
        let verified = open_id_token(svc, gw, token, now).await?;
        return Ok((Issuer::CognitoIdentity, verified));
    }
    if let Some(result) = gw.idp.authorize_web_identity(&iss, token, now).await {
        return Ok((Issuer::Oidc(provider), result.map_err(rejected)?));
    }
    if let Some(audiences) = gw.web_identity_issuers.get(&iss) {
        let verified = oidc_token(svc, &iss, audiences, token, now).await?;
        return Ok((Issuer::Oidc(provider), verified));
    }
    let shown: String = iss.chars().take(128).collect();
    Err(StsError::invalid_identity_token(format!(
        "No OpenIDConnect provider found in your account for {shown}"
    )))
}

/// An identity pool's OpenID token, with the gateway's key set (re-read once for an unknown
/// `kid`, so a key another node generated is found).
async fn open_id_token(
    svc: &Services,
    gw: &Deployment,
    token: &[u8],
    now: SystemTime,
) -> Result<Verified, StsError> {
    let unavailable = |e: cognito::keys::KeysError| {
        tracing::warn!(error = %e, "cannot read the OpenID token keys");
        StsError::internal("An internal error occurred.")
    };
    let keys = &svc.idp.keys;
    let validator = |set: &cognito::PoolKeys| {
        tokens::Validator::new(
            tokens::ValidatorConfig {
                issuer: tokens::open_id::ISSUER.to_string(),
                audiences: tokens::Audiences::OneOf(
                    gw.identity_pools.iter().map(|p| p.id.clone()).collect(),
                ),
                token_use: tokens::ExpectedUse::Unchecked,
                required_scopes: Vec::new(),
                clock_skew: Duration::ZERO,
            },
            set.verifying.clone(),
        )
    };
    let current = keys
        .get(super::open_id::KEY_SET, now)
        .await
        .map_err(unavailable)?;
    match validator(&current).validate(token, now) {
        Err(TokenError::UnknownKid(_)) => {
            let fresh = keys
                .reread_for_unknown(super::open_id::KEY_SET, now)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| refusal(TokenError::UnknownKid(String::new())))?;
            validator(&fresh).validate(token, now).map_err(refusal)
        }
        other => other.map_err(refusal),
    }
}

/// A JWT authorizer issuer's token, with its published keys (refetched at most every 30 s for
/// an unknown `kid`, as the authorizer does).
async fn oidc_token(
    svc: &Services,
    iss: &str,
    audiences: &[String],
    token: &[u8],
    now: SystemTime,
) -> Result<Verified, StsError> {
    let rules = Rules {
        audiences: audiences.to_vec(),
        scopes: Vec::new(),
    };
    let unavailable = |e: crate::jwks::FetchError| {
        tracing::warn!(error = %e, "AssumeRoleWithWebIdentity: the issuer's keys");
        StsError::idp_communication_error(
            "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
        )
    };
    let keys = svc.jwks.keys(iss, None, now).await.map_err(unavailable)?;
    match keys.validate(&rules, token, now) {
        Err(TokenError::UnknownKid(kid)) => {
            let fresh = svc
                .jwks
                .keys(iss, Some(&kid), now)
                .await
                .map_err(unavailable)?;
            if Arc::ptr_eq(&fresh, &keys) {
                return Err(refusal(TokenError::UnknownKid(kid)));
            }
            fresh.validate(&rules, token, now).map_err(refusal)
        }
        other => other.map_err(refusal),
    }
}

/// A token refusal in STS's words. Messages never repeat the token.
fn refusal(e: TokenError) -> StsError {
    match e {
        TokenError::Expired => StsError::expired_web_identity_token(
            "Token expired: current date/time must be before the expiration date/time",
        ),
        TokenError::AudienceNotAccepted | TokenError::ClientIdNotAccepted => {
            StsError::invalid_identity_token("Incorrect token audience")
        }
        TokenError::UnknownKid(_) => StsError::invalid_identity_token(
            "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
        ),
        TokenError::WrongTokenUse => {
            StsError::invalid_identity_token("The web identity token is not an ID token")
        }
        other => {
            tracing::debug!(reason = other.code(), "web identity token refused");
            StsError::invalid_identity_token(
                "The web identity token that was passed could not be validated. Get a new identity token from the identity provider and then retry the request.",
            )
        }
    }
}

fn rejected(r: Refusal) -> StsError {
    match r {
        Refusal::Token(e) => refusal(e),
        Refusal::Revoked => StsError::idp_rejected_claim(
            "The identity provider rejected the token: its session was revoked",
        ),
        Refusal::Unavailable(m) => {
            tracing::warn!("AssumeRoleWithWebIdentity: the user pool's keys: {m}");
            StsError::internal("An internal error occurred.")
        }
    }
}

/// The client the token was issued to: `aud`, a string or an array of exactly one.
fn audience(verified: &Verified) -> Result<String, StsError> {
    match verified.claim("aud") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(items)) if items.len() == 1 => items
            .first()
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| StsError::invalid_identity_token("Incorrect token audience")),
        Some(Value::Array(_)) => Err(StsError::invalid_identity_token(
            "A web identity token with several audiences is not supported by this endpoint",
        )),
        _ => Err(StsError::invalid_identity_token(
            "The web identity token has no aud",
        )),
    }
}

/// The identity an OpenID token names, as identity-pool sessions carry it: `aud` the pool, `sub`
/// the identity, `amr` as issued (its login provider and user from the `CognitoSignIn` entry).
fn identity_of(verified: &Verified, subject: &str, audience: &str) -> store::WebIdentity {
    let amr: Vec<String> = match verified.claim("amr") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let provider = amr.iter().find_map(|a| {
        let (provider, user) = a.split_once(":CognitoSignIn:")?;
        Some((provider.to_string(), user.to_string()))
    });
    store::WebIdentity {
        identity_id: subject.to_string(),
        identity_pool_id: audience.to_string(),
        provider: provider.filter(|_| amr.first().is_some_and(|a| a == "authenticated")),
        amr,
    }
}
