//! A user pool's signing keys: RS256 key pairs, each named by a `kid`, and the [`KeySet`] that
//! keeps the current key together with the retired ones whose tokens may still be in use.
//!
//! A key's `kid` is its RFC 7638 JWK thumbprint (SHA-256 of the canonical `{"e","kty","n"}`
//! JSON, base64url): it names the key without a random source or a registry of names, two keys
//! cannot share one, and a stored key whose `kid` is not its thumbprint is refused when read
//! back. Keys are 2048-bit, like Cognito's.
//!
//! For storage a key is a [`StoredKey`]: kid, creation and retirement times, and the private
//! key as PKCS#8 PEM. It redacts itself in `Debug`.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::KeyError;
use crate::jwks::{Jwks, VerifyingKey};
use crate::time::{from_unix, unix_seconds};

const PEM_TAG: &str = "PRIVATE KEY";

/// A public key as a JWK, the form a JWKS document lists. Members are in the order Cognito
/// writes them (alphabetical).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub alg: String,
    pub e: String,
    pub kid: String,
    pub kty: String,
    pub n: String,
    #[serde(rename = "use")]
    pub use_: String,
}

/// A JWKS document: `{"keys":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// One RS256 signing key.
pub struct SigningKey {
    pair: RsaKeyPair,
    jwk: Jwk,
    created_at: SystemTime,
    retired_at: Option<SystemTime>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.jwk.kid)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new 2048-bit key, created at `now`. Randomness comes from the operating system
    /// (through AWS-LC); nothing here can take it as a parameter, and nothing needs to.
    pub fn generate(now: SystemTime) -> Result<Self, KeyError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        Ok(Self::from_pair(pair, now, None))
    }

    /// A key from its PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8], created_at: SystemTime) -> Result<Self, KeyError> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| KeyError::Parse(e.description_()))?;
        Ok(Self::from_pair(pair, created_at, None))
    }

    /// A key from its PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(pem_text: &str, created_at: SystemTime) -> Result<Self, KeyError> {
        let block = pem::parse(pem_text).map_err(|_| KeyError::Parse("not PEM"))?;
        if block.tag() != PEM_TAG {
            return Err(KeyError::Parse("PEM block is not a PKCS#8 PRIVATE KEY"));
        }
        Self::from_pkcs8_der(block.contents(), created_at)
    }

    fn from_pair(pair: RsaKeyPair, created_at: SystemTime, retired_at: Option<SystemTime>) -> Self {
        let public = pair.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        let kid = thumbprint(&n, &e);
        let jwk = Jwk {
            alg: "RS256".into(),
            e,
            kid,
            kty: "RSA".into(),
            n,
            use_: "sig".into(),
        };
        Self {
            pair,
            jwk,
            created_at,
            retired_at,
        }
    }

    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    pub fn created_at(&self) -> SystemTime {
        self.created_at
    }

    /// When this key stopped signing (it was rotated out); `None` while it is current.
    pub fn retired_at(&self) -> Option<SystemTime> {
        self.retired_at
    }

    /// The private key, PKCS#8 DER. Secret: store it, never log it.
    pub fn pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> =
            self.pair.as_der().map_err(|_| KeyError::Encode)?;
        Ok(der.as_ref().to_vec())
    }

    /// The private key, PKCS#8 PEM. Secret.
    pub fn pkcs8_pem(&self) -> Result<String, KeyError> {
        Ok(pem::encode(&pem::Pem::new(PEM_TAG, self.pkcs8_der()?)))
    }

    /// This key in its storage form.
    pub fn to_stored(&self) -> Result<StoredKey, KeyError> {
        Ok(StoredKey {
            kid: self.jwk.kid.clone(),
            created_at: unix_seconds(self.created_at).ok_or(KeyError::Time)?,
            retired_at: match self.retired_at {
                Some(t) => Some(unix_seconds(t).ok_or(KeyError::Time)?),
                None => None,
            },
            private_key_pem: self.pkcs8_pem()?,
        })
    }

    /// A key read back from storage; its kid must be its thumbprint.
    pub fn from_stored(stored: &StoredKey) -> Result<Self, KeyError> {
        let created_at = from_unix(stored.created_at).ok_or(KeyError::Time)?;
        let mut key = Self::from_pkcs8_pem(&stored.private_key_pem, created_at)?;
        if key.jwk.kid != stored.kid {
            return Err(KeyError::KidMismatch {
                stored: stored.kid.clone(),
                computed: key.jwk.kid.clone(),
            });
        }
        key.retired_at = match stored.retired_at {
            Some(t) => Some(from_unix(t).ok_or(KeyError::Time)?),
            None => None,
        };
        Ok(key)
    }

    /// The key that verifies this key's signatures.
    pub fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        let public = self.pair.public_key();
        Ok(VerifyingKey::from_components(
            &self.jwk.kid,
            public.modulus().big_endian_without_leading_zero(),
            public.exponent().big_endian_without_leading_zero(),
        )?)
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        // PKCS#1 v1.5 signing is deterministic; the API takes a random source for PSS.
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(signature)
    }
}

/// RFC 7638 thumbprint of an RSA public key given as base64url `n` and `e`.
fn thumbprint(n: &str, e: &str) -> String {
    // The canonical form has exactly these members, sorted, without whitespace; base64url
    // text needs no JSON escaping.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// A signing key as it is stored. Times are Unix seconds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<u64>,
    /// PKCS#8 PEM. Secret.
    pub private_key_pem: String,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .field("private_key_pem", &"<redacted>")
            .finish()
    }
}

/// A pool's keys: the current one, which signs, and the retired ones, kept (newest first) so
/// that tokens they signed keep verifying until they expire.
#[derive(Debug)]
pub struct KeySet {
    current: SigningKey,
    retired: Vec<SigningKey>,
}

