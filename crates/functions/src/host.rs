//! The function host: every configured function, its pool of execution environments, and the
//! invoke path the gateway calls.
//!
//! Concurrency is Lambda's model. A function with `reserved_concurrency` has that many
//! environments at most, to itself; the others share what is left of the host-wide
//! `account_concurrency`. An invocation takes a permit, then the most recently used idle
//! environment (warm), or starts one (cold). With no permit free it waits, at most
//! `queue_timeout`, then fails with `TooManyRequests` (Lambda's 429). Environments idle longer than
//! their function's `idle_timeout` are reaped by a background task.
//!
//! Each synchronous invocation runs in a task of its own, so a caller that goes away (a client
//! disconnecting from the gateway) does not cut an invocation in half: it finishes and its
//! environment returns to the pool, as on Lambda.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::environment::{Completed, Environment, Request};
use crate::invoke::{
    FunctionError, Invocation, InvocationType, InvokeError, Outcome, check_payload,
};
use crate::launch::{self, Launch, LaunchContext};
use crate::options::{HostOptions, StartError};
use crate::process::LOG_TARGET;
use crate::request;
use crate::spec::{EntryPoint, FunctionSpec, ValidSpec};

/// The Node.js bootstrap, shipped inside the binary and written to the runtime directory.
const NODE_BOOTSTRAP_JS: &str = include_str!("../runtimes/node/bootstrap.js");

/// Runs functions. Dropping it kills every function process; [`FunctionHost::shutdown`] also
/// waits for them to be gone.
pub struct FunctionHost {
    inner: Arc<Inner>,
}

struct Inner {
    functions: HashMap<String, Arc<Function>>,
    options: HostOptions,
    /// Holds the temporary runtime directory for the host's lifetime.
    _runtime_dir: Option<tempfile::TempDir>,
    /// Every live environment's process group, for shutdown.
    registry: Arc<Registry>,
    closed: AtomicBool,
    closing: watch::Sender<bool>,
    next_id: AtomicU64,
    /// The runtime the host was started on. Invocations run there, and so do the environments
    /// they start (their Runtime API listeners, process watchers and log readers): the caller's
    /// runtime may be shorter-lived — a gateway edge worker's, which stops with the server.
    runtime: tokio::runtime::Handle,
}

struct Function {
    spec: ValidSpec,
    launch: Launch,
    arn: String,
    name: Arc<str>,
    permits: Arc<Semaphore>,
    reserved: bool,
    idle: Mutex<Vec<Slot>>,
    starts: AtomicU64,
    /// Invocations accepted (payload checked) since the host started, `DryRun`s excepted.
    invocations: AtomicU64,
    busy: AtomicUsize,
}

/// A live environment and its registration (dropped after it, so the entry outlives the kill).
struct Slot {
    env: Environment,
    _registered: Registered,
}

#[derive(Default)]
struct Registry {
    live: Mutex<HashMap<u64, Entry>>,
}

struct Entry {
    function: Arc<str>,
    pid: u32,
    exit: watch::Receiver<Option<std::process::ExitStatus>>,
}

struct Registered {
    id: u64,
    registry: Arc<Registry>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.registry.live).remove(&self.id);
    }
}

