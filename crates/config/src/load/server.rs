//! The `server` section: timeouts and runtime settings, each defaulted when absent.

use serde_json::Value;

use super::Loader;
use crate::ServerSettings;
use crate::file::ServerEntry;

impl Loader {
    pub(super) fn server(&mut self, root: &serde_json::Map<String, Value>) -> ServerSettings {
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
        if let Some(n) = entry.max_concurrent_requests {
            if n == 0 {
                self.error(
                    "/server/max_concurrent_requests",
                    "max_concurrent_requests must be at least 1",
                );
            } else {
                settings.max_concurrent_requests = n;
            }
        }
        settings
    }
}
