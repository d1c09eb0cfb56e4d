//! Deterministic `tar.zst` archives of a directory, their check against a listing, and a safe
//! extraction.
//!
//! Archiving the same directory twice, on any machine, gives the same bytes: nothing of the
//! machine goes into the archive (no mtime, owner, umask-dependent mode or readdir order).
//!
//! * Members, in this order: the top directory `<prefix>/`, then every directory (`<prefix>/a/`),
//!   regular file and symbolic link under it, sorted by their `/`-joined path relative to the
//!   archived directory, compared bytewise (so `a` < `a-b` < `a/b`: a directory's entry comes
//!   before its contents, as its path is a prefix of theirs).
//! * Headers: GNU (`Header::new_gnu`), mtime 0, uid/gid 0, user and group names empty, mode
//!   0o755 for directories and for files with any execute bit, 0o644 for other files, 0o777 for
//!   links. Names of 100 bytes or more are written as a GNU `././@LongLink` entry (type `L`)
//!   before the member, link targets of 100 bytes or more likewise (type `K`); these extra
//!   headers carry fixed metadata too (mode 0o644, mtime 0, uid/gid 0). Names and targets are
//!   written as their bytes, never rewritten.
//! * zstd at level 3, one thread, with the content checksum.
//!
//! Everything is streamed: files are read in bounded buffers while being hashed, compressed and
//! written; the archive's own hash and size are taken from the bytes as they are written.

use crate::store::beneath::{Dir, Kind};
use crate::store::hash::Hasher;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The zstd level archives are written with (part of what makes them reproducible).
const ZSTD_LEVEL: i32 = 3;
/// The buffer files are read and written through.
const BUFFER: usize = 128 * 1024;
/// How many file bytes between two progress reports.
const PROGRESS_STEP: u64 = 1 << 20;
/// The size of a tar header's name and link name fields.
const NAME_FIELD: usize = 100;

/// One regular file in an archive's index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IndexedFile {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// A symbolic link stored in an archive (its target as written, never followed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IndexedLink {
    pub path: String,
    pub target: String,
}

/// The listing written beside an archive as `<name>.index.json` (the layout tasks.py wrote:
/// `{created_at, files: [{path, sha256, size}], root}`, plus `links` additive). Paths are
/// relative to the archived directory, '/'-separated, sorted bytewise. Unknown keys are kept.
/// Keys are written in sorted order, as tasks.py wrote them.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArchiveIndex {
    pub created_at: String,
    pub files: Vec<IndexedFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<IndexedLink>,
    /// The archived directory, repo-relative (given by the caller).
    pub root: String,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What `write` produced.
pub struct Built {
    /// SHA-256 of the archive bytes written to `out`.
    pub sha256: String,
    /// Archive bytes written.
    pub size: u64,
    /// The sum of the regular files' sizes.
    pub original_size: u64,
    pub index: ArchiveIndex,
    /// Entries left out, relative to the archived directory ('/'-separated), with why; sorted.
    pub skipped: Vec<(String, String)>,
}

/// Archive `dir` as `<prefix>/…` (prefix = the directory's own name, a single path component)
/// into `out` as tar.zst (see the module's documentation for the exact layout). `root` and
/// `created_at` go into the index verbatim. `skip` is called with each entry's path relative to
/// `dir` (before descending into a directory); returning `Some(reason)` leaves that entry (and
/// everything under it) out and records it in `skipped`. FIFOs, sockets and devices are left
/// out (never opened) and recorded. `progress` is called with the number of file bytes read so
/// far, about every MiB, and once at the end.
///
/// Symbolic links are stored as links, never followed; a name that is not UTF-8 is refused
/// (`InvalidData`); a file that changes while it is read fails the whole archive (`Other`,
/// "<path> changed while it was being archived"). On error, what was written to `out` is not
/// a usable archive.
pub fn write(
    dir: &Path,
    prefix: &str,
    root: &str,
    created_at: &str,
    out: &mut dyn Write,
    skip: &dyn Fn(&str) -> Option<String>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Built> {
    check_prefix(prefix)?;
    let meta = fs::symlink_metadata(dir).map_err(|e| at(dir, e))?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is not a directory (links are not followed)",
                dir.display()
            ),
        ));
    }
    let opened = Dir::open(dir).map_err(|e| at(dir, e))?;
    write_dir(&opened, dir, prefix, root, created_at, out, skip, progress)
}

