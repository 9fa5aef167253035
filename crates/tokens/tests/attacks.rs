//! Runs `tests/data/attacks.tsv` (the columns are described in the file) through the real
//! validator, uncached and cached: each forged token is refused with the expected error, each
//! acceptance row passes.
//!
//! Tokens are forged here with AWS-LC directly, not with the crate's issuer, so the table does
//! not depend on the code it tests producing well-formed tokens.
#![allow(clippy::unwrap_used)]

mod common;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;
use tokens::{CachingValidator, KeySet, SigningKey};

use common::*;

struct Forger {
    pool: KeySet,
    current: RsaKeyPair,
    previous: RsaKeyPair,
    attacker: RsaKeyPair,
    attacker_key: SigningKey,
}

impl Forger {
    fn new() -> Self {
        let pool = pool();
        let pair = |k: &SigningKey| RsaKeyPair::from_pkcs8(&k.pkcs8_der().unwrap()).unwrap();
        let current = pair(pool.current());
        let previous = pair(pool.keys().nth(1).unwrap());
        let attacker_key = attacker();
        let attacker = pair(&attacker_key);
        Self {
            pool,
            current,
            previous,
            attacker,
            attacker_key,
        }
    }

    fn substitute(&self, text: &str) -> String {
        let prev = self.pool.keys().nth(1).unwrap().kid().to_owned();
        let jwk = serde_json::to_string(self.attacker_key.jwk()).unwrap();
        let text = text
            .replace("$ATTACKER_KID", self.attacker_key.kid())
            .replace("$ATTACKER_JWK", &jwk)
            .replace("$PREV_KID", &prev)
            .replace("$KID", self.pool.current().kid())
            .replace("$ISS", ISSUER)
            .replace("$CLIENT", CLIENT);
        substitute_now(&text)
    }

    fn payload(&self, spec: &str) -> Vec<u8> {
        if let Some(raw) = spec.strip_prefix("raw:") {
            return self.substitute(raw).into_bytes();
        }
        let mut edits = spec.split(';');
        let mut claims = match edits.next() {
            Some("id") => id_claims(),
            Some("access") => access_claims(),
            other => panic!("unknown claims base {other:?}"),
        };
        for edit in edits {
            if let Some(name) = edit.strip_prefix('-') {
                assert!(claims.remove(name).is_some(), "no claim {name} to remove");
            } else {
                let (name, value) = edit.split_once('=').expect("name=JSON");
                let value: Value = serde_json::from_str(&self.substitute(value))
                    .unwrap_or_else(|e| panic!("{edit}: {e}"));
                claims.insert(name.to_owned(), value);
            }
        }
        serde_json::to_vec(&claims).unwrap()
    }

