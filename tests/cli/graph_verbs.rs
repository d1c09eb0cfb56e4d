//! `--graph`, `--refresh-cache` and `--check-halt`.

use crate::list::workflow_repo;
use crate::support::TestRepo;

#[test]
fn graph_prints_dot_with_hints_on_stderr() {
    let repo = workflow_repo();
    let run = repo.run(&["--graph"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with(
        "digraph task_dependencies {\n  rankdir=LR;\n  node [shape=box, style=filled];\n\n"
    ));
    assert!(run.stdout.contains("  \"TASK-0001\" [label=\"TASK-0001\\nP2\\n[UNBLOCKER]\", fillcolor=\"lightgray\", peripheries=2, fontweight=bold];\n"));
    assert!(
        run.stdout
            .contains("  \"TASK-0006\" [label=\"TASK-0006\\nP2\", fillcolor=\"aliceblue\"];\n")
    );
    assert!(
        run.stdout
            .contains("  \"TASK-0008\" [label=\"TASK-0008\\nP1\", fillcolor=\"lightcoral\"];\n")
    );
    assert!(
        run.stdout
            .contains("  \"TASK-0005\" [label=\"TASK-0005\\nP1\", fillcolor=\"lightgreen\"];\n")
    );
    assert!(
        run.stdout
            .contains("  \"TASK-0001\" -> \"TASK-0003\" [style=solid, color=black];\n")
    );
    assert!(
        run.stdout
            .contains("  \"TASK-0099\" -> \"TASK-0004\" [style=dashed, color=gray];\n")
    );
    assert!(run.stdout.ends_with("}\n"));
    assert!(
        run.stderr
            .contains("# Render with: tasks --graph | dot -Tpng -o tasks.png")
    );
}

#[test]
fn graph_json_carries_the_dot_text() {
    let repo = workflow_repo();
    let text = repo.run(&["--graph"]).stdout;
    let (code, doc, run) = repo.json(&["--graph"]);
    assert_eq!(code, 0);
    assert_eq!(run.stderr, "");
    assert_eq!(doc["success"], true);
    assert_eq!(doc["dot"], text);
    assert_eq!(doc["task_count"], 8);
}

#[test]
fn empty_graph_is_the_skeleton() {
    let repo = TestRepo::new();
    let run = repo.run(&["--graph"]);
    assert_eq!(
        run.stdout,
        "digraph task_dependencies {\n  rankdir=LR;\n  node [shape=box, style=filled];\n\n\n  // blocked_by edges (hard blockers)\n\n  // depends_on edges (informational)\n}\n"
    );
}

#[test]
fn refresh_cache_reports_correct_counts() {
    let repo = workflow_repo();
    repo.task(
        "docs/completed-tasks/TASK-0002.task.yaml",
        "TASK-0002",
        "completed",
        "P2",
        "",
    )
    .write(
        "tasks/broken/TASK-0050-bad.task.yaml",
        "id: TASK-0050\n  bad: [\n",
    );
    let run = repo.run(&["--refresh-cache"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("Cache refreshed: 8 tasks loaded from 10 files\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "\nActive tasks: 7\nArchived tasks: 1\nUnparsable files: 1\nDuplicate ids: 1\n"
        )
    );
    let (code, doc, _) = repo.json(&["--refresh-cache"]);
    assert_eq!(code, 0);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["files_scanned"], 10);
    assert_eq!(doc["tasks_loaded"], 8);
    assert_eq!(doc["active"], 7);
    assert_eq!(doc["archived"], 1);
    assert_eq!(doc["unparsable"], 1);
    assert_eq!(doc["duplicate_ids"], 1);
    assert_eq!(
        doc["cache_path"],
        repo.abs("tasks/.cache/task-index.v9.bin")
    );
    assert!(repo.root().join("tasks/.cache/task-index.v9.bin").is_file());
}

#[test]
fn check_halt_passes_or_halts_with_exit_2() {
    let repo = workflow_repo();
    let run = repo.run(&["--check-halt"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "No halt conditions detected - workflow can proceed\n")
    );
    let (code, doc, _) = repo.json(&["--check-halt"]);
    assert_eq!(code, 0);
    assert_eq!(doc["halt"], false);
    assert_eq!(doc["message"], "No halt conditions detected");
    assert_eq!(doc["tasks"], serde_json::json!([]));
    assert_eq!(doc["type"], serde_json::Value::Null);

    repo.task(
        "tasks/TASK-0300.task.yaml",
        "TASK-0300",
        "blocked",
        "P0",
        "unblocker: 'ON'\nblocked_reason: Vendor API down\n",
    );
    let run = repo.run(&["--check-halt"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "WORKFLOW HALTED: 1 unblocker task(s) blocked.\nManual intervention required:\n  - TASK-0300: Vendor API down\n\nFix these unblockers before resuming workflow.\n"
    );
    // The halt is why the command fails: `--quiet` does not hide it.
    let quiet = repo.run(&["--check-halt", "--quiet"]);
    assert_eq!(
        (quiet.code, quiet.stderr.as_str()),
        (2, run.stderr.as_str())
    );
    let (code, doc, _) = repo.json(&["--check-halt"]);
    assert_eq!(code, 2);
    assert_eq!(doc["halt"], true);
    assert_eq!(doc["type"], "blocked_unblocker");
    assert_eq!(doc["tasks"], serde_json::json!(["TASK-0300"]));
    assert!(
        doc["message"]
            .as_str()
            .unwrap()
            .contains("  - TASK-0300: Vendor API down")
    );
}

#[test]
fn refresh_cache_in_a_repository_without_task_files_says_so_and_writes_nothing() {
    let repo = TestRepo::new();
    let run = repo.run(&["--refresh-cache"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("No task files found (tasks/**/*.task.yaml"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("Cache file:"), "{}", run.stdout);
    // No cache file of any version.
    let cached: Vec<_> = std::fs::read_dir(repo.root().join("tasks/.cache"))
        .map(|dir| dir.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        !cached
            .iter()
            .any(|name| name.to_string_lossy().starts_with("task-index.v")),
        "{cached:?}"
    );
    let (code, doc, _) = repo.json(&["--refresh-cache"]);
    assert_eq!(code, 0);
    assert_eq!(doc["files_scanned"], 0);
}
