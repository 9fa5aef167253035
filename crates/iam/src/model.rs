//! The policy model: what a parsed policy says, with every pattern already compiled.
//!
//! The types here mirror AWS's JSON grammar ("Grammar of the IAM JSON policy language") one to
//! one, and keep the text as written (after the `execute-api:/…` expansion) so that tools, the
//! explanation and the reference evaluator in the tests can read it. Next to the text sits the
//! compiled form the evaluator uses: lowercased action globs, per-component ARN patterns,
//! parsed CIDRs, numbers and dates.

use std::sync::Arc;

use crate::arn::ArnPattern;
use crate::condition::Condition;
use crate::context::RequestContext;
use crate::glob::Glob;
use crate::index::ActionIndex;
use crate::principal::{Principal, PrincipalKind};

/// Which kind of policy a document is; decides which elements are required or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user or role (and session policies): no `Principal`.
    Identity,
    /// Attached to a resource (API Gateway's `x-amazon-apigateway-policy`): `Principal` required.
    Resource,
    /// A role's trust policy: `Principal` required, `Resource` refused (as IAM does).
    Trust,
}

impl PolicyKind {
    /// Lowercase name for messages.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity-based",
            PolicyKind::Resource => "resource-based",
            PolicyKind::Trust => "trust",
        }
    }
}

/// The policy language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyVersion {
    /// `2008-10-17`, also what an absent `Version` means: no policy variables.
    V2008_10_17,
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
}

impl PolicyVersion {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVersion::V2008_10_17 => "2008-10-17",
            PolicyVersion::V2012_10_17 => "2012-10-17",
        }
    }

    /// True if policy variables are substituted.
    pub fn substitutes_variables(self) -> bool {
        self == PolicyVersion::V2012_10_17
    }
}

/// How a policy is parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// The kind of policy.
    pub kind: PolicyKind,
    /// For API Gateway resource policies: `arn:aws:execute-api:{region}:{account}:{apiId}`,
    /// used to expand the abbreviated `execute-api:/stage/METHOD/path` form.
    pub execute_api_arn_prefix: Option<String>,
}

impl ParseOptions {
    /// Options for an identity-based (or session) policy.
    pub fn identity() -> ParseOptions {
        ParseOptions {
            kind: PolicyKind::Identity,
            execute_api_arn_prefix: None,
        }
    }

    /// Options for a resource-based policy, optionally with the API's ARN prefix.
    pub fn resource(execute_api_arn_prefix: Option<String>) -> ParseOptions {
        ParseOptions {
            kind: PolicyKind::Resource,
            execute_api_arn_prefix,
        }
    }

