//! `portcullis`: serve, validate, policy simulate, and the admin API client (`apikeys`,
//! `usageplans`, `cache`).

mod admin_client;
mod invoke_cli;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use portcullis::StartOptions;

#[derive(Parser)]
#[command(
    name = "portcullis",
    version,
    about = "A self-hosted API gateway with Amazon API Gateway's security model"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway: the edge endpoint and the admin endpoint.
    Serve {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Override `listen` (the edge endpoint), e.g. 127.0.0.1:0.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Override `admin_listen` (metrics and health checks).
        #[arg(long)]
        admin_listen: Option<SocketAddr>,
        /// Override `storage`, e.g. sqlite://state.db or sqlite::memory:.
        #[arg(long)]
        storage: Option<String>,
        /// Serve HTTPS with a self-signed development certificate (kept in .portcullis/ beside
        /// the configuration file).
        #[arg(long)]
        dev_tls: bool,
    },
    /// Check a configuration and the documents it names; report every problem.
    Validate {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Work with the configuration's IAM policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// API keys, through the admin API (signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
    Apikeys {
        #[command(flatten)]
        admin: AdminArgs,
        #[command(subcommand)]
        command: ApiKeysCommand,
    },
    /// Usage plans, their keys and their usage, through the admin API.
    Usageplans {
        #[command(flatten)]
        admin: AdminArgs,
        #[command(subcommand)]
        command: UsagePlansCommand,
    },
    /// Stage response caches, through the admin API.
    Cache {
        #[command(flatten)]
        admin: AdminArgs,
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Invoke a function of the running gateway through its Lambda Invoke API (signed with
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; the caller needs lambda:InvokeFunction).
    Invoke(invoke_cli::InvokeArgs),
    /// User pools, on the configuration's storage: the codes sent, key rotation.
    Userpool {
        /// The configuration file (its storage and user pools).
        #[arg(long, short, global = true, default_value = "portcullis.yaml")]
        config: PathBuf,
        #[command(subcommand)]
        command: UserpoolCommand,
    },
    /// Identity pools, on the configuration's storage: the OpenID token key's rotation.
    Identitypool {
        /// The configuration file (its storage and identity pools).
        #[arg(long, short, global = true, default_value = "portcullis.yaml")]
        config: PathBuf,
        #[command(subcommand)]
        command: IdentitypoolCommand,
    },
}

#[derive(Subcommand)]
enum IdentitypoolCommand {
    /// Make a new GetOpenIdToken signing key current; the old ones stay in
    /// /.well-known/jwks_uri until their tokens expire.
    RotateKeys,
}

#[derive(Subcommand)]
enum UserpoolCommand {
    /// The codes the built-in sender delivered, newest first (one JSON object per line).
    Codes {
        /// The pool id, e.g. us-east-1_WildRydes.
        pool: String,
        /// Only this user's (the internal username: the `sub` when the email is the username).
        #[arg(long)]
        username: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Make a new signing key current; the old ones stay in the JWKS until their tokens expire.
    RotateKeys { pool: String },
}

/// Where the admin API is and how requests to it are signed.
#[derive(clap::Args)]
struct AdminArgs {
    /// The admin endpoint.
    #[arg(
        long,
        env = "PORTCULLIS_ADMIN_URL",
        default_value = "http://127.0.0.1:8081",
        global = true
    )]
    admin_url: String,
    /// The region requests are signed for (the configuration's `region`).
    #[arg(long, default_value = "us-east-1", global = true)]
    region: String,
}

