//! Changes to several files at once that a crash cannot split (contract D9: a killed verb leaves
//! the before or the after state, a failed verb changes nothing).
//!
//! A [`Domain`] is a set of files changed together under one lock file — a task's context
//! directory, the quarantine, a task file's move to the archive — with a private directory that
//! exists only while a change is staged or applied, holding the staged new files and the
//! journal. A change is made in three steps:
//!
//! 1. **stage**: every new file is written (and fsynced) into the domain directory as `s<N>`;
//!    nothing the user sees has changed, and an error or a crash here leaves the before state;
//! 2. **commit**: `journal.json`, the list of operations, is written atomically — from this
//!    moment the change will happen (a change of one file needs no journal: its rename is the
//!    commit);
//! 3. **apply**: each operation moves its file into place by `rename`, keeping the file it
//!    replaces (as a second hard link, so that the target never goes missing) or removes as
//!    `b<N>` until the end; then the backups and the journal go.
//!
//! If applying fails (a rename refused, say), the applied operations are undone from their
//! backups and the verb reports the error with nothing changed. If the process dies after the
//! commit, whoever takes the domain's lock next finds the journal and finishes the change
//! (every operation knows from the files whether it was done); before the commit, it finds only
//! staged files and removes them. A journal is a state file like any other and may be hostile:
//! its operations are checked (relative paths inside the domain's own directories) before any
//! path is built from them, and staged file names are never read from it.

use super::{
    LockGuard, StateError, atomic_write, fault, lock_exclusive, paths, read_state, sync_dir,
};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const JOURNAL: &str = "journal.json";

/// A set of files that change together, with their lock and the directory of their journal.
#[derive(Debug, Clone)]
pub struct Domain {
    root: PathBuf,
    /// Repo-relative lock file (never deleted: deleting a lock file lets two processes lock two
    /// different files).
    lock_rel: String,
    /// Repo-relative directory of the journal and the staged files, removed when idle.
    dir_rel: String,
    /// What the domain's changes may touch.
    allowed: Vec<Allow>,
}

/// One place a domain's changes may touch. A journal is checked against these before anything
/// moves, so a hostile one can do no more than the domain's own commands do.
#[derive(Debug, Clone)]
pub struct Allow {
    /// Repo-relative directory.
    prefix: String,
    what: Allowed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// Files below the prefix, and the removal of directories below it or of the prefix itself
    /// (a task's context directory).
    Tree,
    /// Files below the prefix; never a directory.
    Files,
    /// `*.task.yaml` files below the prefix; never a directory.
    TaskFiles,
}

impl Allow {
    pub fn tree(prefix: impl Into<String>) -> Allow {
        Allow {
            prefix: prefix.into(),
            what: Allowed::Tree,
        }
    }

    pub fn files(prefix: impl Into<String>) -> Allow {
        Allow {
            prefix: prefix.into(),
            what: Allowed::Files,
        }
    }

    pub fn task_files(prefix: impl Into<String>) -> Allow {
        Allow {
            prefix: prefix.into(),
            what: Allowed::TaskFiles,
        }
    }

