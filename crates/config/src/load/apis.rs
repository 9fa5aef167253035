//! The `apis` section: each API's id, its OpenAPI document and resource policy, and its stages.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::Loader;
use super::stage::is_stage_name;
use crate::ApiDeployment;
use crate::file::ApiEntry;
use crate::located::Located;

impl Loader {
    pub(super) fn apis(
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
}

fn is_api_id(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
