//! Cognito's error answers: HTTP 400 (500 for an internal error) with `x-amzn-ErrorType` and a
//! JSON body `{"__type": "...", "message": "..."}`, as the AWS JSON 1.1 protocol has them and the
//! SDKs parse them.

use serde_json::json;

/// The error types the user-pool operations answer with (Cognito's `__type` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    NotAuthorized,
    UserNotFound,
    UsernameExists,
    AliasExists,
    InvalidPassword,
    InvalidParameter,
    CodeMismatch,
    ExpiredCode,
    UserNotConfirmed,
    PasswordResetRequired,
    TooManyRequests,
    TooManyFailedAttempts,
    LimitExceeded,
    ResourceNotFound,
    GroupExists,
    InvalidUserPoolConfiguration,
    UnsupportedTokenType,
    /// A refresh token that refresh-token rotation replaced, after its grace period.
    RefreshTokenReuse,
    SoftwareTokenMfaNotFound,
    EnableSoftwareTokenMfa,
    /// An `X-Amz-Target` operation this endpoint does not serve.
    UnknownOperation,
    /// The signature of an administrative call (AWS's common errors).
    MissingAuthenticationToken,
    IncompleteSignature,
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
            ErrorType::UserNotFound => "UserNotFoundException",
            ErrorType::UsernameExists => "UsernameExistsException",
            ErrorType::AliasExists => "AliasExistsException",
            ErrorType::InvalidPassword => "InvalidPasswordException",
            ErrorType::InvalidParameter => "InvalidParameterException",
            ErrorType::CodeMismatch => "CodeMismatchException",
            ErrorType::ExpiredCode => "ExpiredCodeException",
            ErrorType::UserNotConfirmed => "UserNotConfirmedException",
            ErrorType::PasswordResetRequired => "PasswordResetRequiredException",
            ErrorType::TooManyRequests => "TooManyRequestsException",
            ErrorType::TooManyFailedAttempts => "TooManyFailedAttemptsException",
            ErrorType::LimitExceeded => "LimitExceededException",
            ErrorType::ResourceNotFound => "ResourceNotFoundException",
            ErrorType::GroupExists => "GroupExistsException",
            ErrorType::InvalidUserPoolConfiguration => "InvalidUserPoolConfigurationException",
            ErrorType::UnsupportedTokenType => "UnsupportedTokenTypeException",
            ErrorType::RefreshTokenReuse => "RefreshTokenReuseException",
            ErrorType::SoftwareTokenMfaNotFound => "SoftwareTokenMFANotFoundException",
            ErrorType::EnableSoftwareTokenMfa => "EnableSoftwareTokenMFAException",
            ErrorType::UnknownOperation => "UnknownOperationException",
            ErrorType::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorType::IncompleteSignature => "IncompleteSignatureException",
            ErrorType::InvalidSignature => "InvalidSignatureException",
            ErrorType::UnrecognizedClient => "UnrecognizedClientException",
            ErrorType::ExpiredToken => "ExpiredTokenException",
            ErrorType::AccessDenied => "AccessDeniedException",
            ErrorType::Internal => "InternalErrorException",
        }
    }

    /// The HTTP status: Cognito answers every client error 400, its own failures 500.
    pub fn status(self) -> u16 {
        match self {
            ErrorType::Internal => 500,
            _ => 400,
        }
    }
}

/// An error answer of the Cognito Identity Provider API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.name())]
pub struct CognitoError {
    pub kind: ErrorType,
    pub message: String,
}

impl CognitoError {
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        CognitoError {
            kind,
            message: message.into(),
        }
    }

    /// The answer to a sign-in that failed for any reason a caller must not tell apart (unknown
    /// user, wrong password, disabled user), as Cognito answers with user-existence errors
    /// prevented.
    pub fn sign_in_failed() -> Self {
        CognitoError::new(ErrorType::NotAuthorized, "Incorrect username or password.")
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
    fn bodies_are_cognitos_shape() {
        let e = CognitoError::sign_in_failed();
        let body: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(body["__type"], "NotAuthorizedException");
        assert_eq!(body["message"], "Incorrect username or password.");
        assert_eq!(e.kind.status(), 400);
        assert_eq!(ErrorType::Internal.status(), 500);
    }
}
