//! Finding task files (contract D5): `tasks/` then `docs/completed-tasks/`, each walked
//! recursively in sorted path order; symlinked directories are not entered, symlinked files are
//! read through when they resolve inside the repository (never outside it: such a file is
//! skipped with a warning).

use crate::repo::{ARCHIVE_DIR, TASKS_DIR};
use std::borrow::Cow;
#[allow(unused_imports)]
use std::os::fd::AsRawFd as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

pub const TASK_FILE_SUFFIX: &str = ".task.yaml";

/// A task file on disk with the metadata the cache compares.
#[derive(Debug, Clone)]
pub struct TaskFile<'a> {
    /// Repo-relative, `/`-separated: borrowed from the directory record it was found in when
    /// the directory's listing was reused (no allocation per file on a warm run).
    pub rel: Cow<'a, str>,
    pub size: u64,
    pub mtime: FileTime,
    /// How to open it again without following a link anywhere.
    pub origin: Origin,
}

/// Where a task file is: a name in a directory held open (the directory was reached from the
/// root without following a link), or, for a symbolic link that resolves inside the
/// repository, its target's repo-relative path.
#[derive(Debug, Clone)]
pub enum Origin {
    At {
        dir: std::sync::Arc<(PathBuf, crate::store::beneath::Dir)>,
        /// The name's exact bytes when `rel` shows them lossily (not UTF-8); else `None`, and
        /// the name is the last component of `rel` (no allocation per file).
        raw_name: Option<std::ffi::OsString>,
    },
    Linked(PathBuf),
}

impl TaskFile<'_> {
    /// The file's path (for messages and filters; reading goes through [`TaskFile::open`]).
    pub fn path(&self, root: &Path) -> PathBuf {
        match &self.origin {
            Origin::At { dir, .. } => dir.0.join(self.name()),
            Origin::Linked(rel) => root.join(rel),
        }
    }

    /// The file's name in its directory (exact bytes).
    fn name(&self) -> &std::ffi::OsStr {
        match &self.origin {
            Origin::At {
                raw_name: Some(name),
                ..
            } => name,
            _ => std::ffi::OsStr::new(self.rel.rsplit('/').next().unwrap_or(&self.rel)),
        }
    }

    /// Open the file for reading: no component followed through a link (a directory swapped
    /// for a link since the walk makes this fail), non-blocking, and a regular file.
    pub fn open(&self, root: &Path) -> std::io::Result<std::fs::File> {
        match &self.origin {
            Origin::At { dir, .. } => dir.1.file(Path::new(self.name())),
            Origin::Linked(rel) => crate::store::beneath::Dir::open(root)?.file(rel),
        }
    }
}

/// Modification time with nanosecond precision.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct FileTime {
    pub secs: i64,
    pub nanos: u32,
}

impl FileTime {
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) * 1e-9
    }

    /// From `stat`'s `st_mtime` and `st_mtime_nsec` (times before 1970 included: each is
    /// its own value).
    pub fn from_stat(secs: i64, nanos: i64) -> FileTime {
        FileTime {
            secs,
            nanos: u32::try_from(nanos.clamp(0, 999_999_999)).unwrap_or(0),
        }
    }

    /// The clock now.
    pub fn now() -> FileTime {
        let since = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        FileTime {
            secs: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            nanos: since.subsec_nanos(),
        }
    }

    /// Whether this time is at least [`SETTLED_SECS`] before `at`: a change stamped with it
    /// cannot share a clock tick with anything done at `at`, even on a file system that keeps
    /// times to the second or two (git's "racily clean" rule).
    pub fn settled_before(self, at: FileTime) -> bool {
        (self.secs, self.nanos) < (at.secs.saturating_sub(SETTLED_SECS), at.nanos)
    }

    pub fn of(meta: &std::fs::Metadata) -> FileTime {
        use std::os::unix::fs::MetadataExt;
        FileTime::from_stat(meta.mtime(), meta.mtime_nsec())
    }
}

