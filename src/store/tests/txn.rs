use super::*;

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("data/sub")).unwrap();
        std::fs::write(root.join("data/a.json"), b"old a").unwrap();
        std::fs::write(root.join("data/sub/b.txt"), b"old b").unwrap();
        Fixture { _tmp: tmp, root }
    }

    fn domain(&self) -> Domain {
        Domain::new(
            &self.root,
            ".locks/one.lock",
            ".txn/one",
            vec![Allow::tree("data")],
        )
    }

    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.join(rel)).ok()
    }

    /// Names in the journal directory (which should be gone when idle).
    fn leftovers(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.root.join(".txn/one")) else {
            return Vec::new();
        };
        let mut names: Vec<String> = dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.push("(directory)".into());
        names.sort();
        names
    }

    /// Write a committed journal and staged files by hand, as a crash would leave them.
    fn crashed(&self, ops: &[(Kind, &str)], staged: &[(usize, &[u8])]) {
        let dir = self.root.join(".txn/one");
        std::fs::create_dir_all(&dir).unwrap();
        let journal = Journal {
            version: 1,
            ops: ops
                .iter()
                .map(|(kind, target)| Op {
                    kind: *kind,
                    target: target.to_string(),
                })
                .collect(),
        };
        std::fs::write(dir.join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
        for (i, bytes) in staged {
            std::fs::write(dir.join(format!("s{i}")), bytes).unwrap();
        }
    }
}

#[test]
fn a_commit_puts_creates_and_removes_and_leaves_only_the_lock() {
    let f = Fixture::new();
    let locked = f.domain().lock().unwrap();
    let mut txn = locked.begin();
    txn.put("data/a.json", b"new a").unwrap();
    txn.create("data/new/c.txt", b"c", None).unwrap();
    txn.remove("data/sub/b.txt").unwrap();
    txn.commit().unwrap();
    assert_eq!(f.read("data/a.json").unwrap(), b"new a");
    assert_eq!(f.read("data/new/c.txt").unwrap(), b"c");
    assert!(!f.root.join("data/sub/b.txt").exists());
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
}

#[test]
fn a_change_never_committed_leaves_nothing() {
    let f = Fixture::new();
    let locked = f.domain().lock().unwrap();
    {
        let mut txn = locked.begin();
        txn.put("data/a.json", b"new a").unwrap();
        txn.create("data/c.txt", b"c", None).unwrap();
    }
    assert_eq!(f.read("data/a.json").unwrap(), b"old a");
    assert!(!f.root.join("data/c.txt").exists());
    assert!(f.leftovers().is_empty());
}

#[test]
fn staged_files_of_a_crash_before_the_commit_are_cleared() {
    let f = Fixture::new();
    let dir = f.root.join(".txn/one");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s0"), b"half").unwrap();
    std::fs::write(dir.join(".journal.json.x.tmp"), b"{").unwrap();
    drop(f.domain().lock().unwrap());
    assert!(f.leftovers().is_empty());
    assert_eq!(f.read("data/a.json").unwrap(), b"old a");
}

#[test]
fn a_committed_journal_is_finished_by_the_next_lock() {
    let f = Fixture::new();
    // Crashed after the commit, before anything was applied.
    f.crashed(
        &[
            (Kind::Put, "data/a.json"),
            (Kind::Create, "data/c.txt"),
            (Kind::Remove, "data/sub/b.txt"),
        ],
        &[(0, b"new a"), (1, b"c")],
    );
    assert!(f.domain().unsettled());
    drop(f.domain().lock().unwrap());
    assert_eq!(f.read("data/a.json").unwrap(), b"new a");
    assert_eq!(f.read("data/c.txt").unwrap(), b"c");
    assert!(f.read("data/sub/b.txt").is_none());
    assert!(f.leftovers().is_empty());
    assert!(!f.domain().unsettled());
}

