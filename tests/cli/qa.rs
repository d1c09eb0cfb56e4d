//! QA baselines: --record-qa and --compare-qa on the fixture logs of `fixtures/qa/` (spec 03
//! §4.4–§4.5, contract D7).

use crate::support::{TestRepo, command, error_code, sha256};
use serde_json::{Value, json};
use std::path::Path;

const ID: &str = "TASK-0401";
const CONTEXT: &str = ".agent-output/TASK-0401/context.json";

const TASK: &str = r#"id: TASK-0401
title: Rate table QA
status: in_progress
priority: P1
area: web
scope:
  in: [apps/web/]
plan:
  - id: 1
    outputs: [apps/web/src/RateTable.tsx]
deliverables: [apps/web/src/RateTable.tsx]
acceptance_criteria:
  - QA stays green
"#;

/// A repository with a context and the fixture logs copied to `qa/`.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("tasks/web/TASK-0401-rates.task.yaml", TASK)
        .write(".gitignore", "qa/\n")
        .commit();
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qa")).unwrap()
    {
        let entry = entry.unwrap();
        repo.write(
            &format!("qa/{}", entry.file_name().to_string_lossy()),
            std::fs::read(entry.path()).unwrap(),
        );
    }
    let run = repo.run(&["--init-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo
}

fn context(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(CONTEXT)).unwrap()
}

