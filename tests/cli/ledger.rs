//! The exception ledger verbs and "parse once, warn once" for broken task files.

use crate::support::{TestRepo, run_in};
use serde_json::{Value, json};

const LEDGER: &str = "docs/compliance/context-cache-exceptions.json";

fn ledger(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(LEDGER)).unwrap()
}

fn broken(id: &str) -> String {
    format!(
        "id: {id}\ntitle: Broken\nstatus: todo\npriority: P1\narea: a\nsteps:\n  - `pnpm test`\n"
    )
}

#[test]
fn ten_runs_over_eight_broken_files_print_eight_warnings() {
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    for i in 1..=8 {
        let id = format!("TASK-08{i:02}");
        repo.write(
            &format!("docs/completed-tasks/{id}-old-work.task.yaml"),
            broken(&id),
        );
    }
    let mut warnings = 0;
    for _ in 0..10 {
        let (code, doc, run) = repo.json(&["--list"]);
        assert_eq!(code, 0);
        assert_eq!(doc["count"], 1);
        warnings += run.warnings().len();
    }
    assert_eq!(warnings, 8);
    let l = ledger(&repo);
    assert_eq!(l["version"], "1.0");
    let entries = l["exceptions"].as_array().unwrap();
    assert_eq!(entries.len(), 8);
    let first = &entries[0];
    assert_eq!(first["task_id"], "TASK-0801");
    assert_eq!(first["exception_type"], "malformed_yaml");
    assert_eq!(
        first["file"],
        "docs/completed-tasks/TASK-0801-old-work.task.yaml"
    );
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(7), Some(5))
    );
    assert!(
        first["parse_error"]
            .as_str()
            .unwrap()
            .contains("unexpected character")
    );
    assert_eq!(first["remediation"]["status"], "open");
    assert_eq!(first["remediation"]["owner"], "system");
    assert_eq!(first["auto_remove_on"], "task_completion");
}

#[test]
fn two_broken_files_with_one_id_are_two_entries() {
    let repo = TestRepo::new();
    repo.write("tasks/a/TASK-0822-one.task.yaml", broken("TASK-0822"));
    repo.write("tasks/b/TASK-0822-two.task.yaml", broken("TASK-0822"));
    let run = repo.run(&["--list"]);
    assert_eq!(run.warnings().len(), 2);
    let files: Vec<Value> = ledger(&repo)["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].clone())
        .collect();
    assert_eq!(
        files,
        vec![
            json!("tasks/a/TASK-0822-one.task.yaml"),
            json!("tasks/b/TASK-0822-two.task.yaml")
        ]
    );
    assert_eq!(repo.run(&["--list"]).stderr, "");
}

#[test]
fn a_fixed_file_ends_the_suppression() {
    let repo = TestRepo::new();
    let path = "tasks/TASK-0900-flaky.task.yaml";
    repo.write(path, broken("TASK-0900"));
    assert_eq!(repo.run(&["--list"]).warnings().len(), 1);
    assert_eq!(repo.run(&["--list"]).warnings().len(), 0);
    // fixed: it loads, and its exception is resolved
    repo.task(path, "TASK-0900", "todo", "P1", "");
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 1);
    assert_eq!(run.stderr, "");
    let entry = &ledger(&repo)["exceptions"][0];
    assert_eq!(entry["remediation"]["status"], "resolved");
    assert_eq!(entry["remediation"]["notes"], "The file parses again");
    // broken again: reported again, and the exception re-opened
    repo.write(path, broken("TASK-0900").replace("`pnpm test`", "@pnpm"));
    assert_eq!(repo.run(&["--list"]).warnings().len(), 1);
    let entry = &ledger(&repo)["exceptions"][0];
    assert_eq!(entry["remediation"]["status"], "open");
    assert_eq!(repo.run(&["--list"]).warnings().len(), 0);
}

#[test]
fn the_compliance_directory_keeps_its_locks_out_of_git() {
    let repo = TestRepo::new();
    repo.write("tasks/TASK-0904-broken.task.yaml", broken("TASK-0904"));
    repo.run(&["--list"]);
    let ignore = repo.read("docs/compliance/.gitignore");
    assert!(
        ignore.contains("\n*.lock\n") && ignore.contains("\n.txn/\n"),
        "{ignore}"
    );
    assert!(
        repo.root()
            .join("docs/compliance/context-cache-exceptions.lock")
            .exists()
    );
    let status = std::process::Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--untracked-files=all",
            "docs/compliance",
        ])
        .current_dir(repo.root())
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(status.contains("context-cache-exceptions.json"), "{status}");
    assert!(!status.contains(".lock"), "{status}");
    // A .gitignore of the user's own is left as it is.
    let repo = TestRepo::new();
    repo.write("docs/compliance/.gitignore", "# mine\n");
    repo.write("tasks/TASK-0904-broken.task.yaml", broken("TASK-0904"));
    repo.run(&["--list"]);
    assert_eq!(repo.read("docs/compliance/.gitignore"), "# mine\n");
}

