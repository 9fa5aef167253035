//! Identity pools end to end, with the AWS SDK for Rust's Cognito Identity client: a user signs
//! in to a user pool, trades the ID token for the identity pool's role credentials
//! (GetId → GetCredentialsForIdentity), and signs API requests with them (`aws-sigv4`); the
//! role's policy decides. Refusals — unsigned, the wrong role, bad login tokens, guests where
//! the pool allows none — are counted at the backend (never reached).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use gateway::clock::Clock;
use http::Method;
use testkit::aws::cognito_identity;
use testkit::aws::cognito_idp::{self, types::AuthFlowType};
use testkit::signer::{Key, Signing, signed};

const POOL: &str = "us-east-1_WildRydes";
const WEB: &str = "wildrydes-web";
const IDENTITY_POOL: &str = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01";
/// A second identity pool, for signed-in users only.
const MEMBERS_ONLY: &str = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c02";
const PASSWORD: &str = "Correct-Horse-42";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:api0000001";

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: rides, version: "1"}
x-proxy: &proxy
  type: http_proxy
  httpMethod: ANY
  uri: "${stageVariables.backend}/echo"
paths:
  /ride:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: "${stageVariables.backend}/ride"
        requestParameters:
          integration.request.header.x-identity-id: context.identity.cognitoIdentityId
          integration.request.header.x-identity-pool: context.identity.cognitoIdentityPoolId
          integration.request.header.x-auth-type: context.identity.cognitoAuthenticationType
          integration.request.header.x-auth-provider: context.identity.cognitoAuthenticationProvider
          integration.request.header.x-user-arn: context.identity.userArn
  /fn/{action}:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Proxy/invocations"
  /users/{id}:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *proxy
  /admin:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *proxy
  /status:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *proxy
components:
  securitySchemes:
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
"#;

