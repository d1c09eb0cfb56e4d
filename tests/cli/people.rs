//! Text output for people (issue 11): a table on a terminal (tab-separated lines when piped),
//! colour only when asked or on a terminal, errors that show what to act on, ids told from paths.

use crate::support::{TestRepo, error_code, run_on_terminal, task_yaml};

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.task("tasks/api/API-1-root.task.yaml", "API-1", "todo", "P2", "")
        .task(
            "tasks/web/WEB-2-page.task.yaml",
            "WEB-2",
            "todo",
            "P0",
            "blocked_by: [API-1]\n",
        )
        .commit();
    repo
}

#[test]
fn list_is_a_table_on_a_terminal_and_tab_separated_lines_when_piped() {
    let repo = repo();
    let (code, shown) = run_on_terminal(repo.root(), &["--list"], &[("NO_COLOR", "1")]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines[0].starts_with("ID     STATUS  PRIORITY  PATH"),
        "{shown}"
    );
    assert!(
        lines[2].starts_with("API-1  todo    P2 → P0   tasks/api/API-1-root.task.yaml  Task API-1"),
        "{shown}"
    );
    assert_eq!(lines[3], "2 task(s)");
    assert!(!shown.contains('\u{1b}'), "NO_COLOR: {shown:?}");
    // Colour on a terminal unless NO_COLOR; --color never wins over the terminal.
    let (_, coloured) = run_on_terminal(repo.root(), &["--list"], &[]);
    assert!(coloured.contains("\u{1b}[1m"), "{coloured:?}");
    let (_, plain) = run_on_terminal(repo.root(), &["--list", "--color", "never"], &[]);
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    // Piped: exactly the lines tasks.py printed, never coloured, even with --color always.
    let run = repo.run(&["--list", "--color", "always"]);
    let first = run.stdout.lines().next().unwrap();
    assert_eq!(first.split('\t').count(), 4, "{first}");
    assert!(first.starts_with("WEB-2\ttodo\t"), "{first}");
    assert!(!run.stdout.contains('\u{1b}'));
    // --color repeats like every option: the last one wins.
    let (_, last_always) = run_on_terminal(
        repo.root(),
        &["--color", "never", "--color", "always", "--list"],
        &[],
    );
    assert!(last_always.contains('\u{1b}'), "{last_always:?}");
    let (_, last_never) = run_on_terminal(
        repo.root(),
        &["--color", "always", "--color", "never", "--list"],
        &[],
    );
    assert!(!last_never.contains('\u{1b}'), "{last_never:?}");
}

