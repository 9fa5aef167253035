//! STS on the edge endpoint: `AssumeRole`, `GetCallerIdentity` and (unsigned)
//! `AssumeRoleWithWebIdentity` (`aws/web_identity.rs`) in the Query protocol (dispatched by
//! [`super::query`]).
//!
//! A request is authenticated with SigV4 for the `sts` service, and `AssumeRole` is
//! authorized with [`iam::authorize_assume_role`]: the role's trust policy must itself allow the
//! caller; when it names only the caller's account, or the caller is in another account, the
//! caller's identity policies (narrowed by its session policies) must allow `sts:AssumeRole` on
//! the role too. (Not API Gateway's resource-policy table, where identity policies alone may
//! allow in the same account.) Issued sessions are stored, so they survive a restart.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use iam::{AuthzInput, ParseOptions, Policy, PrincipalKind};
use restapi::AuthType;
use sts::StsError;
use sts::response::AssumedRole;

use crate::auth::{self, AuthFailure, Caller};
use crate::body::Body;
use crate::deploy::Deployment;
use crate::error::ErrorKind;
use crate::pipeline::ConnInfo;
use crate::pipeline::integrate::RequestBody;
use crate::services::Services;

/// STS requests are small; anything larger than this is refused unread.
const MAX_STS_BODY: usize = 64 * 1024;

/// Role chaining (a role session assuming a role) is limited to one hour, as in AWS.
const CHAINED_SESSION_LIMIT: Duration = Duration::from_secs(3600);

pub(crate) async fn handle(
    svc: Arc<Services>,
    conn: ConnInfo,
    req: Request<Incoming>,
) -> Response<Body> {
    let started = Instant::now();
    let request_id = super::new_request_id();
    let (mut parts, body) = req.into_parts();
    let client = Client {
        ip: conn.remote.ip(),
        secure: conn.secure,
    };
    // Boxed as `dyn Future + Send` here, where its borrows have concrete lifetimes: proving
    // `Send` for it from the listener's generic context trips a known rustc limitation.
    let serving: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>> =
        Box::pin(serve(&svc, client, &mut parts, body, &request_id));
    let result = serving.await;
    let (response, outcome) = match result {
        Ok((xml, label)) => (
            super::query::xml_response(200, xml, &request_id),
            ("allow", label),
        ),
        Err(e) => {
            tracing::debug!(
                request_id,
                code = e.code,
                "STS request refused: {}",
                sigv4::redact_for_log(&e.message)
            );
            (
                super::query::error_response(&e, &request_id),
                ("deny", e.code),
            )
        }
    };
    svc.metrics
        .auth_outcome("sts", "-", AuthType::AwsIam, outcome.0, outcome.1);
    tracing::debug!(
        request_id,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "STS"
    );
    response
}

fn sts_error(failure: AuthFailure) -> StsError {
    match failure {
        AuthFailure::Missing => StsError::missing_authentication_token(),
        AuthFailure::Incomplete(m) | AuthFailure::Unsupported(m) => {
            StsError::incomplete_signature(m)
        }
        AuthFailure::Invalid(m) => StsError::signature_does_not_match(m),
        AuthFailure::UnrecognizedClient => StsError::invalid_client_token_id(),
        AuthFailure::ExpiredToken => StsError::expired_token(),
        AuthFailure::Unavailable(m) => StsError::internal(m),
    }
}

/// Where the caller connected from, for the IAM condition keys.
#[derive(Clone, Copy)]
pub(super) struct Client {
    pub(super) ip: std::net::IpAddr,
    pub(super) secure: bool,
}

