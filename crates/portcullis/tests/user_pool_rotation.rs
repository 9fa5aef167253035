//! Refresh-token rotation through the AWS SDK for Rust against the running server:
//! GetTokensFromRefreshToken answers a new refresh token, the old one works within the client's
//! grace period and is `RefreshTokenReuseException` after it (time moved by the server's clock),
//! `REFRESH_TOKEN_AUTH` is refused to a rotating client (InitiateAuth and AdminInitiateAuth),
//! `/oauth2/token` rotates too, and revoking any token of a rotated family refuses all of them.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use gateway::clock::FixedClock;
use http::Method;
use testkit::aws::cognito_idp::{self, types::AuthFlowType};

const POOL: &str = "us-east-1_Rotate";
const PASSWORD: &str = "Correct-Horse-42";

const CONFIG: &str = r#"
account_id: "123456789012"
user_pools:
  - id: us-east-1_Rotate
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients:
      - {id: rotating, auth_flows: [USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH], refresh_token_rotation: {enabled: true, retry_grace_period: 10s}}
      - {id: instant, auth_flows: [USER_PASSWORD_AUTH], refresh_token_rotation: {enabled: true}}
      - {id: plain, auth_flows: [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]}
"#;

struct Fixture {
    server: TestServer,
    clock: Arc<FixedClock>,
    idp: cognito_idp::Client,
    admin: cognito_idp::Client,
}

async fn start() -> Fixture {
    // Near the real time: the administrative calls are signed with it.
    let clock = Arc::new(FixedClock::new(SystemTime::now()));
    let config = format!(
        "{}{CONFIG}",
        pools::admin_iam(&format!(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}"
        ))
    );
    let server = TestServer::start_with_clock(Workspace::new(), &config, clock.clone()).await;
    let idp = pools::idp(&server);
    let admin = pools::idp_admin(&server);
    idp.sign_up()
        .client_id("rotating")
        .username("alice")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    Fixture {
        server,
        clock,
        idp,
        admin,
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

impl Fixture {
    async fn sign_in(&self, client: &str) -> cognito_idp::types::AuthenticationResultType {
        pools::password_sign_in(&self.idp, client, "alice", PASSWORD)
            .await
            .unwrap()
    }

    async fn refresh(
        &self,
        client: &str,
        token: &str,
    ) -> Result<cognito_idp::types::AuthenticationResultType, String> {
        self.idp
            .get_tokens_from_refresh_token()
            .client_id(client)
            .refresh_token(token)
            .send()
            .await
            .map(|o| o.authentication_result.unwrap())
            .map_err(pools::error_text)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_grace_and_reuse() {
    let f = start().await;
    let first = f.sign_in("rotating").await;
    let t0 = first.refresh_token().unwrap().to_string();
    let origin = claims(first.id_token().unwrap())["origin_jti"].clone();

    // Each refresh answers a new refresh token of the same session.
    let second = f.refresh("rotating", &t0).await.unwrap();
    let t1 = second.refresh_token().unwrap().to_string();
    assert_ne!(t1, t0);
    assert_eq!(claims(second.id_token().unwrap())["origin_jti"], origin);
    assert_eq!(claims(second.access_token().unwrap())["origin_jti"], origin);
    // The old one still works within the grace period (a client retrying)…
    f.clock.advance(Duration::from_secs(9));
    let retry = f.refresh("rotating", &t0).await.unwrap();
    let t2 = retry.refresh_token().unwrap().to_string();
    assert_ne!(t2, t1);
    // …and not after it, even though a retry rotated again meanwhile.
    f.clock.advance(Duration::from_secs(2));
    let e = f.refresh("rotating", &t0).await.unwrap_err();
    assert!(e.starts_with("RefreshTokenReuseException"), "{e}");
    // The newest token works and rotates on.
    let third = f.refresh("rotating", &t2).await.unwrap();
    let t3 = third.refresh_token().unwrap().to_string();

    // Without a grace period, the presented token ends at once.
    let instant = f.sign_in("instant").await;
    let i0 = instant.refresh_token().unwrap().to_string();
    let i1 = f
        .refresh("instant", &i0)
        .await
        .unwrap()
        .refresh_token()
        .unwrap()
        .to_string();
    let e = f.refresh("instant", &i0).await.unwrap_err();
    assert!(e.starts_with("RefreshTokenReuseException"), "{e}");
    f.refresh("instant", &i1).await.unwrap();
    // A token of one client is not another's.
    let e = f.refresh("instant", &t3).await.unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid Refresh Token");

    // A client without rotation keeps its refresh token.
    let plain = f.sign_in("plain").await;
    let p0 = plain.refresh_token().unwrap().to_string();
    let again = f.refresh("plain", &p0).await.unwrap();
    assert_eq!(again.refresh_token(), None);
    f.refresh("plain", &p0).await.unwrap();

    // The token endpoint rotates too.
    let form = format!("grant_type=refresh_token&client_id=rotating&refresh_token={t3}");
    let r = f
        .server
        .client
        .send(
            Method::POST,
            &f.server.url("/oauth2/token"),
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t4 = r.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(t4, t3);
    assert!(r.json()["id_token"].is_string());
    f.refresh("rotating", &t4).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_auth_is_refused_to_a_rotating_client() {
    let f = start().await;
    let tokens = f.sign_in("rotating").await;
    let token = tokens.refresh_token().unwrap();
    let e = f
        .idp
        .initiate_auth()
        .client_id("rotating")
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", token)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(
        e,
        "InvalidParameterException: REFRESH_TOKEN_AUTH flow not enabled for this client"
    );
    let e = f
        .admin
        .admin_initiate_auth()
        .user_pool_id(POOL)
        .client_id("rotating")
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", token)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(
        e,
        "InvalidParameterException: REFRESH_TOKEN_AUTH flow not enabled for this client"
    );
    // The token itself is untouched: GetTokensFromRefreshToken still takes it.
    f.refresh("rotating", token).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_rotated_family_refuses_every_token_of_it() {
    let f = start().await;
    let first = f.sign_in("rotating").await;
    let t0 = first.refresh_token().unwrap().to_string();
    let second = f.refresh("rotating", &t0).await.unwrap();
    let t1 = second.refresh_token().unwrap().to_string();
    let access = second.access_token().unwrap().to_string();
    f.idp.get_user().access_token(&access).send().await.unwrap();
    // Revoked by the retired token (still in its grace): the whole session ends.
    f.idp
        .revoke_token()
        .client_id("rotating")
        .token(&t0)
        .send()
        .await
        .unwrap();
    for token in [&t0, &t1] {
        let e = f.refresh("rotating", token).await.unwrap_err();
        assert_eq!(e, "NotAuthorizedException: Refresh Token has been revoked");
    }
    for access in [first.access_token().unwrap(), access.as_str()] {
        let e = f
            .idp
            .get_user()
            .access_token(access)
            .send()
            .await
            .map_err(pools::error_text)
            .unwrap_err();
        assert_eq!(e, "NotAuthorizedException: Access Token has been revoked");
    }
    // Another sign-in is another family, unaffected.
    let other = f.sign_in("rotating").await;
    f.refresh("rotating", other.refresh_token().unwrap())
        .await
        .unwrap();
}
