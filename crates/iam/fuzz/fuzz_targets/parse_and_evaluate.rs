//! Arbitrary bytes → JSON → `Policy::parse` (every kind) → evaluate; the body lives in
//! `../parse_and_evaluate.rs`, which `tests/fuzz_regressions.rs` replays saved inputs through.
#![no_main]

#[path = "../parse_and_evaluate.rs"]
mod body;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    body::parse_and_evaluate(data);
});