    /// Options for a role trust policy.
    pub fn trust() -> ParseOptions {
        ParseOptions {
            kind: PolicyKind::Trust,
            execute_api_arn_prefix: None,
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies, overriding any allow.
    Deny,
}

impl Effect {
    /// `Allow` or `Deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// A parsed, compiled policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) version: PolicyVersion,
    pub(crate) id: Option<String>,
    pub(crate) kind: PolicyKind,
    pub(crate) statements: Vec<Statement>,
    pub(crate) index: ActionIndex<u32>,
    reads_request_context: bool,
}

impl Policy {
    /// Parses a policy document (see [`crate::parse`] for the rules).
    pub fn parse(
        doc: &serde_json::Value,
        opts: &ParseOptions,
    ) -> Result<Policy, crate::PolicyError> {
        crate::parse::parse_policy(doc, opts)
    }

    /// Parses a policy document from JSON text.
    pub fn from_json_str(text: &str, opts: &ParseOptions) -> Result<Policy, crate::PolicyError> {
        let doc: serde_json::Value =
            serde_json::from_str(text).map_err(|e| crate::PolicyError::json(e.to_string()))?;
        Policy::parse(&doc, opts)
    }

    pub(crate) fn new(
        version: PolicyVersion,
        id: Option<String>,
        kind: PolicyKind,
        statements: Vec<Statement>,
    ) -> Policy {
        let mut index = ActionIndex::default();
        for (i, s) in statements.iter().enumerate() {
            index.insert(&s.action, u32::try_from(i).unwrap_or(u32::MAX));
        }
        index.finish();
        // Only conditions and policy variables read the request context (variables may name
        // any key, so any `${` in a resource counts).
        let reads_request_context = statements.iter().any(|s| {
            !s.conditions.is_empty()
                || (version.substitutes_variables()
                    && s.resource
                        .as_ref()
                        .is_some_and(|r| r.patterns.iter().any(|p| p.raw.contains("${"))))
        });
        Policy {
            version,
            id,
            kind,
            statements,
            index,
            reads_request_context,
        }
    }

    /// Whether evaluating the policy can read the request context: false when no statement has
    /// a condition or a policy variable, so a caller may skip building the context's
    /// request-dependent keys.
    pub fn reads_request_context(&self) -> bool {
        self.reads_request_context
    }

    /// The `Version` element (absent reads as 2008-10-17).
    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    /// The `Id` element.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The kind the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

/// One statement.
#[derive(Clone, Debug)]
pub struct Statement {
    pub(crate) sid: Option<Arc<str>>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalClause>,
    pub(crate) action: ActionClause,
    pub(crate) resource: Option<ResourceClause>,
    pub(crate) conditions: Box<[Condition]>,
}

impl Statement {
    /// The `Sid`.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The `Effect`.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// `Principal` or `NotPrincipal` (absent in identity policies).
    pub fn principal(&self) -> Option<&PrincipalClause> {
        self.principal.as_ref()
    }

    /// `Action` or `NotAction`.
    pub fn action(&self) -> &ActionClause {
        &self.action
    }

    /// `Resource` or `NotResource` (absent in trust policies, where it means the role itself).
    pub fn resource(&self) -> Option<&ResourceClause> {
        self.resource.as_ref()
    }

    /// The conditions, all of which must hold.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    pub(crate) fn sid_arc(&self) -> Option<Arc<str>> {
        self.sid.clone()
    }

    /// Resource and conditions (the action is checked by the index, the principal separately).
    pub(crate) fn resource_and_conditions_hold(
        &self,
        resource: &str,
        arn: Option<&[&str; 6]>,
        ctx: &RequestContext,
    ) -> bool {
        self.resource
            .as_ref()
            .is_none_or(|r| r.matches(resource, arn, ctx))
            && self.conditions.iter().all(|c| c.evaluate(ctx))
    }
}

/// `Action` (or, negated, `NotAction`).
#[derive(Clone, Debug)]
pub struct ActionClause {
    pub(crate) negated: bool,
    pub(crate) patterns: Box<[ActionPattern]>,
}

impl ActionClause {
    /// True for `NotAction`.
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// The patterns.
    pub fn patterns(&self) -> &[ActionPattern] {
        &self.patterns
    }

    /// True if the clause covers the (lowercased) action.
    pub(crate) fn matches(&self, action_lc: &str) -> bool {
        self.patterns.iter().any(|p| p.glob.is_match(action_lc)) != self.negated
    }
}

/// One action pattern such as `execute-api:Invoke` or `s3:Get*`; matched case-insensitively.
#[derive(Clone, Debug)]
pub struct ActionPattern {
    pub(crate) raw: String,
    /// Compiled from the lowercased pattern.
    pub(crate) glob: Glob,
}

impl ActionPattern {
    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// `Resource` (or, negated, `NotResource`).
#[derive(Clone, Debug)]
pub struct ResourceClause {
    pub(crate) negated: bool,
    pub(crate) patterns: Box<[ResourcePattern]>,
}

impl ResourceClause {
    /// True for `NotResource`.
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// The patterns.
    pub fn patterns(&self) -> &[ResourcePattern] {
        &self.patterns
    }

    /// `arn` is the split request resource; a resource that is not an ARN only matches `*`.
    pub(crate) fn matches(
        &self,
        resource: &str,
        arn: Option<&[&str; 6]>,
        ctx: &RequestContext,
    ) -> bool {
        let any = self.patterns.iter().any(|p| match &p.matcher {
            ResourceMatcher::Any => true,
            ResourceMatcher::Arn(pat) => arn.is_some_and(|a| pat.matches(resource, a, ctx)),
        });
        any != self.negated
    }
}

/// One resource pattern: `*` or an ARN pattern.
#[derive(Clone, Debug)]
pub struct ResourcePattern {
    pub(crate) raw: String,
    pub(crate) matcher: ResourceMatcher,
}

#[derive(Clone, Debug)]
pub(crate) enum ResourceMatcher {
    Any,
    Arn(ArnPattern),
}

impl ResourcePattern {
    /// The pattern as written, with `execute-api:/…` expanded to a full ARN.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// `Principal` (or, negated, `NotPrincipal`).
#[derive(Clone, Debug)]
pub struct PrincipalClause {
    pub(crate) negated: bool,
    pub(crate) entries: Box<[PrincipalEntry]>,
}

/// One principal named by a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalEntry {
    /// The map key it appeared under (`AWS`, `Service`, `Federated`, `CanonicalUser`), or `*`
    /// for the bare `"Principal": "*"`.
    pub key: &'static str,
    /// The value as written.
    pub raw: String,
    /// What it names.
    pub id: PrincipalId,
}

/// What a principal entry names, normalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalId {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    Everyone,
    /// An account, from `123456789012` or `arn:aws:iam::123456789012:root`.
    Account(String),
    /// A user, role, assumed-role session or federated user ARN.
    Arn(String),
    /// A service principal, lowercased.
    Service(String),
    /// A web identity or SAML provider.
    Federated(String),
    /// An S3 canonical user id (accepted, never matches: there is no S3 here).
    CanonicalUser(String),
}

/// How a resource-policy statement's `Principal` matched the caller. Ordered from weakest to
/// strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// Only through the caller's account (`123456789012` or `…:root`): delegation to the
    /// account, which grants nothing unless the identity policies also allow.
    Account,
    /// Through the role of a role session: granted, but still limited by session policies.
    Role,
    /// The caller by its own ARN (or the root user by its account).
    Own,
    /// `"*"`, or a `NotPrincipal` that does not exclude the caller.
    Wildcard,
}

impl PrincipalMatch {
    /// Short description for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            PrincipalMatch::Account => "through the caller's account (delegation only)",
            PrincipalMatch::Role => "through the caller's role",
            PrincipalMatch::Own => "naming the caller",
            PrincipalMatch::Wildcard => "matching everyone",
        }
    }
}

