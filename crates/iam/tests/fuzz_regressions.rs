//! Replays `fuzz/regressions/*` through what the `parse_and_evaluate` fuzz target does.
//!
//! Crashers found by `cargo fuzz` go into that folder (named after the bug they pin) so that
//! `cargo test` keeps them fixed. It also holds hostile inputs written by hand: wildcard
//! patterns that make backtracking matchers exponential, long `?` runs, variable-syntax edge
//! cases, deep nesting and extreme numbers and dates.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

#[path = "../fuzz/parse_and_evaluate.rs"]
mod body;

use body::parse_and_evaluate;

#[test]
fn replay_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let parsed = parse_and_evaluate(&data);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Hand-written hostile inputs are valid policies: they must reach the evaluator.
        assert!(
            !name.starts_with("hostile-") || parsed > 0,
            "{name} did not parse"
        );
        // Generous (debug build, shared machine): catches exponential blow-ups, not regressions
        // of a few percent — those are the benchmark's job.
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
        count += 1;
    }
    assert!(
        count >= 5,
        "regression corpus missing from {}",
        dir.display()
    );
}
