//! What a caller sends to the two SRP calls — SRP_A, then the secret block, signature and
//! timestamp — arbitrary, against a real challenge: never a panic, and never a sign-in without
//! the password.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use srp::server::{self, Claim};
use srp::{ServerKey, Verifier};

const POOL: &str = "us-east-1_Fuzz";

static FIXED: LazyLock<(ServerKey, Verifier)> = LazyLock::new(|| {
    (
        ServerKey::new(&[1; 32]),
        Verifier::with_salt(POOL, "user", "Passw0rd!", &[9; 16]).expect("verifier"),
    )
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (key, verifier) = &*FIXED;
    let now = UNIX_EPOCH + Duration::from_secs(1_796_112_309);
    let mut parts = text.splitn(4, '\n');
    let a = parts.next().unwrap_or_default();
    let _ = server::challenge(key, POOL, "user", verifier, a, now);
    let claim = Claim {
        secret_block: parts.next().unwrap_or_default(),
        signature: parts.next().unwrap_or_default(),
        timestamp: parts.next().unwrap_or_default(),
    };
    assert!(server::verify(key, POOL, "user", verifier, claim, now).is_err());
    let _ = srp::timestamp::parse(text);
});