    fn rsa(pair: &RsaKeyPair, message: &[u8]) -> Vec<u8> {
        let mut sig = vec![0; pair.public_modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .unwrap();
        sig
    }

    fn signature(&self, how: &str, message: &[u8]) -> Vec<u8> {
        let public_pem = || {
            let der: aws_lc_rs::encoding::PublicKeyX509Der<'static> =
                self.current.public_key().as_der().unwrap();
            pem::encode(&pem::Pem::new("PUBLIC KEY", der.as_ref().to_vec())).into_bytes()
        };
        let mac = |alg, secret: &[u8]| {
            hmac::sign(&hmac::Key::new(alg, secret), message)
                .as_ref()
                .to_vec()
        };
        match how {
            "pool" => Self::rsa(&self.current, message),
            "previous" => Self::rsa(&self.previous, message),
            "attacker" => Self::rsa(&self.attacker, message),
            "hs256-pem" => mac(hmac::HMAC_SHA256, &public_pem()),
            "hs384-pem" => mac(hmac::HMAC_SHA384, &public_pem()),
            "hs512-pem" => mac(hmac::HMAC_SHA512, &public_pem()),
            "hs256-n" => mac(hmac::HMAC_SHA256, self.pool.current().jwk().n.as_bytes()),
            "empty" => Vec::new(),
            other => panic!("unknown signing {other:?}"),
        }
    }

    fn forge(&self, header: &str, claims: &str, sign: &str) -> String {
        let header = if header == "std" {
            format!(r#"{{"kid":"{}","alg":"RS256"}}"#, self.pool.current().kid())
        } else {
            self.substitute(header)
        };
        let mut token = format!(
            "{}.{}",
            B64.encode(header),
            B64.encode(self.payload(claims))
        );
        let sig = self.signature(sign, token.as_bytes());
        token.push('.');
        token.push_str(&B64.encode(sig));
        token
    }

    fn post(&self, token: String, how: &str) -> String {
        let parts: Vec<&str> = token.split('.').collect();
        let (h, p, s) = (parts[0], parts[1], parts[2]);
        match how {
            "-" => token,
            "tamper" => {
                let mut claims: Value = serde_json::from_slice(&B64.decode(p).unwrap()).unwrap();
                claims["sub"] = "admin".into();
                format!(
                    "{h}.{}.{s}",
                    B64.encode(serde_json::to_vec(&claims).unwrap())
                )
            }
            "flip-sig" => {
                let mut sig = s.to_owned().into_bytes();
                let mid = sig.len() / 2;
                sig[mid] = if sig[mid] == b'A' { b'B' } else { b'A' };
                format!("{h}.{p}.{}", String::from_utf8(sig).unwrap())
            }
            "short-sig" => {
                let sig = B64.decode(s).unwrap();
                format!("{h}.{p}.{}", B64.encode(&sig[..sig.len() - 1]))
            }
            "other-sig" => {
                let other = self.forge("std", "id;sub=\"bob\"", "pool");
                let other_sig = other.rsplit('.').next().unwrap();
                assert_ne!(other_sig, s);
                format!("{h}.{p}.{other_sig}")
            }
            "pad-header" => format!("{h}=.{p}.{s}"),
            "pad-payload" => format!("{h}.{p}=.{s}"),
            "space-header" => format!(" {h}.{p}.{s}"),
            "space-payload" => format!("{h}. {p}.{s}"),
            "newline" => format!("{token}\n"),
            "std-alphabet" => {
                let changed = token.replace('-', "+").replace('_', "/");
                assert_ne!(changed, token, "the token has no - or _ to change");
                changed
            }
            "trailing-bits" => {
                // 256 signature bytes end in a 2-character group whose last character carries
                // 4 unused bits, zero in the canonical encoding; set one.
                const ALPHABET: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let mut sig = s.to_owned().into_bytes();
                assert_eq!(sig.len() % 4, 2);
                let last = sig.last_mut().unwrap();
                let v = ALPHABET.iter().position(|c| c == last).unwrap();
                *last = ALPHABET[v ^ 1];
                format!("{h}.{p}.{}", String::from_utf8(sig).unwrap())
            }
            "two-parts" => format!("{h}.{p}"),
            "four-parts" => format!("{token}.e30"),
            "jwe" => format!("{token}.e30.e30"),
            "empty" => String::new(),
            "oversize" => format!("{h}.{p}{}.{s}", "A".repeat(tokens::MAX_TOKEN_BYTES)),
            other => panic!("unknown post {other:?}"),
        }
    }
}

/// Replaces `$NOW`, `$NOW+N` and `$NOW-N` with Unix seconds.
fn substitute_now(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("$NOW") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 4..];
        let sign = rest.chars().next().filter(|c| *c == '+' || *c == '-');
        let mut value = NOW as i64;
        if let Some(sign) = sign {
            let digits: String = rest[1..].chars().take_while(char::is_ascii_digit).collect();
            let n: i64 = digits.parse().unwrap();
            value = if sign == '+' { value + n } else { value - n };
            rest = &rest[1 + digits.len()..];
        }
        out.push_str(&value.to_string());
    }
    out.push_str(rest);
    out
}

struct Row<'a> {
    name: &'a str,
    profile: &'a str,
    header: &'a str,
    claims: &'a str,
    sign: &'a str,
    post: &'a str,
    expected: &'a str,
}

fn rows(table: &str) -> Vec<Row<'_>> {
    table
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 7, "seven columns: {l}");
            Row {
                name: c[0],
                profile: c[1],
                header: c[2],
                claims: c[3],
                sign: c[4],
                post: c[5],
                expected: c[6],
            }
        })
        .collect()
}

#[test]
fn attack_table() {
    let table = include_str!("data/attacks.tsv");
    let forger = Forger::new();
    let rows = rows(table);
    assert!(rows.len() >= 100, "the table is all there");
    let mut failures = Vec::new();
    for row in &rows {
        let token = forger.post(forger.forge(row.header, row.claims, row.sign), row.post);
        let plain = validator(&forger.pool, row.profile);
        let cached = CachingValidator::new(validator(&forger.pool, row.profile), 16);
        // Twice through the cache: the second answer may come from it.
        let answers = [
            plain.validate(token.as_bytes(), now()),
            cached.validate(token.as_bytes(), now()),
            cached.validate(token.as_bytes(), now()),
        ];
        for answer in answers {
            let got = match &answer {
                Ok(_) => "ok",
                Err(e) => e.code(),
            };
            if got != row.expected {
                failures.push(format!(
                    "{}: expected {}, got {answer:?}",
                    row.name, row.expected
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn table_names_are_unique_and_cover_every_refusal() {
    let table = include_str!("data/attacks.tsv");
    let rows = rows(table);
    let mut names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate row names");
    let codes = [
        "too_large",
        "malformed",
        "duplicate_key",
        "alg_none",
        "hmac_algorithm",
        "unsupported_algorithm",
        "critical_header",
        "missing_kid",
        "unknown_kid",
        "bad_signature",
        "missing_exp",
        "invalid_claim",
        "expired",
        "not_yet_valid",
        "issued_in_future",
        "issuer_mismatch",
        "audience_not_accepted",
        "client_id_not_accepted",
        "wrong_token_use",
        "missing_scope",
    ];
    for code in codes {
        assert!(
            rows.iter().any(|r| r.expected == code),
            "no row expects {code}"
        );
    }
}