/// [`write`] of a directory already opened (below a root, never through a link: see
/// `store::beneath`); `shown` names it in messages. Everything below it is opened relative to
/// it, component by component, without following a link: a directory swapped for a link while
/// it is archived stops the archive, it is never followed.
#[allow(clippy::too_many_arguments)]
pub fn write_dir(
    dir: &Dir,
    shown: &Path,
    prefix: &str,
    root: &str,
    created_at: &str,
    out: &mut dyn Write,
    skip: &dyn Fn(&str) -> Option<String>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Built> {
    check_prefix(prefix)?;
    let (entries, skipped) = walk(dir, shown, skip)?;

    let mut sink = HashingWriter {
        inner: out,
        hasher: Hasher::default(),
        count: 0,
    };
    let mut encoder = zstd::stream::write::Encoder::new(&mut sink, ZSTD_LEVEL)?;
    encoder.include_checksum(true)?;
    let mut tar = tar::Builder::new(encoder);
    let mut reporter = Progress {
        callback: progress,
        total: 0,
        next: PROGRESS_STEP,
        reported: None,
    };

    append_member(
        &mut tar,
        header(tar::EntryType::Directory, 0o755, 0),
        format!("{prefix}/").as_bytes(),
        None,
        io::empty(),
    )?;
    let mut files = Vec::new();
    let mut links = Vec::new();
    let mut original_size = 0u64;
    for entry in &entries {
        let name = format!("{prefix}/{}", entry.path);
        match &entry.kind {
            Walked::Dir => append_member(
                &mut tar,
                header(tar::EntryType::Directory, 0o755, 0),
                format!("{name}/").as_bytes(),
                None,
                io::empty(),
            )?,
            Walked::File => {
                let file = archive_file(&mut tar, dir, shown, &entry.path, &name, &mut reporter)?;
                original_size += file.size;
                files.push(file);
            }
            Walked::Link(target) => {
                append_member(
                    &mut tar,
                    header(tar::EntryType::Symlink, 0o777, 0),
                    name.as_bytes(),
                    Some(target.as_bytes()),
                    io::empty(),
                )?;
                links.push(IndexedLink {
                    path: entry.path.clone(),
                    target: target.clone(),
                });
            }
        }
    }
    reporter.finish();
    let encoder = tar.into_inner()?;
    encoder.finish()?;
    sink.inner.flush()?;

    Ok(Built {
        sha256: sink.hasher.hex(),
        size: sink.count,
        original_size,
        index: ArchiveIndex {
            created_at: created_at.to_string(),
            root: root.to_string(),
            files,
            links,
            extra: serde_json::Map::new(),
        },
        skipped,
    })
}

/// A zstd decoder over `r` (the archive's compressed bytes).
pub fn decoder<R: Read>(r: R) -> io::Result<impl Read> {
    zstd::stream::read::Decoder::new(r)
}

fn check_prefix(prefix: &str) -> io::Result<()> {
    if prefix.is_empty()
        || prefix == "."
        || prefix == ".."
        || prefix.contains('/')
        || prefix.contains('\0')
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{prefix:?} is not a single path component"),
        ));
    }
    Ok(())
}

/// An io error naming the path it happened on.
fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn changed(rel: &str) -> io::Error {
    io::Error::other(format!("{rel} changed while it was being archived"))
}

fn not_utf8(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} is not valid UTF-8 and cannot be listed in an archive's index",
            path.display()
        ),
    )
}

enum Walked {
    Dir,
    File,
    Link(String),
}

struct WalkEntry {
    /// Relative to the archived directory, '/'-separated.
    path: String,
    kind: Walked,
}

/// Every directory, regular file and link under `dir` (links not followed), sorted by path
/// bytes; and what was left out, sorted. Each directory is opened below `dir` without following
/// a link, so one swapped for a link during the walk fails it.
#[allow(clippy::type_complexity)]
fn walk(
    dir: &Dir,
    shown: &Path,
    skip: &dyn Fn(&str) -> Option<String>,
) -> io::Result<(Vec<WalkEntry>, Vec<(String, String)>)> {
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(rel_dir) = pending.pop() {
        let fs_dir = shown.join(&rel_dir);
        let opened = dir
            .dir(Path::new(&rel_dir))
            .map_err(|e| link_or(e, &rel_dir, &fs_dir))?;
        for os_name in opened.entries().map_err(|e| at(&fs_dir, e))? {
            let path = fs_dir.join(&os_name);
            let name = os_name.to_str().ok_or_else(|| not_utf8(&path))?;
            let rel = if rel_dir.is_empty() {
                name.to_string()
            } else {
                format!("{rel_dir}/{name}")
            };
            if let Some(reason) = skip(&rel) {
                skipped.push((rel, reason));
                continue;
            }
            let why = match opened.kind(&os_name).map_err(|e| at(&path, e))? {
                Kind::Link => {
                    let target = opened.read_link(&os_name).map_err(|e| at(&path, e))?;
                    let target = target.to_str().ok_or_else(|| not_utf8(&path))?.to_string();
                    entries.push(WalkEntry {
                        path: rel,
                        kind: Walked::Link(target),
                    });
                    continue;
                }
                Kind::Dir => {
                    pending.push(rel.clone());
                    entries.push(WalkEntry {
                        path: rel,
                        kind: Walked::Dir,
                    });
                    continue;
                }
                Kind::File => {
                    entries.push(WalkEntry {
                        path: rel,
                        kind: Walked::File,
                    });
                    continue;
                }
                Kind::Fifo => "a FIFO",
                Kind::Socket => "a socket",
                Kind::Device => "a device",
                Kind::Other => "not a regular file, directory or link",
            };
            skipped.push((rel, why.to_string()));
        }
    }
    entries.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    skipped.sort();
    Ok((entries, skipped))
}

/// An error opening `rel` below the archived directory: a link where a directory or file was
/// (ELOOP, ENOTDIR) means it changed while it was archived.
fn link_or(e: io::Error, rel: &str, path: &Path) -> io::Error {
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::ENOTDIR) => changed(if rel.is_empty() { "." } else { rel }),
        _ => at(path, e),
    }
}

/// A header with the fixed metadata of every member.
fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_size(size);
    header
}

