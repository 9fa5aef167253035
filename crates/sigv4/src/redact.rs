//! Log-safe renderings of refusal messages.
//!
//! AWS's signature-mismatch text shows the canonical request the server computed, and with it
//! every signed header value — `x-amz-security-token:<token>` — and, for presigned URLs, the
//! canonical query string with `X-Amz-Security-Token=<token>`. That is what the client gets back
//! (it sent the token itself), but a log must not keep a bearer credential. [`redact_for_log`]
//! hides those values; everything else that helps debugging a signer stays.

use std::borrow::Cow;

use crate::encode::hex_val;

/// What a hidden value is replaced with.
pub(crate) const REDACTED: &str = "<redacted>";

/// Names whose values are secret, and whether a match needs a word boundary before it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Name {
    /// `x-amz-security-token`: the header line or the query parameter. No boundary needed (the
    /// name is distinctive; a match inside an encoded URL is hidden too).
    SecurityToken,
    /// `x-amz-signature`, the presigned URL's signature.
    QuerySignature,
    /// `Signature`, the Authorization header's element; not preceded by a name character.
    Signature,
    /// `Authorization` echoed by AWS's "missing parts" message (`... Authorization=<header>`):
    /// a value that is not a SigV4 header (a bearer token sent by mistake) is hidden whole.
    Authorization,
}

const NAMES: [(&str, Name); 4] = [
    ("x-amz-security-token", Name::SecurityToken),
    ("x-amz-signature", Name::QuerySignature),
    ("signature", Name::Signature),
    ("authorization", Name::Authorization),
];

/// Replaces secret values in a refusal message (or any text) with `<redacted>`, for logs:
///
/// - a header line `x-amz-security-token:<value>` (any case, spaces before `:` allowed): the
///   value up to the end of the line;
/// - a parameter `X-Amz-Security-Token=<value>` or `X-Amz-Signature=<value>` (any case; the name
///   and the `=` raw or percent-encoded): the value up to `&`, `,`, a quote, whitespace or a
///   control character;
/// - `Signature=<value>` (any case, not part of a longer name), as in an echoed Authorization
///   header: the same;
/// - `Authorization=<value>` or `Authorization: <value>` at the start of the text or after
///   whitespace, when the value does not start with `AWS4-` (it is then not a SigV4 header but,
///   say, a bearer token): the value up to the end of the line. A SigV4 header keeps its
///   credential scope and signed headers; its `Signature=` is hidden by the rule above.
///
/// Empty values, and values that already read `<redacted>`, are left alone, so the function is
/// idempotent. When nothing matches, the message is returned borrowed, without allocating.
#[must_use]
pub fn redact_for_log(message: &str) -> Cow<'_, str> {
    let bytes = message.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match secret_value_at(bytes, i) {
            Some((start, end)) => {
                let o = out.get_or_insert_with(|| String::with_capacity(message.len()));
                // `start` and `end` follow or precede ASCII bytes, so they are char boundaries.
                o.push_str(message.get(copied..start).unwrap_or_default());
                o.push_str(REDACTED);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(message),
        Some(mut o) => {
            o.push_str(message.get(copied..).unwrap_or_default());
            Cow::Owned(o)
        }
    }
}

/// Whether a secret's name starts at `i`; if so, the byte range of its (non-empty, not yet
/// redacted) value.
fn secret_value_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let first = *b.get(i)?;
    if !matches!(first.to_ascii_lowercase(), b'x' | b's' | b'a' | b'%') {
        return None;
    }
    for (name, kind) in NAMES {
        let Some(after) = match_name(b, i, name) else {
            continue;
        };
        let before = i.checked_sub(1).and_then(|p| b.get(p)).copied();
        let boundary_ok = match kind {
            Name::SecurityToken | Name::QuerySignature => true,
            Name::Signature => {
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            }
            Name::Authorization => before.is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')),
        };
        if !boundary_ok {
            continue;
        }
        let Some((sep, value_start)) = separator(b, after) else {
            continue;
        };
        let end = match (sep, kind) {
            (Sep::Line, _) | (Sep::Equals, Name::Authorization) => line_end(b, value_start),
            (Sep::Equals, _) => param_end(b, value_start),
        };
        let value = b.get(value_start..end).unwrap_or_default();
        if value.is_empty() || value == REDACTED.as_bytes() {
            return None;
        }
        if kind == Name::Authorization && value.starts_with(b"AWS4-") {
            return None;
        }
        return Some((value_start, end));
    }
    None
}

/// Matches `name` (lowercase ASCII) at `i`, each byte raw in any case or percent-encoded.
fn match_name(b: &[u8], i: usize, name: &str) -> Option<usize> {
    let mut j = i;
    for &n in name.as_bytes() {
        let c = *b.get(j)?;
        if c.to_ascii_lowercase() == n {
            j += 1;
        } else if c == b'%' && percent_decoded(b, j)?.to_ascii_lowercase() == n {
            j += 3;
        } else {
            return None;
        }
    }
    Some(j)
}

