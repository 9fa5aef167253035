//! Cognito user pools on the edge endpoint, driven by the AWS SDK for Rust's Cognito Identity
//! Provider client: sign-up, confirmation, sign-in (password and SRP), tokens, refresh,
//! sign-out; the OIDC endpoints; and an API guarded by `COGNITO_USER_POOLS` authorizers, with
//! the backend's hits counted on every refusal.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::SystemTime;

use common::*;
use http::Method;
use testkit::aws::cognito_idp::{
    self,
    types::{AuthFlowType, ChallengeNameType},
};

const POOL: &str = "us-east-1_WildRydes";
const WEB: &str = "wildrydes-web";
const PASSWORD: &str = "Correct-Horse-42";

const CONFIG_POOLS: &str = r#"
user_pools:
  - id: us-east-1_WildRydes
    name: WildRydes
    username_attributes: [email]
    auto_verified_attributes: [email]
    sign_up_confirmation: code
    password_policy: {minimum_length: 8, require_lowercase: true, require_uppercase: true, require_numbers: true, require_symbols: false}
    clients:
      - {id: wildrydes-web, name: web, auth_flows: [USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]}
      - {id: rides-backend, name: backend, secret: "s3cr3t-value-for-tests-only", oauth_flows: [client_credentials], oauth_scopes: [rides/read]}
    groups: [{name: admins, precedence: 1}]
    resource_servers: [{identifier: rides, scopes: [read, write]}]
