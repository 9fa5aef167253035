//! Deciding whether a parsed request is authentic.
//!
//! Verification is split in two so the gateway can refuse cheaply before it looks a key up:
//! [`Verifier::precheck`] needs no secret (scope, clock, expiry), [`Verifier::verify`] does the
//! hashing.
//!
//! **The payload hash is the gateway's, not the client's.** As API Gateway does for
//! `execute-api`, the hash on the canonical request's last line is computed from the body that
//! arrived. A client-sent `x-amz-content-sha256` (the AWS SDK for JavaScript v3 sends one on every
//! request) is only *compared* with it: when they differ the request is refused with the ordinary
//! signature mismatch, whose debugging text shows the canonical request with the computed hash —
//! what the client should have signed. `UNSIGNED-PAYLOAD` leaves the body outside the signature, so
//! by default it is only accepted for an empty body (where the signature still covers everything
//! that was sent: botocore's presigned GET URLs always sign it);
//! [`Verifier::allow_unsigned_payload`] accepts it with any body. `STREAMING-*` is refused.
//!
//! The body is hashed whenever it is non-empty and not knowingly unsigned, *before* the signature
//! is checked: the refusal text needs the computed hash, and a client could force the hashing
//! anyway by leaving the header out. Its cost is bounded by the gateway's body limit (10 MB) and
//! only reachable with a known access key id (the key is looked up first).
//!
//! A verifier cannot know some choices the signer made, so when the first reading fails it tries
//! the others before refusing: the unnormalized path (signers for S3-like services do not
//! normalize), the presigned session token left out (added after signing by some signers), and for
//! presigned URLs `UNSIGNED-PAYLOAD` (what S3-style presigners sign; subject to the same rule as
//! above). Each alternative is only tried when it yields a different canonical request, so a
//! typical request is hashed once. None of them weakens the check: each is still a full HMAC under
//! the client's key over everything the alternative reading says was signed, and the signature
//! proves the signer chose that reading.

use std::cell::RefCell;
use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;

use crate::canonical::{
    CanonicalOptions, Scratch, canonical_request_with, normalization_changes, string_to_sign,
    string_to_sign_parts, write_canonical_request,
};
use crate::datetime::{format_iso_basic, unix_seconds};
use crate::encode::{decode_hex32, hex32};
use crate::key::{KeyCache, SigningKey};
use crate::{ALGORITHM_TERMINATOR, Error, Form, ParsedAuth, Request};

/// The literal payload hash of an unsigned body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Verifies SigV4 signatures for one region and service. Share one across threads.
#[derive(Debug)]
pub struct Verifier {
    region: String,
    service: String,
    max_skew_secs: i64,
    keys: KeyCache,
    unsigned_query_token: bool,
    unsigned_payload: bool,
}

impl Verifier {
    /// API Gateway's tolerance for clock skew in the header form.
    pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(5 * 60);
    /// The longest a presigned URL may live, seven days.
    pub const MAX_EXPIRES_SECS: u64 = 604_800;

