use super::fault;
use std::io::{self, Write};
use std::path::Path;

/// Replace `path` with `bytes` atomically: write a temporary file in the same directory, fsync it,
/// then rename it over the target. Readers see the old or the new content, never a mix; a crash
/// leaves at worst a stray temporary file, never a truncated target. An existing file keeps its
/// permissions; a new one gets the usual `0666 & !umask`, like any file the user creates.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    atomic_write_with(path, Durability::Synced, |file| file.write_all(bytes))
}

/// What a replaced file must survive besides a crash of the process (which an atomic replace
/// always survives): a power cut.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Durability {
    /// The content and the rename are synced to disk before the call returns.
    Synced,
    /// Not synced: a file the tool rebuilds when it is found old or damaged (the task cache,
    /// checked by its length and checksum). A power cut may leave the previous version, or a
    /// damaged file that is then rebuilt; syncing megabytes on every save bought nothing. Its
    /// owner can always read and write it (the replaced file's other mode bits are kept): a file
    /// of the tool's own left unreadable (`chmod 000`) would be rebuilt, and rewritten
    /// unreadable, on every run.
    Rebuildable,
}

/// [`atomic_write`] of what `write` writes into the new file (open, empty, not yet in place):
/// for content that names the very file it is in (its inode, which the rename keeps).
pub fn atomic_write_with(
    path: &Path,
    durability: Durability,
    write: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{file_name}.");
    fault::point()?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    if let Some(kept) = kept_permissions(path) {
        tmp.as_file().set_permissions(kept)?;
    }
    #[cfg(unix)]
    if durability == Durability::Rebuildable {
        use std::os::unix::fs::PermissionsExt;
        let mode = tmp.as_file().metadata()?.permissions().mode() & 0o777;
        if mode & 0o600 != 0o600 {
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode | 0o600))?;
        }
    }
    write(tmp.as_file_mut())?;
    if durability == Durability::Synced {
        tmp.as_file().sync_all()?;
    }
    fault::point()?;
    tmp.persist(path).map_err(|e| e.error)?;
    fault::crash_point();
    if durability == Durability::Synced {
        // Make the rename itself durable. Best effort: the new content is already in place.
        sync_dir(dir);
    }
    Ok(())
}

/// fsync a directory, so that renames and removals in it survive a power loss. Best effort:
/// the change itself is already made.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Create `path` with `bytes` atomically, failing with `ErrorKind::AlreadyExists` (and writing
/// nothing) when it exists, even if another process creates it at the same moment. The new file
/// takes the permissions of `like` when given.
pub fn atomic_create(path: &Path, bytes: &[u8], like: Option<&Path>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fault::point()?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tasks-new.").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    if let Some(kept) = like.and_then(kept_permissions) {
        tmp.as_file().set_permissions(kept)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    fault::point()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    fault::crash_point();
    sync_dir(dir);
    Ok(())
}

#[cfg(test)]
#[path = "tests/atomic.rs"]
mod tests;

/// The permissions a rewrite of `path` keeps: those of the plain file there (never read through
/// a symbolic link, which could lend a file's mode from anywhere), without the set-id and sticky
/// bits; `None` when there is no plain file.
fn kept_permissions(path: &Path) -> Option<std::fs::Permissions> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(
            meta.permissions().mode() & 0o777,
        ))
    }
    #[cfg(not(unix))]
    {
        Some(meta.permissions())
    }
}
