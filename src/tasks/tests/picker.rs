use super::*;
use crate::tasks::graph::tests::task;

fn pick(tasks: &[Task], filter: Filter) -> Option<(String, &'static str)> {
    let g = Graph::new(tasks);
    let p = Priorities::compute(&g);
    let alerts = DraftAlerts::compute(&g, &|p| p.to_string());
    let all = candidates(&g, &p, &alerts, &filter);
    assert_eq!(
        first_candidate(&g, &p, &alerts, &filter, &|_| false),
        all.first().copied()
    );
    // Setting the first aside (a quarantine) gives the second.
    if let Some(&top) = all.first() {
        let skip = |t: &Task| t.id == tasks[top].id;
        assert_eq!(
            first_candidate(&g, &p, &alerts, &filter, &skip),
            all.get(1).copied()
        );
    }
    all.first().map(|&i| {
        let e = p.effective(i);
        (tasks[i].id.to_string(), pick_reason(&tasks[i], e.priority))
    })
}

#[test]
fn status_priority_order_of_the_reference() {
    let tasks = vec![
        task("TASK-0010", "blocked", "P2", &[]),
        task("TASK-0011", "in_progress", "P1", &[]),
        task("TASK-0012", "todo", "P0", &[]),
    ];
    assert_eq!(
        pick(&tasks, Filter::All),
        Some(("TASK-0010".into(), "blocked_manual_intervention"))
    );
    assert_eq!(
        pick(&tasks, Filter::Status("todo".into())),
        Some(("TASK-0012".into(), "highest_priority"))
    );
    assert_eq!(
        pick(&tasks, Filter::Status("in_progress".into())),
        Some(("TASK-0011".into(), "in_progress_resume"))
    );
}

#[test]
fn draft_scenario_picks_the_inheriting_task() {
    let mut t400 = task("TASK-0400", "draft", "P0", &[]);
    t400.unblocker = true;
    let mut t403 = task("TASK-0403", "todo", "P0", &[]);
    t403.depends_on = vec!["TASK-0401".into(), "TASK-0400".into()];
    let mut t404 = task("TASK-0404", "blocked", "P1", &["TASK-0400"]);
    t404.depends_on = vec!["TASK-0400".into()];
    let mut t405 = task("TASK-0405", "todo", "P2", &[]);
    t405.order = Some(5);
    let mut t407 = task("TASK-0407", "todo", "P1", &[]);
    t407.order = Some(1);
    let tasks = vec![
        t400,
        task("TASK-0401", "draft", "P1", &[]),
        task("TASK-0402", "todo", "P1", &["TASK-0401"]),
        t403,
        t404,
        t405,
        task("TASK-0406", "todo", "P0", &["TASK-0405"]),
        t407,
    ];
    assert_eq!(
        pick(&tasks, Filter::All),
        Some(("TASK-0405".into(), "priority_inherited"))
    );
    let g = Graph::new(&tasks);
    let alerts = DraftAlerts::compute(&g, &|p| p.to_string());
    assert_eq!(alerts.draft_count, 2);
    assert_eq!(alerts.draft_unblockers.len(), 1);
    let missing: Vec<(&str, &str)> = alerts
        .violations
        .missing_blocked_by
        .iter()
        .map(|v| (v.task_id.as_str(), v.draft_id.as_str()))
        .collect();
    assert_eq!(
        missing,
        vec![("TASK-0403", "TASK-0400"), ("TASK-0403", "TASK-0401")]
    );
    let needs: Vec<&str> = alerts
        .violations
        .needs_blocked_status
        .iter()
        .map(|v| v.task_id.as_str())
        .collect();
    assert_eq!(needs, vec!["TASK-0402"]);
    assert_eq!(alerts.filtered_out_by_picker.len(), 1);
    assert_eq!(
        alerts.filtered_out_by_picker[0].draft_ids,
        vec!["TASK-0400", "TASK-0401"]
    );
    let text = alerts.warning_text();
    assert!(text.contains("CRITICAL: Draft unblocker tasks detected!"));
    assert!(text.contains("    - TASK-0400 (P0) \u{2014} Title of TASK-0400"));
}

#[test]
fn unblocker_filter_works() {
    let mut u = task("TASK-0002", "todo", "P2", &[]);
    u.unblocker = true;
    let tasks = vec![task("TASK-0001", "todo", "P0", &[]), u];
    assert_eq!(
        pick(&tasks, Filter::Unblocker),
        Some(("TASK-0002".into(), "unblocker"))
    );
    assert_eq!(Filter::parse(Some("unblocker")), Filter::Unblocker);
    assert_eq!(Filter::parse(Some("auto")), Filter::All);
    assert_eq!(Filter::parse(Some("")), Filter::All);
}

#[test]
fn halt_message_lists_reasons() {
    let mut a = task("TASK-0200", "blocked", "P1", &[]);
    a.unblocker = true;
    a.blocked_reason = Some("Waiting on vendor".into());
    let mut b = task("TASK-0201", "blocked", "P1", &[]);
    b.unblocker = true;
    let halt = Halt::check(&[a, b]);
    assert!(halt.halt);
    assert!(halt.message.contains("  - TASK-0200: Waiting on vendor\n"));
    assert!(
        halt.message
            .contains("  - TASK-0201: (no reason specified)\n")
    );
    assert_eq!(halt.tasks, vec!["TASK-0200", "TASK-0201"]);
}

#[test]
fn the_packed_key_orders_as_the_key() {
    // Every field at its edges and in between, the order's sign and extremes included.
    let orders = [i64::MIN, -9999, -1, 0, 1, 9999, i64::MAX - 1, i64::MAX];
    let bytes = [0u8, 1, 2, 99, 255];
    let mut keys: Vec<SortKey> = Vec::new();
    for unblocker in [false, true] {
        for &status in &bytes {
            for &rank in &bytes[..3] {
                for &order in &orders {
                    for &priority in &bytes[1..4] {
                        keys.push((unblocker, status, rank, order, priority));
                    }
                }
            }
        }
    }
    // Pairs far apart and side by side in a shuffled order.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let a = keys[(state % keys.len() as u64) as usize];
        let b = keys[((state >> 32) % keys.len() as u64) as usize];
        assert_eq!(packed(a).cmp(&packed(b)), a.cmp(&b), "{a:?} {b:?}");
    }
    let mut sorted = keys.clone();
    sorted.sort();
    let mut by_packed = keys;
    by_packed.sort_by_key(|k| packed(*k));
    assert_eq!(by_packed, sorted);
}
