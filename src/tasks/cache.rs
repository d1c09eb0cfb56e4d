//! The port's private task cache (contract D5): `tasks/.cache/task-index.v6.bin`, one entry per
//! task file keyed by repo-relative path with size, mtime and SHA-256 and the parse outcome
//! (a task or the failure). Only files whose size or mtime changed are read again, and only those
//! whose content changed are parsed again; broken files are cached like good ones, so a malformed
//! file costs one parse, not one per run. Results never depend on whether the cache was hit.
//!
//! The file is a magic line followed by a postcard encoding (compact, and several times faster to
//! decode than JSON): a header, the front ([`Front`]: snapshot, directory records, entry count),
//! the entries one after another ([`Stored`]), and a checksum.

use super::discover::{DirRecord, FileTime, TaskFile, discover_with};
use super::model::Task;
use super::parse::{MAX_TASK_FILE_BYTES, ParseFailure, decode, parse_text};
use crate::repo::CACHE_DIR;
use crate::store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const CACHE_FILE: &str = "task-index.v6.bin";
/// Files of earlier layouts, removed when the current one is written.
const OLD_CACHE_FILES: [&str; 4] = [
    "task-index.v2.bin",
    "task-index.v3.bin",
    "task-index.v4.bin",
    "task-index.v5.bin",
];
pub const LOCK_FILE: &str = "task-index.lock";
const MAGIC: &[u8] = b"tasks task-index\n";
/// Bumped whenever the layout *or the parse rules* change, so stale outcomes are dropped.
const VERSION: u32 = 6;
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

/// One entry as written: what a file was when it was last read, borrowed from this run.
#[derive(Serialize)]
struct StoredRef<'a> {
    rel: &'a str,
    size: u64,
    mtime: FileTime,
    /// SHA-256 of the LF-normalised text (the task's `hash`), or of the raw bytes when they are
    /// not text; empty when the file was refused unread (too large).
    sha256: &'a str,
    outcome: OutcomeRef<'a>,
}

#[derive(Serialize)]
enum OutcomeRef<'a> {
    Task(&'a Task),
    Failed(&'a ParseFailure),
}

/// One entry as read: the layout of [`StoredRef`], its strings borrowed from the cache file.
#[derive(Deserialize)]
struct Stored<'a> {
    rel: &'a str,
    size: u64,
    mtime: FileTime,
    sha256: &'a str,
    outcome: StoredOutcome,
}

/// The parse outcome of a file (the variants of [`OutcomeRef`], in the same order). Transient:
/// a task is moved out at once, so it is not boxed (a box is one more allocation per task).
#[allow(clippy::large_enum_variant)]
#[derive(Deserialize)]
enum StoredOutcome {
    Task(Task),
    Failed(ParseFailure),
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
    /// How many entries follow (each a [`Stored`], in discovery order).
    count: u64,
}

/// The same layout as [`Front`], borrowing what it writes.
#[derive(Serialize)]
struct FrontRef<'a> {
    version: u32,
    tool_version: &'a str,
    snapshot: u64,
    dirs: &'a [std::borrow::Cow<'a, DirRecord>],
    count: u64,
}

/// The entries of the cache file, decoded: the tasks ready to use (path, hash and mtime
/// restored), and per entry what the file was and where its outcome is.
#[derive(Default)]
struct Previous<'a> {
    entries: Vec<Old<'a>>,
    tasks: Vec<Task>,
    failures: Vec<ParseFailure>,
}

struct Old<'a> {
    rel: &'a str,
    size: u64,
    mtime: FileTime,
    sha256: &'a str,
    outcome: Slot,
}

impl<'a> Old<'a> {
    /// This entry as what the run knows of its file (kept: not read again).
    fn record(&self, outcome: Slot) -> Record<'a> {
        Record {
            size: self.size,
            mtime: self.mtime,
            sha256: std::borrow::Cow::Borrowed(self.sha256),
            outcome,
            cached: true,
        }
    }
}

