//! Route tables built from arbitrary patterns, queried with arbitrary paths: never a panic, and a
//! match always names a resource that was inserted.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines: Vec<&str> = text.split('\n').collect();
    let Some(path) = lines.pop() else { return };
    let mut router = router::Router::new();
    let mut inserted = 0;
    for pattern in lines.iter().take(32) {
        if router.insert(pattern, inserted).is_ok() {
            inserted += 1;
        }
    }
    if let Some(m) = router.find(path) {
        assert!(m.resource < inserted);
        for (_, value) in &m.params {
            assert!(path.contains(value));
        }
    }
});
