//! The verifying side of keys: [`VerifyingKey`] (one RSA public key, parsed once so that each
//! verification costs only the RSA operation) and [`Jwks`], the keys a validator trusts, read
//! from a JWKS document that arrives from the network.
//!
//! What a JWKS document may list is wider than what a validator uses. A key is *used* when it
//! is RSA (`kty: "RSA"`), has a `kid`, says nothing that rules RS256 signatures out (`alg`
//! absent or `"RS256"`, `use` absent or `"sig"`, `key_ops` absent or holding `"verify"`) and
//! its modulus is 2048 to 8192 bits. Every other key — EC, symmetric (`kty: "oct"`, the
//! HS256 confusion attack's ingredient), encryption keys, malformed ones — is skipped and
//! counted, never an error: an issuer may publish keys for other purposes. Two usable keys with
//! one `kid` make the document ambiguous, and it is refused; so is a document with no usable
//! key (every token would fail, which is better said when the keys are loaded). Certificate
//! members (`x5c`, `x5u`) are ignored: the key is `n` and `e`.

use std::collections::HashMap;
use std::fmt;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::error::JwksError;
use crate::json::{JsonError, parse_object};

/// The largest JWKS document read (issuers with certificate chains in `x5c` publish tens of
/// kilobytes; this leaves room and bounds the work).
pub const MAX_JWKS_BYTES: usize = 256 * 1024;
/// The most entries a JWKS document may list.
pub const MAX_JWKS_KEYS: usize = 100;

const MIN_MODULUS_BITS: usize = 2048;
const MAX_MODULUS_BITS: usize = 8192;

