//! Effective priority (spec 01 §6.3): a task inherits the most urgent priority among the tasks
//! it transitively blocks, with a reason naming a few of them and counting the rest.
//!
//! Linear-time and linear-memory: the reverse `blocked_by` graph is condensed into strongly
//! connected components (iterative Tarjan, so cycles and 100k-long chains are fine) and the best
//! reachable priority is computed once per component, sinks first. A reason names at most
//! [`NAMED_IDS`] ids; behind it each component keeps only the [`COUNTED_IDS`] smallest ids of its
//! set, merged from its successors' (the k smallest of a union are among the k smallest of each
//! part), so the count is exact up to that bound and a lower bound beyond it. A component that
//! adds nothing new shares its successor's set, so a long chain stores one.

use super::graph::{Blocks, Graph};
use super::model::{PRIORITIES, Task, UNKNOWN_PRIORITY_RANK, priority_level};
use std::sync::Arc;

/// How many ids a reason names (the smallest, in id order); the others are counted.
pub const NAMED_IDS: usize = 5;
/// How many ids of a set are kept, and so counted exactly; a larger set is reported as
/// "and 95+ more".
pub const COUNTED_IDS: usize = 100;

/// The tasks at the best level reachable from a component, bounded: the positions (in id order)
/// of its `COUNTED_IDS` smallest ids, ascending, and whether it has more.
#[derive(Debug, PartialEq, Eq)]
struct IdSet {
    smallest: Vec<u32>,
    more: bool,
}

impl IdSet {
    /// The bounded union of `own` (unsorted, may repeat) and `parts`.
    fn union(own: &mut Vec<u32>, parts: &[Arc<IdSet>]) -> IdSet {
        own.sort_unstable();
        own.dedup();
        let mut more = own.len() > COUNTED_IDS;
        own.truncate(COUNTED_IDS);
        let mut smallest = own.clone();
        for part in parts {
            more |= part.more;
            let (merged, over) = merge_bounded(&smallest, &part.smallest);
            more |= over;
            smallest = merged;
        }
        IdSet { smallest, more }
    }
}

/// The sorted union of two ascending, duplicate-free lists, cut to `COUNTED_IDS` items, and
/// whether anything was cut.
fn merge_bounded(a: &[u32], b: &[u32]) -> (Vec<u32>, bool) {
    let mut out = Vec::with_capacity((a.len() + b.len()).min(COUNTED_IDS));
    let (mut i, mut j) = (0, 0);
    while out.len() < COUNTED_IDS {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => return (out, false),
        };
        out.push(next);
    }
    (out, i < a.len() || j < b.len())
}

pub struct Priorities<'g, 'a> {
    graph: &'g Graph<'a>,
    ranks: Ranks,
    /// Computed for every component by [`Priorities::with_reasons`] (a list shows every
    /// task's reason); otherwise `None`, and a reason is found by a walk when it is asked for
    /// (a pick or an explain shows one).
    reasons: Option<Reasons>,
    /// The reason text of each set already asked for (a set is shared along chains, so a long
    /// list formats each text once), keyed by the set's address and the level named.
    texts: std::cell::RefCell<std::collections::HashMap<(*const IdSet, u8), Arc<str>>>,
}

/// The levels each task inherits: what a sort needs. Shared with a thread while the reasons are
/// found beside it ([`Priorities::with_reasons_beside`]).
pub struct Ranks {
    blocks: Blocks,
    components: Components,
    levels: Vec<Option<u8>>,
    comp: Vec<usize>,
    /// Best (lowest) priority level of the tasks each component blocks, its own members included
    /// when it is a cycle (a task's own level never makes it inherit: see `inherited`).
    best: Vec<Option<u8>>,
}

/// Every component's set of the tasks its reason names.
struct Reasons {
    sets: Vec<Option<Arc<IdSet>>>,
    /// Task indices in id order (`IdSet` holds positions in this list).
    by_id: Vec<usize>,
}

/// What a task's priority is after inheritance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective<'a> {
    pub priority: &'a str,
    /// `Blocks P1 work: TASK-0003, TASK-0004` when inherited (`… and 12 more` past five ids).
    /// Shared: every task of a chain has the same reason, and a listing prints thousands.
    pub reason: Option<Arc<str>>,
}

