use super::{atomic_write, lock_exclusive};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io;
use std::path::{Path, PathBuf};

/// Why a JSON state file could not be used.
#[derive(Debug)]
pub enum StateError {
    /// The file exists but is not JSON of the expected shape. It is never overwritten.
    Corrupt { path: PathBuf, reason: String },
    /// The file system refused.
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    /// The path resolves outside the repository (through a symbolic link): nothing is created,
    /// written, read or removed there.
    Outside { path: PathBuf, resolved: PathBuf },
    /// A state directory is a symbolic link (to `resolved`): state is never reached through one.
    Linked { path: PathBuf, resolved: PathBuf },
    /// A path (usually read from a state file) that the tool would never have written.
    BadPath { path: PathBuf, reason: String },
}

impl StateError {
    pub fn io(path: &Path, action: &'static str, source: io::Error) -> Self {
        StateError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// The same error with `f` applied to the path it names (where it was met → where it is
    /// shown).
    pub fn map_path(mut self, f: impl FnOnce(PathBuf) -> PathBuf) -> Self {
        let (StateError::Corrupt { path, .. }
        | StateError::Io { path, .. }
        | StateError::Outside { path, .. }
        | StateError::Linked { path, .. }
        | StateError::BadPath { path, .. }) = &mut self;
        *path = f(std::mem::take(path));
        self
    }
}

/// Read a JSON state file: `None` when it does not exist. A state file is a plain file the tool
/// wrote: a symbolic link in its place is corrupt state and is never followed.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StateError> {
    let Some(bytes) = read_state(path)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StateError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

/// The bytes of a state file: `None` when it does not exist; a symbolic link, or anything but a
/// plain file, is corrupt state (never followed, never overwritten).
pub fn read_state(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    use std::io::Read;
    let Some((mut file, len)) = open_state(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::with_capacity(len.min(64 << 20) as usize);
    file.read_to_end(&mut bytes)
        .map_err(|e| StateError::io(path, "read", e))?;
    Ok(Some(bytes))
}

/// A state file opened for reading, with its length: `None` when it does not exist. Opened
/// without following a link and without blocking (a FIFO in its place does not hang the run);
/// a symbolic link, or anything but a plain file, is corrupt state.
pub fn open_state(path: &Path) -> Result<Option<(std::fs::File, u64)>, StateError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match file {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(StateError::Corrupt {
                path: path.to_path_buf(),
                reason: "it is a symbolic link; state files are plain files and links are never followed".into(),
            });
        }
        Err(e) => return Err(StateError::io(path, "read", e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| StateError::io(path, "read", e))?;
    if !meta.is_file() {
        return Err(StateError::Corrupt {
            path: path.to_path_buf(),
            reason: "it is not a plain file".into(),
        });
    }
    Ok(Some((file, meta.len())))
}

/// Serialize `value` as 2-space-indented JSON plus a newline and write it atomically.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    bytes.push(b'\n');
    atomic_write(path, &bytes)
}

/// The transaction of a JSON state file that changes alone (the ledger): take the exclusive
/// lock, read the current state (or `init()` when the file does not exist), let `change` modify
/// it, and replace the file atomically when `change` says something changed. A corrupt file
/// stops the transaction before anything is written. The caller has created (and checked) the
/// directory.
pub fn update_json<T, R, E>(
    path: &Path,
    lock: &Path,
    init: impl FnOnce() -> T,
    change: impl FnOnce(&mut T) -> Result<(R, bool), E>,
) -> Result<R, E>
where
    T: Serialize + DeserializeOwned,
    E: From<StateError>,
{
    let guard = lock_exclusive(lock).map_err(|e| StateError::io(lock, "lock", e))?;
    update_json_locked(path, guard, init, change)
}

/// [`update_json`] for the tool's own best-effort records (when a draft was last warned about):
/// `None`, with nothing read or written, when another process holds the lock. A run never
/// waits for such a record: a process stopped while it held the lock must not hang the others.
pub fn try_update_json<T, R, E>(
    path: &Path,
    lock: &Path,
    init: impl FnOnce() -> T,
    change: impl FnOnce(&mut T) -> Result<(R, bool), E>,
) -> Result<Option<R>, E>
where
    T: Serialize + DeserializeOwned,
    E: From<StateError>,
{
    match super::try_lock_exclusive(lock).map_err(|e| StateError::io(lock, "lock", e))? {
        Some(guard) => update_json_locked(path, guard, init, change).map(Some),
        None => Ok(None),
    }
}

/// The body of [`update_json`], under `_guard`.
fn update_json_locked<T, R, E>(
    path: &Path,
    _guard: super::LockGuard,
    init: impl FnOnce() -> T,
    change: impl FnOnce(&mut T) -> Result<(R, bool), E>,
) -> Result<R, E>
where
    T: Serialize + DeserializeOwned,
    E: From<StateError>,
{
    let state = read_json(path)?.unwrap_or_else(init);
    change_and_write(path, state, change)
}

/// Let `change` modify `state` (read from `path`, under its lock), and replace the file when it
/// says something changed.
fn change_and_write<T, R, E>(
    path: &Path,
    mut state: T,
    change: impl FnOnce(&mut T) -> Result<(R, bool), E>,
) -> Result<R, E>
where
    T: Serialize,
    E: From<StateError>,
{
    let (result, changed) = change(&mut state)?;
    if changed {
        write_json_atomic(path, &state).map_err(|e| StateError::io(path, "write", e))?;
    }
    Ok(result)
}

/// [`update_json`] for a file that must already exist: `None`, with nothing created (no
/// directory, no lock file), when it does not.
pub fn update_existing_json<T, R, E>(
    path: &Path,
    lock: &Path,
    change: impl FnOnce(&mut T) -> Result<(R, bool), E>,
) -> Result<Option<R>, E>
where
    T: Serialize + DeserializeOwned,
    E: From<StateError>,
{
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let _guard = lock_exclusive(lock).map_err(|e| StateError::io(lock, "lock", e))?;
    let Some(state) = read_json(path)? else {
        return Ok(None);
    };
    change_and_write(path, state, change).map(Some)
}
