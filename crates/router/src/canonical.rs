//! The one canonical form of a request path.
//!
//! Every security decision about a path — which stage and resource it routes to, the
//! `execute-api` ARN a policy is evaluated against, the URI forwarded to the backend — must be
//! made about the *same* string, or a request can be authorized as one path and served as
//! another. [`canonicalize`] computes that string once, from the path exactly as it arrived, and
//! refuses a path it cannot make unambiguous:
//!
//! - `%XX` of an unreserved character (`A–Z a–z 0–9 - . _ ~`) is decoded, as RFC 3986 §6.2.2.2
//!   makes `%61dmin` equal to `admin`; every other escape is kept, its hex digits upper-cased
//!   (§6.2.2.1), so that equal paths are equal strings;
//! - bytes outside ASCII are percent-encoded (they are not valid in a URI; clients that send them
//!   mean their UTF-8 encoding);
//! - refused: an empty segment (`//`, which many backends merge into one slash), a `.` or `..`
//!   segment, before or after decoding (which backends resolve), an encoded slash or backslash
//!   (`%2F`, `%5C`: a separator to some backends, a character to others), a raw backslash, a `;`
//!   (a path-parameter delimiter to servlet containers, which strip what follows), `%00`, a control
//!   character, and a malformed escape.
//!
//! One trailing slash is kept: the router decides whether it matters (see [`crate::Router`]).
//! The SigV4 check still reads the path as sent (that is what the client signed); because a path
//! with empty or dot segments is refused before it, the signature covers exactly one accepted
//! path, and so exactly one canonical path.

use std::borrow::Cow;

/// Why a path has no canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path does not start with '/'")]
    NotAbsolute,
    #[error("the path has an empty segment ('//')")]
    EmptySegment,
    #[error("the path has a '.' or '..' segment")]
    DotSegment,
    #[error("the path has an encoded '/' or '\\'")]
    EncodedSeparator,
    #[error("the path has a malformed percent-encoding")]
    BadEscape,
    #[error("the path has a character that is not allowed ({0:?})")]
    Forbidden(char),
}

impl PathError {
    /// Short stable label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            PathError::NotAbsolute => "not_absolute",
            PathError::EmptySegment => "empty_segment",
            PathError::DotSegment => "dot_segment",
            PathError::EncodedSeparator => "encoded_separator",
            PathError::BadEscape => "bad_escape",
            PathError::Forbidden(_) => "forbidden_character",
        }
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn push_escaped(out: &mut String, b: u8) {
    // A nibble is below 16, the table's length: `get` never misses.
    let digit = |n: u8| char::from(HEX_UPPER.get(usize::from(n)).copied().unwrap_or(b'0'));
    out.push('%');
    out.push(digit(b >> 4));
    out.push(digit(b & 0xF));
}

/// Checks a raw byte that is not part of an escape.
fn check_raw(b: u8) -> Result<(), PathError> {
    match b {
        b'\\' | b';' => Err(PathError::Forbidden(char::from(b))),
        0..=0x1F | 0x7F => Err(PathError::Forbidden(char::from(b))),
        _ => Ok(()),
    }
}

/// Whether `path` may need rewriting: it has an escape or a byte outside ASCII.
fn needs_rewrite(path: &[u8]) -> bool {
    path.iter().any(|&b| b == b'%' || !b.is_ascii())
}

/// The canonical form of `path` (the whole request path, stage included), or why there is none.
/// Borrowed when the path is already canonical, which is the common case: then it costs two scans
/// of the bytes and no allocation.
pub fn canonicalize(path: &str) -> Result<Cow<'_, str>, PathError> {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    if needs_rewrite(bytes) {
        let canonical = rewrite(bytes)?;
        check_segments(canonical.as_bytes())?;
        return Ok(Cow::Owned(canonical));
    }
    check_segments(bytes)?;
    Ok(Cow::Borrowed(path))
}

fn rewrite(bytes: &[u8]) -> Result<String, PathError> {
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(PathError::BadEscape);
            };
            let decoded = (hi << 4) | lo;
            match decoded {
                b'/' | b'\\' => return Err(PathError::EncodedSeparator),
                0 => return Err(PathError::Forbidden('\0')),
                d if is_unreserved(d) => out.push(char::from(d)),
                d => push_escaped(&mut out, d),
            }
            i += 3;
        } else if b.is_ascii() {
            out.push(char::from(b));
            i += 1;
        } else {
            push_escaped(&mut out, b);
            i += 1;
        }
    }
    Ok(out)
}