impl<'g, 'a> Priorities<'g, 'a> {
    /// Effective priorities, each reason found when it is asked for: for commands that show
    /// one or two tasks.
    pub fn compute(graph: &'g Graph<'a>) -> Self {
        Self::of(graph, Ranks::new(graph), None)
    }

    /// Effective priorities with every reason computed at once: for commands that show every
    /// task (linear, where a walk per task would not be).
    pub fn with_reasons(graph: &'g Graph<'a>) -> Self {
        let ranks = Ranks::new(graph);
        let reasons = Reasons::new(graph, &ranks);
        Self::of(graph, ranks, Some(reasons))
    }

    /// [`Priorities::with_reasons`], the reasons found on a helper thread while `beside` runs
    /// here with the ranks (a listing sorts meanwhile). Without a thread, one after the other.
    pub fn with_reasons_beside<R>(
        graph: &'g Graph<'a>,
        beside: impl FnOnce(&Ranks) -> R,
    ) -> (Self, R) {
        let ranks = Ranks::new(graph);
        let (reasons, result) = std::thread::scope(|scope| {
            let ranks = &ranks;
            let finding = crate::threads::try_spawn(scope, move || Reasons::new(graph, ranks));
            let result = beside(ranks);
            let reasons = match finding {
                Some(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => Reasons::new(graph, ranks),
            };
            (reasons, result)
        });
        (Self::of(graph, ranks, Some(reasons)), result)
    }

    fn of(graph: &'g Graph<'a>, ranks: Ranks, reasons: Option<Reasons>) -> Self {
        Priorities {
            graph,
            ranks,
            reasons,
            texts: Default::default(),
        }
    }

    /// Rank used by the sort: the inherited level if any, else the declared rank.
    pub fn rank(&self, i: usize) -> u8 {
        self.ranks.rank(i)
    }

    /// The level task `i` inherits (0 for P0), when it is more urgent than its own: what
    /// [`Priorities::effective`] names.
    pub fn inherited(&self, i: usize) -> Option<u8> {
        self.ranks.inherited(i)
    }

    pub fn ranks(&self) -> &Ranks {
        &self.ranks
    }
}

impl Ranks {
    fn new(graph: &Graph) -> Ranks {
        let blocks = graph.blocks();
        let (comp, components) = tarjan(&blocks);
        let levels: Vec<Option<u8>> = graph
            .tasks
            .iter()
            .map(|t| priority_level(&t.priority))
            .collect();
        let mut best: Vec<Option<u8>> = vec![None; components.len()];
        // Tarjan emits a component only after every component reachable from it.
        for c in 0..components.len() {
            let members = components.of(c);
            // The most urgent level among what the component blocks (and, in a cycle, its own).
            let mut most: Option<u8> = None;
            let mut consider = |level: Option<u8>| {
                if let Some(l) = level {
                    most = Some(most.map_or(l, |m: u8| m.min(l)));
                }
            };
            if is_cyclic(&blocks, members) {
                members.iter().for_each(|&m| consider(levels[m]));
            }
            for &m in members {
                for w in blocks.of(m) {
                    if comp[w] != c {
                        consider(levels[w]);
                        consider(best[comp[w]]);
                    }
                }
            }
            best[c] = most;
        }
        Ranks {
            blocks,
            components,
            levels,
            comp,
            best,
        }
    }

    /// The inherited level of task `i`, when it is more urgent than its declared priority.
    fn inherited(&self, i: usize) -> Option<u8> {
        let best = self.best[self.comp[i]]?;
        let declared = self.levels[i];
        (declared.is_none_or(|d| best < d)).then_some(best)
    }

