//! Amazon Cognito's SRP-6a (`USER_SRP_AUTH`), byte for byte as `amazon-cognito-identity-js` (the
//! implementation Amplify uses) computes it, so that unmodified clients sign in:
//!
//! - the 3072-bit group of RFC 5054 with g = 2, SHA-256 throughout;
//! - numbers hashed in `padHex` form: the shortest big-endian bytes, with a leading zero byte
//!   when the top bit is set (Java's `BigInteger.toByteArray`); k = H(N ‖ g), u = H(A ‖ B);
//! - x = H(salt ‖ H(pool name ‖ user id ‖ ":" ‖ password)), the pool name being the part of the
//!   pool id after `_` and the user id Cognito's internal username (`USER_ID_FOR_SRP`);
//! - the session key: HKDF-SHA256 of S with u as salt and "Caldera Derived Key" as info, 16
//!   bytes;
//! - the proof: `PASSWORD_CLAIM_SIGNATURE` = Base64(HMAC-SHA256(key, pool name ‖ user id ‖
//!   SECRET_BLOCK bytes ‖ TIMESTAMP)).
//!
//! Written by hand: the RustCrypto `srp` crate implements RFC 5054's SRP-6a, whose k, u and
//! padding differ and which has no HKDF step or claim signature. The arithmetic is
//! `crypto-bigint`'s constant-time Montgomery form; hashing, HMAC, HKDF, the AEAD and randomness
//! are `ring`'s.
//!
//! The server keeps no state between the two calls: the `SECRET_BLOCK` it hands out seals its
//! ephemeral secret `b` and the client's `A` with ChaCha20-Poly1305 under a key of the server's
//! ([`ServerKey`]), bound to the pool and user, and dated ([`server`]).

// On the request path: no code path may panic on what a request brings. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

#[cfg(feature = "client")]
pub mod client;
mod group;
pub mod server;
pub mod timestamp;

pub use group::{pad, pool_name};
pub use server::{Challenge, ServerKey, Verifier};

/// Why an SRP exchange was refused. The messages say what was wrong with the input, never a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    #[error("SRP_A is not a hexadecimal number below 2^3072")]
    MalformedA,
    #[error("SRP_A is zero modulo N")]
    InvalidA,
    #[error("SRP_B is not a valid server value")]
    InvalidB,
    #[error("the salt is not a hexadecimal number of at most 384 bytes")]
    MalformedSalt,
    #[error("the secret block is malformed or was not issued by this server for this user")]
    InvalidSecretBlock,
    #[error("the secret block has expired")]
    ExpiredSecretBlock,
    #[error("the timestamp is not in the form \"Tue Dec 1 08:05:09 UTC 2026\"")]
    MalformedTimestamp,
    #[error("the timestamp is too far from the server's clock")]
    TimestampSkew,
    #[error("the password claim signature is malformed")]
    MalformedSignature,
    #[error("the password claim signature does not match")]
    BadSignature,
    #[error("the pool id has no `_`")]
    MalformedPoolId,
    #[error("the system's random source failed")]
    Random,
    #[error("the stored verifier is malformed")]
    MalformedVerifier,
}
