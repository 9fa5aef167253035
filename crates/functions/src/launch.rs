//! How a function's process is started: program, arguments, working directory and the whole
//! environment. Pure: the host passes in what it found (the runtime directory, interpreter
//! names, the few variables it inherits) and spawns what comes out.
//!
//! The environment is Lambda's, built from nothing: the gateway's own variables are *not*
//! passed down (they may hold its secrets), only the basics a program needs to run on this
//! machine (`PATH`, `HOME`, and whatever the operator lists in `HostOptions::inherit_env`). The
//! function's own variables come last but cannot replace the reserved ones: validation refuses
//! those names.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::spec::{EntryPoint, RuntimeFamily, ValidSpec};

/// Where the Node.js bootstrap is written, relative to the runtime directory.
pub const NODE_BOOTSTRAP: &str = "node/bootstrap.js";

/// What the host knows that a launch needs.
#[derive(Debug, Clone)]
pub struct LaunchContext<'a> {
    /// `LAMBDA_RUNTIME_DIR`: where our runtime files are.
    pub runtime_dir: &'a Path,
    pub node: &'a str,
    pub python: &'a str,
    pub region: &'a str,
    /// Variables passed through from the host's environment (`PATH`, `HOME`, ...).
    pub inherited: &'a [(String, String)],
}

/// A process to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// Every variable the process gets, nothing else.
    pub env: BTreeMap<String, String>,
}

