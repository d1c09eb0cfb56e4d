//! Telemetry and metrics: `--record-telemetry`, `--collect-metrics`, `--generate-dashboard`,
//! `--compare-metrics`.

pub mod verbs;

use super::args::{TaskId, Text};
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use clap::{Args, ValueEnum};

pub const TITLE: &str = "Telemetry and metrics";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Record what an agent did (--agent R --event E; default task: $TASKS_TASK)
    #[arg(long, group = "verb", num_args = 0..=1, value_name = "TASK_ID", help_heading = TITLE)]
    record_telemetry: Option<Option<TaskId>>,

    /// Compute a task's five success criteria into its metrics.json
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    collect_metrics: Option<TaskId>,

    /// Roll the metrics of tasks up into a dashboard (JSON, or HTML for a .html --output-path)
    #[arg(long, group = "verb", alias = "generate-metrics-dashboard", help_heading = TITLE)]
    generate_dashboard: bool,

    /// Compare two metrics documents (--baseline-path B --current-path C)
    #[arg(long, group = "verb", help_heading = TITLE)]
    compare_metrics: bool,

    /// What happened (--record-telemetry)
    #[arg(long, value_enum, value_name = "EVENT", help_heading = "Options")]
    event: Option<EventArg>,

    /// Bytes: of the file read, written or edited, or saved by a cache hit (--record-telemetry;
    /// default for a file: its size)
    #[arg(
        long,
        value_name = "BYTES",
        allow_negative_numbers = true,
        help_heading = "Options"
    )]
    size: Option<u64>,

    /// Read a Claude Code hook payload (PostToolUse of Read, Write, Edit) on stdin
    /// (--record-telemetry)
    #[arg(long, help_heading = "Options")]
    from_hook: bool,

    /// A prompt-size baseline, {"prompt_tokens": N} (--collect-metrics); the baseline
    /// document (--compare-metrics; also --baseline)
    #[arg(
        long,
        alias = "baseline",
        value_name = "FILE",
        help_heading = "Options"
    )]
    baseline_path: Option<String>,

    /// The current metrics document (--compare-metrics; also --current)
    #[arg(long, alias = "current", value_name = "FILE", help_heading = "Options")]
    current_path: Option<String>,

    /// The tasks of the dashboard, space-separated (default: every task with telemetry, and the
    /// completed ones whose metrics were kept)
    #[arg(long, num_args = 1.., value_name = "TASK_ID", help_heading = "Options")]
    task_ids: Vec<TaskId>,

    /// Where the dashboard goes (.html: a page; default:
    /// docs/evidence/metrics/cache-hardening-dashboard.json; also --output)
    #[arg(long, alias = "output", value_name = "FILE", help_heading = "Options")]
    output_path: Option<String>,
}

impl EventArg {
    pub fn name(self) -> &'static str {
        match self {
            EventArg::FileRead => "file_read",
            EventArg::FileWrite => "file_write",
            EventArg::FileEdit => "file_edit",
            EventArg::CacheHit => "cache_hit",
            EventArg::CacheMiss => "cache_miss",
            EventArg::JsonCall => "json_call",
            EventArg::JsonParseFailure => "json_parse_failure",
            EventArg::Warning => "warning",
        }
    }
}

/// `--event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventArg {
    #[value(name = "file_read")]
    FileRead,
    #[value(name = "file_write")]
    FileWrite,
    #[value(name = "file_edit")]
    FileEdit,
    #[value(name = "cache_hit")]
    CacheHit,
    #[value(name = "cache_miss")]
    CacheMiss,
    #[value(name = "json_call")]
    JsonCall,
    #[value(name = "json_parse_failure")]
    JsonParseFailure,
    #[value(name = "warning")]
    Warning,
}

