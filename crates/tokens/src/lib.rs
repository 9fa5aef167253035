//! JSON Web Tokens as Amazon Cognito user pools issue them and as API Gateway's authorizers
//! check them: the groundwork of Portcullis's Cognito-compatible user pools and of its
//! `COGNITO_USER_POOLS` and `jwt` authorizers.
//!
//! - [`keys`]: a pool's RS256 signing keys, their storage form, rotation and pruning, and the
//!   JWKS document that publishes them.
//! - [`issue`]: ID and access tokens with Cognito's claims.
//! - [`open_id`]: identity pools' OpenID tokens (`GetOpenIdToken`).
//! - [`jwks`]: the keys a validator trusts, read from any issuer's JWKS document.
//! - [`validate`]: the [`Validator`], hardened against the JWT attack catalogue; each refusal
//!   is a [`TokenError`].
//! - [`cache`]: [`CachingValidator`], which remembers verified tokens until they expire.
//! - [`claims`]: the verified claims ([`Verified`]) and their rendering for `$context`.
//! - [`discovery`]: the pool's OpenID configuration; reading another issuer's.
//!
//! The crate is pure: time is always a parameter (`now`), keys and JWKS documents are values,
//! and it does no network or disk I/O. Its only randomness is the operating system's, for new
//! RSA keys and [`issue::TokenIds::random`].
//!
//! ## Why AWS-LC, and not `jsonwebtoken`
//!
//! The cryptography is `aws-lc-rs`. The RustCrypto `rsa` crate is out: it carries
//! RUSTSEC-2023-0071 (the Marvin timing attack) with no fixed release, and CI's `cargo audit`
//! must stay clean. `ring`, already in the workspace, verifies and signs RS256 but cannot
//! generate RSA keys, which a user pool must. `aws-lc-rs` does both, and its
//! `ParsedPublicKey` parses a JWKS key once, so a verification costs only the RSA operation.
//!
//! `jsonwebtoken` (12, with its `aws_lc_rs` backend) was considered and not used: its
//! `decode` reads the system clock for `exp`/`nbf` (our cores take time as a parameter); a
//! hardened validator must read the raw header itself anyway (duplicate members, `crit`,
//! `alg: none` in any case, before choosing a key); and its RSA backend re-parses the key on
//! every call — the private key from DER for each signature, the public key from `n`/`e` for
//! each verification. What would remain of it is the base64url and JSON framing, a few lines
//! here (`issue::sign`, `validate::split`). Its independent check comes from the tests
//! instead: tokens cross to and from Python's PyJWT.

// Tokens, JWKS documents and discovery documents come from clients and other servers: no code
// path may panic on them. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod cache;
pub mod claims;
pub mod discovery;
pub mod error;
pub mod issue;
mod json;
pub mod jwks;
pub mod keys;
pub mod open_id;
mod time;
pub mod validate;

pub use cache::CachingValidator;
pub use claims::{ClaimsStyle, TokenUse, Verified};
pub use error::{DiscoveryError, IssueError, JwksError, KeyError, TokenError};
pub use issue::{AccessToken, IdToken, TokenIds};
pub use jwks::{Jwks, VerifyingKey};
pub use keys::{Jwk, JwkSet, KeySet, SigningKey, StoredKey};
pub use validate::{
    Audiences, ExpectedUse, MAX_TOKEN_BYTES, Validator, ValidatorConfig, unverified_issuer,
};
