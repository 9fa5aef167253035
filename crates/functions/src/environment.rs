//! One execution environment: a function process, its Runtime API listener, and the running of
//! one invocation on it, with Lambda's rules for how that ends.
//!
//! An invocation has two waits. Until the runtime takes the work (`/next`), the environment is
//! initialising (a cold start) or finishing its last invocation, bounded by the init timeout
//! (Lambda's 10 s). From the moment it takes the work, the function's timeout runs. In either
//! wait the process may exit or post an error, and the first of these to happen decides.
//! Whatever ends the invocation, the log pipe is flushed and the platform's lines are written.
//!
//! An environment is *healthy* after a response or a function error and goes back to the pool;
//! after a timeout, a crash or an init error it is killed (its whole process group) and dropped.
//! Dropping an environment always kills its group, so no path leaves a process behind.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::invoke::{Failure, FailureKind};
use crate::launch::Launch;
use crate::logs::{Lines, Report as LogReport};
use crate::process::{self, LOG_TARGET, Process};
use crate::protocol::{self, platform};
use crate::server::{self, Mailbox, Report, Work};

/// How long a killed process may take to be reaped before the host stops waiting.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// One invocation, as the environment runs it.
pub(crate) struct Request {
    pub request_id: String,
    pub event: Bytes,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub timeout: Duration,
    pub init_timeout: Duration,
    pub memory_size: u32,
    pub strict_json: bool,
}

/// How it went.
pub(crate) struct Completed {
    pub payload: Bytes,
    pub failure: Option<Failure>,
    /// The invocation's framed log, the last 4 KB.
    pub tail: Vec<u8>,
    pub cold_start: Option<Duration>,
    pub duration: Duration,
    /// False: the environment was killed and must not be reused.
    pub healthy: bool,
    /// The runtime took the event (the function ran, or may have).
    pub delivered: bool,
}

impl Completed {
    /// The outcome when the program could not even be started.
    pub fn not_started(request_id: &str, memory_size: u32, error: &std::io::Error) -> Completed {
        let (error_type, error_message) =
            platform::invalid_entrypoint(request_id, &error.to_string());
        let report = LogReport {
            request_id,
            duration: Duration::ZERO,
            memory_size_mb: memory_size,
            max_memory_used_mb: 0,
            init_duration: None,
            error: Some((&error_type, &error_message)),
        };
        Completed {
            payload: protocol::error_body(&error_type, &error_message),
            tail: report.tail(&Lines::default()),
            failure: Some(Failure {
                kind: FailureKind::Entrypoint,
                error_type,
                error_message,
            }),
            cold_start: None,
            duration: Duration::ZERO,
            healthy: false,
            delivered: false,
        }
    }
}

pub(crate) struct Environment {
    pub id: u64,
    function: Arc<str>,
    process: Process,
    mailbox: Arc<Mailbox>,
    server: JoinHandle<()>,
    spawned_at: Instant,
    /// No invocation has run here yet: the next one is the cold start.
    fresh: bool,
    pub last_used: Instant,
}

/// How the waits ended.
enum Ending {
    Reported(Report),
    Exited(Option<std::process::ExitStatus>),
    TimedOut(Duration),
    /// The runtime API dropped the invocation (the environment was closed under it).
    Lost,
}

impl Environment {
    /// Binds a listener and starts the process. `extra` holds the per-environment variables
    /// other than `AWS_LAMBDA_RUNTIME_API`, which is added here.
    pub async fn start(
        id: u64,
        function: Arc<str>,
        launch: &Launch,
        mut extra: Vec<(String, String)>,
    ) -> std::io::Result<Environment> {
        let (listener, addr): (_, SocketAddr) = server::bind().await?;
        let mailbox = Mailbox::new();
        let server = tokio::spawn(server::serve(listener, mailbox.clone()));
        extra.push(("AWS_LAMBDA_RUNTIME_API".into(), addr.to_string()));
        let process = match process::spawn(launch, &extra, function.clone()) {
            Ok(p) => p,
            Err(e) => {
                server.abort();
                return Err(e);
            }
        };
        tracing::info!(target: LOG_TARGET, function = %function, environment = id, pid = process.pid, runtime_api = %addr, "execution environment started");
        let now = Instant::now();
        Ok(Environment {
            id,
            function,
            process,
            mailbox,
            server,
            spawned_at: now,
            fresh: true,
            last_used: now,
        })
    }

    pub fn pid(&self) -> u32 {
        self.process.pid
    }

    /// The process has exited (while idle, say): the environment is of no more use.
    pub fn exited(&self) -> bool {
        self.process.exit.borrow().is_some()
    }

    /// A receiver that sees the process's exit, for whoever must wait for it.
    pub fn exit_watch(&self) -> tokio::sync::watch::Receiver<Option<std::process::ExitStatus>> {
        self.process.exit.clone()
    }

