//! QA baselines (spec 03 §4.4–§4.5, contract D7): `--record-qa` and `--compare-qa`. A log is
//! read once, streamed: parsed line by line, hashed, and copied into the task's evidence
//! (`.agent-output/<ID>/evidence/qa/`).

use crate::app::Ctx;
use crate::clock::iso;
use crate::context::model::Context;
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::evidence::index::{self as evidence, Attachment};
use crate::git::Git;
use crate::output::{Report, Text};
use crate::qa::compare::{Change, Comparison, QaResult, QaResults, compare};
use crate::qa::ingest::{CopyError, Hints, ingest};
use crate::qa::parse::Summary;
use crate::store::StateError;
use crate::store::txn::Txn;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// What `--record-qa` and `--compare-qa` were given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QaInput {
    /// The log, relative to the current directory.
    pub log: String,
    pub agent: Option<String>,
    pub command: Option<String>,
    pub command_type: Option<String>,
    pub command_id: Option<String>,
    pub exit_code: Option<i64>,
    pub duration_ms: Option<u64>,
    pub actor: Option<String>,
    /// What the log is recorded as coming from (default: its path); a validation run names
    /// its command here, its log being a temporary file.
    pub source: Option<String>,
    /// No warning about the log's kind or summary (a validation run knows its exit code).
    pub quiet: bool,
}

/// A log read and staged for the evidence directory.
struct ReadLog {
    result: QaResult,
    kept: String,
    size: u64,
}

/// The opened log, the path as given (joined to the current directory) and the file it resolved to.
type OpenedLog = (std::fs::File, std::path::PathBuf, std::path::PathBuf);

/// Open the log: E040 when it does not exist, E002 when it is not a file — or when it is in the
/// repository but a link leads out of it (a hostile repository could plant `qa/lint.log` →
/// `~/.aws/credentials` and have its copy kept in the task's evidence). A log outside the
/// repository, named as such, is the user's choice. What is opened is the file that was
/// checked: its resolved path, never through a link.
fn open_log(ctx: &Ctx, input: &QaInput) -> Result<OpenedLog> {
    use std::os::unix::fs::OpenOptionsExt;
    let given = ctx.cwd.join(&input.log);
    let not_found = || {
        Error::new(ErrorCode::E040, format!("QA log not found: {}", input.log))
            .with_detail("path", &input.log)
            .with_recovery("Pass the log the QA command wrote (e.g. pnpm lint > qa/lint.log 2>&1)")
    };
    let not_a_file = || {
        Error::new(ErrorCode::E002, format!("{} is not a file", input.log))
            .with_detail("path", &input.log)
            .with_recovery("Pass the log file itself")
    };
    let resolved = given.canonicalize().map_err(|_| not_found())?;
    // Where the log's name puts it: the current directory resolved, the name as written.
    let named = ctx
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| ctx.cwd.clone())
        .join(&input.log);
    if crate::store::paths::lexical(&named).starts_with(&ctx.repo.root)
        && !resolved.starts_with(&ctx.repo.root)
    {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "{} is in the repository but a symbolic link leads it out ({}); a QA log is not read through such a link",
                input.log,
                crate::text::field(&resolved.display().to_string())
            ),
        )
        .with_detail("path", &input.log)
        .with_detail("resolved", resolved.display().to_string())
        .with_recovery("Pass the log file itself (the QA command's output), not a link"));
    }
    if !std::fs::metadata(&resolved).is_ok_and(|m| m.is_file()) {
        return Err(not_a_file());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&resolved)
        .map_err(|e| crate::store::StateError::io(&resolved, "read", e))?;
    // Swapped for something else since it was checked: refuse that too.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(not_a_file());
    }
    Ok((file, given, resolved))
}

