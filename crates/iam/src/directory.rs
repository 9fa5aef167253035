//! The identity directory: users, roles, access keys and named policies from the `iam:`
//! configuration section, validated once and then looked up per request.
//!
//! The configuration layer turns YAML into the specs below; [`DirectoryBuilder::build`] checks
//! everything at once and reports every problem it finds (unknown policy names, duplicate
//! users, roles or access key ids, principals in accounts that are not listed, malformed names)
//! so that an operator fixes a configuration in one pass.
//!
//! Secrets are wrapped in [`Secret`], whose `Debug` and `Display` are redacted; no error or
//! explanation ever contains one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::managed::aws_managed_policy;
use crate::model::{Policy, PolicyKind};
use crate::policy_set::{NamedPolicy, PolicySet};
use crate::principal::{PARTITION, Principal, role_arn, unique_id};
use crate::secret::Secret;

/// A configured IAM user.
#[derive(Clone, Debug)]
pub struct UserSpec {
    /// The user name.
    pub name: String,
    /// The account; the directory's own account when `None`.
    pub account: Option<String>,
    /// Access key id and secret pairs.
    pub access_keys: Vec<(String, Secret)>,
    /// Names (or ARNs) of attached policies.
    pub policies: Vec<String>,
    /// IAM tags.
    pub tags: BTreeMap<String, String>,
}

impl UserSpec {
    /// A user with nothing attached yet.
    pub fn new(name: impl Into<String>) -> UserSpec {
        UserSpec {
            name: name.into(),
            account: None,
            access_keys: Vec::new(),
            policies: Vec::new(),
            tags: BTreeMap::new(),
        }
    }
}

/// A configured IAM role.
#[derive(Clone, Debug)]
pub struct RoleSpec {
    /// The role name.
    pub name: String,
    /// The account; the directory's own account when `None`.
    pub account: Option<String>,
    /// Who may assume the role (parsed with `ParseOptions::trust()`).
    pub trust_policy: Policy,
    /// Names (or ARNs) of attached policies.
    pub policies: Vec<String>,
    /// IAM tags, which become the sessions' principal tags.
    pub tags: BTreeMap<String, String>,
    /// Between one and twelve hours, as in IAM.
    pub max_session_duration: Duration,
}

impl RoleSpec {
    /// A role with the default maximum session duration of one hour.
    pub fn new(name: impl Into<String>, trust_policy: Policy) -> RoleSpec {
        RoleSpec {
            name: name.into(),
            account: None,
            trust_policy,
            policies: Vec::new(),
            tags: BTreeMap::new(),
            max_session_duration: Duration::from_secs(3600),
        }
    }
}

