//! `.agent-output/<ID>/evidence/index.json`: `{"version": 1, "evidence": [<attachment>…]}`, the
//! layout `tasks.py` wrote (04 §2.3), so either tool reads the other's. Unknown keys are kept at
//! every level. Changed only under the task's lock, as part of a transaction (`store::txn`).

use crate::context::store::ContextStore;
use crate::error::Result;
use crate::store::{self, StateError, txn::Txn};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The evidence directory and the index, relative to the task's directory.
pub const EVIDENCE_DIR: &str = "evidence";
pub const INDEX: &str = "evidence/index.json";

/// One piece of evidence (schemas §1.1), plus `stored_path`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Attachment {
    /// The first 16 hex digits of `sha256`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Where the evidence came from, repo-relative (as `tasks.py` stored it; for a directory,
    /// its archive).
    pub path: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<Compression>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// The copy this tool keeps, repo-relative, inside the task's `evidence/` directory
    /// (additive; `tasks.py` kept none and pointed `path` at the original).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_path: Option<String>,
    /// When the same content was last attached again (additive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// For an archived directory: the directory, repo-relative (additive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How an archive was made (schemas §1.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Compression {
    /// `tar.zst` (this tool) or `tar.gz` (`tasks.py`'s fallback).
    pub format: String,
    /// The total size of the archived files.
    pub original_size: u64,
    /// The archive's listing (`<name>.index.json`), repo-relative.
    pub index_path: String,
    /// SHA-256 of the listing (additive), so that an edited listing is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_sha256: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Index {
    #[serde(default = "version")]
    pub version: u64,
    #[serde(default)]
    pub evidence: Vec<Attachment>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn version() -> u64 {
    1
}

impl Default for Index {
    fn default() -> Index {
        Index {
            version: 1,
            evidence: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl Index {
    /// The task's index as stored (the caller holds the task's lock): empty when there is none,
    /// E052 when it cannot be read as an index (never replaced then).
    pub fn load(store: &ContextStore) -> Result<Index> {
        // Never read through a link: not the task's directory, not `evidence/` (E002).
        if crate::store::paths::existing_state_dir(&store.root, &store.rel(EVIDENCE_DIR))?.is_none()
        {
            return Ok(Index::default());
        }
        let path = store.dir.join(INDEX);
        let raw: Option<Value> = store::read_json(&path)?;
        let Some(raw) = raw else {
            return Ok(Index::default());
        };
        serde_json::from_value(raw).map_err(|e| {
            StateError::Corrupt {
                path,
                reason: format!("not an evidence index: {e}"),
            }
            .into()
        })
    }

    /// Add `new`: an entry with the same id (the same content) is updated in place — it keeps
    /// its place in the list and its `created_at`, gets `updated_at`, keeps its description
    /// when `new` has none and the metadata keys `new` does not give; any other entry whose
    /// stored copy `new` replaces goes. Returns the entries replaced (as they were).
    pub fn upsert(&mut self, new: Attachment) -> Vec<Attachment> {
        self.put(new, true)
    }

    /// [`Index::upsert`] for what the tool records itself (a QA log, a checklist): the new
    /// entry's description and metadata replace the old ones whole (a run without `--agent`
    /// must not keep the previous run's agent).
    pub fn replace(&mut self, new: Attachment) -> Vec<Attachment> {
        self.put(new, false)
    }

    fn put(&mut self, mut new: Attachment, merge: bool) -> Vec<Attachment> {
        let mut replaced = Vec::new();
        let mut place = None;
        let mut kept = Vec::with_capacity(self.evidence.len() + 1);
        for e in std::mem::take(&mut self.evidence) {
            if e.id == new.id {
                place = Some(kept.len());
                replaced.push(e);
            } else if new.stored_path.is_some() && e.stored_path == new.stored_path {
                replaced.push(e);
            } else {
                kept.push(e);
            }
        }
        if let Some(old) = replaced.iter().find(|e| e.id == new.id) {
            if merge && new.description.is_none() {
                new.description = old.description.clone();
            }
            if merge && let Some(old_meta) = &old.metadata {
                let mut merged = old_meta.clone();
                merged.extend(new.metadata.take().unwrap_or_default());
                new.metadata = Some(merged);
            }
            new.updated_at = Some(std::mem::replace(
                &mut new.created_at,
                old.created_at.clone(),
            ));
        }
        match place {
            Some(i) => kept.insert(i, new),
            None => kept.push(new),
        }
        self.evidence = kept;
        replaced
    }

    pub fn get(&self, id: &str) -> Option<&Attachment> {
        self.evidence.iter().find(|e| e.id == id)
    }

    /// Whether an entry keeps its copy at `stored` (repo-relative).
    pub fn references(&self, stored: &str) -> bool {
        self.evidence.iter().any(|e| {
            e.stored_path.as_deref() == Some(stored)
                || e.compression.as_ref().map(|c| c.index_path.as_str()) == Some(stored)
        })
    }

    /// Stage the index in a change of the task's directory.
    pub fn stage(&self, store: &ContextStore, txn: &mut Txn) -> Result<()> {
        Ok(txn.put_json(&store.rel(INDEX), self)?)
    }
}

/// Stage the task's index with `attachments` added (QA logs, checklists). The caller holds the
/// task's lock; a corrupt index stops the change (E052).
pub fn add(store: &ContextStore, txn: &mut Txn, attachments: Vec<Attachment>) -> Result<()> {
    if attachments.is_empty() {
        return Ok(());
    }
    let mut index = Index::load(store)?;
    for attachment in attachments {
        index.replace(attachment);
    }
    index.stage(store, txn)
}

#[cfg(test)]
#[path = "tests/index.rs"]
mod tests;
