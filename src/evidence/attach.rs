//! Attaching evidence: the source is checked (inside the repository, links followed; not another
//! task's state), copied into the task's `evidence/` directory under a content-addressed name —
//! a directory as a deterministic `tar.zst` and its listing — and listed in the task's index,
//! all in one change under the task's lock. A refusal changes nothing.

use super::archive::{self, ArchiveIndex};
use super::index::{Attachment, Compression, Index};
use super::{Kind, human_size};
use crate::context::model::Context;
use crate::context::store::{ContextStore, OUTPUT_DIR};
use crate::error::{Error, ErrorCode, Result};
use crate::qa::compare::{QaResult, QaResults};
use crate::repo::Repo;
use crate::store::beneath::Dir;
use crate::store::{StateError, hash::Hasher};
use serde_json::{Map, Value};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Where attached files are kept, relative to the task's directory.
pub const ATTACHMENTS: &str = "evidence/attachments";
/// Where archived directories are kept, relative to the task's directory.
pub const ARCHIVES: &str = "evidence/archives";

/// The checked source of an attachment.
#[derive(Debug)]
pub struct Source {
    /// As given on the command line (for messages).
    pub given: String,
    /// Repo-relative, as named (before links are followed): the record's `path`.
    pub rel: String,
    /// The file or directory it resolves to.
    pub resolved: PathBuf,
    pub is_dir: bool,
}

/// Check `given` (relative to `cwd`): it must exist (E040), resolve inside the repository
/// (E002, links followed) and not lie in the state of another task or of the tool (E002).
pub fn resolve(repo: &Repo, cwd: &Path, given: &str, task: &str) -> Result<Source> {
    let named = cwd.join(given);
    let resolved = named.canonicalize().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            Error::new(
                ErrorCode::E040,
                format!(
                    "Evidence path does not exist: {}",
                    crate::text::field(given)
                ),
            )
            .with_detail("path", given)
            .with_recovery(
                "Pass a file or directory that exists (relative to the current directory)",
            )
        } else {
            StateError::io(&named, "read", e).into()
        }
    })?;
    let outside = |why: String| {
        Error::new(ErrorCode::E002, why)
            .with_detail("path", given)
            .with_detail("resolved", resolved.display().to_string())
    };
    if !resolved.starts_with(&repo.root) {
        return Err(outside(format!(
            "{} is outside the repository ({}); evidence must be a file of the repository",
            crate::text::field(given),
            crate::text::field(&resolved.display().to_string())
        ))
        .with_recovery("Copy the file into the repository first, or attach a file that is in it"));
    }
    let state = repo.root.join(OUTPUT_DIR);
    let own = state.join(task);
    if resolved.starts_with(&state) && !resolved.starts_with(&own) || resolved == state {
        return Err(outside(format!(
            "{} is in {OUTPUT_DIR}/ but not in {task}'s directory: another task's state is not {task}'s evidence",
            crate::text::field(given),
        ))
        .with_recovery(format!(
            "Attach files of the repository or of {OUTPUT_DIR}/{task}/"
        )));
    }
    let meta = std::fs::metadata(&resolved).map_err(|e| StateError::io(&resolved, "read", e))?;
    if !meta.is_dir() && !meta.is_file() {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "{} is neither a file nor a directory",
                crate::text::field(given)
            ),
        )
        .with_detail("path", given)
        .with_recovery("Attach a regular file or a directory"));
    }
    // The record keeps the path as named when that name, read as text, leads to the file that
    // is read (`docs/latest.png`, a link to `shots/2.png`); otherwise (`link/../x`, where the
    // file system resolves `..` after the link) where it led.
    let base = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
    let lexical = crate::store::paths::lexical(&base.join(given));
    let rel = repo
        .relative(&lexical)
        .filter(|_| lexical.starts_with(&repo.root))
        .filter(|_| lexical.canonicalize().is_ok_and(|p| p == resolved))
        .or_else(|| repo.relative(&resolved))
        .unwrap_or_default();
    Ok(Source {
        given: given.to_string(),
        rel: if rel.is_empty() { ".".into() } else { rel },
        resolved,
        is_dir: meta.is_dir(),
    })
}

/// What to attach.
pub struct Request<'a> {
    pub kind: Kind,
    pub source: &'a Source,
    pub description: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub now: &'a str,
}

/// What attaching did.
#[derive(Debug)]
pub struct Attached {
    pub attachment: Attachment,
    /// An entry with the same content was there and was updated.
    pub updated: bool,
    /// That entry, as it was.
    pub previous: Option<Attachment>,
    /// Entries of a directory left out of its archive, with why.
    pub skipped: Vec<(String, String)>,
    /// Metadata the design requires of this kind that nobody gave.
    pub missing_metadata: Vec<&'static str>,
    /// Metadata keys taken from the task's recorded QA result for the same log.
    pub from_qa: Vec<&'static str>,
}

