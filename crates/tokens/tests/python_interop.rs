//! Independent implementations both ways, through `tests/python/interop.py`:
//!
//! - tokens this crate issues verify with PyJWT + cryptography against this crate's JWKS (and
//!   each `kid` is the key's RFC 7638 thumbprint as Python computes it);
//! - tokens PyJWT signs with a key Python made, under a JWKS Python wrote, verify with our
//!   validator, and PyJWT's forgeries (alg none, HS256 confusion, RS512/PS256, a wrong key,
//!   expired, wrong audience) are refused with the expected errors.
//!
//! PyJWT checks `exp` against the real clock, so these tests issue at the real `now`. Python,
//! PyJWT or cryptography missing is a failure, not a skip (`scripts/test` and `.ci/run`
//! install `crates/portcullis/tests/python/requirements.txt`).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokens::issue::{sign_access_token, sign_id_token};
use tokens::{
    AccessToken, Audiences, ExpectedUse, IdToken, Jwks, TokenIds, Validator, ValidatorConfig,
};

use common::{CLIENT, ISSUER, pool};

fn python(command: &str, input: &Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/interop.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed for this test");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "interop.py {command} failed (install crates/portcullis/tests/python/requirements.txt):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn real_now() -> (SystemTime, u64) {
    let now = SystemTime::now();
    (now, now.duration_since(UNIX_EPOCH).unwrap().as_secs())
}

#[test]
fn our_tokens_verify_with_pyjwt() {
    let keys = pool();
    let (now, _) = real_now();
    let ids = TokenIds::random();
    let id = IdToken {
        sub: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into(),
        username: "alice".into(),
        client_id: CLIENT.into(),
        groups: vec!["admin".into()],
        email: Some("alice@example.com".into()),
        email_verified: Some(true),
        custom: vec![("tier".into(), "gold".into())],
        auth_time: now,
        ids: ids.clone(),
        nonce: None,
    };
    let access = AccessToken {
        sub: id.sub.clone(),
        username: "alice".into(),
        client_id: CLIENT.into(),
        scopes: vec!["openid".into(), "orders/read".into()],
        groups: vec![],
        auth_time: now,
        ids: TokenIds {
            jti: TokenIds::random().jti,
            ..ids.clone()
        },
    };
    let hour = Duration::from_secs(3_600);
    let id_token = sign_id_token(keys.current(), ISSUER, &id, now, hour).unwrap();
    let access_token = sign_access_token(keys.current(), ISSUER, &access, now, hour).unwrap();

    let jwks: Value = serde_json::from_str(&keys.jwks_json()).unwrap();
    let verified = python(
        "verify",
        &json!({
            "jwks": jwks, "issuer": ISSUER, "client_id": CLIENT,
            "id_token": id_token, "access_token": access_token,
        }),
    );

    // What PyJWT read is what we wrote, and what our own validator reads.
    let ours = Validator::new(
        ValidatorConfig {
            issuer: ISSUER.into(),
            audiences: Audiences::OneOf(vec![CLIENT.into()]),
            token_use: ExpectedUse::IdOrAccess,
            required_scopes: vec![],
            clock_skew: Duration::from_secs(60),
        },
        Jwks::parse(keys.jwks_json().as_bytes()).unwrap(),
    );
    let id_ours = ours.validate(id_token.as_bytes(), now).unwrap();
    let access_ours = ours.validate(access_token.as_bytes(), now).unwrap();
    assert_eq!(verified["id"], Value::Object(id_ours.claims().clone()));
    assert_eq!(
        verified["access"],
        Value::Object(access_ours.claims().clone())
    );
    assert_eq!(verified["id"]["custom:tier"], "gold");
    assert_eq!(verified["id"]["cognito:groups"], json!(["admin"]));
    assert!(
        verified["access"].get("cognito:groups").is_none(),
        "empty groups are omitted"
    );
    assert_eq!(verified["access"]["scope"], "openid orders/read");
    assert_eq!(verified["access"]["version"], 2);
    let kid = keys.current().kid();
    assert_eq!(verified["headers"][0], json!({"kid": kid, "alg": "RS256"}));
    assert_eq!(id_ours.origin_jti(), Some(ids.origin_jti.as_str()));
}

#[test]
fn pyjwt_tokens_verify_with_ours() {
    let (now, now_secs) = real_now();
    let signed = python(
        "sign",
        &json!({"issuer": ISSUER, "client_id": CLIENT, "now": now_secs}),
    );
    let jwks = Jwks::parse(signed["jwks"].to_string().as_bytes()).unwrap();
    assert_eq!(jwks.kids(), ["pyjwt-key-1"]);
    assert_eq!(jwks.skipped(), 1, "the published HMAC key is not used");

    let make = |token_use| {
        Validator::new(
            ValidatorConfig {
                issuer: ISSUER.into(),
                audiences: Audiences::OneOf(vec![CLIENT.into()]),
                token_use,
                required_scopes: if token_use == ExpectedUse::Access {
                    vec!["orders/read".into()]
                } else {
                    vec![]
                },
                clock_skew: Duration::from_secs(60),
            },
            Jwks::parse(signed["jwks"].to_string().as_bytes()).unwrap(),
        )
    };
    let (id_validator, access_validator) = (make(ExpectedUse::Id), make(ExpectedUse::Access));
    let cases = signed["tokens"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let validator = if case["use"] == "access" {
            &access_validator
        } else {
            &id_validator
        };
        let answer = validator.validate(token.as_bytes(), now);
        let got = answer.as_ref().map_or_else(|e| e.code(), |_| "ok");
        assert_eq!(
            got,
            case["expected"].as_str().unwrap(),
            "{name}: {answer:?}"
        );
        if let Ok(verified) = answer {
            let want = if case["use"] == "access" {
                &signed["access_claims"]
            } else {
                &signed["id_claims"]
            };
            assert_eq!(&Value::Object(verified.claims().clone()), want, "{name}");
        }
    }
}
