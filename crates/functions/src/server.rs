//! The Runtime API one execution environment talks to: a loopback HTTP/1.1 listener on an
//! ephemeral port, its address in the process's `AWS_LAMBDA_RUNTIME_API`.
//!
//! Each environment gets its own listener, as on Lambda (where every environment has its own
//! endpoint): the host must know *which* process took an invocation, to kill that one on a
//! timeout and to blame that one for a crash, and a runtime names nothing but the request id.
//!
//! The host and the server share a [`Mailbox`]: the host posts one [`Work`], the runtime's
//! `/next` long-polls until there is one, takes it and answers with the event and Lambda's
//! headers; its `/response` or `/error` for that request id resolves the host's [`Report`]. The
//! hand-over is synchronous under the mailbox's lock, so a `/next` whose client went away never
//! loses the work it had not yet taken.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

use crate::protocol::{Answer, ERROR_TYPE_HEADER, ErrorReport, MAX_PAYLOAD, Route};

/// One invocation handed to an environment.
pub(crate) struct Work {
    pub request_id: String,
    pub event: Bytes,
    /// Lambda's `/next` headers other than the request id and the deadline.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub timeout: Duration,
    /// Told when the runtime took the work: the moment the function's clock starts.
    pub taken: oneshot::Sender<Instant>,
    pub reply: oneshot::Sender<Report>,
}

/// What the runtime said about an invocation.
#[derive(Debug)]
pub(crate) enum Report {
    Response(Bytes),
    ResponseTooLarge,
    Error(ErrorReport),
    InitError(ErrorReport),
}

enum Phase {
    /// Waiting for work (or, before the first `/next`, initialising).
    Idle,
    Queued(Work),
    Running {
        request_id: String,
        reply: oneshot::Sender<Report>,
    },
    /// Init failed or the host gave up on this environment: every call is refused.
    Closed,
}

struct State {
    phase: Phase,
    /// The first `/next` ends init.
    init_done: Option<Instant>,
}

/// The state one environment's host side and server share.
pub(crate) struct Mailbox {
    state: Mutex<State>,
    work: Notify,
}

