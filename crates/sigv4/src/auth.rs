//! What a request says about its own authentication: [`ParsedAuth`].
//!
//! Every field lives in one owned string buffer and is addressed by ranges, so a parse costs a
//! single allocation however many fields it reads. Nothing here is secret; the session token is
//! kept out of `Debug` all the same, as the AWS SDKs do.

use std::fmt;
use std::ops::Range;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::encode::split_byte;
use crate::error::Error;

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// The `Authorization` header.
    Header,
    /// Presigned query parameters (`X-Amz-Signature=...`).
    Query,
}

/// SigV4 authentication as read from a request. Holds no secret; `Debug` hides the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    form: Form,
    buf: String,
    credential: Range<usize>,
    access_key_id: Range<usize>,
    scope_date: Range<usize>,
    region: Range<usize>,
    service: Range<usize>,
    terminator: Range<usize>,
    signed_headers: Range<usize>,
    signature: Range<usize>,
    amz_date: Range<usize>,
    session_token: Option<Range<usize>>,
    query_content_sha256: Option<Range<usize>>,
    request_time: i64,
    expires: Option<u64>,
}

impl ParsedAuth {
    fn field(&self, r: &Range<usize>) -> &str {
        self.buf.get(r.clone()).unwrap_or_default()
    }

    /// Where the signature travelled.
    #[must_use]
    pub fn form(&self) -> Form {
        self.form
    }

    /// The access key id, the first element of the credential.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        self.field(&self.access_key_id)
    }

    /// The whole credential, `keyid/date/region/service/aws4_request`.
    #[must_use]
    pub fn credential(&self) -> &str {
        self.field(&self.credential)
    }

    /// The credential scope without the key id, `date/region/service/aws4_request`.
    #[must_use]
    pub fn credential_scope(&self) -> &str {
        self.buf
            .get(self.scope_date.start..self.terminator.end)
            .unwrap_or_default()
    }

    /// The date of the credential scope, as sent (normally `YYYYMMDD`).
    #[must_use]
    pub fn scope_date(&self) -> &str {
        self.field(&self.scope_date)
    }

    /// The region of the credential scope.
    #[must_use]
    pub fn region(&self) -> &str {
        self.field(&self.region)
    }

    /// The service of the credential scope.
    #[must_use]
    pub fn service(&self) -> &str {
        self.field(&self.service)
    }

    /// The terminator of the credential scope (valid only when `aws4_request`).
    #[must_use]
    pub fn terminator(&self) -> &str {
        self.field(&self.terminator)
    }

    /// The signed header names exactly as the client listed them (`;`-separated).
    #[must_use]
    pub fn signed_headers(&self) -> &str {
        self.field(&self.signed_headers)
    }

    /// The signed header names, in the client's order.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        split_byte(self.signed_headers(), b';')
    }

    /// The signature as sent (hex).
    #[must_use]
    pub fn signature(&self) -> &str {
        self.field(&self.signature)
    }

    /// The request time in ISO-8601 basic format (`X-Amz-Date`, or `Date` reformatted).
    #[must_use]
    pub fn amz_date(&self) -> &str {
        self.field(&self.amz_date)
    }

    /// The request time.
    #[must_use]
    pub fn request_time(&self) -> SystemTime {
        match u64::try_from(self.request_time) {
            Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
            Err(_) => UNIX_EPOCH - Duration::from_secs(self.request_time.unsigned_abs()),
        }
    }

    pub(crate) fn request_unix(&self) -> i64 {
        self.request_time
    }

    /// The session token (`X-Amz-Security-Token`), whether or not it was signed.
    #[must_use]
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|r| self.field(r))
    }

    /// `X-Amz-Expires` of a presigned request, in seconds.
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// `X-Amz-Content-Sha256` sent as a query parameter (presigned form only).
    pub(crate) fn query_content_sha256(&self) -> Option<&str> {
        self.query_content_sha256.as_ref().map(|r| self.field(r))
    }
}

impl fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("form", &self.form)
            .field("credential", &self.credential())
            .field("signed_headers", &self.signed_headers())
            .field("signature", &self.signature())
            .field("amz_date", &self.amz_date())
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expires", &self.expires)
            .finish()
    }
}

/// The fields of a [`ParsedAuth`] before they are packed, as the parser found them (decoded).
pub(crate) struct AuthFields<'a> {
    pub(crate) form: Form,
    pub(crate) credential: &'a str,
    pub(crate) signed_headers: &'a str,
    pub(crate) signature: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub(crate) amz_date: &'a str,
    pub(crate) request_time: i64,
    pub(crate) session_token: Option<&'a str>,
    pub(crate) query_content_sha256: Option<&'a str>,
    pub(crate) expires: Option<u64>,
}

impl ParsedAuth {
    /// Packs the fields into one buffer, splitting the credential into its five elements.
    pub(crate) fn new(f: &AuthFields<'_>) -> Result<Self, Error> {
        let mut it = split_byte(f.credential, b'/');
        let (Some(key), Some(date), Some(region), Some(service), Some(term), None) = (
            it.next(),
            it.next(),
            it.next(),
            it.next(),
            it.next(),
            it.next(),
        ) else {
            return Err(Error::MalformedCredential {
                credential: f.credential.to_owned(),
            });
        };
        let len = f.credential.len()
            + f.signed_headers.len()
            + f.signature.len()
            + f.amz_date.len()
            + f.session_token.map_or(0, str::len)
            + f.query_content_sha256.map_or(0, str::len);
        let mut buf = String::with_capacity(len);
        let mut push = |s: &str| {
            let start = buf.len();
            buf.push_str(s);
            start..buf.len()
        };
        let credential = push(f.credential);
        // The five elements are consecutive, each followed by one `/`.
        let mut at = credential.start;
        let mut element = |len: usize| {
            let r = at..at + len;
            at += len + 1;
            r
        };
        let access_key_id = element(key.len());
        let scope_date = element(date.len());
        let region = element(region.len());
        let service = element(service.len());
        let terminator = element(term.len());
        let signed_headers = push(f.signed_headers);
        let signature = push(f.signature);
        let amz_date = push(f.amz_date);
        let session_token = f.session_token.map(&mut push);
        let query_content_sha256 = f.query_content_sha256.map(&mut push);
        Ok(Self {
            form: f.form,
            buf,
            credential,
            access_key_id,
            scope_date,
            region,
            service,
            terminator,
            signed_headers,
            signature,
            amz_date,
            session_token,
            query_content_sha256,
            request_time: f.request_time,
            expires: f.expires,
        })
    }
}