/// The files a previous walk found: the listing is sized for them up front, up to a bound (the
/// records are not checked yet, and a forged one must not reserve gigabytes).
fn reserved_for(previous: &[DirRecord]) -> usize {
    previous
        .iter()
        .map(|d| d.kinds.bytes().filter(|&k| k != b'd').count())
        .sum::<usize>()
        .min(RESERVED_FILES)
}

/// All task files of the repository, active ones first, each root in sorted path order, plus a
/// warning for each directory that could not be read.
///
/// Two passes: the directories are listed (names and types from the listing, no allocation per
/// entry), then every file is `stat`ed relative to its directory's descriptor (one path
/// component to resolve, not the whole path) on every core. At 10,000 files these two are most
/// of a warm run (docs/performance.md).
pub fn discover(root: &Path) -> (Vec<TaskFile<'static>>, Vec<String>) {
    let found = discover_with(root, &[]);
    (found.files, found.warnings)
}

/// What [`discover_with`] found.
pub struct Discovered<'a> {
    pub files: Vec<TaskFile<'a>>,
    pub warnings: Vec<String>,
    /// Every directory walked, in walk order, with its entries (for the next run): a previous
    /// record where it was reused.
    pub dirs: Vec<std::borrow::Cow<'a, DirRecord>>,
}

impl Discovered<'_> {
    /// Whether the directories walked are exactly `previous` (nothing to save for them).
    pub fn same_dirs(&self, previous: &[DirRecord]) -> bool {
        self.dirs.len() == previous.len()
            && self
                .dirs
                .iter()
                .zip(previous)
                .all(|(now, before)| std::ptr::eq(&**now, before) || **now == *before)
    }
}

/// A directory as the walk saw it: its entries (subdirectories and task files, sorted by name)
/// and the stamp they belong to. A later walk reuses the entries instead of listing the
/// directory again when the directory's stamp is unchanged and the record is `trusted`.
///
/// Creating, removing or renaming an entry changes the directory's mtime and ctime. A change in
/// the same clock tick as the listing could leave both equal, so a listing is trusted only when
/// the directory had not changed for [`SETTLED_SECS`] when it was listed (git's "racily clean"
/// rule); an untrusted directory is listed on every run until it is.
///
/// Read from the cache, its strings are borrowed from the cache's bytes (kept for the process).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirRecord {
    /// Repo-relative, `/`-separated (`tasks`, `tasks/backend`).
    #[serde(borrow)]
    pub rel: Cow<'static, str>,
    pub stamp: DirStamp,
    pub trusted: bool,
    /// The entries' repo-relative paths (`rel`, a `/`, the name), sorted by name, each followed
    /// by a NUL (no name holds one): two strings per directory instead of one per entry make
    /// the cache fast to read, and a reused listing gives each file its path and its name (the
    /// end of the path, with the NUL `fstatat` needs) without copying either.
    #[serde(borrow)]
    pub paths: Cow<'static, str>,
    /// One letter per entry, in the same order: `d` directory, `f` file, `l` symbolic link.
    #[serde(borrow)]
    pub kinds: Cow<'static, str>,
}

#[cfg(test)]
impl DirRecord {
    /// A record of `rel` with a zero stamp, not trusted.
    pub(crate) fn for_test(rel: &str, paths: String, kinds: String) -> DirRecord {
        DirRecord {
            rel: rel.to_string().into(),
            stamp: DirStamp {
                dev: 0,
                ino: 0,
                mtime: (0, 0),
                ctime: (0, 0),
            },
            trusted: false,
            paths: paths.into(),
            kinds: kinds.into(),
        }
    }
}

/// Identity and change times of a directory (`fstat` of its descriptor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirStamp {
    pub dev: u64,
    pub ino: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

/// At most this many files are reserved for on the word of a previous walk's records (a larger
/// listing grows as it is found).
pub const RESERVED_FILES: usize = 1 << 18;

/// How long a directory must have been unchanged for its listing to be reused.
pub const SETTLED_SECS: i64 = 2;

