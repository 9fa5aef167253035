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
use common::*;
use gateway::clock::Clock;
use http::Method;
use testkit::aws::cognito_identity;
use testkit::aws::cognito_idp::{self, types::AuthFlowType};
use testkit::aws::sts;
use testkit::signer::{Key, Signing, signed};

const POOL: &str = "us-east-1_WebId";
const WEB: &str = "web";
const PROVIDER: &str = "cognito-idp.us-east-1.amazonaws.com/us-east-1_WebId";
const IDENTITY_POOL: &str = "us-east-1:5a0b7c2e-1d3f-4e5a-9b6c-7d8e9f0a1b2c";
const PASSWORD: &str = "Correct-Horse-42";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:api0000001";
const ACCOUNT: &str = "123456789012";

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: rides, version: "1"}
paths:
  /ride:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: "${stageVariables.backend}/ride"
        requestParameters:
          integration.request.header.x-user-arn: context.identity.userArn
          integration.request.header.x-identity-id: context.identity.cognitoIdentityId
components:
  securitySchemes:
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
"#;

fn rest_of_config() -> String {
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
    server: TestServer,
    upstream: Upstream,
    clock: Arc<gateway::clock::FixedClock>,
    idp: cognito_idp::Client,
    identity: cognito_identity::Client,
    sts: sts::Client,
}

async fn start() -> Fixture {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        OPENAPI,
        &format!("{{backend: \"{}\"}}", upstream.url()),
    );
    let clock = Arc::new(gateway::clock::FixedClock::new(SystemTime::now()));
    let server =
        TestServer::start_with_clock(ws, &format!("{config}{}", rest_of_config()), clock.clone())
            .await;
    let endpoint = server.url("");
    Fixture {
        idp: testkit::aws::cognito_client(&endpoint, "us-east-1"),
        identity: testkit::aws::cognito_identity_client(&endpoint, "us-east-1", None),
        sts: testkit::aws::sts_web_identity_client(&endpoint, "us-east-1"),
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
        let out = self
            .idp
            .sign_up()
            .client_id(WEB)
            .username(email)
            .password(PASSWORD)
            .send()
            .await
            .unwrap();
        let stores = self.server.running.as_ref().unwrap().services().store();
        let code = stores
            .signin
            .outbox(POOL, Some(out.user_sub()), 1)
            .await
            .unwrap()[0]
            .code
            .clone();
        self.idp
            .confirm_sign_up()
            .client_id(WEB)
            .username(email)
            .confirmation_code(code)
            .send()
            .await
            .unwrap();
        self.idp
            .initiate_auth()
            .client_id(client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .unwrap()
            .authentication_result
            .unwrap()
            .id_token
            .unwrap()
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
