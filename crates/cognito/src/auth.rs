//! InitiateAuth and RespondToAuthChallenge: `USER_PASSWORD_AUTH`, `USER_SRP_AUTH` with its
//! `PASSWORD_VERIFIER` challenge, and `REFRESH_TOKEN_AUTH` (`REFRESH_TOKEN`); after the password,
//! the MFA challenges (`mfa.rs`).
//!
//! An unknown user and a wrong password are answered alike — same error, same work (a dummy
//! Argon2id verification; for SRP, a challenge from a verifier derived from a pool secret, so
//! the same name always gets the same salt) — unless the client turns
//! `prevent_user_existence_errors` off.

use std::net::IpAddr;
use std::time::SystemTime;

use config::{AppClientConfig, AuthFlow, UserPoolConfig};
use ring::hmac;
use serde_json::{Value, json};
use store::{PasswordRecord, StoredUser, UserStatus};
use userpools::{CognitoError, ErrorType};

use crate::input::{Input, Strings, invalid};
use crate::signup::{check_secret_hash, password_matches, password_record};
use crate::users::no_such_user;
use crate::{Provider, internal};

const NEW_PASSWORD_REQUIRED: &str = "NEW_PASSWORD_REQUIRED";

pub(crate) fn flow_not_enabled(flow: &str) -> CognitoError {
    invalid(format!("{flow} flow not enabled for this client"))
}

pub(crate) fn require_flow(client: &AppClientConfig, flow: AuthFlow) -> Result<(), CognitoError> {
    if client.allows(flow) {
        Ok(())
    } else {
        Err(flow_not_enabled(flow.as_str()))
    }
}

/// The SRP half of a stored password.
fn srp_verifier(record: &PasswordRecord) -> srp::Verifier {
    srp::Verifier {
        salt: record.srp_salt.clone(),
        verifier: record.srp_verifier.clone(),
    }
}

pub(crate) fn authenticated(result: Value) -> Value {
    json!({"AuthenticationResult": result, "ChallengeParameters": {}})
}

