//! The `site` section: a directory of static files (a web page calling the gateway) served on
//! a listener of its own.

use std::net::SocketAddr;

use serde::Deserialize;
use serde_json::Value;

use super::Loader;
use crate::SiteConfig;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteEntry {
    listen: String,
    dir: String,
}

impl Loader {
    pub(super) fn site(&mut self, root: &serde_json::Map<String, Value>) -> Option<SiteConfig> {
        let value = root.get("site")?;
        let entry: SiteEntry = self.typed(value, "/site")?;
        let listen = match entry.listen.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(
                    "/site/listen",
                    format!("{:?} is not an address like 127.0.0.1:8082", entry.listen),
                );
                None
            }
        };
        let named = self.path(&entry.dir);
        // The canonical directory (symlinks resolved) is what every served file must stay
        // under: a link inside it pointing outside is refused when requested.
        let dir = match std::fs::canonicalize(&named) {
            Ok(dir) if dir.is_dir() => Some(dir),
            Ok(_) => {
                self.error(
                    "/site/dir",
                    format!("{} is not a directory", named.display()),
                );
                None
            }
            Err(e) => {
                self.error("/site/dir", format!("cannot open {}: {e}", named.display()));
                None
            }
        };
        Some(SiteConfig {
            listen: listen?,
            dir: dir?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::load;

    fn write(dir: &std::path::Path, config: &str) -> std::path::PathBuf {
        let path = dir.join("portcullis.yaml");
        std::fs::write(&path, config).unwrap();
        path
    }

    #[test]
    fn the_directory_is_relative_to_the_file_and_canonical() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("web/dist")).unwrap();
        let path = write(tmp.path(), "site: {listen: 127.0.0.1:0, dir: web/./dist}\n");
        let config = load(&path).unwrap();
        let site = config.site.unwrap();
        assert_eq!(site.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(
            site.dir,
            std::fs::canonicalize(tmp.path().join("web/dist")).unwrap()
        );
    }

    #[test]
    fn no_section_no_site() {
        let tmp = tempfile::tempdir().unwrap();
        let path = write(tmp.path(), "region: us-east-1\n");
        assert!(load(&path).unwrap().site.is_none());
    }

    #[test]
    fn a_missing_directory_is_a_load_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = write(tmp.path(), "site: {listen: 127.0.0.1:0, dir: web/dist}\n");
        let report = load(&path).unwrap_err().to_string();
        assert!(report.contains("/site/dir"), "{report}");
        assert!(report.contains("web/dist"), "{report}");
    }

    #[test]
    fn a_file_is_not_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("index.html"), "x").unwrap();
        let path = write(tmp.path(), "site: {listen: 127.0.0.1:0, dir: index.html}\n");
        let report = load(&path).unwrap_err().to_string();
        assert!(report.contains("is not a directory"), "{report}");
    }

    #[test]
    fn a_bad_address_and_unknown_keys_are_reported() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("dist")).unwrap();
        let path = write(tmp.path(), "site: {listen: localhost, dir: dist}\n");
        let report = load(&path).unwrap_err().to_string();
        assert!(report.contains("/site/listen"), "{report}");
        let path = write(
            tmp.path(),
            "site: {listen: 127.0.0.1:0, dir: dist, index: x.html}\n",
        );
        let report = load(&path).unwrap_err().to_string();
        assert!(report.contains("unknown field `index`"), "{report}");
    }
}