/// Where an outcome is: an index into the tasks, or into the failures.
#[derive(Clone, Copy)]
enum Slot {
    Task(usize),
    Failed(usize),
}

impl<'a> Previous<'a> {
    /// Decode the `count` entries of `bytes` (which must hold exactly those).
    fn decode(mut bytes: &'a [u8], count: u64) -> Result<Previous<'a>, postcard::Error> {
        // An entry takes at least 8 bytes: a forged count cannot reserve more than the file.
        let capacity = usize::try_from(count)
            .unwrap_or(usize::MAX)
            .min(bytes.len() / 8);
        let mut previous = Previous {
            entries: Vec::with_capacity(capacity),
            tasks: Vec::with_capacity(capacity),
            failures: Vec::new(),
        };
        for _ in 0..count {
            let (stored, rest) = postcard::take_from_bytes::<Stored>(bytes)?;
            bytes = rest;
            // What only a parse could have produced: a task with a valid id and the hash of its
            // text. Anything else is a damaged or forged file, rebuilt rather than believed.
            let plausible = match &stored.outcome {
                StoredOutcome::Task(task) => {
                    crate::ids::is_valid_id(&task.id) && is_sha256_hex(stored.sha256)
                }
                StoredOutcome::Failed(_) => {
                    stored.sha256.is_empty() || is_sha256_hex(stored.sha256)
                }
            };
            if !plausible {
                return Err(postcard::Error::DeserializeBadEncoding);
            }
            let outcome = match stored.outcome {
                StoredOutcome::Task(mut task) => {
                    task.path = stored.rel.to_owned();
                    task.hash = stored.sha256.to_owned();
                    task.mtime = stored.mtime.as_f64();
                    previous.tasks.push(task);
                    Slot::Task(previous.tasks.len() - 1)
                }
                StoredOutcome::Failed(failure) => {
                    previous.failures.push(failure);
                    Slot::Failed(previous.failures.len() - 1)
                }
            };
            previous.entries.push(Old {
                rel: stored.rel,
                size: stored.size,
                mtime: stored.mtime,
                sha256: stored.sha256,
                outcome,
            });
        }
        if !bytes.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        Ok(previous)
    }
}

/// 64 lowercase hexadecimal digits, as `store::sha256_hex` writes them.
fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a load found, in discovery order.
#[derive(Debug)]
pub struct Loaded {
    /// Every task that loaded.
    pub tasks: Vec<Task>,
    /// Every file that did not load: its repo-relative path and why.
    pub broken: Vec<(String, ParseFailure)>,
    /// Number of task files found.
    pub files: usize,
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

/// What this run knows of one file's content, for the snapshot and the cache.
struct Record<'a> {
    size: u64,
    mtime: FileTime,
    sha256: std::borrow::Cow<'a, str>,
    outcome: Slot,
    /// False for a file that could not be read: not cached, retried on the next run.
    cached: bool,
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
    let (found, decoded) = std::thread::scope(|scope| {
        let decoding = bytes.as_ref().map(|(front, all, start)| {
            scope.spawn(move || {
                let _decode = crate::trace::phase("cache: decode the entries");
                Previous::decode(&all[*start..all.len() - CHECKSUM_BYTES], front.count)
            })
        });
        let discover_phase = crate::trace::phase("discover");
        let found = discover_with(root, old_dirs);
        drop(discover_phase);
        let decoded = decoding.map(|handle| {
            // A decoder that panicked (a bug) leaves the cache unused, never half-read.
            handle
                .join()
                .unwrap_or(Err(postcard::Error::DeserializeUnexpectedEnd))
        });
        (found, decoded)
    });
    let (found, previous_snapshot, previous) = match (front, decoded) {
        (Some(front), Some(Ok(previous))) => (found, Some(front.snapshot), Some(previous)),
        (Some(_), Some(Err(e))) => {
            warnings.push(format!(
                "Warning: the task cache {} is corrupt ({e}); rebuilding it",
                cache_path.display()
            ));
            // Its directory records are not trusted either.
            (discover_with(root, &[]), None, None)
        }
        _ => (found, None, None),
    };
    let old_dirs: &[DirRecord] = match (&previous, front) {
        (Some(_), Some(front)) => &front.dirs,
        _ => &[],
    };
    let _match = crate::trace::phase("cache: match, parse, save");
    let dirs_changed = !found.same_dirs(old_dirs);
    warnings.extend(found.warnings);
    let files = found.files;
    let mut previous = previous.unwrap_or_default();
    let old = &previous.entries;

