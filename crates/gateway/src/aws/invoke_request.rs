//! Lambda's `Invoke` request, pure: which function the path and `Qualifier` name (a name, a
//! partial ARN `123456789012:function:name` or a full ARN, each with an optional `:qualifier`),
//! and the `X-Amz-*` headers, checked as Lambda checks them. Errors carry Lambda's error type,
//! status and words.

use base64::Engine;
use functions::InvocationType;
use http::HeaderMap;

/// A refusal in Lambda's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LambdaError {
    pub status: u16,
    pub error_type: &'static str,
    pub message: String,
}

impl LambdaError {
    fn validation(message: String) -> LambdaError {
        LambdaError {
            status: 400,
            error_type: "ValidationException",
            message,
        }
    }

    fn invalid_parameter(message: &str) -> LambdaError {
        LambdaError {
            status: 400,
            error_type: "InvalidParameterValueException",
            message: message.to_string(),
        }
    }

    pub(crate) fn not_found(arn: &str) -> LambdaError {
        LambdaError {
            status: 404,
            error_type: "ResourceNotFoundException",
            message: format!("Function not found: {arn}"),
        }
    }
}

/// The function an Invoke names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub name: String,
    pub qualifier: Option<String>,
    /// The function's ARN in this region and account, qualified when the call was: what IAM
    /// authorizes and what a refusal names.
    pub arn: String,
}

impl Target {
    /// Whether the call names what the host runs: the unpublished version.
    pub fn is_latest(&self) -> bool {
        self.qualifier.as_deref().is_none_or(|q| q == "$LATEST")
    }
}

/// Lambda's function-name pattern (name, partial or full ARN, optional qualifier), checked by
/// parts.
const NAME_PATTERN: &str = "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";

/// Parses the path's `FunctionName` (percent-decoded) and the `Qualifier` query parameter.
pub(crate) fn target(
    function_name: &str,
    qualifier_param: Option<&str>,
    region: &str,
    account: &str,
) -> Result<Target, LambdaError> {
    let invalid = || {
        LambdaError::validation(format!(
            "1 validation error detected: Value '{function_name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
        ))
    };
    if function_name.is_empty() || function_name.len() > 170 {
        return Err(invalid());
    }
    let parts: Vec<&str> = function_name.split(':').collect();
    let (arn_region, arn_account, name, qualifier) = match parts.as_slice() {
        [name] => (None, None, *name, None),
        [name, qualifier] => (None, None, *name, Some(*qualifier)),
        [account, "function", name] => (None, Some(*account), *name, None),
        [account, "function", name, qualifier] => (None, Some(*account), *name, Some(*qualifier)),
        [
            "arn",
            partition,
            "lambda",
            region,
            account,
            "function",
            name,
            rest @ ..,
        ] if partition.starts_with("aws") && rest.len() <= 1 => {
            (Some(*region), Some(*account), *name, rest.first().copied())
        }
        _ => return Err(invalid()),
    };
    let name_ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    let qualifier_ok = |q: &str| {
        q == "$LATEST"
            || ((1..=128).contains(&q.len())
                && q.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')))
    };
    let account_ok =
        arn_account.is_none_or(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
    if !name_ok || !account_ok || !qualifier.is_none_or(qualifier_ok) {
        return Err(invalid());
    }
    let qualifier = match (qualifier, qualifier_param) {
        (Some(a), Some(b)) if a != b => {
            return Err(LambdaError::invalid_parameter(
                "The derived qualifier from the function name does not match the specified qualifier.",
            ));
        }
        (Some(q), _) | (None, Some(q)) => {
            if !qualifier_ok(q) {
                return Err(invalid());
            }
            Some(q.to_string())
        }
        (None, None) => None,
    };
    let mut arn = format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        arn_region.unwrap_or(region),
        arn_account.unwrap_or(account)
    );
    if let Some(q) = &qualifier {
        arn.push(':');
        arn.push_str(q);
    }
    // Another region or account names a function this endpoint cannot have.
    if arn_region.is_some_and(|r| r != region) || arn_account.is_some_and(|a| a != account) {
        return Err(LambdaError::not_found(&arn));
    }
    Ok(Target {
        name: name.to_string(),
        qualifier,
        arn,
    })
}

/// The Invoke headers that shape the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvokeHeaders {
    pub invocation_type: InvocationType,
    pub log_tail: bool,
    /// `X-Amz-Client-Context`, decoded from base64.
    pub client_context: Option<String>,
    pub trace_id: Option<String>,
}

