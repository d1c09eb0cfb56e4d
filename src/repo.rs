//! Repository root discovery (contract D2) and the well-known paths inside a repository.

use crate::error::{Error, ErrorCode, Result};
use std::path::{Path, PathBuf};

/// Directory (relative to the root) holding active task files.
pub const TASKS_DIR: &str = "tasks";
/// Directory (relative to the root) holding archived task files.
pub const ARCHIVE_DIR: &str = "docs/completed-tasks";
/// Where the clarifications stubs of tasks go (`--bootstrap-evidence`, `--new-task`).
pub const STUB_DIR: &str = "docs/evidence/tasks";
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

    /// The repo-relative state directory `rel`, created if needed after every existing component
    /// was checked to resolve inside the repository (contract D9: resolve, check, then create;
    /// never follow a link out of the repository — E002 otherwise).
    pub fn state_dir(&self, rel: &str) -> Result<PathBuf> {
        Ok(crate::store::paths::state_dir(&self.root, rel)?)
    }

    /// [`Repo::state_dir`] without creating anything: `None` when it does not exist.
    pub fn existing_state_dir(&self, rel: &str) -> Result<Option<PathBuf>> {
        Ok(crate::store::paths::existing_state_dir(&self.root, rel)?)
    }

    /// The existing file or directory at `rel`, a repo-relative path read from a state file or
    /// the repository: a clean relative path that resolves (links followed) inside the
    /// repository; otherwise E052 (`rel` is not a path the tool writes) or E002 (outside).
    pub fn inside(&self, rel: &str) -> Result<PathBuf> {
        use crate::store::StateError;
        crate::store::paths::check_relative(rel).map_err(|reason| StateError::BadPath {
            path: self.root.join(rel),
            reason,
        })?;
        let path = self.root.join(rel);
        let resolved = crate::store::fs::canonicalize(&path)?;
        if resolved.starts_with(&self.root) {
            Ok(resolved)
        } else {
            Err(StateError::Outside { path, resolved }.into())
        }
    }

    /// The repo-relative, `/`-separated form of an absolute path inside the repository.
    pub fn relative(&self, abs: &Path) -> Option<String> {
        let rel = abs.strip_prefix(&self.root).ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// Absolute display form of a repo-relative path (`/` separated).
    pub fn abs_string(&self, rel: &str) -> String {
        let mut out = String::with_capacity(self.root_text.len() + 1 + rel.len());
        self.abs_path(rel).push_to(&mut out);
        out
    }

    /// The root as the outputs print it.
    pub fn root_text(&self) -> &str {
        &self.root_text
    }

    /// [`Repo::abs_string`] without building the string: shown or serialized as it.
    pub fn abs_path<'a>(&'a self, rel: &'a str) -> AbsPath<'a> {
        AbsPath {
            root: &self.root_text,
            rel,
        }
    }
}

/// The absolute display form of a repo-relative path, written out when it is shown or
/// serialized (a JSON string), so that a long listing builds no path string per task.
#[derive(Debug, Clone, Copy)]
pub struct AbsPath<'a> {
    root: &'a str,
    rel: &'a str,
}

impl<'a> AbsPath<'a> {
    /// The root, the separator (none after a root that ends with one) and the relative path.
    fn parts(&self) -> [&'a str; 3] {
        let separator = if self.root.ends_with('/') { "" } else { "/" };
        [self.root, separator, self.rel]
    }

    /// Append the path to `out`.
    pub fn push_to(&self, out: &mut String) {
        self.parts().iter().for_each(|part| out.push_str(part));
    }
}

impl std::fmt::Display for AbsPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.parts().iter().try_for_each(|part| f.write_str(part))
    }
}

impl serde::Serialize for AbsPath<'_> {
    /// Written as one string put together in a buffer the thread keeps (formatting it into the
    /// serializer costs ~900 instructions a path: 9 M in a 10,000-task `--list --format json`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        thread_local! {
            static PATH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        PATH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut path) => {
                path.clear();
                self.push_to(&mut path);
                serializer.serialize_str(&path)
            }
            // Serialized while one is being serialized on this thread (no serializer does).
            Err(_) => serializer.collect_str(self),
        })
    }
}

impl schemars::JsonSchema for AbsPath<'_> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        String::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

#[cfg(test)]
#[path = "tests/repo.rs"]
mod tests;
