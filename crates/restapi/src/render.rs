//! Rendering a pre-parsed [`Template`] against one request's `$context` and stage variables.
//!
//! Pure and allocation-light: a single pass over the template's parts, writing into the caller's
//! buffer. Access logs (the `telemetry` crate), mapping templates and gateway responses all render
//! through here; what differs is the [`Escape`] they ask for. Access logs escape values in every
//! format, so that a value — a multi-line error message, a header carrying CR/LF — can never
//! write a line of its own.

use std::borrow::Cow;

use crate::context::ContextVar;
use crate::template::{Part, Template};

/// Values of `$context` variables and stage variables for one request.
pub trait Vars {
    fn context(&self, var: &ContextVar) -> Option<Cow<'_, str>>;
    fn stage_variable(&self, name: &str) -> Option<&str>;
}

/// How values are written into a rendered template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    /// Verbatim, as API Gateway's mapping templates (`$context.error.messageString` is already
    /// a quoted JSON string). Never for logs.
    None,
    /// As the contents of a JSON string: `"` and `\` escaped, and every control character and
    /// the characters that end lines or reorder text for some readers (DEL, C1 controls including
    /// U+0085, U+2028/U+2029, bidirectional controls) as `\n`, `\r`, `\t` or `\uXXXX`.
    Json,
    /// For text access logs (CLF, CSV, XML, custom): the backslash as `\\`; `\n`, `\r`,
    /// `\t`; other C0 controls and DEL as `\xNN`; C1 controls (U+0085 among them), U+2028/U+2029
    /// and bidirectional controls as `\u{N}` (hex). No value can then start a line of its own,
    /// and [`unescape_text`] recovers it exactly.
    Text,
}

/// Appends `template` rendered for one request to `out`: literal text as it is, each variable's
/// value escaped per `escape`, and `missing` for a variable without a value.
pub fn render(
    template: &Template,
    escape: Escape,
    missing: &str,
    vars: &dyn Vars,
    out: &mut String,
) {
    for part in template.parts() {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Context(var) => match vars.context(var) {
                Some(v) => push_value(out, &v, escape),
                None => out.push_str(missing),
            },
            Part::StageVariable(name) => match vars.stage_variable(name) {
                Some(v) => push_value(out, v, escape),
                None => out.push_str(missing),
            },
        }
    }
}

