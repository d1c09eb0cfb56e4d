//! Metrics of the five success criteria (schemas §10, 04 §8, issue 14), computed from a task's
//! telemetry, its context's QA baseline and, optionally, a prompt-size baseline. Pure: the
//! command layer reads the files and writes `metrics.json`.
//!
//! The criteria: file reads per agent ≤ 5; at most 1 repeated warning per task; every required
//! pipeline command with a stored log (100 % QA artifact coverage); prompt size saving ≥ 15 %;
//! no JSON parse failure.

pub mod compare;
pub mod dashboard;
pub mod html;
pub mod task;

use crate::telemetry::{BYTES_PER_TOKEN, Level, Telemetry, parse_time};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const TARGET_FILE_READS: f64 = 5.0;
pub const TARGET_REPEATED_WARNINGS: u64 = 1;
pub const TARGET_QA_COVERAGE: f64 = 100.0;
pub const TARGET_PROMPT_SAVINGS: f64 = 15.0;

/// The criteria, in the order every report lists them.
pub const CRITERIA: [&str; 5] = [
    "file_reads_per_agent",
    "repeated_warnings",
    "qa_artifact_coverage",
    "prompt_size_savings",
    "json_parse_failures",
];

/// What a person reads for each criterion.
pub fn criterion_label(name: &str) -> &'static str {
    match name {
        "file_reads_per_agent" => "File reads per agent (≤ 5)",
        "repeated_warnings" => "Repeated warnings per task (≤ 1)",
        "qa_artifact_coverage" => "QA artifact coverage (100 %)",
        "prompt_size_savings" => "Prompt size saving (≥ 15 %)",
        "json_parse_failures" => "JSON parse failures (0)",
        _ => "",
    }
}

/// The required pipeline commands of a task and which have a stored log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QaCoverage {
    pub commands: Vec<QaCommand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct QaCommand {
    pub command_id: String,
    pub command: String,
    /// The stored log (repo-relative), when there is one.
    pub log_path: Option<String>,
    /// Whether its recorded result passed (its exit code one the pipeline expects); `None`
    /// without a result.
    pub passed: Option<bool>,
}

/// A prompt-size baseline (`--baseline-path`): `{"prompt_tokens": N}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    pub prompt_tokens: u64,
}

/// Everything one task's metrics are computed from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub task_id: &'a str,
    /// The task's telemetry files, in file-name order.
    pub telemetry: &'a [Telemetry],
    pub qa: &'a QaCoverage,
    pub baseline: Option<Baseline>,
    pub now: &'a str,
}

/// `metrics.json`: `tasks.py`'s flat fields (same names and order), computed correctly, then
/// the `metrics` object (schemas §10.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub task_id: String,
    pub duration_minutes: f64,
    pub agents_run: Vec<String>,
    pub total_file_reads: u64,
    pub file_reads_by_agent: BTreeMap<String, u64>,
    pub avg_file_reads_per_agent: f64,
    pub total_cache_hits: u64,
    pub total_cache_misses: u64,
    pub cache_hit_rate: f64,
    pub estimated_tokens_saved: u64,
    /// Required pipeline commands.
    pub qa_commands_run: u64,
    /// Of those, the ones with a stored log.
    pub qa_commands_with_logs: u64,
    pub qa_artifact_coverage: f64,
    pub total_warnings: u64,
    pub repeated_warnings: u64,
    pub json_calls: u64,
    pub json_parse_failures: u64,
    pub baseline_prompt_tokens: Option<u64>,
    pub current_prompt_tokens: Option<u64>,
    pub prompt_size_savings_pct: Option<f64>,
    pub success_criteria_met: CriteriaMet,
    pub timestamp: String,
    /// The first and last moment of telemetry (the dashboard's date of the task).
    pub first_activity: Option<String>,
    pub last_activity: Option<String>,
    pub metrics: TaskMetrics,
}

/// `success_criteria_met`, in `tasks.py`'s key order. `null`: nothing to judge it on — no
/// telemetry (reads, warnings, JSON), no required pipeline command (QA); the prompt saving is
/// left out when no context was read and no baseline given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CriteriaMet {
    pub file_reads_per_agent: Option<bool>,
    pub repeated_warnings: Option<bool>,
    pub qa_artifact_coverage: Option<bool>,
    pub json_parse_failures: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_size_savings: Option<bool>,
}

