//! The host's invoke contract: what the gateway asks for ([`Invocation`]), what it gets back
//! ([`Outcome`]) and how an invoke can fail before the function ran ([`InvokeError`]).
//!
//! The split follows Lambda's Invoke API. Anything that happened *in* the function — its own
//! error, a crash, a timeout, a bad response — is an `Outcome` with `function_error` set and
//! Lambda's error document as the payload (Invoke answers those with 200 and
//! `X-Amz-Function-Error`); [`Outcome::failure`] says which, typed. `InvokeError` is for what
//! Invoke answers with an error status: an unknown function, a payload Lambda would refuse,
//! throttling.

use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use crate::protocol::{MAX_EVENT_PAYLOAD, MAX_PAYLOAD};

/// Lambda's invocation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvocationType {
    /// Synchronous: wait for the function's answer.
    #[default]
    RequestResponse,
    /// Asynchronous: queued and run in the background; the answer is empty (Invoke's 202).
    Event,
    /// Checks the request and runs nothing (Invoke's 204).
    DryRun,
}

/// The Cognito identity a caller had (`Lambda-Runtime-Cognito-Identity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CognitoIdentity {
    #[serde(rename = "cognitoIdentityId")]
    pub identity_id: String,
    #[serde(rename = "cognitoIdentityPoolId")]
    pub identity_pool_id: String,
}

/// One invoke request.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// The event, a JSON document (empty means `{}`, as Lambda treats a missing payload).
    pub payload: Bytes,
    /// The client context as JSON text (the Invoke API's base64 decoded by the caller). Lambda
    /// passes it to synchronous invocations only.
    pub client_context: Option<String>,
    pub cognito_identity: Option<CognitoIdentity>,
    /// An X-Ray trace header (`Root=1-…;Parent=…;Sampled=…`); one is made when absent.
    pub trace_id: Option<String>,
    pub invocation_type: InvocationType,
    /// Return the last 4 KB of the invocation's log (`LogType: Tail`).
    pub log_tail: bool,
}

/// `X-Amz-Function-Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionError {
    /// The runtime caught the error and reported it. Lambda's current runtimes report every
    /// error as `Unhandled`; the variant exists for callers that map older semantics.
    Handled,
    Unhandled,
}

impl FunctionError {
    pub fn as_str(self) -> &'static str {
        match self {
            FunctionError::Handled => "Handled",
            FunctionError::Unhandled => "Unhandled",
        }
    }
}

impl std::fmt::Display for FunctionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way an invocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The function reported an error (`/invocation/{id}/error`).
    Function,
    /// The runtime reported an init error (`/init/error`).
    Init,
    /// The invocation ran past its timeout; the environment was killed.
    Timeout,
    /// The runtime process exited while it owed an answer (`Runtime.ExitError`).
    Exit,
    /// The program could not be started (`Runtime.InvalidEntrypoint`).
    Entrypoint,
    /// The response was not a JSON document (`Runtime.InvalidResponsePayload`).
    InvalidResponse,
    /// The response exceeded 6 MB (`Function.ResponseSizeTooLarge`).
    ResponseTooLarge,
}

/// A failed invocation, typed: the kind, and Lambda's `errorType` and `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub error_type: String,
    pub error_message: String,
}

/// What an invocation produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub request_id: String,
    /// The function's response, or Lambda's error document when `function_error` is set;
    /// empty for `Event` and `DryRun`.
    pub payload: Bytes,
    pub function_error: Option<FunctionError>,
    pub failure: Option<Failure>,
    /// `X-Amz-Log-Result`: the base64 of the log's last 4 KB, when asked for.
    pub log_tail: Option<String>,
    /// Set when this invocation started its environment: the init time.
    pub cold_start: Option<Duration>,
    /// How long the function ran (from hand-over to answer).
    pub duration: Duration,
    pub invocation_type: InvocationType,
}

impl Outcome {
    /// Invoke's status for this outcome: 200, 202 (`Event`) or 204 (`DryRun`).
    pub fn status(&self) -> u16 {
        match self.invocation_type {
            InvocationType::RequestResponse => 200,
            InvocationType::Event => 202,
            InvocationType::DryRun => 204,
        }
    }

    /// `X-Amz-Executed-Version`: the host runs `$LATEST` only.
    pub fn executed_version(&self) -> &'static str {
        "$LATEST"
    }

    pub(crate) fn empty(request_id: String, invocation_type: InvocationType) -> Outcome {
        Outcome {
            request_id,
            payload: Bytes::new(),
            function_error: None,
            failure: None,
            log_tail: None,
            cold_start: None,
            duration: Duration::ZERO,
            invocation_type,
        }
    }
}