impl Mailbox {
    pub fn new() -> Arc<Mailbox> {
        Arc::new(Mailbox {
            state: Mutex::new(State {
                phase: Phase::Idle,
                init_done: None,
            }),
            work: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock would be a bug in this module; the state is still
        // coherent (every transition is one assignment), so keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Posts work; false if the environment is closed or busy.
    pub fn submit(&self, work: Work) -> bool {
        let mut state = self.lock();
        if !matches!(state.phase, Phase::Idle) {
            return false;
        }
        state.phase = Phase::Queued(work);
        drop(state);
        self.work.notify_one();
        true
    }

    /// When the runtime first asked for work.
    pub fn init_done(&self) -> Option<Instant> {
        self.lock().init_done
    }

    /// Refuses everything from now on (and wakes a waiting `/next` to say so).
    pub fn close(&self) {
        self.lock().phase = Phase::Closed;
        self.work.notify_waiters();
    }

    /// Waits for work and takes it: the invocation is running from here, and the host is told
    /// its clock started.
    async fn next(&self) -> Result<Taken, Answer> {
        loop {
            let notified = self.work.notified();
            {
                let mut state = self.lock();
                let now = Instant::now();
                if state.init_done.is_none() {
                    state.init_done = Some(now);
                }
                match std::mem::replace(&mut state.phase, Phase::Idle) {
                    Phase::Queued(work) => {
                        let Work {
                            request_id,
                            event,
                            headers,
                            timeout,
                            taken,
                            reply,
                        } = work;
                        state.phase = Phase::Running {
                            request_id: request_id.clone(),
                            reply,
                        };
                        // The host may have given up already; then the answer goes nowhere.
                        let _ = taken.send(now);
                        return Ok(Taken {
                            request_id,
                            event,
                            headers,
                            timeout,
                        });
                    }
                    Phase::Idle => {}
                    other @ Phase::Running { .. } => {
                        state.phase = other;
                        return Err(Answer::invalid_state("Running", "Ready"));
                    }
                    Phase::Closed => {
                        state.phase = Phase::Closed;
                        return Err(Answer::gone());
                    }
                }
            }
            notified.await;
        }
    }

    /// Resolves the running invocation `id`, or says why not.
    fn finish(&self, id: &str, report: impl FnOnce() -> Report) -> Answer {
        let mut state = self.lock();
        match std::mem::replace(&mut state.phase, Phase::Idle) {
            Phase::Running { request_id, reply } if request_id == id => {
                let _ = reply.send(report());
                Answer::accepted()
            }
            other => {
                let answer = match &other {
                    Phase::Running { .. } => Answer::invalid_request_id(),
                    Phase::Closed => Answer::gone(),
                    Phase::Idle | Phase::Queued(_) => {
                        Answer::invalid_state("Ready", "InvocationResponse")
                    }
                };
                state.phase = other;
                answer
            }
        }
    }

    /// Checks that `id` is the running invocation before reading a body for it.
    fn is_running(&self, id: &str) -> Result<(), Answer> {
        match &self.lock().phase {
            Phase::Running { request_id, .. } if request_id == id => Ok(()),
            Phase::Running { .. } => Err(Answer::invalid_request_id()),
            Phase::Closed => Err(Answer::gone()),
            Phase::Idle | Phase::Queued(_) => {
                Err(Answer::invalid_state("Ready", "InvocationResponse"))
            }
        }
    }

    fn init_error(&self, report: ErrorReport) -> Answer {
        let mut state = self.lock();
        if state.init_done.is_some() {
            return Answer::invalid_state("Ready", "InitError");
        }
        match std::mem::replace(&mut state.phase, Phase::Closed) {
            Phase::Queued(work) => {
                let _ = work.reply.send(Report::InitError(report));
            }
            Phase::Idle | Phase::Running { .. } | Phase::Closed => {}
        }
        drop(state);
        self.work.notify_waiters();
        Answer::accepted()
    }
}

/// Binds the environment's listener on loopback.
pub(crate) async fn bind() -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves the Runtime API on `listener` until the task is aborted (the environment's drop).
pub(crate) async fn serve(listener: TcpListener, mailbox: Arc<Mailbox>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Accept errors (out of descriptors) are transient; the runtime reconnects.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mailbox = mailbox.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let mailbox = mailbox.clone();
                async move { Ok::<_, Infallible>(handle(&mailbox, req).await) }
            });
            // A runtime that breaks its connection is the runtime's problem: the invocation's
            // timeout or the process's exit ends the wait.
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(mailbox: &Mailbox, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let route = Route::parse(parts.method.as_str(), parts.uri.path());
    let answer = match route {
        Route::Next => match mailbox.next().await {
            Ok(taken) => return next_response(taken),
            Err(answer) => answer,
        },
        Route::Response(id) => match mailbox.is_running(id) {
            Err(answer) => answer,
            Ok(()) => match read(body).await {
                Ok(bytes) => mailbox.finish(id, || Report::Response(bytes)),
                Err(Read::TooLarge) => {
                    // Lambda answers 413 and fails the invocation with its own error.
                    let _ = mailbox.finish(id, || Report::ResponseTooLarge);
                    Answer::too_large()
                }
                Err(Read::Broken) => Answer::gone(),
            },
        },
        Route::Error(id) => match mailbox.is_running(id) {
            Err(answer) => answer,
            Ok(()) => match read(body).await {
                Ok(bytes) => {
                    let header = parts
                        .headers
                        .get(ERROR_TYPE_HEADER)
                        .map(HeaderValue::as_bytes);
                    let report = ErrorReport::parse(header, &bytes);
                    mailbox.finish(id, || Report::Error(report))
                }
                Err(Read::TooLarge) => {
                    let _ = mailbox.finish(id, || Report::ResponseTooLarge);
                    Answer::too_large()
                }
                Err(Read::Broken) => Answer::gone(),
            },
        },
        Route::InitError => match read(body).await {
            Ok(bytes) => {
                let header = parts
                    .headers
                    .get(ERROR_TYPE_HEADER)
                    .map(HeaderValue::as_bytes);
                mailbox.init_error(ErrorReport::parse(header, &bytes))
            }
            Err(Read::TooLarge) => Answer::too_large(),
            Err(Read::Broken) => Answer::gone(),
        },
        Route::MethodNotAllowed => Answer::method_not_allowed(),
        Route::NotFound => Answer::not_found(),
    };
    json_response(answer.status, answer.body, Vec::new())
}

/// The work a `/next` took.
struct Taken {
    request_id: String,
    event: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
    timeout: Duration,
}

fn next_response(taken: Taken) -> Response<Full<Bytes>> {
    let Taken {
        request_id,
        event,
        mut headers,
        timeout,
    } = taken;
    let deadline = SystemTime::now() + timeout;
    let deadline_ms = deadline
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    // A UUID and a decimal number are always valid header values.
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.push((HeaderName::from_static("lambda-runtime-aws-request-id"), v));
    }
    headers.push((
        HeaderName::from_static("lambda-runtime-deadline-ms"),
        HeaderValue::from(deadline_ms as u64),
    ));
    json_response(200, event, headers)
}

fn json_response(
    status: u16,
    body: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in headers {
        h.insert(name, value);
    }
    response
}

enum Read {
    TooLarge,
    Broken,
}

/// Reads a body of at most 6 MB.
async fn read(body: Incoming) -> Result<Bytes, Read> {
    match Limited::new(body, MAX_PAYLOAD).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Read::TooLarge)
        }
        Err(_) => Err(Read::Broken),
    }
}
