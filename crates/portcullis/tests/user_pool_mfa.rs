//! Software-token MFA through the AWS SDK for Rust against the running server: associating and
//! verifying a token, the MFA preference, the `SOFTWARE_TOKEN_MFA` challenge (public and
//! administrative), the `MFA_SETUP` path of a pool with MFA `ON`, and the refusals — a wrong
//! code, a stale code, a code used twice, a session of another step, the lockout. Codes are
//! computed by an independent TOTP implementation (`totp-rs`) at the server's clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use gateway::clock::{Clock, FixedClock};
use testkit::aws::cognito_idp::{
    self,
    types::{AuthFlowType, ChallengeNameType, SoftwareTokenMfaSettingsType},
};

const PASSWORD: &str = "Correct-Horse-42";

const CONFIG: &str = r#"
account_id: "123456789012"
user_pools:
  - id: us-east-1_Optional
    mfa_configuration: OPTIONAL
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients:
      - {id: optional-web, auth_flows: [USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH]}
  - id: us-east-1_Required
    mfa_configuration: ON
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients:
      - {id: required-web, secret: "required-web-secret-000", auth_flows: [USER_PASSWORD_AUTH]}
  - id: us-east-1_NoMfa
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients:
      - {id: nomfa-web, auth_flows: [USER_PASSWORD_AUTH]}
"#;

struct Fixture {
    // Kept: the server stops when the fixture is dropped.
    _server: TestServer,
    clock: Arc<FixedClock>,
    idp: cognito_idp::Client,
    admin: cognito_idp::Client,
}

async fn start() -> Fixture {
    // Near the real time: the administrative calls are signed with it.
    let clock = Arc::new(FixedClock::new(SystemTime::now()));
    let config = format!(
        "{}{CONFIG}",
        pools::admin_iam("arn:aws:cognito-idp:us-east-1:123456789012:userpool/*")
    );
    let server = TestServer::start_with_clock(Workspace::new(), &config, clock.clone()).await;
    let idp = pools::idp(&server);
    let admin = pools::idp_admin(&server);
    Fixture {
        _server: server,
        clock,
        idp,
        admin,
    }
}

/// The code of `secret` (Base32, as AssociateSoftwareToken gives it) `steps` 30-second steps
/// from the server's now, by `totp-rs`.
fn code(secret: &str, clock: &FixedClock, steps: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes);
    let now = clock.now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    totp.generate(now.saturating_add_signed(steps * 30))
}

