//! The working tree as git sees it, for agent handoffs (spec 03, contract D7): a capture of the
//! tree as a git tree object built in a temporary index (the user's index is never touched), the
//! task's scope, diffs between trees, and the changed files as they are on disk.

pub mod drift;

use crate::error::{Error, ErrorCode, Result};
use crate::git::{Git, ObjectId};
use crate::repo::Repo;
use crate::store::sha256_hex;
use globset::{Glob, GlobMatcher};
use std::path::PathBuf;

/// Directories the tool writes: never part of a snapshot (contract D6/D7).
pub const TOOL_DIRS: [&str; 3] = [".agent-output/", "tasks/.cache/", "docs/compliance/"];

/// True for paths under one of the tool's own directories.
pub fn is_tool_path(path: &[u8]) -> bool {
    TOOL_DIRS.iter().any(|d| path.starts_with(d.as_bytes()))
}

/// The paths of a task (`immutable.repo_paths`): directories, files, or glob patterns. No paths
/// means the whole repository.
pub struct Scope {
    prefixes: Vec<String>,
    globs: Vec<GlobMatcher>,
    everything: bool,
}

impl Scope {
    pub fn new(repo_paths: &[String]) -> Scope {
        let mut prefixes = Vec::new();
        let mut globs = Vec::new();
        for entry in repo_paths {
            let entry = entry.trim();
            if entry.contains(['*', '?', '[', '{']) {
                match Glob::new(entry) {
                    Ok(glob) => globs.push(glob.compile_matcher()),
                    // Not a valid pattern: match it as a plain path.
                    Err(_) => prefixes.push(entry.trim_end_matches('/').to_string()),
                }
            } else if !entry.is_empty() {
                prefixes.push(entry.trim_end_matches('/').to_string());
            }
        }
        let everything = repo_paths.iter().all(|p| p.trim().is_empty())
            || prefixes.iter().any(|p| p == "." || p.is_empty());
        Scope {
            prefixes,
            globs,
            everything,
        }
    }

    /// Whether a repo-relative path is in scope: equal to an entry, under an entry directory, or
    /// matching an entry pattern.
    pub fn contains(&self, path: &[u8]) -> bool {
        if self.everything {
            return true;
        }
        let text = String::from_utf8_lossy(path);
        self.prefixes.iter().any(|p| {
            text == p.as_str() || (text.starts_with(p.as_str()) && text[p.len()..].starts_with('/'))
        }) || self.globs.iter().any(|g| g.is_match(text.as_ref()))
    }
}

/// `scope_hash`: the first 16 hex characters of the SHA-256 of the sorted paths, one per line.
pub fn scope_hash(repo_paths: &[String]) -> String {
    let mut sorted: Vec<&str> = repo_paths.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut text = sorted.join("\n");
    text.push('\n');
    sha256_hex(text.as_bytes())[..16].to_string()
}

/// The working tree captured as a git tree.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The tree object of the working tree (HEAD's tree plus every change taken in).
    pub tree: ObjectId,
    /// HEAD at capture time.
    pub head: ObjectId,
    /// HEAD's tree.
    pub head_tree: ObjectId,
    /// Untracked files left out because they are outside the task's scope (lossy UTF-8).
    pub out_of_scope: Vec<String>,
    /// Untracked nested git repositories, left out (their content belongs to another repo).
    pub embedded: Vec<String>,
}

impl Capture {
    /// True when nothing differs from HEAD (apart from what was left out).
    pub fn is_clean(&self) -> bool {
        self.tree == self.head_tree
    }
}

/// The commit HEAD points to; E061 in a repository without commits.
pub fn head(git: &Git) -> Result<ObjectId> {
    git.head_id()?.ok_or_else(|| {
        Error::new(ErrorCode::E061, "The repository has no commits yet")
            .with_detail("command", "git rev-parse --verify HEAD^{commit}")
            .with_recovery("Commit first: snapshots and their diffs are taken against a commit")
    })
}