/// Characters no value may put raw into a log line, in any format: they end a line for some
/// reader (C0 controls, DEL, C1 controls such as U+0085 NEL, U+2028/U+2029) or reorder what a
/// terminal shows (bidirectional controls, as in "Trojan Source"). [`Escape::Json`] and
/// [`Escape::Text`] escape every one of them.
#[must_use]
pub fn is_log_hazard(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

fn push_value(out: &mut String, value: &str, escape: Escape) {
    use std::fmt::Write as _;
    let special: fn(char) -> bool = match escape {
        Escape::None => {
            out.push_str(value);
            return;
        }
        Escape::Json => |c| c == '"' || c == '\\' || is_log_hazard(c),
        Escape::Text => |c| c == '\\' || is_log_hazard(c),
    };
    // Nearly every value is plain: copy it whole.
    let mut rest = value;
    while let Some((i, c)) = rest.char_indices().find(|&(_, c)| special(c)) {
        out.push_str(rest.get(..i).unwrap_or_default());
        match (escape, c) {
            (_, '\\') => out.push_str("\\\\"),
            (_, '\n') => out.push_str("\\n"),
            (_, '\r') => out.push_str("\\r"),
            (_, '\t') => out.push_str("\\t"),
            (Escape::Json, '"') => out.push_str("\\\""),
            (Escape::Json, c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            (_, c) if u32::from(c) <= 0x7f => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            (_, c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
        rest = rest.get(i + c.len_utf8()..).unwrap_or_default();
    }
    out.push_str(rest);
}

/// Reverses [`Escape::Text`]: `\\`, `\n`, `\r`, `\t`, `\xNN` and `\u{N}` become the
/// characters they stand for. `None` when `escaped` holds a backslash that does not start one of
/// those. For tools and tests that read text access logs back.
#[must_use]
pub fn unescape_text(escaped: &str) -> Option<String> {
    fn hex_char(digits: &str) -> Option<char> {
        if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        char::from_u32(u32::from_str_radix(digits, 16).ok()?)
    }
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped;
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i)?);
        let after = rest.get(i + 1..)?;
        let (decoded, used) = match after.as_bytes().first()? {
            b'\\' => ('\\', 1),
            b'n' => ('\n', 1),
            b'r' => ('\r', 1),
            b't' => ('\t', 1),
            b'x' => (hex_char(after.get(1..3)?)?, 3),
            b'u' => {
                let body = after.strip_prefix("u{")?;
                let end = body.find('}')?;
                (hex_char(body.get(..end)?)?, end + 3)
            }
            _ => return None,
        };
        out.push(decoded);
        rest = after.get(used..)?;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every variable has the same value.
    struct Same<'a>(&'a str);

    impl Vars for Same<'_> {
        fn context(&self, _: &ContextVar) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn stage_variable(&self, _: &str) -> Option<&str> {
            Some(self.0)
        }
    }

    /// Nothing has a value.
    struct Empty;

    impl Vars for Empty {
        fn context(&self, _: &ContextVar) -> Option<Cow<'_, str>> {
            None
        }
        fn stage_variable(&self, _: &str) -> Option<&str> {
            None
        }
    }

    fn rendered(format: &str, escape: Escape, vars: &dyn Vars) -> String {
        let template = Template::parse(format).unwrap();
        let mut out = String::new();
        render(&template, escape, "-", vars, &mut out);
        out
    }

    /// Characters that must never appear raw in a log line.
    const HAZARDS: &[char] = &[
        '\n', '\r', '\t', '\0', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}', '\u{7f}', '\u{80}', '\u{85}',
        '\u{9f}', '\u{2028}', '\u{2029}', '\u{202e}', '\u{2066}', '\u{200f}', '\u{61c}',
    ];

    const JSON: &str = r#"{"requestId":"$context.requestId","error":"$context.error.message"}"#;

    #[test]
    fn absent_values_become_the_placeholder() {
        assert_eq!(
            rendered(
                "$context.requestId $stageVariables.x.",
                Escape::Text,
                &Empty
            ),
            "- -."
        );
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(
            rendered(
                "[$context.requestId]",
                Escape::Text,
                &Same("a\tb\r\nc\0d\u{1b}[31m\u{7f}\u{85}\u{2028}\u{2029}\u{202e}\\x41")
            ),
            r"[a\tb\r\nc\x00d\x1b[31m\x7f\u{85}\u{2028}\u{2029}\u{202e}\\x41]"
        );
    }

    #[test]
    fn json_escapes_every_hazard_including_line_separators() {
        let value: String = HAZARDS.iter().chain(['"', '\\', 'x'].iter()).collect();
        let line = rendered(JSON, Escape::Json, &Same(&value));
        assert!(!line.contains(HAZARDS), "{line}");
        assert!(line.contains(r"\u2028\u2029"), "{line}");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["error"], value.as_str());
    }

    #[test]
    fn mapping_templates_stay_verbatim() {
        // `Escape::None` is what mapping templates and gateway responses use.
        let format = r#"{"message":$context.error.messageString}"#;
        assert_eq!(
            rendered(format, Escape::None, &Same("\"a\nb\\\"")),
            "{\"message\":\"a\nb\\\"}"
        );
        assert_eq!(
            rendered(format, Escape::Json, &Same("\"\n")),
            r#"{"message":\"\n}"#
        );
    }

    #[test]
    fn unescape_refuses_what_escaping_never_writes() {
        for bad in [
            r"\",
            r"\q",
            r"\x4",
            r"\x+1",
            r"\xzz",
            r"\u{}",
            r"\u{110000}",
            r"\u{d800}",
            r"\u41",
            r"\u{41",
        ] {
            assert_eq!(unescape_text(bad), None, "{bad}");
        }
        assert_eq!(
            unescape_text(r"a\\b\n\x7f\u{2028}\u{1F600}").as_deref(),
            Some("a\\b\n\u{7f}\u{2028}\u{1f600}")
        );
    }

    /// Any character, with the dangerous ones (and backslashes and escape look-alikes) common.
    fn hostile_value() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                any::<char>(),
                prop::sample::select(HAZARDS.to_vec()),
                prop::sample::select(vec!['\\', 'x', 'u', '{', '}', 'n', '"', '0']),
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn text_values_hold_no_hazard_and_unescape_to_the_value(value in hostile_value()) {
            let line = rendered("[$context.requestId]", Escape::Text, &Same(&value));
            prop_assert!(!line.chars().any(is_log_hazard), "{:?}", line);
            let inner = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')).unwrap();
            prop_assert_eq!(unescape_text(inner), Some(value.clone()));
        }

        #[test]
        fn json_values_hold_no_hazard_and_parse_to_the_value(value in hostile_value()) {
            let line = rendered(JSON, Escape::Json, &Same(&value));
            prop_assert!(!line.chars().any(is_log_hazard), "{:?}", line);
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(parsed["error"].as_str(), Some(value.as_str()));
        }
    }
}
