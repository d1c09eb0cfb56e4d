//! The loaded task set every verb reads: one task per id (contract D5: the file under `tasks/`
//! wins over an archived one, then the first in sorted path order), the duplicate ids, and the
//! files that could not be loaded.

use super::cache;
use super::model::Task;
use super::parse::ParseFailure;
use crate::repo::Repo;
use crate::text::field;
use std::collections::HashMap;

/// A task file that could not be loaded.
#[derive(Debug, Clone)]
pub struct BrokenFile {
    /// Repo-relative path.
    pub path: String,
    /// The id the file name starts with (`TASK-0822-foo.task.yaml` → `TASK-0822`), if any.
    pub id: Option<String>,
    pub failure: ParseFailure,
}

/// An id defined by more than one file. `paths[0]` is the file that was used.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub id: String,
    pub paths: Vec<String>,
}

#[derive(Debug)]
pub struct Catalog {
    /// Winning tasks, in discovery order (active files first, each root in path order).
    pub tasks: Vec<Task>,
    /// Each task's position in `tasks`, by id (made once: the graph borrows it).
    index: IdIndex,
    /// Sorted by id.
    pub duplicates: Vec<Duplicate>,
    /// In discovery order.
    pub broken: Vec<BrokenFile>,
    /// Number of `*.task.yaml` files found.
    pub files: usize,
    /// Identifies the content of the task files (reported as `snapshot_id`).
    pub snapshot: u64,
    /// Cache warnings (corrupt or unwritable cache), for stderr.
    pub cache_warnings: Vec<String>,
    /// Why the cache was not written when it should have been.
    pub cache_unsaved: Option<crate::error::Error>,
}

impl BrokenFile {
    /// E011 for a command given this file's task: the file, where it breaks, how to fix it.
    pub fn error(&self) -> crate::error::Error {
        use crate::error::{Error, ErrorCode};
        Error::new(
            ErrorCode::E011,
            format!(
                "{} cannot be loaded: {}",
                field(&self.path),
                field(&self.failure.to_string())
            ),
        )
        .with_detail("path", &self.path)
        .with_detail("line", self.failure.line)
        .with_detail("column", self.failure.column)
        .with_recovery(format!(
            "Fix the task file (tasks --lint {} shows the problems), then retry",
            field(&self.path)
        ))
    }
}

/// What a task id names in the catalog.
#[derive(Debug, Clone, Copy)]
pub enum Found<'a> {
    Task(&'a Task),
    /// No task loads with that id, but a file named for it is broken.
    Broken(&'a BrokenFile),
}

impl Found<'_> {
    /// The repo-relative path of the file found (loaded or broken).
    pub fn path(&self) -> &str {
        match self {
            Found::Task(task) => &task.path,
            Found::Broken(broken) => &broken.path,
        }
    }
}

/// Task positions by id. foldhash: several times faster than SipHash on short ids, and seeded
/// per process so that task files cannot be written to collide. The keys are the tasks' own ids:
/// a copy of an id read from the cache is a pointer, of a freshly parsed one a new string.
pub type IdIndex = foldhash::HashMap<super::model::Text, usize>;

/// Each id's first task; `later(first, i)` for each task `i` whose id an earlier task has.
pub fn id_index(tasks: &[Task], mut later: impl FnMut(usize, usize)) -> IdIndex {
    let mut index = IdIndex::with_capacity_and_hasher(tasks.len(), Default::default());
    for (i, task) in tasks.iter().enumerate() {
        match index.entry(task.id.clone()) {
            std::collections::hash_map::Entry::Occupied(first) => later(*first.get(), i),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
    }
    index
}

impl Catalog {
    /// Each task's position in [`Catalog::tasks`] by id.
    pub fn index(&self) -> &IdIndex {
        &self.index
    }

    /// The task of `id` — or, when none loads, a broken file named for it (so that a command
    /// given the id can say the file is broken instead of "not found").
    pub fn find(&self, id: &str) -> Option<Found<'_>> {
        self.index
            .get(id)
            .map(|&i| Found::Task(&self.tasks[i]))
            .or_else(|| {
                self.broken
                    .iter()
                    .find(|b| b.id.as_deref() == Some(id))
                    .map(Found::Broken)
            })
    }

    pub fn load(repo: &Repo, force_rebuild: bool) -> Catalog {
        let loaded = cache::load(&repo.root, force_rebuild);
        let _catalog = crate::trace::phase("catalog");
        let mut tasks = loaded.tasks;
        // Discovery lists every active file before any archived one, so "first seen wins" is
        // exactly "active beats archived, then sorted path order".
        let mut later: Vec<(usize, usize)> = Vec::new();
        let mut index = id_index(&tasks, |winner, i| later.push((winner, i)));
        let mut duplicates: Vec<Duplicate> = Vec::new();
        if !later.is_empty() {
            let mut paths: HashMap<usize, Vec<String>> = HashMap::new();
            for &(winner, i) in &later {
                paths
                    .entry(winner)
                    .or_insert_with(|| vec![tasks[winner].path.to_string()])
                    .push(tasks[i].path.to_string());
            }
            duplicates = paths
                .into_iter()
                .map(|(winner, paths)| Duplicate {
                    id: tasks[winner].id.to_string(),
                    paths,
                })
                .collect();
            duplicates.sort_by(|a, b| a.id.cmp(&b.id));
            let mut dropped = vec![false; tasks.len()];
            for &(_, i) in &later {
                dropped[i] = true;
            }
            let mut at = 0;
            tasks.retain(|_| {
                at += 1;
                !dropped[at - 1]
            });
            // The winners moved up: indexed again (ids are unique now).
            index = id_index(&tasks, |_, _| {});
        }
        let broken = loaded
            .broken
            .into_iter()
            .map(|(path, failure)| BrokenFile {
                id: path
                    .rsplit('/')
                    .next()
                    .and_then(crate::ids::id_from_file_name),
                path,
                failure,
            })
            .collect();
        Catalog {
            tasks,
            index,
            duplicates,
            broken,
            files: loaded.files,
            snapshot: loaded.snapshot,
            cache_warnings: loaded.warnings,
            cache_unsaved: loaded.unsaved,
        }
    }

    /// Warnings about the task files themselves, for stderr: broken files and duplicate ids
    /// (which of them to report is the exception ledger's decision: `report_broken`,
    /// `report_duplicate`) and archived tasks that are not completed.
    pub fn warnings(
        &self,
        repo: &Repo,
        mut report_broken: impl FnMut(&BrokenFile) -> bool,
        mut report_duplicate: impl FnMut(&Duplicate) -> bool,
    ) -> Vec<String> {
        let mut out = self.cache_warnings.clone();
        for file in &self.broken {
            if report_broken(file) {
                out.push(format!(
                    "Warning: Failed to parse {}: {}",
                    field(&repo.abs_string(&file.path)),
                    field(&file.failure.to_string())
                ));
            }
        }
        for dup in self.duplicates.iter().filter(|d| report_duplicate(d)) {
            out.push(format!(
                "Warning: Duplicate task id {} in {}; using {}",
                dup.id,
                field(&dup.paths.join(", ")),
                field(&dup.paths[0])
            ));
        }
        for task in &self.tasks {
            if task.is_archived() && !task.is_completed() {
                out.push(format!(
                    "Warning: Archived task {} has status '{}' but should be 'completed' ({})",
                    task.id,
                    field(&task.status),
                    field(&task.path)
                ));
            }
        }
        out
    }
}
