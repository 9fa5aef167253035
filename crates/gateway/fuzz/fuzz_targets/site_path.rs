//! Arbitrary request paths for the static site (`site::Site::relative`): a file name relative
//! to the site's directory or a refusal, never a panic; an accepted path has only plain names
//! (no root, no `..`, no `.`, no hidden segment), so joining it to the directory stays inside.
#![no_main]

use std::path::Component;

use gateway::site::Site;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else { return };
    if let Ok(relative) = Site::relative(path) {
        for component in relative.components() {
            let Component::Normal(name) = component else {
                panic!("{path:?} gave {relative:?}");
            };
            assert!(!name.to_string_lossy().starts_with('.'), "{path:?} gave {relative:?}");
        }
    }
});
