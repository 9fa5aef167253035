//! Minting temporary credentials. Secrets and tokens come from the operating system's
//! cryptographic random source (`ring::rand::SystemRandom`), never from a fast PRNG.

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

/// The alphabet of AWS access key ids (upper-case base32).
const KEY_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

#[derive(Debug, thiserror::Error)]
#[error("the system random source failed")]
pub struct RandomError;

fn random<const N: usize>(rng: &SystemRandom) -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    rng.fill(&mut buf).map_err(|_| RandomError)?;
    Ok(buf)
}

/// A temporary access key id: `ASIA` and 16 base32 characters, as STS issues them.
pub fn access_key_id(rng: &SystemRandom) -> Result<String, RandomError> {
    let bytes: [u8; 16] = random(rng)?;
    let mut id = String::from("ASIA");
    for b in bytes {
        // The index is reduced modulo the alphabet's length: `get` never misses.
        let c = KEY_ALPHABET.get(usize::from(b) % KEY_ALPHABET.len());
        id.push(char::from(c.copied().unwrap_or(b'A')));
    }
    Ok(id)
}

/// A 40-character secret access key.
pub fn secret_access_key(rng: &SystemRandom) -> Result<String, RandomError> {
    let bytes: [u8; 30] = random(rng)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// An opaque session token (256 random bits and more, base64).
pub fn session_token(rng: &SystemRandom) -> Result<String, RandomError> {
    let bytes: [u8; 96] = random(rng)?;
    Ok(format!(
        "IQoJb3JpZ2luX2VjE{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let rng = SystemRandom::new();
        let id = access_key_id(&rng).unwrap();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("ASIA"));
        assert!(id.bytes().all(|b| KEY_ALPHABET.contains(&b)));
        assert_eq!(secret_access_key(&rng).unwrap().len(), 40);
        assert!(session_token(&rng).unwrap().len() > 128);
        assert_ne!(access_key_id(&rng).unwrap(), id);
    }
}