#[test]
fn text_errors_show_what_to_act_on() {
    let repo = repo();
    repo.write("README.md", "dirty\n");
    let run = repo.run(&["--init-context", "API-1"]);
    assert_eq!(run.code, 10, "E001 comes first: {}", run.stderr);
    // A complete task: the dirty file is listed in text, not only in JSON.
    repo.write(
        "tasks/api/API-3-full.task.yaml",
        "schema_version: \"1.1\"\nid: API-3\ntitle: Full\nstatus: todo\npriority: P1\narea: api\ndescription: d\nscope:\n  in: [src/]\n  out: [docs]\nplan:\n  - id: 1\n    title: p\n    outputs: [src/a.ts]\ndeliverables: [src/a.ts]\nacceptance_criteria: [works]\nvalidation:\n  pipeline:\n    - command: pnpm test\n",
    );
    repo.git(&["add", "tasks/api/API-3-full.task.yaml"]);
    repo.git(&["commit", "-qm", "api-3"]);
    let run = repo.run(&["--init-context", "API-3"]);
    assert_eq!(run.code, 60, "{}", run.stderr);
    assert!(
        run.stderr.contains("Files:\n  README.md\n"),
        "{}",
        run.stderr
    );
    repo.write(
        "standards/api.md",
        "# API\n\n## Errors\n\nReturn problem+json.\n",
    );
    let run = repo.run(&[
        "--attach-standard",
        "API-3",
        "--file",
        "standards/api.md",
        "--section",
        "nope",
    ]);
    assert_eq!(run.code, 10);
    assert!(
        run.stderr
            .contains("Headings of the file:\n  # API\n  ## Errors\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("details."), "{}", run.stderr);
}

#[test]
fn a_path_or_a_lowercase_id_is_answered_with_the_id() {
    let repo = repo();
    let run = repo.run(&["--explain", "tasks/web/WEB-2-page.task.yaml"]);
    assert_eq!(run.code, 10);
    assert!(run.stderr.contains("pass its id, WEB-2"), "{}", run.stderr);
    let run = repo.run(&["--explain", "web-2"]);
    assert!(
        run.stderr.contains("ids are in capitals: WEB-2"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_broken_task_named_by_its_id_is_e011_not_not_found() {
    let repo = repo();
    repo.write(
        "tasks/web/WEB-5-broken.task.yaml",
        "id: WEB-5\ntitle: Broken\nstatus: todo\npriority: P1\narea: web\nnote: `tick`\n",
    );
    for args in [
        &["--claim", "WEB-5"][..],
        &["--complete", "WEB-5"],
        &["--explain", "WEB-5"],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (10, "E011"), "{args:?}: {doc}");
        assert_eq!(
            doc["error"]["details"]["path"],
            "tasks/web/WEB-5-broken.task.yaml"
        );
        assert_eq!(doc["error"]["details"]["line"], 6);
    }
}

#[test]
fn explain_shows_the_chain_the_inherited_priority_and_what_it_unblocks() {
    let repo = repo();
    let run = repo.run(&["--explain", "API-1"]);
    assert!(
        run.stdout
            .contains("Priority: P2 (inherits P0: Blocks P0 work: WEB-2)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Unblocks: WEB-2"), "{}", run.stdout);
    let run = repo.run(&["--explain", "WEB-2"]);
    assert!(
        run.stdout
            .contains("    WEB-2\n    \u{2514}\u{2500} API-1 (todo)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_task_file_a_claim_changed_does_not_block_init() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/api/API-3-full.task.yaml",
        "schema_version: \"1.1\"\nid: API-3\ntitle: Full\nstatus: todo\npriority: P1\narea: api\ndescription: d\nscope:\n  in: [src/]\n  out: [docs]\nplan:\n  - id: 1\n    title: p\n    outputs: [src/a.ts]\ndeliverables: [src/a.ts]\nacceptance_criteria: [works]\nvalidation:\n  pipeline:\n    - command: pnpm test\n",
    )
    .commit();
    assert_eq!(repo.run(&["--claim", "API-3"]).code, 0);
    let (code, doc, run) = repo.json(&["--init-context", "API-3"]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        run.stderr.contains("recorded as pre-existing"),
        "{}",
        run.stderr
    );
    let context: serde_json::Value =
        serde_json::from_str(&repo.read(".agent-output/API-3/context.json")).unwrap();
    assert_eq!(
        context["immutable"]["preexisting_dirty"],
        serde_json::json!(["tasks/api/API-3-full.task.yaml"])
    );
    // The context directory keeps itself out of git.
    assert_eq!(
        repo.read(".agent-output/.gitignore").lines().last(),
        Some("*")
    );
    assert_eq!(
        repo.git_stdout(&["status", "--porcelain"]).lines().count(),
        1
    );
}

#[test]
fn exceptions_are_listed_as_they_are_now() {
    let repo = repo();
    let path = "tasks/web/WEB-5-broken.task.yaml";
    repo.write(
        path,
        "id: WEB-5\ntitle: Broken\nstatus: todo\nnote: `tick`\n",
    );
    assert_eq!(repo.run(&["--list"]).code, 0);
    repo.write(path, task_yaml("WEB-5", "todo", "P1", ""));
    let (_, doc, _) = repo.json(&["--list-exceptions"]);
    let entry = &doc["data"]["exceptions"][0];
    assert_eq!(entry["task_id"], "WEB-5");
    assert_eq!(entry["remediation"]["status"], "resolved", "{doc}");
}

#[test]
fn an_unknown_log_with_a_command_id_infers_exit_0() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/api/API-3-full.task.yaml",
        "schema_version: \"1.1\"\nid: API-3\ntitle: Full\nstatus: todo\npriority: P1\narea: api\ndescription: d\nscope:\n  in: [src/]\n  out: [docs]\nplan:\n  - id: 1\n    title: p\n    outputs: [src/a.ts]\ndeliverables: [src/a.ts]\nacceptance_criteria: [works]\nvalidation:\n  pipeline:\n    - command: pnpm test\n",
    )
    .write(".gitignore", "qa/\n")
    .commit();
    assert_eq!(repo.run(&["--init-context", "API-3"]).code, 0);
    repo.write("qa/empty.log", "");
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        "API-3",
        "--agent",
        "validator",
        "--from",
        "qa/empty.log",
        "--command-id",
        "emptycheck",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["exit_code"], 0);
    assert_eq!(doc["data"]["exit_code_inferred"], true);
}

#[test]
fn attaching_shows_progress_on_a_terminal_and_nothing_when_piped() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/backend/TASK-0601.task.yaml",
        "TASK-0601",
        "todo",
        "P1",
        "scope:\n  in: [src/]\nplan:\n  - id: 1\n    outputs: [src/a.ts]\ndeliverables: [src/a.ts]\nacceptance_criteria:\n  - works\n",
    )
    .write(".gitignore", "shots/\n")
    .commit();
    let init = repo.run(&["--init-context", "TASK-0601"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    repo.write("shots/a.png", vec![7u8; 300_000]);
    let (code, shown, stdout) = crate::support::run_with_stderr_on_terminal(
        repo.root(),
        &[
            "--attach-evidence",
            "TASK-0601",
            "--type",
            "directory",
            "--path",
            "shots",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("reading shots"), "{shown:?}");
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).expect("stdout stays one JSON document");
    assert_eq!(doc["data"]["type"], "archive");
    // Piped: no progress at all.
    let run = repo.run(&[
        "--attach-evidence",
        "TASK-0601",
        "--type",
        "directory",
        "--path",
        "shots",
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "", "nothing on a pipe");
}

#[test]
fn a_validation_run_shows_its_progress_on_a_terminal_only() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/backend/TASK-0611.task.yaml",
        "TASK-0611",
        "todo",
        "P1",
        "scope:\n  in: [src/]\nplan:\n  - id: 1\n    outputs: [src/a.ts]\ndeliverables: [src/a.ts]\nacceptance_criteria:\n  - works\n",
    )
    .commit();
    assert_eq!(repo.run(&["--init-context", "TASK-0611"]).code, 0);
    let args = [
        "--run-validation",
        "TASK-0611",
        "--command",
        "sleep 0.3; echo done",
        "--command-id",
        "slow",
        "--format",
        "json",
    ];
    let (code, shown, stdout) = crate::support::run_with_stderr_on_terminal(repo.root(), &args);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("slow sleep 0.3; echo done"), "{shown:?}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["passed"], 1);
    let run = repo.run(&args);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "", "nothing on a pipe");
}