/// Read the log once (parsed, hashed and copied into the change being staged under the task's
/// lock as `evidence/qa/<command id>-<sha>.log`) and make it a QA result.
fn read_log(
    ctx: &Ctx,
    store: &ContextStore,
    txn: &mut Txn,
    input: &QaInput,
    (file, given, resolved): OpenedLog,
    now: &str,
    baselines: &QaResults,
) -> Result<ReadLog> {
    let recorded_type = (input.command_id.as_deref())
        .and_then(|id| baselines.get(id))
        .and_then(|r| r.command_type.as_deref());
    let hints = Hints {
        command: input.command.as_deref(),
        command_type: input.command_type.as_deref(),
        command_id: input.command_id.as_deref(),
        recorded_type,
    };
    let mut read_failed = false;
    let log = txn
        .put_named(
            |out| {
                let reader = std::io::BufReader::with_capacity(256 * 1024, file);
                ingest(reader, out, &hints).map_err(|e| match e {
                    CopyError::Read(e) => {
                        read_failed = true;
                        e
                    }
                    CopyError::Write(e) => e,
                })
            },
            |log| store.rel(&format!("evidence/qa/{}", log.file_name())),
        )
        .map_err(|e| match (read_failed, e) {
            (true, StateError::Io { source, .. }) => StateError::io(&given, "read", source).into(),
            (_, e) => Error::from(e),
        })?;
    if let Some(k) = log.kind
        && log.crashed()
        && !input.quiet
    {
        ctx.warn(format!(
            "Warning: {} has no {} summary (did the run crash?); its counts are unknown and, without --exit-code, it counts as failed",
            input.log,
            k.as_str()
        ));
    }
    let Some(command_id) = log.command_id.clone() else {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "Cannot tell what kind of QA log {} is (nothing in the command or the log says)",
                input.log
            ),
        )
        .with_detail("path", &input.log)
        .with_detail("expected", crate::qa::parse::KINDS)
        .with_recovery(format!(
            "Pass --command-type {} (a clean ESLint or tsc run prints nothing), or --command-id ID",
            crate::qa::parse::KINDS.join("|")
        )));
    };
    if log.kind.is_none() && !input.quiet {
        ctx.warn(format!(
            "Warning: the kind of {} is unknown; its summary is empty (pass --command-type {})",
            input.log,
            crate::qa::parse::KINDS.join("|")
        ));
    }
    let command = input.command.clone().unwrap_or_else(|| {
        log.kind
            .map_or_else(|| input.log.clone(), |k| k.as_str().to_string())
    });
    let (exit_code, inferred) = log.exit_code(input.exit_code);
    let kept = store.rel(&format!("evidence/qa/{}", log.file_name()));
    let source = input.source.clone().unwrap_or_else(|| {
        (ctx.repo.relative(&resolved)).unwrap_or_else(|| given.to_string_lossy().into_owned())
    });
    let head = Git::new(&ctx.repo.root).head().ok().flatten();
    Ok(ReadLog {
        result: QaResult {
            command_id,
            command,
            exit_code: Some(exit_code),
            duration_ms: input.duration_ms.unwrap_or(0),
            command_type: log.kind.map(|k| k.as_str().to_string()),
            exit_code_inferred: inferred,
            log_path: Some(kept.clone()),
            log_sha256: Some(log.sha256),
            source_log_path: Some(source),
            summary: Some(log.summary),
            recorded_at: Some(now.to_string()),
            agent: input.agent.clone(),
            git_sha: head,
            extra: Map::new(),
        },
        kept,
        size: log.size,
    })
}

/// List the staged log copy in the evidence index (under the task's lock).
/// `named_source`: the result's `source_log_path` names what ran, not a file (a validation run):
/// the entry's `path` is then its copy.
fn keep_log(
    store: &ContextStore,
    txn: &mut Txn,
    log: &ReadLog,
    now: &str,
    named_source: bool,
) -> Result<()> {
    let r = &log.result;
    let Some(sha) = r.log_sha256.clone() else {
        return Ok(());
    };
    let metadata = json!({
        "command": r.command,
        "exit_code": r.exit_code,
        "duration_ms": r.duration_ms,
        "command_id": r.command_id,
        "command_type": r.command_type,
        "agent": r.agent,
    });
    // Unknown values (no agent, no type) are left out rather than stored as null.
    let metadata: Map<String, Value> = metadata
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    evidence::add(
        store,
        txn,
        vec![Attachment {
            id: sha[..16].to_string(),
            kind: "qa_output".into(),
            path: r
                .source_log_path
                .clone()
                .filter(|_| !named_source)
                .unwrap_or_else(|| log.kept.clone()),
            sha256: sha,
            size: Some(log.size),
            created_at: now.to_string(),
            description: Some(format!("QA output: {}", r.command)),
            compression: None,
            metadata: Some(metadata),
            stored_path: Some(log.kept.clone()),
            source_path: None,
            updated_at: None,
            extra: Map::new(),
        }],
    )
}