/// The byte `%HH` at `j` stands for.
fn percent_decoded(b: &[u8], j: usize) -> Option<u8> {
    let hi = hex_val(*b.get(j + 1)?)?;
    let lo = hex_val(*b.get(j + 2)?)?;
    Some(hi << 4 | lo)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sep {
    /// `=` or `%3D`: a parameter value follows.
    Equals,
    /// `:` (after optional blanks): a header value follows, up to the end of the line.
    Line,
}

fn separator(b: &[u8], j: usize) -> Option<(Sep, usize)> {
    match *b.get(j)? {
        b'=' => return Some((Sep::Equals, j + 1)),
        b'%' if percent_decoded(b, j) == Some(b'=') => return Some((Sep::Equals, j + 3)),
        _ => {}
    }
    let mut k = j;
    while matches!(b.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    if b.get(k) != Some(&b':') {
        return None;
    }
    k += 1;
    while matches!(b.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    Some((Sep::Line, k))
}

fn line_end(b: &[u8], start: usize) -> usize {
    b.get(start..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n' || c == b'\r'))
        .map_or(b.len(), |p| start + p)
}

fn param_end(b: &[u8], start: usize) -> usize {
    b.get(start..)
        .and_then(|rest| {
            rest.iter().position(|&c| {
                matches!(c, b'&' | b',' | b'\'' | b'"' | b' ') || c.is_ascii_control()
            })
        })
        .map_or(b.len(), |p| start + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        redact_for_log(s).into_owned()
    }

    #[test]
    fn nothing_to_hide_is_borrowed() {
        for s in [
            "",
            "The request signature we calculated does not match the signature you provided.",
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\nUNSIGNED-PAYLOAD",
            "Credential should be scoped to a valid region, not 'eu-west-1'. ",
            "x-amz-security-token:\nX-Amz-Signature=&Signature=",
            "x-amz-security-token:<redacted>\nX-Amz-Signature=<redacted>",
            "Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/execute-api/aws4_request",
            "SignedHeaders=host;x-amz-date caf\u{e9} \u{2028} %zz %",
        ] {
            assert!(matches!(redact_for_log(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn header_lines_lose_their_value() {
        assert_eq!(
            r("host:h\nx-amz-security-token:IQoJb3Jp Z2lu/+==\nx-amz-date:20150830T123600Z\n"),
            "host:h\nx-amz-security-token:<redacted>\nx-amz-date:20150830T123600Z\n"
        );
        assert_eq!(
            r("X-Amz-Security-Token :  abc\r\nnext"),
            "X-Amz-Security-Token :  <redacted>\r\nnext"
        );
        assert_eq!(
            r("x-amz-security-token:abc"),
            "x-amz-security-token:<redacted>"
        );
    }

    #[test]
    fn query_parameters_lose_their_value_in_any_case_and_encoding() {
        assert_eq!(
            r(
                "\nX-Amz-Date=20150830T123600Z&X-Amz-Security-Token=IQo%2F%2Bx%3D%3D&X-Amz-SignedHeaders=host\n"
            ),
            "\nX-Amz-Date=20150830T123600Z&X-Amz-Security-Token=<redacted>&X-Amz-SignedHeaders=host\n"
        );
        assert_eq!(
            r("?x-amz-signature=5fa0&x-AMZ-security-TOKEN=t"),
            "?x-amz-signature=<redacted>&x-AMZ-security-TOKEN=<redacted>"
        );
        assert_eq!(
            r("X%2DAmz%2dSecurity%2DToken=tok&a=1 X-Amz-Signature%3Dsig%26b%3D2 x"),
            "X%2DAmz%2dSecurity%2DToken=<redacted>&a=1 X-Amz-Signature%3D<redacted> x"
        );
        assert_eq!(r("%58-amz-signature=abc'"), "%58-amz-signature=<redacted>'");
    }

    #[test]
    fn authorization_signatures_are_hidden() {
        assert_eq!(
            r(
                "Authorization=AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request, Signature=abcdef, SignedHeaders=host"
            ),
            "Authorization=AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request, Signature=<redacted>, SignedHeaders=host"
        );
        assert_eq!(r("signature=abc"), "signature=<redacted>");
        // Not a name of its own: `MySignature=`, `x-signature=` are left as they are.
        assert_eq!(
            r("MySignature=abc x_signature=d"),
            "MySignature=abc x_signature=d"
        );
        // Prose is not a parameter.
        let prose = "does not match the signature you provided";
        assert_eq!(r(prose), prose);
    }

    #[test]
    fn an_echoed_bearer_token_is_hidden_whole() {
        let msg = "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization=eyJhbGciOiJIUzI1NiJ9.e30.sig&x";
        assert_eq!(
            r(msg),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization=<redacted>"
        );
        assert_eq!(
            r("authorization: Bearer abc\nx"),
            "authorization: <redacted>\nx"
        );
        // Inside a canonical query (after `&`) it is an ordinary parameter.
        assert_eq!(r("a=1&Authorization=x"), "a=1&Authorization=x");
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = r("x-amz-security-token:abc\nX-Amz-Signature=1&Signature=2, Authorization=jwt");
        assert!(matches!(redact_for_log(&once), Cow::Borrowed(_)), "{once}");
    }

    #[test]
    fn multibyte_text_around_matches_survives() {
        assert_eq!(
            r("caf\u{e9} x-amz-security-token:t\u{f6}ken\n\u{2603}Signature=\u{e9}"),
            "caf\u{e9} x-amz-security-token:<redacted>\n\u{2603}Signature=<redacted>"
        );
    }
}
