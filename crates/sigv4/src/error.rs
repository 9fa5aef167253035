//! Refusals, worded exactly as AWS words them.
//!
//! API Gateway answers every SigV4 refusal with HTTP 403, a JSON body `{"message": "..."}` and an
//! `x-amzn-ErrorType` header. Clients and their tests match on those strings, so [`Error`]'s
//! `Display` *is* the AWS message and [`Error::error_type`] the AWS error code; the gateway maps a
//! variant to a response and never rewords it. Variants keep the pieces the message is built from
//! (never the secret or a derived key) so callers can also log them structurally.

use std::fmt;

/// Why a request's SigV4 authentication was refused. Every variant is answered with HTTP 403.
///
/// `Display` is the message AWS sends, byte for byte where AWS's wording is known (including the
/// trailing space some of them carry). Where AWS's behaviour is undocumented the wording was
/// chosen as follows:
///
/// - [`Error::MalformedCredential`]: AWS's wording for STS-family services,
///   `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '<credential>'`.
/// - [`Error::InvalidExpires`], [`Error::NegativeExpires`]: S3's wording for the same parameter
///   (`X-Amz-Expires should be a number`, `X-Amz-Expires must be non-negative`).
/// - [`Error::PresignedExpired`]: the skew message shape with the expiry in seconds,
///   `Signature expired: <X-Amz-Date> is now earlier than <now - expires> (<now> - <expires> sec.)`.
/// - [`Error::StreamingPayloadUnsupported`]: S3's `NotImplemented` wording,
///   `A header you provided implies functionality that is not implemented.` (aws-chunked bodies
///   are signed per chunk, which a gateway that buffers the body has no use for).
/// - [`Error::UnsupportedAlgorithm`]: `Unsupported AWS 'algorithm': '<algorithm>'.`, as AWS's
///   query-protocol services answer. (A presigned URL with an unknown `X-Amz-Algorithm` is not an
///   error at all: like AWS, [`crate::parse`] treats it as carrying no authentication.)
///
/// Error types: malformed or incomplete authentication information is
/// `IncompleteSignatureException`; well-formed but wrong (scope, time, hash, signature) is
/// `InvalidSignatureException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Authorization header lacks one or more of `Credential`, `Signature`, `SignedHeaders`,
    /// or the request has neither `X-Amz-Date` nor `Date`. AWS lists every missing part, then
    /// echoes the header.
    #[error("{}Authorization={header}", missing.messages())]
    MissingAuthorizationComponents {
        /// Which parts are missing.
        missing: MissingAuthParts,
        /// The Authorization header value as received (lossily decoded).
        header: String,
    },
    /// A comma-separated element of the Authorization header has no `=` (e.g. `Bearer eyJ...`).
    /// AWS no longer echoes the header (it may be a bearer token); it sends its hash instead.
    #[error(
        "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '{header_sha256_base64}'."
    )]
    InvalidKeyValuePair {
        /// Base64 (standard, padded) of the SHA-256 of the Authorization header value.
        header_sha256_base64: String,
    },
    /// The Authorization header names an algorithm other than `AWS4-HMAC-SHA256`.
    #[error("Unsupported AWS 'algorithm': '{algorithm}'.")]
    UnsupportedAlgorithm {
        /// The algorithm as sent.
        algorithm: String,
    },
    /// A presigned request lacks one or more of the `X-Amz-*` query parameters.
    #[error("{}Re-examine the query-string parameters.", missing.messages())]
    MissingQueryParameters {
        /// Which parameters are missing.
        missing: MissingQueryParams,
    },
    /// The credential is not `keyid/date/region/service/terminator`.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    )]
    MalformedCredential {
        /// The credential as sent.
        credential: String,
    },
    /// `X-Amz-Date` (or `Date`) is not a valid date in the expected format.
    #[error(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )]
    InvalidDate {
        /// The date as sent.
        value: String,
    },
    /// `X-Amz-Expires` is not a number.
    #[error("X-Amz-Expires should be a number")]
    InvalidExpires,
    /// `X-Amz-Expires` is negative.
    #[error("X-Amz-Expires must be non-negative")]
    NegativeExpires,
    /// `X-Amz-Expires` exceeds seven days.
    #[error("X-Amz-Expires must be less than a week (in seconds) that is 604800")]
    ExpiresTooLarge,
    /// The credential scope names another region.
    #[error("Credential should be scoped to a valid region, not '{region}'. ")]
    WrongRegion {
        /// The region the client used.
        region: String,
    },
    /// The credential scope names another service.
    #[error("Credential should be scoped to correct service: '{expected}'. ")]
    WrongService {
        /// The service this verifier serves (AWS names the expected one, not the one sent).
        expected: String,
    },
    /// The credential scope does not end in `aws4_request`.
    #[error(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
    )]
    WrongTerminator {
        /// The terminator the client used.
        terminator: String,
    },
    /// The credential scope date differs from the date part of the request time.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{request_time}'."
    )]
    ScopeDateMismatch {
        /// The date in the credential scope.
        scope_date: String,
        /// `YYYYMMDD` of the request time.
        request_date: String,
        /// The request time, ISO-8601 basic format.
        request_time: String,
    },
    /// The request time is more than the allowed skew before now.
    #[error(
        "Signature expired: {request_time} is now earlier than {earliest} ({now} - {skew_minutes} min.)"
    )]
    SignatureExpired {
        /// The request time, ISO-8601 basic format.
        request_time: String,
        /// `now - skew`.
        earliest: String,
        /// The verifier's clock.
        now: String,
        /// The allowed skew in minutes.
        skew_minutes: u64,
    },
    /// The request time is more than the allowed skew after now.
    #[error(
        "Signature not yet current: {request_time} is still later than {latest} ({now} + {skew_minutes} min.)"
    )]
    SignatureNotYetCurrent {
        /// The request time, ISO-8601 basic format.
        request_time: String,
        /// `now + skew`.
        latest: String,
        /// The verifier's clock.
        now: String,
        /// The allowed skew in minutes.
        skew_minutes: u64,
    },
    /// A presigned request is used after `X-Amz-Date + X-Amz-Expires`.
    #[error(
        "Signature expired: {request_time} is now earlier than {earliest} ({now} - {expires} sec.)"
    )]
    PresignedExpired {
        /// The request time, ISO-8601 basic format.
        request_time: String,
        /// `now - expires`.
        earliest: String,
        /// The verifier's clock.
        now: String,
        /// `X-Amz-Expires`.
        expires: u64,
    },
    /// `host` is not among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,
    /// `x-amz-content-sha256` announces an aws-chunked (`STREAMING-*`) body.
    #[error("A header you provided implies functionality that is not implemented.")]
    StreamingPayloadUnsupported,
    /// The signature does not match — or the body does not: a declared `x-amz-content-sha256`
    /// that is not the body's hash, or `UNSIGNED-PAYLOAD` with a body where that is not allowed,
    /// is refused this way too, as API Gateway (which hashes the body itself) refuses it.
    /// Carries AWS's debugging text: the canonical request and the string to sign the server
    /// computed, with the body's hash. Neither contains the secret or the signing key, but the
    /// canonical request may contain the session token and other signed header values: log
    /// [`Error::log_message`] (or [`crate::redact_for_log`] of the message), not this.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
    )]
    SignatureMismatch {
        /// The canonical request the server computed.
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },
}

