//! Repository root discovery (contract D2) and the well-known paths inside a repository.

use crate::error::{Error, ErrorCode, Result};
use std::path::{Path, PathBuf};

/// Directory (relative to the root) holding active task files.
pub const TASKS_DIR: &str = "tasks";
/// Directory (relative to the root) holding archived task files.
pub const ARCHIVE_DIR: &str = "docs/completed-tasks";
/// The tool's private cache directory.
pub const CACHE_DIR: &str = "tasks/.cache";

/// A located repository: an absolute, symlink-free root.
#[derive(Debug, Clone)]
pub struct Repo {
    pub root: PathBuf,
    /// `root` as text, for building the absolute paths printed in outputs.
    root_text: String,
}

impl Repo {
    /// `--repo-root DIR` when given, else the first ancestor of `cwd` holding a `.git` entry.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Repo> {
        if let Some(dir) = explicit {
            let root = dir.canonicalize().map_err(|e| {
                Error::new(
                    ErrorCode::E040,
                    format!("Repository root {} does not exist: {e}", dir.display()),
                )
                .with_detail("path", dir.display().to_string())
                .with_recovery("Pass an existing directory to --repo-root")
            })?;
            if !root.is_dir() {
                return Err(Error::new(
                    ErrorCode::E040,
                    format!("Repository root {} is not a directory", dir.display()),
                )
                .with_detail("path", dir.display().to_string())
                .with_recovery("Pass an existing directory to --repo-root"));
            }
            return Ok(Repo::at(root));
        }
        let start = cwd.canonicalize().map_err(|e| {
            Error::new(
                ErrorCode::E040,
                format!("Cannot resolve the current directory: {e}"),
            )
        })?;
        start
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .map(|dir| Repo::at(dir.to_path_buf()))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::E040,
                    format!(
                        "No git repository found at or above {} (no .git entry)",
                        start.display()
                    ),
                )
                .with_detail("path", start.display().to_string())
                .with_recovery("Run tasks inside a git repository, or pass --repo-root DIR")
            })
    }

    fn at(root: PathBuf) -> Repo {
        let root_text = root.to_string_lossy().into_owned();
        Repo { root, root_text }
    }

    /// Absolute display form of a repo-relative path (`/` separated).
    pub fn abs_string(&self, rel: &str) -> String {
        let mut out = String::with_capacity(self.root_text.len() + 1 + rel.len());
        out.push_str(&self.root_text);
        if !self.root_text.ends_with('/') {
            out.push('/');
        }
        out.push_str(rel);
        out
    }
}

#[cfg(test)]
#[path = "tests/repo.rs"]
mod tests;
