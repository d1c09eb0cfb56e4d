use super::*;
use crate::tasks::picker::{DraftRef, Violations};

/// A repository root with its cache directory.
fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(CACHE_DIR)).unwrap();
    dir
}

fn answer(first: Option<First>) -> Answer {
    Answer {
        first,
        alerts: DraftAlerts {
            has_drafts: true,
            draft_count: 1,
            drafts: vec![DraftRef {
                id: "TASK-0009".into(),
                title: "Draft ✓".into(),
                path: "/r/tasks/TASK-0009.task.yaml".into(),
            }],
            draft_unblockers: Vec::new(),
            downstream: Vec::new(),
            violations: Violations::default(),
            filtered_out_by_picker: Vec::new(),
        },
    }
}

fn first() -> First {
    First {
        index: 1,
        id: "TASK-0002".into(),
        inherited: Some((0, "Blocks P0 work: TASK-0007".into())),
    }
}

fn same(a: &Answer, b: &Answer) -> bool {
    serde_json::to_value(&a.alerts).unwrap() == serde_json::to_value(&b.alerts).unwrap()
        && a.first == b.first
}

/// A key for the root `/r`, no filter.
fn key(snapshot: u64, quarantined: &BTreeSet<String>) -> Key<'_> {
    Key {
        snapshot,
        root: "/r",
        filter: "all",
        quarantined,
    }
}

fn memo(root: &Path) -> std::path::PathBuf {
    root.join(CACHE_DIR).join(MEMO_FILE)
}

#[test]
fn an_answer_is_recalled_under_its_own_key_only() {
    let dir = root();
    let quarantined: BTreeSet<String> = ["TASK-0003".to_string()].into();
    let key = key(42, &quarantined);
    assert!(recall(dir.path(), &key).is_none(), "nothing remembered yet");
    let remembered = answer(Some(first()));
    remember(dir.path(), &key, &remembered).unwrap();
    let recalled = recall(dir.path(), &key).expect("recalled under the same key");
    assert!(same(&recalled, &remembered));

    let other_set: BTreeSet<String> = ["TASK-0004".to_string()].into();
    let empty = BTreeSet::new();
    let others = [
        Key {
            snapshot: 43,
            ..key
        },
        Key {
            root: "/elsewhere",
            ..key
        },
        Key {
            filter: "unblocker",
            ..key
        },
        Key {
            quarantined: &other_set,
            ..key
        },
        Key {
            quarantined: &empty,
            ..key
        },
    ];
    for other in &others {
        assert!(
            recall(dir.path(), other).is_none(),
            "recalled under another key ({}, {}, {}, {:?})",
            other.snapshot,
            other.root,
            other.filter,
            other.quarantined
        );
    }
    // An answer with no task is remembered as such.
    remember(dir.path(), &others[0], &answer(None)).unwrap();
    assert!(recall(dir.path(), &others[0]).unwrap().first.is_none());
    assert!(recall(dir.path(), &key).is_none(), "replaced");
}

#[test]
fn a_damaged_copied_or_linked_memo_is_not_believed() {
    let dir = root();
    let set = BTreeSet::new();
    let key = key(7, &set);
    let path = memo(dir.path());
    remember(dir.path(), &key, &answer(Some(first()))).unwrap();
    let good = std::fs::read(&path).unwrap();
    assert!(recall(dir.path(), &key).is_some());

    // Any byte changed, in place (same inode): the checksum or the magic line tells.
    for at in (0..good.len()).step_by(7) {
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::io::Write::write_all(&mut file, &bad).unwrap();
        drop(file);
        assert!(recall(dir.path(), &key).is_none(), "byte {at} changed");
    }
    // Cut short, in place.
    for len in [0, 5, MAGIC.len() + 3, good.len() / 2, good.len() - 1] {
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(0).unwrap();
        std::io::Write::write_all(&mut &file, &good[..len]).unwrap();
        drop(file);
        assert!(recall(dir.path(), &key).is_none(), "cut to {len} bytes");
    }
    // The same bytes in another file (a copy, a checkout, a restore): another inode.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &good).unwrap();
    assert!(recall(dir.path(), &key).is_none(), "a copy");

    // A link to a good memo, a directory, a FIFO (no hang): not read.
    remember(dir.path(), &key, &answer(Some(first()))).unwrap();
    let elsewhere = dir.path().join("memo-elsewhere");
    std::fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    assert!(recall(dir.path(), &key).is_none(), "a link");
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    assert!(recall(dir.path(), &key).is_none(), "a directory");
    remember(dir.path(), &key, &answer(None)).unwrap();
    assert!(path.is_dir(), "a directory in its place is left alone");
    std::fs::remove_dir(&path).unwrap();
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    assert!(recall(dir.path(), &key).is_none(), "a FIFO");
    // Written again over any of them, it is believed again.
    remember(dir.path(), &key, &answer(None)).unwrap();
    assert!(recall(dir.path(), &key).is_some());
}

