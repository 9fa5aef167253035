//! Software-token (TOTP) MFA, as Cognito serves it: AssociateSoftwareToken and
//! VerifySoftwareToken (by access token, or by the `Session` of the `MFA_SETUP` challenge),
//! SetUserMFAPreference and AdminSetUserMFAPreference, and the two sign-in challenges —
//! `SOFTWARE_TOKEN_MFA` (a code after the password) and `MFA_SETUP` (a pool with MFA `ON`, a user
//! without a token yet).
//!
//! A code is accepted once (the step it matched is stored, and that step and earlier ones are
//! refused after), and a wrong one counts as a failed sign-in for the lockout. The secret lives
//! in the user's record (`store::MfaSettings`), never in a log.

use std::time::SystemTime;

use config::{AppClientConfig, MfaConfiguration, UserPoolConfig};
use serde_json::{Map, Value, json};
use store::StoredUser;
use userpools::{CognitoError, ErrorType};

use crate::input::{Input, Strings, invalid};
use crate::signup::check_secret_hash;
use crate::{Provider, internal};

pub(crate) const SOFTWARE_TOKEN_MFA: &str = "SOFTWARE_TOKEN_MFA";
pub(crate) const MFA_SETUP: &str = "MFA_SETUP";
/// The sessions of the setup's later steps: AssociateSoftwareToken's (answered by
/// VerifySoftwareToken) and VerifySoftwareToken's (answered by RespondToAuthChallenge
/// `MFA_SETUP`). Each step's session answers only the next step.
const SETUP_ASSOCIATED: &str = "MFA_SETUP_ASSOCIATED";
const SETUP_VERIFIED: &str = "MFA_SETUP_VERIFIED";

fn invalid_session() -> CognitoError {
    CognitoError::new(ErrorType::NotAuthorized, "Invalid session for the user.")
}

fn not_enabled_by_pool() -> CognitoError {
    CognitoError::new(
        ErrorType::SoftwareTokenMfaNotFound,
        "Software Token MFA has not been enabled by the userPool.",
    )
}

/// Whether `user` must give a code at sign-in: a verified token, enabled by the user (or
/// required by the pool).
pub(crate) fn mfa_active(pool: &UserPoolConfig, user: &StoredUser) -> bool {
    let verified = user.mfa.software_token_secret.is_some();
    match pool.mfa_configuration {
        MfaConfiguration::Off => false,
        MfaConfiguration::Optional => verified && user.mfa.software_token_enabled,
        MfaConfiguration::On => verified,
    }
}

/// GetUser's and AdminGetUser's `UserMFASettingList` and `PreferredMfaSetting`, added to
/// `answer` when the user has a factor in force.
pub(crate) fn add_mfa_settings(pool: &UserPoolConfig, user: &StoredUser, answer: &mut Value) {
    if !mfa_active(pool, user) {
        return;
    }
    if let Some(obj) = answer.as_object_mut() {
        obj.insert("UserMFASettingList".into(), json!([SOFTWARE_TOKEN_MFA]));
        if user.mfa.preferred.is_some() {
            obj.insert("PreferredMfaSetting".into(), json!(SOFTWARE_TOKEN_MFA));
        }
    }
}

/// Applies `SoftwareTokenMfaSettings` (and refuses enabling the SMS or email factors, which
/// are not served) to `user`.
pub(crate) fn apply_preference(
    pool: &UserPoolConfig,
    user: &mut StoredUser,
    input: &Input,
) -> Result<(), CognitoError> {
    if pool.mfa_configuration == MfaConfiguration::Off {
        return Err(not_enabled_by_pool());
    }
    for other in ["SMSMfaSettings", "EmailMfaSettings"] {
        if let Some(settings) = input.object(other)?
            && settings.flag("Enabled")?
        {
            return Err(invalid(format!(
                "{other}: only software-token MFA is supported by this user pool"
            )));
        }
    }
    let Some(settings) = input.object("SoftwareTokenMfaSettings")? else {
        return Ok(());
    };
    let enabled = settings.flag("Enabled")?;
    if enabled && user.mfa.software_token_secret.is_none() {
        return Err(invalid("User has not verified software token mfa"));
    }
    user.mfa.software_token_enabled = enabled;
    if !enabled || !settings.flag("PreferredMfa")? {
        user.mfa.preferred = None;
    } else {
        user.mfa.preferred = Some(SOFTWARE_TOKEN_MFA.to_string());
    }
    Ok(())
}

