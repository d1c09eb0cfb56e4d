//! The port's private task cache (contract D5): `tasks/.cache/task-index.v2.bin`, one entry per
//! task file keyed by repo-relative path with size, mtime and SHA-256 and the parse outcome
//! (a task or the failure). Only files whose size or mtime changed are read again, and only those
//! whose content changed are parsed again; broken files are cached like good ones, so a malformed
//! file costs one parse, not one per run. Results never depend on whether the cache was hit.
//!
//! The file is a magic line followed by a postcard encoding (compact, and several times faster to
//! decode than JSON: a warm run at 10,000 tasks is dominated by reading this file).

use super::discover::{FileTime, TaskFile, discover};
use super::model::Task;
use super::parse::{MAX_TASK_FILE_BYTES, ParseFailure, decode, parse_text};
use crate::repo::CACHE_DIR;
use crate::store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const CACHE_FILE: &str = "task-index.v2.bin";
pub const LOCK_FILE: &str = "task-index.lock";
const MAGIC: &[u8] = b"tasks task-index\n";
/// Bumped whenever the layout *or the parse rules* change, so stale outcomes are dropped.
const VERSION: u32 = 2;

/// The parse outcome of one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Outcome {
    Task(Box<Task>),
    Failed(ParseFailure),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime: FileTime,
    /// SHA-256 of the LF-normalised text (the task's `hash`), or of the raw bytes when they are
    /// not text; empty when the file was refused unread (too large).
    sha256: String,
    outcome: Outcome,
}

impl Entry {
    /// The outcome with the task's path, hash and mtime restored (the cache stores them once,
    /// in the entry).
    fn into_outcome(self, rel: &str) -> Outcome {
        match self.outcome {
            Outcome::Task(mut task) => {
                task.path = rel.to_string();
                task.hash = self.sha256;
                task.mtime = self.mtime.as_f64();
                Outcome::Task(task)
            }
            failed => failed,
        }
    }
}

/// The leading fields of the encoding, decoded first so that another version's cache is
/// replaced silently.
#[derive(Deserialize)]
struct Header {
    version: u32,
    /// Parse rules may change between releases: another release's cache is not reused.
    tool_version: String,
}

#[derive(Deserialize)]
struct CacheDoc {
    /// Checked through [`Header`].
    _version: u32,
    _tool_version: String,
    /// Identifies the content of the task files; reported as `snapshot_id`.
    snapshot: u64,
    /// In discovery order.
    entries: Vec<(String, Entry)>,
}

/// The same layout as [`CacheDoc`], borrowing what it writes.
#[derive(Serialize)]
struct CacheDocRef<'a> {
    version: u32,
    tool_version: &'a str,
    snapshot: u64,
    entries: Vec<(&'a str, &'a Entry)>,
}

/// What a load found: every discovered file with its outcome, in discovery order.
#[derive(Debug)]
pub struct Loaded {
    pub files: Vec<(TaskFile, Outcome)>,
    /// Identifies the content of the task files: the same files with the same content give the
    /// same value, whatever the state of the cache.
    pub snapshot: u64,
    /// Number of files whose bytes were read in this run (0 on a fully warm cache).
    pub parsed: usize,
    pub warnings: Vec<String>,
}

fn cache_paths(root: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let dir = root.join(CACHE_DIR);
    (dir.join(CACHE_FILE), dir.join(LOCK_FILE), dir)
}