/// Why an invoke was refused before the function ran. Each maps to one Invoke API error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// `ResourceNotFoundException` (404).
    #[error("Function not found: {function}")]
    NotFound { function: String },
    /// `RequestTooLargeException` (413).
    #[error("Request must be smaller than {limit} bytes for the InvokeFunction operation")]
    RequestTooLarge { limit: usize },
    /// `InvalidRequestContentException` (400).
    #[error("{message}")]
    InvalidRequestContent { message: String },
    /// `TooManyRequestsException` (429, `Reason: ReservedFunctionConcurrentInvocationLimitExceeded`
    /// or `ConcurrentInvocationLimitExceeded`): no environment became free in time.
    #[error("Rate Exceeded.")]
    TooManyRequests { reserved: bool },
    /// The host is shutting down (`ServiceException`, 500).
    #[error("the function host is shutting down")]
    ShuttingDown,
    /// The host itself failed (`ServiceException`, 500); logged with the cause.
    #[error("the function host failed: {0}")]
    Internal(String),
}

impl InvokeError {
    /// The Invoke API's HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            InvokeError::NotFound { .. } => 404,
            InvokeError::RequestTooLarge { .. } => 413,
            InvokeError::InvalidRequestContent { .. } => 400,
            InvokeError::TooManyRequests { .. } => 429,
            InvokeError::ShuttingDown | InvokeError::Internal(_) => 500,
        }
    }

    /// The Invoke API's error type (`x-amzn-ErrorType`).
    pub fn error_type(&self) -> &'static str {
        match self {
            InvokeError::NotFound { .. } => "ResourceNotFoundException",
            InvokeError::RequestTooLarge { .. } => "RequestTooLargeException",
            InvokeError::InvalidRequestContent { .. } => "InvalidRequestContentException",
            InvokeError::TooManyRequests { .. } => "TooManyRequestsException",
            InvokeError::ShuttingDown | InvokeError::Internal(_) => "ServiceException",
        }
    }
}

/// Checks an invoke payload as Lambda does (size by invocation type, then JSON) and returns the
/// event to deliver.
pub fn check_payload(payload: &Bytes, kind: InvocationType) -> Result<Bytes, InvokeError> {
    let limit = match kind {
        InvocationType::Event => MAX_EVENT_PAYLOAD,
        InvocationType::RequestResponse | InvocationType::DryRun => MAX_PAYLOAD,
    };
    if payload.len() > limit {
        return Err(InvokeError::RequestTooLarge { limit });
    }
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(Bytes::from_static(b"{}"));
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(payload).map_err(|e| {
        InvokeError::InvalidRequestContent {
            message: format!(
                "Could not parse request body into json: Could not parse payload into json: {e}"
            ),
        }
    })?;
    Ok(payload.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_checks() {
        let ok = |s: &'static str| {
            check_payload(
                &Bytes::from_static(s.as_bytes()),
                InvocationType::RequestResponse,
            )
        };
        assert_eq!(ok("").unwrap(), "{}");
        assert_eq!(ok(" \n").unwrap(), "{}");
        assert_eq!(ok("[1, 2]").unwrap(), "[1, 2]");
        assert_eq!(ok("\"text\"").unwrap(), "\"text\"");
        let e = ok("{nope").unwrap_err();
        assert_eq!(e.error_type(), "InvalidRequestContentException");
        assert!(
            e.to_string()
                .starts_with("Could not parse request body into json: ")
        );
        let big = Bytes::from(vec![b' '; MAX_EVENT_PAYLOAD + 1]);
        assert_eq!(
            check_payload(&big, InvocationType::Event),
            Err(InvokeError::RequestTooLarge {
                limit: MAX_EVENT_PAYLOAD
            })
        );
        assert!(check_payload(&big, InvocationType::RequestResponse).is_ok());
        let huge = Bytes::from(vec![b' '; MAX_PAYLOAD + 1]);
        let e = check_payload(&huge, InvocationType::DryRun).unwrap_err();
        assert_eq!(e.status(), 413);
        assert_eq!(
            e.to_string(),
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
        );
    }

    #[test]
    fn statuses() {
        let o = Outcome::empty("r".into(), InvocationType::Event);
        assert_eq!(o.status(), 202);
        assert_eq!(
            Outcome::empty("r".into(), InvocationType::DryRun).status(),
            204
        );
        assert_eq!(
            InvokeError::TooManyRequests { reserved: true }.status(),
            429
        );
        assert_eq!(
            InvokeError::NotFound {
                function: "f".into()
            }
            .to_string(),
            "Function not found: f"
        );
    }

    #[test]
    fn cognito_identity_serializes_as_lambda_sends_it() {
        let id = CognitoIdentity {
            identity_id: "us-east-1:1".into(),
            identity_pool_id: "us-east-1:pool".into(),
        };
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#"{"cognitoIdentityId":"us-east-1:1","cognitoIdentityPoolId":"us-east-1:pool"}"#
        );
    }
}