fn baseline(repo: &TestRepo, command_id: &str) -> Value {
    context(repo)["immutable"]["validation_baseline"]["initial_results"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["command_id"] == command_id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// A change's (baseline, current, delta).
fn numbers(change: &Value) -> (Value, Value, Value) {
    (
        change["baseline"].clone(),
        change["current"].clone(),
        change["delta"].clone(),
    )
}

/// Record the four baselines, two in each form.
fn record_baselines(repo: &TestRepo) {
    for args in [
        &[
            "--record-qa",
            ID,
            "--agent",
            "implementer",
            "--from",
            "qa/eslint-monorepo-crlf.log",
        ][..],
        &[
            "--record-qa",
            ID,
            "--command",
            "pnpm turbo run typecheck",
            "--exit-code",
            "2",
            "--log-path",
            "qa/tsc-fail.log",
        ],
        &[
            "--record-qa",
            ID,
            "--agent",
            "implementer",
            "--from",
            "qa/jest-pass.log",
            "--exit-code",
            "0",
        ],
        &[
            "--record-qa",
            ID,
            "--command",
            "pnpm vitest run --coverage",
            "--exit-code",
            "0",
            "--log-path",
            "qa/coverage-text-summary.log",
        ],
    ] {
        let (code, doc, run) = repo.json(args);
        assert_eq!(code, 0, "{args:?}: {doc} {}", run.stderr);
    }
}

#[test]
fn record_qa_stores_the_baseline_the_role_result_and_the_log() {
    let repo = repo();
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/eslint-fail.log",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["success"], true);
    let d = &doc["data"];
    let log = std::fs::read(repo.root().join("qa/eslint-fail.log")).unwrap();
    let sha = sha256(&log);
    assert_eq!(d["task_id"], ID);
    assert_eq!(d["command_id"], "lint");
    assert_eq!(d["command_type"], "lint");
    assert_eq!(d["exit_code"], 1);
    assert_eq!(d["exit_code_inferred"], true);
    assert_eq!(d["summary"], json!({"lint_errors": 5, "lint_warnings": 1}));
    assert_eq!(d["log_sha256"], sha.as_str());
    assert_eq!(d["source_log_path"], "qa/eslint-fail.log");
    assert_eq!(d["agent"], "implementer");
    assert_eq!(d["git_sha"], repo.git_stdout(&["rev-parse", "HEAD"]).trim());
    assert_eq!(d["replaced"], false);
    // The log is kept, byte for byte, in the task's evidence and listed in its index.
    let kept = d["log_path"].as_str().unwrap();
    assert_eq!(
        kept,
        format!(
            ".agent-output/TASK-0401/evidence/qa/lint-{}.log",
            &sha[..12]
        )
    );
    assert_eq!(std::fs::read(repo.root().join(kept)).unwrap(), log);
    let evidence: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0401/evidence/index.json")).unwrap();
    let entry = evidence["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["stored_path"] == kept)
        .unwrap()
        .clone();
    assert_eq!(entry["type"], "qa_output");
    // `path` says where the evidence came from, `stored_path` where its copy is kept.
    assert_eq!(entry["path"], "qa/eslint-fail.log");
    assert_eq!(entry["id"], &sha[..16]);
    assert_eq!(entry["metadata"]["command"], d["command"]);
    assert_eq!(entry["metadata"]["exit_code"], 1);
    assert_eq!(entry["metadata"]["duration_ms"], d["duration_ms"]);
    assert_eq!(entry["sha256"], sha.as_str());
    assert_eq!(entry["size"], log.len());
    assert_eq!(entry["metadata"]["command_id"], "lint");
    // Baseline, by command id, and the role's latest result.
    let c = context(&repo);
    let results = &c["immutable"]["validation_baseline"]["initial_results"];
    assert_eq!(results["agent"], "implementer");
    assert_eq!(results["results"].as_array().unwrap().len(), 1);
    assert_eq!(results["results"][0]["summary"]["lint_errors"], 5);
    assert_eq!(
        c["coordination"]["implementer"]["qa_results"]["command_id"],
        "lint"
    );
    assert_eq!(c["coordination"]["implementer"]["qa_log_path"], kept);

    // The same command id again replaces it; another adds one.
    let (_, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/eslint-pass.log",
        "--command-type",
        "lint",
    ]);
    assert_eq!(doc["data"]["replaced"], true);
    assert_eq!(
        doc["data"]["summary"],
        json!({"lint_errors": 0, "lint_warnings": 0}),
        "zero counts are stored"
    );
    assert_eq!(doc["data"]["exit_code"], 0);
    let (_, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--command",
        "tsc --noEmit",
        "--exit-code",
        "2",
        "--log-path",
        "qa/tsc-pretty-fail.log",
        "--command-id",
        "tsc-web",
        "--duration-ms",
        "5120",
    ]);
    assert_eq!(doc["data"]["command_id"], "tsc-web");
    assert_eq!(doc["data"]["command_type"], "typecheck");
    assert_eq!(doc["data"]["summary"], json!({"type_errors": 2}));
    assert_eq!(doc["data"]["duration_ms"], 5120);
    assert!(doc["data"].get("exit_code_inferred").is_none());
    let ids: Vec<String> =
        context(&repo)["immutable"]["validation_baseline"]["initial_results"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["command_id"].as_str().unwrap().to_string())
            .collect();
    assert_eq!(ids, vec!["lint", "tsc-web"]);
}

#[test]
fn record_qa_in_text() {
    let repo = repo();
    let run = repo.run(&[
        "--record-qa",
        ID,
        "--command",
        "pnpm turbo run test",
        "--exit-code",
        "1",
        "--log-path",
        "qa/test-monorepo.log",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("✓ QA result recorded for test on TASK-0401\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Summary: tests passed 97, tests failed 4, tests skipped 1, tests todo 1"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Exit code: 1\n"));
}

#[test]
fn every_parser_reads_its_fixture_through_the_cli() {
    let repo = repo();
    for (log, kind, expected) in [
        (
            "eslint-monorepo-crlf.log",
            "lint",
            json!({"lint_errors": 3, "lint_warnings": 3}),
        ),
        ("tsc-monorepo.log", "typecheck", json!({"type_errors": 4})),
        (
            "vitest-fail-crlf.log",
            "test",
            json!({"tests_passed": 28, "tests_failed": 2, "tests_skipped": 0, "tests_todo": 0}),
        ),
        (
            "coverage-monorepo-crlf.log",
            "coverage",
            json!({"tests_passed": 57, "tests_failed": 0, "tests_skipped": 0, "tests_todo": 0, "coverage": {"lines": 80.4, "branches": 74.5, "functions": 86.2, "statements": 81.0}}),
        ),
    ] {
        let path = format!("qa/{log}");
        let (code, doc, _) =
            repo.json(&["--record-qa", ID, "--agent", "validator", "--from", &path]);
        assert_eq!(code, 0, "{log}: {doc}");
        assert_eq!(
            doc["data"]["command_type"], kind,
            "{log}: detected from the log"
        );
        assert_eq!(doc["data"]["summary"], expected, "{log}");
    }
}

#[test]
fn compare_qa_detects_each_regression_kind() {
    let repo = repo();
    record_baselines(&repo);
    // lint 3 → 5 errors; typecheck 3 → 4; tests 0 → 2 failed and exit 0 → 1; coverage drops.
    for (args, kinds) in [
        (
            vec!["--from", "qa/eslint-fail.log"],
            vec!["lint_errors_increased"],
        ),
        (
            vec![
                "--from",
                "qa/tsc-monorepo.log",
                "--command-id",
                "typecheck",
                "--exit-code",
                "2",
            ],
            vec!["type_errors_increased"],
        ),
        (
            vec!["--from", "qa/jest-fail.log", "--exit-code", "1"],
            vec!["exit_code_regression", "tests_failed_increased"],
        ),
        (
            vec!["--from", "qa/coverage-table.log", "--exit-code", "0"],
            vec!["coverage_lines_dropped", "coverage_branches_dropped"],
        ),
    ] {
        let mut all = vec!["--compare-qa", ID, "--agent", "validator"];
        all.extend(&args);
        let (code, doc, _) = repo.json(&all);
        assert_eq!((code, error_code(&doc)), (20, "E023"), "{args:?}: {doc}");
        assert_eq!(doc["success"], false);
        assert!(doc["generated_at"].is_string(), "compare-qa is a flat verb");
        let got: Vec<&str> = doc["error"]["details"]["regressions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(got, kinds, "{args:?}");
        assert!(doc["error"]["details"]["improvements"].is_array());
    }
    let (_, doc, _) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/eslint-fail.log",
    ]);
    let lint = &doc["error"]["details"]["regressions"][0];
    assert_eq!(numbers(lint), (json!(3), json!(5), json!(2)));
    assert_eq!(lint["severity"], "error");
    let (_, doc, _) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/coverage-table.log",
        "--exit-code",
        "0",
    ]);
    let lines = &doc["error"]["details"]["regressions"][0];
    assert_eq!(numbers(lines), (json!(84.5), json!(78.9), json!(5.6)));
    assert_eq!(lines["severity"], "warning");
    // The current result is the role's latest even when it regressed; the baseline is unchanged.
    let c = context(&repo);
    assert_eq!(
        c["coordination"]["validator"]["qa_results"]["command_id"],
        "coverage"
    );
    assert_eq!(
        baseline(&repo, "coverage")["summary"]["coverage"]["lines"],
        84.5
    );
    // Text.
    let run = repo.run(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/jest-fail.log",
        "--exit-code",
        "1",
    ]);
    assert_eq!(run.code, 20);
    assert!(
        run.stderr
            .starts_with("Error [E023]: 2 QA regression(s) in 'test'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("✖ tests_failed_increased (baseline: 0, current: 2, Δ2)"),
        "{}",
        run.stdout
    );
}

#[test]
fn compare_qa_reports_improvements_and_exits_0() {
    let repo = repo();
    record_baselines(&repo);
    for (args, kinds) in [
        (
            vec!["--from", "qa/eslint-pass.log", "--command-type", "lint"],
            vec!["exit_code_improvement", "lint_errors_decreased"],
        ),
        (
            vec![
                "--from",
                "qa/tsc-pass.log",
                "--command-type",
                "typecheck",
                "--exit-code",
                "0",
            ],
            vec!["exit_code_improvement", "type_errors_decreased"],
        ),
    ] {
        let mut all = vec!["--compare-qa", ID, "--agent", "reviewer"];
        all.extend(&args);
        let (code, doc, _) = repo.json(&all);
        assert_eq!(code, 0, "{args:?}: {doc}");
        assert_eq!(doc["success"], true);
        assert_eq!(doc["has_drift"], false);
        assert_eq!(doc["regressions"], json!([]));
        let got: Vec<&str> = doc["improvements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(got, kinds, "{args:?}");
        assert!(doc["baseline"]["summary"].is_object() && doc["current"]["summary"].is_object());
    }
    // Coverage up: a new baseline from the low table, then the text summary is an improvement.
    let (code, _, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/coverage-table.log",
        "--exit-code",
        "0",
    ]);
    assert_eq!(code, 0);
    let run = repo.run(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/coverage-text-summary.log",
        "--exit-code",
        "0",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("✓ No regressions"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("✓ coverage_lines_improved (baseline: 78.9, current: 84.5, Δ5.6)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("coverage_branches_improved"));
}

#[test]
fn bad_inputs() {
    let repo = repo();
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/missing.log",
    ]);
    assert_eq!((code, error_code(&doc)), (40, "E040"));
    assert_eq!(doc["data"], Value::Null, "record-qa is enveloped");
    let (code, doc, _) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/missing.log",
    ]);
    assert_eq!((code, error_code(&doc)), (40, "E040"));
    let (code, doc, _) = repo.json(&["--record-qa", ID, "--agent", "implementer", "--from", "qa"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"));
    for args in [
        &[
            "--record-qa",
            "TASK-0999",
            "--agent",
            "implementer",
            "--from",
            "qa/eslint-fail.log",
        ][..],
        &[
            "--compare-qa",
            "TASK-0999",
            "--agent",
            "implementer",
            "--from",
            "qa/eslint-fail.log",
        ],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (50, "E051"), "{args:?}");
    }
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/eslint-fail.log",
        "--command-type",
        "unit",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"));
    assert_eq!(
        doc["error"]["details"]["expected"],
        json!(["lint", "typecheck", "test", "coverage"])
    );
    // No baseline for that command id: E051 listing the ones there are.
    repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/eslint-fail.log",
    ]);
    let (code, doc, _) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/jest-fail.log",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E051"));
    assert_eq!(doc["error"]["details"]["baselines"], json!(["lint"]));
    // Usage.
    for (args, needle) in [
        (&["--record-qa", ID][..], "--from"),
        (
            &["--record-qa", ID, "--from", "qa/eslint-fail.log"],
            "--agent",
        ),
        (
            &["--record-qa", ID, "--log-path", "qa/eslint-fail.log"],
            "--command",
        ),
        (
            &[
                "--record-qa",
                ID,
                "--agent",
                "implementer",
                "--from",
                "a",
                "--log-path",
                "b",
            ],
            "not both",
        ),
        (&["--compare-qa", ID, "--agent", "implementer"], "--from"),
    ] {
        let run = repo.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    // A value that is not a number is a bad value (E002, exit 10).
    let run = repo.run(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/x",
        "--exit-code",
        "abc",
    ]);
    assert_eq!(run.code, 10, "{}", run.stderr);
    assert!(run.stderr.contains("--exit-code"), "{}", run.stderr);
}