    /// Whether `target` (a checked relative path) is this rule's. Hidden names below the prefix
    /// (a journal directory, a lock) are never a change's target.
    fn covers(&self, target: &str) -> bool {
        let below = target.starts_with(self.prefix.as_str())
            && target[self.prefix.len()..].starts_with('/')
            && !target[self.prefix.len() + 1..]
                .split('/')
                .any(|part| part.starts_with('.'));
        match self.what {
            Allowed::Tree => below || target == self.prefix,
            Allowed::Files => below,
            Allowed::TaskFiles => below && target.ends_with(".task.yaml"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// Replace (or create) the target with the staged file.
    Put,
    /// Create the target from the staged file; an existing target is a conflict.
    Create,
    /// Remove the target (a file or a whole directory).
    Remove,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Op {
    kind: Kind,
    /// Repo-relative.
    target: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    version: u32,
    ops: Vec<Op>,
}

/// Why applying an operation stopped.
enum Stop {
    Io(StateError),
    /// The target of a `Create` exists and is not ours.
    Conflict(PathBuf),
}

impl From<StateError> for Stop {
    fn from(e: StateError) -> Stop {
        Stop::Io(e)
    }
}

impl Stop {
    fn into_error(self) -> StateError {
        match self {
            Stop::Io(e) => e,
            Stop::Conflict(path) => StateError::io(
                &path,
                "create",
                io::Error::new(io::ErrorKind::AlreadyExists, "the file already exists"),
            ),
        }
    }
}

impl Domain {
    /// `root` is the canonical repository root; the other paths are repo-relative.
    pub fn new(
        root: &Path,
        lock_rel: impl Into<String>,
        dir_rel: impl Into<String>,
        allowed: Vec<Allow>,
    ) -> Domain {
        Domain {
            root: root.to_path_buf(),
            lock_rel: lock_rel.into(),
            dir_rel: dir_rel.into(),
            allowed,
        }
    }

    /// The lock file, its directory created where the containment rule allows it.
    fn lock_path(&self) -> Result<PathBuf, StateError> {
        let (parent, name) = self
            .lock_rel
            .rsplit_once('/')
            .unwrap_or(("", &self.lock_rel));
        Ok(paths::state_dir(&self.root, parent)?.join(name))
    }

    /// Whether a change was interrupted: its journal directory exists, with a committed change
    /// to finish or staged files to clear. A reader then takes the lock first, so that it reads
    /// the after state (and leaves nothing behind).
    pub fn unsettled(&self) -> bool {
        std::fs::symlink_metadata(self.root.join(&self.dir_rel)).is_ok()
    }

    /// Take the domain's lock (blocking), creating its directory where the containment rule
    /// allows it, then finish or clear whatever a crash left.
    pub fn lock(self) -> Result<Locked, StateError> {
        let lock = self.lock_path()?;
        let guard = lock_exclusive(&lock).map_err(|e| StateError::io(&lock, "lock", e))?;
        let locked = Locked {
            dir: self.root.join(&self.dir_rel),
            domain: self,
            _guard: guard,
        };
        locked.recover()?;
        Ok(locked)
    }

    /// [`Domain::lock`] without waiting: `None` when another process holds the lock (its change
    /// is in progress, not interrupted).
    pub fn try_lock(self) -> Result<Option<Locked>, StateError> {
        let lock = self.lock_path()?;
        let Some(guard) =
            super::lock::try_lock_exclusive(&lock).map_err(|e| StateError::io(&lock, "lock", e))?
        else {
            return Ok(None);
        };
        let locked = Locked {
            dir: self.root.join(&self.dir_rel),
            domain: self,
            _guard: guard,
        };
        locked.recover()?;
        Ok(Some(locked))
    }

    /// Check a target path: relative, clean, one of the domain's (see [`Allow`]).
    fn check_target(&self, target: &str) -> Result<(), String> {
        paths::check_relative(target)?;
        if self.rule(target).is_some() {
            Ok(())
        } else {
            let places: Vec<&str> = self.allowed.iter().map(|a| a.prefix.as_str()).collect();
            Err(format!(
                "{target:?} is not a file this change may touch (under {})",
                places.join(", ")
            ))
        }
    }

    fn rule(&self, target: &str) -> Option<&Allow> {
        self.allowed.iter().find(|a| a.covers(target))
    }

    /// Whether a directory at `target` may be removed (or replaced): only the directory of a
    /// tree rule itself (a purged context), never one below it.
    fn may_remove_directory(&self, target: &str) -> bool {
        self.allowed
            .iter()
            .any(|a| a.what == Allowed::Tree && a.prefix == target)
    }
}

/// A domain whose lock is held; no interrupted change is pending.
pub struct Locked {
    domain: Domain,
    /// The journal directory (it exists only while a change is staged or applied).
    dir: PathBuf,
    _guard: LockGuard,
}

impl Locked {
    /// Start staging a change.
    pub fn begin(&self) -> Txn<'_> {
        Txn {
            locked: self,
            ops: Vec::new(),
            done: false,
        }
    }

    fn journal_path(&self) -> PathBuf {
        self.dir.join(JOURNAL)
    }

    fn staged(&self, i: usize) -> PathBuf {
        self.dir.join(format!("s{i}"))
    }

    fn backup(&self, i: usize) -> PathBuf {
        self.dir.join(format!("b{i}"))
    }

    /// Finish a committed change a crash interrupted (or undo it when it cannot be finished);
    /// remove the staged files of one that was never committed.
    fn recover(&self) -> Result<(), StateError> {
        if std::fs::symlink_metadata(&self.dir).is_err() {
            return Ok(());
        }
        // The directory must be the tool's own, not a link to somewhere else.
        paths::existing_state_dir(&self.domain.root, &self.domain.dir_rel)?;
        let path = self.journal_path();
        let Some(bytes) = read_state(&path)? else {
            return self.clear();
        };
        let corrupt = |reason: String| StateError::Corrupt {
            path: path.clone(),
            reason,
        };
        let journal: Journal =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if journal.version != 1 {
            return Err(corrupt(format!(
                "unsupported journal version {}",
                journal.version
            )));
        }
        for (i, op) in journal.ops.iter().enumerate() {
            self.domain.check_target(&op.target).map_err(|reason| {
                corrupt(format!("operation on a path it may not touch: {reason}"))
            })?;
            // A staged file is one the tool wrote: a plain file, never a link or a directory.
            let staged = self.staged(i);
            if let Ok(meta) = std::fs::symlink_metadata(&staged)
                && !meta.is_file()
            {
                return Err(corrupt(format!(
                    "the staged file {} is not a plain file",
                    staged.display()
                )));
            }
            // A backup is put back in place by an undo: a plain file too — or, for the removal
            // of a directory this domain may remove (a purged context), a real directory.
            let backup = self.backup(i);
            if let Ok(meta) = std::fs::symlink_metadata(&backup) {
                let tree = meta.is_dir()
                    && op.kind == Kind::Remove
                    && self.domain.may_remove_directory(&op.target);
                if !meta.is_file() && !tree {
                    return Err(corrupt(format!(
                        "the backup {} is not a plain file",
                        backup.display()
                    )));
                }
            }
        }
        match self.apply(&journal.ops) {
            Ok(()) => self.finish(&journal.ops),
            Err((failed, stop)) => {
                self.undo(&journal.ops[..=failed])?;
                self.discard_journal()?;
                match stop {
                    // Somebody else's file took the place: the change is given up, as if the
                    // command had failed.
                    Stop::Conflict(_) => Ok(()),
                    Stop::Io(e) => Err(e),
                }
            }
        }
    }

    /// Apply every operation in order; on failure, the index of the operation that stopped.
    fn apply(&self, ops: &[Op]) -> Result<(), (usize, Stop)> {
        for (i, op) in ops.iter().enumerate() {
            self.forward(i, op).map_err(|stop| (i, stop))?;
        }
        Ok(())
    }

    /// The absolute target, its parent directory created (checked) unless `create` is false;
    /// `None` when the parent does not exist and was not to be created.
    fn target(&self, rel: &str, create: bool) -> Result<Option<PathBuf>, StateError> {
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let dir = if create {
            Some(paths::state_dir(&self.domain.root, parent)?)
        } else {
            paths::existing_state_dir(&self.domain.root, parent)?
        };
        Ok(dir.map(|d| d.join(name)))
    }

    /// Do operation `i` — or the rest of it: every step is decided by the files as they are,
    /// so this also finishes an operation a crash interrupted.
    fn forward(&self, i: usize, op: &Op) -> Result<(), Stop> {
        let staged = self.staged(i);
        let backup = self.backup(i);
        if let Ok(Some(target)) = self.target(&op.target, false)
            && std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir())
            && !self.domain.may_remove_directory(&op.target)
        {
            return Err(Stop::Io(StateError::BadPath {
                path: target,
                reason: "a directory where this change may only touch a file".into(),
            }));
        }
        match op.kind {
            Kind::Put => {
                if !exists(&staged) {
                    return Ok(());
                }
                let Some(target) = self.target(&op.target, true)? else {
                    return Ok(());
                };
                if exists(&target) && !exists(&backup) {
                    keep_backup(&target, &backup)?;
                }
                rename(&staged, &target)?;
            }
            Kind::Create => {
                if !exists(&staged) {
                    return Ok(());
                }
                let Some(target) = self.target(&op.target, true)? else {
                    return Ok(());
                };
                if exists(&target) {
                    // Ours when it is the staged file (linked before a crash) — or a copy of it
                    // (a repository copied without its hard links).
                    if !same_file(&staged, &target) && !same_content(&staged, &target) {
                        return Err(Stop::Conflict(target));
                    }
                } else {
                    fault::point().map_err(|e| StateError::io(&target, "create", e))?;
                    // A hard link never replaces an existing file: atomic no-clobber creation.
                    std::fs::hard_link(&staged, &target).map_err(|e| match e.kind() {
                        io::ErrorKind::AlreadyExists => Stop::Conflict(target.clone()),
                        _ => Stop::Io(StateError::io(&target, "create", e)),
                    })?;
                    fault::crash_point();
                }
                remove(&staged)?;
            }
            Kind::Remove => {
                let Some(target) = self.target(&op.target, false)? else {
                    return Ok(());
                };
                if exists(&target) && !exists(&backup) {
                    rename(&target, &backup)?;
                }
            }
        }
        Ok(())
    }

    /// Undo operations (the last first), from whatever state each is in.
    fn undo(&self, ops: &[Op]) -> Result<(), StateError> {
        for (i, op) in ops.iter().enumerate().rev() {
            let staged = self.staged(i);
            let backup = self.backup(i);
            // An operation whose directory cannot be reached was never applied.
            let Ok(Some(target)) = self.target(&op.target, false) else {
                continue;
            };
            match op.kind {
                Kind::Put => {
                    // The new file goes back to the staging area first (as a second link, so
                    // that the target never disappears), then the old one replaces it: a crash
                    // in the middle of the undo can still be finished forward.
                    if !exists(&staged) && exists(&target) {
                        if exists(&backup) {
                            link(&target, &staged)?;
                        } else {
                            rename(&target, &staged)?;
                        }
                    }
                    if exists(&backup) {
                        rename(&backup, &target)?;
                    }
                }
                Kind::Create => {
                    if !exists(&staged) && exists(&target) {
                        rename(&target, &staged)?;
                    } else if exists(&staged) && same_file(&staged, &target) {
                        remove(&target)?;
                    }
                }
                Kind::Remove => {
                    if exists(&backup) && !exists(&target) {
                        rename(&backup, &target)?;
                    }
                }
            }
        }
        for op in ops {
            if let Ok(Some(target)) = self.target(&op.target, false)
                && let Some(parent) = target.parent()
            {
                sync_dir(parent);
            }
        }
        Ok(())
    }

    /// The change is in place: make it durable, drop the backups, then the journal.
    fn finish(&self, ops: &[Op]) -> Result<(), StateError> {
        let mut parents: Vec<PathBuf> = Vec::new();
        for op in ops {
            if let Some(parent) = self
                .target(&op.target, false)?
                .and_then(|t| t.parent().map(Path::to_path_buf))
                && !parents.contains(&parent)
            {
                parents.push(parent);
            }
        }
        for parent in &parents {
            sync_dir(parent);
        }
        for i in 0..ops.len() {
            let backup = self.backup(i);
            if exists(&backup) {
                remove_all(&backup)?;
                fault::crash_point();
            }
        }
        self.discard_journal()
    }

    fn discard_journal(&self) -> Result<(), StateError> {
        let path = self.journal_path();
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StateError::io(&path, "remove", e)),
        }
        fault::crash_point();
        self.clear()
    }

