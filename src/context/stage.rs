//! The context's files on disk (spec 02 §2, contract D6): what init and rebuild stage beside
//! `context.json` — the task snapshot, the standards excerpts and their index, the checklists
//! and the evidence index — and the immutable part and manifest that describe them. Everything
//! is staged in the caller's transaction (the task's lock held); nothing is visible before it
//! commits.

use super::build::Payload;
use super::excerpts::{ExcerptIndex, IndexEntry, cache_name, is_plain_name};
use super::model::{CONTEXT_VERSION, Immutable, Manifest, SourceFile};
use super::normalize::NORMALIZATION_VERSION;
use super::store::ContextStore;
use crate::error::Result;
use crate::evidence::index::{self as evidence, Attachment};
use crate::repo::Repo;
use crate::store::txn::Txn;
use crate::store::{self, sha256_hex};
use crate::tasks::file::TaskFile;
use serde_json::{Map, Value};

/// Checklists copied into every context: each `*.md` directly in this directory.
pub const CHECKLIST_DIR: &str = "docs/agents";

/// What init and rebuild write beside the context.
#[derive(Debug)]
pub struct Written {
    pub snapshot_sha: String,
    pub checklists: Vec<SourceFile>,
}

/// Stage `task-snapshot.yaml`, the standards excerpts (`evidence/standards/` + `index.json`)
/// and the checklists (`evidence/checklists/` + the evidence index). The caller holds the
/// task's lock.
pub fn files(
    repo: &Repo,
    store: &ContextStore,
    txn: &mut Txn,
    source: &TaskFile,
    payload: &Payload,
    now: &str,
) -> Result<Written> {
    // Every state file this will update is read first: a corrupt one stops it before anything
    // is written (E052).
    let index_path = store.evidence_dir().join("standards").join("index.json");
    let mut index: ExcerptIndex = store::read_json(&index_path)?.unwrap_or_default();
    let _: Option<Value> = store::read_json(&store.evidence_dir().join("index.json"))?;
    txn.put(&store.rel("task-snapshot.yaml"), &source.raw)?;
    for excerpt in &payload.excerpts {
        let name = cache_name(excerpt);
        txn.put(
            &store.rel(&format!("evidence/standards/{name}")),
            excerpt.body.as_bytes(),
        )?;
        if let Some(old) = index.upsert(IndexEntry::of(excerpt, now))
            && is_plain_name(&old)
        {
            txn.remove(&store.rel(&format!("evidence/standards/{old}")))?;
        }
    }
    if !payload.excerpts.is_empty() {
        txn.put_json(&store.rel("evidence/standards/index.json"), &index)?;
    }
    let checklists = copy_checklists(repo, store, txn, now)?;
    Ok(Written {
        snapshot_sha: sha256_hex(&source.raw),
        checklists,
    })
}

/// Every `*.md` directly under `docs/agents/`, copied to `evidence/checklists/` and listed in
/// `evidence/index.json` (the evidence layout).
fn copy_checklists(
    repo: &Repo,
    store: &ContextStore,
    txn: &mut Txn,
    now: &str,
) -> Result<Vec<SourceFile>> {
    let dir = repo.root.join(CHECKLIST_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut sources = Vec::new();
    let mut attachments = Vec::new();
    for name in names {
        let from = dir.join(&name);
        let Ok(bytes) = std::fs::read(&from) else {
            continue;
        };
        let sha = sha256_hex(&bytes);
        let to_rel = store.rel(&format!("evidence/checklists/{name}"));
        txn.put(&to_rel, &bytes)?;
        attachments.push(Attachment {
            id: sha[..16].to_string(),
            kind: "file".into(),
            path: format!("{CHECKLIST_DIR}/{name}"),
            sha256: sha.clone(),
            size: Some(bytes.len() as u64),
            created_at: now.to_string(),
            description: Some(format!("Checklist copied from {CHECKLIST_DIR}/{name}")),
            compression: None,
            metadata: None,
            stored_path: Some(to_rel),
            source_path: None,
            updated_at: None,
            extra: Map::new(),
        });
        sources.push(SourceFile {
            path: format!("{CHECKLIST_DIR}/{name}"),
            sha256: sha,
            purpose: "checklist".into(),
            extra: Map::new(),
        });
    }
    evidence::add(store, txn, attachments)?;
    Ok(sources)
}

/// The immutable part of a context, from the payload and what was staged.
pub fn immutable(
    payload: &Payload,
    written: &Written,
    preexisting_dirty: Vec<String>,
    extra: Map<String, Value>,
) -> Immutable {
    Immutable {
        task_snapshot: payload.snapshot.clone(),
        standards_citations: payload.citations.clone(),
        validation_baseline: payload.baseline.clone(),
        repo_paths: payload.repo_paths.clone(),
        task_snapshot_sha256: Some(written.snapshot_sha.clone()),
        preexisting_dirty,
        extra,
    }
}

/// The manifest: every source file the context was built from, with its hash.
pub fn manifest(
    source: &TaskFile,
    payload: &Payload,
    written: &Written,
    now: &str,
    actor: &str,
    base: &str,
) -> Manifest {
    let mut sources = vec![SourceFile {
        path: source.rel.clone(),
        sha256: sha256_hex(&source.raw),
        purpose: "task_yaml".into(),
        extra: Map::new(),
    }];
    sources.extend(payload.sources.iter().cloned());
    sources.extend(written.checklists.iter().cloned());
    Manifest {
        version: CONTEXT_VERSION,
        created_at: now.to_string(),
        created_by: Some(actor.to_string()),
        git_head: base.to_string(),
        task_id: source.task.id.to_string(),
        context_schema_version: CONTEXT_VERSION,
        normalization_version: Some(NORMALIZATION_VERSION.to_string()),
        source_files: sources,
        extra: Map::new(),
    }
}

/// What changed in the source files between two manifests (`Modified: <path>`, `Missing:
/// <path>`, `New: <path>`); nothing without a previous manifest.
pub fn compare_sources(previous: Option<&Manifest>, now: &Manifest) -> Vec<String> {
    let Some(previous) = previous else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    for old in &previous.source_files {
        match now.source_files.iter().find(|s| s.path == old.path) {
            None => changes.push(format!("Missing: {}", old.path)),
            Some(new) if new.sha256 != old.sha256 => {
                changes.push(format!("Modified: {}", old.path));
            }
            Some(_) => {}
        }
    }
    for new in &now.source_files {
        if !previous.source_files.iter().any(|s| s.path == new.path) {
            changes.push(format!("New: {}", new.path));
        }
    }
    changes
}

#[cfg(test)]
#[path = "tests/stage.rs"]
mod tests;