/// Attach `req.source` to the task of `store`: E051 without a context, E052 when its index
/// cannot be read, E010 over the kind's size limit. `progress` gets the bytes read so far.
pub fn attach(
    repo: &Repo,
    store: &ContextStore,
    req: &Request,
    progress: &mut dyn FnMut(u64),
) -> Result<Attached> {
    check_kind(req)?;
    // The file is opened (and its size checked) before anything is locked or staged.
    let opened = if req.source.is_dir {
        None
    } else {
        Some(open_file(repo, req)?)
    };
    let locked = store.read_lock(repo)?;
    let context = store.load()?;
    let mut index = Index::load(store)?;
    let mut txn = locked.begin();
    let mut skipped = Vec::new();
    let mut attachment = match opened {
        Some(file) => {
            let name = stored_name(&req.source.rel);
            let stored_of =
                |sha256: &str| store.rel(&format!("{ATTACHMENTS}/{}-{name}", &sha256[..16]));
            let limit = req.kind.limit();
            let copied = txn
                .put_named(
                    |out| copy_limited(file, out, limit, progress),
                    |c: &Copied| stored_of(&c.sha256),
                )
                .map_err(|e| too_big(e, req))?;
            let stored = stored_of(&copied.sha256);
            record(
                req,
                &copied.sha256,
                copied.size,
                req.source.rel.clone(),
                stored,
            )
        }
        None => {
            let (attachment, left_out) = archive_dir(repo, store, &mut txn, req, progress)?;
            skipped = left_out;
            attachment
        }
    };
    let from_qa = fill_from_qa(&mut attachment, &context);
    let missing_metadata: Vec<&'static str> = req
        .kind
        .required_metadata()
        .iter()
        .copied()
        .filter(|k| {
            attachment
                .metadata
                .as_ref()
                .is_none_or(|m| !m.contains_key(*k))
        })
        .collect();
    let replaced = index.upsert(attachment.clone());
    let previous = replaced.iter().find(|e| e.id == attachment.id).cloned();
    let updated = previous.is_some();
    // Copies no entry names any more (the same content attached under another name) go.
    for old in &replaced {
        let owned = [
            old.stored_path.as_deref(),
            old.compression.as_ref().map(|c| c.index_path.as_str()),
        ];
        for path in owned.into_iter().flatten() {
            if is_own_copy(store, path) && !index.references(path) {
                txn.remove(path)?;
            }
        }
    }
    index.stage(store, &mut txn)?;
    txn.commit()?;
    let attachment = index.get(&attachment.id).cloned().unwrap_or(attachment);
    Ok(Attached {
        attachment,
        updated,
        previous,
        skipped,
        missing_metadata,
        from_qa,
    })
}

/// A directory only as `directory`, and `directory` only for a directory.
fn check_kind(req: &Request) -> Result<()> {
    let given = crate::text::field(&req.source.given);
    match (req.source.is_dir, req.kind == Kind::Directory) {
        (true, true) | (false, false) => Ok(()),
        (true, false) => Err(Error::new(
            ErrorCode::E002,
            format!("{given} is a directory but --type is {}", req.kind.as_str()),
        )
        .with_detail("path", &req.source.given)
        .with_detail("type", req.kind.as_str())
        .with_recovery("Pass --type directory: a directory is attached as a tar.zst archive")),
        (false, true) => Err(Error::new(
            ErrorCode::E002,
            format!("{given} is a file but --type is directory"),
        )
        .with_detail("path", &req.source.given)
        .with_detail("type", req.kind.as_str())
        .with_recovery(
            "Pass the type of the file (file, log, qa_output, summary, diff, screenshot or archive)",
        )),
    }
}

/// Open the resolved file below the repository root, no component followed if it is a link
/// (a directory swapped for a link since `resolve` checked it is refused, not followed), and
/// refuse it when it is over the limit.
fn open_file(repo: &Repo, req: &Request) -> Result<std::fs::File> {
    let rel = req
        .source
        .resolved
        .strip_prefix(&repo.root)
        .map_err(|_| raced(req))?;
    let file = Dir::open(&repo.root)
        .and_then(|root| root.file(rel))
        .map_err(|e| opened(e, req))?;
    let meta = file
        .metadata()
        .map_err(|e| StateError::io(&req.source.resolved, "read", e))?;
    if let Some(limit) = req.kind.limit()
        && meta.len() > limit
    {
        return Err(over_limit(req, meta.len(), limit));
    }
    Ok(file)
}