#[derive(Debug)]
pub enum Cmd {
    Record(verbs::RecordInput),
    Collect {
        id: TaskId,
        baseline: Option<String>,
    },
    Dashboard(verbs::DashboardInput),
    Compare {
        baseline: String,
        current: String,
    },
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let cmd = if let Some(task) = self.record_telemetry {
            if self.event.is_none() && !self.from_hook {
                return super::usage(
                    "--record-telemetry needs --event EVENT (file_read, file_write, file_edit, cache_hit, cache_miss, json_call, json_parse_failure, warning) or --from-hook",
                );
            }
            if self.event.is_some() && self.from_hook {
                return super::usage(
                    "--record-telemetry takes --event or --from-hook (which tells the event), not both",
                );
            }
            if self.event == Some(EventArg::Warning) && shared.message.is_none() {
                return super::usage("--record-telemetry --event warning needs --message TEXT");
            }
            // Options an event does not use are refused, not ignored.
            if let Some(event) = self.event {
                let file = matches!(
                    event,
                    EventArg::FileRead | EventArg::FileWrite | EventArg::FileEdit
                );
                let stray = [
                    ("--path", shared.path.is_some() && !file),
                    (
                        "--size",
                        self.size.is_some() && !file && event != EventArg::CacheHit,
                    ),
                    (
                        "--message",
                        shared.message.is_some() && event != EventArg::Warning,
                    ),
                ];
                if let Some((option, _)) = stray.iter().find(|(_, given)| *given) {
                    return super::usage(format!(
                        "--record-telemetry --event {} does not take {option}",
                        event.name()
                    ));
                }
            }
            // Without the hook, a task and a role are needed: the command line or the
            // environment must name them (the hook records nothing without them).
            if !self.from_hook {
                let env = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
                if task.is_none() && !env(crate::telemetry::TASK_ENV) {
                    return super::usage(
                        "--record-telemetry needs a task: TASK_ID after it, or TASKS_TASK in the environment",
                    );
                }
                if shared.agent.is_none() && !env(crate::telemetry::AGENT_ENV) {
                    return super::usage(
                        "--record-telemetry needs a role: --agent ROLE, or TASKS_AGENT in the environment",
                    );
                }
            }
            let message = match shared.message.clone().map(|m| m.parse::<Text>()) {
                Some(Err(why)) => {
                    return Some(Err(super::bad_value(
                        "--message",
                        crate::text::prefix(shared.message.as_deref().unwrap_or(""), 80),
                        &why,
                        Some("--record-telemetry"),
                    )));
                }
                Some(Ok(m)) => Some(m.into_string()),
                None => None,
            };
            Cmd::Record(verbs::RecordInput {
                task,
                role: shared.agent.map(|r| r.as_str()),
                event: self.event,
                path: shared.path.clone(),
                size: self.size,
                message,
                session_id: shared.session_id.clone().map(Text::into_string),
                from_hook: self.from_hook,
            })
        } else if let Some(id) = self.collect_metrics {
            Cmd::Collect {
                id,
                baseline: self.baseline_path,
            }
        } else if self.generate_dashboard {
            Cmd::Dashboard(verbs::DashboardInput {
                task_ids: self.task_ids,
                from: shared.from.clone(),
                to: shared.to.clone(),
                output: self.output_path,
                baseline: self.baseline_path,
            })
        } else if self.compare_metrics {
            let (Some(baseline), Some(current)) = (self.baseline_path, self.current_path) else {
                return super::usage(
                    "--compare-metrics needs --baseline-path FILE and --current-path FILE",
                );
            };
            Cmd::Compare { baseline, current }
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Record(_) => &RECORD_TELEMETRY,
            Cmd::Collect { .. } => &COLLECT_METRICS,
            Cmd::Dashboard(_) => &GENERATE_DASHBOARD,
            Cmd::Compare { .. } => &COMPARE_METRICS,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Record(input) => emit(ctx, out, verbs::record(ctx, input)?),
            Cmd::Collect { id, baseline } => emit(
                ctx,
                out,
                verbs::collect(ctx, id.as_str(), baseline.as_deref())?,
            ),
            Cmd::Dashboard(input) => emit(ctx, out, verbs::dashboard(ctx, input)?),
            Cmd::Compare { baseline, current } => {
                emit(ctx, out, verbs::compare(ctx, baseline, current)?)
            }
        })
    }

    /// These commands are the telemetry: they never add to it.
    fn observed(&self) -> bool {
        false
    }
}

pub static COMMANDS: &[&CommandInfo] = &[
    &RECORD_TELEMETRY,
    &COLLECT_METRICS,
    &GENERATE_DASHBOARD,
    &COMPARE_METRICS,
];

