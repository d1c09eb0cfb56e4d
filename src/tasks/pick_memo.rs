//! The answer of the last `--pick` over the same task files, kept beside the task cache
//! (`tasks/.cache/pick-memo.v1.bin`) so that a pick repeated over unchanged files does not walk
//! the whole graph again (docs/performance.md).
//!
//! An answer is the task chosen (its position and id in the catalog, the priority it inherits
//! and why) and the draft alerts. It is a function of the task files (the catalog's snapshot
//! id: their paths and content hashes), the filter, the quarantined ids, the repository's root
//! (the alerts print absolute paths) and the code (the binary's identity). All of them are the
//! memo's key: an answer is recalled only under the very key it was found with, so the output
//! never depends on whether it was recalled.
//!
//! The file is private state like the task cache: the cache's checksum over its body (for
//! damage; it is written without fsync), the identity of the file itself (a memo copied,
//! committed or restored is another inode, and not believed), bounds on every read. Anything
//! wrong with it means "not remembered": the answer is found again and the memo rewritten. It is
//! never fatal, and warned about only when writing it panicked (a bug).

use super::cache::{CHECKSUM_BYTES, LOCK_FILE, checksum, file_identity};
use super::model::PRIORITIES;
use super::picker::DraftAlerts;
use crate::repo::CACHE_DIR;
use crate::store;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

pub const MEMO_FILE: &str = "pick-memo.v1.bin";
const MAGIC: &[u8] = b"tasks pick-memo\n";
/// Bumped whenever the layout changes (the binary's identity already covers the code).
const VERSION: u32 = 1;
/// A memo larger than this is not read (a 100,000-task answer is a few megabytes).
const MAX_MEMO_BYTES: u64 = 256 << 20;

/// What a pick's answer depends on, besides the code.
#[derive(Clone, Copy)]
pub struct Key<'a> {
    /// The catalog's snapshot id: the task files' paths and contents.
    pub snapshot: u64,
    /// The root as printed in the output's absolute paths.
    pub root: &'a str,
    /// The filter, normalised (`all`, `unblocker`, `status:S`).
    pub filter: &'a str,
    pub quarantined: &'a BTreeSet<String>,
}

/// What `--pick` found: the task to work on, if any, and the draft alerts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub first: Option<First>,
    pub alerts: DraftAlerts,
}

