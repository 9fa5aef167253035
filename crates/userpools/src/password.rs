//! The pool's password policy, checked with Cognito's messages, and password hashing.
//!
//! Passwords are hashed with Argon2id at OWASP's recommended parameters (19 MiB, two passes, one
//! lane). A sign-in for a user that does not exist verifies the password against a dummy hash of
//! the same parameters, so that an unknown user and a wrong password cost the same time
//! ([`PasswordHasher::verify_none`]).

use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{CognitoError, ErrorType};

/// Cognito's characters that count as symbols (the developer guide's list; a space counts when it
/// is neither first nor last, which the pattern check guarantees).
pub const SYMBOLS: &str = "^$*.[]{}()?-\"!@#%&/\\,><':;|_~`+= ";

/// Cognito's longest password.
pub const MAX_LENGTH: usize = 256;

/// A user pool's `PasswordPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// 6 to 99 in Cognito; default 8.
    pub minimum_length: usize,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// How long a temporary password (AdminCreateUser) may be used; default 7 days.
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    /// Cognito's default policy for a new pool.
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: 8,
            require_lowercase: true,
            require_uppercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password as Cognito does: the parameter's own constraints first
    /// (`InvalidParameterException`), then the policy, one failure at a time in Cognito's order
    /// (`InvalidPasswordException`).
    pub fn check(&self, password: &str) -> Result<(), CognitoError> {
        let chars = password.chars().count();
        let edges_ok = password
            .chars()
            .next()
            .zip(password.chars().last())
            .is_some_and(|(first, last)| !first.is_whitespace() && !last.is_whitespace());
        if !(2..=MAX_LENGTH).contains(&chars) || !edges_ok {
            return Err(CognitoError::new(
                ErrorType::InvalidParameter,
                "1 validation error detected: Value at 'password' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$",
            ));
        }
        let fail = |what: &str| {
            Err(CognitoError::new(
                ErrorType::InvalidPassword,
                format!("Password did not conform with policy: {what}"),
            ))
        };
        if chars < self.minimum_length {
            return fail("Password not long enough");
        }
        if self.require_uppercase && !password.chars().any(|c| c.is_ascii_uppercase()) {
            return fail("Password must have uppercase characters");
        }
        if self.require_lowercase && !password.chars().any(|c| c.is_ascii_lowercase()) {
            return fail("Password must have lowercase characters");
        }
        if self.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            return fail("Password must have numeric characters");
        }
        if self.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
            return fail("Password must have symbol characters");
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the system's random source failed")]
    Random,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Argon2id hashing and verification, with the dummy hash for unknown users.
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    dummy: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

/// OWASP's Argon2id recommendation: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

impl PasswordHasher {
    pub fn new() -> Result<Self, HashError> {
        Self::with_params(MEMORY_KIB, PASSES)
    }

    /// Lighter parameters, for tests that hash many passwords. Never for a running pool.
    pub fn for_tests() -> Result<Self, HashError> {
        Self::with_params(64, 1)
    }

    fn with_params(memory_kib: u32, passes: u32) -> Result<Self, HashError> {
        let params = Params::new(memory_kib, passes, LANES, None)
            .map_err(|e| HashError::Hash(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut hasher = PasswordHasher {
            argon2,
            dummy: String::new(),
        };
        hasher.dummy = hasher.hash("a password no user has")?;
        Ok(hasher)
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of `password` with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        use argon2::password_hash::PasswordHasher as _;
        let mut salt = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
            .map_err(|_| HashError::Random)?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| HashError::Hash(e.to_string()))?;
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError::Hash(e.to_string()))
    }

    /// Whether `password` matches the stored PHC string. A malformed stored hash matches
    /// nothing. The parameters come from the stored string, so hashes made with older
    /// parameters still verify.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        PasswordHash::new(phc)
            .is_ok_and(|h| self.argon2.verify_password(password.as_bytes(), &h).is_ok())
    }

    /// The same work as [`PasswordHasher::verify`] for a user that does not exist; always false.
    pub fn verify_none(&self, password: &str) -> bool {
        // Computed, then discarded: what matters is that it takes the time a real check takes.
        let _ = self.verify(password, &self.dummy);
        false
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn refused(policy: &PasswordPolicy, password: &str) -> String {
        match policy.check(password) {
            Ok(()) => panic!("{password:?} accepted"),
            Err(e) => format!("{}: {}", e.kind.name(), e.message),
        }
    }

    #[test]
    fn the_policy_is_checked_in_cognitos_order_and_words() {
        let p = PasswordPolicy::default();
        assert!(p.check("Passw0rd!").is_ok());
        assert!(p.check("Pass w0rd!").is_ok(), "an inner space is a symbol");
        let not_conform = "InvalidPasswordException: Password did not conform with policy: ";
        assert_eq!(
            refused(&p, "Pa0!"),
            format!("{not_conform}Password not long enough")
        );
        assert_eq!(
            refused(&p, "password0!"),
            format!("{not_conform}Password must have uppercase characters")
        );
        assert_eq!(
            refused(&p, "PASSWORD0!"),
            format!("{not_conform}Password must have lowercase characters")
        );
        assert_eq!(
            refused(&p, "Password!!"),
            format!("{not_conform}Password must have numeric characters")
        );
        assert_eq!(
            refused(&p, "Password00"),
            format!("{not_conform}Password must have symbol characters")
        );
        for bad in ["", "x", " Passw0rd!", "Passw0rd! ", &"Aa0!".repeat(65)] {
            assert!(
                refused(&p, bad).starts_with("InvalidParameterException"),
                "{bad:?}"
            );
        }
        let lax = PasswordPolicy {
            minimum_length: 6,
            require_lowercase: false,
            require_uppercase: false,
            require_numbers: false,
            require_symbols: false,
            ..PasswordPolicy::default()
        };
        assert!(lax.check("aaaaaa").is_ok());
        assert!(lax.check("aaaaa").is_err());
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let h = PasswordHasher::for_tests().unwrap();
        let phc = h.hash("Passw0rd!").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"));
        assert!(h.verify("Passw0rd!", &phc));
        assert!(!h.verify("Passw0rd?", &phc));
        assert!(!h.verify("Passw0rd!", "not a hash"));
        assert!(!h.verify_none("a password no user has"));
        assert_ne!(phc, h.hash("Passw0rd!").unwrap(), "salted");
    }

    #[test]
    fn the_default_parameters_are_owasps() {
        let h = PasswordHasher::new().unwrap();
        let phc = h.hash("Passw0rd!").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    proptest! {
        #[test]
        fn the_check_never_panics(password in any::<String>()) {
            let _ = PasswordPolicy::default().check(&password);
        }
    }
}
