//! The operations a signed-in user calls with its access token (GetUser, UpdateUserAttributes,
//! VerifyUserAttribute, ChangePassword, GlobalSignOut, DeleteUser), password reset
//! (ForgotPassword, ConfirmForgotPassword), and RevokeToken.

use std::time::SystemTime;

use config::UserPoolConfig;
use serde_json::{Value, json};
use store::{CodePurpose, StoredUser, UserStatus};
use tokens::TokenError;
use userpools::{CognitoError, ErrorType};

use crate::input::{Input, invalid};
use crate::issue::USER_ADMIN_SCOPE;
use crate::signup::{
    RESET_CODE_LIFETIME, confirm_unknown, password_matches, password_record, secret_matches,
};
use crate::users::{Named, attribute_list, delivery_details, writable_attributes};
use crate::{Provider, internal};

fn not_authorized(message: &str) -> CognitoError {
    CognitoError::new(ErrorType::NotAuthorized, message)
}

impl Provider {
    /// The pool and user an access token of one of this provider's pools stands for, checked as
    /// Cognito checks it: signature, issuer, expiry, `token_use: access`, the user-admin scope,
    /// a live session, and a user that still exists and is enabled.
    pub(crate) async fn token_user(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<(&UserPoolConfig, StoredUser), CognitoError> {
        for pool in self.pools.values() {
            let keys = self.pool_keys(&pool.id, now).await?;
            let validator = self.validator(&pool.id, &[USER_ADMIN_SCOPE.to_string()], None, &keys);
            let verified = match validator.validate(token.as_bytes(), now) {
                Ok(v) => v,
                Err(TokenError::UnknownKid(_)) => continue,
                Err(TokenError::Expired) => return Err(not_authorized("Access Token has expired")),
                Err(TokenError::MissingScope) => {
                    return Err(not_authorized("Access Token does not have required scopes"));
                }
                Err(_) => return Err(not_authorized("Invalid Access Token")),
            };
            let pool_id = &pool.id;
            if let Some(origin) = verified.origin_jti()
                && self
                    .shared
                    .signin
                    .is_revoked(pool_id, origin)
                    .await
                    .map_err(internal)?
            {
                return Err(not_authorized("Access Token has been revoked"));
            }
            let username = verified.username().unwrap_or_default();
            let user = self
                .shared
                .users
                .user(pool_id, username)
                .await
                .map_err(internal)?
                .ok_or_else(|| not_authorized("User does not exist."))?;
            if !user.enabled {
                return Err(not_authorized("User is disabled."));
            }
            return Ok((pool, user));
        }
        Err(not_authorized("Invalid Access Token"))
    }

    pub(crate) async fn get_user(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, user) = self.token_user(input.req("AccessToken")?, now).await?;
        let mut answer = json!({
            "Username": user.username,
            "UserAttributes": attribute_list(&user),
        });
        crate::mfa::add_mfa_settings(pool, &user, &mut answer);
        Ok(answer)
    }

