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
        PolicySet { policies, index }
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
}

impl FromIterator<NamedPolicy> for PolicySet {
    fn from_iter<T: IntoIterator<Item = NamedPolicy>>(iter: T) -> Self {
        PolicySet::new(iter)
    }
}
