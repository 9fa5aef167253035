//! The canonical request and the string to sign, written into reused buffers.
//!
//! Why not let `aws-sigv4` build the canonical request? It is a *signer*: it wants an `http::Uri`
//! (which cannot carry the raw bytes some clients sign, like a literal space), it chooses the
//! signed headers itself, and it allocates a `HeaderMap`, a `String` per query pair and the whole
//! canonical text per request. A verifier must instead reproduce exactly what *the client*
//! signed — its `SignedHeaders` list verbatim, its path normalized or not — and do it on every
//! request. Measured by `benches/verify.rs`: re-signing with `aws-sigv4` costs three to six
//! times a whole verification here (parse, canonical request, HMACs, comparison).
//!
//! Everything here appends into caller-owned `Vec<u8>`s; the verifier keeps one set per thread,
//! so a warm verification performs no allocation in this module.

use std::fmt;

use crate::encode::{
    canonical_query_component, encode_into, hex32, split_byte, split_once_byte, trim_all_into,
};
use crate::parse::{PARAM_SECURITY_TOKEN, PARAM_SIGNATURE};
use crate::{ALGORITHM, Form, ParsedAuth, Request};

/// Choices a verifier cannot know from the request, because signers differ on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanonicalOptions {
    /// Normalize the path (drop `.` and `..` segments and empty segments) before encoding, as
    /// every AWS SDK does for services other than S3.
    pub normalize_path: bool,
    /// In the presigned form, include `X-Amz-Security-Token` in the canonical query. Some signers
    /// (and the suite's `post-sts-header-after`) add the token after signing.
    pub sign_query_session_token: bool,
}

impl Default for CanonicalOptions {
    fn default() -> Self {
        Self {
            normalize_path: true,
            sign_query_session_token: true,
        }
    }
}

/// Reusable buffers for one canonicalization.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) canonical: Vec<u8>,
    path: Vec<u8>,
    segments: Vec<usize>,
    query: Vec<u8>,
    decoded: Vec<u8>,
    pairs: Vec<(usize, usize, usize)>,
}

impl Scratch {
    /// Drops buffers that one unusual request grew, so a thread does not keep megabytes around.
    pub(crate) fn shrink_if_huge(&mut self) {
        const KEEP: usize = 64 * 1024;
        for v in [
            &mut self.canonical,
            &mut self.path,
            &mut self.query,
            &mut self.decoded,
        ] {
            if v.capacity() > KEEP {
                *v = Vec::new();
            }
        }
        if self.pairs.capacity() > 4096 {
            self.pairs = Vec::new();
        }
        if self.segments.capacity() > 4096 {
            self.segments = Vec::new();
        }
    }
}

/// `true` when normalization may change `path`, i.e. it has empty or dot segments or no leading `/`.
fn path_needs_normalization(path: &str) -> bool {
    !path.starts_with('/') || path.contains("//") || path.contains("/.")
}

/// `true` when the normalized path differs from the raw one, i.e. when a verifier must consider
/// both readings. (Uses the scratch path buffer; the canonical writer refills it as needed.)
pub(crate) fn normalization_changes(s: &mut Scratch, path: &str) -> bool {
    if !path_needs_normalization(path) {
        return false;
    }
    normalize_path_into(&mut s.path, &mut s.segments, path);
    s.path != path.as_bytes()
}

/// RFC 3986 §5.2.4 dot-segment removal plus collapsing empty segments, exactly as the AWS SDKs
/// normalize: the result starts with `/`, and keeps a trailing `/` when the input ends in `/`,
/// `/.` or `/..`.
fn normalize_path_into(out: &mut Vec<u8>, segments: &mut Vec<usize>, path: &str) {
    out.clear();
    segments.clear();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if let Some(start) = segments.pop() {
                    out.truncate(start);
                }
            }
            s => {
                segments.push(out.len());
                out.push(b'/');
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    let trailing = path.ends_with('/')
        || path.ends_with("/.")
        || path.ends_with("/..")
        || path == "."
        || path == "..";
    if out.is_empty() || trailing {
        out.push(b'/');
    }
}

fn write_uri(out: &mut Vec<u8>, s: &mut Scratch, path: &str, normalize: bool) {
    if normalize && path_needs_normalization(path) {
        normalize_path_into(&mut s.path, &mut s.segments, path);
        encode_into(out, &s.path, true);
    } else if path.is_empty() {
        out.push(b'/');
    } else {
        // Each byte the client sent is encoded again: `%40` becomes `%2540`, as AWS signers do.
        encode_into(out, path.as_bytes(), true);
    }
}

fn write_query(out: &mut Vec<u8>, s: &mut Scratch, form: Form, query: &str, sign_token: bool) {
    s.query.clear();
    s.pairs.clear();
    for pair in split_byte(query, b'&') {
        if pair.is_empty() {
            continue;
        }
        let (key, val) = split_once_byte(pair, b'=').unwrap_or((pair, ""));
        let key_start = s.query.len();
        canonical_query_component(&mut s.query, &mut s.decoded, key.as_bytes());
        let key_end = s.query.len();
        if form == Form::Query {
            // The signature itself, and a token added after signing, are not part of what was signed.
            let name = s.query.get(key_start..key_end).unwrap_or_default();
            if name == PARAM_SIGNATURE.as_bytes()
                || (!sign_token && name == PARAM_SECURITY_TOKEN.as_bytes())
            {
                s.query.truncate(key_start);
                continue;
            }
        }
        canonical_query_component(&mut s.query, &mut s.decoded, val.as_bytes());
        s.pairs.push((key_start, key_end, s.query.len()));
    }
    let buf = &s.query;
    // Sorted by encoded name, then encoded value, as byte strings.
    s.pairs.sort_unstable_by(|a, b| {
        let ka = buf.get(a.0..a.1).unwrap_or_default();
        let kb = buf.get(b.0..b.1).unwrap_or_default();
        ka.cmp(kb).then_with(|| {
            let va = buf.get(a.1..a.2).unwrap_or_default();
            let vb = buf.get(b.1..b.2).unwrap_or_default();
            va.cmp(vb)
        })
    });
    for (i, &(k0, k1, v1)) in s.pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(buf.get(k0..k1).unwrap_or_default());
        out.push(b'=');
        out.extend_from_slice(buf.get(k1..v1).unwrap_or_default());
    }
}

