//! `--run-validation` and `--list-validation`: which commands, the progress line, recording each
//! run like `--record-qa`, the verdict. The pipeline and the runner are in `validation/`.

use super::super::args::TaskId;
use super::super::qa::verbs::{QaInput, record};
use crate::app::Ctx;
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text, table};
use crate::tasks::catalog::Found;
use crate::text::field;
use crate::validation::pipeline::{
    self, CRITICALITIES, Criticality, Entry, MAX_DESCRIPTION, Problem, TIMEOUT_MS,
};
use crate::validation::runner::{self, Env, Outcome, RunError};
use serde::Serialize;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which commands to run.
#[derive(Debug)]
pub enum Selection {
    All,
    One(String),
    AdHoc { command: String, id: String },
}

/// The options that describe an ad-hoc command.
#[derive(Debug, Default)]
pub struct AdHocFields {
    pub description: Option<String>,
    pub cwd: Option<String>,
    pub expected_paths: Vec<String>,
    pub blocker_id: Option<String>,
    pub timeout_ms: Option<i64>,
    pub criticality: Option<String>,
    pub expected_exit_codes: Vec<i32>,
    pub package: Option<String>,
}

/// `--run-validation`, its options checked.
#[derive(Debug)]
pub struct RunInput {
    id: TaskId,
    selection: Selection,
    adhoc: Option<Entry>,
    env: Vec<(String, String)>,
    agent: Option<String>,
    actor: Option<String>,
}

fn bad(option: &str, value: &str, why: String) -> Error {
    super::super::bad_value(option, value, &why, Some("--run-validation"))
}