/// A configuration problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    #[error("invalid account id {0:?}: expected 12 digits")]
    InvalidAccountId(String),
    #[error("{principal}: account {account} is not listed in the configuration's accounts")]
    UnknownAccount { principal: String, account: String },
    #[error("invalid {what} name {name:?}: 1-{max} characters of A-Z a-z 0-9 + = , . @ _ -")]
    InvalidName {
        what: &'static str,
        name: String,
        max: usize,
    },
    #[error("policy {0:?} is defined twice")]
    DuplicatePolicy(String),
    #[error(
        "policy {name:?} is a {kind} policy; only identity-based policies can be attached to users and roles"
    )]
    NotAnIdentityPolicy { name: String, kind: &'static str },
    #[error("{principal}: unknown policy {policy:?}")]
    UnknownPolicy { principal: String, policy: String },
    #[error("user {0} is defined twice")]
    DuplicateUser(String),
    #[error("role {0} is defined twice")]
    DuplicateRole(String),
    #[error("{principal}: invalid access key id {key_id:?}: 16-128 characters of A-Z a-z 0-9 _")]
    InvalidAccessKeyId { principal: String, key_id: String },
    #[error("{principal}: the secret for access key id {key_id} is empty")]
    EmptySecret { principal: String, key_id: String },
    #[error("access key id {key_id} is given to both {first} and {second}")]
    DuplicateAccessKey {
        key_id: String,
        first: String,
        second: String,
    },
    #[error("role {role}: the trust policy was parsed as a {kind} policy, not a trust policy")]
    NotATrustPolicy { role: String, kind: &'static str },
    #[error("role {role}: max session duration of {seconds}s is outside 3600-43200s")]
    InvalidMaxSessionDuration { role: String, seconds: u64 },
}

/// A user in the directory.
#[derive(Clone, Debug)]
pub struct User {
    principal: Arc<Principal>,
    policies: Arc<PolicySet>,
}

impl User {
    /// The user as a principal.
    pub fn principal(&self) -> &Arc<Principal> {
        &self.principal
    }

    /// The attached policies.
    pub fn policies(&self) -> &Arc<PolicySet> {
        &self.policies
    }
}

/// A role in the directory.
#[derive(Clone, Debug)]
pub struct Role {
    arn: String,
    name: String,
    account: String,
    unique_id: String,
    trust_policy: NamedPolicy,
    policies: Arc<PolicySet>,
    tags: BTreeMap<String, String>,
    max_session_duration: Duration,
}

impl Role {
    /// `arn:aws:iam::{account}:role/{name}`.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The role name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The owning account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The role's unique id (`AROA…`).
    pub fn unique_id(&self) -> &str {
        &self.unique_id
    }

    /// The trust policy, named `{role name} trust policy` in explanations.
    pub fn trust_policy(&self) -> &NamedPolicy {
        &self.trust_policy
    }

    /// The attached policies.
    pub fn policies(&self) -> &Arc<PolicySet> {
        &self.policies
    }

    /// IAM tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// The longest session the role allows.
    pub fn max_session_duration(&self) -> Duration {
        self.max_session_duration
    }

    /// The principal of a session of this role, tagged with the role's tags.
    pub fn session_principal(&self, session_name: &str) -> Principal {
        Principal::assumed_role(&self.account, &self.name, session_name)
            .with_tags(self.tags.clone())
    }

    /// A session principal with session tags, which override role tags of the same key.
    pub fn session_principal_with_tags(
        &self,
        session_name: &str,
        session_tags: &BTreeMap<String, String>,
    ) -> Principal {
        let mut tags = self.tags.clone();
        tags.extend(session_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        Principal::assumed_role(&self.account, &self.name, session_name).with_tags(tags)
    }
}

/// What an access key id unlocks.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    principal: Arc<Principal>,
    secret: Secret,
    policies: Arc<PolicySet>,
}

impl KeyEntry {
    /// The key's owner.
    pub fn principal(&self) -> &Arc<Principal> {
        &self.principal
    }

    /// The secret access key.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The owner's identity-based policies.
    pub fn policies(&self) -> &Arc<PolicySet> {
        &self.policies
    }

    /// The names of the owner's policies.
    pub fn policy_names(&self) -> impl Iterator<Item = &str> {
        self.policies.policies().iter().map(NamedPolicy::name)
    }
}

/// Collects the `iam:` configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct DirectoryBuilder {
    own_account: String,
    accounts: Vec<String>,
    policies: Vec<(String, Policy)>,
    users: Vec<UserSpec>,
    roles: Vec<RoleSpec>,
}

/// The validated directory.
#[derive(Clone, Debug)]
pub struct Directory {
    own_account: String,
    accounts: BTreeSet<String>,
    policies: BTreeMap<String, NamedPolicy>,
    users: BTreeMap<String, User>,
    roles: BTreeMap<String, Role>,
    keys: HashMap<String, KeyEntry>,
}

