//! The issuer and the validator together: what a pool issues validates, claims come back as
//! API Gateway renders them, the cache answers like the validator, and rotation keeps old
//! tokens valid until their keys are pruned.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use tokens::issue::{sign_access_token, sign_id_token};
use tokens::{
    AccessToken, CachingValidator, ClaimsStyle, IdToken, KeySet, SigningKey, TokenError, TokenIds,
    TokenUse,
};

use common::*;

fn ids() -> TokenIds {
    TokenIds {
        jti: "jti-1".into(),
        origin_jti: "origin-1".into(),
        event_id: "event-1".into(),
    }
}

fn id_token(groups: Vec<String>) -> IdToken {
    IdToken {
        sub: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into(),
        username: "alice".into(),
        client_id: CLIENT.into(),
        groups,
        email: Some("alice@example.com".into()),
        email_verified: Some(true),
        custom: vec![("tier".into(), "gold".into())],
        auth_time: at(NOW - 10),
        ids: ids(),
        nonce: None,
    }
}

const HOUR: Duration = Duration::from_secs(3_600);

#[test]
fn issued_id_token_validates_and_renders_like_api_gateway() {
    let keys = pool();
    let groups = vec!["admin".to_owned(), "ops".to_owned()];
    let jwt = sign_id_token(keys.current(), ISSUER, &id_token(groups), now(), HOUR).unwrap();
    let verified = validator(&keys, "id")
        .validate(jwt.as_bytes(), now())
        .unwrap();
    assert_eq!(verified.token_use(), Some(TokenUse::Id));
    assert_eq!(verified.kid(), keys.current().kid());
    assert_eq!(verified.username(), Some("alice"));
    assert_eq!(verified.jti(), Some("jti-1"));
    assert_eq!(verified.origin_jti(), Some("origin-1"));
    assert_eq!(verified.groups(), ["admin", "ops"]);
    assert_eq!(verified.expires_at(), (NOW + 3_600) as i64);

    let rest: std::collections::BTreeMap<_, _> =
        verified.render(ClaimsStyle::RestApi).into_iter().collect();
    assert_eq!(rest["exp"], "Tue Nov 14 23:13:20 UTC 2023");
    assert_eq!(rest["iat"], "Tue Nov 14 22:13:20 UTC 2023");
    assert_eq!(rest["auth_time"], "1699999990");
    assert_eq!(rest["cognito:groups"], "admin,ops");
    assert_eq!(rest["email_verified"], "true");
    assert_eq!(rest["custom:tier"], "gold");
    assert_eq!(rest["token_use"], "id");
    let http: std::collections::BTreeMap<_, _> =
        verified.render(ClaimsStyle::HttpApi).into_iter().collect();
    assert_eq!(http["exp"], "1700003600");
    assert_eq!(http["cognito:groups"], "[admin ops]");
}

#[test]
fn no_groups_means_no_groups_claim() {
    let keys = pool();
    let jwt = sign_id_token(keys.current(), ISSUER, &id_token(vec![]), now(), HOUR).unwrap();
    let verified = validator(&keys, "id")
        .validate(jwt.as_bytes(), now())
        .unwrap();
    assert!(verified.claim("cognito:groups").is_none());
    assert!(verified.groups().is_empty());
}

#[test]
fn issued_access_token_needs_a_required_scope() {
    let keys = pool();
    let token = |scopes: &[&str]| AccessToken {
        sub: "s".into(),
        username: "alice".into(),
        client_id: CLIENT.into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        groups: vec![],
        auth_time: now(),
        ids: ids(),
    };
    let v = validator(&keys, "access");
    let ok = sign_access_token(
        keys.current(),
        ISSUER,
        &token(&["orders/write"]),
        now(),
        HOUR,
    );
    let verified = v.validate(ok.unwrap().as_bytes(), now()).unwrap();
    assert_eq!(verified.scopes(), ["orders/write"]);
    assert_eq!(verified.username(), Some("alice"));
    let none = sign_access_token(keys.current(), ISSUER, &token(&["openid"]), now(), HOUR);
    let err = v.validate(none.unwrap().as_bytes(), now()).unwrap_err();
    assert_eq!(err, TokenError::MissingScope);
}

#[test]
fn cache_answers_like_the_validator_and_honours_time() {
    let keys = pool();
    let jwt = sign_id_token(keys.current(), ISSUER, &id_token(vec![]), now(), HOUR).unwrap();
    let cached = CachingValidator::new(validator(&keys, "id"), 100);
    let first = cached.validate(jwt.as_bytes(), now()).unwrap();
    assert_eq!(cached.entry_count(), 1);
    let second = cached.validate(jwt.as_bytes(), at(NOW + 60)).unwrap();
    assert_eq!(first.claims(), second.claims());
    // The cached entry does not outlive the token: at exp + skew the answer is the refusal.
    let late = cached.validate(jwt.as_bytes(), at(NOW + 3_600 + SKEW));
    assert_eq!(late.unwrap_err(), TokenError::Expired);
    assert_eq!(cached.entry_count(), 0);
    // Nor does it apply before the token's window (a clock set back).
    let early = cached.validate(jwt.as_bytes(), at(NOW - 3_600));
    assert_eq!(early.unwrap_err(), TokenError::IssuedInFuture);
    // Refusals are not cached.
    assert!(cached.validate(b"a.b.c", now()).is_err());
    assert_eq!(cached.entry_count(), 0);
}

#[test]
fn rotation_and_pruning() {
    let mut keys = KeySet::new(SigningKey::generate(at(NOW - 7_200)).unwrap());
    let old_jwt = sign_id_token(keys.current(), ISSUER, &id_token(vec![]), now(), HOUR).unwrap();
    keys.rotate(now()).unwrap();
    let new_jwt = sign_id_token(keys.current(), ISSUER, &id_token(vec![]), now(), HOUR).unwrap();
    let v = validator(&keys, "id");
    assert!(
        v.validate(old_jwt.as_bytes(), now()).is_ok(),
        "retired keys still verify"
    );
    assert!(v.validate(new_jwt.as_bytes(), now()).is_ok());
    assert_eq!(v.keys().len(), 2);

    assert_eq!(keys.prune(at(NOW + 3_600), HOUR), 1);
    let v = validator(&keys, "id");
    assert!(matches!(
        v.validate(old_jwt.as_bytes(), now()),
        Err(TokenError::UnknownKid(_))
    ));
    assert!(v.validate(new_jwt.as_bytes(), now()).is_ok());
}

#[test]
fn bounded_input() {
    let keys = pool();
    let v = validator(&keys, "id");
    let huge = vec![b'a'; tokens::MAX_TOKEN_BYTES + 1];
    assert!(matches!(
        v.validate(&huge, now()),
        Err(TokenError::TooLarge { .. })
    ));
    let cached = CachingValidator::new(validator(&keys, "id"), 1);
    assert!(matches!(
        cached.validate(&huge, now()),
        Err(TokenError::TooLarge { .. })
    ));
}

#[test]
fn shared_across_threads() {
    // The gateway keeps one validator (and its cache) per authorizer, used by every worker.
    fn send_sync<T: Send + Sync>() {}
    send_sync::<tokens::Validator>();
    send_sync::<CachingValidator>();
    send_sync::<tokens::Verified>();
    send_sync::<KeySet>();
}
