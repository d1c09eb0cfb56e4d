//! `--claim`, `--complete`, `--archive`, `--bootstrap-evidence` and completion notifications.

use crate::support::{Server, TestRepo};
use serde_json::{Value, json};
use std::path::Path;

const REALISTIC: &str = "tasks/mobile/TASK-0420-offline-shipment-list.task.yaml";

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/lifecycle/TASK-0420-offline-shipment-list.task.yaml");
    repo.write(REALISTIC, std::fs::read(fixture).unwrap())
        .task(
            "tasks/TASK-0101.task.yaml",
            "TASK-0101",
            "completed",
            "P1",
            "",
        )
        .task("tasks/TASK-0104.task.yaml", "TASK-0104", "todo", "P1", "")
        .task(
            "tasks/TASK-0200-draft.task.yaml",
            "TASK-0200",
            "draft",
            "P2",
            "",
        )
        .task(
            "tasks/TASK-0201.task.yaml",
            "TASK-0201",
            "blocked",
            "P2",
            "",
        )
        .task(
            "docs/completed-tasks/TASK-0050.task.yaml",
            "TASK-0050",
            "completed",
            "P2",
            "",
        );
    repo.commit();
    repo
}

/// The lines that differ between two texts (same line count required).
fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(before.lines().count(), after.lines().count());
    before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn claim_changes_exactly_one_line_of_a_300_line_file() {
    let repo = repo();
    let before = repo.read(REALISTIC);
    assert!(before.lines().count() >= 299);
    let run = repo.run(&["--claim", REALISTIC]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "✓ Claimed task TASK-0420\n  Status: todo → in_progress\n  File: {}\n",
            repo.abs(REALISTIC)
        )
    );
    assert!(run.stderr.contains(
        "Warning: TASK-0420 is still blocked by tasks that are not completed: TASK-0104"
    ));
    let after = repo.read(REALISTIC);
    assert_eq!(
        changed_lines(&before, &after),
        vec![(
            "status: todo  # moved out of draft after the clarification review".to_string(),
            "status: in_progress  # moved out of draft after the clarification review".to_string()
        )]
    );
    assert_eq!(
        before.len() + "in_progress".len() - "todo".len(),
        after.len()
    );
    // git agrees: one line removed, one added
    let diff = std::process::Command::new("git")
        .args(["diff", "--numstat"])
        .current_dir(repo.root())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&diff.stdout),
        format!("1\t1\t{REALISTIC}\n")
    );
}

#[test]
fn complete_moves_the_file_with_one_line_changed() {
    let repo = repo();
    let before = repo.read(REALISTIC);
    let (code, doc, _) = repo.json(&["--complete", REALISTIC]);
    assert_eq!(code, 0, "{doc}");
    let archived = "docs/completed-tasks/TASK-0420-offline-shipment-list.task.yaml";
    assert_eq!(doc["success"], true);
    assert_eq!(doc["task_id"], "TASK-0420");
    assert_eq!(doc["path"], repo.abs(REALISTIC));
    assert_eq!(doc["new_path"], repo.abs(archived));
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["previous_status"], "todo");
    assert!(!repo.root().join(REALISTIC).exists());
    let after = repo.read(archived);
    assert_eq!(changed_lines(&before, &after).len(), 1);
    assert!(after.contains("status: completed  # moved out of draft"));
    assert_eq!(before.len() + "completed".len() - "todo".len(), after.len());
    assert_eq!(
        after,
        before.replacen("status: todo  #", "status: completed  #", 1)
    );
    let (_, list, _) = repo.json(&["--list", "completed"]);
    assert!(crate::support::ids(&list).contains(&"TASK-0420".to_string()));
}

#[test]
fn crlf_files_keep_their_line_endings() {
    let repo = repo();
    let text =
        "id: TASK-0300\r\ntitle: Windows file\r\nstatus: todo\r\npriority: P1\r\narea: a\r\n";
    repo.write("tasks/TASK-0300.task.yaml", text);
    assert_eq!(repo.run(&["--claim", "TASK-0300"]).code, 0);
    assert_eq!(
        repo.read("tasks/TASK-0300.task.yaml"),
        text.replace("status: todo", "status: in_progress")
    );
}