fn valid_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn valid_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn valid_account(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

impl DirectoryBuilder {
    /// Starts a directory whose own account is `own_account` (always listed).
    pub fn new(own_account: impl Into<String>) -> DirectoryBuilder {
        DirectoryBuilder {
            own_account: own_account.into(),
            accounts: Vec::new(),
            policies: Vec::new(),
            users: Vec::new(),
            roles: Vec::new(),
        }
    }

    /// Lists another account principals may belong to.
    pub fn account(mut self, id: impl Into<String>) -> Self {
        self.accounts.push(id.into());
        self
    }

    /// Defines a named (customer managed) policy.
    pub fn policy(mut self, name: impl Into<String>, policy: Policy) -> Self {
        self.policies.push((name.into(), policy));
        self
    }

    /// Adds a user.
    pub fn user(mut self, spec: UserSpec) -> Self {
        self.users.push(spec);
        self
    }

    /// Adds a role.
    pub fn role(mut self, spec: RoleSpec) -> Self {
        self.roles.push(spec);
        self
    }

    /// Validates everything and builds the directory, or returns every problem found.
    pub fn build(self) -> Result<Directory, Vec<DirectoryError>> {
        let mut errors = Vec::new();
        let mut accounts = BTreeSet::new();
        for id in std::iter::once(&self.own_account).chain(&self.accounts) {
            if valid_account(id) {
                accounts.insert(id.clone());
            } else {
                errors.push(DirectoryError::InvalidAccountId(id.clone()));
            }
        }
        let mut policies = BTreeMap::new();
        for (name, policy) in self.policies {
            if !valid_name(&name, 128) {
                errors.push(DirectoryError::InvalidName {
                    what: "policy",
                    name,
                    max: 128,
                });
            } else if policy.kind() != PolicyKind::Identity {
                errors.push(DirectoryError::NotAnIdentityPolicy {
                    name,
                    kind: policy.kind().name(),
                });
            } else if policies.contains_key(&name) {
                errors.push(DirectoryError::DuplicatePolicy(name));
            } else {
                policies.insert(name.clone(), NamedPolicy::new(name, policy));
            }
        }
        let mut dir = Directory {
            own_account: self.own_account.clone(),
            accounts,
            policies,
            users: BTreeMap::new(),
            roles: BTreeMap::new(),
            keys: HashMap::new(),
        };
        for spec in self.users {
            dir.add_user(spec, &mut errors);
        }
        for spec in self.roles {
            dir.add_role(spec, &mut errors);
        }
        if errors.is_empty() {
            Ok(dir)
        } else {
            Err(errors)
        }
    }
}

impl Directory {
    fn resolve_account(
        &self,
        account: Option<String>,
        principal: &str,
        errors: &mut Vec<DirectoryError>,
    ) -> String {
        let account = account.unwrap_or_else(|| self.own_account.clone());
        if !valid_account(&account) {
            errors.push(DirectoryError::InvalidAccountId(account.clone()));
        } else if !self.accounts.contains(&account) {
            errors.push(DirectoryError::UnknownAccount {
                principal: principal.to_owned(),
                account: account.clone(),
            });
        }
        account
    }

    fn resolve_policies(
        &self,
        names: &[String],
        principal: &str,
        errors: &mut Vec<DirectoryError>,
    ) -> Arc<PolicySet> {
        let mut found = Vec::with_capacity(names.len());
        for name in names {
            match self.policy(name) {
                Some(p) => found.push(p),
                None => errors.push(DirectoryError::UnknownPolicy {
                    principal: principal.to_owned(),
                    policy: name.clone(),
                }),
            }
        }
        Arc::new(PolicySet::new(found))
    }

    fn add_user(&mut self, spec: UserSpec, errors: &mut Vec<DirectoryError>) {
        if !valid_name(&spec.name, 64) {
            errors.push(DirectoryError::InvalidName {
                what: "user",
                name: spec.name,
                max: 64,
            });
            return;
        }
        let label = format!("user {}", spec.name);
        let account = self.resolve_account(spec.account, &label, errors);
        let principal = Arc::new(Principal::user(&account, &spec.name).with_tags(spec.tags));
        let arn = principal.arn().to_owned();
        if self.users.contains_key(&arn) {
            errors.push(DirectoryError::DuplicateUser(arn));
            return;
        }
        let policies = self.resolve_policies(&spec.policies, &arn, errors);
        for (key_id, secret) in spec.access_keys {
            if !valid_key_id(&key_id) {
                errors.push(DirectoryError::InvalidAccessKeyId {
                    principal: arn.clone(),
                    key_id,
                });
                continue;
            }
            if secret.expose().is_empty() {
                errors.push(DirectoryError::EmptySecret {
                    principal: arn.clone(),
                    key_id,
                });
                continue;
            }
            if let Some(prev) = self.keys.get(&key_id) {
                errors.push(DirectoryError::DuplicateAccessKey {
                    first: prev.principal.arn().to_owned(),
                    second: arn.clone(),
                    key_id,
                });
                continue;
            }
            self.keys.insert(
                key_id,
                KeyEntry {
                    principal: principal.clone(),
                    secret,
                    policies: policies.clone(),
                },
            );
        }
        self.users.insert(
            arn,
            User {
                principal,
                policies,
            },
        );
    }

    fn add_role(&mut self, spec: RoleSpec, errors: &mut Vec<DirectoryError>) {
        if !valid_name(&spec.name, 64) {
            errors.push(DirectoryError::InvalidName {
                what: "role",
                name: spec.name,
                max: 64,
            });
            return;
        }
        let label = format!("role {}", spec.name);
        let account = self.resolve_account(spec.account, &label, errors);
        let arn = role_arn(&account, &spec.name);
        if self.roles.contains_key(&arn) {
            errors.push(DirectoryError::DuplicateRole(arn));
            return;
        }
        if spec.trust_policy.kind() != PolicyKind::Trust {
            errors.push(DirectoryError::NotATrustPolicy {
                role: arn.clone(),
                kind: spec.trust_policy.kind().name(),
            });
        }
        let seconds = spec.max_session_duration.as_secs();
        if !(3600..=43_200).contains(&seconds) {
            errors.push(DirectoryError::InvalidMaxSessionDuration {
                role: arn.clone(),
                seconds,
            });
        }
        let policies = self.resolve_policies(&spec.policies, &arn, errors);
        let role = Role {
            unique_id: unique_id("AROA", &arn),
            trust_policy: NamedPolicy::new(
                format!("{} trust policy", spec.name),
                spec.trust_policy,
            ),
            name: spec.name,
            account,
            policies,
            tags: spec.tags,
            max_session_duration: spec.max_session_duration,
            arn: arn.clone(),
        };
        self.roles.insert(arn, role);
    }

    /// The gateway's own account.
    pub fn own_account(&self) -> &str {
        &self.own_account
    }

    /// Every listed account, the own account included.
    pub fn accounts(&self) -> &BTreeSet<String> {
        &self.accounts
    }

    /// What an access key id unlocks.
    pub fn access_key(&self, key_id: &str) -> Option<&KeyEntry> {
        self.keys.get(key_id)
    }

    /// Every long-term access key, by id.
    pub fn access_keys(&self) -> impl Iterator<Item = (&str, &KeyEntry)> {
        self.keys.iter().map(|(id, entry)| (id.as_str(), entry))
    }

    /// A user by ARN, or by name in the own account.
    pub fn user(&self, arn_or_name: &str) -> Option<&User> {
        self.users.get(arn_or_name).or_else(|| {
            let arn = format!(
                "arn:{PARTITION}:iam::{}:user/{arn_or_name}",
                self.own_account
            );
            self.users.get(&arn)
        })
    }

    /// A role by ARN, or by name in the own account.
    pub fn role(&self, arn_or_name: &str) -> Option<&Role> {
        self.roles
            .get(arn_or_name)
            .or_else(|| self.roles.get(&role_arn(&self.own_account, arn_or_name)))
    }

    /// A policy by configured name, by `arn:aws:iam::{account}:policy/{name}` for a configured
    /// one, or an AWS managed policy by name or ARN. Configured names are looked up first.
    pub fn policy(&self, name_or_arn: &str) -> Option<NamedPolicy> {
        if let Some(p) = self.policies.get(name_or_arn) {
            return Some(p.clone());
        }
        if let Some(rest) = name_or_arn.strip_prefix(&format!("arn:{PARTITION}:iam::"))
            && let Some((account, name)) = rest.split_once(":policy/")
            && self.accounts.contains(account)
            && let Some(p) = self.policies.get(name)
        {
            return Some(p.clone());
        }
        aws_managed_policy(name_or_arn)
    }

    /// The identity-based policies that apply to a principal: a user's own, or for a role
    /// session, the role's.
    pub fn identity_policies(&self, principal: &Principal) -> Option<&Arc<PolicySet>> {
        match principal.parent_arn() {
            Some(role) => self.roles.get(role).map(Role::policies),
            None => self.users.get(principal.arn()).map(User::policies),
        }
    }
}
