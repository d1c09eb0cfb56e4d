//! Drift (spec 03 §4.2, contract D7): has the working tree changed since a role's snapshot?
//! Three answers besides "no": HEAD moved, files differ (each one described), or the changes the
//! snapshot recorded are gone. The caller turns the answer into E021 / E020 / E022.

use super::{Scope, blob_sha, capture, changes, file_state, head};
use crate::context::model::FileSnapshot;
use crate::error::Result;
use crate::git::{Git, ObjectId};
use crate::repo::Repo;
use serde::Serialize;

/// One difference between a snapshot and the working tree now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub path: String,
    /// `modified`, `added` (not in the snapshot), `deleted` (gone since), `renamed`.
    pub change: &'static str,
    /// SHA-256 of the file in the snapshot ("" when it was not there / deleted).
    pub expected_sha256: String,
    /// SHA-256 of the file now ("" when it does not exist).
    pub current_sha256: String,
}

/// How the working tree differs from a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// HEAD is not the commit the snapshot was taken on (a commit, rebase or merge).
    HeadMoved {
        expected: ObjectId,
        current: ObjectId,
    },
    /// Files differ from the snapshot.
    Files(Vec<Finding>),
    /// The snapshot recorded changes; the tree has none now (committed, stashed or reverted).
    ChangesGone,
}

/// What a snapshot recorded of the working tree, its values already checked.
pub enum Recorded<'a> {
    /// The working tree as a git tree object (this tool's snapshots).
    Tree(&'a ObjectId),
    /// Only the changed files and their SHA-256 (a snapshot written by tasks.py). Each path has
    /// passed `store::paths::check_relative`.
    Files(&'a [FileSnapshot]),
}

impl Recorded<'_> {
    /// `tree` or `checksums`, as reports name the method.
    pub fn method(&self) -> &'static str {
        match self {
            Recorded::Tree(_) => "tree",
            Recorded::Files(_) => "checksums",
        }
    }
}

/// The task's side of the comparison: its scope and the paths that were dirty before it began
/// (never drift).
pub struct Task<'a> {
    pub scope: &'a Scope,
    pub preexisting_dirty: &'a [String],
}

/// Compare the working tree now with a snapshot taken on `expected_head`. `None`: no drift.
pub fn detect(
    repo: &Repo,
    task: &Task,
    expected_head: &ObjectId,
    recorded: &Recorded,
) -> Result<Option<Drift>> {
    let git = Git::new(&repo.root);
    let current = head(&git)?;
    if current != *expected_head {
        return Ok(Some(Drift::HeadMoved {
            expected: expected_head.clone(),
            current,
        }));
    }
    match recorded {
        Recorded::Tree(tree) => by_tree(repo, &git, task, tree),
        Recorded::Files(files) => by_checksums(repo, task, files),
    }
}

/// Compare tree objects; describe each changed file.
fn by_tree(repo: &Repo, git: &Git, task: &Task, tree: &ObjectId) -> Result<Option<Drift>> {
    let now = capture(repo, task.scope, task.preexisting_dirty)?;
    if now.tree == *tree {
        return Ok(None);
    }
    if now.is_clean() {
        return Ok(Some(Drift::ChangesGone));
    }
    let findings = changes(git, tree, &now.tree)?
        .into_iter()
        .map(|c| {
            let current = file_state(repo, &c.path).map(|s| s.0);
            let expected_path = c.from.as_deref().unwrap_or(&c.path);
            let expected = blob_sha(git, tree, expected_path);
            Finding {
                path: String::from_utf8_lossy(&c.path).into_owned(),
                change: match c.status.as_str() {
                    "A" => "added",
                    "D" => "deleted",
                    "R" => "renamed",
                    _ => "modified",
                },
                expected_sha256: expected.unwrap_or_default(),
                current_sha256: current.unwrap_or_default(),
            }
        })
        .collect();
    Ok(Some(Drift::Files(findings)))
}

/// A snapshot without a tree: compare each recorded file with the disk, then make sure the
/// tree still has changes at all.
fn by_checksums(repo: &Repo, task: &Task, files: &[FileSnapshot]) -> Result<Option<Drift>> {
    let findings: Vec<Finding> = files
        .iter()
        .filter(|f| !task.preexisting_dirty.contains(&f.path))
        .filter_map(|f| {
            let current = file_state(repo, f.path.as_bytes()).map(|s| s.0);
            let (change, drifted) = match (&current, f.status.as_str()) {
                (Some(_), "D") => ("added", true),
                (None, "D") => ("deleted", false),
                (None, _) => ("deleted", true),
                (Some(sha), _) => ("modified", *sha != f.sha256),
            };
            drifted.then(|| Finding {
                path: f.path.clone(),
                change,
                expected_sha256: f.sha256.clone(),
                current_sha256: current.unwrap_or_default(),
            })
        })
        .collect();
    if !findings.is_empty() {
        return Ok(Some(Drift::Files(findings)));
    }
    // "Changes at all" as a tree snapshot sees them: the task's scope, without the paths that
    // were dirty before it began.
    if !files.is_empty() && capture(repo, task.scope, task.preexisting_dirty)?.is_clean() {
        return Ok(Some(Drift::ChangesGone));
    }
    Ok(None)
}

#[cfg(test)]
#[path = "tests/drift.rs"]
mod tests;