#[test]
fn a_cache_directory_that_leads_out_of_the_repository_is_neither_read_nor_written() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tasks")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join(CACHE_DIR)).unwrap();
    let set = BTreeSet::new();
    let key = key(1, &set);
    remember(dir.path(), &key, &answer(None)).unwrap();
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // Even with a good memo out there.
    let inside = root();
    remember(inside.path(), &key, &answer(None)).unwrap();
    std::fs::copy(memo(inside.path()), outside.path().join(MEMO_FILE)).unwrap();
    assert!(recall(dir.path(), &key).is_none());
    // No cache directory at all: nothing is created.
    let bare = tempfile::tempdir().unwrap();
    remember(bare.path(), &key, &answer(None)).unwrap();
    assert!(!bare.path().join("tasks").exists());
}

#[test]
fn leftovers_of_killed_writes_are_swept_by_the_next_one() {
    let dir = root();
    let cache = dir.path().join(CACHE_DIR);
    let leftover = cache.join(format!(".{MEMO_FILE}.Ab12Cd.tmp"));
    let unrelated = cache.join(".other.Ab12Cd.tmp");
    std::fs::write(&leftover, b"half").unwrap();
    std::fs::write(&unrelated, b"keep").unwrap();
    let set = BTreeSet::new();
    let key = key(1, &set);
    remember(dir.path(), &key, &answer(None)).unwrap();
    assert!(!leftover.exists());
    assert!(unrelated.exists());
}

#[test]
fn a_recalled_answer_must_name_a_task_of_the_catalog() {
    let task = |id: &str| super::super::Task {
        id: id.to_string().into(),
        ..Default::default()
    };
    let tasks = [task("TASK-0001"), task("TASK-0002")];
    assert!(answer(None).fits(&tasks));
    assert!(answer(Some(first())).fits(&tasks));
    let off = |f: fn(&mut First)| {
        let mut first = first();
        f(&mut first);
        answer(Some(first)).fits(&tasks)
    };
    assert!(!off(|f| f.index = 2), "out of range");
    assert!(!off(|f| f.index = u32::MAX), "far out of range");
    assert!(!off(|f| f.index = 0), "another task there");
    assert!(!off(|f| f.id = "TASK-0003".into()), "another id");
    assert!(
        !off(|f| f.inherited = Some((3, String::new()))),
        "no such level"
    );
    assert!(off(|f| f.inherited = Some((2, String::new()))));
    assert!(off(|f| f.inherited = None));
}

#[test]
fn a_pick_never_waits_for_the_cache_lock() {
    let dir = root();
    let set = BTreeSet::new();
    let key = key(1, &set);
    let lock = dir.path().join(CACHE_DIR).join(LOCK_FILE);
    let held = store::lock_exclusive(&lock).unwrap();
    // Another process saving the cache holds the lock: nothing is written, and nothing waits
    // (a wait would hang this test).
    remember(dir.path(), &key, &answer(None)).unwrap();
    assert!(!memo(dir.path()).exists());
    drop(held);
    remember(dir.path(), &key, &answer(None)).unwrap();
    assert!(recall(dir.path(), &key).is_some());
}

#[test]
fn a_large_file_that_is_not_this_runs_memo_is_not_read_past_its_head() {
    let dir = root();
    let set = BTreeSet::new();
    let key = key(1, &set);
    remember(dir.path(), &key, &answer(None)).unwrap();
    // Grown to 64 MiB (sparse) in place: under another snapshot its head does not match.
    let path = memo(dir.path());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let read = || {
        let io = std::fs::read_to_string("/proc/thread-self/io").unwrap();
        let line = io.lines().find(|l| l.starts_with("rchar:")).unwrap();
        line[6..].trim().parse::<u64>().unwrap()
    };
    let other = Key { snapshot: 2, ..key };
    let before = read();
    assert!(recall(dir.path(), &other).is_none());
    let spent = read() - before;
    assert!(spent < 1 << 20, "{spent} bytes read");
    // Under its own key, the head matches but the checksum cannot: read, and not believed.
    assert!(recall(dir.path(), &key).is_none());
}

#[test]
fn a_memo_is_written_readable_whatever_the_mode_of_the_one_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let dir = root();
    let set = BTreeSet::new();
    let key = key(1, &set);
    remember(dir.path(), &key, &answer(None)).unwrap();
    let path = memo(dir.path());
    let mode = || std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    remember(dir.path(), &Key { snapshot: 2, ..key }, &answer(None)).unwrap();
    assert_eq!(mode(), 0o600, "the owner's read and write added");
    // A mode its owner chose (nothing for others) is kept.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    remember(dir.path(), &Key { snapshot: 3, ..key }, &answer(None)).unwrap();
    assert_eq!(mode(), 0o640);
}
