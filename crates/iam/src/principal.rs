//! Principals: who is making the request.
//!
//! ARN shapes follow "IAM identifiers" in the IAM User Guide:
//!
//! * user — `arn:aws:iam::{account}:user/{name}`
//! * role — `arn:aws:iam::{account}:role/{name}`
//! * role session — `arn:aws:sts::{account}:assumed-role/{role}/{session}`
//! * federated user — `arn:aws:sts::{account}:federated-user/{name}`
//! * account root — `arn:aws:iam::{account}:root`
//!
//! Unique ids look like AWS's (`AIDA…` for users, `AROA…` for roles: four letters and 17
//! uppercase alphanumerics). AWS draws them at random when the entity is created; here they are
//! a hash of the ARN, so a restart (or a second gateway reading the same configuration) gives
//! the same ids. They are identifiers, not secrets.

use std::collections::BTreeMap;

/// The partition used for every ARN this crate builds.
pub const PARTITION: &str = "aws";

/// What kind of principal made the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An IAM user.
    User {
        /// The user's friendly name.
        name: String,
    },
    /// A role session (from `sts:AssumeRole` and friends).
    AssumedRole {
        /// `arn:aws:iam::{account}:role/{name}`.
        role_arn: String,
        /// The role's name.
        role_name: String,
        /// The role's unique id (`AROA…`).
        role_id: String,
        /// The session name the caller chose.
        session_name: String,
    },
    /// The account root user.
    Account,
    /// An unauthenticated caller.
    Anonymous,
    /// An AWS service principal such as `apigateway.amazonaws.com`.
    Service {
        /// The service principal name.
        name: String,
    },
    /// A federated user session (`sts:GetFederationToken`).
    FederatedUser {
        /// The federated user's name.
        name: String,
    },
    /// A caller authenticated by a web identity provider (`sts:AssumeRoleWithWebIdentity`),
    /// matched by the `Federated` principal element of a trust policy.
    WebIdentity {
        /// The provider, for example `cognito-identity.amazonaws.com`.
        provider: String,
    },
}

/// A principal, with everything the evaluator and the request context need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    arn: String,
    account: String,
    kind: PrincipalKind,
    unique_id: String,
    userid: Option<String>,
    tags: BTreeMap<String, String>,
}

impl Principal {
    /// An IAM user `arn:aws:iam::{account}:user/{name}`.
    pub fn user(account: &str, name: &str) -> Principal {
        let arn = format!("arn:{PARTITION}:iam::{account}:user/{name}");
        let id = unique_id("AIDA", &arn);
        Principal {
            account: account.to_owned(),
            kind: PrincipalKind::User {
                name: name.to_owned(),
            },
            userid: Some(id.clone()),
            unique_id: id,
            arn,
            tags: BTreeMap::new(),
        }
    }

    /// A session of role `role_name` in `account`.
    pub fn assumed_role(account: &str, role_name: &str, session_name: &str) -> Principal {
        let role_arn = role_arn(account, role_name);
        let role_id = unique_id("AROA", &role_arn);
        Principal {
            arn: format!("arn:{PARTITION}:sts::{account}:assumed-role/{role_name}/{session_name}"),
            account: account.to_owned(),
            userid: Some(format!("{role_id}:{session_name}")),
            unique_id: role_id.clone(),
            kind: PrincipalKind::AssumedRole {
                role_arn,
                role_name: role_name.to_owned(),
                role_id,
                session_name: session_name.to_owned(),
            },
            tags: BTreeMap::new(),
        }
    }

    /// The root user of `account`.
    pub fn account_root(account: &str) -> Principal {
        Principal {
            arn: format!("arn:{PARTITION}:iam::{account}:root"),
            account: account.to_owned(),
            kind: PrincipalKind::Account,
            unique_id: account.to_owned(),
            userid: Some(account.to_owned()),
            tags: BTreeMap::new(),
        }
    }

    /// An unauthenticated caller.
    pub fn anonymous() -> Principal {
        Principal {
            arn: String::new(),
            account: String::new(),
            kind: PrincipalKind::Anonymous,
            unique_id: "anonymous".to_owned(),
            userid: Some("anonymous".to_owned()),
            tags: BTreeMap::new(),
        }
    }

    /// An AWS service principal such as `apigateway.amazonaws.com`.
    pub fn service(name: &str) -> Principal {
        Principal {
            arn: name.to_owned(),
            account: String::new(),
            kind: PrincipalKind::Service {
                name: name.to_owned(),
            },
            unique_id: name.to_owned(),
            userid: None,
            tags: BTreeMap::new(),
        }
    }

    /// A federated user `arn:aws:sts::{account}:federated-user/{name}`.
    pub fn federated_user(account: &str, name: &str) -> Principal {
        Principal {
            arn: format!("arn:{PARTITION}:sts::{account}:federated-user/{name}"),
            account: account.to_owned(),
            kind: PrincipalKind::FederatedUser {
                name: name.to_owned(),
            },
            unique_id: format!("{account}:{name}"),
            userid: Some(format!("{account}:{name}")),
            tags: BTreeMap::new(),
        }
    }

