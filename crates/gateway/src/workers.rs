//! The edge's worker threads: thread-per-core serving.
//!
//! Each worker is an OS thread running its own current-thread Tokio runtime. The edge listener's
//! accept loop hands every accepted connection to one worker, round robin, and the connection
//! lives on that thread to its end: its requests, its pipeline and its backend connections (the
//! backend pool is sharded by worker, see `client.rs`) never cross threads. A multi-threaded
//! runtime moves tasks between threads and wakes them across threads; measured on the proxy path
//! that costs about 5 µs a request (`BENCHMARKS.md`, "Thread-per-core").
//!
//! Connections are dispatched from one listener rather than accepted on per-worker
//! `SO_REUSEPORT` listeners: a reuse-port group would let a second gateway started on the same
//! port bind it too and silently take half the traffic, where one listener makes that an
//! "address in use" error at start. Dispatching costs two `epoll_ctl` calls per connection, not
//! per request.
//!
//! Long-lived work started by a request (a function's execution environment, storage's
//! maintenance) is spawned on the main runtime by its owner, never on a worker: workers stop
//! with the server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_util::task::TaskTracker;

use crate::pipeline::ConnInfo;

/// Serves one connection (TLS handshake, HTTP, the pipeline) on the worker it was handed to.
pub(crate) type Serve =
    Arc<dyn Fn(TcpStream, ConnInfo) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

struct Accepted {
    stream: std::net::TcpStream,
    conn: ConnInfo,
}

/// The accept loop's side: hands connections to the workers.
pub(crate) struct Dispatcher {
    senders: Vec<mpsc::UnboundedSender<Accepted>>,
    next: AtomicUsize,
}

/// The serving side's: releases the workers once their connections are done (or cut), and
/// waits for their threads.
pub(crate) struct Threads {
    handles: Vec<JoinHandle<()>>,
    release: watch::Sender<bool>,
}

/// Starts `count` workers (at least one). Connections they serve are tracked by `tracker`, so
/// the server's drain waits for them as for any other.
pub(crate) fn start(
    count: usize,
    serve: Serve,
    tracker: TaskTracker,
) -> std::io::Result<(Dispatcher, Threads)> {
    let (release, released) = watch::channel(false);
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for index in 0..count.max(1) {
        let (tx, rx) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (serve, tracker, released) = (serve.clone(), tracker.clone(), released.clone());
        let handle = std::thread::Builder::new()
            .name(format!("portcullis-edge-{index}"))
            .spawn(move || {
                crate::client::set_worker_shard(index + 1);
                runtime.block_on(run(rx, serve, tracker, released));
                // Connections still open after the server's grace period end here.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        senders.push(tx);
        handles.push(handle);
    }
    Ok((
        Dispatcher {
            senders,
            next: AtomicUsize::new(0),
        },
        Threads { handles, release },
    ))
}

async fn run(
    mut accepted: mpsc::UnboundedReceiver<Accepted>,
    serve: Serve,
    tracker: TaskTracker,
    mut released: watch::Receiver<bool>,
) {
    while let Some(Accepted { stream, conn }) = accepted.recv().await {
        // Registers the socket with this worker's reactor.
        match TcpStream::from_std(stream) {
            Ok(stream) => {
                tracker.spawn(serve(stream, conn));
            }
            Err(e) => tracing::warn!(remote = %conn.remote, "cannot serve the connection: {e}"),
        }
    }
    // The listener has stopped: the connections finish (the server's drain bounds them).
    let _ = released.wait_for(|r| *r).await;
}

impl Dispatcher {
    /// Hands `stream` to the next worker. A worker whose thread has ended is skipped.
    pub(crate) fn dispatch(&self, stream: TcpStream, conn: ConnInfo) {
        let stream = match stream.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(remote = %conn.remote, "cannot hand the connection to a worker: {e}");
                return;
            }
        };
        let mut job = Accepted { stream, conn };
        for _ in 0..self.senders.len() {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len();
            let Some(sender) = self.senders.get(i) else {
                break;
            };
            match sender.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => job = back,
            }
        }
        tracing::error!(remote = %job.conn.remote, "no edge worker is running; connection dropped");
    }
}

impl Threads {
    /// Lets every worker stop (their remaining connections are closed) and waits, bounded, for
    /// their threads to end.
    pub(crate) async fn stop(self) {
        let _ = self.release.send(true);
        let handles = self.handles;
        let join = tokio::task::spawn_blocking(move || {
            for h in handles {
                let _ = h.join();
            }
        });
        let _ = tokio::time::timeout(Duration::from_secs(5), join).await;
    }
}
