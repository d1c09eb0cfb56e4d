use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// An exclusive advisory lock on a lock file; released when dropped (or when the process exits).
#[derive(Debug)]
pub struct LockGuard {
    file: File,
}

/// Block until the exclusive lock on `path` is held. The lock file is created if needed and never
/// deleted (deleting it would let two processes lock two different inodes).
pub fn lock_exclusive(path: &Path) -> io::Result<LockGuard> {
    let file = open(path)?;
    file.lock()?;
    Ok(LockGuard { file })
}

/// Open (or create) a lock file — never through a symbolic link: a link in its place would let
/// a repository make the tool create files wherever it points.
fn open(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the lock file is a symbolic link (lock files are never followed)",
                )
            } else {
                e
            }
        })
}

/// [`lock_exclusive`] without waiting: `None` when another process holds the lock.
pub fn try_lock_exclusive(path: &Path) -> io::Result<Option<LockGuard>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(LockGuard { file })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock anyway; unlocking early is a courtesy.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
#[path = "tests/lock.rs"]
mod tests;
