use super::*;
use crate::tasks::graph::tests::task;
use crate::tasks::model::Task;

fn effective(tasks: &[Task]) -> Vec<(String, String, Option<String>)> {
    let g = Graph::new(tasks);
    let p = Priorities::compute(&g);
    (0..tasks.len())
        .map(|i| {
            let e = p.effective(i);
            (tasks[i].id.clone(), e.priority, e.reason)
        })
        .collect()
}

#[test]
fn inherits_through_a_three_hop_chain() {
    // A blocks B blocks C blocks D(P0)
    let tasks = vec![
        task("A", "todo", "P2", &[]),
        task("B", "todo", "P2", &["A"]),
        task("C", "todo", "P1", &["B"]),
        task("D", "todo", "P0", &["C"]),
    ];
    let e = effective(&tasks);
    for (id, prio, reason) in &e[..3] {
        assert_eq!(prio, "P0", "{id}");
        assert_eq!(reason.as_deref(), Some("Blocks P0 work: D"), "{id}");
    }
    assert_eq!(e[3].1, "P0");
    assert_eq!(e[3].2, None);
}

#[test]
fn diamond_names_every_best_task_once() {
    // R blocks L and M; L and M both block P0 tasks X and Y; L also blocks P1 Z.
    let tasks = vec![
        task("R", "todo", "P2", &[]),
        task("L", "todo", "P2", &["R"]),
        task("M", "todo", "P2", &["R"]),
        task("X", "todo", "P0", &["L", "M"]),
        task("Y", "todo", "P0", &["M"]),
        task("Z", "todo", "P1", &["L"]),
    ];
    let e = effective(&tasks);
    assert_eq!(e[0].2.as_deref(), Some("Blocks P0 work: X, Y"));
    assert_eq!(e[1].2.as_deref(), Some("Blocks P0 work: X"));
    assert_eq!(e[2].2.as_deref(), Some("Blocks P0 work: X, Y"));
    assert_eq!(e[5].2, None);
}

#[test]
fn reference_example_lists_all_equal_best_ids_sorted() {
    let tasks = vec![
        task("TASK-0001", "todo", "P2", &[]),
        task("TASK-0004", "todo", "P1", &["TASK-0001"]),
        task("TASK-0003", "todo", "P1", &["TASK-0001"]),
        task("TASK-0009", "todo", "P2", &["TASK-0003"]),
    ];
    let e = effective(&tasks);
    assert_eq!(e[0].1, "P1");
    assert_eq!(
        e[0].2.as_deref(),
        Some("Blocks P1 work: TASK-0003, TASK-0004")
    );
}

#[test]
fn cycles_and_unknown_priorities() {
    // A <-> B cycle, B blocks C (P0); U has an unknown priority and blocks a P2 task.
    let tasks = vec![
        task("A", "todo", "P2", &["B"]),
        task("B", "todo", "P1", &["A"]),
        task("C", "todo", "P0", &["B"]),
        task("U", "todo", "P9", &[]),
        task("V", "todo", "P2", &["U"]),
        task("S", "todo", "P2", &["S"]),
    ];
    let e = effective(&tasks);
    assert_eq!(e[0].2.as_deref(), Some("Blocks P0 work: C"));
    assert_eq!(e[1].2.as_deref(), Some("Blocks P0 work: C"));
    assert_eq!(e[3].1, "P2");
    assert_eq!(e[3].2.as_deref(), Some("Blocks P2 work: V"));
    assert_eq!(e[5].2, None);
}

#[test]
fn completed_and_draft_tasks_still_pass_priority_on() {
    let tasks = vec![
        task("A", "todo", "P2", &[]),
        task("B", "completed", "P2", &["A"]),
        task("C", "draft", "P0", &["B"]),
    ];
    assert_eq!(effective(&tasks)[0].2.as_deref(), Some("Blocks P0 work: C"));
}

#[test]
fn long_chain_is_linear_and_shares_the_reason() {
    let n = 100_000;
    let mut tasks: Vec<Task> = (0..n)
        .map(|i| {
            let id = format!("T-{i}");
            let prev = format!("T-{}", i.max(1) - 1);
            let blockers: Vec<&str> = if i == 0 { vec![] } else { vec![prev.as_str()] };
            task(&id, "todo", "P2", &blockers)
        })
        .collect();
    tasks[n - 1].priority = "P0".into();
    let g = Graph::new(&tasks);
    let p = Priorities::compute(&g);
    for i in 0..n - 1 {
        assert_eq!(p.rank(i), 0);
        assert_eq!(
            p.effective(i).reason.as_deref(),
            Some(format!("Blocks P0 work: T-{}", n - 1).as_str())
        );
    }
}
