//! Validating a bearer token the way API Gateway's authorizers do — `COGNITO_USER_POOLS` on
//! REST APIs, the `jwt` authorizer on HTTP APIs — and refusing everything the JWT attack
//! catalogue tries, each with its own [`TokenError`].
//!
//! The order of the checks is part of the defence:
//!
//! 1. **Size** first (16 KiB), before any decoding.
//! 2. **Shape**: three base64url parts (no padding, no whitespace, canonical trailing bits);
//!    five parts is an encrypted JWE, which no authorizer accepts.
//! 3. **Header**, the only part read before the signature is checked: strict JSON (a duplicate
//!    member is refused), `alg` exactly `RS256` — `none` in any case and the HMAC algorithms
//!    (the RS/HS key-confusion attack) get their own refusals — no `crit`, a string `kid`.
//!    `jku`, `x5u`, `jwk` and `x5c` are never read: keys come only from the configured set.
//! 4. **Signature** with the key named by `kid`.
//! 5. **Claims**, strict JSON again, then times (`exp` required; `nbf`, `iat` if present; all
//!    within the clock-skew bound), `iss` (exact string), `token_use`, audience, scopes.
//!
//! The audience rule depends on the token: an ID token's `aud`, an access token's `client_id`
//! (Cognito access tokens have no `aud`). With [`ExpectedUse::Unchecked`], for issuers that do
//! not write `token_use`, it is HTTP API's rule: `aud` when present, `client_id` otherwise.
//! Scopes: at least one of the required ones, from `scope` (space-separated) or `scp`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::claims::{TokenUse, Verified, VerifiedInner};
use crate::error::{TokenError, excerpt};
use crate::json::{JsonError, parse_object};
use crate::jwks::Jwks;
use crate::time::signed_seconds;

/// The longest token read. Cognito's tokens are 1–2 KB; custom claims from a pre-token
/// Lambda add some. Anything near this bound is an attack or a mistake.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Which tokens a validator accepts by `token_use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedUse {
    /// ID tokens only (a REST `COGNITO_USER_POOLS` authorizer without scopes).
    Id,
    /// Access tokens only (with scopes).
    Access,
    /// Either, each checked by its own audience rule.
    IdOrAccess,
    /// `token_use` is not read (other OIDC issuers); audience by HTTP API's rule.
    Unchecked,
}

/// Which audiences (ID tokens' `aud`, access tokens' `client_id`) are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audiences {
    /// Any: a REST `COGNITO_USER_POOLS` authorizer trusts every app client of the pool.
    Any,
    /// These only. An empty list accepts nothing.
    OneOf(Vec<String>),
}

/// What a [`Validator`] accepts.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    /// The exact `iss` (no normalization: a trailing slash is another issuer).
    pub issuer: String,
    pub audiences: Audiences,
    pub token_use: ExpectedUse,
    /// At least one of these must be granted; empty means no scope is required.
    pub required_scopes: Vec<String>,
    /// How far the issuer's clock may be from ours, for `exp`, `nbf` and `iat`.
    pub clock_skew: Duration,
}

/// A configured validator: the accepted issuer, its keys, and the rules above.
#[derive(Debug)]
pub struct Validator {
    issuer: String,
    audiences: Option<HashSet<String>>,
    token_use: ExpectedUse,
    required_scopes: Vec<String>,
    skew: i64,
    keys: Jwks,
}

impl Validator {
    pub fn new(config: ValidatorConfig, keys: Jwks) -> Self {
        Self {
            issuer: config.issuer,
            audiences: match config.audiences {
                Audiences::Any => None,
                Audiences::OneOf(list) => Some(list.into_iter().collect()),
            },
            token_use: config.token_use,
            required_scopes: config.required_scopes,
            skew: i64::try_from(config.clock_skew.as_secs()).unwrap_or(i64::MAX),
            keys,
        }
    }

