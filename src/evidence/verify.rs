//! `--verify-evidence`: every attachment of a task re-hashed — its stored copy (or, for an entry
//! `tasks.py` wrote, the file its `path` names) against the recorded SHA-256, and every file in
//! an archive against the archive's listing. Records are state and may be hostile: a path that
//! leaves its place is a finding, never read.

use super::archive::{self, ArchiveIndex, MemberFinding};
use super::index::{Attachment, Index};
use super::is_hex;
use crate::context::store::ContextStore;
use crate::repo::Repo;
use serde::Serialize;
use std::io::{self, Read};
use std::path::PathBuf;

/// Listings larger than this are not read (an archive's listing is ~150 bytes per file: this is
/// about 400,000 files).
const MAX_LISTING: u64 = 64 * 1024 * 1024;

/// One attachment that is not what its record says.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The file checked, repo-relative, as the record names it.
    pub path: String,
    /// `missing` or `modified`.
    pub status: &'static str,
    pub reason: String,
    pub expected_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_sha256: Option<String>,
    /// Files inside an archive that differ from its listing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberFinding>,
}

/// The result of checking a task's index.
#[derive(Debug)]
pub struct Checked {
    pub checked: usize,
    pub findings: Vec<Finding>,
}

/// Check every attachment of `index` (the caller holds the task's lock).
pub fn verify(repo: &Repo, store: &ContextStore, index: &Index) -> Checked {
    let findings = index
        .evidence
        .iter()
        .filter_map(|a| check(repo, store, a).err().map(|f| *f))
        .collect();
    Checked {
        checked: index.evidence.len(),
        findings,
    }
}

fn check(repo: &Repo, store: &ContextStore, a: &Attachment) -> Result<(), Box<Finding>> {
    let rel = a.stored_path.as_deref().unwrap_or(&a.path);
    let finding = |status: &'static str, reason: String| {
        Box::new(Finding {
            id: a.id.clone(),
            kind: a.kind.clone(),
            path: rel.to_string(),
            status,
            reason,
            expected_sha256: a.sha256.clone(),
            actual_sha256: None,
            members: Vec::new(),
        })
    };
    if !is_hex(&a.sha256, 64) {
        return Err(finding(
            "modified",
            "its record's sha256 is not a SHA-256 digest".into(),
        ));
    }
    if a.id != a.sha256[..16] {
        return Err(finding(
            "modified",
            "its record's id is not the start of its sha256".into(),
        ));
    }
    let path = locate(repo, store, rel, a.stored_path.is_some())
        .map_err(|(status, why)| finding(status, why))?;
    let actual = hash_file(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => finding("missing", "the file is gone".into()),
        _ => finding("missing", format!("it cannot be read: {e}")),
    })?;
    if actual != a.sha256 {
        let mut f = finding(
            "modified",
            "its content changed since it was attached".into(),
        );
        f.actual_sha256 = Some(actual);
        return Err(f);
    }
    match &a.compression {
        Some(c) if c.format == "tar.zst" => {
            check_archive(repo, store, a, &path, c).map_err(|(status, why, members)| {
                let mut f = finding(status, why);
                f.members = members;
                f
            })
        }
        _ => Ok(()),
    }
}

pub(super) type ArchiveProblem = (&'static str, String, Vec<MemberFinding>);

/// The archive's listing is what was recorded, and the archive's files are what it lists.
fn check_archive(
    repo: &Repo,
    store: &ContextStore,
    a: &Attachment,
    archive_path: &std::path::Path,
    c: &super::Compression,
) -> Result<(), ArchiveProblem> {
    let index_path =
        locate(repo, store, &c.index_path, a.stored_path.is_some()).map_err(|(s, why)| {
            (
                s,
                format!("its listing {}: {why}", c.index_path),
                Vec::new(),
            )
        })?;
    let mut file = open_nofollow(archive_path)
        .map_err(|e| ("missing", format!("it cannot be read: {e}"), Vec::new()))?;
    check_listed(
        &mut file,
        &index_path,
        &c.index_path,
        c.index_sha256.as_deref(),
    )
}

/// The archive read from `archive` holds exactly the files its listing (`listing_path`, shown as
/// `shown`) lists, and the listing is the one recorded (`listing_sha`, when there is one).
pub(super) fn check_listed(
    archive: &mut dyn Read,
    listing_path: &std::path::Path,
    shown: &str,
    listing_sha: Option<&str>,
) -> Result<(), ArchiveProblem> {
    let listing = read_limited(listing_path, MAX_LISTING).map_err(|e| {
        let status = if e.kind() == io::ErrorKind::NotFound {
            "missing"
        } else {
            "modified"
        };
        (
            status,
            format!("its listing {shown} cannot be read: {e}"),
            Vec::new(),
        )
    })?;
    if let Some(expected) = listing_sha
        && crate::store::hash::sha256_hex(&listing) != *expected
    {
        return Err((
            "modified",
            format!("its listing {shown} was edited"),
            Vec::new(),
        ));
    }
    let index: ArchiveIndex = serde_json::from_slice(&listing).map_err(|e| {
        (
            "modified",
            format!("its listing {shown} is not a listing: {e}"),
            Vec::new(),
        )
    })?;
    let mut reader = io::BufReader::new(archive);
    let members = archive::check(&mut reader, &index)
        .map_err(|e| ("modified", format!("it cannot be decoded: {e}"), Vec::new()))?;
    if members.is_empty() {
        Ok(())
    } else {
        Err((
            "modified",
            format!("{} file(s) inside differ from its listing", members.len()),
            members,
        ))
    }
}

/// The file a record names: a clean repo-relative path; a stored copy (`own`) inside the task's
/// directory, any other inside the repository; no link on the way out of it.
pub(super) fn locate(
    repo: &Repo,
    store: &ContextStore,
    rel: &str,
    own: bool,
) -> Result<PathBuf, (&'static str, String)> {
    let hostile = |why: String| ("modified", why);
    crate::store::paths::check_relative(rel)
        .map_err(|why| hostile(format!("its record names {rel:?}, {why}: not read")))?;
    let within = if own {
        store.dir.clone()
    } else {
        repo.root.clone()
    };
    if own
        && !rel
            .strip_prefix(store.rel_dir.as_str())
            .is_some_and(|r| r.starts_with('/'))
    {
        return Err(hostile(format!(
            "its record names {rel:?}, outside {}: not read",
            store.rel_dir
        )));
    }
    let path = repo.root.join(rel);
    let parent = path.parent().unwrap_or(&repo.root);
    match parent.canonicalize() {
        Ok(resolved) if !resolved.starts_with(&within) => Err(hostile(format!(
            "its record names {rel:?}, which a link leads out of {}: not read",
            within.display()
        ))),
        Ok(_) => Ok(path),
        Err(_) => Err(("missing", "the file is gone".into())),
    }
}

pub(super) fn open_nofollow(path: &std::path::Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(io::Error::other("not a regular file"))
    }
}

/// SHA-256 of a file (never through a link), streamed.
pub(super) fn hash_file(path: &std::path::Path) -> io::Result<String> {
    crate::store::hash::sha256_reader(&mut open_nofollow(path)?)
}

fn read_limited(path: &std::path::Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_nofollow(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other("too large for a listing"));
    }
    Ok(bytes)
}
