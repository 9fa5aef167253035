//! Per-stage access logs in API Gateway's `accessLogSettings.format` language.
//!
//! Rendering happens on the request path and is a single pass over the pre-parsed template.
//! Writing does not: lines go through a bounded channel to one writer thread per destination, so
//! a slow terminal or disk never holds a tokio worker. When the channel is full the request waits
//! (backpressure) rather than dropping log lines.

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

/// Renders a template against a request's variables, writing `missing` for absent values.
///
/// With `json_escape`, values are JSON-escaped. Access logs whose format is JSON (it starts with
/// `{`) use it so that a quote in a User-Agent cannot break the line; API Gateway does not do this,
/// and its users have to repair such lines downstream. Mapping templates do not escape, like API
/// Gateway's: `$context.error.messageString` is already a quoted JSON string.
pub fn render(
    template: &Template,
    json_escape: bool,
    missing: &str,
    vars: &dyn Vars,
    out: &mut String,
) {
    for part in template.parts() {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Context(var) => match vars.context(var) {
                Some(v) => push_value(out, &v, json_escape),
                None => out.push_str(missing),
            },
            Part::StageVariable(name) => match vars.stage_variable(name) {
                Some(v) => push_value(out, v, json_escape),
                None => out.push_str(missing),
            },
        }
    }
}

fn push_value(out: &mut String, value: &str, json: bool) {
    if !json {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// A stage's access log: its format and a handle on its destination's writer.
#[derive(Clone)]
pub struct AccessLog {
    template: Template,
    json: bool,
    sender: SyncSender<String>,
}

impl AccessLog {
    pub fn log(&self, vars: &dyn Vars) {
        let mut line = String::with_capacity(256);
        // API Gateway prints absent values as `-` in access logs.
        render(&self.template, self.json, "-", vars, &mut line);
        line.push('\n');
        // The writer only goes away at shutdown, after the server stopped serving.
        let _ = self.sender.send(line);
    }
}

const CHANNEL_LINES: usize = 16 * 1024;

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
        let json = template.source().trim_start().starts_with('{');
        Ok(AccessLog {
            template,
            json,
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

    fn render_str(format: &str) -> String {
        let template = Template::parse(format).unwrap();
        let mut out = String::new();
        render(&template, format.starts_with('{'), "-", &Fake, &mut out);
        out
    }

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
    fn text_formats_are_verbatim() {
        assert_eq!(
            render_str("$context.requestId - $context.stage $stageVariables.nope"),
            "req-1 - - -"
        );
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