"#;

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: rides, version: "1"}
components:
  securitySchemes:
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_WildRydes"]
paths:
  /ride:
    post:
      security: [{pool: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: "${stageVariables.backend}/ride"
        requestParameters:
          integration.request.header.x-rider: context.authorizer.claims.email
  /rides:
    get:
      security: [{pool: [rides/read]}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/rides"
"#;

struct Fixture {
    server: TestServer,
    upstream: Upstream,
    idp: cognito_idp::Client,
}

async fn start() -> Fixture {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        OPENAPI,
        &format!("{{backend: \"{}\"}}", upstream.url()),
    );
    let server = TestServer::start(ws, &format!("{config}{CONFIG_POOLS}")).await;
    let idp = pools::idp(&server);
    Fixture {
        server,
        upstream,
        idp,
    }
}

impl Fixture {
    async fn last_code(&self, username: &str) -> String {
        pools::last_code(&self.server, POOL, username).await
    }

    async fn signed_up(&self, email: &str) -> String {
        pools::sign_up_confirmed(
            &self.server,
            (POOL, WEB),
            email,
            PASSWORD,
            &[("name", "Rider")],
        )
        .await
    }

    async fn password_sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<cognito_idp::types::AuthenticationResultType, String> {
        pools::password_sign_in(&self.idp, WEB, email, password).await
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>) -> TestResponse {
        let headers: Vec<(&str, &str)> = token.map(|t| ("authorization", t)).into_iter().collect();
        self.server
            .client
            .send(method, &self.server.url(path), &headers, "")
            .await
    }
}

fn claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_confirm_sign_in_and_call_the_api() {
    let f = start().await;
    let email = "rider@example.com";
    // Sign-up: unconfirmed, a code on its way to the masked address.
    let out = f
        .idp
        .sign_up()
        .client_id(WEB)
        .username(email)
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    assert!(!out.user_confirmed());
    let details = out.code_delivery_details().unwrap();
    assert_eq!(details.destination(), Some("r***@e***"));
    let sub = out.user_sub().to_string();
    // Not confirmed yet: the right password is not enough.
    let e = f.password_sign_in(email, PASSWORD).await.unwrap_err();
    assert_eq!(e, "UserNotConfirmedException: User is not confirmed.");
    let e = f
        .idp
        .confirm_sign_up()
        .client_id(WEB)
        .username(email)
        .confirmation_code("000000")
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert!(e.starts_with("CodeMismatchException"), "{e}");
    let code = f.last_code(&sub).await;
    f.idp
        .confirm_sign_up()
        .client_id(WEB)
        .username(email)
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    // A second sign-up with the same email is refused.
    let e = f
        .idp
        .sign_up()
        .client_id(WEB)
        .username("RIDER@example.com")
        .password(PASSWORD)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert!(e.starts_with("UsernameExistsException"), "{e}");

    // Wrong password and unknown user: the same answer.
    let wrong = f
        .password_sign_in(email, "Wrong-Horse-42")
        .await
        .unwrap_err();
    let unknown = f
        .password_sign_in("nobody@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        wrong,
        "NotAuthorizedException: Incorrect username or password."
    );
    assert_eq!(unknown, wrong);

    let tokens = f.password_sign_in(email, PASSWORD).await.unwrap();
    let id_token = tokens.id_token().unwrap().to_string();
    let access = tokens.access_token().unwrap().to_string();
    let id_claims = claims(&id_token);
    assert_eq!(id_claims["sub"], sub.as_str());
    assert_eq!(id_claims["token_use"], "id");
    assert_eq!(id_claims["aud"], WEB);
    assert_eq!(id_claims["email"], email);
    assert_eq!(id_claims["email_verified"], true);
    assert_eq!(id_claims["cognito:username"], sub.as_str());
    assert_eq!(
        id_claims["iss"],
        format!("http://{}/{POOL}", f.server.edge).as_str()
    );

    let user = f.idp.get_user().access_token(&access).send().await.unwrap();
    assert_eq!(user.username(), sub);
    let attribute = |n: &str| {
        user.user_attributes()
            .iter()
            .find(|a| a.name() == n)
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    assert_eq!(attribute("email").as_deref(), Some(email));
    assert_eq!(attribute("email_verified").as_deref(), Some("true"));

    // The API: the ID token is accepted, and its claims reach the integration.
    let r = f.call(Method::POST, "/prod/ride", Some(&id_token)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.last().headers["x-rider"], email);
    let r = f
        .call(
            Method::POST,
            "/prod/ride",
            Some(&format!("Bearer {id_token}")),
        )
        .await;
    assert_eq!(r.status, 200);
    let hits = f.upstream.requests().len();
    // Refusals never reach the backend.
    let mut tampered = id_token.clone();
    tampered.pop();
    tampered.push(if id_token.ends_with('A') { 'B' } else { 'A' });
    for token in [
        None,
        Some("not-a-jwt"),
        Some(tampered.as_str()),
        Some(access.as_str()),
    ] {
        let r = f.call(Method::POST, "/prod/ride", token).await;
        assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    }
    // A method with scopes wants an access token with one of them; the user's has none.
    for token in [&id_token, &access] {
        let r = f.call(Method::GET, "/prod/rides", Some(token)).await;
        assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    }
    assert_eq!(f.upstream.requests().len(), hits);

    // Refresh: new tokens for the same session.
    let refreshed = f
        .idp
        .initiate_auth()
        .client_id(WEB)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap();
    let new_id = refreshed.id_token().unwrap().to_string();
    assert!(refreshed.refresh_token().is_none());
    assert_eq!(claims(&new_id)["origin_jti"], id_claims["origin_jti"]);
    assert_ne!(claims(&new_id)["jti"], id_claims["jti"]);
    // GetTokensFromRefreshToken (Amplify JS's refresh) gives the same session's tokens.
    let via_get = f
        .idp
        .get_tokens_from_refresh_token()
        .client_id(WEB)
        .refresh_token(tokens.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let got_id = via_get.authentication_result().unwrap().id_token().unwrap();
    assert_eq!(claims(got_id)["origin_jti"], id_claims["origin_jti"]);

    // Sign-out everywhere: the session's tokens are refused at once, by the API too.
    f.idp
        .global_sign_out()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    for token in [&id_token, &new_id] {
        let r = f.call(Method::POST, "/prod/ride", Some(token)).await;
        assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    }
    let e = f
        .idp
        .get_user()
        .access_token(&access)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Access Token has been revoked");
    let e = f
        .idp
        .initiate_auth()
        .client_id(WEB)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Refresh Token has been revoked");
    let e = f
        .idp
        .get_tokens_from_refresh_token()
        .client_id(WEB)
        .refresh_token(tokens.refresh_token().unwrap())
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Refresh Token has been revoked");
    assert_eq!(f.upstream.requests().len(), hits);
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srp_sign_in_with_the_sdk_and_the_test_kit_client() {
    let f = start().await;
    let email = "srp@example.com";
    let sub = f.signed_up(email).await;
    let sign_in = |password: &'static str| {
        let idp = f.idp.clone();
        async move {
            let client = srp::client::Client::new().unwrap();
            let challenge = idp
                .initiate_auth()
                .client_id(WEB)
                .auth_flow(AuthFlowType::UserSrpAuth)
                .auth_parameters("USERNAME", email)
                .auth_parameters("SRP_A", client.srp_a_hex())
                .send()
                .await
                .unwrap();
            assert_eq!(
                challenge.challenge_name(),
                Some(&ChallengeNameType::PasswordVerifier)
            );
            let p = challenge.challenge_parameters().unwrap();
            let user_id = p["USER_ID_FOR_SRP"].clone();
            let c = srp::Challenge {
                salt_hex: p["SALT"].clone(),
                srp_b_hex: p["SRP_B"].clone(),
                secret_block: p["SECRET_BLOCK"].clone(),
            };
            let timestamp = srp::timestamp::format(SystemTime::now());
            let signature = client
                .sign(POOL, &user_id, password, &c, &timestamp)
                .unwrap();
            let answer = idp
                .respond_to_auth_challenge()
                .client_id(WEB)
                .challenge_name(ChallengeNameType::PasswordVerifier)
                .challenge_responses("USERNAME", &user_id)
                .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &c.secret_block)
                .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
                .challenge_responses("TIMESTAMP", timestamp)
                .send()
                .await;
            (user_id, answer.map_err(pools::error_text))
        }
    };
    let (user_id, answer) = sign_in(PASSWORD).await;
    assert_eq!(user_id, sub);
    let result = answer.unwrap().authentication_result.unwrap();
    assert_eq!(claims(result.id_token().unwrap())["sub"], sub.as_str());
    let (_, wrong) = sign_in("Wrong-Horse-42").await;
    assert_eq!(
        wrong.unwrap_err(),
        "NotAuthorizedException: Incorrect username or password."
    );
    // An unknown user gets a challenge too: the same salt each time, no error to tell it by.
    let salt = || async {
        let client = srp::client::Client::new().unwrap();
        let out = f
            .idp
            .initiate_auth()
            .client_id(WEB)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", "ghost@example.com")
            .auth_parameters("SRP_A", client.srp_a_hex())
            .send()
            .await
            .unwrap();
        out.challenge_parameters().unwrap()["SALT"].clone()
    };
    assert_eq!(salt().await, salt().await);
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_scopes_and_the_oidc_documents() {
    let f = start().await;
    // Discovery and keys.
    let discovery = f
        .server
        .get(&format!("/{POOL}/.well-known/openid-configuration"))
        .await;
    assert_eq!(discovery.status, 200);
    let issuer = format!("http://{}/{POOL}", f.server.edge);
    assert_eq!(discovery.json()["issuer"], issuer.as_str());
    let jwks = f
        .server
        .get(&format!("/{POOL}/.well-known/jwks.json"))
        .await;
    assert_eq!(jwks.status, 200);
    let kid = jwks.json()["keys"][0]["kid"].as_str().unwrap().to_string();
    assert_eq!(
        f.server
            .get("/us-east-1_Other/.well-known/jwks.json")
            .await
            .status,
        403
    );

    let token_request = |auth: Option<&'static str>, body: &'static str| {
        let f = &f;
        async move {
            let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
            if let Some(a) = auth {
                headers.push(("authorization", a));
            }
            f.server
                .client
                .send(Method::POST, &f.server.url("/oauth2/token"), &headers, body)
                .await
        }
    };
    // base64("rides-backend:s3cr3t-value-for-tests-only")
    const BASIC: &str = "Basic cmlkZXMtYmFja2VuZDpzM2NyM3QtdmFsdWUtZm9yLXRlc3RzLW9ubHk=";
    let r = token_request(
        Some(BASIC),
        "grant_type=client_credentials&scope=rides%2Fread",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let access = r.json()["access_token"].as_str().unwrap().to_string();
    let c = claims(&access);
    assert_eq!(c["scope"], "rides/read");
    assert_eq!(c["client_id"], "rides-backend");
    assert_eq!(c["iss"], issuer.as_str());
    assert_eq!(
        access
            .split('.')
            .next()
            .map(|h| claims_header(h)["kid"].clone()),
        Some(kid.into())
    );
    // A scope the client was not given, a wrong secret, no secret.
    let r = token_request(
        Some(BASIC),
        "grant_type=client_credentials&scope=rides%2Fwrite",
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["error"].clone()),
        (400, "invalid_scope".into())
    );
    let r = token_request(
        Some("Basic cmlkZXMtYmFja2VuZDp3cm9uZw=="),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["error"].clone()),
        (401, "invalid_client".into())
    );
    let r = token_request(
        None,
        "grant_type=client_credentials&client_id=rides-backend",
    )
    .await;
    assert_eq!(r.status, 401);

    // The scoped method takes the access token; the unscoped one wants an ID token.
    let r = f.call(Method::GET, "/prod/rides", Some(&access)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let hits = f.upstream.requests().len();
    let r = f.call(Method::POST, "/prod/ride", Some(&access)).await;
    assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    assert_eq!(f.upstream.requests().len(), hits);
    f.server.stop().await;
}

fn claims_header(b64: &str) -> serde_json::Value {
    use base64::Engine;
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

/// `amazon-cognito-identity-js` signs in (and changes the password to `new_password`).
async fn js_sign_in(
    f: &Fixture,
    username: &str,
    password: &str,
    new_password: Option<&str>,
) -> serde_json::Value {
    let mut args = vec![POOL, WEB, username, password];
    args.extend(new_password);
    pools::js_sign_in(&f.server, &args, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amazon_cognito_identity_js_signs_in_with_srp() {
    let f = start().await;
    let email = "js@example.com";
    f.signed_up(email).await;
    // Amplify's SRP client signs in; its ID token opens the API.
    let ok = js_sign_in(&f, email, PASSWORD, None).await;
    assert_eq!(ok["ok"], true, "{ok}");
    let r = f
        .call(Method::POST, "/prod/ride", ok["idToken"].as_str())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A wrong password.
    let wrong = js_sign_in(&f, email, "Wrong-Horse-42", None).await;
    assert_eq!(wrong["ok"], false);
    assert_eq!(wrong["code"], "NotAuthorizedException", "{wrong}");
    assert_eq!(wrong["message"], "Incorrect username or password.");
    // A changed password (ChangePassword with the client's own access token).
    let changed = js_sign_in(&f, email, PASSWORD, Some("Second-Horse-43")).await;
    assert_eq!(changed["ok"], true, "{changed}");
    assert_eq!(js_sign_in(&f, email, PASSWORD, None).await["ok"], false);
    assert_eq!(
        js_sign_in(&f, email, "Second-Horse-43", None).await["ok"],
        true
    );
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_user_out_and_no_one_else() {
    let f = start().await;
    f.signed_up("locked@example.com").await;
    f.signed_up("other@example.com").await;
    for _ in 0..5 {
        let e = f
            .password_sign_in("locked@example.com", "Wrong-Horse-42")
            .await
            .unwrap_err();
        assert_eq!(e, "NotAuthorizedException: Incorrect username or password.");
    }
    // Locked: even the right password is refused for the rest of the window.
    let e = f
        .password_sign_in("locked@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Password attempts exceeded");
    assert!(
        f.password_sign_in("other@example.com", PASSWORD)
            .await
            .is_ok()
    );
    // Unknown names are counted alike, so a lockout tells nothing about existence.
    for _ in 0..5 {
        let _ = f.password_sign_in("ghost@example.com", PASSWORD).await;
    }
    let e = f
        .password_sign_in("ghost@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Password attempts exceeded");
    f.server.stop().await;
}

/// Runs one phase of `tests/python/cognito_cli.py` (the AWS CLI) and returns its cases as
/// (exit status, output).
async fn aws_cli(f: &Fixture, username: &str, phase: &str) -> Vec<(String, i64, String)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/cognito_cli.py");
    let args: Vec<String> = [script, &f.server.url(""), WEB, username, PASSWORD, phase]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    results
        .as_object()
        .unwrap()
        .iter()
        .map(|(case, r)| {
            (
                case.clone(),
                r[0].as_i64().unwrap(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_signs_up_and_in() {
    let f = start().await;
    let email = "cli@example.com";
    let case = |results: &[(String, i64, String)], name: &str| {
        results
            .iter()
            .find(|(c, _, _)| c == name)
            .map(|(_, code, out)| (*code, out.clone()))
            .unwrap()
    };
    let phase1 = aws_cli(&f, email, "sign-up").await;
    let (code, out) = case(&phase1, "sign_up");
    assert_eq!(code, 0, "{out}");
    let signed_up: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(signed_up["UserConfirmed"], false);
    let (code, out) = case(&phase1, "unconfirmed");
    assert_ne!(code, 0);
    assert!(out.contains("UserNotConfirmedException"), "{out}");
    // Confirmed with the code the built-in sender delivered, the CLI's user signs in.
    let sub = signed_up["UserSub"].as_str().unwrap();
    let code = f.last_code(sub).await;
    f.idp
        .confirm_sign_up()
        .client_id(WEB)
        .username(email)
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    let phase2 = aws_cli(&f, email, "sign-in").await;
    let (code, out) = case(&phase2, "sign_in");
    assert_eq!(code, 0, "{out}");
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id_token = answer["AuthenticationResult"]["IdToken"].as_str().unwrap();
    let r = f.call(Method::POST, "/prod/ride", Some(id_token)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (code, out) = case(&phase2, "wrong_password");
    assert_ne!(code, 0);
    assert!(
        out.contains("NotAuthorizedException") && out.contains("Incorrect username or password."),
        "{out}"
    );
    f.server.stop().await;
}

/// The JWT attack catalogue against the running authorizer: each forged token is refused with
/// 401, and none reaches the backend. Forgeries that need the pool's own key are signed with it
/// (read from storage), so only the claim under test is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_refuses_the_jwt_attack_catalogue() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let f = start().await;
    f.signed_up("victim@example.com").await;
    let good = f
        .password_sign_in("victim@example.com", PASSWORD)
        .await
        .unwrap()
        .id_token()
        .unwrap()
        .to_string();
    let r = f.call(Method::POST, "/prod/ride", Some(&good)).await;
    assert_eq!(r.status, 200);
    let hits = f.upstream.requests().len();

    let stores = f
        .server
        .running
        .as_ref()
        .unwrap()
        .services()
        .store()
        .clone();
    let stored = stores.signin.signing_keys(POOL).await.unwrap();
    let key =
        tokens::SigningKey::from_pkcs8_pem(&stored[0].private_key_pem, SystemTime::now()).unwrap();
    let other_key = tokens::SigningKey::generate(SystemTime::now()).unwrap();
    let claims = claims(&good);
    let with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims.clone();
        change(&mut c);
        c
    };
    let signed = |k: &tokens::SigningKey, c: &serde_json::Value| tokens::issue::sign(k, c).unwrap();
    let header_b64 = |h: serde_json::Value| B64.encode(h.to_string());
    let parts: Vec<&str> = good.split('.').collect();
    let kid = claims_header(parts[0])["kid"].as_str().unwrap().to_string();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let attacks: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                header_b64(serde_json::json!({"alg": "none", "kid": kid})),
                parts[1]
            ),
        ),
        (
            "alg NONE, signature kept",
            format!(
                "{}.{}.{}",
                header_b64(serde_json::json!({"alg": "NONE", "kid": kid})),
                parts[1],
                parts[2]
            ),
        ),
        ("HS256 keyed with the public key (key confusion)", {
            let jwks = f
                .server
                .get(&format!("/{POOL}/.well-known/jwks.json"))
                .await
                .text();
            let input = format!(
                "{}.{}",
                header_b64(serde_json::json!({"alg": "HS256", "kid": kid})),
                parts[1]
            );
            let tag = ring::hmac::sign(
                &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, jwks.as_bytes()),
                input.as_bytes(),
            );
            format!("{input}.{}", B64.encode(tag.as_ref()))
        }),
        ("a kid not in the JWKS", signed(&other_key, &claims)),
        ("jku pointing elsewhere, signed by the attacker", {
            let input = format!(
                "{}.{}",
                header_b64(
                    serde_json::json!({"alg": "RS256", "kid": other_key.kid(), "jku": "http://attacker.invalid/jwks.json"})
                ),
                parts[1]
            );
            let token = signed(&other_key, &claims);
            format!("{input}.{}", token.rsplit('.').next().unwrap())
        }),
        (
            "payload altered, signature kept",
            format!(
                "{}.{}.{}",
                parts[0],
                B64.encode(with(&|c| c["email"] = "admin@example.com".into()).to_string()),
                parts[2]
            ),
        ),
        (
            "expired",
            signed(
                &key,
                &with(&|c| {
                    c["exp"] = (now - 60).into();
                    c["iat"] = (now - 3700).into();
                }),
            ),
        ),
        (
            "not yet valid (nbf)",
            signed(&key, &with(&|c| c["nbf"] = (now + 600).into())),
        ),
        (
            "issued in the future",
            signed(&key, &with(&|c| c["iat"] = (now + 600).into())),
        ),
        (
            "another issuer",
            signed(
                &key,
                &with(&|c| {
                    c["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other".into()
                }),
            ),
        ),
        (
            "an access token where an ID token is required",
            signed(&key, &with(&|c| c["token_use"] = "access".into())),
        ),
        (
            "no exp",
            signed(
                &key,
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
            ),
        ),
        ("truncated", good[..good.len() - 10].to_string()),
        ("five parts (JWE)", format!("{good}.x.y")),
    ];
    for (name, token) in &attacks {
        let r = f.call(Method::POST, "/prod/ride", Some(token)).await;
        assert_eq!(r.status, 401, "{name}: {}", r.text());
        assert_eq!(
            r.json(),
            serde_json::json!({"message": "Unauthorized"}),
            "{name}"
        );
    }
    // The control: a token re-signed with the pool's key and unchanged claims is accepted, so
    // each refusal above is the changed part's.
    let r = f
        .call(Method::POST, "/prod/ride", Some(&signed(&key, &claims)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.requests().len(), hits + 1);
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_may_call_the_json_endpoint_from_another_origin() {
    let f = start().await;
    let url = f.server.url("/");
    // The preflight a browser sends before amazon-cognito-identity-js's first call.
    let r = f
        .server
        .client
        .send(
            Method::OPTIONS,
            &url,
            &[
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "content-type,x-amz-target,x-amz-user-agent",
                ),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type,x-amz-target,x-amz-user-agent")
    );
    // The call itself, refused: the browser may read the error and its type.
    let r = f
        .server
        .client
        .send(
            Method::POST,
            &url,
            &[
                ("origin", "http://localhost:3000"),
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth"),
            ],
            format!(
                r#"{{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"{WEB}","AuthParameters":{{"USERNAME":"nobody@example.com","PASSWORD":"Wrong-Horse-42"}}}}"#
            ),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["__type"], "NotAuthorizedException");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let exposed = r.header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("x-amzn-ErrorType"), "{exposed}");
    assert!(exposed.contains("x-amzn-RequestId"), "{exposed}");
}
