//! Hostile state and repositories (issue 10, contract D9): values from state files never reach a
//! git command line unchecked, no state is written, read or created through a link out of the
//! repository, paths read from state stay where they belong, and text from task files cannot
//! forge output rows or drive the terminal.

use crate::support::{TestRepo, error_code};
use serde_json::Value;
use std::path::Path;

const ID: &str = "TASK-0501";
const CONTEXT: &str = ".agent-output/TASK-0501/context.json";

const TASK: &str = r#"schema_version: "1.1"
id: TASK-0501
title: Harden the importer
status: in_progress
priority: P1
area: backend
description: Harden the importer.
scope:
  in: [src/]
  out: [docs]
plan:
  - id: 1
    title: Harden
    outputs: [src/importer.ts]
deliverables: [src/importer.ts]
acceptance_criteria:
  - The importer refuses hostile input
validation:
  pipeline:
    - command: pnpm test
context:
  repo_paths: [src/]
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(&format!("tasks/backend/{ID}-importer.task.yaml"), TASK)
        .write(
            ".gitignore",
            ".agent-output/\ntasks/.cache/\ndocs/compliance/\n",
        )
        .write("src/importer.ts", "export const importer = 1;\n")
        .write(
            "standards/backend-tier.md",
            "# Backend\n\n## Handler Constraints\n\nHandlers validate input first. They never trust it.\n",
        )
        .commit();
    repo
}