#[derive(Subcommand)]
enum ApiKeysCommand {
    /// List every key (without values).
    List,
    /// Create a key; its value is printed this once.
    Create {
        #[arg(long)]
        name: String,
        /// The key's value (20 to 128 printable characters); generated when absent.
        #[arg(long)]
        value: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Create the key disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// Show one key.
    Get {
        id: String,
        /// Include the key's value.
        #[arg(long)]
        show_value: bool,
    },
    Enable {
        id: String,
    },
    Disable {
        id: String,
    },
    Delete {
        id: String,
    },
}

#[derive(Subcommand)]
enum UsagePlansCommand {
    List,
    Get {
        id: String,
    },
    /// Create a plan from API Gateway's UsagePlan JSON (name, apiStages, throttle, quota).
    Create {
        #[arg(long)]
        file: PathBuf,
    },
    Delete {
        id: String,
    },
    /// Add an API key to a plan.
    AddKey {
        plan: String,
        key: String,
    },
    RemoveKey {
        plan: String,
        key: String,
    },
    /// Requests per key and day, with the quota remaining.
    Usage {
        plan: String,
        #[arg(long)]
        key: Option<String>,
        /// First day, YYYY-MM-DD (UTC).
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (UTC).
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Drop every cached response of a stage.
    Flush { api: String, stage: String },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Would a principal be allowed an action on a resource? Prints the decision and the
    /// statements that decided it, like AWS's policy simulator. Exit status: 0 allowed,
    /// 3 denied, 1 error.
    Simulate {
        #[arg(long, short)]
        config: PathBuf,
        /// A user name, a user or role ARN, an assumed-role session ARN, or `anonymous`.
        #[arg(long)]
        principal: String,
        /// e.g. execute-api:Invoke
        #[arg(long, default_value = "execute-api:Invoke")]
        action: String,
        /// e.g. arn:aws:execute-api:us-east-1:123456789012:petstore01/prod/GET/pets
        #[arg(long)]
        resource: String,
        /// A condition key and value, e.g. aws:SourceIp=203.0.113.7 (repeat for more).
        #[arg(long = "context", value_name = "KEY=VALUE")]
        context: Vec<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal: log files and collectors get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { config } => validate(&config),
        Command::Invoke(args) => invoke_cli::run(&args),
        Command::Policy {
            command:
                PolicyCommand::Simulate {
                    config,
                    principal,
                    action,
                    resource,
                    context,
                },
        } => {
            let simulation = portcullis::simulate::Simulation {
                principal,
                action,
                resource,
                context,
            };
            simulate(&config, &simulation)
        }
        Command::Apikeys { admin, command } => {
            admin_command(&admin, |c| Box::pin(apikeys(c, command)))
        }
        Command::Usageplans { admin, command } => {
            admin_command(&admin, |c| Box::pin(usageplans(c, command)))
        }
        Command::Cache {
            admin,
            command: CacheCommand::Flush { api, stage },
        } => admin_command(&admin, |c| {
            Box::pin(async move {
                let path = format!(
                    "/restapis/{}/stages/{}/cache/data",
                    admin_client::escape(&api),
                    admin_client::escape(&stage)
                );
                c.call(http::Method::DELETE, &path, None).await
            })
        }),
        Command::Userpool { config, command } => match userpool(&config, command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Identitypool { config, command } => match identitypool(&config, command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Serve {
            config,
            listen,
            admin_listen,
            storage,
            dev_tls,
        } => {
            let overrides = config::Overrides {
                listen,
                admin_listen,
                storage,
            };
            match serve(&config, &overrides, dev_tls) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn identitypool(path: &std::path::Path, command: IdentitypoolCommand) -> anyhow::Result<()> {
    let config = config::load(path).map_err(|report| anyhow::anyhow!("{report}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let stores = portcullis::open_store(&config.storage).await?;
        match command {
            IdentitypoolCommand::RotateKeys => {
                let kid = portcullis::userpool_cli::rotate_open_id_keys(&config, &stores).await?;
                println!("{kid}");
            }
        }
        Ok(())
    })
}

fn userpool(path: &std::path::Path, command: UserpoolCommand) -> anyhow::Result<()> {
    let config = config::load(path).map_err(|report| anyhow::anyhow!("{report}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let stores = portcullis::open_store(&config.storage).await?;
        match command {
            UserpoolCommand::Codes {
                pool,
                username,
                limit,
            } => {
                let lines = portcullis::userpool_cli::codes(
                    &config,
                    &stores,
                    &pool,
                    username.as_deref(),
                    limit,
                )
                .await?;
                for line in lines {
                    println!("{line}");
                }
            }
            UserpoolCommand::RotateKeys { pool } => {
                let kid = portcullis::userpool_cli::rotate_keys(&config, &stores, &pool).await?;
                println!("{kid}");
            }
        }
        Ok(())
    })
}

fn validate(path: &std::path::Path) -> ExitCode {
    match config::load(path) {
        Ok(config) => {
            let stages: usize = config.apis.iter().map(|a| a.stages.len()).sum();
            println!(
                "{}: OK ({} API(s), {} stage(s))",
                path.display(),
                config.apis.len(),
                stages
            );
            ExitCode::SUCCESS
        }
        Err(report) => {
            eprintln!("{report}");
            ExitCode::FAILURE
        }
    }
}

fn simulate(path: &std::path::Path, simulation: &portcullis::simulate::Simulation) -> ExitCode {
    let config = match config::load(path) {
        Ok(c) => c,
        Err(report) => {
            eprintln!("{report}");
            return ExitCode::FAILURE;
        }
    };
    match portcullis::simulate::simulate(&config, simulation) {
        Ok(outcome) => {
            print!("{}", outcome.report);
            if outcome.authorization.is_allowed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    path: &std::path::Path,
    overrides: &config::Overrides,
    dev_tls: bool,
) -> anyhow::Result<ExitCode> {
    let config = match config::load_with(path, overrides) {
        Ok(c) => c,
        Err(report) => {
            eprintln!("{report}");
            eprintln!("refusing to start: the configuration has problems");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = config.server.worker_threads {
        runtime.worker_threads(n);
    }
    let runtime = runtime.build().context("starting the async runtime")?;
    runtime.block_on(async move {
        let running = portcullis::start(
            config,
            StartOptions {
                dev_tls,
                clock: None,
            },
        )
        .await?;
        if let Some((file, fingerprint)) = &running.dev_certificate {
            println!(
                "development TLS certificate {} (SHA-256 {fingerprint})",
                file.display()
            );
        }
        println!("listening on {}://{} (edge)", running.scheme, running.edge);
        println!("listening on http://{} (admin)", running.admin);
        if let Some(site) = running.site {
            println!("listening on {}://{site} (site)", running.scheme);
        }
        let _ = std::io::stdout().flush();
        serve_until_stopped(&running, path, overrides).await;
        let cut = running.stop().await?;
        if cut > 0 {
            tracing::warn!("{cut} connection(s) were closed before their requests finished");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Serves until SIGTERM or Ctrl-C; on SIGHUP, reloads the configuration: a valid one replaces
/// the deployment, an invalid one is reported (as `validate` reports it) and the current one
/// keeps serving.
async fn serve_until_stopped(
    running: &portcullis::Running,
    path: &std::path::Path,
    overrides: &config::Overrides,
) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        loop {
            tokio::select! {
                _ = term.recv() => return,
                _ = tokio::signal::ctrl_c() => return,
                _ = hup.recv() => reload(running, path, overrides),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (running, path, overrides);
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn reload(running: &portcullis::Running, path: &std::path::Path, overrides: &config::Overrides) {
    // Reading and compiling the files blocks; the worker's other tasks move to another thread
    // meanwhile (`serve` runs the multi-threaded runtime).
    tokio::task::block_in_place(|| reload_now(running, path, overrides));
}

fn reload_now(
    running: &portcullis::Running,
    path: &std::path::Path,
    overrides: &config::Overrides,
) {
    match config::load_with(path, overrides) {
        Ok(config) => {
            if let Err(e) = running.reload(&config) {
                eprintln!("reload refused: {e}; still serving the previous configuration");
            }
        }
        Err(report) => {
            eprintln!("{report}");
            eprintln!(
                "reload refused: the configuration has problems; still serving the previous configuration"
            );
        }
    }
}

type AdminFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = anyhow::Result<Option<serde_json::Value>>> + 'a>,
>;

/// Runs one admin API call and prints its JSON answer; errors go to stderr with status 1.
fn admin_command(
    args: &AdminArgs,
    run: impl for<'a> FnOnce(&'a admin_client::AdminClient) -> AdminFuture<'a>,
) -> ExitCode {
    let outcome = (|| -> anyhow::Result<Option<serde_json::Value>> {
        let client = admin_client::AdminClient::from_env(&args.admin_url, &args.region)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(run(&client))
    })();
    match outcome {
        Ok(answer) => {
            if let Some(answer) = answer {
                match serde_json::to_string_pretty(&answer) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn enabled_patch(enabled: bool) -> serde_json::Value {
    serde_json::json!({"patchOperations": [
        {"op": "replace", "path": "/enabled", "value": enabled.to_string()}
    ]})
}

async fn apikeys(
    c: &admin_client::AdminClient,
    command: ApiKeysCommand,
) -> anyhow::Result<Option<serde_json::Value>> {
    use admin_client::escape;
    use http::Method;
    match command {
        ApiKeysCommand::List => c.list_all("/apikeys", &[]).await.map(Some),
        ApiKeysCommand::Create {
            name,
            value,
            description,
            disabled,
        } => {
            let mut body = serde_json::json!({"name": name, "enabled": !disabled});
            if let Some(map) = body.as_object_mut() {
                if let Some(v) = value {
                    map.insert("value".into(), v.into());
                }
                if let Some(d) = description {
                    map.insert("description".into(), d.into());
                }
            }
            c.call(Method::POST, "/apikeys", Some(&body)).await
        }
        ApiKeysCommand::Get { id, show_value } => {
            let path = admin_client::with_query(
                &format!("/apikeys/{}", escape(&id)),
                &[("includeValue", if show_value { "true" } else { "false" })],
            );
            c.call(Method::GET, &path, None).await
        }
        ApiKeysCommand::Enable { id } => {
            let path = format!("/apikeys/{}", escape(&id));
            c.call(Method::PATCH, &path, Some(&enabled_patch(true)))
                .await
        }
        ApiKeysCommand::Disable { id } => {
            let path = format!("/apikeys/{}", escape(&id));
            c.call(Method::PATCH, &path, Some(&enabled_patch(false)))
                .await
        }
        ApiKeysCommand::Delete { id } => {
            let path = format!("/apikeys/{}", escape(&id));
            c.call(Method::DELETE, &path, None).await
        }
    }
}

async fn usageplans(
    c: &admin_client::AdminClient,
    command: UsagePlansCommand,
) -> anyhow::Result<Option<serde_json::Value>> {
    use admin_client::escape;
    use http::Method;
    match command {
        UsagePlansCommand::List => c.list_all("/usageplans", &[]).await.map(Some),
        UsagePlansCommand::Get { id } => {
            let path = format!("/usageplans/{}", escape(&id));
            c.call(Method::GET, &path, None).await
        }
        UsagePlansCommand::Create { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let plan: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            c.call(Method::POST, "/usageplans", Some(&plan)).await
        }
        UsagePlansCommand::Delete { id } => {
            let path = format!("/usageplans/{}", escape(&id));
            c.call(Method::DELETE, &path, None).await
        }
        UsagePlansCommand::AddKey { plan, key } => {
            let path = format!("/usageplans/{}/keys", escape(&plan));
            let body = serde_json::json!({"keyId": key, "keyType": "API_KEY"});
            c.call(Method::POST, &path, Some(&body)).await
        }
        UsagePlansCommand::RemoveKey { plan, key } => {
            let path = format!("/usageplans/{}/keys/{}", escape(&plan), escape(&key));
            c.call(Method::DELETE, &path, None).await
        }
        UsagePlansCommand::Usage {
            plan,
            key,
            from,
            to,
        } => {
            let mut query = vec![("startDate", from.as_str()), ("endDate", to.as_str())];
            if let Some(k) = &key {
                query.push(("keyId", k.as_str()));
            }
            let path =
                admin_client::with_query(&format!("/usageplans/{}/usage", escape(&plan)), &query);
            c.call(Method::GET, &path, None).await
        }
    }
}