/// `immutable.validation_baseline.initial_results` as QA results (a new, empty set when there
/// are none yet). A shape that cannot be read is E052: never overwritten.
fn baseline_of(store: &ContextStore, context: &Context, now: &str) -> Result<QaResults> {
    match &context.immutable.validation_baseline.initial_results {
        None | Some(Value::Null) => Ok(QaResults {
            recorded_at: now.to_string(),
            agent: None,
            git_sha: None,
            results: Vec::new(),
            extra: Map::new(),
        }),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            StateError::Corrupt {
                path: store.context_path(),
                reason: format!("immutable.validation_baseline.initial_results: {e}"),
            }
            .into()
        }),
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RecordReport {
    pub task_id: String,
    #[serde(flatten)]
    pub result: QaResult,
    /// True when a result with the same command_id was replaced.
    pub replaced: bool,
}

/// Record a QA result as the baseline of its command id (and, with `--agent`, as that role's
/// latest result).
pub fn record(ctx: &Ctx, id: &str, input: &QaInput) -> Result<RecordReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let now = iso(ctx.clock.now());
    let opened = open_log(ctx, input)?;
    let (replaced, result) = store.update(&ctx.repo, |context, txn| {
        let mut all = baseline_of(&store, context, &now)?;
        let log = read_log(ctx, &store, txn, input, opened, &now, &all)?;
        let result = log.result.clone();
        let replaced = all.upsert(result.clone());
        all.recorded_at = now.clone();
        all.agent = result.agent.clone().or(all.agent);
        all.git_sha = result.git_sha.clone();
        context.immutable.validation_baseline.initial_results =
            Some(serde_json::to_value(&all).map_err(|e| internal(e.to_string()))?);
        if let Some(role) = &result.agent
            && let Some(agent) = context.coordination.role_mut(role)
        {
            agent.qa_results =
                Some(serde_json::to_value(&result).map_err(|e| internal(e.to_string()))?);
            agent.qa_log_path = result.log_path.clone();
        }
        context.audit.touch(&now, input.actor.as_deref());
        keep_log(&store, txn, &log, &now, input.source.is_some())?;
        Ok((replaced, result))
    })?;
    Ok(RecordReport {
        task_id: id.to_string(),
        result,
        replaced,
    })
}

fn internal(message: String) -> Error {
    Error::new(ErrorCode::E999, message)
}

fn summary_text(summary: Option<&Summary>) -> String {
    let Some(s) = summary else {
        return "-".into();
    };
    let mut parts = Vec::new();
    for (name, value) in [
        ("lint errors", s.lint_errors),
        ("lint warnings", s.lint_warnings),
        ("type errors", s.type_errors),
        ("tests passed", s.tests_passed),
        ("tests failed", s.tests_failed),
        ("tests skipped", s.tests_skipped),
        ("tests todo", s.tests_todo),
    ] {
        if let Some(v) = value {
            parts.push(format!("{name} {v}"));
        }
    }
    if let Some(c) = &s.coverage {
        for (name, value) in [
            ("lines", c.lines),
            ("branches", c.branches),
            ("functions", c.functions),
            ("statements", c.statements),
        ] {
            if let Some(v) = value {
                parts.push(format!("{name} {v}%"));
            }
        }
    }
    if parts.is_empty() {
        "nothing recognised".into()
    } else {
        parts.join(", ")
    }
}

