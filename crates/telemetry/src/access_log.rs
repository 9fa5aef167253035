//! Per-stage access logs in API Gateway's `accessLogSettings.format` language.
//!
//! Rendering happens on the request path and is a single pass over the pre-parsed template.
//! Writing does not: lines go through a bounded channel to one writer thread per destination, so
//! a slow terminal or disk never holds a tokio worker. When the channel is full the request waits
//! (backpressure) rather than dropping log lines.
//!
//! Values are escaped in every format ([`log_escape`]): per JSON in JSON formats, with
//! backslash escapes in text ones (CLF, CSV, XML, custom), so that a value — a multi-line error
//! message, a header carrying CR/LF — can never write a line of its own. API Gateway does not
//! escape; a line it writes with such a value is one this gateway writes escaped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use restapi::template::Part;
use restapi::{ContextVar, Template};

/// Where a stage's access log goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Destination {
    Stdout,
    Stderr,
    File(PathBuf),
}

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

/// A stage's access log: its format and a handle on its destination's writer.
#[derive(Clone)]
pub struct AccessLog {
    template: Template,
    escape: Escape,
    sender: SyncSender<String>,
}

impl AccessLog {
    pub fn log(&self, vars: &dyn Vars) {
        let mut line = String::with_capacity(256);
        // API Gateway prints absent values as `-` in access logs. Values are escaped whatever the
        // format, so that no value (a multi-line error message, a header with CR/LF) can write a
        // line of its own into the log.
        render(&self.template, self.escape, "-", vars, &mut line);
        line.push('\n');
        // The writer only goes away at shutdown, after the server stopped serving.
        let _ = self.sender.send(line);
    }
}

const CHANNEL_LINES: usize = 16 * 1024;

/// How an access-log format escapes values: per JSON when it is JSON (starts with `{`), as text
/// otherwise. API Gateway escapes neither, and its users have to repair such lines downstream.
pub fn log_escape(template: &Template) -> Escape {
    if template.source().trim_start().starts_with('{') {
        Escape::Json
    } else {
        Escape::Text
    }
}

/// The writer threads, one per destination, shared by all stages that log there.
#[derive(Default)]
pub struct Sinks {
    senders: HashMap<Destination, SyncSender<String>>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Sinks {
    pub fn new() -> Sinks {
        Sinks::default()
    }

    /// A logger for one stage. Files are opened for append, created when missing.
    pub fn logger(
        &mut self,
        destination: &Destination,
        template: Template,
    ) -> io::Result<AccessLog> {
        let sender = match self.senders.get(destination) {
            Some(s) => s.clone(),
            None => {
                let writer: Box<dyn Write + Send> = match destination {
                    Destination::Stdout => Box::new(io::stdout()),
                    Destination::Stderr => Box::new(io::stderr()),
                    Destination::File(path) => {
                        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                            std::fs::create_dir_all(parent)?;
                        }
                        Box::new(OpenOptions::new().create(true).append(true).open(path)?)
                    }
                };
                let (tx, rx) = mpsc::sync_channel(CHANNEL_LINES);
                let handle = std::thread::Builder::new()
                    .name("access-log".into())
                    .spawn(move || write_loop(rx, writer))?;
                if let Ok(mut threads) = self.threads.lock() {
                    threads.push(handle);
                }
                self.senders.insert(destination.clone(), tx.clone());
                tx
            }
        };
        Ok(AccessLog {
            escape: log_escape(&template),
            template,
            sender,
        })
    }

    /// Closes this registry's senders and returns a handle that waits for the writers to drain.
    /// Loggers still alive (held by a running gateway) keep their writer open until dropped.
    pub fn into_flusher(self) -> Flusher {
        Flusher {
            threads: self.threads,
        }
    }
}

