//! The dependency graph over the loaded tasks (spec 01 §5): lookups, readiness, cycles, missing
//! dependencies and closures. Every walk is iterative: long chains cannot overflow the stack.

use super::catalog::Duplicate;
use super::model::Task;
use crate::text::field;
use serde::Serialize;
use std::collections::VecDeque;

/// How many cycles `--validate` spells out.
pub const MAX_REPORTED_CYCLES: usize = 50;

pub struct Graph<'a> {
    pub tasks: &'a [Task],
    /// Task positions by id: the catalog's, or made for these tasks.
    index: std::borrow::Cow<'a, super::catalog::IdIndex>,
    /// [`Graph::id_keys`], made when first asked (a listing sorts on them and walks in id order).
    id_keys: std::sync::OnceLock<Vec<u64>>,
}

/// For each task (by index), the tasks whose `blocked_by` names it, in task order: compressed
/// rows (two allocations for the whole graph, not one per task).
pub struct Blocks {
    /// Row `i` is `targets[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Blocks {
    /// The tasks `i` blocks.
    pub fn of(&self, i: usize) -> impl ExactSizeIterator<Item = usize> + Clone + '_ {
        self.targets[self.offsets[i] as usize..self.offsets[i + 1] as usize]
            .iter()
            .map(|&j| j as usize)
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A task index as stored in [`Blocks`] (a catalog holds far fewer than 2^32 tasks).
fn index_u32(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 2^32 tasks")
}

/// One problem found by `--validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Issue {
    /// `cycle`, `missing_dependency` or `duplicate_id`.
    pub kind: &'static str,
    /// The task concerned (the first of the cycle for cycles).
    pub task_id: String,
    /// The cycle path, the missing ids, or the duplicate files.
    pub ids: Vec<String>,
    pub message: String,
}

impl<'a> Graph<'a> {
    /// The graph of `tasks` (the first task of an id is the one its id names).
    pub fn new(tasks: &'a [Task]) -> Self {
        Graph {
            tasks,
            index: std::borrow::Cow::Owned(super::catalog::id_index(tasks, |_, _| {})),
            id_keys: std::sync::OnceLock::new(),
        }
    }

    /// The graph of the catalog's tasks, with the catalog's index (not made again).
    pub fn of(catalog: &'a super::catalog::Catalog) -> Self {
        debug_assert_eq!(
            catalog.index().len(),
            catalog.tasks.len(),
            "an index per task"
        );
        Graph {
            tasks: &catalog.tasks,
            index: std::borrow::Cow::Borrowed(catalog.index()),
            id_keys: std::sync::OnceLock::new(),
        }
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&'a Task> {
        self.index_of(id).map(|i| &self.tasks[i])
    }

    pub fn is_completed(&self, id: &str) -> bool {
        self.get(id).is_some_and(Task::is_completed)
    }

    /// Not completed, and every hard blocker is a completed task.
    pub fn is_ready(&self, task: &Task) -> bool {
        !task.is_completed() && task.blocked_by.iter().all(|b| self.is_completed(b))
    }

    /// For each task, the tasks it blocks (reverse `blocked_by` edges), existing tasks only.
    pub fn blocks(&self) -> Blocks {
        // (blocker, blocked) pairs in task order, then a counting sort by blocker: each row
        // keeps task order (and a blocker listed twice, twice), in two flat vectors.
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(self.tasks.len());
        for (j, task) in self.tasks.iter().enumerate() {
            for blocker in &task.blocked_by {
                if let Some(i) = self.index_of(blocker) {
                    pairs.push((index_u32(i), index_u32(j)));
                }
            }
        }
        let mut offsets = vec![0u32; self.tasks.len() + 1];
        for &(i, _) in &pairs {
            offsets[i as usize + 1] += 1;
        }
        for i in 0..self.tasks.len() {
            offsets[i + 1] += offsets[i];
        }
        let mut next = offsets.clone();
        let mut targets = vec![0u32; pairs.len()];
        for &(i, j) in &pairs {
            targets[next[i as usize] as usize] = j;
            next[i as usize] += 1;
        }
        Blocks { offsets, targets }
    }

