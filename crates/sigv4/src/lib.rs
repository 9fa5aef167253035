//! Server-side verification of AWS Signature Version 4, as API Gateway performs it for
//! IAM-authorized (`AWS_IAM`) methods, so that unmodified AWS clients authenticate against
//! Portcullis.
//!
//! # Using it
//!
//! ```
//! # use std::time::{Duration, UNIX_EPOCH};
//! # use http::HeaderMap;
//! use sigv4::{Request, Verifier};
//!
//! # let mut headers = HeaderMap::new();
//! # headers.insert("host", "example.amazonaws.com".parse().unwrap());
//! # headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
//! # headers.insert("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31".parse().unwrap());
//! # let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
//! let verifier = Verifier::new("us-east-1", "service"); // one per gateway, shared by all threads
//! let req = Request { method: "GET", path: "/", query: "", headers: &headers };
//! let Some(auth) = sigv4::parse(&req)? else {
//!     unreachable!("no SigV4 auth: answer \"Missing Authentication Token\"");
//! };
//! verifier.precheck(&auth, now)?; // no secret needed: scope, clock, expiry
//! let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"; // looked up by auth.access_key_id()
//! verifier.verify(&auth, &req, b"", secret, now)?;
//! # Ok::<(), sigv4::Error>(())
//! ```
//!
//! Every refusal is an [`Error`] whose `Display` is the exact message AWS sends and whose
//! [`Error::error_type`] is AWS's `x-amzn-ErrorType`; all are answered with 403.
//!
//! The stages are values too, so tests can compare them with AWS's vector files one by one:
//! [`canonical_request`] and [`string_to_sign`] print as the text AWS documents.
//!
//! # Invariants
//!
//! - **Pure.** No I/O, no global clock (the caller passes `now`), no async, no logging. The only
//!   shared state is the [`KeyCache`] inside a [`Verifier`] and per-thread scratch buffers.
//! - **Secrets stay secret.** Neither the secret access key nor a derived signing key appears in
//!   any message, `Debug` output or error; the session token is redacted from `Debug`. A
//!   signature-mismatch message (AWS's text) shows the canonical request, which may hold the
//!   session token: logs get [`redact_for_log`] / [`Error::log_message`] instead.
//! - **No panics on untrusted input.** Parsing and canonicalization are total; the crate's fuzz
//!   target (`fuzz/`) drives arbitrary headers, paths, queries and bodies through both.
//! - **Constant-time comparison** of signatures (`subtle`).
//! - **Exactly what the client signed.** The canonical request is rebuilt from the client's own
//!   `SignedHeaders` and raw path and query, with the encodings AWS's signers use; where signers
//!   legitimately differ (path normalization, a session token appended after presigning,
//!   `UNSIGNED-PAYLOAD` in presigned URLs) both readings are tried, each a full signature check.
//! - **Tampering is caught.** Any change to a signed component changes the canonical request. The
//!   payload hash is computed from the body that arrived (a declared `x-amz-content-sha256` is
//!   only compared with it), and `UNSIGNED-PAYLOAD` is only accepted for an empty body unless
//!   [`Verifier::allow_unsigned_payload`] says otherwise.
//!
//! # Cost
//!
//! Built for the proxy's hot path: the canonical request is written into one reused buffer per
//! thread (no allocation per header or query parameter), signing keys are cached per
//! (secret, date, region, service) as prepared HMAC keys, and an empty body's hash is a constant. `benches/verify.rs` compares this with re-signing through `aws-sigv4`.

// On the request path: input that reaches this crate comes from clients, so no code path may
// panic on it. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod auth;
mod canonical;
mod datetime;
mod encode;
mod error;
mod key;
mod parse;
mod redact;
mod verify;

pub use auth::{Form, ParsedAuth};
pub use canonical::{
    CanonicalOptions, CanonicalRequest, StringToSign, canonical_request, canonical_request_with,
    string_to_sign,
};
pub use error::{Error, MissingAuthParts, MissingQueryParams};
pub use key::{KeyCache, SigningKey};
pub use parse::parse;
pub use redact::redact_for_log;
pub use verify::{UNSIGNED_PAYLOAD, Verifier, payload_hash};

/// The only algorithm SigV4 (as opposed to SigV4a) defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every SigV4 credential scope.
pub const ALGORITHM_TERMINATOR: &str = "aws4_request";

/// The parts of an HTTP request the verifier reads.
///
/// `path` and `query` are exactly as received on the wire: still percent-encoded, the query
/// without its leading `?` (`""` when absent). `headers` must contain `host` (the gateway copies
/// the HTTP/2 `:authority` into it).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The raw path, e.g. `/prod/pets/%40me`.
    pub path: &'a str,
    /// The raw query without `?`, e.g. `a=1&b=x%20y`.
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a http::HeaderMap,
}

impl<'a> Request<'a> {
    /// Borrows the verifier's view of an `http` request head.
    #[must_use]
    pub fn from_parts(parts: &'a http::request::Parts) -> Self {
        Self {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Verifier>();
        assert_send_sync::<KeyCache>();
        assert_send_sync::<ParsedAuth>();
        assert_send_sync::<Error>();
    }

    #[test]
    fn request_from_http_parts() {
        let (parts, ()) = http::Request::builder()
            .method("POST")
            .uri("https://h.example/prod/a%20b?x=1&y")
            .header("host", "h.example")
            .body(())
            .unwrap()
            .into_parts();
        let r = Request::from_parts(&parts);
        assert_eq!(
            (r.method, r.path, r.query),
            ("POST", "/prod/a%20b", "x=1&y")
        );
        assert!(r.headers.contains_key("host"));
    }
}
