//! What one password sign-in costs the server in CPU: an Argon2id verification at the pool's
//! parameters (OWASP's: 19 MiB, t = 2, p = 1), which bounds USER_PASSWORD_AUTH sign-ins per core
//! (1 / this time), and the policy check and `SECRET_HASH` beside it.
//!
//! `cargo bench -p userpools --bench password -- --quick` for a smoke run.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use userpools::{PasswordHasher, PasswordPolicy, secret_hash};

fn bench(c: &mut Criterion) {
    let hasher = PasswordHasher::new().expect("hasher");
    let phc = hasher.hash("Passw0rd!").expect("hash");
    let mut group = c.benchmark_group("sign-in");
    group.sample_size(20);
    group.bench_function("argon2id verify (OWASP parameters)", |b| {
        b.iter(|| hasher.verify(black_box("Passw0rd!"), &phc))
    });
    group.bench_function("argon2id verify, unknown user (dummy hash)", |b| {
        b.iter(|| hasher.verify_none(black_box("Passw0rd!")))
    });
    group.finish();
    c.bench_function("password policy check", |b| {
        b.iter(|| PasswordPolicy::default().check(black_box("Passw0rd!")))
    });
    c.bench_function("SECRET_HASH verify", |b| {
        let expected = secret_hash::secret_hash("s3cr3t", "alice@example.com", "client");
        b.iter(|| {
            secret_hash::verify(
                "s3cr3t",
                black_box("alice@example.com"),
                "client",
                &expected,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
