//! The telemetry and metrics commands: their inputs, runs and reports.

use super::EventArg;
use crate::app::Ctx;
use crate::clock::iso;
use crate::commands::args::TaskId;
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Baseline, Summary, compare, dashboard};
use crate::output::{Report, Text, field};
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
const MAX_MESSAGE: usize = telemetry::MAX_TEXT;

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
    pub baseline: Option<String>,
}

fn bad_env(name: &str, why: String) -> Error {
    Error::new(ErrorCode::E002, why)
        .with_detail("field", name)
        .with_recovery(format!("Set {name} to a valid value, or pass the option"))
}

// ---------------------------------------------------------------------------------------------
// --record-telemetry

#[derive(Debug, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Serialize, schemars::JsonSchema)]
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
                field(self.reason.as_deref().unwrap_or("nothing to record"))
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
    /// The agent's working directory: a relative path is relative to it.
    cwd: Option<String>,
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
        .or_else(|| text(input.and_then(|i| i.get("notebook_path"))))
        .filter(|p| !p.is_empty());
    Ok(Hooked {
        event,
        path,
        session_id: text(payload.get("session_id")),
        cwd: text(payload.get("cwd")).filter(|c| c.starts_with('/')),
        tool,
    })
}

/// A path as recorded: repo-relative when inside the repository, else absolute (lexically
/// normalised); and the size of the file when it is a plain file inside (never through a link).
fn recorded_path(ctx: &Ctx, base: &Path, given: &str) -> (String, Option<u64>) {
    let abs = crate::store::paths::lexical(&base.join(given));
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
            Some(_) if h.path.is_none() => {
                return Ok(RecordReport::skipped(format!(
                    "the hook's {} payload names no file (tool_input.file_path)",
                    crate::text::prefix(&h.tool, 60)
                )));
            }
            Some(e) => e,
            None => {
                return Ok(RecordReport::skipped(format!(
                    "the hook's tool {} is not one telemetry counts (Read, Write, Edit, MultiEdit, NotebookEdit)",
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
            let base = hooked
                .as_ref()
                .and_then(|h| h.cwd.as_deref())
                .map(PathBuf::from)
                .unwrap_or_else(|| ctx.cwd.clone());
            let (p, size) = recorded_path(ctx, &base, p);
            (Some(p), size)
        }
        None => (None, None),
    };
    if let Some(p) = &path
        && file_size.is_none()
        && input.size.is_none()
        && event == EventArg::FileRead
    {
        ctx.warn(format!(
            "Warning: {} is not a readable file of the repository; its read is recorded with size 0",
            field(p)
        ));
    }
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
        &ctx.clock,
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

#[derive(Debug, Serialize, schemars::JsonSchema)]
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
    let bytes = read_bounded(&path, 0).map_err(|e| match e {
        Bounded::Io(e) => {
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
        }
        Bounded::NotAFile => corrupt("it is not a file".into()),
        Bounded::TooLarge => corrupt(format!("it is larger than {MAX_DOCUMENT} bytes")),
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        // The saved output of a command in JSON mode: its document is under `data`.
        Ok(Value::Object(mut map))
            if map.contains_key("success")
                && map.contains_key("generated_at")
                && map.get("data").is_some_and(Value::is_object) =>
        {
            match map.remove("data") {
                Some(Value::Object(data)) => Ok(data),
                _ => Err(corrupt("its data is not a JSON object".into())),
            }
        }
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(corrupt("it is not a JSON object".into())),
        Err(e) => Err(corrupt(format!("it is not JSON ({e})"))),
    }
}

fn read_baseline(ctx: &Ctx, given: &str) -> Result<Baseline> {
    let doc = read_document(ctx, given, "--baseline-path")?;
    let why = match doc.get("prompt_tokens") {
        None => "it has no prompt_tokens".to_string(),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => "its prompt_tokens is 0: there is no prompt to compare with".to_string(),
            Some(tokens) => {
                return Ok(Baseline {
                    prompt_tokens: tokens,
                });
            }
            None => format!("its prompt_tokens {n} is not a whole number of tokens above 0"),
        },
        Some(other) => format!(
            "its prompt_tokens is {}, not a number",
            crate::text::prefix(&other.to_string(), 40)
        ),
    };
    Err(Error::new(
        ErrorCode::E052,
        format!(
            "{} (--baseline-path) cannot be used: {why}; a baseline is {{\"prompt_tokens\": N}}",
            ctx.cwd.join(given).display()
        ),
    )
    .with_detail("path", ctx.cwd.join(given).display().to_string())
    .with_detail("field", "prompt_tokens")
    .with_recovery("Write the baseline's prompt size in tokens as prompt_tokens"))
}

/// The required commands of the task's pipeline, from its task file (active or archived);
/// `None` when the file cannot be found or read (the context's record of them is used).
fn pipeline_of(ctx: &Ctx, id: &str) -> Option<Vec<crate::validation::pipeline::Required>> {
    let rel = crate::tasks::file::locate(&ctx.repo, &ctx.cwd, || ctx.catalog(), id).ok()?;
    let file = crate::tasks::file::TaskFile::read(&ctx.repo, &rel).ok()?;
    Some(crate::validation::pipeline::required(
        &file.document().ok()?,
    ))
}

/// One task's summary, read under its lock (nothing written).
fn summarize(ctx: &Ctx, id: &str, baseline: Option<Baseline>) -> Result<Summary> {
    let store = ContextStore::of(&ctx.repo, id);
    let _locked = store.read_lock(&ctx.repo)?;
    let now = iso(ctx.clock.now());
    Ok(metrics::task::summarize(&ctx.repo, &store, pipeline_of(ctx, id), baseline, &now)?.0)
}

/// E051 for a task without a context; for a completed task, where its metrics were kept.
fn no_context(ctx: &Ctx, id: &str, e: Error) -> Error {
    if ctx
        .repo
        .root
        .join(metrics::task::completed_path(id))
        .is_file()
    {
        return e.with_recovery(format!(
            "{id} is completed: its metrics were kept in {} (and the dashboard reads them); its whole context can be restored with the command --list-evidence {id} shows",
            metrics::task::completed_path(id)
        ));
    }
    e
}

pub fn collect(ctx: &Ctx, id: &str, baseline: Option<&str>) -> Result<CollectReport> {
    let baseline = baseline.map(|b| read_baseline(ctx, b)).transpose()?;
    let store = ContextStore::of(&ctx.repo, id);
    let locked = match store.read_lock(&ctx.repo) {
        Err(e) if e.code == ErrorCode::E051 => return Err(no_context(ctx, id, e)),
        other => other?,
    };
    let now = iso(ctx.clock.now());
    let (summary, files) =
        metrics::task::summarize(&ctx.repo, &store, pipeline_of(ctx, id), baseline, &now)?;
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
        let failed = &s.metrics.qa_artifact_availability.failed_commands;
        if !failed.is_empty() {
            o.push_str(&format!(
                "  Required commands whose recorded run failed: {}\n",
                failed
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

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DashboardReport {
    #[serde(flatten)]
    pub dashboard: dashboard::Dashboard,
    /// The file written (as given, or the default).
    pub output_path: String,
    /// `json` or `html`.
    pub output_format: &'static str,
    /// Completed tasks, counted from the metrics `--complete` kept.
    pub completed_tasks: Vec<String>,
    /// Tasks whose last activity is outside `--from`/`--to`.
    pub outside_window: Vec<String>,
    /// Tasks whose metrics could not be collected (each also a warning on stderr).
    pub failed: Vec<Failed>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Failed {
    pub task_id: String,
    pub code: &'static str,
    pub reason: String,
}

fn parse_day(option: &str, value: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        let shaped = value.len() == 10
            && value.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let why = if shaped {
            "there is no such day"
        } else {
            "a date is YYYY-MM-DD"
        };
        crate::commands::bad_value(option, value, why, Some("--generate-dashboard"))
    })
}

/// Every task id with a telemetry file in `.agent-output/<ID>/`, or with the metrics
/// `--complete` kept in `.agent-output/.completed/<ID>/`. Links are never followed.
fn tasks_with_metrics(ctx: &Ctx) -> Vec<String> {
    let output = ctx.repo.root.join(crate::context::store::OUTPUT_DIR);
    if crate::store::paths::is_symlink(&output) {
        ctx.warn(format!(
            "Warning: {} is a symbolic link; no telemetry is read through it",
            output.display()
        ));
        return Vec::new();
    }
    let dirs = crate::ids::dirs_named_by_ids;
    let mut ids: std::collections::BTreeSet<String> = dirs(&output)
        .into_iter()
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
    let completed = output.join(".completed");
    if !crate::store::paths::is_symlink(&completed) {
        ids.extend(
            dirs(&completed)
                .into_iter()
                .filter(|id| completed.join(id).join("metrics.json").is_file()),
        );
    }
    ids.into_iter().collect()
}

/// One task of the dashboard: its context's metrics, or, with no context, those `--complete`
/// kept (`true`).
fn dashboard_task(ctx: &Ctx, id: &str, baseline: Option<Baseline>) -> Result<(Summary, bool)> {
    match summarize(ctx, id, baseline) {
        Ok(summary) => Ok((summary, false)),
        Err(e) if e.code == ErrorCode::E051 => {
            match metrics::task::read_completed(&ctx.repo, id)? {
                Some(summary) => Ok((summary, true)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
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
    let baseline = input
        .baseline
        .as_deref()
        .map(|b| read_baseline(ctx, b))
        .transpose()?;
    let output = input
        .output
        .clone()
        .unwrap_or_else(|| DEFAULT_DASHBOARD.to_string());
    let lower = output.to_ascii_lowercase();
    let html = lower.ends_with(".html") || lower.ends_with(".htm");
    // The file is checked before any work: never through a link, never over a directory, never
    // among the tool's own state or git's.
    let target = if input.output.is_some() {
        ctx.cwd.join(&output)
    } else {
        ctx.repo.root.join(&output)
    };
    check_output(&target)?;
    if let Some(rel) = ctx.repo.relative(&crate::store::paths::lexical(&target)) {
        let state = [
            ".git",
            crate::context::store::OUTPUT_DIR,
            "tasks/.cache",
            "docs/compliance",
        ];
        if let Some(dir) = state
            .iter()
            .find(|d| rel == **d || rel.starts_with(&format!("{d}/")))
        {
            return Err(Error::new(
                ErrorCode::E002,
                format!(
                    "Cannot write the dashboard to {rel}: {dir}/ holds state the tool or git keeps"
                ),
            )
            .with_detail("path", &rel)
            .with_recovery(
                "Choose an --output-path outside .git/, .agent-output/ and tasks/.cache/",
            ));
        }
    }

    let ids: Vec<String> = if input.task_ids.is_empty() {
        tasks_with_metrics(ctx)
    } else {
        let mut seen = std::collections::BTreeSet::new();
        (input.task_ids.iter())
            .map(|t| t.as_str().to_string())
            .filter(|t| seen.insert(t.clone()))
            .collect()
    };
    let mut summaries = Vec::new();
    let mut completed_tasks = Vec::new();
    let mut outside_window = Vec::new();
    let mut failed = Vec::new();
    for id in &ids {
        match dashboard_task(ctx, id, baseline) {
            Ok((summary, completed)) if dashboard::in_window(&summary, from, to) => {
                if completed {
                    completed_tasks.push(id.clone());
                }
                summaries.push(summary);
            }
            Ok(_) => outside_window.push(id.clone()),
            Err(e) => {
                let code = e.code.info().code;
                ctx.warn(format!(
                    "Warning: no metrics for {id}, left out of the dashboard: [{code}] {}",
                    e.message
                ));
                failed.push(Failed {
                    task_id: id.clone(),
                    code,
                    reason: e.message.clone(),
                });
            }
        }
    }
    if summaries.is_empty() {
        let why = if ids.is_empty() {
            "no task has telemetry (.agent-output/TASK_ID/telemetry-*.json) or kept metrics"
                .to_string()
        } else if !failed.is_empty() && outside_window.is_empty() {
            format!(
                "the metrics of none of the {} task(s) could be collected",
                ids.len()
            )
        } else {
            format!(
                "none of the {} task(s) has activity in the window",
                ids.len()
            )
        };
        return Err(Error::new(ErrorCode::E040, format!("No task metrics collected: {why}"))
            .with_detail("failed", serde_json::to_value(&failed).unwrap_or(Value::Null))
            .with_detail("outside_window", &outside_window)
            .with_recovery(
                "Record telemetry first (--record-telemetry, or run commands with --agent or TASKS_AGENT), or widen --from/--to",
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
        completed_tasks,
        outside_window,
        failed,
    })
}

/// The dashboard file may be created, or replace an earlier dashboard; never anything else (a
/// task file, the ledger, a source file), never through a symbolic link, never in place of a
/// directory.
fn check_output(target: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Error::new(
            ErrorCode::E002,
            format!("Cannot write the dashboard to {}: {why}", target.display()),
        )
        .with_detail("path", target.display().to_string())
        .with_recovery("Choose another --output-path (a new file, or an earlier dashboard)")
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(crate::tasks::file::TASK_FILE_SUFFIX) {
        return Err(refuse("that is the name of a task file"));
    }
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => Err(refuse("it is a symbolic link")),
        Ok(m) if !m.is_file() => Err(refuse("it is not a plain file")),
        Ok(_) if !is_dashboard(target) => Err(refuse(
            "it exists and is not a dashboard this tool wrote (it is never overwritten)",
        )),
        _ => Ok(()),
    }
}

/// Whether an existing file is a dashboard this tool wrote: the JSON rollup, or the page.
fn is_dashboard(path: &Path) -> bool {
    let Ok(head) = read_bounded(path, libc::O_NOFOLLOW) else {
        return false;
    };
    if let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(&head) {
        return doc.contains_key("tasks_analyzed") && doc.contains_key("aggregate_metrics");
    }
    String::from_utf8_lossy(&head).contains(&format!(
        "<meta name=\"generator\" content=\"{}\"/>",
        metrics::html::GENERATOR
    ))
}

/// Why a document could not be read whole.
enum Bounded {
    Io(std::io::Error),
    NotAFile,
    TooLarge,
}

/// The bytes of a plain file of at most [`MAX_DOCUMENT`] bytes, opened non-blocking (a FIFO in
/// its place is refused, never waited on); `flags` adds open flags (`O_NOFOLLOW`).
fn read_bounded(path: &Path, flags: libc::c_int) -> std::result::Result<Vec<u8>, Bounded> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | flags)
        .open(path)
        .map_err(Bounded::Io)?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Bounded::NotAFile);
    }
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT + 1)
        .read_to_end(&mut bytes)
        .map_err(Bounded::Io)?;
    if bytes.len() as u64 > MAX_DOCUMENT {
        return Err(Bounded::TooLarge);
    }
    Ok(bytes)
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
        out.stdout.push_str(&format!(
            "✓ Dashboard generated for {} task{}\n",
            d.total_tasks,
            if d.total_tasks == 1 { "" } else { "s" }
        ));
        let targets = d.targets();
        let rows: Vec<[String; 4]> = d
            .criteria()
            .into_iter()
            .zip(targets)
            .map(|((name, met, actual), target)| {
                [
                    mark(met).to_string(),
                    metrics::criterion_label(name).to_string(),
                    target,
                    actual,
                ]
            })
            .collect();
        crate::output::table(out, ["Met", "Criterion", "Target", "Actual"], &rows);
        let tasks: Vec<[String; 6]> = d
            .tasks
            .iter()
            .map(|t| {
                let cell = |name: &str, value: String| {
                    format!("{} {value}", mark(t.criteria.get(name).copied().flatten()))
                };
                [
                    t.task_id.clone(),
                    cell("file_reads_per_agent", number(t.file_reads_per_agent, "")),
                    cell(
                        "repeated_warnings",
                        t.repeated_warnings
                            .map_or("no data".into(), |n| n.to_string()),
                    ),
                    cell("qa_artifact_coverage", number(t.qa_artifact_coverage, "%")),
                    cell("prompt_size_savings", number(t.prompt_size_savings, "%")),
                    cell(
                        "json_parse_failures",
                        t.json_parse_failures
                            .map_or("no data".into(), |n| n.to_string()),
                    ),
                ]
            })
            .collect();
        out.stdout.push('\n');
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
        for failed in &self.failed {
            out.stdout.push_str(&format!(
                "  Left out: {} ([{}] {})\n",
                field(&failed.task_id),
                failed.code,
                field(&failed.reason)
            ));
        }
        if !self.completed_tasks.is_empty() {
            out.stdout.push_str(&format!(
                "  Completed (metrics kept at completion): {}\n",
                self.completed_tasks.join(", ")
            ));
        }
        out.stdout.push_str(&format!(
            "\n  All criteria met: {}\n  Saved to: {}\n",
            if d.all_criteria_met { "yes" } else { "no" },
            field(&self.output_path)
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// --compare-metrics

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CompareReport {
    pub comparison_date: String,
    pub baseline_file: String,
    pub current_file: String,
    #[serde(flatten)]
    pub comparison: compare::Comparison,
    /// E027 when a criterion regressed.
    #[serde(skip)]
    pub failure: Option<Error>,
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
    let comparison = compare::compare(&b, &c);
    let regressed: Vec<&str> = comparison
        .deltas
        .iter()
        .filter(|(_, d)| d.change == "regressed")
        .map(|(name, _)| name)
        .collect();
    let failure = (!regressed.is_empty()).then(|| {
        Error::new(
            ErrorCode::E027,
            format!(
                "{} regressed from {baseline} to {current}: {}",
                if regressed.len() == 1 {
                    "A criterion"
                } else {
                    "Criteria"
                },
                regressed.join(", ")
            ),
        )
        .with_detail("regressed", &regressed)
    });
    Ok(CompareReport {
        comparison_date: iso(ctx.clock.now()),
        baseline_file: baseline.to_string(),
        current_file: current.to_string(),
        comparison,
        failure,
    })
}

impl Report for CompareReport {
    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }

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