    /// A verifier for `region` and `service` (API Gateway's is `execute-api`), with a 5-minute skew
    /// tolerance and a [`KeyCache`] of [`KeyCache::DEFAULT_CAPACITY`] keys.
    pub fn new(region: impl Into<String>, service: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            service: service.into(),
            max_skew_secs: 5 * 60,
            keys: KeyCache::default(),
            unsigned_query_token: true,
            unsigned_payload: false,
        }
    }

    /// Sets the clock-skew tolerance (whole seconds; sub-second parts are dropped).
    #[must_use]
    pub fn with_max_skew(mut self, skew: Duration) -> Self {
        self.max_skew_secs = i64::try_from(skew.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// Replaces the key cache (e.g. to size it).
    #[must_use]
    pub fn with_key_cache(mut self, keys: KeyCache) -> Self {
        self.keys = keys;
        self
    }

    /// Whether a presigned URL whose `X-Amz-Security-Token` was appended after signing is
    /// accepted (default `true`). The token only selects which temporary credentials to check the
    /// signature against, so leaving it unsigned grants nothing the signature does not.
    #[must_use]
    pub fn accept_unsigned_query_session_token(mut self, accept: bool) -> Self {
        self.unsigned_query_token = accept;
        self
    }

    /// Whether `UNSIGNED-PAYLOAD` is accepted with a non-empty body (default `false`).
    ///
    /// `UNSIGNED-PAYLOAD` — sent in `x-amz-content-sha256`, in a presigned URL's
    /// `X-Amz-Content-Sha256`, or signed by a presigner that says nothing — means the signer chose
    /// not to cover the body. Off, such a request is accepted only when its body is empty (then
    /// the signature covers everything that was sent) and refused otherwise with
    /// [`Error::SignatureMismatch`], whose text shows the canonical request with the body's hash.
    /// On, the body is left unchecked, as S3 does.
    #[must_use]
    pub fn allow_unsigned_payload(mut self, allow: bool) -> Self {
        self.unsigned_payload = allow;
        self
    }

    /// Whether [`allow_unsigned_payload`](Self::allow_unsigned_payload) is on.
    #[must_use]
    pub fn unsigned_payload_allowed(&self) -> bool {
        self.unsigned_payload
    }

    /// The region this verifier accepts.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The service this verifier accepts.
    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The signing-key cache.
    #[must_use]
    pub fn key_cache(&self) -> &KeyCache {
        &self.keys
    }

    /// Checks that need no secret, in AWS's order: `host` signed, `X-Amz-Expires` range, credential
    /// scope (region, service, terminator, date), then the clock — ±skew for the header form;
    /// for presigned requests not before `X-Amz-Date - skew` and not after `X-Amz-Date + X-Amz-Expires`
    /// (a presigned request without `X-Amz-Expires` gets the header form's ±skew).
    ///
    /// # Errors
    /// [`Error::HostNotSigned`], [`Error::ExpiresTooLarge`], [`Error::WrongRegion`],
    /// [`Error::WrongService`], [`Error::WrongTerminator`], [`Error::ScopeDateMismatch`],
    /// [`Error::SignatureExpired`], [`Error::SignatureNotYetCurrent`], [`Error::PresignedExpired`].
    pub fn precheck(&self, auth: &ParsedAuth, now: SystemTime) -> Result<(), Error> {
        if !auth
            .signed_header_names()
            .any(|n| n.eq_ignore_ascii_case("host") || n == ":authority")
        {
            return Err(Error::HostNotSigned);
        }
        if auth.expires().is_some_and(|e| e > Self::MAX_EXPIRES_SECS) {
            return Err(Error::ExpiresTooLarge);
        }
        if auth.region() != self.region {
            return Err(Error::WrongRegion {
                region: auth.region().to_owned(),
            });
        }
        if auth.service() != self.service {
            return Err(Error::WrongService {
                expected: self.service.clone(),
            });
        }
        if auth.terminator() != ALGORITHM_TERMINATOR {
            return Err(Error::WrongTerminator {
                terminator: auth.terminator().to_owned(),
            });
        }
        let request_date = auth.amz_date().get(..8).unwrap_or_default();
        if auth.scope_date() != request_date {
            return Err(Error::ScopeDateMismatch {
                scope_date: auth.scope_date().to_owned(),
                request_date: request_date.to_owned(),
                request_time: auth.amz_date().to_owned(),
            });
        }
        self.check_time(auth, unix_seconds(now))
    }

    fn check_time(&self, auth: &ParsedAuth, now: i64) -> Result<(), Error> {
        let t = auth.request_unix();
        let skew = self.max_skew_secs;
        let skew_minutes = u64::try_from(skew / 60).unwrap_or(0);
        if t > now.saturating_add(skew) {
            return Err(Error::SignatureNotYetCurrent {
                request_time: auth.amz_date().to_owned(),
                latest: format_iso_basic(now.saturating_add(skew)),
                now: format_iso_basic(now),
                skew_minutes,
            });
        }
        match auth.expires() {
            Some(expires) => {
                let expires_i = i64::try_from(expires).unwrap_or(i64::MAX);
                if now > t.saturating_add(expires_i) {
                    return Err(Error::PresignedExpired {
                        request_time: auth.amz_date().to_owned(),
                        earliest: format_iso_basic(now.saturating_sub(expires_i)),
                        now: format_iso_basic(now),
                        expires,
                    });
                }
            }
            None => {
                if t < now.saturating_sub(skew) {
                    return Err(Error::SignatureExpired {
                        request_time: auth.amz_date().to_owned(),
                        earliest: format_iso_basic(now.saturating_sub(skew)),
                        now: format_iso_basic(now),
                        skew_minutes,
                    });
                }
            }
        }
        Ok(())
    }

    /// Full verification: [`precheck`](Self::precheck), then the payload hash, the canonical
    /// request, the string to sign and a constant-time comparison of the signature. `body` is the
    /// complete body; its hash is computed here (a declared `x-amz-content-sha256` is only
    /// compared with it) unless the body is knowingly unsigned (see
    /// [`allow_unsigned_payload`](Self::allow_unsigned_payload)). The signing key comes from the
    /// verifier's [`KeyCache`].
    ///
    /// # Errors
    /// Any [`precheck`](Self::precheck) refusal; [`Error::StreamingPayloadUnsupported`];
    /// [`Error::SignatureMismatch`] — also for a declared hash that differs from the body's, and
    /// for `UNSIGNED-PAYLOAD` with a body when that is not allowed.
    pub fn verify(
        &self,
        auth: &ParsedAuth,
        req: &Request<'_>,
        body: &[u8],
        secret: &str,
        now: SystemTime,
    ) -> Result<(), Error> {
        self.precheck(auth, now)?;
        let key = self
            .keys
            .get_or_derive(secret, auth.scope_date(), auth.region(), auth.service());
        self.check_signature(auth, req, body, &key)
    }

    /// [`verify`](Self::verify) with a signing key the caller derived (or cached) itself.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_with_key(
        &self,
        auth: &ParsedAuth,
        req: &Request<'_>,
        body: &[u8],
        key: &SigningKey,
        now: SystemTime,
    ) -> Result<(), Error> {
        self.precheck(auth, now)?;
        self.check_signature(auth, req, body, key)
    }

    fn check_signature(
        &self,
        auth: &ParsedAuth,
        req: &Request<'_>,
        body: &[u8],
        key: &SigningKey,
    ) -> Result<(), Error> {
        let payload = PayloadPlan::new(auth, req, body, self.unsigned_payload)?;
        // A declared hash that is not the body's, or an unsigned body that is not allowed, is
        // refused whatever the signature says: nothing to search.
        let provided = decode_hex32(auth.signature()).filter(|_| !payload.refuse);

        let token_choices: &[bool] = if self.unsigned_query_token
            && auth.form() == Form::Query
            && query_has_param(req.query, crate::parse::PARAM_SECURITY_TOKEN)
        {
            &[true, false]
        } else {
            &[true]
        };

        let matched = provided.is_some_and(|provided| {
            with_scratch(|s| {
                let normalize_choices: &[bool] = if normalization_changes(s, req.path) {
                    &[true, false]
                } else {
                    &[true]
                };
                let mut canonical = std::mem::take(&mut s.canonical);
                let mut found = false;
                'search: for &normalize_path in normalize_choices {
                    for &sign_query_session_token in token_choices {
                        for hash in payload.candidates() {
                            canonical.clear();
                            let opts = CanonicalOptions {
                                normalize_path,
                                sign_query_session_token,
                            };
                            write_canonical_request(&mut canonical, s, auth, req, hash, opts);
                            let expected = key.sign_parts(|feed| {
                                string_to_sign_parts(auth, &canonical, |p| feed(p))
                            });
                            if signatures_equal(&expected, &provided) {
                                found = true;
                                break 'search;
                            }
                        }
                    }
                }
                s.canonical = canonical;
                found
            })
        });

        if !matched {
            // The debugging text shows the primary reading, as AWS shows its (only) one.
            let canonical =
                canonical_request_with(auth, req, payload.primary(), CanonicalOptions::default());
            let sts = string_to_sign(auth, &canonical);
            return Err(Error::SignatureMismatch {
                canonical_request: canonical.to_string(),
                string_to_sign: sts.to_string(),
            });
        }
        Ok(())
    }
}

