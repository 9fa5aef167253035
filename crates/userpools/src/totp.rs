//! Software-token MFA: TOTP (RFC 6238) as Cognito and authenticator apps use it — HMAC-SHA1,
//! 30-second steps, six digits, the secret handed out Base32-encoded (`AssociateSoftwareToken`'s
//! `SecretCode`). A code is accepted one step either side of now, for clock drift, and never twice:
//! [`verify`] returns the step it matched so the caller can refuse that step and earlier ones next
//! time.

use std::time::{SystemTime, UNIX_EPOCH};

use data_encoding::BASE32_NOPAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

use crate::codes::RandomError;

/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret: 160 bits, RFC 4226's recommendation for HMAC-SHA1.
pub const SECRET_BYTES: usize = 20;

/// A new secret and its Base32 form (what the user types or scans).
pub fn generate_secret() -> Result<(Vec<u8>, String), RandomError> {
    let mut secret = vec![0u8; SECRET_BYTES];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| RandomError)?;
    let encoded = BASE32_NOPAD.encode(&secret);
    Ok((secret, encoded))
}

/// The secret of a Base32 `SecretCode` (padding and lower case accepted).
pub fn decode_secret(encoded: &str) -> Option<Vec<u8>> {
    let upper = encoded.trim_end_matches('=').to_ascii_uppercase();
    BASE32_NOPAD.decode(upper.as_bytes()).ok()
}

/// The step containing `now`.
pub fn step_at(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / STEP_SECS)
}

/// The code of `step` (RFC 4226's HOTP with the step as counter, dynamic truncation).
pub fn code_at(secret: &[u8], step: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = mac.last().map_or(0, |b| usize::from(b & 0x0f));
    let word = mac
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u32::from_be_bytes(b) & 0x7fff_ffff);
    format!(
        "{:0width$}",
        word % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step `code` is valid for at `now` (one step of drift either way), if any, and only if it
/// is later than `last_used` (a code is never accepted twice).
pub fn verify(secret: &[u8], code: &str, now: SystemTime, last_used: Option<u64>) -> Option<u64> {
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut matched = None;
    // Every candidate is computed and compared, matched or not: the time taken does not say
    // which step matched.
    for step in [
        current.saturating_sub(1),
        current,
        current.saturating_add(1),
    ] {
        let ok: bool = code_at(secret, step)
            .as_bytes()
            .ct_eq(code.as_bytes())
            .into();
        if ok && last_used.is_none_or(|used| step > used) && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// RFC 6238 Appendix B (SHA-1 rows), truncated from eight digits to six: the last six digits
    /// of each eight-digit value, since both come from the same 31-bit word.
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, step_at(at(time))), eight[2..], "T = {time}");
        }
    }

    #[test]
    fn drift_of_one_step_and_no_reuse() {
        let secret = b"12345678901234567890";
        let now = at(1_234_567_890);
        let step = step_at(now);
        let code = code_at(secret, step);
        assert_eq!(verify(secret, &code, now, None), Some(step));
        assert_eq!(
            verify(secret, &code, now + Duration::from_secs(30), None),
            Some(step)
        );
        assert_eq!(
            verify(secret, &code, now - Duration::from_secs(30), None),
            Some(step)
        );
        assert_eq!(
            verify(secret, &code, now + Duration::from_secs(90), None),
            None
        );
        assert_eq!(verify(secret, &code, now, Some(step)), None, "used once");
        assert_eq!(verify(secret, "12345", now, None), None);
        assert_eq!(verify(secret, "abcdef", now, None), None);
    }

    #[test]
    fn secrets_round_trip_through_base32() {
        let (secret, encoded) = generate_secret().unwrap();
        assert_eq!(secret.len(), SECRET_BYTES);
        assert_eq!(encoded.len(), 32);
        assert_eq!(decode_secret(&encoded), Some(secret.clone()));
        assert_eq!(decode_secret(&encoded.to_lowercase()), Some(secret));
        assert_eq!(decode_secret("not base32!"), None);
    }

    proptest! {
        /// An independent implementation (the `totp-rs` crate) computes the same codes.
        #[test]
        fn agrees_with_totp_rs(secret in proptest::collection::vec(any::<u8>(), 16..40), time in 0u64..4_000_000_000) {
            let theirs = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.clone())
                .generate(time);
            prop_assert_eq!(code_at(&secret, time / 30), theirs);
        }

        #[test]
        fn verify_never_panics(code in any::<String>(), secret in any::<Vec<u8>>(), t in any::<u64>()) {
            let _ = verify(&secret, &code, at(t % 100_000_000_000), None);
            let _ = decode_secret(&code);
        }
    }
}
