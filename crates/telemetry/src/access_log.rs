//! Per-stage access logs in API Gateway's `accessLogSettings.format` language.
//!
//! Rendering happens on the request path and is a single pass over the pre-parsed template
//! ([`restapi::render`]). Writing does not: lines go through a bounded channel to one writer
//! thread per destination, so a slow terminal or disk never holds a tokio worker. When the channel
//! is full the line is dropped and counted (`portcullis_access_log_dropped_total`): a request must
//! never wait on its log line, and a stalled destination must not stall the gateway.
//!
//! Values are escaped in every format ([`log_escape`]): per JSON in JSON formats, with
//! backslash escapes in text ones (CLF, CSV, XML, custom), so that a value — a multi-line error
//! message, a header carrying CR/LF — can never write a line of its own. API Gateway does not
//! escape; a line it writes with such a value is one this gateway writes escaped.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use prometheus_client::metrics::counter::Counter;
use restapi::Template;
use restapi::render::{Escape, Vars, render};

use crate::metrics::{AccessLogDrops, Metrics};

/// Where a stage's access log goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Destination {
    Stdout,
    Stderr,
    File(PathBuf),
}

/// A stage's access log: its format and a handle on its destination's writer.
#[derive(Clone)]
pub struct AccessLog {
    template: Template,
    escape: Escape,
    sender: SyncSender<String>,
    dropped: Counter,
}

impl AccessLog {
    /// Renders and queues one line; never waits. A line that finds its destination's queue full
    /// is dropped and counted.
    pub fn log(&self, vars: &dyn Vars) {
        let mut line = String::with_capacity(256);
        // API Gateway prints absent values as `-` in access logs. Values are escaped whatever the
        // format, so that no value (a multi-line error message, a header with CR/LF) can write a
        // line of its own into the log.
        render(&self.template, self.escape, "-", vars, &mut line);
        line.push('\n');
        match self.sender.try_send(line) {
            Ok(()) => {}
            // The writer is behind by a whole queue: its destination stalls (a full disk, a
            // terminal nobody reads). Losing a log line beats holding a tokio worker.
            Err(TrySendError::Full(_)) => {
                // Said once per destination (the counter is shared); the metric tells the rest.
                if self.dropped.inc() == 0 {
                    tracing::warn!(
                        "an access-log destination cannot keep up: dropping lines, counted in \
                         portcullis_access_log_dropped_total"
                    );
                }
            }
            // The writer only goes away at shutdown, after the server stopped serving.
            Err(TrySendError::Disconnected(_)) => {}
        }
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
    senders: HashMap<Destination, (SyncSender<String>, Counter)>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    drops: AccessLogDrops,
}

impl Sinks {
    /// Writers whose dropped lines are counted but not exposed (tests, tools).
    pub fn new() -> Sinks {
        Sinks::default()
    }

    /// Writers whose dropped lines are counted in `metrics`, per destination.
    pub fn with_metrics(metrics: &Metrics) -> Sinks {
        Sinks {
            drops: metrics.access_log_drops(),
            ..Sinks::default()
        }
    }

    /// A logger for one stage. Files are opened for append, created when missing.
    pub fn logger(
        &mut self,
        destination: &Destination,
        template: Template,
    ) -> io::Result<AccessLog> {
        let (sender, dropped) = match self.senders.get(destination) {
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
                self.spawn(destination, writer, CHANNEL_LINES)?
            }
        };
        Ok(AccessLog {
            escape: log_escape(&template),
            template,
            sender,
            dropped,
        })
    }

    /// Starts the writer thread for `destination` with a queue of `lines`.
    fn spawn(
        &mut self,
        destination: &Destination,
        writer: Box<dyn Write + Send>,
        lines: usize,
    ) -> io::Result<(SyncSender<String>, Counter)> {
        let (tx, rx) = mpsc::sync_channel(lines);
        let handle = std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || write_loop(rx, writer))?;
        if let Ok(mut threads) = self.threads.lock() {
            threads.push(handle);
        }
        let label = match destination {
            Destination::Stdout => "stdout".to_string(),
            Destination::Stderr => "stderr".to_string(),
            Destination::File(path) => path.display().to_string(),
        };
        let entry = (tx, self.drops.destination(&label));
        self.senders.insert(destination.clone(), entry.clone());
        Ok(entry)
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
    use std::borrow::Cow;
    use std::sync::mpsc::Sender;

    use restapi::ContextVar;
    use restapi::render::is_log_hazard;

    use super::*;

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

    /// A destination whose writes block until the test lets them through, and which tells the
    /// test when the writer thread is stuck in one.
    struct Stalled {
        stuck: Sender<()>,
        release: Arc<Mutex<()>>,
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _ = self.stuck.send(());
            let _open = self.release.lock();
            if let Ok(mut w) = self.written.lock() {
                w.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_destination_drops_and_counts_lines_instead_of_blocking() {
        const QUEUE: usize = 4;
        const EXTRA: usize = 50;
        let metrics = Metrics::new();
        let mut sinks = Sinks::with_metrics(&metrics);
        let release = Arc::new(Mutex::new(()));
        let gate = release.lock().unwrap();
        let written = Arc::new(Mutex::new(Vec::new()));
        let (stuck_tx, stuck) = mpsc::channel();
        let destination = Destination::File("stalled.log".into());
        sinks
            .spawn(
                &destination,
                Box::new(Stalled {
                    stuck: stuck_tx,
                    release: release.clone(),
                    written: written.clone(),
                }),
                QUEUE,
            )
            .unwrap();
        let logger = sinks
            .logger(&destination, Template::parse("$context.requestId").unwrap())
            .unwrap();
        // The first line reaches the writer, which then blocks in its write.
        logger.log(&Fake);
        stuck.recv().unwrap();
        // With the writer stuck, QUEUE lines fit; every further `log` returns at once, dropping.
        for _ in 0..QUEUE + EXTRA {
            logger.log(&Fake);
        }
        let exposed =
            format!(r#"portcullis_access_log_dropped_total{{destination="stalled.log"}} {EXTRA}"#);
        assert!(metrics.encode().contains(&exposed), "{}", metrics.encode());
        // Shutdown still writes out everything that was queued.
        drop(gate);
        drop(logger);
        sinks.into_flusher().join();
        let text = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1 + QUEUE, "{text}");
    }
}
