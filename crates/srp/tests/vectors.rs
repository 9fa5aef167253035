//! The server against the real client's arithmetic: `vectors/client.json` holds signatures that
//! `amazon-cognito-identity-js` 6.3.21 (the SRP implementation Amplify uses) computed, under
//! node, for challenges this server issued (see `vectors/README.md`). The server must accept
//! each, and refuse it with any input changed.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use srp::client::Client;
use srp::server::{self, Claim};
use srp::{ServerKey, Verifier, timestamp};

/// The fixed sealing key of the vectors.
const KEY: [u8; 32] = [7; 32];

#[derive(serde::Deserialize, serde::Serialize)]
struct Vector {
    pool_id: String,
    user_id: String,
    password: String,
    salt: String,
    a_hex: String,
    b: String,
    timestamp: String,
    salt_hex: String,
    srp_b_hex: String,
    secret_block: String,
    // Computed by the JS client:
    #[serde(default)]
    srp_a_hex: String,
    #[serde(default)]
    signature: String,
    #[serde(default)]
    k_hex: String,
}

fn inputs() -> Vec<Vector> {
    let cases = [
        (
            "us-east-1_WildRydes",
            "5c7b3f1e-8f2a-4c1d-9e6b-2a4d8c0f1b3e",
            "Passw0rd!",
            "0f",
            "01",
        ),
        (
            "eu-west-1_AbCdEf123",
            "alice",
            "correct horse battery staple",
            "8a",
            "ff",
        ),
        ("us-west-2_x", "ünïcödé", "Pässwörd 1!", "00", "80"),
    ];
    cases
        .iter()
        .enumerate()
        .map(|(i, (pool, user, password, salt_byte, fill))| {
            let salt = hex::decode(format!("{salt_byte}{}", "5a".repeat(15))).unwrap();
            let a = hex::decode(fill.repeat(128)).unwrap();
            let b: [u8; 32] = [u8::from_str_radix(fill, 16).unwrap() ^ 0x3c; 32];
            let now = UNIX_EPOCH + Duration::from_secs(1_796_112_309 + 86_400 * i as u64);
            let verifier = Verifier::with_salt(pool, user, password, &salt).unwrap();
            let client = Client::with_a(&a).unwrap();
            let a_value = srp::client::a_value(&client);
            let challenge = server::challenge_with(
                &ServerKey::new(&KEY),
                pool,
                user,
                &verifier,
                a_value,
                &b,
                now,
            )
            .unwrap();
            Vector {
                pool_id: pool.to_string(),
                user_id: user.to_string(),
                password: password.to_string(),
                salt: hex::encode(&salt),
                a_hex: hex::encode(&a),
                b: hex::encode(b),
                timestamp: timestamp::format(now),
                salt_hex: challenge.salt_hex,
                srp_b_hex: challenge.srp_b_hex,
                secret_block: challenge.secret_block,
                srp_a_hex: String::new(),
                signature: String::new(),
                k_hex: String::new(),
            }
        })
        .collect()
}

/// Writes the inputs for `node vectors.js` (see vectors/README.md).
#[test]
#[ignore = "generates vector inputs; run by hand"]
fn print_vector_inputs() {
    println!("{}", serde_json::to_string_pretty(&inputs()).unwrap());
}

fn load() -> Vec<Vector> {
    serde_json::from_str(include_str!("vectors/client.json")).unwrap()
}

#[test]
fn the_js_clients_signatures_are_accepted() {
    let key = ServerKey::new(&KEY);
    let vectors = load();
    assert_eq!(vectors.len(), 3);
    for v in &vectors {
        let verifier = Verifier::with_salt(
            &v.pool_id,
            &v.user_id,
            &v.password,
            &hex::decode(&v.salt).unwrap(),
        )
        .unwrap();
        let now = timestamp::parse(&v.timestamp).unwrap();
        let client = Client::with_a(&hex::decode(&v.a_hex).unwrap()).unwrap();
        assert_eq!(client.srp_a_hex(), v.srp_a_hex, "A for {}", v.user_id);
        let claim = Claim {
            secret_block: &v.secret_block,
            signature: &v.signature,
            timestamp: &v.timestamp,
        };
        assert_eq!(
            server::verify(&key, &v.pool_id, &v.user_id, &verifier, claim, now),
            Ok(()),
            "{}",
            v.user_id
        );
        // Our client computes the JS client's signature too.
        let challenge = srp::Challenge {
            salt_hex: v.salt_hex.clone(),
            srp_b_hex: v.srp_b_hex.clone(),
            secret_block: v.secret_block.clone(),
        };
        assert_eq!(
            client
                .sign(
                    &v.pool_id,
                    &v.user_id,
                    &v.password,
                    &challenge,
                    &v.timestamp
                )
                .unwrap(),
            v.signature
        );
    }
}