    /// A caller vouched for by a web identity provider.
    pub fn web_identity(provider: &str) -> Principal {
        Principal {
            arn: provider.to_owned(),
            account: String::new(),
            kind: PrincipalKind::WebIdentity {
                provider: provider.to_owned(),
            },
            unique_id: provider.to_owned(),
            userid: None,
            tags: BTreeMap::new(),
        }
    }

    /// A caller vouched for by an OpenID Connect provider that trust policies may name two
    /// ways: by the provider's host and path (`token.actions.githubusercontent.com`) or by
    /// its IAM OIDC provider ARN (`arn:aws:iam::{account}:oidc-provider/{provider}`), as AWS
    /// writes it. Both match a `Federated` principal element.
    pub fn oidc_web_identity(provider: &str, account: &str) -> Principal {
        Principal {
            arn: format!("arn:{PARTITION}:iam::{account}:oidc-provider/{provider}"),
            ..Principal::web_identity(provider)
        }
    }

    /// Replaces the principal's tags (IAM tags, or role tags overlaid with session tags).
    pub fn with_tags(mut self, tags: BTreeMap<String, String>) -> Principal {
        self.tags = tags;
        self
    }

    /// The principal's ARN (empty for anonymous callers; the name for service and web-identity
    /// principals).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The account the principal belongs to (empty for anonymous, service and web-identity
    /// principals).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The kind of principal.
    pub fn kind(&self) -> &PrincipalKind {
        &self.kind
    }

    /// The unique id: `AIDA…` for users, the role's `AROA…` for sessions, the account id for
    /// the root user.
    pub fn unique_id(&self) -> &str {
        &self.unique_id
    }

    /// The value of `aws:userid`: `AIDA…`, `AROA…:{session}`, the account id, `{account}:{name}`
    /// or `anonymous`.
    pub fn userid(&self) -> Option<&str> {
        self.userid.as_deref()
    }

    /// The value of `aws:username` (IAM users only).
    pub fn username(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::User { name } => Some(name),
            _ => None,
        }
    }

    /// The principal's tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// The value of `aws:PrincipalType`, where AWS defines one.
    pub fn principal_type(&self) -> Option<&'static str> {
        match self.kind {
            PrincipalKind::User { .. } => Some("User"),
            PrincipalKind::AssumedRole { .. } => Some("AssumedRole"),
            PrincipalKind::Account => Some("Account"),
            PrincipalKind::Anonymous => Some("Anonymous"),
            PrincipalKind::FederatedUser { .. } => Some("FederatedUser"),
            PrincipalKind::Service { .. } | PrincipalKind::WebIdentity { .. } => None,
        }
    }

    /// True for unauthenticated callers.
    pub fn is_anonymous(&self) -> bool {
        matches!(self.kind, PrincipalKind::Anonymous)
    }

    /// How AWS names the principal in an access-denied message: its ARN, or `anonymous`.
    pub fn display_name(&self) -> &str {
        if self.is_anonymous() {
            "anonymous"
        } else {
            &self.arn
        }
    }

    /// For role sessions, the role's ARN: the identity a resource policy can name to cover every
    /// session of the role.
    pub(crate) fn parent_arn(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::AssumedRole { role_arn, .. } => Some(role_arn),
            _ => None,
        }
    }
}

/// `arn:aws:iam::{account}:role/{name}`.
pub fn role_arn(account: &str, name: &str) -> String {
    format!("arn:{PARTITION}:iam::{account}:role/{name}")
}

/// An AWS-style unique id: `prefix` followed by 17 uppercase alphanumerics derived from `arn`
/// with 128-bit FNV-1a. Deterministic across runs and platforms.
pub fn unique_id(prefix: &str, arn: &str) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = OFFSET;
    for b in arn.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(PRIME);
    }
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(prefix.len() + 17);
    out.push_str(prefix);
    for _ in 0..17 {
        let digit = (h % 36) as usize;
        h /= 36;
        out.push(char::from(ALPHABET.get(digit).copied().unwrap_or(b'A')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_ids() {
        let u = Principal::user("123456789012", "demo");
        assert_eq!(u.arn(), "arn:aws:iam::123456789012:user/demo");
        assert!(u.unique_id().starts_with("AIDA"));
        assert_eq!(u.unique_id().len(), 21);
        assert!(
            u.unique_id()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(
            u.unique_id(),
            Principal::user("123456789012", "demo").unique_id()
        );
        assert_ne!(
            u.unique_id(),
            Principal::user("123456789012", "demo2").unique_id()
        );

        let s = Principal::assumed_role("123456789012", "dev", "alice");
        assert_eq!(s.arn(), "arn:aws:sts::123456789012:assumed-role/dev/alice");
        assert_eq!(s.parent_arn(), Some("arn:aws:iam::123456789012:role/dev"));
        let userid = s.userid().unwrap();
        assert!(userid.starts_with("AROA") && userid.ends_with(":alice"));
        assert_eq!(s.username(), None);

        let a = Principal::anonymous();
        assert_eq!(a.display_name(), "anonymous");
        assert_eq!(a.userid(), Some("anonymous"));
        assert_eq!(
            Principal::account_root("111122223333").arn(),
            "arn:aws:iam::111122223333:root"
        );
        assert_eq!(
            Principal::federated_user("111122223333", "bob").userid(),
            Some("111122223333:bob")
        );
    }
}