fn rest_of_config() -> String {
    let trust = |amr: &str| {
        format!(
            r#"{{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Federated: cognito-identity.amazonaws.com}}, Action: "sts:AssumeRoleWithWebIdentity", Condition: {{StringEquals: {{"cognito-identity.amazonaws.com:aud": "{IDENTITY_POOL}"}}, "ForAnyValue:StringLike": {{"cognito-identity.amazonaws.com:amr": {amr}}}}}}}]}}"#
        )
    };
    let invoke = |path: &str| {
        format!(
            r#"{{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "{API}/*/{path}"}}]}}"#
        )
    };
    // The role's own identity only, by the policy variable.
    let rides = format!(
        r#"{{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: ["{API}/*/POST/ride", "{API}/*/POST/fn/*", "{API}/*/GET/users/${{cognito-identity.amazonaws.com:sub}}"]}}]}}"#
    );
    let proxy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/functions/proxy");
    format!(
        r#"
functions:
  - {{name: Proxy, runtime: nodejs22.x, handler: index.handler, code: {proxy:?}}}
user_pools:
  - id: us-east-1_WildRydes
    username_attributes: [email]
    auto_verified_attributes: [email]
    clients:
      - {{id: wildrydes-web, auth_flows: [USER_PASSWORD_AUTH]}}
      - {{id: other-app, auth_flows: [USER_PASSWORD_AUTH]}}
    groups: [{{name: admins, precedence: 1}}]
iam:
  policies:
    Rides: {rides}
    Admin: {admin}
    Status: {status}
    IdentityAdmin: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: ["cognito-identity:DescribeIdentity", "cognito-identity:ListIdentities", "cognito-idp:AdminAddUserToGroup"], Resource: "*"}}]}}
  users:
    - name: demo
      access_keys: [{{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}]
      policies: [IdentityAdmin]
    - name: nobody
      access_keys: [{{id: AKIANOBODY0000000001, secret: "nobody-secret-0000000000000000000000000"}}]
  roles:
    - {{name: WildRydesAuthRole, trust_policy: {auth}, policies: [Rides]}}
    - {{name: WildRydesAdminRole, trust_policy: {auth}, policies: [Rides, Admin]}}
    - {{name: WildRydesUnauthRole, trust_policy: {unauth}, policies: [Status]}}
identity_pools:
  - id: "{IDENTITY_POOL}"
    name: WildRydesIdentityPool
    allow_unauthenticated: true
    providers: [{{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}}]
    authenticated_role: WildRydesAuthRole
    unauthenticated_role: WildRydesUnauthRole
    role_mappings:
      - {{provider: us-east-1_WildRydes, type: rules, ambiguous_role_resolution: AuthenticatedRole,
         rules: [{{claim: "cognito:groups", match_type: Contains, value: admins, role: WildRydesAdminRole}}]}}
  - id: "{MEMBERS_ONLY}"
    providers: [{{user_pool: us-east-1_WildRydes, client_id: wildrydes-web}}]
    authenticated_role: WildRydesAuthRole
"#,
        admin = invoke("GET/admin"),
        status = invoke("GET/status"),
        auth = trust(r#""authenticated""#),
        unauth = trust(r#""unauthenticated""#),
    )
}

struct Fixture {
    server: TestServer,
    upstream: Upstream,
    clock: Arc<gateway::clock::FixedClock>,
    idp: cognito_idp::Client,
    identity: cognito_identity::Client,
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
    let idp = testkit::aws::cognito_client(&server.url(""), "us-east-1");
    let identity = testkit::aws::cognito_identity_client(&server.url(""), "us-east-1", None);
    Fixture {
        server,
        upstream,
        clock,
        idp,
        identity,
    }
}

/// `Type: message` of an SDK error.
fn error_text<E: cognito_identity::error::ProvideErrorMetadata>(e: E) -> String {
    format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
}

impl Fixture {
    fn stores(&self) -> store::Stores {
        self.server
            .running
            .as_ref()
            .unwrap()
            .services()
            .store()
            .clone()
    }

    /// Signs up, confirms and signs in `email`; its ID token.
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
        let sub = out.user_sub().to_string();
        let code = self
            .stores()
            .signin
            .outbox(POOL, Some(&sub), 1)
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
        self.sign_in(email, client).await
    }

    async fn sign_in(&self, email: &str, client: &str) -> String {
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

    fn login_key(&self) -> String {
        format!("{}/{POOL}", self.server.edge)
    }

    async fn get_id(&self, pool: &str, token: Option<&str>) -> Result<String, String> {
        let mut call = self.identity.get_id().identity_pool_id(pool);
        if let Some(t) = token {
            call = call.logins(self.login_key(), t);
        }
        call.send()
            .await
            .map(|o| o.identity_id.unwrap())
            .map_err(error_text)
    }

    async fn credentials(&self, identity_id: &str, token: Option<&str>) -> Result<Key, String> {
        let mut call = self
            .identity
            .get_credentials_for_identity()
            .identity_id(identity_id);
        if let Some(t) = token {
            // AWS's own key form, this time.
            call = call.logins(format!("cognito-idp.us-east-1.amazonaws.com/{POOL}"), t);
        }
        let out = call.send().await.map_err(error_text)?;
        assert_eq!(out.identity_id(), Some(identity_id));
        let c = out.credentials.unwrap();
        let expiration = c.expiration.unwrap();
        let now = self
            .clock
            .now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(
            expiration.secs(),
            i64::try_from(now.as_secs()).unwrap() + 3600
        );
        let access = c.access_key_id.unwrap();
        assert!(access.starts_with("ASIA"), "{access}");
        Ok(Key::new(&access, &c.secret_key.unwrap()).with_token(&c.session_token.unwrap()))
    }

    async fn call(&self, method: Method, path: &str, key: Option<&Key>) -> TestResponse {
        let url = self.server.url(path);
        match key {
            Some(key) => {
                let how = Signing::execute_api(self.clock.now());
                let request = signed(method, &url, &[], "", key, &how);
                self.server.client.request(request).await
            }
            None => self.server.client.send(method, &url, &[], "").await,
        }
    }
}

/// API Gateway's message for a role session its policies do not allow (the resource's account
/// masked, as AWS writes it).
fn session_denied(role: &str, path: &str) -> String {
    format!(
        "User: arn:aws:sts::123456789012:assumed-role/{role}/CognitoIdentityCredentials is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:api0000001/prod/{path} because no identity-based policy allows the execute-api:Invoke action"
    )
}

fn assert_denied(r: &TestResponse, message: &str) {
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    assert_eq!(r.json(), serde_json::json!({ "Message": message }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_users_call_the_api_with_their_roles_credentials() {
    let f = start().await;
    let token = f.signed_in("rider@example.com", WEB).await;

    let identity_id = f.get_id(IDENTITY_POOL, Some(&token)).await.unwrap();
    assert!(identity_id.starts_with("us-east-1:"), "{identity_id}");
    // Stable: the same user gets the same identity, with either key form.
    assert_eq!(
        f.get_id(IDENTITY_POOL, Some(&token)).await.unwrap(),
        identity_id
    );
    let key = f.credentials(&identity_id, Some(&token)).await.unwrap();

    let r = f.call(Method::POST, "/prod/ride", Some(&key)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = &f.upstream.requests()[0].headers;
    assert_eq!(seen["x-identity-id"], identity_id.as_str());
    assert_eq!(seen["x-identity-pool"], IDENTITY_POOL);
    assert_eq!(seen["x-auth-type"], "authenticated");
    let provider = format!("cognito-idp.us-east-1.amazonaws.com/{POOL}");
    assert_eq!(
        seen["x-auth-provider"],
        format!(
            "{provider},{provider}:CognitoSignIn:{}",
            claims_field(&token, "sub")
        )
        .as_str()
    );
    assert_eq!(
        seen["x-user-arn"],
        "arn:aws:sts::123456789012:assumed-role/WildRydesAuthRole/CognitoIdentityCredentials"
    );
    // The Lambda proxy event's `requestContext.identity`, in AWS's form.
    let r = f.call(Method::POST, "/prod/fn/echo", Some(&key)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let event = r.json();
    let identity = &event["requestContext"]["identity"];
    assert_eq!(identity["cognitoIdentityId"], identity_id.as_str());
    assert_eq!(identity["cognitoIdentityPoolId"], IDENTITY_POOL);
    assert_eq!(identity["cognitoAuthenticationType"], "authenticated");
    assert_eq!(
        identity["cognitoAuthenticationProvider"],
        seen["x-auth-provider"].to_str().unwrap()
    );
    // `${cognito-identity.amazonaws.com:sub}` in the role's policy: the user's own identity only.
    let r = f
        .call(
            Method::GET,
            &format!("/prod/users/{identity_id}"),
            Some(&key),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = f
        .call(
            Method::GET,
            "/prod/users/us-east-1:00000000-0000-4000-8000-000000000000",
            Some(&key),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(f.upstream.requests().len(), 2);

    // Refusals, none reaching the backend.
    let r = f.call(Method::POST, "/prod/ride", None).await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    let r = f.call(Method::GET, "/prod/admin", Some(&key)).await;
    assert_denied(&r, &session_denied("WildRydesAuthRole", "GET/admin"));
    // A token of another user does not open this identity.
    let other = f.signed_in("other@example.com", WEB).await;
    let e = f.credentials(&identity_id, Some(&other)).await.unwrap_err();
    assert_eq!(
        e,
        format!("NotAuthorizedException: Access to Identity '{identity_id}' is forbidden.")
    );
    // Nor does no token at all.
    let e = f.credentials(&identity_id, None).await.unwrap_err();
    assert!(e.starts_with("NotAuthorizedException"), "{e}");
    assert_eq!(f.upstream.requests().len(), 2);

    // Signed operations: who may see identities.
    let demo = Key::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    let admin = testkit::aws::cognito_identity_client(&f.server.url(""), "us-east-1", Some(&demo));
    let described = admin
        .describe_identity()
        .identity_id(&identity_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.logins(),
        [format!("cognito-idp.us-east-1.amazonaws.com/{POOL}")]
    );
    let listed = admin
        .list_identities()
        .identity_pool_id(IDENTITY_POOL)
        .max_results(60)
        .send()
        .await
        .unwrap();
    // Only the first user called GetId.
    assert_eq!(listed.identities().len(), 1);
    let nobody = Key::new(
        "AKIANOBODY0000000001",
        "nobody-secret-0000000000000000000000000",
    );
    let denied =
        testkit::aws::cognito_identity_client(&f.server.url(""), "us-east-1", Some(&nobody));
    let e = denied
        .list_identities()
        .identity_pool_id(IDENTITY_POOL)
        .max_results(10)
        .send()
        .await
        .map_err(error_text)
        .unwrap_err();
    assert!(e.starts_with("AccessDeniedException: User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: cognito-identity:ListIdentities"), "{e}");
    // An unknown identity: not found for demo, denied (not "not found") for nobody.
    let unknown = "us-east-1:00000000-0000-4000-8000-000000000000";
    let e = admin
        .describe_identity()
        .identity_id(unknown)
        .send()
        .await
        .map_err(error_text)
        .unwrap_err();
    assert!(e.starts_with("ResourceNotFoundException"), "{e}");
    for id in [unknown, identity_id.as_str()] {
        let e = denied
            .describe_identity()
            .identity_id(id)
            .send()
            .await
            .map_err(error_text)
            .unwrap_err();
        assert!(e.starts_with("AccessDeniedException"), "{e}");
    }
    // Unsigned (the SDK will not send that): refused before anything is read.
    let r = f
        .server
        .client
        .send(
            Method::POST,
            &f.server.url("/"),
            &[
                ("x-amz-target", "AWSCognitoIdentityService.ListIdentities"),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            format!(r#"{{"IdentityPoolId":"{IDENTITY_POOL}","MaxResults":10}}"#),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["__type"], "MissingAuthenticationTokenException");

    // Credentials stop with their expiry; new ones need a fresh token.
    f.clock.advance(Duration::from_secs(3601));
    let r = f.call(Method::POST, "/prod/ride", Some(&key)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let e = f.credentials(&identity_id, Some(&token)).await.unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid login token.");
    assert_eq!(f.upstream.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_admins_and_bad_login_tokens() {
    let f = start().await;
    // A guest: the unauthenticated role, which may not ride.
    let guest = f.get_id(IDENTITY_POOL, None).await.unwrap();
    let key = f.credentials(&guest, None).await.unwrap();
    let r = f.call(Method::POST, "/prod/ride", Some(&key)).await;
    assert_denied(&r, &session_denied("WildRydesUnauthRole", "POST/ride"));
    let r = f.call(Method::GET, "/prod/status", Some(&key)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.requests().len(), 1);
    let r = f.call(Method::POST, "/prod/ride", None).await;
    assert_eq!(r.status, 403);
    // A pool without guests refuses them, and stores nothing.
    let e = f.get_id(MEMBERS_ONLY, None).await.unwrap_err();
    assert_eq!(
        e,
        "NotAuthorizedException: Unauthenticated access is not supported for this identity pool."
    );
    let ids = f
        .stores()
        .identities
        .list_identities(MEMBERS_ONLY, 60, None)
        .await
        .unwrap();
    assert!(ids.identities.is_empty());

    // Bad login tokens: forged, another app client's (wrong audience), garbage. Nothing stored.
    let token = f.signed_in("admin@example.com", WEB).await;
    let (head, rest) = token.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", rest.chars().rev().collect::<String>());
    let other_client = f.sign_in("admin@example.com", "other-app").await;
    for bad in [forged.as_str(), other_client.as_str(), "not-a-jwt"] {
        let e = f.get_id(IDENTITY_POOL, Some(bad)).await.unwrap_err();
        assert_eq!(e, "NotAuthorizedException: Invalid login token.");
    }
    let e = f
        .get_id(
            "us-east-1:00000000-0000-4000-8000-000000000000",
            Some(&token),
        )
        .await
        .unwrap_err();
    assert!(e.starts_with("ResourceNotFoundException"), "{e}");
    let before = f
        .stores()
        .identities
        .list_identities(IDENTITY_POOL, 60, None)
        .await
        .unwrap();
    assert_eq!(before.identities.len(), 1, "only the guest");

    // The roles trust only the first pool (`cognito-identity.amazonaws.com:aud`): the second
    // pool's users get an identity but no credentials.
    let member = f.get_id(MEMBERS_ONLY, Some(&token)).await.unwrap();
    let e = f.credentials(&member, Some(&token)).await.unwrap_err();
    assert_eq!(
        e,
        "InvalidIdentityPoolConfigurationException: Invalid identity pool configuration. Check assigned IAM roles for this pool."
    );

    // An admin: the rules mapping picks the admin role.
    let admin_key = Key::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    let admins = testkit::aws::cognito_admin_client(&f.server.url(""), "us-east-1", &admin_key);
    admins
        .admin_add_user_to_group()
        .user_pool_id(POOL)
        .username(claims_username(&token))
        .group_name("admins")
        .send()
        .await
        .unwrap();
    let token = f.sign_in("admin@example.com", WEB).await;
    let id = f.get_id(IDENTITY_POOL, Some(&token)).await.unwrap();
    let key = f.credentials(&id, Some(&token)).await.unwrap();
    let r = f.call(Method::GET, "/prod/admin", Some(&key)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.requests().len(), 2);
}

fn claims_username(jwt: &str) -> String {
    claims_field(jwt, "cognito:username")
}

fn claims_field(jwt: &str, name: &str) -> String {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v[name].as_str().unwrap().to_string()
}
