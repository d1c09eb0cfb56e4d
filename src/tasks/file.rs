//! One task file, from what a command line names to its bytes and its parsed task: `locate`
//! turns an argument (a path, or an id) into the file, `TaskFile::read` reads and parses it
//! from disk (not from the cache: a command about to change or snapshot a task needs its bytes
//! as they are now), and `TaskFile::with_status` is the one edit made to task files, checked.

use super::catalog::{Catalog, Found};
use super::edit::set_status;
use super::model::Task;
use super::parse::{decode, parse_text};
use super::yaml::{self, Yaml};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::is_valid_id;
use crate::repo::{ARCHIVE_DIR, Repo, TASKS_DIR};
use crate::text::field;
use std::path::{Path, PathBuf};

pub use super::discover::TASK_FILE_SUFFIX;

/// A task file read from disk and parsed.
#[derive(Debug, Clone)]
pub struct TaskFile {
    /// Repo-relative.
    pub rel: String,
    pub abs: PathBuf,
    pub raw: Vec<u8>,
    pub task: Task,
}

/// True when the repo-relative `rel` is below the directory `dir`.
pub fn under(rel: &str, dir: &str) -> bool {
    rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The task file `arg` names, repo-relative: an existing path (relative to `cwd`) of a
/// `*.task.yaml` file under `tasks/` or `docs/completed-tasks/` of this repository, or the id
/// of a task in the catalog. E002 for a path that is not such a file, E011 for an id whose file
/// does not load (not "not found"), E040 when nothing matches. The catalog is loaded only for
/// an id (loading it reconciles the exception ledger, which a path must not touch).
pub fn locate<'c>(
    repo: &Repo,
    cwd: &Path,
    catalog: impl FnOnce() -> &'c Catalog,
    arg: &str,
) -> Result<String> {
    let given = cwd.join(arg);
    if given.exists() {
        let abs = crate::store::fs::canonicalize(&given)?;
        let rel = repo.relative(&abs).filter(|r| {
            r.ends_with(TASK_FILE_SUFFIX)
                && (under(r, TASKS_DIR) || under(r, ARCHIVE_DIR))
                && abs.is_file()
        });
        return rel.ok_or_else(|| {
            Error::new(
                ErrorCode::E002,
                format!(
                    "{} is not a task file of this repository (a *.task.yaml under tasks/ or docs/completed-tasks/)",
                    abs.display()
                ),
            )
            .with_detail("path", abs.display().to_string())
            .with_recovery("Pass a task file of this repository, or a task id")
        });
    }
    if is_valid_id(arg) {
        match catalog().find(arg) {
            Some(Found::Task(task)) => return Ok(task.path.to_string()),
            Some(Found::Broken(broken)) => return Err(broken.error()),
            None => {}
        }
    }
    Err(
        Error::new(ErrorCode::E040, format!("Task not found: {arg}"))
            .with_detail("path", arg)
            .with_recovery("Pass the path of a task file, or a task id from --list"),
    )
}

impl TaskFile {
    /// Read and parse the task file at the repo-relative `rel` (E011 when it does not load).
    pub fn read(repo: &Repo, rel: &str) -> Result<TaskFile> {
        let abs = repo.root.join(rel);
        let raw = crate::store::fs::read(&abs)?;
        let task = parse_file(&raw, rel)?;
        Ok(TaskFile {
            rel: rel.to_string(),
            abs,
            raw,
            task,
        })
    }

    /// The file read again (another process may have changed or moved it since): parsed again
    /// only when its bytes changed.
    pub fn reread(self) -> Result<TaskFile> {
        let raw = crate::store::fs::read(&self.abs)?;
        if raw == self.raw {
            return Ok(self);
        }
        let task = parse_file(&raw, &self.rel)?;
        Ok(TaskFile { raw, task, ..self })
    }

