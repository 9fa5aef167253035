//! Web identity federation end to end, with the AWS SDK for Rust: Cognito Identity's
//! GetOpenIdToken (its token verified with the key set the gateway publishes), and STS's
//! AssumeRoleWithWebIdentity taking a user pool's ID token or an OpenID token, checking the
//! role's trust policy, and issuing credentials that sign API calls. Every refusal is counted
//! at the backend (never reached).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::oidc::Issuer;
use common::*;
use gateway::clock::Clock;
use http::Method;
use testkit::aws::cognito_identity;
use testkit::aws::cognito_idp;
use testkit::aws::sts;
use testkit::signer::{Key, Signing, signed};

const POOL: &str = "us-east-1_WebId";
const WEB: &str = "web";
const PROVIDER: &str = "cognito-idp.us-east-1.amazonaws.com/us-east-1_WebId";
const IDENTITY_POOL: &str = "us-east-1:5a0b7c2e-1d3f-4e5a-9b6c-7d8e9f0a1b2c";
const PASSWORD: &str = "Correct-Horse-42";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:api0000001";
const ACCOUNT: &str = "123456789012";

/// The audience the test's OIDC issuer writes, which its JWT authorizer accepts.
const OIDC_AUDIENCE: &str = "api://rides";

/// The API: `POST /ride` for IAM callers, and a JWT authorizer for the test's OIDC issuer (which
/// is what makes that issuer one STS trusts).
fn openapi(issuer: &str) -> String {
    format!(
        r#"openapi: 3.0.1
info: {{title: rides, version: "1"}}
paths:
  /ride:
    post:
      security: [{{sigv4: []}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: "${{stageVariables.backend}}/ride"
        requestParameters:
          integration.request.header.x-user-arn: context.identity.userArn
          integration.request.header.x-identity-id: context.identity.cognitoIdentityId
  /profile:
    get:
      security: [{{oidc: []}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${{stageVariables.backend}}/profile"
components:
  securitySchemes:
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
    oidc:
      type: oauth2
      flows: {{}}
      x-amazon-apigateway-authorizer:
        type: jwt
        jwtConfiguration: {{issuer: "{issuer}", audience: ["{OIDC_AUDIENCE}"]}}
        identitySource: "$request.header.Authorization"
"#
    )
}

fn rest_of_config(oidc: &str) -> String {
    // The identity pool's roles trust cognito-identity.amazonaws.com for this pool.
    let identity_trust = |amr: &str| {
        format!(
            r#"{{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Federated: cognito-identity.amazonaws.com}}, Action: "sts:AssumeRoleWithWebIdentity", Condition: {{StringEquals: {{"cognito-identity.amazonaws.com:aud": "{IDENTITY_POOL}"}}, "ForAnyValue:StringLike": {{"cognito-identity.amazonaws.com:amr": "{amr}"}}}}}}]}}"#
        )
    };
    // The user pool as an OIDC provider, for its `web` app client's tokens only (AWS's form of
    // the principal: the IAM OIDC provider's ARN).
    let pool_trust = format!(
        r#"{{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Federated: "arn:aws:iam::{ACCOUNT}:oidc-provider/{PROVIDER}"}}, Action: "sts:AssumeRoleWithWebIdentity", Condition: {{StringEquals: {{"{PROVIDER}:aud": "{WEB}"}}}}}}]}}"#
    );
    // The test's OIDC issuer, for one user of one audience.
    let oidc_trust = format!(
        r#"{{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Federated: "{oidc}"}}, Action: "sts:AssumeRoleWithWebIdentity", Condition: {{StringEquals: {{"{oidc}:aud": "{OIDC_AUDIENCE}", "{oidc}:sub": rider-7}}}}}}]}}"#
    );
    let ride = format!(
        r#"{{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "{API}/*/POST/ride"}}]}}"#
    );
    format!(
        r#"
user_pools:
  - id: {POOL}
    issuer_base: https://cognito-idp.us-east-1.amazonaws.com
    username_attributes: [email]
    auto_verified_attributes: [email]
    clients:
      - {{id: {WEB}, auth_flows: [USER_PASSWORD_AUTH]}}
      - {{id: other-app, auth_flows: [USER_PASSWORD_AUTH]}}
iam:
  policies:
    Ride: {ride}
  roles:
    - {{name: PoolRole, trust_policy: {pool_trust}, policies: [Ride]}}
    - {{name: OidcRole, trust_policy: {oidc_trust}, policies: [Ride], max_session_duration: 7200}}
    - {{name: RiderRole, trust_policy: {rider}, policies: [Ride]}}
    - {{name: GuestRole, trust_policy: {guest}}}
identity_pools:
  - id: "{IDENTITY_POOL}"
    allow_unauthenticated: true
    providers: [{{user_pool: {POOL}, client_id: {WEB}}}]
    authenticated_role: RiderRole
    unauthenticated_role: GuestRole
"#,
        rider = identity_trust("authenticated"),
        guest = identity_trust("unauthenticated"),
    )
}

struct Fixture {
    issuer: Issuer,
    server: TestServer,
    upstream: Upstream,
    clock: Arc<gateway::clock::FixedClock>,
    idp: cognito_idp::Client,
    identity: cognito_identity::Client,
    sts: sts::Client,
}

async fn start() -> Fixture {
    let upstream = Upstream::echo().await;
    let issuer = Issuer::start().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        &openapi(&issuer.url),
        &format!("{{backend: \"{}\"}}", upstream.url()),
    );
    let clock = Arc::new(gateway::clock::FixedClock::new(SystemTime::now()));
    let config = format!("{config}{}", rest_of_config(&issuer.provider()));
    let server = TestServer::start_with_clock(ws, &config, clock.clone()).await;
    let endpoint = server.url("");
    Fixture {
        idp: testkit::aws::cognito_client(&endpoint, "us-east-1"),
        identity: testkit::aws::cognito_identity_client(&endpoint, "us-east-1", None),
        sts: testkit::aws::sts_web_identity_client(&endpoint, "us-east-1"),
        issuer,
        server,
        upstream,
        clock,
    }
}

/// `Code: message` of an SDK error.
fn error_text<E: sts::error::ProvideErrorMetadata>(e: E) -> String {
    format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
}

fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

impl Fixture {
    /// Signs up, confirms and signs in `email` with app client `client`; its ID token.
    async fn signed_in(&self, email: &str, client: &str) -> String {
        common::pools::sign_up_confirmed(&self.server, (POOL, WEB), email, PASSWORD, &[]).await;
        let tokens = common::pools::password_sign_in(&self.idp, client, email, PASSWORD).await;
        tokens.unwrap().id_token.unwrap()
    }

    async fn get_id(&self, token: Option<&str>) -> String {
        let mut call = self.identity.get_id().identity_pool_id(IDENTITY_POOL);
        if let Some(t) = token {
            call = call.logins(PROVIDER, t);
        }
        call.send().await.unwrap().identity_id.unwrap()
    }

    async fn open_id_token(
        &self,
        identity_id: &str,
        token: Option<&str>,
    ) -> Result<String, String> {
        let mut call = self.identity.get_open_id_token().identity_id(identity_id);
        if let Some(t) = token {
            call = call.logins(PROVIDER, t);
        }
        let out = call.send().await.map_err(|e| {
            use cognito_identity::error::ProvideErrorMetadata;
            format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
        })?;
        assert_eq!(out.identity_id(), Some(identity_id));
        Ok(out.token.unwrap())
    }

    /// The OpenID tokens' key set, as published.
    async fn open_id_keys(&self) -> tokens::Jwks {
        let r = self.server.get("/.well-known/jwks_uri").await;
        assert_eq!(r.status, 200, "{}", r.text());
        tokens::Jwks::parse(r.text().as_bytes()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_id_tokens_for_signed_in_users_and_guests() {
    let f = start().await;
    let id_token = f.signed_in("rider@example.com", WEB).await;
    let identity_id = f.get_id(Some(&id_token)).await;
    let token = f
        .open_id_token(&identity_id, Some(&id_token))
        .await
        .unwrap();

    // Verified with the published keys, for this identity pool, as AWS's issuer.
    let validator = tokens::Validator::new(
        tokens::ValidatorConfig {
            issuer: "https://cognito-identity.amazonaws.com".into(),
            audiences: tokens::Audiences::OneOf(vec![IDENTITY_POOL.into()]),
            token_use: tokens::ExpectedUse::Unchecked,
            required_scopes: vec![],
            clock_skew: Duration::ZERO,
        },
        f.open_id_keys().await,
    );
    validator.validate(token.as_bytes(), f.clock.now()).unwrap();
    let c = claims(&token);
    let sub = claims(&id_token)["sub"].as_str().unwrap().to_string();
    assert_eq!(c["sub"], identity_id.as_str());
    assert_eq!(c["aud"], IDENTITY_POOL);
    assert_eq!(
        c["amr"],
        serde_json::json!([
            "authenticated",
            PROVIDER,
            format!("{PROVIDER}:CognitoSignIn:{sub}")
        ])
    );
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 600);
    assert!(
        validator
            .validate(token.as_bytes(), f.clock.now() + Duration::from_secs(600))
            .is_err(),
        "ten minutes"
    );

    // A guest's token says so.
    let guest = f.get_id(None).await;
    let guest_token = f.open_id_token(&guest, None).await.unwrap();
    validator
        .validate(guest_token.as_bytes(), f.clock.now())
        .unwrap();
    assert_eq!(
        claims(&guest_token)["amr"],
        serde_json::json!(["unauthenticated"])
    );

    // The same checks as GetCredentialsForIdentity: the identity's own user only, a valid
    // login, a known identity.
    let e = f.open_id_token(&identity_id, None).await.unwrap_err();
    assert_eq!(
        e,
        format!("NotAuthorizedException: Access to Identity '{identity_id}' is forbidden.")
    );
    let other = f.signed_in("other@example.com", WEB).await;
    let e = f
        .open_id_token(&identity_id, Some(&other))
        .await
        .unwrap_err();
    assert!(
        e.starts_with("NotAuthorizedException: Access to Identity"),
        "{e}"
    );
    let (head, rest) = id_token.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", rest.chars().rev().collect::<String>());
    let e = f
        .open_id_token(&identity_id, Some(&forged))
        .await
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid login token.");
    f.clock.advance(Duration::from_secs(3600));
    let e = f
        .open_id_token(&identity_id, Some(&id_token))
        .await
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid login token.", "expired");
    let e = f
        .open_id_token("us-east-1:00000000-0000-4000-8000-000000000000", None)
        .await
        .unwrap_err();
    assert!(e.starts_with("ResourceNotFoundException"), "{e}");
    assert!(f.upstream.requests().is_empty());
}

impl Fixture {
    async fn assume(
        &self,
        role: &str,
        token: &str,
    ) -> Result<
        sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
        String,
    > {
        self.sts
            .assume_role_with_web_identity()
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{role}"))
            .role_session_name("app1")
            .web_identity_token(token)
            .send()
            .await
            .map_err(error_text)
    }

    /// `POST /prod/ride` signed with a session's credentials.
    async fn ride(&self, c: &sts::types::Credentials) -> TestResponse {
        let key = Key::new(&c.access_key_id, &c.secret_access_key).with_token(&c.session_token);
        let how = Signing::execute_api(self.clock.now());
        let request = signed(
            Method::POST,
            &self.server.url("/prod/ride"),
            &[],
            "",
            &key,
            &how,
        );
        self.server.client.request(request).await
    }
}

const DENIED: &str = "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_pool_id_tokens_assume_the_roles_that_trust_their_client() {
    let f = start().await;
    let token = f.signed_in("rider@example.com", WEB).await;
    let out = f.assume("PoolRole", &token).await.unwrap();
    let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/PoolRole/app1");
    let user = out.assumed_role_user.unwrap();
    assert_eq!(user.arn, arn);
    assert!(
        user.assumed_role_id.ends_with(":app1"),
        "{}",
        user.assumed_role_id
    );
    assert_eq!(
        out.subject_from_web_identity_token.as_deref(),
        claims(&token)["sub"].as_str()
    );
    assert_eq!(out.audience.as_deref(), Some(WEB));
    assert_eq!(
        out.provider.as_deref(),
        Some(format!("https://{PROVIDER}").as_str())
    );
    let c = out.credentials.unwrap();
    assert!(c.access_key_id.starts_with("ASIA"), "{}", c.access_key_id);
    let now = f
        .clock
        .now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    assert_eq!(
        c.expiration.secs(),
        i64::try_from(now.as_secs()).unwrap() + 3600
    );

    // The session signs API calls, which the role's policy allows.
    let r = f.ride(&c).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.requests().len(), 1);
    assert_eq!(f.upstream.requests()[0].headers["x-user-arn"], arn.as_str());

    // Refusals, none of which reaches the backend.
    let other_client = f.signed_in("other@example.com", "other-app").await;
    assert_eq!(
        f.assume("PoolRole", &other_client).await.unwrap_err(),
        DENIED,
        "wrong aud"
    );
    assert_eq!(
        f.assume("RiderRole", &token).await.unwrap_err(),
        DENIED,
        "wrong principal"
    );
    assert_eq!(f.assume("NoSuchRole", &token).await.unwrap_err(), DENIED);
    let (head, rest) = token.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", rest.chars().rev().collect::<String>());
    for bad in [forged.as_str(), "not-a-jwt", "a.b.c"] {
        let e = f.assume("PoolRole", bad).await.unwrap_err();
        assert!(e.starts_with("InvalidIdentityToken: "), "{e}");
    }
    // A token of an issuer the gateway does not know.
    let stranger = tokens::SigningKey::generate(SystemTime::now()).unwrap();
    let iat = now.as_secs();
    let alien = tokens::issue::sign(
        &stranger,
        &serde_json::json!({"iss": "https://elsewhere.example", "sub": "x", "aud": WEB, "iat": iat, "exp": iat + 600}),
    )
    .unwrap();
    assert_eq!(
        f.assume("PoolRole", &alien).await.unwrap_err(),
        "InvalidIdentityToken: No OpenIDConnect provider found in your account for https://elsewhere.example"
    );
    // Managed session policies are refused by name, not ignored.
    let e = f
        .sts
        .assume_role_with_web_identity()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PoolRole"))
        .role_session_name("app1")
        .web_identity_token(&token)
        .policy_arns(
            sts::types::PolicyDescriptorType::builder()
                .arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .build(),
        )
        .send()
        .await
        .map_err(error_text)
        .unwrap_err();
    assert!(e.starts_with("ValidationError: PolicyArns"), "{e}");
    // An inline session policy narrows the session: this one allows nothing.
    let narrowed = f
        .sts
        .assume_role_with_web_identity()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PoolRole"))
        .role_session_name("app1")
        .web_identity_token(&token)
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let r = f.ride(&narrowed.credentials.unwrap()).await;
    assert_eq!(r.status, 403, "{}", r.text());

    // A signed-out user's tokens are rejected by the pool (its deny list).
    let out = common::pools::password_sign_in(&f.idp, WEB, "other@example.com", PASSWORD);
    let out = out.await.unwrap();
    let access = out.access_token.unwrap();
    f.idp
        .global_sign_out()
        .access_token(access)
        .send()
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(2));
    let e = f
        .assume("PoolRole", &out.id_token.unwrap())
        .await
        .unwrap_err();
    assert!(e.starts_with("IDPRejectedClaim: "), "{e}");

    // Once the ID token has expired (one hour), it buys nothing.
    f.clock.advance(Duration::from_secs(3600));
    let e = f.assume("PoolRole", &token).await.unwrap_err();
    assert!(e.starts_with("ExpiredTokenException: "), "{e}");
    assert_eq!(f.upstream.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_id_tokens_assume_the_identity_pools_roles() {
    let f = start().await;
    let id_token = f.signed_in("rider@example.com", WEB).await;
    let identity_id = f.get_id(Some(&id_token)).await;
    let token = f
        .open_id_token(&identity_id, Some(&id_token))
        .await
        .unwrap();
    let out = f.assume("RiderRole", &token).await.unwrap();
    assert_eq!(
        out.subject_from_web_identity_token.as_deref(),
        Some(identity_id.as_str())
    );
    assert_eq!(out.audience.as_deref(), Some(IDENTITY_POOL));
    assert_eq!(
        out.provider.as_deref(),
        Some("https://cognito-identity.amazonaws.com")
    );
    assert_eq!(
        out.assumed_role_user.unwrap().arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/RiderRole/app1")
    );
    // The session carries the identity, as GetCredentialsForIdentity's do.
    let r = f.ride(&out.credentials.unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        f.upstream.requests()[0].headers["x-identity-id"],
        identity_id.as_str()
    );

    // The roles' `amr` conditions: a guest's token assumes the guest role only.
    let guest = f.get_id(None).await;
    let guest_token = f.open_id_token(&guest, None).await.unwrap();
    assert_eq!(
        f.assume("RiderRole", &guest_token).await.unwrap_err(),
        DENIED
    );
    let guest_session = f.assume("GuestRole", &guest_token).await.unwrap();
    let r = f.ride(&guest_session.credentials.unwrap()).await;
    assert_eq!(r.status, 403, "the guest role allows no ride: {}", r.text());
    // A role trusting only the user pool does not take the identity pool's tokens.
    assert_eq!(f.assume("PoolRole", &token).await.unwrap_err(), DENIED);

    // Ten minutes.
    f.clock.advance(Duration::from_secs(600));
    let e = f.assume("RiderRole", &token).await.unwrap_err();
    assert!(e.starts_with("ExpiredTokenException: "), "{e}");
    assert_eq!(f.upstream.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_a_jwt_authorizers_issuer() {
    let f = start().await;
    let now = f.clock.now();
    let token = f.issuer.token("rider-7", OIDC_AUDIENCE, now);
    let out = f.assume("OidcRole", &token).await.unwrap();
    assert_eq!(out.provider.as_deref(), Some(f.issuer.url.as_str()));
    assert_eq!(
        out.subject_from_web_identity_token.as_deref(),
        Some("rider-7")
    );
    let r = f.ride(&out.credentials.unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // `{provider}:sub` decides: another user of the same issuer is not trusted.
    let other = f.issuer.token("rider-8", OIDC_AUDIENCE, now);
    assert_eq!(f.assume("OidcRole", &other).await.unwrap_err(), DENIED);
    // An audience no JWT authorizer accepts is not a token for this gateway.
    let foreign = f.issuer.token("rider-7", "api://elsewhere", now);
    assert_eq!(
        f.assume("OidcRole", &foreign).await.unwrap_err(),
        "InvalidIdentityToken: Incorrect token audience"
    );
    // The issuer's tokens assume nothing else.
    assert_eq!(f.assume("PoolRole", &token).await.unwrap_err(), DENIED);
    // DurationSeconds up to the role's maximum.
    let long = f
        .sts
        .assume_role_with_web_identity()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/OidcRole"))
        .role_session_name("app1")
        .web_identity_token(&token)
        .duration_seconds(7201)
        .send()
        .await
        .map_err(error_text)
        .unwrap_err();
    assert_eq!(
        long,
        "ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    // Other issuers' clocks are allowed a minute of skew, as the JWT authorizer allows them.
    f.clock.advance(Duration::from_secs(630));
    assert!(
        f.assume("OidcRole", &token).await.is_ok(),
        "within the skew"
    );
    f.clock.advance(Duration::from_secs(30));
    let e = f.assume("OidcRole", &token).await.unwrap_err();
    assert!(e.starts_with("ExpiredTokenException: "), "{e}");
    assert_eq!(f.upstream.requests().len(), 1);
}