    // The previous entry of each file. Both lists are in discovery order, so they are matched
    // in step; only files out of step (added, removed, renamed) are looked up by path.
    let mut by_path: Option<HashMap<&str, usize>> = None;
    let mut next = 0;
    let mut used = 0;
    let mut in_order = old.len() == files.len();
    let mut previous_of: Vec<Option<usize>> = Vec::with_capacity(files.len());
    // Each previous entry serves one file at most (paths are unique in a walk; a forged cache
    // could still list one twice): a file whose entry was taken is read as a new one.
    let mut taken = vec![false; old.len()];
    for (i, file) in files.iter().enumerate() {
        let index = if old.get(next).is_some_and(|e| e.rel == file.rel) {
            next += 1;
            Some(next - 1)
        } else {
            let found = by_path
                .get_or_insert_with(|| old.iter().enumerate().map(|(i, e)| (e.rel, i)).collect())
                .get(file.rel.as_str())
                .copied();
            // In step again after it (a file removed or renamed shifts the rest by one).
            if let Some(k) = found {
                next = k + 1;
            }
            found
        };
        let index = index.filter(|&k| !std::mem::replace(&mut taken[k], true));
        in_order &= index == Some(i);
        used += usize::from(index.is_some());
        previous_of.push(index);
    }
    // An old entry no file took belongs to a file that no longer exists.
    let mut entries_changed = used < old.len();
    let stale: Vec<usize> = files
        .iter()
        .zip(&previous_of)
        .enumerate()
        .filter(|(_, (f, e))| !e.is_some_and(|e| old[e].size == f.size && old[e].mtime == f.mtime))
        .map(|(i, _)| i)
        .collect();
    let old_sha = |i: usize| previous_of[i].map(|e| old[e].sha256);
    let parsed_now = parse_parallel(root, &files, &stale, &old_sha);
    let parsed = parsed_now.len();
    let mut unreadable = false;

    // What each file is now, and the tasks and failures in discovery order.
    let mut records: Vec<Record> = Vec::new();
    let unchanged = in_order && stale.is_empty();
    let (tasks, failures) = if unchanged {
        // Nothing changed: the decoded tasks are the result as they are, in place. The records
        // are only needed to save the directories again.
        if dirs_changed {
            records.extend(old.iter().map(|e| e.record(e.outcome)));
        }
        (
            std::mem::take(&mut previous.tasks),
            std::mem::take(&mut previous.failures),
        )
    } else {
        records.reserve_exact(files.len());
        let mut tasks: Vec<Task> = Vec::with_capacity(files.len());
        let mut failures: Vec<ParseFailure> = Vec::new();
        let mut fresh = parsed_now.into_iter().peekable();
        for (i, file) in files.iter().enumerate() {
            let kept = previous_of[i].map(|e| &old[e]);
            // The outcome to keep from the previous entry, with this file's mtime.
            let mut keep =
                |tasks: &mut Vec<Task>, failures: &mut Vec<ParseFailure>, mtime: FileTime| {
                    match kept.map(|e| e.outcome) {
                        Some(Slot::Task(t)) => {
                            let mut task = std::mem::take(&mut previous.tasks[t]);
                            task.mtime = mtime.as_f64();
                            tasks.push(task);
                            Slot::Task(tasks.len() - 1)
                        }
                        Some(Slot::Failed(f)) => {
                            failures.push(previous.failures[f].clone());
                            Slot::Failed(failures.len() - 1)
                        }
                        None => unreachable!("only a file with a previous entry keeps its outcome"),
                    }
                };
            let record = match fresh.next_if(|(j, _)| *j == i) {
                None => {
                    let e = kept.expect("a file not read again has a previous entry");
                    e.record(keep(&mut tasks, &mut failures, e.mtime))
                }
                Some((_, Ok(read))) => {
                    entries_changed = true;
                    let slot = match read.fresh {
                        Fresh::Same => keep(&mut tasks, &mut failures, read.mtime),
                        Fresh::Task(task) => {
                            tasks.push(task);
                            Slot::Task(tasks.len() - 1)
                        }
                        Fresh::Failed(failure) => {
                            failures.push(failure);
                            Slot::Failed(failures.len() - 1)
                        }
                    };
                    Record {
                        size: read.size,
                        mtime: read.mtime,
                        sha256: std::borrow::Cow::Owned(read.sha256),
                        outcome: slot,
                        cached: true,
                    }
                }
                // Read errors are reported but not cached (a permission fix does not touch
                // mtime), so they are retried on every run without rewriting the cache.
                Some((_, Err(failure))) => {
                    unreadable = true;
                    failures.push(failure);
                    Record {
                        size: file.size,
                        mtime: file.mtime,
                        sha256: std::borrow::Cow::Borrowed(""),
                        outcome: Slot::Failed(failures.len() - 1),
                        cached: false,
                    }
                }
            };
            records.push(record);
        }
        (tasks, failures)
    };
    let must_save = previous_snapshot.is_none() || entries_changed || dirs_changed;
    debug_assert!(
        records.len() == files.len() || !(must_save || entries_changed || unreadable),
        "records are built whenever they are used"
    );
    let snapshot = match previous_snapshot {
        Some(known) if !entries_changed && !unreadable => known,
        _ => snapshot_of(&files, &records),
    };