/// A repository with an initialized context and an implementer snapshot of one edit.
fn repo_with_snapshot() -> TestRepo {
    let repo = repo();
    let run = repo.run(&["--init-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo.write("src/importer.ts", "export const importer = 2;\n");
    let run = repo.run(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo
}

fn context(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(CONTEXT)).unwrap()
}

fn set_context(repo: &TestRepo, change: impl FnOnce(&mut Value)) {
    let mut doc = context(repo);
    change(&mut doc);
    repo.write(CONTEXT, serde_json::to_vec_pretty(&doc).unwrap());
}

/// A file outside the repository that an attack would overwrite.
struct Victim {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Victim {
    fn new() -> Victim {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("victim");
        std::fs::write(&path, "precious\n").unwrap();
        Victim { _dir: dir, path }
    }

    fn option(&self) -> String {
        format!("--output={}", self.path.display())
    }

    fn assert_intact(&self) {
        assert_eq!(
            std::fs::read_to_string(&self.path).unwrap(),
            "precious\n",
            "the file outside the repository was written"
        );
    }
}

#[test]
fn git_head_from_the_context_is_never_an_option_for_git() {
    let repo = repo_with_snapshot();
    let victim = Victim::new();
    set_context(&repo, |c| c["git_head"] = Value::from(victim.option()));
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "implementer"]);
    assert_eq!(code, 50, "{doc}");
    assert_eq!(error_code(&doc), "E052");
    assert_eq!(doc["error"]["details"]["field"], "git_head");
    victim.assert_intact();
}

#[test]
fn tree_ids_from_the_context_are_never_options_for_git() {
    let repo = repo_with_snapshot();
    let victim = Victim::new();
    set_context(&repo, |c| {
        c["coordination"]["implementer"]["worktree_snapshot"]["tree_sha"] =
            Value::from(victim.option());
    });
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert_eq!(
        doc["error"]["details"]["field"],
        "coordination.implementer.worktree_snapshot.tree_sha"
    );
    victim.assert_intact();
    let (code, doc, _) = repo.json(&[
        "--snapshot-worktree",
        ID,
        "--agent",
        "reviewer",
        "--previous-agent",
        "implementer",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    victim.assert_intact();
    assert!(
        context(&repo)["coordination"]["reviewer"]["worktree_snapshot"].is_null(),
        "nothing was recorded"
    );
}

#[test]
fn head_and_base_commits_from_the_context_must_be_object_ids() {
    let repo = repo_with_snapshot();
    for (field, value) in [
        ("head_commit", "HEAD~1"),
        ("head_commit", "-p"),
        ("head_commit", "ABCDEF0123456789ABCDEF0123456789ABCDEF01"),
    ] {
        set_context(&repo, |c| {
            c["coordination"]["implementer"]["worktree_snapshot"][field] = Value::from(value);
        });
        let (code, doc, _) =
            repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
        assert_eq!((code, error_code(&doc)), (50, "E052"), "{value}: {doc}");
    }
}

#[test]
fn a_diff_path_from_the_context_cannot_leave_the_task_directory() {
    let repo = repo_with_snapshot();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "TOP-SECRET\n").unwrap();
    let relative_out = format!(
        "../../../../../../../../../../..{}/secret",
        outside.path().display()
    );
    std::os::unix::fs::symlink(
        outside.path(),
        repo.root().join(".agent-output/TASK-0501/link"),
    )
    .unwrap();
    for path in [
        relative_out.as_str(),
        "/etc/hostname",
        "src/importer.ts",
        ".agent-output/TASK-0501/../../src/importer.ts",
        ".agent-output/TASK-0501/link/secret",
        ".agent-output/TASK-0501/link",
    ] {
        set_context(&repo, |c| {
            c["coordination"]["implementer"]["worktree_snapshot"]["diff_from_base"] =
                Value::from(path);
        });
        let (code, doc, run) = repo.json(&["--get-diff", ID, "--agent", "implementer"]);
        assert_eq!((code, error_code(&doc)), (50, "E052"), "{path}: {doc}");
        assert!(!run.stdout.contains("TOP-SECRET") && !run.stdout.contains("importer = 1"));
        let text = repo.run(&["--get-diff", ID, "--agent", "implementer"]);
        assert_eq!(text.code, 50, "{path}");
        assert!(!text.stdout.contains("TOP-SECRET"));
    }
}

#[test]
fn a_linked_diff_file_is_not_followed() {
    let repo = repo_with_snapshot();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "TOP-SECRET\n").unwrap();
    let diff = repo
        .root()
        .join(".agent-output/TASK-0501/implementer-from-base.diff");
    std::fs::remove_file(&diff).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), &diff).unwrap();
    let (code, doc, run) = repo.json(&["--get-diff", ID, "--agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert!(!run.stdout.contains("TOP-SECRET"));
}

#[test]
fn checksum_paths_from_the_context_must_be_repository_paths() {
    let repo = repo_with_snapshot();
    set_context(&repo, |c| {
        let snap = &mut c["coordination"]["implementer"]["worktree_snapshot"];
        // A snapshot written by tasks.py (no tree): verified file by file.
        snap.as_object_mut().unwrap().remove("tree_sha");
        snap["files_changed"][0]["path"] = Value::from("../../../../../../etc/passwd");
    });
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
}

#[test]
fn excerpt_files_named_in_the_index_are_read_only_inside_the_repository() {
    let repo = repo();
    let run = repo.run(&["--init-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The excerpt's text, outside the repository: an index pointing there must not read it.
    let index_rel = ".agent-output/TASK-0501/evidence/standards/index.json";
    let mut index: Value = serde_json::from_str(&repo.read(index_rel)).unwrap();
    let entries = index["excerpts"].as_array().unwrap().len();
    assert!(entries > 0, "{index}");
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo.root().join("standards/backend-tier.md"),
        outside.path().join("backend-tier.md"),
    )
    .unwrap();
    let depth = "../".repeat(20);
    index["excerpts"][0]["file"] = Value::from(format!(
        "{depth}{}/backend-tier.md",
        outside.path().display()
    ));
    repo.write(index_rel, serde_json::to_vec_pretty(&index).unwrap());
    let (code, doc, _) = repo.json(&["--verify-excerpts", ID]);
    assert_eq!((code, error_code(&doc)), (20, "E025"), "{doc}");
}

/// A directory outside the repository, and a check that nothing appeared in it.
struct Outside {
    dir: tempfile::TempDir,
}

impl Outside {
    fn new() -> Outside {
        Outside {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn link_from(&self, repo: &TestRepo, rel: &str) {
        let link = repo.root().join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(self.path(), link).unwrap();
    }

    fn files(&self) -> Vec<String> {
        walkdir::WalkDir::new(self.path())
            .min_depth(1)
            .into_iter()
            .map(|e| {
                e.unwrap()
                    .path()
                    .strip_prefix(self.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect()
    }
}

#[test]
fn init_and_rebuild_never_write_through_a_linked_evidence_directory() {
    let repo = repo();
    let outside = Outside::new();
    std::fs::write(outside.path().join("index.json"), "{\"mine\": true}\n").unwrap();
    outside.link_from(&repo, ".agent-output/TASK-0501/evidence");
    let (code, doc, _) = repo.json(&["--init-context", ID]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(outside.files(), vec!["index.json"]);
    assert_eq!(
        std::fs::read_to_string(outside.path().join("index.json")).unwrap(),
        "{\"mine\": true}\n"
    );
    assert!(!repo.root().join(CONTEXT).exists());

    // The same after a successful init: the evidence directory replaced by a link.
    std::fs::remove_file(repo.root().join(".agent-output/TASK-0501/evidence")).unwrap();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    let before = repo.read(CONTEXT);
    std::fs::remove_dir_all(repo.root().join(".agent-output/TASK-0501/evidence")).unwrap();
    outside.link_from(&repo, ".agent-output/TASK-0501/evidence");
    let (code, doc, _) = repo.json(&["--rebuild-context", ID]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(outside.files(), vec!["index.json"]);
    assert_eq!(repo.read(CONTEXT), before);
}

#[test]
fn record_qa_and_attach_standard_create_nothing_outside() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    repo.write("qa/lint.log", "✖ 2 problems (1 error, 1 warning)\n");
    std::fs::remove_dir_all(repo.root().join(".agent-output/TASK-0501/evidence")).unwrap();
    let outside = Outside::new();
    outside.link_from(&repo, ".agent-output/TASK-0501/evidence");
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/lint.log",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        ID,
        "--file",
        "standards/backend-tier.md",
        "--section",
        "handler-constraints",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(outside.files().is_empty(), "{:?}", outside.files());
}

#[test]
fn read_only_verbs_never_write_the_ledger_or_the_cache_outside() {
    let repo = repo();
    repo.write(
        "tasks/backend/TASK-0502-broken.task.yaml",
        "id: [unclosed\n",
    );
    let compliance = Outside::new();
    compliance.link_from(&repo, "docs/compliance");
    let cache = Outside::new();
    cache.link_from(&repo, "tasks/.cache");
    for args in [&["--list"][..], &["--list"], &["--pick"]] {
        let run = repo.run(args);
        // The quarantine cannot be read through the link: better to stop than to pick a
        // quarantined task. The ledger and the cache are neither read nor written there.
        assert_eq!(run.code, 10, "{}", run.stderr);
        assert!(run.stderr.contains("Error [E002]"), "{}", run.stderr);
        assert!(
            run.stderr.contains("the task cache is not used"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("docs/compliance is a symbolic link"),
            "{}",
            run.stderr
        );
    }
    assert!(compliance.files().is_empty(), "{:?}", compliance.files());
    assert!(cache.files().is_empty(), "{:?}", cache.files());
    // Without the linked compliance directory, a read-only command works and still writes
    // nothing into the linked cache.
    std::fs::remove_file(repo.root().join("docs/compliance")).unwrap();
    let run = repo.run(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(ID));
    assert!(cache.files().is_empty(), "{:?}", cache.files());
    std::fs::remove_dir_all(repo.root().join("docs/compliance")).unwrap();
    compliance.link_from(&repo, "docs/compliance");
    // Verbs that must write there refuse, and still write nothing.
    let (code, doc, _) = repo.json(&["--quarantine-task", ID, "--reason", "manual"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    let (code, doc, _) = repo.json(&["--add-exception", ID, "--type", "invalid_schema"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    let (code, doc, _) = repo.json(&["--claim", ID]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(compliance.files().is_empty(), "{:?}", compliance.files());
    assert!(cache.files().is_empty(), "{:?}", cache.files());
}

#[test]
fn a_linked_state_file_is_corrupt_state_never_followed() {
    let repo = repo();
    let outside = Outside::new();
    let valid = r#"{"version": "1.0", "last_updated": "2026-11-01T00:00:00Z", "exceptions": []}"#;
    std::fs::write(outside.path().join("ledger.json"), valid).unwrap();
    std::fs::create_dir_all(repo.root().join("docs/compliance")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("ledger.json"),
        repo.root()
            .join("docs/compliance/context-cache-exceptions.json"),
    )
    .unwrap();
    let (code, doc, _) = repo.json(&["--list-exceptions"]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    let (code, doc, _) = repo.json(&["--add-exception", ID, "--type", "invalid_schema"]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert_eq!(
        std::fs::read_to_string(outside.path().join("ledger.json")).unwrap(),
        valid
    );
}

#[test]
fn titles_cannot_forge_rows_or_reach_the_terminal() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/a/TASK-0001-evil.task.yaml",
        "id: TASK-0001\ntitle: \"Evil\\e[2J\\e]0;pwned\\a\\nTASK-9999\\tcompleted\\t/etc/passwd\\tforged\"\nstatus: todo\npriority: P1\narea: a\n",
    )
    .write(
        "tasks/a/TASK-0002-plain.task.yaml",
        "id: TASK-0002\ntitle: \"Right\\u202Eto left\\rover\"\nstatus: \"in\\tprogress\"\npriority: P2\narea: a\n",
    )
    .commit();
    let run = repo.run(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one task per line:\n{}", run.stdout);
    for line in &lines {
        assert_eq!(line.split('\t').count(), 4, "four fields: {line:?}");
    }
    assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'));
    assert!(!run.stdout.contains('\r') && !run.stdout.contains('\u{202e}'));
    assert!(lines[0].starts_with("TASK-0001\ttodo\t"), "{}", lines[0]);
    assert!(lines[0].ends_with(
        "Evil\\x1b[2J\\x1b]0;pwned\\x07\\nTASK-9999\\tcompleted\\t/etc/passwd\\tforged"
    ));
    assert!(lines[1].contains("in\\tprogress"));
    // The same title in other text outputs: escaped as well.
    for args in [&["--explain", "TASK-0001"][..], &["--pick"][..]] {
        let run = repo.run(args);
        assert!(!run.stdout.contains('\u{1b}'), "{args:?}");
        assert!(!run.stderr.contains('\u{1b}'), "{args:?}");
    }
    // A task that names it as a blocker and as an artifact dependency: each line of --explain
    // shows the title escaped, never a forged line of its own.
    repo.write(
        "tasks/a/TASK-0003-dependent.task.yaml",
        "id: TASK-0003\ntitle: Dependent\nstatus: todo\npriority: P1\narea: a\nblocked_by: [TASK-0001]\ndepends_on: [TASK-0001]\n",
    );
    let run = repo.run(&["--explain", "TASK-0003"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("Evil\\x1b[2J").count(),
        2,
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("TASK-9999")),
        "{}",
        run.stdout
    );
    // JSON keeps the exact title (escaped by JSON itself).
    let (_, doc, _) = repo.json(&["--list"]);
    assert!(
        doc["tasks"][0]["title"]
            .as_str()
            .unwrap()
            .contains('\u{1b}')
    );
}

#[test]
fn a_file_name_with_control_characters_is_escaped_in_text() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/a/TASK-0003-\u{1b}[31mred\tname.task.yaml",
        "id: TASK-0003\ntitle: Named\nstatus: todo\npriority: P1\narea: a\n",
    )
    .commit();
    let run = repo.run(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1);
    assert_eq!(run.stdout.trim_end().split('\t').count(), 4);
    assert!(!run.stdout.contains('\u{1b}'));
    let run = repo.run(&["--pick"]);
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
    assert!(run.stdout.contains("\\x1b[31mred\\tname"), "{}", run.stdout);
}

#[test]
fn a_failed_write_to_stdout_is_e041_not_success() {
    let repo = repo();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for format in ["json", "text"] {
        let out = crate::support::command()
            .args(["--list", "--format", format])
            .current_dir(repo.root())
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(40), "{format}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Error [E041]"), "{stderr}");
    }
    let out = crate::support::command()
        .arg("--help")
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(40));
}

/// A reader that stops early (`tasks --list | head -1`): the output ends quietly, with exit 0,
/// not a SIGPIPE death or an error (the binary ignores SIGPIPE itself: it starts without Rust's
/// runtime start-up). The reader is gone before the command starts, so every write fails.
#[test]
fn a_closed_pipe_is_still_quiet() {
    use std::os::unix::process::ExitStatusExt;
    let repo = repo();
    for i in 0..30 {
        repo.write(
            &format!("tasks/backend/TASK-{:04}-x.task.yaml", 600 + i),
            crate::support::task_yaml(&format!("TASK-{:04}", 600 + i), "todo", "P2", ""),
        );
    }
    for args in [&["--list"][..], &["--list", "--format", "json"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = crate::support::command()
            .args(args)
            .current_dir(repo.root())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), None, "{args:?}: killed by a signal");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("E041") && !stderr.contains("E999"),
            "{stderr}"
        );
    }
}

#[test]
fn counters_saturate_instead_of_wrapping() {
    let repo = repo_with_snapshot();
    set_context(&repo, |c| {
        c["audit"]["update_count"] = Value::from(u64::MAX);
        c["coordination"]["implementer"]["drift_budget"] = Value::from(i64::MAX);
    });
    let run = repo.run(&[
        "--update-agent",
        ID,
        "--agent",
        "implementer",
        "--status",
        "done",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(context(&repo)["audit"]["update_count"], u64::MAX);
    // A drift at the maximum budget stays unresolved: snapshots stay blocked.
    repo.write("src/importer.ts", "export const importer = 3;\n");
    let (code, doc, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (20, "E020"), "{doc}");
    assert_eq!(
        context(&repo)["coordination"]["implementer"]["drift_budget"],
        i64::MAX
    );
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "reviewer"]);
    assert_eq!((code, error_code(&doc)), (20, "E024"), "{doc}");
    // A negative budget (only a hand edit writes one) blocks too, and never lets a drift pass.
    set_context(&repo, |c| {
        c["coordination"]["implementer"]["drift_budget"] = Value::from(-1);
    });
    let (code, doc, _) = repo.json(&["--snapshot-worktree", ID, "--agent", "reviewer"]);
    assert_eq!((code, error_code(&doc)), (20, "E024"), "{doc}");
    let (code, _, _) = repo.json(&["--verify-worktree", ID, "--expected-agent", "implementer"]);
    assert_eq!(code, 20);
    assert_eq!(
        context(&repo)["coordination"]["implementer"]["drift_budget"],
        1
    );
}

/// Run with a time limit: a command that hangs fails the test instead of the suite.
fn run_limited(repo: &TestRepo, args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = crate::support::command()
        .args(args)
        .current_dir(repo.root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{args:?} hung for 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn link(repo: &TestRepo, rel: &str, to: &str) {
    let path = repo.root().join(rel);
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if meta.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(to, path).unwrap();
}

#[test]
fn journal_directories_reached_through_links_inside_the_repository_delete_nothing() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    let before = repo.snapshot();
    // `.agent-output/.txn/<ID>` would be the context directory itself.
    link(&repo, ".agent-output/.txn", ".");
    let (code, doc, _) = repo.json(&["--get-context", ID]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(
        repo.root().join(CONTEXT).exists(),
        "the context was deleted"
    );
    std::fs::remove_file(repo.root().join(".agent-output/.txn")).unwrap();
    // `tasks/.cache/txn` leading to `.agent-output`: every context would be a journal.
    link(&repo, "tasks/.cache/txn", "../../.agent-output");
    let run = repo.run(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(
        repo.root().join(CONTEXT).exists(),
        "the context was deleted"
    );
    std::fs::remove_file(repo.root().join("tasks/.cache/txn")).unwrap();
    let after = repo.snapshot();
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
}

#[test]
fn archiving_into_a_linked_archive_never_deletes_the_task() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/TASK-0150-done.task.yaml",
        "TASK-0150",
        "completed",
        "P2",
        "",
    )
    .commit();
    link(&repo, "docs/completed-tasks", "../tasks");
    let (code, doc, _) = repo.json(&["--archive", "TASK-0150"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(repo.root().join("tasks/TASK-0150-done.task.yaml").is_file());
}

#[test]
fn a_hostile_journal_can_only_touch_what_its_commands_touch() {
    let repo = repo();
    repo.task(
        "docs/completed-tasks/TASK-0499-old.task.yaml",
        "TASK-0499",
        "completed",
        "P3",
        "",
    )
    .write("tasks/backend/NOTES.md", "uncommitted notes\n");
    let before = repo.snapshot();
    for (journal, ops, reader) in [
        (
            "docs/compliance/quarantine/.txn",
            r#"[{"kind":"remove","target":"docs/completed-tasks"}]"#,
            &["--list-quarantined"][..],
        ),
        (
            "docs/compliance/quarantine/.txn",
            r#"[{"kind":"remove","target":"tasks/backend/NOTES.md"}]"#,
            &["--list"][..],
        ),
        (
            "tasks/.cache/txn/TASK-0501",
            r#"[{"kind":"remove","target":"tasks/backend"}]"#,
            &["--list"][..],
        ),
        (
            ".agent-output/.txn/TASK-0501",
            r#"[{"kind":"remove","target":"tasks/backend/TASK-0501-importer.task.yaml"}]"#,
            &["--get-context", ID][..],
        ),
    ] {
        repo.write(
            &format!("{journal}/journal.json"),
            format!(r#"{{"version":1,"ops":{ops}}}"#),
        );
        let run = repo.run(reader);
        assert!(
            run.code != 0 || !run.stderr.is_empty(),
            "{reader:?}: silently accepted"
        );
        let after = repo.snapshot();
        for (path, bytes) in &before {
            assert_eq!(
                after.get(path),
                Some(bytes),
                "{journal}: {path} was touched"
            );
        }
        std::fs::remove_dir_all(repo.root().join(journal)).unwrap();
    }
}

#[test]
fn state_directories_linked_inside_the_repository_are_refused() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    repo.write("data/index.json", "{\"precious\": true}\n");
    repo.write("qa/jest.log", "Tests:       1 failed, 9 passed, 10 total\n");
    link(&repo, ".agent-output/TASK-0501/evidence", "../../data");
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/jest.log",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(repo.read("data/index.json"), "{\"precious\": true}\n");
    assert!(!repo.root().join("data/qa").exists());
}

#[test]
fn a_linked_quarantine_is_never_read() {
    let repo = repo();
    let outside = Outside::new();
    std::fs::write(
        outside.path().join("index.json"),
        r#"{"quarantined_tasks": ["TASK-0501"]}"#,
    )
    .unwrap();
    outside.link_from(&repo, "docs/compliance/quarantine");
    for args in [&["--pick"][..], &["--list"], &["--list-quarantined"]] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{args:?}: {doc}");
    }
}

#[test]
fn lock_files_are_never_followed() {
    let repo = repo();
    let outside = Outside::new();
    link(
        &repo,
        ".agent-output/.locks/TASK-0501.lock",
        &outside.path().join("created").display().to_string(),
    );
    let (code, doc, _) = repo.json(&["--init-context", ID]);
    assert_eq!((code, error_code(&doc)), (40, "E041"), "{doc}");
    assert!(outside.files().is_empty(), "{:?}", outside.files());
    // Two lock files made one: no command may wait for itself.
    assert_eq!(
        repo.run(&["--quarantine-task", ID, "--reason", "manual"])
            .code,
        0
    );
    link(
        &repo,
        "docs/compliance/quarantine/index.lock",
        "../../../tasks/.cache/locks/TASK-0501.lock",
    );
    let (code, _, _) = run_limited(&repo, &["--repair-quarantined", ID]);
    assert_ne!(code, Some(0));
}

#[test]
fn a_special_file_named_by_the_excerpt_index_does_not_hang() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    let fifo = repo.root().join("standards/pipe.md");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let index_rel = ".agent-output/TASK-0501/evidence/standards/index.json";
    let mut index: Value = serde_json::from_str(&repo.read(index_rel)).unwrap();
    index["excerpts"][0]["file"] = Value::from("standards/pipe.md");
    repo.write(index_rel, serde_json::to_vec_pretty(&index).unwrap());
    let (code, _, _) = run_limited(&repo, &["--verify-excerpts", ID]);
    assert_eq!(code, Some(20));
    let (code, _, _) = run_limited(&repo, &["--invalidate-excerpts", ID]);
    assert_eq!(code, Some(0));
}

#[test]
fn a_corrupt_evidence_index_is_e052_and_kept() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    repo.write("qa/jest.log", "Tests:       1 failed, 9 passed, 10 total\n");
    let index = ".agent-output/TASK-0501/evidence/index.json";
    for corrupt in [
        "42\n",
        "{\"version\": 1, \"evidence\": {\"note\": \"keep\"}}\n",
    ] {
        repo.write(index, corrupt);
        let (code, doc, _) = repo.json(&[
            "--record-qa",
            ID,
            "--agent",
            "implementer",
            "--from",
            "qa/jest.log",
        ]);
        assert_eq!((code, error_code(&doc)), (50, "E052"), "{corrupt}: {doc}");
        assert_eq!(repo.read(index), corrupt);
    }
}

#[test]
fn excerpts_of_files_with_one_name_never_share_a_cached_copy() {
    let repo = repo();
    let section = "# T\n\n## Coverage\n\nKeep coverage above 80 percent.\n";
    repo.write("standards/web/testing.md", section)
        .write("standards/api/testing.md", section)
        .commit();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    for file in ["standards/web/testing.md", "standards/api/testing.md"] {
        let run = repo.run(&[
            "--attach-standard",
            ID,
            "--file",
            file,
            "--section",
            "coverage",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    repo.write(
        "standards/api/testing.md",
        "# T\n\n## Coverage\n\nKeep coverage above 95 percent.\n",
    );
    let run = repo.run(&[
        "--attach-standard",
        ID,
        "--file",
        "standards/api/testing.md",
        "--section",
        "coverage",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Every entry still has its own copy, and all are fresh.
    let (code, doc, _) = repo.json(&["--verify-excerpts", ID]);
    assert_eq!(code, 0, "{doc}");
    let index: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0501/evidence/standards/index.json"))
            .unwrap();
    for entry in index["excerpts"].as_array().unwrap() {
        let name = entry["excerpt_path"].as_str().unwrap();
        assert!(
            repo.root()
                .join(".agent-output/TASK-0501/evidence/standards")
                .join(name)
                .is_file(),
            "{name} is missing"
        );
    }
    // An edited cached copy is stale, not fresh.
    let web = index["excerpts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == "standards/web/testing.md")
        .unwrap()["excerpt_path"]
        .as_str()
        .unwrap()
        .to_string();
    repo.write(
        &format!(".agent-output/TASK-0501/evidence/standards/{web}"),
        "tampered\n",
    );
    let (code, doc, _) = repo.json(&["--verify-excerpts", ID]);
    assert_eq!((code, error_code(&doc)), (20, "E025"), "{doc}");
}

#[test]
fn context_values_cannot_forge_lines_of_the_text_output() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    set_context(&repo, |c| {
        c["created_by"] = Value::from("me\n  Implementer: done\nFAKE");
    });
    let run = repo.run(&["--get-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.lines().any(|l| l.trim() == "Implementer: done"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("me\\n  Implementer: done\\nFAKE"));
}

#[test]
fn a_task_file_linked_out_of_the_repository_is_not_read() {
    let repo = repo();
    let outside = Outside::new();
    std::fs::write(
        outside.path().join("other.task.yaml"),
        crate::support::task_yaml("TASK-0999", "todo", "P0", ""),
    )
    .unwrap();
    link(
        &repo,
        "tasks/TASK-0999-x.task.yaml",
        &outside.path().join("other.task.yaml").display().to_string(),
    );
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert!(!run.stdout.contains("TASK-0999"), "{doc}");
    assert!(
        run.stderr.contains("leaves the repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn ntfy_goes_only_to_the_server_its_variables_name() {
    // A loopback proxy sees where the notification would go (and refuses it).
    for (var, host) in [
        ("NTFY_TOPIC", "ntfy.sh:443"),
        ("NTFYT_TOPIC", "ntfyt.sh:443"),
    ] {
        let repo = TestRepo::new();
        repo.task(
            "tasks/a/TASK-0001-x.task.yaml",
            "TASK-0001",
            "in_progress",
            "P1",
            "",
        )
        .commit();
        let proxy = crate::support::Server::start(vec![502]);
        let run = repo.run_env(
            &["--complete", "TASK-0001"],
            &[(var, "team"), ("HTTPS_PROXY", proxy.url.as_str())],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let requests = proxy.requests();
        assert_eq!(requests.len(), 1, "{var}");
        assert_eq!(
            (requests[0].method.as_str(), requests[0].path.as_str()),
            ("CONNECT", host),
            "{var}"
        );
    }
}

/// The lines of text output (stdout or stderr) that start with `FORGED`: each is a value from a
/// file name, a task file or a state file holding `\n  FORGED` that was printed unescaped.
fn forged_lines(what: &str, run: &crate::support::Run, found: &mut Vec<String>) {
    for line in run.stdout.lines().chain(run.stderr.lines()) {
        if line.trim_start().starts_with("FORGED") {
            found.push(format!("{what}: {line:?}"));
        }
    }
}

#[test]
fn no_value_from_a_file_forges_a_line_of_text_output() {
    let repo = repo_with_snapshot();
    let forged = "\n  FORGED";
    // A draft whose title, and a broken file whose name, hold a line of their own.
    repo.write(
        "tasks/TASK-0502-draft.task.yaml",
        format!(
            "id: TASK-0502\ntitle: \"Draft{}\"\nstatus: draft\npriority: P1\narea: a\nunblocker: true\n",
            forged.replace('\n', "\\n")
        ),
    );
    repo.write(
        &format!("tasks/TASK-0503-broken{forged}.task.yaml"),
        "id: TASK-0503\ntitle: [unclosed\n",
    );
    // A task whose status and file name hold one.
    repo.write(
        &format!("tasks/TASK-0504-odd{forged}.task.yaml"),
        "id: TASK-0504\ntitle: Odd\nstatus: \"weird\\n  FORGED\"\npriority: P2\narea: a\n",
    );
    repo.write(
        &format!("tasks/TASK-0505-named{forged}.task.yaml"),
        "id: TASK-0505\ntitle: Named\nstatus: todo\npriority: P2\narea: a\nblocked_by: [\"TASK-0001\\n  FORGED\"]\n",
    );
    // A blocked unblocker whose reason holds one (the halt message).
    repo.write(
        "tasks/TASK-0506-halted.task.yaml",
        "id: TASK-0506\ntitle: Halted\nstatus: blocked\npriority: P1\narea: a\nunblocker: true\nblocked_reason: \"waiting\\n  FORGED\"\n",
    );
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("list", vec!["--list"]),
        ("pick", vec!["--pick"]),
        ("claim broken", vec!["--claim", "TASK-0503"]),
        ("explain broken", vec!["--explain", "TASK-0503"]),
        ("claim odd status", vec!["--claim", "TASK-0504"]),
        ("claim named", vec!["--claim", "TASK-0505"]),
        ("lint", vec!["--lint", "tasks/TASK-0502-draft.task.yaml"]),
        ("validate", vec!["--validate"]),
        ("check-halt", vec!["--check-halt"]),
    ];
    let mut found = Vec::new();
    for (what, args) in &runs {
        forged_lines(what, &repo.run(args), &mut found);
    }
    let named = format!("tasks/TASK-0505-named{forged}.task.yaml");
    forged_lines(
        "complete named",
        &repo.run(&["--complete", &named]),
        &mut found,
    );
    forged_lines(
        "cleanup",
        &repo.run(&["--cleanup-exceptions", "TASK-0503"]),
        &mut found,
    );

    // The working tree: an untracked file outside the task's scope, and a drifted file in it.
    repo.write(&format!("elsewhere/notes{forged}.txt"), "x\n");
    repo.write(&format!("src/new{forged}.ts"), "x\n");
    forged_lines(
        "verify drift",
        &repo.run(&["--verify-worktree", ID, "--expected-agent", "implementer"]),
        &mut found,
    );
    forged_lines(
        "resolve",
        &repo.run(&[
            "--resolve-drift",
            ID,
            "--agent",
            "implementer",
            "--note",
            "ok",
        ]),
        &mut found,
    );
    forged_lines(
        "snapshot",
        &repo.run(&["--snapshot-worktree", ID, "--agent", "reviewer"]),
        &mut found,
    );

    // A citation of the task that holds one (the rebuild's warnings).
    let task_path = format!("tasks/backend/{ID}-importer.task.yaml");
    repo.write(
        &task_path,
        TASK.replace(
            "context:\n",
            "context:\n  related_docs: [\"standards/backend-tier.md#nowhere\\n  FORGED\"]\n",
        ),
    );
    forged_lines("rebuild", &repo.run(&["--rebuild-context", ID]), &mut found);

    // Hostile values in context.json.
    let mut context: Value = serde_json::from_str(&repo.read(CONTEXT)).unwrap();
    context["git_head"] = Value::String("\nFORGED0".into());
    context["coordination"]["reviewer"]["worktree_snapshot"]["incremental_diff_error"] =
        Value::String(format!("why{forged}"));
    context["coordination"]["reviewer"]["worktree_snapshot"]["incremental_diff_path"] = Value::Null;
    context["coordination"]["reviewer"]["worktree_snapshot"]["diff_from_implementer"] = Value::Null;
    repo.write(CONTEXT, serde_json::to_string(&context).unwrap());
    forged_lines("get-context", &repo.run(&["--get-context", ID]), &mut found);
    let run = repo.run(&["--rebuild-context", ID]);
    assert_eq!(
        run.code, 50,
        "a base commit that is no commit id: {}",
        run.stderr
    );
    forged_lines("rebuild, hostile git_head", &run, &mut found);
    forged_lines(
        "get-diff",
        &repo.run(&[
            "--get-diff",
            ID,
            "--agent",
            "reviewer",
            "--diff-type",
            "incremental",
        ]),
        &mut found,
    );
    assert!(found.is_empty(), "forged lines:\n{}", found.join("\n"));
}

#[cfg(unix)]
#[test]
fn a_qa_log_linked_out_of_the_repository_is_not_read() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", ID]).code, 0);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("credentials"),
        "AWS_SECRET_ACCESS_KEY=hunter2\n",
    )
    .unwrap();
    std::fs::create_dir_all(repo.root().join("qa")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("credentials"),
        repo.root().join("qa/lint.log"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root().join("qa/dir")).unwrap();
    let before = repo.snapshot();
    for log in ["qa/lint.log", "qa/dir/credentials", "qa/../qa/./lint.log"] {
        for args in [
            vec![
                "--record-qa",
                ID,
                "--command",
                "pnpm lint",
                "--log-path",
                log,
            ],
            vec![
                "--record-qa",
                ID,
                "--agent",
                "implementer",
                "--from",
                log,
                "--command-type",
                "lint",
            ],
        ] {
            let (code, doc, _) = repo.json(&args);
            assert_eq!((code, error_code(&doc)), (10, "E002"), "{log}: {doc}");
        }
    }
    assert_eq!(repo.snapshot(), before, "nothing copied into the evidence");
    // A link that stays inside the repository is read as usual.
    std::fs::write(repo.root().join("qa/run-3.log"), "").unwrap();
    std::os::unix::fs::symlink("run-3.log", repo.root().join("qa/latest.log")).unwrap();
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--command",
        "pnpm lint",
        "--log-path",
        "qa/latest.log",
    ]);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn content_never_paints_even_with_colour_forced() {
    let repo = repo();
    // U+E003 and U+E00F are the output layer's own paint markers (red, reset).
    repo.write(
        "tasks/TASK-0530-\u{e003}red\u{e00f}.task.yaml",
        "id: TASK-0530\ntitle: [unclosed\n",
    );
    // The first run warns about the broken file; the claim names it in its error.
    for args in [
        &["--color", "always", "--list"][..],
        &["--color", "always", "--claim", "TASK-0530"][..],
    ] {
        let run = repo.run(args);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains("\u{1b}[31mred"), "{args:?}: {all:?}");
        assert!(all.contains("\\u{e003}red"), "{args:?}: {all:?}");
    }
}

/// Under an address-space limit (`ulimit -v`) anywhere near the size of the heap's arena
/// (`src/alloc.rs`, 1 GiB), commands still work: the arena is left out below 1.25 GiB, and
/// mimalloc then reserves its own arenas 64 MiB at a time. (Found by the attack round of issue
/// 16: a limit of 1 GiB + 16 MiB left too little beside a gigabyte and failed with E040.)
#[test]
fn address_space_limits_around_the_arena_size_still_work() {
    use std::os::unix::process::CommandExt;
    let repo = repo();
    let expected = repo.run(&["--list"]);
    assert_eq!(expected.code, 0, "{}", expected.stderr);
    let mib = 1u64 << 20;
    // Every 256 KiB from 1 GiB to 1 GiB + 48 MiB (the failing window was under a MiB wide and
    // moves with the binary's size), and a few far from it.
    let near = (0..=192).map(|step| 1024 * mib + step * (mib / 4));
    for limit in near.chain([256 * mib, 1000 * mib, 1024 * mib + 300 * mib, 2048 * mib]) {
        let mut cmd = crate::support::command();
        cmd.args(["--list"]).current_dir(repo.root());
        // SAFETY: only setrlimit runs in the child before exec.
        unsafe {
            cmd.pre_exec(move || {
                let l = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "limit {} MiB: {}",
            limit / mib,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected.stdout);
    }
}