/// [`discover`], reusing the listings of `previous` (the directories of an earlier walk) where
/// they still hold.
pub fn discover_with<'a>(root: &Path, previous: &'a [DirRecord]) -> Discovered<'a> {
    let expected = reserved_for(previous);
    let previous: std::collections::HashMap<&str, &DirRecord> =
        previous.iter().map(|d| (&*d.rel, d)).collect();
    let mut walked = Walk {
        previous,
        now: FileTime::now(),
        listing: Listing {
            dirs: Vec::new(),
            files: Vec::with_capacity(expected),
            names: Vec::new(),
        },
        warnings: Vec::new(),
        dirs: Vec::new(),
    };
    let list_phase = crate::trace::phase("discover: list");
    // Every directory is reached from the root one component at a time, no component followed
    // through a link: `docs` or `tasks` as a link out of the repository is not searched.
    match crate::store::beneath::Dir::open(root) {
        Ok(top) => {
            for dir in [TASKS_DIR, ARCHIVE_DIR] {
                match top.dir(Path::new(dir)) {
                    Ok(base) => walked.walk(root.join(dir), dir.to_string(), base),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) && !root.join(dir).exists() => {}
                    Err(e) => walked.warnings.push(format!(
                        "Warning: {dir}/ is not searched for task files: {} (a symbolic link, or not a directory)",
                        e
                    )),
                }
            }
        }
        Err(e) => walked.warnings.push(format!(
            "Warning: cannot open the repository root {}: {e}",
            root.display()
        )),
    }
    drop(list_phase);
    let _stat = crate::trace::phase("discover: stat");
    let mut warnings = walked.warnings;
    let files = stat_all(root, walked.listing, &mut warnings);
    Discovered {
        files,
        warnings,
        dirs: walked.dirs,
    }
}

/// The task files found by listing, in order, and the directories holding them.
struct Listing<'a> {
    /// Each directory listed: its path and its descriptor (reached from the root without
    /// following a link).
    dirs: Vec<std::sync::Arc<(PathBuf, crate::store::beneath::Dir)>>,
    files: Vec<Found<'a>>,
    /// The names of files in directories listed in this run (not reused from a record), each
    /// followed by a NUL.
    names: Vec<u8>,
}

/// A file a directory listing showed.
struct Found<'a> {
    rel: Cow<'a, str>,
    /// Index into `Listing::dirs`.
    dir: usize,
    name: Name<'a>,
    /// The listing said it is a symbolic link (followed only when it stays in the repository).
    linked: bool,
}

/// Where a found file's name is, followed by a NUL.
enum Name<'a> {
    /// The end of its path in a reused directory record, the NUL included.
    Recorded(&'a std::ffi::CStr),
    /// In [`Listing::names`] (the range leaves the NUL out).
    Listed(std::ops::Range<usize>),
}

impl Listing<'_> {
    /// The name with its NUL, for `fstatat`.
    fn c_name<'s>(&'s self, found: &'s Found) -> &'s std::ffi::CStr {
        match &found.name {
            Name::Recorded(name) => name,
            Name::Listed(range) => {
                std::ffi::CStr::from_bytes_with_nul(&self.names[range.start..=range.end])
                    .unwrap_or_default()
            }
        }
    }
}

/// What a listing says an entry is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Link,
}

/// The entries of `dir`: (name, kind), `.` and `..` left out; a type the listing does not give
/// is asked with `lstat`.
fn list(dir: &crate::store::beneath::Dir) -> std::io::Result<Vec<(Vec<u8>, Kind)>> {
    use std::os::fd::AsRawFd;
    // SAFETY: `dup` of an open descriptor; `fdopendir` takes ownership of the copy on success
    // and `closedir` releases it; `readdir` returns entries valid until the next call, copied
    // out at once.
    unsafe {
        let fd = libc::dup(dir.as_raw_fd());
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let handle = libc::fdopendir(fd);
        if handle.is_null() {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        let mut entries = Vec::new();
        loop {
            *libc::__errno_location() = 0;
            let entry = libc::readdir64(handle);
            if entry.is_null() {
                let errno = *libc::__errno_location();
                libc::closedir(handle);
                if errno != 0 {
                    return Err(std::io::Error::from_raw_os_error(errno));
                }
                return Ok(entries);
            }
            let name = std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()).to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match (*entry).d_type {
                libc::DT_DIR => Some(Kind::Dir),
                libc::DT_LNK => Some(Kind::Link),
                libc::DT_REG => Some(Kind::File),
                libc::DT_UNKNOWN => None,
                // Devices, sockets, pipes: never task files.
                _ => continue,
            };
            let kind = match kind {
                Some(kind) => kind,
                None => {
                    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
                    if libc::fstatat(
                        dir.as_raw_fd(),
                        (*entry).d_name.as_ptr(),
                        st.as_mut_ptr(),
                        libc::AT_SYMLINK_NOFOLLOW,
                    ) != 0
                    {
                        continue;
                    }
                    match st.assume_init().st_mode & libc::S_IFMT {
                        libc::S_IFDIR => Kind::Dir,
                        libc::S_IFLNK => Kind::Link,
                        libc::S_IFREG => Kind::File,
                        _ => continue,
                    }
                }
            };
            if kind == Kind::Dir || name.ends_with(TASK_FILE_SUFFIX.as_bytes()) {
                entries.push((name.to_vec(), kind));
            }
        }
    }
}

