//! Property tests for the parsers of untrusted bytes: tokens, JWKS documents and discovery
//! documents. Arbitrary input is an error, never a panic and never an acceptance; a valid
//! token changed in any one byte is refused; the cache answers exactly as the validator does
//! at any time.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use proptest::prelude::*;
use tokens::issue::sign_id_token;
use tokens::{CachingValidator, IdToken, Jwks, KeySet, TokenIds, Validator};

use common::*;

static KEYS: LazyLock<KeySet> = LazyLock::new(pool);
static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| validator(&KEYS, "id"));
static TOKEN: LazyLock<String> = LazyLock::new(|| {
    let token = IdToken {
        sub: "s".into(),
        username: "u".into(),
        client_id: CLIENT.into(),
        groups: vec!["g".into()],
        email: None,
        email_verified: None,
        custom: vec![],
        auth_time: now(),
        ids: TokenIds {
            jti: "j".into(),
            origin_jti: "o".into(),
            event_id: "e".into(),
        },
        nonce: None,
    };
    sign_id_token(
        KEYS.current(),
        ISSUER,
        &token,
        now(),
        Duration::from_secs(3_600),
    )
    .unwrap()
});

/// Three base64url parts of arbitrary JSON-ish text: gets past the shape checks more often
/// than raw bytes do.
fn jwt_like() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        "\\{[ -~]{0,60}\\}",
        Just(format!(
            r#"{{"alg":"RS256","kid":"{}"}}"#,
            KEYS.current().kid()
        )),
        Just(r#"{"alg":"none"}"#.to_owned()),
        any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    (part.clone(), part, any::<Vec<u8>>()).prop_map(|(h, p, s)| {
        format!("{}.{}.{}", B64.encode(h), B64.encode(p), B64.encode(s)).into_bytes()
    })
}

#[test]
fn unverified_issuer_reads_iss_only() {
    assert_eq!(
        tokens::unverified_issuer(TOKEN.as_bytes()).unwrap(),
        ISSUER,
        "a valid token's issuer"
    );
    let forged = format!(
        "{}.{}.AAAA",
        B64.encode(r#"{"alg":"none"}"#),
        B64.encode(r#"{"iss":"https://evil"}"#)
    );
    assert_eq!(
        tokens::unverified_issuer(forged.as_bytes()).unwrap(),
        "https://evil"
    );
    let no_iss = format!("{}.{}.AAAA", B64.encode("{}"), B64.encode("{}"));
    assert_eq!(
        tokens::unverified_issuer(no_iss.as_bytes()),
        Err(tokens::TokenError::IssuerMismatch)
    );
    assert!(tokens::unverified_issuer(b"garbage").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_are_refused(bytes in any::<Vec<u8>>()) {
        prop_assert!(VALIDATOR.validate(&bytes, now()).is_err());
    }

    #[test]
    fn arbitrary_jwt_shapes_are_refused(bytes in jwt_like()) {
        prop_assert!(VALIDATOR.validate(&bytes, now()).is_err());
    }

    /// Reading the claimed issuer never panics, and whatever it reads is the payload's `iss`.
    #[test]
    fn unverified_issuer_never_panics(bytes in jwt_like(), raw in any::<Vec<u8>>()) {
        let _ = tokens::unverified_issuer(&raw);
        if let Ok(iss) = tokens::unverified_issuer(&bytes) {
            let payload = bytes.split(|&b| b == b'.').nth(1).unwrap();
            let claims: serde_json::Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
            prop_assert_eq!(claims["iss"].as_str(), Some(iss.as_str()));
        }
    }

    #[test]
    fn one_changed_byte_is_refused(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut token = TOKEN.clone().into_bytes();
        let i = index.index(token.len());
        prop_assume!(token[i] != byte);
        token[i] = byte;
        prop_assert!(VALIDATOR.validate(&token, now()).is_err());
    }

    #[test]
    fn cache_agrees_with_validator(offsets in prop::collection::vec(-7_300i64..7_300, 1..12)) {
        let cached = CachingValidator::new(validator(&KEYS, "id"), 8);
        for offset in offsets {
            let t = at(NOW.checked_add_signed(offset).unwrap());
            let plain = VALIDATOR.validate(TOKEN.as_bytes(), t).map(|v| v.claims().clone());
            let via_cache = cached.validate(TOKEN.as_bytes(), t).map(|v| v.claims().clone());
            prop_assert_eq!(plain, via_cache, "at NOW{:+}", offset);
        }
    }

    #[test]
    fn arbitrary_jwks_never_panics(bytes in any::<Vec<u8>>()) {
        let _ = Jwks::parse(&bytes);
    }

    #[test]
    fn jwks_like_documents_never_panic(
        kty in prop_oneof![Just("RSA".to_owned()), Just("oct".to_owned()), "[A-Z]{0,3}"],
        n in prop_oneof![Just(KEYS.current().jwk().n.clone()), "[A-Za-z0-9_-]{0,400}"],
        e in prop_oneof![Just("AQAB".to_owned()), "[A-Za-z0-9_-]{0,12}"],
        extra in "[ -~]{0,40}",
    ) {
        let doc = format!(
            r#"{{"keys":[{{"kty":"{kty}","kid":"k","n":"{n}","e":"{e}"{}}}]}}"#,
            if extra.is_empty() { String::new() } else { format!(r#","x":{extra:?}"#) }
        );
        if let Ok(jwks) = Jwks::parse(doc.as_bytes()) {
            prop_assert_eq!(jwks.kids(), ["k"]);
        }
    }

    #[test]
    fn arbitrary_discovery_never_panics(bytes in any::<Vec<u8>>(), issuer in "[ -~]{0,20}") {
        let _ = tokens::discovery::parse_discovery(&bytes, &issuer);
    }

    #[test]
    fn discovery_like_documents_are_checked(uri in "[ -~]{0,40}") {
        let doc = serde_json::json!({"issuer": "https://i", "jwks_uri": uri}).to_string();
        if let Ok(found) = tokens::discovery::parse_discovery(doc.as_bytes(), "https://i") {
            prop_assert!(found.jwks_uri.starts_with("https://"));
            prop_assert!(!found.jwks_uri.contains(' '));
        }
    }
}

#[test]
fn the_fixture_token_is_valid() {
    // Without this the properties above would hold trivially.
    assert!(VALIDATOR.validate(TOKEN.as_bytes(), now()).is_ok());
}