impl Provider {
    /// After the password step: the MFA challenge `user` must answer, if any.
    pub(crate) async fn mfa_challenge(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        user: &StoredUser,
        now: SystemTime,
    ) -> Result<Option<Value>, CognitoError> {
        let (challenge, mut parameters) = if mfa_active(pool, user) {
            let mut p = Map::new();
            if let Some(name) = &user.mfa.friendly_device_name {
                p.insert("FRIENDLY_DEVICE_NAME".into(), json!(name));
            }
            (SOFTWARE_TOKEN_MFA, p)
        } else if pool.mfa_configuration == MfaConfiguration::On {
            let mut p = Map::new();
            p.insert("MFAS_CAN_SETUP".into(), json!(r#"["SOFTWARE_TOKEN_MFA"]"#));
            (MFA_SETUP, p)
        } else {
            return Ok(None);
        };
        parameters.insert("USER_ID_FOR_SRP".into(), json!(user.username));
        let keys = self.pool_keys(&pool.id, now).await?;
        let session =
            crate::session::issue(&keys.session, challenge, &client.id, &user.username, now);
        Ok(Some(json!({
            "ChallengeName": challenge,
            "Session": session,
            "ChallengeParameters": Value::Object(parameters),
        })))
    }

    /// The user a challenge session names, checked against the `USERNAME` answered.
    async fn session_user(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        answers: &Strings<'_>,
        challenge: &str,
        session: &str,
        now: SystemTime,
    ) -> Result<StoredUser, CognitoError> {
        let name = answers.req("USERNAME")?;
        check_secret_hash(client, name, answers.get("SECRET_HASH"))?;
        let keys = self.pool_keys(&pool.id, now).await?;
        let holder = crate::session::open(&keys.session, challenge, &client.id, session, now)
            .ok_or_else(invalid_session)?;
        let user = self
            .find_user(pool, name)
            .await?
            .filter(|u| u.username == holder)
            .ok_or_else(invalid_session)?;
        if !user.enabled {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                "User is disabled.",
            ));
        }
        Ok(user)
    }

    /// RespondToAuthChallenge `SOFTWARE_TOKEN_MFA`: the code of the user's token → tokens.
    pub(crate) async fn answer_software_token(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let answers = input.strings("ChallengeResponses")?;
        let code = answers.req("SOFTWARE_TOKEN_MFA_CODE")?;
        let session = input.req("Session")?;
        let mut user = self
            .session_user(pool, client, &answers, SOFTWARE_TOKEN_MFA, session, now)
            .await?;
        let secret = user
            .mfa
            .software_token_secret
            .clone()
            .ok_or_else(invalid_session)?;
        self.check_totp(pool, &mut user, &secret, code, input.1, now)
            .await
            .map_err(|e| {
                e.unwrap_or_else(|| {
                    CognitoError::new(ErrorType::CodeMismatch, "Invalid code received for user")
                })
            })?;
        self.save_user(pool, &mut user, now).await?;
        Ok(crate::auth::authenticated(
            self.sign_in(pool, client, &user, now).await?,
        ))
    }

    /// RespondToAuthChallenge `MFA_SETUP`, with VerifySoftwareToken's session: the token is
    /// enabled and preferred, the user is signed in.
    pub(crate) async fn answer_mfa_setup(
        &self,
        pool: &UserPoolConfig,
        client: &AppClientConfig,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let answers = input.strings("ChallengeResponses")?;
        let mut user = self
            .session_user(
                pool,
                client,
                &answers,
                SETUP_VERIFIED,
                input.req("Session")?,
                now,
            )
            .await?;
        // Finishing the setup enables the token, and a setup is finished once: the session
        // cannot be answered again (a concurrent second answer loses the version check).
        if user.mfa.software_token_secret.is_none() || user.mfa.software_token_enabled {
            return Err(invalid_session());
        }
        user.mfa.software_token_enabled = true;
        user.mfa.preferred = Some(SOFTWARE_TOKEN_MFA.to_string());
        self.save_user(pool, &mut user, now).await?;
        Ok(crate::auth::authenticated(
            self.sign_in(pool, client, &user, now).await?,
        ))
    }

    /// Checks `code` against `secret` for `user`, within the failed-sign-in limits: a match
    /// records its step (so it is never accepted again); a mismatch counts as a failure and is
    /// `Err(None)` (the caller names the error); `Err(Some(e))` is a refusal before checking.
    async fn check_totp(
        &self,
        pool: &UserPoolConfig,
        user: &mut StoredUser,
        secret: &str,
        code: &str,
        source: Option<std::net::IpAddr>,
        now: SystemTime,
    ) -> Result<(), Option<CognitoError>> {
        self.check_lockout(pool, &user.username, source, now)
            .await
            .map_err(Some)?;
        let key = userpools::totp::decode_secret(secret)
            .ok_or_else(|| Some(internal("a stored software token secret is not Base32")))?;
        match userpools::totp::verify(&key, code, now, user.mfa.last_totp_step) {
            Some(step) => {
                user.mfa.last_totp_step = Some(step);
                Ok(())
            }
            None => {
                self.sign_in_failed(pool, &user.username, source, now)
                    .await
                    .map_err(Some)?;
                Err(None)
            }
        }
    }

