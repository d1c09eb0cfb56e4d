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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub total_tasks: usize,
    pub tasks_analyzed: Vec<String>,
    pub avg_file_reads_per_agent: f64,
    /// % of agents (task and role) with ≤ 5 file reads.
    pub agents_meeting_file_read_target: f64,
    pub avg_repeated_warnings: f64,
    /// % of tasks with ≤ 1 repeated warning.
    pub tasks_meeting_warning_target: f64,
    pub avg_qa_coverage: f64,
    /// % of tasks with 100 % QA artifact coverage.
    pub tasks_meeting_qa_target: f64,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriteriaPass {
    pub file_reads_per_agent: Pass,
    pub repeated_warnings: Pass,
    pub qa_artifact_coverage: Pass,
    pub json_parse_failures: Pass,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_size_savings: Option<Pass>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pass {
    pub met: bool,
    pub target: String,
    pub actual: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregate {
    pub file_read_reduction: Compliance,
    pub warning_noise: WarningCompliance,
    pub qa_artifact_availability: Compliance,
    pub prompt_size_savings: Compliance,
    pub json_output_reliability: JsonTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    /// The mean of the tasks that have a value (null when none has).
    pub average: Option<f64>,
    pub target: f64,
    pub tasks_with_data: usize,
    pub tasks_meeting_target: usize,
    /// `tasks_meeting_target ÷ tasks_with_data`, 0–1 (null with no data).
    pub compliance_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarningCompliance {
    pub average_unique_warnings: f64,
    pub average_repeated_warnings: f64,
    pub target: u64,
    pub tasks_meeting_target: usize,
    pub compliance_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonTotals {
    pub total_calls: u64,
    pub parse_failures: u64,
    /// Parsed ÷ calls, 0–1 (1 with no call).
    pub reliability_rate: f64,
}

/// One day: the mean of each criterion over the tasks whose last activity fell on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub date: String,
    pub tasks: usize,
    pub file_reads_per_agent: f64,
    pub repeated_warnings: f64,
    pub qa_artifact_coverage: f64,
    pub prompt_size_savings: Option<f64>,
    pub json_parse_failures: u64,
}

/// One task: its values and whether each criterion is met (null: nothing to measure).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskPoint {
    pub task_id: String,
    /// The day of its last telemetry (UTC), when it has any.
    pub date: Option<String>,
    pub agents: usize,
    pub file_reads_per_agent: f64,
    pub repeated_warnings: u64,
    pub unique_warnings: u64,
    pub qa_artifact_coverage: f64,
    pub prompt_size_savings: Option<f64>,
    pub json_calls: u64,
    pub json_parse_failures: u64,
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

/// Build the dashboard of `summaries` (at least one).
pub fn build(summaries: &[Summary], period: Period, now: &str) -> Dashboard {
    let n = summaries.len();
    let reads = mean(summaries.iter().map(|s| s.avg_file_reads_per_agent)).unwrap_or(0.0);
    let agents: Vec<u64> = summaries
        .iter()
        .flat_map(|s| s.file_reads_by_agent.values().copied())
        .collect();
    let agents_ok = agents
        .iter()
        .filter(|r| **r as f64 <= TARGET_FILE_READS)
        .count();
    let agents_pct = share(agents_ok, agents.len());
    let repeated = mean(summaries.iter().map(|s| s.repeated_warnings as f64)).unwrap_or(0.0);
    let unique = mean(
        summaries
            .iter()
            .map(|s| s.metrics.warning_noise.unique_warnings as f64),
    )
    .unwrap_or(0.0);
    let warn_ok = summaries
        .iter()
        .filter(|s| s.success_criteria_met.repeated_warnings)
        .count();
    let qa = mean(summaries.iter().map(|s| s.qa_artifact_coverage)).unwrap_or(0.0);
    let qa_ok = summaries
        .iter()
        .filter(|s| s.success_criteria_met.qa_artifact_coverage)
        .count();
    let savings: Vec<f64> = summaries
        .iter()
        .filter_map(|s| s.prompt_size_savings_pct)
        .collect();
    let avg_savings = mean(savings.iter().copied());
    let savings_ok = savings
        .iter()
        .filter(|p| **p >= TARGET_PROMPT_SAVINGS)
        .count();
    let calls: u64 = summaries.iter().map(|s| s.json_calls).sum();
    let failures: u64 = summaries.iter().map(|s| s.json_parse_failures).sum();
    let reliability = if calls > 0 {
        1.0 - failures.min(calls) as f64 / calls as f64
    } else {
        1.0
    };

    let criteria = CriteriaPass {
        file_reads_per_agent: Pass {
            met: agents_pct >= AGENTS_MEETING_READS,
            target: format!("≥{AGENTS_MEETING_READS:.1}% of agents ≤{TARGET_FILE_READS} reads"),
            actual: format!("{agents_pct:.1}%"),
        },
        repeated_warnings: Pass {
            met: warn_ok == n,
            target: format!("100% of tasks ≤{TARGET_REPEATED_WARNINGS} repeated warning"),
            actual: format!("{:.1}%", share(warn_ok, n)),
        },
        qa_artifact_coverage: Pass {
            met: qa_ok == n,
            target: format!("100% of tasks with {TARGET_QA_COVERAGE}% coverage"),
            actual: format!("{:.1}%", share(qa_ok, n)),
        },
        json_parse_failures: Pass {
            met: failures == 0,
            target: "0 failures".into(),
            actual: format!("{failures} failures"),
        },
        prompt_size_savings: avg_savings.map(|avg| Pass {
            met: avg >= TARGET_PROMPT_SAVINGS,
            target: format!("≥{TARGET_PROMPT_SAVINGS}% average savings"),
            actual: format!("{avg:.1}%"),
        }),
    };
    let all_met = criteria.file_reads_per_agent.met
        && criteria.repeated_warnings.met
        && criteria.qa_artifact_coverage.met
        && criteria.json_parse_failures.met
        && criteria.prompt_size_savings.as_ref().is_none_or(|p| p.met);

    let mut days: BTreeMap<NaiveDate, Vec<&Summary>> = BTreeMap::new();
    for s in summaries {
        if let Some(day) = day_of(s) {
            days.entry(day).or_default().push(s);
        }
    }
    let trend_data = days
        .into_iter()
        .map(|(date, tasks)| TrendPoint {
            date: date.to_string(),
            tasks: tasks.len(),
            file_reads_per_agent: mean(tasks.iter().map(|s| s.avg_file_reads_per_agent))
                .unwrap_or(0.0),
            repeated_warnings: mean(tasks.iter().map(|s| s.repeated_warnings as f64))
                .unwrap_or(0.0),
            qa_artifact_coverage: mean(tasks.iter().map(|s| s.qa_artifact_coverage)).unwrap_or(0.0),
            prompt_size_savings: mean(tasks.iter().filter_map(|s| s.prompt_size_savings_pct)),
            json_parse_failures: tasks.iter().map(|s| s.json_parse_failures).sum(),
        })
        .collect();

    let reads_ok = summaries
        .iter()
        .filter(|s| s.success_criteria_met.file_reads_per_agent)
        .count();
    Dashboard {
        total_tasks: n,
        tasks_analyzed: summaries.iter().map(|s| s.task_id.clone()).collect(),
        avg_file_reads_per_agent: reads,
        agents_meeting_file_read_target: agents_pct,
        avg_repeated_warnings: repeated,
        tasks_meeting_warning_target: share(warn_ok, n),
        avg_qa_coverage: qa,
        tasks_meeting_qa_target: share(qa_ok, n),
        avg_prompt_savings: avg_savings,
        total_json_parse_failures: failures,
        json_reliability: reliability * 100.0,
        all_criteria_met: all_met,
        criteria_pass_summary: criteria,
        generated_at: now.to_string(),
        period,
        aggregate_metrics: Aggregate {
            file_read_reduction: Compliance {
                average: Some(reads),
                target: TARGET_FILE_READS,
                tasks_with_data: n,
                tasks_meeting_target: reads_ok,
                compliance_rate: rate(reads_ok, n),
            },
            warning_noise: WarningCompliance {
                average_unique_warnings: unique,
                average_repeated_warnings: repeated,
                target: TARGET_REPEATED_WARNINGS,
                tasks_meeting_target: warn_ok,
                compliance_rate: rate(warn_ok, n),
            },
            qa_artifact_availability: Compliance {
                average: Some(qa),
                target: TARGET_QA_COVERAGE,
                tasks_with_data: n,
                tasks_meeting_target: qa_ok,
                compliance_rate: rate(qa_ok, n),
            },
            prompt_size_savings: Compliance {
                average: avg_savings,
                target: TARGET_PROMPT_SAVINGS,
                tasks_with_data: savings.len(),
                tasks_meeting_target: savings_ok,
                compliance_rate: rate(savings_ok, savings.len()),
            },
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
    TaskPoint {
        task_id: s.task_id.clone(),
        date: day_of(s).map(|d| d.to_string()),
        agents: s.agents_run.len(),
        file_reads_per_agent: s.avg_file_reads_per_agent,
        repeated_warnings: s.repeated_warnings,
        unique_warnings: s.metrics.warning_noise.unique_warnings,
        qa_artifact_coverage: s.qa_artifact_coverage,
        prompt_size_savings: s.prompt_size_savings_pct,
        json_calls: s.json_calls,
        json_parse_failures: s.json_parse_failures,
        criteria: s.criteria().into_iter().collect(),
    }
}

impl Dashboard {
    /// Whether each criterion is met across the tasks (`None`: nothing to measure it on), in
    /// [`CRITERIA`] order.
    pub fn criteria(&self) -> [(&'static str, Option<bool>, String); 5] {
        let c = &self.criteria_pass_summary;
        [
            (
                CRITERIA[0],
                Some(c.file_reads_per_agent.met),
                c.file_reads_per_agent.actual.clone(),
            ),
            (
                CRITERIA[1],
                Some(c.repeated_warnings.met),
                c.repeated_warnings.actual.clone(),
            ),
            (
                CRITERIA[2],
                Some(c.qa_artifact_coverage.met),
                c.qa_artifact_coverage.actual.clone(),
            ),
            (
                CRITERIA[3],
                c.prompt_size_savings.as_ref().map(|p| p.met),
                c.prompt_size_savings
                    .as_ref()
                    .map_or("no data".to_string(), |p| p.actual.clone()),
            ),
            (
                CRITERIA[4],
                Some(c.json_parse_failures.met),
                c.json_parse_failures.actual.clone(),
            ),
        ]
    }
}
