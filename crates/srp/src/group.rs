//! The group, `padHex`, and the hashes of numbers.

use crypto_bigint::modular::{MontyForm, MontyParams};
use crypto_bigint::{Odd, U3072};
use ring::digest::{SHA256, digest};

use crate::SrpError;

/// RFC 5054's 3072-bit prime (the same hex as the JS client's `initN`).
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// Bytes of a group element.
pub(crate) const BYTES: usize = 384;

/// Bits of the exponents the server draws (b) and of hash outputs (u, x).
pub(crate) const EXP_BITS: u32 = 256;

pub(crate) type Element = MontyForm<{ U3072::LIMBS }>;

/// The group and k, computed once.
pub(crate) struct Group {
    pub params: MontyParams<{ U3072::LIMBS }>,
    pub g: Element,
    pub k: Element,
}

pub(crate) fn group() -> &'static Group {
    static GROUP: std::sync::LazyLock<Group> = std::sync::LazyLock::new(|| {
        let n = U3072::from_be_hex(N_HEX);
        // N is a constant odd prime: this cannot fail (and `the_group_is_rfc_5054s` runs it).
        #[allow(clippy::expect_used)]
        let odd = Odd::new(n).into_option().expect("N is odd");
        let params = MontyParams::new_vartime(odd);
        let g = MontyForm::new(&U3072::from_u8(2), params);
        let k_hash = digest(&SHA256, &[pad(&n.to_be_bytes()), pad(&[2])].concat());
        let k = MontyForm::new(&from_bytes(k_hash.as_ref()).unwrap_or(U3072::ZERO), params);
        Group { params, g, k }
    });
    &GROUP
}

/// JS `padHex` in bytes: the shortest big-endian form of the number (zero is one zero byte),
/// with a zero byte in front when its top bit is set.
pub fn pad(be: &[u8]) -> Vec<u8> {
    let start = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let digits = be.get(start..).unwrap_or_default();
    let mut out = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|b| *b >= 0x80) {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

/// A big-endian number of at most 384 significant bytes.
pub(crate) fn from_bytes(be: &[u8]) -> Option<U3072> {
    let start = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let digits = be.get(start..)?;
    if digits.len() > BYTES {
        return None;
    }
    let mut buf = [0u8; BYTES];
    buf.get_mut(BYTES - digits.len()..)?.copy_from_slice(digits);
    Some(U3072::from_be_slice(&buf))
}

/// A hexadecimal number as the JS client parses one (`new BigInteger(hex, 16)`), at most 3072
/// bits.
pub(crate) fn from_hex(hex_str: &str) -> Option<U3072> {
    let even = if hex_str.len() % 2 == 1 {
        format!("0{hex_str}")
    } else {
        hex_str.to_string()
    };
    if even.is_empty() {
        return None;
    }
    from_bytes(&hex::decode(even).ok()?)
}

/// Lower-case hex of the number, without leading zeros (how the values travel).
pub(crate) fn to_hex(n: &U3072) -> String {
    let bytes = n.to_be_bytes();
    let h = hex::encode(bytes);
    let trimmed = h.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// padHex form of a number.
pub(crate) fn padded(n: &U3072) -> Vec<u8> {
    pad(&n.to_be_bytes())
}

/// u = H(padHex(A) ‖ padHex(B)).
pub(crate) fn scramble(a: &U3072, b: &U3072) -> U3072 {
    let h = digest(&SHA256, &[padded(a), padded(b)].concat());
    from_bytes(h.as_ref()).unwrap_or(U3072::ZERO)
}

/// x = H(padHex(salt) ‖ H(pool name ‖ user id ‖ ":" ‖ password)).
pub(crate) fn private_key(pool_name: &str, user_id: &str, password: &str, salt: &U3072) -> U3072 {
    let inner = digest(
        &SHA256,
        format!("{pool_name}{user_id}:{password}").as_bytes(),
    );
    let outer = digest(&SHA256, &[padded(salt), inner.as_ref().to_vec()].concat());
    from_bytes(outer.as_ref()).unwrap_or(U3072::ZERO)
}

/// The 16-byte session key: HKDF-SHA256(ikm = padHex(S), salt = padHex(u), "Caldera Derived
/// Key").
pub(crate) fn session_key(s: &U3072, u: &U3072) -> [u8; 16] {
    struct Len16;
    impl ring::hkdf::KeyType for Len16 {
        fn len(&self) -> usize {
            16
        }
    }
    let mut out = [0u8; 16];
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, &padded(u)).extract(&padded(s));
    // Expanding 16 bytes from a 32-byte PRK cannot fail (the limit is 255 × 32).
    if let Ok(okm) = prk.expand(&[b"Caldera Derived Key"], Len16) {
        let _ = okm.fill(&mut out);
    }
    out
}

/// The claim signature: Base64(HMAC-SHA256(key, pool name ‖ user id ‖ secret block ‖
/// timestamp)).
pub(crate) fn claim_signature(
    key: &[u8; 16],
    pool_name: &str,
    user_id: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> ring::hmac::Tag {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(pool_name.as_bytes());
    ctx.update(user_id.as_bytes());
    ctx.update(secret_block);
    ctx.update(timestamp.as_bytes());
    ctx.sign()
}

/// The pool name SRP hashes: the part of the pool id after `_` (`us-east-1_AbC` → `AbC`).
pub fn pool_name(pool_id: &str) -> Result<&str, SrpError> {
    pool_id
        .split_once('_')
        .map(|(_, name)| name)
        .ok_or(SrpError::MalformedPoolId)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples in the JS client's `padHex` documentation (positive ones: SRP's numbers
    /// are never negative).
    #[test]
    fn pad_as_the_js_client() {
        assert_eq!(pad(&[20]), [0x14]);
        assert_eq!(pad(&[236]), [0x00, 0xec]);
        assert_eq!(pad(&[0, 0, 200]), [0x00, 0xc8]);
        assert_eq!(pad(&[56]), [0x38]);
        assert_eq!(pad(&[]), [0x00]);
        assert_eq!(pad(&[0, 0]), [0x00]);
    }

    #[test]
    fn the_group_is_rfc_5054s() {
        let g = group();
        assert_eq!(to_hex(&U3072::from_be_hex(N_HEX)).len(), 768);
        assert_eq!(g.g.retrieve(), U3072::from_u8(2));
        // k as the JS client computes it (hexHash(padHex(N) + padHex(g))).
        assert_eq!(
            to_hex(&g.k.retrieve()),
            include_str!("../tests/vectors/k.hex").trim()
        );
    }

    #[test]
    fn hex_round_trips() {
        let n = from_hex("abc").unwrap();
        assert_eq!(to_hex(&n), "abc");
        assert_eq!(to_hex(&U3072::ZERO), "0");
        assert!(from_hex("").is_none());
        assert!(from_hex("xyz").is_none());
        assert!(from_hex(&"f".repeat(769)).is_none());
        assert!(from_hex(&format!("00{}", "f".repeat(768))).is_some());
    }

    #[test]
    fn pool_names() {
        assert_eq!(pool_name("us-east-1_WildRydes"), Ok("WildRydes"));
        assert_eq!(pool_name("nounderscore"), Err(SrpError::MalformedPoolId));
    }
}
