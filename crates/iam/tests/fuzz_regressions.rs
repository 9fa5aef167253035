//! Replays `fuzz/regressions/*` through what the `parse_and_evaluate` fuzz target does.
//!
//! Crashers found by `cargo fuzz` go into that folder (named after the bug they pin) so that
//! `cargo test` keeps them fixed. It also holds hostile inputs written by hand: wildcard
//! patterns that make backtracking matchers exponential, long `?` runs, variable-syntax edge
//! cases, deep nesting and extreme numbers and dates.
#![allow(clippy::unwrap_used)]

#[path = "../fuzz/parse_and_evaluate.rs"]
mod body;

use body::parse_and_evaluate;

/// The longest text the harness matches patterns against: its 5,000-character resource ARN.
const LONGEST_TEXT: u64 = 5_100;

/// How often the harness can match one pattern: 3 policy kinds × 3 principals × 5 authorization
/// calls × 3 policy slots (identity, session, resource) × 4 values of the context key `k`.
const MATCHES_PER_PATTERN: u64 = 3 * 3 * 5 * 3 * 4;

/// The most glob work a linear matcher can do on `len` bytes of policy in this harness. A
/// pattern of `p` bytes costs at most `(p / 64 + 1)` passes over the text plus its own length,
/// so every policy byte buys at most about three passes per match. A matcher that backtracks,
/// or that is quadratic in the text, goes far past this on the hostile inputs.
fn linear_bound(len: usize) -> u64 {
    MATCHES_PER_PATTERN * 3 * (len as u64 + 1) * LONGEST_TEXT
}

#[test]
fn replay_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        iam::take_glob_steps();
        let parsed = parse_and_evaluate(&data);
        let work = iam::take_glob_steps();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Hand-written hostile inputs are valid policies: they must reach the evaluator.
        assert!(
            !name.starts_with("hostile-") || parsed > 0,
            "{name} did not parse"
        );
        // Counted, not timed: the bound holds on any machine, however loaded.
        assert!(
            work <= linear_bound(data.len()),
            "{name}: {work} matching steps for {} bytes of policy (bound {})",
            data.len(),
            linear_bound(data.len())
        );
        count += 1;
    }
    assert!(
        count >= 5,
        "regression corpus missing from {}",
        dir.display()
    );
}
