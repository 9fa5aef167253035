//! Who the caller is, as authentication established it: one value in the request context that
//! authorization, `$context.identity.*`, `$context.authorizer.*`, logs and integrations read.
//!
//! Each authorizer produces one kind: SigV4 an [`Identity::Iam`] caller; a Cognito user pool or
//! JWT authorizer verified [`Identity::Claims`]; a Lambda authorizer an
//! [`Identity::Authorizer`] result. A method without an authorizer leaves the caller
//! [`Identity::Anonymous`].

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::auth::Caller;

#[derive(Clone, Default)]
pub enum Identity {
    /// No authorizer ran (a method with authorization `NONE`).
    #[default]
    Anonymous,
    /// A SigV4-signed request by a known access key.
    Iam(Caller),
    /// The claims of a token a user pool or JWT authorizer verified.
    Claims(Arc<Claims>),
    /// What a Lambda authorizer returned.
    Authorizer(Arc<AuthorizerResult>),
}

/// A verified token's claims, each as API Gateway renders it in `$context.authorizer.claims.*`
/// (strings as they are; numbers and booleans as JSON text; arrays space-separated, like
/// `scope`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    pub values: Arc<BTreeMap<String, String>>,
}

/// A Lambda authorizer's answer, compiled: the policy it returned decides access with the API's
/// resource policy (see `authorize`).
#[derive(Clone)]
pub struct AuthorizerResult {
    pub principal_id: String,
    /// The returned policy document, compiled as an identity policy of the caller.
    pub policy: Arc<iam::PolicySet>,
    /// The returned `context` map, values rendered as strings (`$context.authorizer.<key>`).
    pub context: BTreeMap<String, String>,
    /// `usageIdentifierKey`: the API key a usage plan meters, when the API takes it from the
    /// authorizer.
    pub usage_identifier_key: Option<String>,
}

/// Which kind of identity, for the authorization table and for logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdentityKind {
    Anonymous,
    Iam,
    Claims,
    Authorizer,
}

impl Identity {
    pub fn kind(&self) -> IdentityKind {
        match self {
            Identity::Anonymous => IdentityKind::Anonymous,
            Identity::Iam(_) => IdentityKind::Iam,
            Identity::Claims(_) => IdentityKind::Claims,
            Identity::Authorizer(_) => IdentityKind::Authorizer,
        }
    }

    /// The IAM caller, for SigV4-authenticated requests.
    pub fn iam(&self) -> Option<&Caller> {
        match self {
            Identity::Iam(caller) => Some(caller),
            _ => None,
        }
    }

    pub fn claims(&self) -> Option<&Claims> {
        match self {
            Identity::Claims(claims) => Some(claims),
            _ => None,
        }
    }

    pub fn authorizer(&self) -> Option<&AuthorizerResult> {
        match self {
            Identity::Authorizer(result) => Some(result),
            _ => None,
        }
    }
}
