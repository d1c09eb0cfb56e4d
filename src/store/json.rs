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
}

impl StateError {
    pub fn io(path: &Path, action: &'static str, source: io::Error) -> Self {
        StateError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}

/// Read a JSON state file: `None` when it does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StateError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StateError::io(path, "read", e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StateError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

/// Serialize `value` as 2-space-indented JSON plus a newline and write it atomically.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    bytes.push(b'\n');
    atomic_write(path, &bytes)
}

/// The one transaction every JSON state change goes through: take the exclusive lock, read the
/// current state (or `init()` when the file does not exist), let `change` modify it, and replace
/// the file atomically when `change` says something changed. A corrupt file stops the
/// transaction before anything is written.
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
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StateError::io(dir, "create", e))?;
    }
    let _guard = lock_exclusive(lock).map_err(|e| StateError::io(lock, "lock", e))?;
    let mut state = read_json(path)?.unwrap_or_else(init);
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
    if !path.exists() {
        return Ok(None);
    }
    let _guard = lock_exclusive(lock).map_err(|e| StateError::io(lock, "lock", e))?;
    let Some(mut state) = read_json(path)? else {
        return Ok(None);
    };
    let (result, changed) = change(&mut state)?;
    if changed {
        write_json_atomic(path, &state).map_err(|e| StateError::io(path, "write", e))?;
    }
    Ok(Some(result))
}