    /// The whole YAML document, every key (a context snapshot keeps them all).
    pub fn document(&self) -> Result<Yaml> {
        let (text, _) = decode(&self.raw).map_err(|f| unloadable(&self.rel, &f.to_string()))?;
        yaml::parse(&text).map_err(|e| unloadable(&self.rel, &e.message))
    }

    /// The file's text with only its status changed. Checked by parsing both versions: the
    /// document must be the old one with only the top-level `status` replaced (a status line
    /// inside a flow mapping, say, fails this), and it must still load as the same task. E002
    /// when the edit cannot be made safely, E011 when the file is not UTF-8.
    pub fn with_status(&self, status: &str) -> Result<String> {
        self.with_status_and(status, None)
    }

    /// [`TaskFile::with_status`], and a top-level text field set too (`blocked_reason`),
    /// replaced or inserted after the status line; checked the same way.
    pub fn with_status_and(
        &self,
        status: &str,
        text_field: Option<(&str, &str)>,
    ) -> Result<String> {
        let refuse = |why: &str| {
            Error::new(
                ErrorCode::E002,
                format!("Cannot change the status in {}: {why}", field(&self.rel)),
            )
            .with_detail("path", &self.rel)
            .with_recovery(format!(
                "Write the status as a plain top-level line `status: {}` by hand, or simplify that line and retry",
                field(status)
            ))
        };
        let text = std::str::from_utf8(&self.raw)
            .map_err(|_| unloadable(&self.rel, "it is not valid UTF-8"))?;
        let mut new_text = set_status(text, status).map_err(|e| refuse(&e.0))?;
        if let Some((key, value)) = text_field {
            new_text =
                super::edit::set_text_field(&new_text, key, value, "status").map_err(|e| {
                    Error::new(
                    ErrorCode::E002,
                    format!("Cannot set {key} in {}: {}", field(&self.rel), e.0),
                )
                .with_detail("path", &self.rel)
                .with_detail("field", key)
                .with_recovery(format!(
                    "Write {key} as a plain one-line `{key}: …` (or remove it) by hand, then retry"
                ))
                })?;
        }
        let normalized = |t: &str| {
            t.strip_prefix('\u{feff}')
                .unwrap_or(t)
                .replace("\r\n", "\n")
        };
        let (Ok(Yaml::Map(mut before)), Ok(Yaml::Map(mut after))) = (
            yaml::parse(&normalized(text)),
            yaml::parse(&normalized(&new_text)),
        ) else {
            return Err(refuse("the edited file would not parse"));
        };
        let mut expected = vec![("status", status)];
        expected.extend(text_field);
        for (key, value) in expected {
            match before.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = Yaml::Str(value.to_string()),
                None => before.push((key.to_string(), Yaml::Str(value.to_string()))),
            }
        }
        // Key order aside (an inserted key sits after the status line), nothing else changed.
        before.sort_by(|a, b| a.0.cmp(&b.0));
        after.sort_by(|a, b| a.0.cmp(&b.0));
        if before != after {
            return Err(refuse(
                "the edited lines hold more than their values (other fields would change)",
            ));
        }
        let reloaded = parse_file(new_text.as_bytes(), &self.rel)?;
        if reloaded.status != status || reloaded.id != self.task.id {
            return Err(refuse("the edited file does not read back as expected"));
        }
        Ok(new_text)
    }
}

/// Bytes of the task file `rel` → its task; E011 with the line and column otherwise.
pub fn parse_file(raw: &[u8], rel: &str) -> Result<Task> {
    let parsed = decode(raw).and_then(|(text, hash)| parse_text(&text, hash, rel, 0.0));
    parsed.map_err(|failure| {
        unloadable(rel, &failure.to_string())
            .with_detail("line", failure.line)
            .with_detail("column", failure.column)
    })
}

fn unloadable(rel: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::E011,
        format!("{} cannot be loaded: {}", field(rel), field(why)),
    )
    .with_detail("path", rel)
    .with_recovery("Fix the task file (tasks --lint shows the problems), then retry")
}

#[cfg(test)]
#[path = "tests/file.rs"]
mod tests;
