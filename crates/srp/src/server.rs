//! The server's half: the verifier stored when a password is set, the `USER_SRP_AUTH`
//! challenge, and the `PASSWORD_VERIFIER` check.
//!
//! The `SECRET_BLOCK` is `nonce ‖ ChaCha20-Poly1305(version ‖ issued ‖ b ‖ A ‖ B)` (B too,
//! though b gives it, to save an exponentiation when checking), with the pool id
//! and user id as associated data: the server needs no state between the calls, a block is good
//! only for the user it was issued to, and a changed byte anywhere is refused. A block is good for
//! [`BLOCK_LIFETIME`]; the signed `TIMESTAMP` must be within [`TIMESTAMP_SKEW`] of the server's
//! clock.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_bigint::modular::MontyForm;
use crypto_bigint::{U3072, Zero};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

use crate::group::{self, BYTES, EXP_BITS, from_bytes, from_hex, group, to_hex};
use crate::{SrpError, timestamp};

/// How long a challenge may be answered (Cognito's default authentication session is 3
/// minutes; the client answers at once).
pub const BLOCK_LIFETIME: Duration = Duration::from_secs(180);

/// How far the signed timestamp may be from the server's clock, either way.
pub const TIMESTAMP_SKEW: Duration = Duration::from_secs(300);

const VERSION: u8 = 1;
const PLAIN_LEN: usize = 1 + 8 + 32 + 2 * BYTES;

/// What storage keeps of a password for SRP: the salt and v = g^x.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub salt: Vec<u8>,
    pub verifier: Vec<u8>,
}

// Hand-written: a verifier allows an offline guessing attack on the password.
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

fn random(bytes: &mut [u8]) -> Result<(), SrpError> {
    SystemRandom::new()
        .fill(bytes)
        .map_err(|_| SrpError::Random)
}

impl Verifier {
    /// A new random salt and the verifier of `password` for `user_id` in `pool_id`.
    pub fn new(pool_id: &str, user_id: &str, password: &str) -> Result<Verifier, SrpError> {
        let mut salt = [0u8; 16];
        random(&mut salt)?;
        Verifier::with_salt(pool_id, user_id, password, &salt)
    }

    /// The verifier for a given salt (tests, and vectors).
    pub fn with_salt(
        pool_id: &str,
        user_id: &str,
        password: &str,
        salt: &[u8],
    ) -> Result<Verifier, SrpError> {
        let g = group();
        let salt_n = from_bytes(salt).ok_or(SrpError::MalformedSalt)?;
        let x = group::private_key(crate::pool_name(pool_id)?, user_id, password, &salt_n);
        let v = g.g.pow_bounded_exp(&x, EXP_BITS).retrieve();
        Ok(Verifier {
            salt: salt.to_vec(),
            verifier: v.to_be_bytes().to_vec(),
        })
    }

    fn v(&self) -> Result<U3072, SrpError> {
        from_bytes(&self.verifier).ok_or(SrpError::MalformedVerifier)
    }
}

/// The server's key for sealing secret blocks. Every node serving a pool needs the same key.
pub struct ServerKey(LessSafeKey);

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    /// A key from 32 bytes of secret.
    pub fn new(bytes: &[u8; 32]) -> ServerKey {
        // A 32-byte key is what ChaCha20-Poly1305 takes: this cannot fail.
        #[allow(clippy::expect_used)]
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes).expect("a 32-byte key");
        ServerKey(LessSafeKey::new(key))
    }

    /// A new random key.
    pub fn generate() -> Result<ServerKey, SrpError> {
        let mut bytes = [0u8; 32];
        random(&mut bytes)?;
        Ok(ServerKey::new(&bytes))
    }
}

/// The challenge parameters of `USER_SRP_AUTH`'s answer (with `USER_ID_FOR_SRP`, which the
/// caller knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub salt_hex: String,
    pub srp_b_hex: String,
    pub secret_block: String,
}

