//! Software-token MFA after an SRP sign-in: `PASSWORD_VERIFIER` is followed by the
//! `SOFTWARE_TOKEN_MFA` challenge, answered with a code `totp-rs` computes at the server's
//! clock — by the AWS SDK for Rust with the test kit's SRP client, and by
//! `amazon-cognito-identity-js` (Amplify's client, unmodified: its `totpRequired` callback and
//! `sendMFACode`).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use gateway::clock::{Clock, FixedClock};
use testkit::aws::cognito_idp::types::{
    AuthFlowType, ChallengeNameType, SoftwareTokenMfaSettingsType,
};

const POOL: &str = "us-east-1_Srp";
const CLIENT: &str = "srp-web";
const PASSWORD: &str = "Correct-Horse-42";

const CONFIG: &str = r#"
user_pools:
  - id: us-east-1_Srp
    mfa_configuration: OPTIONAL
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients:
      - {id: srp-web, auth_flows: [USER_SRP_AUTH, USER_PASSWORD_AUTH]}
"#;

fn code(secret: &str, clock: &FixedClock) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes);
    totp.generate(clock.now().duration_since(UNIX_EPOCH).unwrap().as_secs())
}

/// `amazon-cognito-identity-js` signs `username` in, answering the MFA step with `totp`.
async fn js_sign_in(server: &TestServer, username: &str, totp: &str) -> serde_json::Value {
    pools::js_sign_in(
        server,
        &[POOL, CLIENT, username, PASSWORD],
        &[("TOTP_CODE", totp)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srp_sign_in_then_the_software_token() {
    // Near the real time: SRP's signed TIMESTAMP is checked against the server's clock.
    let clock = Arc::new(FixedClock::new(SystemTime::now()));
    let server = TestServer::start_with_clock(Workspace::new(), CONFIG, clock.clone()).await;
    let idp = pools::idp(&server);
    idp.sign_up()
        .client_id(CLIENT)
        .username("erin")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();
    let access = pools::password_sign_in(&idp, CLIENT, "erin", PASSWORD)
        .await
        .unwrap()
        .access_token
        .unwrap();
    let secret = idp
        .associate_software_token()
        .access_token(&access)
        .send()
        .await
        .unwrap()
        .secret_code
        .unwrap();
    idp.verify_software_token()
        .access_token(&access)
        .user_code(code(&secret, &clock))
        .send()
        .await
        .unwrap();
    idp.set_user_mfa_preference()
        .access_token(&access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // The SDK with the test kit's SRP client: PASSWORD_VERIFIER, then SOFTWARE_TOKEN_MFA.
    clock.advance(Duration::from_secs(30));
    let srp_client = srp::client::Client::new().unwrap();
    let challenge = idp
        .initiate_auth()
        .client_id(CLIENT)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "erin")
        .auth_parameters("SRP_A", srp_client.srp_a_hex())
        .send()
        .await
        .unwrap();
    let p = challenge.challenge_parameters().unwrap();
    let c = srp::Challenge {
        salt_hex: p["SALT"].clone(),
        srp_b_hex: p["SRP_B"].clone(),
        secret_block: p["SECRET_BLOCK"].clone(),
    };
    let timestamp = srp::timestamp::format(clock.now());
    let signature = srp_client
        .sign(POOL, "erin", PASSWORD, &c, &timestamp)
        .unwrap();
    let out = idp
        .respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", "erin")
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &c.secret_block)
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
        .challenge_responses("TIMESTAMP", timestamp)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::SoftwareTokenMfa)
    );
    assert!(out.authentication_result().is_none());
    let out = idp
        .respond_to_auth_challenge()
        .client_id(CLIENT)
        .challenge_name(ChallengeNameType::SoftwareTokenMfa)
        .session(out.session().unwrap())
        .challenge_responses("USERNAME", "erin")
        .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code(&secret, &clock))
        .send()
        .await
        .unwrap();
    assert!(out.authentication_result().unwrap().id_token().is_some());

    // Amplify's client: without a code it stops at the challenge; with the next step's code it
    // signs in.
    let stopped = js_sign_in(&server, "erin", "").await;
    assert_eq!(stopped["code"], "TotpRequired", "{stopped}");
    clock.advance(Duration::from_secs(30));
    let ok = js_sign_in(&server, "erin", &code(&secret, &clock)).await;
    assert_eq!(ok["ok"], true, "{ok}");
    assert!(ok["idToken"].is_string());
    // The same code again is refused: Amplify reports Cognito's error.
    let reused = js_sign_in(&server, "erin", &code(&secret, &clock)).await;
    assert_eq!(reused["code"], "CodeMismatchException", "{reused}");
}
