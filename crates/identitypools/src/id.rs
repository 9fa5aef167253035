//! Identity pool ids and identity ids: both `{region}:{uuid}` (lowercase, hyphenated), the
//! one form Portcullis writes and accepts.

/// A region name like `us-east-1` or `us-gov-west-1`.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// A lowercase hyphenated UUID, `8-4-4-4-12` hex digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

fn is_region_uuid(s: &str) -> bool {
    s.split_once(':')
        .is_some_and(|(region, uuid)| is_region(region) && is_uuid(uuid))
}

/// `{region}:{uuid}`, as Cognito's `IdentityPoolId`.
pub fn is_identity_pool_id(s: &str) -> bool {
    is_region_uuid(s)
}

/// `{region}:{uuid}`, as Cognito's `IdentityId`.
pub fn is_identity_id(s: &str) -> bool {
    is_region_uuid(s)
}

/// A new identity id in `region` (a random version-4 UUID).
pub fn new_identity_id(region: &str) -> String {
    format!("{region}:{}", uuid::Uuid::new_v4().hyphenated())
}

/// The region of an identity id or identity pool id.
pub fn region_of(id: &str) -> &str {
    id.split_once(':').map_or("", |(r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids() {
        assert!(is_identity_pool_id(
            "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01"
        ));
        assert!(is_identity_pool_id(
            "us-gov-west-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01"
        ));
        for bad in [
            "",
            "us-east-1",
            "us-east-1:",
            "8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01",
            "us-east-1:8D4C5B1E-9F1A-4C1E-A2A8-2B7E8F6D9C01",
            "us-east-1:8d4c5b1e9f1a4c1ea2a82b7e8f6d9c01",
            "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c0",
            "useast1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01",
            "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01:x",
        ] {
            assert!(!is_identity_pool_id(bad), "{bad}");
        }
    }

    #[test]
    fn new_ids_are_well_formed_and_distinct() {
        let a = new_identity_id("eu-west-1");
        let b = new_identity_id("eu-west-1");
        assert!(is_identity_id(&a), "{a}");
        assert_ne!(a, b);
        assert_eq!(region_of(&a), "eu-west-1");
    }

    proptest::proptest! {
        #[test]
        fn id_check_never_panics(s in "\\PC{0,80}") {
            let _ = is_identity_id(&s);
        }
    }
}
