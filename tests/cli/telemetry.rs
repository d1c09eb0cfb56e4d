//! Telemetry and metrics through the binary (issue 14; spec 04 §7–§8, schemas §5, §10):
//! --record-telemetry and the tool's own records, --collect-metrics, --generate-dashboard,
//! --compare-metrics, the Claude Code hook.

use crate::support::{TestRepo, bin, error_code};
use serde_json::{Value, json};
use std::io::Write;
use std::process::Stdio;

const ID: &str = "TASK-0601";
const OTHER: &str = "TASK-0602";
const DIR: &str = ".agent-output/TASK-0601";
const NOW: &str = "2026-11-20T10:00:00Z";

fn task(id: &str, pipeline: &str) -> String {
    format!(
        r#"id: {id}
title: Telemetry of {id}
status: in_progress
priority: P1
area: backend
scope:
  in: [src/]
  out: [docs/]
context:
  standards_tier: backend
plan:
  - id: 1
    outputs: [src/app.ts]
deliverables: [src/app.ts]
acceptance_criteria:
  - It works
validation:
  pipeline:
{pipeline}"#
    )
}

const PIPELINE: &str = r#"    - id: val-001
      command: "echo 'Tests:       3 passed, 3 total'"
      criticality: required
    - id: val-002
      command: "echo 'lint ok'"
      criticality: required
    - id: val-003
      command: "echo 'optional'"
      criticality: optional
"#;

const STANDARDS: &str =
    "# Backend\n\n## Errors\n\nErrors carry a code.\n\n## Logging\n\nLog as JSON.\n";
const CHECKLIST: &str = "# Implementer\n\n- [ ] tests\n- [ ] docs\n";

/// A repository with two tasks, each with a context.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "tasks/backend/TASK-0601-telemetry.task.yaml",
        task(ID, PIPELINE),
    )
    .write(
        "tasks/backend/TASK-0602-other.task.yaml",
        task(OTHER, PIPELINE),
    )
    .write("standards/backend-tier.md", STANDARDS)
    .write("docs/agents/implementer-checklist.md", CHECKLIST)
    .write("src/app.ts", "export const app = 1;\n")
    .write(".gitignore", "docs/compliance/\n")
    .commit();
    for id in [ID, OTHER] {
        let run = repo.run(&["--init-context", id]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    repo
}

fn at(repo: &TestRepo, now: &str, args: &[&str]) -> (i32, Value, crate::support::Run) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = repo.run_env(&all, &[("TASKS_NOW", now)]);
    (run.code, run.json(), run)
}

fn telemetry(repo: &TestRepo, id: &str, role: &str) -> Value {
    let text = repo.read(&format!(".agent-output/{id}/telemetry-{role}.json"));
    serde_json::from_str(&text).unwrap()
}

fn exists(repo: &TestRepo, rel: &str) -> bool {
    repo.root().join(rel).exists()
}

