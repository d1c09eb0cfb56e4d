//! Agent handoffs: worktree snapshots, incremental diffs, drift verification, drift budget
//! (spec 03 §2–§4, contract D7), in temporary git repositories.

use crate::support::{TestRepo, error_code, sha256};
use serde_json::{Value, json};

const ID: &str = "TASK-0301";
const CONTEXT: &str = ".agent-output/TASK-0301/context.json";
const LONG_DIR: &str = "src/app/features/shipments/timeline/components/internal/rendering/helpers";

const TASK: &str = r#"schema_version: "1.1"
id: TASK-0301
title: Shipment timeline rendering
status: in_progress
priority: P1
area: web
description: Render the shipment timeline.
scope:
  in: [src/app/]
  out: [backend]
plan:
  - id: 1
    title: Render
    outputs: [src/app/timeline.ts]
deliverables: [src/app/timeline.ts]
acceptance_criteria:
  - The timeline renders every event
validation:
  pipeline:
    - command: pnpm test
context:
  standards_tier: frontend
  repo_paths: [src/app/, lib/]
"#;

/// A committed repository with the task, a few tracked files and an initialized context.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(&format!("tasks/web/{ID}-timeline.task.yaml"), TASK)
        .write(
            ".gitignore",
            ".agent-output/\ntasks/.cache/\ndocs/compliance/\n",
        )
        .write("src/app/timeline.ts", "export const timeline = [];\n")
        .write("src/app/old-name.ts", "export const renamed = true;\n")
        .write("src/app/obsolete.ts", "export const obsolete = true;\n")
        .write("src/app/logo.bin", [0u8, 1, 2, 3, 255])
        .write("src/app/windows.txt", "line one\r\nline two\r\n")
        .write("lib/util.ts", "export const util = 1;\n")
        .write("README.md", "# Project\n")
        .commit();
    let run = repo.run(&["--init-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo
}

fn context(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(CONTEXT)).unwrap()
}

fn snapshot_of(repo: &TestRepo, role: &str) -> Value {
    context(repo)["coordination"][role]["worktree_snapshot"].clone()
}

