//! Where a task's context lives and how it changes: `.agent-output/<ID>/` holds `context.json`,
//! `context.manifest`, `task-snapshot.yaml` and `evidence/`; `.agent-output/.locks/<ID>.lock` is
//! the one lock for that task's context and evidence (contract D6: never a global lock) and
//! `.agent-output/.txn/<ID>/` the journal of a change in progress. Every change is lock → read → stage every file → commit (see
//! `store::txn`): a crash leaves the before or the after state, a failure changes nothing, and
//! a file that does not parse is E052 and is never overwritten.

use super::model::{CONTEXT_VERSION, Context, Manifest};
use crate::error::{Error, ErrorCode, Result};
use crate::repo::Repo;
use crate::store::txn::{Allow, Domain, Locked, Txn};
use crate::store::{self, StateError};
use std::path::PathBuf;

pub const OUTPUT_DIR: &str = ".agent-output";

/// The context directory of one task. The id must have been checked (`ids::check_cli_id`).
pub struct ContextStore {
    pub id: String,
    /// Repo-relative, e.g. `.agent-output/TASK-0001`.
    pub rel_dir: String,
    pub dir: PathBuf,
    /// The repository root.
    pub root: PathBuf,
}

impl ContextStore {
    pub fn of(repo: &Repo, id: &str) -> ContextStore {
        let rel_dir = format!("{OUTPUT_DIR}/{id}");
        ContextStore {
            id: id.to_string(),
            dir: repo.root.join(&rel_dir),
            root: repo.root.clone(),
            rel_dir,
        }
    }

    pub fn context_path(&self) -> PathBuf {
        self.dir.join("context.json")
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join("context.manifest")
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.dir.join("task-snapshot.yaml")
    }

    pub fn evidence_dir(&self) -> PathBuf {
        self.dir.join("evidence")
    }

    pub fn exists(&self) -> bool {
        self.context_path().is_file()
    }

