//! `GET|POST /oauth2/userInfo`: the attributes an access token's scopes allow, for a token of
//! the token endpoint with the `openid` scope (Cognito refuses the API's tokens, which carry
//! none). Scopes (Cognito's table): `openid` alone → every attribute; with `profile`, `email`
//! or `phone`, those groups only (`profile` includes custom attributes); `sub` and `username`
//! always. `aws.cognito.signin.user.admin` and resource-server scopes change nothing.

use std::time::SystemTime;

use serde_json::{Map, Value};
use store::StoredUser;
use tokens::TokenError;

use crate::Provider;

const OPENID: &str = "openid";

const PROFILE: [&str; 14] = [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];

/// A refusal: RFC 6750's `invalid_token` (401, with `WWW-Authenticate`), or our failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInfoError {
    InvalidToken(&'static str),
    Internal,
}

impl UserInfoError {
    pub fn status(&self) -> u16 {
        match self {
            UserInfoError::InvalidToken(_) => 401,
            UserInfoError::Internal => 500,
        }
    }

    pub fn body(&self) -> String {
        match self {
            UserInfoError::InvalidToken(why) => {
                serde_json::json!({"error": "invalid_token", "error_description": why}).to_string()
            }
            UserInfoError::Internal => r#"{"error":"server_error"}"#.to_string(),
        }
    }

    /// The `WWW-Authenticate` value (RFC 6750 §3).
    pub fn www_authenticate(&self) -> Option<String> {
        match self {
            UserInfoError::InvalidToken(why) => Some(format!(
                "Bearer error=\"invalid_token\", error_description=\"{why}\""
            )),
            UserInfoError::Internal => None,
        }
    }
}

/// The claims of `user` that `scopes` allow.
fn claims_for(user: &StoredUser, scopes: &[&str]) -> Map<String, Value> {
    let groups: Vec<&[&str]> = [
        ("profile", &PROFILE[..]),
        ("email", &["email", "email_verified"][..]),
        ("phone", &["phone_number", "phone_number_verified"][..]),
    ]
    .into_iter()
    .filter(|(scope, _)| scopes.contains(scope))
    .map(|(_, names)| names)
    .collect();
    let everything = groups.is_empty();
    let profile = scopes.contains(&"profile");
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(user.sub.clone()));
    for (name, value) in &user.attributes {
        let allowed = everything
            || groups.iter().any(|g| g.contains(&name.as_str()))
            || (profile && name.starts_with("custom:"));
        if allowed && name != "sub" {
            out.insert(name.clone(), Value::String(value.clone()));
        }
    }
    out.insert("username".into(), Value::String(user.username.clone()));
    out
}

impl Provider {
    /// The userInfo answer for bearer token `token`.
    pub async fn user_info(
        &self,
        token: Option<&str>,
        now: SystemTime,
    ) -> Result<Value, UserInfoError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(UserInfoError::InvalidToken("Access token is missing"))?;
        for pool in self.pools.values() {
            let keys = self
                .pool_keys(&pool.id, now)
                .await
                .map_err(|_| UserInfoError::Internal)?;
            let validator = self.validator(&pool.id, &[OPENID.to_string()], None, &keys);
            let verified = match validator.validate(token.as_bytes(), now) {
                Ok(v) => v,
                Err(TokenError::UnknownKid(_)) => continue,
                Err(TokenError::Expired) => {
                    return Err(UserInfoError::InvalidToken("Access token is expired"));
                }
                Err(TokenError::MissingScope) => {
                    return Err(UserInfoError::InvalidToken(
                        "Access token does not contain openid scope",
                    ));
                }
                Err(_) => return Err(UserInfoError::InvalidToken("Invalid access token")),
            };
            if let Some(origin) = verified.origin_jti()
                && self
                    .shared
                    .is_revoked(&pool.id, origin, now)
                    .await
                    .map_err(|_| UserInfoError::Internal)?
            {
                return Err(UserInfoError::InvalidToken("Access token has been revoked"));
            }
            let user = self
                .shared
                .users
                .user(&pool.id, verified.username().unwrap_or_default())
                .await
                .map_err(|_| UserInfoError::Internal)?
                .filter(|u| u.enabled)
                .ok_or(UserInfoError::InvalidToken(
                    "User does not exist or is disabled",
                ))?;
            let scopes: Vec<&str> = verified
                .claim("scope")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            return Ok(Value::Object(claims_for(&user, &scopes)));
        }
        Err(UserInfoError::InvalidToken("Invalid access token"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn user() -> StoredUser {
        let attributes: BTreeMap<String, String> = [
            ("email", "a@example.com"),
            ("email_verified", "true"),
            ("phone_number", "+15550100"),
            ("phone_number_verified", "false"),
            ("given_name", "Alice"),
            ("custom:tier", "gold"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        StoredUser {
            pool: "us-east-1_P".into(),
            username: "alice".into(),
            sub: "0000-sub".into(),
            attributes,
            status: store::UserStatus::Confirmed,
            enabled: true,
            password: None,
            mfa: store::MfaSettings::default(),
            created: SystemTime::UNIX_EPOCH,
            modified: SystemTime::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn scopes_choose_the_attributes() {
        let u = user();
        let keys = |m: Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
        let all = keys(claims_for(&u, &["openid"]));
        assert_eq!(all.len(), 8, "{all:?}");
        assert_eq!(
            keys(claims_for(&u, &["openid", "email"])),
            ["email", "email_verified", "sub", "username"]
        );
        assert_eq!(
            keys(claims_for(&u, &["openid", "profile"])),
            ["custom:tier", "given_name", "sub", "username"]
        );
        assert_eq!(
            keys(claims_for(
                &u,
                &["openid", "phone", "aws.cognito.signin.user.admin"]
            )),
            ["phone_number", "phone_number_verified", "sub", "username"]
        );
    }
}
