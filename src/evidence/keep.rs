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
use crate::store::beneath::Dir;
use crate::store::txn::Txn;
use serde::Serialize;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

/// Where completed tasks' contexts are kept, per task.
pub const COMPLETED_DIR: &str = ".agent-output/.completed";

/// A completed task's context, archived.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
    /// What the archive could not hold (FIFOs, sockets, devices), removed with the context.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LeftOut {
    pub path: String,
    pub reason: String,
}

/// Stage the archive of the context directory of `store` (the caller holds the task's lock
/// and removes the directory in the same change): `.agent-output/.completed/<ID>/context-<id>.tar.zst`
/// and its listing.
pub fn keep_context(
    repo: &Repo,
    store: &ContextStore,
    txn: &mut Txn,
    now: &str,
) -> Result<KeptContext> {
    let rel_dir = format!("{COMPLETED_DIR}/{}", store.id);
    // Opened below the root, never through a link (see `store::beneath`).
    let dir = Dir::open(&repo.root)
        .and_then(|root| root.dir(Path::new(&store.rel_dir)))
        .map_err(|e| StateError::io(&store.dir, "read", e))?;
    let built = txn.put_named(
        |file| {
            let mut out = io::BufWriter::with_capacity(256 * 1024, file);
            let built = archive::write_dir(
                &dir,
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
        restore: restore_command(repo, &store.id, &id),
        path: format!("{rel_dir}/{name}.tar.zst"),
        index_path: format!("{rel_dir}/{name}.index.json"),
        id,
        sha256: built.sha256,
        size: built.size,
        original_size: built.original_size,
        left_out: built
            .skipped
            .into_iter()
            .map(|(path, reason)| LeftOut { path, reason })
            .collect(),
    })
}

/// A context kept by `--complete`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KeptRef {
    pub id: String,
    /// Repo-relative.
    pub path: String,
    pub restore: String,
}

/// The contexts of `store`'s task that `--complete` kept, by id (nothing when there is none;
/// E002 when their directory is a link).
pub fn kept_contexts(repo: &Repo, store: &ContextStore) -> Result<Vec<KeptRef>> {
    let rel_dir = format!("{COMPLETED_DIR}/{}", store.id);
    let Some(dir) = repo.existing_state_dir(&rel_dir)? else {
        return Ok(Vec::new());
    };
    let mut ids: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                // Only plain files: a link or a directory under an archive's name is not one.
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    let id = n
                        .strip_prefix("context-")?
                        .strip_suffix(".tar.zst")?
                        .to_string();
                    is_hex(&id, 16).then_some(id)
                })
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    Ok(ids
        .into_iter()
        .map(|id| KeptRef {
            path: format!("{rel_dir}/context-{id}.tar.zst"),
            restore: restore_command(repo, &store.id, &id),
            id,
        })
        .collect())
}

fn restore_command(repo: &Repo, task: &str, id: &str) -> String {
    // The repository and an absolute --to: the command works from any directory.
    format!(
        "tasks --repo-root {} --extract-evidence {task} --id {id} --to {}",
        shell_word(&repo.root.display().to_string()),
        shell_word(&repo.root.join(OUTPUT_DIR).display().to_string())
    )
}

