//! Reading an operation's JSON input (the body of `X-Amz-Target: AWSCognitoIdentityService.<Op>`),
//! with Cognito Identity's validation messages. Everything here is untrusted bytes: bounded,
//! typed, and never a panic (`fuzz/fuzz_targets/operation.rs`).

use serde_json::{Map, Value};

use crate::error::{ErrorType, IdentityError};
use crate::id::{is_identity_id, is_identity_pool_id};

/// The largest request body read (Cognito Identity's requests are a few tokens at most).
pub const MAX_INPUT_BYTES: usize = 256 * 1024;
/// ListIdentities' `MaxResults` bounds.
pub const MAX_RESULTS: (u64, u64) = (1, 60);

/// One parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    GetId {
        identity_pool_id: String,
        account_id: Option<String>,
        logins: Option<Value>,
    },
    GetCredentialsForIdentity {
        identity_id: String,
        logins: Option<Value>,
        custom_role_arn: Option<String>,
    },
    GetOpenIdToken {
        identity_id: String,
        logins: Option<Value>,
    },
    DescribeIdentity {
        identity_id: String,
    },
    ListIdentities {
        identity_pool_id: String,
        max_results: u32,
        next_token: Option<String>,
    },
}

impl Operation {
    /// Whether the operation is IAM-authorized (signed by a developer's credentials) rather
    /// than called by the end user's device.
    pub fn is_signed(&self) -> bool {
        matches!(
            self,
            Operation::DescribeIdentity { .. } | Operation::ListIdentities { .. }
        )
    }

    /// The operation's name, as in `X-Amz-Target` and in `cognito-identity:<Op>`.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::GetId { .. } => "GetId",
            Operation::GetCredentialsForIdentity { .. } => "GetCredentialsForIdentity",
            Operation::GetOpenIdToken { .. } => "GetOpenIdToken",
            Operation::DescribeIdentity { .. } => "DescribeIdentity",
            Operation::ListIdentities { .. } => "ListIdentities",
        }
    }
}

fn invalid(message: impl Into<String>) -> IdentityError {
    IdentityError::new(ErrorType::InvalidParameter, message)
}

/// `identityPoolId` for `IdentityPoolId`: AWS's validation messages name members in camel case.
fn member(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_lowercase().chain(chars).collect::<String>()
    })
}

struct Input(Map<String, Value>);

impl Input {
    fn opt(&self, name: &str) -> Result<Option<String>, IdentityError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be a string",
                member(name)
            ))),
        }
    }

    fn req(&self, name: &str) -> Result<String, IdentityError> {
        self.opt(name)?.ok_or_else(|| {
            invalid(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                member(name)
            ))
        })
    }

    /// A `{region}:{uuid}` member.
    fn id(&self, name: &str, check: fn(&str) -> bool) -> Result<String, IdentityError> {
        let v = self.req(name)?;
        if check(&v) {
            Ok(v)
        } else {
            Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+",
                member(name)
            )))
        }
    }

    fn logins(&self) -> Option<Value> {
        self.0.get("Logins").filter(|v| !v.is_null()).cloned()
    }
}

/// Parses the body of operation `op`. An operation not served (the developer-identity and
/// pool-management operations, docs/identitypools.md) is `UnknownOperationException`.
pub fn parse_operation(op: &str, body: &[u8]) -> Result<Operation, IdentityError> {
    if !matches!(
        op,
        "GetId"
            | "GetCredentialsForIdentity"
            | "GetOpenIdToken"
            | "DescribeIdentity"
            | "ListIdentities"
    ) {
        return Err(IdentityError::new(
            ErrorType::UnknownOperation,
            "The requested operation is not recognized by this service.",
        ));
    }
    if body.len() > MAX_INPUT_BYTES {
        return Err(invalid("The request is too large."));
    }
    let map = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            _ => return Err(invalid("The request body is not a JSON object.")),
        }
    };
    let input = Input(map);
    Ok(match op {
        "GetId" => Operation::GetId {
            identity_pool_id: input.id("IdentityPoolId", is_identity_pool_id)?,
            account_id: input.opt("AccountId")?,
            logins: input.logins(),
        },
        "GetCredentialsForIdentity" => Operation::GetCredentialsForIdentity {
            identity_id: input.id("IdentityId", is_identity_id)?,
            logins: input.logins(),
            custom_role_arn: input.opt("CustomRoleArn")?,
        },
        "GetOpenIdToken" => Operation::GetOpenIdToken {
            identity_id: input.id("IdentityId", is_identity_id)?,
            logins: input.logins(),
        },
        "DescribeIdentity" => Operation::DescribeIdentity {
            identity_id: input.id("IdentityId", is_identity_id)?,
        },
        _ => Operation::ListIdentities {
            identity_pool_id: input.id("IdentityPoolId", is_identity_pool_id)?,
            max_results: max_results(input.0.get("MaxResults"))?,
            next_token: input.opt("NextToken")?,
        },
    })
}

