//! `functions`: the Lambda functions the gateway runs (the `functions` crate's [`FunctionSpec`]).
//! Each is checked here as the host will check it at start — Lambda's limits, reserved variables,
//! paths resolved against the configuration file's directory — so that `validate` reports every
//! problem with its line, and `serve` never fails later on something the file says.

use std::collections::BTreeSet;

use functions::FunctionSpec;
use functions::spec::EntryPoint;
use serde_json::Value;

use super::Loader;

impl Loader {
    pub(super) fn functions(&mut self, root: &serde_json::Map<String, Value>) -> Vec<FunctionSpec> {
        let Some(value) = root.get("functions") else {
            return Vec::new();
        };
        let Some(entries): Option<Vec<Value>> = self.typed(value, "/functions") else {
            return Vec::new();
        };
        let mut names = BTreeSet::new();
        let mut out = Vec::new();
        for (i, item) in entries.iter().enumerate() {
            let pointer = format!("/functions/{i}");
            let Some(spec): Option<FunctionSpec> = self.typed(item, &pointer) else {
                continue;
            };
            let valid = match spec.validate(&self.base) {
                Ok(v) => v,
                Err(e) => {
                    self.error(&format!("{pointer}/{}", e.field()), e.to_string());
                    continue;
                }
            };
            if !names.insert(valid.name.clone()) {
                self.error(
                    &format!("{pointer}/name"),
                    format!("function {:?} is defined twice", valid.name),
                );
                continue;
            }
            // The host refuses to start without these directories; say so now, at the line.
            let (field, dir) = match &valid.entry {
                EntryPoint::Runtime(_) => ("code", &valid.task_root),
                EntryPoint::Command(_) => ("working_dir", &valid.working_dir),
            };
            if !dir.is_dir() {
                let at = if item.get(field).is_some() {
                    format!("{pointer}/{field}")
                } else {
                    pointer.clone()
                };
                self.error(
                    &at,
                    format!(
                        "function {:?}: {field}: {} is not a directory",
                        valid.name,
                        dir.display()
                    ),
                );
                continue;
            }
            out.push(spec);
        }
        let reserved: u64 = out
            .iter()
            .filter_map(|s| s.reserved_concurrency)
            .map(u64::from)
            .sum();
        let account = functions::HostOptions::default().account_concurrency;
        if reserved > u64::from(account) {
            self.error(
                "/functions",
                format!("reserved_concurrency: the functions reserve {reserved} environments, more than the gateway's account concurrency ({account})"),
            );
        }
        out
    }
}
