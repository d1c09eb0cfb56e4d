//! Ordering and picking (spec 01 §6): the shared sort key, the blocked-unblocker halt, draft
//! bookkeeping, and the choice of the next task.

use super::graph::Graph;
use super::model::{Task, priority_rank, status_rank};
use super::priority::{Priorities, Ranks};
use crate::text::field;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Sort `indices` by the picker key: unblockers first, then status rank, effective priority,
/// `order` (absent = 9999), declared priority, id.
pub fn sort(graph: &Graph, ranks: &Ranks, indices: &mut [usize]) {
    let id_keys = graph.id_keys();
    // The key packed into integers that order the same way, so that most comparisons are two
    // integer ones; the whole id is compared only where they tie.
    let mut keyed: Vec<_> = indices
        .iter()
        .map(|&i| ((packed(sort_key(graph, ranks, i)), id_keys[i]), i))
        .collect();
    keyed.sort_unstable_by(|(ka, a), (kb, b)| {
        ka.cmp(kb)
            .then_with(|| graph.tasks[*a].id.cmp(&graph.tasks[*b].id))
    });
    for (slot, (_, i)) in indices.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// The picker key of task `i`, all but the id (compared last).
type SortKey = (bool, u8, u8, i64, u8);

fn sort_key(graph: &Graph, ranks: &Ranks, i: usize) -> SortKey {
    let t = &graph.tasks[i];
    (
        !t.unblocker,
        status_rank(&t.status),
        ranks.rank(i),
        t.order.unwrap_or(9999),
        priority_rank(&t.priority),
    )
}

/// `key` as one integer in the same order: the fields side by side, most significant first
/// (the `order`, signed, with its sign bit flipped so that negative ones come first).
fn packed((unblocker, status, rank, order, priority): SortKey) -> u128 {
    let order = (order as u64) ^ (1 << 63);
    (u128::from(unblocker) << 88)
        | (u128::from(status) << 80)
        | (u128::from(rank) << 72)
        | (u128::from(order) << 8)
        | u128::from(priority)
}

/// Two keyed tasks in picker order: the key, then the id.
fn by_key_then_id(
    graph: &Graph,
    (ka, a): &(SortKey, usize),
    (kb, b): &(SortKey, usize),
) -> std::cmp::Ordering {
    ka.cmp(kb)
        .then_with(|| graph.tasks[*a].id.cmp(&graph.tasks[*b].id))
}

/// Unblockers that are `blocked`: the workflow cannot proceed (spec 01 §6.2).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Halt {
    pub halt: bool,
    pub message: String,
    pub tasks: Vec<String>,
    #[serde(rename = "type")]
    pub kind: Option<&'static str>,
}