async fn serve(
    svc: &Services,
    client: Client,
    parts: &mut Parts,
    body: Incoming,
    request_id: &str,
) -> Result<(String, &'static str), StsError> {
    let deadline = svc.body_deadline();
    // Taken once: the whole request is served by one deployment.
    let deployment = svc.deployment();
    let gw = &*deployment;
    auth::ensure_host_header(parts);
    let now = svc.clock.now();
    let pending = match auth::identify(&gw.credentials, &gw.sts_verifier, parts, now).await {
        Ok(p) => Some(p),
        // Unsigned: only AssumeRoleWithWebIdentity may be, as on AWS (its parameters decide,
        // below); anything else is refused once they are read.
        Err(AuthFailure::Missing) => None,
        Err(failure) => return Err(sts_error(failure)),
    };
    let body = read_body(body, deadline).await?;
    let caller = match pending {
        Some(p) => Some(auth::verify(p, &gw.sts_verifier, parts, &body, now).map_err(sts_error)?),
        None => None,
    };
    let params: &[u8] = if parts.method == Method::POST {
        &body
    } else {
        parts.uri.query().unwrap_or("").as_bytes()
    };
    let Some(caller) = caller else {
        let web_identity = form_urlencoded::parse(params)
            .any(|(k, v)| k == "Action" && v == "AssumeRoleWithWebIdentity");
        if !web_identity {
            return Err(StsError::missing_authentication_token());
        }
        let sts::StsRequest::AssumeRoleWithWebIdentity(request) = sts::parse(params)? else {
            return Err(StsError::missing_authentication_token());
        };
        let xml = super::web_identity::assume_role_with_web_identity(
            svc, gw, client, parts, &request, request_id,
        )
        .await?;
        return Ok((xml, "assume_role_with_web_identity"));
    };
    match sts::parse(params)? {
        sts::StsRequest::GetCallerIdentity => {
            let p = &caller.principal;
            Ok((
                sts::response::get_caller_identity(
                    p.arn(),
                    p.userid().unwrap_or_else(|| p.unique_id()),
                    p.account(),
                    request_id,
                ),
                "get_caller_identity",
            ))
        }
        sts::StsRequest::AssumeRole(request) => {
            let xml = assume_role(svc, gw, client, parts, &caller, &request, request_id).await?;
            Ok((xml, "assume_role"))
        }
        // Signed, which it need not be: the token decides, not the signer.
        sts::StsRequest::AssumeRoleWithWebIdentity(request) => {
            let xml = super::web_identity::assume_role_with_web_identity(
                svc, gw, client, parts, &request, request_id,
            )
            .await?;
            Ok((xml, "assume_role_with_web_identity"))
        }
    }
}

async fn read_body(body: Incoming, deadline: tokio::time::Instant) -> Result<Bytes, StsError> {
    RequestBody::streaming(body, deadline)
        .collect_limited(MAX_STS_BODY)
        .await
        .map_err(|e| match e.kind {
            ErrorKind::RequestTooLarge => StsError::validation("the request body is too large"),
            // STS documents no code for this; S3's `RequestTimeout` is the AWS word for it.
            ErrorKind::RequestTimeout => StsError {
                status: 408,
                code: "RequestTimeout",
                message: "Your socket connection to the server was not read from or written to within the timeout period.".into(),
            },
            _ => StsError::validation(format!("cannot read the request body: {}", e.message)),
        })
}