pub(crate) fn headers(headers: &HeaderMap) -> Result<InvokeHeaders, LambdaError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let invocation_type = match text("x-amz-invocation-type") {
        None | Some("RequestResponse") => InvocationType::RequestResponse,
        Some("Event") => InvocationType::Event,
        Some("DryRun") => InvocationType::DryRun,
        Some(other) => {
            return Err(LambdaError::validation(format!(
                "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            )));
        }
    };
    let log_tail = match text("x-amz-log-type") {
        None | Some("None") => false,
        Some("Tail") => true,
        Some(other) => {
            return Err(LambdaError::validation(format!(
                "1 validation error detected: Value '{other}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]"
            )));
        }
    };
    let client_context = match text("x-amz-client-context") {
        None => None,
        Some(b64) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|s| {
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(s).is_ok()
                });
            Some(decoded.ok_or_else(|| LambdaError {
                status: 400,
                error_type: "InvalidRequestContentException",
                message: "Client context must be a valid Base64-encoded JSON object.".into(),
            })?)
        }
    };
    Ok(InvokeHeaders {
        invocation_type,
        log_tail,
        client_context,
        trace_id: text("x-amzn-trace-id").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, q: Option<&str>) -> Result<Target, LambdaError> {
        target(name, q, "us-east-1", "123456789012")
    }

    #[test]
    fn function_names() {
        let base = "arn:aws:lambda:us-east-1:123456789012:function:echo";
        for name in [
            "echo",
            "123456789012:function:echo",
            "arn:aws:lambda:us-east-1:123456789012:function:echo",
        ] {
            let target = t(name, None).unwrap();
            assert_eq!((target.name.as_str(), target.arn.as_str()), ("echo", base));
            assert!(target.is_latest());
        }
        let latest = t("echo:$LATEST", None).unwrap();
        assert_eq!(latest.arn, format!("{base}:$LATEST"));
        assert!(latest.is_latest());
        let latest = t("echo", Some("$LATEST")).unwrap();
        assert!(latest.is_latest());
        let alias = t("echo:prod", None).unwrap();
        assert!(!alias.is_latest());
        assert_eq!(alias.arn, format!("{base}:prod"));
        assert_eq!(
            t("echo:prod", Some("beta")).unwrap_err().error_type,
            "InvalidParameterValueException"
        );
        assert_eq!(
            t("echo:prod", Some("prod")).unwrap().arn,
            format!("{base}:prod")
        );
        let other = t("arn:aws:lambda:eu-west-1:123456789012:function:echo", None).unwrap_err();
        assert_eq!(
            (other.status, other.error_type),
            (404, "ResourceNotFoundException")
        );
        assert_eq!(
            other.message,
            "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:echo"
        );
        for bad in [
            "",
            "a b",
            "x:y:z",
            "12:function:echo",
            "echo:",
            "echo:a:b",
            &"x".repeat(65),
        ] {
            let e = t(bad, None).unwrap_err();
            assert_eq!(
                (e.status, e.error_type),
                (400, "ValidationException"),
                "{bad}"
            );
            assert!(
                e.message
                    .contains("at 'functionName' failed to satisfy constraint")
            );
        }
    }

    #[test]
    fn invoke_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(
            headers(&h).unwrap(),
            InvokeHeaders {
                invocation_type: InvocationType::RequestResponse,
                log_tail: false,
                client_context: None,
                trace_id: None,
            }
        );
        h.insert("x-amz-invocation-type", "Event".parse().unwrap());
        h.insert("x-amz-log-type", "Tail".parse().unwrap());
        h.insert(
            "x-amz-client-context",
            base64::engine::general_purpose::STANDARD
                .encode(r#"{"custom":{"a":"b"}}"#)
                .parse()
                .unwrap(),
        );
        let parsed = headers(&h).unwrap();
        assert_eq!(parsed.invocation_type, InvocationType::Event);
        assert!(parsed.log_tail);
        assert_eq!(
            parsed.client_context.as_deref(),
            Some(r#"{"custom":{"a":"b"}}"#)
        );
        h.insert("x-amz-client-context", "not base64!".parse().unwrap());
        assert_eq!(
            headers(&h).unwrap_err().error_type,
            "InvalidRequestContentException"
        );
        h.remove("x-amz-client-context");
        h.insert("x-amz-invocation-type", "Later".parse().unwrap());
        assert_eq!(headers(&h).unwrap_err().error_type, "ValidationException");
    }
}
