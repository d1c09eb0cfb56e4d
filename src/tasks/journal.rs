//! Changes to task files (`--claim`, `--complete`, `--archive`, `--new-task` with its
//! clarifications stub) as crash-safe transactions: one
//! lock per task (`tasks/.cache/locks/<ID>.lock`) and the journal of a change in progress
//! (`tasks/.cache/txn/<ID>/`). A move to the archive is one transaction — the archived copy
//! created, the original removed — so a crash never leaves the task in both places for long:
//! the next command that reads the task files finishes it first.

use crate::error::Result;
use crate::ids::is_valid_id;
use crate::repo::{ARCHIVE_DIR, CACHE_DIR, Repo, STUB_DIR, TASKS_DIR};
use crate::store::txn::{Allow, Domain, Locked};

const TXN_DIR: &str = "txn";

/// The transaction domain of one task's file (the id must have been checked): task files, and
/// the clarifications stubs `--new-task` creates with them.
pub fn domain(repo: &Repo, id: &str) -> Domain {
    Domain::new(
        &repo.root,
        format!("{CACHE_DIR}/locks/{id}.lock"),
        format!("{CACHE_DIR}/{TXN_DIR}/{id}"),
        vec![
            Allow::task_files(TASKS_DIR),
            Allow::task_files(ARCHIVE_DIR),
            Allow::files(STUB_DIR),
        ],
    )
}

/// Take the lock of a task's file changes (the cache directory first, so that it carries its
/// `.gitignore`), finishing a change of that task a crash interrupted.
pub fn lock(repo: &Repo, id: &str) -> Result<Locked> {
    crate::tasks::cache::ensure_cache_dir(&repo.root)?;
    Ok(domain(repo, id).lock()?)
}

/// Finish every task-file change a crash interrupted, before the task files are read: the next
/// run sees the after state, never a task in two places. (A journal directory exists only
/// while a change is staged or applied, so there is usually nothing to look at.) A change whose
/// lock is held is in progress, not interrupted, and is left to its process. Problems become
/// warnings.
pub fn recover_interrupted(repo: &Repo) -> Vec<String> {
    // Never through a link: the directory is the tool's own, or nothing is looked at.
    let dir = match crate::store::paths::existing_state_dir(
        &repo.root,
        &format!("{CACHE_DIR}/{TXN_DIR}"),
    ) {
        Ok(Some(dir)) => dir,
        Ok(None) => return Vec::new(),
        Err(e) => {
            return vec![format!(
                "Warning: interrupted task-file changes are not looked at: {}",
                crate::error::Error::from(e).message
            )];
        }
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        // Only names the tool writes: anything else is left alone.
        let Some(id) = name.to_str().filter(|n| is_valid_id(n)) else {
            continue;
        };
        // Pending or not (staged files of a change that never committed are cleared too).
        if let Err(e) = domain(repo, id).try_lock() {
            warnings.push(format!(
                "Warning: an interrupted change of {id}'s task file could not be finished: {}",
                crate::error::Error::from(e).message
            ));
        }
    }
    warnings
}