#[test]
fn binary_and_50_mb_logs_parse_in_bounded_memory() {
    let repo = repo();
    // 50 MB: a binary blob without newlines, then a summary line.
    let mut big: Vec<u8> = (0..50 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    big.extend_from_slice(b"\nTests:       3 failed, 7 passed, 10 total\n");
    repo.write("qa/huge.log", &big);
    let big_sha = sha256(&big);
    // Freed before the spawn: a forked child starts with the parent's resident pages, and
    // they would count in its peak.
    drop(big);
    let mut child = command()
        .args([
            "--record-qa",
            ID,
            "--agent",
            "validator",
            "--from",
            "qa/huge.log",
            "--command-type",
            "test",
            "--format",
            "json",
        ])
        .current_dir(repo.root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The child's own peak (VmHWM of its address space), read while it runs: rusage's maxrss
    // would also count the test process's pages from before the exec.
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(status.success(), "{status}");
    assert!(peak_kib > 0, "the child was measured");
    let peak_mib = peak_kib as f64 / 1024.0;
    assert!(
        peak_mib < 40.0,
        "a 50 MB log must be streamed: peak RSS {peak_mib:.1} MiB"
    );
    let result = baseline(&repo, "test");
    assert_eq!(result["summary"]["tests_failed"], 3);
    assert_eq!(result["summary"]["tests_passed"], 7);
    assert_eq!(result["log_sha256"], big_sha);
}

#[test]
fn results_of_tasks_py_are_kept_and_a_broken_shape_is_e052() {
    let repo = repo();
    let mut c = context(&repo);
    c["immutable"]["validation_baseline"]["initial_results"] = json!({
        "agent": null,
        "git_sha": "ba1cff26de41ed5417fe7eb70a6dc085d321a13a",
        "recorded_at": "2026-11-20T10:30:00+00:00",
        "results": [
            {"command": "lint", "command_id": "da966368", "duration_ms": 0, "exit_code": null,
             "log_path": "/abs/qa/lint_errors.txt", "log_sha256": "6cbb", "summary": {"lint_errors": 5, "lint_warnings": 1}, "legacy": true}
        ],
        "custom": {"kept": 1}
    });
    repo.write(CONTEXT, serde_json::to_string_pretty(&c).unwrap());
    let (code, _, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/eslint-fail.log",
    ]);
    assert_eq!(code, 0);
    let results = &context(&repo)["immutable"]["validation_baseline"]["initial_results"];
    assert_eq!(results["results"][0]["legacy"], true);
    assert_eq!(results["results"][0]["exit_code"], Value::Null);
    assert_eq!(results["custom"]["kept"], 1);
    // The old result can serve as a baseline by its id.
    let (code, doc, _) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/eslint-pass.log",
        "--command-id",
        "da966368",
        "--command-type",
        "lint",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["improvements"][0]["type"], "lint_errors_decreased");
    // A shape this version cannot read is never overwritten.
    let mut c = context(&repo);
    c["immutable"]["validation_baseline"]["initial_results"] = json!({"results": "not a list"});
    let broken = serde_json::to_string_pretty(&c).unwrap();
    repo.write(CONTEXT, &broken);
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/eslint-fail.log",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert_eq!(repo.read(CONTEXT), broken);
}