pub static RECORD_TELEMETRY: CommandInfo = CommandInfo {
    flag: "record-telemetry",
    report: crate::schema::of::<verbs::RecordReport>,
    shape: Shape::Envelope,
    reads: &[
        "agent",
        "event",
        "path",
        "size",
        "message",
        "session-id",
        "from-hook",
    ],
    summary: "record what an agent did, for the metrics",
    about: "Adds one event to .agent-output/TASK_ID/telemetry-ROLE.json, under the task's lock: \
file_read, file_write, file_edit (--path; the size is the file's unless --size says), cache_hit \
(--size: bytes saved), cache_miss, json_call, json_parse_failure, warning (--message). The task \
defaults to $TASKS_TASK and the role to $TASKS_AGENT. A session is --session-id (or the hook's), \
else the role's latest session unless it has been silent for 30 minutes: a new session adds to \
the file's history. --from-hook reads a Claude Code PostToolUse payload on stdin (Read, Write, \
Edit; other tools are ignored) and records nothing, exit 0, when no task or role is set: see \
docs/telemetry.md for the hook configuration. The tool records its own work too whenever the \
role is known (--agent or TASKS_AGENT): context reads, warnings, JSON documents, validation \
commands; TASKS_TELEMETRY=off turns that off. Needs the task's context.",
    examples: &[
        (
            "tasks --record-telemetry TASK-0101 --agent implementer --event file_read --path src/app.ts",
            "an agent read a file",
        ),
        (
            "tasks --record-telemetry TASK-0101 --agent reviewer --event warning --message \"lint config missing\"",
            "a warning the agent saw",
        ),
        (
            "tasks --record-telemetry --from-hook",
            "the Claude Code hook (payload on stdin, task and role from the environment)",
        ),
    ],
    exits: "0 · 2 a missing option · 10 bad value (E002) · 50 no context (E051), unreadable telemetry (E052)",
};

pub static COLLECT_METRICS: CommandInfo = CommandInfo {
    flag: "collect-metrics",
    report: crate::schema::of::<verbs::CollectReport>,
    shape: Shape::Envelope,
    reads: &["baseline-path"],
    summary: "compute a task's five success criteria into metrics.json",
    about: "Reads the task's telemetry files (this tool's and tasks.py's), its context's QA \
baseline and its validation pipeline, and writes .agent-output/TASK_ID/metrics.json: file reads \
per agent (target ≤ 5), repeated warnings (≤ 1), QA artifact coverage = required pipeline \
commands with a stored log ÷ required commands (100 %), prompt size saving = 1 − bytes served by \
context reads ÷ bytes of the files they stand for (≥ 15 %; --baseline-path {\"prompt_tokens\": N} \
gives the size to compare with instead), JSON parse failures (0). tasks.py's flat fields come \
first, then a `metrics` object with each criterion's target_met.",
    examples: &[
        ("tasks --collect-metrics TASK-0101", "the criteria, ✓ or ✗"),
        (
            "tasks --collect-metrics TASK-0101 --format json | jq .data.success_criteria_met",
            "for a script",
        ),
    ],
    exits: "0 · 40 no baseline file (E040) · 50 no context (E051), a corrupt telemetry or baseline file (E052)",
};

pub static GENERATE_DASHBOARD: CommandInfo = CommandInfo {
    flag: "generate-dashboard",
    report: crate::schema::of::<verbs::DashboardReport>,
    shape: Shape::Envelope,
    reads: &["task-ids", "from", "to", "output-path", "baseline-path"],
    summary: "roll tasks' metrics up into a dashboard (JSON or HTML)",
    about: "Collects the metrics of --task-ids (default: every task with telemetry), keeps the \
tasks whose last activity falls within --from..--to (YYYY-MM-DD, inclusive), and writes the \
rollup: tasks.py's flat fields, aggregate_metrics with compliance rates, trend_data per day and \
one point per task. --output-path ending in .html writes a self-contained page instead (an SVG \
chart per criterion, per task and over time; no scripts, nothing fetched). Default file: \
docs/evidence/metrics/cache-hardening-dashboard.json. A task whose metrics cannot be collected \
is a warning on stderr and is left out. Also spelled --generate-metrics-dashboard and --output.",
    examples: &[
        (
            "tasks --generate-dashboard",
            "every task with telemetry, into the default file",
        ),
        (
            "tasks --generate-dashboard --from 2026-11-01 --to 2026-11-30 --output-path dashboard.html",
            "a page for November",
        ),
    ],
    exits: "0 · 10 a bad date or --from after --to (E002) · 40 no task with metrics (E040)",
};

pub static COMPARE_METRICS: CommandInfo = CommandInfo {
    flag: "compare-metrics",
    report: crate::schema::of::<verbs::CompareReport>,
    shape: Shape::Verdict { data: true },
    reads: &["baseline-path", "current-path"],
    summary: "compare two metrics documents, criterion by criterion",
    about: "Compares a current dashboard (or a task's metrics.json) with a baseline one: for \
each criterion present in both — file reads per agent, repeated warnings, QA coverage, prompt \
savings, JSON reliability — the baseline and current values, the delta and whether it improved. \
overall_improvement: at least one improved and none regressed. A regression is E027 (exit 20), \
so that CI can gate on it. A saved --format json output is read as its data. Also spelled \
--baseline and --current.",
    examples: &[(
        "tasks --compare-metrics --baseline-path before.json --current-path after.json",
        "↑/↓ per criterion",
    )],
    exits: "0 · 2 a missing option · 20 a criterion regressed (E027) · 40 no such file (E040) · 50 not a metrics document (E052)",
};