#[test]
fn any_change_is_refused() {
    let key = ServerKey::new(&KEY);
    let v = &load()[0];
    let salt = hex::decode(&v.salt).unwrap();
    let verifier = Verifier::with_salt(&v.pool_id, &v.user_id, &v.password, &salt).unwrap();
    let now = timestamp::parse(&v.timestamp).unwrap();
    let good = Claim {
        secret_block: &v.secret_block,
        signature: &v.signature,
        timestamp: &v.timestamp,
    };
    let check = |pool: &str, user: &str, verifier: &Verifier, claim: Claim<'_>, at: SystemTime| {
        server::verify(&key, pool, user, verifier, claim, at)
    };
    use srp::SrpError::*;
    let wrong_password = Verifier::with_salt(&v.pool_id, &v.user_id, "Passw0rd?", &salt).unwrap();
    assert_eq!(
        check(&v.pool_id, &v.user_id, &wrong_password, good, now),
        Err(BadSignature)
    );
    assert_eq!(
        check(&v.pool_id, "someone-else", &verifier, good, now),
        Err(InvalidSecretBlock)
    );
    assert_eq!(
        check("us-east-1_Other", &v.user_id, &verifier, good, now),
        Err(InvalidSecretBlock)
    );
    let other_key = ServerKey::new(&[8; 32]);
    assert_eq!(
        server::verify(&other_key, &v.pool_id, &v.user_id, &verifier, good, now),
        Err(InvalidSecretBlock)
    );
    let later = now + Duration::from_secs(181);
    assert_eq!(
        check(&v.pool_id, &v.user_id, &verifier, good, later),
        Err(ExpiredSecretBlock)
    );
    let ts = timestamp::format(now + Duration::from_secs(1));
    let moved = Claim {
        timestamp: &ts,
        ..good
    };
    assert_eq!(
        check(&v.pool_id, &v.user_id, &verifier, moved, now),
        Err(BadSignature)
    );
    let far = timestamp::format(now - Duration::from_secs(301));
    let skewed = Claim {
        timestamp: &far,
        ..good
    };
    assert_eq!(
        check(&v.pool_id, &v.user_id, &verifier, skewed, now),
        Err(TimestampSkew)
    );
    let mut sig = v.signature.clone().into_bytes();
    sig[0] = if sig[0] == b'A' { b'B' } else { b'A' };
    let sig = String::from_utf8(sig).unwrap();
    assert_eq!(
        check(
            &v.pool_id,
            &v.user_id,
            &verifier,
            Claim {
                signature: &sig,
                ..good
            },
            now
        ),
        Err(BadSignature)
    );
    assert_eq!(
        check(
            &v.pool_id,
            &v.user_id,
            &verifier,
            Claim {
                signature: "%%",
                ..good
            },
            now
        ),
        Err(MalformedSignature)
    );
    assert_eq!(
        check(
            &v.pool_id,
            &v.user_id,
            &verifier,
            Claim {
                secret_block: "AAAA",
                ..good
            },
            now
        ),
        Err(InvalidSecretBlock)
    );
}

#[test]
fn a_zero_a_is_refused() {
    let key = ServerKey::new(&KEY);
    let verifier = Verifier::new("us-east-1_P", "u", "Passw0rd!").unwrap();
    let n = include_str!("vectors/n.hex").trim();
    for bad in ["0", "00", n] {
        assert_eq!(
            server::challenge(&key, "us-east-1_P", "u", &verifier, bad, SystemTime::now()),
            Err(srp::SrpError::InvalidA),
            "{bad}"
        );
    }
    for bad in ["", "xyz", &"f".repeat(769)] {
        assert_eq!(
            server::challenge(&key, "us-east-1_P", "u", &verifier, bad, SystemTime::now()),
            Err(srp::SrpError::MalformedA)
        );
    }
}
