//! What a function is: the [`FunctionSpec`] the configuration holds, and its validation.
//!
//! A spec names its entry point in one of two forms. The managed-runtime form is Lambda's own
//! (`runtime` + `handler` + `code`): the host knows how each runtime starts. The `command` form
//! runs any program that speaks the Runtime API, which is what a `provided.*` bootstrap is, with
//! the argv given. Limits are Lambda's: timeout 1–900 s (default 3), memory 128–10 240 MB
//! (default 128). Validation is pure — it reads no files — and every error names the function and
//! the field, so the configuration crate can point at the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Lambda's timeout bounds, in seconds.
pub const TIMEOUT_RANGE: (u32, u32) = (1, 900);
/// Lambda's memory bounds, in MB.
pub const MEMORY_RANGE: (u32, u32) = (128, 10_240);
/// How long an idle execution environment may stay warm, in seconds (a day at most: an
/// environment kept longer than that is a daemon, not a function).
pub const IDLE_RANGE: (u32, u32) = (1, 86_400);

/// One function, as the configuration's `functions:` section will hold it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// Lambda's function-name rule: 1–64 of `[A-Za-z0-9_-]`.
    pub name: String,
    /// A program and its arguments that speak the Runtime API themselves.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// A managed runtime; needs `code` and (except `provided.*`) `handler`.
    #[serde(default)]
    pub runtime: Option<Runtime>,
    /// `_HANDLER`: `module.function` for Node.js and Python.
    #[serde(default)]
    pub handler: Option<String>,
    /// The function's code directory (`LAMBDA_TASK_ROOT`).
    #[serde(default)]
    pub code: Option<PathBuf>,
    /// The process's working directory; defaults to `code`, or the base directory.
    #[serde(default)]
    pub working_dir: Option<PathBuf>,
    /// The function's own environment variables.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Seconds an invocation may run.
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB (reported, not enforced: see `docs/lambda.md`).
    #[serde(default = "default_memory")]
    pub memory_size: u32,
    /// At most this many execution environments at once; none: the host's shared pool.
    #[serde(default)]
    pub reserved_concurrency: Option<u32>,
    /// Seconds an idle environment stays warm before it is reaped.
    #[serde(default = "default_idle")]
    pub idle_timeout: u32,
}

fn default_timeout() -> u32 {
    3
}
fn default_memory() -> u32 {
    128
}
fn default_idle() -> u32 {
    300
}

/// The managed runtimes the host can start.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Hash)]
pub enum Runtime {
    #[serde(rename = "nodejs22.x")]
    Nodejs22,
    #[serde(rename = "nodejs20.x")]
    Nodejs20,
    #[serde(rename = "python3.13")]
    Python313,
    #[serde(rename = "python3.12")]
    Python312,
    #[serde(rename = "provided.al2023")]
    ProvidedAl2023,
    #[serde(rename = "provided.al2")]
    ProvidedAl2,
}

/// How a runtime is started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeFamily {
    /// `node <our bootstrap.js>`.
    Node,
    /// `python3 -m awslambdaric <handler>`.
    Python,
    /// `<code>/bootstrap`.
    Provided,
}

impl Runtime {
    /// The identifier Lambda uses (`nodejs22.x`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Runtime::Nodejs22 => "nodejs22.x",
            Runtime::Nodejs20 => "nodejs20.x",
            Runtime::Python313 => "python3.13",
            Runtime::Python312 => "python3.12",
            Runtime::ProvidedAl2023 => "provided.al2023",
            Runtime::ProvidedAl2 => "provided.al2",
        }
    }

    pub fn family(self) -> RuntimeFamily {
        match self {
            Runtime::Nodejs22 | Runtime::Nodejs20 => RuntimeFamily::Node,
            Runtime::Python313 | Runtime::Python312 => RuntimeFamily::Python,
            Runtime::ProvidedAl2023 | Runtime::ProvidedAl2 => RuntimeFamily::Provided,
        }
    }

    /// `AWS_EXECUTION_ENV`, which Lambda sets for managed language runtimes and not for
    /// `provided.*`.
    pub fn execution_env(self) -> Option<String> {
        match self.family() {
            RuntimeFamily::Provided => None,
            RuntimeFamily::Node | RuntimeFamily::Python => {
                Some(format!("AWS_Lambda_{}", self.id()))
            }
        }
    }
}

