//! `.agent-output/<ID>/evidence/index.json`: the task's evidence attachments (checklists copied
//! at init, QA logs). `{"version": 1, "evidence": [{id, type, path, sha256, size, created_at,
//! description, metadata?}]}`; unknown keys are kept.

use super::store::ContextStore;
use crate::error::Result;
use crate::store::{self, txn::Txn};
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
    if !index.get("evidence").is_some_and(Value::is_array) {
        index["evidence"] = json!([]);
    }
    if let Some(list) = index.get_mut("evidence").and_then(Value::as_array_mut) {
        for attachment in attachments {
            list.retain(|e| e.get("path") != attachment.get("path"));
            list.push(attachment);
        }
    }
    Ok(txn.put_json(&store.rel("evidence/index.json"), &index)?)
}