    /// Remove the journal directory with what is left in it: staged files and backups of a
    /// change that was never committed, temporary files of an interrupted journal write. (Never
    /// called while a committed journal is in it.)
    fn clear(&self) -> Result<(), StateError> {
        remove_all(&self.dir)
    }

    /// The journal directory, created (checked) for staging.
    fn staging_dir(&self) -> Result<PathBuf, StateError> {
        paths::state_dir(&self.domain.root, &self.domain.dir_rel)
    }
}

/// A change being staged. Dropped without [`Txn::commit`], it leaves nothing behind.
pub struct Txn<'l> {
    locked: &'l Locked,
    ops: Vec<Op>,
    done: bool,
}

impl Txn<'_> {
    /// Replace (or create) `target` with `bytes`. An existing file's permissions are kept.
    pub fn put(&mut self, target: &str, bytes: &[u8]) -> Result<(), StateError> {
        self.stage(target, Kind::Put, None, |file| file.write_all(bytes))
    }

    /// [`Txn::put`] of a value as 2-space-indented JSON plus a newline.
    pub fn put_json<T: Serialize>(&mut self, target: &str, value: &T) -> Result<(), StateError> {
        let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| {
            StateError::io(
                &self.locked.domain.root.join(target),
                "write",
                io::Error::other(e),
            )
        })?;
        bytes.push(b'\n');
        self.put(target, &bytes)
    }

    /// [`Txn::put`] with the content written by `write` (streamed, in bounded memory).
    pub fn put_with<R>(
        &mut self,
        target: &str,
        write: impl FnOnce(&mut std::fs::File) -> io::Result<R>,
    ) -> Result<R, StateError> {
        let mut result = None;
        self.stage(target, Kind::Put, None, |file| {
            result = Some(write(file)?);
            Ok(())
        })?;
        result.ok_or_else(|| {
            StateError::io(
                &self.locked.domain.root.join(target),
                "write",
                io::Error::other("nothing was written"),
            )
        })
    }

    /// Stage a file whose name is known only once it is written (a content-addressed copy):
    /// `write` streams the content, `name` turns its result into the target.
    pub fn put_named<R>(
        &mut self,
        write: impl FnOnce(&mut std::fs::File) -> io::Result<R>,
        name: impl FnOnce(&R) -> String,
    ) -> Result<R, StateError> {
        self.locked.staging_dir()?;
        let i = self.ops.len();
        let staged = self.locked.staged(i);
        let io_err = |e: io::Error| StateError::io(&staged, "write", e);
        fault::point().map_err(io_err)?;
        if exists(&staged) {
            remove_all(&staged)?;
        }
        let mut file = new_staged_file(&staged).map_err(io_err)?;
        let result = write(&mut file).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        drop(file);
        fault::point().map_err(io_err)?;
        let target = name(&result);
        let checked = self
            .locked
            .domain
            .check_target(&target)
            .map_err(|reason| StateError::BadPath {
                path: self.locked.domain.root.join(&target),
                reason,
            })
            .and_then(|()| self.locked.target(&target, false).map(|_| ()));
        if let Err(e) = checked {
            remove_all(&staged)?;
            return Err(e);
        }
        let slot = self.slot(&target, Kind::Put);
        if slot != i {
            // The same target was staged before: this content replaces it.
            let previous = self.locked.staged(slot);
            std::fs::rename(&staged, &previous)
                .map_err(|e| StateError::io(&previous, "write", e))?;
        }
        Ok(result)
    }

    /// Create `target` with `bytes`; committing fails (and changes nothing) when it exists.
    /// The new file takes the permissions of `like` when given.
    pub fn create(
        &mut self,
        target: &str,
        bytes: &[u8],
        like: Option<&Path>,
    ) -> Result<(), StateError> {
        self.stage(target, Kind::Create, like, |file| file.write_all(bytes))
    }

    /// Remove `target`, a file or a whole directory (nothing happens if it does not exist).
    pub fn remove(&mut self, target: &str) -> Result<(), StateError> {
        let root = self.locked.domain.root.clone();
        self.locked
            .domain
            .check_target(target)
            .map_err(|reason| StateError::BadPath {
                path: root.join(target),
                reason,
            })?;
        if let Some(path) = self.locked.target(target, false)?
            && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir())
            && !self.locked.domain.may_remove_directory(target)
        {
            return Err(StateError::BadPath {
                path,
                reason: "a directory where this change may only remove a file".into(),
            });
        }
        let i = self.slot(target, Kind::Remove);
        let staged = self.locked.staged(i);
        if exists(&staged) {
            remove_all(&staged)?;
        }
        Ok(())
    }

    /// Whether anything was staged.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The index of `target`'s operation (a target changed twice keeps one operation).
    fn slot(&mut self, target: &str, kind: Kind) -> usize {
        if let Some(i) = self.ops.iter().position(|op| op.target == target) {
            self.ops[i].kind = kind;
            return i;
        }
        self.ops.push(Op {
            kind,
            target: target.to_string(),
        });
        self.ops.len() - 1
    }

    fn stage(
        &mut self,
        target: &str,
        kind: Kind,
        like: Option<&Path>,
        write: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
    ) -> Result<(), StateError> {
        let root = self.locked.domain.root.clone();
        let abs = root.join(target);
        self.locked
            .domain
            .check_target(target)
            .map_err(|reason| StateError::BadPath {
                path: abs.clone(),
                reason,
            })?;
        // Where the file will go must be allowed now (nothing is created yet).
        self.locked.target(target, false)?;
        self.locked.staging_dir()?;
        let i = self.slot(target, kind);
        let staged = self.locked.staged(i);
        let io_err = |e: io::Error| StateError::io(&abs, "write", e);
        fault::point().map_err(io_err)?;
        if exists(&staged) {
            remove_all(&staged)?;
        }
        let mut file = new_staged_file(&staged).map_err(io_err)?;
        let model = match (kind, like) {
            (_, Some(model)) => Some(model.to_path_buf()),
            (Kind::Put, None) => Some(abs.clone()),
            _ => None,
        };
        if let Some(meta) = model.and_then(|m| std::fs::symlink_metadata(m).ok())
            && meta.is_file()
        {
            file.set_permissions(meta.permissions()).map_err(io_err)?;
        }
        write(&mut file).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        fault::point().map_err(io_err)?;
        Ok(())
    }

    /// Make the change. Either every operation is in place when this returns `Ok`, or none is
    /// (the error says why); a crash in between is finished by the next holder of the lock.
    pub fn commit(mut self) -> Result<(), StateError> {
        self.done = true;
        if self.ops.is_empty() {
            return Ok(());
        }
        let locked = self.locked;
        locked.staging_dir()?;
        let ops = std::mem::take(&mut self.ops);
        if ops.len() == 1 {
            // One file: its rename is atomic by itself, no journal is needed. A crash before
            // it leaves only staged files (cleared by the next lock), after it the new state.
            return match locked.apply(&ops) {
                Ok(()) => locked.finish(&ops),
                Err((_, stop)) => {
                    locked.undo(&ops)?;
                    locked.clear()?;
                    Err(stop.into_error())
                }
            };
        }
        sync_dir(&locked.dir);
        let journal = Journal { version: 1, ops };
        let mut bytes = serde_json::to_vec_pretty(&journal)
            .map_err(|e| StateError::io(&locked.journal_path(), "write", io::Error::other(e)))?;
        bytes.push(b'\n');
        if let Err(e) = atomic_write(&locked.journal_path(), &bytes) {
            let _ = locked.clear();
            return Err(StateError::io(&locked.journal_path(), "write", e));
        }
        match locked.apply(&journal.ops) {
            Ok(()) => locked.finish(&journal.ops),
            Err((failed, stop)) => {
                locked.undo(&journal.ops[..=failed])?;
                locked.discard_journal()?;
                Err(stop.into_error())
            }
        }
    }
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.locked.clear();
        }
    }
}