/// A field of [`FunctionSpec`], as errors name it.
pub type Field = &'static str;

/// Why a spec is refused. Each names the function (as written) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error(
        "function {function:?}: name: must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'"
    )]
    InvalidName { function: String },
    #[error("function {function:?}: one of `command` or `runtime` is required")]
    NoEntryPoint { function: String },
    #[error("function {function:?}: `command` and `runtime` exclude each other")]
    BothEntryPoints { function: String },
    #[error("function {function:?}: command: must name a program")]
    EmptyCommand { function: String },
    #[error("function {function:?}: {field}: required by runtime {runtime}")]
    MissingField {
        function: String,
        field: Field,
        runtime: &'static str,
    },
    #[error("function {function:?}: {field}: must not be empty")]
    EmptyField { function: String, field: Field },
    #[error("function {function:?}: {field}: {value} is outside {min}..={max}")]
    OutOfRange {
        function: String,
        field: Field,
        value: u32,
        min: u32,
        max: u32,
    },
    #[error(
        "function {function:?}: environment: {key:?} is not a valid variable name ([a-zA-Z][a-zA-Z0-9_]+)"
    )]
    InvalidEnvironmentKey { function: String, key: String },
    #[error("function {function:?}: environment: {key:?} is reserved by Lambda")]
    ReservedEnvironmentKey { function: String, key: String },
}

impl SpecError {
    /// The field the error is about, for pointing at the configuration.
    pub fn field(&self) -> Field {
        match self {
            SpecError::InvalidName { .. } => "name",
            SpecError::NoEntryPoint { .. } | SpecError::BothEntryPoints { .. } => "runtime",
            SpecError::EmptyCommand { .. } => "command",
            SpecError::MissingField { field, .. }
            | SpecError::EmptyField { field, .. }
            | SpecError::OutOfRange { field, .. } => field,
            SpecError::InvalidEnvironmentKey { .. } | SpecError::ReservedEnvironmentKey { .. } => {
                "environment"
            }
        }
    }
}

/// The variables Lambda sets itself and refuses in a function's configuration.
pub const RESERVED_ENVIRONMENT: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// The entry point of a validated spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryPoint {
    Command(Vec<String>),
    Runtime(Runtime),
}

/// A spec that passed validation, with its paths resolved against the caller's base directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSpec {
    pub name: String,
    pub entry: EntryPoint,
    pub handler: Option<String>,
    /// `LAMBDA_TASK_ROOT`: `code`, else the working directory.
    pub task_root: PathBuf,
    pub working_dir: PathBuf,
    pub environment: BTreeMap<String, String>,
    pub timeout_secs: u32,
    pub memory_size: u32,
    pub reserved_concurrency: Option<u32>,
    pub idle_timeout_secs: u32,
}

