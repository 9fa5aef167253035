//! The `iam:` section: accounts, named policies, users with access keys, and roles.
//!
//! Policies are AWS JSON policy documents, inline (YAML or JSON syntax) or in files named by a
//! path relative to the configuration. A malformed policy is reported with the file, the line, and
//! the statement; a secret never appears in a report.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use iam::{Directory, DirectoryBuilder, ParseOptions, Policy, RoleSpec, Secret, UserSpec};
use serde::Deserialize;
use serde_json::Value;

use crate::load::Loader;
use crate::located::Located;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IamEntry {
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    policies: BTreeMap<String, Value>,
    #[serde(default)]
    users: Vec<Value>,
    #[serde(default)]
    roles: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    account: Option<String>,
    #[serde(default)]
    access_keys: Vec<AccessKeyEntry>,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessKeyEntry {
    id: String,
    secret: String,
}

// Hand-written so that a parse failure's debug output can never print a secret.
impl std::fmt::Debug for AccessKeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyEntry")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleEntry {
    name: String,
    account: Option<String>,
    trust_policy: Value,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    /// Seconds, as in IAM's `MaxSessionDuration`.
    max_session_duration: Option<u64>,
}

impl Loader {
    /// Builds the identity directory. `own_account` is always one of its accounts.
    pub(crate) fn iam(
        &mut self,
        value: Option<&Value>,
        own_account: &str,
    ) -> Option<Arc<Directory>> {
        let mut builder = DirectoryBuilder::new(own_account);
        let entry: IamEntry = match value {
            None | Some(Value::Null) => IamEntry::default(),
            Some(v) => self.typed(v, "/iam").unwrap_or_default(),
        };
        for account in &entry.accounts {
            builder = builder.account(account.clone());
        }
        for (name, source) in &entry.policies {
            let pointer = format!("/iam/policies/{}", restapi::import::escape(name));
            if let Some(policy) = self.policy(source, &pointer, &ParseOptions::identity()) {
                builder = builder.policy(name.clone(), policy);
            }
        }
        for (i, user) in entry.users.iter().enumerate() {
            let pointer = format!("/iam/users/{i}");
            let Some(user): Option<UserEntry> = self.typed(user, &pointer) else {
                continue;
            };
            builder = builder.user(UserSpec {
                name: user.name,
                account: user.account,
                access_keys: user
                    .access_keys
                    .into_iter()
                    .map(|k| (k.id, Secret::new(k.secret)))
                    .collect(),
                policies: user.policies,
                tags: user.tags,
            });
        }
        for (i, role) in entry.roles.iter().enumerate() {
            let pointer = format!("/iam/roles/{i}");
            let Some(role): Option<RoleEntry> = self.typed(role, &pointer) else {
                continue;
            };
            let trust_pointer = format!("{pointer}/trust_policy");
            let Some(trust) =
                self.policy(&role.trust_policy, &trust_pointer, &ParseOptions::trust())
            else {
                continue;
            };
            let mut spec = RoleSpec::new(role.name, trust);
            spec.account = role.account;
            spec.policies = role.policies;
            spec.tags = role.tags;
            if let Some(seconds) = role.max_session_duration {
                spec.max_session_duration = Duration::from_secs(seconds);
            }
            builder = builder.role(spec);
        }
        match builder.build() {
            Ok(directory) => Some(Arc::new(directory)),
            Err(errors) => {
                for e in errors {
                    self.error("/iam", e.to_string());
                }
                None
            }
        }
    }

    /// Parses a policy given inline or as a path to a JSON (or YAML) file.
    pub(crate) fn policy(
        &mut self,
        source: &Value,
        pointer: &str,
        options: &ParseOptions,
    ) -> Option<Policy> {
        match source {
            Value::String(path) => {
                let file = self.path(path);
                let doc = self.read_document(&file, pointer)?;
                parse_reporting(self, &doc.value, options, |loader, error| {
                    let at = error.pointer.clone();
                    loader
                        .report
                        .push(&file, doc.position(&at), Some(&at), error.to_string());
                })
            }
            Value::Object(_) => parse_reporting(self, source, options, |loader, error| {
                loader.error(&format!("{pointer}{}", error.pointer), error.to_string());
            }),
            _ => {
                self.error(
                    pointer,
                    "a policy is a JSON policy document (inline) or the path of a .json file",
                );
                None
            }
        }
    }

    /// Compiles an API's `x-amazon-apigateway-policy`, expanding API Gateway's `execute-api:/...`
    /// shorthand against the API's own ARN.
    pub(crate) fn resource_policy(
        &mut self,
        api_id: &str,
        policy: &Value,
        openapi_file: &Path,
        doc: &Located,
        region: &str,
        account: &str,
    ) -> Option<iam::NamedPolicy> {
        let prefix = format!("arn:aws:execute-api:{region}:{account}:{api_id}");
        let parsed = parse_reporting(
            self,
            policy,
            &ParseOptions::resource(Some(prefix)),
            |loader, error| {
                let at = format!("/x-amazon-apigateway-policy{}", error.pointer);
                loader.report.push(
                    openapi_file,
                    doc.position(&at),
                    Some(&at),
                    error.to_string(),
                );
            },
        )?;
        Some(iam::NamedPolicy::new(api_id, parsed))
    }
}

fn parse_reporting(
    loader: &mut Loader,
    value: &Value,
    options: &ParseOptions,
    report: impl FnOnce(&mut Loader, &iam::PolicyError),
) -> Option<Policy> {
    match Policy::parse(value, options) {
        Ok(p) => Some(p),
        Err(e) => {
            report(loader, &e);
            None
        }
    }
}
