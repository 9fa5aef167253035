//! The crate's errors, one type per activity: validating a token ([`TokenError`], the refusals
//! an authorizer answers with 401), reading a key set ([`JwksError`]), keeping signing keys
//! ([`KeyError`]), issuing ([`IssueError`]) and reading a discovery document
//! ([`DiscoveryError`]).
//!
//! Refusal messages never repeat what the token carried beyond a short, printable prefix: they
//! end up in logs, and a token is attacker-controlled text.

use thiserror::Error;

/// Why a token was refused. Every variant is a refusal (the caller answers 401 Unauthorized);
/// [`TokenError::code`] gives each a stable name for logs, metrics and test tables.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    #[error("token longer than {max} bytes")]
    TooLarge { max: usize },
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("duplicate member {0:?} in the token's {1}")]
    DuplicateKey(String, &'static str),
    #[error("unsigned token (alg none)")]
    AlgNone,
    #[error("HMAC algorithm {0:?} refused: keys are RSA public keys")]
    HmacAlgorithm(String),
    #[error("algorithm {0:?} refused: only RS256 is accepted")]
    UnsupportedAlgorithm(String),
    #[error("critical header extensions are not supported")]
    CriticalHeader,
    #[error("token header has no kid")]
    MissingKid,
    #[error("no key with kid {0:?}")]
    UnknownKid(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("token has no exp claim")]
    MissingExp,
    #[error("claim {0} has the wrong type")]
    InvalidClaim(&'static str),
    #[error("token expired")]
    Expired,
    #[error("token not valid yet (nbf)")]
    NotYetValid,
    #[error("token issued in the future (iat)")]
    IssuedInFuture,
    #[error("issuer not accepted")]
    IssuerMismatch,
    #[error("audience not accepted")]
    AudienceNotAccepted,
    #[error("client id not accepted")]
    ClientIdNotAccepted,
    #[error("token_use is not the one expected")]
    WrongTokenUse,
    #[error("token has none of the required scopes")]
    MissingScope,
}

impl TokenError {
    /// A stable, snake_case name for the refusal: metric labels, log fields, the attack table.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::DuplicateKey(..) => "duplicate_key",
            Self::AlgNone => "alg_none",
            Self::HmacAlgorithm(_) => "hmac_algorithm",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::CriticalHeader => "critical_header",
            Self::MissingKid => "missing_kid",
            Self::UnknownKid(_) => "unknown_kid",
            Self::BadSignature => "bad_signature",
            Self::MissingExp => "missing_exp",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::AudienceNotAccepted => "audience_not_accepted",
            Self::ClientIdNotAccepted => "client_id_not_accepted",
            Self::WrongTokenUse => "wrong_token_use",
            Self::MissingScope => "missing_scope",
        }
    }
}

/// Why a JWKS document could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwksError {
    #[error("JWKS document longer than {max} bytes")]
    TooLarge { max: usize },
    #[error("JWKS document is not valid JSON")]
    Json,
    #[error("duplicate member {0:?} in the JWKS document")]
    DuplicateKey(String),
    #[error("JWKS document has no \"keys\" array")]
    MissingKeys,
    #[error("JWKS document lists more than {max} keys")]
    TooManyKeys { max: usize },
    #[error("two usable keys share the kid {0:?}")]
    DuplicateKid(String),
    #[error("JWKS document has no RSA RS256 signing key")]
    NoUsableKey,
    #[error("RSA public key rejected: {0}")]
    BadKey(&'static str),
}

/// Why a signing key could not be made, stored or read back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("RSA key generation failed")]
    Generate,
    #[error("private key is not a PKCS#8 RSA key: {0}")]
    Parse(&'static str),
    #[error("private key could not be encoded")]
    Encode,
    #[error("signing failed")]
    Sign,
    #[error("stored key's kid {stored:?} is not its thumbprint {computed:?}")]
    KidMismatch { stored: String, computed: String },
    #[error("time before 1970 or beyond 64-bit seconds")]
    Time,
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

/// Why a token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IssueError {
    #[error("token lifetime must be positive")]
    Lifetime,
    #[error("time before 1970 or beyond 64-bit seconds")]
    Time,
    #[error("claims could not be encoded")]
    Encode,
    #[error("custom attribute name {0:?} is empty or contains ':'")]
    AttributeName(String),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Why an issuer's OpenID discovery document could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DiscoveryError {
    #[error("discovery document longer than {max} bytes")]
    TooLarge { max: usize },
    #[error("discovery document is not a JSON object")]
    Json,
    #[error("duplicate member {0:?} in the discovery document")]
    DuplicateKey(String),
    #[error("discovery document has no string {0:?}")]
    Missing(&'static str),
    #[error("discovery document's issuer is not the configured issuer")]
    IssuerMismatch,
    #[error("jwks_uri is not an absolute https URL")]
    BadJwksUri,
}

/// Shortens attacker-supplied text for an error message: at most 32 characters, printable
/// ASCII only, so a log line stays one short line.
pub(crate) fn excerpt(s: &str) -> String {
    s.chars()
        .take(32)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}