    if usable && must_save && (!files.is_empty() || cache_path.exists()) {
        let stored = files
            .iter()
            .zip(&records)
            .filter(|(_, r)| r.cached)
            .map(|(file, r)| {
                let outcome = match r.outcome {
                    Slot::Task(t) => OutcomeRef::Task(&tasks[t]),
                    Slot::Failed(f) => OutcomeRef::Failed(&failures[f]),
                };
                StoredRef {
                    rel: &file.rel,
                    size: r.size,
                    mtime: r.mtime,
                    sha256: &r.sha256,
                    outcome,
                }
            });
        let front = FrontRef {
            version: VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            snapshot,
            dirs: &found.dirs,
            count: records.iter().filter(|r| r.cached).count() as u64,
        };
        if let Err(e) = save(&cache_dir, &cache_path, &lock_path, &front, stored) {
            warnings.push(format!(
                "Warning: could not save the task cache {}: {e} (results are correct, only slower)",
                cache_path.display()
            ));
        }
    }

    // Failures are in discovery order, like the files they belong to.
    let count = files.len();
    let failed = |i: usize| {
        let slot = if unchanged {
            old[i].outcome
        } else {
            records[i].outcome
        };
        matches!(slot, Slot::Failed(_))
    };
    let broken = files
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| failed(i))
        .map(|(_, file)| file.rel)
        .zip(failures)
        .collect();
    Loaded {
        tasks,
        broken,
        files: count,
        snapshot,
        parsed,
        warnings,
    }
}
/// A 52-bit id (a JSON-safe integer) of the task files' paths and contents.
fn snapshot_of(files: &[TaskFile], records: &[Record]) -> u64 {
    let mut listing = String::with_capacity(files.len() * 100);
    for (file, record) in files.iter().zip(records) {
        listing.push_str(&file.rel);
        listing.push('\0');
        match record {
            Record { cached: false, .. } => listing.push_str("unreadable"),
            Record { sha256, .. } if !sha256.is_empty() => listing.push_str(sha256),
            // Refused unread (too large): its size and mtime stand for its content.
            Record { size, mtime, .. } => listing.push_str(&format!("{size}@{mtime:?}")),
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

fn save<'a>(
    dir: &Path,
    path: &Path,
    lock: &Path,
    front: &FrontRef,
    entries: impl Iterator<Item = StoredRef<'a>>,
) -> Result<(), String> {
    let root = dir.parent().and_then(Path::parent).unwrap_or(dir);
    ensure_cache_dir(root).map_err(|e| crate::error::Error::from(e).message)?;
    let mut bytes = postcard::to_extend(front, MAGIC.to_vec()).map_err(|e| e.to_string())?;
    for entry in entries {
        bytes = postcard::to_extend(&entry, bytes).map_err(|e| e.to_string())?;
    }
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
fn parse_parallel<'a>(
    root: &Path,
    files: &[TaskFile],
    indices: &[usize],
    old_sha: &(impl Fn(usize) -> Option<&'a str> + Sync),
) -> Vec<(usize, Result<Read, ParseFailure>)> {
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
                        .map(|&i| (i, read_entry(root, &files[i], old_sha(i))))
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
                            let failure = ParseFailure::new(
                                "internal error while parsing this file (please report it)",
                            );
                            (i, Err(failure))
                        })
                        .collect()
                })
            })
            .collect()
    })
}