/// Write `name` (and a link's `target`) into `header` as bytes, through GNU long-name entries
/// when they do not fit, then the member and its data.
fn append_member<W: Write>(
    tar: &mut tar::Builder<W>,
    mut header: tar::Header,
    name: &[u8],
    target: Option<&[u8]>,
    data: impl Read,
) -> io::Result<()> {
    if name.len() < NAME_FIELD {
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
    } else {
        append_long(tar, tar::EntryType::GNULongName, name)?;
        header.as_old_mut().name[..NAME_FIELD - 1].copy_from_slice(&name[..NAME_FIELD - 1]);
    }
    if let Some(target) = target {
        if target.len() < NAME_FIELD {
            header.as_old_mut().linkname[..target.len()].copy_from_slice(target);
        } else {
            append_long(tar, tar::EntryType::GNULongLink, target)?;
            header.as_old_mut().linkname[..NAME_FIELD - 1]
                .copy_from_slice(&target[..NAME_FIELD - 1]);
        }
    }
    header.set_cksum();
    tar.append(&header, data)
}

/// A GNU `././@LongLink` entry carrying `value` (NUL-terminated) for the next member.
fn append_long<W: Write>(
    tar: &mut tar::Builder<W>,
    kind: tar::EntryType,
    value: &[u8],
) -> io::Result<()> {
    let mut long = header(kind, 0o644, value.len() as u64 + 1);
    let tag = b"././@LongLink";
    long.as_old_mut().name[..tag.len()].copy_from_slice(tag);
    long.set_cksum();
    tar.append(&long, value.chain(&[0u8][..]))
}

/// Stream one regular file into the archive; its index entry.
fn archive_file<W: Write>(
    tar: &mut tar::Builder<W>,
    dir: &Dir,
    shown: &Path,
    rel: &str,
    name: &str,
    progress: &mut Progress<'_>,
) -> io::Result<IndexedFile> {
    let path = shown.join(rel);
    // Opened below the archived directory, no component followed if it is a link (one swapped
    // in since the walk is refused), non-blocking (a FIFO swapped in does not block the open),
    // and checked to be a regular file.
    let file = dir.file(Path::new(rel)).map_err(|e| {
        if e.kind() == io::ErrorKind::Other && e.raw_os_error().is_none() {
            changed(rel)
        } else {
            link_or(e, rel, &path)
        }
    })?;
    let meta = file.metadata().map_err(|e| at(&path, e))?;
    if !meta.file_type().is_file() {
        return Err(changed(rel));
    }
    let size = meta.len();
    let mode = if meta.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    };
    let mut reader = ExactReader {
        inner: BufReader::with_capacity(BUFFER, file),
        remaining: size,
        rel,
        hasher: Hasher::default(),
        progress,
    };
    append_member(
        tar,
        header(tar::EntryType::Regular, mode, size),
        name.as_bytes(),
        None,
        &mut reader,
    )?;
    if reader.remaining != 0 {
        return Err(changed(rel));
    }
    Ok(IndexedFile {
        path: rel.to_string(),
        size,
        sha256: reader.hasher.hex(),
    })
}

/// Reports the bytes read so far about every `PROGRESS_STEP`.
struct Progress<'a> {
    callback: &'a mut dyn FnMut(u64),
    total: u64,
    next: u64,
    reported: Option<u64>,
}

impl Progress<'_> {
    fn add(&mut self, n: u64) {
        self.total += n;
        if self.total >= self.next {
            (self.callback)(self.total);
            self.reported = Some(self.total);
            self.next = (self.total / PROGRESS_STEP + 1) * PROGRESS_STEP;
        }
    }

    fn finish(&mut self) {
        if self.reported != Some(self.total) {
            (self.callback)(self.total);
            self.reported = Some(self.total);
        }
    }
}

/// Yields exactly `remaining` bytes of a file (the size written in its header), hashing and
/// counting them; a file that ends early or goes on is an error (it changed while read).
struct ExactReader<'a, 'p, R> {
    inner: R,
    remaining: u64,
    rel: &'a str,
    hasher: Hasher,
    progress: &'a mut Progress<'p>,
}

impl<R: Read> Read for ExactReader<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            // The end as the header says: the file must end here too.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(changed(self.rel)),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(changed(self.rel));
        }
        self.remaining -= n as u64;
        self.hasher.update(&buf[..n]);
        self.progress.add(n as u64);
        Ok(n)
    }
}

/// Passes bytes to `inner`, hashing and counting those it accepted.
struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    hasher: Hasher,
    count: u64,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The reader an archive is decoded from: remembers whether it failed itself, so that its own
/// errors are told apart from an archive that cannot be decoded.
struct Source<R> {
    inner: R,
    failed: Rc<Cell<bool>>,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed.set(true);
            }
        })
    }
}

/// Open the tar stream inside a compressed archive; the flag says whether the source failed.
fn open_tar<R: Read>(r: R) -> io::Result<(tar::Archive<impl Read>, Rc<Cell<bool>>)> {
    let failed = Rc::new(Cell::new(false));
    let source = Source {
        inner: r,
        failed: failed.clone(),
    };
    let decoder = decoder(source).map_err(|e| undecodable(e, &failed))?;
    Ok((tar::Archive::new(decoder), failed))
}

/// An error met while reading an archive: the source's own as it is, anything else means the
/// archive cannot be decoded (`InvalidData`).
fn undecodable(e: io::Error, failed: &Cell<bool>) -> io::Error {
    if failed.get() {
        e
    } else {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the archive cannot be decoded: {e}"),
        )
    }
}

/// Read what follows the tar's end so that zstd checks the frame to its end (checksum).
fn drain(archive: tar::Archive<impl Read>, failed: &Cell<bool>) -> io::Result<()> {
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| undecodable(e, failed))?;
    Ok(())
}