fn secret_hash(username: &str) -> String {
    use base64::Engine;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"required-web-secret-000");
    let tag = ring::hmac::sign(&key, format!("{username}required-web").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

impl Fixture {
    async fn sign_up(&self, client: &str, name: &str) {
        let mut req = self
            .idp
            .sign_up()
            .client_id(client)
            .username(name)
            .password(PASSWORD);
        if client == "required-web" {
            req = req.secret_hash(secret_hash(name));
        }
        req.send().await.unwrap();
    }

    async fn initiate(
        &self,
        client: &str,
        name: &str,
    ) -> Result<cognito_idp::operation::initiate_auth::InitiateAuthOutput, String> {
        let hash = (client == "required-web").then(|| secret_hash(name));
        pools::password_auth(&self.idp, client, name, PASSWORD, hash).await
    }

    async fn answer_mfa(
        &self,
        client: &str,
        name: &str,
        session: &str,
        code: &str,
    ) -> Result<cognito_idp::types::AuthenticationResultType, String> {
        let mut req = self
            .idp
            .respond_to_auth_challenge()
            .client_id(client)
            .challenge_name(ChallengeNameType::SoftwareTokenMfa)
            .session(session)
            .challenge_responses("USERNAME", name)
            .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code);
        if client == "required-web" {
            req = req.challenge_responses("SECRET_HASH", secret_hash(name));
        }
        req.send()
            .await
            .map(|o| o.authentication_result.unwrap())
            .map_err(pools::error_text)
    }

    /// Signs in with the password and answers the MFA challenge with the current code.
    async fn sign_in_with_code(&self, client: &str, name: &str, secret: &str) {
        self.clock.advance(Duration::from_secs(30));
        let out = self.initiate(client, name).await.unwrap();
        assert_eq!(
            out.challenge_name(),
            Some(&ChallengeNameType::SoftwareTokenMfa)
        );
        let session = out.session().unwrap().to_string();
        self.answer_mfa(client, name, &session, &code(secret, &self.clock, 0))
            .await
            .unwrap();
    }

    /// An enabled, preferred, verified token for `name`: its secret.
    async fn enable_mfa(&self, access: &str) -> String {
        let secret = self
            .idp
            .associate_software_token()
            .access_token(access)
            .send()
            .await
            .unwrap()
            .secret_code()
            .unwrap()
            .to_string();
        let out = self
            .idp
            .verify_software_token()
            .access_token(access)
            .user_code(code(&secret, &self.clock, 0))
            .friendly_device_name("phone")
            .send()
            .await
            .unwrap();
        assert_eq!(out.status().unwrap().as_str(), "SUCCESS");
        self.idp
            .set_user_mfa_preference()
            .access_token(access)
            .software_token_mfa_settings(
                SoftwareTokenMfaSettingsType::builder()
                    .enabled(true)
                    .preferred_mfa(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        secret
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_mfa_lifecycle() {
    let f = start().await;
    f.sign_up("optional-web", "alice").await;
    let out = f.initiate("optional-web", "alice").await.unwrap();
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();

    // A token handed out is not in force before it is verified.
    let secret = f
        .idp
        .associate_software_token()
        .access_token(&access)
        .send()
        .await
        .unwrap()
        .secret_code()
        .unwrap()
        .to_string();
    assert_eq!(secret.len(), 32, "160 bits in Base32");
    let e = f
        .idp
        .set_user_mfa_preference()
        .access_token(&access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .build(),
        )
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(
        e,
        "InvalidParameterException: User has not verified software token mfa"
    );
    let wrong = if code(&secret, &f.clock, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let e = f
        .idp
        .verify_software_token()
        .access_token(&access)
        .user_code(wrong)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(
        e,
        "EnableSoftwareTokenMFAException: Code mismatch and fail enable Software Token MFA"
    );
    let out = f
        .idp
        .verify_software_token()
        .access_token(&access)
        .user_code(code(&secret, &f.clock, 0))
        .friendly_device_name("phone")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().unwrap().as_str(), "SUCCESS");
    assert_eq!(out.session(), None);
    // Verified but not enabled: OPTIONAL asks for nothing yet.
    let user = f.idp.get_user().access_token(&access).send().await.unwrap();
    assert!(user.user_mfa_setting_list().is_empty());
    assert!(
        f.initiate("optional-web", "alice")
            .await
            .unwrap()
            .authentication_result()
            .is_some()
    );
    f.idp
        .set_user_mfa_preference()
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
    let user = f.idp.get_user().access_token(&access).send().await.unwrap();
    assert_eq!(user.user_mfa_setting_list(), ["SOFTWARE_TOKEN_MFA"]);
    assert_eq!(user.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));

    // The password alone is now a challenge, not tokens.
    f.clock.advance(Duration::from_secs(30));
    let out = f.initiate("optional-web", "alice").await.unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::SoftwareTokenMfa)
    );
    assert!(out.authentication_result().is_none());
    let params = out.challenge_parameters().unwrap();
    assert_eq!(params["USER_ID_FOR_SRP"], "alice");
    assert_eq!(params["FRIENDLY_DEVICE_NAME"], "phone");
    let session = out.session().unwrap().to_string();
    let now_code = code(&secret, &f.clock, 0);
    let wrong = if now_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let e = f
        .answer_mfa("optional-web", "alice", &session, wrong)
        .await
        .unwrap_err();
    assert_eq!(e, "CodeMismatchException: Invalid code received for user");
    // Three steps old: outside the one step of drift allowed.
    let stale = code(&secret, &f.clock, -3);
    if stale != now_code {
        let e = f
            .answer_mfa("optional-web", "alice", &session, &stale)
            .await
            .unwrap_err();
        assert_eq!(e, "CodeMismatchException: Invalid code received for user");
    }
    // The session answers only its own challenge and user.
    let e = f
        .answer_mfa("optional-web", "mallory", &session, &now_code)
        .await
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid session for the user.");
    let tokens = f
        .answer_mfa("optional-web", "alice", &session, &now_code)
        .await
        .unwrap();
    assert!(tokens.id_token().is_some() && tokens.refresh_token().is_some());
    // The same code again, in a new sign-in: refused, it was used.
    let out = f.initiate("optional-web", "alice").await.unwrap();
    let e = f
        .answer_mfa("optional-web", "alice", out.session().unwrap(), &now_code)
        .await
        .unwrap_err();
    assert_eq!(e, "CodeMismatchException: Invalid code received for user");

    // The administrative path: AdminInitiateAuth, then AdminRespondToAuthChallenge.
    f.clock.advance(Duration::from_secs(30));
    let out = f
        .admin
        .admin_initiate_auth()
        .user_pool_id("us-east-1_Optional")
        .client_id("optional-web")
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::SoftwareTokenMfa)
    );
    let out = f
        .admin
        .admin_respond_to_auth_challenge()
        .user_pool_id("us-east-1_Optional")
        .client_id("optional-web")
        .challenge_name(ChallengeNameType::SoftwareTokenMfa)
        .session(out.session().unwrap())
        .challenge_responses("USERNAME", "alice")
        .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code(&secret, &f.clock, 0))
        .send()
        .await
        .unwrap();
    assert!(
        out.authentication_result()
            .unwrap()
            .access_token()
            .is_some()
    );
    let user = f
        .admin
        .admin_get_user()
        .user_pool_id("us-east-1_Optional")
        .username("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(user.user_mfa_setting_list(), ["SOFTWARE_TOKEN_MFA"]);
    assert_eq!(user.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));

    // An administrator turns it off: the password is enough again.
    f.admin
        .admin_set_user_mfa_preference()
        .user_pool_id("us-east-1_Optional")
        .username("alice")
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = f.initiate("optional-web", "alice").await.unwrap();
    assert!(out.authentication_result().is_some());
    let user = f
        .admin
        .admin_get_user()
        .user_pool_id("us-east-1_Optional")
        .username("alice")
        .send()
        .await
        .unwrap();
    assert!(user.user_mfa_setting_list().is_empty());
    assert_eq!(user.preferred_mfa_setting(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_count_toward_the_lockout() {
    let f = start().await;
    f.sign_up("optional-web", "bob").await;
    let out = f.initiate("optional-web", "bob").await.unwrap();
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();
    let secret = f.enable_mfa(&access).await;
    f.clock.advance(Duration::from_secs(30));
    let right = code(&secret, &f.clock, 0);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        let out = f.initiate("optional-web", "bob").await.unwrap();
        let e = f
            .answer_mfa("optional-web", "bob", out.session().unwrap(), wrong)
            .await
            .unwrap_err();
        assert!(e.starts_with("CodeMismatchException"), "{e}");
    }
    // Locked out: neither the password nor the right code gets through.
    let e = f.initiate("optional-web", "bob").await.unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Password attempts exceeded");
    // After the window, the right code works again.
    f.clock.advance(Duration::from_secs(15 * 60));
    f.sign_in_with_code("optional-web", "bob", &secret).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_with_mfa_on_sets_a_token_up_at_first_sign_in() {
    let f = start().await;
    f.sign_up("required-web", "carol").await;
    let out = f.initiate("required-web", "carol").await.unwrap();
    assert_eq!(out.challenge_name(), Some(&ChallengeNameType::MfaSetup));
    let params = out.challenge_parameters().unwrap();
    assert_eq!(params["MFAS_CAN_SETUP"], r#"["SOFTWARE_TOKEN_MFA"]"#);
    assert_eq!(params["USER_ID_FOR_SRP"], "carol");
    let first = out.session().unwrap().to_string();

    // The setup's steps go in order: the first session does not finish it.
    let e = f
        .idp
        .respond_to_auth_challenge()
        .client_id("required-web")
        .challenge_name(ChallengeNameType::MfaSetup)
        .session(&first)
        .challenge_responses("USERNAME", "carol")
        .challenge_responses("SECRET_HASH", secret_hash("carol"))
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid session for the user.");
    let out = f
        .idp
        .associate_software_token()
        .session(&first)
        .send()
        .await
        .unwrap();
    let secret = out.secret_code().unwrap().to_string();
    let associated = out.session().unwrap().to_string();
    // VerifySoftwareToken takes AssociateSoftwareToken's session, not the first one.
    let e = f
        .idp
        .verify_software_token()
        .session(&first)
        .user_code(code(&secret, &f.clock, 0))
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid session for the user.");
    let out = f
        .idp
        .verify_software_token()
        .session(&associated)
        .user_code(code(&secret, &f.clock, 0))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().unwrap().as_str(), "SUCCESS");
    let verified = out.session().unwrap().to_string();
    let out = f
        .idp
        .respond_to_auth_challenge()
        .client_id("required-web")
        .challenge_name(ChallengeNameType::MfaSetup)
        .session(&verified)
        .challenge_responses("USERNAME", "carol")
        .challenge_responses("SECRET_HASH", secret_hash("carol"))
        .send()
        .await
        .unwrap();
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();
    // The setup is finished once: its last session gives no second set of tokens.
    let e = f
        .idp
        .respond_to_auth_challenge()
        .client_id("required-web")
        .challenge_name(ChallengeNameType::MfaSetup)
        .session(&verified)
        .challenge_responses("USERNAME", "carol")
        .challenge_responses("SECRET_HASH", secret_hash("carol"))
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(e, "NotAuthorizedException: Invalid session for the user.");
    // The token is in force, enabled and preferred.
    let user = f.idp.get_user().access_token(&access).send().await.unwrap();
    assert_eq!(user.user_mfa_setting_list(), ["SOFTWARE_TOKEN_MFA"]);
    assert_eq!(user.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));
    // With MFA on, the token stays in force even if the user turns it off.
    f.idp
        .set_user_mfa_preference()
        .access_token(&access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    f.sign_in_with_code("required-web", "carol", &secret).await;

    // A pool without MFA serves none of it.
    f.sign_up("nomfa-web", "dave").await;
    let out = f.initiate("nomfa-web", "dave").await.unwrap();
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();
    let e = f
        .idp
        .associate_software_token()
        .access_token(&access)
        .send()
        .await
        .map_err(pools::error_text)
        .unwrap_err();
    assert_eq!(
        e,
        "SoftwareTokenMFANotFoundException: Software Token MFA has not been enabled by the userPool."
    );
}