    /// Task indices sorted by id: the deterministic order validation walks in.
    pub(crate) fn by_id(&self) -> Vec<usize> {
        let mut order: Vec<(u64, usize)> = self.id_keys().iter().copied().zip(0..).collect();
        order.sort_unstable_by(|&(ka, a), &(kb, b)| {
            ka.cmp(&kb)
                .then_with(|| self.tasks[a].id.cmp(&self.tasks[b].id))
                .then(a.cmp(&b))
        });
        order.into_iter().map(|(_, i)| i).collect()
    }

    /// Per task, an integer that orders like its id where two differ (equal keys: compare the
    /// ids): the 8 bytes that follow the prefix every id shares (`TASK-`), big-endian and
    /// zero-padded. Sorting on it spares most string comparisons.
    pub(crate) fn id_keys(&self) -> &[u64] {
        self.id_keys.get_or_init(|| self.make_id_keys())
    }

    fn make_id_keys(&self) -> Vec<u64> {
        let ids = self.tasks.iter().map(|t| t.id.as_bytes());
        let shared = self.tasks.split_first().map_or(0, |(first, rest)| {
            let first = first.id.as_bytes();
            rest.iter().fold(first.len(), |n, t| {
                n.min(t.id.bytes().zip(first).take_while(|(a, b)| a == *b).count())
            })
        });
        ids.map(|id| {
            let mut bytes = [0u8; 8];
            let tail = &id[shared..];
            let n = tail.len().min(8);
            bytes[..n].copy_from_slice(&tail[..n]);
            u64::from_be_bytes(bytes)
        })
        .collect()
    }

    /// Cycles along `blocked_by`, one per back edge of a depth-first walk that starts from tasks
    /// in id order and follows blockers in declared order. Each cycle ends where it starts. Only
    /// the first `limit` are spelled out (a dense graph has quadratically many ids in its
    /// cycles); the second value counts them all.
    pub fn cycles(&self, limit: usize) -> (Vec<Vec<String>>, usize) {
        let n = self.tasks.len();
        let mut visited = vec![false; n];
        let mut stack_pos: Vec<Option<usize>> = vec![None; n];
        let mut cycles = Vec::new();
        let mut total = 0;
        for start in self.by_id() {
            if visited[start] {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            visited[start] = true;
            stack_pos[start] = Some(0);
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let blockers = &self.tasks[node].blocked_by;
                if *next < blockers.len() {
                    let child_id = &blockers[*next];
                    *next += 1;
                    let Some(child) = self.index_of(child_id) else {
                        continue;
                    };
                    if let Some(pos) = stack_pos[child] {
                        total += 1;
                        if cycles.len() < limit {
                            let mut cycle: Vec<String> = stack[pos..]
                                .iter()
                                .map(|(i, _)| self.tasks[*i].id.to_string())
                                .collect();
                            cycle.push(self.tasks[child].id.to_string());
                            cycles.push(cycle);
                        }
                    } else if !visited[child] {
                        visited[child] = true;
                        stack_pos[child] = Some(stack.len());
                        stack.push((child, 0));
                    }
                } else {
                    stack_pos[node] = None;
                    stack.pop();
                }
            }
        }
        (cycles, total)
    }

    /// Per task (id order): `blocked_by` ids that are not tasks, then `depends_on` ones.
    pub fn missing(&self) -> Vec<(String, Vec<String>)> {
        self.by_id()
            .into_iter()
            .filter_map(|i| {
                let task = &self.tasks[i];
                let missing: Vec<String> = task
                    .blocked_by
                    .iter()
                    .chain(&task.depends_on)
                    .filter(|id| self.index_of(id).is_none())
                    .map(|id| id.to_string())
                    .collect();
                (!missing.is_empty()).then(|| (task.id.to_string(), missing))
            })
            .collect()
    }