/// One problem found when an archive is checked against its index.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MemberFinding {
    pub path: String,
    /// "missing" | "modified" | "unexpected"
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_sha256: Option<String>,
}

/// Decompress `archive` (streamed) and compare every regular file in it with `index`: a file
/// of the index absent from the archive → missing; different content → modified
/// (expected/actual sha); a regular file in the archive that the index does not list →
/// unexpected. Member paths are taken relative to the archive's top directory (its first
/// component is stripped). Links and directories are not compared. Findings are sorted by
/// path. An archive that cannot be decoded → io error (kind InvalidData).
pub fn check(archive: &mut dyn Read, index: &ArchiveIndex) -> io::Result<Vec<MemberFinding>> {
    let mut expected: HashMap<&str, &IndexedFile> = HashMap::new();
    let mut findings = Vec::new();
    for file in &index.files {
        // A listing names each file once: a second entry is not one this tool wrote.
        if expected.insert(file.path.as_str(), file).is_some() {
            findings.push(MemberFinding {
                path: file.path.clone(),
                status: "unexpected",
                expected_sha256: Some(file.sha256.clone()),
                actual_sha256: None,
            });
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    // Every member lies under one top directory (the archived directory's name).
    let mut top: Option<Vec<u8>> = None;
    let (mut tar, failed) = open_tar(archive)?;
    let mut buf = vec![0u8; BUFFER];
    for entry in tar.entries().map_err(|e| undecodable(e, &failed))? {
        let mut entry = entry.map_err(|e| undecodable(e, &failed))?;
        let raw = entry.path_bytes().into_owned();
        let first = raw
            .split(|&b| b == b'/')
            .find(|p| !p.is_empty() && *p != b".")
            .unwrap_or_default()
            .to_vec();
        let other_top = top.get_or_insert_with(|| first.clone()) != &first;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            if other_top {
                findings.push(MemberFinding {
                    path: String::from_utf8_lossy(&raw).into_owned(),
                    status: "unexpected",
                    expected_sha256: None,
                    actual_sha256: None,
                });
            }
            continue;
        }
        let mut hasher = Hasher::default();
        loop {
            let n = entry.read(&mut buf).map_err(|e| undecodable(e, &failed))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = hasher.hex();
        // A name that is not UTF-8 cannot be one a listing holds; one under another top
        // directory, or seen twice, is not the listed file either.
        let listed = match (other_top, member_relative(&raw)) {
            (false, Some(path)) if !seen.contains(&path) => {
                expected.get(path.as_str()).map(|f| (path, *f))
            }
            _ => None,
        };
        match listed {
            Some((path, file)) => {
                if file.sha256 != actual {
                    findings.push(MemberFinding {
                        path: path.clone(),
                        status: "modified",
                        expected_sha256: Some(file.sha256.clone()),
                        actual_sha256: Some(actual),
                    });
                }
                seen.insert(path);
            }
            None => findings.push(MemberFinding {
                // Relative to the top directory, as listed paths are; whole when it is under
                // another top directory or not UTF-8.
                path: member_relative(&raw)
                    .filter(|_| !other_top)
                    .unwrap_or_else(|| String::from_utf8_lossy(&raw).into_owned()),
                status: "unexpected",
                expected_sha256: None,
                actual_sha256: Some(actual),
            }),
        }
    }
    drain(tar, &failed)?;
    for file in &index.files {
        if !seen.contains(&file.path) && expected.contains_key(file.path.as_str()) {
            seen.insert(file.path.clone());
            findings.push(MemberFinding {
                path: file.path.clone(),
                status: "missing",
                expected_sha256: Some(file.sha256.clone()),
                actual_sha256: None,
            });
        }
    }
    findings.sort_by(|a, b| (&a.path, a.status).cmp(&(&b.path, b.status)));
    Ok(findings)
}

/// A member's path relative to the archive's top directory (leading `./` and the first
/// component stripped; a member at the top level keeps its name); `None` when it is not UTF-8.
fn member_relative(raw: &[u8]) -> Option<String> {
    let parts: Vec<&[u8]> = raw
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .collect();
    let rest = if parts.len() > 1 {
        &parts[1..]
    } else {
        &parts[..]
    };
    String::from_utf8(rest.join(&b'/')).ok()
}

/// `(path, reason)` pairs as `{"path", "reason"}` objects.
fn path_and_reason<S: serde::Serializer>(
    pairs: &[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        pairs
            .iter()
            .map(|(path, reason)| serde_json::json!({"path": path, "reason": reason})),
    )
}

/// What extraction did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Extracted {
    pub files: u64,
    pub directories: u64,
    pub links: u64,
    pub bytes: u64,
    /// Top-level names created in the destination.
    pub created: Vec<String>,
    /// Entries not restored and why (a link pointing out of the destination, a hard link, a
    /// device…).
    #[serde(serialize_with = "path_and_reason")]
    #[schemars(with = "Vec<Skipped>")]
    pub skipped: Vec<(String, String)>,
}

/// An entry not restored, and why.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct Skipped {
    path: String,
    reason: String,
}

