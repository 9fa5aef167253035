//! Loading and checking a configuration file and the documents it names.
//!
//! Each section is deserialized on its own so that one mistake does not hide the next: the report
//! lists every problem in the file, then every problem in each OpenAPI document.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use restapi::{Template, UriPart, Verb};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::Report;
use crate::file::{ApiEntry, MethodSettingEntry, ServerEntry, StageEntry, TlsEntry};
use crate::located::Located;
use crate::{
    AccessLogConfig, ApiDeployment, Config, DEFAULT_ACCESS_LOG_FORMAT, DEFAULT_ACCOUNT_ID,
    DEFAULT_ADMIN_LISTEN, DEFAULT_LISTEN, DEFAULT_REGION, DEFAULT_STORAGE, LogDestination,
    LoggingLevel, MethodSetting, ServerSettings, StageConfig, Storage, TlsFiles,
};

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
        let server = self.server(&root);
        let iam = self.iam(root.get("iam"), &account_id);
        let apis = self.apis(&root, &region, &account_id);
        Some(Config {
            file: self.file.clone(),
            region,
            account_id,
            listen: listen?,
            admin_listen: admin_listen?,
            storage: storage?,
            tls,
            server,
            apis,
            iam: iam?,
        })
    }

    fn string(
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

    fn account_id(&mut self, root: &serde_json::Map<String, Value>) -> String {
        if let Some(Value::Number(_)) = root.get("account_id") {
            self.error(
                "/account_id",
                "account_id must be a quoted 12-digit string: unquoted, YAML reads it as a number and drops leading zeros",
            );
            return DEFAULT_ACCOUNT_ID.to_string();
        }
        let id = self.string(root, "account_id", DEFAULT_ACCOUNT_ID);
        if !is_account_id(&id) {
            self.error(
                "/account_id",
                format!("{id:?} is not a 12-digit AWS account id"),
            );
        }
        id
    }

    fn addr(
        &mut self,
        root: &serde_json::Map<String, Value>,
        key: &str,
        default: &str,
        over: Option<SocketAddr>,
    ) -> Option<SocketAddr> {
        let text = self.string(root, key, default);
        let parsed = text.parse::<SocketAddr>();
        if let Some(addr) = over {
            return Some(addr);
        }
        match parsed {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(
                    &format!("/{key}"),
                    format!("{text:?} is not an address like 127.0.0.1:8080"),
                );
                None
            }
        }
    }

    fn storage(
        &mut self,
        root: &serde_json::Map<String, Value>,
        over: Option<&str>,
    ) -> Option<Storage> {
        let (url, from_file) = match over {
            Some(u) => (u.to_string(), false),
            None => (self.string(root, "storage", DEFAULT_STORAGE), true),
        };
        let result = parse_storage(&url).map(|s| match s {
            Storage::Sqlite(p) if from_file && p.is_relative() => {
                Storage::Sqlite(self.path(&p.to_string_lossy()))
            }
            other => other,
        });
        match result {
            Ok(s) => Some(s),
            Err(message) if from_file => {
                self.error("/storage", message);
                None
            }
            Err(message) => {
                self.report
                    .push(Path::new("--storage"), None, None, message);
                None
            }
        }
    }

    fn tls(&mut self, root: &serde_json::Map<String, Value>) -> Option<TlsFiles> {
        let value = root.get("tls")?;
        let entry: TlsEntry = self.typed(value, "/tls")?;
        let files = TlsFiles {
            cert_file: self.path(&entry.cert_file),
            key_file: self.path(&entry.key_file),
        };
        for (key, path) in [
            ("cert_file", &files.cert_file),
            ("key_file", &files.key_file),
        ] {
            if !path.is_file() {
                self.error(
                    &format!("/tls/{key}"),
                    format!("{} does not exist", path.display()),
                );
            }
        }
        Some(files)
    }

    fn server(&mut self, root: &serde_json::Map<String, Value>) -> ServerSettings {
        let mut settings = ServerSettings::default();
        let Some(value) = root.get("server") else {
            return settings;
        };
        let Some(entry): Option<ServerEntry> = self.typed(value, "/server") else {
            return settings;
        };
        if let Some(d) = entry.header_read_timeout {
            settings.header_read_timeout = d;
        }
        if let Some(d) = entry.idle_timeout {
            settings.idle_timeout = d;
        }
        if let Some(d) = entry.shutdown_grace {
            settings.shutdown_grace = d;
        }
        if let Some(d) = entry.body_read_timeout {
            if d.is_zero() {
                self.error(
                    "/server/body_read_timeout",
                    "body_read_timeout must be more than zero",
                );
            } else {
                settings.body_read_timeout = d;
            }
        }
        if let Some(allow) = entry.allow_unsigned_payload {
            settings.allow_unsigned_payload = allow;
        }
        if let Some(n) = entry.worker_threads {
            if n == 0 {
                self.error(
                    "/server/worker_threads",
                    "worker_threads must be at least 1",
                );
            } else {
                settings.worker_threads = Some(n);
            }
        }
        settings
    }

    fn apis(
        &mut self,
        root: &serde_json::Map<String, Value>,
        region: &str,
        account: &str,
    ) -> Vec<ApiDeployment> {
        let mut out = Vec::new();
        let items = match root.get("apis") {
            None => return out,
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                self.error("/apis", "apis must be a list");
                return out;
            }
        };
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/apis/{i}");
            let Some(entry): Option<ApiEntry> = self.typed(item, &pointer) else {
                continue;
            };
            if !is_api_id(&entry.id) {
                self.error(
                    &format!("{pointer}/id"),
                    format!("{:?} is not a valid API id: use 1-63 lowercase letters, digits and hyphens (API Gateway's own ids are 10 characters, like a1b2c3d4e5)", entry.id),
                );
            }
            if !seen.insert(entry.id.clone()) {
                self.error(
                    &format!("{pointer}/id"),
                    format!("duplicate API id {:?}", entry.id),
                );
            }
            if let Some(api) = self.api(&entry, &pointer, region, account) {
                out.push(api);
            }
        }
        out
    }

    fn api(
        &mut self,
        entry: &ApiEntry,
        pointer: &str,
        region: &str,
        account: &str,
    ) -> Option<ApiDeployment> {
        let openapi_file = self.path(&entry.openapi);
        let (api, resource_policy) =
            match self.openapi(&openapi_file, &format!("{pointer}/openapi")) {
                Some((api, doc)) => {
                    // A policy that does not compile is reported; the load then fails as a
                    // whole, after the stages have been checked too.
                    let policy = api.policy.as_ref().and_then(|p| {
                        self.resource_policy(&entry.id, p, &openapi_file, &doc, region, account)
                    });
                    (Some(api), policy)
                }
                None => (None, None),
            };
        let mut stages = Vec::new();
        if entry.stages.is_empty() {
            self.error(
                pointer,
                format!(
                    "API {:?} has no stages; add at least one under stages:",
                    entry.id
                ),
            );
        }
        for (name, value) in &entry.stages {
            let stage_pointer = format!("{pointer}/stages/{}", restapi::import::escape(name));
            if !is_stage_name(name) {
                self.error(
                    &stage_pointer,
                    format!("{name:?} is not a valid stage name: use letters, digits, hyphens and underscores"),
                );
            }
            if let Some(stage) = self.stage(name, value, &stage_pointer, api.as_ref()) {
                stages.push(stage);
            }
        }
        Some(ApiDeployment {
            id: entry.id.clone(),
            openapi_file,
            api: api?,
            resource_policy,
            stages,
        })
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

    /// Reads and imports an OpenAPI document, reporting its problems against its own file.
    fn openapi(&mut self, file: &Path, config_pointer: &str) -> Option<(restapi::Api, Located)> {
        let doc = self.read_document(file, config_pointer)?;
        match restapi::import(&doc.value) {
            Ok(api) => {
                self.check_routes(&api, file, &doc);
                Some((api, doc))
            }
            Err(errors) => {
                for e in errors {
                    self.report
                        .push(file, doc.position(&e.pointer), Some(&e.pointer), e.message);
                }
                None
            }
        }
    }

    /// Path conflicts the router would refuse (`/a/{x}` beside `/a/{y}`).
    fn check_routes(&mut self, api: &restapi::Api, file: &Path, doc: &Located) {
        let mut router = router::Router::new();
        for (i, resource) in api.resources.iter().enumerate() {
            if let Err(e) = router.insert(&resource.path, i) {
                let pointer = format!("/paths/{}", restapi::import::escape(&resource.path));
                self.report
                    .push(file, doc.position(&pointer), Some(&pointer), e.to_string());
            }
        }
    }

    fn stage(
        &mut self,
        name: &str,
        value: &Value,
        pointer: &str,
        api: Option<&restapi::Api>,
    ) -> Option<StageConfig> {
        let entry = self.stage_entry(value, pointer)?;
        for (var, val) in &entry.variables {
            let p = format!("{pointer}/variables/{}", restapi::import::escape(var));
            if !is_stage_variable_name(var) {
                self.error(&p, format!("stage variable name {var:?} may contain only letters, digits and underscores"));
            }
            if !is_stage_variable_value(val) {
                self.error(
                    &p,
                    format!("stage variable value {val:?} has characters API Gateway does not allow (letters, digits and -._~:/?#&=, only)"),
                );
            }
        }
        if let Some(api) = api {
            self.check_stage_variables_used(api, name, &entry.variables, pointer);
        }
        let access_log = entry
            .access_log
            .and_then(|log| self.access_log(log, &format!("{pointer}/access_log")));
        let mut method_settings = Vec::new();
        for (key, setting) in &entry.method_settings {
            let p = format!("{pointer}/method_settings/{}", restapi::import::escape(key));
            let Some(setting): Option<MethodSettingEntry> = self.typed(setting, &p) else {
                continue;
            };
            if let Some(s) = self.method_setting(key, setting.logging_level, api, &p) {
                method_settings.push(s);
            }
        }
        Some(StageConfig {
            name: name.to_string(),
            variables: entry.variables,
            access_log,
            method_settings,
        })
    }

    /// Reads a stage field by field, so that a mistake in one setting does not hide the others.
    fn stage_entry(&mut self, value: &Value, pointer: &str) -> Option<StageEntry> {
        let mut entry = StageEntry::default();
        let map = match value {
            Value::Null => return Some(entry),
            Value::Object(map) => map,
            _ => {
                self.error(pointer, "a stage must be a mapping of settings");
                return None;
            }
        };
        for (key, v) in map {
            let p = format!("{pointer}/{}", restapi::import::escape(key));
            match key.as_str() {
                "variables" => entry.variables = self.typed(v, &p).unwrap_or_default(),
                "access_log" => entry.access_log = self.typed(v, &p),
                "method_settings" => entry.method_settings = self.typed(v, &p).unwrap_or_default(),
                other => self.error(
                    &p,
                    format!("unknown stage setting {other:?}; known settings are variables, access_log, method_settings"),
                ),
            }
        }
        Some(entry)
    }

    /// A stage variable an integration URI uses but the stage does not define would produce a
    /// broken backend URL on every request: refuse it now.
    fn check_stage_variables_used(
        &mut self,
        api: &restapi::Api,
        stage: &str,
        variables: &BTreeMap<String, String>,
        pointer: &str,
    ) {
        for resource in &api.resources {
            for method in &resource.methods {
                let Some(uri) = &method.integration.uri else {
                    continue;
                };
                for part in &uri.parts {
                    if let UriPart::StageVariable(v) = part
                        && !variables.contains_key(v)
                    {
                        self.error(
                            pointer,
                            format!(
                                "stage {stage:?} does not define the stage variable {v:?} that {} {} uses in its integration URI",
                                method.verb, resource.path
                            ),
                        );
                    }
                }
            }
        }
    }

    fn access_log(
        &mut self,
        log: crate::file::AccessLogEntry,
        pointer: &str,
    ) -> Option<AccessLogConfig> {
        let destination = match log.destination.as_str() {
            "stdout" => LogDestination::Stdout,
            "stderr" => LogDestination::Stderr,
            "" => {
                self.error(
                    &format!("{pointer}/destination"),
                    "destination must be stdout, stderr or a file path",
                );
                return None;
            }
            path => LogDestination::File(self.path(path)),
        };
        let source = log.format.as_deref().unwrap_or(DEFAULT_ACCESS_LOG_FORMAT);
        if !source.contains("$context.requestId") && !source.contains("${context.requestId}") {
            // API Gateway refuses such formats too: without the request id, log lines cannot be
            // correlated with anything.
            self.error(
                &format!("{pointer}/format"),
                "the access log format must include $context.requestId",
            );
        }
        match Template::parse(source) {
            Ok(format) => Some(AccessLogConfig {
                destination,
                format,
            }),
            Err(e) => {
                self.error(&format!("{pointer}/format"), e.to_string());
                None
            }
        }
    }

    fn method_setting(
        &mut self,
        key: &str,
        logging_level: Option<LoggingLevel>,
        api: Option<&restapi::Api>,
        pointer: &str,
    ) -> Option<MethodSetting> {
        let Some((resource, method)) = key.rsplit_once('/') else {
            self.error(
                pointer,
                format!(
                    "method settings are keyed \"resourcePath/METHOD\" or \"*/*\", got {key:?}"
                ),
            );
            return None;
        };
        let resource = match resource {
            "*" => None,
            r => Some(r.replace("~1", "/")),
        };
        let verb = match method {
            "*" => None,
            m => match Verb::parse(m) {
                Some(v) => Some(v),
                None => {
                    self.error(pointer, format!("unknown HTTP method {m:?}"));
                    return None;
                }
            },
        };
        if let (Some(api), Some(r)) = (api, resource.as_deref()) {
            match api.resources.iter().find(|res| res.path == r) {
                None => {
                    self.error(pointer, format!("the API has no resource {r:?}"));
                    return None;
                }
                Some(res) => {
                    if let Some(v) = verb
                        && res.method(v).is_none()
                    {
                        self.error(pointer, format!("resource {r:?} has no {v} method"));
                        return None;
                    }
                }
            }
        }
        Some(MethodSetting {
            resource,
            verb,
            logging_level,
        })
    }
}

fn parse_storage(url: &str) -> Result<Storage, String> {
    if url == "sqlite::memory:" {
        return Ok(Storage::SqliteMemory);
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(
                "the sqlite:// storage URL needs a file path, e.g. sqlite://portcullis.db".into(),
            );
        }
        return Ok(Storage::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err("PostgreSQL storage is not supported yet; use sqlite://FILE".into());
    }
    Err(format!(
        "unsupported storage URL {url:?}; use sqlite://FILE or sqlite::memory:"
    ))
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_api_id(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_stage_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_stage_variable_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn is_stage_variable_value(s: &str) -> bool {
    s.len() <= 512
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#&=,".contains(&b))
}

#[cfg(test)]
mod tests;