/// A source that is not what `resolve` checked any more: E002, nothing read.
fn raced(req: &Request) -> Error {
    Error::new(
        ErrorCode::E002,
        format!(
            "{} changed while it was checked (a link appeared on its way, or it is no longer a regular file); nothing was read",
            crate::text::field(&req.source.given)
        ),
    )
    .with_detail("path", &req.source.given)
    .with_recovery("Attach it again once nothing else is changing it")
}

/// An error opening the checked source below the root.
fn opened(e: std::io::Error, req: &Request) -> Error {
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::ENOTDIR) => raced(req),
        None if e.kind() == io::ErrorKind::Other => raced(req),
        _ => StateError::io(&req.source.resolved, "read", e).into(),
    }
}

fn over_limit(req: &Request, size: u64, limit: u64) -> Error {
    let kind = req.kind.as_str();
    Error::new(
        ErrorCode::E010,
        format!(
            "{} is {} ({size} bytes), over the limit of type '{kind}': {} ({limit} bytes)",
            crate::text::field(&req.source.given),
            human_size(size),
            human_size(limit),
        ),
    )
    .with_detail("path", &req.source.given)
    .with_detail("type", kind)
    .with_detail("size", size)
    .with_detail("limit", limit)
    .with_recovery(
        "Attach a smaller file (a log's tail, a cropped screenshot), or a directory as --type directory (no limit)",
    )
}

/// The copy of a file: its hash and size.
struct Copied {
    sha256: String,
    size: u64,
}

/// A file that grew past its limit while it was copied.
#[derive(Debug)]
struct TooBig(u64, u64);

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes, over the limit of {}", self.0, self.1)
    }
}

impl std::error::Error for TooBig {}

/// Stream `file` into `out`, hashing it; stop past `limit`.
fn copy_limited(
    mut file: std::fs::File,
    out: &mut dyn Write,
    limit: Option<u64>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Copied> {
    let mut hasher = Hasher::default();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    let mut reported = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        size += n as u64;
        if let Some(limit) = limit
            && size > limit
        {
            return Err(io::Error::other(TooBig(size, limit)));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        if size - reported >= 1 << 20 {
            reported = size;
            progress(size);
        }
    }
    progress(size);
    Ok(Copied {
        sha256: hasher.hex(),
        size,
    })
}

fn too_big(e: StateError, req: &Request) -> Error {
    if let StateError::Io { source, .. } = &e
        && let Some(TooBig(size, limit)) = source.get_ref().and_then(|r| r.downcast_ref::<TooBig>())
    {
        return over_limit(req, *size, *limit);
    }
    e.into()
}

/// A file name safe in any file system, from the last component of `rel`: letters, digits,
/// `.`, `-`, `_` (others become `_`), no leading dot, at most 80 bytes.
pub fn stored_name(rel: &str) -> String {
    let last = rel.rsplit('/').next().unwrap_or(rel);
    let mut name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    if name.len() > 80 {
        name = name[name.len() - 80..].to_string();
    }
    if name.is_empty() {
        "evidence".into()
    } else {
        name
    }
}

fn record(req: &Request, sha256: &str, size: u64, path: String, stored: String) -> Attachment {
    Attachment {
        id: sha256[..16].to_string(),
        kind: if req.kind == Kind::Directory {
            "archive".into()
        } else {
            req.kind.as_str().into()
        },
        path,
        sha256: sha256.to_string(),
        size: Some(size),
        created_at: req.now.to_string(),
        description: req.description.clone(),
        compression: None,
        metadata: req.metadata.clone(),
        stored_path: Some(stored),
        source_path: None,
        updated_at: None,
        extra: Map::new(),
    }
}

/// Archive a directory into the change being staged: `<name>-<id>.tar.zst` and its listing
/// `<name>-<id>.index.json` under `evidence/archives/`. The repository's `.agent-output/` is
/// left out of it (the tool's state, written while it is read).
fn archive_dir(
    repo: &Repo,
    store: &ContextStore,
    txn: &mut crate::store::txn::Txn,
    req: &Request,
    progress: &mut dyn FnMut(u64),
) -> Result<(Attachment, Vec<(String, String)>)> {
    let dir = &req.source.resolved;
    let prefix = dir
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .unwrap_or("evidence")
        .to_string();
    let name = stored_name(&prefix);
    let (state, git) = (repo.root.join(OUTPUT_DIR), repo.root.join(".git"));
    let skip = |rel: &str| -> Option<String> {
        let path = dir.join(rel);
        if path == state {
            Some("the tool's own state directory".into())
        } else if path == git {
            Some("the repository's git directory".into())
        } else {
            None
        }
    };
    let root = repo
        .relative(dir)
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| ".".into());
    let rel = dir.strip_prefix(&repo.root).map_err(|_| raced(req))?;
    // `<name>-<id>.<ext>`: the archive and its listing, named by the archive's content.
    let archived_of =
        |sha256: &str, ext: &str| store.rel(&format!("{ARCHIVES}/{name}-{}.{ext}", &sha256[..16]));
    let opened_dir = Dir::open(&repo.root)
        .and_then(|r| r.dir(rel))
        .map_err(|e| opened(e, req))?;
    let built = txn
        .put_named(
            |out| {
                archive::write_dir(
                    &opened_dir, dir, &prefix, &root, req.now, out, &skip, progress,
                )
            },
            |b: &archive::Built| archived_of(&b.sha256, "tar.zst"),
        )
        .map_err(|e| match e {
            // A file that changed or vanished while it was archived, or a name the listing
            // cannot hold: the directory is the problem (E002, E040); a full disk or a
            // permission is the system's (E041, as any write).
            StateError::Io { source, .. }
                if source.raw_os_error().is_none()
                    && matches!(
                        source.kind(),
                        io::ErrorKind::NotFound
                            | io::ErrorKind::Other
                            | io::ErrorKind::InvalidData
                            | io::ErrorKind::InvalidInput
                    ) =>
            {
                Error::new(
                if source.kind() == io::ErrorKind::NotFound {
                    ErrorCode::E040
                } else {
                    ErrorCode::E002
                },
                format!(
                    "Could not archive {}: {}",
                    crate::text::field(&req.source.given),
                    crate::text::field(&source.to_string())
                ),
            )
            .with_detail("path", &req.source.given)
            .with_recovery("Nothing was written. Make sure nothing changes the directory while it is archived (and every name in it is UTF-8), then retry")
            }
            e => e.into(),
        })?;
    let stored = archived_of(&built.sha256, "tar.zst");
    let index_path = archived_of(&built.sha256, "index.json");
    let listing = listing_bytes(&built.index)?;
    txn.put(&index_path, &listing)?;
    let mut attachment = record(req, &built.sha256, built.size, stored.clone(), stored);
    attachment.source_path = Some(req.source.rel.clone());
    attachment.compression = Some(Compression {
        format: "tar.zst".into(),
        original_size: built.original_size,
        index_path,
        index_sha256: Some(crate::store::hash::sha256_hex(&listing)),
        extra: Map::new(),
    });
    Ok((attachment, built.skipped))
}

