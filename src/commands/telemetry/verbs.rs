//! The telemetry and metrics commands: their inputs, runs and reports.

use super::EventArg;
use crate::app::Ctx;
use crate::clock::iso;
use crate::commands::args::TaskId;
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Baseline, QaCommand, QaCoverage, Summary, compare, dashboard};
use crate::output::{Report, Text, field};
use crate::qa::compare::QaResults;
use crate::telemetry::{self, Event, Level, Telemetry};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the dashboard goes by default.
pub const DEFAULT_DASHBOARD: &str = "docs/evidence/metrics/cache-hardening-dashboard.json";

use telemetry::{AGENT_ENV, TASK_ENV};

/// The largest hook payload read from stdin, and the largest metrics document read.
const MAX_PAYLOAD: u64 = 64 << 20;
const MAX_DOCUMENT: u64 = 16 << 20;
/// The longest message kept.
const MAX_MESSAGE: usize = 2000;

#[derive(Debug)]
pub struct RecordInput {
    pub task: Option<TaskId>,
    pub role: Option<&'static str>,
    pub event: Option<EventArg>,
    pub path: Option<String>,
    pub size: Option<u64>,
    pub message: Option<String>,
    pub session_id: Option<String>,
    pub from_hook: bool,
}

#[derive(Debug)]
pub struct DashboardInput {
    pub task_ids: Vec<TaskId>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub output: Option<String>,
}

fn bad_env(name: &str, why: String) -> Error {
    Error::new(ErrorCode::E002, why)
        .with_detail("field", name)
        .with_recovery(format!("Set {name} to a valid value, or pass the option"))
}

// ---------------------------------------------------------------------------------------------
// --record-telemetry

#[derive(Debug, Serialize)]
pub struct RecordReport {
    /// False when the hook had nothing to record (no task or role set, another tool).
    pub recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub task_id: Option<String>,
    pub agent_role: Option<String>,
    pub event: Option<&'static str>,
    pub path: Option<String>,
    pub size: Option<u64>,
    /// The file written (repo-relative).
    pub file: Option<String>,
    pub session: Option<telemetry::Session>,
    pub totals: Option<Totals>,
}

/// The role's counters after the event.
#[derive(Debug, Serialize)]
pub struct Totals {
    pub read_calls: u64,
    pub write_calls: u64,
    pub edit_calls: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub json_calls: u64,
    pub json_parse_failures: u64,
    pub warnings: u64,
    pub sessions: usize,
}

impl Totals {
    fn of(t: &Telemetry) -> Totals {
        let m = &t.metrics;
        Totals {
            read_calls: m.file_operations.read_calls,
            write_calls: m.file_operations.write_calls,
            edit_calls: m.file_operations.edit_calls,
            cache_hits: m.cache_operations.cache_hits,
            cache_misses: m.cache_operations.cache_misses,
            json_calls: m.json_calls,
            json_parse_failures: m.json_parse_failures,
            warnings: t
                .warnings
                .iter()
                .filter(|w| w.level == Level::Warning)
                .map(|w| w.count)
                .sum(),
            sessions: t.sessions.len(),
        }
    }
}

impl RecordReport {
    fn skipped(reason: String) -> RecordReport {
        RecordReport {
            recorded: false,
            reason: Some(reason),
            task_id: None,
            agent_role: None,
            event: None,
            path: None,
            size: None,
            file: None,
            session: None,
            totals: None,
        }
    }
}

impl Report for RecordReport {
    fn text(&self, out: &mut Text) {
        let (Some(id), Some(role), Some(event), Some(t)) =
            (&self.task_id, &self.agent_role, self.event, &self.totals)
        else {
            out.stderr.push_str(&format!(
                "Nothing recorded: {}\n",
                self.reason.as_deref().unwrap_or("nothing to record")
            ));
            return;
        };
        out.stdout.push_str(&format!(
            "✓ Recorded {event} for {id} ({role}){}\n",
            self.path
                .as_deref()
                .map(|p| format!(": {}", field(p)))
                .unwrap_or_default()
        ));
        out.stdout.push_str(&format!(
            "  {} reads, {} writes, {} edits · cache {} hits / {} misses · JSON {} calls, {} parse failures · {} warnings · {} sessions\n",
            t.read_calls,
            t.write_calls,
            t.edit_calls,
            t.cache_hits,
            t.cache_misses,
            t.json_calls,
            t.json_parse_failures,
            t.warnings,
            t.sessions
        ));
    }
}

