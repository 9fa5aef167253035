//! How the host is set up ([`HostOptions`]), why it may refuse to start ([`StartError`]), and
//! the hook for execution-role credentials ([`CredentialsProvider`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::spec::SpecError;

/// Host-wide settings. `Default` gives Lambda's values where Lambda has one.
#[derive(Clone)]
pub struct HostOptions {
    /// `AWS_REGION`, and the region in function ARNs.
    pub region: String,
    /// The account in function ARNs.
    pub account_id: String,
    /// Relative `code` and `working_dir` paths are resolved against this (the directory of the
    /// configuration file).
    pub base_dir: PathBuf,
    /// `LAMBDA_RUNTIME_DIR`, where the Node.js bootstrap is written; a fresh temporary
    /// directory, removed with the host, when `None`.
    pub runtime_dir: Option<PathBuf>,
    /// The Node.js interpreter for `nodejs*` functions (looked up on `PATH`).
    pub node: String,
    /// The Python interpreter for `python3.*` functions; `awslambdaric` must be installed for it.
    pub python: String,
    /// Variables passed from the host's own environment to every function. Only these: the
    /// gateway's environment may hold its secrets.
    pub inherit_env: Vec<String>,
    /// Concurrent executions across all functions (Lambda's account concurrency). Reserved
    /// concurrency is carved out of it; unreserved functions share the rest.
    pub account_concurrency: u32,
    /// How long a synchronous invoke waits for a free environment before `TooManyRequests`.
    pub queue_timeout: Duration,
    /// The same for asynchronous (`Event`) invocations, which Lambda queues.
    pub event_queue_timeout: Duration,
    /// How long a runtime may take from start to its first `/next` (Lambda: 10 s).
    pub init_timeout: Duration,
    /// How often idle environments are checked against their `idle_timeout`.
    pub reap_interval: Duration,
    /// A response that is not JSON fails the invocation (`Runtime.InvalidResponsePayload`).
    /// Lambda itself passes such bytes through; `false` does the same.
    pub strict_json_responses: bool,
    /// Execution-role credentials for each new environment; none by default.
    pub credentials: Option<Arc<dyn CredentialsProvider>>,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            base_dir: PathBuf::from("."),
            runtime_dir: None,
            node: "node".into(),
            python: "python3".into(),
            inherit_env: ["PATH", "HOME"].map(String::from).to_vec(),
            account_concurrency: 32,
            queue_timeout: Duration::from_secs(1),
            event_queue_timeout: Duration::from_secs(60),
            init_timeout: Duration::from_secs(10),
            reap_interval: Duration::from_secs(1),
            strict_json_responses: true,
            credentials: None,
        }
    }
}

impl std::fmt::Debug for HostOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostOptions")
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("base_dir", &self.base_dir)
            .field("account_concurrency", &self.account_concurrency)
            .field("queue_timeout", &self.queue_timeout)
            .field("credentials", &self.credentials.is_some())
            .finish_non_exhaustive()
    }
}

/// Why the host did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("function {function:?}: name: defined twice")]
    DuplicateName { function: String },
    #[error("function {function:?}: {field}: {} is not a directory", path.display())]
    NotADirectory {
        function: String,
        field: &'static str,
        path: PathBuf,
    },
    #[error(
        "reserved_concurrency: the functions reserve {reserved}, more than the host's account concurrency ({account})"
    )]
    Concurrency { reserved: u64, account: u64 },
    #[error("cannot write the runtime directory: {0}")]
    RuntimeDir(std::io::Error),
    #[error("the function host must be started inside a Tokio runtime")]
    NoRuntime,
}

/// Temporary credentials for a function's execution role.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// A string that does not print itself.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Supplies execution-role credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`) when an environment starts. `None`: the function gets none, as with no
/// provider at all.
#[async_trait::async_trait]
pub trait CredentialsProvider: Send + Sync {
    async fn credentials(&self, function: &str) -> Option<Credentials>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let c = Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJalr"),
            session_token: Some(Secret::new("token")),
        };
        let text = format!("{c:?} {:?}", c.secret_access_key);
        assert!(text.contains("ASIAEXAMPLE"));
        assert!(!text.contains("wJalr") && !text.contains("token"), "{text}");
    }
}
