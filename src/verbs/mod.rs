//! One module per verb: each takes the [`Ctx`](crate::app::Ctx), does its work and returns a
//! report for the output layer. Verbs never print.

pub mod check_halt;
pub mod explain;
pub mod graph;
pub mod list;
pub mod pick;
pub mod refresh;
pub mod validate;

use crate::app::Ctx;
use crate::tasks::Task;
use crate::tasks::priority::Effective;
use serde::Serialize;

/// A task as `--list` and `--pick` print it in JSON (spec 01 §7.1 field names).
#[derive(Debug, Serialize)]
pub struct TaskJson {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub effective_priority: String,
    pub priority_reason: Option<String>,
    pub area: String,
    pub unblocker: bool,
    pub order: Option<i64>,
    /// Sorted.
    pub blocked_by: Vec<String>,
    /// Sorted.
    pub depends_on: Vec<String>,
    /// Absolute path of the task file.
    pub path: String,
    pub hash: String,
    pub mtime: f64,
}

impl TaskJson {
    pub fn new(ctx: &Ctx, task: &Task, effective: Effective) -> TaskJson {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        TaskJson {
            id: task.id.clone(),
            title: task.title.clone(),
            status: task.status.clone(),
            priority: task.priority.clone(),
            effective_priority: effective.priority,
            priority_reason: effective.reason,
            area: task.area.clone(),
            unblocker: task.unblocker,
            order: task.order,
            blocked_by: sorted(&task.blocked_by),
            depends_on: sorted(&task.depends_on),
            path: ctx.abs(&task.path),
            hash: task.hash.clone(),
            mtime: task.mtime,
        }
    }
}
