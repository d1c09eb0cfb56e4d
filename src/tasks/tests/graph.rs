use super::*;

pub fn task(id: &str, status: &str, priority: &str, blocked_by: &[&str]) -> Task {
    Task {
        id: id.to_string().into(),
        title: format!("Title of {id}").into(),
        status: status.to_string().into(),
        priority: priority.to_string().into(),
        area: "test".into(),
        unblocker: false,
        order: None,
        blocked_reason: None,
        blocked_by: blocked_by.iter().map(|s| s.to_string().into()).collect(),
        depends_on: Vec::new(),
        schema_version: "1.0".into(),
        path: format!("tasks/{id}.task.yaml").into(),
        hash: Default::default(),
        mtime: 0.0,
    }
}

#[test]
fn cycles_match_the_reference_scenario() {
    let mut b = task("B", "todo", "P1", &["C", "TASK-0404"]);
    b.depends_on = vec!["TASK-0405".into(), "C".into()];
    let tasks = vec![
        task("D", "todo", "P1", &["B", "C"]),
        b,
        task("A", "todo", "P1", &["A"]),
        task("C", "todo", "P1", &["D"]),
    ];
    let g = Graph::new(&tasks);
    let messages: Vec<String> = g.validate(&[]).0.into_iter().map(|i| i.message).collect();
    assert_eq!(
        messages,
        vec![
            "Circular dependency detected: A -> A",
            "Circular dependency detected: B -> C -> D -> B",
            "Circular dependency detected: C -> D -> C",
            "Task B references non-existent dependencies: TASK-0404, TASK-0405",
        ]
    );
}

#[test]
fn a_100k_chain_does_not_overflow() {
    let n = 100_000;
    let tasks: Vec<Task> = (0..n)
        .map(|i| {
            let id = format!("T-{i}");
            let blocker = format!("T-{}", (i + 1) % n);
            task(&id, "todo", "P2", &[blocker.as_str()])
        })
        .collect();
    let g = Graph::new(&tasks);
    let (cycles, total) = g.cycles(10);
    assert_eq!(total, 1);
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].len(), n + 1);
    assert_eq!(g.transitive_closure(0).len(), n);
}

#[test]
fn readiness_needs_every_blocker_completed() {
    let tasks = vec![
        task("A", "completed", "P1", &[]),
        task("B", "todo", "P1", &["A"]),
        task("C", "todo", "P1", &["A", "B"]),
        task("D", "todo", "P1", &["NOPE"]),
    ];
    let g = Graph::new(&tasks);
    let ready: Vec<&str> = tasks
        .iter()
        .filter(|t| g.is_ready(t))
        .map(|t| &*t.id)
        .collect();
    assert_eq!(ready, vec!["B"]);
}

#[test]
fn dense_cycles_are_counted_but_only_the_first_are_spelled_out() {
    // every task blocked by the next and by the first: one back edge per task
    let n = 3000;
    let tasks: Vec<Task> = (0..n)
        .map(|i| {
            let next = format!("T-{}", (i + 1) % n);
            task(&format!("T-{i}"), "todo", "P2", &[next.as_str(), "T-0"])
        })
        .collect();
    let g = Graph::new(&tasks);
    let (issues, omitted) = g.validate(&[]);
    assert_eq!(issues.len(), MAX_REPORTED_CYCLES);
    assert!(omitted > 2000, "{omitted}");
}

#[test]
fn the_blocker_chain_goes_hop_by_hop_and_never_loops() {
    let tasks = vec![
        task("A", "todo", "P1", &["B", "C"]),
        task("B", "todo", "P1", &["D"]),
        task("C", "completed", "P1", &["D", "X"]),
        task("D", "todo", "P1", &["A"]),
    ];
    let graph = Graph::new(&tasks);
    let (hops, omitted) = graph.blocker_chain(0, 100);
    let shown: Vec<(&str, usize, bool)> = hops
        .iter()
        .map(|h| (h.id.as_str(), h.depth, h.repeated))
        .collect();
    assert_eq!(
        shown,
        [
            ("B", 1, false),
            ("D", 2, false),
            ("A", 3, true),
            ("C", 1, false),
            ("D", 2, true),
            ("X", 2, false),
        ]
    );
    assert_eq!(hops[5].status, None, "X is no task");
    assert_eq!(omitted, 0);
    let (hops, omitted) = graph.blocker_chain(0, 2);
    assert_eq!((hops.len(), omitted), (2, 4));
    let blocks = graph.blocks();
    assert_eq!(graph.dependents(&blocks, 3), ["B", "C"]);
    assert_eq!(graph.dependents(&blocks, 0), ["D"]);
    assert_eq!(graph.dependents(&blocks, 1), ["A"]);
}