/// Hex SHA-256 of the empty string.
const EMPTY_SHA256_HEX: &[u8; 64] =
    b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Which payload hashes the signature may cover.
struct PayloadPlan {
    /// The hash that goes into the canonical request: computed from the body, or
    /// `UNSIGNED-PAYLOAD` when the body is knowingly unsigned and that is acceptable.
    primary: PrimaryHash,
    /// Also try `UNSIGNED-PAYLOAD` (presigned URLs without a declared hash).
    unsigned_fallback: bool,
    /// Refuse without a signature search: the declared hash is not the body's, or the body is
    /// non-empty and unsigned while that is not allowed. The mismatch text shows `primary`.
    refuse: bool,
}

enum PrimaryHash {
    Unsigned,
    /// Lowercase hex SHA-256 of the body.
    Computed([u8; 64]),
}

fn body_sha256_hex(body: &[u8]) -> [u8; 64] {
    // Most signed requests are bodiless GETs; their hash is a constant.
    if body.is_empty() {
        return *EMPTY_SHA256_HEX;
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    hex32(digest.as_ref())
}

impl PayloadPlan {
    fn new(
        auth: &ParsedAuth,
        req: &Request<'_>,
        body: &[u8],
        allow_unsigned: bool,
    ) -> Result<Self, Error> {
        let declared: Option<&[u8]> = match req.headers.get(crate::parse::X_AMZ_CONTENT_SHA256) {
            Some(v) => Some(v.as_bytes()),
            None if auth.form() == Form::Query => auth.query_content_sha256().map(str::as_bytes),
            None => None,
        };
        // UNSIGNED-PAYLOAD is acceptable when allowed, or when there is no body to leave out.
        let unsigned_ok = allow_unsigned || body.is_empty();
        let plan = match declared {
            Some(v) if v == UNSIGNED_PAYLOAD.as_bytes() => {
                if unsigned_ok {
                    Self {
                        primary: PrimaryHash::Unsigned,
                        unsigned_fallback: false,
                        refuse: false,
                    }
                } else {
                    Self {
                        primary: PrimaryHash::Computed(body_sha256_hex(body)),
                        unsigned_fallback: false,
                        refuse: true,
                    }
                }
            }
            Some(v) if v.starts_with(b"STREAMING-") => {
                return Err(Error::StreamingPayloadUnsupported);
            }
            // Only compared: what goes into the canonical request is the body's own hash, so a
            // request is accepted only when the computed hash is what was signed.
            Some(v) => {
                let computed = body_sha256_hex(body);
                Self {
                    refuse: v != computed.as_slice(),
                    primary: PrimaryHash::Computed(computed),
                    unsigned_fallback: false,
                }
            }
            None => Self {
                primary: PrimaryHash::Computed(body_sha256_hex(body)),
                unsigned_fallback: auth.form() == Form::Query && unsigned_ok,
                refuse: false,
            },
        };
        Ok(plan)
    }

    fn primary(&self) -> &str {
        match &self.primary {
            PrimaryHash::Unsigned => UNSIGNED_PAYLOAD,
            // Lowercase hex digits are ASCII.
            PrimaryHash::Computed(hex) => std::str::from_utf8(hex).unwrap_or_default(),
        }
    }

    fn candidates(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary()).chain(self.unsigned_fallback.then_some(UNSIGNED_PAYLOAD))
    }
}

