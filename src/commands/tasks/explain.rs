//! `--explain ID`: a task's hard blockers, artifact dependencies, closure and readiness.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text, field};
use crate::tasks::catalog::Found;
use crate::tasks::graph::{Graph, Hop};
use crate::tasks::priority;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Blocker {
    pub id: String,
    /// `unknown` when no task has this id.
    pub status: String,
    pub title: Option<String>,
    pub blocking: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Artifact {
    pub id: String,
    pub status: String,
    pub title: Option<String>,
    pub available: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Readiness {
    pub ready: bool,
    pub blocking_count: usize,
    pub recommendation: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskSummary {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub unblocker: bool,
    /// The priority it inherits from what it blocks (= `priority` when none).
    pub effective_priority: String,
    pub priority_reason: Option<String>,
    /// Why a `blocked` task is blocked (its `blocked_reason`).
    pub blocked_reason: Option<String>,
}

/// Hops of the blocker chain shown (the rest are counted).
const CHAIN_HOPS: usize = 200;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExplainReport {
    pub task: TaskSummary,
    pub hard_blockers: Vec<Blocker>,
    pub artifact_dependencies: Vec<Artifact>,
    pub transitive_closure: Vec<String>,
    /// The blockers hop by hop (depth-first; a task met again is marked `repeated`).
    pub blocker_chain: Vec<Hop>,
    /// Hops beyond the first 200, not listed.
    pub blocker_chain_omitted: usize,
    /// Tasks that wait for this one (their blocked_by names it).
    pub unblocks: Vec<String>,
    pub readiness: Readiness,
}

pub fn run(ctx: &Ctx, id: &str) -> Result<ExplainReport> {
    let catalog = ctx.catalog();
    let graph = Graph::of(catalog);
    let index = match (graph.index_of(id), catalog.find(id)) {
        (Some(index), _) => index,
        (None, Some(Found::Broken(broken))) => return Err(broken.error()),
        (None, _) => {
            return Err(Error::new(ErrorCode::E040, format!("Task not found: {id}"))
                .with_detail("task_id", id)
                .with_recovery(
                    "Check the id with `tasks --list`; archived tasks are included there",
                ));
        }
    };
    let task = &graph.tasks[index];
    let lookup = |dep: &str| match graph.get(dep) {
        Some(t) => (
            t.status.to_string(),
            Some(t.title.to_string()),
            t.is_completed(),
        ),
        None => ("unknown".to_string(), None, false),
    };
    let hard_blockers: Vec<Blocker> = task
        .blocked_by
        .iter()
        .map(|dep| {
            let (status, title, done) = lookup(dep);
            Blocker {
                id: dep.to_string(),
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
                id: dep.to_string(),
                status,
                title,
                available: done,
            }
        })
        .collect();
    let blocking_count = hard_blockers.iter().filter(|b| b.blocking).count();
    // What the task blocks, downstream: its priority inherited from there, and what it unblocks.
    let blocks = graph.blocks();
    let effective = priority::effective_of(&graph, &blocks, index);
    let (blocker_chain, blocker_chain_omitted) = graph.blocker_chain(index, CHAIN_HOPS);
    Ok(ExplainReport {
        task: TaskSummary {
            id: task.id.to_string(),
            title: task.title.to_string(),
            status: task.status.to_string(),
            priority: task.priority.to_string(),
            unblocker: task.unblocker,
            effective_priority: effective.priority.to_string(),
            priority_reason: effective.reason.as_deref().map(str::to_string),
            blocked_reason: task.blocked_reason.as_deref().map(str::to_string),
        },
        hard_blockers,
        artifact_dependencies,
        transitive_closure: graph.transitive_closure(index),
        blocker_chain,
        blocker_chain_omitted,
        unblocks: graph.dependents(&blocks, index),
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
        s.push_str(&format!("  Status: {}\n", field(&t.status)));
        // The reason of a task that is blocked (a reason left from an earlier block is in the
        // JSON, not shown as if it held).
        if let Some(reason) = t
            .blocked_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty() && t.status == "blocked")
        {
            s.push_str(&format!("  Blocked because: {}\n", field(reason.trim())));
        }
        if t.effective_priority == t.priority {
            s.push_str(&format!("  Priority: {}\n", field(&t.priority)));
        } else {
            s.push_str(&format!(
                "  Priority: {} (inherits {}: {})\n",
                field(&t.priority),
                field(&t.effective_priority),
                field(t.priority_reason.as_deref().unwrap_or(""))
            ));
        }
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
                            "    \u{21b3} {} (status: {}) - {} {tag}\n",
                            field(&a.id),
                            field(&a.status),
                            field(title)
                        ));
                    }
                    None => s.push_str(&format!(
                        "    \u{21b3} {} (MISSING) [UNAVAILABLE]\n",
                        field(&a.id)
                    )),
                }
            }
        }
        s.push('\n');
        if !self.blocker_chain.is_empty() {
            // Each hop under the task it blocks.
            s.push_str("  Blocker chain (each hop waits for the one below it):\n");
            s.push_str(&format!("    {}\n", field(&t.id)));
            let hops = &self.blocker_chain;
            // Whether a hop has a sibling after it: a later hop at its depth before any
            // shallower one (the hops are in walk order, each under the hop it blocks).
            let more_below = |k: usize| {
                hops[k + 1..]
                    .iter()
                    .find(|h| h.depth <= hops[k].depth)
                    .is_some_and(|h| h.depth == hops[k].depth)
            };
            // Per depth, whether the hop drawn last at it has siblings still to come (its
            // column continues with a bar).
            let mut open: Vec<bool> = Vec::new();
            for (k, hop) in hops.iter().enumerate() {
                let state = match (&hop.status, hop.repeated) {
                    (None, _) => "no such task".to_string(),
                    (Some(status), true) => format!("{}, shown above", field(status)),
                    (Some(status), false) => field(status).into_owned(),
                };
                let depth = hop.depth.max(1);
                open.resize(depth, false);
                let indent: String = open[..depth - 1]
                    .iter()
                    .map(|&bar| if bar { "\u{2502}  " } else { "   " })
                    .collect();
                let last = !more_below(k);
                open[depth - 1] = !last;
                let branch = if last { "\u{2514}" } else { "\u{251c}" };
                s.push_str(&format!(
                    "    {indent}{branch}\u{2500} {} ({state})\n",
                    field(&hop.id)
                ));
            }
            if self.blocker_chain_omitted > 0 {
                s.push_str(&format!(
                    "    ... and {} more hop(s) (all of them with --format json)\n",
                    self.blocker_chain_omitted
                ));
            }
            s.push('\n');
        }
        if !self.unblocks.is_empty() {
            s.push_str(&format!(
                "  Unblocks: {}\n\n",
                self.unblocks
                    .iter()
                    .map(|id| field(id).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.readiness.ready {
            s.push_str("  Readiness: READY\n");
        } else {
            s.push_str(&format!(
                "  Readiness: NOT READY ({} hard blocker(s) remain)\n",
                self.readiness.blocking_count
            ));
            let open: Vec<String> = self
                .hard_blockers
                .iter()
                .filter(|b| b.blocking)
                .map(|b| match b.title {
                    Some(_) => field(&b.id).into_owned(),
                    None => format!("{} (no such task: fix the reference)", field(&b.id)),
                })
                .collect();
            s.push_str(&format!(
                "  Recommendation: Complete these tasks first: {}\n",
                open.join(", ")
            ));
        }
    }
}
