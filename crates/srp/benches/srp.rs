//! The server's cost of one SRP sign-in: the challenge (B and the sealed block) and the
//! PASSWORD_VERIFIER check (S, the key, the signature). The client's half is measured beside
//! them as the peer.
//!
//! `cargo bench -p srp --features client --bench srp -- --quick` for a smoke run.

use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use srp::client::Client;
use srp::server::{self, Claim};
use srp::{ServerKey, Verifier, timestamp};

const POOL: &str = "us-east-1_Bench";

fn bench(c: &mut Criterion) {
    let key = ServerKey::generate().expect("key");
    let verifier = Verifier::new(POOL, "user", "Passw0rd!").expect("verifier");
    let client = Client::new().expect("client");
    let now = SystemTime::now();
    let a = client.srp_a_hex();
    let mut group = c.benchmark_group("srp");
    group.sample_size(20);
    group.bench_function("server: challenge (USER_SRP_AUTH)", |b| {
        b.iter(|| server::challenge(&key, POOL, "user", &verifier, &a, now))
    });
    let challenge = server::challenge(&key, POOL, "user", &verifier, &a, now).expect("challenge");
    let ts = timestamp::format(now);
    let signature = client
        .sign(POOL, "user", "Passw0rd!", &challenge, &ts)
        .expect("sign");
    let claim = Claim {
        secret_block: &challenge.secret_block,
        signature: &signature,
        timestamp: &ts,
    };
    group.bench_function("server: verify (PASSWORD_VERIFIER)", |b| {
        b.iter(|| server::verify(&key, POOL, "user", &verifier, claim, now))
    });
    group.bench_function("client: sign (peer)", |b| {
        b.iter(|| client.sign(POOL, "user", "Passw0rd!", &challenge, &ts))
    });
    group.bench_function("verifier for a new password", |b| {
        b.iter(|| Verifier::new(POOL, "user", "Passw0rd!"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
