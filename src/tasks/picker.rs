//! Ordering and picking (spec 01 §6): the shared sort key, the blocked-unblocker halt, draft
//! bookkeeping, and the choice of the next task.

use super::graph::Graph;
use super::model::{Task, priority_rank, status_rank};
use super::priority::Priorities;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Sort `indices` by the picker key: unblockers first, then status rank, effective priority,
/// `order` (absent = 9999), declared priority, id.
pub fn sort(graph: &Graph, priorities: &Priorities, indices: &mut [usize]) {
    let key = |i: usize| {
        let t = &graph.tasks[i];
        (
            !t.unblocker,
            status_rank(&t.status),
            priorities.rank(i),
            t.order.unwrap_or(9999),
            priority_rank(&t.priority),
        )
    };
    let mut keyed: Vec<_> = indices.iter().map(|&i| (key(i), i)).collect();
    keyed.sort_unstable_by(|(ka, a), (kb, b)| {
        ka.cmp(kb)
            .then_with(|| graph.tasks[*a].id.cmp(&graph.tasks[*b].id))
    });
    for (slot, (_, i)) in indices.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// Unblockers that are `blocked`: the workflow cannot proceed (spec 01 §6.2).
#[derive(Debug, Clone, Serialize)]
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
            message.push_str(&format!("  - {}: {reason}\n", t.id));
        }
        message.push_str("\nFix these unblockers before resuming workflow.");
        Halt {
            halt: true,
            message,
            tasks: blocked.iter().map(|t| t.id.clone()).collect(),
            kind: Some("blocked_unblocker"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftRef {
    pub id: String,
    pub title: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftUnblocker {
    pub id: String,
    pub title: String,
    pub priority: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Downstream {
    pub task_id: String,
    pub status: String,
    pub title: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftDownstream {
    pub draft_id: String,
    pub blocked_by: Vec<Downstream>,
    pub depends_on_only: Vec<Downstream>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub task_id: String,
    pub task_status: String,
    pub draft_id: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Violations {
    pub missing_blocked_by: Vec<Violation>,
    pub needs_blocked_status: Vec<Violation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Filtered {
    pub task_id: String,
    pub draft_ids: Vec<String>,
}

/// Draft bookkeeping (spec 01 §6.5); every list sorted by id.
#[derive(Debug, Clone, Serialize)]
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
    /// `abs` turns a repo-relative path into the absolute one printed to users.
    pub fn compute(graph: &Graph, abs: &dyn Fn(&str) -> String) -> DraftAlerts {
        let drafts: BTreeMap<&str, &Task> = graph
            .tasks
            .iter()
            .filter(|t| t.status == "draft")
            .map(|t| (t.id.as_str(), t))
            .collect();
        let mut blocked_by: BTreeMap<&str, Vec<Downstream>> = BTreeMap::new();
        let mut depends_only: BTreeMap<&str, Vec<Downstream>> = BTreeMap::new();
        let mut violations = Violations::default();
        let mut filtered: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let downstream = |t: &Task| Downstream {
            task_id: t.id.clone(),
            status: t.status.clone(),
            title: t.title.clone(),
            path: abs(&t.path),
        };
        for task in graph.tasks.iter().filter(|t| t.status != "draft") {
            for id in &task.blocked_by {
                if drafts.contains_key(id.as_str()) {
                    blocked_by.entry(id).or_default().push(downstream(task));
                    if task.status != "blocked" {
                        violations.needs_blocked_status.push(violation(task, id));
                    }
                }
            }
            for id in &task.depends_on {
                if drafts.contains_key(id.as_str()) && !task.blocked_by.contains(id) {
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
                    id: t.id.clone(),
                    title: t.title.clone(),
                    path: abs(&t.path),
                })
                .collect(),
            draft_unblockers: drafts
                .values()
                .filter(|t| t.unblocker)
                .map(|t| DraftUnblocker {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    priority: t.priority.clone(),
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
    pub fn warning_text(&self, graph: &Graph) -> String {
        if !self.has_drafts {
            return String::new();
        }
        let title_suffix = |title: &str| {
            let t = title.trim();
            if t.is_empty() {
                String::new()
            } else {
                format!(" \u{2014} {t}")
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
                    d.id,
                    d.priority,
                    title_suffix(&d.title)
                ));
            }
            out.push_str("  Resolve clarifications urgently to unblock workflow.\n\n");
        }
        for d in &self.downstream {
            let title = graph.get(&d.draft_id).map_or("", |t| t.title.as_str());
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
                d.draft_id,
                title_suffix(title)
            ));
        }
        if !self.violations.missing_blocked_by.is_empty() {
            out.push_str("  Tasks missing blocked_by linkage to drafts:\n");
            for v in &self.violations.missing_blocked_by {
                out.push_str(&format!(
                    "    - {} (status={}) \u{2192} draft {}\n",
                    v.task_id, v.task_status, v.draft_id
                ));
            }
        }
        if !self.violations.needs_blocked_status.is_empty() {
            out.push_str("  Tasks referencing drafts must be marked status=blocked:\n");
            for v in &self.violations.needs_blocked_status {
                out.push_str(&format!(
                    "    - {} currently '{}' \u{2192} draft {}\n",
                    v.task_id, v.task_status, v.draft_id
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
        task_id: task.id.clone(),
        task_status: task.status.clone(),
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
    let skipped: BTreeSet<&str> = alerts
        .filtered_out_by_picker
        .iter()
        .map(|f| f.task_id.as_str())
        .collect();
    let mut ready: Vec<usize> = graph
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            graph.is_ready(t)
                && t.status != "draft"
                && !skipped.contains(t.id.as_str())
                && filter.matches(t)
        })
        .map(|(i, _)| i)
        .collect();
    sort(graph, priorities, &mut ready);
    ready
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::graph::tests::task;

    fn pick(tasks: &[Task], filter: Filter) -> Option<(String, &'static str)> {
        let g = Graph::new(tasks);
        let p = Priorities::compute(&g);
        let alerts = DraftAlerts::compute(&g, &|p| p.to_string());
        candidates(&g, &p, &alerts, &filter).first().map(|&i| {
            let e = p.effective(i);
            (tasks[i].id.clone(), pick_reason(&tasks[i], &e.priority))
        })
    }

    #[test]
    fn status_priority_order_of_the_reference() {
        let tasks = vec![
            task("TASK-0010", "blocked", "P2", &[]),
            task("TASK-0011", "in_progress", "P1", &[]),
            task("TASK-0012", "todo", "P0", &[]),
        ];
        assert_eq!(
            pick(&tasks, Filter::All),
            Some(("TASK-0010".into(), "blocked_manual_intervention"))
        );
        assert_eq!(
            pick(&tasks, Filter::Status("todo".into())),
            Some(("TASK-0012".into(), "highest_priority"))
        );
        assert_eq!(
            pick(&tasks, Filter::Status("in_progress".into())),
            Some(("TASK-0011".into(), "in_progress_resume"))
        );
    }

    #[test]
    fn draft_scenario_picks_the_inheriting_task() {
        let mut t400 = task("TASK-0400", "draft", "P0", &[]);
        t400.unblocker = true;
        let mut t403 = task("TASK-0403", "todo", "P0", &[]);
        t403.depends_on = vec!["TASK-0401".into(), "TASK-0400".into()];
        let mut t404 = task("TASK-0404", "blocked", "P1", &["TASK-0400"]);
        t404.depends_on = vec!["TASK-0400".into()];
        let mut t405 = task("TASK-0405", "todo", "P2", &[]);
        t405.order = Some(5);
        let mut t407 = task("TASK-0407", "todo", "P1", &[]);
        t407.order = Some(1);
        let tasks = vec![
            t400,
            task("TASK-0401", "draft", "P1", &[]),
            task("TASK-0402", "todo", "P1", &["TASK-0401"]),
            t403,
            t404,
            t405,
            task("TASK-0406", "todo", "P0", &["TASK-0405"]),
            t407,
        ];
        assert_eq!(
            pick(&tasks, Filter::All),
            Some(("TASK-0405".into(), "priority_inherited"))
        );
        let g = Graph::new(&tasks);
        let alerts = DraftAlerts::compute(&g, &|p| p.to_string());
        assert_eq!(alerts.draft_count, 2);
        assert_eq!(alerts.draft_unblockers.len(), 1);
        let missing: Vec<(&str, &str)> = alerts
            .violations
            .missing_blocked_by
            .iter()
            .map(|v| (v.task_id.as_str(), v.draft_id.as_str()))
            .collect();
        assert_eq!(
            missing,
            vec![("TASK-0403", "TASK-0400"), ("TASK-0403", "TASK-0401")]
        );
        let needs: Vec<&str> = alerts
            .violations
            .needs_blocked_status
            .iter()
            .map(|v| v.task_id.as_str())
            .collect();
        assert_eq!(needs, vec!["TASK-0402"]);
        assert_eq!(alerts.filtered_out_by_picker.len(), 1);
        assert_eq!(
            alerts.filtered_out_by_picker[0].draft_ids,
            vec!["TASK-0400", "TASK-0401"]
        );
        let text = alerts.warning_text(&g);
        assert!(text.contains("CRITICAL: Draft unblocker tasks detected!"));
        assert!(text.contains("    - TASK-0400 (P0) \u{2014} Title of TASK-0400"));
    }

    #[test]
    fn unblocker_filter_works() {
        let mut u = task("TASK-0002", "todo", "P2", &[]);
        u.unblocker = true;
        let tasks = vec![task("TASK-0001", "todo", "P0", &[]), u];
        assert_eq!(
            pick(&tasks, Filter::Unblocker),
            Some(("TASK-0002".into(), "unblocker"))
        );
        assert_eq!(Filter::parse(Some("unblocker")), Filter::Unblocker);
        assert_eq!(Filter::parse(Some("auto")), Filter::All);
        assert_eq!(Filter::parse(Some("")), Filter::All);
    }

    #[test]
    fn halt_message_lists_reasons() {
        let mut a = task("TASK-0200", "blocked", "P1", &[]);
        a.unblocker = true;
        a.blocked_reason = Some("Waiting on vendor".into());
        let mut b = task("TASK-0201", "blocked", "P1", &[]);
        b.unblocker = true;
        let halt = Halt::check(&[a, b]);
        assert!(halt.halt);
        assert!(halt.message.contains("  - TASK-0200: Waiting on vendor\n"));
        assert!(
            halt.message
                .contains("  - TASK-0201: (no reason specified)\n")
        );
        assert_eq!(halt.tasks, vec!["TASK-0200", "TASK-0201"]);
    }
}
