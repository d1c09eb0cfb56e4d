//! The port's private task cache (contract D5): `tasks/.cache/task-index.v5.bin`, one entry per
//! task file keyed by repo-relative path with size, mtime and SHA-256 and the parse outcome
//! (a task or the failure). Only files whose size or mtime changed are read again, and only those
//! whose content changed are parsed again; broken files are cached like good ones, so a malformed
//! file costs one parse, not one per run. Results never depend on whether the cache was hit.
//!
//! The file is a magic line followed by a postcard encoding (compact, and several times faster to
//! decode than JSON: a warm run at 10,000 tasks is dominated by reading this file).

use super::discover::{DirRecord, FileTime, TaskFile, discover_with};
use super::model::Task;
use super::parse::{MAX_TASK_FILE_BYTES, ParseFailure, decode, parse_text};
use crate::repo::CACHE_DIR;
use crate::store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const CACHE_FILE: &str = "task-index.v5.bin";
/// Files of earlier layouts, removed when the current one is written.
const OLD_CACHE_FILES: [&str; 3] = [
    "task-index.v2.bin",
    "task-index.v3.bin",
    "task-index.v4.bin",
];
pub const LOCK_FILE: &str = "task-index.lock";
const MAGIC: &[u8] = b"tasks task-index\n";
/// Bumped whenever the layout *or the parse rules* change, so stale outcomes are dropped.
const VERSION: u32 = 5;
/// The file ends with this many bytes: a checksum of everything before them (after the magic
/// line), so that a damaged file is rebuilt instead of being believed.
const CHECKSUM_BYTES: usize = 8;

/// The checksum of a cache body: fast (a fraction of a millisecond for 10,000 tasks), for
/// damage, not against someone who can write the file (who can write the task files too).
fn checksum(body: &[u8]) -> [u8; CHECKSUM_BYTES] {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x7461_736b_2d69_6478)
        .hash_one(body)
        .to_le_bytes()
}

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

/// The cache up to its entries: decoded first, so that discovery (which needs the directory
/// records) runs while the entries are decoded on another thread.
#[derive(Deserialize)]
struct Front {
    /// Checked through [`Header`].
    _version: u32,
    _tool_version: String,
    /// Identifies the content of the task files; reported as `snapshot_id`.
    snapshot: u64,
    /// The directories walked, with their entries (reused while a directory is unchanged).
    dirs: Vec<DirRecord>,
}

/// The entries, in discovery order (what follows [`Front`] in the file).
type Entries = Vec<(String, Entry)>;

