//! Fixtures shared by the integration tests: a pool with two keys (one rotated out), an
//! attacker's key, validator profiles, and the base ID and access token claims.
//!
//! The keys in `tests/data/*.pem` are test-only RSA keys made for these tests (by Python's
//! `cryptography`, which also checks that our PKCS#8 reader takes another library's files).
#![allow(dead_code, clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};
use tokens::{Audiences, ExpectedUse, KeySet, SigningKey, Validator, ValidatorConfig};

pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Portcu11s";
pub const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
pub const NOW: u64 = 1_700_000_000;
pub const SKEW: u64 = 60;

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn now() -> SystemTime {
    at(NOW)
}

fn key(name: &str) -> SigningKey {
    let path = format!("{}/tests/data/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    SigningKey::from_pkcs8_pem(&pem, at(NOW - 86_400)).unwrap()
}

/// The pool's keys: `pool-current` signs, `pool-previous` was retired an hour ago.
pub fn pool() -> KeySet {
    let mut set = KeySet::new(key("pool-previous"));
    set.rotate_to(key("pool-current"), at(NOW - 3_600));
    set
}

pub fn attacker() -> SigningKey {
    key("attacker")
}

/// A validator for the pool, by profile name (the attack table's `profile` column).
pub fn validator(keys: &KeySet, profile: &str) -> Validator {
    let client = Audiences::OneOf(vec![CLIENT.into()]);
    let (token_use, audiences, required_scopes) = match profile {
        "id" => (ExpectedUse::Id, client, vec![]),
        "access" => (
            ExpectedUse::Access,
            client,
            vec!["orders/read".to_owned(), "orders/write".to_owned()],
        ),
        "either" => (ExpectedUse::IdOrAccess, client, vec![]),
        "any-aud" => (ExpectedUse::Id, Audiences::Any, vec![]),
        "oidc" => (ExpectedUse::Unchecked, client, vec![]),
        other => panic!("unknown profile {other}"),
    };
    let config = ValidatorConfig {
        issuer: ISSUER.into(),
        audiences,
        token_use,
        required_scopes,
        clock_skew: Duration::from_secs(SKEW),
    };
    Validator::new(config, keys.verifying_keys().unwrap())
}

/// The claims of an ID token as Cognito issues one, at `NOW`.
pub fn id_claims() -> Map<String, Value> {
    let v = json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin", "ops"],
        "email_verified": true,
        "iss": ISSUER,
        "cognito:username": "alice",
        "origin_jti": "11111111-2222-3333-4444-555555555555",
        "aud": CLIENT,
        "event_id": "64f513be-32db-42b0-b78e-b02127b4f463",
        "token_use": "id",
        "auth_time": NOW,
        "exp": NOW + 3_600,
        "iat": NOW,
        "jti": "66666666-7777-8888-9999-000000000000",
        "email": "alice@example.com",
        "custom:tier": "gold"
    });
    v.as_object().cloned().unwrap()
}

/// The claims of an access token granting `openid orders/read`, at `NOW`.
pub fn access_claims() -> Map<String, Value> {
    let v = json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin"],
        "iss": ISSUER,
        "version": 2,
        "client_id": CLIENT,
        "origin_jti": "11111111-2222-3333-4444-555555555555",
        "event_id": "64f513be-32db-42b0-b78e-b02127b4f463",
        "token_use": "access",
        "scope": "openid orders/read",
        "auth_time": NOW,
        "exp": NOW + 3_600,
        "iat": NOW,
        "jti": "77777777-7777-8888-9999-000000000000",
        "username": "alice"
    });
    v.as_object().cloned().unwrap()
}
