//! Arbitrary request paths through `router::canonicalize`: never a panic; a canonical form is
//! ASCII, its own canonical form, and free of empty, dot and encoded-separator segments.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(canonical) = router::canonicalize(path) {
        assert!(canonical.is_ascii());
        assert_eq!(
            router::canonicalize(&canonical).as_deref(),
            Ok(&*canonical),
            "idempotent"
        );
        let segments: Vec<&str> = canonical.split('/').skip(1).collect();
        for (i, s) in segments.iter().enumerate() {
            assert!(!(s.is_empty() && i + 1 != segments.len()));
            assert!(*s != "." && *s != "..");
            let upper = s.to_ascii_uppercase();
            assert!(!upper.contains("%2F") && !upper.contains("%5C") && !upper.contains("%2E"));
        }
    }
});
