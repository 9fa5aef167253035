//! What the Wild Rydes flow costs (issue 13), measured side by side in one run on the example's
//! own files, served in this process:
//!
//! - `POST /prod/ride` signed with an identity pool's temporary credentials (SigV4 with a
//!   session token: the session looked up, the role's policy evaluated) against the same
//!   RequestUnicorn integration with no auth (`/ride-open`, added for the bench) and with the
//!   Cognito authorizer (`/ride-pool`, the ID token). RequestUnicorn answers the unauthenticated
//!   twin with its short 500 (it cannot name the rider), so that ratio overstates what
//!   authentication costs; the mock route below is the clean comparison;
//! - `GET /prod/fleet` (a mock: no function, so only the gateway's own cost) signed with the
//!   session credentials, signed with the demo user's long-term key, and unsigned
//!   (`/fleet-open`): what a temporary credential costs beyond a long-term one;
//! - GetCredentialsForIdentity (a token validated, the role chosen, a session issued and
//!   stored) and GetId, one call after another.
//!
//! Every signed request is signed once and replayed (a signature stays valid for five minutes),
//! so the client's work is the same in every scenario and the differences are the gateway's.
//! Client and gateway share the process and its 2 cores: read the ratios, not the absolutes.
//! Rounds alternate; figures are medians. Run with
//! `cargo bench -p portcullis --bench wildrydes` (it builds `request-unicorn` in release).
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use testkit::aws::cognito_idp::types::AuthFlowType;
use testkit::signer::{Key, Signing, signed};
use testkit::{Client, Workspace};

const POOL: &str = "us-east-1_WildRydes";
const WEB: &str = "wildrydes-web";
const IDENTITY_POOL: &str = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01";
const PASSWORD: &str = "Unicorn-Rides-42";
const PICKUP: &str = r#"{"PickupLocation":{"Latitude":47.6,"Longitude":-122.3}}"#;
const ROUNDS: usize = 3;
const CONCURRENCY: usize = 16;
const RIDES: usize = 3_000;
const FLEET: usize = 20_000;
const CALLS: usize = 300;

fn example_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/wildrydes")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The release build of RequestUnicorn, as `run.sh` makes it.
fn request_unicorn() -> std::path::PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "-p", "request-unicorn"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --release -p request-unicorn");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        std::path::PathBuf::from,
    );
    target.join("release/request-unicorn")
}

/// The example, plus the two unauthenticated twins the comparison needs, on ephemeral ports
/// and in-memory storage, with one edge worker (as `bench/run.sh`'s `portcullis-1w`).
fn workspace() -> (Workspace, std::path::PathBuf) {
    let ws = Workspace::new();
    let openapi = example_file("wildrydes.openapi.yaml").replace(
        "  /fleet:\n",
        "  /ride-open:\n    post:\n      x-amazon-apigateway-integration: *unicorn\n  /fleet-open:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n        responses:\n          default: {statusCode: \"200\", responseTemplates: {application/json: '{\"Fleet\": [\"Bucephalus\", \"Shadowfax\", \"Rocinante\"]}'}}\n  /fleet:\n",
    );
    ws.write("wildrydes.openapi.yaml", &openapi);
    let unicorn = request_unicorn();
    let config = example_file("portcullis.yaml");
    // The access log would measure the terminal.
    let log = config.find("        access_log:").unwrap();
    let end = log + config[log..].find("\nfunctions:").unwrap();
    let config = format!("{}        variables: {{}}{}", &config[..log], &config[end..])
        .replace(
            "command: [../../target/release/request-unicorn]",
            &format!("command: [{:?}]", unicorn.display().to_string()),
        )
        .replace("listen: 127.0.0.1:8080", "listen: 127.0.0.1:0")
        .replace("admin_listen: 127.0.0.1:8081", "admin_listen: 127.0.0.1:0")
        .replace(
            "storage: sqlite://.portcullis/wildrydes.db",
            "storage: \"sqlite::memory:\"\nserver: {worker_threads: 1}\naccount_throttle: {rate_limit: 100000000, burst_limit: 100000000}",
        );
    let path = ws.write("portcullis.yaml", &config);
    (ws, path)
}

/// A request to replay: its parts, cloned into a new request for every send.
#[derive(Clone)]
struct Replay {
    method: Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Replay {
    fn new(method: Method, url: &str, body: &str, key: Option<&Key>) -> Replay {
        let headers = [("content-type", "application/json")];
        let request = match key {
            Some(key) => signed(
                method,
                url,
                &headers,
                body,
                key,
                &Signing::execute_api(SystemTime::now()),
            ),
            None => {
                let mut r = Request::builder().method(method).uri(url);
                r = r.header("content-type", "application/json");
                r.body(Full::new(Bytes::from(body.to_string()))).unwrap()
            }
        };
        let (parts, _) = request.into_parts();
        Replay {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body: Bytes::from(body.to_string()),
        }
    }

    fn with_headers(method: Method, url: &str, body: &str, headers: &[(&str, &str)]) -> Replay {
        let mut replay = Replay::new(method, url, body, None);
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            replay.headers.insert(name, value.parse().unwrap());
        }
        replay
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut r = Request::new(Full::new(self.body.clone()));
        *r.method_mut() = self.method.clone();
        *r.uri_mut() = self.uri.clone();
        *r.headers_mut() = self.headers.clone();
        r
    }
}