/// The identities a caller presents to a `Principal` element: its own ARN, its role, its account.
#[derive(Clone, Copy, Debug)]
enum Ident<'a> {
    Anonymous,
    Own(&'a str),
    Role(&'a str),
    Account(&'a str),
    Service(&'a str),
    Federated(&'a str),
}

fn identities(p: &Principal) -> smallvec::SmallVec<[Ident<'_>; 3]> {
    let mut out = smallvec::SmallVec::new();
    match p.kind() {
        PrincipalKind::Anonymous => out.push(Ident::Anonymous),
        PrincipalKind::Service { name } => out.push(Ident::Service(name)),
        PrincipalKind::WebIdentity { provider } => {
            out.push(Ident::Federated(provider));
            // An OIDC provider is also named by its IAM ARN (`Principal::oidc_web_identity`).
            if p.arn() != provider {
                out.push(Ident::Federated(p.arn()));
            }
        }
        PrincipalKind::Account => out.push(Ident::Account(p.account())),
        PrincipalKind::User { .. } | PrincipalKind::FederatedUser { .. } => {
            out.push(Ident::Own(p.arn()));
            out.push(Ident::Account(p.account()));
        }
        PrincipalKind::AssumedRole { role_arn, .. } => {
            out.push(Ident::Own(p.arn()));
            out.push(Ident::Role(role_arn));
            out.push(Ident::Account(p.account()));
        }
    }
    out
}

impl PrincipalId {
    /// How strongly this entry covers one identity of the caller, if at all.
    fn covers(&self, ident: Ident<'_>, caller_is_root: bool) -> Option<PrincipalMatch> {
        match (self, ident) {
            (PrincipalId::Everyone, _) => Some(PrincipalMatch::Wildcard),
            (PrincipalId::Account(a), Ident::Account(b)) if a == b => Some(if caller_is_root {
                PrincipalMatch::Own
            } else {
                PrincipalMatch::Account
            }),
            (PrincipalId::Arn(a), Ident::Own(b)) if a == b => Some(PrincipalMatch::Own),
            (PrincipalId::Arn(a), Ident::Role(b)) if a == b => Some(PrincipalMatch::Role),
            (PrincipalId::Service(a), Ident::Service(b)) if a.eq_ignore_ascii_case(b) => {
                Some(PrincipalMatch::Own)
            }
            (PrincipalId::Federated(a), Ident::Federated(b)) if a == b => Some(PrincipalMatch::Own),
            _ => None,
        }
    }
}

impl PrincipalClause {
    /// True for `NotPrincipal`.
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// The entries.
    pub fn entries(&self) -> &[PrincipalEntry] {
        &self.entries
    }

    /// Whether the statement applies to the caller, and how.
    ///
    /// `Principal` applies if any entry covers any of the caller's identities; the strongest
    /// match wins. `NotPrincipal` applies unless *every* identity of the caller is listed: as
    /// the NotPrincipal page warns, AWS may check the account, then the role, then the session,
    /// so excluding a session needs all three listed.
    pub(crate) fn matches(&self, p: &Principal) -> Option<PrincipalMatch> {
        let root = matches!(p.kind(), PrincipalKind::Account);
        let ids = identities(p);
        if self.negated {
            let all_listed = ids
                .iter()
                .all(|&id| self.entries.iter().any(|e| e.id.covers(id, root).is_some()));
            return (!all_listed).then_some(PrincipalMatch::Wildcard);
        }
        self.entries
            .iter()
            .flat_map(|e| ids.iter().filter_map(|&id| e.id.covers(id, root)))
            .max()
    }
}