/// Builds the launch for `spec`. Per-environment values (`AWS_LAMBDA_RUNTIME_API`, the log
/// stream, credentials) are added by the host when it spawns.
pub fn plan(spec: &ValidSpec, ctx: &LaunchContext<'_>) -> Launch {
    let task_root = spec.task_root.to_string_lossy().into_owned();
    let (program, args, execution_env): (OsString, Vec<OsString>, Option<String>) =
        match &spec.entry {
            EntryPoint::Command(argv) => {
                let (first, rest) = argv
                    .split_first()
                    .map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
                (
                    resolve_program(first, &spec.working_dir),
                    rest.iter().map(OsString::from).collect(),
                    None,
                )
            }
            EntryPoint::Runtime(runtime) => match runtime.family() {
                RuntimeFamily::Node => (
                    ctx.node.into(),
                    vec![ctx.runtime_dir.join(NODE_BOOTSTRAP).into_os_string()],
                    runtime.execution_env(),
                ),
                RuntimeFamily::Python => (
                    ctx.python.into(),
                    vec![
                        "-m".into(),
                        "awslambdaric".into(),
                        spec.handler.clone().unwrap_or_default().into(),
                    ],
                    runtime.execution_env(),
                ),
                RuntimeFamily::Provided => (
                    spec.task_root.join("bootstrap").into_os_string(),
                    Vec::new(),
                    None,
                ),
            },
        };

    let mut env: BTreeMap<String, String> = ctx.inherited.iter().cloned().collect();
    // Lambda's defaults that a function may override.
    env.insert("LANG".into(), "en_US.UTF-8".into());
    env.insert("TZ".into(), ":UTC".into());
    let mut ld = format!("{task_root}:{task_root}/lib");
    if let Some(inherited) = ctx.inherited.iter().find(|(k, _)| k == "LD_LIBRARY_PATH") {
        ld = format!("{ld}:{}", inherited.1);
    }
    env.insert("LD_LIBRARY_PATH".into(), ld);
    if !env.contains_key("PATH") {
        env.insert("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into());
    }
    env.extend(spec.environment.clone());
    // Lambda's own, which validation keeps the function's variables from replacing.
    let name = spec.name.as_str();
    let fixed = [
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_size.to_string(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", ctx.region.to_owned()),
        ("AWS_DEFAULT_REGION", ctx.region.to_owned()),
        ("LAMBDA_TASK_ROOT", task_root),
        (
            "LAMBDA_RUNTIME_DIR",
            ctx.runtime_dir.to_string_lossy().into_owned(),
        ),
    ];
    env.extend(fixed.into_iter().map(|(k, v)| (k.to_owned(), v)));
    if let Some(handler) = &spec.handler {
        env.insert("_HANDLER".into(), handler.clone());
    }
    if let Some(execution_env) = execution_env {
        env.insert("AWS_EXECUTION_ENV".into(), execution_env);
    }
    Launch {
        program,
        args,
        cwd: spec.working_dir.clone(),
        env,
    }
}

/// A program with a slash is a path, taken relative to the function's working directory (not
/// the gateway's); a bare name is looked up on the function's `PATH` at spawn.
fn resolve_program(program: &str, working_dir: &Path) -> OsString {
    if program.contains('/') {
        working_dir.join(program).into_os_string()
    } else {
        program.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::FunctionSpec;

    fn spec(yaml: &str) -> ValidSpec {
        serde_saphyr::from_str::<FunctionSpec>(yaml)
            .unwrap()
            .validate(Path::new("/base"))
            .unwrap()
    }

    fn ctx<'a>(inherited: &'a [(String, String)]) -> LaunchContext<'a> {
        LaunchContext {
            runtime_dir: Path::new("/run/rt"),
            node: "node",
            python: "python3",
            region: "eu-west-1",
            inherited,
        }
    }

    #[test]
    fn node_runs_our_bootstrap_with_lambdas_environment() {
        let inherited = [("PATH".to_owned(), "/opt/bin:/usr/bin".to_owned())];
        let l = plan(
            &spec(
                "{name: hello, runtime: nodejs22.x, handler: index.handler, code: fn, memory_size: 256, environment: {TABLE: t, TZ: ':Europe/Paris'}}",
            ),
            &ctx(&inherited),
        );
        assert_eq!(l.program, "node");
        assert_eq!(l.args, vec![OsString::from("/run/rt/node/bootstrap.js")]);
        assert_eq!(l.cwd, Path::new("/base/fn"));
        let e = &l.env;
        for (k, v) in [
            ("AWS_LAMBDA_FUNCTION_NAME", "hello"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/hello"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x"),
            ("_HANDLER", "index.handler"),
            ("LAMBDA_TASK_ROOT", "/base/fn"),
            ("LAMBDA_RUNTIME_DIR", "/run/rt"),
            ("LANG", "en_US.UTF-8"),
            ("PATH", "/opt/bin:/usr/bin"),
            ("LD_LIBRARY_PATH", "/base/fn:/base/fn/lib"),
            ("TABLE", "t"),
            // A default the function may override.
            ("TZ", ":Europe/Paris"),
        ] {
            assert_eq!(e.get(k).map(String::as_str), Some(v), "{k}");
        }
    }

    #[test]
    fn python_and_provided() {
        let l = plan(
            &spec("{name: p, runtime: python3.13, handler: app.handler, code: /srv/p}"),
            &ctx(&[]),
        );
        assert_eq!(l.program, "python3");
        assert_eq!(
            l.args,
            vec![
                OsString::from("-m"),
                "awslambdaric".into(),
                "app.handler".into()
            ]
        );
        assert_eq!(l.cwd, Path::new("/srv/p"));
        assert_eq!(
            l.env.get("AWS_EXECUTION_ENV").map(String::as_str),
            Some("AWS_Lambda_python3.13")
        );
        assert!(l.env.contains_key("PATH"), "a PATH is always set");

        let l = plan(
            &spec("{name: b, runtime: provided.al2023, code: /srv/b}"),
            &ctx(&[]),
        );
        assert_eq!(l.program, "/srv/b/bootstrap");
        assert!(l.args.is_empty());
        assert!(!l.env.contains_key("AWS_EXECUTION_ENV"));
        assert!(!l.env.contains_key("_HANDLER"));
    }

    #[test]
    fn command_paths_are_relative_to_the_working_dir() {
        let l = plan(
            &spec("{name: c, command: [./bin/run, --x], working_dir: w}"),
            &ctx(&[]),
        );
        assert_eq!(l.program, "/base/w/./bin/run");
        assert_eq!(l.args, vec![OsString::from("--x")]);
        let l = plan(&spec("{name: c, command: [cat]}"), &ctx(&[]));
        assert_eq!(l.program, "cat");
    }
}
