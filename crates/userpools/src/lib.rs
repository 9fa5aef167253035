//! User pools as Amazon Cognito runs them, the parts that are pure computation: the password
//! policy and its messages, password hashing (Argon2id), the app client's `SECRET_HASH`,
//! confirmation codes, TOTP software tokens, attribute names and sign-in aliases, and the JSON error shape of Cognito's
//! Identity Provider API. Tokens are `tokens`' and SRP is `srp`'s; the users' storage and the
//! service that combines them are not built yet (see `ARCHITECTURE.md`).
//!
//! Every function here is deterministic given its inputs, except those named for randomness
//! (`generate_*`), which take their bytes from the operating system through `ring`.

// On the request path: no code path may panic on what a request brings. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod attributes;
pub mod codes;
pub mod error;
pub mod filter;
pub mod password;
pub mod secret_hash;
pub mod totp;

pub use error::{CognitoError, ErrorType};
pub use password::{PasswordHasher, PasswordPolicy};
