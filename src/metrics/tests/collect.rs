use super::dashboard::{Period, build, in_window};
use super::*;
use crate::telemetry::{Event, Telemetry};
use serde_json::json;

const NOW: &str = "2026-11-29T12:00:00+00:00";

/// The two telemetry files of the 04 §8.2 observed example, in tasks.py's flat shape.
fn observed_example() -> Vec<Telemetry> {
    let implementer = json!({
        "agent_role": "implementer",
        "file_operations": {"read_calls": 3},
        "cache_operations": {"hits": 8, "misses": 2, "estimated_tokens_saved": 1200},
        "warnings": [{"message": "W1"}, {"message": "W1"}],
        "json_calls": 5, "json_parse_failures": 0,
        "session_start": "2026-11-29T10:00:00+00:00",
        "session_end": "2026-11-29T10:30:00+00:00"
    });
    let reviewer = json!({
        "agent_role": "reviewer",
        "file_operations": {"read_calls": 7},
        "cache_operations": {"hits": 2, "misses": 0, "estimated_tokens_saved": 300},
        "warnings": [{"message": "W2"}],
        "json_calls": 3, "json_parse_failures": 1,
        "session_start": "2026-11-29T10:35:00+00:00",
        "session_end": "2026-11-29T11:00:00+00:00"
    });
    vec![
        Telemetry::from_json(implementer).unwrap(),
        Telemetry::from_json(reviewer).unwrap(),
    ]
}

fn summary(telemetry: &[Telemetry], qa: &QaCoverage, baseline: Option<Baseline>) -> Summary {
    collect(&Input {
        task_id: "TASK-0001",
        telemetry,
        qa,
        baseline,
        now: NOW,
    })
}

fn qa(with_logs: &[bool]) -> QaCoverage {
    QaCoverage {
        commands: with_logs
            .iter()
            .enumerate()
            .map(|(i, has)| QaCommand {
                command_id: format!("val-{:03}", i + 1),
                command: format!("cmd {i}"),
                log_path: has.then(|| format!(".agent-output/TASK-0001/evidence/{i}.log")),
                passed: has.then_some(i % 2 == 0),
            })
            .collect(),
    }
}