/// The state of one walk.
struct Walk<'a> {
    previous: std::collections::HashMap<&'a str, &'a DirRecord>,
    /// When the walk started.
    now: FileTime,
    listing: Listing<'a>,
    warnings: Vec<String>,
    dirs: Vec<std::borrow::Cow<'a, DirRecord>>,
}

impl<'a> Walk<'a> {
    /// Pre-order walk, siblings in byte order of their names (a directory's files and
    /// subdirectories interleaved, as a sorted listing shows them). Iterative: depth is
    /// unbounded. Each directory is opened from its parent's descriptor without following a link: a link to a
    /// directory is never entered.
    fn walk(&mut self, base: PathBuf, base_rel: String, base_dir: crate::store::beneath::Dir) {
        // Directories still to list, the next on top; a directory's files are recorded as
        // soon as it is listed, its subdirectories' after them in name order (so a stack of
        // the subdirectories and file runs keeps the pre-order).
        enum Next<'a> {
            /// A directory: its path, repo-relative path, and how to open it (its parent, held
            /// open, and its name).
            Dir(
                PathBuf,
                String,
                std::sync::Arc<(PathBuf, crate::store::beneath::Dir)>,
                Vec<u8>,
            ),
            Base(PathBuf, String, crate::store::beneath::Dir),
            Files(Vec<Found<'a>>),
        }
        let mut stack: Vec<Next<'a>> = vec![Next::Base(base, base_rel, base_dir)];
        while let Some(next) = stack.pop() {
            let (path, rel, dir) = match next {
                Next::Files(files) => {
                    self.listing.files.extend(files);
                    continue;
                }
                Next::Base(path, rel, dir) => (path, rel, Ok(dir)),
                Next::Dir(path, rel, parent, name) => {
                    let dir = parent.1.dir(Path::new(std::ffi::OsStr::from_bytes(&name)));
                    (path, rel, dir)
                }
            };
            let listed = dir.and_then(|dir| Ok((self.entries(&dir, &rel)?, dir)));
            let (listed, dir) = match listed {
                Ok(found) => found,
                Err(e) => {
                    self.warnings.push(format!(
                        "Warning: cannot read directory {}: {e}; task files in it are skipped",
                        crate::text::field(&path.display().to_string())
                    ));
                    continue;
                }
            };
            let index = self.listing.dirs.len();
            let held = std::sync::Arc::new((path.clone(), dir));
            // Runs of files between subdirectories, in order; pushed in reverse below.
            let mut pending: Vec<Next<'a>> = Vec::new();
            let mut run: Vec<Found<'a>> = Vec::new();
            let name_at = rel.len() + 1;
            let mut kinds = listed.kinds().bytes().map(Kind::from_code);
            let paths = listed.paths();
            let mut start = 0;
            for end in nuls(paths) {
                let (from, path) = (start, &paths[start..end]);
                start = end + 1;
                // A record's paths and kinds were checked to agree; a listing makes them so.
                let Some(kind) = kinds.next() else { break };
                let Some(name) = path.get(name_at..) else {
                    continue;
                };
                if kind == Kind::Dir {
                    let child_rel = String::from_utf8_lossy(path).into_owned();
                    // The tool's own cache is never searched (it changes on every save).
                    if child_rel == crate::repo::CACHE_DIR {
                        continue;
                    }
                    if !run.is_empty() {
                        pending.push(Next::Files(std::mem::take(&mut run)));
                    }
                    let child = path_of(&held.0, name);
                    pending.push(Next::Dir(child, child_rel, held.clone(), name.to_vec()));
                    continue;
                }
                let (rel, name) = match &listed {
                    Listed::Recorded(record) => {
                        let record: &'a DirRecord = record;
                        let text: &'a str = &record.paths;
                        let with_nul = &text.as_bytes()[from + name_at..=end];
                        debug_assert!(!with_nul[..with_nul.len() - 1].contains(&0));
                        // SAFETY: `text` is the record's paths, the bytes `nuls` searched; the
                        // name ends at the NUL it found, the first after `from`: it holds no
                        // other.
                        let name =
                            unsafe { std::ffi::CStr::from_bytes_with_nul_unchecked(with_nul) };
                        // A record's paths are UTF-8 and the NUL a character boundary.
                        (Cow::Borrowed(&text[from..end]), Name::Recorded(name))
                    }
                    Listed::Fresh { .. } => {
                        let names = &mut self.listing.names;
                        let begin = names.len();
                        names.extend_from_slice(name);
                        let stop = names.len();
                        names.push(0);
                        (
                            Cow::Owned(String::from_utf8_lossy(path).into_owned()),
                            Name::Listed(begin..stop),
                        )
                    }
                };
                let found = Found {
                    rel,
                    dir: index,
                    name,
                    linked: kind == Kind::Link,
                };
                // Files before the first subdirectory come next in pre-order (nothing else is
                // pushed before them): recorded at once, without a run.
                if pending.is_empty() {
                    self.listing.files.push(found);
                } else {
                    run.push(found);
                }
            }
            if !run.is_empty() {
                pending.push(Next::Files(run));
            }
            // Kept whether or not it holds files, so that `index` always names it.
            self.listing.dirs.push(held);
            stack.extend(pending.into_iter().rev());
        }
    }