impl Answer {
    /// Whether it names a task of `tasks` (by position and id) and a level that exists: the
    /// memo's key already ties it to these files; this keeps a forged one in bounds.
    pub fn fits(&self, tasks: &[super::Task]) -> bool {
        self.first.as_ref().is_none_or(|first| {
            tasks
                .get(first.index as usize)
                .is_some_and(|task| *task.id == first.id)
                && (first.inherited.as_ref())
                    .is_none_or(|(level, _)| usize::from(*level) < PRIORITIES.len())
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct First {
    /// Its position among the catalog's tasks.
    pub index: u32,
    pub id: String,
    /// The priority level it inherits (0 for P0) and why; `None` when it keeps its own.
    pub inherited: Option<(u8, String)>,
}

/// The file's body (after the magic line, before the checksum): the head, then the answer. `A`
/// is `&Answer` when written and `Answer` when read: the same encoding.
#[derive(Serialize, Deserialize)]
struct Stored<'a, A> {
    head: Head<'a>,
    answer: A,
}

/// What a memo was written by, where, and under which key: decoded and checked from the first
/// bytes of the file before the rest is read (a large file that is not this run's memo costs
/// one small read).
#[derive(Serialize, Deserialize, PartialEq)]
struct Head<'a> {
    version: u32,
    tool_version: Cow<'a, str>,
    /// [`exe_identity`]: another build's memo is not believed.
    exe: [u64; 4],
    /// [`file_identity`] of the memo file itself.
    identity: (u64, u64, u64),
    snapshot: u64,
    root: Cow<'a, str>,
    filter: Cow<'a, str>,
    quarantined: Vec<Cow<'a, str>>,
}

impl<'a> Head<'a> {
    /// The head a memo written now, into `identity`, under `key` has.
    fn expected(key: &Key<'a>, exe: [u64; 4], identity: (u64, u64, u64)) -> Head<'a> {
        Head {
            version: VERSION,
            tool_version: Cow::Borrowed(env!("CARGO_PKG_VERSION")),
            exe,
            identity,
            snapshot: key.snapshot,
            root: Cow::Borrowed(key.root),
            filter: Cow::Borrowed(key.filter),
            quarantined: key
                .quarantined
                .iter()
                .map(|s| Cow::Borrowed(&**s))
                .collect(),
        }
    }
}

/// How much of a memo is read to check its head: a head longer than this (thousands of
/// quarantined ids) is not believed, and the answer is worked out again.
const HEAD_BYTES: usize = 64 << 10;

/// The running binary: its device, inode, size and modification time (ns). A rebuilt or
/// upgraded binary is another file, or the same one with another mtime. `None` where
/// `/proc/self/exe` cannot be read: then nothing is remembered.
fn exe_identity() -> Option<[u64; 4]> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata("/proc/self/exe").ok()?;
    let mtime = (meta.mtime() as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(meta.mtime_nsec() as u64);
    Some([meta.dev(), meta.ino(), meta.size(), mtime])
}

/// The cache directory, when it exists and is the repository's own (the same check as the task
/// cache's: never through a link out of the repository), held open: the memo is read and
/// written in the directory that was checked.
fn memo_dir(root: &Path) -> Option<store::paths::Held> {
    store::paths::hold_existing_state_dir(root, CACHE_DIR).ok()?
}

/// The answer remembered under `key`, if there is one and it can be believed.
pub fn recall(root: &Path, key: &Key) -> Option<Answer> {
    use std::os::unix::fs::FileExt;
    let _t = crate::trace::phase("pick: recall");
    let dir = memo_dir(root)?;
    let (file, len) = store::open_state(&dir.file(MEMO_FILE).0).ok()??;
    if len > MAX_MEMO_BYTES || len < (MAGIC.len() + CHECKSUM_BYTES) as u64 {
        return None;
    }
    let len = usize::try_from(len).ok()?;
    let expected = Head::expected(key, exe_identity()?, file_identity(&file).ok()?);
    // The head first, from the first bytes only.
    let mut first = vec![0u8; len.min(HEAD_BYTES)];
    file.read_exact_at(&mut first, 0).ok()?;
    let (head, _) = postcard::take_from_bytes::<Head>(first.strip_prefix(MAGIC)?).ok()?;
    if head != expected {
        return None;
    }
    // Then the whole file, its checksum, and the answer.
    let mut bytes = first;
    bytes.resize(len, 0);
    file.read_exact_at(
        &mut bytes[HEAD_BYTES.min(len)..],
        HEAD_BYTES.min(len) as u64,
    )
    .ok()?;
    let body = bytes.strip_prefix(MAGIC)?;
    let (body, sum) = body.split_at(body.len() - CHECKSUM_BYTES);
    if checksum(body, &[]) != sum {
        return None;
    }
    let stored: Stored<Answer> = postcard::from_bytes(body).ok()?;
    (stored.head == expected).then_some(stored.answer)
}

/// Remember `answer` under `key`, best effort: a memo that cannot be written is simply not
/// there next time. Written under the task cache's lock, which also sweeps the temporary files
/// of writes killed before their rename; when another process holds it (saving the cache), not
/// written: a pick never waits for a lock. The file keeps the mode of the one it replaces, plus
/// its owner's read and write (`Durability::Rebuildable`).
/// `Err` only when writing it panicked (a bug, contained: the pick's answer stands).
pub fn remember(root: &Path, key: &Key, answer: &Answer) -> Result<(), Panicked> {
    let _t = crate::trace::phase("pick: remember");
    let write = || {
        let (Some(dir), Some(exe)) = (memo_dir(root), exe_identity()) else {
            return;
        };
        let Ok(Some(_guard)) = store::try_lock_exclusive(&dir.file(LOCK_FILE).0) else {
            return;
        };
        super::cache::sweep_leftovers(dir.io());
        let path = dir.file(MEMO_FILE).0;
        let _ = store::atomic_write_with(&path, store::Durability::Rebuildable, |file| {
            use std::io::Write;
            let stored = Stored {
                head: Head::expected(key, exe, file_identity(file)?),
                answer,
            };
            let bytes =
                postcard::to_extend(&stored, MAGIC.to_vec()).map_err(std::io::Error::other)?;
            file.write_all(&bytes)?;
            file.write_all(&checksum(&bytes[MAGIC.len()..], &[]))
        });
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(write)).map_err(|_| Panicked)
}

/// Writing the memo panicked (a bug); the panic was contained.
#[derive(Debug)]
pub struct Panicked;

#[cfg(test)]
#[path = "tests/pick_memo.rs"]
mod tests;
