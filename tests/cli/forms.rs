//! Forms people and real repositories use (issue 11): word forms anywhere, and the spellings the
//! docs of real `tasks.py` repositories teach.

use crate::support::{TestRepo, error_code, run_in};

const ID: &str = "TASK-0601";

const TASK: &str = r#"schema_version: "1.1"
id: TASK-0601
title: Forms
status: in_progress
priority: P1
area: backend
description: Accept the documented forms.
scope:
  in: [src/]
  out: [docs]
plan:
  - id: 1
    title: Do it
    outputs: [src/forms.ts]
deliverables: [src/forms.ts]
acceptance_criteria:
  - Every documented form runs
validation:
  pipeline:
    - command: pnpm lint
context:
  repo_paths: [src/]
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(&format!("tasks/backend/{ID}-forms.task.yaml"), TASK)
        .write(
            ".gitignore",
            ".agent-output/\ntasks/.cache/\ndocs/compliance/\nqa/\n",
        )
        .write("src/forms.ts", "export const forms = 1;\n")
        .commit();
    repo
}

#[test]
fn word_forms_work_after_global_options_and_run_the_same_command() {
    let repo = repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let root = repo.root().display().to_string();
    let flag = run_in(elsewhere.path(), &["--repo-root", &root, "--list"]);
    let word = run_in(elsewhere.path(), &["--repo-root", &root, "list"]);
    assert_eq!((word.code, word.stdout.clone()), (0, flag.stdout));
    let (code, doc, _) = repo.json(&["pick"]);
    assert_eq!((code, doc["task"]["id"].as_str()), (0, Some(ID)));
    let run = repo.run(&["--format", "json", "pick"]);
    assert_eq!(run.json()["task"]["id"], ID);
    let run = repo.run(&["context", "init", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, doc, _) = repo.json(&["context", "get", ID]);
    assert_eq!((code, doc["context"]["task_id"].as_str()), (0, Some(ID)));
    let (code, doc, _) = repo.json(&["exceptions", "list"]);
    assert_eq!((code, doc["success"].as_bool()), (0, Some(true)));
    let (code, _, _) = repo.json(&["quarantine", "list"]);
    assert_eq!(code, 0);
    let (code, _, _) = repo.json(&["validate"]);
    assert_eq!(code, 0);
}

#[test]
fn the_forms_real_repositories_document_are_accepted() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    // --record-qa with --command and --log-path but no --exit-code: inferred and flagged; --cmd
    // spells --command.
    repo.write(
        "qa/lint.log",
        "/src/forms.ts\n  1:1  error  Unexpected any  no-explicit-any\n\n✖ 1 problem (1 error, 0 warnings)\n",
    );
    for command in ["--command", "--cmd"] {
        let (code, doc, run) = repo.json(&[
            "--record-qa",
            ID,
            command,
            "pnpm lint",
            "--log-path",
            "qa/lint.log",
        ]);
        assert_eq!(code, 0, "{command}: {}", run.stderr);
        assert_eq!(doc["data"]["exit_code"], 1, "{doc}");
        assert_eq!(doc["data"]["exit_code_inferred"], true, "{doc}");
        assert_eq!(doc["data"]["command"], "pnpm lint");
    }
    // --verify-worktree without --expected-agent: the most recent snapshot, named.
    repo.write("src/forms.ts", "export const forms = 2;\n");
    assert_eq!(
        repo.run(&["--snapshot-worktree", ID, "--agent", "implementer"])
            .code,
        0
    );
    assert_eq!(
        repo.run(&[
            "--snapshot-worktree",
            ID,
            "--agent",
            "reviewer",
            "--previous-agent",
            "implementer"
        ])
        .code,
        0
    );
    let (code, doc, run) = repo.json(&["--verify-worktree", ID]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["expected_agent"], "reviewer");
    assert_eq!(doc["expected_agent_inferred"], true);
    assert!(run.stderr.contains("the reviewer's"), "{}", run.stderr);
    // --get-context --role: only that role's coordination.
    let (code, doc, _) = repo.json(&["--get-context", ID, "--role", "reviewer"]);
    assert_eq!(code, 0);
    let coordination = doc["context"]["coordination"].as_object().unwrap();
    assert_eq!(coordination.keys().collect::<Vec<_>>(), ["reviewer"]);
    let run = repo.run(&["--get-context", ID, "--role", "reviewer"]);
    assert!(run.stdout.contains("Reviewer:") && !run.stdout.contains("Implementer:"));
    // Without any snapshot, --verify-worktree has nothing to compare with.
    let other = self::repo();
    assert_eq!(other.run(&["--init-context", ID]).code, 0);
    let (code, doc, _) = other.json(&["--verify-worktree", ID]);
    assert_eq!((code, error_code(&doc)), (50, "E051"));
}
