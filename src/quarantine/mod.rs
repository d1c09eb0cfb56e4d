//! Quarantine (schemas §9 + contract D5): `docs/compliance/quarantine/` holds one
//! `<ID>.quarantine.json` entry per quarantined task, `index.json` listing their ids, and
//! `resolved/` for released entries. Quarantined tasks are never picked. Every change takes the
//! one quarantine lock (`index.lock`) and is one transaction (`store::txn`, journal in `.txn/`):
//! the entry, the index, a released copy and a repaired task file change together or not at
//! all. A corrupt entry or index is reported (E052) and never overwritten.

pub mod repair;

use crate::error::{Error, ErrorCode, Result};
use crate::repo::{ARCHIVE_DIR, Repo, TASKS_DIR};
use crate::store::txn::{Allow, Domain, Txn};
use crate::store::{self, StateError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const QUARANTINE_DIR: &str = "docs/compliance/quarantine";
pub const REASONS: [&str; 4] = [
    "malformed_yaml",
    "validation_failed",
    "corrupted_context",
    "manual",
];
pub const REPAIR_STATUSES: [&str; 4] = ["pending", "in_progress", "repaired", "cannot_repair"];

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Index {
    pub quarantined_tasks: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One repair tried by `--repair-quarantined`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct RepairStep {
    /// `tabs_to_spaces`, `quote_reserved_scalar` or `reindent_stray_line`.
    pub repair: String,
    /// 1-based line the repair changed.
    pub line: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    pub task_id: String,
    pub quarantined_at: String,
    pub reason: String,
    /// The task's real file, repo-relative.
    pub original_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<String>,
    #[serde(default)]
    pub auto_repair_attempted: bool,
    #[serde(default = "pending")]
    pub repair_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_notes: Option<String>,
    /// The repairs of the last `--repair-quarantined` (additive field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<RepairStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// Notes given to `--release-quarantine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_notes: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn pending() -> String {
    "pending".to_string()
}

/// The quarantine directory of a repository. Ids must have been checked (`ids::check_cli_id`)
/// before any path is built from them.
pub struct Quarantine {
    pub dir: PathBuf,
    root: PathBuf,
}

impl Quarantine {
    pub fn of(repo: &Repo) -> Quarantine {
        Quarantine {
            dir: repo.root.join(QUARANTINE_DIR),
            root: repo.root.clone(),
        }
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// Entries, the index and released copies change together — and a repaired task file with
    /// them.
    fn domain(&self) -> Domain {
        Domain::new(
            &self.root,
            format!("{QUARANTINE_DIR}/index.lock"),
            format!("{QUARANTINE_DIR}/.txn"),
            vec![
                Allow::files(QUARANTINE_DIR),
                Allow::task_files(TASKS_DIR),
                Allow::task_files(ARCHIVE_DIR),
            ],
        )
    }

    /// Before reading: the quarantine directory must be the tool's own (never reached through
    /// a link: E002), and a change a crash interrupted is finished first, so the reader sees the
    /// after state. `false` when there is no quarantine at all.
    fn settle(&self) -> Result<bool> {
        if store::paths::existing_state_dir(&self.root, QUARANTINE_DIR)?.is_none() {
            return Ok(false);
        }
        let domain = self.domain();
        if domain.unsettled() {
            domain.lock()?;
        }
        Ok(true)
    }

    fn entry_rel(id: &str) -> String {
        format!("{QUARANTINE_DIR}/{id}.quarantine.json")
    }

    pub fn entry_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.quarantine.json"))
    }

    pub fn resolved_path(&self, id: &str) -> PathBuf {
        self.dir
            .join("resolved")
            .join(format!("{id}.quarantine.json"))
    }

    /// Ids that are quarantined: listed in the index or holding an entry file. Either source is
    /// enough, so a half-finished change can never let a quarantined task be picked.
    pub fn quarantined_ids(&self) -> Result<BTreeSet<String>> {
        if !self.settle()? {
            return Ok(BTreeSet::new());
        }
        let mut ids: BTreeSet<String> = store::read_json::<Index>(&self.index_path())?
            .map(|i| i.quarantined_tasks.into_iter().collect())
            .unwrap_or_default();
        ids.extend(self.entry_ids()?);
        Ok(ids)
    }

    /// Ids of the entry files in the directory, sorted.
    fn entry_ids(&self) -> Result<Vec<String>> {
        let dir = match std::fs::read_dir(&self.dir) {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StateError::io(&self.dir, "read", e).into()),
        };
        let mut ids: Vec<String> = dir
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".quarantine.json")
                    .filter(|id| crate::ids::is_valid_id(id))
                    .map(str::to_string)
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The entry of `id`, which must be a checked id. An entry that names another task is
    /// corrupt (E052): its contents never choose a path.
    pub fn read_entry(&self, id: &str) -> Result<Option<Entry>> {
        if !self.settle()? {
            return Ok(None);
        }
        self.load_entry(id)
    }

    /// [`Quarantine::read_entry`] for a caller that holds the lock (or has settled already).
    fn load_entry(&self, id: &str) -> Result<Option<Entry>> {
        let path = self.entry_path(id);
        let entry: Option<Entry> = store::read_json(&path)?;
        match entry {
            Some(e) if e.task_id != id => Err(StateError::Corrupt {
                path,
                reason: format!("the entry names task {:?}, not {id}", e.task_id),
            }
            .into()),
            other => Ok(other),
        }
    }

    /// Run `change` holding the quarantine lock, with the index loaded; `change` stages the
    /// files it writes, and the index when it reports a change to it; all are committed at once.
    pub fn transaction<R>(
        &self,
        change: impl FnOnce(&mut Index, &mut Txn) -> Result<(R, bool)>,
    ) -> Result<R> {
        let locked = self.domain().lock()?;
        if let Some((compliance, _)) = QUARANTINE_DIR.rsplit_once('/') {
            crate::ledger::compliance_gitignore(&self.root.join(compliance))?;
        }
        let mut index = store::read_json(&self.index_path())?.unwrap_or_else(|| Index {
            quarantined_tasks: Vec::new(),
            extra: Map::new(),
        });
        let mut txn = locked.begin();
        let (result, changed) = change(&mut index, &mut txn)?;
        if changed {
            txn.put_json(&format!("{QUARANTINE_DIR}/index.json"), &index)?;
        }
        txn.commit()?;
        Ok(result)
    }

    /// Quarantine a task, or update its entry when it is already quarantined. Returns the
    /// entry and whether it is new.
    pub fn put(
        &self,
        id: &str,
        reason: &str,
        error_details: Option<String>,
        original_path: &str,
        now: &str,
    ) -> Result<(Entry, bool)> {
        self.transaction(|index, txn| {
            let existing = self.load_entry(id)?;
            let created = existing.is_none();
            let entry = match existing {
                Some(mut entry) => {
                    entry.reason = reason.to_string();
                    entry.original_path = original_path.to_string();
                    if error_details.is_some() {
                        entry.error_details = error_details;
                    }
                    entry.updated_at = Some(now.to_string());
                    entry
                }
                None => Entry {
                    task_id: id.to_string(),
                    quarantined_at: now.to_string(),
                    reason: reason.to_string(),
                    original_path: original_path.to_string(),
                    error_details,
                    auto_repair_attempted: false,
                    repair_status: pending(),
                    repair_notes: None,
                    repairs: Vec::new(),
                    updated_at: None,
                    resolved_at: None,
                    release_notes: None,
                    extra: Map::new(),
                },
            };
            Self::stage_entry(txn, id, &entry)?;
            let listed = index.quarantined_tasks.iter().any(|t| t == id);
            if !listed {
                index.quarantined_tasks.push(id.to_string());
            }
            Ok(((entry, created), !listed))
        })
    }

    /// Every entry (not the released ones), sorted by id.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        if !self.settle()? {
            return Ok(entries);
        }
        for id in self.entry_ids()? {
            if let Some(entry) = self.load_entry(&id)? {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Release a task: its entry gets `resolved_at` and the notes and moves to `resolved/`; the
    /// index no longer lists it. An id the index lists without an entry file is dropped from
    /// the index (`None`). E040 when the task is not quarantined at all.
    pub fn release(&self, id: &str, notes: Option<String>, now: &str) -> Result<Option<Entry>> {
        self.transaction(|index, txn| {
            let listed = index.quarantined_tasks.iter().any(|t| t == id);
            let Some(mut entry) = self.load_entry(id)? else {
                if listed {
                    index.quarantined_tasks.retain(|t| t != id);
                    return Ok((None, true));
                }
                return Err(not_quarantined(id, &self.entry_path(id)));
            };
            entry.resolved_at = Some(now.to_string());
            entry.release_notes = notes;
            let resolved = format!("{QUARANTINE_DIR}/resolved/{id}.quarantine.json");
            // Keep the history of earlier releases of the same task.
            if let Some(earlier) = store::read_state(&self.resolved_path(id))? {
                let stamp: String = now.chars().filter(char::is_ascii_digit).collect();
                txn.put(
                    &format!("{QUARANTINE_DIR}/resolved/{id}.{stamp}.quarantine.json"),
                    &earlier,
                )?;
            }
            txn.put_json(&resolved, &entry)?;
            txn.remove(&Self::entry_rel(id))?;
            index.quarantined_tasks.retain(|t| t != id);
            Ok((Some(entry), listed))
        })
    }

    /// Rewrite an existing entry under the lock, with any other file `change` stages (repair
    /// writes the task file in the same transaction).
    pub fn update_entry(
        &self,
        id: &str,
        change: impl FnOnce(&mut Entry, &mut Txn) -> Result<()>,
    ) -> Result<Entry> {
        self.transaction(|_, txn| {
            let Some(mut entry) = self.load_entry(id)? else {
                return Err(not_quarantined(id, &self.entry_path(id)));
            };
            change(&mut entry, txn)?;
            Self::stage_entry(txn, id, &entry)?;
            Ok((entry, false))
        })
    }

    fn stage_entry(txn: &mut Txn, id: &str, entry: &Entry) -> Result<()> {
        Ok(txn.put_json(&Self::entry_rel(id), entry)?)
    }
}

pub fn not_quarantined(id: &str, entry: &Path) -> Error {
    Error::new(ErrorCode::E040, format!("Task {id} is not quarantined"))
        .with_detail("task_id", id)
        .with_detail("path", entry.display().to_string())
        .with_recovery("See the quarantined tasks with --list-quarantined")
}
