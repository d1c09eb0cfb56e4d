//! Effective priority (spec 01 §6.3): a task inherits the most urgent priority among the tasks
//! it transitively blocks, with a reason naming them.
//!
//! Linear-time: the reverse `blocked_by` graph is condensed into strongly connected components
//! (iterative Tarjan, so cycles and 100k-long chains are fine) and the best reachable priority is
//! computed once per component, sinks first. The *names* behind a reason are kept as a shared
//! DAG of id sets: a component that adds nothing new reuses its successor's set instead of copying
//! it, so a long chain costs O(n) and only the reasons actually printed are flattened.

use super::graph::Graph;
use super::model::{PRIORITIES, priority_level, priority_rank};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Tasks at the best level reachable from a component: its own members plus shared parts.
struct IdSet {
    own: Vec<usize>,
    parts: Vec<Rc<IdSet>>,
}

pub struct Priorities<'g, 'a> {
    graph: &'g Graph<'a>,
    comp: Vec<usize>,
    /// Best (lowest) priority level of the tasks each component blocks, its own members included
    /// when it is a cycle (a task's own level never makes it inherit: see `inherited`).
    best: Vec<Option<u8>>,
    sets: Vec<Option<Rc<IdSet>>>,
    reasons: RefCell<HashMap<*const IdSet, Rc<str>>>,
}

/// What a task's priority is after inheritance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub priority: String,
    /// `Blocks P1 work: TASK-0003, TASK-0004` when inherited.
    pub reason: Option<String>,
}

impl<'g, 'a> Priorities<'g, 'a> {
    pub fn compute(graph: &'g Graph<'a>) -> Self {
        let blocks = graph.blocks();
        let (comp, components) = tarjan(&blocks);
        let level = |i: usize| priority_level(&graph.tasks[i].priority);
        let mut best: Vec<Option<u8>> = vec![None; components.len()];
        let mut sets: Vec<Option<Rc<IdSet>>> = vec![None; components.len()];

        // Tarjan emits a component only after every component reachable from it.
        for (c, members) in components.iter().enumerate() {
            let cyclic = members.len() > 1 || blocks[members[0]].contains(&members[0]);
            let mut candidates: Vec<Option<u8>> = Vec::new();
            if cyclic {
                candidates.extend(members.iter().map(|&m| level(m)));
            }
            for &m in members {
                for &w in &blocks[m] {
                    if comp[w] != c {
                        candidates.push(level(w));
                        candidates.push(best[comp[w]]);
                    }
                }
            }
            let Some(b) = candidates.into_iter().flatten().min() else {
                continue;
            };
            best[c] = Some(b);

            let mut own: Vec<usize> = Vec::new();
            if cyclic {
                own.extend(members.iter().copied().filter(|&m| level(m) == Some(b)));
            }
            let mut part_comps: Vec<usize> = Vec::new();
            for &m in members {
                for &w in &blocks[m] {
                    if comp[w] == c {
                        continue;
                    }
                    if level(w) == Some(b) {
                        own.push(w);
                    }
                    if best[comp[w]] == Some(b) {
                        part_comps.push(comp[w]);
                    }
                }
            }
            part_comps.sort_unstable();
            part_comps.dedup();
            let parts: Vec<Rc<IdSet>> = part_comps
                .iter()
                .filter_map(|&pc| sets[pc].clone())
                .collect();
            sets[c] = if own.is_empty() && parts.len() == 1 {
                parts.into_iter().next()
            } else {
                Some(Rc::new(IdSet { own, parts }))
            };
        }
        Priorities {
            graph,
            comp,
            best,
            sets,
            reasons: RefCell::new(HashMap::new()),
        }
    }

    /// The inherited level of task `i`, when it is more urgent than its declared priority.
    fn inherited(&self, i: usize) -> Option<u8> {
        let best = self.best[self.comp[i]]?;
        let declared = priority_level(&self.graph.tasks[i].priority);
        (declared.is_none_or(|d| best < d)).then_some(best)
    }

    /// Rank used by the sort: the inherited level if any, else the declared rank.
    pub fn rank(&self, i: usize) -> u8 {
        self.inherited(i)
            .unwrap_or_else(|| priority_rank(&self.graph.tasks[i].priority))
    }

    pub fn effective(&self, i: usize) -> Effective {
        let task = &self.graph.tasks[i];
        match self.inherited(i) {
            None => Effective {
                priority: task.priority.clone(),
                reason: None,
            },
            Some(level) => {
                let name = PRIORITIES[usize::from(level)];
                let ids = self.ids_of(i);
                Effective {
                    priority: name.to_string(),
                    reason: Some(format!("Blocks {name} work: {ids}")),
                }
            }
        }
    }

    fn ids_of(&self, i: usize) -> Rc<str> {
        let Some(set) = &self.sets[self.comp[i]] else {
            return Rc::from("");
        };
        let key = Rc::as_ptr(set);
        if let Some(done) = self.reasons.borrow().get(&key) {
            return done.clone();
        }
        let mut seen: HashSet<*const IdSet> = HashSet::new();
        let mut stack = vec![set.clone()];
        let mut ids: Vec<&str> = Vec::new();
        while let Some(node) = stack.pop() {
            if !seen.insert(Rc::as_ptr(&node)) {
                continue;
            }
            ids.extend(node.own.iter().map(|&t| self.graph.tasks[t].id.as_str()));
            stack.extend(node.parts.iter().cloned());
        }
        ids.sort_unstable();
        ids.dedup();
        let joined: Rc<str> = Rc::from(ids.join(", "));
        self.reasons.borrow_mut().insert(key, joined.clone());
        joined
    }
}

/// Iterative Tarjan. Returns each node's component and the components in emission order
/// (every component after all components reachable from it).
fn tarjan(edges: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comp = vec![0; n];
    let mut components = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            if *pos < edges[v].len() {
                let w = edges[v][*pos];
                *pos += 1;
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
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
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = id;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(members);
            }
        }
    }
    (comp, components)
}

#[cfg(test)]
#[path = "tests/priority.rs"]
mod tests;