/// The payload hash that goes into the canonical request's last line, as a [`Verifier`] with the
/// default options chooses it first: the hex SHA-256 of `body` — also when the client declared
/// one in `x-amz-content-sha256` (a declared hash is only compared with it) — or
/// `UNSIGNED-PAYLOAD` when the client declared that (header, or a presigned URL's
/// `X-Amz-Content-Sha256`) and `body` is empty.
///
/// # Errors
/// [`Error::StreamingPayloadUnsupported`] for `STREAMING-*`.
pub fn payload_hash(auth: &ParsedAuth, req: &Request<'_>, body: &[u8]) -> Result<String, Error> {
    PayloadPlan::new(auth, req, body, false).map(|p| p.primary().to_owned())
}

fn query_has_param(query: &str, name: &str) -> bool {
    query
        .split('&')
        .any(|p| p.split_once('=').map_or(p, |(k, _)| k) == name)
}

/// Compares two signatures in constant time (`subtle`), so response timing reveals nothing about
/// how many leading bytes of a forged signature were right.
pub(crate) fn signatures_equal(expected: &[u8; 32], provided: &[u8; 32]) -> bool {
    #[cfg(test)]
    CT_COMPARISONS.with(|c| c.set(c.get() + 1));
    expected.ct_eq(provided).into()
}