#[derive(Debug)]
pub enum ExtractError {
    /// A member whose path is absolute, has a `..` component, is empty, or would be written
    /// through a link: the archive is hostile; nothing was written.
    Hostile {
        member: String,
        why: String,
    },
    /// A top-level name that already exists in the destination; nothing was written.
    Exists(PathBuf),
    Io(io::Error),
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::Hostile { member, why } => {
                write!(
                    f,
                    "the archive is unsafe to extract: member {member:?} {why}"
                )
            }
            ExtractError::Exists(path) => write!(f, "{} already exists", path.display()),
            ExtractError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ExtractError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExtractError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ExtractError {
    fn from(e: io::Error) -> Self {
        ExtractError::Io(e)
    }
}

/// What a member of an archive is, as far as extraction goes.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    File {
        exec: bool,
    },
    Dir,
    Link {
        target: Vec<u8>,
    },
    /// Not restored, with why.
    Other(String),
    /// Not a member (a pax global header).
    Ignore,
}

#[derive(Debug, Clone, PartialEq)]
struct Member {
    /// Normalized: relative, '/'-separated, no empty, `.` or `..` component.
    path: Vec<u8>,
    plan: Plan,
}

/// What the first pass decided.
struct Scan {
    members: Vec<Member>,
    /// Indexes of the links that are not restored.
    skipped_links: HashSet<usize>,
    skipped: Vec<(String, String)>,
    /// Top-level names to create, in the order first met.
    tops: Vec<Vec<u8>>,
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn hostile(member: &[u8], why: impl Into<String>) -> ExtractError {
    ExtractError::Hostile {
        member: lossy(member),
        why: why.into(),
    }
}

/// A member's path made relative and '/'-joined, or why it is hostile.
fn normalize(raw: &[u8]) -> Result<Vec<u8>, &'static str> {
    if raw.contains(&0) {
        return Err("has a NUL byte in its path");
    }
    if raw.starts_with(b"/") {
        return Err("has an absolute path");
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err("has a '..' component"),
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err("has an empty path");
    }
    Ok(parts.join(&b'/'))
}

fn classify<R: Read>(entry: &tar::Entry<'_, R>) -> Result<Member, ExtractError> {
    let kind = entry.header().entry_type();
    if kind == tar::EntryType::XGlobalHeader {
        return Ok(Member {
            path: Vec::new(),
            plan: Plan::Ignore,
        });
    }
    let raw = entry.path_bytes();
    let path = normalize(&raw).map_err(|why| hostile(&raw, why))?;
    let plan = match kind {
        tar::EntryType::Regular | tar::EntryType::Continuous => Plan::File {
            exec: entry.header().mode().unwrap_or(0o644) & 0o111 != 0,
        },
        tar::EntryType::Directory => Plan::Dir,
        tar::EntryType::Symlink => Plan::Link {
            target: entry
                .link_name_bytes()
                .map(|t| t.into_owned())
                .unwrap_or_default(),
        },
        tar::EntryType::Link => Plan::Other("a hard link".into()),
        tar::EntryType::Char | tar::EntryType::Block => Plan::Other("a device".into()),
        tar::EntryType::Fifo => Plan::Other("a FIFO".into()),
        tar::EntryType::GNUSparse => Plan::Other("a GNU sparse file".into()),
        other => Plan::Other(format!(
            "an entry of unsupported type {:?}",
            other.as_byte() as char
        )),
    };
    Ok(Member { path, plan })
}

/// Whether a link at `path` pointing at `target` can be restored: the target, resolved
/// lexically from the link's directory, must stay inside the link's top directory. A `..` after
/// a name is refused: resolving it lexically is only right when that name is not itself a link.
fn link_allowed(path: &[u8], target: &[u8]) -> Result<(), String> {
    let depth = path.split(|&b| b == b'/').count() - 1;
    if depth == 0 {
        return Err(
            "a link at the top level (it would point out of the extracted directory)".into(),
        );
    }
    if target.is_empty() || target.contains(&0) {
        return Err("a link with an empty or invalid target".into());
    }
    if target.starts_with(b"/") {
        return Err("a link pointing out of the extracted directory (absolute target)".into());
    }
    let mut depth = depth;
    let mut named = false;
    for part in target.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." if named => {
                return Err(
                    "a link whose target has '..' after a name (it cannot be checked without following links)"
                        .into(),
                );
            }
            b".." => {
                depth -= 1;
                if depth == 0 {
                    return Err("a link pointing out of the extracted directory".into());
                }
            }
            _ => named = true,
        }
    }
    Ok(())
}

/// The first pass: every member's path and type checked, nothing written.
/// The first step of [`extract`] alone: every member checked (`Hostile` for one that would
/// leave the destination), nothing written.
/// Returns the top-level names it would create.
pub fn validate(open: &dyn Fn() -> io::Result<Box<dyn Read>>) -> Result<Vec<String>, ExtractError> {
    scan(open).map(|plan| plan.tops.iter().map(|t| lossy(t)).collect())
}

