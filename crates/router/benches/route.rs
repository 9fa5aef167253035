//! Route lookup cost for a mid-sized API (about 50 resources).
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use router::Router;
use std::hint::black_box;

fn table() -> Router {
    let mut r = Router::new();
    let mut id = 0;
    for section in [
        "pets", "owners", "vets", "visits", "stores", "orders", "users", "rides",
    ] {
        for path in [
            format!("/{section}"),
            format!("/{section}/{{id}}"),
            format!("/{section}/{{id}}/history"),
            format!("/{section}/{{id}}/photos/{{photoId}}"),
            format!("/{section}/search"),
            format!("/{section}/files/{{path+}}"),
        ] {
            r.insert(&path, id).unwrap();
            id += 1;
        }
    }
    r.insert("/{proxy+}", id).unwrap();
    r
}

fn bench(c: &mut Criterion) {
    let r = table();
    c.bench_function("route/static", |b| {
        b.iter(|| r.find(black_box("/rides/search")))
    });
    c.bench_function("route/two_params", |b| {
        b.iter(|| r.find(black_box("/orders/42/photos/7")))
    });
    c.bench_function("route/greedy_fallback", |b| {
        b.iter(|| r.find(black_box("/unknown/deep/path/here")))
    });
    // The canonical form every request path goes through before routing: the common case (already
    // canonical, borrowed), one with escapes to rewrite, and a refusal.
    c.bench_function("canonical/plain", |b| {
        b.iter(|| router::canonicalize(black_box("/prod/orders/42/photos/7")).is_ok())
    });
    c.bench_function("canonical/escaped", |b| {
        b.iter(|| {
            router::canonicalize(black_box("/prod/files/%61bc/na%C3%AFve%20name.txt")).is_ok()
        })
    });
    c.bench_function("canonical/refused", |b| {
        b.iter(|| router::canonicalize(black_box("/prod/public/%2e%2e/admin/x")).is_err())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
