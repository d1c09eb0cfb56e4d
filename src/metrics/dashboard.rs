//! The rollup of several tasks' metrics (schemas §10.2, 04 §8.3): `tasks.py`'s flat fields,
//! computed correctly, plus `aggregate_metrics` with compliance rates, `trend_data` per day and
//! one point per task. Pure.

use super::{
    CRITERIA, Summary, TARGET_FILE_READS, TARGET_PROMPT_SAVINGS, TARGET_QA_COVERAGE,
    TARGET_REPEATED_WARNINGS,
};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// The share of agents that must read ≤ 5 files for the dashboard's file-read criterion.
pub const AGENTS_MEETING_READS: f64 = 80.0;

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Dashboard {
    pub total_tasks: usize,
    pub tasks_analyzed: Vec<String>,
    /// Means and shares over the tasks that have data for the criterion (null when none has).
    pub avg_file_reads_per_agent: Option<f64>,
    /// % of agents (task and role) with ≤ 5 file reads.
    pub agents_meeting_file_read_target: Option<f64>,
    pub avg_repeated_warnings: Option<f64>,
    /// % of tasks with ≤ 1 repeated warning.
    pub tasks_meeting_warning_target: Option<f64>,
    pub avg_qa_coverage: Option<f64>,
    /// % of tasks with 100 % QA artifact coverage.
    pub tasks_meeting_qa_target: Option<f64>,
    /// Mean saving of the tasks that have one; null when none has.
    pub avg_prompt_savings: Option<f64>,
    pub total_json_parse_failures: u64,
    /// % of JSON documents parsed (100 with none).
    pub json_reliability: f64,
    pub all_criteria_met: bool,
    pub criteria_pass_summary: CriteriaPass,
    pub generated_at: String,
    /// The `--from`/`--to` window (dates, inclusive), when one was given.
    pub period: Period,
    pub aggregate_metrics: Aggregate,
    pub trend_data: Vec<TrendPoint>,
    pub tasks: Vec<TaskPoint>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Each criterion across the tasks; a criterion no task has data for is left out.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CriteriaPass {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_reads_per_agent: Option<Pass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated_warnings: Option<Pass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qa_artifact_coverage: Option<Pass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_parse_failures: Option<Pass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_size_savings: Option<Pass>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Pass {
    pub met: bool,
    pub target: String,
    pub actual: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Aggregate {
    pub file_read_reduction: Compliance,
    pub warning_noise: WarningCompliance,
    pub qa_artifact_availability: Compliance,
    pub prompt_size_savings: Compliance,
    pub json_output_reliability: JsonTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Compliance {
    /// The mean of the tasks that have a value (null when none has).
    pub average: Option<f64>,
    pub target: f64,
    pub tasks_with_data: usize,
    pub tasks_meeting_target: usize,
    /// `tasks_meeting_target ÷ tasks_with_data`, 0–1 (null with no data).
    pub compliance_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct WarningCompliance {
    pub average_unique_warnings: Option<f64>,
    pub average_repeated_warnings: Option<f64>,
    pub target: u64,
    pub tasks_with_data: usize,
    pub tasks_meeting_target: usize,
    pub compliance_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JsonTotals {
    pub total_calls: u64,
    pub parse_failures: u64,
    /// Parsed ÷ calls, 0–1 (1 with no call).
    pub reliability_rate: f64,
}

/// One day: the mean of each criterion over the tasks whose last activity fell on it and that
/// have data for it (null: none has).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TrendPoint {
    pub date: String,
    pub tasks: usize,
    pub file_reads_per_agent: Option<f64>,
    pub repeated_warnings: Option<f64>,
    pub qa_artifact_coverage: Option<f64>,
    pub prompt_size_savings: Option<f64>,
    pub json_parse_failures: Option<u64>,
}

/// One task: its values and whether each criterion is met (null: nothing to measure).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TaskPoint {
    pub task_id: String,
    /// The day of its last telemetry (UTC), when it has any.
    pub date: Option<String>,
    pub agents: usize,
    pub file_reads_per_agent: Option<f64>,
    pub repeated_warnings: Option<u64>,
    pub unique_warnings: u64,
    pub qa_artifact_coverage: Option<f64>,
    pub prompt_size_savings: Option<f64>,
    pub json_calls: u64,
    pub json_parse_failures: Option<u64>,
    pub criteria: BTreeMap<&'static str, Option<bool>>,
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn share(part: usize, whole: usize) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64 * 100.0
    } else {
        0.0
    }
}

fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The day (UTC) of a summary's last activity.
pub fn day_of(summary: &Summary) -> Option<NaiveDate> {
    summary
        .last_activity
        .as_deref()
        .and_then(crate::telemetry::parse_time)
        .map(|t| t.date_naive())
}

/// Whether a summary's day is within `from..=to` (a summary without activity is outside any
/// window).
pub fn in_window(summary: &Summary, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    if from.is_none() && to.is_none() {
        return true;
    }
    day_of(summary).is_some_and(|d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t))
}

/// The tasks with data for criterion `i` (of [`CRITERIA`]), with their value and verdict.
fn measured(summaries: &[Summary], i: usize) -> Vec<(&Summary, f64, bool)> {
    summaries
        .iter()
        .filter_map(|s| match (s.values()[i], s.criteria()[i].1) {
            (Some(v), Some(met)) => Some((s, v, met)),
            _ => None,
        })
        .collect()
}

/// Build the dashboard of `summaries` (at least one).
pub fn build(summaries: &[Summary], period: Period, now: &str) -> Dashboard {
    let n = summaries.len();
    let reads = measured(summaries, 0);
    let warnings = measured(summaries, 1);
    let qa = measured(summaries, 2);
    let savings = measured(summaries, 3);
    let json = measured(summaries, 4);
    let met = |m: &[(&Summary, f64, bool)]| m.iter().filter(|(_, _, ok)| *ok).count();
    let avg = |m: &[(&Summary, f64, bool)]| mean(m.iter().map(|(_, v, _)| *v));

    // Agents: every role of every task with telemetry, each counted once on both sides.
    let agents: Vec<u64> = reads
        .iter()
        .flat_map(|(s, _, _)| s.file_reads_by_agent.values().copied())
        .collect();
    let agents_ok = agents
        .iter()
        .filter(|r| **r as f64 <= TARGET_FILE_READS)
        .count();
    let agents_pct = (!agents.is_empty()).then(|| share(agents_ok, agents.len()));
    let warn_pct = (!warnings.is_empty()).then(|| share(met(&warnings), warnings.len()));
    let qa_pct = (!qa.is_empty()).then(|| share(met(&qa), qa.len()));
    let avg_savings = avg(&savings);
    let total = |f: fn(&Summary) -> u64| summaries.iter().map(f).fold(0u64, u64::saturating_add);
    let calls = total(|s| s.json_calls);
    let failures = total(|s| s.json_parse_failures);
    let reliability = super::reliability(calls, failures);

    let criteria = CriteriaPass {
        file_reads_per_agent: agents_pct.map(|pct| Pass {
            met: pct >= AGENTS_MEETING_READS,
            target: format!("≥{AGENTS_MEETING_READS:.1}% of agents ≤{TARGET_FILE_READS} reads"),
            actual: format!("{pct:.1}%"),
        }),
        repeated_warnings: warn_pct.map(|pct| Pass {
            met: pct >= 100.0,
            target: format!("100% of tasks ≤{TARGET_REPEATED_WARNINGS} repeated warning"),
            actual: format!("{pct:.1}%"),
        }),
        qa_artifact_coverage: qa_pct.map(|pct| Pass {
            met: pct >= 100.0,
            target: format!("100% of tasks with {TARGET_QA_COVERAGE}% coverage"),
            actual: format!("{pct:.1}%"),
        }),
        json_parse_failures: (!json.is_empty()).then(|| Pass {
            met: failures == 0,
            target: "0 failures".into(),
            actual: format!("{failures} failures"),
        }),
        prompt_size_savings: avg_savings.map(|avg| Pass {
            met: avg >= TARGET_PROMPT_SAVINGS,
            target: format!("≥{TARGET_PROMPT_SAVINGS}% average savings"),
            actual: format!("{avg:.1}%"),
        }),
    };
    let judged = [
        &criteria.file_reads_per_agent,
        &criteria.repeated_warnings,
        &criteria.qa_artifact_coverage,
        &criteria.json_parse_failures,
        &criteria.prompt_size_savings,
    ];
    let all_met = judged.iter().any(|p| p.is_some())
        && judged.iter().all(|p| p.as_ref().is_none_or(|p| p.met));

    let mut days: BTreeMap<NaiveDate, Vec<Summary>> = BTreeMap::new();
    for s in summaries {
        if let Some(day) = day_of(s) {
            days.entry(day).or_default().push(s.clone());
        }
    }
    let trend_data = days
        .into_iter()
        .map(|(date, tasks)| {
            let day_mean = |i: usize| avg(&measured(&tasks, i));
            let day_json = measured(&tasks, 4);
            TrendPoint {
                date: date.to_string(),
                tasks: tasks.len(),
                file_reads_per_agent: day_mean(0),
                repeated_warnings: day_mean(1),
                qa_artifact_coverage: day_mean(2),
                prompt_size_savings: day_mean(3),
                json_parse_failures: (!day_json.is_empty()).then(|| {
                    (day_json.iter())
                        .map(|(s, _, _)| s.json_parse_failures)
                        .fold(0u64, u64::saturating_add)
                }),
            }
        })
        .collect();

    let compliance = |m: &[(&Summary, f64, bool)], target: f64| Compliance {
        average: avg(m),
        target,
        tasks_with_data: m.len(),
        tasks_meeting_target: met(m),
        compliance_rate: rate(met(m), m.len()),
    };
    Dashboard {
        total_tasks: n,
        tasks_analyzed: summaries.iter().map(|s| s.task_id.clone()).collect(),
        avg_file_reads_per_agent: avg(&reads),
        agents_meeting_file_read_target: agents_pct,
        avg_repeated_warnings: avg(&warnings),
        tasks_meeting_warning_target: warn_pct,
        avg_qa_coverage: avg(&qa),
        tasks_meeting_qa_target: qa_pct,
        avg_prompt_savings: avg_savings,
        total_json_parse_failures: failures,
        json_reliability: reliability * 100.0,
        all_criteria_met: all_met,
        criteria_pass_summary: criteria,
        generated_at: now.to_string(),
        period,
        aggregate_metrics: Aggregate {
            file_read_reduction: compliance(&reads, TARGET_FILE_READS),
            warning_noise: WarningCompliance {
                average_unique_warnings: mean(
                    warnings
                        .iter()
                        .map(|(s, _, _)| s.metrics.warning_noise.unique_warnings as f64),
                ),
                average_repeated_warnings: avg(&warnings),
                target: TARGET_REPEATED_WARNINGS,
                tasks_with_data: warnings.len(),
                tasks_meeting_target: met(&warnings),
                compliance_rate: rate(met(&warnings), warnings.len()),
            },
            qa_artifact_availability: compliance(&qa, TARGET_QA_COVERAGE),
            prompt_size_savings: compliance(&savings, TARGET_PROMPT_SAVINGS),
            json_output_reliability: JsonTotals {
                total_calls: calls,
                parse_failures: failures,
                reliability_rate: reliability,
            },
        },
        trend_data,
        tasks: summaries.iter().map(point).collect(),
    }
}

fn point(s: &Summary) -> TaskPoint {
    let v = s.values();
    TaskPoint {
        task_id: s.task_id.clone(),
        date: day_of(s).map(|d| d.to_string()),
        agents: s.agents_run.len(),
        file_reads_per_agent: v[0],
        repeated_warnings: v[1].map(|_| s.repeated_warnings),
        unique_warnings: s.metrics.warning_noise.unique_warnings,
        qa_artifact_coverage: v[2],
        prompt_size_savings: v[3],
        json_calls: s.json_calls,
        json_parse_failures: v[4].map(|_| s.json_parse_failures),
        criteria: s.criteria().into_iter().collect(),
    }
}

impl Dashboard {
    /// Each criterion across the tasks — met (`None`: no data), its target and what was
    /// measured — in [`CRITERIA`] order.
    pub fn criteria(&self) -> [(&'static str, Option<bool>, String); 5] {
        let c = &self.criteria_pass_summary;
        let row = |name: &'static str, pass: &Option<Pass>| {
            (
                name,
                pass.as_ref().map(|p| p.met),
                pass.as_ref()
                    .map_or("no data".to_string(), |p| p.actual.clone()),
            )
        };
        [
            row(CRITERIA[0], &c.file_reads_per_agent),
            row(CRITERIA[1], &c.repeated_warnings),
            row(CRITERIA[2], &c.qa_artifact_coverage),
            row(CRITERIA[3], &c.prompt_size_savings),
            row(CRITERIA[4], &c.json_parse_failures),
        ]
    }

    /// The target of each criterion as the dashboard judges it, in [`CRITERIA`] order.
    pub fn targets(&self) -> [String; 5] {
        [
            format!("≥{AGENTS_MEETING_READS:.0}% of agents ≤ {TARGET_FILE_READS} reads"),
            format!("all tasks ≤ {TARGET_REPEATED_WARNINGS} repeated"),
            format!("all tasks at {TARGET_QA_COVERAGE}%"),
            format!("average ≥ {TARGET_PROMPT_SAVINGS}%"),
            "0 failures".to_string(),
        ]
    }
}
