//! What outlives a context: `--complete` archives the task's whole context directory
//! (deterministically, like any evidence directory) into `.agent-output/.completed/<ID>/` before
//! it removes it, and `--extract-evidence` restores an archive — one attached to a task, or a
//! completed task's context — into a directory, safely.

use super::archive::{self, ExtractError, Extracted};
use super::attach::listing_bytes;
use super::index::Index;
use super::is_hex;
use crate::context::store::{ContextStore, OUTPUT_DIR};
use crate::error::{Error, ErrorCode, Result};
use crate::repo::Repo;
use crate::store::StateError;
use crate::store::txn::Txn;
use serde::Serialize;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where completed tasks' contexts are kept, per task.
pub const COMPLETED_DIR: &str = ".agent-output/.completed";

/// A completed task's context, archived.
#[derive(Debug, Clone, Serialize)]
pub struct KeptContext {
    /// The archive's evidence id (first 16 hex of its SHA-256).
    pub id: String,
    /// Repo-relative.
    pub path: String,
    pub index_path: String,
    pub sha256: String,
    pub size: u64,
    pub original_size: u64,
    /// The command that restores it.
    pub restore: String,
}

/// Stage the archive of the context directory of `store` (the caller holds the task's lock
/// and removes the directory in the same change): `.agent-output/.completed/<ID>/context-<id>.tar.zst`
/// and its listing.
pub fn keep_context(store: &ContextStore, txn: &mut Txn, now: &str) -> Result<KeptContext> {
    let rel_dir = format!("{COMPLETED_DIR}/{}", store.id);
    let built = txn.put_named(
        |file| {
            let mut out = io::BufWriter::with_capacity(256 * 1024, file);
            let built = archive::write(
                &store.dir,
                &store.id,
                &store.rel_dir,
                now,
                &mut out,
                &|_| None,
                &mut |_| {},
            )?;
            out.flush()?;
            Ok(built)
        },
        |b: &archive::Built| format!("{rel_dir}/context-{}.tar.zst", &b.sha256[..16]),
    )?;
    let id = built.sha256[..16].to_string();
    let name = format!("context-{id}");
    txn.put(
        &format!("{rel_dir}/{name}.index.json"),
        &listing_bytes(&built.index)?,
    )?;
    Ok(KeptContext {
        restore: format!(
            "tasks --extract-evidence {} --id {id} --to {OUTPUT_DIR}",
            store.id
        ),
        path: format!("{rel_dir}/{name}.tar.zst"),
        index_path: format!("{rel_dir}/{name}.index.json"),
        id,
        sha256: built.sha256,
        size: built.size,
        original_size: built.original_size,
    })
}

/// What `--extract-evidence` restored.
#[derive(Debug, Serialize)]
pub struct Restored {
    pub task_id: String,
    pub id: String,
    /// The archive, repo-relative.
    pub archive: String,
    /// `attachment` (from the task's evidence) or `completed_context`.
    pub source: &'static str,
    /// The destination, absolute.
    pub to: String,
    #[serde(flatten)]
    pub extracted: Extracted,
}