    pub fn keys(&self) -> &Jwks {
        &self.keys
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Validates `token` (the compact JWT, without a `Bearer ` prefix) at `now`.
    pub fn validate(&self, token: &[u8], now: SystemTime) -> Result<Verified, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLarge {
                max: MAX_TOKEN_BYTES,
            });
        }
        let Parts {
            header: header_b64,
            payload: payload_b64,
            signature: signature_b64,
        } = split(token)?;
        let header = decode_json(header_b64, "header")?;
        let kid = check_header(&header)?;
        let key = self
            .keys
            .get(kid)
            .ok_or_else(|| TokenError::UnknownKid(excerpt(kid)))?;
        let signature = decode_b64(signature_b64)?;
        // The signing input is the first two parts as sent, dot included.
        let signed_len = header_b64.len() + 1 + payload_b64.len();
        let signed = token
            .get(..signed_len)
            .ok_or(TokenError::Malformed("token shape"))?;
        if !key.verify(signed, &signature) {
            return Err(TokenError::BadSignature);
        }
        let kid = kid.to_owned();
        let claims = decode_json(payload_b64, "payload")?;
        self.check_claims(claims, kid, signed_seconds(now))
    }

    fn check_claims(
        &self,
        claims: Map<String, Value>,
        kid: String,
        now: i64,
    ) -> Result<Verified, TokenError> {
        let exp = numeric_date(&claims, "exp")?.ok_or(TokenError::MissingExp)?;
        let nbf = numeric_date(&claims, "nbf")?;
        let iat = numeric_date(&claims, "iat")?;
        let valid_until = exp.saturating_add(self.skew);
        if now >= valid_until {
            return Err(TokenError::Expired);
        }
        if nbf.is_some_and(|nbf| now < nbf.saturating_sub(self.skew)) {
            return Err(TokenError::NotYetValid);
        }
        if iat.is_some_and(|iat| now < iat.saturating_sub(self.skew)) {
            return Err(TokenError::IssuedInFuture);
        }
        let valid_from = nbf
            .into_iter()
            .chain(iat)
            .max()
            .map(|t| t.saturating_sub(self.skew));

        match claims.get("iss") {
            Some(Value::String(iss)) if *iss == self.issuer => {}
            Some(Value::String(_)) | None => return Err(TokenError::IssuerMismatch),
            Some(_) => return Err(TokenError::InvalidClaim("iss")),
        }

        let token_use = match claims.get("token_use") {
            None => None,
            Some(Value::String(s)) if s == "id" => Some(TokenUse::Id),
            Some(Value::String(s)) if s == "access" => Some(TokenUse::Access),
            Some(Value::String(_)) => Some(TokenUse::Other),
            Some(_) => return Err(TokenError::InvalidClaim("token_use")),
        };
        let audience_from = match (self.token_use, token_use) {
            (ExpectedUse::Id | ExpectedUse::IdOrAccess, Some(TokenUse::Id)) => AudienceFrom::Aud,
            (ExpectedUse::Access | ExpectedUse::IdOrAccess, Some(TokenUse::Access)) => {
                AudienceFrom::ClientId
            }
            (ExpectedUse::Unchecked, _) => AudienceFrom::AudOrClientId,
            _ => return Err(TokenError::WrongTokenUse),
        };
        self.check_audience(&claims, audience_from)?;
        self.check_scopes(&claims)?;

        Ok(Verified(Arc::new(VerifiedInner {
            claims,
            kid,
            token_use,
            expires_at: exp,
            valid_from: valid_from.unwrap_or(i64::MIN),
            valid_until,
            rest_api: std::sync::OnceLock::new(),
        })))
    }

    fn check_audience(
        &self,
        claims: &Map<String, Value>,
        from: AudienceFrom,
    ) -> Result<(), TokenError> {
        let (name, value, refusal) = match from {
            AudienceFrom::Aud => ("aud", claims.get("aud"), TokenError::AudienceNotAccepted),
            AudienceFrom::ClientId => (
                "client_id",
                claims.get("client_id"),
                TokenError::ClientIdNotAccepted,
            ),
            AudienceFrom::AudOrClientId => match claims.get("aud") {
                Some(aud) => ("aud", Some(aud), TokenError::AudienceNotAccepted),
                None => (
                    "client_id",
                    claims.get("client_id"),
                    TokenError::ClientIdNotAccepted,
                ),
            },
        };
        // `aud` may be one string or an array of them (RFC 7519); `client_id` is one string.
        let values: Vec<&str> = match value {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) if name == "aud" => items
                .iter()
                .map(|v| v.as_str().ok_or(TokenError::InvalidClaim("aud")))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(TokenError::InvalidClaim(if name == "aud" {
                    "aud"
                } else {
                    "client_id"
                }));
            }
        };
        let accepted = match &self.audiences {
            None => !values.is_empty(),
            Some(set) => values.iter().any(|v| set.contains(*v)),
        };
        if accepted { Ok(()) } else { Err(refusal) }
    }

    fn check_scopes(&self, claims: &Map<String, Value>) -> Result<(), TokenError> {
        if self.required_scopes.is_empty() {
            return Ok(());
        }
        let granted = crate::claims::scopes(claims);
        if self
            .required_scopes
            .iter()
            .any(|r| granted.iter().any(|g| g == r))
        {
            Ok(())
        } else {
            Err(TokenError::MissingScope)
        }
    }
}