/// What a Claude Code PostToolUse payload says: the event, the file and the session.
struct Hooked {
    event: Option<EventArg>,
    path: Option<String>,
    session_id: Option<String>,
    tool: String,
}

fn read_hook_payload() -> Result<Hooked> {
    use std::io::{IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "--from-hook reads a Claude Code hook payload on stdin, and stdin is a terminal",
        )
        .with_recovery(
            "Run it from a PostToolUse hook (docs/telemetry.md), or pass --event EVENT instead of --from-hook",
        ));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_PAYLOAD + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Error::new(
                ErrorCode::E002,
                format!("Cannot read the hook payload on stdin: {e}"),
            )
            .with_recovery("Pipe the hook's JSON payload into the command")
        })?;
    let bad = |why: String| {
        Error::new(
            ErrorCode::E002,
            format!("The hook payload on stdin is not a Claude Code hook payload: {why}"),
        )
        .with_detail("field", "stdin")
        .with_recovery(
            "Run it from a PostToolUse hook (docs/telemetry.md), which writes the payload to stdin",
        )
    };
    if bytes.len() as u64 > MAX_PAYLOAD {
        return Err(bad(format!("it is larger than {MAX_PAYLOAD} bytes")));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let Value::Object(payload) = value else {
        return Err(bad("it is not a JSON object".into()));
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let tool = text(payload.get("tool_name")).ok_or_else(|| bad("no tool_name".into()))?;
    let event = match tool.as_str() {
        "Read" => Some(EventArg::FileRead),
        "Write" => Some(EventArg::FileWrite),
        "Edit" | "MultiEdit" | "NotebookEdit" => Some(EventArg::FileEdit),
        _ => None,
    };
    let input = payload.get("tool_input");
    let path = text(input.and_then(|i| i.get("file_path")))
        .or_else(|| text(input.and_then(|i| i.get("notebook_path"))));
    Ok(Hooked {
        event,
        path,
        session_id: text(payload.get("session_id")),
        tool,
    })
}

/// A path as recorded: repo-relative when inside the repository, else absolute (lexically
/// normalised); and the size of the file when it is a plain file inside (never through a link).
fn recorded_path(ctx: &Ctx, given: &str) -> (String, Option<u64>) {
    let abs = crate::store::paths::lexical(&ctx.cwd.join(given));
    match ctx.repo.relative(&abs).filter(|r| !r.is_empty()) {
        Some(rel) => {
            let size = crate::store::beneath::Dir::open(&ctx.repo.root)
                .and_then(|root| root.file(Path::new(&rel)))
                .and_then(|f| f.metadata())
                .map(|m| m.len())
                .ok();
            (rel, size)
        }
        None => (abs.to_string_lossy().into_owned(), None),
    }
}

pub fn record(ctx: &Ctx, input: &RecordInput) -> Result<RecordReport> {
    let hooked = if input.from_hook {
        Some(read_hook_payload()?)
    } else {
        None
    };
    let event = match (&hooked, input.event) {
        (Some(h), _) => match h.event {
            Some(e) => e,
            None => {
                return Ok(RecordReport::skipped(format!(
                    "the hook's tool {} is not one telemetry counts (Read, Write, Edit)",
                    crate::text::prefix(&h.tool, 60)
                )));
            }
        },
        (None, Some(e)) => e,
        // The command line checked this.
        (None, None) => return Err(Error::usage("--record-telemetry needs --event")),
    };
    let task = match &input.task {
        Some(id) => Some(id.as_str().to_string()),
        None => match std::env::var(TASK_ENV) {
            Ok(v) if !v.is_empty() => {
                crate::ids::check_cli_id(TASK_ENV, &v)?;
                Some(v)
            }
            _ => None,
        },
    };
    let role = match input.role {
        Some(r) => Some(r),
        None => telemetry::role_from_env().map_err(|why| bad_env(AGENT_ENV, why))?,
    };
    let (task, role) = match (task, role) {
        (Some(t), Some(r)) => (t, r),
        (task, _) => {
            let missing = if task.is_none() {
                format!("no task (pass TASK_ID or set {TASK_ENV})")
            } else {
                format!("no role (pass --agent or set {AGENT_ENV})")
            };
            if input.from_hook {
                // Not an agent working on a task: nothing to record, and nothing to complain
                // about in the agent's session.
                return Ok(RecordReport::skipped(missing));
            }
            return Err(Error::usage(format!("--record-telemetry has {missing}")));
        }
    };
    let given_path = hooked
        .as_ref()
        .and_then(|h| h.path.clone())
        .or_else(|| input.path.clone());
    let (path, file_size) = match &given_path {
        Some(p) if p.contains('\0') || p.len() > 4096 => {
            return Err(crate::commands::bad_value(
                "--path",
                crate::text::prefix(p, 80),
                "not a path (NUL, or longer than 4096 bytes)",
                Some("--record-telemetry"),
            ));
        }
        Some(p) => {
            let (p, size) = recorded_path(ctx, p);
            (Some(p), size)
        }
        None => (None, None),
    };
    let size = input.size.or(file_size).unwrap_or(0);
    let message = input
        .message
        .as_deref()
        .map(|m| crate::text::prefix(m, MAX_MESSAGE).to_string());
    let ev = match event {
        EventArg::FileRead => Event::FileRead {
            path: path.clone(),
            size,
        },
        EventArg::FileWrite => Event::FileWrite {
            path: path.clone(),
            size,
        },
        EventArg::FileEdit => Event::FileEdit {
            path: path.clone(),
            size,
        },
        EventArg::CacheHit => Event::CacheHit { bytes: size },
        EventArg::CacheMiss => Event::CacheMiss,
        EventArg::JsonCall => Event::JsonCall,
        EventArg::JsonParseFailure => Event::JsonParseFailure,
        EventArg::Warning => Event::Warning {
            level: Level::Warning,
            message: message.unwrap_or_default(),
        },
    };
    let session_id = input
        .session_id
        .clone()
        .or_else(|| hooked.and_then(|h| h.session_id))
        .map(|s| crate::text::prefix(&s, 200).to_string());
    let name = ev.name();
    let doc = telemetry::record(
        &ctx.repo,
        &task,
        role,
        &[ev],
        session_id.as_deref(),
        ctx.clock.now(),
    )?;
    let store = ContextStore::of(&ctx.repo, &task);
    let session = doc
        .sessions
        .iter()
        .rev()
        .find(|s| s.session_id == session_id)
        .cloned();
    Ok(RecordReport {
        recorded: true,
        reason: None,
        task_id: Some(task),
        agent_role: Some(role.to_string()),
        event: Some(name),
        size: matches!(
            event,
            EventArg::FileRead | EventArg::FileWrite | EventArg::FileEdit | EventArg::CacheHit
        )
        .then_some(size),
        path,
        file: Some(store.rel(&telemetry::file_name(role))),
        session,
        totals: Some(Totals::of(&doc)),
    })
}

// ---------------------------------------------------------------------------------------------
// --collect-metrics

#[derive(Debug, Serialize)]
pub struct CollectReport {
    #[serde(flatten)]
    pub summary: Summary,
    /// The file written (absolute).
    pub metrics_file: String,
    /// The telemetry files read (repo-relative).
    pub telemetry_files: Vec<String>,
}

/// A document named on the command line (relative to the current directory): E040 when it
/// does not exist, E052 naming it when it is not a JSON object.
fn read_document(ctx: &Ctx, given: &str, option: &str) -> Result<serde_json::Map<String, Value>> {
    use std::io::Read;
    let path = ctx.cwd.join(given);
    let corrupt = |why: String| {
        Error::new(
            ErrorCode::E052,
            format!("{} ({option}) cannot be used: {why}", path.display()),
        )
        .with_detail("path", path.display().to_string())
        .with_detail("field", option)
        .with_recovery(format!("Pass {option} a metrics JSON document"))
    };
    let file = std::fs::File::open(&path).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorCode::E040
        } else {
            ErrorCode::E041
        };
        Error::new(
            code,
            format!("Cannot read {} ({option}): {e}", path.display()),
        )
        .with_detail("path", path.display().to_string())
        .with_recovery(format!("Check the path given to {option}"))
    })?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(corrupt("it is not a file".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| corrupt(e.to_string()))?;
    if bytes.len() as u64 > MAX_DOCUMENT {
        return Err(corrupt(format!("it is larger than {MAX_DOCUMENT} bytes")));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(corrupt("it is not a JSON object".into())),
        Err(e) => Err(corrupt(format!("it is not JSON ({e})"))),
    }
}