/// Restore the archive `eid` of task `store` into `to`: an archive in the task's evidence
/// index, else the task's context kept by `--complete`. The archive is re-hashed first (E026
/// when it is not what was recorded); a hostile member (E002) or a name that exists in `to`
/// (E042) stops it before anything is written.
pub fn extract(repo: &Repo, store: &ContextStore, eid: &str, to: &Path) -> Result<Restored> {
    let (archive_rel, archive_path, source) = find(repo, store, eid)?;
    let actual = super::verify::hash_file(&archive_path)
        .map_err(|e| StateError::io(&archive_path, "read", e))?;
    if !actual.starts_with(eid) {
        return Err(Error::new(
            ErrorCode::E026,
            format!("{archive_rel} is not the archive {eid} any more: its content changed"),
        )
        .with_detail("path", &archive_rel)
        .with_detail("expected_id", eid)
        .with_detail("actual_sha256", actual)
        .with_recovery(format!(
            "Nothing was extracted. Run tasks --verify-evidence {} to see what changed",
            store.id
        )));
    }
    let open = || -> io::Result<Box<dyn io::Read>> {
        let file = super::verify::open_nofollow(&archive_path)?;
        Ok(Box::new(io::BufReader::new(file)))
    };
    let extracted = archive::extract(&open, to).map_err(|e| match e {
        ExtractError::Hostile { member, why } => Error::new(
            ErrorCode::E002,
            format!(
                "{archive_rel} holds a member that would leave the destination ({}: {why}); nothing was extracted",
                crate::text::field(&member)
            ),
        )
        .with_detail("member", member)
        .with_detail("reason", why)
        .with_recovery("The archive is not one this tool wrote; do not extract it"),
        ExtractError::Exists(path) => Error::new(
            ErrorCode::E042,
            format!(
                "{} exists; nothing was extracted",
                crate::text::field(&path.display().to_string())
            ),
        )
        .with_detail("path", path.display().to_string())
        .with_recovery("Move it away, or pass another --to directory"),
        ExtractError::Io(e) => StateError::io(to, "write", e).into(),
    })?;
    Ok(Restored {
        task_id: store.id.clone(),
        id: eid.to_string(),
        archive: archive_rel,
        source,
        to: to.display().to_string(),
        extracted,
    })
}

/// The archive `eid` names for the task: (repo-relative, path, where it was found).
fn find(repo: &Repo, store: &ContextStore, eid: &str) -> Result<(String, PathBuf, &'static str)> {
    let mut known = Vec::new();
    if std::fs::symlink_metadata(&store.dir).is_ok() {
        let _locked = store.read_lock(repo)?;
        let index = Index::load(store)?;
        if let Some(a) = index.get(eid) {
            if a.compression.is_none() {
                let copy = a.stored_path.as_deref().unwrap_or(&a.path);
                return Err(Error::new(
                    ErrorCode::E002,
                    format!(
                        "Evidence {eid} is a {}, not an archive: nothing to extract",
                        a.kind
                    ),
                )
                .with_detail("id", eid)
                .with_detail("stored_path", copy)
                .with_recovery(format!("Its copy is {}", crate::text::field(copy))));
            }
            let rel = a.stored_path.clone().unwrap_or_else(|| a.path.clone());
            let path = super::verify::locate(repo, store, &rel, a.stored_path.is_some()).map_err(
                |(_, why)| {
                    Error::new(ErrorCode::E052, format!("Evidence {eid}: {why}"))
                        .with_detail(
                            "path",
                            store.dir.join(super::index::INDEX).display().to_string(),
                        )
                        .with_recovery("Nothing was extracted. Repair or remove the entry")
                },
            )?;
            return Ok((rel, path, "attachment"));
        }
        known.extend(
            index
                .evidence
                .iter()
                .filter(|a| a.compression.is_some())
                .map(|a| a.id.clone()),
        );
    }
    let kept_rel = format!("{COMPLETED_DIR}/{}", store.id);
    if let Some(dir) = repo.existing_state_dir(&kept_rel)? {
        let name = format!("context-{eid}.tar.zst");
        let path = dir.join(&name);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Ok((format!("{kept_rel}/{name}"), path, "completed_context"));
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            known.extend(entries.flatten().filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                let id = n
                    .strip_prefix("context-")?
                    .strip_suffix(".tar.zst")?
                    .to_string();
                is_hex(&id, 16).then_some(id)
            }));
        }
    }
    known.sort();
    Err(Error::new(
        ErrorCode::E003,
        format!("{} has no archive {eid}", store.id),
    )
    .with_detail("task_id", &store.id)
    .with_detail("id", eid)
    .with_detail("archives", &known)
    .with_recovery(if known.is_empty() {
        format!(
            "{} has no archive to extract (tasks --list-evidence {} lists its evidence)",
            store.id, store.id
        )
    } else {
        format!("Pass one of: {}", known.join(", "))
    }))
}