/// The paths of a snapshot report's `files_changed`.
fn changed_paths(doc: &Value) -> Vec<String> {
    doc["snapshot"]["files_changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

fn head(repo: &TestRepo) -> String {
    repo.git_stdout(&["rev-parse", "HEAD"]).trim().to_string()
}

#[test]
fn the_whole_handoff_in_json() {
    let repo = repo();
    let cached_before = repo.git_stdout(&["diff", "--cached", "--name-status"]);
    // Implementer: edits a tracked file, adds an untracked file under a long directory path.
    repo.write(
        "src/app/timeline.ts",
        "export const timeline = ['created'];\n",
    );
    let new_file = format!("{LONG_DIR}/format-event-label.ts");
    repo.write(&new_file, "export const label = (e) => e.kind;\n");
    let (code, doc, run) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["agent_role"], "implementer");
    let snap = &doc["snapshot"];
    assert_eq!(snap, &snapshot_of(&repo, "implementer"));
    assert_eq!(snap["base_commit"], head(&repo));
    assert_eq!(snap["head_commit"], head(&repo));
    assert_eq!(snap["tree_sha"].as_str().unwrap().len(), 40);
    let files: Vec<(&str, &str)> = snap["files_changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        vec![(new_file.as_str(), "A"), ("src/app/timeline.ts", "M")]
    );
    let added = &snap["files_changed"][0];
    let content = "export const label = (e) => e.kind;\n";
    assert_eq!(added["sha256"], sha256(content.as_bytes()));
    assert_eq!(added["mode"], "644");
    assert_eq!(added["size"], content.len());
    let diff_path = snap["diff_from_base"].as_str().unwrap();
    assert_eq!(
        diff_path,
        ".agent-output/TASK-0301/implementer-from-base.diff"
    );
    let diff = std::fs::read(repo.root().join(diff_path)).unwrap();
    assert_eq!(snap["diff_sha"], sha256(&diff));
    let diff_text = String::from_utf8(diff).unwrap();
    assert!(
        diff_text.contains(&format!("+++ b/{new_file}")),
        "{diff_text}"
    );
    assert!(diff_text.contains("+export const timeline = ['created'];"));
    assert!(
        snap["diff_stat"]
            .as_str()
            .unwrap()
            .contains("2 files changed")
    );
    assert_eq!(
        snap["scope_hash"],
        sha256(b"lib/\nsrc/app/\n")[..16].to_string()
    );
    assert_eq!(
        repo.git_stdout(&["diff", "--cached", "--name-status"]),
        cached_before,
        "the user's index is untouched"
    );

    // Reviewer: verifies the implementer's state (clean), edits, snapshots with the incremental diff.
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 0, "{doc}");
    let report = json!({"task_id": ID, "expected_agent": "implementer", "drift_detected": false, "method": "tree", "files_checked": 2, "findings": [], "drift_budget": null});
    let mut expected = report.clone();
    expected["success"] = json!(true);
    expected["data"] = report;
    expected["error"] = json!(null);
    expected["generated_at"] = doc["generated_at"].clone();
    assert_eq!(doc, expected);
    repo.write(
        "src/app/timeline.ts",
        "export const timeline = ['created', 'reviewed'];\n",
    );
    let (code, doc, run) = repo.json(&[
        "--snapshot-worktree",
        ID,
        "--agent",
        "reviewer",
        "--previous-agent",
        "implementer",
    ]);
    assert_eq!(code, 0, "{}", run.stderr);
    let snap = &doc["snapshot"];
    let inc_path = ".agent-output/TASK-0301/reviewer-incremental.diff";
    assert_eq!(snap["incremental_diff_from"], "implementer");
    assert_eq!(snap["incremental_diff_path"], inc_path);
    assert_eq!(snap["diff_from_implementer"], inc_path);
    let incremental = repo.read(inc_path);
    assert_eq!(snap["incremental_diff_sha"], sha256(incremental.as_bytes()));
    assert!(
        incremental.contains("-export const timeline = ['created'];"),
        "{incremental}"
    );
    assert!(incremental.contains("+export const timeline = ['created', 'reviewed'];"));
    assert!(
        !incremental.contains("format-event-label"),
        "only the reviewer's change: {incremental}"
    );
    // The cumulative diff still has both.
    let cumulative = repo.read(".agent-output/TASK-0301/reviewer-from-base.diff");
    assert!(cumulative.contains("format-event-label") && cumulative.contains("'reviewed'"));

    let (code, doc, _) = repo.json(&[
        "--get-diff",
        ID,
        "--agent",
        "reviewer",
        "--diff-type",
        "incremental",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["diff_type"], "incremental");
    assert_eq!(doc["diff_path"], inc_path);
    assert_eq!(doc["diff_content"], incremental);
    assert_eq!(doc["diff_utf8"], true);
    assert_eq!(doc["incremental_diff_from"], "implementer");
    // The stat of the incremental diff itself, recorded with the snapshot.
    assert_eq!(doc["diff_stat"], snap["incremental_diff_stat"]);
    assert_ne!(doc["diff_stat"], snap["diff_stat"]);
    assert!(
        doc["diff_stat"]
            .as_str()
            .unwrap()
            .contains("1 file changed"),
        "{doc}"
    );
    let (_, doc, _) = repo.json(&["--get-diff", ID, "--agent", "implementer"]);
    assert_eq!(doc["diff_type"], "from_base");
    assert_eq!(doc["diff_content"], diff_text);

    // A manual edit: drift against the reviewer's snapshot, naming the file.
    repo.write("lib/util.ts", "export const util = 2;\n");
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "reviewer"]);
    assert_eq!((code, error_code(&doc)), (20, "E020"), "{doc}");
    // A verdict: the report (with the findings) at the top level, and the error.
    assert_eq!(doc["success"], false);
    assert_eq!(doc["drift_detected"], true);
    assert_eq!(doc["drift_budget"], 1);
    assert_eq!(doc["findings"], doc["error"]["details"]["findings"]);
    let findings = &doc["error"]["details"]["findings"];
    assert_eq!(findings.as_array().unwrap().len(), 1);
    assert_eq!(findings[0]["path"], "lib/util.ts");
    assert_eq!(findings[0]["change"], "modified");
    assert_eq!(
        findings[0]["expected_sha256"],
        sha256(b"export const util = 1;\n")
    );
    assert_eq!(
        findings[0]["current_sha256"],
        sha256(b"export const util = 2;\n")
    );
    assert_eq!(doc["error"]["details"]["drift_budget"], 1);
    assert_eq!(
        context(&repo)["coordination"]["reviewer"]["drift_budget"],
        1
    );

    // The drift budget blocks snapshots until it is resolved.
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "reviewer"]);
    assert_eq!((code, error_code(&doc)), (20, "E024"), "{doc}");
    assert!(
        doc["error"]["recovery_action"]
            .as_str()
            .unwrap()
            .contains("--resolve-drift TASK-0301 --agent reviewer")
    );
    let (code, doc, _) = repo.json(&[
        "--resolve-drift",
        ID,
        "--agent",
        "reviewer",
        "--note",
        "util bump agreed with the team",
        "--actor",
        "dana",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["previous_drift_budget"], 1);
    assert_eq!(doc["resolution"]["note"], "util bump agreed with the team");
    let reviewer = &context(&repo)["coordination"]["reviewer"];
    assert_eq!(reviewer["drift_budget"], 0);
    assert_eq!(reviewer["drift_resolutions"][0]["actor"], "dana");
    assert_eq!(reviewer["drift_resolutions"][0]["previous_drift_budget"], 1);
    let (code, _, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "reviewer"]);
    assert_eq!(code, 0);
    let (code, _, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "reviewer"]);
    assert_eq!(code, 0);

    // A commit moves HEAD: E021.
    repo.commit();
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "reviewer"]);
    assert_eq!((code, error_code(&doc)), (20, "E021"), "{doc}");
    assert_eq!(doc["error"]["details"]["current_head"], head(&repo));
}

