//! The Wild Rydes example (`examples/wildrydes`), served from its own files, end to end as its
//! README walks it, with the AWS SDK for Rust: sign up → confirm with the outbox's code → sign
//! in (SRP, with `amazon-cognito-identity-js`, the browser's library) → GetId →
//! GetCredentialsForIdentity → `POST /prod/ride` signed with `aws-sigv4` → 201 and a unicorn
//! from the RequestUnicorn function. Then every refusal the workshop's IAM module implies —
//! unsigned, a guest's credentials, expired credentials, a path the role's policy does not
//! cover — each counted at the function: none reaches it. The same flow driven by boto3 and
//! botocore's signer is `tests/python/wildrydes.py`, run from here.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::pools::{error_text, idp, idp_signed, js_sign_in, last_code};
use common::*;
use gateway::clock::{Clock, FixedClock};
use http::Method;
use testkit::aws::cognito_identity;
use testkit::signer::{Key, Signing, signed};

const POOL: &str = "us-east-1_WildRydes";
const WEB: &str = "wildrydes-web";
const IDENTITY_POOL: &str = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01";
const PASSWORD: &str = "Unicorn-Rides-42";
const PICKUP: &str =
    r#"{"PickupLocation":{"Latitude":47.6174755835663,"Longitude":-122.28837066650185}}"#;
/// The example's demo IAM user: AWS's documentation keys.
const DEMO: (&str, &str) = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
);

fn example_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/wildrydes")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The example's configuration as `run.sh` serves it, but for the function's binary: the debug
/// build of this workspace instead of `run.sh`'s release build. (Ports and storage are the test
/// server's: ephemeral and in memory.)
fn example_config() -> String {
    let config = example_file("portcullis.yaml");
    let command = "command: [../../target/release/request-unicorn]";
    assert!(
        config.contains(command),
        "the example's function command moved"
    );
    let binary = example_binary("request-unicorn");
    config.replace(
        command,
        &format!("command: [{:?}]", binary.display().to_string()),
    )
}

struct Fixture {
    server: TestServer,
    clock: Arc<FixedClock>,
    identity: cognito_identity::Client,
}

async fn start() -> Fixture {
    let ws = Workspace::new();
    ws.write(
        "wildrydes.openapi.yaml",
        &example_file("wildrydes.openapi.yaml"),
    );
    let clock = Arc::new(FixedClock::new(SystemTime::now()));
    let server = TestServer::start_with_clock(ws, &example_config(), clock.clone()).await;
    let identity = testkit::aws::cognito_identity_client(&server.url(""), "us-east-1", None);
    Fixture {
        server,
        clock,
        identity,
    }
}

impl Fixture {
    /// Invocations RequestUnicorn accepted so far.
    fn rides(&self) -> u64 {
        let running = self.server.running.as_ref().unwrap();
        let stats = running.services().functions().stats("RequestUnicorn");
        stats.unwrap().invocations
    }

    /// Registers `email`, confirms it with the code the built-in sender wrote to the outbox, and
    /// signs in with SRP; the user's `sub` and ID token.
    async fn rider(&self, email: &str) -> (String, String) {
        let idp = idp(&self.server);
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
        // Unconfirmed users cannot sign in yet.
        let early = js_sign_in(&self.server, &[POOL, WEB, email, PASSWORD], &[]).await;
        assert_eq!(early["code"], "UserNotConfirmedException", "{early}");
        let code = last_code(&self.server, POOL, &sub).await;
        idp.confirm_sign_up()
            .client_id(WEB)
            .username(email)
            .confirmation_code(code)
            .send()
            .await
            .unwrap();
        let tokens = js_sign_in(&self.server, &[POOL, WEB, email, PASSWORD], &[]).await;
        assert_eq!(tokens["ok"], true, "{tokens}");
        (sub, tokens["idToken"].as_str().unwrap().to_string())
    }

