use super::*;
use crate::tasks::graph::tests::task;
use crate::tasks::model::Task;

/// Every task's effective priority, with the reasons computed at once; each is checked against
/// the reason found by a walk for that task alone (what pick and explain use).
fn effective(tasks: &[Task]) -> Vec<(String, String, Option<String>)> {
    let g = Graph::new(tasks);
    let all = Priorities::with_reasons(&g);
    let one_by_one = Priorities::compute(&g);
    let blocks = g.blocks();
    // The reasons found on a helper thread while the ranks are read here.
    let (beside, ranks) =
        Priorities::with_reasons_beside(&g, |r| (0..tasks.len()).map(|i| r.rank(i)).collect());
    let ranks: Vec<u8> = ranks;
    (0..tasks.len())
        .map(|i| {
            let e = all.effective(i);
            assert_eq!(e, one_by_one.effective(i), "{}", tasks[i].id);
            assert_eq!(e, effective_of(&g, &blocks, i), "{}", tasks[i].id);
            assert_eq!(e, beside.effective(i), "{}", tasks[i].id);
            assert_eq!(all.rank(i), one_by_one.rank(i), "{}", tasks[i].id);
            assert_eq!(all.rank(i), ranks[i], "{}", tasks[i].id);
            (
                tasks[i].id.to_string(),
                e.priority.to_string(),
                e.reason.as_deref().map(str::to_string),
            )
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
    let p = Priorities::with_reasons(&g);
    let expected = format!("Blocks P0 work: T-{}", n - 1);
    for i in 0..n - 1 {
        assert_eq!(p.rank(i), 0);
        assert_eq!(p.effective(i).reason.as_deref(), Some(expected.as_str()));
    }
    // A reason found by a walk, for one task, is the same (one walk is linear too).
    let one = Priorities::compute(&g);
    for i in [0, n / 2, n - 2] {
        assert_eq!(one.effective(i).reason.as_deref(), Some(expected.as_str()));
    }
}

#[test]
fn a_fan_in_names_five_ids_and_counts_the_rest() {
    // R blocks twelve P0 tasks.
    let mut tasks = vec![task("R", "todo", "P2", &[])];
    tasks.extend((0..12).map(|i| task(&format!("X-{i:02}"), "todo", "P0", &["R"])));
    let e = effective(&tasks);
    assert_eq!(
        e[0].2.as_deref(),
        Some("Blocks P0 work: X-00, X-01, X-02, X-03, X-04 and 7 more")
    );
}

#[test]
fn shared_descendants_are_counted_once() {
    // R blocks A and B; both block the same eight P0 tasks (a wide diamond).
    let mut tasks = vec![
        task("R", "todo", "P2", &[]),
        task("A", "todo", "P2", &["R"]),
        task("B", "todo", "P2", &["R"]),
    ];
    tasks.extend((0..8).map(|i| task(&format!("X-{i}"), "todo", "P0", &["A", "B"])));
    let e = effective(&tasks);
    assert_eq!(
        e[0].2.as_deref(),
        Some("Blocks P0 work: X-0, X-1, X-2, X-3, X-4 and 3 more")
    );
}

#[test]
fn a_set_larger_than_it_keeps_is_a_lower_bound() {
    // R blocks a chain of 150 P0 tasks: 150 ids, of which COUNTED_IDS are kept.
    let mut tasks = vec![task("R", "todo", "P2", &[])];
    for i in 0..150 {
        let prev = if i == 0 {
            "R".to_string()
        } else {
            format!("X-{:03}", i - 1)
        };
        tasks.push(task(&format!("X-{i:03}"), "todo", "P0", &[prev.as_str()]));
    }
    let e = effective(&tasks);
    let more = COUNTED_IDS - NAMED_IDS;
    assert_eq!(
        e[0].2.as_deref(),
        Some(
            format!("Blocks P0 work: X-000, X-001, X-002, X-003, X-004 and {more}+ more").as_str()
        )
    );
}

#[test]
fn merge_bounded_keeps_the_smallest_distinct_ids() {
    assert_eq!(
        merge_bounded(&[1, 3, 5], &[2, 3, 6]),
        (vec![1, 2, 3, 5, 6], false)
    );
    assert_eq!(merge_bounded(&[], &[4]), (vec![4], false));
    let a: Vec<u32> = (0..COUNTED_IDS as u32).map(|x| 2 * x).collect();
    let b: Vec<u32> = (0..COUNTED_IDS as u32).map(|x| 2 * x + 1).collect();
    let (merged, cut) = merge_bounded(&a, &b);
    assert_eq!(merged, (0..COUNTED_IDS as u32).collect::<Vec<_>>());
    assert!(cut);
    let (merged, cut) = merge_bounded(&a[..10], &a[..10]);
    assert_eq!((merged.len(), cut), (10, false));
}

/// The reason a naive walk gives: every task at the best level it transitively blocks.
fn brute_force_reason(tasks: &[Task], i: usize) -> Option<String> {
    let graph = Graph::new(tasks);
    let blocks = graph.blocks();
    let mut seen = vec![false; tasks.len()];
    let mut stack: Vec<usize> = blocks.of(i).collect();
    while let Some(v) = stack.pop() {
        if !std::mem::replace(&mut seen[v], true) {
            stack.extend(blocks.of(v));
        }
    }
    let reached: Vec<usize> = (0..tasks.len()).filter(|&v| seen[v]).collect();
    let best = reached
        .iter()
        .filter_map(|&v| priority_level(&tasks[v].priority))
        .min()?;
    if priority_level(&tasks[i].priority).is_some_and(|d| d <= best) {
        return None;
    }
    let mut ids: Vec<&str> = reached
        .iter()
        .filter(|&&v| priority_level(&tasks[v].priority) == Some(best))
        .map(|&v| &*tasks[v].id)
        .collect();
    ids.sort_unstable();
    let mut text = format!(
        "Blocks {} work: {}",
        PRIORITIES[usize::from(best)],
        ids[..ids.len().min(NAMED_IDS)].join(", ")
    );
    if ids.len() > COUNTED_IDS {
        text.push_str(&format!(" and {}+ more", COUNTED_IDS - NAMED_IDS));
    } else if ids.len() > NAMED_IDS {
        text.push_str(&format!(" and {} more", ids.len() - NAMED_IDS));
    }
    Some(text)
}

#[test]
fn random_graphs_match_a_naive_walk() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..6 {
        let n = 60 + 50 * round;
        let ids: Vec<String> = (0..n).map(|i| format!("T-{i:03}")).collect();
        let tasks: Vec<Task> = (0..n)
            .map(|i| {
                // Mostly earlier blockers, sometimes a later one (cycles).
                let blockers: Vec<&str> = (0..next(4))
                    .map(|_| {
                        ids[if next(10) == 0 {
                            next(n)
                        } else {
                            next(i.max(1))
                        }]
                        .as_str()
                    })
                    .collect();
                let priority = ["P0", "P1", "P2", "P2", "P9"][next(5)];
                task(&ids[i], "todo", priority, &blockers)
            })
            .collect();
        let e = effective(&tasks);
        for i in 0..n {
            assert_eq!(
                e[i].2,
                brute_force_reason(&tasks, i),
                "round {round}, {}",
                ids[i]
            );
        }
    }
}