#[test]
fn a_deleted_broken_file_ends_its_exception() {
    let repo = TestRepo::new();
    let path = "tasks/TASK-0901-gone.task.yaml";
    repo.write(path, broken("TASK-0901"));
    repo.task("tasks/TASK-0902.task.yaml", "TASK-0902", "todo", "P1", "");
    assert_eq!(repo.run(&["--list"]).warnings().len(), 1);
    // A hand-edited entry naming a path outside the repository is never looked up there.
    let mut doc = ledger(&repo);
    let mut outside = doc["exceptions"][0].clone();
    outside["task_id"] = json!("TASK-0909");
    outside["file"] = json!("/nonexistent/TASK-0909.task.yaml");
    doc["exceptions"].as_array_mut().unwrap().push(outside);
    repo.write(
        "docs/compliance/context-cache-exceptions.json",
        serde_json::to_string_pretty(&doc).unwrap(),
    );
    std::fs::remove_file(repo.root().join(path)).unwrap();
    let run = repo.run(&["--list"]);
    assert_eq!(run.stderr, "");
    let entry = &ledger(&repo)["exceptions"][0];
    assert_eq!(entry["remediation"]["status"], "resolved", "{entry}");
    assert_eq!(entry["remediation"]["notes"], "The file no longer exists");
    assert_eq!(
        ledger(&repo)["exceptions"][1]["remediation"]["status"],
        "open"
    );
}

#[test]
fn a_manual_add_of_a_recorded_problem_updates_it() {
    let repo = TestRepo::new();
    let path = "tasks/TASK-0903-broken.task.yaml";
    repo.write(path, broken("TASK-0903"));
    repo.run(&["--list"]);
    let (code, _, _) = repo.json(&[
        "--add-exception",
        "TASK-0903",
        "--type",
        "malformed_yaml",
        "--message",
        "being fixed",
    ]);
    assert_eq!(code, 0);
    let entries = ledger(&repo)["exceptions"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["file"], path);
    assert_eq!(entries[0]["parse_error"], "being fixed");
}