    /// The entries of the directory at `path` (repo-relative `rel`) and the directory, open:
    /// the previous walk's when the directory has not changed since, else listed now.
    fn entries(
        &mut self,
        dir: &crate::store::beneath::Dir,
        rel: &str,
    ) -> std::io::Result<Listed<'a>> {
        let stamp = stamp_of(dir)?;
        if let Some(&previous) = self.previous.get(rel)
            && previous.trusted
            && previous.stamp == stamp
            && record_is_plain(previous)
        {
            self.dirs.push(std::borrow::Cow::Borrowed(previous));
            return Ok(Listed::Recorded(previous));
        }
        let mut entries = list(dir)?;
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut paths =
            Vec::with_capacity(entries.iter().map(|(n, _)| rel.len() + n.len() + 2).sum());
        let mut kinds = String::with_capacity(entries.len());
        for (name, kind) in &entries {
            paths.extend_from_slice(rel.as_bytes());
            paths.push(b'/');
            paths.extend_from_slice(name);
            paths.push(0);
            kinds.push(char::from(kind.code()));
        }
        let settled =
            |(secs, nanos): (i64, i64)| FileTime::from_stat(secs, nanos).settled_before(self.now);
        // A name that is not UTF-8 is not recorded: such a directory is listed every time.
        let recorded = String::from_utf8(paths.clone()).ok();
        self.dirs.push(std::borrow::Cow::Owned(DirRecord {
            rel: Cow::Owned(rel.to_string()),
            stamp,
            trusted: settled(stamp.mtime) && settled(stamp.ctime) && recorded.is_some(),
            paths: Cow::Owned(recorded.unwrap_or_default()),
            kinds: Cow::Owned(kinds.clone()),
        }));
        Ok(Listed::Fresh { paths, kinds })
    }
}

/// The entries of one directory as the walk follows them: each entry's repo-relative path
/// (the exact bytes of its name at the end) followed by a NUL, and one kind letter per entry
/// (as in [`DirRecord`]).
enum Listed<'a> {
    /// A previous walk's record, still true.
    Recorded(&'a DirRecord),
    /// Listed in this run.
    Fresh { paths: Vec<u8>, kinds: String },
}