    /// E002 when `.agent-output` or the task's directory is a symbolic link: the tool never
    /// writes or deletes through a link, wherever it points (contract D9).
    pub fn check_links(&self, repo: &Repo) -> Result<()> {
        let output = repo.root.join(OUTPUT_DIR);
        for path in [&output, &self.dir] {
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::new(
                    ErrorCode::E002,
                    format!(
                        "{} is a symbolic link; the context cache is never written or deleted through a link",
                        path.display()
                    ),
                )
                .with_detail("path", path.display().to_string())
                .with_recovery("Remove the link (the context cache is a plain directory the tool creates)"));
            }
        }
        Ok(())
    }

    /// The task's transaction domain: its lock (`.agent-output/.locks/<ID>.lock`) and journal
    /// (`.agent-output/.txn/<ID>/`) live beside the context directory, so that the directory
    /// itself can be created and removed as a whole.
    fn domain(&self, repo: &Repo) -> Domain {
        Domain::new(
            &repo.root,
            format!("{OUTPUT_DIR}/.locks/{}.lock", self.id),
            format!("{OUTPUT_DIR}/.txn/{}", self.id),
            vec![
                Allow::tree(self.rel_dir.clone()),
                // Where `--complete` keeps the archive of the context it removes.
                Allow::files(format!("{OUTPUT_DIR}/.completed/{}", self.id)),
            ],
        )
    }

    /// Whether a change of this context was interrupted (to be finished or cleared under the
    /// lock).
    pub fn unsettled(&self, repo: &Repo) -> bool {
        self.domain(repo).unsettled()
    }

    /// Take the task's lock (neither `.agent-output` nor the task's directory may be a link),
    /// finishing any change a crash interrupted.
    pub fn lock(&self, repo: &Repo) -> Result<Locked> {
        self.check_links(repo)?;
        let new = std::fs::symlink_metadata(repo.root.join(OUTPUT_DIR)).is_err();
        let locked = self.domain(repo).lock()?;
        if new {
            // Created here: keep it out of git (the tool's own state, like tasks/.cache/).
            store::fs::write_atomic(
                &repo.root.join(OUTPUT_DIR).join(".gitignore"),
                b"# Agent context caches of the tasks CLI (local state); remove this file to commit them.\n*\n",
            )?;
        }
        Ok(locked)
    }

    /// Hold the task's lock for reading several of its files consistently. E051 (and nothing
    /// created) when there is no context directory and no interrupted change.
    pub fn read_lock(&self, repo: &Repo) -> Result<Locked> {
        self.check_links(repo)?;
        let domain = self.domain(repo);
        if std::fs::symlink_metadata(&self.dir).is_err() && !domain.unsettled() {
            return Err(self.missing());
        }
        let locked = domain.lock()?;
        // Checked again under the lock, once any interrupted change is settled: a purge or a
        // completion that ran meanwhile removed it, and nothing may bring it back.
        if std::fs::symlink_metadata(&self.dir).is_err() {
            return Err(self.missing());
        }
        Ok(locked)
    }

    /// The context as it is now (read under the lock, after any interrupted change was
    /// finished). E051 when there is none, E052 when it cannot be read.
    pub fn read(&self, repo: &Repo) -> Result<Context> {
        let _locked = self.read_lock(repo)?;
        self.load()
    }

    /// The context as stored (the caller holds the lock). E051 when there is none, E052 when it
    /// cannot be read.
    pub fn load(&self) -> Result<Context> {
        let path = self.context_path();
        let raw: Option<serde_json::Value> = store::read_json(&path)?;
        let Some(raw) = raw else {
            return Err(self.missing());
        };
        let version = raw.get("version").and_then(serde_json::Value::as_u64);
        if version.is_some_and(|v| v != u64::from(CONTEXT_VERSION)) {
            return Err(corrupt(
                &path,
                format!("unsupported context version {}", version.unwrap_or(0)),
            ));
        }
        let context: Context =
            serde_json::from_value(raw).map_err(|e| corrupt(&path, e.to_string()))?;
        if context.task_id != self.id {
            return Err(corrupt(
                &path,
                format!("it belongs to {}, not {}", context.task_id, self.id),
            ));
        }
        Ok(context)
    }

    pub fn load_manifest(&self) -> Result<Option<Manifest>> {
        Ok(store::read_json(&self.manifest_path())?)
    }

    /// A file named by a field of `context.json` (a diff path, say), checked before it is read:
    /// a clean repo-relative path inside the task's directory that no link leads out of.
    /// E052 naming the field otherwise (contract D9: paths read from state stay inside).
    pub fn file_named_by(&self, repo: &Repo, rel: &str, field: &str) -> Result<PathBuf> {
        let refuse = |why: String| {
            Error::new(
                ErrorCode::E052,
                format!(
                    "{} is not valid: {field} names {:?}, {why}",
                    self.context_path().display(),
                    crate::text::prefix(rel, 200)
                ),
            )
            .with_detail("path", self.context_path().display().to_string())
            .with_detail("field", field)
            .with_recovery(format!(
                "Nothing was read. Repair {} (or take the snapshot again), then retry",
                self.context_path().display()
            ))
        };
        crate::store::paths::check_relative(rel).map_err(&refuse)?;
        let inside = rel
            .strip_prefix(self.rel_dir.as_str())
            .is_some_and(|r| r.starts_with('/'));
        if !inside {
            return Err(refuse(format!("which is not in {}", self.rel_dir)));
        }
        self.check_links(repo)?;
        let path = repo.root.join(rel);
        if let Some(parent) = path.parent()
            && let Ok(resolved) = parent.canonicalize()
            && !resolved.starts_with(&self.dir)
        {
            return Err(refuse(format!(
                "which resolves to {}, outside {}",
                resolved.display(),
                self.rel_dir
            )));
        }
        Ok(path)
    }

    /// Bytes of the files the context stands for — the manifest's sources: task file, cited
    /// standards, checklists — as they are now. A source that is gone, not a plain file or
    /// reached through a link counts nothing (the manifest is state: its paths are checked).
    pub fn source_bytes(&self, repo: &Repo) -> u64 {
        let Ok(Some(manifest)) = self.load_manifest() else {
            return 0;
        };
        let Ok(root) = crate::store::beneath::Dir::open(&repo.root) else {
            return 0;
        };
        let mut seen = std::collections::BTreeSet::new();
        manifest
            .source_files
            .iter()
            .filter(|s| crate::store::paths::check_relative(&s.path).is_ok())
            .filter(|s| seen.insert(s.path.as_str()))
            .filter_map(|s| root.file(std::path::Path::new(&s.path)).ok())
            .filter_map(|f| f.metadata().ok())
            .map(|m| m.len())
            .fold(0u64, u64::saturating_add)
    }

    /// Repo-relative path of a file in the task's directory.
    pub fn rel(&self, name: &str) -> String {
        format!("{}/{name}", self.rel_dir)
    }

    /// Stage `context.json` in a change.
    pub fn stage(&self, txn: &mut Txn, context: &Context) -> Result<()> {
        Ok(txn.put_json(&self.rel("context.json"), context)?)
    }

    pub fn stage_manifest(&self, txn: &mut Txn, manifest: &Manifest) -> Result<()> {
        Ok(txn.put_json(&self.rel("context.manifest"), manifest)?)
    }

    /// One change of the context: under the lock, `change` modifies the context and stages any
    /// other file it writes; then everything is committed at once.
    pub fn update<R>(
        &self,
        repo: &Repo,
        change: impl FnOnce(&mut Context, &mut Txn) -> Result<R>,
    ) -> Result<R> {
        let locked = self.read_lock(repo)?;
        let mut context = self.load()?;
        let mut txn = locked.begin();
        let result = change(&mut context, &mut txn)?;
        self.stage(&mut txn, &context)?;
        txn.commit()?;
        Ok(result)
    }

    /// Remove the whole directory under the task's lock, in one step a crash cannot split;
    /// `false` when there was none. Never through a link, and never a lock taken (so nothing
    /// created) when there is nothing to remove.
    pub fn purge(&self, repo: &Repo) -> Result<bool> {
        Ok(self.purge_after(repo, |_| Ok(()))?.is_some())
    }

    /// [`ContextStore::purge`], with `before` staging more in the same change first (a copy
    /// of the context); when it fails, nothing changes. `None` when there was no context
    /// directory.
    pub fn purge_after<T>(
        &self,
        repo: &Repo,
        before: impl FnOnce(&mut Txn) -> Result<T>,
    ) -> Result<Option<T>> {
        // Nothing there and nothing pending: nothing to remove, and nothing created (no lock
        // file, no `.agent-output/` in a repository that never had a context).
        let locked = match self.read_lock(repo) {
            Ok(locked) => locked,
            Err(e) if e.code == ErrorCode::E051 => return Ok(None),
            Err(e) => return Err(e),
        };
        match std::fs::symlink_metadata(&self.dir) {
            Err(_) => return Ok(None),
            // Something else under the context's name is not a context: never removed as one.
            Ok(meta) if !meta.is_dir() => {
                return Err(StateError::Corrupt {
                    path: self.dir.clone(),
                    reason: "it is not a directory, so not a context; remove it by hand".into(),
                }
                .into());
            }
            Ok(_) => {}
        }
        let mut txn = locked.begin();
        let kept = before(&mut txn)?;
        txn.remove(&self.rel_dir)?;
        txn.commit()?;
        Ok(Some(kept))
    }

    pub fn missing(&self) -> Error {
        let error = Error::new(ErrorCode::E051, format!("No context for {}", self.id))
            .with_detail("task_id", &self.id);
        // A completed task's context was archived: the way back is its archive, not a new one.
        let archived = (self.dir.parent())
            .map(|output| output.join(".completed").join(&self.id))
            .is_some_and(|kept| std::fs::symlink_metadata(kept).is_ok_and(|m| m.is_dir()));
        if archived {
            return error.with_recovery(format!(
                "{id} was completed and its context archived in .agent-output/.completed/{id}/: tasks --list-evidence {id} prints the command that restores it (or tasks --init-context {id} starts a new one)",
                id = self.id
            ));
        }
        error.with_recovery(format!("Run tasks --init-context {} first", self.id))
    }
}

fn corrupt(path: &std::path::Path, reason: String) -> Error {
    StateError::Corrupt {
        path: path.to_path_buf(),
        reason,
    }
    .into()
}