#[test]
fn add_exception_is_idempotent_and_updates() {
    let repo = TestRepo::new();
    let (code, doc, _) = repo.json(&[
        "--add-exception",
        "TASK-1002",
        "--exception-type",
        "malformed_yaml",
        "--message",
        "bad",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["error"], Value::Null);
    assert_eq!(doc["data"]["task_id"], "TASK-1002");
    assert_eq!(doc["data"]["exception_type"], "malformed_yaml");
    assert_eq!(doc["data"]["created"], true);
    let first_detected = doc["data"]["exception"]["detected_at"].clone();
    // the design-doc spelling: --type and --error
    let (code, doc, _) = repo.json(&[
        "--add-exception",
        "TASK-1002",
        "--type",
        "invalid_schema",
        "--error",
        "second",
        "--owner",
        "alice",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["created"], false);
    let l = ledger(&repo);
    let entries = l["exceptions"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["exception_type"], "invalid_schema");
    assert_eq!(entries[0]["parse_error"], "second");
    assert_eq!(entries[0]["remediation"]["owner"], "alice");
    assert_ne!(entries[0]["detected_at"], first_detected);
    let deadline = entries[0]["remediation"]["deadline"].as_str().unwrap();
    assert_eq!(deadline.len(), 10);
    let run = repo.run(&[
        "--add-exception",
        "TASK-1003",
        "--type",
        "missing_standards",
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "✓ Exception added for TASK-1003\n  Type: missing_standards\n  Status: open\n"
    );
}

#[test]
fn bad_ids_and_values_are_refused_before_anything_is_written() {
    let repo = TestRepo::new();
    for bad in ["../x", "TASK-1/../../etc", "", "task-1"] {
        let (code, doc, _) = repo.json(&["--add-exception", bad, "--type", "malformed_yaml"]);
        assert_eq!(code, 10, "{bad:?}");
        assert_eq!(doc["error"]["code"], "E002");
        assert_eq!(doc["data"], Value::Null);
        for verb in ["--resolve-exception", "--cleanup-exceptions"] {
            let (code, doc, _) = repo.json(&[verb, bad]);
            assert_eq!(
                (code, doc["error"]["code"].as_str()),
                (10, Some("E002")),
                "{verb} {bad:?}"
            );
        }
    }
    let (code, doc, _) = repo.json(&["--add-exception", "TASK-0001", "--type", "bogus"]);
    assert_eq!(code, 10);
    assert_eq!(doc["error"]["code"], "E002");
    assert_eq!(
        doc["error"]["details"]["expected"],
        json!([
            "malformed_yaml",
            "missing_standards",
            "empty_acceptance_criteria",
            "invalid_schema"
        ])
    );
    let run = repo.run(&["--add-exception", "TASK-0001"]);
    assert_eq!(run.code, 2, "a missing --type is a usage error");
    assert!(run.stderr.contains("--exception-type"));
    for (verb, status) in [
        ("--list-exceptions", "pending"),
        ("--list-exceptions", "repaired"),
        ("--list-quarantined", "open"),
    ] {
        let (code, doc, _) = repo.json(&[verb, "--status", status]);
        assert_eq!(
            (code, doc["error"]["code"].as_str()),
            (10, Some("E002")),
            "{verb} {status}"
        );
    }
    let (code, _, _) = repo.json(&["--cleanup-exceptions", "--trigger", "sometimes"]);
    assert_eq!(code, 10);
    assert!(!repo.root().join("docs/compliance").exists());
}

#[test]
fn list_exceptions_text_json_and_status_filter() {
    let repo = TestRepo::new();
    let (_, doc, _) = repo.json(&["--list-exceptions"]);
    assert_eq!(
        doc["data"],
        json!({"exceptions": [], "count": 0, "status": null})
    );
    assert_eq!(
        repo.run(&["--list-exceptions"]).stdout,
        "No exceptions found\n"
    );
    assert!(
        !repo.root().join("docs/compliance").exists(),
        "listing creates nothing"
    );
    repo.write("tasks/TASK-0005-bad.task.yaml", broken("TASK-0005"));
    repo.run(&["--list"]);
    repo.run(&[
        "--add-exception",
        "TASK-0006",
        "--type",
        "missing_standards",
        "--message",
        "standards/x.md#y missing",
    ]);
    repo.run(&["--resolve-exception", "TASK-0006"]);
    let run = repo.run(&["--list-exceptions"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "TASK       TYPE               STATUS    DETECTED (UTC)       FILE / ERROR"
    );
    assert!(
        lines[1].starts_with("TASK-0005  malformed_yaml     open      20"),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with("tasks/TASK-0005-bad.task.yaml:7:5 unexpected character '`' (a plain value cannot start with it: put the value in quotes)"), "{}", lines[1]);
    assert!(
        lines[2].starts_with("TASK-0006  missing_standards  resolved  20"),
        "{}",
        lines[2]
    );
    assert!(
        run.stdout
            .ends_with("\n2 exception(s) in docs/compliance/context-cache-exceptions.json\n")
    );
    let (_, doc, _) = repo.json(&["--list-exceptions", "--status", "open"]);
    assert_eq!(doc["data"]["count"], 1);
    assert_eq!(doc["data"]["exceptions"][0]["task_id"], "TASK-0005");
    let (_, doc, _) = repo.json(&["--list-exceptions", "--status", "resolved"]);
    assert_eq!(
        doc["data"]["exceptions"][0]["remediation"]["notes"],
        "Resolved"
    );
}

#[test]
fn resolve_exception_records_notes_or_is_e003() {
    let repo = TestRepo::new();
    let (code, doc, _) = repo.json(&["--resolve-exception", "TASK-9999"]);
    assert_eq!(code, 10);
    assert_eq!(doc["error"]["code"], "E003");
    assert_eq!(doc["error"]["details"]["task_id"], "TASK-9999");
    assert!(!repo.root().join("docs/compliance").exists());
    repo.run(&["--add-exception", "TASK-1002", "--type", "invalid_schema"]);
    let (code, doc, _) = repo.json(&[
        "--resolve-exception",
        "TASK-1002",
        "--notes",
        "fixed in abc123",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["task_id"], "TASK-1002");
    assert_eq!(doc["data"]["status"], "resolved");
    let entry = &ledger(&repo)["exceptions"][0];
    assert_eq!(entry["remediation"]["status"], "resolved");
    assert_eq!(entry["remediation"]["notes"], "fixed in abc123");
    assert!(entry["remediation"]["resolved_at"].is_string());
    let run = repo.run(&["--resolve-exception", "TASK-4242"]);
    assert_eq!(run.code, 10);
    assert!(run.stderr.starts_with("Error [E003]: "));
}

#[test]
fn cleanup_by_id_or_by_trigger_condition() {
    let repo = TestRepo::new();
    repo.task(
        "docs/completed-tasks/TASK-0001.task.yaml",
        "TASK-0001",
        "completed",
        "P1",
        "",
    )
    .task("tasks/TASK-0002.task.yaml", "TASK-0002", "todo", "P1", "");
    for id in ["TASK-0001", "TASK-0002", "TASK-0003"] {
        repo.run(&["--add-exception", id, "--type", "invalid_schema"]);
    }
    // TASK-0003 has no file: give it a task_deletion trigger by hand, like a maintainer would.
    let text = repo.read(LEDGER);
    let mut l: Value = serde_json::from_str(&text).unwrap();
    l["exceptions"][2]["auto_remove_on"] = json!("task_deletion");
    l["exceptions"][1]["auto_remove_on"] = json!("manual");
    l["exceptions"][1]["custom_field"] = json!("kept");
    repo.write(LEDGER, serde_json::to_string_pretty(&l).unwrap());

    let (code, doc, _) = repo.json(&["--cleanup-exceptions"]);
    assert_eq!(code, 0);
    let removed: Vec<&str> = doc["data"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        removed,
        vec!["TASK-0001", "TASK-0003"],
        "completed task and missing file; manual kept"
    );
    assert_eq!(doc["data"]["remaining"], 1);
    let run = repo.run(&["--cleanup-exceptions"]);
    assert_eq!(run.stdout, "No exceptions to clean up (1 remaining)\n");
    assert_eq!(
        ledger(&repo)["exceptions"][0]["custom_field"],
        "kept",
        "unknown keys survive"
    );
    // an explicit id removes it whatever its trigger; --trigger narrows
    let (_, doc, _) = repo.json(&[
        "--cleanup-exceptions",
        "TASK-0002",
        "--trigger",
        "task_completion",
    ]);
    assert_eq!(doc["data"]["count"], 0);
    let run = repo.run(&["--cleanup-exceptions", "TASK-0002"]);
    assert_eq!(
        run.stdout,
        "✓ Removed 1 exception(s) (0 remaining)\n  - TASK-0002: invalid_schema (auto_remove_on: manual)\n"
    );
}

#[test]
fn concurrent_adds_lose_nothing() {
    let repo = TestRepo::new();
    let children: Vec<_> = (1..=8)
        .map(|i| {
            crate::support::command()
                .args([
                    "--add-exception",
                    &format!("TASK-00{i:02}"),
                    "--type",
                    "invalid_schema",
                    "--format",
                    "json",
                ])
                .current_dir(repo.root())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let mut ids: Vec<String> = ledger(&repo)["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["task_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let expected: Vec<String> = (1..=8).map(|i| format!("TASK-00{i:02}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn a_corrupt_ledger_is_e052_and_left_byte_identical() {
    let repo = TestRepo::new();
    repo.write("tasks/TASK-0005-bad.task.yaml", broken("TASK-0005"));
    repo.write(
        LEDGER,
        "{\"version\": \"1.0\", \"exceptions\": [ {\"task_id\": ",
    );
    let before = std::fs::read(repo.root().join(LEDGER)).unwrap();
    for args in [
        &["--add-exception", "TASK-0001", "--type", "invalid_schema"][..],
        &["--list-exceptions"],
        &["--resolve-exception", "TASK-0001"],
        &["--cleanup-exceptions"],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!(code, 50, "{args:?}");
        assert_eq!(doc["error"]["code"], "E052");
        assert_eq!(doc["error"]["name"], "CONTEXT_CORRUPTED");
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("context-cache-exceptions.json")
        );
    }
    let run = repo.run(&["--add-exception", "TASK-0001", "--type", "invalid_schema"]);
    assert!(run.stderr.starts_with("Error [E052]: "), "{}", run.stderr);
    // read-only verbs keep working and keep reporting the broken file
    for _ in 0..2 {
        let run = repo.run(&["--list"]);
        assert_eq!(run.code, 0);
        assert_eq!(run.warnings().len(), 2, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("context-cache-exceptions.json is not valid")
        );
    }
    assert_eq!(std::fs::read(repo.root().join(LEDGER)).unwrap(), before);
}

#[test]
fn ledger_verbs_find_the_root_from_a_subdirectory() {
    let repo = TestRepo::new();
    std::fs::create_dir_all(repo.root().join("standards")).unwrap();
    let run = run_in(
        &repo.root().join("standards"),
        &["--add-exception", "TASK-0001", "--type", "invalid_schema"],
    );
    assert_eq!(run.code, 0);
    assert!(repo.root().join(LEDGER).is_file());
    assert!(!repo.root().join("standards/docs").exists());
}

/// Lines of stderr that warn about duplicate ids.
fn duplicate_warnings(run: &crate::support::Run) -> Vec<String> {
    run.warnings()
        .into_iter()
        .filter(|w| w.contains("Duplicate task id"))
        .map(str::to_string)
        .collect()
}

#[test]
fn each_duplicate_id_is_reported_once_then_tracked_in_the_ledger() {
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    // Three archived tasks, each archived twice.
    for n in 1..=3 {
        let id = format!("TASK-07{n:02}");
        for copy in ["a", "b"] {
            repo.task(
                &format!("docs/completed-tasks/{id}-{copy}.task.yaml"),
                &id,
                "completed",
                "P2",
                "",
            );
        }
    }
    let mut warnings = Vec::new();
    for args in [
        &["--list"][..],
        &["--list"],
        &["--pick"],
        &["--list", "--format", "json"],
    ] {
        warnings.extend(duplicate_warnings(&repo.run(args)));
    }
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].contains("Duplicate task id TASK-0701"));
    let l = ledger(&repo);
    let entries = l["exceptions"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let first = &entries[0];
    assert_eq!(first["task_id"], "TASK-0701");
    assert_eq!(first["exception_type"], "duplicate_id");
    assert_eq!(first["file"], "docs/completed-tasks/TASK-0701-b.task.yaml");
    assert_eq!(
        first["parse_error"],
        "Duplicate task id TASK-0701 in 2 files: docs/completed-tasks/TASK-0701-a.task.yaml (used), docs/completed-tasks/TASK-0701-b.task.yaml"
    );
    assert_eq!(first["remediation"]["status"], "open");
    assert_eq!(first["auto_remove_on"], "task_deletion");
    // --validate reports every duplicate on every run, whatever the ledger says.
    for _ in 0..2 {
        let (code, doc, _) = repo.json(&["--validate"]);
        assert_eq!(code, 10);
        let errors = doc["error"]["details"]["errors"].as_array().unwrap();
        let duplicates = errors
            .iter()
            .filter(|e| e.as_str().unwrap().starts_with("Duplicate task ID"))
            .count();
        assert_eq!(duplicates, 3, "{errors:?}");
    }
    // The tasks being completed does not clean the entries up: the duplicates are still there.
    let (_, doc, _) = repo.json(&["--cleanup-exceptions"]);
    assert_eq!(doc["data"]["count"], 0);
    assert_eq!(duplicate_warnings(&repo.run(&["--list"])).len(), 0);

    // A duplicate that goes away ends its suppression; when it comes back it is reported again.
    let gone = "docs/completed-tasks/TASK-0702-b.task.yaml";
    let text = repo.read(gone);
    std::fs::remove_file(repo.root().join(gone)).unwrap();
    assert_eq!(duplicate_warnings(&repo.run(&["--list"])).len(), 0);
    let entry = &ledger(&repo)["exceptions"][1];
    assert_eq!(entry["file"], gone);
    assert_eq!(entry["remediation"]["status"], "resolved");
    repo.write(gone, &text);
    let again = duplicate_warnings(&repo.run(&["--list"]));
    assert_eq!(again.len(), 1, "{again:?}");
    assert!(again[0].contains("TASK-0702"));
    assert_eq!(
        ledger(&repo)["exceptions"][1]["remediation"]["status"],
        "open"
    );
    // A third file for a known id is new: reported once, recorded as a fourth entry.
    repo.task(
        "docs/completed-tasks/TASK-0703-c.task.yaml",
        "TASK-0703",
        "completed",
        "P2",
        "",
    );
    let third = duplicate_warnings(&repo.run(&["--list"]));
    assert_eq!(third.len(), 1, "{third:?}");
    assert!(third[0].contains("TASK-0703-c.task.yaml"));
    assert_eq!(ledger(&repo)["exceptions"].as_array().unwrap().len(), 4);
    assert_eq!(duplicate_warnings(&repo.run(&["--list"])).len(), 0);
}
