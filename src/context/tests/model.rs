use super::*;

fn snapshot_at(time: &str) -> Option<WorktreeSnapshot> {
    let mut snap: WorktreeSnapshot = serde_json::from_value(serde_json::json!({
        "base_commit": "0".repeat(40),
        "snapshot_time": "",
        "diff_from_base": "",
        "diff_sha": "",
    }))
    .unwrap();
    snap.snapshot_time = time.into();
    Some(snap)
}

#[test]
fn the_latest_snapshot_is_chosen_by_time_not_by_role() {
    let mut c = Coordination::fresh();
    assert_eq!(c.latest_snapshot(), None, "no snapshot at all");
    c.reviewer.worktree_snapshot = snapshot_at("2026-11-29T10:00:00Z");
    c.implementer.worktree_snapshot = snapshot_at("2026-11-29T11:00:00+01:00");
    assert_eq!(
        c.latest_snapshot(),
        Some("reviewer"),
        "10:00Z is after 10:00+01:00"
    );
    c.validator.worktree_snapshot = snapshot_at("2026-11-29T10:00:00.000001Z");
    assert_eq!(c.latest_snapshot(), Some("validator"));
}

#[test]
fn an_unreadable_time_counts_as_earliest_and_ties_go_to_the_later_role() {
    let mut c = Coordination::fresh();
    c.validator.worktree_snapshot = snapshot_at("yesterday");
    c.implementer.worktree_snapshot = snapshot_at("2000-01-01T00:00:00Z");
    assert_eq!(c.latest_snapshot(), Some("implementer"));
    c.reviewer.worktree_snapshot = snapshot_at("2000-01-01T00:00:00Z");
    assert_eq!(c.latest_snapshot(), Some("reviewer"));
}
