//! STS query-protocol parameters arrive from the network (AssumeRole with its session tags,
//! AssumeRoleWithWebIdentity, GetCallerIdentity): parsing never panics, accepted requests keep
//! STS's bounds, and any error renders as a well-formed XML error document.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match sts::parse(data) {
        Ok(sts::StsRequest::AssumeRole(r)) => {
            assert!(r.role_session_name.len() >= 2 && r.role_session_name.len() <= 64);
            assert!(r.tags.tags.len() <= sts::tags::MAX_TAGS);
            assert!(r.tags.transitive.iter().all(|k| r.tags.tags.iter().any(|(t, _)| t == k)));
        }
        Ok(sts::StsRequest::AssumeRoleWithWebIdentity(r)) => {
            assert!(r.role_session_name.len() >= 2 && r.role_session_name.len() <= 64);
            assert!(r.web_identity_token.len() >= 4 && r.web_identity_token.len() <= 20_000);
        }
        Ok(sts::StsRequest::GetCallerIdentity) => {}
        Err(e) => {
            let xml = sts::response::error(&e, "fuzz");
            assert!(xml.starts_with("<ErrorResponse"));
            assert!(!e.message.is_empty());
        }
    }
});
