//! Reading SigV4 authentication out of a request, without any secret.
//!
//! Two forms exist: the `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
//! Signature=...` header, and presigned URLs carrying `X-Amz-Algorithm`, `X-Amz-Credential`,
//! `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders` and `X-Amz-Signature` in the query. When
//! both are present the header wins (the `X-Amz-*` parameters are then ordinary, signed query
//! parameters).
//!
//! Parsing reports the *syntax* refusals in the order AWS reports them — `key=value` shape, then
//! every missing part at once, then the algorithm, the credential's shape and the date format —
//! and leaves everything that needs configuration or a clock to [`crate::Verifier::precheck`].

use std::borrow::Cow;

use base64::Engine as _;
use http::header::{AUTHORIZATION, DATE, HeaderName};

use crate::auth::{AuthFields, Form, ParsedAuth};
use crate::datetime;
use crate::encode::{form_decode_to_string, split_byte, split_once_byte};
use crate::error::{Error, MissingAuthParts, MissingQueryParams};
use crate::{ALGORITHM, Request};

/// Parses SigV4 authentication from the `Authorization` header or presigned query parameters.
///
/// `Ok(None)` means the request carries no SigV4 authentication at all: no `Authorization` header
/// and none of `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-SignedHeaders`, `X-Amz-Signature` in
/// the query — or a presigned `X-Amz-Algorithm` other than `AWS4-HMAC-SHA256`, which AWS also
/// answers with "Missing Authentication Token".
///
/// # Errors
/// The syntax refusals of [`Error`]: `key=value` shape, missing parts, algorithm, credential shape,
/// date format and `X-Amz-Expires` format.
pub fn parse(req: &Request<'_>) -> Result<Option<ParsedAuth>, Error> {
    match req.headers.get(AUTHORIZATION) {
        Some(value) => parse_header(req, value.as_bytes()).map(Some),
        None => parse_query(req),
    }
}

/// Header values are nearly always ASCII; validate once and only copy when they are not UTF-8.
fn utf8(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

pub(crate) const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
pub(crate) const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
pub(crate) const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

fn parse_header(req: &Request<'_>, raw: &[u8]) -> Result<ParsedAuth, Error> {
    let header = utf8(raw);
    let value = header.trim_ascii();
    let (algorithm, params) = value.split_once([' ', '\t']).unwrap_or((value, ""));

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in split_byte(params, b',') {
        let part = part.trim_ascii();
        if part.is_empty() {
            continue;
        }
        let Some((key, val)) = split_once_byte(part, b'=') else {
            // AWS hashes the header rather than echo what may be a bearer token.
            let digest = ring::digest::digest(&ring::digest::SHA256, raw);
            return Err(Error::InvalidKeyValuePair {
                header_sha256_base64: base64::engine::general_purpose::STANDARD
                    .encode(digest.as_ref()),
            });
        };
        // As AWS does, a repeated key keeps its last value.
        match key.trim_ascii() {
            "Credential" => credential = Some(val.trim_ascii()),
            "SignedHeaders" => signed_headers = Some(val.trim_ascii()),
            "Signature" => signature = Some(val.trim_ascii()),
            _ => {}
        }
    }

    let amz_date = req.headers.get(X_AMZ_DATE);
    let http_date = req.headers.get(DATE);
    let missing = MissingAuthParts {
        credential: credential.is_none(),
        signature: signature.is_none(),
        signed_headers: signed_headers.is_none(),
        date: amz_date.is_none() && http_date.is_none(),
    };
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(Error::MissingAuthorizationComponents {
            missing,
            header: header.clone().into_owned(),
        });
    };
    if missing.any() {
        return Err(Error::MissingAuthorizationComponents {
            missing,
            header: header.clone().into_owned(),
        });
    }
    if algorithm != ALGORITHM {
        return Err(Error::UnsupportedAlgorithm {
            algorithm: algorithm.to_owned(),
        });
    }

    // `X-Amz-Date` is kept as sent (it is already the ISO form); a `Date` header is reformatted.
    let (request_time, iso_date) = match (amz_date, http_date) {
        (Some(v), _) => {
            let s = utf8(v.as_bytes());
            match datetime::parse_iso_basic(&s) {
                Some(t) => (t, s),
                None => {
                    return Err(Error::InvalidDate {
                        value: s.into_owned(),
                    });
                }
            }
        }
        (None, Some(v)) => {
            let s = utf8(v.as_bytes());
            match datetime::parse_http_date(&s) {
                Some(t) => (t, Cow::Owned(datetime::format_iso_basic(t))),
                None => {
                    return Err(Error::InvalidDate {
                        value: s.into_owned(),
                    });
                }
            }
        }
        (None, None) => {
            return Err(Error::MissingAuthorizationComponents {
                missing,
                header: header.clone().into_owned(),
            });
        }
    };

    let token = req
        .headers
        .get(X_AMZ_SECURITY_TOKEN)
        .map(|v| utf8(v.as_bytes()));
    ParsedAuth::new(&AuthFields {
        form: Form::Header,
        credential,
        signed_headers,
        signature,
        amz_date: &iso_date,
        request_time,
        session_token: token.as_deref(),
        query_content_sha256: None,
        expires: None,
    })
}