fn read_baseline(ctx: &Ctx, given: &str) -> Result<Baseline> {
    let doc = read_document(ctx, given, "--baseline-path")?;
    match doc.get("prompt_tokens").and_then(Value::as_f64) {
        Some(tokens) if tokens >= 0.0 && tokens.is_finite() => Ok(Baseline {
            prompt_tokens: tokens as u64,
        }),
        _ => Err(Error::new(
            ErrorCode::E052,
            format!(
                "{} (--baseline-path) has no prompt_tokens: a baseline is {{\"prompt_tokens\": N}}",
                ctx.cwd.join(given).display()
            ),
        )
        .with_detail("path", ctx.cwd.join(given).display().to_string())
        .with_detail("field", "prompt_tokens")
        .with_recovery("Write the baseline's prompt size in tokens as prompt_tokens")),
    }
}

/// The task's telemetry files, read under its lock; E052 naming a file that is not telemetry.
fn read_telemetry(store: &ContextStore) -> Result<(Vec<String>, Vec<Telemetry>)> {
    let names = telemetry::files(store)?;
    let mut docs = Vec::new();
    for name in &names {
        if let Some(doc) = telemetry::read(&store.dir.join(name))? {
            docs.push(doc);
        }
    }
    Ok((names.iter().map(|n| store.rel(n)).collect(), docs))
}

