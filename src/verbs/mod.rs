//! One module per verb: each takes the [`Ctx`](crate::app::Ctx), does its work and returns a
//! report for the output layer. Verbs never print.

pub mod check_halt;
pub mod context;
pub mod evidence;
pub mod exceptions;
pub mod excerpts;
pub mod explain;
pub mod graph;
pub mod lifecycle;
pub mod lint;
pub mod list;
pub mod pick;
pub mod qa;
pub mod quarantine;
pub mod refresh;
pub mod validate;
pub mod worktree;

use crate::app::Ctx;
use crate::context::model::{AgentCoordination, Context, ROLES};
use crate::error::Result;
use crate::tasks::Task;
use crate::tasks::model::STATUSES;
use crate::tasks::picker::Filter;
use crate::tasks::priority::Effective;
use serde::Serialize;

/// A task as `--list` and `--pick` print it in JSON (spec 01 §7.1 field names). Borrows from
/// the catalog: a 10,000-task listing copies no task text.
#[derive(Debug, Serialize)]
pub struct TaskJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub priority: &'a str,
    pub effective_priority: String,
    pub priority_reason: Option<String>,
    pub area: &'a str,
    pub unblocker: bool,
    pub order: Option<i64>,
    /// Sorted.
    pub blocked_by: Vec<&'a str>,
    /// Sorted.
    pub depends_on: Vec<&'a str>,
    /// Absolute path of the task file.
    pub path: String,
    pub hash: &'a str,
    pub mtime: f64,
    /// Listed in the quarantine index: never picked.
    pub quarantined: bool,
}

impl<'a> TaskJson<'a> {
    pub fn new(ctx: &Ctx, task: &'a Task, effective: Effective, quarantined: bool) -> TaskJson<'a> {
        let sorted = |v: &'a [String]| {
            let mut v: Vec<&'a str> = v.iter().map(String::as_str).collect();
            v.sort_unstable();
            v
        };
        TaskJson {
            id: &task.id,
            title: &task.title,
            status: &task.status,
            priority: &task.priority,
            effective_priority: effective.priority,
            priority_reason: effective.reason,
            area: &task.area,
            unblocker: task.unblocker,
            order: task.order,
            blocked_by: sorted(&task.blocked_by),
            depends_on: sorted(&task.depends_on),
            path: ctx.abs(&task.path),
            hash: &task.hash,
            mtime: task.mtime,
            quarantined,
        }
    }
}

/// A status filter that is no known status and that no task has is most likely a typo: say so
/// on stderr (custom statuses stay usable).
pub fn hint_unknown_status(ctx: &Ctx, filter: &Filter, tasks: &[Task]) {
    if let Filter::Status(status) = filter
        && !STATUSES.contains(&status.as_str())
        && !tasks.iter().any(|t| &t.status == status)
    {
        ctx.warn(format!(
            "Warning: no task has status '{status}' (known statuses: {}, or the filter unblocker)",
            STATUSES.join(", ")
        ));
    }
}

/// The coordination of `role` in `context` (roles are checked on the command line; anything else
/// is E002 naming `option`).
pub fn agent_mut<'a>(
    context: &'a mut Context,
    option: &str,
    role: &str,
) -> Result<&'a mut AgentCoordination> {
    context
        .coordination
        .role_mut(role)
        .ok_or_else(|| crate::ledger::invalid_choice(option, role, &ROLES))
}