/// Capture the working tree: a temporary index starts as HEAD's tree, then takes in every
/// tracked change (staged or not, renames and deletions included) and every untracked file in
/// `scope`, but nothing under the tool's directories and none of `ignored` (paths that were
/// dirty before the task began); `git write-tree` makes it a tree object.
pub fn capture(repo: &Repo, scope: &Scope, ignored: &[String]) -> Result<Capture> {
    let git = Git::new(&repo.root);
    let head = head(&git)?;
    let head_tree = rev_parse(&git, &format!("{head}^{{tree}}"))?;
    let mut present: Vec<Vec<u8>> = Vec::new();
    let mut missing: Vec<Vec<u8>> = Vec::new();
    let mut out_of_scope = Vec::new();
    let mut embedded = Vec::new();
    let skip = |p: &[u8]| is_tool_path(p) || ignored.iter().any(|i| i.as_bytes() == p);
    for entry in git.status_raw()? {
        if entry.code == "??" {
            if skip(&entry.path) {
                continue;
            }
            if entry.path.ends_with(b"/") {
                // git lists a nested repository as a directory: its files are another repo's.
                embedded.push(String::from_utf8_lossy(&entry.path).into_owned());
            } else if scope.contains(&entry.path) {
                present.push(entry.path);
            } else {
                out_of_scope.push(String::from_utf8_lossy(&entry.path).into_owned());
            }
            continue;
        }
        for path in std::iter::once(entry.path).chain(entry.orig_path) {
            if skip(&path) {
                continue;
            }
            if exists(repo, &path) {
                present.push(path);
            } else {
                missing.push(path);
            }
        }
    }
    let tmp = std::env::temp_dir();
    sweep_stale_indexes(&tmp, std::time::SystemTime::now());
    let dir = capture_dir(&tmp)?;
    let index: PathBuf = dir.path().join("index");
    let temp = git.with_index(&index);
    temp.run(&["read-tree", "--end-of-options", head_tree.as_str()])?;
    if !present.is_empty() {
        // -A: additions, changes and mode changes; -f: a listed path may match .gitignore (a
        // staged file); literal pathspecs from stdin: any name, any number, any length.
        temp.run_with_input(
            &[
                "add",
                "-A",
                "-f",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
            ],
            &nul_list(&present),
        )?;
    }
    if !missing.is_empty() {
        // Gone from the disk: out of the index too (a path the index never had is no error).
        temp.run_with_input(
            &["update-index", "--force-remove", "-z", "--stdin"],
            &nul_list(&missing),
        )?;
    }
    let tree = ObjectId::from_git(&temp.run(&["write-tree"])?, "git write-tree")?;
    Ok(Capture {
        tree,
        head,
        head_tree,
        out_of_scope,
        embedded,
    })
}

/// The temporary directories of captures' indexes, in the system's temporary directory: this
/// prefix, then this many random letters and digits.
const INDEX_DIR_PREFIX: &str = "tasks-index-";
const INDEX_DIR_RANDOM: usize = 6;
/// An empty file a capture writes in its directory first: only a directory holding it (and
/// git's index files) is taken for a capture's by a sweep.
const CAPTURE_MARK: &str = "tasks-capture";

/// How old a capture's temporary directory is when it is taken for one a killed run left.
const STALE_INDEX_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// A new temporary directory in `tmp` for a capture's index, marked as a capture's before git
/// writes in it (removed when dropped; a killed run leaves it to [`sweep_stale_indexes`]).
pub(crate) fn capture_dir(tmp: &std::path::Path) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix(INDEX_DIR_PREFIX)
        .rand_bytes(INDEX_DIR_RANDOM)
        .tempdir_in(tmp)
        .map_err(|e| crate::store::StateError::io(tmp, "create", e))?;
    std::fs::write(dir.path().join(CAPTURE_MARK), b"")
        .map_err(|e| crate::store::StateError::io(dir.path(), "write in", e))?;
    Ok(dir)
}

