//! `--lint`: every rule through the real binary, on the fixtures of fixtures/lint/.

use crate::support::TestRepo;
use serde_json::Value;
use std::path::Path;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "standards/backend-tier.md",
        "# Backend tier\n\n## Error handling & retries\n\nRetry with backoff.\n",
    )
    .write(
        "docs/evidence/tasks/TASK-0001-clarifications.md",
        "# TASK-0001\n",
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".task.yaml") {
            repo.write(&format!("lint/{name}"), std::fs::read(&path).unwrap());
        }
    }
    repo
}

fn codes(doc: &Value, errors: bool) -> Vec<String> {
    let findings = if errors {
        &doc["error"]["details"]["findings"]
    } else {
        &doc["findings"]
    };
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// (code, severity) of every finding, from a success or an E010 document.
fn found(doc: &Value, errors: bool) -> Vec<(String, String)> {
    let findings = if errors {
        &doc["error"]["details"]["findings"]
    } else {
        &doc["findings"]
    };
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_rule_has_a_fixture_that_triggers_exactly_it() {
    let repo = repo();
    let mut covered = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(repo.root().join("lint")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let stem = name.trim_end_matches(".task.yaml");
        let (code, variant) = stem.split_once("--").unwrap_or((stem, ""));
        let (exit, doc, _) = repo.json(&["--lint", &format!("lint/{name}")]);
        if code == "valid" {
            assert_eq!((exit, &doc["findings"]), (0, &serde_json::json!([])));
            continue;
        }
        let findings = found(&doc, exit == 10);
        let codes: Vec<&str> = findings.iter().map(|(c, _)| c.as_str()).collect();
        let expected: Vec<&str> = match code {
            "session_time_risk" => vec!["too_many_steps", "session_time_risk"],
            other => vec![other],
        };
        assert_eq!(codes, expected, "{name}");
        let severity = &findings.iter().find(|(c, _)| c == code).unwrap().1;
        let expected_severity = match (code, variant) {
            (_, "draft" | "blocked") => "warning",
            (
                "schema_version_not_text"
                | "many_files"
                | "too_many_steps"
                | "estimate_large"
                | "standards_file_missing"
                | "standards_anchor_missing"
                | "text_item_is_mapping",
                _,
            ) => "warning",
            ("estimate_missing", _) => "info",
            _ => "error",
        };
        assert_eq!(severity, expected_severity, "{name}");
        assert_eq!(
            exit,
            if expected_severity == "error" { 10 } else { 0 },
            "{name}"
        );
        covered.insert(code.to_string());
    }
    covered.insert("file_too_large".to_string()); // a 10 MB file, made by missing_huge_and_non_utf8_files
    for code in tasks::tasks::lint::CODES {
        assert!(covered.contains(code), "no fixture for {code}");
    }
}

#[test]
fn errors_are_e010_with_findings_in_details() {
    let repo = repo();
    let (exit, doc, _) = repo.json(&["--lint", "lint/evidence_file_missing.task.yaml"]);
    assert_eq!(exit, 10);
    assert_eq!(doc["error"]["code"], "E010");
    let details = &doc["error"]["details"];
    assert_eq!(
        details["counts"],
        serde_json::json!({"errors": 1, "warnings": 0, "infos": 0})
    );
    assert_eq!(details["rules"], "1.1");
    let f = &details["findings"][0];
    assert_eq!(f["severity"], "error");
    assert_eq!(f["field"], "clarifications.evidence_path");
    assert_eq!(
        f["message"],
        "Evidence file does not exist: docs/evidence/tasks/nothere.md"
    );
    assert_eq!(
        f["suggestion"],
        "Create it with: tasks --bootstrap-evidence TASK-0001"
    );
    // A verdict: the report at the top level too.
    assert_eq!(doc["success"], false);
    assert_eq!(doc["counts"]["errors"], 1);
    assert_eq!(doc["findings"][0]["code"], "evidence_file_missing");
    let run = repo.run(&["--lint", "lint/evidence_file_missing.task.yaml"]);
    assert_eq!(run.code, 10);
    assert!(run.stdout.starts_with("Lint results for evidence_file_missing.task.yaml: 1 error(s), 0 warning(s), 0 info\n  ERROR   Evidence file does not exist: docs/evidence/tasks/nothere.md [clarifications.evidence_path] (evidence_file_missing)\n          → Create it with: tasks --bootstrap-evidence TASK-0001\n"), "{}", run.stdout);
    assert!(
        run.stderr
            .starts_with("Error [E010]: lint/evidence_file_missing.task.yaml has 1 lint error(s)"),
        "{}",
        run.stderr
    );
}

#[test]
fn warnings_only_exit_0_and_a_clean_file_says_so() {
    let repo = repo();
    let (exit, doc, _) = repo.json(&["--lint", "lint/many_files.task.yaml"]);
    assert_eq!(exit, 0);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["counts"]["warnings"], 1);
    assert_eq!(doc["path"], repo.abs("lint/many_files.task.yaml"));
    let run = repo.run(&["--lint", "lint/many_files.task.yaml"]);
    assert!(
        run.stdout
            .ends_with("✓ No blocking errors (the warnings should still be addressed)\n")
    );
    let run = repo.run(&["--lint", "lint/valid.task.yaml"]);
    assert_eq!(
        run.stdout,
        "✓ valid.task.yaml passes all schema 1.1 checks\n"
    );
    // paths are relative to the current directory
    let run = crate::support::run_in(&repo.root().join("lint"), &["--lint", "valid.task.yaml"]);
    assert_eq!(run.code, 0);
}

#[test]
fn precise_findings_where_the_reference_crashed() {
    let repo = repo();
    for (file, code) in [
        ("schema_version_not_text", "schema_version_not_text"),
        ("plan_not_list", "plan_not_list"),
        ("clarifications_not_mapping", "clarifications_not_mapping"),
        ("plan_outputs_empty", "plan_outputs_empty"),
        ("pipeline_missing", "pipeline_missing"),
        ("standards_anchor_missing", "standards_anchor_missing"),
    ] {
        let (exit, doc, _) = repo.json(&["--lint", &format!("lint/{file}.task.yaml")]);
        let found = codes(&doc, exit == 10);
        assert_eq!(found, vec![code.to_string()], "{file}");
    }
}

#[test]
fn a_task_id_names_its_file() {
    let repo = crate::support::TestRepo::new();
    repo.task(
        "tasks/web/TASK-0042-x.task.yaml",
        "TASK-0042",
        "todo",
        "P1",
        "",
    );
    repo.write(
        "tasks/web/TASK-0043-broken.task.yaml",
        "id: TASK-0043\ntitle: [x\n",
    );
    let by_path = repo.json(&["--lint", "tasks/web/TASK-0042-x.task.yaml"]).1;
    let (exit, by_id, _) = repo.json(&["lint", "TASK-0042"]);
    assert_eq!(exit, 0, "{by_id}");
    assert_eq!(by_id["path"], by_path["path"]);
    // A broken file is linted by its id too (its YAML error is the finding).
    let (exit, doc, _) = repo.json(&["--lint", "TASK-0043"]);
    assert_eq!(exit, 10, "{doc}");
    assert_eq!(codes(&doc, true), vec!["yaml_invalid"]);
}

#[test]
fn missing_huge_and_non_utf8_files() {
    let repo = repo();
    let (exit, doc, _) = repo.json(&["--lint", "lint/nope.task.yaml"]);
    assert_eq!((exit, doc["error"]["code"].as_str()), (40, Some("E040")));
    let (exit, doc, _) = repo.json(&["--lint", "TASK-9999"]);
    assert_eq!((exit, doc["error"]["code"].as_str()), (40, Some("E040")));
    repo.write("lint/huge.task.yaml", "x: 1\n".repeat(2_200_000));
    let (exit, doc, _) = repo.json(&["--lint", "lint/huge.task.yaml"]);
    assert_eq!(exit, 10);
    assert_eq!(codes(&doc, true), vec!["file_too_large"]);
    let (exit, doc, _) = repo.json(&["--lint", "lint/not_utf8.task.yaml"]);
    assert_eq!(exit, 10);
    assert!(
        doc["error"]["details"]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
}

/// A clean schema 1.1 task (every rule satisfied), with the given status and extra lines.
fn clean_task(id: &str, status: &str, extra: &str) -> String {
    format!(
        r#"schema_version: "1.1"
id: {id}
title: Task {id}
status: {status}
priority: P1
area: backend
estimate: S
unblocker: false
description: A task of the CI lint test.
outcome: It is linted.
scope:
  in: [src/]
  out: [docs/]
context:
  standards_tier: backend
  related_docs: [standards/backend-tier.md]
plan:
  - id: 1
    description: Do it
    outputs: [src/a.ts]
deliverables: [src/a.ts]
acceptance_criteria:
  - It works
validation:
  pipeline:
    - id: val-001
      command: pnpm test
      description: Unit tests
clarifications:
  evidence_path: docs/evidence/tasks/{id}-clarifications.md
{extra}"#
    )
}

#[test]
fn lint_without_a_path_checks_every_task_file_ci_mode() {
    let repo = TestRepo::new();
    repo.write(
        "standards/backend-tier.md",
        "# Backend tier\n\n## Error handling & retries\n\nRetry with backoff.\n",
    );
    for id in ["TASK-0701", "TASK-0702", "TASK-0703"] {
        repo.write(
            &format!("docs/evidence/tasks/{id}-clarifications.md"),
            "# notes\n",
        );
    }
    repo.write(
        "tasks/backend/TASK-0701.task.yaml",
        clean_task("TASK-0701", "todo", ""),
    );
    let (code, doc, run) = repo.json(&["--lint"]);
    let clean_findings = doc["counts"]["errors"].as_u64().unwrap();
    assert_eq!((code, clean_findings), (0, 0), "{doc} {}", run.stderr);
    assert_eq!(doc["files_checked"], 1);
    assert!(
        repo.run(&["--lint"])
            .stdout
            .contains("✓ Every task file passes")
    );
    // One broken file and one with an error: exit 10, one summary, a table by file.
    repo.write(
        "tasks/mobile/TASK-0702.task.yaml",
        "id: TASK-0702\ntitle: [broken\n",
    )
    .write(
        "docs/completed-tasks/TASK-0703.task.yaml",
        clean_task("TASK-0703", "completed", "").replace("clarifications:", "notes:"),
    );
    let (code, doc, _) = repo.json(&["--lint"]);
    assert_eq!(code, 10);
    assert_eq!(doc["error"]["code"], "E010");
    assert_eq!(doc["files_checked"], 3);
    assert_eq!(doc["files_with_errors"], 2);
    assert_eq!(
        doc["error"]["details"]["files"],
        serde_json::json!([
            "tasks/mobile/TASK-0702.task.yaml",
            "docs/completed-tasks/TASK-0703.task.yaml"
        ])
    );
    let run = repo.run(&["--lint"]);
    assert_eq!(run.code, 10);
    assert!(
        run.stdout.starts_with("Linted 3 task file(s): "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FILE") && run.stdout.contains("tasks/mobile/TASK-0702.task.yaml"));
    assert!(
        run.stderr.contains("2 of 3 task file(s) have lint errors"),
        "{}",
        run.stderr
    );
    // A directory: its files only; one without task files is E040.
    let (code, doc, _) = repo.json(&["--lint", "tasks/backend"]);
    assert_eq!((code, doc["files_checked"].as_u64()), (0, Some(1)));
    std::fs::create_dir_all(repo.root().join("empty")).unwrap();
    let (code, doc, _) = repo.json(&["--lint", "empty"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (40, Some("E040")));
}

#[test]
fn enforce_drafts_adds_the_draft_discipline() {
    let repo = TestRepo::new();
    repo.write(
        "standards/backend-tier.md",
        "# Backend tier\n\n## Error handling & retries\n\nRetry with backoff.\n",
    );
    for id in ["TASK-0801", "TASK-0802", "TASK-0803", "TASK-0804"] {
        repo.write(&format!("docs/evidence/tasks/{id}-clarifications.md"), "");
    }
    // A draft with nothing open and an empty evidence file; a todo with open questions; a task
    // depending on a draft without being blocked by it; a draft with open questions (fine).
    repo.write(
        "tasks/TASK-0801.task.yaml",
        clean_task("TASK-0801", "draft", ""),
    )
    .write(
        "tasks/TASK-0802.task.yaml",
        clean_task(
            "TASK-0802",
            "todo",
            "  outstanding:\n    - Which carrier?\n",
        ),
    )
    .write(
        "tasks/TASK-0803.task.yaml",
        clean_task("TASK-0803", "todo", "depends_on: [TASK-0804]\n"),
    )
    .write(
        "tasks/TASK-0804.task.yaml",
        clean_task("TASK-0804", "draft", "  outstanding:\n    - Scope?\n"),
    );
    let (code, _, _) = repo.json(&["--lint"]);
    assert_eq!(
        code, 0,
        "without --enforce-drafts the discipline is not checked"
    );
    let (code, doc, _) = repo.json(&["--lint", "--enforce-drafts"]);
    assert_eq!(code, 10);
    let codes: Vec<(String, String)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let path = f["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["severity"] == "error")
                .map(move |x| (path.clone(), x["code"].as_str().unwrap().to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        codes,
        [
            (
                "TASK-0801.task.yaml".to_string(),
                "draft_without_clarifications".to_string()
            ),
            (
                "TASK-0802.task.yaml".to_string(),
                "todo_with_open_clarifications".to_string()
            ),
            (
                "TASK-0803.task.yaml".to_string(),
                "draft_dependency_not_blocking".to_string()
            ),
        ]
    );
    // Written evidence makes the draft fine; blocked_by makes the dependency fine.
    repo.write(
        "docs/evidence/tasks/TASK-0801-clarifications.md",
        "Asked the PM; waiting.\n",
    )
    .write(
        "tasks/TASK-0803.task.yaml",
        clean_task(
            "TASK-0803",
            "blocked",
            "depends_on: [TASK-0804]\nblocked_by: [TASK-0804]\n",
        ),
    );
    let (_, doc, _) = repo.json(&["--lint", "TASK-0803", "--enforce-drafts"]);
    assert_eq!(doc["counts"]["errors"], 0, "{doc}");
    let (_, doc, _) = repo.json(&["--lint", "--enforce-drafts"]);
    assert_eq!(doc["files_with_errors"], 1, "{doc}");
}

#[test]
fn lint_finds_duplicate_ids_and_untyped_or_unwritten_clarifications() {
    let repo = TestRepo::new();
    repo.write(
        "standards/backend-tier.md",
        "# Backend tier\n\n## Error handling & retries\n\nRetry with backoff.\n",
    );
    repo.write(
        "tasks/a/TASK-0901-one.task.yaml",
        clean_task("TASK-0901", "todo", ""),
    )
    .write(
        "tasks/b/TASK-0901-two.task.yaml",
        clean_task("TASK-0901", "todo", ""),
    )
    .write(
        "docs/evidence/tasks/TASK-0901-clarifications.md",
        "written\n",
    );
    let (code, doc, _) = repo.json(&["--lint"]);
    assert_eq!(code, 10);
    let codes: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["duplicate_id", "duplicate_id"], "{doc}");
    // Outstanding that is not a list; a stub nobody filled in.
    let repo = TestRepo::new();
    repo.write(
        "standards/backend-tier.md",
        "# Backend tier\n\n## Error handling & retries\n\nRetry with backoff.\n",
    );
    repo.write(
        "tasks/TASK-0902.task.yaml",
        clean_task("TASK-0902", "draft", "  outstanding: \"\"\n"),
    )
    .write(
        "docs/evidence/tasks/TASK-0902-clarifications.md",
        "REPLACE: what this task changes\n",
    );
    let (_, doc, _) = repo.json(&["--lint", "TASK-0902", "--enforce-drafts"]);
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["outstanding_not_a_list", "draft_without_clarifications"],
        "{doc}"
    );
}

#[test]
fn a_symbolic_link_is_not_linted_in_place_of_its_target() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/TASK-0910.task.yaml",
        clean_task("TASK-0910", "todo", ""),
    );
    std::os::unix::fs::symlink(
        "TASK-0910.task.yaml",
        repo.root().join("tasks/TASK-0911-alias.task.yaml"),
    )
    .unwrap();
    let (code, doc, _) = repo.json(&["--lint", "tasks/TASK-0911-alias.task.yaml"]);
    assert_eq!(
        (code, doc["error"]["code"].as_str()),
        (10, Some("E002")),
        "{doc}"
    );
}

#[test]
fn ci_mode_lints_from_any_directory_and_each_file_once() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/web/TASK-0920.task.yaml",
        clean_task("TASK-0920", "todo", ""),
    );
    repo.write(
        "docs/evidence/tasks/TASK-0920-clarifications.md",
        "# notes\n",
    );
    // A task file reached through a link (its target outside tasks/).
    repo.write(
        "other/TASK-0921.task.yaml",
        clean_task("TASK-0921", "todo", ""),
    );
    std::os::unix::fs::symlink(
        "../../other/TASK-0921.task.yaml",
        repo.root().join("tasks/web/TASK-0921.task.yaml"),
    )
    .unwrap();
    // From a subdirectory, as from the root: the files are found from the repository root and
    // read by their full paths; the link is not linted in place of its target.
    for dir in ["tasks/web", "."] {
        let run = crate::support::run_in(&repo.root().join(dir), &["--lint", "--format", "json"]);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        assert_eq!(run.code, 0, "{dir}: {doc} {}", run.stderr);
        assert_eq!(doc["files_checked"], 1, "{dir}: {doc}");
    }
}
