//! Explanations: which statements of which named policies applied, and which decided.
//!
//! An explanation names policies, statement indexes, `Sid`s and effects — never the policy text,
//! the request context or any credential — so it is safe to log on every denial. Its `Display`
//! reads like the output of AWS's policy simulator (`EvalDecision`, matched statements with
//! their source policy), which is what `portcullis policy simulate` prints.

use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::authorize::{Decision, Reason};
use crate::model::{Effect, PrincipalMatch};
use crate::principal::Principal;

/// The kind of policy a statement came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicySource {
    /// One of the principal's identity-based policies.
    Identity,
    /// A session policy (passed to AssumeRole).
    Session,
    /// The resource-based policy (or trust policy).
    Resource,
}

impl PolicySource {
    /// How AWS's simulator names the policy type.
    pub fn describe(self) -> &'static str {
        match self {
            PolicySource::Identity => "identity-based policy",
            PolicySource::Session => "session policy",
            PolicySource::Resource => "resource-based policy",
        }
    }
}

/// A statement that applied to the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedStatement {
    /// Which kind of policy it is in.
    pub source: PolicySource,
    /// The policy's name.
    pub policy: Arc<str>,
    /// The statement's index in the policy.
    pub index: usize,
    /// The statement's `Sid`.
    pub sid: Option<Arc<str>>,
    /// Its effect.
    pub effect: Effect,
    /// For resource policies: how the `Principal` matched the caller.
    pub principal_match: Option<PrincipalMatch>,
    /// True if this statement is part of why the decision came out as it did.
    pub decisive: bool,
}

/// Everything that applied, and the outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub(crate) decision: Decision,
    pub(crate) reason: Reason,
    pub(crate) matched: SmallVec<[MatchedStatement; 4]>,
    pub(crate) notes: SmallVec<[&'static str; 2]>,
}

impl Explanation {
    pub(crate) fn new() -> Explanation {
        Explanation {
            decision: Decision::ImplicitDeny,
            reason: Reason::NoIdentityAllow,
            matched: SmallVec::new(),
            notes: SmallVec::new(),
        }
    }

    /// The decision.
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// The reason label.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The statements that applied, identity policies first, then session policies, then the
    /// resource policy, each in document order.
    pub fn matched(&self) -> &[MatchedStatement] {
        &self.matched
    }

    /// Extra remarks (account delegation, the root user…).
    pub fn notes(&self) -> &[&'static str] {
        &self.notes
    }

    /// The explanation with the request it is about, as the simulator prints it.
    pub fn for_request<'a>(
        &'a self,
        principal: &'a Principal,
        action: &'a str,
        resource: &'a str,
    ) -> RequestExplanation<'a> {
        RequestExplanation {
            explanation: self,
            principal,
            action,
            resource,
        }
    }
}

impl fmt::Display for MatchedStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?}, statement {}",
            self.source.describe(),
            &*self.policy,
            self.index
        )?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid {:?})", &**sid)?;
        }
        write!(f, ": {}", self.effect.as_str())?;
        if let Some(m) = self.principal_match {
            write!(f, ", principal {}", m.describe())?;
        }
        if self.decisive {
            f.write_str(" [decisive]")?;
        }
        Ok(())
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "EvalDecision: {} ({})",
            self.decision.simulator_name(),
            self.reason.label()
        )?;
        if self.matched.is_empty() {
            f.write_str("MatchedStatements: none")?;
        } else {
            f.write_str("MatchedStatements:")?;
            for m in &self.matched {
                write!(f, "\n  - {m}")?;
            }
        }
        for n in &self.notes {
            write!(f, "\nNote: {n}")?;
        }
        Ok(())
    }
}

/// An explanation with its request; see [`Explanation::for_request`].
#[derive(Clone, Copy, Debug)]
pub struct RequestExplanation<'a> {
    explanation: &'a Explanation,
    principal: &'a Principal,
    action: &'a str,
    resource: &'a str,
}

impl fmt::Display for RequestExplanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Principal: {}", self.principal.display_name())?;
        writeln!(f, "EvalActionName: {}", self.action)?;
        writeln!(f, "EvalResourceName: {}", self.resource)?;
        write!(f, "{}", self.explanation)
    }
}
