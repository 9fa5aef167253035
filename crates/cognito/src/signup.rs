//! SignUp, ConfirmSignUp and ResendConfirmationCode; and what they share with the other
//! operations: the client's `SECRET_HASH`, setting a password, sending a code.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use config::{AppClientConfig, SignUpConfirmation, UserPoolConfig};
use serde_json::{Value, json};
use store::{
    CodeCheck, CodePurpose, OutboxMessage, PasswordRecord, StoredUser, UserPoolError, UserStatus,
};
use userpools::attributes::is_email;
use userpools::{CognitoError, ErrorType};

use crate::input::{Input, invalid};
use crate::users::{Named, aliases, code_destination, delivery_details, writable_attributes};
use crate::{Provider, Shared, internal};

/// How long a sign-up confirmation code lives (Cognito: 24 hours).
pub(crate) const SIGN_UP_CODE_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How long a password-reset code lives (Cognito: 1 hour).
pub(crate) const RESET_CODE_LIFETIME: Duration = Duration::from_secs(3600);

/// Checks `SECRET_HASH` for a client with a secret, in Cognito's words.
pub(crate) fn check_secret_hash(
    client: &AppClientConfig,
    username: &str,
    presented: Option<&str>,
) -> Result<(), CognitoError> {
    let Some(secret) = &client.secret else {
        return Ok(());
    };
    let Some(presented) = presented else {
        return Err(CognitoError::new(
            ErrorType::NotAuthorized,
            format!(
                "Client {} is configured with secret but SECRET_HASH was not received",
                client.id
            ),
        ));
    };
    if userpools::secret_hash::verify(secret.expose(), username, &client.id, presented) {
        Ok(())
    } else {
        Err(CognitoError::new(
            ErrorType::NotAuthorized,
            format!("Unable to verify secret hash for client {}", client.id),
        ))
    }
}

/// Whether a presented client secret is the client's, in constant time.
pub(crate) fn secret_matches(secret: &iam::Secret, presented: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(secret.expose().as_bytes().ct_eq(presented.as_bytes()))
}

/// Hashes a new password (Argon2id) and derives its SRP verifier, off the async threads: both
/// take milliseconds of CPU on purpose.
pub(crate) async fn password_record(
    shared: &Arc<Shared>,
    pool_id: &str,
    username: &str,
    password: &str,
    now: SystemTime,
) -> Result<PasswordRecord, CognitoError> {
    let (shared, pool_id, username, password) = (
        shared.clone(),
        pool_id.to_string(),
        username.to_string(),
        password.to_string(),
    );
    tokio::task::spawn_blocking(move || {
        let phc = shared.hasher.hash(&password).map_err(internal)?;
        let v = srp::Verifier::new(&pool_id, &username, &password).map_err(internal)?;
        Ok(PasswordRecord {
            phc,
            srp_salt: v.salt,
            srp_verifier: v.verifier,
            set_at: now,
        })
    })
    .await
    .map_err(internal)?
}

/// Checks a password against a user's record (or against nothing, at the same cost, when
/// there is no user), off the async threads.
pub(crate) async fn password_matches(
    shared: &Arc<Shared>,
    record: Option<&PasswordRecord>,
    password: &str,
) -> Result<bool, CognitoError> {
    let (shared, phc, password) = (
        shared.clone(),
        record.map(|r| r.phc.clone()),
        password.to_string(),
    );
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => shared.hasher.verify(&password, &phc),
        None => shared.hasher.verify_none(&password),
    })
    .await
    .map_err(internal)
}