impl Halt {
    pub fn check(tasks: &[Task]) -> Halt {
        let blocked: Vec<&Task> = tasks
            .iter()
            .filter(|t| t.unblocker && t.status == "blocked")
            .collect();
        if blocked.is_empty() {
            return Halt {
                halt: false,
                message: "No halt conditions detected".to_string(),
                tasks: Vec::new(),
                kind: None,
            };
        }
        let mut message = format!(
            "WORKFLOW HALTED: {} unblocker task(s) blocked.\nManual intervention required:\n",
            blocked.len()
        );
        for t in &blocked {
            let reason = t
                .blocked_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .unwrap_or("(no reason specified)");
            message.push_str(&format!("  - {}: {}\n", t.id, field(reason)));
        }
        message.push_str("\nFix these unblockers before resuming workflow.");
        Halt {
            halt: true,
            message,
            tasks: blocked.iter().map(|t| t.id.to_string()).collect(),
            kind: Some("blocked_unblocker"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DraftRef {
    pub id: String,
    pub title: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DraftUnblocker {
    pub id: String,
    pub title: String,
    pub priority: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Downstream {
    pub task_id: String,
    pub status: String,
    pub title: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DraftDownstream {
    pub draft_id: String,
    pub blocked_by: Vec<Downstream>,
    pub depends_on_only: Vec<Downstream>,
}

#[derive(
    Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema,
)]
pub struct Violation {
    pub task_id: String,
    pub task_status: String,
    pub draft_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Violations {
    pub missing_blocked_by: Vec<Violation>,
    pub needs_blocked_status: Vec<Violation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filtered {
    pub task_id: String,
    pub draft_ids: Vec<String>,
}

/// Draft bookkeeping (spec 01 §6.5); every list sorted by id.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DraftAlerts {
    pub has_drafts: bool,
    pub draft_count: usize,
    pub drafts: Vec<DraftRef>,
    pub draft_unblockers: Vec<DraftUnblocker>,
    pub downstream: Vec<DraftDownstream>,
    pub violations: Violations,
    pub filtered_out_by_picker: Vec<Filtered>,
}

impl DraftAlerts {
    /// The same alerts about the drafts of `keep` only (the others already warned about).
    pub fn only(&self, keep: &std::collections::BTreeSet<String>) -> DraftAlerts {
        let drafts: Vec<DraftRef> = (self.drafts.iter())
            .filter(|d| keep.contains(&d.id))
            .cloned()
            .collect();
        DraftAlerts {
            has_drafts: !drafts.is_empty(),
            draft_count: drafts.len(),
            drafts,
            draft_unblockers: (self.draft_unblockers.iter())
                .filter(|d| keep.contains(&d.id))
                .cloned()
                .collect(),
            downstream: (self.downstream.iter())
                .filter(|d| keep.contains(&d.draft_id))
                .cloned()
                .collect(),
            violations: Violations {
                missing_blocked_by: (self.violations.missing_blocked_by.iter())
                    .filter(|v| keep.contains(&v.draft_id))
                    .cloned()
                    .collect(),
                needs_blocked_status: (self.violations.needs_blocked_status.iter())
                    .filter(|v| keep.contains(&v.draft_id))
                    .cloned()
                    .collect(),
            },
            filtered_out_by_picker: self.filtered_out_by_picker.clone(),
        }
    }

    /// `abs` turns a repo-relative path into the absolute one printed to users.
    pub fn compute(graph: &Graph, abs: &dyn Fn(&str) -> String) -> DraftAlerts {
        let drafts: BTreeMap<&str, &Task> = graph
            .tasks
            .iter()
            .filter(|t| t.status == "draft")
            .map(|t| (t.id.as_ref(), t))
            .collect();
        let mut blocked_by: BTreeMap<&str, Vec<Downstream>> = BTreeMap::new();
        let mut depends_only: BTreeMap<&str, Vec<Downstream>> = BTreeMap::new();
        let mut violations = Violations::default();
        let mut filtered: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let downstream = |t: &Task| Downstream {
            task_id: t.id.to_string(),
            status: t.status.to_string(),
            title: t.title.to_string(),
            path: abs(&t.path),
        };
        // A small hash set of the drafts: most tasks name blockers, few of them drafts, and a
        // probe into the whole graph's index (and the task it finds) misses the CPU caches at
        // 100,000 tasks.
        let draft_ids: foldhash::HashSet<&str> = drafts.keys().copied().collect();
        let is_draft = |id: &str| draft_ids.contains(id);
        for task in graph.tasks.iter().filter(|t| t.status != "draft") {
            for id in &task.blocked_by {
                if is_draft(id) {
                    blocked_by.entry(id).or_default().push(downstream(task));
                    if task.status != "blocked" {
                        violations.needs_blocked_status.push(violation(task, id));
                    }
                }
            }
            for id in &task.depends_on {
                if is_draft(id) && !task.blocked_by.contains(id) {
                    depends_only.entry(id).or_default().push(downstream(task));
                    violations.missing_blocked_by.push(violation(task, id));
                    filtered.entry(&task.id).or_default().insert(id);
                }
            }
        }
        violations.missing_blocked_by.sort();
        violations.missing_blocked_by.dedup();
        violations.needs_blocked_status.sort();
        violations.needs_blocked_status.dedup();
        let sorted = |mut v: Vec<Downstream>| {
            v.sort_by(|a, b| a.task_id.cmp(&b.task_id));
            v.dedup_by(|a, b| a.task_id == b.task_id);
            v
        };
        DraftAlerts {
            has_drafts: !drafts.is_empty(),
            draft_count: drafts.len(),
            drafts: drafts
                .values()
                .map(|t| DraftRef {
                    id: t.id.to_string(),
                    title: t.title.to_string(),
                    path: abs(&t.path),
                })
                .collect(),
            draft_unblockers: drafts
                .values()
                .filter(|t| t.unblocker)
                .map(|t| DraftUnblocker {
                    id: t.id.to_string(),
                    title: t.title.to_string(),
                    priority: t.priority.to_string(),
                    path: abs(&t.path),
                })
                .collect(),
            downstream: drafts
                .keys()
                .map(|id| DraftDownstream {
                    draft_id: id.to_string(),
                    blocked_by: sorted(blocked_by.remove(id).unwrap_or_default()),
                    depends_on_only: sorted(depends_only.remove(id).unwrap_or_default()),
                })
                .collect(),
            violations,
            filtered_out_by_picker: filtered
                .into_iter()
                .map(|(task_id, ids)| Filtered {
                    task_id: task_id.to_string(),
                    draft_ids: ids.into_iter().map(str::to_string).collect(),
                })
                .collect(),
        }
    }

    /// The text-mode warning block printed before a pick (empty when there are no drafts).
    pub fn warning_text(&self) -> String {
        if !self.has_drafts {
            return String::new();
        }
        let title_suffix = |title: &str| {
            let t = title.trim();
            if t.is_empty() {
                String::new()
            } else {
                format!(" \u{2014} {}", field(t))
            }
        };
        let mut out = format!(
            "WARNING: {} draft task(s) require clarification before new work is picked.\n",
            self.draft_count
        );
        if !self.draft_unblockers.is_empty() {
            out.push_str("\n  CRITICAL: Draft unblocker tasks detected!\n");
            out.push_str(
                "  Unblockers are prioritized first but cannot be picked while in draft status:\n",
            );
            for d in &self.draft_unblockers {
                out.push_str(&format!(
                    "    - {} ({}){}\n",
                    field(&d.id),
                    field(&d.priority),
                    title_suffix(&d.title)
                ));
            }
            out.push_str("  Resolve clarifications urgently to unblock workflow.\n\n");
        }
        for d in &self.downstream {
            let title = self
                .drafts
                .iter()
                .find(|r| r.id == d.draft_id)
                .map_or("", |r| r.title.as_str());
            let k = d.blocked_by.len();
            let m = d.depends_on_only.len();
            let mut summary = if k == 0 {
                "no downstream tasks blocked".to_string()
            } else {
                format!("{k} downstream task(s) blocked")
            };
            if m > 0 {
                summary.push_str(&format!("; {m} downstream task(s) missing blocked_by"));
            }
            out.push_str(&format!(
                "  - {}{}: {summary}\n",
                field(&d.draft_id),
                title_suffix(title)
            ));
        }
        if !self.violations.missing_blocked_by.is_empty() {
            out.push_str("  Tasks missing blocked_by linkage to drafts:\n");
            for v in &self.violations.missing_blocked_by {
                out.push_str(&format!(
                    "    - {} (status={}) \u{2192} draft {}\n",
                    field(&v.task_id),
                    field(&v.task_status),
                    field(&v.draft_id)
                ));
            }
        }
        if !self.violations.needs_blocked_status.is_empty() {
            out.push_str("  Tasks referencing drafts must be marked status=blocked:\n");
            for v in &self.violations.needs_blocked_status {
                out.push_str(&format!(
                    "    - {} currently '{}' \u{2192} draft {}\n",
                    field(&v.task_id),
                    field(&v.task_status),
                    field(&v.draft_id)
                ));
            }
        }
        if !self.filtered_out_by_picker.is_empty() {
            out.push_str(
                "  The picker skipped tasks missing blocked_by linkage; update them before retrying.\n",
            );
        }
        out
    }
}

fn violation(task: &Task, draft: &str) -> Violation {
    Violation {
        task_id: task.id.to_string(),
        task_status: task.status.to_string(),
        draft_id: draft.to_string(),
    }
}

/// Which tasks `--list` / `--pick` consider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All,
    Unblocker,
    Status(String),
}

impl Filter {
    /// `all`/`auto`/empty mean no filter, `unblocker` the unblocker flag, anything else a status.
    pub fn parse(value: Option<&str>) -> Filter {
        match value.map(str::trim) {
            None | Some("" | "all" | "auto") => Filter::All,
            Some("unblocker") => Filter::Unblocker,
            Some(status) => Filter::Status(status.to_string()),
        }
    }

    pub fn matches(&self, task: &Task) -> bool {
        match self {
            Filter::All => true,
            Filter::Unblocker => task.unblocker,
            Filter::Status(s) => &task.status == s,
        }
    }
}

/// Why a task was picked.
pub fn pick_reason(task: &Task, effective_priority: &str) -> &'static str {
    if task.unblocker {
        "unblocker"
    } else if effective_priority != task.priority {
        "priority_inherited"
    } else if task.status == "blocked" {
        "blocked_manual_intervention"
    } else if task.status == "in_progress" {
        "in_progress_resume"
    } else {
        "highest_priority"
    }
}

/// The candidates a pick chooses from, best first: ready, not draft, not filtered out by draft
/// bookkeeping, matching `filter`.
pub fn candidates(
    graph: &Graph,
    priorities: &Priorities,
    alerts: &DraftAlerts,
    filter: &Filter,
) -> Vec<usize> {
    let mut ready = ready(graph, alerts, filter, &|_| false);
    sort(graph, priorities.ranks(), &mut ready);
    ready
}

/// The first of [`candidates`] that `skip` (the quarantine) does not set aside: what a pick
/// chooses, found in one pass instead of a sort of every ready task.
pub fn first_candidate(
    graph: &Graph,
    priorities: &Priorities,
    alerts: &DraftAlerts,
    filter: &Filter,
    skip: &dyn Fn(&Task) -> bool,
) -> Option<usize> {
    first_of(graph, priorities, &ready(graph, alerts, filter, skip))
}

/// The first of `ready` (tasks that can be picked) in picker order.
pub fn first_of(graph: &Graph, priorities: &Priorities, ready: &[usize]) -> Option<usize> {
    ready
        .iter()
        .map(|&i| (sort_key(graph, priorities.ranks(), i), i))
        .min_by(|a, b| by_key_then_id(graph, a, b))
        .map(|(_, i)| i)
}

/// The tasks that can be picked, in task order: not completed, every blocker completed, not a
/// draft, not filtered out by the draft alerts, matching `filter`, not skipped. (Needs no
/// priority: found while the priorities are computed.)
pub fn ready(
    graph: &Graph,
    alerts: &DraftAlerts,
    filter: &Filter,
    skip: &dyn Fn(&Task) -> bool,
) -> Vec<usize> {
    let skipped: BTreeSet<&str> = alerts
        .filtered_out_by_picker
        .iter()
        .map(|f| f.task_id.as_str())
        .collect();
    graph
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            graph.is_ready(t)
                && t.status != "draft"
                && !skipped.contains(t.id.as_ref())
                && filter.matches(t)
                && !skip(t)
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
#[path = "tests/picker.rs"]
mod tests;