#[test]
fn a_long_chain_does_not_overflow() {
    let ids: Vec<String> = (0..100_000).map(|i| format!("T-{i}")).collect();
    let tasks: Vec<Task> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let next = ids.get(i + 1).map(String::as_str);
            task(id, "todo", "P2", next.as_slice())
        })
        .collect();
    let graph = Graph::new(&tasks);
    let (hops, omitted) = graph.blocker_chain(0, 1_000_000);
    assert_eq!((hops.len(), omitted), (99_999, 0));
    assert_eq!(hops.last().unwrap().depth, 99_999);
}

#[test]
fn by_id_orders_like_the_ids_whatever_they_share() {
    let sets: [&[&str]; 5] = [
        &[
            "TASK-0002",
            "TASK-0001",
            "TASK-0911G",
            "TASK-0911",
            "TASK-10",
            "TASK-1",
        ],
        // More than 8 bytes in common after the shared prefix: the whole ids decide.
        &[
            "AB-123456789012",
            "AB-123456789011",
            "AB-1234567890",
            "AB-12345678901",
        ],
        // Nothing shared; different lengths.
        &["Z-1", "A-1", "AA-1", "A-10", "B-2"],
        // One id; an id that is the shared prefix of another.
        &["X-1"],
        &["X-1", "X-12", "X-1"],
    ];
    for ids in sets {
        let tasks: Vec<Task> = ids.iter().map(|id| task(id, "todo", "P1", &[])).collect();
        let graph = Graph::new(&tasks);
        let got: Vec<(&str, usize)> = graph
            .by_id()
            .into_iter()
            .map(|i| (&*tasks[i].id, i))
            .collect();
        let mut expected: Vec<(&str, usize)> =
            tasks.iter().enumerate().map(|(i, t)| (&*t.id, i)).collect();
        expected.sort();
        assert_eq!(got, expected, "{ids:?}");
    }
}

#[test]
fn the_catalog_index_and_a_graph_of_its_own_find_the_same_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    let task = |rel: &str, id: &str, status: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!("id: {id}\ntitle: Task {id}\nstatus: {status}\npriority: P1\narea: core\n"),
        )
        .unwrap();
    };
    task(
        "docs/completed-tasks/TASK-0001.task.yaml",
        "TASK-0001",
        "completed",
    );
    task("tasks/a/TASK-0001.task.yaml", "TASK-0001", "todo");
    task("tasks/b/TASK-0001-again.task.yaml", "TASK-0001", "blocked");
    task("tasks/c/TASK-0002.task.yaml", "TASK-0002", "todo");
    task("tasks/d/OPS-7.task.yaml", "OPS-7", "todo");
    let repo = crate::repo::Repo::discover(Some(root), root).unwrap();
    let catalog = crate::tasks::catalog::Catalog::load(&repo, false);
    assert_eq!(catalog.tasks.len(), 3, "{:?}", catalog.tasks);
    let shared = Graph::of(&catalog);
    let own = Graph::new(&catalog.tasks);
    for id in [
        "TASK-0001",
        "TASK-0002",
        "OPS-7",
        "TASK-0003",
        "TASK-000",
        "",
    ] {
        assert_eq!(shared.index_of(id), own.index_of(id), "{id}");
        assert_eq!(
            shared.index_of(id).map(|i| &*catalog.tasks[i].id),
            catalog.tasks.iter().find(|t| t.id == id).map(|t| &*t.id),
            "{id}"
        );
    }
    // The winner of a repeated id: the first active file.
    let winner = shared.index_of("TASK-0001").unwrap();
    assert_eq!(&*catalog.tasks[winner].path, "tasks/a/TASK-0001.task.yaml");
}
