//! Where state may be written (contract D9): one rule for every state directory. A repo-relative
//! directory is walked from the repository root one component at a time; an existing component
//! must be a real directory — a symbolic link is refused wherever it points: out of the
//! repository it would write there, inside it it would write (or, for a journal, delete) in a
//! place that is not the tool's; a missing component is created only after everything above it
//! was checked, in the directory above it held open (`mkdirat`), never by path.

use super::beneath::Dir;
use super::{StateError, fault};
use std::io;
use std::path::{Path, PathBuf};

/// Check a repo-relative path as the tool writes them: `/`-separated, not empty, no `.`/`..`
/// or empty components, not absolute. Paths read from state files go through this before any
/// path is built from them.
pub fn check_relative(rel: &str) -> Result<(), String> {
    if rel.is_empty() {
        return Err("the path is empty".into());
    }
    if rel.starts_with('/') || rel.contains('\\') || rel.contains('\0') {
        return Err(format!("{rel:?} is not a repo-relative path"));
    }
    for part in rel.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err(format!(
                "{rel:?} has an empty, '.' or '..' component (paths must stay where they are written)"
            ));
        }
    }
    Ok(())
}

/// The state directory `rel` under `root` (a canonical directory), created if needed. Missing
/// components are created through the directories above them held open (`mkdirat`), so one
/// swapped for a link meanwhile gets nothing created where it points.
pub fn state_dir(root: &Path, rel: &str) -> Result<PathBuf, StateError> {
    hold_state_dir(root, rel).map(|held| held.shown)
}

/// The state directory `rel` under `root` if it exists (checked the same way; nothing is
/// created): `None` when a component is missing.
pub fn existing_state_dir(root: &Path, rel: &str) -> Result<Option<PathBuf>, StateError> {
    check(root, rel)
}

/// A state directory checked like [`state_dir`], then held open: [`Held::io`] names that very
/// directory (`/proc/self/fd/N`) whatever later happens to the names on its way, so a component
/// swapped for a link after the check redirects nothing written or read through it.
/// [`Held::shown`] is its path, for messages.
#[derive(Debug)]
pub struct Held {
    _dir: Dir,
    io: PathBuf,
    shown: PathBuf,
}

impl Held {
    /// The path to do I/O through (the held directory itself).
    pub fn io(&self) -> &Path {
        &self.io
    }

    /// The directory's path under the repository, for messages.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// `name` in the directory: where to do I/O and how to name it in a message.
    pub fn file(&self, name: &str) -> (PathBuf, PathBuf) {
        (self.io.join(name), self.shown.join(name))
    }

    /// `e`, met doing I/O through [`Held::io`], naming the path as shown.
    pub fn shown_error(&self, e: StateError) -> StateError {
        e.map_path(|path| match path.strip_prefix(&self.io) {
            Ok(rest) => self.shown.join(rest),
            Err(_) => path,
        })
    }
}

/// [`state_dir`], held open: checked, then opened from `root` one component at a time without
/// following a link (a missing one created in the one above it, `mkdirat`), so what is held is
/// what was checked (a swap in between fails instead). Where `/proc/self/fd` is missing, `io`
/// is the path itself (checked, not held).
pub fn hold_state_dir(root: &Path, rel: &str) -> Result<Held, StateError> {
    hold(root, rel, true)?
        .ok_or_else(|| StateError::io(&root.join(rel), "create", io::ErrorKind::NotFound.into()))
}

/// [`existing_state_dir`], held open like [`hold_state_dir`]: `None` when a component is missing.
pub fn hold_existing_state_dir(root: &Path, rel: &str) -> Result<Option<Held>, StateError> {
    hold(root, rel, false)
}

fn hold(root: &Path, rel: &str, create: bool) -> Result<Option<Held>, StateError> {
    // The rule's checks and their errors (a link or a file on the way, a bad path).
    if check(root, rel)?.is_none() && !create {
        return Ok(None);
    }
    let mut shown = root.to_path_buf();
    let mut dir = Dir::open(root).map_err(|e| StateError::io(root, "open", e))?;
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        shown.push(part);
        let name = std::ffi::OsStr::new(part);
        dir = match dir.dir(Path::new(name)) {
            Ok(below) => below,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !create => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fault::point().map_err(|e| StateError::io(&shown, "create", e))?;
                dir.dir_or_create(name, 0o777)
                    // Made meanwhile and not a directory, or swapped away: the tree changed.
                    .map_err(|e| match e.raw_os_error() {
                        Some(libc::ENOENT | libc::EEXIST | libc::ELOOP | libc::ENOTDIR) => {
                            raced(root, rel, &shown, e)
                        }
                        _ => StateError::io(&shown, "create", e),
                    })?
                    .0
            }
            Err(e) => return Err(raced(root, rel, &shown, e)),
        };
    }
    let io = dir.anchored_path().unwrap_or_else(|| shown.clone());
    Ok(Some(Held {
        _dir: dir,
        io,
        shown,
    }))
}

/// An error met opening a component of `rel` after the check: the tree changed meanwhile. The
/// check's own error when it now finds one (a link put in the way), else this one.
fn raced(root: &Path, rel: &str, at: &Path, e: io::Error) -> StateError {
    match check(root, rel) {
        Err(checked) => checked,
        Ok(_) => StateError::io(at, "open", e),
    }
}

/// Walk `rel` from `root` by path, each existing component checked (a real directory, not a
/// link); `None` at the first missing one. Nothing is created.
fn check(root: &Path, rel: &str) -> Result<Option<PathBuf>, StateError> {
    let mut path = root.to_path_buf();
    if rel.is_empty() {
        return Ok(Some(path));
    }
    check_relative(rel).map_err(|reason| StateError::BadPath {
        path: root.join(rel),
        reason,
    })?;
    for part in rel.split('/') {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                // Where it leads; for a dangling link, what it says.
                let resolved = path.canonicalize().unwrap_or_else(|_| {
                    std::fs::read_link(&path)
                        .map(|target| path.parent().unwrap_or(root).join(target))
                        .unwrap_or_else(|_| path.clone())
                });
                return Err(StateError::Linked { path, resolved });
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(not_a_directory(&path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io(&path, "inspect", e)),
        }
    }
    Ok(Some(path))
}

fn not_a_directory(path: &Path) -> StateError {
    StateError::io(
        path,
        "use",
        io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
    )
}

/// True when `path` itself (not what it points to) is a symbolic link.
pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `path` with `.` and `..` applied to its text (no file system access, links not resolved): where
/// a name *says* it is. A `..` above the root stays at the root.
pub fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut parts: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(parts.last(), Some(Component::Normal(_))) {
                    parts.pop();
                }
            }
            c => parts.push(c),
        }
    }
    parts.iter().collect()
}

#[cfg(test)]
#[path = "tests/paths.rs"]
mod tests;