    pub async fn invoke(&mut self, req: Request) -> Completed {
        let submitted = Instant::now();
        let cold = std::mem::replace(&mut self.fresh, false);
        self.process.logs.begin(&req.request_id);
        tracing::info!(target: LOG_TARGET, function = %self.function, request_id = %req.request_id, "START RequestId: {} Version: $LATEST", req.request_id);
        let (taken_tx, taken_rx) = oneshot::channel();
        let (reply_tx, reply_rx) = oneshot::channel();
        let accepted = self.mailbox.submit(Work {
            request_id: req.request_id.clone(),
            event: req.event.clone(),
            headers: req.headers.clone(),
            timeout: req.timeout,
            taken: taken_tx,
            reply: reply_tx,
        });
        let (ending, taken_at) = if accepted {
            let init_deadline = submitted + req.init_timeout;
            waits(
                reply_rx,
                taken_rx,
                self.process.exit.clone(),
                (init_deadline, req.init_timeout),
                req.timeout,
            )
            .await
        } else {
            (Ending::Lost, None)
        };
        let ended = Instant::now();
        let memory = process::max_memory_mb(self.process.pid).unwrap_or(0);
        let id = req.request_id.as_str();
        let (payload, failure, healthy) = judge(
            ending,
            id,
            req.strict_json,
            self.process.exit.borrow().as_ref().copied(),
        );
        if !healthy {
            self.kill().await;
        }
        let lines = self.process.logs.finish().await;
        let cold_start = cold.then(|| {
            self.mailbox
                .init_done()
                .unwrap_or(ended)
                .saturating_duration_since(self.spawned_at)
        });
        if let Some(init) = cold_start {
            tracing::info!(target: LOG_TARGET, function = %self.function, request_id = id, init_ms = init.as_secs_f64() * 1000.0, "cold start");
        }
        let duration = ended.saturating_duration_since(taken_at.unwrap_or(submitted));
        let report = LogReport {
            request_id: id,
            duration,
            memory_size_mb: req.memory_size,
            max_memory_used_mb: memory,
            init_duration: cold_start,
            error: failure
                .as_ref()
                .filter(|f| f.kind != FailureKind::Function)
                .map(|f| (f.error_type.as_str(), f.error_message.as_str())),
        };
        let mut platform_lines = report.error_lines();
        platform_lines.push(report.end_line());
        platform_lines.push(report.report_line());
        for line in &platform_lines {
            tracing::info!(target: LOG_TARGET, function = %self.function, request_id = id, "{line}");
        }
        self.last_used = Instant::now();
        Completed {
            payload,
            tail: report.tail(&lines),
            failure,
            cold_start,
            duration,
            healthy,
            delivered: taken_at.is_some(),
        }
    }

    /// Kills the process group and waits (bounded) for the process to be reaped.
    pub async fn kill(&mut self) {
        self.mailbox.close();
        process::kill_group(self.process.pid);
        let mut exit = self.process.exit.clone();
        let _ = tokio::time::timeout(KILL_WAIT, exit.wait_for(Option::is_some)).await;
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.mailbox.close();
        if !self.exited() {
            process::kill_group(self.process.pid);
        }
        self.server.abort();
    }
}

/// The invocation's two waits (see the module's comment): how it ended, and when the runtime
/// took the work, if it did. A reply implies the work was taken, even when both are ready by the
/// time this task looks: an invocation that ran must never count as undelivered, or the host
/// would run it again on another environment.
async fn waits(
    mut reply_rx: oneshot::Receiver<Report>,
    mut taken_rx: oneshot::Receiver<Instant>,
    mut exit: tokio::sync::watch::Receiver<Option<std::process::ExitStatus>>,
    (init_deadline, init_timeout): (Instant, Duration),
    timeout: Duration,
) -> (Ending, Option<Instant>) {
    let mut taken_at = None;
    // Until the runtime takes the work: init (or the end of its last invocation).
    let first = tokio::select! {
        biased;
        r = &mut reply_rx => {
            taken_at = taken_rx.try_recv().ok();
            Some(r.map_or(Ending::Lost, Ending::Reported))
        }
        s = exit.wait_for(Option::is_some) => {
            // Whether it took the work before it died decides if the function ran.
            taken_at = taken_rx.try_recv().ok();
            Some(Ending::Exited(s.ok().and_then(|s| *s)))
        }
        t = &mut taken_rx => match t {
            Ok(at) => { taken_at = Some(at); None }
            Err(_) => Some(Ending::Lost),
        },
        () = tokio::time::sleep_until(init_deadline.into()) => Some(Ending::TimedOut(init_timeout)),
    };
    let ending = match (first, taken_at) {
        (Some(ending), _) => ending,
        (None, Some(at)) => {
            let deadline = tokio::time::Instant::from_std(at + timeout);
            tokio::select! {
                biased;
                r = &mut reply_rx => r.map_or(Ending::Lost, Ending::Reported),
                s = exit.wait_for(Option::is_some) => Ending::Exited(s.ok().and_then(|s| *s)),
                () = tokio::time::sleep_until(deadline) => Ending::TimedOut(timeout),
            }
        }
        (None, None) => Ending::Lost,
    };
    (ending, taken_at)
}

