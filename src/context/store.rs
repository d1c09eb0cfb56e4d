//! Where a task's context lives and how it changes: `.agent-output/<ID>/` holds `context.json`,
//! `context.manifest`, `task-snapshot.yaml`, `evidence/`, and `.context.lock`, the one lock for
//! that task's context and evidence (contract D6: never a global lock). Every change is
//! lock → read → change → atomic replace; a file that does not parse is E052 and is never
//! overwritten.

use super::model::{CONTEXT_VERSION, Context, Manifest};
use crate::error::{Error, ErrorCode, Result};
use crate::repo::Repo;
use crate::store::{self, LockGuard, StateError};
use std::path::PathBuf;

pub const OUTPUT_DIR: &str = ".agent-output";

/// The context directory of one task. The id must have been checked (`ids::check_cli_id`).
pub struct ContextStore {
    pub id: String,
    /// Repo-relative, e.g. `.agent-output/TASK-0001`.
    pub rel_dir: String,
    pub dir: PathBuf,
}

impl ContextStore {
    pub fn of(repo: &Repo, id: &str) -> ContextStore {
        let rel_dir = format!("{OUTPUT_DIR}/{id}");
        ContextStore {
            id: id.to_string(),
            dir: repo.root.join(&rel_dir),
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

    /// Take the task's lock, creating its directory (which must resolve inside the repository
    /// and not be a link).
    pub fn lock(&self, repo: &Repo) -> Result<LockGuard> {
        self.check_links(repo)?;
        let dir = repo.contained_dir(&self.rel_dir)?;
        let path = dir.join(".context.lock");
        store::lock_exclusive(&path).map_err(|e| StateError::io(&path, "lock", e).into())
    }

    /// The context as stored. E051 when there is none, E052 when it cannot be read.
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

    /// Replace `context.json` (the caller holds the lock).
    pub fn save(&self, context: &Context) -> Result<()> {
        let path = self.context_path();
        store::write_json_atomic(&path, context)
            .map_err(|e| StateError::io(&path, "write", e).into())
    }

    pub fn save_manifest(&self, manifest: &Manifest) -> Result<()> {
        let path = self.manifest_path();
        store::write_json_atomic(&path, manifest)
            .map_err(|e| StateError::io(&path, "write", e).into())
    }

    /// One locked read-change-write of the context.
    pub fn update<R>(
        &self,
        repo: &Repo,
        change: impl FnOnce(&mut Context) -> Result<R>,
    ) -> Result<R> {
        if !self.exists() {
            return Err(self.missing());
        }
        let _guard = self.lock(repo)?;
        let mut context = self.load()?;
        let result = change(&mut context)?;
        self.save(&context)?;
        Ok(result)
    }

    /// Remove the whole directory under the task's lock; `false` when there was none. Never
    /// leaves the repository.
    pub fn purge(&self, repo: &Repo) -> Result<bool> {
        self.check_links(repo)?;
        if std::fs::symlink_metadata(&self.dir).is_err() {
            return Ok(false);
        }
        let dir = repo.contained(&self.dir)?;
        // Not in the middle of someone's write: take the task's lock, then remove it all.
        let _guard = self.lock(repo)?;
        std::fs::remove_dir_all(&dir).map_err(|e| StateError::io(&dir, "remove", e))?;
        Ok(true)
    }

    pub fn missing(&self) -> Error {
        Error::new(ErrorCode::E051, format!("No context for {}", self.id))
            .with_detail("task_id", &self.id)
            .with_recovery(format!("Run tasks --init-context {} first", self.id))
    }
}

fn corrupt(path: &std::path::Path, reason: String) -> Error {
    StateError::Corrupt {
        path: path.to_path_buf(),
        reason,
    }
    .into()
}
