//! What an invocation carries to the runtime besides its event: Lambda's `/next` headers (the
//! function ARN, the trace id, the client context and Cognito identity), and the name of an
//! environment's log stream.

use std::time::{SystemTime, UNIX_EPOCH};

use http::{HeaderName, HeaderValue};

use crate::invoke::{Invocation, InvocationType, InvokeError};

/// Lambda's `/next` headers for an invocation, other than the request id and deadline.
pub(crate) fn next_headers(
    arn: &str,
    invocation: &Invocation,
) -> Result<Vec<(HeaderName, HeaderValue)>, InvokeError> {
    let invalid = |what: &str| InvokeError::InvalidRequestContent {
        message: format!("{what} must be a valid JSON object that fits in a header."),
    };
    let mut headers = Vec::with_capacity(4);
    let arn = HeaderValue::from_str(arn).map_err(|_| invalid("The function ARN"))?;
    headers.push((
        HeaderName::from_static("lambda-runtime-invoked-function-arn"),
        arn,
    ));
    let trace = match &invocation.trace_id {
        Some(t) => t.clone(),
        None => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut trace = telemetry::TraceContext::generate(now);
            trace.sampled = Some(false);
            trace.xray_header(telemetry::trace::new_span_id())
        }
    };
    let trace = HeaderValue::from_str(&trace).map_err(|_| invalid("The trace id"))?;
    headers.push((HeaderName::from_static("lambda-runtime-trace-id"), trace));
    // Lambda passes the client context to synchronous invocations only.
    if let Some(cc) = &invocation.client_context
        && invocation.invocation_type == InvocationType::RequestResponse
    {
        let is_object = serde_json::from_str::<serde_json::Value>(cc).is_ok_and(|v| v.is_object());
        let value = HeaderValue::from_str(cc).ok().filter(|_| is_object);
        let value = value.ok_or_else(|| invalid("Client context"))?;
        headers.push((
            HeaderName::from_static("lambda-runtime-client-context"),
            value,
        ));
    }
    if let Some(identity) = &invocation.cognito_identity {
        let json = serde_json::to_string(identity).map_err(|_| invalid("The Cognito identity"))?;
        let value = HeaderValue::from_str(&json).map_err(|_| invalid("The Cognito identity"))?;
        headers.push((
            HeaderName::from_static("lambda-runtime-cognito-identity"),
            value,
        ));
    }
    Ok(headers)
}

/// `2024/05/01/[$LATEST]` and 32 hex digits, as Lambda names an environment's log stream.
pub(crate) fn log_stream_name() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}/{:02}/{:02}/[$LATEST]{}",
        date.year(),
        u8::from(date.month()),
        date.day(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoke::CognitoIdentity;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

    fn get<'a>(h: &'a [(HeaderName, HeaderValue)], name: &str) -> Option<&'a str> {
        h.iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.to_str().ok())
    }

    #[test]
    fn headers_for_a_synchronous_invocation() {
        let inv = Invocation {
            client_context: Some(r#"{"custom":{"a":"b"}}"#.into()),
            cognito_identity: Some(CognitoIdentity {
                identity_id: "i".into(),
                identity_pool_id: "p".into(),
            }),
            ..Invocation::default()
        };
        let h = next_headers(ARN, &inv).unwrap();
        assert_eq!(get(&h, "lambda-runtime-invoked-function-arn"), Some(ARN));
        assert_eq!(
            get(&h, "lambda-runtime-client-context"),
            Some(r#"{"custom":{"a":"b"}}"#)
        );
        assert_eq!(
            get(&h, "lambda-runtime-cognito-identity"),
            Some(r#"{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}"#)
        );
        let trace = get(&h, "lambda-runtime-trace-id").unwrap();
        assert!(
            trace.starts_with("Root=1-")
                && trace.contains(";Parent=")
                && trace.ends_with(";Sampled=0"),
            "{trace}"
        );
    }

    #[test]
    fn asynchronous_invocations_get_no_client_context() {
        let inv = Invocation {
            client_context: Some("{}".into()),
            invocation_type: InvocationType::Event,
            trace_id: Some("Root=1-5759e988-bd862e3fe1be46a994272793".into()),
            ..Invocation::default()
        };
        let h = next_headers(ARN, &inv).unwrap();
        assert_eq!(get(&h, "lambda-runtime-client-context"), None);
        assert_eq!(
            get(&h, "lambda-runtime-trace-id"),
            Some("Root=1-5759e988-bd862e3fe1be46a994272793")
        );
    }

    #[test]
    fn a_client_context_must_be_a_json_object() {
        for cc in ["[1]", "not json", "{\"a\":\"line\nbreak\"}"] {
            let inv = Invocation {
                client_context: Some(cc.into()),
                ..Invocation::default()
            };
            let e = next_headers(ARN, &inv).unwrap_err();
            assert_eq!(e.error_type(), "InvalidRequestContentException", "{cc}");
        }
    }

    #[test]
    fn log_stream_names_are_lambdas() {
        let name = log_stream_name();
        let (date, id) = name.split_once("/[$LATEST]").unwrap();
        assert_eq!(date.len(), 10);
        assert_eq!(date.matches('/').count(), 2);
        assert_eq!(id.len(), 32);
    }
}