#[test]
fn a_crashed_test_run_is_not_a_clean_one() {
    let repo = repo();
    repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/jest-pass.log",
        "--exit-code",
        "0",
    ]);
    repo.write("qa/crash.log", "FAIL src/handlers/status.test.ts\n  ● Test suite failed to run\n\n    Cannot find module './carriers'\n");
    let (code, doc, run) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/crash.log",
        "--command-type",
        "test",
    ]);
    assert_eq!((code, error_code(&doc)), (20, "E023"), "{doc}");
    assert!(run.stderr.contains("has no test summary"), "{}", run.stderr);
    let kinds: Vec<&str> = doc["error"]["details"]["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["exit_code_regression"]);
    assert_eq!(
        doc["error"]["details"]["current"],
        json!({}),
        "unknown counts are absent, not 0"
    );
}

#[test]
fn a_crashed_log_compared_by_command_id_is_read_as_the_baselines_kind() {
    let repo = repo();
    repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/jest-pass.log",
        "--command-id",
        "unit",
    ]);
    // Nothing in this log says it is a test run; the baseline of `unit` does.
    repo.write("qa/crash.log", "Segmentation fault (core dumped)\n");
    let (code, doc, run) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "validator",
        "--from",
        "qa/crash.log",
        "--command-id",
        "unit",
    ]);
    assert_eq!((code, error_code(&doc)), (20, "E023"), "{doc}");
    assert_eq!(doc["current"]["command_type"], "test", "{doc}");
    assert_eq!(doc["current"]["exit_code"], 1);
    assert!(run.stderr.contains("has no test summary"), "{}", run.stderr);
}

#[test]
fn a_log_of_unknown_kind_needs_a_command_type_or_id() {
    let repo = repo();
    repo.json(&[
        "--record-qa",
        ID,
        "--agent",
        "implementer",
        "--from",
        "qa/eslint-fail.log",
    ]);
    // ESLint prints nothing when all is well: nothing says this is a lint log.
    let (code, doc, _) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "reviewer",
        "--from",
        "qa/eslint-pass.log",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(
        doc["error"]["recovery_action"]
            .as_str()
            .unwrap()
            .contains("--command-type")
    );
    let (code, _, _) = repo.json(&[
        "--compare-qa",
        ID,
        "--agent",
        "reviewer",
        "--from",
        "qa/eslint-pass.log",
        "--command-id",
        "lint",
    ]);
    assert_eq!(code, 0);
    // The command names it: fine too.
    let (code, doc, _) = repo.json(&[
        "--record-qa",
        ID,
        "--command",
        "pnpm eslint .",
        "--exit-code",
        "0",
        "--log-path",
        "qa/eslint-pass.log",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["command_id"], "lint");
}
