//! # iam — a pure IAM policy engine
//!
//! Portcullis reproduces Amazon API Gateway's security model so that real AWS clients work
//! against it unmodified and get the decisions AWS would make. This crate is the policy half of
//! that: it parses AWS policy documents, evaluates them against a request, combines identity,
//! session and resource policies the way API Gateway does, and explains the outcome.
//!
//! ## Shape
//!
//! parser → model → compiled/indexed form → evaluator → authorizer, each in its own module:
//!
//! * [`parse`]: JSON → [`Policy`], with AWS's validation and errors that name the statement and
//!   a JSON pointer ([`PolicyError`]).
//! * [`model`]: the policy as written, alongside its compiled form — globs (`glob`), per-component
//!   ARN patterns (`arn`), policy variables (`variables`), conditions ([`condition`]) with CIDRs,
//!   numbers and dates pre-parsed.
//! * `index`: statements filed by action, so evaluating `execute-api:Invoke` touches only the
//!   statements that can match it. [`PolicySet`] indexes a principal's policies together.
//! * `evaluate` and [`authorize()`]: statement matching, then AWS's and API Gateway's
//!   combination tables, giving an [`Authorization`] with a [`Decision`], a [`Reason`] label for
//!   metrics and an [`Explanation`]. [`authorize_assume_role`] is IAM's rule for role trust
//!   policies (`sts:AssumeRole`), where the trust policy must always allow.
//! * [`Principal`], [`RequestContext`], and the identity [`Directory`] built from configuration.
//!
//! ```
//! use iam::*;
//!
//! let policy = Policy::from_json_str(
//!     r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
//!         "Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:abc123/prod/*"}]}"#,
//!     &ParseOptions::identity(),
//! ).unwrap();
//! let identity = PolicySet::new([NamedPolicy::new("InvokeProd", policy)]);
//! let alice = Principal::user("123456789012", "alice");
//! let context = RequestContext::for_principal(&alice);
//! let resource = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets";
//! let result = authorize(&AuthzInput {
//!     principal: &alice,
//!     action: "execute-api:Invoke",
//!     resource,
//!     context: &context,
//!     resource_account: "123456789012",
//!     identity: Some(&identity),
//!     session_policies: None,
//!     resource_policy: None,
//! });
//! assert!(result.is_allowed());
//! ```
//!
//! ## Invariants
//!
//! * **Pure and deterministic.** No I/O, no async, no clock, no randomness: the caller puts the
//!   time (`aws:CurrentTime`, `aws:EpochTime`), the source IP and the rest in the
//!   [`RequestContext`]. The same inputs always give the same decision and explanation.
//! * **No panics** on any input: library code has no `unwrap`, `expect` or panicking indexing;
//!   policies arriving over the network (an STS session `Policy`) are fuzzed.
//! * **Nothing secret leaks.** [`Secret`]'s `Debug`/`Display` are redacted; explanations name
//!   policies, statement indexes, `Sid`s and effects — never policy contents or context values.
//! * **Bounded work.** Wildcard matching never backtracks (linear in the text for a fixed
//!   pattern); evaluation does no parsing of policy values.
//!
//! ## The AWS documents each rule follows
//!
//! * Grammar and elements: IAM User Guide, "Grammar of the IAM JSON policy language", "IAM JSON
//!   policy elements" (Version, Statement, Sid, Effect, Principal, NotPrincipal, Action,
//!   NotAction, Resource, NotResource, Condition).
//! * Conditions: "Condition operators", "Creating a condition with multiple keys or values"
//!   (set operators), "AWS global condition context keys".
//! * Variables: "IAM policy elements: Variables and tags".
//! * Decisions: "Policy evaluation logic", "Policy evaluation for requests within a single
//!   account", "Cross-account policy evaluation logic", "Session policies"; for roles, "How to
//!   use trust policies with IAM roles" and "Roles terms and concepts" (trust policy).
//! * API Gateway: "How API Gateway resource policies affect authorization workflow" (Tables A
//!   and B) and the knowledge-center pages on 403 errors for the message wording.
//! * Identifiers: "IAM identifiers" (ARNs, unique ids) and the AWS managed policy reference.

// On the request path: input that reaches this crate comes from clients, so no code path may
// panic on it. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod condition;
pub mod model;
pub mod parse;

mod arn;
mod authorize;
mod context;
mod datetime;
mod directory;
mod error;
mod evaluate;
mod explain;
mod glob;
mod index;
mod managed;
mod policy_set;
mod principal;
mod secret;
mod variables;

pub use authorize::{
    Authorization, AuthzInput, Decision, Reason, authorize, authorize_assume_role, mask_account,
};
pub use condition::{Condition, Operator, SetQualifier};
pub use context::{ContextValue, RequestContext};
pub use directory::{
    Directory, DirectoryBuilder, DirectoryError, KeyEntry, Role, RoleSpec, User, UserSpec,
};
pub use error::{PolicyError, PolicyErrorKind, StatementLocation};
pub use explain::{Explanation, MatchedStatement, PolicySource, RequestExplanation};
pub use glob::Glob;
#[cfg(feature = "step-count")]
pub use glob::take_steps as take_glob_steps;
pub use managed::{ADMINISTRATOR_ACCESS, API_GATEWAY_INVOKE_FULL_ACCESS, aws_managed_policy};
pub use model::{
    ActionClause, ActionPattern, Effect, ParseOptions, Policy, PolicyKind, PolicyVersion,
    PrincipalClause, PrincipalEntry, PrincipalId, PrincipalMatch, ResourceClause, ResourcePattern,
    Statement,
};
pub use policy_set::{NamedPolicy, PolicySet};
pub use principal::{PARTITION, Principal, PrincipalKind, role_arn, unique_id};
pub use secret::Secret;