impl Provider {
    /// Sends a code for `purpose` to the user's first auto-verified attribute, through the
    /// built-in sender (the log and the outbox); returns `CodeDeliveryDetails`, or `None`
    /// when the user has no attribute to send it to.
    pub(crate) async fn send_code(
        &self,
        pool: &UserPoolConfig,
        user: &StoredUser,
        purpose: CodePurpose,
        lifetime: Duration,
        now: SystemTime,
    ) -> Result<Option<Value>, CognitoError> {
        let Some((medium, attribute, address)) = code_destination(pool, user) else {
            return Ok(None);
        };
        let code = userpools::codes::generate_code().map_err(internal)?;
        let signin = &self.shared.signin;
        signin
            .put_code(
                &pool.id,
                &user.username,
                purpose,
                &userpools::codes::code_digest(&code),
                now + lifetime,
            )
            .await
            .map_err(internal)?;
        signin
            .push_outbox(&OutboxMessage {
                pool: pool.id.clone(),
                username: user.username.clone(),
                purpose,
                medium: medium.to_string(),
                destination: address.clone(),
                code: code.clone(),
                sent_at: now,
            })
            .await
            .map_err(internal)?;
        // The built-in sender's delivery: local users read their codes here or with
        // `portcullis userpool codes`.
        tracing::info!(
            pool = %pool.id,
            username = %user.username,
            purpose = purpose.as_str(),
            medium,
            destination = %address,
            code = %code,
            "user pool code delivered by the built-in sender"
        );
        Ok(Some(delivery_details(medium, attribute, &address)))
    }

    /// Checks a code, in Cognito's words for each outcome.
    pub(crate) async fn check_code(
        &self,
        pool: &UserPoolConfig,
        user: &StoredUser,
        purpose: CodePurpose,
        code: &str,
        now: SystemTime,
    ) -> Result<(), CognitoError> {
        let digest = userpools::codes::code_digest(code);
        let outcome = self
            .shared
            .signin
            .check_code(&pool.id, &user.username, purpose, &digest, now)
            .await
            .map_err(internal)?;
        match outcome {
            CodeCheck::Matched => Ok(()),
            CodeCheck::Mismatch => Err(CognitoError::new(
                ErrorType::CodeMismatch,
                "Invalid verification code provided, please try again.",
            )),
            CodeCheck::Expired | CodeCheck::Missing => Err(CognitoError::new(
                ErrorType::ExpiredCode,
                "Invalid code provided, please request a code again.",
            )),
            CodeCheck::TooManyAttempts => Err(CognitoError::new(
                ErrorType::LimitExceeded,
                "Attempt limit exceeded, please try after some time.",
            )),
        }
    }