/// What the host can say about one function, for tests and the admin endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionStats {
    /// Environments started since the host started.
    pub starts: u64,
    /// Invocations accepted since the host started (`RequestResponse` and `Event`; a refused
    /// payload or a `DryRun` is not one): how tests count what reached the function.
    pub invocations: u64,
    /// Environments alive now.
    pub environments: usize,
    /// Invocations running now.
    pub busy: usize,
    /// The process ids of the live environments.
    pub pids: Vec<u32>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code holding these locks panics; a poisoned one still holds coherent data.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FunctionHost {
    /// Validates every spec, writes the runtime files and starts the reaper. Must be called
    /// inside a Tokio runtime. No process starts until a function's first invoke.
    pub fn start(specs: &[FunctionSpec], options: HostOptions) -> Result<FunctionHost, StartError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let mut valid = Vec::with_capacity(specs.len());
        for spec in specs {
            let v = spec.validate(&options.base_dir)?;
            if valid.iter().any(|o: &ValidSpec| o.name == v.name) {
                return Err(StartError::DuplicateName { function: v.name });
            }
            check_dirs(&v)?;
            valid.push(v);
        }
        let reserved: u64 = valid
            .iter()
            .filter_map(|v| v.reserved_concurrency)
            .map(u64::from)
            .sum();
        let account = u64::from(options.account_concurrency);
        if reserved > account {
            return Err(StartError::Concurrency { reserved, account });
        }
        // `reserved <= account`, so the difference fits.
        let unreserved = Arc::new(Semaphore::new(
            usize::try_from(account - reserved).unwrap_or(0),
        ));

        let (runtime_dir, temp) = match &options.runtime_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("portcullis-functions-")
                    .tempdir()
                    .map_err(StartError::RuntimeDir)?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let bootstrap = runtime_dir.join(launch::NODE_BOOTSTRAP);
        if let Some(parent) = bootstrap.parent() {
            std::fs::create_dir_all(parent).map_err(StartError::RuntimeDir)?;
        }
        std::fs::write(&bootstrap, NODE_BOOTSTRAP_JS).map_err(StartError::RuntimeDir)?;

        let inherited: Vec<(String, String)> = options
            .inherit_env
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
            .collect();
        let ctx = LaunchContext {
            runtime_dir: &runtime_dir,
            node: &options.node,
            python: &options.python,
            region: &options.region,
            inherited: &inherited,
        };
        let functions = valid
            .into_iter()
            .map(|spec| {
                let launch = launch::plan(&spec, &ctx);
                let (permits, reserved) = match spec.reserved_concurrency {
                    Some(n) => (Arc::new(Semaphore::new(n as usize)), true),
                    None => (unreserved.clone(), false),
                };
                let arn = format!(
                    "arn:aws:lambda:{}:{}:function:{}",
                    options.region, options.account_id, spec.name
                );
                let f = Function {
                    name: Arc::from(spec.name.as_str()),
                    spec,
                    launch,
                    arn,
                    permits,
                    reserved,
                    idle: Mutex::new(Vec::new()),
                    starts: AtomicU64::new(0),
                    invocations: AtomicU64::new(0),
                    busy: AtomicUsize::new(0),
                };
                (f.spec.name.clone(), Arc::new(f))
            })
            .collect();

        let (closing, closing_rx) = watch::channel(false);
        let inner = Arc::new(Inner {
            functions,
            options,
            _runtime_dir: temp,
            registry: Arc::default(),
            closed: AtomicBool::new(false),
            closing,
            next_id: AtomicU64::new(1),
            runtime: runtime.clone(),
        });
        runtime.spawn(reaper(Arc::downgrade(&inner), closing_rx));
        Ok(FunctionHost { inner })
    }

    /// Whether `name` is a configured function.
    pub fn contains(&self, name: &str) -> bool {
        self.inner.functions.contains_key(name)
    }

    /// The function's ARN, as the runtime sees it (`Lambda-Runtime-Invoked-Function-Arn`).
    pub fn arn(&self, name: &str) -> Option<&str> {
        self.inner.functions.get(name).map(|f| f.arn.as_str())
    }

    pub fn stats(&self, name: &str) -> Option<FunctionStats> {
        let f = self.inner.functions.get(name)?;
        let live = lock(&self.inner.registry.live);
        let mut pids: Vec<u32> = live
            .values()
            .filter(|e| *e.function == *name)
            .map(|e| e.pid)
            .collect();
        pids.sort_unstable();
        Some(FunctionStats {
            starts: f.starts.load(Ordering::Relaxed),
            invocations: f.invocations.load(Ordering::Relaxed),
            environments: pids.len(),
            busy: f.busy.load(Ordering::Relaxed),
            pids,
        })
    }

    /// Invokes `name`. Function failures are `Ok` outcomes with `function_error` set; `Err` is
    /// for what Lambda's Invoke answers with an error status.
    pub async fn invoke(&self, name: &str, invocation: Invocation) -> Result<Outcome, InvokeError> {
        let inner = &self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Err(InvokeError::ShuttingDown);
        }
        let function = inner
            .functions
            .get(name)
            .cloned()
            .ok_or_else(|| InvokeError::NotFound {
                function: name.to_owned(),
            })?;
        let kind = invocation.invocation_type;
        let event = check_payload(&invocation.payload, kind)?;
        let headers = request::next_headers(&function.arn, &invocation)?;
        if kind != InvocationType::DryRun {
            function.invocations.fetch_add(1, Ordering::Relaxed);
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        let job = Job {
            request_id: request_id.clone(),
            event,
            headers,
            log_tail: invocation.log_tail,
        };
        match kind {
            InvocationType::DryRun => Ok(Outcome::empty(request_id, kind)),
            InvocationType::Event => {
                let inner = inner.clone();
                let wait = inner.options.event_queue_timeout;
                inner.runtime.clone().spawn(async move {
                    if let Err(e) = inner.run(&function, job, wait, kind).await {
                        tracing::warn!(target: LOG_TARGET, function = %function.name, error = %e, "asynchronous invocation dropped");
                    }
                });
                Ok(Outcome::empty(request_id, kind))
            }
            InvocationType::RequestResponse => {
                let inner = inner.clone();
                let wait = inner.options.queue_timeout;
                inner
                    .runtime
                    .clone()
                    .spawn(async move { inner.run(&function, job, wait, kind).await })
                    .await
                    .map_err(|e| InvokeError::Internal(e.to_string()))?
            }
        }
    }

    /// Kills every function process and waits (bounded) until they are reaped. Invocations in
    /// flight end as crashes; later invokes fail with `ShuttingDown`.
    pub async fn shutdown(&self) {
        let exits = self.inner.close();
        for mut exit in exits {
            let _ =
                tokio::time::timeout(Duration::from_secs(5), exit.wait_for(Option::is_some)).await;
        }
    }
}