fn scan(open: &dyn Fn() -> io::Result<Box<dyn Read>>) -> Result<Scan, ExtractError> {
    let (mut tar, failed) = open_tar(open()?)?;
    let mut members = Vec::new();
    for entry in tar.entries().map_err(|e| undecodable(e, &failed))? {
        let entry = entry.map_err(|e| undecodable(e, &failed))?;
        members.push(classify(&entry)?);
    }
    drain(tar, &failed)?;

    let mut by_path: HashMap<&[u8], &Plan> = HashMap::new();
    for member in members.iter().filter(|m| m.plan != Plan::Ignore) {
        if let Some(previous) = by_path.insert(&member.path, &member.plan)
            && !(*previous == Plan::Dir && member.plan == Plan::Dir)
        {
            return Err(hostile(
                &member.path,
                "appears more than once in the archive",
            ));
        }
    }
    for member in members.iter().filter(|m| m.plan != Plan::Ignore) {
        let ends = member.path.iter().enumerate().filter(|(_, b)| **b == b'/');
        for (end, _) in ends {
            let ancestor = &member.path[..end];
            match by_path.get(ancestor) {
                None | Some(Plan::Dir) => {}
                Some(Plan::Link { .. }) => {
                    return Err(hostile(
                        &member.path,
                        format!("would be written through the link {:?}", lossy(ancestor)),
                    ));
                }
                Some(_) => {
                    return Err(hostile(
                        &member.path,
                        format!("is under {:?}, which is not a directory", lossy(ancestor)),
                    ));
                }
            }
        }
    }

    let mut skipped_links = HashSet::new();
    let mut skipped = Vec::new();
    let mut tops: Vec<Vec<u8>> = Vec::new();
    for (i, member) in members.iter().enumerate() {
        let created = match &member.plan {
            Plan::File { .. } | Plan::Dir => true,
            Plan::Link { target } => match link_allowed(&member.path, target) {
                Ok(()) => true,
                Err(why) => {
                    skipped_links.insert(i);
                    skipped.push((lossy(&member.path), why));
                    false
                }
            },
            Plan::Other(why) => {
                skipped.push((lossy(&member.path), why.clone()));
                false
            }
            Plan::Ignore => false,
        };
        if created {
            let top = member.path.split(|&b| b == b'/').next().unwrap_or_default();
            if !tops.iter().any(|t| t == top) {
                tops.push(top.to_vec());
            }
        }
    }
    Ok(Scan {
        members,
        skipped_links,
        skipped,
        tops,
    })
}

/// Restore an archive into `to` (created if missing; may exist and hold other things), safe
/// against hostile archives:
///
/// 1. a first pass validates every member (path relative, no `..`, not empty, no NUL; no
///    member under a link, a file or anything else that is not a directory; no path twice
///    unless both are directories) → `Hostile`, nothing written; top-level names that exist in
///    `to` → `Exists`, nothing written.
/// 2. a second pass (`open` reopens the archive; it must give the same members) extracts into
///    a fresh `to/.tasks-extract-*` directory: directories (0o755) and files (0o755 if any
///    execute bit, else 0o644; both subject to the umask) created new, never through a link;
///    links last. A link is restored only when its target, resolved lexically from the link's
///    directory, stays inside its top directory (no absolute target, no `..` after a name, not
///    at the top level); others are skipped and recorded, as are hard links, devices, FIFOs
///    and sparse files. A member under a link (restored or not) is refused as hostile.
/// 3. the directory is renamed `to/.tasks-extracted-*` (everything is unpacked), then each
///    top-level entry is renamed into `to`, never replacing anything (an existing one → the
///    moved ones are taken back and `Exists`).
///
/// On any error `to` is left as it was (and removed if this call created it). Before step 1's
/// check of the names, what extractions killed midway left in `to` is dealt with
/// ([`sweep_abandoned`]): removed before step 3, finished from it on.
pub fn extract(
    open: &dyn Fn() -> io::Result<Box<dyn Read>>,
    to: &Path,
) -> Result<Extracted, ExtractError> {
    extract_into(open, to, &Destination::Path)
}

/// How an extraction's destination is reached.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// Anywhere: the deepest existing directory of `to` is found by its path (links on the way
    /// followed: the user's own path), then the missing rest is created below it.
    Path,
    /// Inside the repository `root`: `rel` is opened from `root` one component at a time, never
    /// following a link, a missing one created in the one above it (the state-directory rule,
    /// with nothing left for a swap to redirect).
    Beneath { root: &'a Path, rel: &'a str },
}

/// [`extract`] into a destination reached as `from` says (`to` is how it is named in messages).
pub fn extract_into(
    open: &dyn Fn() -> io::Result<Box<dyn Read>>,
    to: &Path,
    from: &Destination,
) -> Result<Extracted, ExtractError> {
    let plan = scan(open)?;
    // From here on the destination is the directory opened now, not whatever its name may
    // lead to later (a parent swapped for a link mid-extraction redirects nothing).
    let (handle, created) = open_destination(to, from).map_err(|e| at(to, e))?;
    // Removed again unless the extraction succeeds (a panic unwinding through here too).
    let mut created = Created(created);
    let anchored = handle.anchored_path();
    let base = anchored.as_deref().unwrap_or(to);
    // An extraction into `to` killed midway is finished first (or removed, when it had not
    // finished unpacking): the names it moved in count as existing once it is.
    sweep_abandoned(&handle, base);
    for top in &plan.tops {
        if handle.kind(OsStr::from_bytes(top)).is_ok() {
            return Err(ExtractError::Exists(to.join(OsStr::from_bytes(top))));
        }
    }
    // Messages name `to`, not the path through the opened directory.
    let shown = |path: PathBuf| {
        path.strip_prefix(base)
            .map(|rest| to.join(rest))
            .unwrap_or(path)
    };
    let result = unpack(open, base, plan).map_err(|e| match e {
        ExtractError::Exists(path) => ExtractError::Exists(shown(path)),
        ExtractError::Io(e) => ExtractError::Io(io::Error::new(
            e.kind(),
            e.to_string()
                .replace(&base.display().to_string(), &to.display().to_string()),
        )),
        e => e,
    });
    if result.is_ok() {
        created.0.clear();
    }
    result
}

/// The directories an extraction created for its destination (each as the directory it is in,
/// and its name), removed when this is dropped (emptied once the extraction succeeded).
struct Created(Vec<(Dir, OsString)>);

