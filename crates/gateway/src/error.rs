//! The gateway's one error type and the one table that turns it into API Gateway's answer.
//!
//! Every phase fails with a [`GatewayError`]; only [`crate::responses`] turns errors into HTTP
//! responses, using [`ErrorKind::spec`]. No other place invents a status code, an
//! `x-amzn-ErrorType` or an error body.

use std::borrow::Cow;
use std::fmt;

use restapi::ResponseType;

/// Who caused a failure: decides the log level and whether a retry can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blame {
    /// The caller sent something wrong or is not allowed: retrying the same request fails again.
    Client,
    /// The integration (backend) failed or was slow: a retry may succeed.
    Upstream,
    /// The gateway's own configuration or state: an operator must act.
    Internal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The API or stage does not exist.
    Forbidden,
    /// No resource or method matched, or an IAM method got no signature.
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    /// The access key is unknown.
    UnrecognizedClient,
    ExpiredToken,
    AccessDenied,
    RequestTooLarge,
    UriTooLong,
    HeadersTooLarge,
    UnsupportedMediaType,
    IntegrationTimeout,
    IntegrationFailure,
    ApiConfigurationError,
    BadRequest,
    /// The method is not one of the seven API Gateway knows (`DELETE GET HEAD OPTIONS PATCH POST
    /// PUT`, upper case): answered like a method the resource does not have.
    UnknownMethod,
    /// The request path has no single canonical form (`router::canonicalize`).
    InvalidPath,
    /// The client did not send its whole body within `server.body_read_timeout`.
    RequestTimeout,
    /// The gateway itself failed (storage unreachable, randomness unavailable).
    Internal,
    /// A method that requires an API key got none, an unknown or disabled one, or one whose
    /// usage plans do not cover the stage.
    InvalidApiKey,
    /// A token bucket (account, stage, method, usage plan) is empty.
    Throttled,
    /// The API key's usage-plan quota for the period is used up.
    QuotaExceeded,
    /// `Cache-Control: max-age=0` from a caller not allowed `execute-api:InvalidateCache`, with
    /// the `FAIL_WITH_403` strategy.
    CacheInvalidationDenied,
    /// A token authorizer (Cognito user pool, JWT) got no token, or one it does not accept; a
    /// Lambda authorizer's identity sources were missing or invalid, or its function answered
    /// `Unauthorized`.
    Unauthorized,
    /// A Lambda authorizer could not be invoked: no environment free in time (throttled), the
    /// function host failing or shutting down. API Gateway's "failing to connect to a custom
    /// authorizer".
    AuthorizerConfiguration,
    /// A Lambda authorizer's function failed (an error other than `Unauthorized`, a timeout, a
    /// crash) or answered something that is not an authorizer result.
    AuthorizerFailure,
    /// A Lambda proxy integration's function failed: it reported an error, crashed, ran past its
    /// own timeout or answered something that is not JSON (API Gateway: 502).
    LambdaFunctionError,
    /// A Lambda proxy integration's function answered JSON that is not a proxy response (API
    /// Gateway: 502, `Malformed Lambda proxy response`).
    MalformedLambdaResponse,
    /// Lambda throttled the function (Invoke's 429): API Gateway answers its integration
    /// failure, 500.
    LambdaThrottled,
}

/// How an error kind is answered, as API Gateway documents it.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The gateway response type users can customize; `None` when API Gateway offers none.
    pub response_type: Option<ResponseType>,
    pub status: u16,
    pub error_type: &'static str,
    /// The JSON key of the default body. API Gateway uses `Message` (capitalized) for IAM
    /// authorization denials and `message` everywhere else.
    pub body_key: &'static str,
    pub default_message: &'static str,
    pub blame: Blame,
    /// Short stable label for metrics and logs.
    pub label: &'static str,
}