impl Provider {
    pub(crate) async fn initiate_auth(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let flow = input.req("AuthFlow")?;
        let (pool, client) = self.client(input.req("ClientId")?)?;
        let params = input.strings("AuthParameters")?;
        match flow {
            "USER_PASSWORD_AUTH" => {
                require_flow(client, AuthFlow::UserPasswordAuth)?;
                self.password_sign_in(pool, client, &params, input.1, now)
                    .await
            }
            "USER_SRP_AUTH" => {
                require_flow(client, AuthFlow::UserSrpAuth)?;
                let name = params.req("USERNAME")?;
                let srp_a = params.req("SRP_A")?;
                check_secret_hash(client, name, params.get("SECRET_HASH"))?;
                self.srp_challenge(pool, client, name, srp_a, now).await
            }
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
                crate::refresh::refuse_rotating(client, flow)?;
                require_flow(client, AuthFlow::RefreshTokenAuth)?;
                let token = params.req("REFRESH_TOKEN")?;
                self.refresh(pool, client, token, params.get("SECRET_HASH"), false, now)
                    .await
                    .map(authenticated)
            }
            "ADMIN_NO_SRP_AUTH" | "ADMIN_USER_PASSWORD_AUTH" => Err(invalid(format!(
                "Initiate Auth method not supported: {flow} is an admin flow (AdminInitiateAuth)"
            ))),
            "CUSTOM_AUTH" | "USER_AUTH" => Err(flow_not_enabled(flow)),
            _ => Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]",
                flow.chars().take(64).collect::<String>()
            ))),
        }
    }

    pub(crate) async fn respond_to_auth_challenge(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let challenge = input.req("ChallengeName")?;
        let (pool, client) = self.client(input.req("ClientId")?)?;
        let answers = input.strings("ChallengeResponses")?;
        match challenge {
            "PASSWORD_VERIFIER" => {
                let name = answers.req("USERNAME")?;
                let claim = srp::server::Claim {
                    secret_block: answers.req("PASSWORD_CLAIM_SECRET_BLOCK")?,
                    signature: answers.req("PASSWORD_CLAIM_SIGNATURE")?,
                    timestamp: answers.req("TIMESTAMP")?,
                };
                check_secret_hash(client, name, answers.get("SECRET_HASH"))?;
                let user = self.find_user(pool, name).await?;
                let who = user.as_ref().map_or(name, |u| u.username.as_str());
                self.check_lockout(pool, who, input.1, now).await?;
                let Some(user) = user else {
                    self.sign_in_failed(pool, name, input.1, now).await?;
                    return Err(no_such_user(client.prevent_user_existence_errors));
                };
                let Some(record) = &user.password else {
                    return Err(CognitoError::sign_in_failed());
                };
                let keys = self.pool_keys(&pool.id, now).await?;
                let verifier = srp_verifier(record);
                if let Err(e) =
                    srp::server::verify(&keys.srp, &pool.id, &user.username, &verifier, claim, now)
                {
                    tracing::debug!(pool = %pool.id, reason = %e, "SRP password claim refused");
                    self.sign_in_failed(pool, &user.username, input.1, now)
                        .await?;
                    return Err(CognitoError::sign_in_failed());
                }
                self.password_verified(pool, client, &user, now).await
            }
            "NEW_PASSWORD_REQUIRED" => {
                self.new_password(pool, client, &answers, input.req("Session")?, now)
                    .await
            }
            crate::mfa::SOFTWARE_TOKEN_MFA => {
                self.answer_software_token(pool, client, input, now).await
            }
            crate::mfa::MFA_SETUP => self.answer_mfa_setup(pool, client, input, now).await,
            "SMS_MFA" | "CUSTOM_CHALLENGE" | "SELECT_MFA_TYPE" | "DEVICE_SRP_AUTH" => Err(invalid(
                format!("The challenge {challenge} was not issued in this session."),
            )),
            _ => Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'challengeName' failed to satisfy constraint: Member must satisfy enum value set",
                challenge.chars().take(64).collect::<String>()
            ))),
        }
    }

    /// A sign-in with the password itself (`USER_PASSWORD_AUTH`, `ADMIN_USER_PASSWORD_AUTH`):
    /// `USERNAME`, `PASSWORD` and `SECRET_HASH` of `params`.
    pub(crate) async fn password_sign_in(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        params: &Strings<'_>,
        source: Option<IpAddr>,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let name = params.req("USERNAME")?;
        let password = params.req("PASSWORD")?;
        check_secret_hash(client, name, params.get("SECRET_HASH"))?;
        let user = self
            .verify_password(pool, client, name, password, source, now)
            .await?;
        self.password_verified(pool, client, &user, now).await
    }

    /// The user `name` (or an alias) names, if `password` is theirs — the one password check
    /// of every password sign-in (the API's and the hosted page's): the lockout per user and
    /// per source first, the same Argon2id work for an unknown user, and a failure counted.
    pub(crate) async fn verify_password(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        name: &str,
        password: &str,
        source: Option<IpAddr>,
        now: SystemTime,
    ) -> Result<StoredUser, CognitoError> {
        let user = self.find_user(pool, name).await?;
        let who = user.as_ref().map_or(name, |u| u.username.as_str());
        self.check_lockout(pool, who, source, now).await?;
        let record = user.as_ref().and_then(|u| u.password.as_ref());
        let matches = password_matches(&self.shared, record, password).await?;
        match user {
            Some(user) if matches && record.is_some() => Ok(user),
            _ => {
                self.sign_in_failed(pool, who, source, now).await?;
                Err(if user.is_some() {
                    CognitoError::sign_in_failed()
                } else {
                    no_such_user(client.prevent_user_existence_errors)
                })
            }
        }
    }

    /// Answers `NEW_PASSWORD_REQUIRED`: the session names the user, who sets a password of the
    /// pool's policy and is signed in.
    pub(crate) async fn new_password(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        answers: &Strings<'_>,
        session: &str,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let name = answers.req("USERNAME")?;
        let password = answers.req("NEW_PASSWORD")?;
        check_secret_hash(client, name, answers.get("SECRET_HASH"))?;
        let keys = self.pool_keys(&pool.id, now).await?;
        let invalid_session =
            || CognitoError::new(ErrorType::NotAuthorized, "Invalid session for the user.");
        let holder = crate::session::open(
            &keys.session,
            NEW_PASSWORD_REQUIRED,
            &client.id,
            session,
            now,
        )
        .ok_or_else(invalid_session)?;
        let mut user = self
            .find_user(pool, name)
            .await?
            .filter(|u| u.username == holder && u.status == UserStatus::ForceChangePassword)
            .ok_or_else(invalid_session)?;
        pool.password_policy.check(password)?;
        user.password =
            Some(password_record(&self.shared, &pool.id, &user.username, password, now).await?);
        user.status = UserStatus::Confirmed;
        self.save_user(pool, &mut user, now).await?;
        self.password_verified(pool, client, &user, now).await
    }

    /// After the password was proven: the user's state decides whether it gets tokens, or a
    /// challenge.
    pub(crate) async fn password_verified(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        user: &StoredUser,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        if !user.enabled {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                "User is disabled.",
            ));
        }
        match user.status {
            UserStatus::Confirmed => match self.mfa_challenge(pool, client, user, now).await? {
                Some(challenge) => Ok(challenge),
                None => Ok(authenticated(self.sign_in(pool, client, user, now).await?)),
            },
            UserStatus::Unconfirmed => Err(CognitoError::new(
                ErrorType::UserNotConfirmed,
                "User is not confirmed.",
            )),
            UserStatus::ResetRequired => Err(CognitoError::new(
                ErrorType::PasswordResetRequired,
                "Password reset required for the user",
            )),
            UserStatus::ForceChangePassword => {
                let days = u64::from(pool.password_policy.temporary_password_validity_days);
                let expired = user.password.as_ref().is_some_and(|p| {
                    p.set_at + std::time::Duration::from_secs(days * 86_400) <= now
                });
                if expired {
                    return Err(CognitoError::new(
                        ErrorType::NotAuthorized,
                        "Temporary password has expired and must be reset by an administrator.",
                    ));
                }
                let keys = self.pool_keys(&pool.id, now).await?;
                let attributes: serde_json::Map<String, Value> = user
                    .attributes
                    .iter()
                    .filter(|(n, _)| !n.ends_with("_verified"))
                    .map(|(n, v)| (n.clone(), Value::String(v.clone())))
                    .collect();
                let session = crate::session::issue(
                    &keys.session,
                    NEW_PASSWORD_REQUIRED,
                    &client.id,
                    &user.username,
                    now,
                );
                Ok(json!({
                    "ChallengeName": NEW_PASSWORD_REQUIRED,
                    "Session": session,
                    "ChallengeParameters": {
                        "USER_ID_FOR_SRP": user.username,
                        "requiredAttributes": "[]",
                        "userAttributes": Value::Object(attributes).to_string(),
                    },
                }))
            }
        }
    }

    async fn srp_challenge(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        name: &str,
        srp_a: &str,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let keys = self.pool_keys(&pool.id, now).await?;
        let user = self.find_user(pool, name).await?;
        let (user_id, verifier) = match user.as_ref().and_then(|u| Some((u, u.password.as_ref()?)))
        {
            Some((user, record)) => (user.username.clone(), srp_verifier(record)),
            None if client.prevent_user_existence_errors => {
                self.decoy_verifier(pool, &keys.decoy, name).await?
            }
            None => return Err(no_such_user(false)),
        };
        let challenge =
            srp::server::challenge(&keys.srp, &pool.id, &user_id, &verifier, srp_a, now)
                .map_err(|e| invalid(format!("SRP_A is invalid: {e}")))?;
        Ok(json!({
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                "SALT": challenge.salt_hex,
                "SECRET_BLOCK": challenge.secret_block,
                "SRP_B": challenge.srp_b_hex,
                "USERNAME": user_id,
                "USER_ID_FOR_SRP": user_id,
            },
        }))
    }

    /// The SRP identity of a user that does not exist: the same salt and id for the same name
    /// every time (and on every node), and a verifier no password matches.
    async fn decoy_verifier(
        &self,
        pool: &UserPoolConfig,
        decoy: &hmac::Key,
        name: &str,
    ) -> Result<(String, srp::Verifier), CognitoError> {
        let tag = |label: &str| hmac::sign(decoy, format!("{label}\0{name}").as_bytes());
        let salt = tag("salt")
            .as_ref()
            .get(..16)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let user_id = if pool.email_is_username() {
            let b = tag("id");
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(b.as_ref().get(..16).unwrap_or(&[0u8; 16]));
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string()
        } else {
            name.to_string()
        };
        let password = hex_of(tag("password").as_ref());
        let (pool_id, id) = (pool.id.clone(), user_id.clone());
        let verifier = tokio::task::spawn_blocking(move || {
            srp::Verifier::with_salt(&pool_id, &id, &password, &salt)
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
        Ok((user_id, verifier))
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