    /// GetId and GetCredentialsForIdentity with `id_token` (a guest's without); the identity
    /// and its credentials.
    async fn credentials(&self, id_token: Option<&str>) -> (String, Key) {
        // The key an app on this endpoint sends (`{host}/{pool}`, Amplify's form) and AWS's own.
        let logins = id_token.map(|t| {
            (
                [
                    format!("{}/{POOL}", self.server.edge),
                    format!("cognito-idp.us-east-1.amazonaws.com/{POOL}"),
                ],
                t,
            )
        });
        let mut get_id = self.identity.get_id().identity_pool_id(IDENTITY_POOL);
        if let Some(([key, _], token)) = &logins {
            get_id = get_id.logins(key, *token);
        }
        let identity_id = get_id.send().await.unwrap().identity_id.unwrap();
        let mut get = self
            .identity
            .get_credentials_for_identity()
            .identity_id(&identity_id);
        if let Some(([_, key], token)) = &logins {
            get = get.logins(key, *token);
        }
        let c = get.send().await.unwrap().credentials.unwrap();
        let key = Key::new(c.access_key_id().unwrap(), c.secret_key().unwrap())
            .with_token(c.session_token().unwrap());
        (identity_id, key)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: &str,
        key: Option<&Key>,
    ) -> TestResponse {
        let url = self.server.url(path);
        let headers = [("content-type", "application/json")];
        match key {
            Some(key) => {
                let how = Signing::execute_api(self.clock.now());
                let request = signed(method, &url, &headers, body, key, &how);
                self.server.client.request(request).await
            }
            None => {
                self.server
                    .client
                    .send(method, &url, &headers, body.to_string())
                    .await
            }
        }
    }
}

/// API Gateway's refusal of a role session its policies do not allow.
fn assert_session_denied(r: &TestResponse, role: &str, route: &str) {
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    let message = format!(
        "User: arn:aws:sts::123456789012:assumed-role/{role}/CognitoIdentityCredentials is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:wildrydes1/prod/{route} because no identity-based policy allows the execute-api:Invoke action"
    );
    assert_eq!(r.json(), serde_json::json!({ "Message": message }));
    // The page on another origin can read the refusal (DEFAULT_4XX's CORS headers).
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rider_signs_in_and_requests_a_unicorn_with_the_identity_pools_credentials() {
    let f = start().await;
    let (sub, id_token) = f.rider("rider@example.com").await;
    let (identity_id, key) = f.credentials(Some(&id_token)).await;

    let r = f.call(Method::POST, "/prod/ride", PICKUP, Some(&key)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let ride = r.json();
    let name = ride["UnicornName"].as_str().unwrap();
    assert!(
        ["Bucephalus", "Shadowfax", "Rocinante"].contains(&name),
        "{ride}"
    );
    assert_eq!(ride["Unicorn"]["Name"], name);
    assert_eq!(ride["Eta"], "30 seconds");
    // The rider is the user-pool `sub` the function parsed out of the provider string.
    assert_eq!(ride["Rider"], sub.as_str());
    assert_eq!(ride["PickupLocation"]["Latitude"], 47.6174755835663);
    let caller = &ride["Caller"];
    assert_eq!(caller["cognitoIdentityId"], identity_id.as_str());
    assert_eq!(
        caller["userArn"],
        "arn:aws:sts::123456789012:assumed-role/WildRydesAuthRole/CognitoIdentityCredentials"
    );
    let provider = format!("cognito-idp.us-east-1.amazonaws.com/{POOL}");
    assert_eq!(
        caller["cognitoAuthenticationProvider"],
        format!("{provider},{provider}:CognitoSignIn:{sub}")
    );
    assert_eq!(f.rides(), 1);

    // The browser's preflight: answered by the OPTIONS mock, no function involved.
    let r = f
        .server
        .client
        .send(
            Method::OPTIONS,
            &f.server.url("/prod/ride"),
            &[
                ("origin", "http://127.0.0.1:8082"),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token")
    );

    // Unsigned: API Gateway's answer for an AWS_IAM route without a signature.
    let r = f.call(Method::POST, "/prod/ride", PICKUP, None).await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // A path the role's policy does not cover (only the admins' role may see the fleet).
    let r = f.call(Method::GET, "/prod/fleet", "", Some(&key)).await;
    assert_session_denied(&r, "WildRydesAuthRole", "GET/fleet");
    // A signature over another body does not ride.
    let how = Signing::execute_api(f.clock.now());
    let url = f.server.url("/prod/ride");
    let mut forged = signed(Method::POST, &url, &[], PICKUP, &key, &how);
    *forged.body_mut() = http_body_util::Full::new(bytes::Bytes::from_static(b"{}"));
    let r = f.server.client.request(forged).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    // A guest gets the unauthenticated role, which may not ride.
    let (_, guest) = f.credentials(None).await;
    let r = f
        .call(Method::POST, "/prod/ride", PICKUP, Some(&guest))
        .await;
    assert_session_denied(&r, "WildRydesUnauthRole", "POST/ride");
    assert_eq!(f.rides(), 1, "no refusal reaches the function");

    // Credentials end with their hour.
    f.clock.advance(Duration::from_secs(3601));
    let r = f.call(Method::POST, "/prod/ride", PICKUP, Some(&key)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "The security token included in the request is expired"})
    );
    assert_eq!(f.rides(), 1, "no refusal reaches the function");
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_the_fleet_and_the_user_pool_authorizer_rides_too() {
    let f = start().await;
    let (sub, id_token) = f.rider("admin@example.com").await;
    // The demo user (AWS's documentation keys) administers the pool: admins get the
    // identity pool's mapped role.
    let demo = Key::new(DEMO.0, DEMO.1);
    idp_signed(&f.server, &demo)
        .admin_add_user_to_group()
        .user_pool_id(POOL)
        .username("admin@example.com")
        .group_name("admins")
        .send()
        .await
        .map_err(error_text)
        .unwrap();
    // The group is in the next token.
    let tokens = js_sign_in(&f.server, &[POOL, WEB, "admin@example.com", PASSWORD], &[]).await;
    let admin_token = tokens["idToken"].as_str().unwrap();
    let (_, admin) = f.credentials(Some(admin_token)).await;
    let r = f.call(Method::GET, "/prod/fleet", "", Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"Fleet": ["Bucephalus", "Shadowfax", "Rocinante"]})
    );
    let r = f
        .call(Method::POST, "/prod/ride", PICKUP, Some(&admin))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // The old token, from before the group, still maps to the standard role.
    let (_, standard) = f.credentials(Some(&id_token)).await;
    let r = f
        .call(Method::GET, "/prod/fleet", "", Some(&standard))
        .await;
    assert_session_denied(&r, "WildRydesAuthRole", "GET/fleet");
    assert_eq!(f.rides(), 1);

    // The workshop's earlier module: the ID token itself, to the Cognito authorizer.
    let url = f.server.url("/prod/ride-pool");
    let auth = [
        ("authorization", admin_token),
        ("content-type", "application/json"),
    ];
    let r = f
        .server
        .client
        .send(Method::POST, &url, &auth, PICKUP)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // `cognito:username`: with the email as username attribute, Cognito's generated username,
    // the `sub`.
    assert_eq!(r.json()["Rider"], sub.as_str());
    assert_eq!(f.rides(), 2);
    let r = f.server.client.send(Method::POST, &url, &[], PICKUP).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json(), serde_json::json!({"message": "Unauthorized"}));
    // Credentials are no token for the user-pool authorizer.
    let r = f
        .call(Method::POST, "/prod/ride-pool", PICKUP, Some(&admin))
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(f.rides(), 2, "no refusal reaches the function");
    f.server.stop().await;
}

