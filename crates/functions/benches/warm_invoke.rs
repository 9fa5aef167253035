//! The warm invoke round trip: `FunctionHost::invoke` → the Runtime API (`/next` answered, the
//! response posted) → back, on an environment already running the `echo-rust` example (built in
//! release by this bench). What the host adds to a Lambda invocation, for the gateway's notes.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use functions::{FunctionHost, Invocation};

fn warm_invoke(c: &mut Criterion) {
    let bin = common::build_echo(true);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _entered = rt.enter();
    let spec = common::spec(&format!(
        "{{name: echo, command: [{:?}]}}",
        bin.display().to_string()
    ));
    let host = FunctionHost::start(&[spec], common::options()).unwrap();
    let invocation = Invocation {
        payload: Bytes::from_static(br#"{"hello":"world"}"#),
        ..Invocation::default()
    };
    // The cold start happens here, outside the measurement.
    let first = rt
        .block_on(host.invoke("echo", invocation.clone()))
        .unwrap();
    assert!(first.failure.is_none() && first.cold_start.is_some());
    c.bench_function("warm_invoke_round_trip", |b| {
        b.iter(|| {
            let outcome = rt
                .block_on(host.invoke("echo", invocation.clone()))
                .unwrap();
            assert!(outcome.failure.is_none());
            outcome
        });
    });
    rt.block_on(host.shutdown());
}

criterion_group!(benches, warm_invoke);
criterion_main!(benches);
