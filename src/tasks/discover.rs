//! Finding task files (contract D5): `tasks/` then `docs/completed-tasks/`, each walked
//! recursively in sorted path order; symlinked directories are not entered, symlinked files are
//! read through.

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FileTime {
    pub secs: i64,
    pub nanos: u32,
}

impl FileTime {
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) * 1e-9
    }

    fn of(meta: &std::fs::Metadata) -> FileTime {
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

/// All task files of the repository, active ones first, each root in sorted path order.
pub fn discover(root: &Path) -> Vec<TaskFile> {
    let mut files = Vec::new();
    for dir in [TASKS_DIR, ARCHIVE_DIR] {
        let base = root.join(dir);
        if !base.is_dir() {
            continue;
        }
        let walker = walkdir::WalkDir::new(&base)
            .follow_links(false)
            .sort_by_file_name();
        // Unreadable directories are skipped: the walk reports them and moves on.
        for entry in walker.into_iter().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy();
            if !name.ends_with(TASK_FILE_SUFFIX) {
                continue;
            }
            let meta = if entry.file_type().is_symlink() {
                std::fs::metadata(entry.path())
            } else {
                entry.metadata().map_err(std::io::Error::other)
            };
            let Ok(meta) = meta else { continue };
            if !meta.is_file() {
                continue;
            }
            let Ok(rel_path) = entry.path().strip_prefix(root) else {
                continue;
            };
            let rel = rel_path
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push(TaskFile {
                rel,
                abs: entry.path().to_path_buf(),
                size: meta.len(),
                mtime: FileTime::of(&meta),
            });
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_before_archived_each_sorted_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for rel in [
            "tasks/zz/b.task.yaml",
            "tasks/zz/sub/a.task.yaml",
            "tasks/a.task.yaml",
            "tasks/mobile/c.task.yaml",
            "tasks/notes.yaml",
            "docs/completed-tasks/0.task.yaml",
            "docs/templates/t.task.yaml",
        ] {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let rels: Vec<String> = discover(root).into_iter().map(|f| f.rel).collect();
        assert_eq!(
            rels,
            vec![
                "tasks/a.task.yaml",
                "tasks/mobile/c.task.yaml",
                "tasks/zz/b.task.yaml",
                "tasks/zz/sub/a.task.yaml",
                "docs/completed-tasks/0.task.yaml",
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_files_are_read_symlinked_dirs_are_not_entered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("tasks")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere")).unwrap();
        std::fs::write(root.join("elsewhere/x.task.yaml"), "x").unwrap();
        std::os::unix::fs::symlink(
            root.join("elsewhere/x.task.yaml"),
            root.join("tasks/link.task.yaml"),
        )
        .unwrap();
        std::os::unix::fs::symlink(root.join("elsewhere"), root.join("tasks/dirlink")).unwrap();
        let rels: Vec<String> = discover(root).into_iter().map(|f| f.rel).collect();
        assert_eq!(rels, vec!["tasks/link.task.yaml"]);
    }
}