impl RunInput {
    /// E002 for a malformed `--env`, a `--timeout-ms` out of 1000..600000, an unknown
    /// `--criticality`, a description over 200 characters or an ad-hoc id that could not name
    /// a file.
    pub fn new(
        id: TaskId,
        selection: Selection,
        fields: AdHocFields,
        env: Vec<String>,
        agent: Option<String>,
        actor: Option<String>,
    ) -> Result<RunInput> {
        let env = env
            .iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if pipeline::is_env_name(k) => Ok((k.to_string(), v.to_string())),
                _ => Err(bad(
                    "--env",
                    kv,
                    "expected KEY=VALUE with KEY made of letters, digits and _".into(),
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        let adhoc = match &selection {
            Selection::AdHoc { command, id: cid } => {
                if cid.is_empty()
                    || cid.len() > 64
                    || !cid
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                    || cid.starts_with('.')
                {
                    return Err(bad(
                        "--command-id",
                        cid,
                        "a command id is 1 to 64 letters, digits, '-', '_' or '.'".into(),
                    ));
                }
                let mut e = Entry::new(cid.clone(), command.clone());
                if let Some(d) = fields.description {
                    if d.chars().count() > MAX_DESCRIPTION {
                        return Err(bad(
                            "--description",
                            &d,
                            format!("at most {MAX_DESCRIPTION} characters"),
                        ));
                    }
                    e.description = d;
                }
                if let Some(cwd) = fields.cwd {
                    e.cwd = cwd;
                }
                e.expected_paths = fields.expected_paths;
                e.blocker_id = fields.blocker_id;
                if let Some(t) = fields.timeout_ms {
                    e.timeout_ms = u64::try_from(t)
                        .ok()
                        .filter(|t| TIMEOUT_MS.contains(t))
                        .ok_or_else(|| {
                            bad(
                                "--timeout-ms",
                                &t.to_string(),
                                format!(
                                    "must be {}..{} milliseconds",
                                    TIMEOUT_MS.start(),
                                    TIMEOUT_MS.end()
                                ),
                            )
                        })?;
                }
                if let Some(c) = fields.criticality {
                    e.criticality = Criticality::parse(&c).ok_or_else(|| {
                        bad(
                            "--criticality",
                            &c,
                            format!(
                                "expected one of {} (or error, warning)",
                                CRITICALITIES.join(", ")
                            ),
                        )
                    })?;
                }
                if !fields.expected_exit_codes.is_empty() {
                    e.expected_exit_codes = fields.expected_exit_codes;
                }
                e.package = fields.package;
                // Retries are the pipeline's business: one attempt, as tasks.py's flags had.
                Some(e)
            }
            _ => None,
        };
        Ok(RunInput {
            id,
            selection,
            adhoc,
            env,
            agent,
            actor,
        })
    }
}

/// One command's result: the runner's fields, the same for every result.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Row {
    pub command_id: String,
    pub criticality: &'static str,
    pub command: String,
    pub description: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The log kept in the task's evidence (null for a skip).
    pub log_path: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RunReport {
    pub task_id: String,
    pub results: Vec<Row>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Ctrl-C stopped the run (exit 130); the commands that ran are recorded.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    #[serde(skip)]
    failure: Option<Error>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Where a running command's output goes before it is recorded: `<pid>-<random>.log`, removed
/// once recorded; what a killed run left is removed by the next run.
const RUNS_DIR: &str = ".agent-output/.runs";

/// Remove the logs of runs whose process is gone.
fn sweep_runs(ctx: &Ctx) {
    let Ok(Some(dir)) = ctx.repo.existing_state_dir(RUNS_DIR) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .split_once('-')
            .filter(|(pid, rest)| {
                !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && rest.ends_with(".log")
            })
            .and_then(|(pid, _)| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if crate::store::fs::process_gone(pid) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on Ctrl-C (and SIGTERM, SIGHUP: a closed terminal, a CI job cancelled) stops the
/// running command's group instead of the tool, which records what ran. A file-size limit
/// (SIGXFSZ) becomes a write error instead of killing the tool.
fn catch_interrupts() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::signal(
                signal,
                on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The task's pipeline, each entry or its problem. A task file that does not load: E011.
fn pipeline_of(ctx: &Ctx, id: &str) -> Result<Vec<std::result::Result<Entry, Problem>>> {
    let rel = crate::tasks::file::locate(&ctx.repo, &ctx.cwd, || ctx.catalog(), id)?;
    let file = crate::tasks::file::TaskFile::read(&ctx.repo, &rel)?;
    Ok(pipeline::from_task(&file.document()?))
}

fn problem_error(p: &Problem) -> Error {
    Error::new(
        ErrorCode::E002,
        format!(
            "{} cannot run as written: {} {}",
            p.id,
            p.field,
            crate::text::field(&p.message)
        ),
    )
    .with_detail("command_id", &p.id)
    .with_detail("field", &p.field)
    .with_detail("reason", &p.message)
    .with_recovery(format!("Fix {} in the task file", p.field))
}

/// The entries to run: E003 for an unknown id (the ids listed) or no pipeline, E002 for an
/// entry that cannot run as written.
fn selected(ctx: &Ctx, input: &RunInput) -> Result<Vec<Entry>> {
    let id = input.id.as_str();
    if let Some(e) = &input.adhoc {
        // An ad-hoc command never takes over a pipeline entry's id (its baseline is that
        // entry's).
        let taken = pipeline_of(ctx, id)
            .map(|all| {
                all.iter().any(|r| match r {
                    Ok(p) => p.id == e.id,
                    Err(p) => p.id == e.id,
                })
            })
            .unwrap_or(false);
        if taken {
            return Err(bad(
                "--command-id",
                &e.id,
                format!(
                    "{} is the id of an entry of {id}'s validation.pipeline: run it with --command-id alone, or give the ad-hoc command an id of its own",
                    e.id
                ),
            ));
        }
        return Ok(vec![e.clone()]);
    }
    let all = pipeline_of(ctx, id)?;
    if all.is_empty() {
        return Err(Error::new(
            ErrorCode::E003,
            format!("{id} has no validation.pipeline to run"),
        )
        .with_detail("task_id", id)
        .with_recovery(format!(
            "Add validation.pipeline to the task file, or run an ad-hoc command: tasks --run-validation {id} --command CMD --command-id CID"
        )));
    }
    let ids: Vec<String> = all
        .iter()
        .map(|r| match r {
            Ok(e) => e.id.clone(),
            Err(p) => p.id.clone(),
        })
        .collect();
    let chosen: Vec<&std::result::Result<Entry, Problem>> = match &input.selection {
        Selection::One(cid) => {
            let found: Vec<_> = all
                .iter()
                .zip(&ids)
                .filter(|(_, i)| *i == cid)
                .map(|(r, _)| r)
                .collect();
            if found.is_empty() {
                return Err(Error::new(
                    ErrorCode::E003,
                    format!(
                        "{id} has no validation command {} (it has: {})",
                        field(cid),
                        ids.join(", ")
                    ),
                )
                .with_detail("task_id", id)
                .with_detail("command_id", cid)
                .with_detail("command_ids", &ids)
                .with_recovery(format!(
                    "Pass one of: {} (tasks --list-validation {id})",
                    ids.join(", ")
                )));
            }
            found
        }
        _ => all.iter().collect(),
    };
    // Every entry that cannot run as written is named at once; nothing runs.
    let problems: Vec<&Problem> = chosen.iter().filter_map(|r| r.as_ref().err()).collect();
    if let Some(first) = problems.first() {
        let listed: Vec<String> = problems
            .iter()
            .map(|p| format!("{} ({}: {})", p.id, p.field, p.message))
            .collect();
        return Err(problem_error(first)
            .with_detail("problems", &listed)
            .with_recovery(format!(
                "Nothing ran. Fix {} in the task file (tasks --list-validation {id} shows every entry)",
                if problems.len() == 1 {
                    first.field.clone()
                } else {
                    format!("the {} entries listed in details.problems", problems.len())
                }
            )));
    }
    Ok(chosen
        .into_iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect())
}

pub fn run(ctx: &Ctx, input: &RunInput) -> Result<RunReport> {
    let id = input.id.as_str();
    let store = ContextStore::of(&ctx.repo, id);
    store.check_links(&ctx.repo)?;
    if !store.exists() {
        if ctx.catalog().find(id).is_none() {
            return Err(Error::new(ErrorCode::E040, format!("Task not found: {id}"))
                .with_detail("task_id", id)
                .with_recovery("Pass a task id from tasks --list"));
        }
        return Err(store.missing());
    }
    let entries = selected(ctx, input)?;
    // An ad-hoc --cwd that does not exist is a typo, not a skip.
    if let Some(e) = &input.adhoc
        && !ctx.repo.root.join(&e.cwd).is_dir()
    {
        return Err(bad(
            "--cwd",
            &e.cwd,
            "no such directory in the repository".into(),
        ));
    }
    // A working directory outside the repository is refused before anything runs.
    for e in &entries {
        let cwd = ctx.repo.root.join(&e.cwd);
        if let Ok(real) = cwd.canonicalize()
            && !real.starts_with(&ctx.repo.root)
        {
            return Err(cwd_outside(e, &real));
        }
    }
    catch_interrupts();
    sweep_runs(ctx);
    let status = |task: &str| match ctx.catalog().find(task) {
        Some(Found::Task(t)) => Some(t.status.to_string()),
        Some(Found::Broken(_)) => Some("unknown (its file does not load)".to_string()),
        None => None,
    };
    let env = Env {
        root: &ctx.repo.root,
        task_status: &status,
        extra_env: &input.env,
        interrupted: &INTERRUPTED,
    };
    let mut rows = Vec::new();
    let mut unrecorded = Vec::new();
    for entry in &entries {
        if INTERRUPTED.load(Ordering::SeqCst) {
            break;
        }
        let row = run_one(ctx, input, &store, entry, &env, &mut unrecorded)?;
        let stop = row.outcome.interrupted;
        rows.push(row);
        if stop {
            break;
        }
    }
    let mut report = verdict(ctx, id, rows, INTERRUPTED.load(Ordering::SeqCst));
    // A run that could not be recorded did not do its job: its error is the verdict's.
    if let Some((command_id, e)) = unrecorded.into_iter().next() {
        report.failure = Some(
            Error::new(
                e.code,
                format!("The run of {command_id} was not recorded: {}", e.message),
            )
            .with_detail("command_id", &command_id)
            .with_detail("cause", &e.details)
            .with_recovery(format!(
                "The results above were not all recorded in the context of {id}: {}",
                e.recovery
            )),
        );
    }
    Ok(report)
}

fn cwd_outside(e: &Entry, real: &std::path::Path) -> Error {
    Error::new(
        ErrorCode::E002,
        format!(
            "The working directory of {} ({}) is outside the repository",
            e.id,
            field(&e.cwd)
        ),
    )
    .with_detail("command_id", &e.id)
    .with_detail("cwd", &e.cwd)
    .with_detail("resolved", real.display().to_string())
    .with_recovery("Give a directory inside the repository (relative to its root)")
}

fn run_one(
    ctx: &Ctx,
    input: &RunInput,
    store: &ContextStore,
    entry: &Entry,
    env: &Env,
    unrecorded: &mut Vec<(String, Error)>,
) -> Result<Row> {
    // The output goes to a temporary log first (the task's lock is not held while a command
    // runs); recording then keeps its copy in the task's evidence.
    let runs = ctx.repo.state_dir(RUNS_DIR)?;
    let mut log = tempfile::Builder::new()
        .prefix(&format!("{}-", std::process::id()))
        .suffix(".log")
        .tempfile_in(&runs)
        .map_err(|e| crate::store::StateError::io(&runs, "write", e))?;
    let bar = crate::output::spinner(
        "{spinner} {msg} {elapsed} {bytes} of output",
        format!(
            "{} {}",
            entry.id,
            field(&crate::text::shorten(&entry.command, 60))
        ),
    );
    let log_file = log.path().to_path_buf();
    let outcome = {
        let mut writer = std::io::BufWriter::with_capacity(256 * 1024, log.as_file_mut());
        let outcome = runner::run(
            entry,
            env,
            &mut |stream, bytes| match stream {
                // A retry: the log holds the last attempt only (its counts are the result's).
                runner::Stream::Restart => {
                    writer.flush()?;
                    let file = writer.get_mut();
                    file.set_len(0)?;
                    std::io::Seek::seek(*file, std::io::SeekFrom::Start(0)).map(|_| ())
                }
                _ => writer.write_all(bytes),
            },
            &mut |n| {
                if let Some(bar) = &bar {
                    bar.set_position(n);
                }
            },
        );
        let flushed = writer.flush();
        let outcome = outcome.map_err(|e| match e {
            RunError::Io(e) => Error::from(crate::store::StateError::io(&log_file, "write", e)),
        })?;
        flushed.map_err(|e| crate::store::StateError::io(&log_file, "write", e))?;
        outcome
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for note in &outcome.notes {
        ctx.warn(format!("Warning: {}: {}", entry.id, field(note)));
    }
    let log_path = if outcome.skipped {
        None
    } else {
        // The code the result shows; one that never came: 130 when stopped, -1 on a timeout.
        let exit_code = outcome
            .exit_code
            .unwrap_or(if outcome.interrupted { 130 } else { -1 });
        ctx.observe(crate::telemetry::Event::Command(
            crate::telemetry::CommandRun {
                command: entry.command.clone(),
                command_id: Some(entry.id.clone()),
                exit_code: Some(i64::from(exit_code)),
                duration_ms: outcome.duration_ms,
                timestamp: None,
                extra: serde_json::Map::new(),
            },
        ));
        let recorded = record(
            ctx,
            &store.id,
            &QaInput {
                log: log.path().display().to_string(),
                agent: input.agent.clone(),
                command: Some(entry.command.clone()),
                command_type: None,
                command_id: Some(entry.id.clone()),
                exit_code: Some(i64::from(exit_code)),
                duration_ms: Some(outcome.duration_ms),
                actor: input.actor.clone(),
                source: Some(format!("validation {}", entry.id)),
                quiet: true,
            },
        );
        match recorded {
            Ok(report) => report.result.log_path,
            Err(e) => {
                ctx.warn(format!(
                    "Warning: the output of {} was not recorded: {}",
                    entry.id, e.message
                ));
                unrecorded.push((entry.id.clone(), e));
                None
            }
        }
    };
    Ok(row(entry, outcome, log_path))
}

fn row(entry: &Entry, outcome: Outcome, log_path: Option<String>) -> Row {
    Row {
        command_id: entry.id.clone(),
        criticality: entry.criticality.as_str(),
        command: entry.command.clone(),
        description: entry.description.clone(),
        outcome,
        log_path,
    }
}

/// Passed, failed, skipped; E013 when a required command failed, E031 when the only problems
/// are skips; failures of other commands are warnings.
fn verdict(ctx: &Ctx, id: &str, results: Vec<Row>, interrupted: bool) -> RunReport {
    let passed = results.iter().filter(|r| r.outcome.success).count();
    let skipped = results.iter().filter(|r| r.outcome.skipped).count();
    let failed = results.len() - passed - skipped;
    let required_failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.outcome.success && !r.outcome.skipped && r.criticality == "required")
        .map(|r| r.command_id.as_str())
        .collect();
    for r in results
        .iter()
        .filter(|r| !r.outcome.success && !r.outcome.skipped && r.criticality != "required")
    {
        ctx.warn(format!(
            "Warning: {} failed ({}; {}): the task is not held up by it",
            r.command_id,
            exit_text(r),
            r.criticality
        ));
    }
    let failure = if interrupted {
        None
    } else if !required_failed.is_empty() {
        Some(
            Error::new(
                ErrorCode::E013,
                format!(
                    "Required validation command(s) of {id} failed: {}",
                    required_failed.join(", ")
                ),
            )
            .with_detail("task_id", id)
            .with_detail("failed", &required_failed)
            .with_detail("skipped", skipped_reasons(&results))
            .with_recovery(format!(
                "Read the logs (log_path of each result), fix the failures, then run them again: tasks --run-validation {id} --command-id {} (or --all)",
                required_failed.first().copied().unwrap_or("CID")
            )),
        )
    } else if skipped > 0 {
        let reasons = skipped_reasons(&results);
        Some(
            Error::new(
                ErrorCode::E031,
                format!("Validation of {id} is incomplete: {skipped} command(s) skipped"),
            )
            .with_detail("task_id", id)
            .with_detail("skipped", &reasons)
            .with_recovery("Finish the blocking task or provide what the skipped commands expect, then run them again"),
        )
    } else {
        None
    };
    RunReport {
        task_id: id.to_string(),
        results,
        passed,
        failed,
        skipped,
        interrupted,
        failure,
    }
}

/// `, attempt N` when the command was retried.
fn attempt_text(r: &Row) -> String {
    if r.outcome.attempts > 1 {
        format!(", attempt {}", r.outcome.attempts)
    } else {
        String::new()
    }
}

/// `id: reason` of each skipped command.
fn skipped_reasons(results: &[Row]) -> Vec<String> {
    results
        .iter()
        .filter(|r| r.outcome.skipped)
        .map(|r| {
            format!(
                "{}: {}",
                r.command_id,
                r.outcome.skip_reason.clone().unwrap_or_default()
            )
        })
        .collect()
}

fn exit_text(r: &Row) -> String {
    if r.outcome.timed_out {
        "timed out".into()
    } else if r.outcome.interrupted {
        "interrupted".into()
    } else {
        format!("exit {}", r.outcome.exit_code.unwrap_or(-1))
    }
}

impl Report for RunReport {
    fn text(&self, out: &mut Text) {
        let s = &mut out.stdout;
        for r in &self.results {
            let (mark, what) = if r.outcome.skipped {
                (
                    "⊘",
                    format!(
                        "skipped: {}",
                        field(r.outcome.skip_reason.as_deref().unwrap_or(""))
                    ),
                )
            } else if r.outcome.success {
                (
                    "✓",
                    format!(
                        "{:.1} s{}",
                        r.outcome.duration_ms as f64 / 1000.0,
                        attempt_text(r)
                    ),
                )
            } else {
                (
                    "✗",
                    format!(
                        "{}, {:.1} s{}{}",
                        exit_text(r),
                        r.outcome.duration_ms as f64 / 1000.0,
                        attempt_text(r),
                        if r.criticality == "required" {
                            String::new()
                        } else {
                            format!(" ({})", r.criticality)
                        }
                    ),
                )
            };
            s.push_str(&format!(
                "{mark} {} {} — {what}\n",
                field(&r.command_id),
                field(&crate::text::shorten(&r.command, 60))
            ));
            if let Some(log) = &r.log_path
                && !r.outcome.success
            {
                s.push_str(&format!("    log: {}\n", field(log)));
            }
        }
        s.push_str(&format!(
            "{}: {} passed, {} failed, {} skipped{}\n",
            self.task_id,
            self.passed,
            self.failed,
            self.skipped,
            if self.interrupted {
                " — interrupted"
            } else {
                ""
            }
        ));
    }

    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }

    fn succeeded(&self) -> bool {
        self.failure.is_none() && !self.interrupted
    }

    fn exit_code(&self) -> u8 {
        match (&self.failure, self.interrupted) {
            (Some(e), _) => e.exit,
            (None, true) => 130,
            (None, false) => 0,
        }
    }
}

/// One pipeline entry as listed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Listed {
    pub id: String,
    pub implicit_id: bool,
    pub command: Option<String>,
    pub description: Option<String>,
    pub cwd: Option<String>,
    pub criticality: Option<&'static str>,
    pub timeout_ms: Option<u64>,
    pub blocker_id: Option<String>,
    pub expected_paths: Vec<String>,
    pub expected_exit_codes: Vec<i32>,
    pub max_attempts: Option<u64>,
    /// Why the entry cannot run as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListReport {
    pub task_id: String,
    pub commands: Vec<Listed>,
    pub count: usize,
}

pub fn list(ctx: &Ctx, id: &str) -> Result<ListReport> {
    let commands: Vec<Listed> = pipeline_of(ctx, id)?
        .into_iter()
        .map(|r| match r {
            Ok(e) => {
                // A working directory that leads out of the repository cannot run.
                let outside = ctx
                    .repo
                    .root
                    .join(&e.cwd)
                    .canonicalize()
                    .ok()
                    .filter(|real| !real.starts_with(&ctx.repo.root));
                Listed {
                    problem: outside.map(|real| {
                        format!(
                            "cwd: {} resolves to {}, outside the repository",
                            e.cwd,
                            real.display()
                        )
                    }),
                    id: e.id,
                    implicit_id: e.implicit_id,
                    command: Some(e.command),
                    description: Some(e.description),
                    cwd: Some(e.cwd),
                    criticality: Some(e.criticality.as_str()),
                    timeout_ms: Some(e.timeout_ms),
                    blocker_id: e.blocker_id,
                    expected_paths: e.expected_paths,
                    expected_exit_codes: e.expected_exit_codes,
                    max_attempts: Some(e.retry.max_attempts),
                }
            }
            Err(p) => Listed {
                id: p.id,
                implicit_id: false,
                command: None,
                description: None,
                cwd: None,
                criticality: None,
                timeout_ms: None,
                blocker_id: None,
                expected_paths: Vec::new(),
                expected_exit_codes: Vec::new(),
                max_attempts: None,
                problem: Some(format!("{}: {}", p.field, p.message)),
            },
        })
        .collect();
    Ok(ListReport {
        task_id: id.to_string(),
        count: commands.len(),
        commands,
    })
}

impl Report for ListReport {
    fn text(&self, out: &mut Text) {
        if self.commands.is_empty() {
            out.stdout
                .push_str(&format!("{} has no validation.pipeline\n", self.task_id));
            return;
        }
        let rows: Vec<[String; 4]> = self
            .commands
            .iter()
            .map(|c| {
                [
                    c.id.clone(),
                    c.criticality.unwrap_or("—").to_string(),
                    c.cwd.clone().unwrap_or_default(),
                    match (&c.command, &c.problem) {
                        (_, Some(p)) => format!("cannot run: {p}"),
                        (Some(cmd), None) => cmd.clone(),
                        (None, None) => String::new(),
                    },
                ]
            })
            .collect();
        table(out, ["ID", "CRITICALITY", "CWD", "COMMAND"], &rows);
    }
}