impl Drop for Created {
    fn drop(&mut self) {
        for (parent, name) in self.0.iter().rev() {
            let _ = parent.rmdir(name);
        }
    }
}

/// Open the destination of an extraction, creating what is missing (mode 0o755 less the
/// umask): the directory, and the directories created (each as the directory it is in, and its
/// name), outermost first.
fn open_destination(to: &Path, from: &Destination) -> io::Result<(Dir, Vec<(Dir, OsString)>)> {
    let (mut dir, rest): (Dir, Vec<OsString>) = match from {
        Destination::Beneath { root, rel } => (
            Dir::open(root)?,
            rel.split('/')
                .filter(|p| !p.is_empty())
                .map(OsString::from)
                .collect(),
        ),
        Destination::Path => {
            let mut existing = to;
            let mut rest = Vec::new();
            loop {
                match fs::symlink_metadata(existing) {
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        let (Some(name), Some(parent)) = (existing.file_name(), existing.parent())
                        else {
                            return Err(e);
                        };
                        rest.push(name.to_os_string());
                        existing = parent;
                    }
                    Err(e) => return Err(e),
                }
            }
            rest.reverse();
            (Dir::open(&fs::canonicalize(existing)?)?, rest)
        }
    };
    let mut created = Vec::new();
    for name in rest {
        let (below, made) = dir.dir_or_create(&name, 0o755)?;
        if made {
            created.push((dir, name));
        }
        dir = below;
    }
    Ok((dir, created))
}

/// The name of an extraction's temporary directory in `to`: this prefix, the process id, `-`
/// and a random part.
const EXTRACTING: &str = ".tasks-extract-";

/// The same directory once everything is unpacked in it (renamed, keeping the process id and the
/// random part): only the moves of its top-level entries into `to` remain, and an extraction
/// killed from then on is finished by the next one into `to` instead of being undone.
const UNPACKED: &str = ".tasks-extracted-";

/// The process id in `name` when it is exactly `<prefix><digits>-<6 letters or digits>`.
fn extraction_pid(name: &OsStr, prefix: &str) -> Option<libc::pid_t> {
    name.to_str()
        .and_then(|n| n.strip_prefix(prefix))
        .and_then(|rest| rest.split_once('-'))
        .filter(|(pid, random)| {
            !pid.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
                && random.len() == 6
                && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        .and_then(|(pid, _)| pid.parse::<libc::pid_t>().ok())
}

/// Deal with what extractions killed midway left in `to` (opened as `handle`, named `base`):
/// directories of processes that no longer run, only names of exactly the forms this tool
/// gives, only real directories, each opened without following a link and then used through
/// that descriptor (a name swapped for a link meanwhile redirects nothing). One that had not
/// finished unpacking is removed (none of its files reached `to`); one that had is finished:
/// its remaining top-level files and directories are moved into `to` (never replacing a name
/// made there since: that copy is dropped, the archive still holds it; never a link or anything
/// else, which an extraction never puts at the top, nor another leftover), then it is removed.
fn sweep_abandoned(handle: &Dir, base: &Path) {
    let Ok(names) = handle.entries() else {
        return;
    };
    for name in names {
        let (pid, unpacked) = match extraction_pid(&name, UNPACKED) {
            Some(pid) => (pid, true),
            None => match extraction_pid(&name, EXTRACTING) {
                Some(pid) => (pid, false),
                None => continue,
            },
        };
        if !crate::store::fs::process_gone(pid) {
            continue;
        }
        let Ok(left) = handle.dir(Path::new(&name)) else {
            continue;
        };
        let Some(left_path) = left.anchored_path() else {
            continue;
        };
        if unpacked && let Ok(entries) = left.entries() {
            for top in entries {
                let plain = matches!(left.kind(&top), Ok(Kind::Dir | Kind::File));
                let leftover = [EXTRACTING, UNPACKED]
                    .iter()
                    .any(|prefix| top.as_bytes().starts_with(prefix.as_bytes()));
                if plain && !leftover {
                    let _ = rename_noreplace(&left_path.join(&top), &base.join(&top));
                }
            }
        }
        // Removed by name only while the name is still the directory that was opened.
        let same = left
            .stat()
            .ok()
            .zip(handle.stat_at(&name).ok())
            .is_some_and(|(opened, named)| {
                (opened.st_dev, opened.st_ino) == (named.st_dev, named.st_ino)
            });
        if same {
            let _ = fs::remove_dir_all(base.join(&name));
        }
    }
}

fn archive_changed() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the archive changed between the two reads",
    )
}