/// Load every task file through the cache. `force` ignores the cache (used by
/// `--refresh-cache`). Cache problems never fail the load; they become warnings.
pub fn load(root: &Path, force: bool) -> Loaded {
    let (cache_path, lock_path, cache_dir) = cache_paths(root);
    let mut warnings = Vec::new();
    // A cache directory that leads out of the repository is neither read nor written.
    let usable = match store::paths::existing_state_dir(root, CACHE_DIR) {
        Ok(_) => true,
        Err(e) => {
            warnings.push(format!(
                "Warning: the task cache is not used: {} (results are correct, only slower)",
                crate::error::Error::from(e).message
            ));
            false
        }
    };
    let previous = if force || !usable {
        None
    } else {
        read_cache(&cache_path, &mut warnings)
    };
    let (files, walk_warnings) = discover(root);
    warnings.extend(walk_warnings);

    let previous_snapshot = previous.as_ref().map(|doc| doc.snapshot);
    let mut old: HashMap<String, Entry> = previous
        .map(|doc| doc.entries.into_iter().collect())
        .unwrap_or_default();
    let stale: Vec<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            !old.get(&f.rel)
                .is_some_and(|e| e.size == f.size && e.mtime == f.mtime)
        })
        .map(|(i, _)| i)
        .collect();
    let parsed_now = parse_parallel(&files, &stale, &old);
    let parsed = parsed_now.len();

    // One slot per file. Entries are moved, never cloned: a warm run touches each task once.
    let mut slots: Vec<Option<Result<Entry, ParseFailure>>> = Vec::with_capacity(files.len());
    slots.resize_with(files.len(), || None);
    let mut entries_changed = false;
    let mut unreadable = false;
    for (i, result) in parsed_now {
        old.remove(&files[i].rel);
        match &result {
            Ok(_) => entries_changed = true,
            // Read errors are reported but not cached (a permission fix does not touch mtime),
            // so they are retried on every run without rewriting the cache.
            Err(_) => unreadable = true,
        }
        slots[i] = Some(result);
    }
    for (slot, file) in slots.iter_mut().zip(&files) {
        if slot.is_none() {
            *slot = old.remove(&file.rel).map(Ok);
        }
    }
    // What is left of the old entries belongs to files that no longer exist.
    entries_changed |= !old.is_empty();
    let must_save = previous_snapshot.is_none() || entries_changed;
    let snapshot = match previous_snapshot {
        Some(known) if !must_save && !unreadable => known,
        _ => snapshot_of(&files, &slots),
    };

    if usable && must_save && (!files.is_empty() || cache_path.exists()) {
        let doc = CacheDocRef {
            version: VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            snapshot,
            entries: files
                .iter()
                .zip(&slots)
                .filter_map(|(file, slot)| match slot {
                    Some(Ok(entry)) => Some((file.rel.as_str(), entry)),
                    _ => None,
                })
                .collect(),
        };
        if let Err(e) = save(&cache_dir, &cache_path, &lock_path, &doc) {
            warnings.push(format!(
                "Warning: could not save the task cache {}: {e} (results are correct, only slower)",
                cache_path.display()
            ));
        }
    }

    let files = files
        .into_iter()
        .zip(slots)
        .filter_map(|(file, slot)| {
            let outcome = match slot? {
                Ok(entry) => entry.into_outcome(&file.rel),
                Err(failure) => Outcome::Failed(failure),
            };
            Some((file, outcome))
        })
        .collect();
    Loaded {
        files,
        snapshot,
        parsed,
        warnings,
    }
}

/// A 52-bit id (a JSON-safe integer) of the task files' paths and contents.
fn snapshot_of(files: &[TaskFile], slots: &[Option<Result<Entry, ParseFailure>>]) -> u64 {
    let mut listing = String::with_capacity(files.len() * 100);
    for (file, slot) in files.iter().zip(slots) {
        listing.push_str(&file.rel);
        listing.push('\0');
        match slot {
            Some(Ok(entry)) if !entry.sha256.is_empty() => listing.push_str(&entry.sha256),
            // Refused unread (too large): its size and mtime stand for its content.
            Some(Ok(entry)) => listing.push_str(&format!("{}@{:?}", entry.size, entry.mtime)),
            _ => listing.push_str("unreadable"),
        }
        listing.push('\n');
    }
    let hex = store::sha256_hex(listing.as_bytes());
    u64::from_str_radix(&hex[..13], 16).unwrap_or(0)
}

