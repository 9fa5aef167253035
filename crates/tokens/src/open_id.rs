//! The OpenID token of an identity pool identity, as Cognito Identity's `GetOpenIdToken`
//! issues it: a JWT for STS's `AssumeRoleWithWebIdentity` whose issuer is
//! `https://cognito-identity.amazonaws.com`, audience the identity pool, subject the identity
//! id, and `amr` the authentication methods (`authenticated` with the login provider and
//! `{provider}:CognitoSignIn:{sub}`, or `unauthenticated`).
//!
//! AWS signs these with RS512; Portcullis signs every token with RS256 (the one algorithm its
//! validators accept), with a key kept like a user pool's (`keys.rs`).

use std::time::{Duration, SystemTime};

use crate::error::IssueError;
use crate::issue::sign;
use crate::keys::SigningKey;
use crate::time::unix_seconds;

/// The issuer of identity pools' OpenID tokens, as AWS writes it in `iss`.
pub const ISSUER: &str = "https://cognito-identity.amazonaws.com";
/// How long a token is valid: Cognito Identity's documented 10 minutes.
pub const LIFETIME: Duration = Duration::from_secs(600);

/// What an OpenID token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIdToken {
    /// The identity id, `{region}:{uuid}` (`sub`).
    pub identity_id: String,
    /// The identity pool id (`aud`).
    pub identity_pool_id: String,
    /// `amr`.
    pub amr: Vec<String>,
}

/// The payload, members in the order Cognito Identity writes them.
#[derive(serde::Serialize)]
struct Claims<'a> {
    sub: &'a str,
    aud: &'a str,
    amr: &'a [String],
    iss: &'static str,
    exp: u64,
    iat: u64,
}

/// Signs `token` with `key`, issued at `now`, valid for [`LIFETIME`].
pub fn sign_open_id_token(
    key: &SigningKey,
    token: &OpenIdToken,
    now: SystemTime,
) -> Result<String, IssueError> {
    let iat = unix_seconds(now).ok_or(IssueError::Time)?;
    let exp = iat
        .checked_add(LIFETIME.as_secs())
        .ok_or(IssueError::Time)?;
    sign(
        key,
        &Claims {
            sub: &token.identity_id,
            aud: &token.identity_pool_id,
            amr: &token.amr,
            iss: ISSUER,
            exp,
            iat,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Audiences, ExpectedUse, KeySet, Validator, ValidatorConfig};

    #[test]
    fn signed_token_verifies_for_its_pool_only() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let keys = KeySet::generate(now).unwrap();
        let token = OpenIdToken {
            identity_id: "us-east-1:0000".into(),
            identity_pool_id: "us-east-1:pool".into(),
            amr: vec!["unauthenticated".into()],
        };
        let jwt = sign_open_id_token(keys.current(), &token, now).unwrap();
        let validator = |aud: &str| {
            Validator::new(
                ValidatorConfig {
                    issuer: ISSUER.into(),
                    audiences: Audiences::OneOf(vec![aud.into()]),
                    token_use: ExpectedUse::Unchecked,
                    required_scopes: vec![],
                    clock_skew: Duration::ZERO,
                },
                keys.verifying_keys().unwrap(),
            )
        };
        let verified = validator("us-east-1:pool")
            .validate(jwt.as_bytes(), now)
            .unwrap();
        assert_eq!(verified.sub(), Some("us-east-1:0000"));
        assert_eq!(
            verified.claim("amr"),
            Some(&serde_json::json!(["unauthenticated"]))
        );
        assert_eq!(verified.expires_at(), 1_700_000_600);
        assert_eq!(
            validator("us-east-1:other")
                .validate(jwt.as_bytes(), now)
                .err(),
            Some(crate::TokenError::AudienceNotAccepted)
        );
        assert_eq!(
            validator("us-east-1:pool")
                .validate(jwt.as_bytes(), now + LIFETIME)
                .err(),
            Some(crate::TokenError::Expired),
            "ten minutes, no more"
        );
    }
}