/// The required pipeline commands of the task and their stored logs. The pipeline comes from
/// the task file; when it cannot be read, from the commands the context recorded at init. A
/// log counts when the result of its command (by id, else by command line) names a file
/// inside the task's directory that exists.
fn qa_coverage(ctx: &Ctx, store: &ContextStore, id: &str) -> Result<QaCoverage> {
    let context = match store.load() {
        Ok(c) => Some(c),
        Err(e) if e.code == ErrorCode::E051 => None,
        Err(e) => return Err(e),
    };
    let pipeline: Vec<(String, String)> =
        match crate::tasks::file::locate(&ctx.repo, &ctx.cwd, || ctx.catalog(), id)
            .and_then(|rel| crate::tasks::file::TaskFile::read(&ctx.repo, &rel))
            .and_then(|f| f.document())
        {
            Ok(doc) => crate::validation::pipeline::from_task(&doc)
                .into_iter()
                .filter_map(|entry| match entry {
                    Ok(e)
                        if e.criticality == crate::validation::pipeline::Criticality::Required =>
                    {
                        Some((e.id, e.command))
                    }
                    Ok(_) => None,
                    // An entry that cannot run as written is still required: it has no log.
                    Err(p) => Some((p.id, String::new())),
                })
                .collect(),
            Err(_) => context
                .iter()
                .flat_map(|c| c.immutable.validation_baseline.commands.iter())
                .enumerate()
                .map(|(i, c)| (crate::validation::pipeline::implicit_id(i), c.clone()))
                .collect(),
        };
    let results: Vec<crate::qa::compare::QaResult> = context
        .as_ref()
        .and_then(|c| {
            let baseline = &c.immutable.validation_baseline;
            baseline.initial_results.clone().or_else(|| {
                c.extra
                    .get("validation_baseline")?
                    .get("initial_results")
                    .cloned()
            })
        })
        .map(|v| match v {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|i| serde_json::from_value(i).ok())
                .collect(),
            other => serde_json::from_value::<QaResults>(other)
                .map(|r| r.results)
                .unwrap_or_default(),
        })
        .unwrap_or_default();
    let commands = pipeline
        .into_iter()
        .map(|(command_id, command)| {
            let result = results
                .iter()
                .rev()
                .find(|r| r.command_id == command_id)
                .or_else(|| {
                    results
                        .iter()
                        .rev()
                        .find(|r| !command.is_empty() && r.command == command)
                });
            let log_path = result.and_then(|r| r.log_path.clone()).filter(|rel| {
                store
                    .file_named_by(&ctx.repo, rel, "log_path")
                    .is_ok_and(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
            });
            QaCommand {
                command_id,
                command,
                log_path,
            }
        })
        .collect();
    Ok(QaCoverage { commands })
}

/// One task's summary; the caller holds the task's lock.
fn summary_of(
    ctx: &Ctx,
    store: &ContextStore,
    id: &str,
    baseline: Option<Baseline>,
) -> Result<(Summary, Vec<String>)> {
    let (files, docs) = read_telemetry(store)?;
    let qa = qa_coverage(ctx, store, id)?;
    let now = iso(ctx.clock.now());
    let summary = metrics::collect(&metrics::Input {
        task_id: id,
        telemetry: &docs,
        qa: &qa,
        baseline,
        now: &now,
    });
    Ok((summary, files))
}

