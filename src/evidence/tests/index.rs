use super::*;
use serde_json::json;

fn entry(id: &str, stored: Option<&str>) -> Attachment {
    serde_json::from_value(json!({
        "id": id, "type": "file", "path": "a.txt", "sha256": format!("{id}{}", "0".repeat(48)),
        "size": 3, "created_at": "2026-01-01T00:00:00+00:00",
        "stored_path": stored,
    }))
    .unwrap()
}

#[test]
fn reads_what_tasks_py_wrote_and_keeps_unknown_keys() {
    let raw = json!({
        "version": 1,
        "future": {"x": 1},
        "evidence": [{
            "id": "1033b53b7c170416", "type": "qa_output", "path": ".agent-output/TASK-2001/qa-static.log",
            "sha256": "1033b53b7c170416aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "size": 8,
            "created_at": "2026-11-25T11:36:21.876063+00:00", "description": "Static analysis",
            "metadata": {"command": "pnpm lint", "exit_code": 0, "duration_ms": 4523},
            "compression": {"format": "tar.gz", "original_size": 9, "index_path": "x.index.json", "level": 3},
            "reviewer_note": "kept"
        }]
    });
    let index: Index = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(index.evidence[0].kind, "qa_output");
    assert_eq!(index.evidence[0].stored_path, None);
    let back = serde_json::to_value(&index).unwrap();
    assert_eq!(back, raw, "nothing lost or added on a round trip");
}

#[test]
fn one_entry_per_id_and_per_stored_copy() {
    let mut index = Index::default();
    let mut first = entry("aaaaaaaaaaaaaaaa", Some("s/a"));
    first.description = Some("first".into());
    first.metadata = Some(
        json!({"command": "x", "extra": 1})
            .as_object()
            .unwrap()
            .clone(),
    );
    index.upsert(first);
    index.upsert(entry("bbbbbbbbbbbbbbbb", Some("s/b")));
    // Same content again, no description, other metadata: one entry, description kept,
    // metadata merged with the new keys winning.
    let mut again = entry("aaaaaaaaaaaaaaaa", Some("s/a2"));
    again.metadata = Some(json!({"command": "y"}).as_object().unwrap().clone());
    let replaced = index.upsert(again);
    assert_eq!(replaced.len(), 1);
    assert_eq!(index.evidence.len(), 2);
    let a = index.get("aaaaaaaaaaaaaaaa").unwrap();
    assert_eq!(a.description.as_deref(), Some("first"));
    assert_eq!(a.metadata.as_ref().unwrap()["command"], "y");
    assert_eq!(a.metadata.as_ref().unwrap()["extra"], 1);
    assert_eq!(a.stored_path.as_deref(), Some("s/a2"));
    // New content at a stored copy that an entry names (a checklist rewritten): that entry goes.
    let replaced = index.upsert(entry("cccccccccccccccc", Some("s/b")));
    assert_eq!(replaced[0].id, "bbbbbbbbbbbbbbbb");
    assert!(index.get("bbbbbbbbbbbbbbbb").is_none());
    assert!(index.references("s/b"));
    assert!(!index.references("s/a"));
}

#[test]
fn an_index_of_the_wrong_shape_is_refused() {
    for bad in [
        json!([]),
        json!({"evidence": {}}),
        json!({"evidence": [{"id": 1}]}),
    ] {
        assert!(serde_json::from_value::<Index>(bad).is_err());
    }
}
