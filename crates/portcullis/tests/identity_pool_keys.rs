//! The OpenID tokens' signing key (GetOpenIdToken's): `portcullis identitypool rotate-keys` makes
//! a new one current on the configuration's storage; a server on that storage signs with it,
//! still publishes the retired ones (until their tokens have expired), and STS takes its tokens.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");
const IDENTITY_POOL: &str = "us-east-1:1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

fn config() -> String {
    format!(
        r#"account_id: "123456789012"
storage: sqlite://state.db
iam:
  roles:
    - name: GuestRole
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Federated: cognito-identity.amazonaws.com}}, Action: "sts:AssumeRoleWithWebIdentity", Condition: {{StringEquals: {{"cognito-identity.amazonaws.com:aud": "{IDENTITY_POOL}"}}}}}}]}}
identity_pools:
  - id: "{IDENTITY_POOL}"
    allow_unauthenticated: true
    unauthenticated_role: GuestRole
"#
    )
}

fn rotate(config: &std::path::Path) -> Result<String, String> {
    let out = std::process::Command::new(BIN)
        .args(["identitypool", "rotate-keys", "--config"])
        .arg(config)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn kid(jwt: &str) -> String {
    let header = jwt.split('.').next().unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    v["kid"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_open_id_keys_sign_and_old_ones_stay_published() {
    let ws = Workspace::new();
    let path = ws.write("portcullis.yaml", &config());
    let first = rotate(&path).unwrap();
    let second = rotate(&path).unwrap();
    assert_ne!(first, second);

    let overrides = config::Overrides {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        storage: None,
    };
    let loaded = config::load_with(&path, &overrides).unwrap_or_else(|r| panic!("{r}"));
    let running = portcullis::start(loaded, portcullis::StartOptions::default())
        .await
        .unwrap();
    let server = TestServer {
        edge: running.edge,
        admin: running.admin,
        scheme: running.scheme,
        running: Some(running),
        ws,
        client: Client::http1(),
    };
    // The current key signs; every key not yet past its tokens' lifetime is published.
    let jwks = server.get("/.well-known/jwks_uri").await.json();
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        published.len(),
        3,
        "the first key and two rotations: {published:?}"
    );
    assert!(published.contains(&first.as_str()) && published.contains(&second.as_str()));
    let identity = testkit::aws::cognito_identity_client(&server.url(""), "us-east-1", None);
    let id = identity
        .get_id()
        .identity_pool_id(IDENTITY_POOL)
        .send()
        .await
        .unwrap()
        .identity_id
        .unwrap();
    let token = identity
        .get_open_id_token()
        .identity_id(&id)
        .send()
        .await
        .unwrap()
        .token
        .unwrap();
    assert_eq!(kid(&token), second);
    let sts = testkit::aws::sts_web_identity_client(&server.url(""), "us-east-1");
    let out = sts
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::123456789012:role/GuestRole")
        .role_session_name("guest")
        .web_identity_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.subject_from_web_identity_token.as_deref(),
        Some(id.as_str())
    );

    // Without identity pools there is nothing to rotate.
    let bare = server.ws.write(
        "bare.yaml",
        "account_id: \"123456789012\"\nstorage: sqlite://state.db\n",
    );
    let e = rotate(&bare).unwrap_err();
    assert!(e.contains("no identity pools"), "{e}");
}