/// One RS256 public key.
pub struct VerifyingKey {
    kid: String,
    key: ParsedPublicKey,
    modulus_bits: usize,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("modulus_bits", &self.modulus_bits)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// A key from its big-endian modulus and exponent (leading zero bytes are allowed: some
    /// issuers write them, and they do not change the number).
    pub fn from_components(kid: &str, n: &[u8], e: &[u8]) -> Result<Self, JwksError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let modulus_bits = bit_length(n);
        if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&modulus_bits) {
            return Err(JwksError::BadKey("modulus is not 2048 to 8192 bits"));
        }
        if e.is_empty() || e.len() > 4 {
            return Err(JwksError::BadKey("exponent is zero or longer than 32 bits"));
        }
        let key = RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| JwksError::BadKey("not a valid RSA public key"))?;
        Ok(Self {
            kid: kid.to_owned(),
            key,
            modulus_bits,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn modulus_bits(&self) -> usize {
        self.modulus_bits
    }

    /// Whether `signature` is this key's RS256 signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

fn bit_length(be: &[u8]) -> usize {
    match be.first() {
        Some(&top) => (be.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

/// The keys a validator trusts, by `kid`. Cloning shares the parsed keys.
#[derive(Debug, Default, Clone)]
pub struct Jwks {
    keys: HashMap<String, std::sync::Arc<VerifyingKey>>,
    skipped: usize,
}

impl Jwks {
    /// A set of keys; two with one kid are refused.
    pub fn from_keys(keys: impl IntoIterator<Item = VerifyingKey>) -> Result<Self, JwksError> {
        let mut out = Self::default();
        for key in keys {
            out.insert(key)?;
        }
        Ok(out)
    }

    fn insert(&mut self, key: VerifyingKey) -> Result<(), JwksError> {
        if self.keys.contains_key(&key.kid) {
            return Err(JwksError::DuplicateKid(crate::error::excerpt(&key.kid)));
        }
        self.keys.insert(key.kid.clone(), std::sync::Arc::new(key));
        Ok(())
    }

    /// Reads a JWKS document from untrusted bytes (see the module documentation for which keys
    /// are used).
    pub fn parse(bytes: &[u8]) -> Result<Self, JwksError> {
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge {
                max: MAX_JWKS_BYTES,
            });
        }
        let doc = parse_object(bytes).map_err(|e| match e {
            JsonError::Duplicate(name) => JwksError::DuplicateKey(name),
            JsonError::Syntax | JsonError::NotObject => JwksError::Json,
        })?;
        let Some(Value::Array(entries)) = doc.get("keys") else {
            return Err(JwksError::MissingKeys);
        };
        if entries.len() > MAX_JWKS_KEYS {
            return Err(JwksError::TooManyKeys { max: MAX_JWKS_KEYS });
        }
        let mut out = Self::default();
        for entry in entries {
            match usable_key(entry) {
                Some(key) => out.insert(key)?,
                None => out.skipped += 1,
            }
        }
        if out.keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(out)
    }

    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.get(kid).map(|k| &**k)
    }

    /// How many keys are used.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many of the document's entries were skipped as unusable.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The kids in use, sorted.
    pub fn kids(&self) -> Vec<&str> {
        let mut kids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        kids
    }
}

/// The entry as a key, if it is one a validator may use.
fn usable_key(entry: &Value) -> Option<VerifyingKey> {
    let obj = entry.as_object()?;
    let text = |name: &str| obj.get(name).and_then(Value::as_str);
    let allows = |name: &str, wanted: &str| match obj.get(name) {
        None => true,
        Some(v) => v.as_str() == Some(wanted),
    };
    if text("kty")? != "RSA" || !allows("alg", "RS256") || !allows("use", "sig") {
        return None;
    }
    if let Some(ops) = obj.get("key_ops") {
        let ops = ops.as_array()?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return None;
        }
    }
    let kid = text("kid")?;
    let n = URL_SAFE_NO_PAD.decode(text("n")?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(text("e")?).ok()?;
    VerifyingKey::from_components(kid, &n, &e).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit modulus (any odd number of that size parses as a public key).
    fn modulus() -> String {
        let mut n = vec![0xC5u8; 256];
        n[255] |= 1;
        URL_SAFE_NO_PAD.encode(n)
    }

    fn rsa(kid: &str, extra: &str) -> String {
        format!(
            r#"{{"kty":"RSA","kid":"{kid}","n":"{}","e":"AQAB"{extra}}}"#,
            modulus()
        )
    }

    #[test]
    fn usable_keys_are_kept_and_others_skipped() {
        let doc = format!(
            r#"{{"keys":[{},{},{},{},{},{},{},{},{}]}}"#,
            rsa("a", r#","alg":"RS256","use":"sig""#),
            rsa("b", ""),
            rsa("c", r#","key_ops":["verify"]"#),
            rsa("enc", r#","use":"enc""#),
            rsa("ps", r#","alg":"PS256""#),
            rsa("ops", r#","key_ops":["encrypt"]"#),
            r#"{"kty":"oct","kid":"h","k":"c2VjcmV0"}"#,
            r#"{"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"}"#,
            r#"{"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"}"#,
        );
        let jwks = Jwks::parse(doc.as_bytes()).unwrap();
        assert_eq!(jwks.kids(), ["a", "b", "c"]);
        assert_eq!(jwks.skipped(), 6);
        assert_eq!(jwks.get("a").unwrap().modulus_bits(), 2048);
    }

    #[test]
    fn leading_zeros_are_tolerated() {
        let mut n = vec![0u8];
        n.extend(vec![0xC5u8; 256]);
        let doc = format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"z","n":"{}","e":"AAEAAQ"}}]}}"#,
            URL_SAFE_NO_PAD.encode(n)
        );
        assert_eq!(Jwks::parse(doc.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn documents_are_refused() {
        let dup = format!(r#"{{"keys":[{},{}]}}"#, rsa("a", ""), rsa("a", ""));
        assert_eq!(
            Jwks::parse(dup.as_bytes()).unwrap_err(),
            JwksError::DuplicateKid("a".into())
        );
        assert_eq!(Jwks::parse(b"{}").unwrap_err(), JwksError::MissingKeys);
        assert_eq!(
            Jwks::parse(br#"{"keys":{}}"#).unwrap_err(),
            JwksError::MissingKeys
        );
        assert_eq!(
            Jwks::parse(br#"{"keys":[]}"#).unwrap_err(),
            JwksError::NoUsableKey
        );
        assert_eq!(Jwks::parse(b"[]").unwrap_err(), JwksError::Json);
        assert_eq!(
            Jwks::parse(br#"{"keys":[],"keys":[]}"#).unwrap_err(),
            JwksError::DuplicateKey("keys".into())
        );
        let many = format!(
            r#"{{"keys":[{}]}}"#,
            vec!["{}"; MAX_JWKS_KEYS + 1].join(",")
        );
        assert!(matches!(
            Jwks::parse(many.as_bytes()).unwrap_err(),
            JwksError::TooManyKeys { .. }
        ));
        let big = vec![b' '; MAX_JWKS_BYTES + 1];
        assert!(matches!(
            Jwks::parse(&big).unwrap_err(),
            JwksError::TooLarge { .. }
        ));
    }
}
