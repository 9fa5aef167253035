//! The body of the `render_access_log` fuzz target, shared with `tests/fuzz_render.rs` so that
//! `cargo test` runs saved and generated inputs through exactly what the fuzzer runs.
//!
//! Arbitrary bytes → an access-log format and the values of its variables (fields split on 0xFF,
//! which never occurs in UTF-8; the first is the format) → rendered as a stage's access log
//! renders them. Values come from clients (headers, paths, error messages quoting them), so
//! whatever they hold:
//!
//! - a rendered line holds no line break or other hazardous character that its format's literal
//!   text does not hold itself, in text and JSON formats alike;
//! - a text-escaped value unescapes to the value; a JSON-escaped one parses to it.

use std::borrow::Cow;
use std::cell::Cell;

use restapi::render::{Escape, Vars, is_log_hazard, render, unescape_text};
use restapi::template::Part;
use restapi::{ContextVar, Template};
use telemetry::access_log::log_escape;

/// Hands the values out in turn, one per variable reference.
struct Values<'a> {
    values: Vec<Cow<'a, str>>,
    next: Cell<usize>,
}

impl Values<'_> {
    fn take(&self) -> Option<&str> {
        let i = self.next.get();
        self.next.set(i.wrapping_add(1));
        let len = self.values.len();
        // An empty value list leaves every variable absent (rendered as `-`).
        (len > 0)
            .then(|| self.values.get(i % len).map(AsRef::as_ref))
            .flatten()
    }
}

impl Vars for Values<'_> {
    fn context(&self, _: &ContextVar) -> Option<Cow<'_, str>> {
        self.take().map(Cow::Borrowed)
    }
    fn stage_variable(&self, _: &str) -> Option<&str> {
        self.take()
    }
}

fn hazards(s: &str) -> usize {
    s.chars().filter(|&c| is_log_hazard(c)).count()
}

fn log_line(template: &Template, escape: Escape, vars: &Values<'_>) -> String {
    vars.next.set(0);
    let mut line = String::new();
    render(template, escape, "-", vars, &mut line);
    line
}

/// Runs one input; returns whether its format parsed.
pub fn render_access_log(data: &[u8]) -> bool {
    let mut fields = data.split(|&b| b == 0xff);
    let format = String::from_utf8_lossy(fields.next().unwrap_or_default());
    let vars = Values {
        values: fields.map(String::from_utf8_lossy).collect(),
        next: Cell::new(0),
    };

    // Each value alone, in a text and a JSON format.
    let text = Template::parse("[$context.requestId]").ok();
    let json = Template::parse(r#"{"v":"$context.requestId"}"#).ok();
    for value in &vars.values {
        let one = Values {
            values: vec![Cow::Borrowed(value.as_ref())],
            next: Cell::new(0),
        };
        if let Some(text) = &text {
            let line = log_line(text, Escape::Text, &one);
            assert_eq!(hazards(&line), 0, "{line:?}");
            let inner = line.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
            assert_eq!(
                inner.and_then(unescape_text).as_deref(),
                Some(value.as_ref())
            );
        }
        if let Some(json) = &json {
            let line = log_line(json, Escape::Json, &one);
            assert_eq!(hazards(&line), 0, "{line:?}");
            let parsed: serde_json::Value =
                serde_json::from_str(&line).unwrap_or(serde_json::Value::Null);
            assert_eq!(parsed["v"].as_str(), Some(value.as_ref()), "{line:?}");
        }
    }

    // The fuzzed format, as its stage's log renders it and in the other escaping too: whatever
    // line breaks a line holds come from the operator's literal text, none from a value.
    let Ok(template) = Template::parse(&format) else {
        return false;
    };
    let literal: usize = template
        .parts()
        .iter()
        .map(|p| match p {
            Part::Literal(text) => hazards(text),
            _ => 0,
        })
        .sum();
    for escape in [log_escape(&template), Escape::Text, Escape::Json] {
        let line = log_line(&template, escape, &vars);
        assert_eq!(hazards(&line), literal, "{escape:?}: {line:?}");
    }
    true
}