#[test]
fn the_whole_handoff_in_text() {
    let repo = repo();
    repo.write("src/app/timeline.ts", "export const timeline = [1];\n");
    repo.write("outside/notes.txt", "not in scope\n");
    let run = repo.run(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("✓ Snapshotted working tree for implementer on TASK-0301\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Files changed: 1"));
    assert!(
        run.stdout
            .contains("Diff saved to: .agent-output/TASK-0301/implementer-from-base.diff")
    );
    assert!(
        run.stderr
            .contains("1 untracked file(s) outside the task's repo_paths"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("outside/notes.txt"));
    let run = repo.run(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("✓ Working tree verified against implementer snapshot for TASK-0301\n")
    );
    // Out-of-scope untracked files are not drift.
    repo.write("outside/more.txt", "x\n");
    assert_eq!(
        repo.run(&["--verify-worktree", ID, "--expected-agent", "implementer"])
            .code,
        0
    );
    let run = repo.run(&[
        "context",
        "diff",
        ID,
        "--agent",
        "implementer",
        "--from-base",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Diff for implementer (from_base): .agent-output/TASK-0301/implementer-from-base.diff\n\ndiff --git"));
    repo.write("src/app/timeline.ts", "export const timeline = [2];\n");
    let run = repo.run(&["context", "verify", ID, "--expected-agent", "implementer"]);
    assert_eq!(run.code, 20);
    assert!(run.stderr.starts_with("Error [E020]: "), "{}", run.stderr);
    assert!(run.stderr.contains("src/app/timeline.ts (modified)"));
    let run = repo.run(&[
        "--resolve-drift",
        ID,
        "--agent",
        "implementer",
        "--note",
        "reverted",
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("Previous drift budget: 1"),
        "{}",
        run.stdout
    );
    let run = repo.run(&[
        "--resolve-drift",
        ID,
        "--agent",
        "implementer",
        "--note",
        "again",
    ]);
    assert!(run.stdout.contains("No drift to resolve"), "{}", run.stdout);
    let run = repo.run(&["context", "snapshot", ID, "--agent", "implementer"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn binary_rename_deletion_crlf_non_ascii_and_non_utf8_files() {
    let repo = repo();
    repo.write("src/app/logo.bin", [0u8, 9, 9, 9, 0]);
    repo.git(&["mv", "src/app/old-name.ts", "src/app/new-name.ts"]);
    std::fs::remove_file(repo.root().join("src/app/obsolete.ts")).unwrap();
    repo.write("src/app/windows.txt", "line one\r\nline TWO\r\n");
    repo.write(
        "src/app/café-menu.ts",
        "export const menu = 'crème brûlée';\n",
    );
    repo.write("src/app/latin1.txt", b"caf\xe9 au lait\n");
    let odd_name: &[u8] = b"src/app/raw-\xff-name.txt";
    {
        use std::os::unix::ffi::OsStrExt;
        std::fs::write(
            repo.root().join(std::ffi::OsStr::from_bytes(odd_name)),
            "odd\n",
        )
        .unwrap();
    }
    let (code, doc, run) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let files = doc["snapshot"]["files_changed"].as_array().unwrap();
    let by_path = |p: &str| {
        files
            .iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("{p} in {files:?}"))
    };
    assert_eq!(by_path("src/app/logo.bin")["status"], "M");
    assert_eq!(
        by_path("src/app/logo.bin")["sha256"],
        sha256(&[0, 9, 9, 9, 0])
    );
    let renamed = by_path("src/app/new-name.ts");
    assert_eq!(
        (
            renamed["status"].as_str(),
            renamed["previous_path"].as_str()
        ),
        (Some("R"), Some("src/app/old-name.ts"))
    );
    let deleted = by_path("src/app/obsolete.ts");
    assert_eq!(deleted["status"], "D");
    assert_eq!(
        (
            deleted["sha256"].as_str(),
            deleted["mode"].as_str(),
            deleted["size"].as_u64()
        ),
        (Some(""), Some(""), Some(0))
    );
    assert_eq!(
        by_path("src/app/windows.txt")["sha256"],
        sha256(b"line one\r\nline TWO\r\n")
    );
    assert_eq!(by_path("src/app/café-menu.ts")["status"], "A");
    assert_eq!(
        by_path("src/app/latin1.txt")["sha256"],
        sha256(b"caf\xe9 au lait\n")
    );
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "src/app/raw-\u{fffd}-name.txt"),
        "{files:?}"
    );
    let diff = std::fs::read(
        repo.root()
            .join(".agent-output/TASK-0301/implementer-from-base.diff"),
    )
    .unwrap();
    let contains = |needle: &[u8]| diff.windows(needle.len()).any(|w| w == needle);
    assert!(contains(
        b"Binary files a/src/app/logo.bin and b/src/app/logo.bin differ"
    ));
    assert!(contains(b"+line TWO\r\n"), "CR bytes are kept");
    assert!(contains(b"+caf\xe9 au lait\n"), "non-UTF-8 bytes are kept");
    assert!(contains(b"rename from src/app/old-name.ts"));
    assert!(contains("b/src/app/café-menu.ts".as_bytes()));
    assert_eq!(doc["snapshot"]["diff_sha"], sha256(&diff));
    // The same state verifies clean; get-diff says the content is not all UTF-8.
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 0, "{doc}");
    let (code, doc, _) = repo.json(&["--get-diff", ID, "--agent", "implementer"]);
    assert_eq!(code, 0);
    assert_eq!(doc["diff_utf8"], false);
    // The reviewer changes the binary and the CRLF file: the incremental diff has just those.
    repo.write("src/app/logo.bin", [7u8, 7, 7]);
    repo.write(
        "src/app/windows.txt",
        "line one\r\nline TWO\r\nline three\r\n",
    );
    let (code, doc, run) = repo.json(&[
        "--snapshot-worktree",
        ID,
        "--agent",
        "reviewer",
        "--previous-agent",
        "implementer",
    ]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(doc["snapshot"]["incremental_diff_error"], Value::Null);
    let inc = std::fs::read(
        repo.root()
            .join(".agent-output/TASK-0301/reviewer-incremental.diff"),
    )
    .unwrap();
    let inc_text = String::from_utf8_lossy(&inc);
    assert!(
        inc_text.contains("Binary files a/src/app/logo.bin and b/src/app/logo.bin differ"),
        "{inc_text}"
    );
    assert!(
        inc.windows(13).any(|w| w == b"+line three\r\n"),
        "{inc_text}"
    );
    assert_eq!(inc_text.matches("diff --git").count(), 2, "{inc_text}");
}

#[test]
fn a_clean_tree_is_a_valid_snapshot() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 0, "{doc}");
    let snap = &doc["snapshot"];
    assert_eq!(snap["files_changed"], json!([]));
    assert_eq!(snap["diff_stat"], "");
    assert_eq!(snap["diff_sha"], sha256(b""));
    let (code, _, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 0);
    let run = repo.run(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert!(
        run.stdout.contains("Diff stat: (no changes)"),
        "{}",
        run.stdout
    );
}

#[test]
fn changes_committed_or_stashed_after_a_snapshot_are_e022_or_e021() {
    let repo = repo();
    repo.write("src/app/timeline.ts", "export const timeline = [3];\n");
    assert_eq!(
        repo.run(&["--snapshot-worktree", ID, "--agent", "implementer"])
            .code,
        0
    );
    repo.git(&["stash", "-q"]);
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (20, "E022"), "{doc}");
    repo.git(&["stash", "pop", "-q"]);
    let (code, _, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 0);
    assert_eq!(
        context(&repo)["coordination"]["implementer"]["drift_budget"],
        1
    );
}

#[test]
fn staged_files_count_and_tool_directories_never_do() {
    let repo = repo();
    repo.write("src/app/staged.ts", "export const s = 1;\n");
    repo.git(&["add", "src/app/staged.ts"]);
    repo.write(
        "docs/compliance/context-cache-exceptions.json",
        "{\"exceptions\": []}",
    );
    repo.write("tasks/.cache/x.bin", "x");
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 0);
    let paths = changed_paths(&doc);
    assert_eq!(paths, vec!["src/app/staged.ts"]);
    // The tool's own writes after the snapshot are not drift.
    repo.write(
        "docs/compliance/context-cache-exceptions.json",
        "{\"exceptions\": [1]}",
    );
    let (code, _, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 0);
}

#[test]
fn preexisting_dirty_paths_are_left_out_and_ignored_by_verify() {
    let repo = TestRepo::new();
    repo.write(&format!("tasks/web/{ID}-timeline.task.yaml"), TASK)
        .write("src/app/timeline.ts", "export const timeline = [];\n")
        .commit();
    repo.write("src/app/wip.ts", "work in progress\n");
    let run = repo.run(&["--init-context", ID, "--allow-preexisting-dirty"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo.write("src/app/timeline.ts", "export const timeline = [1];\n");
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 0);
    let paths = changed_paths(&doc);
    assert_eq!(paths, vec!["src/app/timeline.ts"]);
    repo.write("src/app/wip.ts", "still in progress\n");
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn missing_contexts_and_snapshots_are_e051_with_a_hint() {
    let repo = repo();
    for args in [
        &["--snapshot-worktree", "TASK-0999", "--agent", "implementer"][..],
        &[
            "--verify-worktree",
            "TASK-0999",
            "--expected-agent",
            "implementer",
        ],
        &["--get-diff", "TASK-0999", "--agent", "implementer"],
        &[
            "--resolve-drift",
            "TASK-0999",
            "--agent",
            "implementer",
            "--note",
            "x",
        ],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (50, "E051"), "{args:?}");
    }
    for args in [
        &["--verify-worktree", ID, "--expected-agent", "reviewer"][..],
        &["--get-diff", ID, "--agent", "validator"],
        &[
            "--snapshot-worktree",
            ID,
            "--agent",
            "reviewer",
            "--previous-agent",
            "implementer",
        ],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (50, "E051"), "{args:?}");
        assert!(
            doc["error"]["recovery_action"]
                .as_str()
                .unwrap()
                .contains("--snapshot-worktree TASK-0301 --agent"),
            "{doc}"
        );
    }
    repo.write("src/app/timeline.ts", "x\n");
    assert_eq!(
        repo.run(&["--snapshot-worktree", ID, "--agent", "implementer"])
            .code,
        0
    );
    let (code, doc, _) = repo.json(&[
        "--get-diff",
        ID,
        "--agent",
        "implementer",
        "--diff-type",
        "incremental",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E051"));
    std::fs::remove_file(
        repo.root()
            .join(".agent-output/TASK-0301/implementer-from-base.diff"),
    )
    .unwrap();
    let (code, doc, _) = repo.json(&["--get-diff", ID, "--agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (40, "E040"));
}

#[test]
fn usage_and_value_errors() {
    let repo = repo();
    for (args, needle) in [
        (&["--snapshot-worktree", ID][..], "--agent"),
        (&["--get-diff", ID], "--agent"),
        (&["--resolve-drift", ID, "--agent", "reviewer"], "--note"),
        (&["--resolve-drift", ID, "--note", "x"], "--agent"),
    ] {
        let run = repo.run(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (2, "E002"));
    }
    // Without --expected-agent: the most recent snapshot; none at all is E051, enveloped.
    let (code, doc, _) = repo.json(&["--verify-worktree", ID]);
    assert_eq!((code, error_code(&doc)), (50, "E051"));
    assert_eq!(
        doc["data"],
        Value::Null,
        "verify-worktree errors are enveloped"
    );
    for (args, field) in [
        (
            &["--snapshot-worktree", ID, "--agent", "boss"][..],
            "--agent",
        ),
        (
            &[
                "--snapshot-worktree",
                ID,
                "--agent",
                "reviewer",
                "--previous-agent",
                "x",
            ],
            "--previous-agent",
        ),
        (
            &["--verify-worktree", ID, "--expected-agent", "x"],
            "--expected-agent",
        ),
        (
            &[
                "--get-diff",
                ID,
                "--agent",
                "reviewer",
                "--diff-type",
                "cumulative",
            ],
            "--diff-type",
        ),
        (
            &[
                "--snapshot-worktree",
                ID,
                "--agent",
                "reviewer",
                "--previous-agent",
                "reviewer",
            ],
            "--previous-agent",
        ),
        (
            &["--snapshot-worktree", "../x", "--agent", "reviewer"],
            "--snapshot-worktree",
        ),
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{args:?}");
        assert_eq!(doc["error"]["details"]["field"], field, "{args:?}");
    }
}

#[test]
fn git_missing_or_failing_is_e061() {
    let repo = repo();
    let run = repo.run_env(
        &[
            "--snapshot-worktree",
            ID,
            "--agent",
            "implementer",
            "--format",
            "json",
        ],
        &[("PATH", "/nonexistent")],
    );
    assert_eq!(run.code, 60, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(error_code(&doc), "E061");
    assert!(
        doc["error"]["details"]["command"]
            .as_str()
            .unwrap()
            .starts_with("git ")
    );
    assert!(
        !doc["error"]["details"]["stderr"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    // A base commit that is not in the repository any more.
    let mut c = context(&repo);
    c["git_head"] = json!("0123456789012345678901234567890123456789");
    repo.write(CONTEXT, serde_json::to_string_pretty(&c).unwrap());
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (60, "E061"), "{doc}");
    assert!(
        doc["error"]["details"]["stderr"]
            .as_str()
            .unwrap()
            .contains("0123456789")
    );
    assert!(
        doc["error"]["recovery_action"]
            .as_str()
            .unwrap()
            .contains("--rebuild-context")
    );
}

#[test]
fn a_repository_without_commits_is_a_coded_error() {
    let repo = TestRepo::new();
    let fixture = crate::support::reference_context_fixture();
    repo.write(".agent-output/TASK-0201/context.json", fixture);
    // The fixture's reviewer has unresolved drift; resolving it needs no git.
    let run = repo.run(&[
        "--resolve-drift",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--note",
        "imported",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for args in [
        &["--snapshot-worktree", "TASK-0201", "--agent", "reviewer"][..],
        &[
            "--verify-worktree",
            "TASK-0201",
            "--expected-agent",
            "implementer",
        ],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (60, "E061"), "{args:?} {doc}");
    }
}

/// The reference fixture, its implementer snapshot pointed at this repository.
fn reference_context(repo: &TestRepo) {
    let fixture = crate::support::reference_context_fixture();
    let mut doc: Value = serde_json::from_str(&fixture).unwrap();
    let head = head(repo);
    doc["git_head"] = json!(head);
    let snap = &mut doc["coordination"]["implementer"]["worktree_snapshot"];
    snap["base_commit"] = json!(head);
    snap["files_changed"][0]["sha256"] = json!(sha256(b"export const rates = 2;\n"));
    repo.write(
        ".agent-output/TASK-0201/context.json",
        serde_json::to_string_pretty(&doc).unwrap(),
    );
}

#[test]
fn snapshots_written_by_tasks_py_verify_by_checksums() {
    let repo = TestRepo::new();
    repo.write("backend/src/rates.ts", "export const rates = 1;\n")
        .write("backend/src/legacy-rates.ts", "old\n")
        .commit();
    repo.write("backend/src/rates.ts", "export const rates = 2;\n");
    std::fs::remove_file(repo.root().join("backend/src/legacy-rates.ts")).unwrap();
    reference_context(&repo);
    let (code, doc, run) = repo.json(&[
        "--verify-worktree",
        "TASK-0201",
        "--expected-agent",
        "implementer",
    ]);
    assert_eq!(code, 0, "{doc} {}", run.stderr);
    assert_eq!(doc["data"]["method"], "checksums");
    // A reviewer snapshot on top of it has no incremental diff, and says why.
    let (code, doc, _) = repo.json(&[
        "--snapshot-worktree",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--previous-agent",
        "implementer",
    ]);
    assert_eq!(
        code, 20,
        "the reference fixture's reviewer has drift_budget 1: {doc}"
    );
    assert_eq!(error_code(&doc), "E024");
    assert_eq!(
        repo.run(&[
            "--resolve-drift",
            "TASK-0201",
            "--agent",
            "reviewer",
            "--note",
            "imported"
        ])
        .code,
        0
    );
    let (code, doc, run) = repo.json(&[
        "--snapshot-worktree",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--previous-agent",
        "implementer",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        doc["snapshot"]["incremental_diff_error"]
            .as_str()
            .unwrap()
            .contains("no tree_sha")
    );
    assert!(run.stderr.contains("no tree_sha"), "{}", run.stderr);
    let (code, doc, _) = repo.json(&[
        "--get-diff",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--diff-type",
        "incremental",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E051"));
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no tree_sha")
    );
    // Unknown keys of the reference context survive the saves.
    assert_eq!(
        serde_json::from_str::<Value>(&repo.read(".agent-output/TASK-0201/context.json")).unwrap()
            ["coordination"]["implementer"]["worktree_snapshot"]["files_changed"][1]["status"],
        "D"
    );
    // Drift by checksum.
    repo.write("backend/src/rates.ts", "export const rates = 3;\n");
    let (code, doc, _) = repo.json(&[
        "--verify-worktree",
        "TASK-0201",
        "--expected-agent",
        "implementer",
    ]);
    assert_eq!((code, error_code(&doc)), (20, "E020"));
    assert_eq!(
        doc["error"]["details"]["findings"][0]["path"],
        "backend/src/rates.ts"
    );
    repo.write("backend/src/legacy-rates.ts", "back\n");
    repo.write("backend/src/rates.ts", "export const rates = 2;\n");
    let (_, doc, _) = repo.json(&[
        "--verify-worktree",
        "TASK-0201",
        "--expected-agent",
        "implementer",
    ]);
    assert_eq!(
        doc["error"]["details"]["findings"][0]["path"],
        "backend/src/legacy-rates.ts"
    );
    assert_eq!(doc["error"]["details"]["findings"][0]["change"], "added");
}

#[test]
fn a_pruned_previous_tree_is_e061_with_a_hint() {
    let repo = repo();
    repo.write("src/app/timeline.ts", "export const timeline = [9];\n");
    assert_eq!(
        repo.run(&["--snapshot-worktree", ID, "--agent", "implementer"])
            .code,
        0
    );
    let mut c = context(&repo);
    c["coordination"]["implementer"]["worktree_snapshot"]["tree_sha"] =
        json!("fedcba9876543210fedcba9876543210fedcba98");
    repo.write(CONTEXT, serde_json::to_string_pretty(&c).unwrap());
    let (code, doc, _) = repo.json(&[
        "--snapshot-worktree",
        ID,
        "--agent",
        "reviewer",
        "--previous-agent",
        "implementer",
    ]);
    assert_eq!((code, error_code(&doc)), (60, "E061"), "{doc}");
    assert!(
        doc["error"]["recovery_action"]
            .as_str()
            .unwrap()
            .contains("git gc")
    );
}

#[test]
fn unusual_git_states_snapshot_cleanly() {
    let repo = repo();
    // A staged rename whose new file was then deleted.
    repo.git(&["mv", "src/app/old-name.ts", "src/app/renamed.ts"]);
    std::fs::remove_file(repo.root().join("src/app/renamed.ts")).unwrap();
    // A staged file deleted again.
    repo.write("src/app/brief.ts", "x\n");
    repo.git(&["add", "src/app/brief.ts"]);
    std::fs::remove_file(repo.root().join("src/app/brief.ts")).unwrap();
    // A nested repository without commits, inside the scope.
    std::fs::create_dir_all(repo.root().join("src/app/vendored")).unwrap();
    repo.write("src/app/vendored/lib.js", "x\n");
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo.root().join("src/app/vendored"))
        .status()
        .unwrap();
    assert!(status.success());
    let (code, doc, run) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 0, "{doc} {}", run.stderr);
    assert!(
        run.stderr
            .contains("nested git repositories are not part of the snapshot: src/app/vendored/"),
        "{}",
        run.stderr
    );
    let files = doc["snapshot"]["files_changed"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(summary, vec![("src/app/old-name.ts", "D")]);
    let (code, _, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 0);
}

#[test]
fn a_preexisting_staged_rename_stays_out_of_snapshots() {
    let repo = TestRepo::new();
    repo.write(&format!("tasks/web/{ID}-timeline.task.yaml"), TASK)
        .write("src/app/timeline.ts", "export const timeline = [];\n")
        .write("lib/a.ts", "a\n")
        .commit();
    repo.git(&["mv", "lib/a.ts", "lib/b.ts"]);
    let run = repo.run(&["--init-context", ID, "--allow-preexisting-dirty"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        context(&repo)["immutable"]["preexisting_dirty"],
        json!(["lib/a.ts", "lib/b.ts"])
    );
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 0);
    assert_eq!(doc["snapshot"]["files_changed"], json!([]));
}

#[test]
fn diffs_do_not_depend_on_the_users_git_configuration() {
    let repo = repo();
    repo.write("src/app/timeline.ts", "export const timeline = ['a'];\n");
    repo.write("lib/util.ts", "export const util = 3;\n");
    let (_, plain, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    repo.write("order.txt", "src/*\nlib/*\n");
    for (key, value) in [
        ("core.abbrev", "20"),
        ("diff.orderFile", "order.txt"),
        ("diff.noprefix", "true"),
        ("diff.algorithm", "histogram"),
        ("diff.context", "1"),
        ("color.diff", "always"),
        ("diff.renames", "false"),
    ] {
        repo.git(&["config", key, value]);
    }
    let (_, configured, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(
        configured["snapshot"]["diff_sha"],
        plain["snapshot"]["diff_sha"]
    );
    assert_eq!(
        configured["snapshot"]["tree_sha"],
        plain["snapshot"]["tree_sha"]
    );
}

#[test]
fn a_repo_root_below_the_work_tree_top_reports_full_findings() {
    let outer = TestRepo::new();
    outer
        .write(&format!("project/tasks/web/{ID}-timeline.task.yaml"), TASK)
        .write(
            "project/src/app/timeline.ts",
            "export const timeline = [];\n",
        )
        .write("top.txt", "outside the project\n")
        .commit();
    let project = outer.root().join("project");
    let project = project.to_str().unwrap();
    let run = outer.run(&["--repo-root", project, "--init-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    outer.write(
        "project/src/app/timeline.ts",
        "export const timeline = [1];\n",
    );
    outer.write("top.txt", "changed outside the project\n");
    let (code, doc, _) = outer.json(&[
        "--repo-root",
        project,
        "--snapshot-worktree",
        ID,
        "--agent",
        "implementer",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(changed_paths(&doc), vec!["src/app/timeline.ts"]);
    assert!(
        !doc["snapshot"]["status_report"]
            .as_str()
            .unwrap()
            .contains("top.txt")
    );
    outer.write(
        "project/src/app/timeline.ts",
        "export const timeline = [2];\n",
    );
    let (code, doc, _) = outer.json(&[
        "--repo-root",
        project,
        "--verify-worktree",
        ID,
        "--expected-agent",
        "implementer",
    ]);
    assert_eq!((code, error_code(&doc)), (20, "E020"));
    let finding = &doc["error"]["details"]["findings"][0];
    assert_eq!(finding["path"], "src/app/timeline.ts");
    assert_eq!(
        finding["expected_sha256"],
        sha256(b"export const timeline = [1];\n")
    );
}