/// `word` quoted for a POSIX shell when it needs to be.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:@,".contains(&b))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// What `--extract-evidence` restored.
#[derive(Debug, Serialize, schemars::JsonSchema)]
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
pub fn extract(
    repo: &Repo,
    store: &ContextStore,
    eid: &str,
    to: &Path,
    from: &archive::Destination,
) -> Result<Restored> {
    let found = find(repo, store, eid)?;
    let (archive_rel, archive_path, source) = (found.rel.clone(), found.path.clone(), found.source);
    // One open file for every pass: the bytes checked are the bytes extracted (a path could
    // be swapped for another archive between two opens).
    let mut file = super::verify::open_nofollow(&archive_path)
        .map_err(|e| StateError::io(&archive_path, "read", e))?;
    let actual = crate::store::hash::sha256_reader(&mut file)
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
        let mut again = file.try_clone()?;
        again.seek(io::SeekFrom::Start(0))?;
        Ok(Box::new(io::BufReader::new(again)))
    };
    // A member that would leave the destination refuses the archive first (E002)...
    let tops = archive::validate(&open).map_err(|e| refusal(&archive_rel, to, e))?;
    // ... a kept context restores its own task's directory, nothing else...
    if source == "completed_context" && tops != [store.id.clone()] {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "{archive_rel} does not hold the context of {} (its top-level names: {}); nothing was extracted",
                store.id,
                crate::text::field(&tops.join(", "))
            ),
        )
        .with_detail("path", &archive_rel)
        .with_detail("tops", &tops)
        .with_recovery("It is not an archive --complete wrote; remove it"));
    }
    // ... then exactly the files its listing names, with their hashes: what --verify-evidence
    // would flag is never extracted (and nothing the listing does not announce is written).
    let mut first = open().map_err(|e| StateError::io(&archive_path, "read", e))?;
    if let Err((status, why, members)) = super::verify::check_listed(
        &mut first,
        &found.listing,
        &found.listing_shown,
        found.listing_sha.as_deref(),
    ) {
        return Err(Error::new(
            ErrorCode::E026,
            format!(
                "{archive_rel} is not what its listing says ({status}: {why}); nothing was extracted"
            ),
        )
        .with_detail("path", &archive_rel)
        .with_detail("status", status)
        .with_detail("reason", why)
        .with_detail("members", members)
        .with_recovery(format!(
            "Nothing was extracted. Run tasks --verify-evidence {} to see what changed",
            store.id
        )));
    }
    let extracted =
        archive::extract_into(&open, to, from).map_err(|e| refusal(&archive_rel, to, e))?;
    Ok(Restored {
        task_id: store.id.clone(),
        id: eid.to_string(),
        archive: archive_rel,
        source,
        to: to.display().to_string(),
        extracted,
    })
}

/// An extraction refused or failed, as the error of the command.
fn refusal(archive_rel: &str, to: &Path, e: ExtractError) -> Error {
    match e {
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
    }
}

/// An archive found for extraction, with its listing.
struct Found {
    /// Repo-relative.
    rel: String,
    path: PathBuf,
    source: &'static str,
    listing: PathBuf,
    listing_shown: String,
    listing_sha: Option<String>,
}

fn find(repo: &Repo, store: &ContextStore, eid: &str) -> Result<Found> {
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
            let Some(c) = a.compression.as_ref().filter(|c| c.format == "tar.zst") else {
                return Err(Error::new(
                    ErrorCode::E002,
                    format!("Evidence {eid} is not a tar.zst archive: this tool extracts only its own archives"),
                )
                .with_detail("id", eid)
                .with_recovery("Extract it with the tool that made it (tar)"));
            };
            let rel = a.stored_path.clone().unwrap_or_else(|| a.path.clone());
            let own = a.stored_path.is_some();
            let refuse = |(_, why): (&str, String)| {
                Error::new(ErrorCode::E052, format!("Evidence {eid}: {why}"))
                    .with_detail(
                        "path",
                        store.dir.join(super::index::INDEX).display().to_string(),
                    )
                    .with_recovery("Nothing was extracted. Repair or remove the entry")
            };
            let path = super::verify::locate(repo, store, &rel, own).map_err(refuse)?;
            let listing = super::verify::locate(repo, store, &c.index_path, own).map_err(refuse)?;
            return Ok(Found {
                rel,
                path,
                source: "attachment",
                listing,
                listing_shown: c.index_path.clone(),
                listing_sha: c.index_sha256.clone(),
            });
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
    let kept = kept_contexts(repo, store)?;
    if kept.iter().any(|k| k.id == eid)
        && let Some(dir) = repo.existing_state_dir(&kept_rel)?
    {
        let name = format!("context-{eid}.tar.zst");
        let listing_name = format!("context-{eid}.index.json");
        return Ok(Found {
            rel: format!("{kept_rel}/{name}"),
            path: dir.join(&name),
            source: "completed_context",
            listing: dir.join(&listing_name),
            listing_shown: format!("{kept_rel}/{listing_name}"),
            listing_sha: None,
        });
    }
    known.extend(kept.into_iter().map(|k| k.id));
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
