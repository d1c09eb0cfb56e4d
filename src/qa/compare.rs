//! QA results and their comparison (contract D7, schemas §4.3): a current result against the
//! baseline result with the same `command_id`.

use super::parse::Summary;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One QA command's result (schemas §4.1), as kept in
/// `immutable.validation_baseline.initial_results.results` and `coordination.<role>.qa_results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QaResult {
    pub command_id: String,
    pub command: String,
    /// Null in results of `tasks.py` recorded without `--exit-code`.
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub duration_ms: u64,
    /// `lint`, `typecheck`, `test` or `coverage` (absent when it could not be told).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_type: Option<String>,
    /// True when no `--exit-code` was given and it was derived from the log.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exit_code_inferred: bool,
    /// The copy of the log kept in the task's evidence (repo-relative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_sha256: Option<String>,
    /// The log as it was named on the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_log_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_sha: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `immutable.validation_baseline.initial_results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QaResults {
    pub recorded_at: String,
    pub agent: Option<String>,
    #[serde(default)]
    pub git_sha: Option<String>,
    #[serde(default)]
    pub results: Vec<QaResult>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl QaResults {
    /// Put `result` in place of the one with the same `command_id` (the last of them, if the
    /// reference left duplicates), or add it. True when one was replaced.
    pub fn upsert(&mut self, result: QaResult) -> bool {
        match self
            .results
            .iter()
            .rposition(|r| r.command_id == result.command_id)
        {
            Some(i) => {
                self.results[i] = result;
                true
            }
            None => {
                self.results.push(result);
                false
            }
        }
    }

    /// The baseline of a command id (the last entry wins, as in the reference).
    pub fn get(&self, command_id: &str) -> Option<&QaResult> {
        self.results
            .iter()
            .rev()
            .find(|r| r.command_id == command_id)
    }
}

/// One difference between a baseline and a current result.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub command_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The baseline's number (an exit code, a count, a coverage percentage).
    #[schemars(schema_with = "crate::schema::number_or_null")]
    pub baseline: Value,
    /// The new run's number.
    #[schemars(schema_with = "crate::schema::number_or_null")]
    pub current: Value,
    /// How much worse (regressions) or better (improvements), never negative; null for a change
    /// of exit code.
    #[schemars(schema_with = "crate::schema::number_or_null")]
    pub delta: Value,
    /// Regressions only: `error` or `warning` (coverage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub has_drift: bool,
    pub regressions: Vec<Change>,
    pub improvements: Vec<Change>,
}

/// Coverage may fall this many points before it is a regression (and must rise more than this
/// to be an improvement).
pub const COVERAGE_TOLERANCE: f64 = 1.0;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// D7: exit code 0 → non-zero; more lint errors, type errors or failed tests; coverage lines or
/// branches down by more than [`COVERAGE_TOLERANCE`] points. The reverse of each is an
/// improvement. A value missing on either side is not compared.
pub fn compare(baseline: &QaResult, current: &QaResult) -> Comparison {
    let id = &current.command_id;
    let mut out = Comparison::default();
    let change = |kind: String, b: Value, c: Value, delta: Value, severity| Change {
        command_id: id.clone(),
        kind,
        baseline: b,
        current: c,
        delta,
        severity,
    };
    if let (Some(b), Some(c)) = (baseline.exit_code, current.exit_code) {
        if b == 0 && c != 0 {
            out.regressions.push(change(
                "exit_code_regression".into(),
                b.into(),
                c.into(),
                Value::Null,
                Some("error"),
            ));
        } else if b != 0 && c == 0 {
            out.improvements.push(change(
                "exit_code_improvement".into(),
                b.into(),
                c.into(),
                Value::Null,
                None,
            ));
        }
    }
    if let (Some(bs), Some(cs)) = (&baseline.summary, &current.summary) {
        for (name, b, c) in [
            ("lint_errors", bs.lint_errors, cs.lint_errors),
            ("type_errors", bs.type_errors, cs.type_errors),
            ("tests_failed", bs.tests_failed, cs.tests_failed),
        ] {
            let (Some(b), Some(c)) = (b, c) else { continue };
            if c > b {
                out.regressions.push(change(
                    format!("{name}_increased"),
                    b.into(),
                    c.into(),
                    (c - b).into(),
                    Some("error"),
                ));
            } else if c < b {
                out.improvements.push(change(
                    format!("{name}_decreased"),
                    b.into(),
                    c.into(),
                    (b - c).into(),
                    None,
                ));
            }
        }
        if let (Some(bc), Some(cc)) = (&bs.coverage, &cs.coverage) {
            for (name, b, c) in [
                ("lines", bc.lines, cc.lines),
                ("branches", bc.branches, cc.branches),
            ] {
                let (Some(b), Some(c)) = (b, c) else { continue };
                if c < b - COVERAGE_TOLERANCE {
                    out.regressions.push(change(
                        format!("coverage_{name}_dropped"),
                        b.into(),
                        c.into(),
                        round2(b - c).into(),
                        Some("warning"),
                    ));
                } else if c > b + COVERAGE_TOLERANCE {
                    out.improvements.push(change(
                        format!("coverage_{name}_improved"),
                        b.into(),
                        c.into(),
                        round2(c - b).into(),
                        None,
                    ));
                }
            }
        }
    }
    out.has_drift = !out.regressions.is_empty();
    out
}

#[cfg(test)]
#[path = "tests/compare.rs"]
mod tests;