impl FunctionSpec {
    /// Checks the spec and resolves relative paths against `base_dir` (the directory of the
    /// configuration file). Reads nothing.
    pub fn validate(&self, base_dir: &Path) -> Result<ValidSpec, SpecError> {
        let function = || self.name.clone();
        if !valid_name(&self.name) {
            return Err(SpecError::InvalidName {
                function: function(),
            });
        }
        let entry = match (&self.command, self.runtime) {
            (None, None) => {
                return Err(SpecError::NoEntryPoint {
                    function: function(),
                });
            }
            (Some(_), Some(_)) => {
                return Err(SpecError::BothEntryPoints {
                    function: function(),
                });
            }
            (Some(argv), None) => {
                if argv.first().is_none_or(|p| p.is_empty()) {
                    return Err(SpecError::EmptyCommand {
                        function: function(),
                    });
                }
                EntryPoint::Command(argv.clone())
            }
            (None, Some(runtime)) => {
                if self.code.is_none() {
                    return Err(SpecError::MissingField {
                        function: function(),
                        field: "code",
                        runtime: runtime.id(),
                    });
                }
                if runtime.family() != RuntimeFamily::Provided && self.handler.is_none() {
                    return Err(SpecError::MissingField {
                        function: function(),
                        field: "handler",
                        runtime: runtime.id(),
                    });
                }
                EntryPoint::Runtime(runtime)
            }
        };
        if self.handler.as_deref().is_some_and(str::is_empty) {
            return Err(SpecError::EmptyField {
                function: function(),
                field: "handler",
            });
        }
        for (field, path) in [("code", &self.code), ("working_dir", &self.working_dir)] {
            if path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                return Err(SpecError::EmptyField {
                    function: function(),
                    field,
                });
            }
        }
        let range = |field, value: u32, (min, max): (u32, u32)| {
            if (min..=max).contains(&value) {
                Ok(value)
            } else {
                Err(SpecError::OutOfRange {
                    function: function(),
                    field,
                    value,
                    min,
                    max,
                })
            }
        };
        let timeout_secs = range("timeout", self.timeout, TIMEOUT_RANGE)?;
        let memory_size = range("memory_size", self.memory_size, MEMORY_RANGE)?;
        let idle_timeout_secs = range("idle_timeout", self.idle_timeout, IDLE_RANGE)?;
        for key in self.environment.keys() {
            if !valid_env_key(key) {
                return Err(SpecError::InvalidEnvironmentKey {
                    function: function(),
                    key: key.clone(),
                });
            }
            if RESERVED_ENVIRONMENT.contains(&key.as_str()) {
                return Err(SpecError::ReservedEnvironmentKey {
                    function: function(),
                    key: key.clone(),
                });
            }
        }
        let code = self.code.as_ref().map(|c| base_dir.join(c));
        let working_dir = self
            .working_dir
            .as_ref()
            .map(|w| base_dir.join(w))
            .or_else(|| code.clone())
            .unwrap_or_else(|| base_dir.to_path_buf());
        Ok(ValidSpec {
            name: self.name.clone(),
            entry,
            handler: self.handler.clone(),
            task_root: code.unwrap_or_else(|| working_dir.clone()),
            working_dir,
            environment: self.environment.clone(),
            timeout_secs,
            memory_size,
            reserved_concurrency: self.reserved_concurrency,
            idle_timeout_secs,
        })
    }
}