    /// Rank used by the sort: the inherited level if any, else the declared rank.
    pub fn rank(&self, i: usize) -> u8 {
        self.inherited(i)
            .or(self.levels[i])
            .unwrap_or(UNKNOWN_PRIORITY_RANK)
    }
}

/// A component is a cycle: several tasks, or one that blocks itself.
fn is_cyclic(blocks: &Blocks, members: &[usize]) -> bool {
    members.len() > 1 || blocks.of(members[0]).any(|w| w == members[0])
}

impl Reasons {
    /// Each component's set, sinks first (its successors' sets are made before it).
    fn new(graph: &Graph, ranks: &Ranks) -> Reasons {
        let Ranks {
            blocks,
            components,
            levels,
            comp,
            best,
        } = ranks;
        let by_id = graph.by_id();
        let mut position = vec![0u32; by_id.len()];
        for (p, &i) in by_id.iter().enumerate() {
            position[i] = u32::try_from(p).unwrap_or(u32::MAX);
        }
        let mut sets: Vec<Option<Arc<IdSet>>> = vec![None; components.len()];
        let mut parts: Vec<Arc<IdSet>> = Vec::new();
        // Buffers reused from one component to the next (most components are one task).
        let mut own: Vec<u32> = Vec::new();
        let mut part_comps: Vec<usize> = Vec::new();
        for c in 0..components.len() {
            let Some(b) = best[c] else {
                continue;
            };
            let members = components.of(c);
            own.clear();
            if is_cyclic(blocks, members) {
                own.extend(
                    members
                        .iter()
                        .filter(|&&m| levels[m] == Some(b))
                        .map(|&m| position[m]),
                );
            }
            part_comps.clear();
            for &m in members {
                for w in blocks.of(m) {
                    if comp[w] == c {
                        continue;
                    }
                    if levels[w] == Some(b) {
                        own.push(position[w]);
                    }
                    if best[comp[w]] == Some(b) {
                        part_comps.push(comp[w]);
                    }
                }
            }
            part_comps.sort_unstable();
            part_comps.dedup();
            parts.clear();
            parts.extend(part_comps.iter().filter_map(|&pc| sets[pc].clone()));
            sets[c] = Some(if own.is_empty() && parts.len() == 1 {
                parts[0].clone()
            } else {
                Arc::new(IdSet::union(&mut own, &parts))
            });
        }
        Reasons { sets, by_id }
    }
}

impl<'g, 'a> Priorities<'g, 'a> {
    pub fn effective(&self, i: usize) -> Effective<'a> {
        let task = &self.graph.tasks[i];
        match self.ranks.inherited(i) {
            None => Effective {
                priority: &task.priority,
                reason: None,
            },
            Some(level) => {
                let name = PRIORITIES[usize::from(level)];
                let text = || Arc::from(format!("Blocks {name} work: {}", self.ids_of(i)));
                let set = (self.reasons.as_ref()).and_then(|r| r.sets[self.ranks.comp[i]].as_ref());
                let reason = match set {
                    Some(set) => self
                        .texts
                        .borrow_mut()
                        .entry((Arc::as_ptr(set), level))
                        .or_insert_with(text)
                        .clone(),
                    _ => text(),
                };
                Effective {
                    priority: name,
                    reason: Some(reason),
                }
            }
        }
    }

    /// `A, B, C, D, E and 12 more` (`and 95+ more` when the set is larger than it keeps).
    fn ids_of(&self, i: usize) -> String {
        let tasks = self.graph.tasks;
        match &self.reasons {
            None => {
                let (found, more) = self.walk(i);
                names(found.iter().map(|&t| &*tasks[t].id), found.len(), more)
            }
            Some(reasons) => {
                let Some(set) = &reasons.sets[self.ranks.comp[i]] else {
                    return String::new();
                };
                let named = set
                    .smallest
                    .iter()
                    .filter_map(|&p| reasons.by_id.get(p as usize))
                    .map(|&t| &*tasks[t].id);
                names(named, set.smallest.len(), set.more)
            }
        }
    }

    /// What the set of `i`'s component holds, found by a walk: the tasks it reaches through one
    /// or more `blocked_by` edges (its own members only through a cycle) that are at its best
    /// level, the `COUNTED_IDS` first in id order, and whether there are more. The same as the
    /// sets [`Priorities::with_reasons`] builds, for one task.
    fn walk(&self, i: usize) -> (Vec<usize>, bool) {
        let Ranks {
            blocks,
            components,
            levels,
            comp,
            best,
        } = &self.ranks;
        let c = comp[i];
        let Some(b) = best[c] else {
            return (Vec::new(), false);
        };
        let starts = components.of(c).iter().flat_map(|&m| blocks.of(m));
        let mut found = reach(blocks, starts);
        found.retain(|&v| levels[v] == Some(b));
        smallest_ids(self.graph.tasks, found)
    }
}

