//! Loading and checking a configuration file and the documents it names.
//!
//! Each section is deserialized on its own so that one mistake does not hide the next: the report
//! lists every problem in the file, then every problem in each OpenAPI document.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::Report;
use crate::located::Located;
use crate::{Config, DEFAULT_ADMIN_LISTEN, DEFAULT_LISTEN, DEFAULT_REGION};

// One module per section of docs/configuration.md: the top-level settings, `storage`, `server`,
// `apis` and their stages. The `iam` section is read by crate::directory.
mod apis;
mod functions;
mod identity_pools;
mod server;
mod site;
mod stage;
mod storage;
mod top_level;
mod usage;
mod user_pool_oauth;
mod user_pool_sign_in;
mod user_pools;

use top_level::is_region;

// The tests see this module's names through `use super::*`.
#[cfg(test)]
use crate::{LogDestination, LoggingLevel, ServerSettings, Storage};
#[cfg(test)]
use restapi::Verb;
#[cfg(test)]
use storage::parse_storage;

/// Command-line overrides applied on top of the file (`serve --listen ...`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
    pub storage: Option<String>,
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "region",
    "account_id",
    "listen",
    "admin_listen",
    "storage",
    "tls",
    "server",
    "apis",
    "iam",
    "account_throttle",
    "api_keys",
    "usage_plans",
    "user_pools",
    "identity_pools",
    "functions",
    "site",
];

pub fn load(path: &Path) -> Result<Config, Report> {
    load_with(path, &Overrides::default())
}

pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Config, Report> {
    let mut report = Report::default();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            report.push(
                path,
                None,
                None,
                format!("cannot read the configuration: {e}"),
            );
            return Err(report);
        }
    };
    let doc = match Located::parse(&text) {
        Ok(d) => d,
        Err(e) => {
            report.push(
                path,
                e.position,
                None,
                format!("invalid YAML: {}", e.message),
            );
            return Err(report);
        }
    };
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let mut loader = Loader {
        report,
        file: path.to_path_buf(),
        base,
        doc,
    };
    let config = loader.config(overrides);
    match config {
        Some(c) if loader.report.is_empty() => Ok(c),
        _ => Err(loader.report),
    }
}

pub(crate) struct Loader {
    pub(crate) report: Report,
    file: PathBuf,
    base: PathBuf,
    doc: Located,
}

impl Loader {
    pub(crate) fn error(&mut self, pointer: &str, message: impl Into<String>) {
        let position = self.doc.position(pointer);
        self.report
            .push(&self.file, position, Some(pointer), message);
    }

    /// Deserializes one node, reporting a failure at the exact field serde stopped at.
    pub(crate) fn typed<T: DeserializeOwned>(&mut self, value: &Value, pointer: &str) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(e) => {
                let mut at = pointer.to_string();
                for segment in e.path().iter() {
                    use serde_path_to_error::Segment;
                    match segment {
                        Segment::Seq { index } => at.push_str(&format!("/{index}")),
                        Segment::Map { key } => {
                            at.push('/');
                            at.push_str(&restapi::import::escape(key));
                        }
                        Segment::Enum { .. } | Segment::Unknown => {}
                    }
                }
                let message = e.inner().to_string();
                // serde names an unknown field in backticks; point at that key's line.
                if let Some(field) = message
                    .strip_prefix("unknown field `")
                    .and_then(|m| m.split('`').next())
                    && !at.ends_with(&format!("/{}", restapi::import::escape(field)))
                {
                    at.push('/');
                    at.push_str(&restapi::import::escape(field));
                }
                self.error(&at, message);
                None
            }
        }
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.base.join(relative)
    }

    fn config(&mut self, overrides: &Overrides) -> Option<Config> {
        let root = match &self.doc.value {
            Value::Object(map) => map.clone(),
            Value::Null => serde_json::Map::new(),
            _ => {
                self.error("", "the configuration must be a mapping of settings");
                return None;
            }
        };
        for key in root.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                let known = TOP_LEVEL_KEYS.join(", ");
                self.error(
                    &format!("/{}", restapi::import::escape(key)),
                    format!("unknown setting {key:?}; known settings are {known}"),
                );
            }
        }
        let region = self.string(&root, "region", DEFAULT_REGION);
        if !is_region(&region) {
            self.error(
                "/region",
                format!("{region:?} is not a region name like us-east-1"),
            );
        }
        let account_id = self.account_id(&root);
        let listen = self.addr(&root, "listen", DEFAULT_LISTEN, overrides.listen);
        let admin_listen = self.addr(
            &root,
            "admin_listen",
            DEFAULT_ADMIN_LISTEN,
            overrides.admin_listen,
        );
        let storage = self.storage(&root, overrides.storage.as_deref());
        let tls = self.tls(&root);
        let site = self.site(&root);
        let server = self.server(&root);
        let iam = self.iam(root.get("iam"), &account_id);
        let user_pools = self.user_pools(&root, &account_id);
        let identity_pools = self.identity_pools(&root, &account_id, &user_pools, iam.as_deref());
        let functions = self.functions(&root);
        let apis = self.apis(&root, &region, &account_id, &user_pools, &functions);
        self.check_edge_paths(&apis, &user_pools);
        let account_throttle = self.account_throttle(&root);
        let api_keys = self.api_keys(&root);
        let usage_plans = self.usage_plans(&root, &apis, &api_keys);
        Some(Config {
            file: self.file.clone(),
            region,
            account_id,
            listen: listen?,
            admin_listen: admin_listen?,
            storage: storage?,
            tls,
            site,
            server,
            apis,
            account_throttle,
            api_keys,
            usage_plans,
            user_pools,
            identity_pools,
            functions,
            iam: iam?,
        })
    }

    /// The user pools' endpoints (`/{poolId}/.well-known/…`, `/oauth2/…`, and the hosted
    /// sign-in page's `/login` and `/logout`) share the edge endpoint with `/{stage}/…`
    /// invocations: a stage named like one would be ambiguous.
    fn check_edge_paths(&mut self, apis: &[crate::ApiDeployment], pools: &[crate::UserPoolConfig]) {
        if pools.is_empty() {
            return;
        }
        for (i, api) in apis.iter().enumerate() {
            for stage in &api.stages {
                if ["oauth2", "login", "logout"].contains(&stage.name.as_str())
                    || pools.iter().any(|p| p.id == stage.name)
                {
                    self.error(
                        &format!("/apis/{i}/stages/{}", restapi::import::escape(&stage.name)),
                        format!("stage name {:?} is taken by the user pools' endpoints on the edge listener", stage.name),
                    );
                }
            }
        }
    }

    pub(super) fn string(
        &mut self,
        root: &serde_json::Map<String, Value>,
        key: &str,
        default: &str,
    ) -> String {
        match root.get(key) {
            None => default.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                self.error(&format!("/{key}"), format!("must be a string, got {other}"));
                default.to_string()
            }
        }
    }

    /// Reads and parses a YAML or JSON file the configuration names at `pointer`, reporting an
    /// unreadable file there and a syntax error in the file itself.
    pub(crate) fn read_document(&mut self, file: &Path, pointer: &str) -> Option<Located> {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                self.error(pointer, format!("cannot read {}: {e}", file.display()));
                return None;
            }
        };
        match Located::parse(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.report.push(
                    file,
                    e.position,
                    None,
                    format!("invalid YAML/JSON: {}", e.message),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod function_tests;
#[cfg(test)]
mod identity_pool_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod user_pool_tests;