#[test]
fn a_half_applied_journal_is_finished_from_where_it_stopped() {
    let f = Fixture::new();
    f.crashed(
        &[(Kind::Put, "data/a.json"), (Kind::Put, "data/sub/b.txt")],
        &[(1, b"new b")],
    );
    let dir = f.root.join(".txn/one");
    // op 0 done (its backup still there), op 1: the old file already moved to its backup.
    std::fs::write(f.root.join("data/a.json"), b"new a").unwrap();
    std::fs::write(dir.join("b0"), b"old a").unwrap();
    std::fs::rename(f.root.join("data/sub/b.txt"), dir.join("b1")).unwrap();
    drop(f.domain().lock().unwrap());
    assert_eq!(f.read("data/a.json").unwrap(), b"new a");
    assert_eq!(f.read("data/sub/b.txt").unwrap(), b"new b");
    assert!(f.leftovers().is_empty());
}

#[test]
fn a_create_interrupted_between_link_and_unlink_is_finished() {
    let f = Fixture::new();
    f.crashed(&[(Kind::Create, "data/c.txt")], &[(0, b"c")]);
    std::fs::hard_link(f.root.join(".txn/one/s0"), f.root.join("data/c.txt")).unwrap();
    drop(f.domain().lock().unwrap());
    assert_eq!(f.read("data/c.txt").unwrap(), b"c");
    assert!(f.leftovers().is_empty());
}

#[test]
fn a_create_whose_place_was_taken_is_undone_whole() {
    let f = Fixture::new();
    let locked = f.domain().lock().unwrap();
    let mut txn = locked.begin();
    txn.remove("data/a.json").unwrap();
    txn.create("data/sub/b.txt", b"mine", None).unwrap();
    let err = txn.commit().unwrap_err();
    assert!(matches!(err, StateError::Io { .. }), "{err:?}");
    // The removal applied first was undone.
    assert_eq!(f.read("data/a.json").unwrap(), b"old a");
    assert_eq!(f.read("data/sub/b.txt").unwrap(), b"old b");
    assert!(f.leftovers().is_empty());
}

#[test]
fn a_failing_operation_undoes_the_ones_before_it() {
    let f = Fixture::new();
    // A file where a directory is needed makes the second put fail when it is applied.
    std::fs::write(f.root.join("data/blocker"), b"x").unwrap();
    let locked = f.domain().lock().unwrap();
    let mut txn = locked.begin();
    txn.put("data/a.json", b"new a").unwrap();
    txn.remove("data/sub/b.txt").unwrap();
    txn.put("data/blocker/x.json", b"x").unwrap_err();
    drop(txn);
    let mut txn = locked.begin();
    txn.put("data/a.json", b"new a").unwrap();
    txn.remove("data/sub/b.txt").unwrap();
    // Staged fine (the parent is checked, not created, at staging time), fails at apply.
    std::fs::remove_file(f.root.join("data/blocker")).unwrap();
    txn.put("data/blocker/x.json", b"x").unwrap();
    std::fs::write(f.root.join("data/blocker"), b"x").unwrap();
    assert!(txn.commit().is_err());
    assert_eq!(f.read("data/a.json").unwrap(), b"old a");
    assert_eq!(f.read("data/sub/b.txt").unwrap(), b"old b");
    assert!(f.leftovers().is_empty());
}

#[test]
fn a_hostile_journal_is_corrupt_state_and_nothing_moves() {
    for target in [
        "../escape.txt",
        "/etc/passwd",
        "elsewhere/x",
        "data/../../x",
    ] {
        let f = Fixture::new();
        f.crashed(&[(Kind::Put, target)], &[(0, b"evil")]);
        let err = f.domain().lock().err().expect("refused");
        assert!(
            matches!(err, StateError::Corrupt { .. }),
            "{target}: {err:?}"
        );
        assert!(f.root.join(".txn/one").join(JOURNAL).exists());
        assert_eq!(f.read("data/a.json").unwrap(), b"old a");
    }
    let f = Fixture::new();
    let dir = f.root.join(".txn/one");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(JOURNAL), b"{not json").unwrap();
    assert!(matches!(f.domain().lock(), Err(StateError::Corrupt { .. })));
}