/// The effective priority of task `i` alone, from the tasks it blocks (reachable from it along
/// `blocks`, itself only through a cycle): what [`Priorities::effective`] gives for it, without
/// ranking the whole graph (`--explain` shows one task, and the tasks downstream of one task
/// are usually few).
pub fn effective_of<'a>(graph: &Graph<'a>, blocks: &Blocks, i: usize) -> Effective<'a> {
    let tasks = graph.tasks;
    let level = |v: usize| priority_level(&tasks[v].priority);
    let mut reached = reach(blocks, blocks.of(i));
    let best = reached.iter().filter_map(|&v| level(v)).min();
    match best.filter(|&b| level(i).is_none_or(|declared| b < declared)) {
        None => Effective {
            priority: &tasks[i].priority,
            reason: None,
        },
        Some(b) => {
            reached.retain(|&v| level(v) == Some(b));
            let (found, more) = smallest_ids(tasks, reached);
            let name = PRIORITIES[usize::from(b)];
            let ids = names(found.iter().map(|&t| &*tasks[t].id), found.len(), more);
            Effective {
                priority: name,
                reason: Some(Arc::from(format!("Blocks {name} work: {ids}"))),
            }
        }
    }
}

/// Every task reachable from `starts` along `blocks` (`starts` included), each once.
fn reach(blocks: &Blocks, starts: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut seen = vec![false; blocks.len()];
    let mut stack: Vec<usize> = starts.collect();
    let mut found = Vec::new();
    while let Some(v) = stack.pop() {
        if std::mem::replace(&mut seen[v], true) {
            continue;
        }
        found.push(v);
        stack.extend(blocks.of(v).filter(|&w| !seen[w]));
    }
    found
}

/// The first `COUNTED_IDS` of `found` in id order, and whether there were more.
fn smallest_ids(tasks: &[Task], mut found: Vec<usize>) -> (Vec<usize>, bool) {
    found.sort_unstable_by(|&x, &y| tasks[x].id.cmp(&tasks[y].id).then(x.cmp(&y)));
    let more = found.len() > COUNTED_IDS;
    found.truncate(COUNTED_IDS);
    (found, more)
}

/// `A, B, C, D, E and 12 more`: the first [`NAMED_IDS`] of `ids` (in id order), then how many
/// of the `kept` others there are (`95+` when `more` were not kept).
fn names<'t>(ids: impl Iterator<Item = &'t str>, kept: usize, more: bool) -> String {
    let mut text = ids.take(NAMED_IDS).collect::<Vec<_>>().join(", ");
    let rest = kept.saturating_sub(NAMED_IDS);
    if rest > 0 || more {
        text.push_str(&format!(" and {rest}{} more", if more { "+" } else { "" }));
    }
    text
}

/// Strongly connected components, flat: `members[offsets[c]..offsets[c + 1]]` is component `c`.
struct Components {
    offsets: Vec<usize>,
    members: Vec<usize>,
}

impl Components {
    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn of(&self, c: usize) -> &[usize] {
        &self.members[self.offsets[c]..self.offsets[c + 1]]
    }
}

/// Iterative Tarjan. Returns each node's component and the components in emission order
/// (every component after all components reachable from it).
fn tarjan(edges: &Blocks) -> (Vec<usize>, Components) {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comp = vec![0; n];
    let mut components = Components {
        offsets: vec![0],
        members: Vec::with_capacity(n),
    };
    let mut counter = 0;
    let mut calls = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        calls.push((root, edges.of(root)));
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, next)) = calls.last_mut() {
            let v = *v;
            if let Some(w) = next.next() {
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, edges.of(w)));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let id = components.len();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = id;
                    components.members.push(w);
                    if w == v {
                        break;
                    }
                }
                components.offsets.push(components.members.len());
            }
        }
    }
    (comp, components)
}

#[cfg(test)]
#[path = "tests/priority.rs"]
mod tests;
