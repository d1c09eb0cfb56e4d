//! Every git invocation goes through here: explicit arguments, `core.quotepath=off`, NUL-separated
//! output parsed as bytes, and failures reported as E061 with the command and git's stderr.

use crate::error::{Error, ErrorCode, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A git repository work tree, optionally with its own index file (`GIT_INDEX_FILE`), so that
/// the user's index is never touched.
#[derive(Debug, Clone)]
pub struct Git {
    root: PathBuf,
    index: Option<PathBuf>,
}

/// A git object id — 40 (SHA-1) or 64 (SHA-256) lowercase hex digits — checked before it
/// reaches a git command line, so that no value can ever be parsed as an option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(String);

impl ObjectId {
    /// `None` unless `text` is exactly an object id.
    pub fn parse(text: &str) -> Option<ObjectId> {
        let hex = text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (hex && (text.len() == 40 || text.len() == 64)).then(|| ObjectId(text.to_string()))
    }

    /// An id read from a state file: E052 naming the file and the field when it is not one
    /// (contract D9: values from state never reach git unchecked).
    pub fn from_state(text: &str, file: &Path, field: &str) -> Result<ObjectId> {
        ObjectId::parse(text).ok_or_else(|| {
            Error::new(
                ErrorCode::E052,
                format!(
                    "{} is not valid: {field} is not a git object id ({:?})",
                    file.display(),
                    crate::text::prefix(text, 80)
                ),
            )
            .with_detail("path", file.display().to_string())
            .with_detail("field", field)
            .with_recovery(format!(
                "Nothing was run or written. Restore {} (git checkout, or rebuild the context with --rebuild-context ID --base-commit HEAD), then retry",
                file.display()
            ))
        })
    }

    /// An id printed by git itself (E061 if git printed something else).
    pub fn from_git(output: &[u8], command: &str) -> Result<ObjectId> {
        let text = String::from_utf8_lossy(output);
        ObjectId::parse(text.trim()).ok_or_else(|| {
            Error::new(
                ErrorCode::E061,
                format!("{command} did not print an object id"),
            )
            .with_detail("command", command)
            .with_detail("stdout", text.trim())
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of `git status --porcelain -z`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The two status letters (`XY`), e.g. ` M`, `??`, `R `.
    pub code: String,
    /// Repo-relative path (the new path for renames and copies).
    pub path: String,
    /// The source path of a rename or copy.
    pub orig_path: Option<String>,
}

impl Git {
    pub fn new(root: &Path) -> Self {
        Git {
            root: root.to_path_buf(),
            index: None,
        }
    }

    /// The same work tree with `index` as its index file.
    pub fn with_index(&self, index: &Path) -> Self {
        Git {
            root: self.root.clone(),
            index: Some(index.to_path_buf()),
        }
    }

    /// Run `git <args>` with `input` on its stdin (and literal pathspecs); non-zero exit is E061.
    pub fn run_with_input(&self, args: &[&str], input: &[u8]) -> Result<Vec<u8>> {
        use std::io::Write;
        let mut child = self
            .command(args)
            .env("GIT_LITERAL_PATHSPECS", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| spawn_failure(args, &e))?;
        let mut stdin = child.stdin.take();
        let writer = stdin.as_mut().map(|s| s.write_all(input));
        drop(stdin);
        let output = child
            .wait_with_output()
            .map_err(|e| spawn_failure(args, &e))?;
        if output.status.success() && writer.is_none_or(|w| w.is_ok()) {
            Ok(output.stdout)
        } else {
            Err(self.failure(args, &output))
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("git");
        command
            .arg("-c")
            .arg("core.quotepath=off")
            .args(args)
            .current_dir(&self.root);
        if let Some(index) = &self.index {
            command.env("GIT_INDEX_FILE", index);
        }
        command
    }

    /// Run `git <args>` in the work tree and return its stdout; non-zero exit is E061.
    pub fn run(&self, args: &[&str]) -> Result<Vec<u8>> {
        let output = self.output(args)?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(self.failure(args, &output))
        }
    }

    /// Run git and hand back the raw output whatever its exit status (spawn failures are E061).
    pub fn output(&self, args: &[&str]) -> Result<Output> {
        self.command(args)
            .output()
            .map_err(|e| spawn_failure(args, &e))
    }

    fn failure(&self, args: &[&str], output: &Output) -> Error {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        Error::new(
            ErrorCode::E061,
            format!("{} failed: {}", command_line(args), first_line(&stderr)),
        )
        .with_detail("command", command_line(args))
        .with_detail("exit_code", output.status.code())
        .with_detail("stderr", stderr)
    }

    /// The commit HEAD points to, or `None` in a repository without commits.
    pub fn head(&self) -> Result<Option<String>> {
        Ok(self.head_id()?.map(|id| id.0))
    }

    /// [`Git::head`] read from the repository's files when they are the plain layout (`.git/HEAD`
    /// naming a branch in `refs/heads/` or `packed-refs`, or a detached id), without starting
    /// git (~2 ms saved for the context verbs); anything else — a worktree, another ref
    /// storage, an unreadable file — asks git. The id is checked to be an object id either way.
    pub fn head_quick(&self) -> Result<Option<String>> {
        match self.head_from_files() {
            Some(id) => Ok(Some(id)),
            None => self.head(),
        }
    }

    fn head_from_files(&self) -> Option<String> {
        let git_dir = self.root.join(".git");
        if !std::fs::symlink_metadata(&git_dir).ok()?.is_dir() {
            return None;
        }
        let read = |path: &Path, limit: u64| -> Option<String> {
            use std::io::Read;
            let mut text = String::new();
            std::fs::File::open(path)
                .ok()?
                .take(limit)
                .read_to_string(&mut text)
                .ok()?;
            Some(text)
        };
        let head = read(&git_dir.join("HEAD"), 4096)?;
        let head = head.trim_end();
        let Some(reference) = head.strip_prefix("ref: ") else {
            return ObjectId::parse(head).map(|id| id.0);
        };
        let safe = reference.starts_with("refs/heads/")
            && !reference
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
            && reference.bytes().all(|b| b.is_ascii_graphic());
        if !safe {
            return None;
        }
        if let Some(loose) = read(&git_dir.join(reference), 4096) {
            return ObjectId::parse(loose.trim_end()).map(|id| id.0);
        }
        // Packed: `<id> <ref>` lines (peeled `^<id>` lines and the header skipped).
        let packed = read(&git_dir.join("packed-refs"), 64 * 1024 * 1024)?;
        packed
            .lines()
            .filter_map(|line| line.split_once(' '))
            .find(|(_, name)| *name == reference)
            .and_then(|(id, _)| ObjectId::parse(id))
            .map(|id| id.0)
    }

    /// [`Git::head`] as an object id.
    pub fn head_id(&self) -> Result<Option<ObjectId>> {
        let args = ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"];
        let output = self.output(&args)?;
        match output.status.code() {
            Some(0) => Ok(Some(ObjectId::from_git(
                &output.stdout,
                "git rev-parse HEAD",
            )?)),
            Some(1) => Ok(None),
            _ => Err(self.failure(&args, &output)),
        }
    }

    /// `git status --porcelain -z --untracked-files=all` of the work tree under the root, parsed,
    /// with paths relative to the root. (When `--repo-root` names a subdirectory of a larger git
    /// work tree, git reports paths from the top of that tree; changes outside the root are not
    /// ours and are left out.)
    pub fn status(&self) -> Result<Vec<StatusEntry>> {
        Ok(self
            .status_raw()?
            .iter()
            .map(RawStatusEntry::lossy)
            .collect())
    }

    /// [`Git::status`] with paths as git's bytes (file names need not be UTF-8).
    pub fn status_raw(&self) -> Result<Vec<RawStatusEntry>> {
        let mut prefix = self.run(&["rev-parse", "--show-prefix"])?;
        while prefix.last() == Some(&b'\n') {
            prefix.pop();
        }
        let out = self.run(&[
            "status",
            "--porcelain",
            "-z",
            "--untracked-files=all",
            "--",
            ".",
        ])?;
        let mut entries = parse_status_z(&out);
        if !prefix.is_empty() {
            entries.retain_mut(|e| match e.path.strip_prefix(prefix.as_slice()) {
                Some(rel) => {
                    e.path = rel.to_vec();
                    e.orig_path = e
                        .orig_path
                        .take()
                        .and_then(|o| o.strip_prefix(prefix.as_slice()).map(<[u8]>::to_vec));
                    true
                }
                None => false,
            });
        }
        Ok(entries)
    }
}

/// One entry of `git status --porcelain -z`, paths as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatusEntry {
    pub code: String,
    pub path: Vec<u8>,
    pub orig_path: Option<Vec<u8>>,
}

impl RawStatusEntry {
    pub fn lossy(&self) -> StatusEntry {
        StatusEntry {
            code: self.code.clone(),
            path: String::from_utf8_lossy(&self.path).into_owned(),
            orig_path: self
                .orig_path
                .as_deref()
                .map(|o| String::from_utf8_lossy(o).into_owned()),
        }
    }
}

/// Parse `git status --porcelain -z` output. Renames and copies carry their source path as the
/// following NUL-separated field.
pub fn parse_status_z(out: &[u8]) -> Vec<RawStatusEntry> {
    let mut entries = Vec::new();
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(field) = fields.next() {
        if field.len() < 4 {
            continue;
        }
        let code = String::from_utf8_lossy(&field[..2]).into_owned();
        let orig_path = if code.starts_with('R') || code.starts_with('C') {
            fields.next().map(<[u8]>::to_vec)
        } else {
            None
        };
        entries.push(RawStatusEntry {
            code,
            path: field[3..].to_vec(),
            orig_path,
        });
    }
    entries
}

fn spawn_failure(args: &[&str], e: &std::io::Error) -> Error {
    Error::new(ErrorCode::E061, format!("Cannot run git: {e}"))
        .with_detail("command", command_line(args))
        .with_detail("stderr", e.to_string())
        .with_recovery("Install git and make sure it is on PATH")
}

fn command_line(args: &[&str]) -> String {
    let mut line = String::from("git");
    for arg in args {
        line.push(' ');
        line.push_str(arg);
    }
    line
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
#[path = "tests/git.rs"]
mod tests;
