//! The `Logins` map of GetId, GetCredentialsForIdentity and GetOpenIdToken: provider name →
//! ID token. For a user pool the key is the token's issuer without its scheme. AWS's own
//! form is `cognito-idp.{region}.amazonaws.com/{poolId}`; a client built for Portcullis (or
//! Amplify pointed at it) sends the issuer it sees in the token, e.g.
//! `127.0.0.1:8080/us-east-1_WildRydes`. Both name the same pool; anything else is refused.

use serde_json::{Map, Value};

use crate::error::{ErrorType, IdentityError};
use crate::model::IdentityPool;

/// Cognito's limit on `Logins` entries.
pub const MAX_LOGINS: usize = 10;
/// The longest login token accepted (Cognito's limit on a `Logins` value).
pub const MAX_TOKEN_LEN: usize = 50_000;

/// One entry of the `Logins` map, matched to a user pool the identity pool accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The user pool id the key names.
    pub user_pool: String,
    /// The ID token, to be validated by the caller (signature, expiry, issuer, audience).
    pub token: String,
}

/// The issuer without its scheme: the key a client uses for tokens of `issuer`.
pub fn issuer_key(issuer: &str) -> &str {
    issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .unwrap_or(issuer)
}

/// The user pool a `Logins` key names, among the identity pool's providers. `served_issuer`
/// gives a user pool's issuer as the gateway serves it (`None` for a pool it does not serve).
fn pool_of_key<'a>(
    pool: &'a IdentityPool,
    key: &str,
    served_issuer: &dyn Fn(&str) -> Option<String>,
) -> Option<&'a str> {
    pool.providers
        .iter()
        .map(|p| p.user_pool.as_str())
        .find(|id| {
            let aws = format!(
                "cognito-idp.{}.amazonaws.com/{id}",
                id.split('_').next().unwrap_or_default()
            );
            key == aws || served_issuer(id).is_some_and(|iss| issuer_key(&iss) == key)
        })
}

/// Reads the `Logins` member (absent or null: no logins) and matches each key to one of the
/// pool's user pools. A key naming no provider of the pool is `NotAuthorizedException`, as
/// Cognito answers an unconfigured provider; two keys naming the same pool are refused, so a
/// request carries at most one token per provider.
pub fn parse_logins(
    pool: &IdentityPool,
    logins: Option<&Value>,
    served_issuer: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Login>, IdentityError> {
    let map: &Map<String, Value> = match logins {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(IdentityError::new(
                ErrorType::InvalidParameter,
                "1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must be a map",
            ));
        }
    };
    if map.len() > MAX_LOGINS {
        return Err(IdentityError::new(
            ErrorType::InvalidParameter,
            format!(
                "1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to {MAX_LOGINS}"
            ),
        ));
    }
    let mut out: Vec<Login> = Vec::with_capacity(map.len());
    for (key, value) in map {
        let Value::String(token) = value else {
            return Err(IdentityError::new(
                ErrorType::InvalidParameter,
                "1 validation error detected: Value at 'logins' failed to satisfy constraint: Map value must be a string",
            ));
        };
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(IdentityError::new(
                ErrorType::InvalidParameter,
                format!(
                    "1 validation error detected: Value at 'logins' failed to satisfy constraint: Map value must have length between 1 and {MAX_TOKEN_LEN}"
                ),
            ));
        }
        let Some(user_pool) = pool_of_key(pool, key, served_issuer) else {
            return Err(IdentityError::new(
                ErrorType::NotAuthorized,
                format!(
                    "Invalid login token. Issuer doesn't match providerName {}",
                    truncate(key)
                ),
            ));
        };
        if out.iter().any(|l| l.user_pool == user_pool) {
            return Err(IdentityError::new(
                ErrorType::InvalidParameter,
                "Logins names the same provider twice.",
            ));
        }
        out.push(Login {
            user_pool: user_pool.to_string(),
            token: token.clone(),
        });
    }
    Ok(out)
}

/// A key echoed in a message is the client's own text, but bounded.
fn truncate(s: &str) -> String {
    s.chars().take(128).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IdentityProvider;
    use serde_json::json;

    fn pool() -> IdentityPool {
        IdentityPool {
            id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01".into(),
            name: "p".into(),
            region: "us-east-1".into(),
            arn: "arn".into(),
            allow_unauthenticated: false,
            providers: vec![IdentityProvider {
                user_pool: "us-east-1_WildRydes".into(),
                client_id: "web".into(),
            }],
            authenticated_role: None,
            unauthenticated_role: None,
            role_mappings: Vec::new(),
        }
    }

    fn served(id: &str) -> Option<String> {
        Some(format!("http://127.0.0.1:8080/{id}"))
    }

    #[test]
    fn both_key_forms_name_the_pool() {
        for key in [
            "cognito-idp.us-east-1.amazonaws.com/us-east-1_WildRydes",
            "127.0.0.1:8080/us-east-1_WildRydes",
        ] {
            let logins = json!({ key: "tok" });
            let got = parse_logins(&pool(), Some(&logins), &served).unwrap();
            assert_eq!(
                got,
                vec![Login {
                    user_pool: "us-east-1_WildRydes".into(),
                    token: "tok".into()
                }]
            );
        }
    }

    #[test]
    fn other_keys_are_refused() {
        for key in [
            "cognito-idp.us-west-2.amazonaws.com/us-east-1_WildRydes",
            "http://127.0.0.1:8080/us-east-1_WildRydes",
            "127.0.0.1:8081/us-east-1_WildRydes",
            "cognito-idp.us-east-1.amazonaws.com/us-east-1_Other",
            "accounts.google.com",
        ] {
            let logins = json!({ key: "tok" });
            let e = parse_logins(&pool(), Some(&logins), &served).unwrap_err();
            assert_eq!(e.kind, ErrorType::NotAuthorized, "{key}");
        }
    }

    #[test]
    fn same_pool_twice_and_bad_shapes() {
        let logins = json!({
            "cognito-idp.us-east-1.amazonaws.com/us-east-1_WildRydes": "a",
            "127.0.0.1:8080/us-east-1_WildRydes": "b",
        });
        let e = parse_logins(&pool(), Some(&logins), &served).unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
        for bad in [
            json!([]),
            json!("x"),
            json!({"k": 1}),
            json!({"127.0.0.1:8080/us-east-1_WildRydes": ""}),
        ] {
            let e = parse_logins(&pool(), Some(&bad), &served).unwrap_err();
            assert_eq!(e.kind, ErrorType::InvalidParameter, "{bad}");
        }
        assert!(parse_logins(&pool(), None, &served).unwrap().is_empty());
        assert!(
            parse_logins(&pool(), Some(&Value::Null), &served)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unserved_pool_only_takes_aws_form() {
        let logins = json!({"127.0.0.1:8080/us-east-1_WildRydes": "t"});
        assert!(parse_logins(&pool(), Some(&logins), &|_| None).is_err());
    }

    #[test]
    fn issuer_keys() {
        assert_eq!(issuer_key("https://a/b"), "a/b");
        assert_eq!(issuer_key("http://a/b"), "a/b");
        assert_eq!(issuer_key("a/b"), "a/b");
    }

    proptest::proptest! {
        #[test]
        fn any_json_never_panics(body in "\\PC{0,200}") {
            if let Ok(v) = serde_json::from_str::<Value>(&body) {
                let _ = parse_logins(&pool(), Some(&v), &served);
            }
        }
    }
}
