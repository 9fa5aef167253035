//! AWS Security Token Service, the part Portcullis serves on its edge endpoint: `AssumeRole`,
//! `AssumeRoleWithWebIdentity` ([`web_identity`]) and `GetCallerIdentity`, in STS's query
//! protocol (form-encoded parameters, XML answers), so that the AWS SDKs and CLI work against
//! it with only an endpoint override.
//!
//! This crate is pure: it parses and validates requests ([`request`]), mints credentials from a
//! cryptographic random source ([`credentials`]), and writes the XML AWS writes ([`response`]).
//! Authenticating the caller, checking the trust policy and storing the session are the gateway's
//! work.

// On the request path: input that reaches this crate comes from clients, so no code path may
// panic on it. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod credentials;
pub mod error;
pub mod request;
pub mod response;
pub mod tags;
pub mod web_identity;

pub use error::StsError;
pub use request::{AssumeRole, StsRequest, parse};
pub use web_identity::AssumeRoleWithWebIdentity;

/// STS's XML namespace and API version.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub const VERSION: &str = "2011-06-15";
