//! PKCE (RFC 7636) as Cognito serves it: the `S256` method only. A challenge is
//! `base64url(SHA-256(verifier))` without padding (43 characters); a verifier is 43 to 128
//! unreserved characters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// The only `code_challenge_method` served (Cognito's too; `plain` is refused).
pub(crate) const S256: &str = "S256";

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub(crate) fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len()) && verifier.bytes().all(unreserved)
}

/// An S256 challenge: the base64url form of 32 bytes.
pub(crate) fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// `base64url(SHA-256(verifier))`.
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// Whether `verifier` is a well-formed verifier of `challenge`, compared in constant time.
pub(crate) fn verifies(challenge: &str, verifier: &str) -> bool {
    valid_verifier(verifier) && bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_vector() {
        assert_eq!(s256(VERIFIER), CHALLENGE);
        assert!(valid_challenge(CHALLENGE));
        assert!(verifies(CHALLENGE, VERIFIER));
    }

    #[test]
    fn wrong_or_malformed_verifiers_are_refused() {
        let mut other = VERIFIER.to_string();
        other.replace_range(0..1, "e");
        assert!(!verifies(CHALLENGE, &other));
        // The challenge itself (the `plain` method) is not a verifier of it.
        assert!(!verifies(CHALLENGE, CHALLENGE));
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}+", &VERIFIER[..43])));
        assert!(valid_verifier(&"a".repeat(128)));
        assert!(!valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"
        ));
        assert!(!valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }
}