impl ErrorKind {
    pub fn spec(self) -> Spec {
        use ErrorKind as K;
        use ResponseType as T;
        match self {
            K::Unauthorized => Spec {
                response_type: Some(T::Unauthorized),
                status: 401,
                error_type: "UnauthorizedException",
                body_key: "message",
                default_message: "Unauthorized",
                blame: Blame::Client,
                label: "unauthorized",
            },
            // API Gateway answers both with `{"message": null}`: the empty default message is
            // rendered as `null` (see `responses`).
            K::AuthorizerConfiguration => Spec {
                response_type: Some(T::AuthorizerConfigurationError),
                status: 500,
                error_type: "AuthorizerConfigurationException",
                body_key: "message",
                default_message: "",
                blame: Blame::Internal,
                label: "authorizer_configuration_error",
            },
            K::AuthorizerFailure => Spec {
                response_type: Some(T::AuthorizerFailure),
                label: "authorizer_failure",
                ..K::AuthorizerConfiguration.spec()
            },
            K::Forbidden => Spec {
                response_type: None,
                status: 403,
                error_type: "ForbiddenException",
                body_key: "message",
                default_message: "Forbidden",
                blame: Blame::Client,
                label: "forbidden",
            },
            K::MissingAuthenticationToken => Spec {
                response_type: Some(T::MissingAuthenticationToken),
                status: 403,
                error_type: "MissingAuthenticationTokenException",
                body_key: "message",
                default_message: "Missing Authentication Token",
                blame: Blame::Client,
                label: "missing_authentication_token",
            },
            K::IncompleteSignature => Spec {
                response_type: Some(T::InvalidSignature),
                status: 403,
                error_type: "IncompleteSignatureException",
                body_key: "message",
                default_message: "Incomplete signature",
                blame: Blame::Client,
                label: "incomplete_signature",
            },
            K::InvalidSignature => Spec {
                response_type: Some(T::InvalidSignature),
                status: 403,
                error_type: "InvalidSignatureException",
                body_key: "message",
                default_message: "Invalid signature",
                blame: Blame::Client,
                label: "invalid_signature",
            },
            K::UnrecognizedClient => Spec {
                response_type: Some(T::InvalidSignature),
                status: 403,
                error_type: "UnrecognizedClientException",
                body_key: "message",
                default_message: "The security token included in the request is invalid.",
                blame: Blame::Client,
                label: "unrecognized_client",
            },
            K::ExpiredToken => Spec {
                response_type: Some(T::ExpiredToken),
                status: 403,
                error_type: "ExpiredTokenException",
                body_key: "message",
                default_message: "The security token included in the request is expired",
                blame: Blame::Client,
                label: "expired_token",
            },
            K::AccessDenied => Spec {
                response_type: Some(T::AccessDenied),
                status: 403,
                error_type: "AccessDeniedException",
                body_key: "Message",
                default_message: "Access denied",
                blame: Blame::Client,
                label: "access_denied",
            },
            K::RequestTooLarge => Spec {
                response_type: Some(T::RequestTooLarge),
                status: 413,
                error_type: "RequestTooLargeException",
                body_key: "message",
                default_message: "Request Too Long",
                blame: Blame::Client,
                label: "request_too_large",
            },
            K::UriTooLong => Spec {
                response_type: Some(T::Default4xx),
                status: 414,
                error_type: "UriTooLongException",
                body_key: "message",
                default_message: "Request-URI Too Long",
                blame: Blame::Client,
                label: "uri_too_long",
            },
            K::HeadersTooLarge => Spec {
                response_type: Some(T::Default4xx),
                status: 431,
                error_type: "RequestHeaderFieldsTooLargeException",
                body_key: "message",
                default_message: "Request Header Fields Too Large",
                blame: Blame::Client,
                label: "headers_too_large",
            },
            K::UnsupportedMediaType => Spec {
                response_type: Some(T::UnsupportedMediaType),
                status: 415,
                error_type: "UnsupportedMediaTypeException",
                body_key: "message",
                default_message: "Unsupported Media Type",
                blame: Blame::Client,
                label: "unsupported_media_type",
            },
            K::IntegrationTimeout => Spec {
                response_type: Some(T::IntegrationTimeout),
                status: 504,
                error_type: "InternalServerErrorException",
                body_key: "message",
                default_message: "Endpoint request timed out",
                blame: Blame::Upstream,
                label: "integration_timeout",
            },
            K::IntegrationFailure => Spec {
                response_type: Some(T::IntegrationFailure),
                status: 502,
                error_type: "InternalServerErrorException",
                body_key: "message",
                default_message: "Internal server error",
                blame: Blame::Upstream,
                label: "integration_failure",
            },
            K::ApiConfigurationError => Spec {
                response_type: Some(T::ApiConfigurationError),
                status: 500,
                error_type: "InternalServerErrorException",
                body_key: "message",
                default_message: "Internal server error",
                blame: Blame::Internal,
                label: "api_configuration_error",
            },
            K::BadRequest => Spec {
                response_type: Some(T::Default4xx),
                status: 400,
                error_type: "BadRequestException",
                body_key: "message",
                default_message: "Bad Request",
                blame: Blame::Client,
                label: "bad_request",
            },
            // Answered exactly like a method the resource does not have; counted apart.
            K::UnknownMethod => Spec {
                label: "unknown_method",
                ..K::MissingAuthenticationToken.spec()
            },
            K::InvalidPath => Spec {
                response_type: Some(T::Default4xx),
                status: 400,
                error_type: "BadRequestException",
                body_key: "message",
                default_message: "Invalid request path",
                blame: Blame::Client,
                label: "invalid_path",
            },
            K::RequestTimeout => Spec {
                response_type: Some(T::Default4xx),
                status: 408,
                error_type: "RequestTimeoutException",
                body_key: "message",
                default_message: "Request Timeout",
                blame: Blame::Client,
                label: "body_read_timeout",
            },
            K::Internal => Spec {
                response_type: Some(T::Default5xx),
                status: 500,
                error_type: "InternalServerErrorException",
                body_key: "message",
                default_message: "Internal server error",
                blame: Blame::Internal,
                label: "internal_error",
            },
            K::InvalidApiKey => Spec {
                response_type: Some(T::InvalidApiKey),
                status: 403,
                error_type: "ForbiddenException",
                body_key: "message",
                default_message: "Forbidden",
                blame: Blame::Client,
                label: "invalid_api_key",
            },
            K::Throttled => Spec {
                response_type: Some(T::Throttled),
                status: 429,
                error_type: "TooManyRequestsException",
                body_key: "message",
                default_message: "Too Many Requests",
                blame: Blame::Client,
                label: "throttled",
            },
            K::QuotaExceeded => Spec {
                response_type: Some(T::QuotaExceeded),
                status: 429,
                error_type: "LimitExceededException",
                body_key: "message",
                default_message: "Limit Exceeded",
                blame: Blame::Client,
                label: "quota_exceeded",
            },
            K::LambdaFunctionError => Spec {
                response_type: Some(T::Default5xx),
                status: 502,
                error_type: "InternalServerErrorException",
                body_key: "message",
                default_message: "Internal server error",
                blame: Blame::Upstream,
                label: "lambda_function_error",
            },
            K::MalformedLambdaResponse => Spec {
                blame: Blame::Internal,
                label: "malformed_lambda_response",
                ..K::LambdaFunctionError.spec()
            },
            K::LambdaThrottled => Spec {
                response_type: Some(T::IntegrationFailure),
                status: 500,
                error_type: "InternalServerErrorException",
                body_key: "message",
                default_message: "Internal server error",
                blame: Blame::Upstream,
                label: "lambda_throttled",
            },
            K::CacheInvalidationDenied => Spec {
                response_type: Some(T::Default4xx),
                status: 403,
                error_type: "AccessDeniedException",
                body_key: "message",
                default_message: "User is not authorized to invalidate the cache of this resource",
                blame: Blame::Client,
                label: "cache_invalidation_denied",
            },
        }
    }
}