impl Report for RecordReport {
    fn text(&self, out: &mut Text) {
        let r = &self.result;
        out.stdout.push_str(&format!(
            "✓ QA result recorded for {} on {}{}\n  Command: {}\n  Type: {}\n  Exit code: {}{}\n  Summary: {}\n  Log kept: {}\n  Stored in immutable.validation_baseline.initial_results{}\n",
            r.command_id,
            self.task_id,
            if self.replaced { " (replaced the previous result)" } else { "" },
            r.command,
            r.command_type.as_deref().unwrap_or("unknown"),
            r.exit_code.map_or_else(|| "-".into(), |c| c.to_string()),
            if r.exit_code_inferred { " (inferred from the log)" } else { "" },
            summary_text(r.summary.as_ref()),
            r.log_path.as_deref().unwrap_or("-"),
            r.agent
                .as_deref()
                .map(|a| format!(" and coordination.{a}.qa_results"))
                .unwrap_or_default(),
        ));
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CompareReport {
    pub task_id: String,
    pub agent_role: String,
    pub command_id: String,
    pub has_drift: bool,
    pub regressions: Vec<Change>,
    pub improvements: Vec<Change>,
    pub baseline: QaResult,
    pub current: QaResult,
    /// E023 when something regressed.
    #[serde(skip)]
    pub failure: Option<Error>,
}

/// Compare a new log with the baseline of the same command id; the new result becomes the
/// role's latest. Regressions are E023 (exit 20) with `{regressions, improvements}` in details.
pub fn compare_qa(ctx: &Ctx, id: &str, role: &str, input: &QaInput) -> Result<CompareReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let now = iso(ctx.clock.now());
    let opened = open_log(ctx, input)?;
    let (baseline, current, comparison) = store.update(&ctx.repo, |context, txn| {
        let results = baseline_of(&store, context, &now)?;
        let log = read_log(ctx, &store, txn, input, opened, &now, &results)?;
        let current = log.result.clone();
        let Some(baseline) = results.get(&current.command_id).cloned() else {
            let known: Vec<&str> = results
                .results
                .iter()
                .map(|r| r.command_id.as_str())
                .collect();
            return Err(Error::new(
                ErrorCode::E051,
                format!(
                    "{id} has no QA baseline for command id '{}'",
                    current.command_id
                ),
            )
            .with_detail("task_id", id)
            .with_detail("command_id", &current.command_id)
            .with_detail("baselines", &known)
            .with_recovery(format!(
                "Record one first (tasks --record-qa {id} --agent {role} --from LOG), or pass --command-id / --command-type of an existing baseline"
            )));
        };
        let comparison = compare(&baseline, &current);
        if let Some(agent) = context.coordination.role_mut(role) {
            agent.qa_results =
                Some(serde_json::to_value(&current).map_err(|e| internal(e.to_string()))?);
            agent.qa_log_path = current.log_path.clone();
        }
        context.audit.touch(&now, input.actor.as_deref());
        keep_log(&store, txn, &log, &now, input.source.is_some())?;
        Ok((baseline, current, comparison))
    })?;
    let Comparison {
        has_drift,
        regressions,
        improvements,
    } = comparison;
    let failure = has_drift.then(|| {
        Error::new(
            ErrorCode::E023,
            format!(
                "{} QA regression(s) in '{}' for {id} ({role}) against the baseline",
                regressions.len(),
                current.command_id
            ),
        )
        .with_detail("task_id", id)
        .with_detail("agent", role)
        .with_detail("command_id", &current.command_id)
        .with_detail("regressions", &regressions)
        .with_detail("improvements", &improvements)
        .with_detail("baseline", &baseline.summary)
        .with_detail("current", &current.summary)
        .with_recovery(
            "Fix the regressions and run the QA command again; if the new numbers are the accepted state, record them as the baseline with --record-qa",
        )
    });
    Ok(CompareReport {
        failure,
        task_id: id.to_string(),
        agent_role: role.to_string(),
        command_id: current.command_id.clone(),
        has_drift,
        regressions,
        improvements,
        baseline,
        current,
    })
}

fn change_line(c: &Change) -> String {
    let mark = match c.severity {
        Some("error") => "✖",
        Some(_) => "⚠",
        None => "✓",
    };
    let delta = if c.delta.is_null() {
        String::new()
    } else {
        format!(", Δ{}", c.delta)
    };
    format!(
        "{mark} {} (baseline: {}, current: {}{delta})",
        c.kind, c.baseline, c.current
    )
}

impl Report for CompareReport {
    fn text(&self, out: &mut Text) {
        let o = &mut out.stdout;
        o.push_str(&format!(
            "QA comparison for {} ({}), command id {}\n  Baseline: {} ({})\n  Current:  {} ({})\n",
            self.task_id,
            self.agent_role,
            self.command_id,
            crate::output::field(
                self.baseline
                    .recorded_at
                    .as_deref()
                    .unwrap_or("recorded by tasks.py")
            ),
            summary_text(self.baseline.summary.as_ref()),
            crate::output::field(self.current.log_path.as_deref().unwrap_or("-")),
            summary_text(self.current.summary.as_ref()),
        ));
        if self.regressions.is_empty() {
            o.push_str("✓ No regressions\n");
        } else {
            o.push_str(&format!("✖ {} regression(s):\n", self.regressions.len()));
            for r in &self.regressions {
                o.push_str(&format!("  {}\n", change_line(r)));
            }
        }
        if !self.improvements.is_empty() {
            o.push_str(&format!("✓ {} improvement(s):\n", self.improvements.len()));
            for i in &self.improvements {
                o.push_str(&format!("  {}\n", change_line(i)));
            }
        }
    }

    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }
}