impl Drop for FunctionHost {
    fn drop(&mut self) {
        self.inner.close();
    }
}

/// One invocation on its way to an environment.
struct Job {
    request_id: String,
    event: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
    log_tail: bool,
}

impl Inner {
    /// Stops everything: refuses new work, wakes queued invokes, kills every process group.
    /// Returns the exits to wait for.
    fn close(&self) -> Vec<watch::Receiver<Option<std::process::ExitStatus>>> {
        self.closed.store(true, Ordering::Release);
        let _ = self.closing.send(true);
        // The exits first: dropping an idle environment below unregisters it.
        let exits = lock(&self.registry.live)
            .values()
            .map(|e| {
                crate::process::kill_group(e.pid);
                e.exit.clone()
            })
            .collect();
        for f in self.functions.values() {
            f.permits.close();
            drop(std::mem::take(&mut *lock(&f.idle)));
        }
        exits
    }

    async fn run(
        self: &Arc<Self>,
        function: &Arc<Function>,
        job: Job,
        queue_wait: Duration,
        kind: InvocationType,
    ) -> Result<Outcome, InvokeError> {
        let permit = acquire(function, queue_wait).await?;
        if self.closed.load(Ordering::Acquire) {
            return Err(InvokeError::ShuttingDown);
        }
        function.busy.fetch_add(1, Ordering::Relaxed);
        let result = self.run_with(function, job, kind, permit).await;
        function.busy.fetch_sub(1, Ordering::Relaxed);
        Ok(result)
    }

    async fn run_with(
        self: &Arc<Self>,
        function: &Arc<Function>,
        job: Job,
        kind: InvocationType,
        _permit: OwnedSemaphorePermit,
    ) -> Outcome {
        let mut warm = take_warm(function);
        let completed = loop {
            let was_warm = warm.is_some();
            let slot = match warm.take() {
                Some(slot) => Ok(slot),
                None => self.start_environment(function).await,
            };
            let completed = self.run_on(function, slot, &job).await;
            // A warm environment that died while idle, before it took the event, never ran the
            // function: Lambda would have used another, and so does the host (once, cold).
            if was_warm && !completed.delivered && !self.closed.load(Ordering::Acquire) {
                continue;
            }
            break completed;
        };
        self.outcome(job, kind, completed)
    }

    async fn run_on(
        &self,
        function: &Function,
        slot: std::io::Result<Slot>,
        job: &Job,
    ) -> Completed {
        match slot {
            Ok(mut slot) => {
                let completed = slot
                    .env
                    .invoke(Request {
                        request_id: job.request_id.clone(),
                        event: job.event.clone(),
                        headers: job.headers.clone(),
                        timeout: Duration::from_secs(u64::from(function.spec.timeout_secs)),
                        init_timeout: self.options.init_timeout,
                        memory_size: function.spec.memory_size,
                        strict_json: self.options.strict_json_responses,
                    })
                    .await;
                if completed.healthy && !self.closed.load(Ordering::Acquire) {
                    lock(&function.idle).push(slot);
                }
                completed
            }
            Err(e) => {
                tracing::warn!(target: LOG_TARGET, function = %function.name, error = %e, "could not start the function");
                Completed::not_started(&job.request_id, function.spec.memory_size, &e)
            }
        }
    }