/// The `iss` a token claims, read without checking anything else: only to choose which
/// issuer's keys and rules will then validate it (STS's `AssumeRoleWithWebIdentity` takes
/// tokens of several issuers). Never trust the answer by itself.
pub fn unverified_issuer(token: &[u8]) -> Result<String, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge {
            max: MAX_TOKEN_BYTES,
        });
    }
    let parts = split(token)?;
    let claims = decode_json(parts.payload, "payload")?;
    match claims.get("iss") {
        Some(Value::String(iss)) => Ok(iss.clone()),
        None => Err(TokenError::IssuerMismatch),
        Some(_) => Err(TokenError::InvalidClaim("iss")),
    }
}

#[derive(Clone, Copy)]
enum AudienceFrom {
    Aud,
    ClientId,
    AudOrClientId,
}

/// A compact JWS: header, payload and signature, still base64url.
struct Parts<'a> {
    header: &'a [u8],
    payload: &'a [u8],
    signature: &'a [u8],
}

/// The three parts, refusing any other count.
fn split(token: &[u8]) -> Result<Parts<'_>, TokenError> {
    let mut parts = token.split(|&b| b == b'.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok(Parts {
            header,
            payload,
            signature,
        }),
        (Some(_), Some(_), Some(_), Some(_)) if token.split(|&b| b == b'.').count() == 5 => Err(
            TokenError::Malformed("encrypted tokens (JWE) are not accepted"),
        ),
        _ => Err(TokenError::Malformed("a JWT has three dot-separated parts")),
    }
}

fn decode_b64(part: &[u8]) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed("not base64url"))
}

fn decode_json(part: &[u8], which: &'static str) -> Result<Map<String, Value>, TokenError> {
    let bytes = decode_b64(part)?;
    parse_object(&bytes).map_err(|e| match e {
        JsonError::Duplicate(name) => TokenError::DuplicateKey(name, which),
        JsonError::Syntax | JsonError::NotObject if which == "header" => {
            TokenError::Malformed("header is not a JSON object")
        }
        JsonError::Syntax | JsonError::NotObject => {
            TokenError::Malformed("payload is not a JSON object")
        }
    })
}

/// The header's `kid`, if the rest of the header is acceptable.
fn check_header(header: &Map<String, Value>) -> Result<&str, TokenError> {
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.as_str(),
        Some(_) => return Err(TokenError::Malformed("alg is not a string")),
        None => return Err(TokenError::Malformed("header has no alg")),
    };
    if alg != "RS256" {
        return Err(if alg.eq_ignore_ascii_case("none") {
            TokenError::AlgNone
        } else if ["HS256", "HS384", "HS512"]
            .iter()
            .any(|h| alg.eq_ignore_ascii_case(h))
        {
            TokenError::HmacAlgorithm(excerpt(alg))
        } else {
            TokenError::UnsupportedAlgorithm(excerpt(alg))
        });
    }
    // We implement no extension, so any `crit` (even an empty one, which RFC 7515 forbids)
    // names something we would ignore: refused.
    if header.contains_key("crit") {
        return Err(TokenError::CriticalHeader);
    }
    match header.get("kid") {
        Some(Value::String(kid)) => Ok(kid),
        Some(_) => Err(TokenError::Malformed("kid is not a string")),
        None => Err(TokenError::MissingKid),
    }
}

/// A NumericDate claim in whole seconds, if present. Only JSON numbers count: `"exp": "9999"`
/// is a type confusion, refused. Fractions are allowed by RFC 7519 and rounded down.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(u) = n.as_u64() {
                Ok(Some(i64::try_from(u).unwrap_or(i64::MAX)))
            } else {
                // `as` saturates for floats out of range; JSON has no NaN.
                #[allow(clippy::cast_possible_truncation)]
                Ok(n.as_f64().map(|f| f.floor() as i64))
            }
        }
        Some(_) => Err(TokenError::InvalidClaim(name)),
    }
}