#[test]
fn a_planted_backup_is_corrupt_state_and_never_put_in_place() {
    // A put whose staged file is gone (as if applied) and a create whose place was taken force
    // an undo, which would put the backup of the put back: a link planted there is refused.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"outside").unwrap();
    let f = Fixture::new();
    f.crashed(
        &[(Kind::Put, "data/a.json"), (Kind::Create, "data/sub/b.txt")],
        &[(1, b"not what is there")],
    );
    let dir = f.root.join(".txn/one");
    std::os::unix::fs::symlink(outside.path().join("secret"), dir.join("b0")).unwrap();
    let err = f.domain().lock().err().expect("refused");
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    let meta = std::fs::symlink_metadata(f.root.join("data/a.json")).unwrap();
    assert!(meta.is_file(), "the file is still the tool's own");
    assert_eq!(f.read("data/a.json").unwrap(), b"old a");
    // A directory as the backup of a file is refused the same way.
    std::fs::remove_file(dir.join("b0")).unwrap();
    std::fs::create_dir(dir.join("b0")).unwrap();
    assert!(matches!(f.domain().lock(), Err(StateError::Corrupt { .. })));
    assert_eq!(f.read("data/a.json").unwrap(), b"old a");
}

#[test]
fn targets_outside_the_domain_cannot_be_staged() {
    let f = Fixture::new();
    let locked = f.domain().lock().unwrap();
    let mut txn = locked.begin();
    assert!(matches!(
        txn.put("other/x", b"x"),
        Err(StateError::BadPath { .. })
    ));
    assert!(matches!(
        txn.remove("data/../x"),
        Err(StateError::BadPath { .. })
    ));
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), f.root.join("data/link")).unwrap();
    assert!(matches!(
        txn.put("data/link/x", b"x"),
        Err(StateError::Linked { .. })
    ));
}

#[test]
fn a_journal_may_touch_directories_only_where_its_domain_removes_them() {
    let f = Fixture::new();
    let domain = Domain::new(
        &f.root,
        ".locks/one.lock",
        ".txn/one",
        vec![Allow::files("data")],
    );
    f.crashed(&[(Kind::Remove, "data/sub")], &[]);
    // Files only: the directory stays, the change is given up (and reported once).
    assert!(domain.clone().lock().is_err());
    assert_eq!(f.read("data/sub/b.txt").unwrap(), b"old b");
    assert!(domain.lock().is_ok());
    let task_files = Domain::new(
        &f.root,
        ".locks/two.lock",
        ".txn/two",
        vec![Allow::task_files("data")],
    );
    let locked = task_files.lock().unwrap();
    let mut txn = locked.begin();
    assert!(txn.put("data/a.json", b"x").is_err(), "not a task file");
    assert!(txn.put("data/x.task.yaml", b"x").is_ok());
    assert!(txn.put("data/.hidden/x.task.yaml", b"x").is_err());
}

#[test]
fn a_removed_directory_goes_whole_and_a_link_is_removed_not_followed() {
    let f = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("keep"), b"k").unwrap();
    std::os::unix::fs::symlink(outside.path(), f.root.join("data/link")).unwrap();
    let locked = f.domain().lock().unwrap();
    let mut txn = locked.begin();
    txn.remove("data/link").unwrap();
    // Only the tree's own directory goes as a directory: never one below it.
    assert!(txn.remove("data/sub").is_err());
    txn.commit().unwrap();
    assert!(std::fs::symlink_metadata(f.root.join("data/link")).is_err());
    assert!(f.root.join("data/sub").is_dir());
    assert!(outside.path().join("keep").exists());
    let mut txn = locked.begin();
    txn.remove("data").unwrap();
    txn.commit().unwrap();
    assert!(!f.root.join("data").exists());
    assert!(outside.path().join("keep").exists());
}

#[test]
fn a_put_keeps_the_permissions_of_the_file_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let path = f.root.join("data/a.json");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let locked = f.domain().lock().unwrap();
    let mut txn = locked.begin();
    txn.put("data/a.json", b"new").unwrap();
    txn.commit().unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
