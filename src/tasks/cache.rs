//! The port's private task cache (contract D5): `tasks/.cache/task-index.v9.bin`, one entry per
//! task file keyed by repo-relative path with size, mtime and SHA-256 and the parse outcome
//! (a task or the failure). Only files whose size or mtime changed are read again, and only those
//! whose content changed are parsed again; broken files are cached like good ones, so a malformed
//! file costs one parse, not one per run. Results never depend on whether the cache was hit.
//!
//! The file is a magic line, a header (postcard: layout version, tool version), the length of the
//! front and of the whole file (u64 each; a file of another length is not read), the identity of
//! the file itself (device, inode number, birth time: a file that is not the one this tool wrote
//! here, such as a cache committed to the repository and cloned with it, is not read), the front
//! ([`Front`], postcard: snapshot, listing time, directory records, entry count), the entries
//! ([`entries`], by hand) and a checksum. The front is read first and discovery starts from it;
//! the rest is read, checked and decoded on another thread meanwhile. The file's bytes are kept
//! for the rest of the process: the tasks read from it borrow their strings from them.

#[path = "cache_entries.rs"]
mod entries;

use super::discover::{DirRecord, FileTime, TaskFile, discover_with};
use super::model::Task;
use super::parse::{MAX_TASK_FILE_BYTES, ParseFailure, decode, parse_text};
use crate::repo::CACHE_DIR;
use crate::store;
use entries::{Damaged, OutcomeRef, StoredOutcome, StoredRef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const CACHE_FILE: &str = "task-index.v9.bin";
/// Files of earlier layouts, removed when the current one is written.
const OLD_CACHE_FILES: [&str; 7] = [
    "task-index.v2.bin",
    "task-index.v3.bin",
    "task-index.v4.bin",
    "task-index.v5.bin",
    "task-index.v6.bin",
    "task-index.v7.bin",
    "task-index.v8.bin",
];
pub const LOCK_FILE: &str = "task-index.lock";
const MAGIC: &[u8] = b"tasks task-index\n";
/// Bumped whenever the layout *or the parse rules* change, so stale outcomes are dropped.
const VERSION: u32 = 9;
/// The file ends with this many bytes: a checksum of everything before them (after the magic
/// line), so that a damaged file is rebuilt instead of being believed.
pub(super) const CHECKSUM_BYTES: usize = 8;
/// A cache file larger than this is not read (rebuilt): strings are addressed with 32 bits.
const MAX_CACHE_BYTES: u64 = 4 << 30;

/// A warm run from a cache file of this many bytes asks for huge pages (`crate::alloc`):
/// ~4,500 tasks of the benchmark's (351 bytes an entry). Measured on this VM, 1,000 tasks lose
/// 0.5 ms by it, 2,500 break even, 10,000 gain 3 ms (docs/performance.md).
const HUGE_PAGES_FROM: u64 = 3 << 19;

/// A warm run that must parse more files than this goes back to ordinary pages first.
const SMALL_PAGES_FROM: usize = 64;

/// The checksum of a cache body (everything after the magic line), given as the part up to the
/// end of the front and the rest: fast (a fraction of a millisecond for 10,000 tasks), for
/// damage, not against someone who can write the file (who can write the task files too).
pub(super) fn checksum(front: &[u8], rest: &[u8]) -> [u8; CHECKSUM_BYTES] {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = foldhash::fast::FixedState::with_seed(0x7461_736b_2d69_6478).build_hasher();
    hasher.write(front);
    hasher.write(rest);
    hasher.finish().to_le_bytes()
}

/// After the header: the front's length, the file's length, and the identity of the file
/// itself ([`file_identity`]), each a little-endian u64.
const LENGTHS_AND_IDENTITY: usize = 40;

/// What tells an open file from any other: its device, its inode number, and when that inode
/// was made (in nanoseconds; 0 where the file system does not say), so that a number freed and
/// given to a new file does not make the new one pass for the old. A rename keeps all three.
pub(super) fn file_identity(file: &std::fs::File) -> std::io::Result<(u64, u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata()?;
    let born = (meta.created().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    Ok((meta.dev(), meta.ino(), born))
}

/// The leading fields of the encoding, decoded first so that another version's cache is
/// replaced silently.
#[derive(Serialize, Deserialize)]
struct Header<'a> {
    version: u32,
    /// Parse rules may change between releases: another release's cache is not reused.
    tool_version: &'a str,
}

/// The cache up to its entries: decoded first, so that discovery (which needs the directory
/// records) runs while the entries are read and decoded on another thread.
#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
struct Front {
    /// Identifies the content of the task files; reported as `snapshot_id`.
    snapshot: u64,
    /// When the files were found, before any was read: an entry is reused only for a file
    /// whose mtime was settled by then.
    listed_at: FileTime,
    /// The directories walked, with their entries (reused while a directory is unchanged),
    /// their strings borrowed from the file's bytes.
    #[serde(deserialize_with = "bounded_dirs")]
    dirs: Vec<DirRecord>,
    /// How many entries follow (in discovery order).
    count: u64,
}

/// At most this many directory records are read from a cache: a repository has far fewer
/// directories, and a forged front declaring millions (each a few bytes on disk, a hundred in
/// memory) is damaged, not decoded.
const MAX_DIRS: usize = 1 << 18;

fn bounded_dirs<'de, D>(deserializer: D) -> Result<Vec<DirRecord>, D::Error>
where
    D: serde::Deserializer<'de>,
    'de: 'static,
{
    struct Bounded;
    impl<'de> serde::de::Visitor<'de> for Bounded
    where
        'de: 'static,
    {
        type Value = Vec<DirRecord>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "at most {MAX_DIRS} directory records")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut dirs = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            while let Some(dir) = seq.next_element()? {
                if dirs.len() == MAX_DIRS {
                    return Err(serde::de::Error::custom("too many directory records"));
                }
                dirs.push(dir);
            }
            Ok(dirs)
        }
    }
    deserializer.deserialize_seq(Bounded)
}

