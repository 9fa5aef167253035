//! Secrets that never print.
//!
//! A secret access key is needed in exactly one place — deriving the SigV4 signing key — and
//! must never reach a log line, an error or an explanation. [`Secret`]'s `Debug` and `Display`
//! are redacted, so structs holding one can derive `Debug` safely.

use std::fmt;
use std::sync::Arc;

/// A secret access key. Its `Debug` and `Display` never show it; [`Secret::expose`] does.
// No `PartialEq`: comparing secrets with `==` would not be constant-time.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(Arc::from(secret.into()))
    }

    /// The secret itself, for signing-key derivation.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}