/// Presign parameters as they appear on the wire (still encoded). The first occurrence wins, as
/// AWS reads them.
#[derive(Default)]
struct QueryParams<'a> {
    algorithm: Option<&'a str>,
    credential: Option<&'a str>,
    date: Option<&'a str>,
    expires: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
    security_token: Option<&'a str>,
    content_sha256: Option<&'a str>,
}

pub(crate) const PARAM_SIGNATURE: &str = "X-Amz-Signature";
pub(crate) const PARAM_SECURITY_TOKEN: &str = "X-Amz-Security-Token";

fn scan_query(query: &str) -> QueryParams<'_> {
    let mut p = QueryParams::default();
    for pair in split_byte(query, b'&') {
        let (raw_key, raw_val) = split_once_byte(pair, b'=').unwrap_or((pair, ""));
        // Parameter names are compared decoded, but nearly always arrive unencoded.
        let decoded;
        let key = if raw_key.bytes().any(|b| b == b'%' || b == b'+') {
            decoded = form_decode_to_string(raw_key);
            decoded.as_str()
        } else {
            raw_key
        };
        let Some(suffix) = key.strip_prefix("X-Amz-") else {
            continue;
        };
        let slot = match suffix {
            "Algorithm" => &mut p.algorithm,
            "Credential" => &mut p.credential,
            "Date" => &mut p.date,
            "Expires" => &mut p.expires,
            "SignedHeaders" => &mut p.signed_headers,
            "Signature" => &mut p.signature,
            "Security-Token" => &mut p.security_token,
            "Content-Sha256" => &mut p.content_sha256,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(raw_val);
        }
    }
    p
}

fn parse_expires(raw: &str) -> Result<u64, Error> {
    if let Some(rest) = raw.strip_prefix('-') {
        return if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            Err(Error::NegativeExpires)
        } else {
            Err(Error::InvalidExpires)
        };
    }
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidExpires);
    }
    // All digits: an overflow is simply "more than a week", refused by the precheck.
    Ok(raw.parse::<u64>().unwrap_or(u64::MAX))
}

