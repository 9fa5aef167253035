//! Issuing tokens the way an Amazon Cognito user pool does: the ID token (who the user is, for
//! the app client in `aud`) and the access token (what the client may do, in `scope`), both
//! RS256 JWTs with the header `{"kid":…,"alg":"RS256"}`.
//!
//! The claims and their order follow Cognito's documented payloads ("Understanding the
//! identity (ID) token", "Understanding the access token"): `cognito:groups` is left out when
//! the user is in no group, as Cognito does; custom attributes appear as `custom:<name>`
//! strings; `iss` is `{issuer_base}/{pool_id}`. Times are the caller's `now`; the token ids
//! (`jti`, `origin_jti`, `event_id`) are the caller's too ([`TokenIds::random`] makes fresh
//! ones), so a test can issue the same bytes twice.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::error::IssueError;
use crate::keys::SigningKey;
use crate::time::unix_seconds;

/// A user pool's issuer: `{issuer_base}/{pool_id}`, e.g.
/// `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE`.
pub fn issuer_for(issuer_base: &str, pool_id: &str) -> String {
    format!("{}/{pool_id}", issuer_base.trim_end_matches('/'))
}

/// The identifiers a token carries: `jti` (this token), `origin_jti` (the authentication
/// that began the session; refresh keeps it, revocation goes by it) and `event_id` (the
/// sign-in event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIds {
    pub jti: String,
    pub origin_jti: String,
    pub event_id: String,
}

impl TokenIds {
    /// Fresh random UUIDs, as Cognito's.
    pub fn random() -> Self {
        Self {
            jti: uuid::Uuid::new_v4().to_string(),
            origin_jti: uuid::Uuid::new_v4().to_string(),
            event_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// What an ID token says about its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdToken {
    /// The user's immutable id (a UUID in Cognito).
    pub sub: String,
    /// `cognito:username`.
    pub username: String,
    /// The app client the token is for (`aud`).
    pub client_id: String,
    /// `cognito:groups`; left out of the token when empty.
    pub groups: Vec<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// Custom attributes by name without the `custom:` prefix, which the token adds.
    pub custom: Vec<(String, String)>,
    /// When the user authenticated.
    pub auth_time: SystemTime,
    pub ids: TokenIds,
    /// The OpenID Connect `nonce` of the authorization request, echoed for the client to check.
    pub nonce: Option<String>,
}

/// What an access token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub sub: String,
    /// `username`.
    pub username: String,
    /// The app client (`client_id`; access tokens have no `aud`).
    pub client_id: String,
    /// Granted scopes, written space-separated in `scope`.
    pub scopes: Vec<String>,
    pub groups: Vec<String>,
    pub auth_time: SystemTime,
    pub ids: TokenIds,
}

#[derive(serde::Serialize)]
struct Header<'a> {
    kid: &'a str,
    alg: &'static str,
}

/// Cognito's ID token payload, members in its order.
#[derive(serde::Serialize)]
struct IdClaims<'a> {
    sub: &'a str,
    #[serde(
        rename = "cognito:groups",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    groups: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    iss: &'a str,
    #[serde(rename = "cognito:username")]
    username: &'a str,
    origin_jti: &'a str,
    aud: &'a str,
    event_id: &'a str,
    token_use: &'static str,
    auth_time: u64,
    exp: u64,
    iat: u64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(flatten)]
    custom: Custom<'a>,
}

/// Custom attributes as `custom:<name>` members.
struct Custom<'a>(&'a [(String, String)]);

impl Serialize for Custom<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(&format!("custom:{name}"), value)?;
        }
        map.end()
    }
}

/// Cognito's access token payload, members in its order.
#[derive(serde::Serialize)]
struct AccessClaims<'a> {
    sub: &'a str,
    #[serde(
        rename = "cognito:groups",
        skip_serializing_if = "<[String]>::is_empty"
    )]
    groups: &'a [String],
    iss: &'a str,
    version: u8,
    client_id: &'a str,
    origin_jti: &'a str,
    event_id: &'a str,
    token_use: &'static str,
    scope: String,
    auth_time: u64,
    exp: u64,
    iat: u64,
    jti: &'a str,
    username: &'a str,
}

/// `iat` and `exp` for a token issued at `now` living `lifetime`.
fn times(now: SystemTime, lifetime: Duration) -> Result<(u64, u64), IssueError> {
    if lifetime.is_zero() {
        return Err(IssueError::Lifetime);
    }
    let iat = unix_seconds(now).ok_or(IssueError::Time)?;
    let exp = iat
        .checked_add(lifetime.as_secs().max(1))
        .ok_or(IssueError::Time)?;
    Ok((iat, exp))
}

/// Signs an ID token for `issuer` with `key`, issued at `now`, expiring `lifetime` later
/// (Cognito allows 5 minutes to 1 day, set per app client; the caller's configuration
/// decides).
pub fn sign_id_token(
    key: &SigningKey,
    issuer: &str,
    token: &IdToken,
    now: SystemTime,
    lifetime: Duration,
) -> Result<String, IssueError> {
    if let Some((name, _)) = token
        .custom
        .iter()
        .find(|(n, _)| n.is_empty() || n.contains(':'))
    {
        return Err(IssueError::AttributeName(name.clone()));
    }
    let (iat, exp) = times(now, lifetime)?;
    let claims = IdClaims {
        sub: &token.sub,
        groups: &token.groups,
        email_verified: token.email_verified,
        iss: issuer,
        username: &token.username,
        origin_jti: &token.ids.origin_jti,
        aud: &token.client_id,
        event_id: &token.ids.event_id,
        token_use: "id",
        auth_time: unix_seconds(token.auth_time).ok_or(IssueError::Time)?,
        exp,
        iat,
        jti: &token.ids.jti,
        email: token.email.as_deref(),
        nonce: token.nonce.as_deref(),
        custom: Custom(&token.custom),
    };
    sign(key, &claims)
}

