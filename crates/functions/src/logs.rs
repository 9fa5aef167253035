//! A function's log, as Lambda keeps it: the process's output cut into lines, each invocation's
//! lines framed by the platform's `START`, `END` and `REPORT` lines, and the last 4 KB of that
//! available to the caller (`LogType: Tail`, `X-Amz-Log-Result`). Pure; the pipe is read in
//! `process.rs`.
//!
//! A process can write anything, of any length, so lines are bounded: a line longer than
//! [`MAX_LINE`] is cut into pieces of that size (Lambda caps a log event at 256 KB).

use std::collections::VecDeque;
use std::time::Duration;

/// The longest line kept whole.
pub const MAX_LINE: usize = 256 * 1024;
/// How much of an invocation's log `LogType: Tail` returns (Lambda: the last 4 KB).
pub const TAIL_BYTES: usize = 4096;

/// Cuts a byte stream into lines (without their `\n`; a `\r` before it goes too).
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Feeds bytes, returning the lines they complete.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        while !bytes.is_empty() {
            let room = MAX_LINE.saturating_sub(self.partial.len());
            let window = bytes.get(..room.min(bytes.len())).unwrap_or(bytes);
            match window.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.partial
                        .extend_from_slice(window.get(..i).unwrap_or_default());
                    lines.push(self.take());
                    bytes = bytes.get(i + 1..).unwrap_or_default();
                }
                None => {
                    self.partial.extend_from_slice(window);
                    bytes = bytes.get(window.len()..).unwrap_or_default();
                    if self.partial.len() >= MAX_LINE {
                        lines.push(self.take());
                    }
                }
            }
        }
        lines
    }

    /// The unfinished line, if any: at a flush, output without a newline is still a line.
    pub fn finish(&mut self) -> Option<String> {
        (!self.partial.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> String {
        if self.partial.last() == Some(&b'\r') {
            self.partial.pop();
        }
        let line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        line
    }
}

/// An invocation's lines, keeping only what the tail can show (plus one line).
#[derive(Debug, Default)]
pub struct Lines {
    lines: VecDeque<String>,
    bytes: usize,
}

impl Lines {
    pub fn push(&mut self, line: String) {
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        // Drop the oldest line while the rest still fill the tail.
        while let Some(front) = self.lines.front() {
            let front = front.len() + 1;
            if self.bytes - front < TAIL_BYTES {
                break;
            }
            self.bytes -= front;
            self.lines.pop_front();
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(String::as_str)
    }
}

/// The platform's lines around one invocation.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub request_id: &'a str,
    pub duration: Duration,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: u64,
    /// Set on a cold start: the environment's init time.
    pub init_duration: Option<Duration>,
    /// A platform failure, as Lambda logs it after the function's lines.
    pub error: Option<(&'a str, &'a str)>,
}

impl Report<'_> {
    pub fn start_line(&self) -> String {
        format!("START RequestId: {} Version: $LATEST", self.request_id)
    }

    pub fn end_line(&self) -> String {
        format!("END RequestId: {}", self.request_id)
    }

    /// `REPORT RequestId: … Duration: 1.23 ms Billed Duration: 2 ms Memory Size: 128 MB Max
    /// Memory Used: 20 MB` (tab-separated), with `Init Duration` on a cold start. Lambda bills
    /// by the millisecond, rounding up.
    pub fn report_line(&self) -> String {
        let ms = self.duration.as_secs_f64() * 1000.0;
        let billed = self.duration.as_micros().div_ceil(1000).max(1);
        let mut line = format!(
            "REPORT RequestId: {}\tDuration: {ms:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id, self.memory_size_mb, self.max_memory_used_mb
        );
        if let Some(init) = self.init_duration {
            line.push_str(&format!(
                "\tInit Duration: {:.2} ms",
                init.as_secs_f64() * 1000.0
            ));
        }
        line
    }

    /// Lambda's two lines for a platform error: `RequestId: … Error: …` then the type.
    pub fn error_lines(&self) -> Vec<String> {
        self.error
            .map(|(ty, message)| vec![message.to_owned(), ty.to_owned()])
            .unwrap_or_default()
    }

    /// The invocation's whole log, framed, cut to its last [`TAIL_BYTES`] bytes (as Lambda does:
    /// the cut may fall inside a line).
    pub fn tail(&self, lines: &Lines) -> Vec<u8> {
        let mut text = self.start_line();
        text.push('\n');
        for line in lines.iter() {
            text.push_str(line);
            text.push('\n');
        }
        for line in self.error_lines() {
            text.push_str(&line);
            text.push('\n');
        }
        text.push_str(&self.end_line());
        text.push('\n');
        text.push_str(&self.report_line());
        text.push('\n');
        let bytes = text.into_bytes();
        let from = bytes.len().saturating_sub(TAIL_BYTES);
        bytes.get(from..).unwrap_or_default().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_lines_across_pushes() {
        let mut s = LineSplitter::default();
        assert!(s.push(b"hel").is_empty());
        assert_eq!(s.push(b"lo\r\nwor"), vec!["hello"]);
        assert_eq!(s.push(b"ld\n\n"), vec!["world", ""]);
        assert_eq!(s.finish(), None);
        s.push(b"tail");
        assert_eq!(s.finish().as_deref(), Some("tail"));
    }

    #[test]
    fn long_lines_are_cut() {
        let mut s = LineSplitter::default();
        let big = vec![b'x'; MAX_LINE * 2 + 5];
        let lines = s.push(&big);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.len() == MAX_LINE));
        assert_eq!(s.finish().map(|l| l.len()), Some(5));
    }

    #[test]
    fn report_and_tail() {
        let mut lines = Lines::default();
        lines.push("hello".into());
        let r = Report {
            request_id: "id-1",
            duration: Duration::from_micros(12_345),
            memory_size_mb: 128,
            max_memory_used_mb: 20,
            init_duration: Some(Duration::from_millis(100)),
            error: None,
        };
        assert_eq!(
            r.report_line(),
            "REPORT RequestId: id-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 100.00 ms"
        );
        let tail = String::from_utf8(r.tail(&lines)).unwrap();
        assert!(tail.starts_with(
            "START RequestId: id-1 Version: $LATEST\nhello\nEND RequestId: id-1\nREPORT"
        ));
    }

    #[test]
    fn tail_is_the_last_4_kb() {
        let mut lines = Lines::default();
        for i in 0..2000 {
            lines.push(format!("line {i}"));
        }
        let r = Report {
            request_id: "id",
            duration: Duration::ZERO,
            memory_size_mb: 128,
            max_memory_used_mb: 0,
            init_duration: None,
            error: Some((
                "Sandbox.Timedout",
                "RequestId: id Error: Task timed out after 3.00 seconds",
            )),
        };
        let tail = String::from_utf8(r.tail(&lines)).unwrap();
        assert_eq!(tail.len(), TAIL_BYTES);
        assert!(tail.contains("line 1999\nRequestId: id Error: Task timed out after 3.00 seconds\nSandbox.Timedout\nEND RequestId: id\nREPORT"));
        assert!(r.report_line().contains("Billed Duration: 1 ms"));
    }

    proptest! {
        #[test]
        fn splitting_loses_nothing(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20)) {
            let mut s = LineSplitter::default();
            let mut got: Vec<String> = chunks.iter().flat_map(|c| s.push(c)).collect();
            got.extend(s.finish());
            let all: Vec<u8> = chunks.concat();
            let text = String::from_utf8_lossy(&all);
            let mut pieces: Vec<&str> = text.split('\n').collect();
            // The last piece of `split` is the unterminated remainder, kept only if not empty.
            if pieces.last() == Some(&"") {
                pieces.pop();
            }
            let expected: Vec<String> = pieces
                .into_iter()
                .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
                .collect();
            // Lossy decoding per line may differ from decoding the whole only where a UTF-8
            // sequence spans a newline, which cannot happen: '\n' is never inside a sequence.
            prop_assert_eq!(got, expected);
        }
    }
}