/// The `metrics` (schemas §10.1): each criterion with its numbers, target and `target_met`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaskMetrics {
    pub file_read_reduction: FileReadReduction,
    pub warning_noise: WarningNoise,
    pub qa_artifact_availability: QaAvailability,
    /// Null when no context was read and no baseline was given.
    pub prompt_size_savings: Option<PromptSavings>,
    pub json_output_reliability: JsonReliability,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileReadReduction {
    pub implementer_reads: u64,
    pub reviewer_reads: u64,
    pub validator_reads: u64,
    pub average_reads_per_agent: f64,
    pub target: f64,
    pub target_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WarningNoise {
    pub total_warnings: u64,
    pub unique_warnings: u64,
    pub repeated_warnings: u64,
    pub target: u64,
    pub target_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QaAvailability {
    pub required_commands: u64,
    pub commands_with_logs: u64,
    pub coverage_percent: f64,
    /// Required commands without a stored log.
    pub missing_logs: Vec<String>,
    /// Required commands whose recorded result failed (a log is there, the command did not
    /// pass: coverage says the evidence exists, not that it is good).
    #[serde(default)]
    pub failed_commands: Vec<String>,
    pub target: f64,
    pub target_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PromptSavings {
    pub baseline_kb: f64,
    pub current_kb: f64,
    pub reduction_percent: f64,
    pub target: f64,
    pub target_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JsonReliability {
    pub total_json_calls: u64,
    pub parse_failures: u64,
    /// Calls parsed ÷ calls, 0–1 (1 with no call).
    pub reliability_rate: f64,
    pub target: u64,
    pub target_met: Option<bool>,
}

/// Documents parsed ÷ documents, 0–1: a parse failure is a document too, whether or not its
/// call was counted (1 with none).
pub fn reliability(calls: u64, failures: u64) -> f64 {
    let documents = calls.max(failures);
    if documents > 0 {
        1.0 - failures as f64 / documents as f64
    } else {
        1.0
    }
}

/// `part ÷ whole × 100`, 0 when `whole` is 0.
fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

/// Compute one task's summary.
pub fn collect(input: &Input) -> Summary {
    let files = input.telemetry;
    let agents_run: Vec<String> = files.iter().map(|t| t.agent_role.clone()).collect();
    let mut by_agent: BTreeMap<String, u64> = BTreeMap::new();
    for t in files {
        *by_agent.entry(t.agent_role.clone()).or_insert(0) += t.metrics.file_operations.read_calls;
    }
    let sum = |f: &dyn Fn(&Telemetry) -> u64| files.iter().map(f).fold(0u64, u64::saturating_add);
    let total_reads = sum(&|t| t.metrics.file_operations.read_calls);
    let avg_reads = if files.is_empty() {
        0.0
    } else {
        total_reads as f64 / files.len() as f64
    };
    let hits = sum(&|t| t.metrics.cache_operations.cache_hits);
    let misses = sum(&|t| t.metrics.cache_operations.cache_misses);
    let hit_rate = if hits + misses > 0 {
        hits as f64 / (hits + misses) as f64
    } else {
        0.0
    };
    let tokens_saved = sum(&|t| t.metrics.cache_operations.token_savings_estimate);

    // Warnings (not errors): every occurrence, and how many were a message seen before.
    let mut total_warnings = 0u64;
    let mut distinct = BTreeSet::new();
    for w in files.iter().flat_map(|t| &t.warnings) {
        if w.level == Level::Warning {
            total_warnings = total_warnings.saturating_add(w.count);
            distinct.insert(w.message.as_str());
        }
    }
    let unique = distinct.len() as u64;
    let repeated = total_warnings.saturating_sub(unique);

    let json_calls = sum(&|t| t.metrics.json_calls);
    let json_failures = sum(&|t| t.metrics.json_parse_failures);

    let required = input.qa.commands.len() as u64;
    let with_logs = input
        .qa
        .commands
        .iter()
        .filter(|c| c.log_path.is_some())
        .count() as u64;
    let coverage = percent(with_logs as f64, required as f64);

    // Prompt size: bytes served by context reads against the bytes of the files they stand
    // for. A baseline file gives the size to compare with instead; without context reads the
    // current size is then the baseline less the tokens saved (all that tasks.py's flat
    // telemetry knows). Nothing to measure: null.
    let served = sum(&|t| t.metrics.cache_operations.bytes_served);
    let source = sum(&|t| t.metrics.cache_operations.source_bytes);
    let reads = sum(&|t| t.metrics.cache_operations.context_reads);
    let (baseline_bytes, current_bytes) = match input.baseline {
        Some(b) => {
            let baseline = b.prompt_tokens.saturating_mul(BYTES_PER_TOKEN);
            if reads > 0 {
                (Some(baseline), Some(served))
            } else if tokens_saved > 0 {
                let saved = tokens_saved.saturating_mul(BYTES_PER_TOKEN);
                (Some(baseline), Some(baseline.saturating_sub(saved)))
            } else {
                (Some(baseline), None)
            }
        }
        None if reads > 0 && source > 0 => (Some(source), Some(served)),
        None => (None, None),
    };
    let baseline_tokens = baseline_bytes.map(|b| b / BYTES_PER_TOKEN);
    let current_tokens = current_bytes.map(|c| c / BYTES_PER_TOKEN);
    let savings_pct = match (baseline_bytes, current_bytes) {
        (Some(b), Some(c)) if b > 0 => Some((1.0 - c as f64 / b as f64) * 100.0),
        _ => None,
    };

    let mut times: Vec<chrono::DateTime<chrono::Utc>> = files
        .iter()
        .flat_map(|t| t.times())
        .filter_map(parse_time)
        .collect();
    times.sort();
    let duration_minutes = match (times.first(), times.last()) {
        (Some(a), Some(b)) if times.len() >= 2 => (*b - *a).num_milliseconds() as f64 / 60_000.0,
        _ => 0.0,
    };

    // Nothing to judge a criterion on is no verdict, not a pass.
    let measured = !files.is_empty();
    let reads_ok = measured.then_some(avg_reads <= TARGET_FILE_READS);
    let warnings_ok = measured.then_some(repeated <= TARGET_REPEATED_WARNINGS);
    let qa_ok = (required > 0).then_some(coverage >= TARGET_QA_COVERAGE);
    let json_ok = measured.then_some(json_failures == 0);
    let savings_ok = savings_pct.map(|p| p >= TARGET_PROMPT_SAVINGS);
    let role_reads = |role: &str| by_agent.get(role).copied().unwrap_or(0);
    let kb = |bytes: u64| bytes as f64 / 1024.0;
    Summary {
        task_id: input.task_id.to_string(),
        duration_minutes,
        agents_run,
        total_file_reads: total_reads,
        avg_file_reads_per_agent: avg_reads,
        total_cache_hits: hits,
        total_cache_misses: misses,
        cache_hit_rate: hit_rate,
        estimated_tokens_saved: tokens_saved,
        qa_commands_run: required,
        qa_commands_with_logs: with_logs,
        qa_artifact_coverage: coverage,
        total_warnings,
        repeated_warnings: repeated,
        json_calls,
        json_parse_failures: json_failures,
        baseline_prompt_tokens: baseline_tokens,
        current_prompt_tokens: current_tokens,
        prompt_size_savings_pct: savings_pct,
        success_criteria_met: CriteriaMet {
            file_reads_per_agent: reads_ok,
            repeated_warnings: warnings_ok,
            qa_artifact_coverage: qa_ok,
            json_parse_failures: json_ok,
            prompt_size_savings: savings_ok,
        },
        timestamp: input.now.to_string(),
        first_activity: times.first().map(|t| crate::clock::iso(*t)),
        last_activity: times.last().map(|t| crate::clock::iso(*t)),
        metrics: TaskMetrics {
            file_read_reduction: FileReadReduction {
                implementer_reads: role_reads("implementer"),
                reviewer_reads: role_reads("reviewer"),
                validator_reads: role_reads("validator"),
                average_reads_per_agent: avg_reads,
                target: TARGET_FILE_READS,
                target_met: reads_ok,
            },
            warning_noise: WarningNoise {
                total_warnings,
                unique_warnings: unique,
                repeated_warnings: repeated,
                target: TARGET_REPEATED_WARNINGS,
                target_met: warnings_ok,
            },
            qa_artifact_availability: QaAvailability {
                required_commands: required,
                commands_with_logs: with_logs,
                coverage_percent: coverage,
                missing_logs: (input.qa.commands.iter())
                    .filter(|c| c.log_path.is_none())
                    .map(|c| c.command_id.clone())
                    .collect(),
                failed_commands: (input.qa.commands.iter())
                    .filter(|c| c.passed == Some(false))
                    .map(|c| c.command_id.clone())
                    .collect(),
                target: TARGET_QA_COVERAGE,
                target_met: qa_ok,
            },
            prompt_size_savings: savings_pct.map(|pct| PromptSavings {
                baseline_kb: kb(baseline_bytes.unwrap_or(0)),
                current_kb: kb(current_bytes.unwrap_or(0)),
                reduction_percent: pct,
                target: TARGET_PROMPT_SAVINGS,
                target_met: Some(pct >= TARGET_PROMPT_SAVINGS),
            }),
            json_output_reliability: JsonReliability {
                total_json_calls: json_calls,
                parse_failures: json_failures,
                reliability_rate: reliability(json_calls, json_failures),
                target: 0,
                target_met: json_ok,
            },
        },
        file_reads_by_agent: by_agent,
    }
}

impl Summary {
    /// Whether each criterion is met (`None`: nothing to measure it on), in [`CRITERIA`] order.
    pub fn criteria(&self) -> [(&'static str, Option<bool>); 5] {
        let c = &self.success_criteria_met;
        [
            (CRITERIA[0], c.file_reads_per_agent),
            (CRITERIA[1], c.repeated_warnings),
            (CRITERIA[2], c.qa_artifact_coverage),
            (CRITERIA[3], c.prompt_size_savings),
            (CRITERIA[4], c.json_parse_failures),
        ]
    }

    /// The measured value of each criterion, in [`CRITERIA`] order (`None`: no data).
    pub fn values(&self) -> [Option<f64>; 5] {
        let c = &self.success_criteria_met;
        [
            c.file_reads_per_agent
                .map(|_| self.avg_file_reads_per_agent),
            c.repeated_warnings.map(|_| self.repeated_warnings as f64),
            c.qa_artifact_coverage.map(|_| self.qa_artifact_coverage),
            self.prompt_size_savings_pct,
            c.json_parse_failures
                .map(|_| self.json_parse_failures as f64),
        ]
    }
}

#[cfg(test)]
#[path = "tests/collect.rs"]
mod tests;
