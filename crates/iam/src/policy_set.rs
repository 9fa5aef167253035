//! Named policies and indexed sets of them.
//!
//! A principal's identity-based policies are evaluated together, so they are indexed together:
//! one action lookup finds the candidate statements across every attached policy.

use std::sync::Arc;

use crate::index::ActionIndex;
use crate::model::Policy;

/// A policy with the name explanations use for it (a managed policy's name, `inline:…`, the
/// API id for a resource policy…).
#[derive(Clone, Debug)]
pub struct NamedPolicy {
    name: Arc<str>,
    policy: Arc<Policy>,
}

impl NamedPolicy {
    /// Names a policy.
    pub fn new(name: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) -> NamedPolicy {
        NamedPolicy {
            name: name.into(),
            policy: policy.into(),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub(crate) fn name_arc(&self) -> &Arc<str> {
        &self.name
    }
}

/// Identifies a statement inside a [`PolicySet`]; ordered by policy, then statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct StmtRef {
    pub(crate) policy: u32,
    pub(crate) stmt: u32,
}

/// Policies evaluated together (a principal's identity policies, or a set of session policies),
/// with one action index over all their statements.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    policies: Vec<NamedPolicy>,
    pub(crate) index: ActionIndex<StmtRef>,
    reads_request_context: bool,
}

impl PolicySet {
    /// Builds and indexes a set.
    pub fn new(policies: impl IntoIterator<Item = NamedPolicy>) -> PolicySet {
        let policies: Vec<NamedPolicy> = policies.into_iter().collect();
        let mut index = ActionIndex::default();
        for (pi, p) in policies.iter().enumerate() {
            for (si, s) in p.policy().statements().iter().enumerate() {
                let r = StmtRef {
                    policy: u32::try_from(pi).unwrap_or(u32::MAX),
                    stmt: u32::try_from(si).unwrap_or(u32::MAX),
                };
                index.insert(&s.action, r);
            }
        }
        index.finish();
        let reads_request_context = policies.iter().any(|p| p.policy().reads_request_context());
        PolicySet {
            policies,
            index,
            reads_request_context,
        }
    }

    /// A set with no policies: it allows nothing.
    pub fn empty() -> PolicySet {
        PolicySet::default()
    }

    /// The policies, in order.
    pub fn policies(&self) -> &[NamedPolicy] {
        &self.policies
    }

    /// Number of policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// True if the set has no policies.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Whether any policy of the set can read the request context (see
    /// [`Policy::reads_request_context`]).
    pub fn reads_request_context(&self) -> bool {
        self.reads_request_context
    }
}

impl FromIterator<NamedPolicy> for PolicySet {
    fn from_iter<T: IntoIterator<Item = NamedPolicy>>(iter: T) -> Self {
        PolicySet::new(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseOptions;

    fn set(policies: &[&str]) -> PolicySet {
        policies
            .iter()
            .map(|text| {
                let policy = Policy::from_json_str(text, &ParseOptions::identity()).unwrap();
                NamedPolicy::new("p", policy)
            })
            .collect()
    }

    #[test]
    fn only_conditions_and_variables_read_the_request_context() {
        let plain = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}"#;
        let condition = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#;
        let variable = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:execute-api:*:*:*/*/GET/${aws:SourceIp}"}}"#;
        // Version 2008 takes `${` literally: nothing to read.
        let literal = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:*:*:*/*/GET/${aws:SourceIp}"}}"#;
        assert!(!set(&[plain]).reads_request_context());
        assert!(!set(&[plain, literal]).reads_request_context());
        assert!(set(&[plain, condition]).reads_request_context());
        assert!(set(&[variable]).reads_request_context());
        assert!(!PolicySet::empty().reads_request_context());
    }
}
