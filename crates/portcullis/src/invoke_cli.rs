//! `portcullis invoke FUNCTION`: a signed client of the running gateway's Lambda Invoke API
//! (`POST /2015-03-31/functions/{name}/invocations` on the edge endpoint), as `aws lambda
//! invoke --endpoint-url` would call it — so the function runs in the server's host, with its
//! warm environments, concurrency and logs, and the caller needs `lambda:InvokeFunction`.
//!
//! The payload goes to standard output; the log tail (`--log-type Tail`) and a function error
//! to standard error, and a function error makes the exit status 1.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use bytes::Bytes;
use http::Method;

use crate::admin_client::{self, AdminClient};

/// Lambda's longest function timeout, and some slack for the answer.
const TIMEOUT: Duration = Duration::from_secs(905);

#[derive(clap::Args)]
pub struct InvokeArgs {
    /// The function's name (or partial or full ARN).
    pub function: String,
    /// The event: a JSON file, or `-` for standard input; `{}` when absent.
    #[arg(long)]
    pub payload: Option<PathBuf>,
    /// The configuration of the running gateway: its `listen` address and `region` say where
    /// and how to call it.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The edge endpoint, when there is no --config.
    #[arg(
        long,
        env = "PORTCULLIS_ENDPOINT_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub endpoint_url: String,
    /// The region requests are signed for, when there is no --config.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// `Tail` prints the last 4 KB of the invocation's log to standard error.
    #[arg(long, value_parser = ["Tail", "None"])]
    pub log_type: Option<String>,
    /// RequestResponse (wait for the answer), Event (queue it) or DryRun (check only).
    #[arg(long, default_value = "RequestResponse", value_parser = ["RequestResponse", "Event", "DryRun"])]
    pub invocation_type: String,
}

pub fn run(args: &InvokeArgs) -> ExitCode {
    match invoke(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn invoke(args: &InvokeArgs) -> anyhow::Result<ExitCode> {
    let (endpoint, region) = match &args.config {
        Some(path) => endpoint_of(path)?,
        None => (args.endpoint_url.clone(), args.region.clone()),
    };
    let payload = match args.payload.as_deref() {
        None => Bytes::from_static(b"{}"),
        Some(p) if p == Path::new("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading the payload from standard input")?;
            Bytes::from(buf)
        }
        Some(p) => Bytes::from(
            std::fs::read(p).with_context(|| format!("reading the payload {}", p.display()))?,
        ),
    };
    let client = AdminClient::for_service(&endpoint, "--endpoint-url", &region, "lambda")?;
    let path = format!(
        "/2015-03-31/functions/{}/invocations",
        admin_client::escape(&args.function)
    );
    let mut headers = vec![
        ("content-type", "application/json"),
        ("x-amz-invocation-type", args.invocation_type.as_str()),
    ];
    if let Some(log_type) = &args.log_type {
        headers.push(("x-amz-log-type", log_type.as_str()));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (status, answer_headers, body) =
        runtime.block_on(client.request(Method::POST, &path, &headers, payload, TIMEOUT))?;
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|j| {
                j.get("message")
                    .or_else(|| j.get("Message"))
                    .and_then(|m| m.as_str().map(str::to_string))
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        bail!(
            "{status} {}: {message}",
            admin_client::error_type(&answer_headers).unwrap_or_default()
        );
    }
    let header = |name: &str| answer_headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(tail) = header("x-amz-log-result") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(tail)
            .context("the log tail is not base64")?;
        eprint!("{}", String::from_utf8_lossy(&decoded));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&body)?;
    if !body.is_empty() && !body.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if let Some(error) = header("x-amz-function-error") {
        eprintln!("function error ({error})");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the gateway of `path` listens, and its region. A wildcard `listen` is reached on
/// loopback.
fn endpoint_of(path: &Path) -> anyhow::Result<(String, String)> {
    let config = config::load(path).map_err(|report| anyhow::anyhow!("{report}"))?;
    if config.tls.is_some() {
        bail!(
            "the configuration serves HTTPS, which `portcullis invoke` does not speak yet: use `aws lambda invoke --endpoint-url`"
        );
    }
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    Ok((format!("http://{addr}"), config.region))
}
