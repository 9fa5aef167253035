//! Temporary security credentials (role sessions) as storage keeps them.
//!
//! The session token is never stored: only its SHA-256, which is all that checking a presented
//! token needs. The secret access key is stored as issued, because SigV4 verification signs with
//! it (an HMAC key cannot be checked against a hash of itself).

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::StoreError;

/// SHA-256 of a session token: what storage keeps, and what a presented token is compared with.
pub fn session_token_sha256(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Newly issued temporary credentials: an access key, its secret and session token, and the role
/// session they stand for. The token is here for the AssumeRole answer; storage keeps only its
/// hash (see [`StoredSession`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: SystemTime,
    pub role_arn: String,
    pub session_name: String,
    /// The session policy (JSON) given to AssumeRole, which narrows the role's permissions.
    pub session_policy: Option<String>,
    pub source_identity: Option<String>,
    /// ARN of the principal the credentials were issued to.
    pub issued_to: String,
    /// The identity-pool identity the credentials were issued for (GetCredentialsForIdentity).
    pub web_identity: Option<WebIdentity>,
    /// AssumeRole's session tags, with those inherited as transitive.
    pub session_tags: Option<SessionTags>,
}

/// A session's tags: the principal tags (`aws:PrincipalTag/*`) of requests signed with it,
/// overriding the role's tags of the same key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionTags {
    pub tags: std::collections::BTreeMap<String, String>,
    /// Keys of `tags` that pass on to the sessions this session assumes (role chaining).
    pub transitive: Vec<String>,
}

impl SessionTags {
    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::json!({"tags": self.tags, "transitive": self.transitive}).to_string()
    }

    /// Reads the stored form; `None` if it is not one, or names a transitive key that is not a
    /// tag.
    pub fn from_json(text: &str) -> Option<SessionTags> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let tags = v
            .get("tags")?
            .as_object()?
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect::<Option<std::collections::BTreeMap<_, _>>>()?;
        let transitive = v
            .get("transitive")?
            .as_array()?
            .iter()
            .map(|k| k.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?;
        transitive
            .iter()
            .all(|k| tags.contains_key(k))
            .then_some(SessionTags { tags, transitive })
    }
}

/// The identity-pool identity behind temporary credentials: what the policy variables
/// `${cognito-identity.amazonaws.com:sub|aud|amr}` and `$context.identity.cognito*` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// `{region}:{uuid}`.
    pub identity_id: String,
    pub identity_pool_id: String,
    /// The user pool's provider name (`cognito-idp.{region}.amazonaws.com/{poolId}`) and the
    /// user's `sub`; `None` for an unauthenticated identity.
    pub provider: Option<(String, String)>,
    /// `cognito-identity.amazonaws.com:amr`: `authenticated` (with the provider and
    /// `{provider}:CognitoSignIn:{sub}`) or `unauthenticated`.
    pub amr: Vec<String>,
}

impl WebIdentity {
    /// `authenticated` or `unauthenticated` (`cognitoAuthenticationType`).
    pub fn authentication_type(&self) -> &'static str {
        if self.provider.is_some() {
            "authenticated"
        } else {
            "unauthenticated"
        }
    }

    /// `cognitoAuthenticationProvider`, in AWS's form
    /// `{provider},{provider}:CognitoSignIn:{sub}` (backends parse the `sub` out of it).
    pub fn authentication_provider(&self) -> Option<String> {
        self.provider
            .as_ref()
            .map(|(p, sub)| format!("{p},{p}:CognitoSignIn:{sub}"))
    }

    /// The stored form (a JSON object).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "identity_id": self.identity_id,
            "identity_pool_id": self.identity_pool_id,
            "provider": self.provider.as_ref().map(|(p, _)| p),
            "subject": self.provider.as_ref().map(|(_, s)| s),
            "amr": self.amr,
        })
        .to_string()
    }

    /// Reads the stored form; `None` if it is not one.
    pub fn from_json(text: &str) -> Option<WebIdentity> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let s = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        let provider = match (s("provider"), s("subject")) {
            (Some(p), Some(sub)) => Some((p, sub)),
            (None, None) => None,
            _ => return None,
        };
        let amr = v
            .get("amr")?
            .as_array()?
            .iter()
            .map(|a| a.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?;
        Some(WebIdentity {
            identity_id: s("identity_id")?,
            identity_pool_id: s("identity_pool_id")?,
            provider,
            amr,
        })
    }
}

