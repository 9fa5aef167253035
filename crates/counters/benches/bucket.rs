//! `take` on a token bucket: the arithmetic alone, and through `MemoryCounters` behind
//! `&dyn Counters`, as the throttle phase calls it (one hot key, and keys spread over many
//! buckets). The future is polled once with a no-op waker, as an `.await` inside the request's
//! task does: the in-memory backend never waits, and a runtime's `block_on` would add its own
//! cost to every iteration.
//!
//! `cargo bench -p counters --bench bucket -- --quick` for a smoke run.

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
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

    let memory = MemoryCounters::default();
    let memory: &dyn Counters = &memory;
    c.bench_function("MemoryCounters::take/one key", |bench| {
        let mut now = start;
        bench.iter(|| {
            now += Duration::from_micros(100);
            ready(memory.take(black_box("key"), SPEC, 1, now))
        });
    });

    let keys: Vec<String> = (0..10_000).map(|i| format!("api-key-{i}")).collect();
    c.bench_function("MemoryCounters::take/10k keys", |bench| {
        let mut i = 0usize;
        bench.iter(|| {
            i = (i + 1) % keys.len();
            ready(memory.take(black_box(&keys[i]), SPEC, 1, start))
        });
    });
}

/// The output of a future that is ready when first polled.
fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the in-memory backend never waits"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