/// Lambda's function-name pattern for a bare name.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Lambda's environment-key pattern, `[a-zA-Z]([a-zA-Z0-9_])+`.
fn valid_env_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && key.len() >= 2
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> FunctionSpec {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn check(yaml: &str) -> Result<ValidSpec, SpecError> {
        parse(yaml).validate(Path::new("/etc/portcullis"))
    }

    #[test]
    fn managed_runtime_defaults_and_paths() {
        let v = check("{name: hello, runtime: nodejs22.x, handler: index.handler, code: fn/hello}")
            .unwrap();
        assert_eq!(v.entry, EntryPoint::Runtime(Runtime::Nodejs22));
        assert_eq!(v.task_root, Path::new("/etc/portcullis/fn/hello"));
        assert_eq!(v.working_dir, v.task_root);
        assert_eq!(
            (v.timeout_secs, v.memory_size, v.idle_timeout_secs),
            (3, 128, 300)
        );
        assert_eq!(v.reserved_concurrency, None);
    }

    #[test]
    fn command_form_resolves_working_dir_and_keeps_absolute_paths() {
        let v =
            check("{name: c, command: [./run, -v], working_dir: /srv/fn, timeout: 900}").unwrap();
        assert_eq!(
            v.entry,
            EntryPoint::Command(vec!["./run".into(), "-v".into()])
        );
        assert_eq!(v.working_dir, Path::new("/srv/fn"));
        assert_eq!(v.task_root, Path::new("/srv/fn"));
        let v = check("{name: c, command: [x]}").unwrap();
        assert_eq!(v.working_dir, Path::new("/etc/portcullis"));
    }

    #[test]
    fn provided_needs_no_handler_but_node_and_python_do() {
        check("{name: p, runtime: provided.al2023, code: .}").unwrap();
        let e = check("{name: p, runtime: python3.13, code: .}").unwrap_err();
        assert_eq!(e.field(), "handler");
        assert!(e.to_string().contains("python3.13"), "{e}");
        let e = check("{name: p, runtime: nodejs20.x, handler: a.b}").unwrap_err();
        assert_eq!(e.field(), "code");
    }

    #[test]
    fn entry_point_is_exactly_one() {
        let e = check("{name: x}").unwrap_err();
        assert!(matches!(e, SpecError::NoEntryPoint { .. }));
        let e = check("{name: x, command: [a], runtime: provided.al2, code: .}").unwrap_err();
        assert!(matches!(e, SpecError::BothEntryPoints { .. }));
        let e = check("{name: x, command: []}").unwrap_err();
        assert_eq!(e.field(), "command");
        let e = check("{name: x, command: ['']}").unwrap_err();
        assert_eq!(e.field(), "command");
    }

    #[test]
    fn limits_are_lambdas() {
        for (yaml, field) in [
            ("{name: x, command: [a], timeout: 0}", "timeout"),
            ("{name: x, command: [a], timeout: 901}", "timeout"),
            ("{name: x, command: [a], memory_size: 127}", "memory_size"),
            ("{name: x, command: [a], memory_size: 10241}", "memory_size"),
            ("{name: x, command: [a], idle_timeout: 0}", "idle_timeout"),
        ] {
            let e = check(yaml).unwrap_err();
            assert_eq!(e.field(), field, "{yaml}");
            assert!(e.to_string().starts_with("function \"x\": "), "{e}");
        }
        check("{name: x, command: [a], timeout: 1, memory_size: 10240}").unwrap();
    }

    #[test]
    fn names_and_environment_keys() {
        assert!(matches!(
            check("{name: 'a b', command: [a]}"),
            Err(SpecError::InvalidName { .. })
        ));
        let long = "n".repeat(65);
        assert!(check(&format!("{{name: {long}, command: [a]}}")).is_err());
        check(&format!("{{name: {}, command: [a]}}", "n".repeat(64))).unwrap();
        let e = check("{name: x, command: [a], environment: {AWS_REGION: eu-west-1}}").unwrap_err();
        assert!(matches!(e, SpecError::ReservedEnvironmentKey { .. }));
        let e = check("{name: x, command: [a], environment: {1ABC: v}}").unwrap_err();
        assert!(matches!(e, SpecError::InvalidEnvironmentKey { .. }));
        let e = check("{name: x, command: [a], environment: {A: v}}").unwrap_err();
        assert!(matches!(e, SpecError::InvalidEnvironmentKey { .. }));
        check("{name: x, command: [a], environment: {TABLE_NAME: t, LANG: C.UTF-8}}").unwrap();
    }

    #[test]
    fn unknown_fields_and_runtimes_are_refused_by_serde() {
        assert!(
            serde_saphyr::from_str::<FunctionSpec>("{name: x, command: [a], memory: 1}").is_err()
        );
        assert!(
            serde_saphyr::from_str::<FunctionSpec>("{name: x, runtime: java21, code: .}").is_err()
        );
    }

    #[test]
    fn execution_env_is_set_for_language_runtimes_only() {
        assert_eq!(
            Runtime::Python312.execution_env().as_deref(),
            Some("AWS_Lambda_python3.12")
        );
        assert_eq!(Runtime::ProvidedAl2.execution_env(), None);
    }
}