impl Error {
    /// The AWS error code, sent by API Gateway as `x-amzn-ErrorType`.
    #[must_use]
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::MissingAuthorizationComponents { .. }
            | Self::InvalidKeyValuePair { .. }
            | Self::UnsupportedAlgorithm { .. }
            | Self::MissingQueryParameters { .. }
            | Self::MalformedCredential { .. }
            | Self::InvalidDate { .. }
            | Self::InvalidExpires
            | Self::NegativeExpires
            | Self::ExpiresTooLarge => "IncompleteSignatureException",
            Self::StreamingPayloadUnsupported => "NotImplemented",
            Self::WrongRegion { .. }
            | Self::WrongService { .. }
            | Self::WrongTerminator { .. }
            | Self::ScopeDateMismatch { .. }
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::PresignedExpired { .. }
            | Self::HostNotSigned
            | Self::SignatureMismatch { .. } => "InvalidSignatureException",
        }
    }

    /// The message for logs: `Display` with session tokens and signatures replaced by
    /// `<redacted>` ([`crate::redact_for_log`]). The response keeps AWS's text.
    #[must_use]
    pub fn log_message(&self) -> String {
        let message = self.to_string();
        match crate::redact_for_log(&message) {
            std::borrow::Cow::Borrowed(_) => message,
            std::borrow::Cow::Owned(redacted) => redacted,
        }
    }

    /// The HTTP status AWS answers with: always 403 Forbidden for SigV4 refusals.
    #[must_use]
    pub const fn http_status(&self) -> u16 {
        403
    }
}