/// Waits for access-log writers to finish once every logger is gone.
pub struct Flusher {
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Flusher {
    pub fn join(self) {
        let handles = match self.threads.lock() {
            Ok(mut t) => std::mem::take(&mut *t),
            Err(_) => return,
        };
        for h in handles {
            let _ = h.join();
        }
    }
}

fn write_loop(rx: Receiver<String>, writer: Box<dyn Write + Send>) {
    let mut out = BufWriter::with_capacity(64 * 1024, writer);
    while let Ok(line) = rx.recv() {
        let mut ok = out.write_all(line.as_bytes()).is_ok();
        // Drain what is queued, then flush once: one write syscall per burst, not per line.
        loop {
            match rx.try_recv() {
                Ok(line) => ok &= out.write_all(line.as_bytes()).is_ok(),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    let _ = out.flush();
                    return;
                }
            }
        }
        ok &= out.flush().is_ok();
        if !ok {
            tracing::warn!("access log write failed");
        }
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Fake;

    impl Vars for Fake {
        fn context(&self, var: &ContextVar) -> Option<Cow<'_, str>> {
            match var {
                ContextVar::RequestId => Some("req-1".into()),
                ContextVar::Identity(restapi::context::IdentityVar::UserAgent) => {
                    Some("curl \"quoted\"\\\n".into())
                }
                _ => None,
            }
        }
        fn stage_variable(&self, name: &str) -> Option<&str> {
            (name == "v").then_some("val")
        }
    }

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

    /// Renders `format` as an access log does.
    fn log_line(format: &str, vars: &dyn Vars) -> String {
        let template = Template::parse(format).unwrap();
        let mut out = String::new();
        render(&template, log_escape(&template), "-", vars, &mut out);
        out
    }

    fn render_str(format: &str) -> String {
        log_line(format, &Fake)
    }

