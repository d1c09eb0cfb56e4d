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

#[test]
fn every_command_runs_by_its_name_too() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["check-halt"]);
    assert_eq!((code, doc["halt"].as_bool()), (0, Some(false)), "{doc}");
    let (code, doc, _) = repo.json(&["refresh-cache"]);
    assert_eq!(code, 0, "{doc}");
    let (code, doc, _) = repo.json(&["init-context", ID]);
    assert_eq!(
        (code, doc["data"]["context_initialized"].as_bool()),
        (0, Some(true)),
        "{doc}"
    );
    // The task file is committed with status in_progress: complete it by name.
    let (code, doc, _) = repo.json(&["complete", ID]);
    assert_eq!(
        (code, doc["action"].as_str()),
        (0, Some("completed")),
        "{doc}"
    );
    assert_eq!(doc["context_removed"], true, "{doc}");
}

#[test]
fn a_family_word_needs_one_of_its_verbs() {
    let repo = repo();
    for (args, verb) in [
        (&["context"][..], None),
        (&["context", "bogus", ID][..], Some("bogus")),
        (&["exceptions"][..], None),
        (&["quarantine", "nuke", ID][..], Some("nuke")),
    ] {
        let run = repo.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "");
        if let Some(verb) = verb {
            assert!(
                run.stderr.contains(&format!("'{verb}' is not a verb")),
                "{}",
                run.stderr
            );
        }
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (2, "E002"), "{doc}");
        assert!(
            doc["error"]["details"]["expected"]
                .as_array()
                .unwrap()
                .len()
                >= 4
        );
    }
    // Its help lists them, each with its command.
    let run = repo.run(&["help", "context"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("tasks context init"), "{}", run.stdout);
    assert!(run.stdout.contains("= --init-context:"), "{}", run.stdout);
    assert_eq!(repo.run(&["quarantine", "--help"]).code, 0);
    // A word that names nothing is not answered with the overview.
    let run = repo.run(&["help", "frobnicate"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("No command is named 'frobnicate'"));
}

#[test]
fn one_diff_type_at_a_time() {
    let repo = repo();
    let run = repo.run(&[
        "context",
        "diff",
        ID,
        "--agent",
        "implementer",
        "--incremental",
        "--from-base",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--from-base and --incremental"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_incomplete_form_points_at_its_own_help() {
    let repo = repo();
    let run = repo.run(&["context", "diff", ID]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("Recovery: Run 'tasks --get-diff --help' for its options and examples"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_value_reads_the_same_whoever_checks_it() {
    let repo = repo();
    // clap checks --agent; the command checks --status: one wording, one recovery.
    let (_, by_parser, _) = repo.json(&["--get-diff", ID, "--agent", "boss"]);
    let (_, by_command, _) = repo.json(&["--list-exceptions", "--status", "boss"]);
    for (doc, option) in [(&by_parser, "--agent"), (&by_command, "--status")] {
        assert_eq!(error_code(doc), "E002");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "Invalid value \"boss\" for {option}: expected one of "
            )),
            "{message}"
        );
        assert!(
            doc["error"]["recovery_action"]
                .as_str()
                .unwrap()
                .starts_with("Use one of: ")
        );
        assert_eq!(doc["error"]["details"]["field"], option);
    }
}

#[test]
fn help_and_version_are_json_documents_when_json_is_asked_for() {
    let repo = repo();
    for (args, field) in [
        (&["--version", "--format", "json"][..], "version"),
        (&["--format", "json", "help", "pick"][..], "help"),
        (&["--format", "json", "--help"][..], "help"),
        (
            &["--completions", "bash", "--format", "json"][..],
            "completions",
        ),
    ] {
        let run = repo.run(args);
        assert_eq!(run.code, 0, "{args:?}");
        let doc = run.json();
        assert_eq!(doc["success"], true, "{args:?}");
        assert!(
            doc[field].as_str().is_some_and(|s| !s.is_empty()),
            "{args:?}: {doc}"
        );
        assert!(doc["generated_at"].is_string());
    }
    let doc = repo.run(&["--version", "--format", "json"]).json();
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));
    // Text stays text.
    assert!(repo.run(&["--version"]).stdout.starts_with("tasks "));
}

#[test]
fn a_command_is_given_once_options_as_often_as_tasks_py_allowed() {
    let repo = repo();
    let before = repo.snapshot();
    for args in [
        &["--claim", ID, "--claim", "TASK-0999"][..],
        &["claim", ID, "--claim=TASK-0999"][..],
        &["--purge-context", ID, "--purge", ID][..],
    ] {
        let run = repo.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("times: a run does one command"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(repo.snapshot(), before, "nothing ran");
    // An option repeats: the last one wins (as with tasks.py).
    let (code, doc, _) = repo.json(&["--format", "text", "--list", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(doc["tasks"].is_array());
    // Two spellings of one option that disagree are not silently reconciled.
    let run = repo.run(&[
        "--add-exception",
        ID,
        "--type",
        "invalid_schema",
        "--exception-type",
        "missing_standards",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("disagree"), "{}", run.stderr);
    let run = repo.run(&[
        "--add-exception",
        ID,
        "--type",
        "invalid_schema",
        "--message",
        "a",
        "--error-details",
        "b",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