impl KeySet {
    /// A set of one new key.
    pub fn generate(now: SystemTime) -> Result<Self, KeyError> {
        Ok(Self::new(SigningKey::generate(now)?))
    }

    /// A set whose only key is `current`.
    pub fn new(current: SigningKey) -> Self {
        Self {
            current,
            retired: Vec::new(),
        }
    }

    /// The key that signs new tokens.
    pub fn current(&self) -> &SigningKey {
        &self.current
    }

    /// Every key, current first, then retired ones newest first.
    pub fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(&self.retired)
    }

    /// Retires the current key at `now` and makes a new one current.
    pub fn rotate(&mut self, now: SystemTime) -> Result<(), KeyError> {
        let next = SigningKey::generate(now)?;
        self.rotate_to(next, now);
        Ok(())
    }

    /// Retires the current key at `now` and makes `next` current (a key made beforehand).
    pub fn rotate_to(&mut self, next: SigningKey, now: SystemTime) {
        let mut old = std::mem::replace(&mut self.current, next);
        old.retired_at = Some(now);
        self.retired.insert(0, old);
    }

    /// Drops the retired keys that can no longer have a live token: retired at least
    /// `max_token_lifetime` ago (a token lives at most that long and was signed before its
    /// key retired). Returns how many were dropped.
    pub fn prune(&mut self, now: SystemTime, max_token_lifetime: Duration) -> usize {
        let before = self.retired.len();
        self.retired.retain(|key| {
            let retired = key.retired_at.unwrap_or(now);
            match retired.checked_add(max_token_lifetime) {
                Some(last_expiry) => last_expiry > now,
                None => true,
            }
        });
        before - self.retired.len()
    }

    /// The public keys as a JWKS value.
    pub fn jwk_set(&self) -> JwkSet {
        JwkSet {
            keys: self.keys().map(|k| k.jwk.clone()).collect(),
        }
    }

    /// The JWKS document, `/.well-known/jwks.json`.
    pub fn jwks_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(&self.jwk_set()).unwrap_or_default()
    }

    /// The keys that verify this set's tokens, for a [`crate::Validator`] of the pool itself.
    pub fn verifying_keys(&self) -> Result<Jwks, KeyError> {
        let keys = self
            .keys()
            .map(SigningKey::verifying_key)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Jwks::from_keys(keys)?)
    }

    /// The set in its storage form, current key first.
    pub fn to_stored(&self) -> Result<Vec<StoredKey>, KeyError> {
        self.keys().map(SigningKey::to_stored).collect()
    }

    /// A set read back from storage: the key without `retired_at` is current (exactly one).
    pub fn from_stored(stored: &[StoredKey]) -> Result<Self, KeyError> {
        let mut current = None;
        let mut retired = Vec::new();
        for s in stored {
            let key = SigningKey::from_stored(s)?;
            if key.retired_at.is_some() {
                retired.push(key);
            } else if current.replace(key).is_some() {
                return Err(KeyError::Parse("more than one current key"));
            }
        }
        let current = current.ok_or(KeyError::Parse("no current key"))?;
        retired.sort_by_key(|k| std::cmp::Reverse(k.retired_at));
        Ok(Self { current, retired })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn rotation_keeps_old_keys_until_their_tokens_expire() {
        let mut set = KeySet::generate(at(1_000)).unwrap();
        let first = set.current().kid().to_owned();
        set.rotate(at(2_000)).unwrap();
        let second = set.current().kid().to_owned();
        assert_ne!(first, second);
        let kids: Vec<_> = set.keys().map(|k| k.kid().to_owned()).collect();
        assert_eq!(kids, [second.clone(), first.clone()]);
        assert_eq!(set.keys().nth(1).unwrap().retired_at(), Some(at(2_000)));

        let lifetime = Duration::from_secs(3_600);
        assert_eq!(
            set.prune(at(5_599), lifetime),
            0,
            "a token signed at 1999 lives to 5599"
        );
        assert_eq!(set.verifying_keys().unwrap().len(), 2);
        assert_eq!(set.prune(at(5_600), lifetime), 1);
        assert_eq!(set.keys().count(), 1);
        assert_eq!(set.current().kid(), second);
        assert_eq!(
            set.prune(at(99_999), lifetime),
            0,
            "the current key is never pruned"
        );
    }

    #[test]
    fn storage_round_trip_and_jwks() {
        let mut set = KeySet::generate(at(10)).unwrap();
        let next = SigningKey::generate(at(20)).unwrap();
        set.rotate_to(next, at(30));
        let stored = set.to_stored().unwrap();
        assert!(
            stored[0]
                .private_key_pem
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        assert!(
            !format!("{stored:?}").contains("BEGIN"),
            "Debug redacts the key"
        );
        let json = serde_json::to_string(&stored).unwrap();
        let back =
            KeySet::from_stored(&serde_json::from_str::<Vec<StoredKey>>(&json).unwrap()).unwrap();
        assert_eq!(back.jwks_json(), set.jwks_json());
        assert_eq!(back.current().created_at(), at(20));
        assert_eq!(back.keys().nth(1).unwrap().retired_at(), Some(at(30)));

        let jwks: serde_json::Value = serde_json::from_str(&set.jwks_json()).unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["e"], "AQAB");
        assert_eq!(
            key["n"].as_str().unwrap().len(),
            342,
            "2048 bits in base64url"
        );
        assert_eq!(key["kid"], set.current().kid());

        let mut tampered = stored[0].clone();
        tampered.kid = "other".into();
        assert!(matches!(
            SigningKey::from_stored(&tampered),
            Err(KeyError::KidMismatch { .. })
        ));
        assert!(KeySet::from_stored(&stored[1..]).is_err(), "no current key");
    }

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
