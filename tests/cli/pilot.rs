//! The pilot (issue 14, item 5): `scripts/pilot.sh` runs the whole agent lifecycle on the two
//! tasks of `fixtures/pilot/` with scripted agents, a baseline arm and a hardened arm, and
//! writes a report. The test runs it with the binary under test on a copy of the fixtures (the
//! script copies them into its work directory) and requires the report to be the committed
//! `docs/evidence/pilot-report.md`, byte for byte: that is what shows the committed report is the
//! output of a real run. The run is deterministic (pinned `TASKS_NOW`, no git configuration of
//! the user's, nothing machine-dependent in the report), so nothing is masked.
//!
//! After a change that moves a number, regenerate the report and commit it:
//! `cargo build && scripts/pilot.sh --tasks target/debug/tasks`.

use std::path::Path;
use std::process::{Command, Stdio};

const CRITERIA_ROWS: [&str; 5] = [
    "| File reads per agent | ≤ 5 |",
    "| Repeated warnings per task | ≤ 1 |",
    "| QA artifact coverage | 100 % |",
    "| Prompt size saving | ≥ 15 % |",
    "| JSON parse failures | 0 |",
];

/// The first line where two texts differ, with its neighbours, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let at = (0..e.len().max(a.len()))
        .find(|&i| e.get(i) != a.get(i))
        .unwrap_or(e.len());
    let show = |lines: &[&str]| {
        (at.saturating_sub(2)..(at + 3).min(lines.len()))
            .map(|i| format!("  {:4} {}", i + 1, lines[i]))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {}\ncommitted:\n{}\nthis run:\n{}",
        at + 1,
        show(&e),
        show(&a)
    )
}

#[test]
fn the_pilot_reproduces_the_committed_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("work");
    let report = dir.path().join("report.md");
    let mut command = Command::new("bash");
    command
        .arg(root.join("scripts/pilot.sh"))
        .arg("--tasks")
        .arg(env!("CARGO_BIN_EXE_tasks"))
        .arg("--workdir")
        .arg(&work)
        .arg("--report")
        .arg(&report)
        .current_dir(root)
        .stdin(Stdio::null());
    // The script isolates itself (it unsets these and pins the clock and git); removing them
    // here too keeps a developer's own settings out of the test whatever the script does.
    for var in [
        "TASKS_NOW",
        "TASKS_AGENT",
        "TASKS_TASK",
        "TASKS_TELEMETRY",
        "TASKS_SESSION_ID",
    ] {
        command.env_remove(var);
    }
    let out = command.output().expect("run bash scripts/pilot.sh");
    assert!(
        out.status.success(),
        "scripts/pilot.sh failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let fresh = std::fs::read_to_string(&report).expect("the report was written");
    for row in CRITERIA_ROWS {
        assert!(
            fresh.lines().any(|line| line.starts_with(row)),
            "the report has no row {row:?}:\n{fresh}"
        );
    }
    assert!(fresh.contains("**The agents are scripted.**"), "{fresh}");
    assert!(fresh.contains("## Criteria not met"), "{fresh}");

    for arm in ["baseline", "hardened"] {
        let json = std::fs::read_to_string(work.join(format!("{arm}-dashboard.json")))
            .unwrap_or_else(|e| panic!("{arm}-dashboard.json: {e}"));
        let doc: serde_json::Value = serde_json::from_str(&json).expect("the dashboard is JSON");
        assert_eq!(doc["total_tasks"], 2, "{arm}: {json}");
        let html = std::fs::read_to_string(work.join(format!("{arm}-dashboard.html")))
            .unwrap_or_else(|e| panic!("{arm}-dashboard.html: {e}"));
        assert!(html.starts_with("<!DOCTYPE html>"), "{arm}: {html}");
        assert!(
            html.contains("TASK-0201") && html.contains("TASK-0202"),
            "{arm}"
        );
    }
    // The fixtures are copied, never worked on in place.
    assert!(!root.join("fixtures/pilot/.agent-output").exists());
    assert!(!root.join("fixtures/pilot/.git").exists());

    let committed = std::fs::read_to_string(root.join("docs/evidence/pilot-report.md"))
        .expect("docs/evidence/pilot-report.md is committed");
    assert!(
        fresh == committed,
        "docs/evidence/pilot-report.md is not the output of this run of scripts/pilot.sh; \
         regenerate it (cargo build && scripts/pilot.sh --tasks target/debug/tasks) and \
         review the change\n{}",
        first_difference(&committed, &fresh)
    );
}