/// One pass over a path that starts with `/`: refuses forbidden characters, empty segments (but
/// one trailing slash) and dot segments.
fn check_segments(path: &[u8]) -> Result<(), PathError> {
    let mut start = 1;
    for i in 1..=path.len() {
        match path.get(i) {
            Some(&b) if b != b'/' => check_raw(b)?,
            next => {
                match path.get(start..i) {
                    Some(b"") if next.is_some() => return Err(PathError::EmptySegment),
                    Some(b"." | b"..") => return Err(PathError::DotSegment),
                    _ => {}
                }
                start = i + 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str) -> String {
        canonicalize(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .into_owned()
    }

    #[test]
    fn canonical_paths_are_borrowed() {
        for p in [
            "/",
            "/prod",
            "/prod/",
            "/prod/pets/7",
            "/a/b:c@d!$&'()*+,=",
            "/a/..b/c.",
        ] {
            assert!(matches!(canonicalize(p), Ok(Cow::Borrowed(_))), "{p}");
        }
    }

    #[test]
    fn unreserved_escapes_are_decoded_and_others_upper_cased() {
        assert_eq!(ok("/prod/%61dmin/x"), "/prod/admin/x");
        assert_eq!(ok("/prod/%7e%2D%5f%41"), "/prod/~-_A");
        assert_eq!(ok("/prod/a%20b"), "/prod/a%20b");
        assert_eq!(ok("/prod/%c3%a9"), "/prod/%C3%A9");
        assert_eq!(ok("/prod/%252e%252e"), "/prod/%252e%252e");
        assert_eq!(ok("/prod/é"), "/prod/%C3%A9");
        assert_eq!(ok("/prod/a.%2e"), "/prod/a..");
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        let err = |p: &str| canonicalize(p).err();
        assert_eq!(err("prod/x"), Some(PathError::NotAbsolute));
        assert_eq!(err(""), Some(PathError::NotAbsolute));
        assert_eq!(err("//prod"), Some(PathError::EmptySegment));
        assert_eq!(err("/prod//admin/x"), Some(PathError::EmptySegment));
        assert_eq!(err("/prod/x//"), Some(PathError::EmptySegment));
        assert_eq!(err("/prod/admin/../public"), Some(PathError::DotSegment));
        assert_eq!(err("/dev/../prod/x"), Some(PathError::DotSegment));
        assert_eq!(err("/prod/./x"), Some(PathError::DotSegment));
        assert_eq!(err("/prod/x/."), Some(PathError::DotSegment));
        assert_eq!(
            err("/prod/public/%2e%2e/admin"),
            Some(PathError::DotSegment)
        );
        assert_eq!(err("/prod/%2E/x"), Some(PathError::DotSegment));
        assert_eq!(err("/prod/.%2e"), Some(PathError::DotSegment));
        assert_eq!(err("/prod/a%2fb"), Some(PathError::EncodedSeparator));
        assert_eq!(err("/prod/a%5Cb"), Some(PathError::EncodedSeparator));
        assert_eq!(err("/prod/a\\b"), Some(PathError::Forbidden('\\')));
        assert_eq!(err("/prod/admin;x/y"), Some(PathError::Forbidden(';')));
        assert_eq!(err("/prod/%00"), Some(PathError::Forbidden('\0')));
        assert_eq!(err("/prod/%zz"), Some(PathError::BadEscape));
        assert_eq!(err("/prod/%4"), Some(PathError::BadEscape));
        assert_eq!(err("/prod/%"), Some(PathError::BadEscape));
    }

    #[test]
    fn labels_are_distinct() {
        let all = [
            PathError::NotAbsolute,
            PathError::EmptySegment,
            PathError::DotSegment,
            PathError::EncodedSeparator,
            PathError::BadEscape,
            PathError::Forbidden(';'),
        ];
        let labels: std::collections::BTreeSet<_> = all.iter().map(|e| e.label()).collect();
        assert_eq!(labels.len(), all.len());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Pieces an attacker mixes into paths.
        fn piece() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![
                "/", "//", ".", "..", "%2e", "%2E", "%2f", "%2F", "%25", "%5c", "%41", "%61",
                "%7E", "%c3%a9", "é", "a", "admin", "public", ";", "~", "-", "%", "%zz", "x.y",
            ])
        }

        fn raw_path() -> impl Strategy<Value = String> {
            prop::collection::vec(piece(), 0..12).prop_map(|p| format!("/{}", p.concat()))
        }

        /// An independent statement of "unambiguous": decode every escape, then look at the
        /// segments. Written differently from the implementation on purpose.
        fn fully_decoded(path: &str) -> Option<Vec<u8>> {
            let b = path.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                    out.push(u8::from_str_radix(h, 16).ok()?);
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            Some(out)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            /// The canonical form is a fixed point, ASCII, and free of every ambiguity.
            #[test]
            fn canonical_is_idempotent_and_unambiguous(p in raw_path()) {
                if let Ok(c) = canonicalize(&p) {
                    prop_assert!(c.is_ascii());
                    let again = canonicalize(&c);
                    prop_assert_eq!(again.as_deref(), Ok(&*c));
                    let decoded = fully_decoded(&c).expect("canonical escapes are well formed");
                    let segments: Vec<&[u8]> = decoded.split(|&b| b == b'/').skip(1).collect();
                    let n = segments.len();
                    for (i, s) in segments.iter().enumerate() {
                        prop_assert!(!(s.is_empty() && i + 1 != n), "empty segment in {}", c);
                        prop_assert!(*s != b"." && *s != b"..", "dot segment in {}", c);
                        prop_assert!(!s.contains(&b'\\') && !s.contains(&b';'));
                    }
                    // Decoding the canonical form splits into exactly as many segments as the
                    // canonical form itself: no escape hides a separator.
                    prop_assert_eq!(c.split('/').count(), decoded.split(|&b| b == b'/').count());
                }
            }

            /// Two raw paths with the same canonical form mean the same bytes once decoded: the
            /// canonical form loses nothing that distinguishes resources.
            #[test]
            fn equal_canonical_forms_mean_equal_paths(a in raw_path(), b in raw_path()) {
                if let (Ok(ca), Ok(cb)) = (canonicalize(&a), canonicalize(&b)) {
                    let (da, db) = (fully_decoded(&a), fully_decoded(&b));
                    prop_assert_eq!(ca == cb, da == db, "{} / {}", a, b);
                }
            }
        }
    }
}
