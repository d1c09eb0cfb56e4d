//! Validation runs: --run-validation and --list-validation with real shell commands (issue 13;
//! spec 04 §6, schemas §2).

use crate::support::{TestRepo, command, error_code, files_under};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ID: &str = "TASK-0601";

/// A pipeline of fast commands: entries without ids, a plain string, a vitest-like test run.
const TASK: &str = r#"id: TASK-0601
title: Shipment validation
status: in_progress
priority: P1
area: web
schema_version: "1.1"
scope:
  in: [apps/web/]
plan:
  - id: 1
    outputs: [apps/web/src/a.ts]
deliverables: [apps/web/src/a.ts]
acceptance_criteria:
  - validation passes
validation:
  pipeline:
    - command: echo lint clean
      description: Lint
    - "printf ' Test Files  1 passed (1)\n      Tests  2 failed | 28 passed (30)\n'; exit 1"
    - command: exit 3
      description: Exits 3 on purpose
      expected_exit_codes: [0, 3]
    - command: echo "$GREETING $WHO"
      description: Env
      env: {GREETING: hello, WHO: entry}
      criticality: optional
"#;

fn repo_with(task: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("tasks/web/TASK-0601-validate.task.yaml", task)
        .task(
            "tasks/web/TASK-0602.task.yaml",
            "TASK-0602",
            "in_progress",
            "P1",
            "",
        )
        .task(
            "docs/completed-tasks/TASK-0603.task.yaml",
            "TASK-0603",
            "completed",
            "P1",
            "",
        )
        .write("apps/web/package.json", "{}")
        .commit();
    let run = repo.run(&["--init-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo
}

fn repo() -> TestRepo {
    repo_with(TASK)
}

fn run(repo: &TestRepo, args: &[&str]) -> (i32, Value, crate::support::Run) {
    let mut all = vec!["--run-validation", ID];
    all.extend(args);
    repo.json(&all)
}

/// Start the binary with `args` (JSON output) in the background.
fn spawn(repo: &TestRepo, args: &[&str]) -> std::process::Child {
    command()
        .args(args)
        .args(["--format", "json"])
        .current_dir(repo.root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Run `args`, send `signal` once the command wrote `pidfile`, and return the exit code and the
/// JSON document.
fn signalled(
    repo: &TestRepo,
    args: &[&str],
    pidfile: &str,
    signal: libc::c_int,
) -> (Option<i32>, Value) {
    let child = spawn(repo, args);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !repo.root().join(pidfile).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn result<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["command_id"] == id)
        .unwrap_or_else(|| panic!("no result {id}: {doc}"))
}

#[test]
fn the_pipeline_is_listed_with_implicit_ids() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["--list-validation", ID]);
    assert_eq!(code, 0, "{doc}");
    let ids: Vec<&str> = doc["data"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["val-001", "val-002", "val-003", "val-004"]);
    assert_eq!(doc["data"]["commands"][3]["criticality"], "optional");
    let run = repo.run(&["--list-validation", ID]);
    assert!(run.stdout.contains("val-004  optional"), "{}", run.stdout);
}

#[test]
fn all_runs_every_entry_and_records_each_like_record_qa() {
    let repo = repo();
    let (code, doc, run) = run(&repo, &["--all", "--agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (10, "E013"), "{doc}");
    assert_eq!(doc["success"], false);
    // The recovery names a command that runs as written: the first failed entry, or all.
    let failed = doc["error"]["details"]["failed"][0].as_str().unwrap();
    assert!(
        doc["error"]["recovery_action"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "tasks --run-validation {ID} --command-id {failed} (or --all)"
            )),
        "{doc}"
    );
    assert_eq!(
        (
            doc["passed"].as_u64(),
            doc["failed"].as_u64(),
            doc["skipped"].as_u64()
        ),
        (Some(3), Some(1), Some(0))
    );
    assert_eq!(doc["error"]["details"]["failed"], json!(["val-002"]));
    let lint = result(&doc, "val-001");
    assert_eq!(
        (lint["success"].as_bool(), lint["exit_code"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(lint["stdout_tail"], "lint clean\n");
    assert_eq!(result(&doc, "val-003")["exit_code"], 3);
    assert_eq!(
        result(&doc, "val-003")["success"],
        true,
        "an expected non-zero code"
    );
    assert_eq!(result(&doc, "val-004")["stdout_tail"], "hello entry\n");
    // Every result has the same keys.
    let keys = |r: &Value| -> Vec<String> { r.as_object().unwrap().keys().cloned().collect() };
    for r in doc["results"].as_array().unwrap() {
        assert_eq!(keys(r), keys(lint), "{r}");
    }
    // Recorded like --record-qa: the baseline of each command id, the role's latest, the log
    // kept as qa_output evidence with command, exit code and duration.
    let context: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0601/context.json")).unwrap();
    let results = &context["immutable"]["validation_baseline"]["initial_results"]["results"];
    let test = results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["command_id"] == "val-002")
        .unwrap();
    assert_eq!(test["summary"]["tests_failed"], 2, "{test}");
    assert_eq!(test["summary"]["tests_passed"], 28, "{test}");
    assert_eq!(test["exit_code"], 1);
    let log = result(&doc, "val-002")["log_path"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(repo.read(&log).contains("28 passed"));
    assert_eq!(
        context["coordination"]["implementer"]["qa_results"]["command_id"],
        "val-004"
    );
    let (_, listed, _) = repo.json(&["--list-evidence", ID, "--type", "qa_output"]);
    let entry = listed["data"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["stored_path"] == log.as_str())
        .cloned()
        .unwrap();
    assert_eq!(entry["metadata"]["command_id"], "val-002");
    assert_eq!(entry["metadata"]["exit_code"], 1);
    assert!(entry["metadata"]["duration_ms"].is_u64());
    // Text: one line per command and a summary.
    let text = repo.run(&["--run-validation", ID, "--all"]);
    assert_eq!(text.code, 10);
    assert!(
        text.stdout.contains("✓ val-001 echo lint clean"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("✗ val-002"), "{}", text.stdout);
    assert!(
        text.stdout
            .ends_with("TASK-0601: 3 passed, 1 failed, 0 skipped\n"),
        "{}",
        text.stdout
    );
    assert!(run.stderr.is_empty() || !run.stderr.contains("panicked"));
}

#[test]
fn one_entry_and_ad_hoc_commands() {
    let repo = repo();
    let (code, doc, _) = run(&repo, &["--command-id", "val-001"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 1);
    // Ad hoc: env from the flags over the inherited one, criticality aliases.
    let (code, doc, run) = run(
        &repo,
        &[
            "--command",
            "echo $WHO; exit 4",
            "--command-id",
            "adhoc",
            "--env",
            "WHO=flag",
            "--criticality",
            "warning",
        ],
    );
    assert_eq!(code, 0, "a recommended failure is a warning: {doc}");
    let r = result(&doc, "adhoc");
    assert_eq!(
        (r["stdout_tail"].as_str(), r["criticality"].as_str()),
        (Some("flag\n"), Some("recommended"))
    );
    assert!(
        run.warnings().iter().any(|w| w.contains("adhoc failed")),
        "{}",
        run.stderr
    );
}

#[test]
fn skips_by_blocker_path_and_cwd() {
    let repo = repo();
    let skip = |args: &[&str]| {
        let mut all = vec!["--command", "true", "--command-id", "s"];
        all.extend(args);
        let (code, doc, _) = run(&repo, &all);
        (code, doc)
    };
    // An open blocker skips: E031, exit 30.
    let (code, doc) = skip(&["--blocker-id", "TASK-0602"]);
    assert_eq!((code, error_code(&doc)), (30, "E031"), "{doc}");
    assert_eq!(
        result(&doc, "s")["skip_reason"],
        "Blocked by TASK-0602 (status: in_progress)"
    );
    assert_eq!(result(&doc, "s")["log_path"], Value::Null);
    // A completed one does not.
    assert_eq!(skip(&["--blocker-id", "TASK-0603"]).0, 0);
    // One that does not exist is a warning, not a crash.
    let (code, doc) = skip(&["--blocker-id", "TASK-0999"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(result(&doc, "s")["notes"].as_array().unwrap().len(), 1);
    let (code, doc) = skip(&[
        "--expected-paths",
        "apps/web/package.json",
        "apps/**/missing.ts",
    ]);
    assert_eq!(code, 30, "{doc}");
    assert_eq!(
        result(&doc, "s")["skip_reason"],
        "Expected path not found: apps/**/missing.ts"
    );
    assert_eq!(skip(&["--expected-paths", "apps/**/*.json"]).0, 0);
    // A pipeline entry whose working directory is missing is skipped (an ad-hoc --cwd that
    // does not exist is a typo: E002).
    assert_eq!(skip(&["--cwd", "apps/web"]).0, 0);
    assert_eq!(skip(&["--cwd", "apps/nope"]).0, 10);
    let missing = repo_with(&TASK.replace(
        "    - command: exit 3\n",
        "    - command: exit 3\n      cwd: apps/nope\n",
    ));
    let (code, doc, _) = missing.json(&["--run-validation", ID, "--command-id", "val-003"]);
    assert_eq!(code, 30, "{doc}");
    assert_eq!(
        result(&doc, "val-003")["skip_reason"],
        "Working directory does not exist: apps/nope"
    );
}

#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let repo = repo();
    let state = || files_under(&repo.root().join(".agent-output"), |_| true);
    let before = state();
    for (args, exit, code) in [
        (vec!["--command-id", "val-009"], 10, "E003"),
        (
            vec!["--command", "true", "--command-id", "x", "--cwd", ".."],
            10,
            "E002",
        ),
        (
            vec!["--command", "true", "--command-id", "x", "--cwd", "/tmp"],
            10,
            "E002",
        ),
        (
            vec![
                "--command",
                "true",
                "--command-id",
                "x",
                "--timeout-ms",
                "999",
            ],
            10,
            "E002",
        ),
        (
            vec![
                "--command",
                "true",
                "--command-id",
                "x",
                "--timeout-ms",
                "600001",
            ],
            10,
            "E002",
        ),
        (
            vec![
                "--command",
                "true",
                "--command-id",
                "x",
                "--env",
                "NOEQUALS",
            ],
            10,
            "E002",
        ),
        (
            vec![
                "--command",
                "true",
                "--command-id",
                "x",
                "--criticality",
                "fatal",
            ],
            10,
            "E002",
        ),
        (
            vec!["--command", "true", "--command-id", "../x"],
            10,
            "E002",
        ),
    ] {
        let (got, doc, _) = run(&repo, &args);
        assert_eq!((got, error_code(&doc)), (exit, code), "{args:?}: {doc}");
        assert_eq!(state(), before, "{args:?} wrote something");
    }
    let (_, doc, _) = run(&repo, &["--command-id", "val-009"]);
    assert_eq!(
        doc["error"]["details"]["command_ids"],
        json!(["val-001", "val-002", "val-003", "val-004"])
    );
    // Usage errors.
    assert_eq!(run(&repo, &[]).0, 2);
    assert_eq!(run(&repo, &["--all", "--command-id", "val-001"]).0, 2);
    assert_eq!(
        run(&repo, &["--command-id", "val-001", "--cwd", "apps"]).0,
        2
    );
    // No context: E051.
    let (code, doc, _) = repo.json(&[
        "--run-validation",
        "TASK-0602",
        "--command",
        "true",
        "--command-id",
        "x",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E051"), "{doc}");
    // No pipeline: E003.
    let plain = repo_with(
        &TASK
            .replace("schema_version: \"1.1\"", "schema_version: \"1.0\"")
            .replace("validation:\n  pipeline:", "notes:\n  old:"),
    );
    let (code, doc, _) = plain.json(&["--run-validation", ID, "--all"]);
    assert_eq!((code, error_code(&doc)), (10, "E003"), "{doc}");
}

#[test]
fn a_timeout_kills_the_grandchild_and_retries() {
    let task = TASK.replace(
        "    - command: echo lint clean\n      description: Lint\n",
        "    - command: sleep 30 & echo $! >> pids.txt; wait\n      description: Hangs\n      timeout_ms: 1000\n      retry_policy: {max_attempts: 2, backoff_ms: 100}\n",
    );
    let repo = repo_with(&task);
    let started = Instant::now();
    let (code, doc, _) = run(&repo, &["--command-id", "val-001"]);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!((code, error_code(&doc)), (10, "E013"), "{doc}");
    let r = result(&doc, "val-001");
    assert_eq!(
        (r["timed_out"].as_bool(), r["attempts"].as_u64()),
        (Some(true), Some(2))
    );
    assert!(r["duration_ms"].as_u64().unwrap() >= 2100, "{r}");
    let pids = repo.read("pids.txt");
    assert_eq!(pids.lines().count(), 2);
    for pid in pids.lines() {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"));
        assert!(!alive, "sleep {pid} outlived its timeout");
    }
}

#[test]
fn a_command_printing_200_mb_runs_in_bounded_memory() {
    let repo = repo();
    let mut child = spawn(
        &repo,
        &[
            "--run-validation",
            ID,
            "--command",
            "head -c 200000000 /dev/zero | tr '\\0' x | fold -w 1000",
            "--command-id",
            "big",
        ],
    );
    let pid = child.id();
    let mut peak_kib = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(rss) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(rss);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["success"], true, "{doc}");
    assert!(
        peak_kib > 0 && peak_kib < 64 * 1024,
        "peak RSS {peak_kib} KiB"
    );
    let log = result(&doc, "big")["log_path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        std::fs::metadata(repo.root().join(log)).unwrap().len(),
        200_199_999,
        "fold ends its last line without a newline"
    );
    assert!(result(&doc, "big")["stdout_tail"].as_str().unwrap().len() <= 4096);
}

#[test]
fn ctrl_c_stops_the_group_records_what_ran_and_exits_130() {
    let task = TASK.replace(
        "    - command: exit 3\n",
        "    - command: sleep 30 & echo $! > sleeper.pid; wait\n",
    );
    let repo = repo_with(&task);
    let (code, doc) = signalled(
        &repo,
        &["--run-validation", ID, "--all"],
        "sleeper.pid",
        libc::SIGINT,
    );
    assert_eq!(code, Some(130));
    assert_eq!(doc["interrupted"], true, "{doc}");
    assert_eq!(doc["success"], false);
    let ran: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["command_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ran,
        ["val-001", "val-002", "val-003"],
        "val-004 never started"
    );
    assert_eq!(result(&doc, "val-003")["interrupted"], true);
    let sleeper = repo.read("sleeper.pid");
    let alive = std::fs::read_to_string(format!("/proc/{}/stat", sleeper.trim()))
        .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"));
    assert!(!alive, "the interrupted command's group was killed");
    // What ran is recorded.
    let context: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0601/context.json")).unwrap();
    let ids: Vec<&str> = context["immutable"]["validation_baseline"]["initial_results"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["command_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"val-001") && ids.contains(&"val-003"),
        "{ids:?}"
    );
}

#[test]
fn review_fixes_retries_ids_problems_and_hints() {
    // A retried test run is recorded from its last attempt alone.
    let flaky = TASK.replace(
        "    - command: echo lint clean\n      description: Lint\n",
        "    - command: \"echo x >> tries; if [ $(wc -l < tries) -lt 2 ]; then printf '      Tests  1 failed | 40 passed (41)\\\\n'; exit 1; fi; printf '      Tests  41 passed (41)\\\\n'\"\n      retry_policy: {max_attempts: 2, backoff_ms: 10, retry_on_failure: true}\n",
    );
    let repo = repo_with(&flaky);
    let (code, doc, _) = run(&repo, &["--command-id", "val-001"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(result(&doc, "val-001")["attempts"], 2);
    let context: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0601/context.json")).unwrap();
    let baseline = context["immutable"]["validation_baseline"]["initial_results"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["command_id"] == "val-001")
        .cloned()
        .unwrap();
    assert_eq!(baseline["summary"]["tests_passed"], 41, "{baseline}");
    assert!(
        baseline["summary"]["tests_failed"].as_u64().unwrap_or(0) == 0,
        "{baseline}"
    );
    std::fs::remove_file(repo.root().join("tries")).unwrap();
    let text = repo.run(&["--run-validation", ID, "--command-id", "val-001"]);
    assert!(text.stdout.contains("attempt 2"), "{}", text.stdout);

    // An ad-hoc command cannot take a pipeline entry's id.
    let repo = repo_with(TASK);
    let (code, doc, _) = run(&repo, &["--command", "echo x", "--command-id", "val-001"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    // An ad-hoc --cwd that does not exist is a typo: E002, not a skip.
    let (code, doc, _) = run(
        &repo,
        &["--command", "true", "--command-id", "x", "--cwd", "nope"],
    );
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    // A task that does not exist: E040, not "init its context".
    let (code, doc, _) = repo.json(&["--run-validation", "TASK-0999", "--all"]);
    assert_eq!((code, error_code(&doc)), (40, "E040"), "{doc}");

    // Every broken entry is named at once, and listed with its problem.
    let broken = TASK.replace(
        "      criticality: optional\n",
        "      criticality: optional\n    - command: pwd\n      cwd: ../..\n    - command: a\n      timeout_ms: 5\n    - command: b\n      criticality: fatal\n",
    );
    let repo = repo_with(&broken);
    let (code, doc, _) = run(&repo, &["--all"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(
        doc["error"]["details"]["problems"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{doc}"
    );
    assert!(
        !repo
            .root()
            .join(".agent-output/TASK-0601/evidence/qa")
            .exists(),
        "nothing ran"
    );
    let (_, listed, _) = repo.json(&["--list-validation", ID]);
    let problems: Vec<&str> = listed["data"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["problem"].as_str())
        .collect();
    assert_eq!(problems.len(), 3, "{listed}");
    assert!(
        problems[0].contains("outside the repository"),
        "{problems:?}"
    );
}

#[test]
fn attack_fixes_escapes_signals_and_unrecorded_runs() {
    let repo = repo();
    // A process that leaves the group does not hold the run beyond its timeout.
    let started = Instant::now();
    let (code, doc, _) = run(
        &repo,
        &[
            "--command",
            "setsid sleep 20 & echo started",
            "--command-id",
            "escape",
            "--timeout-ms",
            "1000",
        ],
    );
    assert_eq!(code, 0, "{doc}");
    // Held by the escaped `sleep 20`, it would take 20 s; 15 leaves room for a loaded machine.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // A working directory that is a file, in the pipeline: skipped; the run goes on.
    let file_cwd = repo_with(&TASK.replace(
        "    - command: exit 3\n",
        "    - command: exit 3\n      cwd: apps/web/package.json\n",
    ));
    let (code, doc, _) = file_cwd.json(&["--run-validation", ID, "--all"]);
    assert_eq!(code, 10, "{doc}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 4, "{doc}");
    assert_eq!(result(&doc, "val-003")["skipped"], true);
    // A run whose result cannot be recorded fails (here the command removes the context).
    let (code, doc, _) = run(
        &repo,
        &[
            "--command",
            "rm -rf .agent-output/TASK-0601",
            "--command-id",
            "vandal",
        ],
    );
    assert_ne!(code, 0, "{doc}");
    assert_eq!(doc["success"], false, "{doc}");
    // SIGTERM stops the group like Ctrl-C; the temporary log goes.
    let repo = repo_with(TASK);
    let (code, doc) = signalled(
        &repo,
        &[
            "--run-validation",
            ID,
            "--command",
            "sleep 30 & echo $! > s.pid; wait",
            "--command-id",
            "term",
        ],
        "s.pid",
        libc::SIGTERM,
    );
    assert_eq!(code, Some(130));
    assert_eq!(doc["interrupted"], true, "{doc}");
    let runs = repo.root().join(".agent-output/.runs");
    assert!(
        std::fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0) == 0,
        "temporary logs left"
    );
}

#[test]
fn a_command_does_not_inherit_the_ignored_file_size_signal() {
    // The tool ignores SIGXFSZ for itself; the command it runs gets the default back.
    let repo = repo();
    let (code, doc, _) = run(
        &repo,
        &[
            "--command",
            "grep SigIgn /proc/$$/status",
            "--command-id",
            "sigs",
        ],
    );
    assert_eq!(code, 0, "{doc}");
    let line = result(&doc, "sigs")["stdout_tail"]
        .as_str()
        .unwrap()
        .to_string();
    let mask = u64::from_str_radix(line.trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
    let xfsz = 1u64 << (libc::SIGXFSZ - 1);
    assert_eq!(mask & xfsz, 0, "{line}");
}
