//! Policy errors: which statement, where (a JSON pointer), and what is wrong.
//!
//! Messages echo at most a clipped copy of the offending value — never the rest of the document.

use std::fmt;

/// Where in the policy an error is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLocation {
    /// Index in the `Statement` array (0 for a lone statement object).
    pub index: usize,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
}

/// Why a policy was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    #[error("the policy is not valid JSON: {0}")]
    Json(String),
    #[error("expected {0}")]
    WrongType(&'static str),
    #[error("unknown element {0:?}")]
    UnknownKey(String),
    #[error("missing required element {0}")]
    Missing(&'static str),
    #[error("{0} and {1} cannot both be present")]
    Conflict(&'static str, &'static str),
    #[error("{element} is not allowed in {kind} policies")]
    NotAllowed {
        element: &'static str,
        kind: &'static str,
    },
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("unsupported policy Version {0:?}: expected \"2012-10-17\" or \"2008-10-17\"")]
    UnsupportedVersion(String),
    #[error("Effect must be \"Allow\" or \"Deny\", not {0:?}")]
    InvalidEffect(String),
    #[error("duplicate Sid {0:?}: statement ids must be unique within a policy")]
    DuplicateSid(String),
    #[error("invalid Sid {0:?}: IAM statement ids may only contain A-Z, a-z and 0-9")]
    InvalidSid(String),
    #[error("invalid action {0:?}: expected \"*\" or \"service:action\"")]
    InvalidAction(String),
    #[error(
        "invalid resource {0:?}: expected \"*\" or an ARN (arn:partition:service:region:account:resource)"
    )]
    InvalidArn(String),
    #[error("abbreviated resource {0:?} needs the API's ARN prefix to expand")]
    UnexpandableResource(String),
    #[error("invalid principal {0:?}: {1}")]
    InvalidPrincipal(String, &'static str),
    #[error("invalid principal {0:?}: a wildcard may only be used as \"*\" on its own")]
    WildcardPrincipal(String),
    #[error("unknown condition operator {0:?}")]
    UnknownOperator(String),
    #[error("condition operator {0:?} cannot take IfExists or a set qualifier")]
    InvalidNullOperator(String),
    #[error("empty condition key")]
    EmptyConditionKey,
    #[error("invalid IP address or CIDR block {0:?}")]
    InvalidIp(String),
    #[error("invalid number {0:?}")]
    InvalidNumber(String),
    #[error("invalid date {0:?}: expected ISO 8601 (2020-01-01T00:00:00Z) or epoch seconds")]
    InvalidDate(String),
    #[error("invalid boolean {0:?}: expected \"true\" or \"false\"")]
    InvalidBool(String),
    #[error("invalid base64 value {0:?}")]
    InvalidBase64(String),
    #[error("{0}")]
    InvalidVariable(String),
}

/// A refused policy: which statement, where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// The statement at fault, if the error is inside one.
    pub statement: Option<StatementLocation>,
    /// JSON pointer (RFC 6901) to the offending element.
    pub pointer: String,
    /// What is wrong.
    pub kind: PolicyErrorKind,
}

impl PolicyError {
    pub(crate) fn json(msg: String) -> PolicyError {
        PolicyError {
            statement: None,
            pointer: String::new(),
            kind: PolicyErrorKind::Json(msg),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid policy: ")?;
        if let Some(s) = &self.statement {
            write!(f, "statement {}", s.index)?;
            if let Some(sid) = &s.sid {
                write!(f, " (Sid {sid:?})")?;
            }
            f.write_str(", ")?;
        }
        let ptr = if self.pointer.is_empty() {
            "the document root"
        } else {
            &self.pointer
        };
        write!(f, "at {ptr}: {}", self.kind)
    }
}

impl std::error::Error for PolicyError {}

/// Clips a value echoed in an error message.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or("")),
        None => s.to_owned(),
    }
}