/// Signs an access token for `issuer` with `key` (see [`sign_id_token`]).
pub fn sign_access_token(
    key: &SigningKey,
    issuer: &str,
    token: &AccessToken,
    now: SystemTime,
    lifetime: Duration,
) -> Result<String, IssueError> {
    let (iat, exp) = times(now, lifetime)?;
    let claims = AccessClaims {
        sub: &token.sub,
        groups: &token.groups,
        iss: issuer,
        version: 2,
        client_id: &token.client_id,
        origin_jti: &token.ids.origin_jti,
        event_id: &token.ids.event_id,
        token_use: "access",
        scope: token.scopes.join(" "),
        auth_time: unix_seconds(token.auth_time).ok_or(IssueError::Time)?,
        exp,
        iat,
        jti: &token.ids.jti,
        username: &token.username,
    };
    sign(key, &claims)
}

/// Signs any claims object as an RS256 JWT with `key`: the compact serialization
/// `base64url(header).base64url(claims).base64url(signature)`.
pub fn sign<C: Serialize>(key: &SigningKey, claims: &C) -> Result<String, IssueError> {
    let header = serde_json::to_vec(&Header {
        kid: key.kid(),
        alg: "RS256",
    })
    .map_err(|_| IssueError::Encode)?;
    let payload = serde_json::to_vec(claims).map_err(|_| IssueError::Encode)?;
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_part(token: &str, i: usize) -> String {
        let part = token.split('.').nth(i).unwrap();
        String::from_utf8(URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn ids() -> TokenIds {
        TokenIds {
            jti: "j".into(),
            origin_jti: "o".into(),
            event_id: "e".into(),
        }
    }

    #[test]
    fn id_token_payload_is_cognitos() {
        let key = SigningKey::generate(SystemTime::UNIX_EPOCH).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = IdToken {
            sub: "s".into(),
            username: "u".into(),
            client_id: "c".into(),
            groups: vec![],
            email: Some("u@example.com".into()),
            email_verified: Some(true),
            custom: vec![("tier".into(), "gold".into())],
            auth_time: now - Duration::from_secs(5),
            ids: ids(),
            nonce: None,
        };
        let jwt =
            sign_id_token(&key, "https://i/p", &token, now, Duration::from_secs(3600)).unwrap();
        assert_eq!(
            decode_part(&jwt, 0),
            format!(r#"{{"kid":"{}","alg":"RS256"}}"#, key.kid())
        );
        assert_eq!(
            decode_part(&jwt, 1),
            r#"{"sub":"s","email_verified":true,"iss":"https://i/p","cognito:username":"u","origin_jti":"o","aud":"c","event_id":"e","token_use":"id","auth_time":1699999995,"exp":1700003600,"iat":1700000000,"jti":"j","email":"u@example.com","custom:tier":"gold"}"#
        );
        // Deterministic: the same inputs sign the same bytes.
        let again = sign_id_token(&key, "https://i/p", &token, now, Duration::from_secs(3600));
        assert_eq!(again.unwrap(), jwt);

        let bad = IdToken {
            custom: vec![("a:b".into(), "x".into())],
            ..token.clone()
        };
        let err = sign_id_token(&key, "i", &bad, now, Duration::from_secs(1)).unwrap_err();
        assert_eq!(err, IssueError::AttributeName("a:b".into()));
        let err = sign_id_token(&key, "i", &token, now, Duration::ZERO).unwrap_err();
        assert_eq!(err, IssueError::Lifetime);
    }

    #[test]
    fn access_token_payload_is_cognitos() {
        let key = SigningKey::generate(SystemTime::UNIX_EPOCH).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let token = AccessToken {
            sub: "s".into(),
            username: "u".into(),
            client_id: "c".into(),
            scopes: vec!["openid".into(), "orders/read".into()],
            groups: vec!["admin".into(), "ops".into()],
            auth_time: now,
            ids: ids(),
        };
        let jwt = sign_access_token(&key, "iss", &token, now, Duration::from_secs(60)).unwrap();
        assert_eq!(
            decode_part(&jwt, 1),
            r#"{"sub":"s","cognito:groups":["admin","ops"],"iss":"iss","version":2,"client_id":"c","origin_jti":"o","event_id":"e","token_use":"access","scope":"openid orders/read","auth_time":100,"exp":160,"iat":100,"jti":"j","username":"u"}"#
        );
    }

    #[test]
    fn issuer_is_base_and_pool() {
        assert_eq!(
            issuer_for(
                "https://cognito-idp.us-east-1.amazonaws.com/",
                "us-east-1_A"
            ),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A"
        );
        let ids = TokenIds::random();
        assert_eq!(ids.jti.len(), 36);
        assert_ne!(ids.jti, ids.origin_jti);
    }
}