async fn assume_role(
    svc: &Services,
    gw: &Deployment,
    client: Client,
    parts: &Parts,
    caller: &Caller,
    request: &sts::AssumeRole,
    request_id: &str,
) -> Result<String, StsError> {
    const ACTION: &str = "sts:AssumeRole";
    let principal = &caller.principal;
    let deny = |message: String| StsError::access_denied(message);
    let not_authorized = || {
        format!(
            "User: {} is not authorized to perform: {ACTION} on resource: {}",
            principal.arn(),
            request.role_arn
        )
    };
    // An unknown role answers like a denied one, as AWS does: callers learn nothing about which
    // roles exist.
    let role = gw
        .credentials
        .directory()
        .role(&request.role_arn)
        .filter(|r| r.arn() == request.role_arn)
        .ok_or_else(|| deny(not_authorized()))?;

    let now = svc.clock.now();
    let mut context = auth::request_context(
        &caller.context,
        parts,
        &client.ip.into(),
        client.secure,
        &gw.shared_values,
        now,
    );
    context.insert("sts:RoleSessionName", request.role_session_name.as_str());
    if let Some(e) = &request.external_id {
        context.insert("sts:ExternalId", e.as_str());
    }
    if let Some(s) = &request.source_identity {
        context.insert("sts:SourceIdentity", s.as_str());
    }
    let chained = matches!(principal.kind(), PrincipalKind::AssumedRole { .. });
    let tags = session_tags(caller, &request.tags, chained)?;
    if let Some(t) = &tags {
        // The tags the new session is to carry, for conditions on sts:AssumeRole and
        // sts:TagSession alike.
        for (k, v) in &t.tags {
            context.insert(&format!("aws:RequestTag/{k}"), v.as_str());
        }
        context.insert_values("aws:TagKeys", t.tags.keys().map(String::as_str));
    }
    // The trust policy must allow, with its conditions (`sts:ExternalId`, `aws:SourceIp`, …)
    // holding; identity policies are needed as well for account delegation and cross-account
    // callers (see `iam::authorize_assume_role`).
    let result = iam::authorize_assume_role(&AuthzInput {
        principal,
        action: ACTION,
        resource: role.arn(),
        context: &context,
        resource_account: role.account(),
        identity: Some(&caller.policies),
        session_policies: caller.session_policies.as_deref(),
        resource_policy: Some(role.trust_policy()),
    });
    if !result.is_allowed() {
        tracing::info!(
            target: "portcullis::auth",
            request_id,
            principal = principal.arn(),
            role = role.arn(),
            reason = result.reason().label(),
            "AssumeRole denied\n{}",
            result.explanation().for_request(principal, ACTION, role.arn())
        );
        return Err(deny(result.deny_message(principal, ACTION, role.arn())));
    }
    // A session with tags needs sts:TagSession as well, allowed the same way (the trust
    // policy, and the identity policies where AssumeRole needs them).
    if tags.is_some() {
        const TAG_SESSION: &str = "sts:TagSession";
        let result = iam::authorize_assume_role(&AuthzInput {
            principal,
            action: TAG_SESSION,
            resource: role.arn(),
            context: &context,
            resource_account: role.account(),
            identity: Some(&caller.policies),
            session_policies: caller.session_policies.as_deref(),
            resource_policy: Some(role.trust_policy()),
        });
        if !result.is_allowed() {
            tracing::info!(
                target: "portcullis::auth",
                request_id,
                principal = principal.arn(),
                role = role.arn(),
                reason = result.reason().label(),
                "AssumeRole with session tags denied\n{}",
                result.explanation().for_request(principal, TAG_SESSION, role.arn())
            );
            return Err(deny(result.deny_message(
                principal,
                TAG_SESSION,
                role.arn(),
            )));
        }
    }

    let requested = Duration::from_secs(u64::from(
        request
            .duration_seconds
            .unwrap_or(sts::request::DEFAULT_DURATION_SECONDS),
    ));
    if chained && requested > CHAINED_SESSION_LIMIT {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
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
    let session_principal = match &tags {
        Some(t) => role.session_principal_with_tags(&request.role_session_name, &t.tags),
        None => role.session_principal(&request.role_session_name),
    };
    let session = store::SessionCredentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
        role_arn: role.arn().to_string(),
        session_name: request.role_session_name.clone(),
        session_policy: request.policy.clone(),
        source_identity: request.source_identity.clone(),
        issued_to: principal.arn().to_string(),
        web_identity: None,
        session_tags: tags,
    };
    svc.store
        .sessions
        .put_session(&session, now)
        .await
        .map_err(|e| StsError::internal(e.to_string()))?;
    tracing::info!(
        target: "portcullis::auth",
        request_id,
        principal = principal.arn(),
        role = role.arn(),
        access_key_id = %session.access_key_id,
        "issued temporary credentials"
    );
    let packed = request.policy.as_ref().map(|p| {
        let percent = p.chars().count() * 100 / sts::request::MAX_POLICY_CHARS;
        u32::try_from(percent.max(1)).unwrap_or(100)
    });
    let assumed_role_id = format!("{}:{}", role.unique_id(), request.role_session_name);
    Ok(sts::response::assume_role(
        &AssumedRole {
            arn: session_principal.arn(),
            assumed_role_id: &assumed_role_id,
            access_key_id: &session.access_key_id,
            secret_access_key: &session.secret_access_key,
            session_token: &session.session_token,
            expiration,
            source_identity: request.source_identity.as_deref(),
            packed_policy_size: packed,
        },
        request_id,
    ))
}

/// The new session's tags: the request's, and in role chaining the calling session's
/// transitive tags, which pass on as transitive again and cannot be given another value (AWS's
/// rule for transitive tags). `None` when there are none.
fn session_tags(
    caller: &Caller,
    request: &sts::tags::SessionTags,
    chained: bool,
) -> Result<Option<store::SessionTags>, StsError> {
    let mut out = store::SessionTags::default();
    if let Some(inherited) = caller.session_tags.as_deref().filter(|_| chained) {
        for key in &inherited.transitive {
            if let Some(value) = inherited.tags.get(key) {
                out.tags.insert(key.clone(), value.clone());
                out.transitive.push(key.clone());
            }
        }
    }
    for (key, value) in &request.tags {
        if out.tags.keys().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(StsError::validation(format!(
                "The session tag {key} is a transitive tag of the calling session and cannot be set again"
            )));
        }
        out.tags.insert(key.clone(), value.clone());
    }
    for key in &request.transitive {
        if !out.transitive.contains(key) {
            out.transitive.push(key.clone());
        }
    }
    if out.tags.len() > sts::tags::MAX_TAGS {
        return Err(StsError::validation(format!(
            "A session may carry at most {} session tags, inherited transitive tags included",
            sts::tags::MAX_TAGS
        )));
    }
    Ok((!out.tags.is_empty()).then_some(out))
}
