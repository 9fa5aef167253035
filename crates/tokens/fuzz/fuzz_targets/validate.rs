//! Tokens arrive from clients: validation never panics, the cache answers as the validator
//! does, and nothing is accepted that breaks the validator's promises.
//!
//! The first byte chooses what the rest is: a whole token (the attacker's view, stopped before
//! the signature), or a header or payload that the target signs with the pool's key, so that
//! what lies behind the signature check — claims parsing, times, issuer, audience, scopes — is
//! fuzzed too.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use libfuzzer_sys::fuzz_target;
use tokens::{
    Audiences, CachingValidator, ExpectedUse, KeySet, SigningKey, Validator, ValidatorConfig,
};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz";
const CLIENT: &str = "fuzz-client";
const NOW: u64 = 1_700_000_000;

struct Fixture {
    keys: KeySet,
    pair: RsaKeyPair,
    cached: CachingValidator,
}

fn validator(keys: &KeySet) -> Validator {
    let config = ValidatorConfig {
        issuer: ISSUER.into(),
        audiences: Audiences::OneOf(vec![CLIENT.into()]),
        token_use: ExpectedUse::IdOrAccess,
        required_scopes: vec![],
        clock_skew: Duration::from_secs(60),
    };
    Validator::new(config, keys.verifying_keys().unwrap())
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let pem = include_str!("../../tests/data/pool-current.pem");
    let key = SigningKey::from_pkcs8_pem(pem, SystemTime::UNIX_EPOCH).unwrap();
    let pair = RsaKeyPair::from_pkcs8(&key.pkcs8_der().unwrap()).unwrap();
    let keys = KeySet::new(key);
    let cached = CachingValidator::new(validator(&keys), 64);
    Fixture { keys, pair, cached }
});

fn signed(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut token = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let mut sig = vec![0; FIXTURE.pair.public_modulus_len()];
    FIXTURE
        .pair
        .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), token.as_bytes(), &mut sig)
        .unwrap();
    token.push('.');
    token.push_str(&B64.encode(sig));
    token.into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let fixture = &*FIXTURE;
    let token = match mode % 3 {
        0 => rest.to_vec(),
        1 => {
            let header = format!(r#"{{"kid":"{}","alg":"RS256"}}"#, fixture.keys.current().kid());
            signed(header.as_bytes(), rest)
        }
        _ => {
            let payload = format!(
                r#"{{"iss":"{ISSUER}","aud":"{CLIENT}","token_use":"id","exp":{}}}"#,
                NOW + 3600
            );
            signed(rest, payload.as_bytes())
        }
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
    let plain = FIXTURE.cached.validator().validate(&token, now);
    let cached = fixture.cached.validate(&token, now);
    assert_eq!(
        plain.as_ref().map(|v| v.claims()).map_err(|e| e.code()),
        cached.as_ref().map(|v| v.claims()).map_err(|e| e.code())
    );
    match plain {
        Ok(v) => {
            assert_ne!(mode % 3, 0, "an unsigned input was accepted");
            assert_eq!(v.claim("iss").and_then(|i| i.as_str()), Some(ISSUER));
            assert!(v.expires_at() + 60 > NOW as i64);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
