//! The port's private task cache (contract D5): `tasks/.cache/task-index.v1.json`, one entry per
//! task file keyed by repo-relative path with size, mtime and SHA-256 and the parse outcome
//! (a task or the failure). Only files whose size or mtime changed are read again, and only those
//! whose bytes changed are parsed again; broken files are cached like good ones, so a malformed
//! file costs one parse, not one per run. Results never depend on whether the cache was hit.

use super::discover::{FileTime, TaskFile, discover};
use super::model::Task;
use super::parse::{MAX_TASK_FILE_BYTES, ParseFailure, parse_task};
use crate::repo::CACHE_DIR;
use crate::store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const CACHE_FILE: &str = "task-index.v1.json";
pub const LOCK_FILE: &str = "task-index.lock";
const FORMAT: &str = "tasks/task-index";
/// Bumped whenever the file layout *or the parse rules* change, so stale outcomes are dropped.
const VERSION: u32 = 1;

/// The parse outcome of one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Task(Box<Task>),
    Failed(ParseFailure),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime: FileTime,
    /// SHA-256 of the raw bytes; empty when the file was refused unread (too large).
    sha256: String,
    outcome: Outcome,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheDoc {
    format: String,
    version: u32,
    /// Parse rules may change between releases: another version's cache is not reused.
    tool_version: String,
    /// Incremented whenever the cached content changes; reported as `snapshot_id`.
    generation: u64,
    entries: BTreeMap<String, Entry>,
}

/// What a load found: every discovered file with its outcome, in discovery order.
#[derive(Debug)]
pub struct Loaded {
    pub files: Vec<(TaskFile, Outcome)>,
    pub generation: u64,
    /// Number of files whose bytes were read and parsed in this run.
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
    let previous = if force {
        None
    } else {
        read_cache(&cache_path, &mut warnings)
    };
    let files = discover(root);

    let empty = BTreeMap::new();
    let old_entries = previous.as_ref().map_or(&empty, |doc| &doc.entries);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; files.len()];
    let mut new_entries = BTreeMap::new();
    let mut stale = Vec::new();
    for (i, file) in files.iter().enumerate() {
        match old_entries.get(&file.rel) {
            Some(entry) if entry.size == file.size && entry.mtime == file.mtime => {
                outcomes[i] = Some(entry.outcome.clone());
                new_entries.insert(file.rel.clone(), entry.clone());
            }
            _ => stale.push(i),
        }
    }

    let parsed_now = parse_parallel(&files, &stale, old_entries);
    let parsed = parsed_now.len();
    let mut changed = previous.is_none() || parsed > 0;
    for (i, entry) in parsed_now {
        match entry {
            Ok(entry) => {
                outcomes[i] = Some(entry.outcome.clone());
                new_entries.insert(files[i].rel.clone(), entry);
            }
            // Read errors are reported but not cached: a permission fix does not touch mtime.
            Err(failure) => outcomes[i] = Some(Outcome::Failed(failure)),
        }
    }
    changed |= old_entries.keys().any(|k| !new_entries.contains_key(k));

    let old_generation = previous.as_ref().map_or(0, |doc| doc.generation);
    let generation = if changed {
        old_generation + 1
    } else {
        old_generation
    };
    let worth_saving = !files.is_empty() || cache_path.exists();
    if changed && worth_saving {
        let doc = CacheDoc {
            format: FORMAT.to_string(),
            version: VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            generation,
            entries: new_entries,
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
        .zip(outcomes)
        .filter_map(|(file, outcome)| outcome.map(|o| (file, o)))
        .collect();
    Loaded {
        files,
        generation,
        parsed,
        warnings,
    }
}

fn read_cache(path: &Path, warnings: &mut Vec<String>) -> Option<CacheDoc> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            warnings.push(format!(
                "Warning: cannot read the task cache {}: {e}; rebuilding it",
                path.display()
            ));
            return None;
        }
    };
    // Peek at the header first so a cache of another version is replaced silently.
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
        version: Option<u32>,
        tool_version: Option<String>,
    }
    match serde_json::from_slice::<Header>(&bytes) {
        Ok(h) => {
            let current = h.format.as_deref() == Some(FORMAT)
                && h.version == Some(VERSION)
                && h.tool_version.as_deref() == Some(env!("CARGO_PKG_VERSION"));
            if !current {
                return None;
            }
        }
        Err(e) => {
            warnings.push(format!(
                "Warning: the task cache {} is corrupt ({e}); rebuilding it",
                path.display()
            ));
            return None;
        }
    }
    match serde_json::from_slice::<CacheDoc>(&bytes) {
        Ok(doc) => Some(doc),
        Err(e) => {
            warnings.push(format!(
                "Warning: the task cache {} is corrupt ({e}); rebuilding it",
                path.display()
            ));
            None
        }
    }
}