    fn outcome(&self, job: Job, kind: InvocationType, completed: Completed) -> Outcome {
        let Completed {
            payload,
            failure,
            tail,
            cold_start,
            duration,
            ..
        } = completed;
        Outcome {
            request_id: job.request_id,
            payload: if kind == InvocationType::Event {
                Bytes::new()
            } else {
                payload
            },
            function_error: failure.as_ref().map(|_| FunctionError::Unhandled),
            failure,
            log_tail: job
                .log_tail
                .then(|| base64::engine::general_purpose::STANDARD.encode(tail)),
            cold_start,
            duration,
            invocation_type: kind,
        }
    }

    async fn start_environment(&self, function: &Function) -> std::io::Result<Slot> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut extra = vec![(
            "AWS_LAMBDA_LOG_STREAM_NAME".to_owned(),
            request::log_stream_name(),
        )];
        if let Some(provider) = &self.options.credentials
            && let Some(c) = provider.credentials(&function.spec.name).await
        {
            extra.push(("AWS_ACCESS_KEY_ID".into(), c.access_key_id.clone()));
            extra.push((
                "AWS_SECRET_ACCESS_KEY".into(),
                c.secret_access_key.expose().to_owned(),
            ));
            if let Some(token) = &c.session_token {
                extra.push(("AWS_SESSION_TOKEN".into(), token.expose().to_owned()));
            }
        }
        let env = Environment::start(id, function.name.clone(), &function.launch, extra).await?;
        function.starts.fetch_add(1, Ordering::Relaxed);
        lock(&self.registry.live).insert(
            id,
            Entry {
                function: function.name.clone(),
                pid: env.pid(),
                exit: env.exit_watch(),
            },
        );
        Ok(Slot {
            env,
            _registered: Registered {
                id,
                registry: self.registry.clone(),
            },
        })
    }

    /// Drops environments idle past their function's `idle_timeout`, or whose process died.
    fn reap(&self) {
        for f in self.functions.values() {
            let max_idle = Duration::from_secs(u64::from(f.spec.idle_timeout_secs));
            let now = Instant::now();
            let mut idle = lock(&f.idle);
            let (stale, keep): (Vec<Slot>, Vec<Slot>) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|s| s.env.exited() || now.duration_since(s.env.last_used) >= max_idle);
            *idle = keep;
            drop(idle);
            for slot in stale {
                tracing::info!(target: LOG_TARGET, function = %f.name, environment = slot.env.id, "execution environment reaped");
                drop(slot);
            }
        }
    }
}

async fn acquire(function: &Function, wait: Duration) -> Result<OwnedSemaphorePermit, InvokeError> {
    match tokio::time::timeout(wait, function.permits.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_closed)) => Err(InvokeError::ShuttingDown),
        Err(_elapsed) => Err(InvokeError::TooManyRequests {
            reserved: function.reserved,
        }),
    }
}

/// The most recently used idle environment whose process is still alive.
fn take_warm(function: &Function) -> Option<Slot> {
    let mut idle = lock(&function.idle);
    while let Some(slot) = idle.pop() {
        if !slot.env.exited() {
            return Some(slot);
        }
    }
    None
}

async fn reaper(inner: std::sync::Weak<Inner>, mut closing: watch::Receiver<bool>) {
    loop {
        let interval = match inner.upgrade() {
            Some(i) => i.options.reap_interval,
            None => return,
        };
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = closing.changed() => return,
        }
        match inner.upgrade() {
            Some(i) => i.reap(),
            None => return,
        }
    }
}

/// The code directory (or working directory) must exist when the host starts.
fn check_dirs(spec: &ValidSpec) -> Result<(), StartError> {
    let (field, path) = match &spec.entry {
        EntryPoint::Runtime(_) => ("code", &spec.task_root),
        EntryPoint::Command(_) => ("working_dir", &spec.working_dir),
    };
    if path.is_dir() {
        Ok(())
    } else {
        Err(StartError::NotADirectory {
            function: spec.name.clone(),
            field,
            path: path.clone(),
        })
    }
}