/// An archive's listing as written: 2-space JSON and a newline.
pub fn listing_bytes(index: &ArchiveIndex) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(index)
        .map_err(|e| Error::new(ErrorCode::E999, format!("could not write a listing: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Whether `path` (repo-relative) is a copy this tool keeps for the task.
fn is_own_copy(store: &ContextStore, path: &str) -> bool {
    [ATTACHMENTS, ARCHIVES].iter().any(|dir| {
        path.strip_prefix(&store.rel(dir))
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|name| {
                !name.is_empty() && !name.contains('/') && name != ".." && name != "."
            })
    })
}

/// Fill the QA metadata a `qa_output` or `log` lacks from the task's recorded QA result for the
/// same log (same SHA-256): the baseline's results and each role's latest. Returns the keys
/// filled.
fn fill_from_qa(attachment: &mut Attachment, context: &Context) -> Vec<&'static str> {
    if !matches!(attachment.kind.as_str(), "qa_output" | "log") {
        return Vec::new();
    }
    let baseline = context
        .immutable
        .validation_baseline
        .initial_results
        .as_ref()
        .and_then(|v| serde_json::from_value::<QaResults>(v.clone()).ok())
        .map(|r| r.results)
        .unwrap_or_default();
    let latest = context
        .coordination
        .roles()
        .into_iter()
        .filter_map(|(_, c)| c.qa_results.as_ref())
        .filter_map(|v| serde_json::from_value::<QaResult>(v.clone()).ok());
    let Some(found) = baseline
        .into_iter()
        .chain(latest)
        .find(|r| r.log_sha256.as_deref() == Some(attachment.sha256.as_str()))
    else {
        return Vec::new();
    };
    let metadata = attachment.metadata.get_or_insert_with(Map::new);
    let mut filled = Vec::new();
    let values: [(&'static str, Option<Value>); 3] = [
        ("command", Some(Value::from(found.command.clone()))),
        ("exit_code", found.exit_code.map(Value::from)),
        ("duration_ms", Some(Value::from(found.duration_ms))),
    ];
    for (key, value) in values {
        if let Some(value) = value
            && !metadata.contains_key(key)
        {
            metadata.insert(key.into(), value);
            filled.push(key);
        }
    }
    filled
}

#[cfg(test)]
#[path = "tests/attach.rs"]
mod tests;
