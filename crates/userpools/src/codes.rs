//! Confirmation and reset codes (six digits, as Cognito sends) and temporary passwords; storage
//! keeps a code only as its SHA-256.

use ring::rand::{SecureRandom, SystemRandom};

use crate::password::{PasswordPolicy, SYMBOLS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system's random source failed")]
pub struct RandomError;

/// A uniformly random integer below `bound` (> 0), by rejection: no modulo bias.
fn below(rng: &SystemRandom, bound: u32) -> Result<u32, RandomError> {
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let mut b = [0u8; 4];
        rng.fill(&mut b).map_err(|_| RandomError)?;
        let n = u32::from_le_bytes(b);
        if n < zone {
            return Ok(n % bound);
        }
    }
}

/// A six-digit code (`000000`–`999999`).
pub fn generate_code() -> Result<String, RandomError> {
    Ok(format!("{:06}", below(&SystemRandom::new(), 1_000_000)?))
}

/// SHA-256 of a code: what storage keeps and compares.
pub fn code_digest(code: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, code.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// A temporary password (AdminCreateUser without one) that satisfies `policy`: at least 12
/// characters, with one of each class whatever the policy requires.
pub fn generate_temporary_password(policy: &PasswordPolicy) -> Result<String, RandomError> {
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let symbols: Vec<u8> = SYMBOLS.bytes().filter(|b| *b != b' ').collect();
    let rng = SystemRandom::new();
    let pick = |set: &[u8]| -> Result<char, RandomError> {
        let i = below(&rng, u32::try_from(set.len()).unwrap_or(1))?;
        Ok(set.get(i as usize).copied().map_or('x', char::from))
    };
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, &symbols].concat();
    let mut chars = vec![pick(LOWER)?, pick(UPPER)?, pick(DIGITS)?, pick(&symbols)?];
    while chars.len() < policy.minimum_length.max(12) {
        chars.push(pick(&all)?);
    }
    // Shuffle (Fisher–Yates) so the classes are not always in front.
    for i in (1..chars.len()).rev() {
        let j = below(&rng, u32::try_from(i + 1).unwrap_or(1))? as usize;
        chars.swap(i, j);
    }
    Ok(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = generate_code().unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(code_digest("123456"), code_digest("123456"));
        assert_ne!(code_digest("123456"), code_digest("123457"));
    }

    #[test]
    fn temporary_passwords_satisfy_the_policy() {
        let strict = PasswordPolicy {
            minimum_length: 20,
            ..PasswordPolicy::default()
        };
        for policy in [PasswordPolicy::default(), strict] {
            for _ in 0..50 {
                let p = generate_temporary_password(&policy).unwrap();
                assert!(policy.check(&p).is_ok(), "{p:?}");
                assert!(p.chars().count() >= policy.minimum_length.max(12));
            }
        }
    }
}