impl SessionCredentials {
    /// What storage keeps of these credentials, and what a lookup returns.
    pub fn to_stored(&self) -> StoredSession {
        StoredSession {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            token_sha256: session_token_sha256(&self.session_token),
            expiration: self.expiration,
            role_arn: self.role_arn.clone(),
            session_name: self.session_name.clone(),
            session_policy: self.session_policy.clone(),
            source_identity: self.source_identity.clone(),
            issued_to: self.issued_to.clone(),
            web_identity: self.web_identity.clone(),
            session_tags: self.session_tags.clone(),
        }
    }
}

// Hand-written: the secret and the token must never reach a log.
impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("issued_to", &self.issued_to)
            .finish_non_exhaustive()
    }
}

/// Temporary credentials read back from storage: the token as its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// SHA-256 of the session token; compare with [`session_token_sha256`] of the presented
    /// token, in constant time.
    pub token_sha256: [u8; 32],
    pub expiration: SystemTime,
    pub role_arn: String,
    pub session_name: String,
    pub session_policy: Option<String>,
    pub source_identity: Option<String>,
    pub issued_to: String,
    pub web_identity: Option<WebIdentity>,
    pub session_tags: Option<SessionTags>,
}

// Hand-written: neither the secret nor the token's hash belongs in a log.
impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("issued_to", &self.issued_to)
            .finish_non_exhaustive()
    }
}

/// Temporary credentials issued by STS (and, later, identity pools).
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Saves newly issued temporary credentials; `now` is when they were issued. A duplicate
    /// access key id is an error, never an overwrite.
    async fn put_session(
        &self,
        session: &SessionCredentials,
        now: SystemTime,
    ) -> Result<(), StoreError>;

    /// Looks temporary credentials up by access key id, expired or not (the caller decides what
    /// an expired session means).
    async fn session(&self, access_key_id: &str) -> Result<Option<StoredSession>, StoreError>;

    /// Deletes sessions that expired before `now`; returns how many.
    async fn delete_expired_sessions(&self, now: SystemTime) -> Result<u64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> SessionCredentials {
        SessionCredentials {
            access_key_id: "ASIAEXAMPLE000000000".into(),
            secret_access_key: "very-secret".into(),
            session_token: "the-token".into(),
            expiration: SystemTime::UNIX_EPOCH,
            role_arn: "arn:aws:iam::123456789012:role/Reader".into(),
            session_name: "s".into(),
            session_policy: None,
            source_identity: None,
            issued_to: "arn:aws:iam::123456789012:user/demo".into(),
            web_identity: None,
            session_tags: None,
        }
    }

    #[test]
    fn web_identities_round_trip_and_render_as_aws() {
        let p = "cognito-idp.us-east-1.amazonaws.com/us-east-1_P";
        let signed_in = WebIdentity {
            identity_id: "us-east-1:00000000-0000-4000-8000-000000000001".into(),
            identity_pool_id: "us-east-1:00000000-0000-4000-8000-000000000002".into(),
            provider: Some((p.into(), "sub-1".into())),
            amr: vec![
                "authenticated".into(),
                p.into(),
                format!("{p}:CognitoSignIn:sub-1"),
            ],
        };
        assert_eq!(
            WebIdentity::from_json(&signed_in.to_json()),
            Some(signed_in.clone())
        );
        assert_eq!(signed_in.authentication_type(), "authenticated");
        assert_eq!(
            signed_in.authentication_provider().unwrap(),
            format!("{p},{p}:CognitoSignIn:sub-1")
        );
        let guest = WebIdentity {
            provider: None,
            amr: vec!["unauthenticated".into()],
            ..signed_in
        };
        assert_eq!(
            WebIdentity::from_json(&guest.to_json()),
            Some(guest.clone())
        );
        assert_eq!(guest.authentication_type(), "unauthenticated");
        assert!(guest.authentication_provider().is_none());
        for bad in [
            "",
            "[]",
            r#"{"identity_id":"x"}"#,
            r#"{"identity_id":"x","identity_pool_id":"y","provider":"p","amr":[]}"#,
        ] {
            assert!(WebIdentity::from_json(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn token_hash_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hex(&session_token_sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn stored_form_keeps_only_the_hash() {
        let c = credentials();
        let stored = c.to_stored();
        assert_eq!(stored.token_sha256, session_token_sha256("the-token"));
        assert_eq!(stored.secret_access_key, c.secret_access_key);
        for debug in [format!("{c:?}"), format!("{stored:?}")] {
            assert!(debug.contains("ASIAEXAMPLE000000000"), "{debug}");
            assert!(!debug.contains("very-secret"), "{debug}");
            assert!(!debug.contains("the-token"), "{debug}");
            assert!(!debug.contains("token_sha256"), "{debug}");
        }
    }
}
