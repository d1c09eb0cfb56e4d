//! `--claim`, `--complete`, `--archive` (spec 01 §7.8, contract D5): only the `status:` line of
//! the task file changes, every write is atomic, and a failure changes nothing.

use crate::app::Ctx;
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::is_valid_id;
use crate::ledger::LedgerFile;
use crate::notify;
use crate::output::{Report, Text};
use crate::repo::{ARCHIVE_DIR, TASKS_DIR};
use crate::store;
use crate::store::txn::Locked;
use crate::tasks::Task;
use crate::tasks::catalog::Found;
use crate::tasks::discover::TASK_FILE_SUFFIX;
use crate::tasks::edit::set_status;
use crate::tasks::graph::Graph;
use crate::tasks::journal;
use crate::tasks::parse::{decode, parse_text};
use crate::tasks::yaml::{self, Yaml};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Claim,
    Complete,
    Archive,
}

impl Action {
    fn flag(self) -> &'static str {
        match self {
            Action::Claim => "--claim",
            Action::Complete => "--complete",
            Action::Archive => "--archive",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LifecycleReport {
    pub task_id: String,
    /// `claimed`, `completed`, `archived` or `already_archived`.
    pub action: &'static str,
    /// Absolute path of the task file before the command.
    pub path: String,
    /// Absolute path after it (the archive for --complete and --archive).
    pub new_path: String,
    pub previous_status: String,
    pub status: String,
    /// Ledger exceptions removed by --complete (trigger task_completion).
    pub exceptions_removed: usize,
    /// The channel that accepted the completion notification, if any.
    pub notified: Option<&'static str>,
    /// True when this run finished a completion that an earlier, interrupted run had begun.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

/// A task file named on the command line, read and parsed.
struct TaskFile {
    rel: String,
    abs: PathBuf,
    raw: Vec<u8>,
    task: Task,
}

pub fn run(ctx: &Ctx, action: Action, arg: &str) -> Result<LifecycleReport> {
    let first = locate(ctx, action, arg)?;
    // One change at a time per task: two claims (or a claim and a completion) of the same task
    // run one after the other, and the second sees what the first did.
    let locked = journal::lock(&ctx.repo, &first.task.id)?;
    let file = reread(first)?;
    let task = &file.task;
    let archived = under(&file.rel, ARCHIVE_DIR);
    let previous = task.status.clone();
    let mut report = LifecycleReport {
        task_id: task.id.clone(),
        action: "",
        path: ctx.abs(&file.rel),
        new_path: ctx.abs(&file.rel),
        previous_status: previous.clone(),
        status: previous.clone(),
        exceptions_removed: 0,
        notified: None,
        resumed: false,
    };
    let refuse = |why: &str| {
        Error::new(
            ErrorCode::E002,
            format!("Cannot {} {}: {why}", &action.flag()[2..], task.id),
        )
        .with_detail("task_id", &task.id)
        .with_detail("status", &previous)
        .with_recovery("Check the task's status with --explain or --list")
    };
    match action {
        Action::Claim => {
            if previous == "draft" {
                return Err(refuse(
                    "its status is 'draft'; resolve its clarifications and move it to 'todo' first",
                ));
            }
            if previous != "todo" && previous != "blocked" {
                return Err(refuse(&format!(
                    "its status is '{previous}'; only 'todo' or 'blocked' tasks can be claimed"
                )));
            }
            warn_open_blockers(ctx, task);
            let text = edited(&file, "in_progress")?;
            let mut txn = locked.begin();
            txn.put(&file.rel, text.as_bytes())?;
            txn.commit()?;
            report.action = "claimed";
            report.status = "in_progress".to_string();
        }
        Action::Complete => {
            if previous == "completed" {
                // An earlier run moved the file and was stopped before it cleaned up.
                if archived && has_leftovers(ctx, &task.id) {
                    report.action = "completed";
                    report.resumed = true;
                    drop(locked);
                    after_completion(ctx, task, &mut report);
                    return Ok(report);
                }
                return Err(refuse("it is already completed"));
            }
            if previous == "draft" {
                return Err(refuse(
                    "its status is 'draft'; resolve its clarifications and move it to 'todo' first",
                ));
            }
            let text = edited(&file, "completed")?;
            let target = if archived {
                let mut txn = locked.begin();
                txn.put(&file.rel, text.as_bytes())?;
                txn.commit()?;
                file.rel.clone()
            } else {
                let (target, resumed) = move_to_archive(ctx, &locked, &file, text.as_bytes())?;
                report.resumed = resumed;
                target
            };
            report.action = "completed";
            report.status = "completed".to_string();
            report.new_path = ctx.abs(&target);
            // The task's file is done: its lock is not held while the context's is taken.
            drop(locked);
            after_completion(ctx, task, &mut report);
        }
        Action::Archive => {
            if archived {
                report.action = "already_archived";
                return Ok(report);
            }
            if previous != "completed" {
                return Err(refuse(&format!(
                    "its status is '{previous}'; only completed tasks can be archived"
                )));
            }
            let (target, resumed) = move_to_archive(ctx, &locked, &file, &file.raw)?;
            report.resumed = resumed;
            report.action = "archived";
            report.new_path = ctx.abs(&target);
        }
    }
    Ok(report)
}

fn under(rel: &str, dir: &str) -> bool {
    rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The task file a command-line argument names: a path (relative to the current directory) of a
/// `*.task.yaml` file under `tasks/` or `docs/completed-tasks/` of this repository, or a task id.
fn locate(ctx: &Ctx, action: Action, arg: &str) -> Result<TaskFile> {
    let given = ctx.cwd.join(arg);
    let rel = if given.exists() {
        let abs = store::fs::canonicalize(&given)?;
        let rel = ctx.repo.relative(&abs).filter(|r| {
            r.ends_with(TASK_FILE_SUFFIX)
                && (under(r, TASKS_DIR) || under(r, ARCHIVE_DIR))
                && abs.is_file()
        });
        rel.ok_or_else(|| {
            Error::new(
                ErrorCode::E002,
                format!(
                    "{} is not a task file of this repository (a *.task.yaml under tasks/ or docs/completed-tasks/)",
                    abs.display()
                ),
            )
            .with_detail("path", abs.display().to_string())
            .with_recovery(format!("Pass a task file or a task id to {}", action.flag()))
        })?
    } else if is_valid_id(arg) {
        match ctx.catalog().find(arg) {
            Some(Found::Task(task)) => task.path.clone(),
            // The file exists but does not load: say so, not "not found".
            Some(Found::Broken(broken)) => return Err(broken.error()),
            None => return Err(not_found(arg)),
        }
    } else {
        return Err(not_found(arg));
    };
    let abs = ctx.repo.root.join(&rel);
    let is_link = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink());
    if is_link || under(&rel, crate::repo::CACHE_DIR) {
        return Err(Error::new(
            ErrorCode::E002,
            format!("{rel} is a symbolic link or a cache file; change the task file itself"),
        )
        .with_detail("path", &rel)
        .with_recovery(format!("Pass the real task file to {}", action.flag())));
    }
    let raw = store::fs::read(&abs)?;
    let task = parse_file(&raw, &rel)?;
    Ok(TaskFile {
        rel,
        abs,
        raw,
        task,
    })
}

/// The file read again under the lock (another process may have changed or moved it).
fn reread(file: TaskFile) -> Result<TaskFile> {
    let raw = store::fs::read(&file.abs)?;
    if raw == file.raw {
        return Ok(file);
    }
    let task = parse_file(&raw, &file.rel)?;
    Ok(TaskFile { raw, task, ..file })
}

fn not_found(arg: &str) -> Error {
    Error::new(ErrorCode::E040, format!("Task not found: {arg}"))
        .with_detail("path", arg)
        .with_recovery("Pass the path of a task file, or a task id from --list")
}

fn parse_file(raw: &[u8], rel: &str) -> Result<Task> {
    let parsed = decode(raw).and_then(|(text, hash)| parse_text(&text, hash, rel, 0.0));
    parsed.map_err(|failure| {
        Error::new(
            ErrorCode::E011,
            format!("{rel} cannot be loaded: {failure}"),
        )
        .with_detail("path", rel)
        .with_detail("line", failure.line)
        .with_detail("column", failure.column)
        .with_recovery("Fix the task file (tasks --lint shows the problems), then retry")
    })
}

/// The file's text with only its status changed. Checked by parsing both versions: the
/// document must be the old one with only the top-level `status` replaced (a status line inside a
/// flow mapping, say, would fail this), and it must still load as the same task.
fn edited(file: &TaskFile, status: &str) -> Result<String> {
    let refuse = |why: String| {
        Error::new(
            ErrorCode::E002,
            format!("Cannot change the status in {}: {why}", file.rel),
        )
        .with_detail("path", &file.rel)
        .with_recovery(format!(
            "Write the status as a plain top-level line `status: {}` by hand, or simplify that line and retry",
            file.task.status
        ))
    };
    let text = std::str::from_utf8(&file.raw)
        .map_err(|_| Error::new(ErrorCode::E011, format!("{} is not valid UTF-8", file.rel)))?;
    let new_text = set_status(text, status).map_err(|e| refuse(e.0))?;
    let normalized = |t: &str| {
        t.strip_prefix('\u{feff}')
            .unwrap_or(t)
            .replace("\r\n", "\n")
    };
    let (Ok(Yaml::Map(mut before)), Ok(after)) = (
        yaml::parse(&normalized(text)),
        yaml::parse(&normalized(&new_text)),
    ) else {
        return Err(refuse("the edited file would not parse".to_string()));
    };
    for (key, value) in before.iter_mut() {
        if key == "status" {
            *value = Yaml::Str(status.to_string());
        }
    }
    if Yaml::Map(before) != after {
        return Err(refuse(
            "the status line holds more than the status (other fields would change)".to_string(),
        ));
    }
    let reloaded = parse_file(new_text.as_bytes(), &file.rel)?;
    if reloaded.status != status || reloaded.id != file.task.id {
        return Err(refuse(
            "the edited file does not read back as expected".to_string(),
        ));
    }
    Ok(new_text)
}

/// Move the task file to `docs/completed-tasks/<file name>` with `bytes` as its content, in one
/// transaction (the archived copy created, the original removed: a crash leaves one or the
/// other, never both). An existing destination is E042 — unless it is exactly what this move
/// writes, left by an earlier run that was interrupted: then the move is finished (`true`).
fn move_to_archive(
    ctx: &Ctx,
    locked: &Locked,
    file: &TaskFile,
    bytes: &[u8],
) -> Result<(String, bool)> {
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    let rel = format!("{ARCHIVE_DIR}/{name}");
    let target = ctx.repo.root.join(&rel);
    let exists = || {
        Error::new(
            ErrorCode::E042,
            format!(
                "Archive destination already exists: {} (a task file with this name is already archived)",
                target.display()
            ),
        )
        .with_detail("path", target.display().to_string())
        .with_recovery(
            "Remove or rename the existing archived file (or compare the two), then retry",
        )
    };
    // The archive is a real directory of this repository (never a link: through one, the
    // "archived copy" could be the original itself).
    ctx.repo.existing_state_dir(ARCHIVE_DIR)?;
    let mut txn = locked.begin();
    let resumed = match std::fs::symlink_metadata(&target) {
        Err(_) => {
            txn.create(&rel, bytes, Some(&file.abs))?;
            false
        }
        Ok(meta)
            if meta.is_file()
                && !same_file(&meta, &file.abs)
                && std::fs::read(&target).is_ok_and(|b| b == bytes) =>
        {
            true
        }
        Ok(_) => return Err(exists()),
    };
    txn.remove(&file.rel)?;
    txn.commit().map_err(|e| match &e {
        store::StateError::Io { source, .. }
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            exists()
        }
        _ => Error::from(e),
    })?;
    Ok((rel, resumed))
}

/// Whether `meta` describes the file at `path` (two names of one file are never a copy).
fn same_file(meta: &std::fs::Metadata, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
}

/// Whether a completed task still has what a completion removes: a context cache (or an
/// interrupted removal of it) or ledger exceptions that go away on completion.
fn has_leftovers(ctx: &Ctx, id: &str) -> bool {
    let store = ContextStore::of(&ctx.repo, id);
    let context = std::fs::symlink_metadata(&store.dir).is_ok() || store.unsettled(&ctx.repo);
    let exceptions = LedgerFile::of(&ctx.repo)
        .read()
        .ok()
        .flatten()
        .is_some_and(|l| {
            l.exceptions
                .iter()
                .any(|e| e.task_id == id && e.auto_remove_on == "task_completion")
        });
    context || exceptions
}

/// After a completion: clean up the task's ledger exceptions, notify, purge its context cache.
/// None of these can fail the completion; problems are warnings.
fn after_completion(ctx: &Ctx, task: &Task, report: &mut LifecycleReport) {
    let now = crate::clock::iso(ctx.clock.now());
    let cleanup = LedgerFile::of(&ctx.repo).update_existing(|ledger| {
        let removed = ledger.remove_where(&now, |e| {
            e.task_id == task.id && e.auto_remove_on == "task_completion"
        });
        Ok((removed.len(), !removed.is_empty()))
    });
    match cleanup {
        Ok(removed) => report.exceptions_removed = removed.unwrap_or(0),
        Err(e) => ctx.warn(format!(
            "Warning: could not clean up the exceptions of {}: {}",
            task.id, e.message
        )),
    }
    purge_context(ctx, &task.id);
    // Last: the only step that can wait on the network.
    let config = notify::Config::from_env(|k| std::env::var(k).ok());
    let outcome = notify::send(&config, &notify::completion_message(&task.id, &task.title));
    report.notified = outcome.channel;
    for warning in outcome.warnings {
        ctx.warn(warning);
    }
}

/// Remove `.agent-output/<ID>/` under the context's own lock (a concurrent context change
/// finishes first), never through a link.
fn purge_context(ctx: &Ctx, id: &str) {
    if let Err(e) = ContextStore::of(&ctx.repo, id).purge(&ctx.repo) {
        ctx.warn(format!(
            "Warning: the context cache of {id} was not removed: {}",
            e.message
        ));
    }
}

fn warn_open_blockers(ctx: &Ctx, task: &Task) {
    let catalog = ctx.catalog();
    let graph = Graph::new(&catalog.tasks);
    let open: Vec<&str> = task
        .blocked_by
        .iter()
        .filter(|b| !graph.is_completed(b))
        .map(String::as_str)
        .collect();
    if !open.is_empty() {
        ctx.warn(format!(
            "Warning: {} is still blocked by tasks that are not completed: {}",
            task.id,
            open.join(", ")
        ));
    }
}

impl Report for LifecycleReport {
    fn text(&self, out: &mut Text) {
        let s = &mut out.stdout;
        match self.action {
            "claimed" => s.push_str(&format!(
                "✓ Claimed task {}\n  Status: {} → {}\n  File: {}\n",
                self.task_id, self.previous_status, self.status, self.new_path
            )),
            "completed" => s.push_str(&format!(
                "✓ Completed task {}\n  Status: {} → {}\n  Archived to: {}\n",
                self.task_id, self.previous_status, self.status, self.new_path
            )),
            "archived" => s.push_str(&format!(
                "✓ Archived task {}\n  Moved to: {}\n",
                self.task_id, self.new_path
            )),
            _ => s.push_str(&format!(
                "✓ Task {} is already archived\n  File: {}\n",
                self.task_id, self.path
            )),
        }
    }
}
