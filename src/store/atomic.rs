use std::io::{self, Write};
use std::path::Path;

/// Replace `path` with `bytes` atomically: write a temporary file in the same directory, fsync it,
/// then rename it over the target. Readers see the old or the new content, never a mix; a crash
/// leaves at worst a stray temporary file, never a truncated target.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
#[path = "tests/atomic.rs"]
mod tests;
