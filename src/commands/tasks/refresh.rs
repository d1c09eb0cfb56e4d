//! `--refresh-cache`: re-parse every task file and rewrite the cache.

use crate::app::Ctx;
use crate::output::{Report, Text};
use crate::repo::CACHE_DIR;
use crate::tasks::cache::CACHE_FILE;
use serde::Serialize;

/// What a repository without task files is told (no cache file is written for it).
pub const NO_TASK_FILES: &str =
    "No task files found (tasks/**/*.task.yaml, docs/completed-tasks/**/*.task.yaml)";

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RefreshReport {
    /// `*.task.yaml` files found.
    pub files_scanned: usize,
    /// Distinct tasks loaded (one per id).
    pub tasks_loaded: usize,
    /// Of those, under `tasks/`.
    pub active: usize,
    /// Of those, under `docs/completed-tasks/`.
    pub archived: usize,
    /// Files that could not be loaded.
    pub unparsable: usize,
    /// Ids defined by more than one file.
    pub duplicate_ids: usize,
    /// Where the cache is kept (not written when no task file was found).
    pub cache_path: String,
    /// Identifies the content of the task files (a 52-bit integer, exact in JavaScript).
    #[schemars(range(max = 4_503_599_627_370_495u64))]
    pub snapshot_id: u64,
}

/// The report; the cache's error when it could not be written (rewriting it is this command's
/// whole job: E041 for a full disk or a permission, E002 for a directory refused).
pub fn run(ctx: &Ctx) -> crate::error::Result<RefreshReport> {
    // A cache directory that cannot be used is refused before the task files are loaded (which
    // records new malformed files in the ledger): a refresh that fails changes nothing.
    crate::store::paths::existing_state_dir(&ctx.repo.root, CACHE_DIR)?;
    let catalog = ctx.catalog();
    if catalog.files > 0
        && let Some(error) = &catalog.cache_unsaved
    {
        return Err(error.clone());
    }
    let archived = catalog.tasks.iter().filter(|t| t.is_archived()).count();
    Ok(RefreshReport {
        files_scanned: catalog.files,
        tasks_loaded: catalog.tasks.len(),
        active: catalog.tasks.len() - archived,
        archived,
        unparsable: catalog.broken.len(),
        duplicate_ids: catalog.duplicates.len(),
        cache_path: ctx.abs(&format!("{CACHE_DIR}/{CACHE_FILE}")),
        snapshot_id: catalog.snapshot,
    })
}

impl Report for RefreshReport {
    fn text(&self, out: &mut Text) {
        if self.files_scanned == 0 {
            out.stdout
                .push_str(&format!("{NO_TASK_FILES}: nothing to cache\n"));
            return;
        }
        out.stdout.push_str(&format!(
            "Cache refreshed: {} tasks loaded from {} files\nCache file: {}\nActive tasks: {}\nArchived tasks: {}\n",
            self.tasks_loaded, self.files_scanned, self.cache_path, self.active, self.archived
        ));
        if self.unparsable > 0 {
            out.stdout
                .push_str(&format!("Unparsable files: {}\n", self.unparsable));
        }
        if self.duplicate_ids > 0 {
            out.stdout
                .push_str(&format!("Duplicate ids: {}\n", self.duplicate_ids));
        }
    }
}