/// The same flow with boto3 (`cognito-idp`, `cognito-identity`) and botocore's SigV4 signer,
/// in two steps: the script signs up, this test reads the code from the outbox, the script
/// confirms, signs in, gets credentials and rides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_rides_too() {
    let f = start().await;
    let email = "boto@example.com";
    let signed_up = boto3(&f, &["sign-up", email, PASSWORD]).await;
    let sub = signed_up["UserSub"].as_str().unwrap().to_string();
    let code = last_code(&f.server, POOL, &sub).await;
    let out = boto3(&f, &["ride", email, PASSWORD, &code]).await;
    assert_eq!(out["ride"]["status"], 201, "{out}");
    assert_eq!(out["ride"]["body"]["Rider"], sub.as_str(), "{out}");
    assert!(
        out["identity_id"]
            .as_str()
            .unwrap()
            .starts_with("us-east-1:")
    );
    assert!(out["access_key_id"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(out["unsigned"]["status"], 403, "{out}");
    assert_eq!(
        out["unsigned"]["body"],
        serde_json::json!({"message": "Missing Authentication Token"})
    );
    assert_eq!(out["fleet"]["status"], 403, "{out}");
    assert_eq!(f.rides(), 1);
    f.server.stop().await;
}

/// Runs `tests/python/wildrydes.py` against the server; what it printed, as JSON.
async fn boto3(f: &Fixture, args: &[&str]) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/wildrydes.py");
    let mut command = tokio::process::Command::new("python3");
    command.arg(script).arg(f.server.url("")).args(args);
    let out = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the script finished within 60 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