fn max_results(v: Option<&Value>) -> Result<u32, IdentityError> {
    let (lo, hi) = MAX_RESULTS;
    let bad = || {
        invalid(format!(
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between {lo} and {hi}"
        ))
    };
    match v {
        // Required on AWS; the SDKs always send it.
        None | Some(Value::Null) => Err(invalid(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
        )),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|n| (lo..=hi).contains(n))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01";

    #[test]
    fn get_id() {
        let body = format!(r#"{{"IdentityPoolId":"{POOL}","Logins":{{"k":"t"}}}}"#);
        let op = parse_operation("GetId", body.as_bytes()).unwrap();
        assert_eq!(
            op,
            Operation::GetId {
                identity_pool_id: POOL.into(),
                account_id: None,
                logins: Some(serde_json::json!({"k": "t"})),
            }
        );
        assert!(!op.is_signed());
    }

    #[test]
    fn get_open_id_token() {
        let body = format!(r#"{{"IdentityId":"{POOL}","Logins":{{"k":"t"}}}}"#);
        let op = parse_operation("GetOpenIdToken", body.as_bytes()).unwrap();
        assert_eq!(
            op,
            Operation::GetOpenIdToken {
                identity_id: POOL.into(),
                logins: Some(serde_json::json!({"k": "t"})),
            }
        );
        assert_eq!(op.name(), "GetOpenIdToken");
        assert!(!op.is_signed(), "a public API, as on AWS");
        let guest = format!(r#"{{"IdentityId":"{POOL}","Logins":null}}"#);
        assert!(matches!(
            parse_operation("GetOpenIdToken", guest.as_bytes()).unwrap(),
            Operation::GetOpenIdToken { logins: None, .. }
        ));
        let e = parse_operation("GetOpenIdToken", b"{}").unwrap_err();
        assert!(e.message.contains("'identityId'"), "{}", e.message);
        let e = parse_operation("GetOpenIdToken", br#"{"IdentityId":"x"}"#).unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
    }

    #[test]
    fn refusals() {
        let e = parse_operation("GetId", b"{}").unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
        assert!(e.message.contains("'identityPoolId'"), "{}", e.message);
        let e = parse_operation("GetId", br#"{"IdentityPoolId":"nope"}"#).unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
        let e = parse_operation("GetId", b"[1]").unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
        let e = parse_operation("MergeDeveloperIdentities", b"{}").unwrap_err();
        assert_eq!(e.kind, ErrorType::UnknownOperation);
        let e = parse_operation("DescribeIdentity", br#"{"IdentityId":5}"#).unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
    }

    #[test]
    fn list_identities_bounds() {
        let ok = format!(r#"{{"IdentityPoolId":"{POOL}","MaxResults":60,"NextToken":"n"}}"#);
        let op = parse_operation("ListIdentities", ok.as_bytes()).unwrap();
        assert!(op.is_signed());
        assert_eq!(
            op,
            Operation::ListIdentities {
                identity_pool_id: POOL.into(),
                max_results: 60,
                next_token: Some("n".into()),
            }
        );
        for bad in ["0", "61", "-1", "1.5", "\"5\""] {
            let body = format!(r#"{{"IdentityPoolId":"{POOL}","MaxResults":{bad}}}"#);
            assert!(
                parse_operation("ListIdentities", body.as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(op in 0usize..6, body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let ops = ["GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "DescribeIdentity", "ListIdentities", "X"];
            let _ = parse_operation(ops[op], &body);
        }

        #[test]
        fn any_json_object_never_panics(pool in "\\PC{0,60}", n in proptest::num::i64::ANY) {
            let body = serde_json::json!({"IdentityPoolId": pool, "IdentityId": pool, "MaxResults": n, "Logins": {pool.clone(): pool}}).to_string();
            for op in ["GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "DescribeIdentity", "ListIdentities"] {
                let _ = parse_operation(op, body.as_bytes());
            }
        }
    }
}
