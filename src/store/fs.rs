//! File-system calls that carry their path into their errors (in the manner of cargo-util's
//! `paths`): `fs::read(&path)?` instead of a hand-written `map_err` at every call.

use super::StateError;
use std::path::Path;

pub fn read(path: &Path) -> Result<Vec<u8>, StateError> {
    std::fs::read(path).map_err(|e| StateError::io(path, "read", e))
}

pub fn metadata(path: &Path) -> Result<std::fs::Metadata, StateError> {
    std::fs::metadata(path).map_err(|e| StateError::io(path, "read", e))
}

pub fn open(path: &Path) -> Result<std::fs::File, StateError> {
    std::fs::File::open(path).map_err(|e| StateError::io(path, "read", e))
}

pub fn canonicalize(path: &Path) -> Result<std::path::PathBuf, StateError> {
    path.canonicalize()
        .map_err(|e| StateError::io(path, "resolve", e))
}

pub fn read_dir(path: &Path) -> Result<std::fs::ReadDir, StateError> {
    std::fs::read_dir(path).map_err(|e| StateError::io(path, "read", e))
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    super::atomic_write(path, bytes).map_err(|e| StateError::io(path, "write", e))
}

/// Write `bytes` to `path` unless something is there already (a `.gitignore` the tool puts in
/// its own directories: one a user wrote, or made a link, is left alone).
pub fn write_if_absent(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(());
    }
    write_atomic(path, bytes)
}

/// Whether the process `pid` no longer exists (the owner of a scratch file a killed command
/// left: its file may go). A process that exists but is not ours counts as alive.
pub fn process_gone(pid: libc::pid_t) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only asks whether the process exists.
    let failed = unsafe { libc::kill(pid, 0) } != 0;
    failed && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}