fn read_cache(path: &Path, warnings: &mut Vec<String>) -> Option<CacheDoc> {
    let bytes = match store::read_state(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(store::StateError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotADirectory =>
        {
            return None;
        }
        Err(e) => {
            warnings.push(format!(
                "Warning: cannot read the task cache: {}; rebuilding it",
                crate::error::Error::from(e).message
            ));
            return None;
        }
    };
    let corrupt = |warnings: &mut Vec<String>, why: &str| {
        warnings.push(format!(
            "Warning: the task cache {} is corrupt ({why}); rebuilding it",
            path.display()
        ));
        None
    };
    let Some(body) = bytes.strip_prefix(MAGIC) else {
        return corrupt(warnings, "not a task index file");
    };
    match postcard::take_from_bytes::<Header>(body) {
        Ok((h, _)) if h.version == VERSION && h.tool_version == env!("CARGO_PKG_VERSION") => {}
        Ok(_) => return None,
        Err(e) => return corrupt(warnings, &e.to_string()),
    }
    match postcard::from_bytes::<CacheDoc>(body) {
        Ok(doc) => Some(doc),
        Err(e) => corrupt(warnings, &e.to_string()),
    }
}

/// Create `tasks/.cache/` (checked: never through a link out of the repository; with a
/// `.gitignore` that keeps it out of git) and return it.
pub fn ensure_cache_dir(root: &Path) -> Result<PathBuf, store::StateError> {
    let dir = store::paths::state_dir(root, CACHE_DIR)?;
    store::fs::write_if_absent(
        &dir.join(".gitignore"),
        b"# Private cache of the tasks CLI; never commit it.\n*\n",
    )?;
    Ok(dir)
}

fn save(dir: &Path, path: &Path, lock: &Path, doc: &CacheDocRef) -> Result<(), String> {
    let root = dir.parent().and_then(Path::parent).unwrap_or(dir);
    ensure_cache_dir(root).map_err(|e| crate::error::Error::from(e).message)?;
    let bytes = postcard::to_extend(doc, MAGIC.to_vec()).map_err(|e| e.to_string())?;
    let _guard = store::lock_exclusive(lock).map_err(|e| e.to_string())?;
    store::atomic_write(path, &bytes).map_err(|e| e.to_string())
}

/// Read and parse the files at `indices`, on every available core. A file whose bytes hash like
/// its previous entry keeps that entry's outcome (only its mtime changes).
fn parse_parallel(
    files: &[TaskFile],
    indices: &[usize],
    old: &HashMap<String, Entry>,
) -> Vec<(usize, Result<Entry, ParseFailure>)> {
    if indices.is_empty() {
        return Vec::new();
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(indices.len().div_ceil(64).max(1));
    let chunk = indices.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|part| {
                let handle = scope.spawn(move || {
                    part.iter()
                        .map(|&i| (i, read_entry(&files[i], old.get(&files[i].rel))))
                        .collect::<Vec<_>>()
                });
                (part, handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(part, handle)| {
                // A worker that panicked (a parser bug) must not let stale results stand in for
                // its files: each is reported as unreadable instead, and not cached.
                handle.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|&i| {
                            let failure = ParseFailure {
                                message:
                                    "internal error while parsing this file (please report it)"
                                        .to_string(),
                                line: None,
                                column: None,
                            };
                            (i, Err(failure))
                        })
                        .collect()
                })
            })
            .collect()
    })
}

fn read_entry(file: &TaskFile, old: Option<&Entry>) -> Result<Entry, ParseFailure> {
    if file.size > MAX_TASK_FILE_BYTES {
        return Ok(Entry {
            size: file.size,
            mtime: file.mtime,
            sha256: String::new(),
            outcome: Outcome::Failed(ParseFailure {
                message: format!(
                    "file is {} bytes, over the {} byte limit for task files",
                    file.size, MAX_TASK_FILE_BYTES
                ),
                line: None,
                column: None,
            }),
        });
    }
    let bytes = std::fs::read(&file.abs).map_err(|e| ParseFailure {
        message: format!("cannot read file: {e}"),
        line: None,
        column: None,
    })?;
    let mtime = file.mtime.as_f64();
    // One hash per file: of the decoded, LF-normalised text (the task's `hash`), or of the raw
    // bytes when they are not text.
    let decoded = decode(&bytes);
    let sha256 = match &decoded {
        Ok((_, hash)) => hash.clone(),
        Err(_) => store::sha256_hex(&bytes),
    };
    let outcome = match (old, decoded) {
        // Same content as the cached entry: its outcome stands (path, hash and mtime are
        // restored from the new entry when it is used).
        (Some(entry), _) if entry.sha256 == sha256 => entry.outcome.clone(),
        (_, Ok((text, hash))) => match parse_text(&text, hash, &file.rel, mtime) {
            Ok(task) => Outcome::Task(Box::new(task)),
            Err(failure) => Outcome::Failed(failure),
        },
        (_, Err(failure)) => Outcome::Failed(failure),
    };
    Ok(Entry {
        size: bytes.len() as u64,
        mtime: file.mtime,
        sha256,
        outcome,
    })
}

#[cfg(test)]
#[path = "tests/cache.rs"]
mod tests;
