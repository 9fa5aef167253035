//! The `storage` setting and its `--storage` override.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Loader;
use crate::{DEFAULT_STORAGE, Storage};

impl Loader {
    pub(super) fn storage(
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
}

pub(super) fn parse_storage(url: &str) -> Result<Storage, String> {
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
