//! Access-log rendering with client-controlled values: no value can add a line (or any other
//! hazardous character) to a log line, and escaped values read back exactly. The body lives in
//! `../render_access_log.rs`, shared with `tests/fuzz_render.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../render_access_log.rs"]
mod body;

fuzz_target!(|data: &[u8]| {
    body::render_access_log(data);
});
