//! `--claim`, `--complete`, `--archive` (spec 01 §7.8, contract D5): only the `status:` line of
//! the task file changes, every write is atomic, and a failure changes nothing.

use crate::app::Ctx;
use crate::context::store::{ContextStore, OUTPUT_DIR};
use crate::error::{Error, ErrorCode, Result};
use crate::evidence::keep::{KeptContext, keep_context};
use crate::ledger::LedgerFile;
use crate::notify;
use crate::output::{Report, Text};
use crate::repo::ARCHIVE_DIR;
use crate::store;
use crate::store::txn::Locked;
use crate::tasks::Task;
use crate::tasks::file::{self, TaskFile, under};
use crate::tasks::graph::Graph;
use crate::tasks::journal;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Claim,
    Unclaim,
    Block,
    Complete,
    Archive,
}

impl Action {
    fn flag(self) -> &'static str {
        match self {
            Action::Claim => "--claim",
            Action::Unclaim => "--unclaim",
            Action::Block => "--block",
            Action::Complete => "--complete",
            Action::Archive => "--archive",
        }
    }
}

/// The values of `LifecycleReport::action`.
fn actions(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "enum": ["claimed", "unclaimed", "blocked", "completed", "archived", "already_archived"]
    })
}

/// The longest `--block` reason kept.
pub const MAX_REASON: usize = 500;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LifecycleReport {
    pub task_id: String,
    /// `claimed`, `unclaimed`, `blocked`, `completed`, `archived` or `already_archived`.
    #[schemars(schema_with = "actions")]
    pub action: &'static str,
    /// Absolute path of the task file before the command.
    pub path: String,
    /// Absolute path after it (the archive for --complete and --archive).
    pub new_path: String,
    pub previous_status: String,
    pub status: String,
    /// Ledger exceptions removed by --complete (trigger task_completion).
    pub exceptions_removed: usize,
    /// True when --complete removed the task's context cache (`.agent-output/<ID>/`).
    pub context_removed: bool,
    /// Where --complete kept the context it removed (a deterministic `tar.zst` and its
    /// listing), and the command that restores it; `null` when there was none.
    pub context_archive: Option<KeptContext>,
    /// The channel that accepted the completion notification, if any.
    pub notified: Option<&'static str>,
    /// The `blocked_reason` written by --block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_reason: Option<String>,
    /// True when this run finished a completion that an earlier, interrupted run had begun.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

pub fn run(ctx: &Ctx, action: Action, arg: &str, reason: Option<&str>) -> Result<LifecycleReport> {
    let first = locate(ctx, action, arg)?;
    // One change at a time per task: two claims (or a claim and a completion) of the same task
    // run one after the other, and the second sees what the first did.
    let locked = journal::lock(&ctx.repo, &first.task.id)?;
    let file = first.reread()?;
    let task = &file.task;
    let archived = under(&file.rel, ARCHIVE_DIR);
    let previous = task.status.clone();
    let mut report = LifecycleReport {
        task_id: task.id.to_string(),
        action: "",
        path: ctx.abs(&file.rel),
        new_path: ctx.abs(&file.rel),
        previous_status: previous.to_string(),
        status: previous.to_string(),
        exceptions_removed: 0,
        context_removed: false,
        context_archive: None,
        notified: None,
        blocked_reason: None,
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
                )
                .with_recovery(draft_recovery(&task.id, &file.rel)));
            }
            if previous != "todo" && previous != "blocked" {
                return Err(refuse(&format!(
                    "its status is '{}'; only 'todo' or 'blocked' tasks can be claimed",
                    crate::text::field(&previous)
                )));
            }
            warn_open_blockers(ctx, task);
            let text = file.with_status("in_progress")?;
            rewrite(&locked, &file.rel, &text)?;
            report.action = "claimed";
            report.status = "in_progress".to_string();
        }
        Action::Unclaim => {
            if previous != "in_progress" {
                return Err(refuse(&format!(
                    "its status is '{}'; only an in_progress task can be unclaimed",
                    crate::text::field(&previous)
                )));
            }
            let text = file.with_status("todo")?;
            rewrite(&locked, &file.rel, &text)?;
            report.action = "unclaimed";
            report.status = "todo".to_string();
        }
        Action::Block => {
            let reason = reason.unwrap_or_default();
            if !matches!(previous.as_ref(), "todo" | "in_progress" | "blocked") {
                return Err(refuse(&format!(
                    "its status is '{}'; only todo, in_progress or blocked tasks can be blocked",
                    crate::text::field(&previous)
                )));
            }
            let text = file.with_status_and("blocked", Some(("blocked_reason", reason)))?;
            rewrite(&locked, &file.rel, &text)?;
            report.action = "blocked";
            report.status = "blocked".to_string();
            report.blocked_reason = Some(reason.to_string());
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
                )
                .with_recovery(draft_recovery(&task.id, &file.rel)));
            }
            let text = file.with_status("completed")?;
            let target = if archived {
                rewrite(&locked, &file.rel, &text)?;
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
            warn_unfinished(ctx, task);
            after_completion(ctx, task, &mut report);
        }
        Action::Archive => {
            if archived {
                report.action = "already_archived";
                return Ok(report);
            }
            if previous != "completed" {
                return Err(refuse(&format!(
                    "its status is '{}'; only completed tasks can be archived",
                    crate::text::field(&previous)
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

/// Replace the task file `rel` with `text` (one file: atomic, under the task's lock).
fn rewrite(locked: &Locked, rel: &str, text: &str) -> Result<()> {
    let mut txn = locked.begin();
    txn.put(rel, text.as_bytes())?;
    txn.commit()?;
    Ok(())
}

/// The task file a command-line argument names (a path or an id), read from disk. Never a
/// symbolic link or a file of the cache: the file itself is what changes.
fn locate(ctx: &Ctx, action: Action, arg: &str) -> Result<TaskFile> {
    let rel = file::locate(&ctx.repo, &ctx.cwd, || ctx.catalog(), arg)?;
    let abs = ctx.repo.root.join(&rel);
    // The path as given, too: a link named on the command line resolves to another file, which
    // is not the one named.
    let given = ctx.cwd.join(arg);
    let is_link = [&abs, &given]
        .iter()
        .any(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()));
    if is_link || under(&rel, crate::repo::CACHE_DIR) {
        return Err(Error::new(
            ErrorCode::E002,
            format!("{rel} is a symbolic link or a cache file; change the task file itself"),
        )
        .with_detail("path", &rel)
        .with_recovery(format!("Pass the real task file to {}", action.flag())));
    }
    TaskFile::read(&ctx.repo, &rel)
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
    let archived = ctx
        .repo
        .relative(Path::new(&report.new_path))
        .unwrap_or_default();
    report.context_archive = purge_context(ctx, &task.id, &archived);
    report.context_removed = report.context_archive.is_some();
    // Last: the only step that can wait on the network.
    let config = notify::Config::from_env(|k| std::env::var(k).ok());
    let outcome = notify::send(&config, &notify::completion_message(&task.id, &task.title));
    report.notified = outcome.channel;
    for warning in outcome.warnings {
        ctx.warn(warning);
    }
}

/// Archive `.agent-output/<ID>/` into `.agent-output/.completed/<ID>/`, then remove it, under
/// the context's own lock (a concurrent context change finishes first), never through a link.
/// The archive when there was a context and it is gone; a context that cannot be archived is
/// kept (with a warning): the agents' evidence is never destroyed by a completion.
fn purge_context(ctx: &Ctx, id: &str, archived: &str) -> Option<KeptContext> {
    let store = ContextStore::of(&ctx.repo, id);
    let now = crate::clock::iso(ctx.clock.now());
    // The task's final metrics are kept beside the archive (the dashboard reads them), when it
    // has telemetry; metrics that cannot be computed are a warning, never a lost completion.
    let pipeline = file::TaskFile::read(&ctx.repo, archived)
        .and_then(|f| f.document())
        .ok()
        .map(|doc| crate::validation::pipeline::required(&doc));
    let purged = store.purge_after(&ctx.repo, |txn| {
        let kept = keep_context(&ctx.repo, &store, txn, &now)?;
        match crate::metrics::task::summarize(&ctx.repo, &store, pipeline, None, &now) {
            Ok((summary, files)) if !files.is_empty() => {
                txn.put_json(&crate::metrics::task::completed_path(id), &summary)?;
            }
            Ok(_) => {}
            Err(e) => ctx.warn(format!(
                "Warning: the metrics of {id} were not kept (its context is archived all the same): {}",
                e.message
            )),
        }
        Ok(kept)
    });
    match purged {
        Ok(kept) => {
            for left in kept.iter().flat_map(|k| &k.left_out) {
                ctx.warn(format!(
                    "Warning: {} of the context of {id} was not archived ({}) and is removed with it",
                    crate::text::field(&left.path),
                    left.reason
                ));
            }
            kept
        }
        Err(e) => {
            ctx.warn(format!(
                "Warning: the context cache of {id} was not removed (it is kept as it is; nothing was archived): {}",
                e.message
            ));
            None
        }
    }
}

/// Completing is the maintainer's call and is never refused, but what was left unfinished is
/// said: blockers that are not completed, and roles of the context that started and are not
/// done (before `--complete` archives the context).
fn warn_unfinished(ctx: &Ctx, task: &Task) {
    let open = open_blockers(ctx, task);
    if !open.is_empty() {
        ctx.warn(format!(
            "Warning: {} is completed while tasks it is blocked by are not: {}",
            task.id,
            crate::text::field(&open.join(", "))
        ));
    }
    let Ok(context) = ContextStore::of(&ctx.repo, &task.id).read(&ctx.repo) else {
        return;
    };
    let unfinished: Vec<String> = (context.coordination.roles().into_iter())
        .filter(|(_, c)| c.status != "done" && c.status != "pending")
        .map(|(role, c)| format!("{role} ({})", crate::text::field(&c.status)))
        .collect();
    if !unfinished.is_empty() {
        ctx.warn(format!(
            "Warning: {} is completed while roles of its context are not done: {}",
            task.id,
            unfinished.join(", ")
        ));
    }
}

/// The blockers of `task` that are not completed, in declared order.
fn open_blockers<'t>(ctx: &Ctx, task: &'t Task) -> Vec<&'t str> {
    let graph = Graph::of(ctx.catalog());
    (task.blocked_by.iter())
        .filter(|b| !graph.is_completed(b))
        .map(|b| &**b)
        .collect()
}

fn warn_open_blockers(ctx: &Ctx, task: &Task) {
    let open = open_blockers(ctx, task);
    if !open.is_empty() {
        ctx.warn(format!(
            "Warning: {} is still blocked by tasks that are not completed: {}",
            task.id,
            crate::text::field(&open.join(", "))
        ));
    }
}

impl Report for LifecycleReport {
    fn text(&self, out: &mut Text) {
        use crate::text::field;
        let s = &mut out.stdout;
        let (previous_status, status) = (field(&self.previous_status), field(&self.status));
        let (path, new_path) = (field(&self.path), field(&self.new_path));
        match self.action {
            "claimed" => s.push_str(&format!(
                "✓ Claimed task {}\n  Status: {} → {}\n  File: {}\n",
                self.task_id, previous_status, status, new_path
            )),
            "completed" => {
                s.push_str(&format!(
                    "✓ Completed task {}\n  Status: {} → {}\n  Archived to: {}\n",
                    self.task_id, previous_status, status, new_path
                ));
                if self.exceptions_removed > 0 {
                    s.push_str(&format!(
                        "  Exceptions removed: {} (resolved by the completion)\n",
                        self.exceptions_removed
                    ));
                }
                if let Some(kept) = &self.context_archive {
                    s.push_str(&format!(
                        "  Context cache removed: {OUTPUT_DIR}/{}/ (kept as {})\n  Restore it with: {}\n",
                        self.task_id, kept.path, kept.restore
                    ));
                }
                if let Some(channel) = self.notified {
                    s.push_str(&format!("  Notified: {channel}\n"));
                }
            }
            "unclaimed" => s.push_str(&format!(
                "✓ Unclaimed task {}\n  Status: {} → {}\n  File: {}\n",
                self.task_id, previous_status, status, new_path
            )),
            "blocked" => s.push_str(&format!(
                "✓ Blocked task {}\n  Status: {} → {}\n  Reason: {}\n  File: {}\n",
                self.task_id,
                previous_status,
                status,
                field(self.blocked_reason.as_deref().unwrap_or("")),
                new_path
            )),
            "archived" => s.push_str(&format!(
                "✓ Archived task {}\n  Moved to: {}\n",
                self.task_id, new_path
            )),
            _ => s.push_str(&format!(
                "✓ Task {} is already archived\n  File: {}\n",
                self.task_id, path
            )),
        }
    }
}

/// How a draft becomes workable: by a person's edit (no command promotes a draft).
fn draft_recovery(id: &str, rel: &str) -> String {
    format!(
        "A draft moves to 'todo' by hand, once a person has resolved its clarifications: check it with tasks --lint {id}, then change its status: line to 'status: todo' in {rel}"
    )
}