/// The same layout as [`CacheDoc`], borrowing what it writes.
#[derive(Serialize)]
struct CacheDocRef<'a> {
    version: u32,
    tool_version: &'a str,
    snapshot: u64,
    dirs: &'a [DirRecord],
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
    let bytes = if force || !usable {
        None
    } else {
        let _read = crate::trace::phase("cache: read, decode the front");
        read_cache(&cache_path, &mut warnings)
    };
    let front = bytes.as_ref().map(|(front, _, _)| front);
    let old_dirs: &[DirRecord] = front.map_or(&[], |f| &f.dirs);
    // The entries decode on a thread of their own while the files are found and stat'ed.
    let (found, entries) = std::thread::scope(|scope| {
        let decoding = bytes.as_ref().map(|(_, all, start)| {
            scope.spawn(move || {
                let _decode = crate::trace::phase("cache: decode the entries");
                postcard::from_bytes::<Entries>(&all[*start..all.len() - CHECKSUM_BYTES])
            })
        });
        let discover_phase = crate::trace::phase("discover");
        let found = discover_with(root, old_dirs);
        drop(discover_phase);
        let entries = decoding.map(|handle| {
            // A decoder that panicked (a bug) leaves the cache unused, never half-read.
            handle
                .join()
                .unwrap_or(Err(postcard::Error::DeserializeUnexpectedEnd))
        });
        (found, entries)
    });
    let (found, previous_snapshot, old_entries) = match (front, entries) {
        (Some(front), Some(Ok(entries))) => (found, Some(front.snapshot), entries),
        (Some(_), Some(Err(e))) => {
            warnings.push(format!(
                "Warning: the task cache {} is corrupt ({e}); rebuilding it",
                cache_path.display()
            ));
            // Its directory records are not trusted either.
            (discover_with(root, &[]), None, Vec::new())
        }
        _ => (found, None, Vec::new()),
    };
    let old_dirs: &[DirRecord] = match (&previous_snapshot, front) {
        (Some(_), Some(front)) => &front.dirs,
        _ => &[],
    };
    let _match = crate::trace::phase("cache: match, parse, save");
    warnings.extend(found.warnings);
    let files = found.files;
    let dirs_changed = found.dirs != *old_dirs;

    // The previous entry of each file. Both lists are in discovery order, so they are matched
    // in step; only files out of step (added, removed, renamed) are looked up by path.
    let mut old: Vec<Option<(String, Entry)>> = old_entries.into_iter().map(Some).collect();
    let mut by_path: Option<HashMap<String, usize>> = None;
    let mut next = 0;
    let mut previous_of: Vec<Option<Entry>> = Vec::with_capacity(files.len());
    for file in &files {
        let in_step = old
            .get(next)
            .and_then(Option::as_ref)
            .is_some_and(|(rel, _)| *rel == file.rel);
        let index = if in_step {
            next += 1;
            Some(next - 1)
        } else {
            by_path
                .get_or_insert_with(|| {
                    old.iter()
                        .enumerate()
                        .filter_map(|(i, e)| Some((e.as_ref()?.0.clone(), i)))
                        .collect()
                })
                .get(&file.rel)
                .copied()
        };
        previous_of.push(index.and_then(|i| old[i].take()).map(|(_, entry)| entry));
    }
    // What is left of the old entries belongs to files that no longer exist.
    let mut entries_changed = old.iter().any(Option::is_some);
    let stale: Vec<usize> = files
        .iter()
        .zip(&previous_of)
        .enumerate()
        .filter(|(_, (f, e))| {
            !e.as_ref()
                .is_some_and(|e| e.size == f.size && e.mtime == f.mtime)
        })
        .map(|(i, _)| i)
        .collect();
    let parsed_now = parse_parallel(root, &files, &stale, &previous_of);
    let parsed = parsed_now.len();

    // One slot per file. Entries are moved, never cloned: a warm run touches each task once.
    let mut slots: Vec<Option<Result<Entry, ParseFailure>>> =
        previous_of.into_iter().map(|e| e.map(Ok)).collect();
    let mut unreadable = false;
    for (i, result) in parsed_now {
        match &result {
            Ok(_) => entries_changed = true,
            // Read errors are reported but not cached (a permission fix does not touch mtime),
            // so they are retried on every run without rewriting the cache.
            Err(_) => unreadable = true,
        }
        slots[i] = Some(result);
    }
    let must_save = previous_snapshot.is_none() || entries_changed || dirs_changed;
    let snapshot = match previous_snapshot {
        Some(known) if !entries_changed && !unreadable => known,
        _ => snapshot_of(&files, &slots),
    };

    if usable && must_save && (!files.is_empty() || cache_path.exists()) {
        let doc = CacheDocRef {
            version: VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            snapshot,
            dirs: &found.dirs,
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

/// The cache file's front ([`Front`]), its bytes and where its entries start in them; `None`
/// when there is no usable file (none, another version, or corrupt: with a warning).
fn read_cache(path: &Path, warnings: &mut Vec<String>) -> Option<(Front, Vec<u8>, usize)> {
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
    let Some(split) = body.len().checked_sub(CHECKSUM_BYTES) else {
        return corrupt(warnings, "truncated");
    };
    let (body, sum) = body.split_at(split);
    if checksum(body) != sum {
        return corrupt(warnings, "its checksum does not match");
    }
    match postcard::take_from_bytes::<Front>(body) {
        Ok((front, rest)) => {
            // Where the entries start and end in `bytes` (the checksum follows them).
            let start = MAGIC.len() + body.len() - rest.len();
            Some((front, bytes, start))
        }
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
    let mut bytes = postcard::to_extend(doc, MAGIC.to_vec()).map_err(|e| e.to_string())?;
    let sum = checksum(&bytes[MAGIC.len()..]);
    bytes.extend_from_slice(&sum);
    let _guard = store::lock_exclusive(lock).map_err(|e| e.to_string())?;
    store::atomic_write(path, &bytes).map_err(|e| e.to_string())?;
    // An earlier layout's file is dead weight once this one is written.
    for old in OLD_CACHE_FILES {
        let _ = std::fs::remove_file(dir.join(old));
    }
    Ok(())
}

/// Read and parse the files at `indices`, on every available core. A file whose bytes hash like
/// its previous entry keeps that entry's outcome (only its mtime changes).
fn parse_parallel(
    root: &Path,
    files: &[TaskFile],
    indices: &[usize],
    old: &[Option<Entry>],
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
                        .map(|&i| (i, read_entry(root, &files[i], old[i].as_ref())))
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

fn read_entry(root: &Path, file: &TaskFile, old: Option<&Entry>) -> Result<Entry, ParseFailure> {
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
    // Opened without following a link anywhere, then `fstat`ed before reading: the size and
    // mtime stored are those of the bytes read (a later edit changes them), never those of
    // another file swapped in after the walk.
    let cannot = |e: std::io::Error| ParseFailure {
        message: format!("cannot read file: {e}"),
        line: None,
        column: None,
    };
    let handle = file.open(root).map_err(cannot)?;
    let meta = handle.metadata().map_err(cannot)?;
    let (size, mtime) = (meta.len(), FileTime::of(&meta));
    if size > MAX_TASK_FILE_BYTES {
        return Ok(Entry {
            size,
            mtime,
            sha256: String::new(),
            outcome: Outcome::Failed(ParseFailure {
                message: format!(
                    "file is {size} bytes, over the {MAX_TASK_FILE_BYTES} byte limit for task files"
                ),
                line: None,
                column: None,
            }),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    {
        use std::io::Read;
        (&handle)
            .take(MAX_TASK_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    }
    if bytes.len() as u64 > MAX_TASK_FILE_BYTES {
        // It grew past the limit while being read.
        return Ok(Entry {
            size: bytes.len() as u64,
            mtime,
            sha256: String::new(),
            outcome: Outcome::Failed(ParseFailure {
                message: format!(
                    "file is over the {MAX_TASK_FILE_BYTES} byte limit for task files"
                ),
                line: None,
                column: None,
            }),
        });
    }
    let mtime_f64 = mtime.as_f64();
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
        (_, Ok((text, hash))) => match parse_text(&text, hash, &file.rel, mtime_f64) {
            Ok(task) => Outcome::Task(Box::new(task)),
            Err(failure) => Outcome::Failed(failure),
        },
        (_, Err(failure)) => Outcome::Failed(failure),
    };
    Ok(Entry {
        size,
        mtime,
        sha256,
        outcome,
    })
}

#[cfg(test)]
#[path = "tests/cache.rs"]
mod tests;
