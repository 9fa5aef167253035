//! JWKS and discovery documents arrive from other servers: parsing never panics, and what is
//! accepted keeps the parser's promises (at least one usable key; an https `jwks_uri` for an
//! https issuer).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match tokens::Jwks::parse(data) {
        Ok(jwks) => {
            assert!(!jwks.is_empty());
            for kid in jwks.kids() {
                let key = jwks.get(kid).unwrap();
                assert!((2048..=8192).contains(&key.modulus_bits()));
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    if let Ok(found) = tokens::discovery::parse_discovery(data, "https://issuer.example") {
        assert_eq!(found.issuer, "https://issuer.example");
        assert!(found.jwks_uri.starts_with("https://"));
    }
});