    /// Characters that must never appear raw in a log line.
    const HAZARDS: &[char] = &[
        '\n', '\r', '\t', '\0', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}', '\u{7f}', '\u{80}', '\u{85}',
        '\u{9f}', '\u{2028}', '\u{2029}', '\u{202e}', '\u{2066}', '\u{200f}', '\u{61c}',
    ];

    const CLF: &str = "$context.identity.sourceIp - - [$context.requestTime] \"$context.httpMethod $context.path $context.protocol\" $context.status $context.error.message";
    const JSON: &str = r#"{"requestId":"$context.requestId","error":"$context.error.message"}"#;

    #[test]
    fn json_lines_stay_valid() {
        let line = render_str(
            r#"{"requestId":"$context.requestId","ua":"$context.identity.userAgent","ip":"$context.identity.sourceIp","v":"$stageVariables.v"}"#,
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["requestId"], "req-1");
        assert_eq!(parsed["ua"], "curl \"quoted\"\\\n");
        assert_eq!(parsed["ip"], "-");
        assert_eq!(parsed["v"], "val");
    }

    #[test]
    fn plain_text_values_are_written_as_they_are() {
        assert_eq!(
            render_str("$context.requestId - $context.stage $stageVariables.nope"),
            "req-1 - - -"
        );
        let plain = "Mozilla/5.0 (X11; Linux) \"caf\u{e9}\" <b>, 'x' \u{2603}";
        assert_eq!(log_line("$context.requestId", &Same(plain)), plain);
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(
            render_str("$context.requestId \"$context.identity.userAgent\""),
            r#"req-1 "curl "quoted"\\\n""#
        );
        assert_eq!(
            log_line(
                "[$context.requestId]",
                &Same("a\tb\r\nc\0d\u{1b}[31m\u{7f}\u{85}\u{2028}\u{2029}\u{202e}\\x41")
            ),
            r"[a\tb\r\nc\x00d\x1b[31m\x7f\u{85}\u{2028}\u{2029}\u{202e}\\x41]"
        );
    }

    #[test]
    fn a_multi_line_error_message_cannot_forge_log_lines() {
        let forged = "The request signature we calculated does not match.\n\n203.0.113.9 - - [01/Jan/2026:00:00:00 +0000] \"GET /admin HTTP/1.1\" 200 -";
        for format in [
            CLF,
            JSON,
            "$context.error.message,$context.requestId",
            "<e>$context.error.message</e>",
        ] {
            let line = log_line(format, &Same(forged));
            assert!(!line.contains(['\n', '\r']), "{format}: {line}");
            assert!(!line.contains(HAZARDS), "{format}: {line}");
        }
    }

    #[test]
    fn json_escapes_every_hazard_including_line_separators() {
        let value: String = HAZARDS.iter().chain(['"', '\\', 'x'].iter()).collect();
        let line = log_line(JSON, &Same(&value));
        assert!(!line.contains(HAZARDS), "{line}");
        assert!(line.contains(r"\u2028\u2029"), "{line}");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["error"], value.as_str());
    }

    #[test]
    fn mapping_templates_stay_verbatim() {
        // `render` with `Escape::None` is what mapping templates and gateway responses use.
        let template = Template::parse(r#"{"message":$context.error.messageString}"#).unwrap();
        let mut out = String::new();
        render(&template, Escape::None, "", &Same("\"a\nb\\\""), &mut out);
        assert_eq!(out, "{\"message\":\"a\nb\\\"}");
        let mut out = String::new();
        render(&template, Escape::Json, "", &Same("\"\n"), &mut out);
        assert_eq!(out, r#"{"message":\"\n}"#);
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
        fn text_lines_hold_no_raw_line_breaks_and_unescape_to_the_value(value in hostile_value()) {
            let line = log_line("[$context.requestId]", &Same(&value));
            prop_assert!(!line.contains(HAZARDS), "{:?}", line);
            prop_assert!(!line.chars().any(is_log_hazard), "{:?}", line);
            let inner = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')).unwrap();
            prop_assert_eq!(unescape_text(inner), Some(value.clone()));
            // Every non-JSON format escapes the same way.
            let clf = log_line(CLF, &Same(&value));
            prop_assert!(!clf.chars().any(is_log_hazard), "{:?}", clf);
        }

        #[test]
        fn json_lines_hold_no_raw_line_breaks_and_parse_to_the_value(value in hostile_value()) {
            let line = log_line(JSON, &Same(&value));
            prop_assert!(!line.chars().any(is_log_hazard), "{:?}", line);
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(parsed["error"].as_str(), Some(value.as_str()));
        }
    }

    #[test]
    fn hostile_values_leave_one_line_per_request_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let mut sinks = Sinks::new();
        let values = [
            "a\nforged line\r\nanother",
            "\u{85}\u{2028}\u{2029}\u{b}\u{c}\r",
            "\\n is not a line break",
        ];
        for format in [CLF, JSON] {
            let logger = sinks
                .logger(
                    &Destination::File(path.clone()),
                    Template::parse(format).unwrap(),
                )
                .unwrap();
            for v in values {
                logger.log(&Same(v));
            }
        }
        sinks.into_flusher().join();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches('\n').count(), 2 * values.len(), "{text}");
        assert!(
            !text.chars().any(|c| c != '\n' && is_log_hazard(c)),
            "{text}"
        );
        let last = text.lines().last().unwrap();
        let parsed: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(parsed["error"], values[2]);
    }

    #[test]
    fn writes_to_a_file_and_flushes_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/access.log");
        let mut sinks = Sinks::new();
        let logger = sinks
            .logger(
                &Destination::File(path.clone()),
                Template::parse("$context.requestId").unwrap(),
            )
            .unwrap();
        let second = sinks
            .logger(
                &Destination::File(path.clone()),
                Template::parse("second $context.requestId").unwrap(),
            )
            .unwrap();
        for _ in 0..1000 {
            logger.log(&Fake);
        }
        second.log(&Fake);
        drop((logger, second));
        sinks.into_flusher().join();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1001);
        assert_eq!(text.lines().last(), Some("second req-1"));
    }
}
