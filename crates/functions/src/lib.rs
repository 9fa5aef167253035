//! The Lambda function host: unmodified Lambda functions — a Rust binary on `lambda_runtime`, a
//! Python handler under `awslambdaric`, a Node.js handler under the bootstrap shipped here, any
//! custom runtime's `bootstrap` — run as local processes and see what they see on Lambda: the
//! Runtime API (version 2018-06-01), its headers, Lambda's environment variables, its limits and
//! its error documents.
//!
//! The gateway calls [`FunctionHost::invoke`] (for the `aws_proxy` integration, Lambda
//! authorizers and the Invoke API); everything behind it is this crate's:
//!
//! - [`spec`]: what a function is ([`FunctionSpec`], embedded by the configuration) and its
//!   validation, pure;
//! - [`launch`]: the program, arguments and environment a function starts with, pure;
//! - [`protocol`]: the Runtime API's routes, answers and Lambda's error documents, pure;
//! - [`logs`]: lines, the `START`/`END`/`REPORT` frame and the 4 KB tail, pure;
//! - `server`: one loopback Runtime API listener per execution environment;
//! - `process`: spawning in a process group, the exit watch, the log pipe;
//! - `environment`: one invocation on one environment, and how it ends;
//! - `request`: Lambda's `/next` headers and log stream names;
//! - `host`: pools, concurrency, throttling, reaping, shutdown.
//!
//! Function output and the platform's lines go to `tracing` under the target
//! [`LOG_TARGET`], with the function's name and the request id. The operator's view —
//! runtimes, environment, limits, what differs from Lambda — is `docs/lambda.md`.
//!
//! | crate | what it holds | I/O? |
//! |---|---|---|
//! | `crates/functions` | The Lambda function host: `FunctionSpec` and its validation, the Runtime API server (one loopback listener per execution environment), process spawning in process groups with captured logs, warm pools with reserved concurrency, throttling, timeouts and reaping, Lambda's error documents and log tail, and the Node.js bootstrap (`runtimes/node/bootstrap.js`). | processes, loopback sockets |

// Runtime API requests come from function code: no path they reach may panic. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod environment;
mod host;
pub mod invoke;
pub mod launch;
pub mod logs;
mod options;
mod process;
pub mod protocol;
mod request;
mod server;
pub mod spec;

pub use host::{FunctionHost, FunctionStats};
pub use invoke::{
    CognitoIdentity, Failure, FailureKind, FunctionError, Invocation, InvocationType, InvokeError,
    Outcome,
};
pub use options::{Credentials, CredentialsProvider, HostOptions, Secret, StartError};
pub use process::LOG_TARGET;
pub use spec::{FunctionSpec, Runtime, SpecError};