impl Listed<'_> {
    fn paths(&self) -> &[u8] {
        match self {
            Listed::Recorded(record) => record.paths.as_bytes(),
            Listed::Fresh { paths, .. } => paths,
        }
    }

    fn kinds(&self) -> &str {
        match self {
            Listed::Recorded(record) => &record.kinds,
            Listed::Fresh { kinds, .. } => kinds,
        }
    }
}

/// The positions of the NULs in `bytes`, in order: the ends of the entries of a listing.
fn nuls(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = crate::swar::find(bytes, from, 1, crate::swar::zero_bytes)?;
        from = at + 1;
        Some(at)
    })
}

/// `dir` joined with the exact bytes of `name`.
fn path_of(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(std::ffi::OsStr::from_bytes(name))
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Dir => b'd',
            Kind::File => b'f',
            Kind::Link => b'l',
        }
    }

    fn from_code(code: u8) -> Kind {
        match code {
            b'd' => Kind::Dir,
            b'f' => Kind::File,
            _ => Kind::Link,
        }
    }
}

/// A record read from the cache is only used when it could have been written by a walk: each
/// path the record's directory, a `/` and a plain name (not empty, `.` or `..`, no `/`), a
/// file's ending in `.task.yaml`, the names sorted and unique, one kind letter (`d`, `f`, `l`)
/// per name. Anything else (a damaged or forged cache) is listed.
fn record_is_plain(record: &DirRecord) -> bool {
    let mut kinds = record.kinds.bytes();
    let paths = record.paths.as_bytes();
    let prefix = record.rel.as_bytes();
    let mut start = 0;
    let mut previous: Option<&[u8]> = None;
    for end in nuls(paths) {
        let path = &paths[start..end];
        start = end + 1;
        let Some(name) = path
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix(b"/"))
        else {
            return false;
        };
        // Sorted and unique, as a walk writes them: a name twice would be one file found twice.
        if previous.is_some_and(|p| p >= name) {
            return false;
        }
        previous = Some(name);
        let plain = !name.is_empty()
            && name != b"."
            && name != b".."
            && crate::swar::find(name, 0, b'a', |x| crate::swar::bytes_equal(x, b'/')).is_none();
        let fits = match kinds.next() {
            Some(b'd') => true,
            Some(b'f' | b'l') => name.ends_with(TASK_FILE_SUFFIX.as_bytes()),
            _ => false,
        };
        if !(plain && fits) {
            return false;
        }
    }
    // Nothing after the last NUL, and no kind left over.
    start == paths.len() && kinds.next().is_none()
}

/// The stamp of an open directory.
fn stamp_of(dir: &crate::store::beneath::Dir) -> std::io::Result<DirStamp> {
    let st = dir.stat()?;
    Ok(DirStamp {
        dev: st.st_dev,
        ino: st.st_ino,
        mtime: (st.st_mtime, st.st_mtime_nsec),
        ctime: (st.st_ctime, st.st_ctime_nsec),
    })
}