/// Remove the temporary index directories that runs killed during a capture left in `tmp` (a
/// copy of the git index each, as large as the repository's). Only what a capture makes: a
/// directory of this user named `tasks-index-` and six letters or digits, empty or holding its
/// [`CAPTURE_MARK`] and nothing but the files `index` and `index.lock` besides, unchanged for
/// [`STALE_INDEX_AGE`] (a capture takes seconds). Each is reached through descriptors, never
/// through a link; what cannot be removed is left.
pub(crate) fn sweep_stale_indexes(tmp: &std::path::Path, now: std::time::SystemTime) {
    use crate::store::beneath::{Dir, Kind};
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let Ok(top) = Dir::open(tmp) else {
        return;
    };
    let Ok(names) = top.entries() else {
        return;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    const FILES: [&str; 3] = [CAPTURE_MARK, "index", "index.lock"];
    for name in names {
        let made_by_a_capture = name
            .as_bytes()
            .strip_prefix(INDEX_DIR_PREFIX.as_bytes())
            .is_some_and(|rest| {
                rest.len() == INDEX_DIR_RANDOM && rest.iter().all(u8::is_ascii_alphanumeric)
            });
        if !made_by_a_capture {
            continue;
        }
        // Opened without following a link; its owner and age are the directory's own.
        let Ok(dir) = top.dir(std::path::Path::new(&name)) else {
            continue;
        };
        let Some((owner, changed)) = owner_and_mtime(&dir) else {
            continue;
        };
        let stale = now
            .duration_since(changed)
            .is_ok_and(|age| age >= STALE_INDEX_AGE);
        let Ok(inside) = dir.entries() else {
            continue;
        };
        // Empty (killed before its mark), or marked and holding nothing but git's index files.
        let marked = inside
            .iter()
            .any(|n| n.as_bytes() == CAPTURE_MARK.as_bytes());
        let only_a_capture = (inside.is_empty() || marked)
            && inside.iter().all(|n| {
                FILES.iter().any(|f| n.as_bytes() == f.as_bytes())
                    && matches!(dir.kind(n), Ok(Kind::File))
            });
        if owner != me || !stale || !only_a_capture {
            continue;
        }
        for file in &inside {
            let Ok(c) = std::ffi::CString::new(file.as_bytes()) else {
                continue;
            };
            // SAFETY: an open directory and a NUL-terminated name.
            unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) };
        }
        if let Ok(c) = std::ffi::CString::new(name.as_bytes()) {
            // Fails, and leaves it, when something was put in it meanwhile.
            // SAFETY: an open directory and a NUL-terminated name.
            unsafe { libc::unlinkat(top.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) };
        }
    }
}

/// The owner and modification time of an open directory.
fn owner_and_mtime(dir: &crate::store::beneath::Dir) -> Option<(u32, std::time::SystemTime)> {
    let st = dir.stat().ok()?;
    let since_epoch = std::time::Duration::new(
        u64::try_from(st.st_mtime).ok()?,
        u32::try_from(st.st_mtime_nsec).ok()?,
    );
    Some((st.st_uid, std::time::UNIX_EPOCH + since_epoch))
}

fn nul_list(paths: &[Vec<u8>]) -> Vec<u8> {
    let mut list = Vec::new();
    for path in paths {
        list.extend_from_slice(path);
        list.push(0);
    }
    list
}

fn exists(repo: &Repo, path: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    std::fs::symlink_metadata(repo.root.join(std::ffi::OsStr::from_bytes(path))).is_ok()
}

fn rev_parse(git: &Git, rev: &str) -> Result<ObjectId> {
    ObjectId::from_git(
        &git.run(&["rev-parse", "--verify", "--quiet", "--end-of-options", rev])?,
        "git rev-parse",
    )
}

/// Options that make `git diff` output independent of the user's configuration (colour,
/// external drivers, rename detection, prefixes, `diff.orderFile`, `diff.submodule`).
const DIFF_OPTIONS: [&str; 9] = [
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--relative",
    "-O/dev/null",
    "--submodule=short",
];

/// The same for the patch itself (these would turn `--stat` into a patch too).
const PATCH_OPTIONS: [&str; 5] = [
    "--full-index",
    "--diff-algorithm=myers",
    "-U3",
    "--inter-hunk-context=0",
    "--no-indent-heuristic",
];

