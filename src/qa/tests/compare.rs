use super::*;
use crate::qa::parse::Coverage;

fn result(exit: Option<i64>, summary: Summary) -> QaResult {
    QaResult {
        command_id: "lint".into(),
        command: "pnpm lint".into(),
        exit_code: exit,
        duration_ms: 0,
        command_type: Some("lint".into()),
        exit_code_inferred: false,
        log_path: None,
        log_sha256: None,
        source_log_path: None,
        summary: Some(summary),
        recorded_at: None,
        agent: None,
        git_sha: None,
        extra: Map::new(),
    }
}

fn counts(lint: u64, types: u64, failed: u64, lines: f64, branches: f64) -> Summary {
    Summary {
        lint_errors: Some(lint),
        type_errors: Some(types),
        tests_failed: Some(failed),
        coverage: Some(Coverage {
            lines: Some(lines),
            branches: Some(branches),
            ..Coverage::default()
        }),
        ..Summary::default()
    }
}

fn kinds(changes: &[Change]) -> Vec<&str> {
    changes.iter().map(|c| c.kind.as_str()).collect()
}

#[test]
fn every_regression_kind() {
    let b = result(Some(0), counts(2, 0, 0, 85.0, 78.0));
    let c = result(Some(1), counts(5, 3, 2, 83.5, 76.0));
    let cmp = compare(&b, &c);
    assert!(cmp.has_drift);
    assert_eq!(
        kinds(&cmp.regressions),
        vec![
            "exit_code_regression",
            "lint_errors_increased",
            "type_errors_increased",
            "tests_failed_increased",
            "coverage_lines_dropped",
            "coverage_branches_dropped"
        ]
    );
    let lint = &cmp.regressions[1];
    assert_eq!(
        (
            lint.baseline.clone(),
            lint.current.clone(),
            lint.delta.clone()
        ),
        (2.into(), 5.into(), 3.into())
    );
    assert_eq!(lint.severity, Some("error"));
    let lines = &cmp.regressions[4];
    assert_eq!(lines.delta, serde_json::json!(1.5));
    assert_eq!(lines.severity, Some("warning"));
    assert!(cmp.improvements.is_empty());
}

#[test]
fn improvements_and_the_coverage_tolerance() {
    let b = result(Some(1), counts(5, 3, 2, 80.0, 70.0));
    let c = result(Some(0), counts(2, 3, 0, 81.0, 72.5));
    let cmp = compare(&b, &c);
    assert!(!cmp.has_drift);
    assert_eq!(
        kinds(&cmp.improvements),
        vec![
            "exit_code_improvement",
            "lint_errors_decreased",
            "tests_failed_decreased",
            "coverage_branches_improved"
        ],
        "a 1.0-point rise of lines is within the tolerance"
    );
    // Exactly 1.0 down: no regression.
    let cmp = compare(
        &result(Some(0), counts(0, 0, 0, 85.0, 80.0)),
        &result(Some(0), counts(0, 0, 0, 84.0, 80.0)),
    );
    assert_eq!(cmp, Comparison::default());
}

#[test]
fn missing_values_are_not_compared() {
    let b = result(
        None,
        Summary {
            lint_errors: Some(1),
            ..Summary::default()
        },
    );
    let c = result(
        Some(2),
        Summary {
            type_errors: Some(9),
            ..Summary::default()
        },
    );
    assert_eq!(compare(&b, &c), Comparison::default());
}

#[test]
fn upsert_replaces_by_command_id() {
    let mut all = QaResults {
        recorded_at: "t".into(),
        agent: None,
        git_sha: None,
        results: vec![result(Some(0), Summary::default())],
        extra: Map::new(),
    };
    let mut other = result(Some(1), Summary::default());
    other.command_id = "test".into();
    assert!(!all.upsert(other));
    assert!(all.upsert(result(Some(3), Summary::default())));
    assert_eq!(all.results.len(), 2);
    assert_eq!(all.get("lint").unwrap().exit_code, Some(3));
}

#[test]
fn reference_results_load() {
    let json = serde_json::json!({
        "command": "lint", "command_id": "da966368", "duration_ms": 0, "exit_code": null,
        "log_path": "/abs/qa/lint_errors.txt", "log_sha256": "6cbb", "summary": {"lint_errors": 5, "lint_warnings": 1}
    });
    let r: QaResult = serde_json::from_value(json).unwrap();
    assert_eq!(r.exit_code, None);
    assert_eq!(r.summary.unwrap().lint_errors, Some(5));
}
