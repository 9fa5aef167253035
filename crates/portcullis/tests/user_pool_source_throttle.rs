//! Failed sign-ins are counted per source address as well as per user: one password sprayed
//! over many names from one address is stopped with `TooManyRequestsException` before any user
//! is locked out, for every name from that address (the right password included) until the
//! window ends; the signed administrative sign-in, which comes from the app's server, is not
//! counted per address. Driven by the AWS SDK for Rust against the running server.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use gateway::clock::FixedClock;
use testkit::aws::cognito_idp::{self, types::AuthFlowType};

const PASSWORD: &str = "Correct-Horse-42";

const CONFIG: &str = r#"
account_id: "123456789012"
user_pools:
  - id: us-east-1_Spray
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients:
      - {id: web, auth_flows: [USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH]}
"#;

async fn sign_in(idp: &cognito_idp::Client, name: &str, password: &str) -> Result<(), String> {
    pools::password_sign_in(idp, "web", name, password)
        .await
        .map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_spray_from_one_address_is_throttled() {
    // Near the real time: the administrative call is signed with it.
    let clock = Arc::new(FixedClock::new(SystemTime::now()));
    let config = format!(
        "{}{CONFIG}",
        pools::admin_iam("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Spray")
    );
    let server = TestServer::start_with_clock(Workspace::new(), &config, clock.clone()).await;
    let idp = pools::idp(&server);
    for name in ["alice", "bob"] {
        idp.sign_up()
            .client_id("web")
            .username(name)
            .password(PASSWORD)
            .send()
            .await
            .unwrap();
    }
    // 20 failures over 20 names (and one real user, twice): no user reaches its own limit of 5.
    for i in 0..18 {
        let e = sign_in(&idp, &format!("ghost-{i}"), "Spring-2026-pw")
            .await
            .unwrap_err();
        assert_eq!(e, "NotAuthorizedException: Incorrect username or password.");
    }
    for _ in 0..2 {
        let e = sign_in(&idp, "alice", "Spring-2026-pw").await.unwrap_err();
        assert_eq!(e, "NotAuthorizedException: Incorrect username or password.");
    }
    // The address has spent its failures: every sign-in from it is refused, right password or not.
    for (name, password) in [("alice", PASSWORD), ("bob", PASSWORD), ("ghost-99", "x")] {
        let e = sign_in(&idp, name, password).await.unwrap_err();
        assert_eq!(
            e,
            "TooManyRequestsException: Too many failed sign-in attempts from this address; try again later."
        );
    }
    // The app's server signs in for its users with its own credentials: not counted per address.
    let admin = pools::idp_admin(&server);
    let out = admin
        .admin_initiate_auth()
        .user_pool_id("us-east-1_Spray")
        .client_id("web")
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "bob")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert!(out.authentication_result().is_some());
    // The window ends: the address may sign in again, and alice was never locked out herself.
    clock.advance(Duration::from_secs(15 * 60));
    sign_in(&idp, "alice", PASSWORD).await.unwrap();
    sign_in(&idp, "bob", PASSWORD).await.unwrap();
}
