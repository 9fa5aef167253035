//! Cognito Identity's error answers: HTTP 400 (500 for an internal error) with
//! `x-amzn-ErrorType` and a JSON body `{"__type": "...", "message": "..."}`, as the AWS JSON 1.1
//! protocol has them and the SDKs parse them.

use serde_json::json;

/// The error types the identity-pool operations answer with (Cognito Identity's `__type`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// A bad, expired or foreign login token; an identity the caller may not use; a
    /// role mapping that resolves to no role with `Deny`.
    NotAuthorized,
    /// An unknown identity pool or identity.
    ResourceNotFound,
    InvalidParameter,
    /// The pool has no role for the caller (no authenticated or unauthenticated role).
    InvalidIdentityPoolConfiguration,
    /// The `Logins` map names a provider the identity is not linked to.
    ResourceConflict,
    TooManyRequests,
    /// An `X-Amz-Target` operation this endpoint does not serve.
    UnknownOperation,
    /// The signature of an IAM-authorized call (AWS's common errors).
    MissingAuthenticationToken,
    InvalidSignature,
    UnrecognizedClient,
    ExpiredToken,
    /// The caller's IAM policies do not allow the operation on the pool.
    AccessDenied,
    Internal,
}

impl ErrorType {
    /// The `__type` (and `x-amzn-ErrorType`) name.
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::NotAuthorized => "NotAuthorizedException",
            ErrorType::ResourceNotFound => "ResourceNotFoundException",
            ErrorType::InvalidParameter => "InvalidParameterException",
            ErrorType::InvalidIdentityPoolConfiguration => {
                "InvalidIdentityPoolConfigurationException"
            }
            ErrorType::ResourceConflict => "ResourceConflictException",
            ErrorType::TooManyRequests => "TooManyRequestsException",
            ErrorType::UnknownOperation => "UnknownOperationException",
            ErrorType::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorType::InvalidSignature => "InvalidSignatureException",
            ErrorType::UnrecognizedClient => "UnrecognizedClientException",
            ErrorType::ExpiredToken => "ExpiredTokenException",
            ErrorType::AccessDenied => "AccessDeniedException",
            ErrorType::Internal => "InternalErrorException",
        }
    }

    /// The HTTP status: client errors 400 (403 for the signature and authorization errors,
    /// as AWS's common errors), the service's own failures 500.
    pub fn status(self) -> u16 {
        match self {
            ErrorType::Internal => 500,
            ErrorType::MissingAuthenticationToken
            | ErrorType::InvalidSignature
            | ErrorType::UnrecognizedClient
            | ErrorType::ExpiredToken
            | ErrorType::AccessDenied => 403,
            _ => 400,
        }
    }
}

/// An error answer of the Cognito Identity API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.name())]
pub struct IdentityError {
    pub kind: ErrorType,
    pub message: String,
}

impl IdentityError {
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        IdentityError {
            kind,
            message: message.into(),
        }
    }

    /// The answer to any login token that does not check out (bad signature, expired, wrong
    /// audience or issuer, revoked): one message, so that the answer tells an attacker nothing
    /// about which check failed.
    pub fn invalid_login_token() -> Self {
        IdentityError::new(ErrorType::NotAuthorized, "Invalid login token.")
    }

    pub fn pool_not_found(pool_id: &str) -> Self {
        IdentityError::new(
            ErrorType::ResourceNotFound,
            format!("IdentityPool '{pool_id}' not found."),
        )
    }

    pub fn identity_not_found(identity_id: &str) -> Self {
        IdentityError::new(
            ErrorType::ResourceNotFound,
            format!("Identity '{identity_id}' not found."),
        )
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        json!({"__type": self.kind.name(), "message": self.message}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cognito_identitys_shape() {
        let e = IdentityError::invalid_login_token();
        let body: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(body["__type"], "NotAuthorizedException");
        assert_eq!(body["message"], "Invalid login token.");
        assert_eq!(e.kind.status(), 400);
        assert_eq!(ErrorType::Internal.status(), 500);
        assert_eq!(ErrorType::AccessDenied.status(), 403);
        let nf = IdentityError::pool_not_found("us-east-1:x");
        assert_eq!(nf.kind.name(), "ResourceNotFoundException");
    }
}
