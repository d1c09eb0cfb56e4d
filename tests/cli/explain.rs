use crate::list::workflow_repo;
use serde_json::json;

#[test]
fn text_shows_blockers_artifacts_chain_and_readiness() {
    let repo = workflow_repo();
    repo.task(
        "tasks/backend/TASK-0009.task.yaml",
        "TASK-0009",
        "todo",
        "P1",
        "unblocker: true\nblocked_by: [TASK-0005, TASK-0001, TASK-0042]\ndepends_on: [TASK-0002, TASK-0005, TASK-0043]\n",
    );
    let run = repo.run(&["--explain", "TASK-0009"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "TASK-0009: Task TASK-0009\n  Status: todo\n  Priority: P1\n  Unblocker: YES\n\n  Hard Blockers (blocked_by):\n    \u{21b3} TASK-0005 (status: completed) - Task TASK-0005 [COMPLETED]\n    \u{21b3} TASK-0001 (status: todo) - Task TASK-0001 [BLOCKING]\n    \u{21b3} TASK-0042 (MISSING) [BLOCKING]\n\n  Artifact Dependencies (depends_on):\n    \u{21b3} TASK-0002 (status: todo) - Task TASK-0002 [IN PROGRESS]\n    \u{21b3} TASK-0005 (status: completed) - Task TASK-0005 [AVAILABLE]\n    \u{21b3} TASK-0043 (MISSING) [UNAVAILABLE]\n\n  Blocker chain (each hop waits for the one below it):\n    TASK-0009\n    \u{251c}\u{2500} TASK-0005 (completed)\n    \u{251c}\u{2500} TASK-0001 (todo)\n    \u{2514}\u{2500} TASK-0042 (no such task)\n\n  Readiness: NOT READY (2 hard blocker(s) remain)\n  Recommendation: Complete these tasks first: TASK-0001, TASK-0042 (no such task: fix the reference)\n"
    );
}

#[test]
fn json_lists_dependencies_in_declared_order() {
    let repo = workflow_repo();
    let (code, doc, _) = repo.json(&["--explain", "TASK-0003"]);
    assert_eq!(code, 0);
    assert_eq!(
        doc["task"],
        json!({"id": "TASK-0003", "title": "Task TASK-0003", "status": "todo", "priority": "P1", "unblocker": false, "effective_priority": "P1", "priority_reason": null, "blocked_reason": null})
    );
    assert_eq!(
        doc["blocker_chain"],
        json!([
            {"id": "TASK-0001", "depth": 1, "status": "todo", "repeated": false},
            {"id": "TASK-0099", "depth": 1, "status": null, "repeated": false}
        ])
    );
    assert_eq!(
        doc["hard_blockers"],
        json!([
            {"id": "TASK-0001", "status": "todo", "title": "Task TASK-0001", "blocking": true},
            {"id": "TASK-0099", "status": "unknown", "title": null, "blocking": true}
        ])
    );
    assert_eq!(doc["artifact_dependencies"], json!([]));
    assert_eq!(doc["transitive_closure"], json!(["TASK-0001"]));
    assert_eq!(
        doc["readiness"],
        json!({"ready": false, "blocking_count": 2, "recommendation": "Complete 2 hard blocker(s) first"})
    );
}

#[test]
fn ready_task_and_long_chain_summary() {
    let repo = crate::support::TestRepo::new();
    for i in 1..=7 {
        let blocked = if i < 7 {
            format!("blocked_by: [TASK-000{}]\n", i + 1)
        } else {
            String::new()
        };
        repo.task(
            &format!("tasks/TASK-000{i}.task.yaml"),
            &format!("TASK-000{i}"),
            "completed",
            "P1",
            &blocked,
        );
    }
    repo.task(
        "tasks/TASK-0010.task.yaml",
        "TASK-0010",
        "todo",
        "P1",
        "blocked_by: [TASK-0001]\n",
    );
    let run = repo.run(&["--explain", "TASK-0010"]);
    assert!(run.stdout.contains("  Hard Blockers (blocked_by):\n    \u{21b3} TASK-0001 (status: completed) - Task TASK-0001 [COMPLETED]\n"));
    assert!(
        run.stdout
            .contains("  Artifact Dependencies (depends_on): None\n")
    );
    // The chain hop by hop, each under the task it blocks.
    assert!(
        run.stdout.contains(
            "  Blocker chain (each hop waits for the one below it):\n    TASK-0010\n    \u{2514}\u{2500} TASK-0001 (completed)\n       \u{2514}\u{2500} TASK-0002 (completed)\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("TASK-0007 (completed)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("  Readiness: READY\n"));
    let (_, doc, _) = repo.json(&["--explain", "TASK-0010"]);
    assert_eq!(doc["readiness"]["recommendation"], "Task is ready to start");
}

#[test]
fn unknown_id_is_e040_and_malformed_id_is_e002() {
    let repo = workflow_repo();
    let run = repo.run(&["--explain", "TASK-4242"]);
    assert_eq!(run.code, 40);
    assert!(
        run.stderr
            .starts_with("Error [E040]: Task not found: TASK-4242\nRecovery: ")
    );
    let (code, doc, _) = repo.json(&["--explain", "TASK-4242"]);
    assert_eq!(code, 40);
    assert_eq!(doc["error"]["code"], "E040");
    assert_eq!(doc["error"]["name"], "FILE_NOT_FOUND");
    assert_eq!(doc["error"]["details"]["task_id"], "TASK-4242");
    for bad in ["../x", "TASK-1/../../etc", "", "task-0001", "TASK-0001 "] {
        let (code, doc, _) = repo.json(&["--explain", bad]);
        assert_eq!(code, 10, "{bad:?}");
        assert_eq!(doc["error"]["code"], "E002", "{bad:?}");
    }
}

#[test]
fn archived_tasks_can_be_explained() {
    let repo = workflow_repo();
    let (code, doc, _) = repo.json(&["--explain", "TASK-0005"]);
    assert_eq!(code, 0);
    assert_eq!(doc["task"]["status"], "completed");
}

#[test]
fn the_blocker_chain_is_drawn_as_a_tree() {
    // Siblings branch with ├─ until the last (└─), and a column with siblings still to come
    // carries a bar down past the hops under its current one.
    let repo = crate::support::TestRepo::new();
    for (id, blocked) in [
        ("TASK-0001", ""),
        ("TASK-0002", ""),
        ("TASK-0003", "blocked_by: [TASK-0001, TASK-0002]\n"),
        ("TASK-0005", "blocked_by: [TASK-0003]\n"),
        ("TASK-0004", "blocked_by: [TASK-0005, TASK-0002]\n"),
    ] {
        repo.task(&format!("tasks/{id}.task.yaml"), id, "todo", "P1", blocked);
    }
    let run = repo.run(&["--explain", "TASK-0004"]);
    let expected = "    TASK-0004\n\
                    \x20   ├─ TASK-0005 (todo)\n\
                    \x20   │  └─ TASK-0003 (todo)\n\
                    \x20   │     ├─ TASK-0001 (todo)\n\
                    \x20   │     └─ TASK-0002 (todo)\n\
                    \x20   └─ TASK-0002 (todo, shown above)\n";
    assert!(run.stdout.contains(expected), "{}", run.stdout);
}