/// The same layout as [`Front`], borrowing what it writes.
#[derive(Serialize)]
struct FrontRef<'a> {
    snapshot: u64,
    listed_at: FileTime,
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

impl Previous<'static> {
    /// Decode the `count` entries of the entries section `bytes` (which must hold exactly those).
    fn decode(bytes: &'static [u8], count: u64) -> Result<Previous<'static>, Damaged> {
        let _u = crate::trace::phase("entries: utf8");
        let mut reader = entries::Reader::new(bytes)?;
        drop(_u);
        let _d = crate::trace::phase("entries: decode");
        let capacity = reader.capacity(count);
        let mut previous = Previous {
            entries: Vec::with_capacity(capacity),
            tasks: Vec::with_capacity(capacity),
            failures: Vec::new(),
        };
        for _ in 0..count {
            let stored = reader.entry()?;
            // What only a parse could have produced: a task with a valid id and the hash of its
            // text. Anything else is a damaged or forged file, rebuilt rather than believed.
            let plausible = match &stored.outcome {
                StoredOutcome::Task(task) => {
                    super::parse::could_parse_to(task) && is_sha256_hex(stored.sha256)
                }
                StoredOutcome::Failed(_) => {
                    stored.sha256.is_empty() || is_sha256_hex(stored.sha256)
                }
            };
            if !plausible {
                return Err(Damaged(
                    "an entry holds what no parse writes (a bad id, field or hash)".to_string(),
                ));
            }
            let outcome = match stored.outcome {
                StoredOutcome::Task(task) => {
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
        if !reader.is_empty() {
            return Err(Damaged("more entries than it counts".to_string()));
        }
        Ok(previous)
    }
}

/// 64 lowercase hexadecimal digits, as `store::sha256_hex` writes them.
fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text.as_bytes().chunks_exact(8).all(|chunk| {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            is_lower_hex_word(x)
        })
}

/// Whether each of the eight bytes of `x` is `0`–`9` or `a`–`f` (branch-free: 10,000 hashes are
/// checked on every warm run).
fn is_lower_hex_word(x: u64) -> bool {
    use crate::swar::{HIGHS, ONES};
    // Adding `0x80 - n` to a byte below 0x80 sets its high bit exactly when the byte is ≥ n;
    // bytes of 0x80 or more are refused first, so no addition carries into the next byte.
    let at_least = |n: u64| x.wrapping_add(ONES * (0x80 - n)) & HIGHS;
    let digit = at_least(u64::from(b'0')) & !at_least(u64::from(b'9') + 1);
    let letter = at_least(u64::from(b'a')) & !at_least(u64::from(b'f') + 1);
    x & HIGHS == 0 && (digit | letter) == HIGHS
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
    /// Why the cache was not written when it should have been (it could not be, or its
    /// directory is refused); also among the warnings.
    pub unsaved: Option<crate::error::Error>,
}

/// The cache file's path, as messages show it (its I/O goes through the held directory).
fn cache_path(root: &Path) -> PathBuf {
    root.join(CACHE_DIR).join(CACHE_FILE)
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
    let cache_path = cache_path(root);
    let mut warnings = Vec::new();
    // Why the cache that should have been written was not (`--refresh-cache` fails with it).
    let mut unsaved: Option<crate::error::Error> = None;
    // A cache directory that leads out of the repository is neither read nor written. One that
    // exists is read through the directory checked and held open here.
    let (usable, held) = match store::paths::hold_existing_state_dir(root, CACHE_DIR) {
        Ok(held) => (true, held),
        Err(e) => {
            let error = crate::error::Error::from(e);
            warnings.push(format!(
                "Warning: the task cache is not used: {} (results are correct, only slower)",
                error.message
            ));
            unsaved = Some(error);
            (false, None)
        }
    };
    // Before anything is found or read: a file changed after this has a later mtime, or one in
    // the same clock tick, which `settled_before` refuses to trust.
    let listed_at = FileTime::now();
    let opened = match &held {
        Some(held) if !force => {
            let _read = crate::trace::phase("cache: read, decode the front");
            open_cache(held, &mut warnings)
        }
        _ => None,
    };
    let (front, rest) = match opened {
        Some(Opened { front, rest }) => (Some(front), Some(rest)),
        None => (None, None),
    };
    let old_dirs: &[DirRecord] = front.as_ref().map_or(&[], |f| &f.dirs);
    let count = front.as_ref().map_or(0, |f| f.count);
    // The rest of the file is read, checked and decoded on a thread of its own while the files
    // are found and stat'ed.
    // (Here instead when no thread can start.)
    let has_rest = rest.is_some();
    let rest = std::sync::Mutex::new(rest);
    let decode = || -> Option<Result<Previous<'static>, Damaged>> {
        let rest = rest.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        let _decode = crate::trace::phase("cache: read, check, decode the entries");
        Some(
            rest.entries()
                .and_then(|bytes| Previous::decode(bytes, count)),
        )
    };
    let (found, decoded) = std::thread::scope(|scope| {
        let decode = &decode;
        let decoding = has_rest
            .then(|| crate::threads::try_spawn(scope, decode))
            .flatten();
        let discover_phase = crate::trace::phase("discover");
        let found = discover_with(root, old_dirs);
        drop(discover_phase);
        let decoded = match decoding {
            // A decoder that panicked (a bug) leaves the cache unused, never half-read.
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Some(Err(Damaged("its decoder failed".to_string())))),
            None => decode(),
        };
        (found, decoded)
    });
    let (found, previous_snapshot, previous) = match (&front, decoded) {
        (Some(front), Some(Ok(previous))) => (found, Some(front.snapshot), Some(previous)),
        (Some(_), Some(Err(e))) => {
            warnings.push(format!(
                "Warning: the task cache {} is corrupt ({e}); rebuilding it",
                cache_path.display()
            ));
            // A rebuild parses every file: in ordinary pages, as a run without a cache.
            crate::alloc::prefer_small_pages();
            // Its directory records are not trusted either.
            (discover_with(root, &[]), None, None)
        }
        _ => (found, None, None),
    };
    let old_dirs: &[DirRecord] = match (&previous, &front) {
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
                .get(&*file.rel)
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
    let old_listed_at = front.as_ref().map(|f| f.listed_at);
    let old_settled = |mtime: FileTime| old_listed_at.is_some_and(|at| mtime.settled_before(at));
    let stale: Vec<usize> = files
        .iter()
        .zip(&previous_of)
        .enumerate()
        .filter(|(_, (f, e))| {
            // An entry made within a clock tick or two of its file's last change may not have
            // seen that change (a coarse clock gives an edit in the same tick the same mtime):
            // the file is read again, and its entry trusted only once it has settled.
            !e.is_some_and(|e| {
                old[e].size == f.size && old[e].mtime == f.mtime && old_settled(old[e].mtime)
            })
        })
        .map(|(i, _)| i)
        .collect();
    let old_sha = |i: usize| previous_of[i].map(|e| old[e].sha256);
    // Many files to parse (most of them changed since the cache was written): their tasks are
    // allocated in ordinary pages, as in a run without a cache (`crate::alloc`).
    if stale.len() > SMALL_PAGES_FROM {
        crate::alloc::prefer_small_pages();
    }
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
                    // Read again only to check a recent entry, and found as it was: nothing to
                    // save until the file has settled (a file dated in the future never does,
                    // and is only hashed on each run).
                    let checked_only = matches!(read.fresh, Fresh::Same)
                        && kept.is_some_and(|e| e.size == read.size && e.mtime == read.mtime)
                        && !read.mtime.settled_before(listed_at);
                    entries_changed |= !checked_only;
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

    let had_cache = held
        .as_ref()
        .is_some_and(|held| held.file(CACHE_FILE).0.exists());
    if usable && must_save && (!files.is_empty() || had_cache) {
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
            snapshot,
            listed_at,
            dirs: &found.dirs,
            count: records.iter().filter(|r| r.cached).count() as u64,
        };
        // Only `--refresh-cache` (`force`) waits for another run's save: any other run leaves the
        // saving to that one (its next run saves whatever is still new), never waiting on it.
        let wait = if force {
            Wait::ForLock
        } else {
            Wait::NotIfBusy
        };
        if let Err(e) = save(root, &front, stored, wait) {
            warnings.push(format!(
                "Warning: could not save the task cache {}: {e} (results are correct, only slower)",
                cache_path.display()
            ));
            unsaved = Some(
                crate::error::Error::new(
                    crate::error::ErrorCode::E041,
                    format!("Cannot write the task cache {}: {e}", cache_path.display()),
                )
                .with_detail("path", cache_path.display().to_string())
                .with_recovery(
                    "Free space on the disk, fix the permissions of tasks/.cache/ or move away what is in the place of the cache file or of its lock file (tasks/.cache/task-index.lock), then run tasks --refresh-cache again (every other command works without the cache, only slower)",
                ),
            );
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
        .map(|(_, file)| file.rel.into_owned())
        .zip(failures)
        .collect();
    Loaded {
        tasks,
        broken,
        files: count,
        snapshot,
        parsed,
        warnings,
        unsaved,
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

/// A cache file whose front is read and decoded: what the entries' thread needs for the rest.
struct Opened {
    front: Front,
    rest: Rest,
}

/// The part of a cache file still to read: into `tail`, from where the front ends. The file's
/// bytes are one buffer kept for the rest of the process (the tasks borrow from it).
struct Rest {
    file: std::fs::File,
    /// The bytes read so far: the magic line, the header and the front.
    head: &'static [u8],
    tail: &'static mut [u8],
}

impl Rest {
    /// Read the rest of the file, check the checksum, and return the entries section.
    fn entries(self) -> Result<&'static [u8], Damaged> {
        use std::os::unix::fs::FileExt;
        let Rest { file, head, tail } = self;
        let _r = crate::trace::phase("entries: read");
        file.read_exact_at(tail, head.len() as u64)
            .map_err(|e| Damaged(format!("cannot read it: {e}")))?;
        let tail: &'static [u8] = tail;
        drop(_r);
        let _c = crate::trace::phase("entries: checksum");
        let (section, sum) = tail.split_at(tail.len() - CHECKSUM_BYTES);
        if checksum(&head[MAGIC.len()..], section) != sum {
            return Err(Damaged("its checksum does not match".to_string()));
        }
        Ok(section)
    }
}

/// A zeroed buffer of `len` bytes kept for the rest of the process (zeroed memory costs nothing
/// until it is read into), or `None` when the system gives no such block: a large cache under a
/// memory limit is rebuilt, not an abort.
fn leaked_zeroed(len: usize) -> Option<&'static mut [u8]> {
    if len == 0 {
        return Some(Vec::new().leak());
    }
    let layout = std::alloc::Layout::array::<u8>(len).ok()?;
    // SAFETY: the layout's size is not zero; `alloc_zeroed` gives null or a block of `len`
    // zeroed bytes that nothing else owns. It is never freed, so the slice may live forever.
    unsafe {
        let block = std::alloc::alloc_zeroed(layout);
        (!block.is_null()).then(|| std::slice::from_raw_parts_mut(block, len))
    }
}

/// Open the cache file and read its front; `None` when there is no usable file (none, another
/// version, or corrupt: with a warning).
fn open_cache(held: &store::paths::Held, warnings: &mut Vec<String>) -> Option<Opened> {
    use std::os::unix::fs::FileExt;
    let (io_path, path) = held.file(CACHE_FILE);
    let path = path.as_path();
    let (file, len) = match store::open_state(&io_path).map_err(|e| held.shown_error(e)) {
        Ok(Some(opened)) => opened,
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
    if len > MAX_CACHE_BYTES {
        return corrupt(warnings, "larger than any cache this tool writes");
    }
    // The magic line, the header and the two lengths lie in the first few dozen bytes: read
    // and checked before any buffer the size of the file is made.
    let mut first = [0u8; 256];
    let start = first.len().min(usize::try_from(len).unwrap_or(usize::MAX));
    if let Err(e) = file.read_exact_at(&mut first[..start], 0) {
        return corrupt(warnings, &e.to_string());
    }
    let Some(body) = first[..start].strip_prefix(MAGIC) else {
        return corrupt(warnings, "not a task index file");
    };
    let rest = match postcard::take_from_bytes::<Header>(body) {
        Ok((h, rest)) if h.version == VERSION && h.tool_version == env!("CARGO_PKG_VERSION") => {
            rest
        }
        Ok(_) => return None,
        Err(e) => return corrupt(warnings, &e.to_string()),
    };
    let Some((lengths, _)) = rest.split_first_chunk::<LENGTHS_AND_IDENTITY>() else {
        return corrupt(warnings, "truncated");
    };
    let word = |i: usize| u64::from_le_bytes(lengths[i * 8..i * 8 + 8].try_into().expect("8"));
    let (front_len, file_len, identity) = (word(0), word(1), (word(2), word(3), word(4)));
    // The file's length as written: a file grown since (a sparse gigabyte, say) is not read.
    if file_len != len {
        return corrupt(warnings, "its length is not the one it was written with");
    }
    // The file this tool wrote here, not one that came with the repository (committed, copied
    // or restored: another inode), whose entries would be believed for files whose content
    // hashes like theirs. Rebuilt without a warning, as after a clone.
    if file_identity(&file).ok() != Some(identity) {
        return None;
    }
    let front_start = start - rest.len() + LENGTHS_AND_IDENTITY;
    let front_end = usize::try_from(front_len)
        .ok()
        .and_then(|n| n.checked_add(front_start))
        .filter(|&end| end.saturating_add(CHECKSUM_BYTES) as u64 <= len);
    let Some(front_end) = front_end else {
        return corrupt(warnings, "truncated");
    };
    // A warm run on a large repository: what it allocates from here on (the file's bytes, the
    // files found, the verb's own tables) is faulted in as huge pages where the system has
    // them. (A smaller run touches too little of each 2 MiB page to gain.)
    if len >= HUGE_PAGES_FROM {
        crate::alloc::prefer_huge_pages();
    }
    let Some(buffer) = usize::try_from(len).ok().and_then(leaked_zeroed) else {
        warnings.push(format!(
            "Warning: the task cache {} is not read: no memory for its {len} bytes; rebuilding it",
            path.display()
        ));
        return None;
    };
    let known = start.min(front_end);
    buffer[..known].copy_from_slice(&first[..known]);
    if let Err(e) = file.read_exact_at(&mut buffer[known..front_end], known as u64) {
        return corrupt(warnings, &e.to_string());
    }
    let (head, tail) = buffer.split_at_mut(front_end);
    let head: &'static [u8] = head;
    match postcard::take_from_bytes::<Front>(&head[front_start..]) {
        Ok((_, extra)) if !extra.is_empty() => {
            corrupt(warnings, "its front is longer than it says")
        }
        // `snapshot_of` keeps 52 bits (a JSON-safe integer).
        Ok((front, _)) if front.snapshot >= 1 << 52 => {
            corrupt(warnings, "its snapshot id is out of range")
        }
        Ok((front, _)) => Some(Opened {
            front,
            rest: Rest { file, head, tail },
        }),
        Err(e) => corrupt(warnings, &e.to_string()),
    }
}

/// Create `tasks/.cache/` (checked: never through a link out of the repository; with a
/// `.gitignore` that keeps it out of git) and return it.
pub fn ensure_cache_dir(root: &Path) -> Result<PathBuf, store::StateError> {
    hold_cache_dir(root).map(|held| held.shown().to_path_buf())
}

/// [`ensure_cache_dir`], held open: what is written through it lands in the directory that was
/// checked, even if `tasks/.cache` is swapped for a link meanwhile.
pub(super) fn hold_cache_dir(root: &Path) -> Result<store::paths::Held, store::StateError> {
    let held = store::paths::hold_state_dir(root, CACHE_DIR)?;
    let (gitignore, _) = held.file(".gitignore");
    store::fs::write_if_absent(
        &gitignore,
        b"# Private cache of the tasks CLI; never commit it.\n*\n",
    )
    .map_err(|e| held.shown_error(e))?;
    Ok(held)
}

/// Why the cache lock could not be taken, naming the lock file (a warning names the cache
/// file: the lock file is what to fix).
fn locking(lock: &Path, e: std::io::Error) -> String {
    format!("cannot lock {}: {e}", lock.display())
}

/// Whether a save waits for the cache lock while another process holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    ForLock,
    /// Skip the save instead: another run is saving the cache at this moment (or a run stopped
    /// while it held the lock: a `tasks` suspended mid-save must not hang every other one).
    NotIfBusy,
}

/// Write the cache file (atomically, under the cache lock). Returns whether it was written:
/// `false` when the lock was busy and `wait` is [`Wait::NotIfBusy`].
fn save<'a>(
    root: &Path,
    front: &FrontRef,
    entries: impl Iterator<Item = StoredRef<'a>> + Clone,
    wait: Wait,
) -> Result<bool, String> {
    let held = hold_cache_dir(root).map_err(|e| crate::error::Error::from(e).message)?;
    let (path, _) = held.file(CACHE_FILE);
    let (lock, shown_lock) = held.file(LOCK_FILE);
    let header = Header {
        version: VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    // Sized once (a 10,000-task cache is a few megabytes; growing it by doubling would hold
    // up to twice that): the text exactly, the front and the records by bounds they stay under.
    let (count, text_len) = entries
        .clone()
        .fold((0, 0), |(n, len), e| (n + 1, len + e.text_len()));
    let front_len: usize = front
        .dirs
        .iter()
        .map(|d| d.rel.len() + d.paths.len() + d.kinds.len() + 64)
        .sum::<usize>()
        + 64;
    let capacity = MAGIC.len() + 64 + 16 + front_len + count * 64 + text_len + CHECKSUM_BYTES;
    let mut bytes = Vec::with_capacity(capacity);
    bytes.extend_from_slice(MAGIC);
    let mut bytes = postcard::to_extend(&header, bytes).map_err(|e| e.to_string())?;
    // The front's length and the file's, known once each is written, and the file's identity,
    // known once it is created.
    let front_len_at = bytes.len();
    bytes.extend_from_slice(&[0; LENGTHS_AND_IDENTITY]);
    let front_start = bytes.len();
    // Serialized in place (no copy of the directory listings beside the file's bytes).
    let mut bytes = postcard::to_extend(front, bytes).map_err(|e| e.to_string())?;
    let front_end = bytes.len();
    let front_len = (front_end - front_start) as u64;
    bytes[front_len_at..front_len_at + 8].copy_from_slice(&front_len.to_le_bytes());
    let file_len_at = front_len_at + 8;
    entries::write_section(&mut bytes, entries)?;
    let file_len = (bytes.len() + CHECKSUM_BYTES) as u64;
    bytes[file_len_at..file_len_at + 8].copy_from_slice(&file_len.to_le_bytes());
    if file_len > MAX_CACHE_BYTES {
        return Err("the cache would be larger than a cache is read".to_string());
    }
    let identity_at = file_len_at + 8;
    let _guard = match store::try_lock_exclusive(&lock).map_err(|e| locking(&shown_lock, e))? {
        Some(guard) => guard,
        None if wait == Wait::NotIfBusy => {
            let _busy = crate::trace::phase("cache: not saved, the lock is busy");
            return Ok(false);
        }
        None => {
            crate::output::note_now(&format!(
                "Note: waiting for {}: another tasks run is saving the task cache (if none is running, one was stopped while it saved: `fuser {}` names it)",
                shown_lock.display(),
                shown_lock.display()
            ));
            store::lock_exclusive(&lock).map_err(|e| locking(&shown_lock, e))?
        }
    };
    sweep_leftovers(held.io());
    // Not synced: the cache is rebuilt when a power cut leaves it damaged (its length and
    // checksum are checked on every read), and a 10,000-task cache is megabytes.
    store::atomic_write_with(&path, store::Durability::Rebuildable, |file| {
        use std::io::Write;
        let (dev, ino, born) = file_identity(file)?;
        for (i, word) in [dev, ino, born].into_iter().enumerate() {
            let at = identity_at + 8 * i;
            bytes[at..at + 8].copy_from_slice(&word.to_le_bytes());
        }
        let sum = checksum(&bytes[MAGIC.len()..front_end], &bytes[front_end..]);
        file.write_all(&bytes)?;
        file.write_all(&sum)
    })
    .map_err(|e| e.to_string())?;
    // An earlier layout's file is dead weight once this one is written.
    for old in OLD_CACHE_FILES {
        let _ = std::fs::remove_file(held.io().join(old));
    }
    Ok(true)
}

/// Remove the temporary files of saves killed before their rename (`.task-index.v9.bin.*.tmp`,
/// `.pick-memo.v1.bin.*.tmp`). Called under the cache lock: no other save is writing one then,
/// so any there is a leftover.
pub(super) fn sweep_leftovers(dir: &Path) {
    let prefixes = [
        format!(".{CACHE_FILE}."),
        format!(".{}.", super::pick_memo::MEMO_FILE),
    ];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let plain = entry
            .file_type()
            .is_ok_and(|t| t.is_file() || t.is_symlink());
        let ours = prefixes.iter().any(|p| name.starts_with(p.as_str()));
        if plain && ours && name.ends_with(".tmp") {
            // A link is removed itself, never what it points to.
            let _ = std::fs::remove_file(entry.path());
        }
    }
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
                let read = move || {
                    part.iter()
                        .map(|&i| (i, read_entry(root, &files[i], old_sha(i))))
                        .collect::<Vec<_>>()
                };
                (part, read, crate::threads::try_spawn(scope, read))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(part, read, handle)| {
                let Some(handle) = handle else {
                    // No thread could start: read here.
                    return read();
                };
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