fn aad(pool_id: &str, user_id: &str) -> Vec<u8> {
    // Length-prefixed, so that ("a_b", "c") and ("a", "_bc") differ.
    let mut out = Vec::with_capacity(pool_id.len() + user_id.len() + 8);
    out.extend_from_slice(&(pool_id.len() as u64).to_be_bytes());
    out.extend_from_slice(pool_id.as_bytes());
    out.extend_from_slice(user_id.as_bytes());
    out
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// B = k·v + g^b mod N.
fn public_b(v: &U3072, b: &U3072) -> U3072 {
    let g = group();
    let v = MontyForm::new(v, g.params);
    (g.k * v + g.g.pow_bounded_exp(b, EXP_BITS)).retrieve()
}

/// Answers `USER_SRP_AUTH`: checks `SRP_A`, draws b, and seals what [`verify`] needs.
pub fn challenge(
    key: &ServerKey,
    pool_id: &str,
    user_id: &str,
    verifier: &Verifier,
    srp_a_hex: &str,
    now: SystemTime,
) -> Result<Challenge, SrpError> {
    let a = from_hex(srp_a_hex).ok_or(SrpError::MalformedA)?;
    let g = group();
    if bool::from(MontyForm::new(&a, g.params).retrieve().is_zero()) {
        return Err(SrpError::InvalidA);
    }
    let mut b_bytes = [0u8; 32];
    random(&mut b_bytes)?;
    challenge_with(key, pool_id, user_id, verifier, a, &b_bytes, now)
}

/// [`challenge`] with a given b (vectors and tests).
#[doc(hidden)]
pub fn challenge_with(
    key: &ServerKey,
    pool_id: &str,
    user_id: &str,
    verifier: &Verifier,
    a: U3072,
    b_bytes: &[u8; 32],
    now: SystemTime,
) -> Result<Challenge, SrpError> {
    let b = from_bytes(b_bytes).unwrap_or(U3072::ZERO);
    let big_b = public_b(&verifier.v()?, &b);
    let mut plain = Vec::with_capacity(PLAIN_LEN + 16);
    plain.push(VERSION);
    plain.extend_from_slice(&unix(now).to_be_bytes());
    plain.extend_from_slice(b_bytes);
    plain.extend_from_slice(&a.to_be_bytes());
    plain.extend_from_slice(&big_b.to_be_bytes());
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut nonce)?;
    key.0
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(pool_id, user_id)),
            &mut plain,
        )
        .map_err(|_| SrpError::InvalidSecretBlock)?;
    let block = [nonce.as_slice(), &plain].concat();
    let salt = from_bytes(&verifier.salt).ok_or(SrpError::MalformedSalt)?;
    Ok(Challenge {
        salt_hex: to_hex(&salt),
        srp_b_hex: to_hex(&big_b),
        secret_block: STANDARD.encode(block),
    })
}

/// The answers of `PASSWORD_VERIFIER`, as the client sent them.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub secret_block: &'a str,
    pub signature: &'a str,
    pub timestamp: &'a str,
}

/// Checks a `PASSWORD_VERIFIER` answer: the block is this server's, for this user, and fresh;
/// the timestamp is near now; the signature proves the password. Any failure is an error; the
/// caller answers them all alike (`NotAuthorizedException`).
pub fn verify(
    key: &ServerKey,
    pool_id: &str,
    user_id: &str,
    verifier: &Verifier,
    claim: Claim<'_>,
    now: SystemTime,
) -> Result<(), SrpError> {
    let block = STANDARD
        .decode(claim.secret_block)
        .map_err(|_| SrpError::InvalidSecretBlock)?;
    let (nonce, sealed) = block
        .split_at_checked(NONCE_LEN)
        .ok_or(SrpError::InvalidSecretBlock)?;
    let nonce =
        Nonce::try_assume_unique_for_key(nonce).map_err(|_| SrpError::InvalidSecretBlock)?;
    let mut sealed = sealed.to_vec();
    let plain = key
        .0
        .open_in_place(nonce, Aad::from(aad(pool_id, user_id)), &mut sealed)
        .map_err(|_| SrpError::InvalidSecretBlock)?;
    if plain.len() != PLAIN_LEN || plain.first() != Some(&VERSION) {
        return Err(SrpError::InvalidSecretBlock);
    }
    let issued = plain
        .get(1..9)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or(SrpError::InvalidSecretBlock)?;
    if unix(now) > issued.saturating_add(BLOCK_LIFETIME.as_secs()) {
        return Err(SrpError::ExpiredSecretBlock);
    }
    let b = plain
        .get(9..41)
        .and_then(from_bytes)
        .ok_or(SrpError::InvalidSecretBlock)?;
    let a = plain
        .get(41..41 + BYTES)
        .and_then(from_bytes)
        .ok_or(SrpError::InvalidSecretBlock)?;
    let big_b = plain
        .get(41 + BYTES..)
        .and_then(from_bytes)
        .ok_or(SrpError::InvalidSecretBlock)?;

    let signed_at = timestamp::parse(claim.timestamp)?;
    let skew = signed_at
        .duration_since(now)
        .or_else(|_| now.duration_since(signed_at))
        .unwrap_or(Duration::MAX);
    if skew > TIMESTAMP_SKEW {
        return Err(SrpError::TimestampSkew);
    }
    let presented = STANDARD
        .decode(claim.signature)
        .map_err(|_| SrpError::MalformedSignature)?;

    let v = verifier.v()?;
    let u = group::scramble(&a, &big_b);
    let g = group();
    // S = (A · v^u)^b mod N.
    let base =
        MontyForm::new(&a, g.params) * MontyForm::new(&v, g.params).pow_bounded_exp(&u, EXP_BITS);
    let s = base.pow_bounded_exp(&b, EXP_BITS).retrieve();
    let session = group::session_key(&s, &u);
    let expected = group::claim_signature(
        &session,
        crate::pool_name(pool_id)?,
        user_id,
        &block,
        claim.timestamp,
    );
    if bool::from(expected.as_ref().ct_eq(&presented)) {
        Ok(())
    } else {
        Err(SrpError::BadSignature)
    }
}