/// Size and mtime of every listed file, in order, on up to 8 threads; files that are no longer
/// regular files (or whose link leaves the repository) are dropped.
fn stat_all<'a>(
    root: &Path,
    listing: Listing<'a>,
    warnings: &mut Vec<String>,
) -> Vec<TaskFile<'a>> {
    let found = &listing.files;
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(found.len().div_ceil(1024).max(1));
    // Files are handed out in batches, in turn, to whichever thread is free: the other core is
    // often busy (decoding the cache's entries) when the stat starts, so a fixed half would wait
    // for it while this thread sat idle after its own half.
    let batches = found.len().div_ceil(STAT_BATCH);
    let batch = |b: usize| &found[b * STAT_BATCH..((b + 1) * STAT_BATCH).min(found.len())];
    let stat_batch = |b: usize| -> Vec<Stat> {
        batch(b)
            .iter()
            .map(|f| stat_one(root, &listing, f))
            .collect()
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take_batches = || -> Vec<(usize, Vec<Stat>)> {
        let _worker = crate::trace::phase("discover: stat batches");
        let mut done = Vec::new();
        loop {
            let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if b >= batches {
                return done;
            }
            done.push((b, stat_batch(b)));
        }
    };
    let mut by_batch: Vec<Option<Vec<Stat>>> = Vec::new();
    by_batch.resize_with(batches, || None);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers)
            .map(|_| crate::threads::try_spawn(scope, take_batches))
            .collect();
        let mut place = |done: Vec<(usize, Vec<Stat>)>| {
            for (b, stats) in done {
                by_batch[b] = Some(stats);
            }
        };
        // This thread takes batches too, until none is left.
        place(take_batches());
        for handle in handles.into_iter().flatten() {
            // A worker cannot panic on these calls; should it, the batches it took are stat'ed
            // again below rather than lost.
            if let Ok(done) = handle.join() {
                place(done);
            }
        }
    });
    let results: Vec<Vec<Stat>> = by_batch
        .into_iter()
        .enumerate()
        .map(|(b, stats)| stats.unwrap_or_else(|| stat_batch(b)))
        .collect();
    let mut files = Vec::with_capacity(found.len());
    let names = listing.names;
    let dirs = listing.dirs;
    for (f, stat) in listing.files.into_iter().zip(results.into_iter().flatten()) {
        match stat {
            Stat::File(size, mtime, linked) => {
                // Read again by its directory and name (exact bytes, whatever `rel` shows), or
                // a link by its target's repo-relative path.
                let origin = match linked {
                    Some(target) => Origin::Linked(target),
                    None => Origin::At {
                        dir: dirs[f.dir].clone(),
                        // A name that is UTF-8 is the end of `rel` exactly (a recorded name
                        // always is); any other is kept as it is, since `rel` shows it lossily
                        // (and a lossy `rel` can still end with the raw bytes: `\xBD` after the
                        // `\u{FFFD}` that stands for the bytes before it).
                        raw_name: match &f.name {
                            Name::Recorded(_) => None,
                            Name::Listed(range) => {
                                let name = &names[range.clone()];
                                std::str::from_utf8(name)
                                    .is_err()
                                    .then(|| std::ffi::OsStr::from_bytes(name).to_os_string())
                            }
                        },
                    },
                };
                files.push(TaskFile {
                    rel: f.rel,
                    size,
                    mtime,
                    origin,
                })
            }
            Stat::LinkOut => warnings.push(format!(
                "Warning: {} is a symbolic link that leaves the repository (or leads nowhere); it is not read",
                crate::text::field(&f.rel)
            )),
            Stat::Skip => {}
        }
    }
    files
}

/// Files stat'ed per batch handed to a thread (~0.1 ms of work).
const STAT_BATCH: usize = 256;

enum Stat {
    /// Size, mtime, and for a link its target's repo-relative path.
    File(u64, FileTime, Option<PathBuf>),
    /// A symbolic link out of the repository (or to nothing).
    LinkOut,
    /// Gone, or not a regular file.
    Skip,
}

fn stat_one(root: &Path, listing: &Listing, found: &Found) -> Stat {
    use std::os::fd::AsRawFd;
    let (dir_path, dir) = &*listing.dirs[found.dir];
    if found.linked {
        let path = path_of(dir_path, listing.c_name(found).to_bytes());
        let Some(target) = path
            .canonicalize()
            .ok()
            .and_then(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
        else {
            return Stat::LinkOut;
        };
        return match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Stat::File(meta.len(), FileTime::of(&meta), Some(target)),
            _ => Stat::Skip,
        };
    }
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `dir` is an open directory, the name a NUL-terminated string and `st` a buffer of
    // the size `fstatat` writes.
    let rc = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            listing.c_name(found).as_ptr(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return Stat::Skip;
    }
    // SAFETY: `fstatat` succeeded, so it filled `st`.
    let st = unsafe { st.assume_init() };
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Stat::Skip;
    }
    Stat::File(
        u64::try_from(st.st_size).unwrap_or(0),
        FileTime::from_stat(st.st_mtime, st.st_mtime_nsec),
        None,
    )
}

#[cfg(test)]
#[path = "tests/discover.rs"]
mod tests;
