//! `take` on a token bucket: the arithmetic alone, and through `MemoryCounters` (one hot key,
//! and keys spread over many buckets).
//!
//! `cargo bench -p counters --bench bucket -- --quick` for a smoke run.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use counters::math::bucket;
use counters::{BucketSpec, Counters, MemoryCounters};
use criterion::{Criterion, criterion_group, criterion_main};

const SPEC: BucketSpec = BucketSpec {
    rate_per_sec: 10_000.0,
    burst: 5_000,
};

fn bench(c: &mut Criterion) {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let b = bucket::Bucket::new(SPEC).expect("valid spec");

    c.bench_function("math::bucket::take", |bench| {
        let mut tat = None;
        let mut now = counters::math::nanos(start);
        bench.iter(|| {
            now += 100_000;
            let (t, d) = bucket::take(b, tat, 1, black_box(now));
            tat = t;
            d
        });
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let memory = MemoryCounters::default();
    c.bench_function("MemoryCounters::take/one key", |bench| {
        let mut now = start;
        bench.iter(|| {
            now += Duration::from_micros(100);
            runtime.block_on(memory.take(black_box("key"), SPEC, 1, now))
        });
    });

    let keys: Vec<String> = (0..10_000).map(|i| format!("api-key-{i}")).collect();
    c.bench_function("MemoryCounters::take/10k keys", |bench| {
        let mut i = 0usize;
        bench.iter(|| {
            i = (i + 1) % keys.len();
            runtime.block_on(memory.take(black_box(&keys[i]), SPEC, 1, start))
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
