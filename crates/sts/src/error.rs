//! STS errors, with the codes and HTTP statuses STS uses.

/// An STS error response: `<ErrorResponse><Error><Type/><Code/><Message/></Error>...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct StsError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl StsError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> StsError {
        StsError {
            status,
            code,
            message: message.into(),
        }
    }

    /// `Sender` for the caller's mistakes, `Receiver` for the service's.
    pub fn fault(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }

    pub fn validation(message: impl Into<String>) -> StsError {
        StsError::new(400, "ValidationError", message)
    }

    pub fn invalid_action(action: &str) -> StsError {
        StsError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {action} for version 2011-06-15"),
        )
    }

    pub fn missing_action() -> StsError {
        StsError::new(400, "MissingAction", "Missing Action")
    }

    pub fn access_denied(message: impl Into<String>) -> StsError {
        StsError::new(403, "AccessDenied", message)
    }

    pub fn malformed_policy(message: impl Into<String>) -> StsError {
        StsError::new(400, "MalformedPolicyDocument", message)
    }

    pub fn packed_policy_too_large() -> StsError {
        StsError::new(
            400,
            "PackedPolicyTooLarge",
            "Packed policy consumes more than 100% of the allotted space.",
        )
    }

    pub fn missing_authentication_token() -> StsError {
        StsError::new(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )
    }

    pub fn invalid_client_token_id() -> StsError {
        StsError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    pub fn expired_token() -> StsError {
        StsError::new(
            400,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    }

    pub fn signature_does_not_match(message: impl Into<String>) -> StsError {
        StsError::new(403, "SignatureDoesNotMatch", message)
    }

    pub fn incomplete_signature(message: impl Into<String>) -> StsError {
        StsError::new(400, "IncompleteSignature", message)
    }

    pub fn internal(message: impl Into<String>) -> StsError {
        StsError::new(500, "InternalFailure", message)
    }
}