    pub(crate) async fn update_user_attributes(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, mut user) = self.token_user(input.req("AccessToken")?, now).await?;
        let mut to_verify = Vec::new();
        for (name, value) in writable_attributes(pool, input)? {
            if name.ends_with("_verified") {
                return Err(invalid(format!(
                    "Cannot modify the non-mutable attribute {name}"
                )));
            }
            let changed = user.attributes.get(&name) != Some(&value);
            if changed && matches!(name.as_str(), "email" | "phone_number") {
                user.attributes
                    .insert(format!("{name}_verified"), "false".into());
                to_verify.push(name.clone());
            }
            user.attributes.insert(name, value);
        }
        self.save_user(pool, &mut user, now).await?;
        let mut details = Vec::new();
        for attribute in to_verify {
            if pool
                .auto_verified_attributes
                .iter()
                .any(|k| k.attribute() == attribute)
                && let Some(d) = self
                    .send_attribute_code(pool, &user, &attribute, now)
                    .await?
            {
                details.push(d);
            }
        }
        Ok(json!({"CodeDeliveryDetailsList": details}))
    }

    async fn send_attribute_code(
        &self,
        pool: &UserPoolConfig,
        user: &StoredUser,
        attribute: &str,
        now: SystemTime,
    ) -> Result<Option<Value>, CognitoError> {
        // The code goes to the attribute being verified, whatever the pool's order.
        let mut only = pool.clone();
        only.auto_verified_attributes
            .retain(|k| k.attribute() == attribute);
        self.send_code(
            &only,
            user,
            CodePurpose::VerifyAttribute,
            RESET_CODE_LIFETIME,
            now,
        )
        .await
    }

    pub(crate) async fn verify_user_attribute(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, mut user) = self.token_user(input.req("AccessToken")?, now).await?;
        let attribute = input.req("AttributeName")?;
        let code = input.req("Code")?;
        if !matches!(attribute, "email" | "phone_number")
            || !user.attributes.contains_key(attribute)
        {
            return Err(invalid(format!("There is no {attribute} to verify")));
        }
        self.check_code(pool, &user, CodePurpose::VerifyAttribute, code, now)
            .await?;
        user.attributes
            .insert(format!("{attribute}_verified"), "true".into());
        self.save_user(pool, &mut user, now).await?;
        Ok(json!({}))
    }

    pub(crate) async fn change_password(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, mut user) = self.token_user(input.req("AccessToken")?, now).await?;
        let previous = input.req("PreviousPassword")?;
        let proposed = input.req("ProposedPassword")?;
        if !password_matches(&self.shared, user.password.as_ref(), previous).await?
            || user.password.is_none()
        {
            return Err(CognitoError::sign_in_failed());
        }
        pool.password_policy.check(proposed)?;
        user.password =
            Some(password_record(&self.shared, &pool.id, &user.username, proposed, now).await?);
        self.save_user(pool, &mut user, now).await?;
        Ok(json!({}))
    }

    pub(crate) async fn forgot_password(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let Named {
            pool,
            client,
            name,
            user,
        } = self.named_user(input).await?;
        let Some(user) = user else {
            if client.prevent_user_existence_errors {
                // Cognito answers as if a code went out.
                let medium = if name.contains('@') { "EMAIL" } else { "SMS" };
                let attribute = if name.contains('@') {
                    "email"
                } else {
                    "phone_number"
                };
                return Ok(
                    json!({"CodeDeliveryDetails": delivery_details(medium, attribute, name)}),
                );
            }
            return Err(CognitoError::new(
                ErrorType::UserNotFound,
                "Username/client id combination not found.",
            ));
        };
        let verified = |a: &str| {
            user.attributes
                .get(&format!("{a}_verified"))
                .map(String::as_str)
                == Some("true")
        };
        let mut only = pool.clone();
        only.auto_verified_attributes
            .retain(|k| verified(k.attribute()));
        match self
            .send_code(
                &only,
                &user,
                CodePurpose::ForgotPassword,
                RESET_CODE_LIFETIME,
                now,
            )
            .await?
        {
            Some(details) => Ok(json!({"CodeDeliveryDetails": details})),
            None => Err(invalid(
                "Cannot reset password for the user as there is no registered/verified email or phone_number",
            )),
        }
    }

    pub(crate) async fn confirm_forgot_password(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let code = input.req("ConfirmationCode")?;
        let password = input.req("Password")?;
        let Named {
            pool, client, user, ..
        } = self.named_user(input).await?;
        let Some(mut user) = user else {
            return Err(confirm_unknown(client.prevent_user_existence_errors));
        };
        pool.password_policy.check(password)?;
        self.check_code(pool, &user, CodePurpose::ForgotPassword, code, now)
            .await?;
        user.password =
            Some(password_record(&self.shared, &pool.id, &user.username, password, now).await?);
        if user.status == UserStatus::ResetRequired {
            user.status = UserStatus::Confirmed;
        }
        self.save_user(pool, &mut user, now).await?;
        Ok(json!({}))
    }

    pub(crate) async fn global_sign_out(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, user) = self.token_user(input.req("AccessToken")?, now).await?;
        self.shared
            .signin
            .revoke_user_sessions(&pool.id, &user.username, now)
            .await
            .map_err(internal)?;
        self.shared.deny.expire();
        Ok(json!({}))
    }

    pub(crate) async fn delete_user(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, user) = self.token_user(input.req("AccessToken")?, now).await?;
        let pool_id = &pool.id;
        let signin = &self.shared.signin;
        signin
            .revoke_user_sessions(pool_id, &user.username, now)
            .await
            .map_err(internal)?;
        self.shared.deny.expire();
        signin
            .delete_codes(pool_id, &user.username)
            .await
            .map_err(internal)?;
        match self.shared.users.delete_user(pool_id, &user.username).await {
            Ok(()) | Err(store::UserPoolError::NotFound) => Ok(json!({})),
            Err(e) => Err(internal(e)),
        }
    }

    /// GetTokensFromRefreshToken (what Amplify JS refreshes with): new ID and access tokens for
    /// the session, the client proving its secret as `ClientSecret`; with refresh-token rotation,
    /// a new refresh token too (`refresh.rs`). A rotating client needs no `REFRESH_TOKEN_AUTH`
    /// (it may not allow it); any other needs it, as Cognito's refreshes do.
    pub(crate) async fn get_tokens_from_refresh_token(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, client) = self.client(input.req("ClientId")?)?;
        let token = input.req("RefreshToken")?;
        self.check_client_secret(client, input.opt("ClientSecret")?)?;
        if client.refresh_token_rotation.is_none() {
            crate::auth::require_flow(client, config::AuthFlow::RefreshTokenAuth)?;
        }
        let result = self.refresh(pool, client, token, None, true, now).await?;
        Ok(json!({"AuthenticationResult": result}))
    }

    /// A client with a secret must present it (`ClientSecret`), compared in constant time.
    fn check_client_secret(
        &self,
        client: &config::AppClientConfig,
        presented: Option<&str>,
    ) -> Result<(), CognitoError> {
        match &client.secret {
            Some(secret) if !secret_matches(secret, presented.unwrap_or("")) => {
                Err(CognitoError::new(
                    ErrorType::NotAuthorized,
                    format!("Unable to verify secret for client {}", client.id),
                ))
            }
            _ => Ok(()),
        }
    }

    /// RevokeToken: ends the session a refresh token belongs to (its current token or one its
    /// rotation retired), so every token of it is refused.
    /// An unknown token is not an error (RFC 7009, as Cognito).
    pub(crate) async fn revoke_token(
        &self,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let (pool, client) = self.client(input.req("ClientId")?)?;
        let token = input.req("Token")?;
        self.check_client_secret(client, input.opt("ClientSecret")?)?;
        self.revoke_refresh(pool, client, token, now).await?;
        Ok(json!({}))
    }

    /// Ends the session of refresh token `token` of `client` (RevokeToken, `/oauth2/revoke`):
    /// an unknown token is not an error; another client's is `UnsupportedTokenTypeException`.
    pub(crate) async fn revoke_refresh(
        &self,
        pool: &UserPoolConfig,
        client: &config::AppClientConfig,
        token: &str,
        now: SystemTime,
    ) -> Result<(), CognitoError> {
        let pool_id = &pool.id;
        match self.session_of_refresh(pool, token).await? {
            Some(s) if s.client_id == client.id => {
                self.revoke_session_now(pool_id, &s.origin_jti, now).await
            }
            Some(_) => Err(CognitoError::new(
                ErrorType::UnsupportedTokenType,
                "The token was not issued to this client.",
            )),
            None => Ok(()),
        }
    }

    /// Revokes session `origin_jti` in storage and in this node's deny list at once.
    pub(crate) async fn revoke_session_now(
        &self,
        pool_id: &str,
        origin_jti: &str,
        now: SystemTime,
    ) -> Result<(), CognitoError> {
        self.shared
            .signin
            .revoke_session(pool_id, origin_jti, now)
            .await
            .map_err(internal)?;
        self.shared.deny.insert(pool_id, origin_jti);
        Ok(())
    }
}