#[test]
fn record_telemetry_counts_each_event_with_its_file_and_session() {
    let repo = repo();
    let (code, doc, run) = at(
        &repo,
        NOW,
        &[
            "--record-telemetry",
            ID,
            "--agent",
            "implementer",
            "--event",
            "file_read",
            "--path",
            "src/app.ts",
        ],
    );
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(doc["success"], true);
    let data = &doc["data"];
    assert_eq!(data["recorded"], true);
    assert_eq!(data["event"], "file_read");
    assert_eq!(data["path"], "src/app.ts");
    assert_eq!(data["size"], 22, "the file's size");
    assert_eq!(data["file"], format!("{DIR}/telemetry-implementer.json"));
    assert_eq!(data["totals"]["read_calls"], 1);
    // From a subdirectory, by an absolute path: the same file, repo-relative.
    let abs = repo.abs("src/app.ts");
    for (event, extra) in [
        ("file_read", vec!["--path", abs.as_str()]),
        ("file_write", vec!["--path", "src/new.ts", "--size", "40"]),
        ("file_edit", vec!["--path", "src/app.ts"]),
        ("cache_hit", vec!["--size", "4000"]),
        ("cache_miss", vec![]),
        ("json_call", vec![]),
        ("json_parse_failure", vec![]),
        ("warning", vec!["--message", "lint config missing"]),
        ("warning", vec!["--message", "lint config missing"]),
    ] {
        let mut args = vec![
            "--record-telemetry",
            ID,
            "--agent",
            "implementer",
            "--event",
            event,
        ];
        args.extend(extra);
        let (code, _, run) = at(&repo, "2026-11-20T10:05:00Z", &args);
        assert_eq!(code, 0, "{event}: {}", run.stderr);
    }
    let t = telemetry(&repo, ID, "implementer");
    assert_eq!(t["task_id"], ID);
    assert_eq!(t["agent_role"], "implementer");
    let m = &t["metrics"];
    assert_eq!(m["file_operations"]["read_calls"], 2);
    assert_eq!(m["file_operations"]["write_calls"], 1);
    assert_eq!(m["file_operations"]["edit_calls"], 1);
    assert_eq!(
        m["file_operations"]["files_read"],
        json!([{"path": "src/app.ts", "size": 22, "read_count": 2}])
    );
    assert_eq!(m["cache_operations"]["cache_hits"], 1);
    assert_eq!(m["cache_operations"]["cache_misses"], 1);
    assert_eq!(m["cache_operations"]["token_savings_estimate"], 1000);
    assert_eq!(m["json_calls"], 1);
    assert_eq!(m["json_parse_failures"], 1);
    assert_eq!(t["warnings"][0]["message"], "lint config missing");
    assert_eq!(t["warnings"][0]["count"], 2);
    assert_eq!(t["session_start"], "2026-11-20T10:00:00+00:00");
    assert_eq!(t["session_end"], "2026-11-20T10:05:00+00:00");
    assert_eq!(t["duration_ms"], 300_000);
    assert_eq!(t["sessions"].as_array().unwrap().len(), 1);

    // An hour later: a new session is added, the first one kept.
    let run = repo.run_env(
        &[
            "--record-telemetry",
            ID,
            "--agent",
            "implementer",
            "--event",
            "json_call",
        ],
        &[("TASKS_NOW", "2026-11-20T11:10:00Z")],
    );
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("✓ Recorded json_call for TASK-0601 (implementer)")
    );
    let t = telemetry(&repo, ID, "implementer");
    assert_eq!(t["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(t["sessions"][0]["events"]["file_read"], 2);
    assert_eq!(t["sessions"][1]["events"], json!({"json_call": 1}));
    assert_eq!(t["metrics"]["json_calls"], 2);
    // The task and role from the environment, a named session.
    let run = repo.run_env(
        &[
            "--record-telemetry",
            "--event",
            "cache_miss",
            "--session-id",
            "s-42",
        ],
        &[("TASKS_TASK", ID), ("TASKS_AGENT", "reviewer")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = telemetry(&repo, ID, "reviewer");
    assert_eq!(t["sessions"][0]["session_id"], "s-42");
}

#[test]
fn eight_concurrent_writers_lose_nothing() {
    let repo = repo();
    let children: Vec<std::process::Child> = (0..8)
        .map(|i| {
            let role = if i % 2 == 0 { "implementer" } else { "reviewer" };
            let script = format!(
                "for n in 1 2 3 4 5 6 7 8 9 10; do \"$0\" --record-telemetry {ID} --agent {role} --event file_read --path src/w{i}-$n.ts || exit 1; done"
            );
            std::process::Command::new("sh")
                .args(["-c", &script])
                .arg(bin())
                .current_dir(repo.root())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    for role in ["implementer", "reviewer"] {
        let t = telemetry(&repo, ID, role);
        assert_eq!(t["metrics"]["file_operations"]["read_calls"], 40, "{role}");
        assert_eq!(
            t["metrics"]["file_operations"]["files_read"]
                .as_array()
                .unwrap()
                .len(),
            40
        );
    }
    assert!(!exists(&repo, ".agent-output/.txn/TASK-0601"));
}

#[test]
fn the_tool_records_its_own_work_when_the_role_is_known() {
    let repo = repo();
    // No role: nothing recorded.
    assert_eq!(repo.run(&["--get-context", ID]).code, 0);
    assert!(!exists(&repo, &format!("{DIR}/telemetry-implementer.json")));

    // --role on --get-context: a context read with the bytes printed and the bytes of the
    // files the context stands for, and the JSON document.
    let run = repo.run(&[
        "--get-context",
        ID,
        "--role",
        "implementer",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = telemetry(&repo, ID, "implementer");
    let c = &t["metrics"]["cache_operations"];
    assert_eq!(c["context_reads"], 1);
    assert_eq!(c["cache_hits"], 1);
    assert_eq!(c["bytes_served"], run.stdout.len());
    let sources = repo
        .read("tasks/backend/TASK-0601-telemetry.task.yaml")
        .len()
        + STANDARDS.len()
        + CHECKLIST.len();
    assert_eq!(c["source_bytes"], sources);
    assert_eq!(t["metrics"]["json_calls"], 1);

    // TASKS_AGENT: the warnings printed are recorded, repeats counted.
    repo.write("src/app.ts", "export const app = 2;\n").commit();
    for _ in 0..2 {
        let run = repo.run_env(&["--get-context", ID], &[("TASKS_AGENT", "reviewer")]);
        assert_eq!(run.code, 0);
        assert!(run.stderr.contains("current HEAD"), "{}", run.stderr);
    }
    let t = telemetry(&repo, ID, "reviewer");
    assert_eq!(t["metrics"]["json_calls"], 0, "text mode");
    // The text form is a summary for people, not the context: not a context read.
    assert_eq!(t["metrics"]["cache_operations"]["context_reads"], 0);
    let warnings = t["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["count"], 2);
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("current HEAD")
    );

    // A validation run: its commands.
    let run = repo.run(&["--run-validation", ID, "--all", "--agent", "validator"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = telemetry(&repo, ID, "validator");
    let commands = t["metrics"]["commands_executed"].as_array().unwrap();
    assert_eq!(commands.len(), 3);
    assert_eq!(commands[0]["command_id"], "val-001");
    assert_eq!(commands[0]["exit_code"], 0);

    // A command that fails changes nothing, telemetry included.
    let before = repo.read(&format!("{DIR}/telemetry-validator.json"));
    let run = repo.run(&[
        "--run-validation",
        ID,
        "--command-id",
        "val-404",
        "--agent",
        "validator",
    ]);
    assert_eq!(run.code, 10);
    assert_eq!(
        repo.read(&format!("{DIR}/telemetry-validator.json")),
        before
    );

    // TASKS_TELEMETRY=off, and a role that is not one (a warning, the command runs).
    let before = repo.read(&format!("{DIR}/telemetry-reviewer.json"));
    let run = repo.run_env(
        &["--get-context", ID],
        &[("TASKS_AGENT", "reviewer"), ("TASKS_TELEMETRY", "off")],
    );
    assert_eq!(run.code, 0);
    assert_eq!(repo.read(&format!("{DIR}/telemetry-reviewer.json")), before);
    let run = repo.run_env(&["--get-context", ID], &[("TASKS_AGENT", "boss")]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("TASKS_AGENT=\"boss\" is not a role"),
        "{}",
        run.stderr
    );
    assert!(!exists(&repo, &format!("{DIR}/telemetry-boss.json")));
    // A task without a context: nothing created.
    let run = repo.run_env(&["--explain", "TASK-0603"], &[("TASKS_AGENT", "reviewer")]);
    assert_ne!(run.code, 0);
    assert!(!exists(&repo, ".agent-output/TASK-0603"));
}

/// The pipeline run and some telemetry for both tasks.
fn with_activity(repo: &TestRepo) {
    let run = repo.run_env(
        &["--run-validation", ID, "--all", "--agent", "validator"],
        &[("TASKS_NOW", "2026-11-20T10:00:00Z")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let steps: [(&str, &str, &[&str]); 6] = [
        (
            "2026-11-20T10:01:00Z",
            ID,
            &[
                "--agent",
                "implementer",
                "--event",
                "file_read",
                "--path",
                "src/app.ts",
            ],
        ),
        (
            "2026-11-20T10:02:00Z",
            ID,
            &[
                "--agent",
                "implementer",
                "--event",
                "warning",
                "--message",
                "W1",
            ],
        ),
        (
            "2026-11-20T10:30:00Z",
            ID,
            &["--agent", "reviewer", "--event", "json_parse_failure"],
        ),
        (
            "2026-11-21T09:00:00Z",
            OTHER,
            &[
                "--agent",
                "implementer",
                "--event",
                "file_read",
                "--path",
                "src/app.ts",
            ],
        ),
        (
            "2026-11-21T09:10:00Z",
            OTHER,
            &[
                "--agent",
                "implementer",
                "--event",
                "file_read",
                "--path",
                "src/app.ts",
            ],
        ),
        (
            "2026-11-21T09:20:00Z",
            OTHER,
            &["--agent", "implementer", "--event", "json_call"],
        ),
    ];
    for (now, id, args) in steps {
        let mut all = vec!["--record-telemetry", id];
        all.extend(args);
        let run = repo.run_env(&all, &[("TASKS_NOW", now)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let run = repo.run_env(
        &[
            "--get-context",
            OTHER,
            "--role",
            "reviewer",
            "--format",
            "json",
        ],
        &[("TASKS_NOW", "2026-11-21T09:30:00Z")],
    );
    assert_eq!(run.code, 0);
}

#[test]
fn collect_metrics_writes_the_summary_in_text_and_json() {
    let repo = repo();
    with_activity(&repo);
    let (code, doc, run) = at(&repo, "2026-11-22T08:00:00Z", &["--collect-metrics", ID]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let d = &doc["data"];
    assert_eq!(d["task_id"], ID);
    assert_eq!(
        d["agents_run"],
        json!(["implementer", "reviewer", "validator"])
    );
    assert_eq!(d["file_reads_by_agent"]["implementer"], 1);
    assert_eq!(d["total_file_reads"], 1);
    // Two required commands, both with a stored log; the optional one does not count.
    assert_eq!(d["qa_commands_run"], 2);
    assert_eq!(d["qa_commands_with_logs"], 2);
    assert_eq!(d["qa_artifact_coverage"], 100.0);
    assert_eq!(d["json_parse_failures"], 1);
    assert_eq!(d["prompt_size_savings_pct"], Value::Null);
    assert_eq!(
        d["success_criteria_met"],
        json!({"file_reads_per_agent": true, "repeated_warnings": true,
               "qa_artifact_coverage": true, "json_parse_failures": false})
    );
    assert_eq!(d["metrics"]["qa_artifact_availability"]["target_met"], true);
    assert_eq!(d["metrics"]["json_output_reliability"]["target_met"], false);
    assert_eq!(d["duration_minutes"], 30.0, "10:00 to 10:30");
    assert_eq!(d["timestamp"], "2026-11-22T08:00:00+00:00");
    let file: Value = serde_json::from_str(&repo.read(&format!("{DIR}/metrics.json"))).unwrap();
    assert_eq!(file["qa_artifact_coverage"], 100.0);
    assert_eq!(file["metrics"], d["metrics"]);
    assert!(
        d["metrics_file"]
            .as_str()
            .unwrap()
            .ends_with("metrics.json")
    );

    // A stored log deleted: the command no longer counts.
    let log = file["metrics"]["qa_artifact_availability"].clone();
    assert_eq!(log["missing_logs"], json!([]));
    let context: Value = serde_json::from_str(&repo.read(&format!("{DIR}/context.json"))).unwrap();
    let first =
        context["immutable"]["validation_baseline"]["initial_results"]["results"][0]["log_path"]
            .as_str()
            .unwrap()
            .to_string();
    std::fs::remove_file(repo.root().join(&first)).unwrap();
    let run = repo.run(&["--collect-metrics", ID]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("✗ QA artifact coverage (100 %): 50.0%"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("without a stored log: val-001"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("✗ JSON parse failures (0): 1"));
    assert!(run.stdout.contains("✓ File reads per agent (≤ 5): 0.3"));

    // A prompt-size baseline: the other task read its context.
    repo.write("base.json", r#"{"prompt_tokens": 100000}"#);
    let (code, doc, _) = at(
        &repo,
        NOW,
        &["--collect-metrics", OTHER, "--baseline-path", "base.json"],
    );
    assert_eq!(code, 0);
    let served = doc["data"]["current_prompt_tokens"].as_u64().unwrap();
    assert!(served > 0);
    assert_eq!(doc["data"]["baseline_prompt_tokens"], 100000);
    let pct = doc["data"]["prompt_size_savings_pct"].as_f64().unwrap();
    assert!(
        (pct - (1.0 - served as f64 / 100000.0) * 100.0).abs() < 0.01,
        "{pct}"
    );
}

fn parse_html(html: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(html);
    let mut depth = 0i64;
    let mut svgs = 0;
    loop {
        match reader.read_event().expect("well-formed") {
            quick_xml::events::Event::Start(e) => {
                depth += 1;
                if e.name().0 == "svg" {
                    svgs += 1;
                }
            }
            quick_xml::events::Event::End(_) => depth -= 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0);
    svgs
}

#[test]
fn the_dashboard_in_json_html_and_text() {
    let repo = repo();
    with_activity(&repo);
    // Every task with telemetry, into the default file.
    let (code, doc, run) = at(&repo, "2026-11-22T08:00:00Z", &["--generate-dashboard"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let d = &doc["data"];
    assert_eq!(d["total_tasks"], 2);
    assert_eq!(d["tasks_analyzed"], json!([ID, OTHER]));
    assert_eq!(
        d["output_path"],
        "docs/evidence/metrics/cache-hardening-dashboard.json"
    );
    let file: Value =
        serde_json::from_str(&repo.read("docs/evidence/metrics/cache-hardening-dashboard.json"))
            .unwrap();
    assert_eq!(file["aggregate_metrics"], d["aggregate_metrics"]);
    assert_eq!(file["trend_data"].as_array().unwrap().len(), 2);
    assert_eq!(file["trend_data"][0]["date"], "2026-11-20");
    assert_eq!(file["trend_data"][1]["date"], "2026-11-21");
    assert_eq!(d["total_json_parse_failures"], 1);
    assert_eq!(
        d["aggregate_metrics"]["qa_artifact_availability"]["compliance_rate"],
        0.5
    );
    assert_eq!(
        d["criteria_pass_summary"]["json_parse_failures"]["met"],
        false
    );
    assert_eq!(d["all_criteria_met"], false);
    // --also spelled as real repositories document it; a window of one day.
    let (code, doc, _) = at(
        &repo,
        NOW,
        &[
            "--generate-metrics-dashboard",
            "--from",
            "2026-11-21",
            "--to",
            "2026-11-21",
            "--output",
            "out/nov21.json",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["tasks_analyzed"], json!([OTHER]));
    assert_eq!(doc["data"]["outside_window"], json!([ID]));
    assert_eq!(doc["data"]["failed"], json!([]));
    assert!(exists(&repo, "out/nov21.json"));

    // An HTML page: well-formed, one chart per criterion, nothing fetched.
    let run = repo.run(&[
        "--generate-dashboard",
        "--task-ids",
        ID,
        OTHER,
        "--output-path",
        "dash.html",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = repo.read("dash.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(parse_html(&html), 5);
    assert_eq!(html.matches("<figure class=\"chart\"").count(), 5);
    assert!(!html.contains("<script") && !html.contains("https://"));
    // The text table: ✓/✗ per criterion and per task.
    assert!(
        run.stdout.starts_with("✓ Dashboard generated for 2 tasks"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✗    JSON parse failures (0)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("TASK-0601"));
    assert!(run.stdout.contains("Saved to: dash.html"));

    // A corrupt telemetry file: a warning on stderr, the other task still counted, stdout one
    // JSON document.
    repo.write(&format!("{DIR}/telemetry-reviewer.json"), "{not json");
    let (code, doc, run) = at(
        &repo,
        NOW,
        &["--generate-dashboard", "--output-path", "d2.json"],
    );
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["tasks_analyzed"], json!([OTHER]));
    assert_eq!(run.warnings().len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("E052") && run.stderr.contains("telemetry-reviewer.json"));
    assert_eq!(doc["data"]["failed"][0]["task_id"], ID);
    assert_eq!(doc["data"]["failed"][0]["code"], "E052");
    assert!(run.stdout.is_empty() || run.stdout.starts_with('{'));
}

#[test]
fn compare_metrics_shows_each_delta() {
    let repo = TestRepo::new();
    repo.write(
        "b.json",
        r#"{"avg_file_reads_per_agent": 20, "avg_qa_coverage": 70, "json_reliability": 80, "avg_repeated_warnings": 1}"#,
    )
    .write(
        "c.json",
        r#"{"avg_file_reads_per_agent": 4, "avg_qa_coverage": 100, "json_reliability": 100, "avg_repeated_warnings": 2}"#,
    );
    let (code, doc, _) = at(
        &repo,
        NOW,
        &[
            "--compare-metrics",
            "--baseline-path",
            "b.json",
            "--current-path",
            "c.json",
        ],
    );
    // A regression is a failed verdict: E027, exit 20, the comparison still in the document.
    assert_eq!((code, error_code(&doc)), (20, "E027"));
    assert_eq!(
        doc["error"]["details"]["regressed"],
        json!(["repeated_warnings"])
    );
    let d = &doc["data"];
    assert_eq!(d["baseline_file"], "b.json");
    assert_eq!(d["deltas"]["file_reads_per_agent"]["delta"], -16.0);
    assert_eq!(d["deltas"]["file_reads_per_agent"]["improvement"], true);
    assert_eq!(d["deltas"]["qa_coverage"]["delta"], 30.0);
    assert_eq!(d["deltas"]["repeated_warnings"]["change"], "regressed");
    assert_eq!(d["overall_improvement"], false, "a regression");
    assert_eq!(d["not_compared"], json!(["prompt_savings"]));
    // The spellings of the docs; text with arrows and signed deltas.
    let run = repo.run(&[
        "--compare-metrics",
        "--baseline",
        "b.json",
        "--current",
        "c.json",
    ]);
    assert_eq!(run.code, 20, "{}", run.stderr);
    assert!(run.stderr.contains("E027"), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("  ✓ file_reads_per_agent: 20.0 → 4.0 (Δ -16.0 ↓)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  ✓ qa_coverage: 70.0 → 100.0 (Δ +30.0 ↑)")
    );
    assert!(
        run.stdout
            .contains("  ✗ repeated_warnings: 1.0 → 2.0 (Δ +1.0 ↑)")
    );
    assert!(
        run.stdout
            .contains("Overall: not improved (3 improved, 0 unchanged, 1 regressed)")
    );
    // The saved JSON output of a dashboard compares as its data; without regression, exit 0.
    repo.write(
        "saved.json",
        r#"{"success": true, "data": {"avg_file_reads_per_agent": 3, "avg_qa_coverage": 100, "json_reliability": 100, "avg_repeated_warnings": 1}, "error": null, "generated_at": "2026-11-20T10:00:00+00:00"}"#,
    );
    let (code, doc, _) = repo.json(&[
        "--compare-metrics",
        "--baseline-path",
        "b.json",
        "--current-path",
        "saved.json",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["overall_improvement"], true);
    assert_eq!(
        doc["data"]["deltas"]["repeated_warnings"]["change"],
        "unchanged"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let repo = repo();
    let snapshot = repo.snapshot();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "--record-telemetry",
                "TASK-0609",
                "--agent",
                "implementer",
                "--event",
                "json_call",
            ],
            50,
            "E051",
        ),
        (vec!["--collect-metrics", "TASK-0609"], 50, "E051"),
        (
            vec![
                "--record-telemetry",
                ID,
                "--agent",
                "implementer",
                "--event",
                "file_open",
            ],
            10,
            "E002",
        ),
        (
            vec![
                "--generate-dashboard",
                "--from",
                "2026-11-22",
                "--to",
                "2026-11-21",
            ],
            10,
            "E002",
        ),
        (
            vec!["--generate-dashboard", "--from", "22/11/2026"],
            10,
            "E002",
        ),
        (vec!["--generate-dashboard"], 40, "E040"),
        (
            vec!["--collect-metrics", ID, "--baseline-path", "nope.json"],
            40,
            "E040",
        ),
        (
            vec![
                "--compare-metrics",
                "--baseline-path",
                "nope.json",
                "--current-path",
                "x.json",
            ],
            40,
            "E040",
        ),
        (
            vec!["--record-telemetry", ID, "--event", "json_call"],
            2,
            "E002",
        ),
        (
            vec![
                "--record-telemetry",
                ID,
                "--agent",
                "reviewer",
                "--event",
                "warning",
            ],
            2,
            "E002",
        ),
        (
            vec!["--record-telemetry", ID, "--agent", "reviewer"],
            2,
            "E002",
        ),
        (
            vec!["--compare-metrics", "--baseline-path", "b.json"],
            2,
            "E002",
        ),
    ];
    for (args, exit, code) in cases {
        let (got, doc, run) = repo.json(&args);
        assert_eq!(
            (got, error_code(&doc)),
            (exit, code),
            "{args:?}: {}",
            run.stdout
        );
        assert_eq!(doc["success"], false);
    }
    let (_, doc, _) = repo.json(&[
        "--record-telemetry",
        ID,
        "--agent",
        "implementer",
        "--event",
        "file_open",
    ]);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("json_parse_failure"),
        "{doc}"
    );
    assert_eq!(repo.snapshot(), snapshot, "nothing written");
    assert!(!exists(&repo, ".agent-output/TASK-0609"));

    // A corrupt telemetry file: E052 naming it, left as it is; a link in its place: E052, the
    // target never read or written.
    repo.write(&format!("{DIR}/telemetry-implementer.json"), "[1, 2]");
    for args in [
        vec!["--collect-metrics", ID],
        vec![
            "--record-telemetry",
            ID,
            "--agent",
            "implementer",
            "--event",
            "json_call",
        ],
    ] {
        let (code, doc, _) = repo.json(&args);
        assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("telemetry-implementer.json")
        );
    }
    assert_eq!(
        repo.read(&format!("{DIR}/telemetry-implementer.json")),
        "[1, 2]"
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("t.json"), "{\"metrics\": {}}").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("t.json"),
        repo.root().join(format!("{DIR}/telemetry-reviewer.json")),
    )
    .unwrap();
    let (code, doc, _) = repo.json(&[
        "--record-telemetry",
        ID,
        "--agent",
        "reviewer",
        "--event",
        "json_call",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert_eq!(
        std::fs::read_to_string(outside.path().join("t.json")).unwrap(),
        "{\"metrics\": {}}"
    );
    // Not metrics documents; a baseline without prompt_tokens.
    repo.write("x.json", "{\"a\": 1}").write("list.json", "[]");
    for (args, code) in [
        (
            vec![
                "--compare-metrics",
                "--baseline-path",
                "x.json",
                "--current-path",
                "x.json",
            ],
            "E052",
        ),
        (
            vec![
                "--compare-metrics",
                "--baseline-path",
                "list.json",
                "--current-path",
                "x.json",
            ],
            "E052",
        ),
        (
            vec!["--collect-metrics", OTHER, "--baseline-path", "x.json"],
            "E052",
        ),
    ] {
        let (exit, doc, _) = repo.json(&args);
        assert_eq!((exit, error_code(&doc)), (50, code), "{args:?}: {doc}");
    }
    // The dashboard never writes through a link.
    std::os::unix::fs::symlink(outside.path().join("d.json"), repo.root().join("d.json")).unwrap();
    repo.run(&[
        "--record-telemetry",
        OTHER,
        "--agent",
        "reviewer",
        "--event",
        "json_call",
    ]);
    let (code, doc, _) = repo.json(&["--generate-dashboard", "--output-path", "d.json"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(!outside.path().join("d.json").exists());
    // Nor through a directory of the repository that leads out of it: the default file.
    std::fs::create_dir_all(repo.root().join("docs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root().join("docs/evidence")).unwrap();
    let (code, doc, _) = repo.json(&["--generate-dashboard"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(!outside.path().join("metrics").exists());
}

/// The command of the Claude Code hook shipped in docs/hooks/, run as Claude Code runs it: by
/// a shell, the payload on stdin, in the project's directory.
fn run_hook(repo: &TestRepo, payload: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs/hooks/claude-code-settings.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let entry = &settings["hooks"]["PostToolUse"][0];
    assert_eq!(entry["matcher"], "Read|Write|Edit|MultiEdit|NotebookEdit");
    let hook = entry["hooks"][0]["command"].as_str().unwrap();
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = std::process::Command::new("sh")
        .args(["-c", hook])
        .current_dir(repo.root())
        .env("PATH", path)
        .env("CLAUDE_PROJECT_DIR", repo.root())
        .env_remove("TASKS_TASK")
        .env_remove("TASKS_AGENT")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_claude_code_hook_records_reads_writes_and_edits() {
    let repo = repo();
    let env = [("TASKS_TASK", ID), ("TASKS_AGENT", "implementer")];
    let file = repo.abs("src/app.ts");
    let payload = |tool: &str, input: Value| {
        json!({
            "session_id": "abc-123",
            "transcript_path": "/tmp/t.jsonl",
            "cwd": repo.root(),
            "hook_event_name": "PostToolUse",
            "tool_name": tool,
            "tool_input": input,
            "tool_response": {"success": true}
        })
        .to_string()
    };
    for (tool, input) in [
        ("Read", json!({"file_path": file})),
        ("Read", json!({"file_path": file, "offset": 1})),
        (
            "Edit",
            json!({"file_path": file, "old_string": "1", "new_string": "2"}),
        ),
        (
            "Write",
            json!({"file_path": repo.abs("src/new.ts"), "content": "x"}),
        ),
        ("Bash", json!({"command": "ls"})),
    ] {
        let (code, _, stderr) = run_hook(&repo, &payload(tool, input), &env);
        assert_eq!(code, 0, "{tool}: {stderr}");
    }
    let t = telemetry(&repo, ID, "implementer");
    let f = &t["metrics"]["file_operations"];
    assert_eq!(f["read_calls"], 2);
    assert_eq!(f["edit_calls"], 1);
    assert_eq!(f["write_calls"], 1);
    assert_eq!(f["files_read"][0]["path"], "src/app.ts");
    assert_eq!(f["files_read"][0]["size"], 22);
    assert_eq!(t["sessions"][0]["session_id"], "abc-123");
    // An agent not working on a task: nothing recorded, nothing to disturb the session.
    let (code, _, stderr) = run_hook(&repo, &payload("Read", json!({"file_path": file})), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("Nothing recorded"), "{stderr}");
    // Not a payload: an error, not the blocking exit 2 of Claude Code hooks.
    let (code, _, stderr) = run_hook(&repo, "not json", &env);
    assert_eq!(code, 10, "{stderr}");
    assert!(stderr.contains("E002"));
    assert_eq!(
        telemetry(&repo, ID, "implementer")["metrics"]["file_operations"]["read_calls"],
        2
    );
}

#[test]
fn the_flat_telemetry_of_tasks_py_is_read_as_04_8_2_observed_it_corrected() {
    let repo = repo();
    repo.write(
        &format!("{DIR}/telemetry-implementer.json"),
        json!({"agent_role": "implementer", "file_operations": {"read_calls": 3},
            "cache_operations": {"hits": 8, "misses": 2, "estimated_tokens_saved": 1200},
            "warnings": [{"message": "W1"}, {"message": "W1"}], "json_calls": 5,
            "json_parse_failures": 0, "session_start": "2026-11-20T10:00:00+00:00",
            "session_end": "2026-11-20T10:30:00+00:00"})
        .to_string(),
    )
    .write(
        &format!("{DIR}/telemetry-reviewer.json"),
        json!({"agent_role": "reviewer", "file_operations": {"read_calls": 7},
            "cache_operations": {"hits": 2, "misses": 0, "estimated_tokens_saved": 300},
            "warnings": [{"message": "W2"}], "json_calls": 3, "json_parse_failures": 1,
            "session_start": "2026-11-20T11:35:00+01:00",
            "session_end": "2026-11-20T11:00:00Z"})
        .to_string(),
    )
    .write("base.json", r#"{"prompt_tokens": 2000}"#);
    let (code, doc, run) = repo.json(&["--collect-metrics", ID, "--baseline-path", "base.json"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let d = &doc["data"];
    assert_eq!(d["duration_minutes"], 60.0);
    assert_eq!(d["total_file_reads"], 10);
    assert_eq!(d["avg_file_reads_per_agent"], 5.0);
    assert_eq!(d["cache_hit_rate"], 0.8333333333333334);
    assert_eq!(d["estimated_tokens_saved"], 1500);
    assert_eq!(d["repeated_warnings"], 1);
    assert_eq!(
        (d["json_calls"].clone(), d["json_parse_failures"].clone()),
        (json!(8), json!(1))
    );
    assert_eq!(d["current_prompt_tokens"], 500);
    assert_eq!(d["prompt_size_savings_pct"], 75.0);
    assert_eq!(
        d["success_criteria_met"],
        json!({"file_reads_per_agent": true, "repeated_warnings": true,
               "qa_artifact_coverage": false, "json_parse_failures": false,
               "prompt_size_savings": true})
    );
}

#[test]
fn a_completed_task_keeps_its_final_metrics_for_the_dashboard() {
    let repo = repo();
    with_activity(&repo);
    let run = repo.run(&["--complete", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let kept: Value =
        serde_json::from_str(&repo.read(".agent-output/.completed/TASK-0601/metrics.json"))
            .unwrap();
    assert_eq!(kept["task_id"], ID);
    assert_eq!(kept["qa_artifact_coverage"], 100.0);
    // The context is gone: --collect-metrics says where the metrics went.
    let (code, doc, _) = repo.json(&["--collect-metrics", ID]);
    assert_eq!((code, error_code(&doc)), (50, "E051"));
    assert!(
        doc["error"]["recovery_action"]
            .as_str()
            .unwrap()
            .contains(".agent-output/.completed/TASK-0601/metrics.json")
    );
    // The dashboard counts it, from the kept metrics, by default and by id.
    for args in [
        vec!["--generate-dashboard", "--output-path", "d.json"],
        vec![
            "--generate-dashboard",
            "--task-ids",
            ID,
            "--output-path",
            "d.json",
        ],
    ] {
        let (code, doc, run) = repo.json(&args);
        assert_eq!(code, 0, "{}", run.stderr);
        assert!(
            doc["data"]["tasks_analyzed"]
                .as_array()
                .unwrap()
                .contains(&json!(ID))
        );
        assert_eq!(doc["data"]["completed_tasks"], json!([ID]));
    }
    // The archived context restores with its telemetry.
    assert!(
        repo.read(".agent-output/.completed/TASK-0601/metrics.json")
            .contains("\"metrics\"")
    );
}

#[test]
fn recording_never_brings_back_a_removed_context() {
    let repo = repo();
    // A purge that holds the lock while the record waits for it.
    let lock = repo.root().join(".agent-output/.locks/TASK-0601.lock");
    let holder = std::process::Command::new("flock")
        .arg(&lock)
        .args(["sh", "-c", "sleep 1; rm -rf .agent-output/TASK-0601"])
        .current_dir(repo.root())
        .spawn();
    let Ok(mut holder) = holder else {
        // No flock(1) here: the purge race is covered by the crash and concurrency tests.
        return;
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (code, doc, _) = repo.json(&[
        "--record-telemetry",
        ID,
        "--agent",
        "reviewer",
        "--event",
        "json_call",
    ]);
    assert!(holder.wait().unwrap().success());
    assert_eq!((code, error_code(&doc)), (50, "E051"), "{doc}");
    assert!(!exists(&repo, DIR), "the directory came back");
}

#[test]
fn more_bad_input_found_by_review() {
    let repo = repo();
    // A FIFO as a document is refused, never waited on.
    let fifo = repo.root().join("fifo.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    repo.write("x.json", r#"{"avg_qa_coverage": 1}"#);
    for args in [
        vec![
            "--compare-metrics",
            "--baseline-path",
            "fifo.json",
            "--current-path",
            "x.json",
        ],
        vec!["--collect-metrics", ID, "--baseline-path", "fifo.json"],
    ] {
        let (code, doc, _) = repo.json(&args);
        assert_eq!((code, error_code(&doc)), (50, "E052"), "{args:?}: {doc}");
    }
    // The dashboard never lands in the tool's state or git's.
    for path in [
        ".agent-output/TASK-0601/context.json",
        ".git/d.json",
        "tasks/.cache/d.json",
    ] {
        repo.run(&[
            "--record-telemetry",
            ID,
            "--agent",
            "reviewer",
            "--event",
            "json_call",
        ]);
        let (code, doc, _) = repo.json(&["--generate-dashboard", "--output-path", path]);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{path}: {doc}");
    }
    assert_eq!(
        repo.run(&["--get-context", ID]).code,
        0,
        "the context is intact"
    );
    // Options an event does not use; a missing role, on stderr in JSON mode too.
    for (args, needle) in [
        (
            vec!["--event", "json_call", "--path", "README.md"],
            "does not take --path",
        ),
        (
            vec!["--event", "cache_miss", "--size", "3"],
            "does not take --size",
        ),
        (
            vec!["--event", "file_read", "--message", "m"],
            "does not take --message",
        ),
    ] {
        let mut all = vec!["--record-telemetry", ID, "--agent", "reviewer"];
        all.extend(args);
        let (code, doc, run) = repo.json(&all);
        assert_eq!((code, error_code(&doc)), (2, "E002"), "{doc}");
        assert!(run.stderr.contains(needle), "{}", run.stderr);
    }
    let (code, _, run) = repo.json(&["--record-telemetry", ID, "--event", "json_call"]);
    assert_eq!(code, 2);
    assert!(run.stderr.contains("needs a role"), "{}", run.stderr);
    // Numbers and days that are wrong say why.
    let run = repo.run(&[
        "--record-telemetry",
        ID,
        "--agent",
        "reviewer",
        "--event",
        "file_read",
        "--path",
        "src/app.ts",
        "--size",
        "-5",
    ]);
    assert_eq!(run.code, 10, "{}", run.stderr);
    let run = repo.run(&["--generate-dashboard", "--from", "2026-13-01"]);
    assert!(
        run.stderr.contains("there is no such day"),
        "{}",
        run.stderr
    );
    for (baseline, why) in [
        (r#"{"prompt_tokens": 0}"#, "is 0"),
        (r#"{"prompt_tokens": -5}"#, "not a whole number"),
        (r#"{"prompt_tokens": "3000"}"#, "not a number"),
    ] {
        repo.write("base.json", baseline);
        let run = repo.run(&["--collect-metrics", ID, "--baseline-path", "base.json"]);
        assert_eq!(run.code, 50);
        assert!(run.stderr.contains(why), "{baseline}: {}", run.stderr);
    }
    // A read of a file that is not there is recorded with a warning.
    let run = repo.run(&[
        "--record-telemetry",
        ID,
        "--agent",
        "reviewer",
        "--event",
        "file_read",
        "--path",
        "nope.ts",
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("nope.ts is not a readable file"),
        "{}",
        run.stderr
    );
}

#[test]
fn second_review_fixes_hold() {
    let repo = repo();
    with_activity(&repo);
    // The dashboard replaces an earlier dashboard (JSON or page), never anything else.
    for path in ["again.json", "again.html"] {
        for _ in 0..2 {
            let (code, doc, _) = repo.json(&["--generate-dashboard", "--output-path", path]);
            assert_eq!(code, 0, "{path}: {doc}");
        }
    }
    repo.write("notes.json", r#"{"mine": true}"#);
    repo.write("page.html", "<!DOCTYPE html><p>mine</p>");
    for path in [
        "notes.json",
        "page.html",
        ".gitignore",
        "tasks/backend/TASK-0601-telemetry.task.yaml",
        "tasks/backend/TASK-0999-new.task.yaml",
        "docs/compliance/context-cache-exceptions.json",
    ] {
        let before = std::fs::read(repo.root().join(path)).ok();
        let (code, doc, _) = repo.json(&["--generate-dashboard", "--output-path", path]);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{path}: {doc}");
        assert_eq!(std::fs::read(repo.root().join(path)).ok(), before, "{path}");
    }
    // A task summary whose JSON calls were not reported but whose parse failures were: a
    // regression of reliability, E027.
    repo.write("ok.json", r#"{"json_calls": 4, "json_parse_failures": 0}"#)
        .write("bad.json", r#"{"json_calls": 0, "json_parse_failures": 3}"#);
    let (code, doc, _) = repo.json(&[
        "--compare-metrics",
        "--baseline-path",
        "ok.json",
        "--current-path",
        "bad.json",
    ]);
    assert_eq!((code, error_code(&doc)), (20, "E027"), "{doc}");
    assert_eq!(doc["data"]["deltas"]["json_reliability"]["current"], 0.0);
}

/// The caller's telemetry is recorded after the result is printed: a panic there (injected at
/// each step in turn, `TASKS_PANIC_AT`) is a warning, never a second JSON document or exit 1
/// for a change that was made (attack round of issue 16). Every run prints exactly one
/// document, and a document that says `success` comes with exit 0.
#[test]
fn a_panic_after_the_result_is_printed_is_only_a_warning() {
    let repo = repo();
    let mut warned = 0;
    for point in 1..=40 {
        let run = repo.run_env(
            &[
                "--update-agent",
                ID,
                "--agent",
                "implementer",
                "--status",
                "in_progress",
                "--format",
                "json",
            ],
            &[("TASKS_PANIC_AT", &point.to_string())],
        );
        // `json` requires exactly one document on stdout.
        let doc = run.json();
        if doc["success"] == true {
            assert_eq!(run.code, 0, "point {point}: {}", run.stderr);
        } else {
            assert_eq!(crate::support::error_code(&doc), "E999", "point {point}");
            assert_eq!(run.code, 1, "point {point}");
        }
        if run
            .stderr
            .contains("telemetry of TASK-0601 (implementer) not recorded: [E999]")
        {
            warned += 1;
        }
    }
    assert!(warned > 0, "no panic reached the telemetry");
}