#[cfg(test)]
thread_local! {
    /// Counts calls of [`signatures_equal`], so tests can prove verification goes through it.
    pub(crate) static CT_COMPARISONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's reusable buffers (or fresh ones if they are unavailable, e.g.
/// during thread teardown). Taking them out of the cell keeps `f` free of any borrow state.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let taken = SCRATCH
        .try_with(|c| c.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)).ok())
        .ok()
        .flatten();
    let mut scratch = taken.unwrap_or_default();
    let r = f(&mut scratch);
    scratch.shrink_if_huge();
    let _ = SCRATCH.try_with(|c| {
        if let Ok(mut slot) = c.try_borrow_mut() {
            *slot = scratch;
        }
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn vanilla() -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("host", "example.amazonaws.com".parse().unwrap());
        h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .parse()
                .unwrap(),
        );
        h
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    /// `GET /` with the given headers.
    fn get_root(headers: &http::HeaderMap) -> Request<'_> {
        Request {
            method: "GET",
            path: "/",
            query: "",
            headers,
        }
    }

    #[test]
    fn signatures_are_compared_in_constant_time() {
        let h = vanilla();
        let req = get_root(&h);
        let auth = crate::parse(&req).unwrap().unwrap();
        let v = Verifier::new("us-east-1", "service");
        let before = CT_COMPARISONS.with(std::cell::Cell::get);
        v.verify(&auth, &req, b"", SECRET, now()).unwrap();
        assert_eq!(CT_COMPARISONS.with(std::cell::Cell::get), before + 1);
        assert!(v.verify(&auth, &req, b"", "wrong", now()).is_err());
        assert_eq!(CT_COMPARISONS.with(std::cell::Cell::get), before + 2);
        assert!(signatures_equal(&[7; 32], &[7; 32]));
        assert!(!signatures_equal(&[7; 32], &[8; 32]));
    }

    #[test]
    fn a_malformed_signature_is_a_mismatch() {
        let mut h = vanilla();
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=zz"
                .parse()
                .unwrap(),
        );
        let req = get_root(&h);
        let auth = crate::parse(&req).unwrap().unwrap();
        let e = Verifier::new("us-east-1", "service")
            .verify(&auth, &req, b"", SECRET, now())
            .unwrap_err();
        assert!(matches!(e, Error::SignatureMismatch { .. }));
    }

    #[test]
    fn uppercase_hex_signature_is_accepted() {
        let mut h = vanilla();
        let upper = "5FA00FA31553B73EBF1942676E86291E8372FF2A2260956D9B8AAE1D763FBF31";
        h.insert(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={upper}")
                .parse()
                .unwrap(),
        );
        let req = get_root(&h);
        let auth = crate::parse(&req).unwrap().unwrap();
        Verifier::new("us-east-1", "service")
            .verify(&auth, &req, b"", SECRET, now())
            .unwrap();
    }

    /// `vanilla()` with `x-amz-content-sha256` added (unsigned: `SignedHeaders` is unchanged).
    fn declaring(value: &'static str) -> http::HeaderMap {
        let mut h = vanilla();
        h.insert("x-amz-content-sha256", value.parse().unwrap());
        h
    }

    #[test]
    fn a_declared_hash_is_compared_with_the_body_before_any_signature_check() {
        let v = Verifier::new("us-east-1", "service");
        // Right for the (empty) body: verifies.
        let h = declaring("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let req = get_root(&h);
        let auth = crate::parse(&req).unwrap().unwrap();
        v.verify(&auth, &req, b"", SECRET, now()).unwrap();
        // The same declaration with a body: refused as a mismatch, showing the body's hash, and
        // the signature (which is right) was never compared.
        let before = CT_COMPARISONS.with(std::cell::Cell::get);
        let e = v.verify(&auth, &req, b"x", SECRET, now()).unwrap_err();
        assert_eq!(CT_COMPARISONS.with(std::cell::Cell::get), before);
        let Error::SignatureMismatch {
            canonical_request, ..
        } = e
        else {
            panic!("{e:?}");
        };
        let x_hash = hex32(ring::digest::digest(&ring::digest::SHA256, b"x").as_ref());
        assert!(canonical_request.ends_with(std::str::from_utf8(&x_hash).unwrap()));
    }

    #[test]
    fn unsigned_payload_with_a_body_is_refused_unless_allowed() {
        // The vanilla signature covers the empty body's hash, so only the plan is under test.
        let h = declaring(UNSIGNED_PAYLOAD);
        let req = get_root(&h);
        let auth = crate::parse(&req).unwrap().unwrap();
        let strict = PayloadPlan::new(&auth, &req, b"body", false).unwrap();
        assert!(strict.refuse);
        assert_ne!(strict.primary(), UNSIGNED_PAYLOAD);
        let empty = PayloadPlan::new(&auth, &req, b"", false).unwrap();
        assert!(!empty.refuse);
        assert_eq!(empty.candidates().collect::<Vec<_>>(), [UNSIGNED_PAYLOAD]);
        let lenient = PayloadPlan::new(&auth, &req, b"body", true).unwrap();
        assert!(!lenient.refuse);
        assert_eq!(lenient.candidates().collect::<Vec<_>>(), [UNSIGNED_PAYLOAD]);
        assert!(!Verifier::new("us-east-1", "service").unsigned_payload_allowed());
    }

    #[test]
    fn empty_body_hash_constant_is_right() {
        let digest = ring::digest::digest(&ring::digest::SHA256, b"");
        assert_eq!(&hex32(digest.as_ref()), EMPTY_SHA256_HEX);
    }

    #[test]
    fn verify_with_a_caller_derived_key() {
        let h = vanilla();
        let req = get_root(&h);
        let auth = crate::parse(&req).unwrap().unwrap();
        let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "service");
        let v = Verifier::new("us-east-1", "service");
        v.verify_with_key(&auth, &req, b"", &key, now()).unwrap();
        assert!(v.key_cache().is_empty());
    }

    #[test]
    fn verify_runs_the_precheck() {
        let h = vanilla();
        let req = get_root(&h);
        let auth = crate::parse(&req).unwrap().unwrap();
        let v = Verifier::new("us-east-1", "service");
        let late = now() + Duration::from_secs(301);
        assert!(matches!(
            v.verify(&auth, &req, b"", SECRET, late),
            Err(Error::SignatureExpired { .. })
        ));
        // Refused before any key was derived.
        assert!(v.key_cache().is_empty());
    }
}