    /// The user an MFA setup call names: by access token, or by a session of `challenge` (the
    /// pool found by whose key opens it). Returns the pool, the user and, for a session, the
    /// client it was issued to.
    async fn setup_caller(
        &self,
        input: &Input,
        challenge: &str,
        now: SystemTime,
    ) -> Result<(&UserPoolConfig, StoredUser, Option<String>), CognitoError> {
        match (input.opt("AccessToken")?, input.opt("Session")?) {
            (Some(token), None) => {
                let (pool, user) = self.token_user(token, now).await?;
                Ok((pool, user, None))
            }
            (None, Some(session)) => {
                for pool in self.pools.values() {
                    let keys = self.pool_keys(&pool.id, now).await?;
                    let Some((client, username)) =
                        crate::session::open_any(&keys.session, challenge, session, now)
                    else {
                        continue;
                    };
                    let user = self
                        .shared
                        .users
                        .user(&pool.id, &username)
                        .await
                        .map_err(internal)?
                        .filter(|u| u.enabled)
                        .ok_or_else(invalid_session)?;
                    return Ok((pool, user, Some(client)));
                }
                Err(invalid_session())
            }
            (Some(_), Some(_)) => Err(invalid("Only one of AccessToken or Session may be given.")),
            (None, None) => Err(invalid("An AccessToken or a Session is required.")),
        }
    }

    /// AssociateSoftwareToken: a new secret, pending until VerifySoftwareToken proves the user
    /// holds it (a verified token stays in force until then).
    pub(crate) async fn associate_software_token(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, mut user, client) = self.setup_caller(input, MFA_SETUP, now).await?;
        if pool.mfa_configuration == MfaConfiguration::Off {
            return Err(not_enabled_by_pool());
        }
        let (_, encoded) = userpools::totp::generate_secret().map_err(internal)?;
        user.mfa.pending_software_token_secret = Some(encoded.clone());
        self.save_user(pool, &mut user, now).await?;
        let mut answer = json!({"SecretCode": encoded});
        if let (Some(client), Some(obj)) = (client, answer.as_object_mut()) {
            let keys = self.pool_keys(&pool.id, now).await?;
            let next = crate::session::issue(
                &keys.session,
                SETUP_ASSOCIATED,
                &client,
                &user.username,
                now,
            );
            obj.insert("Session".into(), json!(next));
        }
        Ok(answer)
    }

    /// VerifySoftwareToken: a code of the pending secret makes it the user's token.
    pub(crate) async fn verify_software_token(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let code = input.req("UserCode")?;
        let device = input.opt("FriendlyDeviceName")?;
        let (pool, mut user, client) = self.setup_caller(input, SETUP_ASSOCIATED, now).await?;
        if pool.mfa_configuration == MfaConfiguration::Off {
            return Err(not_enabled_by_pool());
        }
        let pending = user
            .mfa
            .pending_software_token_secret
            .clone()
            .ok_or_else(|| {
                invalid("There is no software token to verify: call AssociateSoftwareToken first.")
            })?;
        // The steps used of the old token do not bind the new one.
        user.mfa.last_totp_step = None;
        if let Err(e) = self
            .check_totp(pool, &mut user, &pending, code, input.1, now)
            .await
        {
            return Err(e.unwrap_or_else(|| {
                CognitoError::new(
                    ErrorType::EnableSoftwareTokenMfa,
                    "Code mismatch and fail enable Software Token MFA",
                )
            }));
        }
        user.mfa.software_token_secret = user.mfa.pending_software_token_secret.take();
        user.mfa.friendly_device_name = device
            .filter(|d| !d.is_empty())
            .map(|d| d.chars().take(128).collect());
        self.save_user(pool, &mut user, now).await?;
        let mut answer = json!({"Status": "SUCCESS"});
        if let (Some(client), Some(obj)) = (client, answer.as_object_mut()) {
            let keys = self.pool_keys(&pool.id, now).await?;
            let next =
                crate::session::issue(&keys.session, SETUP_VERIFIED, &client, &user.username, now);
            obj.insert("Session".into(), json!(next));
        }
        Ok(answer)
    }

    /// SetUserMFAPreference, by the user's access token.
    pub(crate) async fn set_user_mfa_preference(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, mut user) = self.token_user(input.req("AccessToken")?, now).await?;
        apply_preference(pool, &mut user, input)?;
        self.save_user(pool, &mut user, now).await?;
        Ok(json!({}))
    }
}
