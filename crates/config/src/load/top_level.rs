//! The top-level settings: region, account id, listen addresses and TLS files.

use std::net::SocketAddr;

use serde_json::Value;

use super::Loader;
use crate::file::TlsEntry;
use crate::{DEFAULT_ACCOUNT_ID, TlsFiles};

impl Loader {
    pub(super) fn account_id(&mut self, root: &serde_json::Map<String, Value>) -> String {
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

    pub(super) fn addr(
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

    pub(super) fn tls(&mut self, root: &serde_json::Map<String, Value>) -> Option<TlsFiles> {
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
}

pub(super) fn is_region(s: &str) -> bool {
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

pub(super) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}