/// The parts of header-form authentication AWS checks for, in the order it reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MissingAuthParts {
    /// `Credential=` is absent.
    pub credential: bool,
    /// `Signature=` is absent.
    pub signature: bool,
    /// `SignedHeaders=` is absent.
    pub signed_headers: bool,
    /// Neither `X-Amz-Date` nor `Date` is present.
    pub date: bool,
}

impl MissingAuthParts {
    /// `true` when something is missing.
    #[must_use]
    pub fn any(&self) -> bool {
        self.credential || self.signature || self.signed_headers || self.date
    }

    fn messages(&self) -> Messages {
        Messages(
            [
                (self.credential, "Authorization header requires 'Credential' parameter."),
                (self.signature, "Authorization header requires 'Signature' parameter."),
                (self.signed_headers, "Authorization header requires 'SignedHeaders' parameter."),
                (
                    self.date,
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                ),
            ]
            .into_iter()
            .filter_map(|(missing, msg)| missing.then_some(msg))
            .collect(),
        )
    }
}

/// The presign query parameters AWS checks for, in the order it reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MissingQueryParams {
    /// `X-Amz-Algorithm` is absent.
    pub algorithm: bool,
    /// `X-Amz-Credential` is absent.
    pub credential: bool,
    /// `X-Amz-Signature` is absent.
    pub signature: bool,
    /// `X-Amz-SignedHeaders` is absent.
    pub signed_headers: bool,
    /// `X-Amz-Date` is absent.
    pub date: bool,
}

impl MissingQueryParams {
    /// `true` when something is missing.
    #[must_use]
    pub fn any(&self) -> bool {
        self.algorithm || self.credential || self.signature || self.signed_headers || self.date
    }

    fn messages(&self) -> Messages {
        Messages(
            [
                (
                    self.algorithm,
                    "AWS query-string parameters must include 'X-Amz-Algorithm'.",
                ),
                (
                    self.credential,
                    "AWS query-string parameters must include 'X-Amz-Credential'.",
                ),
                (
                    self.signature,
                    "AWS query-string parameters must include 'X-Amz-Signature'.",
                ),
                (
                    self.signed_headers,
                    "AWS query-string parameters must include 'X-Amz-SignedHeaders'.",
                ),
                (
                    self.date,
                    "AWS query-string parameters must include 'X-Amz-Date'.",
                ),
            ]
            .into_iter()
            .filter_map(|(missing, msg)| missing.then_some(msg))
            .collect(),
        )
    }
}

/// Each message followed by one space, as AWS concatenates them.
struct Messages(Vec<&'static str>);

impl fmt::Display for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.0 {
            f.write_str(m)?;
            f.write_str(" ")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_403() {
        assert_eq!(Error::HostNotSigned.http_status(), 403);
        assert_eq!(Error::InvalidExpires.http_status(), 403);
    }

    #[test]
    fn missing_parts_are_listed_in_aws_order() {
        let e = Error::MissingAuthorizationComponents {
            missing: MissingAuthParts {
                credential: true,
                signature: true,
                signed_headers: true,
                date: true,
            },
            header: "eyJ0".into(),
        };
        assert_eq!(
            e.to_string(),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=eyJ0"
        );
        assert_eq!(e.error_type(), "IncompleteSignatureException");
        let q = Error::MissingQueryParameters {
            missing: MissingQueryParams {
                algorithm: true,
                date: true,
                ..Default::default()
            },
        };
        assert_eq!(
            q.to_string(),
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
        );
    }
}