/// A failed request: what kind of failure and the message the caller sees.
#[derive(Clone, Debug)]
pub struct GatewayError {
    pub kind: ErrorKind,
    pub message: Cow<'static, str>,
    /// Detail for logs only (never sent to the caller): e.g. the connect error to a backend.
    pub detail: Option<String>,
}

impl GatewayError {
    /// The kind's default message.
    pub fn new(kind: ErrorKind) -> GatewayError {
        GatewayError {
            kind,
            message: Cow::Borrowed(kind.spec().default_message),
            detail: None,
        }
    }

    pub fn with_message(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> GatewayError {
        GatewayError {
            kind,
            message: message.into(),
            detail: None,
        }
    }

    /// The error as logs may keep it: session tokens and signatures in the message (AWS's
    /// signature-mismatch text echoes them) or the detail replaced by `<redacted>`.
    pub fn redacted(self) -> GatewayError {
        let message = match sigv4::redact_for_log(&self.message) {
            Cow::Borrowed(_) => self.message,
            Cow::Owned(m) => Cow::Owned(m),
        };
        let detail = self.detail.map(|d| sigv4::redact_for_log(&d).into_owned());
        GatewayError {
            kind: self.kind,
            message,
            detail,
        }
    }

    pub fn detail(mut self, detail: impl fmt::Display) -> GatewayError {
        self.detail = Some(detail.to_string());
        self
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for GatewayError {}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorKind; 29] = [
        ErrorKind::Forbidden,
        ErrorKind::MissingAuthenticationToken,
        ErrorKind::IncompleteSignature,
        ErrorKind::InvalidSignature,
        ErrorKind::UnrecognizedClient,
        ErrorKind::ExpiredToken,
        ErrorKind::AccessDenied,
        ErrorKind::RequestTooLarge,
        ErrorKind::UriTooLong,
        ErrorKind::HeadersTooLarge,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::IntegrationTimeout,
        ErrorKind::IntegrationFailure,
        ErrorKind::ApiConfigurationError,
        ErrorKind::BadRequest,
        ErrorKind::UnknownMethod,
        ErrorKind::InvalidPath,
        ErrorKind::RequestTimeout,
        ErrorKind::Internal,
        ErrorKind::InvalidApiKey,
        ErrorKind::Throttled,
        ErrorKind::QuotaExceeded,
        ErrorKind::CacheInvalidationDenied,
        ErrorKind::Unauthorized,
        ErrorKind::AuthorizerConfiguration,
        ErrorKind::AuthorizerFailure,
        ErrorKind::LambdaFunctionError,
        ErrorKind::MalformedLambdaResponse,
        ErrorKind::LambdaThrottled,
    ];

    #[test]
    fn table_is_consistent() {
        for kind in ALL {
            let spec = kind.spec();
            assert!(spec.error_type.ends_with("Exception"), "{kind:?}");
            // The status class matches the customizable response type's class, so DEFAULT_4XX
            // and DEFAULT_5XX overrides apply to the right errors.
            if let Some(t) = spec.response_type.and_then(ResponseType::default_status) {
                assert_eq!(t / 100, spec.status / 100, "{kind:?}");
            }
            assert_eq!(spec.blame == Blame::Client, spec.status < 500, "{kind:?}");
        }
    }

    #[test]
    fn aws_documented_answers() {
        let s = ErrorKind::MissingAuthenticationToken.spec();
        assert_eq!(
            (s.status, s.error_type, s.default_message),
            (
                403,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token"
            )
        );
        let s = ErrorKind::IntegrationTimeout.spec();
        assert_eq!(
            (s.status, s.default_message),
            (504, "Endpoint request timed out")
        );
        let s = ErrorKind::IntegrationFailure.spec();
        assert_eq!(
            (s.status, s.default_message),
            (502, "Internal server error")
        );
        assert_eq!(ErrorKind::AccessDenied.spec().body_key, "Message");
        // Lambda proxy failures: 502 for the function's own, 500 for Lambda's throttle.
        for (kind, status) in [
            (ErrorKind::LambdaFunctionError, 502),
            (ErrorKind::MalformedLambdaResponse, 502),
            (ErrorKind::LambdaThrottled, 500),
        ] {
            let s = kind.spec();
            assert_eq!(
                (s.status, s.default_message),
                (status, "Internal server error")
            );
        }
    }
}
