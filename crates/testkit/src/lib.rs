//! Test harness for Portcullis integration tests: a recording upstream server, an HTTP client
//! that speaks HTTP/1.1, h2c and HTTPS, and temporary configuration workspaces.
//!
//! Everything listens on and connects to loopback only, and every wait is bounded.
#![allow(clippy::unwrap_used)]

pub mod aws;
pub mod client;
pub mod signer;
pub mod upstream;
pub mod workspace;

pub use client::{Client, TestResponse};
pub use upstream::{Recorded, Upstream};
pub use workspace::Workspace;