#[test]
fn the_observed_example_of_04_8_2_corrected() {
    let s = summary(&observed_example(), &QaCoverage::default(), None);
    // 10:00 to 11:00: 60 minutes (tasks.py needed dateutil and crashed).
    assert_eq!(s.duration_minutes, 60.0);
    assert_eq!(s.agents_run, ["implementer", "reviewer"]);
    assert_eq!(s.total_file_reads, 10);
    assert_eq!(s.file_reads_by_agent["implementer"], 3);
    assert_eq!(s.file_reads_by_agent["reviewer"], 7);
    assert_eq!(s.avg_file_reads_per_agent, 5.0);
    assert_eq!(s.total_cache_hits, 10);
    assert_eq!(s.total_cache_misses, 2);
    assert_eq!(s.cache_hit_rate, 0.8333333333333334);
    assert_eq!(s.estimated_tokens_saved, 1500);
    assert_eq!((s.qa_commands_run, s.qa_commands_with_logs), (0, 0));
    assert_eq!(s.qa_artifact_coverage, 0.0);
    assert_eq!(s.total_warnings, 3);
    assert_eq!(s.repeated_warnings, 1);
    assert_eq!((s.json_calls, s.json_parse_failures), (8, 1));
    assert_eq!(s.prompt_size_savings_pct, None, "nothing to measure it on");
    let c = &s.success_criteria_met;
    assert_eq!(c.file_reads_per_agent, Some(true), "5.0 ≤ 5");
    assert_eq!(c.repeated_warnings, Some(true), "1 ≤ 1");
    assert_eq!(
        c.qa_artifact_coverage, None,
        "no required command: no verdict"
    );
    assert_eq!(c.json_parse_failures, Some(false));
    assert_eq!(c.prompt_size_savings, None);
    let m = &s.metrics;
    assert_eq!(m.file_read_reduction.implementer_reads, 3);
    assert_eq!(m.file_read_reduction.validator_reads, 0);
    assert_eq!(m.warning_noise.unique_warnings, 2);
    assert_eq!(m.json_output_reliability.reliability_rate, 1.0 - 1.0 / 8.0);
    assert!(m.prompt_size_savings.is_none());
    // The key order of tasks.py's summary, then the additive fields.
    let text = serde_json::to_string(&s).unwrap();
    let order = [
        "task_id",
        "duration_minutes",
        "agents_run",
        "total_file_reads",
        "file_reads_by_agent",
        "avg_file_reads_per_agent",
        "total_cache_hits",
        "total_cache_misses",
        "cache_hit_rate",
        "estimated_tokens_saved",
        "qa_commands_run",
        "qa_commands_with_logs",
        "qa_artifact_coverage",
        "total_warnings",
        "repeated_warnings",
        "json_calls",
        "json_parse_failures",
        "baseline_prompt_tokens",
        "current_prompt_tokens",
        "prompt_size_savings_pct",
        "success_criteria_met",
        "timestamp",
        "first_activity",
        "last_activity",
        "metrics",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn with_a_baseline_the_saving_is_what_was_saved_not_tasks_py_s_inverse() {
    // tasks.py took the tokens saved (1500) for the current prompt: 25 %. 1500 of 2000
    // tokens saved is a 75 % smaller prompt.
    let s = summary(
        &observed_example(),
        &QaCoverage::default(),
        Some(Baseline {
            prompt_tokens: 2000,
        }),
    );
    assert_eq!(s.baseline_prompt_tokens, Some(2000));
    assert_eq!(s.current_prompt_tokens, Some(500));
    assert_eq!(s.prompt_size_savings_pct, Some(75.0));
    assert_eq!(s.success_criteria_met.prompt_size_savings, Some(true));
    let p = s.metrics.prompt_size_savings.unwrap();
    assert_eq!(p.baseline_kb, 2000.0 * 4.0 / 1024.0);
    assert_eq!(p.reduction_percent, 75.0);
}

#[test]
fn prompt_saving_from_context_reads_is_one_minus_served_over_sources() {
    let mut t = Telemetry::new("TASK-0001", "implementer");
    let now = crate::telemetry::parse_time(NOW).unwrap();
    t.apply(
        &[
            Event::ContextRead {
                served: 3000,
                source: 10_000,
            },
            Event::ContextRead {
                served: 1000,
                source: 10_000,
            },
        ],
        now,
        None,
    );
    let s = summary(&[t.clone()], &QaCoverage::default(), None);
    // 1 − 4000 / 20000 = 80 %.
    assert_eq!(s.prompt_size_savings_pct, Some(80.0));
    assert_eq!(s.baseline_prompt_tokens, Some(5000));
    assert_eq!(s.current_prompt_tokens, Some(1000));
    assert_eq!(s.success_criteria_met.prompt_size_savings, Some(true));
    // A baseline file overrides the sources: 1 − 4000 / (2000 × 4) = 50 %.
    let s = summary(
        &[t],
        &QaCoverage::default(),
        Some(Baseline {
            prompt_tokens: 2000,
        }),
    );
    assert_eq!(s.prompt_size_savings_pct, Some(50.0));
}

#[test]
fn a_context_bigger_than_its_sources_is_a_negative_saving_and_fails() {
    let mut t = Telemetry::new("TASK-0001", "implementer");
    t.apply(
        &[Event::ContextRead {
            served: 5000,
            source: 4000,
        }],
        crate::telemetry::parse_time(NOW).unwrap(),
        None,
    );
    let s = summary(&[t], &QaCoverage::default(), None);
    assert_eq!(s.prompt_size_savings_pct, Some(-25.0));
    assert_eq!(s.success_criteria_met.prompt_size_savings, Some(false));
}

#[test]
fn qa_coverage_is_required_commands_with_a_stored_log() {
    let s = summary(&[], &qa(&[true, false, false]), None);
    assert_eq!((s.qa_commands_run, s.qa_commands_with_logs), (3, 1));
    assert_eq!(s.qa_artifact_coverage, 33.33333333333333);
    assert_eq!(s.success_criteria_met.qa_artifact_coverage, Some(false));
    assert_eq!(
        s.metrics.qa_artifact_availability.missing_logs,
        ["val-002", "val-003"]
    );
    let s = summary(&[], &qa(&[true, true]), None);
    assert_eq!(s.qa_artifact_coverage, 100.0);
    assert_eq!(s.success_criteria_met.qa_artifact_coverage, Some(true));
}

#[test]
fn no_telemetry_gives_zeros_not_a_division_by_zero() {
    let s = summary(&[], &QaCoverage::default(), None);
    assert_eq!(s.avg_file_reads_per_agent, 0.0);
    assert_eq!(s.cache_hit_rate, 0.0);
    assert_eq!(s.qa_artifact_coverage, 0.0);
    assert_eq!(s.duration_minutes, 0.0);
    assert_eq!(s.first_activity, None);
    assert_eq!(s.baseline_prompt_tokens, None);
    assert_eq!(s.prompt_size_savings_pct, None);
    assert!(!serde_json::to_string(&s).unwrap().contains("NaN"));
}

#[test]
fn duration_compares_instants_not_strings() {
    // As strings, "…T09:30:00Z" sorts after "…T10:00:00+02:00" (08:00Z): tasks.py took
    // string order.
    let a = Telemetry::from_json(json!({
        "agent_role": "implementer",
        "session_start": "2026-11-29T10:00:00+02:00",
        "session_end": "2026-11-29T08:15:00Z"
    }))
    .unwrap();
    let b = Telemetry::from_json(json!({
        "agent_role": "reviewer",
        "session_start": "2026-11-29T09:00:00Z",
        "session_end": "2026-11-29T09:30:00Z"
    }))
    .unwrap();
    let s = summary(&[a, b], &QaCoverage::default(), None);
    assert_eq!(s.duration_minutes, 90.0, "08:00Z to 09:30Z");
    assert_eq!(
        s.first_activity.as_deref(),
        Some("2026-11-29T08:00:00+00:00")
    );
}

#[test]
fn repeated_warnings_count_across_roles_and_ignore_errors() {
    let now = crate::telemetry::parse_time(NOW).unwrap();
    let w = |m: &str| Event::Warning {
        level: crate::telemetry::Level::Warning,
        message: m.into(),
    };
    let mut a = Telemetry::new("TASK-0001", "implementer");
    a.apply(&[w("stale"), w("stale")], now, None);
    let mut b = Telemetry::new("TASK-0001", "reviewer");
    b.apply(
        &[
            w("stale"),
            w("other"),
            Event::Warning {
                level: crate::telemetry::Level::Error,
                message: "[E051] x".into(),
            },
        ],
        now,
        None,
    );
    let s = summary(&[a, b], &QaCoverage::default(), None);
    assert_eq!(s.total_warnings, 4);
    assert_eq!(s.metrics.warning_noise.unique_warnings, 2);
    assert_eq!(s.repeated_warnings, 2);
    assert_eq!(s.success_criteria_met.repeated_warnings, Some(false));
}

fn task(id: &str, reads: &[(&str, u64)], day: &str, coverage: &[bool], failures: u64) -> Summary {
    let at = crate::telemetry::parse_time(&format!("{day}T10:00:00Z")).unwrap();
    let telemetry: Vec<Telemetry> = reads
        .iter()
        .map(|(role, n)| {
            let mut t = Telemetry::new(id, role);
            let events: Vec<Event> = (0..*n)
                .map(|_| Event::FileRead {
                    path: None,
                    size: 1,
                })
                .chain((0..failures).map(|_| Event::JsonParseFailure))
                .chain(std::iter::repeat_n(Event::JsonCall, 4))
                .collect();
            t.apply(&events, at, None);
            t
        })
        .collect();
    let mut s = collect(&Input {
        task_id: id,
        telemetry: &telemetry,
        qa: &qa(coverage),
        baseline: None,
        now: NOW,
    });
    s.task_id = id.to_string();
    s
}

#[test]
fn the_dashboard_aggregates_by_hand() {
    let a = task(
        "TASK-0001",
        &[("implementer", 3), ("reviewer", 7)],
        "2026-11-27",
        &[true, true],
        0,
    );
    let b = task(
        "TASK-0002",
        &[("implementer", 2)],
        "2026-11-28",
        &[true, false],
        1,
    );
    let d = build(&[a, b], Period::default(), NOW);
    assert_eq!(d.total_tasks, 2);
    assert_eq!(d.tasks_analyzed, ["TASK-0001", "TASK-0002"]);
    // Per-task averages 5.0 and 2.0.
    assert_eq!(d.avg_file_reads_per_agent, Some(3.5));
    // Agents with ≤ 5 reads: 3 and 2 of (3, 7, 2).
    assert_eq!(d.agents_meeting_file_read_target, Some(2.0 / 3.0 * 100.0));
    assert!(
        !d.criteria_pass_summary
            .file_reads_per_agent
            .as_ref()
            .unwrap()
            .met,
        "66.7 % < 80 %"
    );
    assert_eq!(
        d.criteria_pass_summary
            .file_reads_per_agent
            .as_ref()
            .unwrap()
            .actual,
        "66.7%"
    );
    assert_eq!(d.avg_qa_coverage, Some(75.0));
    assert_eq!(d.tasks_meeting_qa_target, Some(50.0));
    assert_eq!(d.total_json_parse_failures, 1, "TASK-0002's one agent");
    // 4 calls per agent: TASK-0001 has 2 agents (8 calls), TASK-0002 one (4).
    assert_eq!(d.aggregate_metrics.json_output_reliability.total_calls, 12);
    assert_eq!(d.json_reliability, (1.0 - 1.0 / 12.0) * 100.0);
    assert_eq!(d.avg_prompt_savings, None);
    assert!(d.criteria_pass_summary.prompt_size_savings.is_none());
    assert!(!d.all_criteria_met);
    let qa = &d.aggregate_metrics.qa_artifact_availability;
    assert_eq!(qa.tasks_meeting_target, 1);
    assert_eq!(qa.compliance_rate, Some(0.5));
    assert_eq!(
        d.aggregate_metrics.prompt_size_savings.compliance_rate,
        None
    );
    assert_eq!(d.trend_data.len(), 2);
    assert_eq!(d.trend_data[0].date, "2026-11-27");
    assert_eq!(d.trend_data[0].file_reads_per_agent, Some(5.0));
    assert_eq!(d.trend_data[1].qa_artifact_coverage, Some(50.0));
    assert_eq!(d.tasks[1].criteria["qa_artifact_coverage"], Some(false));
    assert_eq!(d.tasks[1].date.as_deref(), Some("2026-11-28"));
}

#[test]
fn the_window_keeps_tasks_by_their_last_day() {
    let a = task("TASK-0001", &[("implementer", 1)], "2026-11-27", &[], 0);
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    assert!(in_window(&a, None, None));
    assert!(in_window(&a, day("2026-11-27"), day("2026-11-27")));
    assert!(!in_window(&a, day("2026-11-28"), None));
    assert!(!in_window(&a, None, day("2026-11-26")));
    let quiet = summary(&[], &QaCoverage::default(), None);
    assert!(!in_window(&quiet, day("2026-01-01"), None));
}

#[test]
fn compare_follows_04_8_4_scenario_36() {
    let b = json!({"avg_file_reads_per_agent": 20, "avg_qa_coverage": 70, "json_reliability": 80});
    let c = json!({"avg_file_reads_per_agent": 4, "avg_qa_coverage": 100, "json_reliability": 100});
    let r = compare::compare(b.as_object().unwrap(), c.as_object().unwrap());
    let d = &r.deltas;
    assert_eq!(d.file_reads_per_agent.as_ref().unwrap().delta, -16.0);
    assert_eq!(d.qa_coverage.as_ref().unwrap().delta, 30.0);
    assert_eq!(d.json_reliability.as_ref().unwrap().delta, 20.0);
    assert!(r.deltas.iter().all(|(_, d)| d.improvement));
    assert!(r.overall_improvement);
    assert_eq!(r.not_compared, ["repeated_warnings", "prompt_savings"]);
}

#[test]
fn compare_reads_task_summaries_and_a_regression_spoils_the_whole() {
    let b = json!({"avg_file_reads_per_agent": 9.0, "repeated_warnings": 0,
        "qa_artifact_coverage": 50.0, "prompt_size_savings_pct": null,
        "json_calls": 10, "json_parse_failures": 0});
    let c = json!({"avg_file_reads_per_agent": 3.0, "repeated_warnings": 2,
        "qa_artifact_coverage": 100.0, "prompt_size_savings_pct": 40.0,
        "json_calls": 4, "json_parse_failures": 1});
    let r = compare::compare(b.as_object().unwrap(), c.as_object().unwrap());
    let d = &r.deltas;
    assert_eq!(d.repeated_warnings.as_ref().unwrap().change, "regressed");
    assert_eq!(d.json_reliability.as_ref().unwrap().current, 75.0);
    assert_eq!(d.json_reliability.as_ref().unwrap().change, "regressed");
    assert!(d.prompt_savings.is_none(), "null in the baseline");
    assert_eq!((r.improved, r.regressed, r.unchanged), (2, 2, 0));
    assert!(!r.overall_improvement);
    // The same document twice: nothing improved.
    let same = compare::compare(b.as_object().unwrap(), b.as_object().unwrap());
    assert_eq!(same.unchanged, 4);
    assert!(!same.overall_improvement);
    assert!(!compare::is_metrics(json!({"x": 1}).as_object().unwrap()));
}

#[test]
fn no_data_is_no_verdict_and_the_dashboard_counts_only_tasks_with_data() {
    let quiet = summary(&[], &QaCoverage::default(), None);
    assert_eq!(quiet.criteria().map(|(_, met)| met), [None; 5]);
    assert_eq!(quiet.values(), [None; 5]);
    let busy = task("TASK-0002", &[("implementer", 9)], "2026-11-28", &[true], 0);
    let d = build(&[quiet, busy], Period::default(), NOW);
    assert_eq!(
        d.avg_file_reads_per_agent,
        Some(9.0),
        "the quiet task is not a 0"
    );
    assert_eq!(d.aggregate_metrics.file_read_reduction.tasks_with_data, 1);
    assert_eq!(d.tasks[0].file_reads_per_agent, None);
    assert_eq!(d.tasks[0].criteria["json_parse_failures"], None);
    // Nothing measured at all: no criterion judged, not all met.
    let d = build(
        &[summary(&[], &QaCoverage::default(), None)],
        Period::default(),
        NOW,
    );
    assert!(
        d.criteria()
            .iter()
            .all(|(_, met, actual)| met.is_none() && actual == "no data")
    );
    assert!(!d.all_criteria_met);
}

#[test]
fn a_parse_failure_without_a_counted_call_is_still_a_failed_document() {
    assert_eq!(reliability(0, 0), 1.0);
    assert_eq!(reliability(0, 3), 0.0);
    assert_eq!(reliability(4, 1), 0.75);
    assert_eq!(reliability(u64::MAX, u64::MAX), 0.0);
}

#[test]
fn failed_required_commands_are_named_beside_the_coverage() {
    // val-001 passed, val-002 has no log, val-003 failed (passed: i % 2 == 0).
    let s = summary(&[], &qa(&[true, false, true]), None);
    let q = &s.metrics.qa_artifact_availability;
    assert_eq!(q.missing_logs, ["val-002"]);
    assert_eq!(
        q.failed_commands,
        Vec::<String>::new(),
        "val-003 is i = 2: passed"
    );
    let s = summary(&[], &qa(&[true, true]), None);
    assert_eq!(
        s.metrics.qa_artifact_availability.failed_commands,
        ["val-002"]
    );
}

#[test]
fn dashboard_totals_saturate() {
    let big = |id: &str| {
        let t = Telemetry::from_json(json!({"task_id": id, "agent_role": "implementer",
            "metrics": {"json_calls": u64::MAX, "json_parse_failures": 9223372036854775808u64}}))
        .unwrap();
        summary(&[t], &QaCoverage::default(), None)
    };
    let d = build(
        &[big("TASK-0001"), big("TASK-0002")],
        Period::default(),
        NOW,
    );
    assert_eq!(d.total_json_parse_failures, u64::MAX);
    assert!(!d.criteria_pass_summary.json_parse_failures.unwrap().met);
}