fn write_headers(out: &mut Vec<u8>, auth: &ParsedAuth, req: &Request<'_>) {
    for name in auth.signed_header_names() {
        // HTTP/2 clients may sign the pseudo-header; the gateway carries its value in `host`.
        let lookup = if name == ":authority" { "host" } else { name };
        let mut values = req.headers.get_all(lookup).iter().peekable();
        // A signed header that is absent gets no line at all: the signature cannot match, and an
        // absent header never collides with one sent empty.
        if values.peek().is_none() {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            trim_all_into(out, v.as_bytes());
        }
        out.push(b'\n');
    }
}

/// Appends the canonical request to `out` (which the caller cleared).
pub(crate) fn write_canonical_request(
    out: &mut Vec<u8>,
    s: &mut Scratch,
    auth: &ParsedAuth,
    req: &Request<'_>,
    payload_hash: &str,
    opts: CanonicalOptions,
) {
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    write_uri(out, s, req.path, opts.normalize_path);
    out.push(b'\n');
    write_query(
        out,
        s,
        auth.form(),
        req.query,
        opts.sign_query_session_token,
    );
    out.push(b'\n');
    write_headers(out, auth, req);
    out.push(b'\n');
    out.extend_from_slice(auth.signed_headers().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
}

/// Feeds the string to sign for `canonical` to `sink` piece by piece, so the hot path can stream
/// it into an HMAC without building it.
pub(crate) fn string_to_sign_parts(
    auth: &ParsedAuth,
    canonical: &[u8],
    mut sink: impl FnMut(&[u8]),
) {
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical);
    let hex = hex32(digest.as_ref());
    sink(ALGORITHM.as_bytes());
    sink(b"\n");
    sink(auth.amz_date().as_bytes());
    sink(b"\n");
    sink(auth.credential_scope().as_bytes());
    sink(b"\n");
    sink(&hex);
}

/// A canonical request, as bytes; `Display` shows it as text (lossily, for non-UTF-8 header bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    bytes: Vec<u8>,
}

impl CanonicalRequest {
    /// The exact bytes that are hashed.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lowercase hex SHA-256 of the canonical request, the last line of the string to sign.
    #[must_use]
    pub fn sha256_hex(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.bytes);
        let hex = hex32(digest.as_ref());
        String::from_utf8_lossy(&hex).into_owned()
    }
}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.bytes))
    }
}

impl fmt::Debug for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(&self.bytes), f)
    }
}

/// The string to sign: algorithm, request time, credential scope, hash of the canonical request.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StringToSign {
    text: String,
}

impl StringToSign {
    /// The text that is HMAC'd with the signing key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Builds the canonical request the client should have signed, with the default options
/// (normalized path, session token signed). See [`canonical_request_with`].
#[must_use]
pub fn canonical_request(
    auth: &ParsedAuth,
    req: &Request<'_>,
    payload_hash: &str,
) -> CanonicalRequest {
    canonical_request_with(auth, req, payload_hash, CanonicalOptions::default())
}

/// Builds the canonical request for `req` as described by `auth` (its form and `SignedHeaders`),
/// with `payload_hash` as the last line.
#[must_use]
pub fn canonical_request_with(
    auth: &ParsedAuth,
    req: &Request<'_>,
    payload_hash: &str,
    opts: CanonicalOptions,
) -> CanonicalRequest {
    let mut s = Scratch::default();
    let mut bytes = Vec::with_capacity(512);
    write_canonical_request(&mut bytes, &mut s, auth, req, payload_hash, opts);
    CanonicalRequest { bytes }
}

/// Builds the string to sign for `canonical` under `auth`'s request time and credential scope.
#[must_use]
pub fn string_to_sign(auth: &ParsedAuth, canonical: &CanonicalRequest) -> StringToSign {
    let mut bytes = Vec::with_capacity(160);
    string_to_sign_parts(auth, &canonical.bytes, |p| bytes.extend_from_slice(p));
    StringToSign {
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(p: &str) -> String {
        let (mut out, mut segs) = (Vec::new(), Vec::new());
        normalize_path_into(&mut out, &mut segs, p);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn normalization_matches_the_sdks() {
        for (input, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/a/b", "/a/b"),
            ("/a/b/", "/a/b/"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./", "/"),
            ("/example/./", "/example/"),
            ("/a/./b/../c", "/a/c"),
            ("/../../x", "/x"),
            ("/foo/bar/.", "/foo/bar/"),
            ("/foo/bar/..", "/foo/"),
            ("a/b", "/a/b"),
            (".", "/"),
            ("/.hidden/x", "/.hidden/x"),
            ("/a/.../b", "/a/.../b"),
        ] {
            assert_eq!(norm(input), want, "{input:?}");
        }
    }

    #[test]
    fn fast_path_agrees_with_normalization() {
        for p in ["/", "/a", "/a/b/", "/a.b/c", "/%2E%2E/x", "/a b"] {
            assert!(!path_needs_normalization(p));
            assert_eq!(norm(p), p);
        }
    }
}