/// `git diff <from> <to>` between two commits or trees, as bytes (binary files appear as
/// `Binary files … differ`, content is never decoded). Object ids only, after
/// `--end-of-options`: nothing can be taken for an option.
pub fn diff(git: &Git, from: &ObjectId, to: &ObjectId) -> Result<Vec<u8>> {
    let mut args = vec!["diff"];
    args.extend(DIFF_OPTIONS);
    args.extend(PATCH_OPTIONS);
    args.extend(["--end-of-options", from.as_str(), to.as_str(), "--"]);
    git.run(&args)
}

/// `git diff --stat` between two trees (80 columns), trimmed.
pub fn diff_stat(git: &Git, from: &ObjectId, to: &ObjectId) -> Result<String> {
    let mut args = vec!["diff", "--stat=80"];
    args.extend(DIFF_OPTIONS);
    args.extend(["--end-of-options", from.as_str(), to.as_str(), "--"]);
    Ok(String::from_utf8_lossy(&git.run(&args)?).trim().to_string())
}

/// One changed path between two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// git's letter (`M`, `A`, `D`, `R`, `C`, `T`), the similarity score dropped.
    pub status: String,
    pub path: Vec<u8>,
    /// The source of a rename or copy.
    pub from: Option<Vec<u8>>,
}

/// `git diff --name-status -z` between two trees.
pub fn changes(git: &Git, from: &ObjectId, to: &ObjectId) -> Result<Vec<Change>> {
    let mut args = vec!["diff", "--name-status", "-z"];
    args.extend(DIFF_OPTIONS);
    args.extend(["--end-of-options", from.as_str(), to.as_str(), "--"]);
    Ok(parse_name_status_z(&git.run(&args)?))
}

pub fn parse_name_status_z(out: &[u8]) -> Vec<Change> {
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let Some(status) = fields.next() {
        let letter = String::from_utf8_lossy(&status[..1.min(status.len())]).into_owned();
        let two_paths = letter == "R" || letter == "C";
        let Some(first) = fields.next() else {
            break;
        };
        let (from, path) = if two_paths {
            match fields.next() {
                Some(second) => (Some(first.to_vec()), second.to_vec()),
                None => break,
            }
        } else {
            (None, first.to_vec())
        };
        changes.push(Change {
            status: letter,
            path,
            from,
        });
    }
    changes
}

/// A file as it is on disk now: SHA-256 of its bytes, the last three octal digits of its mode
/// and its size; `None` when it does not exist. A symbolic link is described by its target.
pub fn file_state(repo: &Repo, path: &[u8]) -> Option<(String, String, u64)> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let abs = repo.root.join(std::ffi::OsStr::from_bytes(path));
    // Never through a directory link out of the repository (the path may come from a state file).
    if !abs.parent()?.canonicalize().ok()?.starts_with(&repo.root) {
        return None;
    }
    let meta = std::fs::symlink_metadata(&abs).ok()?;
    let mode = format!("{:o}", meta.permissions().mode() & 0o777);
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&abs).ok()?;
        let bytes = target.as_os_str().as_bytes();
        return Some((sha256_hex(bytes), mode, bytes.len() as u64));
    }
    if !meta.is_file() {
        return None;
    }
    let sha = crate::store::sha256_file(&abs).ok()?;
    Some((sha, mode, meta.len()))
}

/// The SHA-256 of a file's content in a tree (`None` when the tree has no such file).
pub fn blob_sha(git: &Git, tree: &ObjectId, path: &[u8]) -> Option<String> {
    // `./`: relative to the repository root, which may be below the top of the work tree.
    let mut spec = format!("{tree}:./").into_bytes();
    spec.extend_from_slice(path);
    let spec = String::from_utf8(spec).ok()?;
    let out = git
        .output(&["cat-file", "blob", "--end-of-options", &spec])
        .ok()?;
    out.status.success().then(|| sha256_hex(&out.stdout))
}

#[cfg(test)]
#[path = "tests/worktree.rs"]
pub(crate) mod tests;