fn save(dir: &Path, path: &Path, lock: &Path, doc: &CacheDoc) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        store::atomic_write(
            &ignore,
            b"# Private cache of the tasks CLI; never commit it.\n*\n",
        )?;
    }
    let _guard = store::lock_exclusive(lock)?;
    let bytes = serde_json::to_vec(doc).map_err(std::io::Error::other)?;
    store::atomic_write(path, &bytes)
}

/// Read and parse the files at `indices`, on every available core. A file whose bytes hash like
/// its previous entry keeps that entry's outcome (only its mtime changes).
fn parse_parallel(
    files: &[TaskFile],
    indices: &[usize],
    old: &BTreeMap<String, Entry>,
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
                scope.spawn(move || {
                    part.iter()
                        .map(|&i| (i, read_entry(&files[i], old.get(&files[i].rel))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
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
    let sha256 = store::sha256_hex(&bytes);
    let mtime = file.mtime.as_f64();
    let outcome = match old {
        Some(entry) if entry.sha256 == sha256 => match &entry.outcome {
            Outcome::Task(task) => Outcome::Task(Box::new(Task {
                mtime,
                ..(**task).clone()
            })),
            failed => failed.clone(),
        },
        _ => match parse_task(&bytes, &file.rel, mtime) {
            Ok(task) => Outcome::Task(Box::new(task)),
            Err(failure) => Outcome::Failed(failure),
        },
    };
    Ok(Entry {
        size: bytes.len() as u64,
        mtime: file.mtime,
        sha256,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn task(id: &str, status: &str) -> String {
        format!("id: {id}\ntitle: t\nstatus: {status}\npriority: P1\narea: a\n")
    }

    fn statuses(loaded: &Loaded) -> Vec<String> {
        loaded
            .files
            .iter()
            .map(|(_, o)| match o {
                Outcome::Task(t) => t.status.clone(),
                Outcome::Failed(f) => format!("failed: {}", f.message),
            })
            .collect()
    }

    #[test]
    fn only_changed_files_are_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for i in 0..5 {
            write(
                root,
                &format!("tasks/TASK-000{i}.task.yaml"),
                &task(&format!("TASK-000{i}"), "todo"),
            );
        }
        write(root, "tasks/TASK-0009.task.yaml", "id: [\n");
        let first = load(root, false);
        assert_eq!(first.parsed, 6);
        assert_eq!(first.generation, 1);
        let warm = load(root, false);
        assert_eq!(
            warm.parsed, 0,
            "a warm cache reads no task file, broken ones included"
        );
        assert_eq!(warm.generation, 1);
        assert_eq!(statuses(&first), statuses(&warm));

        // Different size: read and re-parsed.
        write(
            root,
            "tasks/TASK-0002.task.yaml",
            &task("TASK-0002", "in_progress"),
        );
        let third = load(root, false);
        assert_eq!(third.parsed, 1);
        assert_eq!(third.generation, 2);
        assert_eq!(statuses(&third)[2], "in_progress");

        // Same bytes, new mtime: read, recognised by hash, outcome reused with the new mtime.
        let path = root.join("tasks/TASK-0003.task.yaml");
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let fourth = load(root, false);
        assert_eq!(fourth.parsed, 1);
        let Outcome::Task(t) = &fourth.files[3].1 else {
            panic!()
        };
        assert!((t.mtime - fourth.files[3].0.mtime.as_f64()).abs() < 1e-6);

        // Forced: everything again.
        assert_eq!(load(root, true).parsed, 6);
    }

    #[test]
    fn order_is_discovery_order_whether_cached_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in ["b", "a", "c/d", "0"] {
            write(
                root,
                &format!("tasks/{name}.task.yaml"),
                &task("TASK-0001", "todo"),
            );
        }
        let rels = |l: &Loaded| {
            l.files
                .iter()
                .map(|(f, _)| f.rel.clone())
                .collect::<Vec<_>>()
        };
        let cold = load(root, false);
        let warm = load(root, false);
        assert_eq!(rels(&cold), rels(&warm));
        assert_eq!(rels(&cold)[0], "tasks/0.task.yaml");
    }
}
