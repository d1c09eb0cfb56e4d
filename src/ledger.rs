//! The exception ledger (schemas §3 + contract D5): `docs/compliance/context-cache-exceptions.json`,
//! known problems with task files, so a broken file is reported once and then tracked instead of
//! repeated on every run. Every change goes through one locked, atomic transaction; a corrupt
//! ledger is reported (E052) and never overwritten. Keys this version does not know are kept.

use crate::error::{Error, ErrorCode, Result};
use crate::repo::Repo;
use crate::store::{self, StateError};
use crate::tasks::Catalog;
use crate::tasks::catalog::{BrokenFile, Duplicate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

pub const LEDGER_FILE: &str = "docs/compliance/context-cache-exceptions.json";
pub const LEDGER_LOCK: &str = "docs/compliance/context-cache-exceptions.lock";

pub const EXCEPTION_TYPES: [&str; 4] = [
    "malformed_yaml",
    "missing_standards",
    "empty_acceptance_criteria",
    "invalid_schema",
];
/// Recorded by the tool, never by `--add-exception`: a task file whose id another file already
/// defines (additive to the types of schemas §3; see docs/differences-from-tasks-py.md).
pub const DUPLICATE_ID: &str = "duplicate_id";
pub const STATUSES: [&str; 4] = ["open", "in_progress", "resolved", "wont_fix"];
pub const TRIGGERS: [&str; 3] = ["task_completion", "task_deletion", "manual"];

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ledger {
    pub version: String,
    pub last_updated: String,
    pub exceptions: Vec<Exception>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Exception {
    pub task_id: String,
    pub exception_type: String,
    pub detected_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<String>,
    /// The task file concerned (repo-relative); two broken files with one id are two entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    #[serde(default)]
    pub suppressed_warnings: Vec<String>,
    pub remediation: Remediation,
    #[serde(default = "default_trigger")]
    pub auto_remove_on: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Remediation {
    pub owner: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_trigger() -> String {
    "task_completion".to_string()
}

impl Exception {
    /// Open, in progress or won't fix: the problem is known, so it is not reported again.
    pub fn is_open(&self) -> bool {
        self.remediation.status != "resolved"
    }
}

/// What `add` records.
#[derive(Debug, Clone)]
pub struct NewException {
    pub task_id: String,
    pub exception_type: String,
    pub message: Option<String>,
    pub file: Option<String>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub owner: Option<String>,
}

/// Timestamps for one change: `now` (date-time) and the deadline of new entries (date).
#[derive(Debug, Clone)]
pub struct Stamp {
    pub now: String,
    pub deadline: String,
}

impl Ledger {
    pub fn empty(now: &str) -> Ledger {
        Ledger {
            version: "1.0".to_string(),
            last_updated: now.to_string(),
            exceptions: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Record an exception; idempotent per (task id, file) — and, for an add that names no
    /// file, per (task id, type). A re-add updates the type, the
    /// message, the position and `detected_at`, and re-opens a resolved entry. Returns whether
    /// a new entry was created and its index.
    pub fn add(&mut self, new: NewException, stamp: &Stamp) -> (bool, usize) {
        self.last_updated = stamp.now.clone();
        // A manual add names no file: it updates the entry of the same type the tool recorded
        // for the task's file (rather than adding a second open entry for the same problem).
        let existing = (self.exceptions.iter())
            .position(|e| e.task_id == new.task_id && e.file == new.file)
            .or_else(|| {
                new.file.is_none().then(|| {
                    self.exceptions.iter().position(|e| {
                        e.task_id == new.task_id && e.exception_type == new.exception_type
                    })
                })?
            });
        match existing {
            Some(i) => {
                let e = &mut self.exceptions[i];
                e.exception_type = new.exception_type;
                e.detected_at = stamp.now.clone();
                if new.message.is_some() {
                    e.parse_error = new.message;
                }
                if new.line.is_some() {
                    e.line = new.line;
                    e.column = new.column;
                }
                if let Some(owner) = new.owner {
                    e.remediation.owner = owner;
                }
                if !e.is_open() {
                    e.remediation.status = "open".to_string();
                    e.remediation.resolved_at = None;
                }
                (false, i)
            }
            None => {
                self.exceptions.push(Exception {
                    task_id: new.task_id,
                    exception_type: new.exception_type,
                    detected_at: stamp.now.clone(),
                    parse_error: new.message,
                    file: new.file,
                    line: new.line,
                    column: new.column,
                    suppressed_warnings: Vec::new(),
                    remediation: Remediation {
                        owner: new.owner.unwrap_or_else(|| "system".to_string()),
                        status: "open".to_string(),
                        deadline: Some(stamp.deadline.clone()),
                        notes: None,
                        resolved_at: None,
                        extra: Map::new(),
                    },
                    auto_remove_on: default_trigger(),
                    extra: Map::new(),
                });
                (true, self.exceptions.len() - 1)
            }
        }
    }

    /// Mark every entry of `task_id` resolved; returns how many there were.
    pub fn resolve(&mut self, task_id: &str, notes: &str, now: &str) -> usize {
        let mut count = 0;
        for e in self.exceptions.iter_mut().filter(|e| e.task_id == task_id) {
            e.remediation.status = "resolved".to_string();
            e.remediation.resolved_at = Some(now.to_string());
            e.remediation.notes = Some(notes.to_string());
            count += 1;
        }
        if count > 0 {
            self.last_updated = now.to_string();
        }
        count
    }

    /// Remove the entries `remove` selects; returns them.
    pub fn remove_where(
        &mut self,
        now: &str,
        mut remove: impl FnMut(&Exception) -> bool,
    ) -> Vec<Exception> {
        let (removed, kept): (Vec<Exception>, Vec<Exception>) =
            std::mem::take(&mut self.exceptions)
                .into_iter()
                .partition(|e| remove(e));
        self.exceptions = kept;
        if !removed.is_empty() {
            self.last_updated = now.to_string();
        }
        removed
    }
}

/// The ledger of a repository.
pub struct LedgerFile {
    pub path: PathBuf,
    lock: PathBuf,
    root: PathBuf,
}

impl LedgerFile {
    pub fn of(repo: &Repo) -> LedgerFile {
        LedgerFile {
            path: repo.root.join(LEDGER_FILE),
            lock: repo.root.join(LEDGER_LOCK),
            root: repo.root.clone(),
        }
    }

    /// The ledger's directory, checked (never through a link out of the repository) and
    /// created if `create`; `None` when it does not exist and was not to be created.
    fn dir(&self, create: bool) -> std::result::Result<Option<PathBuf>, StateError> {
        let rel = LEDGER_FILE.rsplit_once('/').map_or("", |(dir, _)| dir);
        if create {
            store::paths::state_dir(&self.root, rel).map(Some)
        } else {
            store::paths::existing_state_dir(&self.root, rel)
        }
    }

    /// The ledger as it is on disk (`None` when there is none yet).
    pub fn read(&self) -> std::result::Result<Option<Ledger>, StateError> {
        if self.dir(false)?.is_none() {
            return Ok(None);
        }
        store::read_json(&self.path)
    }

    /// Change an existing ledger in one locked transaction; `None` (and nothing created) when
    /// there is no ledger.
    pub fn update_existing<R>(
        &self,
        change: impl FnOnce(&mut Ledger) -> Result<(R, bool)>,
    ) -> Result<Option<R>> {
        if self.dir(false)?.is_none() {
            return Ok(None);
        }
        store::update_existing_json(&self.path, &self.lock, change)
    }

    /// Change the ledger in one locked transaction; `change` returns its result and whether it
    /// changed anything (nothing is written otherwise).
    pub fn update<R>(
        &self,
        now: &str,
        change: impl FnOnce(&mut Ledger) -> Result<(R, bool)>,
    ) -> Result<R> {
        if let Some(dir) = self.dir(true)? {
            compliance_gitignore(&dir)?;
        }
        store::update_json(&self.path, &self.lock, || Ledger::empty(now), change)
    }
}

/// `docs/compliance/.gitignore`, written with the directory: the ledger and the quarantine are
/// shared state to commit, the lock files and journals beside them are not.
pub fn compliance_gitignore(dir: &std::path::Path) -> std::result::Result<(), StateError> {
    store::fs::write_if_absent(
        &dir.join(".gitignore"),
        b"# Lock files and journals of the tasks CLI. The exception ledger and the quarantine are\n\
# shared state: commit them.\n*.lock\n.txn/\n",
    )
}

/// Check an enum value from the command line: E002 listing the allowed values.
pub fn check_choice(option: &str, value: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(invalid_choice(option, value, allowed))
    }
}

/// E002 for `value` given to `option`, which accepts only `allowed`.
pub fn invalid_choice(option: &str, value: &str, allowed: &[&str]) -> Error {
    Error::new(
        ErrorCode::E002,
        format!(
            "Invalid value {value:?} for {option}: expected one of {}",
            allowed.join(", ")
        ),
    )
    .with_detail("field", option)
    .with_detail("expected", allowed)
    .with_detail("actual", value)
    .with_recovery(format!("Use one of: {}", allowed.join(", ")))
}

/// The outcome of matching the broken task files and the duplicate ids against the ledger.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Repo-relative paths of the broken files to report in this run.
    pub report: BTreeSet<String>,
    /// Duplicate ids to report in this run.
    pub duplicates: BTreeSet<String>,
    /// Extra lines for stderr (ledger problems, what was recorded).
    pub notes: Vec<String>,
}

/// How a duplicate entry names the files: every file of the id, the one used first.
fn duplicate_message(dup: &Duplicate) -> String {
    format!(
        "Duplicate task id {} in {} files: {} (used), {}",
        dup.id,
        dup.paths.len(),
        dup.paths[0],
        dup.paths[1..].join(", ")
    )
}

/// Contract D5, "parse once, warn once": a broken task file is reported on the run that first
/// meets it and recorded as a `malformed_yaml` exception for the id in its file name; while that
/// exception is open it is not reported again. An open exception whose file parses again is
/// resolved, so the file is reported again if it ever breaks again. A file whose name holds no
/// id cannot be recorded and is reported on every run.
///
/// Duplicate ids go the same way: each file that repeats an id (every file but the one used) is
/// a `duplicate_id` exception of that id with the file in `file` (trigger `task_deletion`: the
/// task being completed does not remove the duplicate); the id is reported while one of its
/// repeating files has no open exception, and an open exception whose file no longer repeats the
/// id is resolved. `--validate` reports duplicates whatever the ledger says.
pub fn reconcile(repo: &Repo, catalog: &Catalog, stamp: &Stamp) -> Reconciled {
    let ledger_file = LedgerFile::of(repo);
    let mut out = Reconciled::default();
    let ledger = match ledger_file.read() {
        Ok(ledger) => ledger,
        Err(e) => {
            let e = Error::from(e);
            out.notes.push(format!(
                "Warning: {} (malformed task files and duplicate ids are reported on every run until it is fixed)",
                e.message
            ));
            out.report = catalog.broken.iter().map(|b| b.path.clone()).collect();
            out.duplicates = catalog.duplicates.iter().map(|d| d.id.clone()).collect();
            return out;
        }
    };
    // The open entries, once (looked up for every broken file and repeating id).
    let open: BTreeSet<(&str, &str, &str)> = ledger
        .iter()
        .flat_map(|l| &l.exceptions)
        .filter(|e| e.is_open())
        .filter_map(|e| {
            let file = e.file.as_deref()?;
            Some((e.task_id.as_str(), e.exception_type.as_str(), file))
        })
        .collect();
    let open_for =
        |b: &BrokenFile, id: &str| open.contains(&(id, "malformed_yaml", b.path.as_str()));
    let mut to_record: Vec<NewException> = Vec::new();
    for broken in &catalog.broken {
        match &broken.id {
            Some(id) if open_for(broken, id) => {}
            Some(id) => {
                out.report.insert(broken.path.clone());
                to_record.push(NewException {
                    task_id: id.clone(),
                    exception_type: "malformed_yaml".to_string(),
                    message: Some(broken.failure.message.clone()),
                    file: Some(broken.path.clone()),
                    line: broken.failure.line,
                    column: broken.failure.column,
                    owner: None,
                });
            }
            None => {
                out.report.insert(broken.path.clone());
            }
        }
    }
    let open_duplicate = |id: &str, file: &str| open.contains(&(id, DUPLICATE_ID, file));
    let mut duplicates_to_record: Vec<NewException> = Vec::new();
    for dup in &catalog.duplicates {
        for file in &dup.paths[1..] {
            if open_duplicate(&dup.id, file) {
                continue;
            }
            out.duplicates.insert(dup.id.clone());
            duplicates_to_record.push(NewException {
                task_id: dup.id.clone(),
                exception_type: DUPLICATE_ID.to_string(),
                message: Some(duplicate_message(dup)),
                file: Some(file.clone()),
                line: None,
                column: None,
                owner: None,
            });
        }
    }
    let repeating: BTreeSet<(&str, &str)> = catalog
        .duplicates
        .iter()
        .flat_map(|d| d.paths[1..].iter().map(|f| (d.id.as_str(), f.as_str())))
        .collect();
    let duplicate_gone = |e: &Exception| {
        e.exception_type == DUPLICATE_ID
            && e.is_open()
            && !e
                .file
                .as_deref()
                .is_some_and(|f| repeating.contains(&(e.task_id.as_str(), f)))
    };
    // The files of open malformed_yaml exceptions that load now (usually none: checked cheaply).
    let watched: BTreeSet<&str> = ledger
        .iter()
        .flat_map(|l| &l.exceptions)
        .filter(|e| e.exception_type == "malformed_yaml" && e.is_open())
        .filter_map(|e| e.file.as_deref())
        .collect();
    let parsed: BTreeSet<&str> = if watched.is_empty() {
        BTreeSet::new()
    } else {
        catalog
            .tasks
            .iter()
            .map(|t| t.path.as_ref())
            .filter(|p| watched.contains(p))
            .collect()
    };
    let fixed_again = |e: &Exception| {
        e.exception_type == "malformed_yaml"
            && e.is_open()
            && e.file.as_deref().is_some_and(|f| parsed.contains(f))
    };
    // ... and those whose file is gone (deleted or renamed: a renamed broken file is recorded
    // again under its new name).
    let broken_paths: BTreeSet<&str> = catalog.broken.iter().map(|b| b.path.as_str()).collect();
    let gone: BTreeSet<&str> = watched
        .iter()
        .copied()
        .filter(|f| !parsed.contains(f) && !broken_paths.contains(f))
        // The ledger is shared state: only a clean repo-relative `file` is looked up.
        .filter(|f| store::paths::check_relative(f).is_ok())
        .filter(|f| std::fs::symlink_metadata(repo.root.join(f)).is_err())
        .collect();
    let file_gone = |e: &Exception| {
        e.exception_type == "malformed_yaml"
            && e.is_open()
            && e.file.as_deref().is_some_and(|f| gone.contains(f))
    };
    let any_fixed = ledger.as_ref().is_some_and(|l| {
        l.exceptions
            .iter()
            .any(|e| fixed_again(e) || file_gone(e) || duplicate_gone(e))
    });
    if to_record.is_empty() && duplicates_to_record.is_empty() && !any_fixed {
        return out;
    }
    let recorded = [
        (to_record.len(), "malformed task file(s)"),
        (duplicates_to_record.len(), "file(s) repeating a task id"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect::<Vec<_>>()
    .join(" and ");
    let result = ledger_file.update(&stamp.now, |ledger| {
        for e in ledger.exceptions.iter_mut() {
            let notes = if fixed_again(e) {
                "The file parses again"
            } else if file_gone(e) {
                "The file no longer exists"
            } else if duplicate_gone(e) {
                "The file no longer repeats the task id"
            } else {
                continue;
            };
            e.remediation.status = "resolved".to_string();
            e.remediation.resolved_at = Some(stamp.now.clone());
            e.remediation.notes = Some(notes.to_string());
            ledger.last_updated = stamp.now.clone();
        }
        for new in to_record {
            ledger.add(new, stamp);
        }
        for new in duplicates_to_record {
            let (_, i) = ledger.add(new, stamp);
            ledger.exceptions[i].auto_remove_on = "task_deletion".to_string();
        }
        Ok(((), true))
    });
    match result {
        Ok(()) if !recorded.is_empty() => out.notes.push(format!(
            "Note: recorded {recorded} in {LEDGER_FILE}; they are not reported again while their exceptions are open (tasks --list-exceptions)"
        )),
        Ok(()) => {}
        Err(e) => out.notes.push(format!(
            "Warning: could not update the exception ledger: {}",
            e.message
        )),
    }
    out
}

impl Stamp {
    /// `now` as a timestamp and the default deadline of new entries (30 days later, UTC date).
    pub fn at(now: chrono::DateTime<chrono::Utc>) -> Stamp {
        Stamp {
            now: crate::clock::iso(now),
            deadline: (now + chrono::Duration::days(30))
                .format("%Y-%m-%d")
                .to_string(),
        }
    }
}

#[cfg(test)]
#[path = "tests/ledger.rs"]
mod tests;
