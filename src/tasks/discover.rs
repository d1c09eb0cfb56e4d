//! Finding task files (contract D5): `tasks/` then `docs/completed-tasks/`, each walked
//! recursively in sorted path order; symlinked directories are not entered, symlinked files are
//! read through when they resolve inside the repository (never outside it: such a file is
//! skipped with a warning).

use crate::repo::{ARCHIVE_DIR, TASKS_DIR};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

pub const TASK_FILE_SUFFIX: &str = ".task.yaml";

/// A task file on disk with the metadata the cache compares.
#[derive(Debug, Clone)]
pub struct TaskFile {
    /// Repo-relative, `/`-separated.
    pub rel: String,
    pub abs: PathBuf,
    pub size: u64,
    pub mtime: FileTime,
}

/// Modification time with nanosecond precision.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct FileTime {
    pub secs: i64,
    pub nanos: u32,
}

impl FileTime {
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) * 1e-9
    }

    pub fn of(meta: &std::fs::Metadata) -> FileTime {
        match meta.modified().map(|t| t.duration_since(UNIX_EPOCH)) {
            Ok(Ok(d)) => FileTime {
                secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                nanos: d.subsec_nanos(),
            },
            // Before the epoch or unsupported: a constant makes the cache fall back to hashing.
            _ => FileTime::default(),
        }
    }
}

/// All task files of the repository, active ones first, each root in sorted path order, plus a
/// warning for each directory that could not be read.
pub fn discover(root: &Path) -> (Vec<TaskFile>, Vec<String>) {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for dir in [TASKS_DIR, ARCHIVE_DIR] {
        let base = root.join(dir);
        if base.is_dir() {
            walk(root, base, dir.to_string(), &mut files, &mut warnings);
        }
    }
    (files, warnings)
}

/// Pre-order walk, siblings in byte order of their names (a directory's files and
/// subdirectories interleaved, as a sorted listing shows them). Iterative: depth is unbounded.
fn walk(
    root: &Path,
    base: PathBuf,
    base_rel: String,
    files: &mut Vec<TaskFile>,
    warnings: &mut Vec<String>,
) {
    // Pending directories and files (a file: whether it is a symbolic link, as its directory
    // listing said), the next to visit on top.
    let mut stack: Vec<(PathBuf, String, Option<bool>)> = vec![(base, base_rel, None)];
    while let Some((path, rel, file)) = stack.pop() {
        if let Some(linked) = file {
            if linked && !path.canonicalize().is_ok_and(|p| p.starts_with(root)) {
                warnings.push(format!(
                    "Warning: {} is a symbolic link that leaves the repository (or leads nowhere); it is not read",
                    crate::text::field(&rel)
                ));
                continue;
            }
            let meta = match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => meta,
                _ => continue,
            };
            files.push(TaskFile {
                rel,
                abs: path,
                size: meta.len(),
                mtime: FileTime::of(&meta),
            });
            continue;
        }
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) => {
                warnings.push(format!(
                    "Warning: cannot read directory {}: {e}; task files in it are skipped",
                    crate::text::field(&path.display().to_string())
                ));
                continue;
            }
        };
        let mut children: Vec<(std::ffi::OsString, Option<bool>)> = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                children.push((name, None));
            } else if name
                .as_encoded_bytes()
                .ends_with(TASK_FILE_SUFFIX.as_bytes())
            {
                // Regular files and symlinks to files; symlinked directories are never entered.
                children.push((name, Some(file_type.is_symlink())));
            }
        }
        children.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        for (name, file) in children {
            let child_rel = format!("{rel}/{}", name.to_string_lossy());
            stack.push((path.join(&name), child_rel, file));
        }
    }
}

#[cfg(test)]
#[path = "tests/discover.rs"]
mod tests;
