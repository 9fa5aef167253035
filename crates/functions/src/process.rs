//! A function's process: spawned in its own process group (so a timeout kills everything it
//! started, not just the runtime), its exit watched, and its output read line by line.
//!
//! Standard output and standard error share one pipe, as they share one log stream on Lambda,
//! which keeps their lines in the order they were written. The pipe is read without blocking so
//! that the end of an invocation can *flush* it: everything the function wrote before it posted
//! its answer is already in the pipe (the runtimes write their output unbuffered or line by line),
//! and the flush reads until the pipe is empty, so those lines are the invocation's — in its log
//! tail and tagged with its request id — however late the reader would otherwise have woken up.

use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::net::unix::pipe;
use tokio::sync::{mpsc, oneshot, watch};

use crate::launch::Launch;
use crate::logs::{LineSplitter, Lines};

/// The `tracing` target of function output and platform lines.
pub const LOG_TARGET: &str = "portcullis::function";

/// How long the end of an invocation waits for the log reader to drain the pipe.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

/// A running (or exited) function process.
pub(crate) struct Process {
    pub pid: u32,
    pub exit: watch::Receiver<Option<ExitStatus>>,
    pub logs: LogControl,
}

/// Starts `launch` with exactly its environment plus `extra`.
pub(crate) fn spawn(
    launch: &Launch,
    extra: &[(String, String)],
    function: Arc<str>,
) -> std::io::Result<Process> {
    let (reader, writer) = std::io::pipe()?;
    let mut cmd = tokio::process::Command::new(&launch.program);
    cmd.args(&launch.args)
        .current_dir(&launch.cwd)
        .env_clear()
        .envs(&launch.env)
        .envs(extra.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        // Its own group, led by the runtime: killing the group reaches every descendant.
        .process_group(0)
        .kill_on_drop(true);
    let child = cmd.spawn();
    // The parent's copies of the pipe's write end go with the command, so the pipe ends (EOF)
    // when the process and its descendants have closed theirs.
    drop(cmd);
    let mut child = child?;
    let pid = child.id().unwrap_or_default();

    let (exit_tx, exit) = watch::channel(None);
    tokio::spawn(async move {
        let status = child.wait().await.ok();
        // Descendants the runtime left behind go with it. The group id cannot have been reused
        // while any of them lives; if none does, this finds no group.
        kill_group(pid);
        let _ = exit_tx.send(status);
    });

    // Tokio's pipe makes the descriptor non-blocking and registers it with the reactor.
    let fd = pipe::Receiver::from_owned_fd(OwnedFd::from(reader))?;
    let capture = Arc::new(Mutex::new(Capture::default()));
    let (flush, flush_rx) = mpsc::channel(1);
    tokio::spawn(read_logs(fd, function, capture.clone(), flush_rx));
    Ok(Process {
        pid,
        exit,
        logs: LogControl { capture, flush },
    })
}

/// SIGKILL to the process group `pid` leads. Errors (the group is gone) are the goal reached.
pub(crate) fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// The peak resident memory of `pid` in MB (`VmHWM`), what Lambda reports as Max Memory Used.
/// A procfs read never waits on a disk, so it is done in place.
pub(crate) fn max_memory_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kb.div_ceil(1024))
}

#[derive(Default)]
struct Capture {
    request_id: Option<String>,
    lines: Lines,
}

/// The host's handle on a process's log.
pub(crate) struct LogControl {
    capture: Arc<Mutex<Capture>>,
    flush: mpsc::Sender<oneshot::Sender<()>>,
}

impl LogControl {
    fn lock(&self) -> MutexGuard<'_, Capture> {
        lock(&self.capture)
    }

    /// From now on, lines belong to `request_id`.
    pub fn begin(&self, request_id: &str) {
        let mut c = self.lock();
        c.request_id = Some(request_id.to_owned());
        c.lines = Lines::default();
    }

    /// Drains the pipe and returns the invocation's lines; later lines belong to no invocation.
    pub async fn finish(&self) -> Lines {
        let (ack, done) = oneshot::channel();
        if self.flush.send(ack).await.is_ok() {
            let _ = tokio::time::timeout(FLUSH_WAIT, done).await;
        }
        let mut c = self.lock();
        c.request_id = None;
        std::mem::take(&mut c.lines)
    }
}

fn lock(capture: &Mutex<Capture>) -> MutexGuard<'_, Capture> {
    // Holding this lock never panics (pushes and swaps only); a poisoned lock is still coherent.
    capture.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads the pipe until the environment goes (its `LogControl` dropped).
async fn read_logs(
    fd: pipe::Receiver,
    function: Arc<str>,
    capture: Arc<Mutex<Capture>>,
    mut flush: mpsc::Receiver<oneshot::Sender<()>>,
) {
    let mut splitter = LineSplitter::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut eof = false;
    let emit = |lines: Vec<String>| {
        for line in lines {
            emit_line(&function, &capture, line);
        }
    };
    loop {
        if eof {
            // Nothing more can come; keep answering flushes until the environment goes.
            match flush.recv().await {
                Some(ack) => {
                    emit(splitter.finish().into_iter().collect());
                    let _ = ack.send(());
                }
                None => return,
            }
            continue;
        }
        tokio::select! {
            biased;
            request = flush.recv() => {
                let Some(ack) = request else { return };
                // Read the descriptor directly, not through the reactor, whose readiness may not
                // have caught up with what is in the pipe: a non-blocking read until it is empty.
                loop {
                    match nix::unistd::read(fd.as_fd(), &mut buf) {
                        Ok(0) => { eof = true; break; }
                        Ok(n) => emit(splitter.push(buf.get(..n).unwrap_or_default())),
                        Err(Errno::EINTR) => {}
                        Err(Errno::EAGAIN) => break,
                        Err(_) => { eof = true; break; }
                    }
                }
                emit(splitter.finish().into_iter().collect());
                let _ = ack.send(());
            }
            ready = fd.readable() => {
                if ready.is_err() {
                    eof = true;
                    continue;
                }
                match fd.try_read(&mut buf) {
                    Ok(0) => {
                        eof = true;
                        emit(splitter.finish().into_iter().collect());
                    }
                    Ok(n) => emit(splitter.push(buf.get(..n).unwrap_or_default())),
                    // Stale readiness (cleared by this) or an interrupted read: wait again.
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) => {}
                    Err(_) => eof = true,
                }
            }
        }
    }
}

fn emit_line(function: &str, capture: &Mutex<Capture>, line: String) {
    let mut c = lock(capture);
    match &c.request_id {
        Some(id) => tracing::info!(target: LOG_TARGET, function, request_id = %id, "{line}"),
        None => tracing::info!(target: LOG_TARGET, function, "{line}"),
    }
    if c.request_id.is_some() {
        c.lines.push(line);
    }
}
