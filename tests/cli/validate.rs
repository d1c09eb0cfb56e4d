use crate::list::workflow_repo;
use crate::support::TestRepo;
use serde_json::json;

#[test]
fn valid_graph_passes_in_text_and_json() {
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "")
        .task(
            "tasks/TASK-0002.task.yaml",
            "TASK-0002",
            "todo",
            "P1",
            "blocked_by: [TASK-0001]\n",
        );
    let run = repo.run(&["--validate"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "Validation passed: No dependency errors found\n")
    );
    let (code, doc, _) = repo.json(&["--validate"]);
    assert_eq!(code, 0);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["error_count"], 0);
    assert_eq!(doc["errors"], json!([]));
}

#[test]
fn missing_dependencies_are_e010() {
    let repo = workflow_repo();
    let run = repo.run(&["--validate"]);
    assert_eq!(run.code, 10);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("Error [E010]: Validation failed: 2 problem(s)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("\n  - Task TASK-0003 references non-existent dependencies: TASK-0099\n")
    );
    assert!(run.stderr.contains("\nRecovery: "));
    let (code, doc, _) = repo.json(&["--validate"]);
    assert_eq!(code, 10);
    assert_eq!(doc["success"], false);
    assert_eq!(doc["error"]["code"], "E010");
    assert_eq!(doc["error"]["name"], "SCHEMA_VALIDATION_FAILED");
    assert_eq!(
        doc["error"]["details"]["errors"],
        json!([
            "Task TASK-0003 references non-existent dependencies: TASK-0099",
            "Task TASK-0004 references non-existent dependencies: TASK-0099"
        ])
    );
    assert_eq!(doc["error"]["details"]["error_count"], 2);
    assert!(doc["generated_at"].is_string());
}

#[test]
fn cycles_then_missing_then_duplicates_in_a_stable_order() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/A-1.task.yaml",
        "A-1",
        "todo",
        "P1",
        "blocked_by: [A-1]\n",
    )
    .task(
        "tasks/B-1.task.yaml",
        "B-1",
        "todo",
        "P1",
        "blocked_by: [C-1, TASK-0404]\ndepends_on: [TASK-0405, C-1]\n",
    )
    .task(
        "tasks/C-1.task.yaml",
        "C-1",
        "todo",
        "P1",
        "blocked_by: [D-1]\n",
    )
    .task(
        "tasks/D-1.task.yaml",
        "D-1",
        "todo",
        "P1",
        "blocked_by: [B-1, C-1]\n",
    )
    .task("tasks/z/TASK-0009.task.yaml", "TASK-0009", "todo", "P1", "")
    .task(
        "docs/completed-tasks/TASK-0009.task.yaml",
        "TASK-0009",
        "completed",
        "P1",
        "",
    )
    .task("tasks/z/TASK-0008.task.yaml", "TASK-0008", "todo", "P1", "")
    .task("tasks/y/TASK-0008.task.yaml", "TASK-0008", "todo", "P1", "");
    let expected = json!([
        "Circular dependency detected: A-1 -> A-1",
        "Circular dependency detected: B-1 -> C-1 -> D-1 -> B-1",
        "Circular dependency detected: C-1 -> D-1 -> C-1",
        "Task B-1 references non-existent dependencies: TASK-0404, TASK-0405",
        "Duplicate task ID: TASK-0008 (tasks/y/TASK-0008.task.yaml, tasks/z/TASK-0008.task.yaml)",
        "Duplicate task ID: TASK-0009 (tasks/z/TASK-0009.task.yaml, docs/completed-tasks/TASK-0009.task.yaml)"
    ]);
    for _ in 0..3 {
        let (code, doc, _) = repo.json(&["--validate"]);
        assert_eq!(code, 10);
        assert_eq!(doc["error"]["details"]["errors"], expected);
        assert_eq!(doc["error"]["details"]["issues"][1]["kind"], "cycle");
        assert_eq!(
            doc["error"]["details"]["issues"][1]["ids"],
            json!(["B-1", "C-1", "D-1", "B-1"])
        );
    }
    // cycle members are never ready
    let (_, doc, _) = repo.json(&["--pick"]);
    assert_eq!(doc["task"]["id"], "TASK-0008");
}

#[test]
fn empty_repository_validates() {
    let repo = TestRepo::new();
    assert_eq!(repo.run(&["--validate"]).code, 0);
}

#[test]
fn long_problem_lists_are_capped_in_text_but_complete_in_json() {
    let repo = TestRepo::new();
    for i in 0..30 {
        repo.task(
            &format!("tasks/TASK-{i:04}.task.yaml"),
            &format!("TASK-{i:04}"),
            "todo",
            "P1",
            &format!("blocked_by: [TASK-9{i:03}]\n"),
        );
    }
    let run = repo.run(&["--validate"]);
    assert_eq!(run.code, 10);
    assert_eq!(run.stderr.matches("\n  - ").count(), 20);
    assert!(
        run.stderr
            .contains("\n  ... 10 more (all of them with --format json)\n")
    );
    let (_, doc, _) = repo.json(&["--validate"]);
    assert_eq!(
        doc["error"]["details"]["errors"].as_array().unwrap().len(),
        30
    );
    assert_eq!(doc["error"]["details"]["error_count"], 30);
    assert_eq!(doc["error"]["details"]["omitted_cycles"], 0);
}