/// The second and third steps of `extract`.
fn unpack(
    open: &dyn Fn() -> io::Result<Box<dyn Read>>,
    to: &Path,
    plan: Scan,
) -> Result<Extracted, ExtractError> {
    crate::store::fault::point().map_err(|e| at(to, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{EXTRACTING}{}-", std::process::id()))
        .rand_bytes(6)
        .tempdir_in(to)
        .map_err(|e| at(to, e))?;
    let base = tmp.path();
    let mut dirs: HashSet<Vec<u8>> = HashSet::new();
    let mut done = Extracted {
        files: 0,
        directories: 0,
        links: 0,
        bytes: 0,
        created: plan.tops.iter().map(|t| lossy(t)).collect(),
        skipped: plan.skipped.clone(),
    };
    let mut links = Vec::new();
    let mut buf = vec![0u8; BUFFER];

    let (mut tar, failed) = open_tar(open()?)?;
    let mut count = 0usize;
    for entry in tar.entries().map_err(|e| undecodable(e, &failed))? {
        let mut entry = entry.map_err(|e| undecodable(e, &failed))?;
        let member = classify(&entry).map_err(|_| archive_changed())?;
        let i = count;
        count += 1;
        if plan.members.get(i) != Some(&member) {
            return Err(archive_changed().into());
        }
        match &member.plan {
            Plan::Dir => make_dirs(base, &member.path, &mut dirs)?,
            Plan::File { exec } => {
                if let Some(slash) = member.path.iter().rposition(|&b| b == b'/') {
                    make_dirs(base, &member.path[..slash], &mut dirs)?;
                }
                let path = base.join(OsStr::from_bytes(&member.path));
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(if *exec { 0o755 } else { 0o644 })
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&path)
                    .map_err(|e| at(&path, e))?;
                loop {
                    let n = entry.read(&mut buf).map_err(|e| undecodable(e, &failed))?;
                    if n == 0 {
                        break;
                    }
                    file.write_all(&buf[..n]).map_err(|e| at(&path, e))?;
                    done.bytes += n as u64;
                }
                done.files += 1;
            }
            Plan::Link { target } if !plan.skipped_links.contains(&i) => {
                links.push((member.path.clone(), target.clone()));
            }
            Plan::Link { .. } | Plan::Other(_) | Plan::Ignore => {}
        }
    }
    if count != plan.members.len() {
        return Err(archive_changed().into());
    }
    drain(tar, &failed)?;

    // Links last: nothing is written after them, so nothing is written through them.
    for (path, target) in &links {
        if let Some(slash) = path.iter().rposition(|&b| b == b'/') {
            make_dirs(base, &path[..slash], &mut dirs)?;
        }
        let at_path = base.join(OsStr::from_bytes(path));
        std::os::unix::fs::symlink(OsStr::from_bytes(target), &at_path)
            .map_err(|e| at(&at_path, e))?;
        done.links += 1;
    }
    done.directories = dirs.len() as u64;

    // Everything is unpacked: the directory takes its second name, and from here on it is
    // removed by hand (a panic leaves it to the next extraction to finish, as a kill does).
    let random = tmp
        .path()
        .file_name()
        .and_then(OsStr::to_str)
        .and_then(|n| n.strip_prefix(EXTRACTING))
        .unwrap_or_default()
        .to_string();
    let unpacked = to.join(format!("{UNPACKED}{random}"));
    let staged = tmp.keep();
    if let Err(e) = crate::store::fault::point().and_then(|()| fs::rename(&staged, &unpacked)) {
        let _ = fs::remove_dir_all(&staged);
        return Err(ExtractError::Io(at(&unpacked, e)));
    }
    crate::store::fault::crash_point();
    let mut moved: Vec<&[u8]> = Vec::new();
    for top in &plan.tops {
        let from = unpacked.join(OsStr::from_bytes(top));
        let dest = to.join(OsStr::from_bytes(top));
        let renamed = crate::store::fault::point().and_then(|()| rename_noreplace(&from, &dest));
        if let Err(e) = renamed {
            for name in moved.iter().rev() {
                let name = OsStr::from_bytes(name);
                let _ = fs::rename(to.join(name), unpacked.join(name));
            }
            // Back to its first name before it is removed: a kill during the removal leaves a
            // directory the next extraction removes, never one it would finish.
            match fs::rename(&unpacked, &staged) {
                Ok(()) => {
                    crate::store::fault::crash_point();
                    let _ = fs::remove_dir_all(&staged);
                }
                Err(_) => {
                    let _ = fs::remove_dir_all(&unpacked);
                }
            }
            return Err(if e.kind() == io::ErrorKind::AlreadyExists {
                ExtractError::Exists(dest)
            } else {
                ExtractError::Io(at(&dest, e))
            });
        }
        crate::store::fault::crash_point();
        moved.push(top);
    }
    // Empty now; one a kill leaves is removed by the next extraction.
    let _ = fs::remove_dir(&unpacked);
    Ok(done)
}

/// Create the directory `rel` under `base` and its missing parents (0o755), counting them.
fn make_dirs(base: &Path, rel: &[u8], made: &mut HashSet<Vec<u8>>) -> io::Result<()> {
    let ends = rel
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'/')
        .map(|(i, _)| i)
        .chain([rel.len()]);
    for end in ends {
        let prefix = &rel[..end];
        if made.contains(prefix) {
            continue;
        }
        let path = base.join(OsStr::from_bytes(prefix));
        match fs::DirBuilder::new().mode(0o755).create(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if !fs::symlink_metadata(&path)
                    .map_err(|e| at(&path, e))?
                    .is_dir()
                {
                    return Err(at(&path, e));
                }
            }
            Err(e) => return Err(at(&path, e)),
        }
        made.insert(prefix.to_vec());
    }
    Ok(())
}

/// Rename `from` to `to` unless `to` exists (`AlreadyExists`).
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::ffi::CString;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
        };
        let (cfrom, cto) = (c(from)?, c(to)?);
        // SAFETY: both are valid NUL-terminated paths that outlive the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                cfrom.as_ptr(),
                libc::AT_FDCWD,
                cto.as_ptr(),
                libc::RENAME_NOREPLACE as _,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            // Not supported here (old kernel, some file systems): check, then rename.
            Some(libc::ENOSYS) | Some(libc::EINVAL) => {}
            _ => return Err(e),
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    fs::rename(from, to)
}

#[cfg(test)]
#[path = "tests/archive.rs"]
mod tests;