/// One task's summary, read under its lock (nothing written).
fn summarize(ctx: &Ctx, id: &str) -> Result<Summary> {
    let store = ContextStore::of(&ctx.repo, id);
    let _locked = store.read_lock(&ctx.repo)?;
    Ok(summary_of(ctx, &store, id, None)?.0)
}

pub fn collect(ctx: &Ctx, id: &str, baseline: Option<&str>) -> Result<CollectReport> {
    let baseline = baseline.map(|b| read_baseline(ctx, b)).transpose()?;
    let store = ContextStore::of(&ctx.repo, id);
    let locked = store.read_lock(&ctx.repo)?;
    let (summary, files) = summary_of(ctx, &store, id, baseline)?;
    let mut txn = locked.begin();
    txn.put_json(&store.rel("metrics.json"), &summary)?;
    txn.commit()?;
    Ok(CollectReport {
        summary,
        metrics_file: store.dir.join("metrics.json").display().to_string(),
        telemetry_files: files,
    })
}

fn mark(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "—",
    }
}

fn number(v: Option<f64>, unit: &str) -> String {
    v.map_or("no data".into(), |v| format!("{v:.1}{unit}"))
}

impl Report for CollectReport {
    fn text(&self, out: &mut Text) {
        let s = &self.summary;
        let o = &mut out.stdout;
        o.push_str(&format!("✓ Metrics collected for {}\n", field(&s.task_id)));
        o.push_str(&format!(
            "  Agents: {} ({})\n",
            s.agents_run.len(),
            s.agents_run
                .iter()
                .map(|a| field(a).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let values = s.values();
        for (i, (name, met)) in s.criteria().into_iter().enumerate() {
            let value = match (i, values[i]) {
                (2 | 3, v) => number(v, "%"),
                (1 | 4, Some(v)) => format!("{v:.0}"),
                (_, v) => number(v, ""),
            };
            o.push_str(&format!(
                "  {} {}: {value}\n",
                mark(met),
                metrics::criterion_label(name),
            ));
        }
        if !s.metrics.qa_artifact_availability.missing_logs.is_empty() {
            o.push_str(&format!(
                "  Required commands without a stored log: {}\n",
                s.metrics
                    .qa_artifact_availability
                    .missing_logs
                    .iter()
                    .map(|m| field(m).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        o.push_str(&format!("  Saved to: {}\n", field(&self.metrics_file)));
    }
}

// ---------------------------------------------------------------------------------------------
// --generate-dashboard

#[derive(Debug, Serialize)]
pub struct DashboardReport {
    #[serde(flatten)]
    pub dashboard: dashboard::Dashboard,
    /// The file written (as given, or the default).
    pub output_path: String,
    /// `json` or `html`.
    pub output_format: &'static str,
    /// Tasks left out: no metrics (with why), or outside the window.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub task_id: String,
    pub reason: String,
}

fn parse_day(option: &str, value: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        crate::commands::bad_value(
            option,
            value,
            "a date is YYYY-MM-DD",
            Some("--generate-dashboard"),
        )
    })
}

/// Every task id with a telemetry file in `.agent-output/`.
fn tasks_with_telemetry(ctx: &Ctx) -> Vec<String> {
    let output = ctx.repo.root.join(crate::context::store::OUTPUT_DIR);
    if crate::store::paths::is_symlink(&output) {
        ctx.warn(format!(
            "Warning: {} is a symbolic link; no telemetry is read through it",
            output.display()
        ));
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(&output) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|name| crate::ids::is_valid_id(name))
        .filter(|id| {
            std::fs::read_dir(output.join(id)).is_ok_and(|mut files| {
                files.any(|f| {
                    f.ok()
                        .and_then(|f| f.file_name().to_str().map(telemetry::is_file_name))
                        .unwrap_or(false)
                })
            })
        })
        .collect();
    ids.sort();
    ids
}

pub fn dashboard(ctx: &Ctx, input: &DashboardInput) -> Result<DashboardReport> {
    let from = input
        .from
        .as_deref()
        .map(|d| parse_day("--from", d))
        .transpose()?;
    let to = input
        .to
        .as_deref()
        .map(|d| parse_day("--to", d))
        .transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Error::new(
            ErrorCode::E002,
            format!("--from {f} is after --to {t}: the window is empty"),
        )
        .with_detail("field", "--from")
        .with_recovery("Give --from a day on or before --to"));
    }
    let output = input
        .output
        .clone()
        .unwrap_or_else(|| DEFAULT_DASHBOARD.to_string());
    let html = output.to_ascii_lowercase().ends_with(".html")
        || output.to_ascii_lowercase().ends_with(".htm");
    // The file is checked before any work: never through a link, never over a directory.
    let target = if input.output.is_some() {
        ctx.cwd.join(&output)
    } else {
        ctx.repo.root.join(&output)
    };
    check_output(&target)?;

    let ids: Vec<String> = if input.task_ids.is_empty() {
        tasks_with_telemetry(ctx)
    } else {
        let mut seen = std::collections::BTreeSet::new();
        (input.task_ids.iter())
            .map(|t| t.as_str().to_string())
            .filter(|t| seen.insert(t.clone()))
            .collect()
    };
    let mut summaries = Vec::new();
    let mut skipped = Vec::new();
    for id in &ids {
        match summarize(ctx, id) {
            Ok(summary) if dashboard::in_window(&summary, from, to) => summaries.push(summary),
            Ok(_) => skipped.push(Skipped {
                task_id: id.clone(),
                reason: "its last activity is outside --from/--to".into(),
            }),
            Err(e) => {
                ctx.warn(format!(
                    "Warning: no metrics for {id}, left out of the dashboard: [{}] {}",
                    e.code.info().code,
                    e.message
                ));
                skipped.push(Skipped {
                    task_id: id.clone(),
                    reason: format!("[{}] {}", e.code.info().code, e.message),
                });
            }
        }
    }
    if summaries.is_empty() {
        let why = if ids.is_empty() {
            "no task has telemetry (.agent-output/TASK_ID/telemetry-*.json)".to_string()
        } else {
            format!(
                "none of the {} task(s) has metrics in the window",
                ids.len()
            )
        };
        return Err(Error::new(ErrorCode::E040, format!("No task metrics collected: {why}"))
            .with_detail("skipped", serde_json::to_value(&skipped).unwrap_or(Value::Null))
            .with_recovery(
                "Record telemetry first (--record-telemetry, or run commands with --agent), or widen --from/--to",
            ));
    }
    let now = iso(ctx.clock.now());
    let board = dashboard::build(
        &summaries,
        dashboard::Period {
            from: from.map(|d| d.to_string()),
            to: to.map(|d| d.to_string()),
        },
        &now,
    );
    let bytes = if html {
        metrics::html::render(&board).into_bytes()
    } else {
        let mut b = serde_json::to_vec_pretty(&board)
            .map_err(std::io::Error::other)
            .map_err(|e| crate::store::StateError::io(&target, "write", e))?;
        b.push(b'\n');
        b
    };
    write_output(ctx, &target, &bytes)?;
    Ok(DashboardReport {
        dashboard: board,
        output_path: output,
        output_format: if html { "html" } else { "json" },
        skipped,
    })
}

/// The dashboard file may be created or replaced, but never through a symbolic link and never
/// in place of a directory.
fn check_output(target: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Error::new(
            ErrorCode::E002,
            format!("Cannot write the dashboard to {}: {why}", target.display()),
        )
        .with_detail("path", target.display().to_string())
        .with_recovery("Choose another --output-path")
    };
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => Err(refuse("it is a symbolic link")),
        Ok(m) if !m.is_file() => Err(refuse("it is not a plain file")),
        _ => Ok(()),
    }
}

/// Write the dashboard. Inside the repository its directory is made like a state directory: no
/// component may be a link (a repository's `docs/evidence` leading elsewhere is never written
/// through); a path outside the repository is the caller's own choice.
fn write_output(ctx: &Ctx, target: &Path, bytes: &[u8]) -> Result<()> {
    let target = crate::store::paths::lexical(target);
    let parent: PathBuf = target
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    match ctx.repo.relative(&parent) {
        Some(rel) => {
            crate::store::paths::state_dir(&ctx.repo.root, &rel)?;
        }
        None => std::fs::create_dir_all(&parent)
            .map_err(|e| crate::store::StateError::io(&parent, "create", e))?,
    }
    check_output(&target)?;
    crate::store::fs::write_atomic(&target, bytes)?;
    Ok(())
}

impl Report for DashboardReport {
    fn text(&self, out: &mut Text) {
        let d = &self.dashboard;
        let o = &mut out.stdout;
        o.push_str(&format!(
            "✓ Dashboard generated for {} task{}\n",
            d.total_tasks,
            if d.total_tasks == 1 { "" } else { "s" }
        ));
        let mut rows: Vec<[String; 3]> = Vec::new();
        for (name, met, actual) in d.criteria() {
            rows.push([
                mark(met).to_string(),
                metrics::criterion_label(name).to_string(),
                actual,
            ]);
        }
        crate::output::table(out, ["Met", "Criterion", "Actual"], &rows);
        let o = &mut out.stdout;
        let mut tasks: Vec<[String; 6]> = Vec::new();
        for t in &d.tasks {
            let c = |name: &str| mark(t.criteria.get(name).copied().flatten());
            tasks.push([
                t.task_id.clone(),
                format!(
                    "{} {:.1}",
                    c("file_reads_per_agent"),
                    t.file_reads_per_agent
                ),
                format!("{} {}", c("repeated_warnings"), t.repeated_warnings),
                format!(
                    "{} {:.1}%",
                    c("qa_artifact_coverage"),
                    t.qa_artifact_coverage
                ),
                format!(
                    "{} {}",
                    c("prompt_size_savings"),
                    number(t.prompt_size_savings, "%")
                ),
                format!("{} {}", c("json_parse_failures"), t.json_parse_failures),
            ]);
        }
        o.push('\n');
        crate::output::table(
            out,
            [
                "Task",
                "Reads/agent",
                "Repeated",
                "QA",
                "Saving",
                "JSON fails",
            ],
            &tasks,
        );
        let o = &mut out.stdout;
        o.push_str(&format!(
            "\n  All criteria met: {}\n  Saved to: {}\n",
            if d.all_criteria_met { "yes" } else { "no" },
            field(&self.output_path)
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// --compare-metrics

#[derive(Debug, Serialize)]
pub struct CompareReport {
    pub comparison_date: String,
    pub baseline_file: String,
    pub current_file: String,
    #[serde(flatten)]
    pub comparison: compare::Comparison,
}

pub fn compare(ctx: &Ctx, baseline: &str, current: &str) -> Result<CompareReport> {
    let b = read_document(ctx, baseline, "--baseline-path")?;
    let c = read_document(ctx, current, "--current-path")?;
    for (doc, given, option) in [
        (&b, baseline, "--baseline-path"),
        (&c, current, "--current-path"),
    ] {
        if !compare::is_metrics(doc) {
            return Err(Error::new(
                ErrorCode::E052,
                format!(
                    "{} ({option}) is not a metrics document: it has none of the compared values",
                    ctx.cwd.join(given).display()
                ),
            )
            .with_detail("path", ctx.cwd.join(given).display().to_string())
            .with_recovery(
                "Pass a dashboard (--generate-dashboard) or a task's metrics.json (--collect-metrics)",
            ));
        }
    }
    Ok(CompareReport {
        comparison_date: iso(ctx.clock.now()),
        baseline_file: baseline.to_string(),
        current_file: current.to_string(),
        comparison: compare::compare(&b, &c),
    })
}

impl Report for CompareReport {
    fn text(&self, out: &mut Text) {
        let o = &mut out.stdout;
        o.push_str("Metrics comparison (baseline → current):\n");
        for (name, d) in self.comparison.deltas.iter() {
            let sign = match d.change {
                "improved" => "✓",
                "regressed" => "✗",
                _ => "=",
            };
            let arrow = if d.delta > 0.0 {
                "↑"
            } else if d.delta < 0.0 {
                "↓"
            } else {
                "→"
            };
            o.push_str(&format!(
                "  {sign} {name}: {:.1} → {:.1} (Δ {:+.1} {arrow})\n",
                d.baseline, d.current, d.delta
            ));
        }
        for name in &self.comparison.not_compared {
            o.push_str(&format!("  — {name}: not in both documents\n"));
        }
        o.push_str(&format!(
            "Overall: {} ({} improved, {} unchanged, {} regressed)\n",
            if self.comparison.overall_improvement {
                "improved"
            } else {
                "not improved"
            },
            self.comparison.improved,
            self.comparison.unchanged,
            self.comparison.regressed
        ));
    }
}
