//! `.agent-output/<ID>/evidence/index.json`: the task's evidence attachments (checklists copied
//! at init, QA logs). `{"version": 1, "evidence": [{id, type, path, sha256, size, created_at,
//! description, metadata?}]}`; unknown keys are kept.

use super::store::ContextStore;
use crate::error::Result;
use crate::store::{self, StateError, txn::Txn};
use serde_json::{Value, json};

/// Stage the index with `attachments` added, each replacing the entry with the same `path`.
/// The caller holds the task's lock; a corrupt index stops the change (E052).
pub fn add(store: &ContextStore, txn: &mut Txn, attachments: Vec<Value>) -> Result<()> {
    if attachments.is_empty() {
        return Ok(());
    }
    let path = store.evidence_dir().join("index.json");
    let mut index: Value =
        store::read_json(&path)?.unwrap_or_else(|| json!({"version": 1, "evidence": []}));
    // Anything but `{"evidence": [...], ...}` is corrupt: reported, never replaced.
    let Some(list) = index
        .as_object_mut()
        .map(|o| o.entry("evidence").or_insert_with(|| json!([])))
        .and_then(Value::as_array_mut)
    else {
        return Err(StateError::Corrupt {
            path,
            reason: "expected an object whose \"evidence\" is a list".into(),
        }
        .into());
    };
    for attachment in attachments {
        list.retain(|e| e.get("path") != attachment.get("path"));
        list.push(attachment);
    }
    Ok(txn.put_json(&store.rel("evidence/index.json"), &index)?)
}