/// A new staged file: `0666` before the umask, like any file the user creates.
fn new_staged_file(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(path)
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Keep the file a put replaces as its backup: a second link, so that the target never goes
/// missing (a reader sees the old file until the new one is renamed over it). Where the file
/// system has no hard links, the file is moved instead.
fn keep_backup(target: &Path, backup: &Path) -> Result<(), StateError> {
    match link(target, backup) {
        Ok(()) => Ok(()),
        Err(_) => rename(target, backup),
    }
}

fn link(from: &Path, to: &Path) -> Result<(), StateError> {
    fault::point().map_err(|e| StateError::io(to, "link", e))?;
    std::fs::hard_link(from, to).map_err(|e| StateError::io(to, "link", e))?;
    fault::crash_point();
    Ok(())
}

fn same_content(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) else {
        return false;
    };
    ma.is_file()
        && mb.is_file()
        && ma.len() == mb.len()
        && matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

fn rename(from: &Path, to: &Path) -> Result<(), StateError> {
    fault::point().map_err(|e| StateError::io(to, "move", e))?;
    std::fs::rename(from, to).map_err(|e| StateError::io(to, "move", e))?;
    fault::crash_point();
    Ok(())
}

fn remove(path: &Path) -> Result<(), StateError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(StateError::io(path, "remove", e)),
    }
    fault::crash_point();
    Ok(())
}

/// Remove a file, a link (never what it points to) or a whole directory.
fn remove_all(path: &Path) -> Result<(), StateError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let removed = if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match removed {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StateError::io(path, "remove", e)),
    }
}

#[cfg(test)]
#[path = "tests/txn.rs"]
mod tests;