/// Sends `total` copies of `replay` over `CONCURRENCY` connections; requests per second.
async fn load(client: &Client, replay: &Replay, total: usize, expect: u16) -> f64 {
    let started = Instant::now();
    let per_task = total / CONCURRENCY;
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, replay) = (client.clone(), replay.clone());
            tokio::spawn(async move {
                for _ in 0..per_task {
                    let r = client.request(replay.request()).await;
                    assert_eq!(r.status.as_u16(), expect, "{}", r.text());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (per_task * CONCURRENCY) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

async fn run() {
    let (_ws, path) = workspace();
    let config = config::load(&path).unwrap_or_else(|r| panic!("{r}"));
    let running = portcullis::start(config, portcullis::StartOptions::default())
        .await
        .unwrap();
    let edge = format!("http://{}", running.edge);
    let idp = testkit::aws::cognito_client(&edge, "us-east-1");
    let identity = testkit::aws::cognito_identity_client(&edge, "us-east-1", None);

    // A rider: signed up, confirmed with the outbox's code, made an admin, signed in.
    let email = "rider@example.com";
    let sub = idp
        .sign_up()
        .client_id(WEB)
        .username(email)
        .password(PASSWORD)
        .send()
        .await
        .unwrap()
        .user_sub()
        .to_string();
    let signin = running.services().store().signin.clone();
    let code = signin.outbox(POOL, Some(&sub), 1).await.unwrap()[0]
        .code
        .clone();
    idp.confirm_sign_up()
        .client_id(WEB)
        .username(email)
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    // In `admins`, so that its role may also see the fleet (the mock route of the comparison).
    let demo = Key::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    testkit::aws::cognito_admin_client(&edge, "us-east-1", &demo)
        .admin_add_user_to_group()
        .user_pool_id(POOL)
        .username(email)
        .group_name("admins")
        .send()
        .await
        .unwrap();
    let id_token = idp
        .initiate_auth()
        .client_id(WEB)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap()
        .id_token
        .unwrap();
    let login = format!("cognito-idp.us-east-1.amazonaws.com/{POOL}");

    // The identity calls, one after another.
    let mut get_id = Vec::new();
    let mut get_credentials = Vec::new();
    let mut identity_id = String::new();
    let mut key = None;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..CALLS {
            let out = identity
                .get_id()
                .identity_pool_id(IDENTITY_POOL)
                .logins(&login, &id_token)
                .send()
                .await
                .unwrap();
            identity_id = out.identity_id.unwrap();
        }
        get_id.push(started.elapsed().as_secs_f64() * 1e6 / CALLS as f64);
        let started = Instant::now();
        for _ in 0..CALLS {
            let c = identity
                .get_credentials_for_identity()
                .identity_id(&identity_id)
                .logins(&login, &id_token)
                .send()
                .await
                .unwrap()
                .credentials
                .unwrap();
            key = Some(
                Key::new(c.access_key_id().unwrap(), c.secret_key().unwrap())
                    .with_token(c.session_token().unwrap()),
            );
        }
        get_credentials.push(started.elapsed().as_secs_f64() * 1e6 / CALLS as f64);
    }
    let session = key.unwrap();

    let url = |path: &str| format!("{edge}{path}");
    let scenarios: Vec<(&str, Replay, usize, u16)> = vec![
        (
            "POST /ride, temporary credentials",
            Replay::new(Method::POST, &url("/prod/ride"), PICKUP, Some(&session)),
            RIDES,
            201,
        ),
        // RequestUnicorn answers a caller it cannot name with a short 500 (as the workshop's
        // does): the twin's function work is a little less, so its ratio overstates what
        // authentication costs, if anything.
        (
            "POST /ride-open, no auth",
            Replay::new(Method::POST, &url("/prod/ride-open"), PICKUP, None),
            RIDES,
            500,
        ),
        (
            "POST /ride-pool, Cognito ID token",
            Replay::with_headers(
                Method::POST,
                &url("/prod/ride-pool"),
                PICKUP,
                &[("authorization", &id_token)],
            ),
            RIDES,
            201,
        ),
        (
            "GET /fleet, temporary credentials",
            Replay::new(Method::GET, &url("/prod/fleet"), "", Some(&session)),
            FLEET,
            200,
        ),
        (
            "GET /fleet, long-term key",
            Replay::new(Method::GET, &url("/prod/fleet"), "", Some(&demo)),
            FLEET,
            200,
        ),
        (
            "GET /fleet-open, no auth",
            Replay::new(Method::GET, &url("/prod/fleet-open"), "", None),
            FLEET,
            200,
        ),
    ];
    let client = Client::http1();
    // Warm: connections, function environments, the session cache.
    for (_, replay, total, expect) in &scenarios {
        load(&client, replay, total / 10, *expect).await;
    }
    let mut rps = vec![Vec::new(); scenarios.len()];
    for _ in 0..ROUNDS {
        for (i, (_, replay, total, expect)) in scenarios.iter().enumerate() {
            rps[i].push(load(&client, replay, *total, *expect).await);
        }
    }
    let rps: Vec<f64> = rps.into_iter().map(median).collect();

    println!(
        "Wild Rydes, {ROUNDS} alternating rounds, medians; {CONCURRENCY} connections, 1 edge worker"
    );
    println!("{:<36} {:>10} {:>10}", "scenario", "req/s", "ratio");
    let baseline = [1, 1, 1, 5, 5, 5];
    for (i, (name, ..)) in scenarios.iter().enumerate() {
        println!(
            "{name:<36} {:>10.0} {:>9.2}×",
            rps[i],
            rps[i] / rps[baseline[i]]
        );
    }
    let (id, creds) = (median(get_id), median(get_credentials));
    println!("{:<36} {:>10.0} µs", "GetId (one after another)", id);
    println!(
        "{:<36} {:>10.0} µs  {:.2}× GetId",
        "GetCredentialsForIdentity",
        creds,
        creds / id
    );
    let _ = tokio::time::timeout(Duration::from_secs(10), running.stop()).await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}
