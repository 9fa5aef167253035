//! The client's half, as `amazon-cognito-identity-js` computes it: for test kits (feature
//! `client`). A real client is what proves the server; this one drives it from Rust tests.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_bigint::modular::MontyForm;
use crypto_bigint::{U3072, Zero};
use ring::rand::{SecureRandom, SystemRandom};

use crate::group::{self, from_bytes, from_hex, group, to_hex};
use crate::{SrpError, pool_name};

/// Bits of the client's secret a (the JS client draws 128 bytes).
const A_BITS: u32 = 1024;

/// One sign-in's client state: a and A.
pub struct Client {
    a: U3072,
    big_a: U3072,
}

impl Client {
    /// A new random a.
    pub fn new() -> Result<Client, SrpError> {
        let mut bytes = [0u8; 128];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SrpError::Random)?;
        Client::with_a(&bytes)
    }

    /// A given a (vectors).
    pub fn with_a(a_be: &[u8]) -> Result<Client, SrpError> {
        let a = from_bytes(a_be).ok_or(SrpError::MalformedA)?;
        let big_a = group().g.pow_bounded_exp(&a, A_BITS).retrieve();
        Ok(Client { a, big_a })
    }

    /// `SRP_A` for InitiateAuth.
    pub fn srp_a_hex(&self) -> String {
        to_hex(&self.big_a)
    }

    /// `PASSWORD_CLAIM_SIGNATURE` for the challenge (`SALT`, `SRP_B`, `SECRET_BLOCK`), signed
    /// at `timestamp` ([`crate::timestamp::format`]).
    pub fn sign(
        &self,
        pool_id: &str,
        user_id: &str,
        password: &str,
        challenge: &crate::Challenge,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        let g = group();
        let big_b = from_hex(&challenge.srp_b_hex).ok_or(SrpError::InvalidB)?;
        let b_mod = MontyForm::new(&big_b, g.params);
        if bool::from(b_mod.retrieve().is_zero()) {
            return Err(SrpError::InvalidB);
        }
        let salt = from_hex(&challenge.salt_hex).ok_or(SrpError::MalformedSalt)?;
        let u = group::scramble(&self.big_a, &big_b);
        let x = group::private_key(pool_name(pool_id)?, user_id, password, &salt);
        // S = (B − k·g^x)^(a + u·x) mod N; a + u·x < 2^1025 fits easily.
        let base = b_mod - g.k * g.g.pow_bounded_exp(&x, group::EXP_BITS);
        let exponent = u.wrapping_mul(&x).wrapping_add(&self.a);
        let s = base.pow_bounded_exp(&exponent, A_BITS + 1).retrieve();
        let key = group::session_key(&s, &u);
        let block = STANDARD
            .decode(&challenge.secret_block)
            .map_err(|_| SrpError::InvalidSecretBlock)?;
        let tag = group::claim_signature(&key, pool_name(pool_id)?, user_id, &block, timestamp);
        Ok(STANDARD.encode(tag.as_ref()))
    }
}

/// The client's A as a number (for tests that seal challenges by hand).
#[doc(hidden)]
pub fn a_value(client: &Client) -> U3072 {
    client.big_a
}
