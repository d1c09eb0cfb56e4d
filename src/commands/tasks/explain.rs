//! `--explain ID`: a task's hard blockers, artifact dependencies, closure and readiness.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text, field};
use crate::tasks::graph::Graph;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Blocker {
    pub id: String,
    /// `unknown` when no task has this id.
    pub status: String,
    pub title: Option<String>,
    pub blocking: bool,
}

#[derive(Debug, Serialize)]
pub struct Artifact {
    pub id: String,
    pub status: String,
    pub title: Option<String>,
    pub available: bool,
}

#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub blocking_count: usize,
    pub recommendation: String,
}

#[derive(Debug, Serialize)]
pub struct TaskSummary {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub unblocker: bool,
}

#[derive(Debug, Serialize)]
pub struct ExplainReport {
    pub task: TaskSummary,
    pub hard_blockers: Vec<Blocker>,
    pub artifact_dependencies: Vec<Artifact>,
    pub transitive_closure: Vec<String>,
    pub readiness: Readiness,
}

pub fn run(ctx: &Ctx, id: &str) -> Result<ExplainReport> {
    let catalog = ctx.catalog();
    let graph = Graph::new(&catalog.tasks);
    let index = graph.index_of(id).ok_or_else(|| {
        Error::new(ErrorCode::E040, format!("Task not found: {id}"))
            .with_detail("task_id", id)
            .with_recovery("Check the id with `tasks --list`; archived tasks are included there")
    })?;
    let task = &graph.tasks[index];
    let lookup = |dep: &String| match graph.get(dep) {
        Some(t) => (t.status.clone(), Some(t.title.clone()), t.is_completed()),
        None => ("unknown".to_string(), None, false),
    };
    let hard_blockers: Vec<Blocker> = task
        .blocked_by
        .iter()
        .map(|dep| {
            let (status, title, done) = lookup(dep);
            Blocker {
                id: dep.clone(),
                status,
                title,
                blocking: !done,
            }
        })
        .collect();
    let artifact_dependencies = task
        .depends_on
        .iter()
        .map(|dep| {
            let (status, title, done) = lookup(dep);
            Artifact {
                id: dep.clone(),
                status,
                title,
                available: done,
            }
        })
        .collect();
    let blocking_count = hard_blockers.iter().filter(|b| b.blocking).count();
    Ok(ExplainReport {
        task: TaskSummary {
            id: task.id.clone(),
            title: task.title.clone(),
            status: task.status.clone(),
            priority: task.priority.clone(),
            unblocker: task.unblocker,
        },
        hard_blockers,
        artifact_dependencies,
        transitive_closure: graph.transitive_closure(index),
        readiness: Readiness {
            ready: blocking_count == 0,
            blocking_count,
            recommendation: if blocking_count == 0 {
                "Task is ready to start".to_string()
            } else {
                format!("Complete {blocking_count} hard blocker(s) first")
            },
        },
    })
}

impl Report for ExplainReport {
    fn text(&self, out: &mut Text) {
        let s = &mut out.stdout;
        let t = &self.task;
        s.push_str(&format!("{}: {}\n", field(&t.id), field(&t.title)));
        s.push_str(&format!(
            "  Status: {}\n  Priority: {}\n",
            field(&t.status),
            field(&t.priority)
        ));
        if t.unblocker {
            s.push_str("  Unblocker: YES\n");
        }
        s.push('\n');
        if self.hard_blockers.is_empty() {
            s.push_str("  Hard Blockers (blocked_by): None\n");
        } else {
            s.push_str("  Hard Blockers (blocked_by):\n");
            for b in &self.hard_blockers {
                let tag = if b.blocking {
                    "[BLOCKING]"
                } else {
                    "[COMPLETED]"
                };
                match &b.title {
                    Some(title) => s.push_str(&format!(
                        "    \u{21b3} {} (status: {}) - {} {tag}\n",
                        field(&b.id),
                        field(&b.status),
                        field(title)
                    )),
                    None => s.push_str(&format!("    \u{21b3} {} (MISSING) {tag}\n", field(&b.id))),
                }
            }
        }
        s.push('\n');
        if self.artifact_dependencies.is_empty() {
            s.push_str("  Artifact Dependencies (depends_on): None\n");
        } else {
            s.push_str("  Artifact Dependencies (depends_on):\n");
            for a in &self.artifact_dependencies {
                match &a.title {
                    Some(title) => {
                        let tag = if a.available {
                            "[AVAILABLE]"
                        } else {
                            "[IN PROGRESS]"
                        };
                        s.push_str(&format!(
                            "    \u{21b3} {} (status: {}) - {title} {tag}\n",
                            a.id, a.status
                        ));
                    }
                    None => s.push_str(&format!("    \u{21b3} {} (MISSING) [UNAVAILABLE]\n", a.id)),
                }
            }
        }
        s.push('\n');
        if !self.transitive_closure.is_empty() {
            let ids = &self.transitive_closure;
            let chain = if ids.len() <= 5 {
                ids.join(" \u{2192} ")
            } else {
                format!(
                    "{} \u{2192} ... ({} total)",
                    ids[..3].join(" \u{2192} "),
                    ids.len()
                )
            };
            s.push_str(&format!(
                "  Transitive Chain:\n    {} \u{2192} {chain}\n\n",
                t.id
            ));
        }
        if self.readiness.ready {
            s.push_str("  Readiness: READY\n");
        } else {
            s.push_str(&format!(
                "  Readiness: NOT READY ({} hard blocker(s) remain)\n",
                self.readiness.blocking_count
            ));
            let open: Vec<&str> = self
                .hard_blockers
                .iter()
                .filter(|b| b.blocking)
                .map(|b| b.id.as_str())
                .collect();
            s.push_str(&format!(
                "  Recommendation: Complete these tasks first: {}\n",
                open.join(", ")
            ));
        }
    }
}
