//! What callers send to the user-pool operations, parsed and checked: a `ListUsers` filter, an
//! attribute, a new password, a TOTP code, a `SecretCode`. None may panic; a filter that parses
//! must match its own value when exact.
#![no_main]

use libfuzzer_sys::fuzz_target;
use userpools::{PasswordPolicy, attributes, filter, totp};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(f)) = filter::parse(text) {
        if f.kind == filter::Match::Exact {
            assert!(f.matches(Some(&f.value)));
        }
    }
    let (name, value) = text.split_once('\n').unwrap_or((text, ""));
    let _ = attributes::check_writable(name, value, |n| n == "plan");
    let _ = attributes::canonical_alias(name, value);
    let _ = PasswordPolicy::default().check(text);
    let _ = totp::decode_secret(text);
    let _ = totp::verify(
        b"12345678901234567890",
        text,
        std::time::SystemTime::UNIX_EPOCH,
        None,
    );
});