    pub(crate) async fn sign_up(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, client) = self.client(input.req("ClientId")?)?;
        let given = input.req("Username")?;
        let password = input.req("Password")?;
        check_secret_hash(client, given, input.opt("SecretHash")?)?;
        if !pool.allow_self_sign_up {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                "SignUp is not permitted for this user pool",
            ));
        }
        let mut attributes: BTreeMap<String, String> =
            writable_attributes(pool, input)?.into_iter().collect();
        // A user may not declare its own attributes verified.
        for verified in ["email_verified", "phone_number_verified"] {
            attributes.remove(verified);
        }
        let (username, sub) = new_identity(pool, given, &mut attributes)?;
        pool.password_policy.check(password)?;
        let status = match pool.sign_up_confirmation {
            SignUpConfirmation::Code => UserStatus::Unconfirmed,
            SignUpConfirmation::Auto => UserStatus::Confirmed,
        };
        let record = password_record(&self.shared, &pool.id, &username, password, now).await?;
        let user = StoredUser {
            pool: pool.id.clone(),
            username: username.clone(),
            sub: sub.clone(),
            attributes,
            status,
            enabled: true,
            password: Some(record),
            mfa: Default::default(),
            created: now,
            modified: now,
            version: 0,
        };
        self.create_user(pool, &user, "User already exists").await?;
        let mut out = json!({"UserConfirmed": status == UserStatus::Confirmed, "UserSub": sub});
        if status == UserStatus::Unconfirmed
            && let Some(details) = self
                .send_code(pool, &user, CodePurpose::SignUp, SIGN_UP_CODE_LIFETIME, now)
                .await?
            && let Some(obj) = out.as_object_mut()
        {
            obj.insert("CodeDeliveryDetails".into(), details);
        }
        Ok(out)
    }

    pub(crate) async fn confirm_sign_up(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let code = input.req("ConfirmationCode")?;
        let Named {
            pool, client, user, ..
        } = self.named_user(input).await?;
        let Some(mut user) = user else {
            return Err(confirm_unknown(client.prevent_user_existence_errors));
        };
        if user.status != UserStatus::Unconfirmed {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                format!(
                    "User cannot be confirmed. Current status is {}",
                    user.status.as_str()
                ),
            ));
        }
        self.check_code(pool, &user, CodePurpose::SignUp, code, now)
            .await?;
        user.status = UserStatus::Confirmed;
        if let Some((_, attribute, _)) = code_destination(pool, &user) {
            user.attributes
                .insert(format!("{attribute}_verified"), "true".into());
        }
        self.save_user(pool, &mut user, now).await?;
        Ok(json!({}))
    }

    pub(crate) async fn resend_confirmation_code(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let Named {
            pool, client, user, ..
        } = self.named_user(input).await?;
        let Some(user) = user else {
            return Err(confirm_unknown(client.prevent_user_existence_errors));
        };
        if user.status != UserStatus::Unconfirmed {
            return Err(invalid("User is already confirmed."));
        }
        match self
            .send_code(pool, &user, CodePurpose::SignUp, SIGN_UP_CODE_LIFETIME, now)
            .await?
        {
            Some(details) => Ok(json!({"CodeDeliveryDetails": details})),
            None => Err(invalid("Auto verification not turned on.")),
        }
    }

    /// Stores a new user with its aliases; `taken` is the operation's words for a username in
    /// use (SignUp and AdminCreateUser word it differently).
    pub(crate) async fn create_user(
        &self,
        pool: &UserPoolConfig,
        user: &StoredUser,
        taken: &str,
    ) -> Result<(), CognitoError> {
        match self
            .shared
            .users
            .create_user(user, &aliases(pool, &user.attributes))
            .await
        {
            Ok(()) => Ok(()),
            Err(UserPoolError::UsernameExists) => {
                Err(CognitoError::new(ErrorType::UsernameExists, taken))
            }
            Err(UserPoolError::AliasExists(kind)) => Err(CognitoError::new(
                ErrorType::UsernameExists,
                format!("An account with the given {kind} already exists."),
            )),
            Err(e) => Err(internal(e)),
        }
    }

    /// Writes a user back, changed at `now`, with the aliases its attributes now give it.
    pub(crate) async fn save_user(
        &self,
        pool: &UserPoolConfig,
        user: &mut StoredUser,
        now: SystemTime,
    ) -> Result<u64, CognitoError> {
        user.modified = now;
        match self
            .shared
            .users
            .update_user(user, &aliases(pool, &user.attributes))
            .await
        {
            Ok(v) => Ok(v),
            Err(UserPoolError::AliasExists(kind)) => Err(CognitoError::new(
                ErrorType::AliasExists,
                format!("An account with the given {kind} already exists."),
            )),
            Err(UserPoolError::Conflict) => Err(CognitoError::new(
                ErrorType::TooManyRequests,
                "The user was changed by another request; try again.",
            )),
            Err(e) => Err(internal(e)),
        }
    }
}

/// ConfirmSignUp, ResendConfirmationCode and ConfirmForgotPassword for an unknown user: with
/// existence errors prevented, Cognito answers as for a wrong code.
pub(crate) fn confirm_unknown(prevent: bool) -> CognitoError {
    if prevent {
        CognitoError::new(
            ErrorType::CodeMismatch,
            "Invalid verification code provided, please try again.",
        )
    } else {
        CognitoError::new(
            ErrorType::UserNotFound,
            "Username/client id combination not found.",
        )
    }
}

/// A new user's internal username and `sub`, from the name it was created with: in a pool
/// whose username is the email, that email (which becomes its `email` attribute) names it and
/// the username is the `sub`; otherwise the name is the username, by Cognito's rule.
pub(crate) fn new_identity(
    pool: &UserPoolConfig,
    given: &str,
    attributes: &mut BTreeMap<String, String>,
) -> Result<(String, String), CognitoError> {
    let sub = uuid::Uuid::new_v4().to_string();
    if pool.email_is_username() {
        if !is_email(given) {
            return Err(invalid("Username should be an email."));
        }
        attributes.insert("email".into(), given.to_string());
        Ok((sub.clone(), sub))
    } else {
        check_username(given)?;
        Ok((given.to_string(), sub))
    }
}

/// Cognito's username rule: 1 to 128 characters, no whitespace or control characters.
fn check_username(name: &str) -> Result<(), CognitoError> {
    let len = name.chars().count();
    if (1..=128).contains(&len) && !name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(())
    } else {
        Err(invalid(
            "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
        ))
    }
}