#[test]
fn a_task_id_names_the_file_too() {
    let repo = repo();
    let run = repo.run(&["--claim", "TASK-0104"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        repo.read("tasks/TASK-0104.task.yaml")
            .contains("status: in_progress")
    );
    let run = repo.run(&["--claim", "TASK-0201"]);
    assert_eq!(run.code, 0, "a blocked task can be claimed");
}

#[test]
fn invalid_transitions_are_e002_and_change_nothing() {
    let repo = repo();
    let before = repo.snapshot();
    for (args, needle) in [
        (
            &["--claim", "tasks/TASK-0200-draft.task.yaml"][..],
            "'draft'",
        ),
        (&["--claim", "TASK-0101"], "only 'todo' or 'blocked'"),
        (&["--complete", "TASK-0101"], "already completed"),
        (&["--complete", "TASK-0200"], "'draft'"),
        (
            &["--archive", "TASK-0104"],
            "only completed tasks can be archived",
        ),
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!(code, 10, "{args:?}");
        assert_eq!(doc["error"]["code"], "E002");
        assert!(
            doc["error"]["message"].as_str().unwrap().contains(needle),
            "{args:?}: {doc}"
        );
        assert!(doc["generated_at"].is_string());
    }
    let run = repo.run(&["--claim", "tasks/TASK-0200-draft.task.yaml"]);
    assert!(
        run.stderr
            .starts_with("Error [E002]: Cannot claim TASK-0200: its status is 'draft'"),
        "{}",
        run.stderr
    );
    // No command promotes a draft: the recovery says how a person does.
    for verb in ["--claim", "--complete"] {
        let (_, doc, _) = repo.json(&[verb, "TASK-0200"]);
        let recovery = doc["error"]["recovery_action"].as_str().unwrap();
        assert!(recovery.contains("tasks --lint TASK-0200"), "{recovery}");
        assert!(
            recovery.contains("'status: todo' in tasks/TASK-0200-draft.task.yaml"),
            "{recovery}"
        );
    }
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn an_existing_archive_destination_is_e042_and_the_repo_is_unchanged() {
    let repo = repo();
    repo.write(
        "docs/completed-tasks/TASK-0420-offline-shipment-list.task.yaml",
        "id: TASK-0420\ntitle: older copy\nstatus: completed\npriority: P1\narea: mobile\n",
    );
    repo.commit();
    let before = repo.snapshot();
    let (code, doc, _) = repo.json(&["--complete", REALISTIC]);
    assert_eq!(code, 40);
    assert_eq!(doc["error"]["code"], "E042");
    assert_eq!(doc["error"]["name"], "DESTINATION_EXISTS");
    assert_eq!(
        repo.snapshot(),
        before,
        "nothing changed, not even the status line"
    );
    assert_eq!(repo.git_stdout(&["status", "--porcelain"]), "");
}

#[test]
fn bad_paths() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["--claim", "tasks/nope.task.yaml"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (40, Some("E040")));
    let (code, doc, _) = repo.json(&["--claim", "TASK-9999"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (40, Some("E040")));
    repo.write("README.md", "hi");
    let (code, doc, _) = repo.json(&["--claim", "README.md"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (10, Some("E002")));
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.task.yaml"), "id: X-1\n").unwrap();
    let path = outside.path().join("x.task.yaml");
    let (code, doc, _) = repo.json(&["--complete", path.to_str().unwrap()]);
    assert_eq!((code, doc["error"]["code"].as_str()), (10, Some("E002")));
    repo.write(
        "tasks/TASK-0666-broken.task.yaml",
        "id: TASK-0666\nsteps:\n  - `x`\n",
    );
    let (code, doc, _) = repo.json(&["--claim", "tasks/TASK-0666-broken.task.yaml"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (10, Some("E011")));
}

#[test]
fn archive_moves_completed_tasks_and_accepts_archived_ones() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["--archive", "TASK-0050"]);
    assert_eq!(code, 0);
    assert_eq!(doc["action"], "already_archived");
    let before = repo.read("tasks/TASK-0101.task.yaml");
    let run = repo.run(&["--archive", "tasks/TASK-0101.task.yaml"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!(
            "✓ Archived task TASK-0101\n  Moved to: {}\n",
            repo.abs("docs/completed-tasks/TASK-0101.task.yaml")
        )
    );
    assert_eq!(
        repo.read("docs/completed-tasks/TASK-0101.task.yaml"),
        before,
        "archive changes no byte"
    );
}

#[test]
fn complete_cleans_up_exceptions_and_the_context_cache() {
    let repo = repo();
    repo.run(&[
        "--add-exception",
        "TASK-0104",
        "--type",
        "missing_standards",
    ]);
    repo.run(&[
        "--add-exception",
        "TASK-0201",
        "--type",
        "missing_standards",
    ]);
    repo.write(".agent-output/TASK-0104/context.json", "{}");
    let (code, doc, _) = repo.json(&["--complete", "TASK-0104"]);
    assert_eq!(code, 0);
    assert_eq!(doc["exceptions_removed"], 1);
    let ledger: Value =
        serde_json::from_str(&repo.read("docs/compliance/context-cache-exceptions.json")).unwrap();
    let ids: Vec<&str> = ledger["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["TASK-0201"]);
    assert!(!repo.root().join(".agent-output/TASK-0104").exists());
    assert_eq!(doc["context_removed"], true, "{doc}");
}

#[test]
fn complete_says_what_it_removed() {
    let repo = repo();
    repo.run(&[
        "--add-exception",
        "TASK-0104",
        "--type",
        "missing_standards",
    ]);
    repo.write(".agent-output/TASK-0104/context.json", "{}");
    let run = repo.run(&["--complete", "TASK-0104"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("  Exceptions removed: 1 ")
            && run
                .stdout
                .contains("  Context cache removed: .agent-output/TASK-0104/ (kept as .agent-output/.completed/TASK-0104/context-"),
        "{}",
        run.stdout
    );
    // Nothing to remove: the report says so and the text has no such lines.
    std::fs::remove_dir_all(repo.root().join(".agent-output")).unwrap();
    let (code, doc, _) = repo.json(&["--complete", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        !repo.root().join(".agent-output").exists(),
        "nothing created when there is nothing to remove"
    );
    assert_eq!(
        (
            doc["context_removed"].as_bool(),
            doc["exceptions_removed"].as_u64()
        ),
        (Some(false), Some(0))
    );
    let run = repo.run(&["--complete", "TASK-0101"]);
    assert!(!run.stdout.contains("removed"), "{}", run.stdout);
}

#[test]
fn bootstrap_evidence_creates_the_template_once() {
    let repo = repo();
    let run = repo.run_env(
        &["--bootstrap-evidence", "TASK-0420"],
        &[("TASKS_NOW", "2026-11-25T10:00:00Z")],
    );
    assert_eq!(run.code, 0);
    let rel = "docs/evidence/tasks/TASK-0420-clarifications.md";
    assert!(
        run.stdout
            .starts_with(&format!("✓ Created evidence stub: {}\n", repo.abs(rel)))
    );
    let text = repo.read(rel);
    assert!(text.starts_with("# TASK-0420 Clarifications & Evidence\n"));
    assert!(text.contains("2026-11-25"));
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headings,
        vec![
            "# TASK-0420 Clarifications & Evidence",
            "## Purpose",
            "## Clarifications",
            "### Outstanding Questions",
            "### Resolved Items",
            "## Standards Alignment",
            "### Grounding References",
            "### Gap Analysis",
            "## Implementation Notes",
            "### Approach",
            "### Standards Compliance",
            "## Validation Evidence",
            "### Static Analysis",
            "### Test Results",
            "### Manual Verification",
            "## References",
        ]
    );
    assert!(text.contains("standards/REPLACE-tier.md#REPLACE-section"));
    repo.write(rel, "my notes\n");
    let (code, doc, _) = repo.json(&["--bootstrap-evidence", "TASK-0420"]);
    assert_eq!(code, 0);
    assert_eq!(doc["created"], false);
    assert_eq!(doc["evidence_path"], rel);
    assert_eq!(repo.read(rel), "my notes\n");
    let (code, doc, _) = repo.json(&["--bootstrap-evidence", "FOO"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (10, Some("E002")));
    // the linter now finds the evidence file
    let (code, doc, _) = repo.json(&["--lint", REALISTIC]);
    let findings = if code == 10 {
        &doc["error"]["details"]["findings"]
    } else {
        &doc["findings"]
    };
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "evidence_file_missing"),
        "{doc}"
    );
}

#[test]
fn completion_is_announced_on_ntfy() {
    let repo = repo();
    let server = Server::start(vec![200]);
    let run = repo.run_env(
        &["--complete", "TASK-0104", "--format", "json"],
        &[
            ("NTFY_TOPIC", "releases"),
            ("NTFY_BASE_URL", &server.url),
            ("NTFY_ACCESS_TOKEN", "secret"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["notified"], "ntfy");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/releases"));
    assert_eq!(r.body, "✅ TASK-0104 Complete: Task TASK-0104");
    assert_eq!(r.header("Priority"), Some("3"));
    assert_eq!(r.header("Title"), Some("Task Workflow"));
    assert_eq!(r.header("Authorization"), Some("Bearer secret"));
}

#[test]
fn telegram_first_and_ntfy_when_telegram_fails() {
    let repo = repo();
    let telegram = Server::start(vec![200]);
    let run = repo.run_env(
        &["--complete", "TASK-0104", "--format", "json"],
        &[
            ("TELEGRAM_BOT_TOKEN", "123:abc"),
            ("TELEGRAM_CHAT_ID", "42"),
            ("TELEGRAM_API_BASE_URL", &telegram.url),
        ],
    );
    assert_eq!(run.json()["notified"], "telegram");
    let r = &telegram.requests()[0];
    assert_eq!(r.path, "/bot123:abc/sendMessage");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"chat_id": "42", "text": "✅ TASK-0104 Complete: Task TASK-0104", "parse_mode": "HTML", "disable_notification": false})
    );

    let failing = Server::start(vec![500]);
    let ntfy = Server::start(vec![200]);
    let run = repo.run_env(
        &["--complete", "TASK-0201", "--format", "json"],
        &[
            ("TELEGRAM_BOT_TOKEN", "t"),
            ("TELEGRAM_CHAT_ID", "1"),
            ("TELEGRAM_API_BASE_URL", &failing.url),
            ("NTFYT_TOPIC", "x"),
            ("NTFYT_BASE_URL", &ntfy.url),
        ],
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["notified"], "ntfy");
    assert!(
        run.stderr
            .contains("Warning: could not send the Telegram notification: HTTP 500"),
        "{}",
        run.stderr
    );
    assert_eq!(ntfy.requests().len(), 1);
}

#[test]
fn an_unreachable_notification_server_never_fails_the_completion() {
    let repo = repo();
    let run = repo.run_env(
        &["--complete", "TASK-0104"],
        &[("NTFY_TOPIC", "x"), ("NTFY_BASE_URL", "http://127.0.0.1:9")],
    );
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("✓ Completed task TASK-0104\n"));
    assert!(
        run.stderr
            .contains("Warning: could not send the ntfy notification"),
        "{}",
        run.stderr
    );
    assert!(
        repo.root()
            .join("docs/completed-tasks/TASK-0104.task.yaml")
            .exists()
    );
}

#[test]
fn a_status_line_holding_more_than_the_status_is_refused() {
    let repo = repo();
    let text = "{id: TASK-0040, title: t, priority: P1, area: a,\nstatus: todo, notes: keep me, plan: [a, b],\n}\n";
    repo.write("tasks/TASK-0040.task.yaml", text);
    let (code, doc, _) = repo.json(&["--claim", "TASK-0040"]);
    assert_eq!(
        (code, doc["error"]["code"].as_str()),
        (10, Some("E002")),
        "{doc}"
    );
    assert_eq!(repo.read("tasks/TASK-0040.task.yaml"), text);
    for (value, file) in [
        ("&s todo\nnote: *s", "TASK-0041"),
        (">-\n  todo", "TASK-0042"),
        ("!!str todo", "TASK-0043"),
    ] {
        let text = format!("id: {file}\ntitle: t\npriority: P1\narea: a\nstatus: {value}\n");
        repo.write(&format!("tasks/{file}.task.yaml"), &text);
        let (code, doc, _) = repo.json(&["--claim", file]);
        assert_eq!(
            (code, doc["error"]["code"].as_str()),
            (10, Some("E002")),
            "{value}: {doc}"
        );
        assert_eq!(repo.read(&format!("tasks/{file}.task.yaml")), text);
    }
}

#[test]
fn archive_onto_an_existing_file_is_e042() {
    let repo = repo();
    repo.write(
        "docs/completed-tasks/TASK-0101.task.yaml",
        "id: TASK-0101\ntitle: older\nstatus: completed\npriority: P1\narea: a\n",
    );
    let before = repo.snapshot();
    let (code, doc, _) = repo.json(&["--archive", "tasks/TASK-0101.task.yaml"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (40, Some("E042")));
    assert_eq!(repo.snapshot(), before);
}

#[cfg(unix)]
#[test]
fn symbolic_links_never_lead_writes_or_deletes_outside_the_repository() {
    let outside = tempfile::tempdir().unwrap();
    // .agent-output pointing outside: the context cache is not purged there
    let repo = repo();
    std::fs::create_dir_all(outside.path().join("ctx/TASK-0104")).unwrap();
    std::fs::write(outside.path().join("ctx/TASK-0104/keep.txt"), "keep").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("ctx"),
        repo.root().join(".agent-output"),
    )
    .unwrap();
    let run = repo.run(&["--complete", "TASK-0104"]);
    assert_eq!(run.code, 0);
    assert!(
        !run.stdout.contains("Context cache removed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("Warning: the context cache of TASK-0104 was not removed"),
        "{}",
        run.stderr
    );
    assert!(outside.path().join("ctx/TASK-0104/keep.txt").exists());
    // docs/completed-tasks pointing outside: nothing is archived there
    let repo = crate::support::TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    std::fs::create_dir_all(repo.root().join("docs")).unwrap();
    std::fs::create_dir_all(outside.path().join("archive")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("archive"),
        repo.root().join("docs/completed-tasks"),
    )
    .unwrap();
    let (code, doc, _) = repo.json(&["--complete", "TASK-0001"]);
    assert_eq!(
        (code, doc["error"]["code"].as_str()),
        (10, Some("E002")),
        "{doc}"
    );
    assert!(
        repo.read("tasks/TASK-0001.task.yaml")
            .contains("status: todo")
    );
    assert_eq!(
        std::fs::read_dir(outside.path().join("archive"))
            .unwrap()
            .count(),
        0
    );
    // docs/evidence/tasks pointing outside: no stub is written there
    std::fs::create_dir_all(repo.root().join("docs/evidence")).unwrap();
    std::fs::create_dir_all(outside.path().join("evidence")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("evidence"),
        repo.root().join("docs/evidence/tasks"),
    )
    .unwrap();
    let (code, _, _) = repo.json(&["--bootstrap-evidence", "TASK-0001"]);
    assert_eq!(code, 10);
    assert_eq!(
        std::fs::read_dir(outside.path().join("evidence"))
            .unwrap()
            .count(),
        0
    );
    // a symlinked task file named by its path is refused, like one named by id: the file the
    // link points to is not the one named (a --complete would move it and leave the link
    // dangling)
    let alias = repo.root().join("tasks/TASK-0002-alias.task.yaml");
    std::os::unix::fs::symlink(repo.root().join("tasks/TASK-0001.task.yaml"), &alias).unwrap();
    let before = repo.read("tasks/TASK-0001.task.yaml");
    let (code, _, _) = repo.json(&["--claim", "tasks/TASK-0002-alias.task.yaml"]);
    assert_eq!(code, 10);
    assert_eq!(repo.read("tasks/TASK-0001.task.yaml"), before);
    assert!(
        std::fs::symlink_metadata(&alias)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn concurrent_claims_of_one_task_let_exactly_one_win() {
    let repo = repo();
    let children: Vec<_> = (0..8)
        .map(|_| {
            crate::support::command()
                .args(["--claim", "TASK-0104", "--format", "json"])
                .current_dir(repo.root())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|mut c| c.wait().unwrap().code().unwrap())
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 10).count(), 7, "{codes:?}");
}

#[test]
fn cr_only_files_and_nan_orders_can_be_claimed_and_completed() {
    let repo = repo();
    let cr = "id: TASK-0301\rtitle: Classic Mac file\rstatus: todo\rpriority: P1\rarea: a\r";
    repo.write("tasks/TASK-0301.task.yaml", cr);
    let nan = "id: TASK-0302\ntitle: Odd order\nstatus: todo\npriority: P1\narea: a\norder: .nan\n";
    repo.write("tasks/TASK-0302.task.yaml", nan);
    for id in ["TASK-0301", "TASK-0302"] {
        let run = repo.run(&["--claim", id]);
        assert_eq!(run.code, 0, "{id}: {}", run.stderr);
    }
    assert_eq!(
        repo.read("tasks/TASK-0301.task.yaml"),
        cr.replace("status: todo", "status: in_progress")
    );
    let (code, doc, _) = repo.json(&["--complete", "TASK-0302"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        repo.read("docs/completed-tasks/TASK-0302.task.yaml"),
        nan.replace("status: todo", "status: completed")
    );
    let (code, doc, _) = repo.json(&["--complete", "TASK-0301"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        repo.read("docs/completed-tasks/TASK-0301.task.yaml"),
        cr.replace("status: todo", "status: completed")
    );
}

#[test]
fn unclaim_gives_a_claimed_task_back_changing_one_line() {
    let repo = repo();
    assert_eq!(repo.run(&["--claim", REALISTIC]).code, 0);
    let before = repo.read(REALISTIC);
    let run = repo.run(&["--unclaim", "TASK-0420"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("✓ Unclaimed task TASK-0420\n  Status: in_progress → todo")
    );
    assert_eq!(
        changed_lines(&before, &repo.read(REALISTIC)),
        vec![(
            "status: in_progress  # moved out of draft after the clarification review".to_string(),
            "status: todo  # moved out of draft after the clarification review".to_string()
        )]
    );
    let (code, doc, _) = repo.json(&["--unclaim", "TASK-0420"]);
    assert_eq!(code, 10);
    assert_eq!(doc["error"]["code"], "E002");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only an in_progress task")
    );
}

#[test]
fn block_sets_the_status_and_keeps_the_reason_in_two_lines() {
    let repo = repo();
    let before = repo.read(REALISTIC);
    let reason = "waiting for \"carrier\" keys: #42 — ünïcode";
    let (code, doc, run) = repo.json(&["--block", "TASK-0420", "--reason", reason]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(doc["action"], "blocked");
    assert_eq!(doc["status"], "blocked");
    assert_eq!(doc["blocked_reason"], reason);
    let after = repo.read(REALISTIC);
    // The status value changed, and one line was added right after it.
    let added: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    assert_eq!(
        added,
        [
            "status: blocked  # moved out of draft after the clarification review",
            "blocked_reason: \"waiting for \\\"carrier\\\" keys: #42 — ünïcode\"",
        ]
    );
    assert_eq!(after.lines().count(), before.lines().count() + 1);
    // --explain reads the reason back exactly.
    let (_, explain, _) = repo.json(&["--explain", "TASK-0420"]);
    assert_eq!(explain["task"]["blocked_reason"], reason, "{explain}");
    // Blocking again replaces the reason in place.
    assert_eq!(
        repo.run(&["--block", "TASK-0420", "--reason", "second"])
            .code,
        0
    );
    let again = repo.read(REALISTIC);
    assert_eq!(again.lines().count(), after.lines().count());
    assert!(
        again.contains("blocked_reason: second\n"),
        "a plain word unquoted"
    );
    // A CRLF file keeps its line endings; --claim takes the task back.
    let text =
        "id: TASK-0300\r\ntitle: Windows file\r\nstatus: todo\r\npriority: P1\r\narea: a\r\n";
    repo.write("tasks/TASK-0300.task.yaml", text);
    assert_eq!(repo.run(&["--block", "TASK-0300", "--reason", "r"]).code, 0);
    assert_eq!(
        repo.read("tasks/TASK-0300.task.yaml"),
        text.replace(
            "status: todo\r\n",
            "status: blocked\r\nblocked_reason: r\r\n"
        )
    );
    assert_eq!(repo.run(&["--claim", "TASK-0300"]).code, 0);
}

#[test]
fn block_refuses_what_it_cannot_do_and_changes_nothing() {
    let repo = repo();
    let snapshot = repo.snapshot();
    for (args, exit) in [
        (vec!["--block", "TASK-0420"], 2),
        (vec!["--block", "TASK-0101", "--reason", "r"], 10),
        (vec!["--block", "TASK-0200", "--reason", "r"], 10),
        (vec!["--block", "TASK-0420", "--reason", "two\nlines"], 10),
        (vec!["--block", "TASK-0420", "--reason", ""], 2),
        (vec!["--unclaim", "TASK-0104"], 10),
        (vec!["--unclaim", "TASK-0999"], 40),
    ] {
        let (code, doc, run) = repo.json(&args);
        assert_eq!(code, exit, "{args:?}: {doc} {}", run.stderr);
        assert_eq!(doc["success"], false);
    }
    let long = "x".repeat(501);
    let (code, _, _) = repo.json(&["--block", "TASK-0420", "--reason", &long]);
    assert_eq!(code, 10);
    // A blocked_reason that is not a one-line value is not rewritten.
    repo.write(
        "tasks/TASK-0301.task.yaml",
        "id: TASK-0301\ntitle: T\nstatus: todo\nblocked_reason: |\n  old\npriority: P1\narea: a\n",
    );
    let before = repo.read("tasks/TASK-0301.task.yaml");
    let (code, doc, _) = repo.json(&["--block", "TASK-0301", "--reason", "new"]);
    assert_eq!(
        (code, doc["error"]["code"].as_str()),
        (10, Some("E002")),
        "{doc}"
    );
    assert_eq!(repo.read("tasks/TASK-0301.task.yaml"), before);
    std::fs::remove_file(repo.root().join("tasks/TASK-0301.task.yaml")).unwrap();
    assert_eq!(repo.snapshot(), snapshot);
}

#[test]
fn a_symbolic_link_named_by_path_is_refused_and_a_bad_reason_line_is_named() {
    let repo = repo();
    std::os::unix::fs::symlink(
        "../TASK-0104.task.yaml",
        repo.root().join("tasks/mobile/TASK-0105-alias.task.yaml"),
    )
    .unwrap();
    let snapshot = repo.snapshot();
    for args in [
        vec!["--complete", "tasks/mobile/TASK-0105-alias.task.yaml"],
        vec![
            "--block",
            "tasks/mobile/TASK-0105-alias.task.yaml",
            "--reason",
            "r",
        ],
        vec!["--claim", "tasks/mobile/TASK-0105-alias.task.yaml"],
    ] {
        let (code, doc, _) = repo.json(&args);
        assert_eq!(
            (code, doc["error"]["code"].as_str()),
            (10, Some("E002")),
            "{args:?}: {doc}"
        );
    }
    assert_eq!(repo.snapshot(), snapshot);
    // A blocked_reason that cannot be replaced is named as such.
    repo.write(
        "tasks/TASK-0302.task.yaml",
        "id: TASK-0302\ntitle: T\nstatus: todo\nblocked_reason: [a]\npriority: P1\narea: a\n",
    );
    let (code, doc, _) = repo.json(&["--block", "TASK-0302", "--reason", "new"]);
    assert_eq!(code, 10);
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Cannot set blocked_reason in"),
        "{message}"
    );
    assert_eq!(doc["error"]["details"]["field"], "blocked_reason");
}

#[test]
fn new_task_creates_a_draft_from_the_template_with_the_next_free_id() {
    let repo = repo();
    // Ids in use: TASK-0420 (active), TASK-0050 (archived), TASK-0201 (active): the next is 0421.
    let (code, doc, run) = repo.json(&[
        "--new-task",
        "--area",
        "backend",
        "--title",
        "Rate-limit the tracking API: 100/min",
    ]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(doc["task_id"], "TASK-0421");
    assert_eq!(
        doc["rel_path"],
        "tasks/backend/TASK-0421-rate-limit-the-tracking-api-100-min.task.yaml"
    );
    assert_eq!(doc["template"], "built-in");
    assert_eq!(
        doc["evidence_path"],
        "docs/evidence/tasks/TASK-0421-clarifications.md"
    );
    assert!(
        repo.root()
            .join("docs/evidence/tasks/TASK-0421-clarifications.md")
            .is_file()
    );
    // It reads back as the task asked for, a draft; the linter lists what is left to fill.
    let (_, explain, _) = repo.json(&["--explain", "TASK-0421"]);
    assert_eq!(explain["task"]["status"], "draft");
    assert_eq!(
        explain["task"]["title"],
        "Rate-limit the tracking API: 100/min"
    );
    assert!(
        doc["to_fill"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "pipeline_empty"),
        "{doc}"
    );
    let text = repo.read("tasks/backend/TASK-0421-rate-limit-the-tracking-api-100-min.task.yaml");
    assert!(
        text.contains("id: TASK-0421\n")
            && text.contains("priority: P2\n")
            && text.contains("area: backend\n"),
        "{text}"
    );

    // The repository's template, with everything chosen.
    repo.write(
        "docs/templates/TASK-0000-template.task.yaml",
        "# Team template\nschema_version: \"1.1\"\nid: TASK-0000\ntitle: TITLE\nstatus: todo  # starts as a draft\npriority: P3\narea: AREA\nclarifications:\n  evidence_path: docs/evidence/tasks/TASK-0000-clarifications.md\n",
    );
    let run = repo.run(&[
        "--new-task",
        "--area",
        "mobile",
        "--title",
        "Offline banner",
        "--id",
        "TASK-0500",
        "--slug",
        "offline-banner",
        "--priority",
        "P1",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("✓ Created TASK-0500 (draft) from the docs/templates/TASK-0000-template.task.yaml template"), "{}", run.stdout);
    assert_eq!(
        repo.read("tasks/mobile/TASK-0500-offline-banner.task.yaml"),
        "# Team template\nschema_version: \"1.1\"\nid: TASK-0500\ntitle: \"Offline banner\"\nstatus: draft  # starts as a draft\npriority: P1\narea: mobile\nclarifications:\n  evidence_path: docs/evidence/tasks/TASK-0500-clarifications.md\n"
    );
}

#[test]
fn new_task_refuses_bad_input_and_writes_nothing() {
    let repo = repo();
    let snapshot = repo.snapshot();
    for (args, exit) in [
        (vec!["--new-task", "--area", "backend"], 2),
        (vec!["--new-task", "--title", "T"], 2),
        (vec!["--new-task", "--area", "../x", "--title", "T"], 10),
        (vec!["--new-task", "--area", "Back End", "--title", "T"], 10),
        (
            vec!["--new-task", "--area", "a", "--title", "two\nlines"],
            10,
        ),
        (
            vec!["--new-task", "--area", "a", "--title", "T", "--slug", "a/b"],
            10,
        ),
        (
            vec![
                "--new-task",
                "--area",
                "a",
                "--title",
                "T",
                "--priority",
                "urgent",
            ],
            10,
        ),
        (
            vec![
                "--new-task",
                "--area",
                "a",
                "--title",
                "T",
                "--id",
                "task-1",
            ],
            10,
        ),
        (
            vec![
                "--new-task",
                "--area",
                "a",
                "--title",
                "T",
                "--id",
                "TASK-0420",
            ],
            10,
        ),
        (
            vec![
                "--new-task",
                "--area",
                "a",
                "--title",
                "T",
                "--id",
                "TASK-0050",
            ],
            10,
        ),
    ] {
        let (code, doc, _) = repo.json(&args);
        assert_eq!(code, exit, "{args:?}: {doc}");
    }
    let (_, doc, _) = repo.json(&[
        "--new-task",
        "--area",
        "a",
        "--title",
        "T",
        "--id",
        "TASK-0420",
    ]);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is taken"),
        "{doc}"
    );
    // A template reached through a link is refused.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("t.yaml"), "id: TASK-0000\n").unwrap();
    std::fs::create_dir_all(repo.root().join("docs/templates")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("t.yaml"),
        repo.root()
            .join("docs/templates/TASK-0000-template.task.yaml"),
    )
    .unwrap();
    let (code, _, _) = repo.json(&["--new-task", "--area", "a", "--title", "T"]);
    assert_eq!(code, 10);
    std::fs::remove_file(
        repo.root()
            .join("docs/templates/TASK-0000-template.task.yaml"),
    )
    .unwrap();
    std::fs::remove_dir_all(repo.root().join("docs/templates")).unwrap();
    assert_eq!(repo.snapshot(), snapshot);
}

#[test]
fn new_task_runs_at_once_get_different_ids_and_a_failure_leaves_nothing() {
    let repo = repo();
    let children: Vec<_> = (0..6)
        .map(|i| {
            crate::support::command()
                .args([
                    "--new-task",
                    "--area",
                    "web",
                    "--title",
                    &format!("conc {i}"),
                    "--format",
                    "json",
                ])
                .current_dir(repo.root())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success());
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            doc["task_id"].as_str().unwrap().to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "{ids:?}");
    // The stub cannot be written (its directory is a link): no task file is left either.
    let repo = self::repo();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.root().join("docs/evidence")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root().join("docs/evidence/tasks")).unwrap();
    let snapshot = repo.snapshot();
    let (code, _, _) = repo.json(&["--new-task", "--area", "web", "--title", "x"]);
    assert_eq!(code, 10);
    assert_eq!(repo.snapshot(), snapshot);
    assert!(!repo.root().join("tasks/web").exists());
    // The placeholder id is replaced where it is a whole id only.
    std::fs::remove_file(repo.root().join("docs/evidence/tasks")).unwrap();
    repo.write(
        "docs/templates/TASK-0000-template.task.yaml",
        "id: TASK-0000\ntitle: T\nstatus: draft\npriority: P2\narea: a\ndepends_on: [TASK-00001]\n",
    );
    let (code, doc, _) = repo.json(&["--new-task", "--area", "web", "--title", "y"]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        repo.read(doc["rel_path"].as_str().unwrap())
            .contains("depends_on: [TASK-00001]")
    );
}

#[test]
fn explain_shows_the_reason_of_a_blocked_task_only() {
    let repo = repo();
    assert_eq!(
        repo.run(&["--block", "TASK-0104", "--reason", "keys"]).code,
        0
    );
    assert!(
        repo.run(&["--explain", "TASK-0104"])
            .stdout
            .contains("Blocked because: keys")
    );
    assert_eq!(repo.run(&["--claim", "TASK-0104"]).code, 0);
    let run = repo.run(&["--explain", "TASK-0104"]);
    assert!(!run.stdout.contains("Blocked because"), "{}", run.stdout);
    // The JSON keeps the field as the file has it.
    let (_, doc, _) = repo.json(&["--explain", "TASK-0104"]);
    assert_eq!(doc["task"]["blocked_reason"], "keys");
}

#[test]
fn complete_warns_of_blockers_that_are_not_completed() {
    let repo = repo();
    repo.task(
        "tasks/TASK-0105.task.yaml",
        "TASK-0105",
        "todo",
        "P1",
        "blocked_by: [TASK-0104, TASK-0101]\n",
    );
    repo.commit();
    let run = repo.run(&["--complete", "TASK-0105"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.warnings(),
        ["Warning: TASK-0105 is completed while tasks it is blocked by are not: TASK-0104"]
    );
    // Nothing left unfinished: nothing said.
    let run = repo.run(&["--complete", "TASK-0104"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.warnings().is_empty(), "{}", run.stderr);
}

/// A bug in the middle of a state change (a panic injected at its first step): the coded E999
/// error in the requested format, exit 1, and the task file as it was. (The panic unwinds,
/// through the statically linked unwinder where `build.rs` found one, to the command's guard.)
#[test]
fn a_panic_mid_change_is_the_coded_internal_error_and_changes_nothing() {
    let repo = crate::support::TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    let before = repo.read("tasks/TASK-0001.task.yaml");
    let run = repo.run_env(
        &["--claim", "TASK-0001", "--format", "json"],
        &[("TASKS_PANIC_AT", "1")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(crate::support::error_code(&doc), "E999");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TASKS_PANIC_AT=1"),
        "{doc}"
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(repo.read("tasks/TASK-0001.task.yaml"), before);
    // The next command works on the same task.
    assert_eq!(repo.run(&["--claim", "TASK-0001"]).code, 0);
}
