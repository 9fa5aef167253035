//! Problems found while loading a configuration, each tied to a file and a place in it.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::located::Position;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub position: Option<Position>,
    /// JSON pointer of the node, when the problem is about one.
    pub pointer: Option<String>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(pos) = self.position {
            write!(f, ":{pos}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(pointer) = self.pointer.as_deref().filter(|p| !p.is_empty()) {
            write!(f, " (at {pointer})")?;
        }
        Ok(())
    }
}

/// Every problem found in a configuration. `Display` prints one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    pub(crate) fn push(
        &mut self,
        file: &Path,
        position: Option<Position>,
        pointer: Option<&str>,
        message: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            file: file.to_path_buf(),
            position,
            pointer: pointer.map(str::to_string),
            message: message.into(),
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        let n = self.diagnostics.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Report {}