    /// Everything `--validate` reports: cycles (at most [`MAX_REPORTED_CYCLES`]), then missing
    /// dependencies, then duplicate ids (`duplicates` sorted by id). Also returns how many
    /// cycles were found but not spelled out.
    pub fn validate(&self, duplicates: &[Duplicate]) -> (Vec<Issue>, usize) {
        let mut issues = Vec::new();
        let (cycles, total) = self.cycles(MAX_REPORTED_CYCLES);
        let omitted = total - cycles.len();
        for cycle in cycles {
            issues.push(Issue {
                kind: "cycle",
                task_id: cycle[0].clone(),
                message: format!(
                    "Circular dependency detected: {}",
                    field(&cycle.join(" -> "))
                ),
                ids: cycle,
            });
        }
        for (task_id, ids) in self.missing() {
            issues.push(Issue {
                kind: "missing_dependency",
                message: format!(
                    "Task {task_id} references non-existent dependencies: {}",
                    field(&ids.join(", "))
                ),
                task_id,
                ids,
            });
        }
        for dup in duplicates {
            issues.push(Issue {
                kind: "duplicate_id",
                task_id: dup.id.clone(),
                message: format!(
                    "Duplicate task ID: {} ({})",
                    dup.id,
                    field(&dup.paths.join(", "))
                ),
                ids: dup.paths.clone(),
            });
        }
        (issues, omitted)
    }

    /// Ids reachable from `start` along one kind of edge (existing tasks only). `start` itself is
    /// included only when a cycle leads back to it.
    fn reachable(
        &self,
        start: usize,
        edges: impl Fn(&Task) -> &[super::model::Text],
    ) -> Vec<usize> {
        let mut seen = vec![false; self.tasks.len()];
        let mut found = Vec::new();
        let mut queue = VecDeque::from([start]);
        let mut expanded_start = false;
        while let Some(node) = queue.pop_front() {
            if node == start && expanded_start {
                continue;
            }
            expanded_start |= node == start;
            for id in edges(&self.tasks[node]) {
                if let Some(next) = self.index_of(id)
                    && !seen[next]
                {
                    seen[next] = true;
                    found.push(next);
                    queue.push_back(next);
                }
            }
        }
        found
    }

    /// The blocker chain of `start`, hop by hop: a depth-first walk along `blocked_by` (blockers
    /// in declared order), each task shown once — a task met again (a diamond, a cycle) is a hop
    /// marked `repeated` and not followed again. At most `limit` hops (the rest are counted).
    /// Iterative: chains of any length.
    pub fn blocker_chain(&self, start: usize, limit: usize) -> (Vec<Hop>, usize) {
        let mut hops = Vec::new();
        let mut omitted = 0;
        let mut seen = vec![false; self.tasks.len()];
        seen[start] = true;
        // (blocker id, depth), the next on top.
        let mut stack: Vec<(&str, usize)> = self.tasks[start]
            .blocked_by
            .iter()
            .rev()
            .map(|b| (b.as_ref(), 1))
            .collect();
        while let Some((id, depth)) = stack.pop() {
            let index = self.index_of(id);
            let repeated = index.is_some_and(|i| seen[i]);
            if hops.len() < limit {
                hops.push(Hop {
                    id: id.to_string(),
                    depth,
                    status: index.map(|i| self.tasks[i].status.to_string()),
                    repeated,
                });
            } else {
                omitted += 1;
            }
            let Some(i) = index.filter(|_| !repeated) else {
                continue;
            };
            seen[i] = true;
            stack.extend(
                self.tasks[i]
                    .blocked_by
                    .iter()
                    .rev()
                    .map(|b| (b.as_ref(), depth + 1)),
            );
        }
        (hops, omitted)
    }

    /// Sorted ids of the tasks that list task `i`'s id in their `blocked_by` (`blocks` is
    /// [`Graph::blocks`]).
    pub fn dependents(&self, blocks: &Blocks, i: usize) -> Vec<String> {
        let mut ids: Vec<&str> = blocks.of(i).map(|j| &*self.tasks[j].id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().map(str::to_string).collect()
    }

    /// Sorted ids of everything `start` transitively depends on, through `blocked_by` and
    /// through `depends_on` (each followed separately, as the reference does).
    pub fn transitive_closure(&self, start: usize) -> Vec<String> {
        let mut ids: Vec<String> = self
            .reachable(start, |t| &t.blocked_by)
            .into_iter()
            .chain(self.reachable(start, |t| &t.depends_on))
            .map(|i| self.tasks[i].id.to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// One hop of a blocker chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Hop {
    pub id: String,
    /// 1 for a direct blocker, 2 for a blocker's blocker, …
    pub depth: usize,
    /// Null when no task has this id.
    pub status: Option<String>,
    /// Met before on the walk (a diamond or a cycle): not followed again.
    pub repeated: bool,
}

#[cfg(test)]
#[path = "tests/graph.rs"]
pub(crate) mod tests;