fn parse_query(req: &Request<'_>) -> Result<Option<ParsedAuth>, Error> {
    let p = scan_query(req.query);
    if p.algorithm.is_none()
        && p.credential.is_none()
        && p.signed_headers.is_none()
        && p.signature.is_none()
    {
        return Ok(None);
    }
    let algorithm = p.algorithm.map(form_decode_to_string);
    if algorithm.as_deref().is_some_and(|a| a != ALGORITHM) {
        return Ok(None);
    }
    let missing = MissingQueryParams {
        algorithm: algorithm.is_none(),
        credential: p.credential.is_none(),
        signature: p.signature.is_none(),
        signed_headers: p.signed_headers.is_none(),
        date: p.date.is_none(),
    };
    let (Some(credential), Some(signature), Some(signed_headers), Some(date), false) = (
        p.credential,
        p.signature,
        p.signed_headers,
        p.date,
        missing.any(),
    ) else {
        return Err(Error::MissingQueryParameters { missing });
    };

    let credential = form_decode_to_string(credential);
    let date = form_decode_to_string(date);
    let request_time = datetime::parse_iso_basic(&date).ok_or_else(|| Error::InvalidDate {
        value: date.clone(),
    })?;
    let expires = p
        .expires
        .map(|e| parse_expires(&form_decode_to_string(e)))
        .transpose()?;
    let signed_headers = form_decode_to_string(signed_headers);
    let signature = form_decode_to_string(signature);
    let token = match p.security_token {
        Some(t) => Some(form_decode_to_string(t)),
        None => req
            .headers
            .get(X_AMZ_SECURITY_TOKEN)
            .map(|v| utf8(v.as_bytes()).into_owned()),
    };
    let content_sha256 = p.content_sha256.map(form_decode_to_string);

    ParsedAuth::new(&AuthFields {
        form: Form::Query,
        credential: &credential,
        signed_headers: &signed_headers,
        signature: &signature,
        amz_date: &date,
        request_time,
        session_token: token.as_deref(),
        query_content_sha256: content_sha256.as_deref(),
        expires,
    })
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn req<'a>(h: &'a HeaderMap, query: &'a str) -> Request<'a> {
        Request {
            method: "GET",
            path: "/",
            query,
            headers: h,
        }
    }

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn header_form_fields() {
        let h = headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", AUTH),
            ("x-amz-security-token", "tok"),
        ]);
        let a = parse(&req(&h, "")).unwrap().unwrap();
        assert_eq!(a.form(), Form::Header);
        assert_eq!(a.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(a.scope_date(), "20150830");
        assert_eq!(a.region(), "us-east-1");
        assert_eq!(a.service(), "service");
        assert_eq!(a.terminator(), "aws4_request");
        assert_eq!(
            a.credential_scope(),
            "20150830/us-east-1/service/aws4_request"
        );
        assert_eq!(a.signed_headers(), "host;x-amz-date");
        assert_eq!(
            a.signed_header_names().collect::<Vec<_>>(),
            ["host", "x-amz-date"]
        );
        assert_eq!(a.signature().len(), 64);
        assert_eq!(a.amz_date(), "20150830T123600Z");
        assert_eq!(a.session_token(), Some("tok"));
        assert_eq!(a.expires(), None);
        assert!(
            !format!("{a:?}").contains("tok\""),
            "token must not be in Debug output"
        );
    }

    #[test]
    fn no_auth_is_none() {
        let h = headers(&[("host", "h")]);
        assert_eq!(
            parse(&req(&h, "a=b&X-Amz-Date=20150830T123600Z")).unwrap(),
            None
        );
        assert_eq!(
            parse(&req(
                &h,
                "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=x"
            ))
            .unwrap(),
            None
        );
    }

    #[test]
    fn date_header_fallback_is_reformatted() {
        let h = headers(&[
            ("host", "h"),
            ("date", "Sun, 30 Aug 2015 12:36:00 GMT"),
            ("authorization", AUTH),
        ]);
        let a = parse(&req(&h, "")).unwrap().unwrap();
        assert_eq!(a.amz_date(), "20150830T123600Z");
    }

    #[test]
    fn query_form_fields() {
        let h = headers(&[("host", "h")]);
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bx-a&X-Amz-Expires=3600&X-Amz-Signature=ab&X-Amz-Security-Token=a%2Bb%2F";
        let a = parse(&req(&h, q)).unwrap().unwrap();
        assert_eq!(a.form(), Form::Query);
        assert_eq!(
            a.credential(),
            "AKID/20150830/us-east-1/service/aws4_request"
        );
        assert_eq!(a.signed_headers(), "host;x-a");
        assert_eq!(a.expires(), Some(3600));
        assert_eq!(a.session_token(), Some("a+b/"));
        assert_eq!(a.signature(), "ab");
    }

    #[test]
    fn expires_formats() {
        assert_eq!(parse_expires("0"), Ok(0));
        assert_eq!(parse_expires("99999999999999999999999"), Ok(u64::MAX));
        assert_eq!(parse_expires("-1"), Err(Error::NegativeExpires));
        assert_eq!(parse_expires("1e3"), Err(Error::InvalidExpires));
        assert_eq!(parse_expires(""), Err(Error::InvalidExpires));
        assert_eq!(parse_expires("-"), Err(Error::InvalidExpires));
    }
}