/// What reading a file again found: its size and mtime as read, its hash, and its outcome.
struct Read {
    size: u64,
    mtime: FileTime,
    sha256: String,
    fresh: Fresh,
}

#[allow(clippy::large_enum_variant)] // transient, moved out at once
enum Fresh {
    /// The same content as the file's previous entry: that entry's outcome stands.
    Same,
    Task(Task),
    Failed(ParseFailure),
}

impl Read {
    /// A file refused unread (over the size limit): no hash, a failure naming its size.
    fn too_large(size: u64, mtime: FileTime) -> Read {
        Read::refused(
            size,
            mtime,
            format!(
                "file is {size} bytes, over the {MAX_TASK_FILE_BYTES} byte limit for task files"
            ),
        )
    }

    fn refused(size: u64, mtime: FileTime, message: String) -> Read {
        Read {
            size,
            mtime,
            sha256: String::new(),
            fresh: Fresh::Failed(ParseFailure::new(message)),
        }
    }
}

fn read_entry(root: &Path, file: &TaskFile, old_sha: Option<&str>) -> Result<Read, ParseFailure> {
    if file.size > MAX_TASK_FILE_BYTES {
        return Ok(Read::too_large(file.size, file.mtime));
    }
    // Opened without following a link anywhere, then `fstat`ed before reading: the size and
    // mtime stored are those of the bytes read (a later edit changes them), never those of
    // another file swapped in after the walk.
    let cannot = |e: std::io::Error| ParseFailure::new(format!("cannot read file: {e}"));
    let handle = file.open(root).map_err(cannot)?;
    let meta = handle.metadata().map_err(cannot)?;
    let (size, mtime) = (meta.len(), FileTime::of(&meta));
    if size > MAX_TASK_FILE_BYTES {
        return Ok(Read::too_large(size, mtime));
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
        return Ok(Read::refused(
            bytes.len() as u64,
            mtime,
            format!("file is over the {MAX_TASK_FILE_BYTES} byte limit for task files"),
        ));
    }
    let mtime_f64 = mtime.as_f64();
    // One hash per file: of the decoded, LF-normalised text (the task's `hash`), or of the raw
    // bytes when they are not text.
    let decoded = decode(&bytes);
    let sha256 = match &decoded {
        Ok((_, hash)) => hash.clone(),
        Err(_) => store::sha256_hex(&bytes),
    };
    let fresh = match (old_sha, decoded) {
        // Same content as the cached entry: its outcome stands (its mtime is updated).
        (Some(old), _) if old == sha256 => Fresh::Same,
        (_, Ok((text, hash))) => match parse_text(&text, hash, &file.rel, mtime_f64) {
            Ok(task) => Fresh::Task(task),
            Err(failure) => Fresh::Failed(failure),
        },
        (_, Err(failure)) => Fresh::Failed(failure),
    };
    Ok(Read {
        size,
        mtime,
        sha256,
        fresh,
    })
}

#[cfg(test)]
#[path = "tests/cache.rs"]
mod tests;