/// Lambda's verdict on how an invocation ended: the payload, the failure and whether the
/// environment may be reused.
fn judge(
    ending: Ending,
    id: &str,
    strict_json: bool,
    status: Option<std::process::ExitStatus>,
) -> (Bytes, Option<Failure>, bool) {
    let platform = |kind, (error_type, error_message): (String, String)| {
        let payload = protocol::error_body(&error_type, &error_message);
        (
            payload,
            Some(Failure {
                kind,
                error_type,
                error_message,
            }),
        )
    };
    match ending {
        Ending::Reported(Report::Response(body)) => {
            // An empty body is what a runtime posts for "no value"; Lambda passes it on.
            let invalid = strict_json
                && !body.is_empty()
                && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err();
            if invalid {
                let why = serde_json::from_slice::<serde::de::IgnoredAny>(&body)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                let (p, f) = platform(
                    FailureKind::InvalidResponse,
                    platform::invalid_response(id, &why),
                );
                (p, f, true)
            } else {
                (body, None, true)
            }
        }
        Ending::Reported(Report::ResponseTooLarge) => {
            let (p, f) = platform(
                FailureKind::ResponseTooLarge,
                platform::response_too_large(),
            );
            (p, f, true)
        }
        Ending::Reported(Report::Error(report)) => (
            report.payload,
            Some(Failure {
                kind: FailureKind::Function,
                error_type: report.error_type,
                error_message: report.error_message,
            }),
            true,
        ),
        Ending::Reported(Report::InitError(report)) => (
            report.payload,
            Some(Failure {
                kind: FailureKind::Init,
                error_type: report.error_type,
                error_message: report.error_message,
            }),
            false,
        ),
        Ending::TimedOut(after) => {
            let (p, f) = platform(
                FailureKind::Timeout,
                platform::timed_out(id, after.as_secs_f64()),
            );
            (p, f, false)
        }
        Ending::Exited(exit) => {
            let (p, f) = platform(FailureKind::Exit, platform::exited(id, exit.or(status)));
            (p, f, false)
        }
        Ending::Lost => {
            let (p, f) = platform(FailureKind::Exit, platform::exited(id, status));
            (p, f, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One pair per channel an invocation uses, in the order the tests destructure them.
    #[allow(clippy::type_complexity)]
    fn channels() -> (
        (oneshot::Sender<Report>, oneshot::Receiver<Report>),
        (oneshot::Sender<Instant>, oneshot::Receiver<Instant>),
        (
            tokio::sync::watch::Sender<Option<std::process::ExitStatus>>,
            tokio::sync::watch::Receiver<Option<std::process::ExitStatus>>,
        ),
    ) {
        (
            oneshot::channel(),
            oneshot::channel(),
            tokio::sync::watch::channel(None),
        )
    }

    const LONG: Duration = Duration::from_secs(30);

    // The CI failure this pins: a warm runtime took the work and replied before the invoking
    // task was polled; the reply won the biased select, the work counted as undelivered, and
    // the host ran the function a second time on a cold environment.
    #[tokio::test]
    async fn a_reply_that_is_ready_with_the_take_counts_as_delivered() {
        let ((reply_tx, reply_rx), (taken_tx, taken_rx), (_exit_tx, exit)) = channels();
        let at = Instant::now();
        taken_tx.send(at).unwrap();
        reply_tx
            .send(Report::Response(Bytes::from_static(b"{}")))
            .unwrap();
        let (ending, taken) = waits(reply_rx, taken_rx, exit, (at + LONG, LONG), LONG).await;
        assert!(matches!(ending, Ending::Reported(Report::Response(_))));
        assert_eq!(taken, Some(at));
    }

    #[tokio::test]
    async fn an_init_error_before_any_take_is_undelivered() {
        let ((reply_tx, reply_rx), (_taken_tx, taken_rx), (_exit_tx, exit)) = channels();
        let report = protocol::ErrorReport {
            payload: Bytes::new(),
            error_type: "Runtime.ImportModuleError".into(),
            error_message: "no".into(),
        };
        reply_tx.send(Report::InitError(report)).unwrap();
        let now = Instant::now();
        let (ending, taken) = waits(reply_rx, taken_rx, exit, (now + LONG, LONG), LONG).await;
        assert!(matches!(ending, Ending::Reported(Report::InitError(_))));
        assert_eq!(taken, None);
    }

    #[tokio::test]
    async fn the_function_timeout_runs_from_the_take() {
        let ((_reply_tx, reply_rx), (taken_tx, taken_rx), (_exit_tx, exit)) = channels();
        let now = Instant::now();
        taken_tx.send(now).unwrap();
        let timeout = Duration::from_millis(10);
        let (ending, taken) = waits(reply_rx, taken_rx, exit, (now + LONG, LONG), timeout).await;
        assert!(matches!(ending, Ending::TimedOut(t) if t == timeout));
        assert_eq!(taken, Some(now));
    }
}
