use super::*;

/// The cache directory of `root`, held as a run holds it.
fn held_cache(root: &Path) -> store::paths::Held {
    store::paths::hold_existing_state_dir(root, CACHE_DIR)
        .unwrap()
        .expect("a cache directory")
}

/// The cache file, its lock and its directory, by path.
fn cache_paths(root: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let dir = root.join(CACHE_DIR);
    (dir.join(CACHE_FILE), dir.join(LOCK_FILE), dir)
}

/// Write a task file dated a minute ago: its cache entry is trusted at once (an entry made
/// within a clock tick or two of its file's change is checked again: see `racily_clean`).
fn write(root: &Path, rel: &str, text: &str) {
    write_at(
        root,
        rel,
        text,
        std::time::SystemTime::now() - std::time::Duration::from_secs(60),
    );
}

fn write_at(root: &Path, rel: &str, text: &str, mtime: std::time::SystemTime) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    set_mtime(&path, mtime);
}

fn set_mtime(path: &Path, mtime: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

fn task(id: &str, status: &str) -> String {
    format!("id: {id}\ntitle: t\nstatus: {status}\npriority: P1\narea: a\n")
}

/// Write the cache of `root` again from what was read of it, with the tool's own code (as a
/// forger could): `snapshot` for the front's, each entry's hash given by `sha256`.
fn resave(
    root: &Path,
    front: &Front,
    previous: &Previous,
    snapshot: u64,
    sha256: impl Fn(&Old) -> String,
) {
    let hashes: Vec<String> = previous.entries.iter().map(sha256).collect();
    let dirs: Vec<std::borrow::Cow<DirRecord>> =
        front.dirs.iter().map(std::borrow::Cow::Borrowed).collect();
    let entries = previous
        .entries
        .iter()
        .zip(&hashes)
        .map(|(e, sha)| StoredRef {
            rel: e.rel,
            size: e.size,
            mtime: e.mtime,
            sha256: sha,
            outcome: match e.outcome {
                Slot::Task(t) => OutcomeRef::Task(&previous.tasks[t]),
                Slot::Failed(f) => OutcomeRef::Failed(&previous.failures[f]),
            },
        });
    let front_ref = FrontRef {
        snapshot,
        listed_at: front.listed_at,
        dirs: &dirs,
        count: front.count,
    };
    assert!(save(root, &front_ref, entries, Wait::ForLock).unwrap());
}

/// The tasks' statuses, then the failures, each in discovery order.
fn statuses(loaded: &Loaded) -> Vec<String> {
    assert_eq!(loaded.files, loaded.tasks.len() + loaded.broken.len());
    loaded
        .tasks
        .iter()
        .map(|t| t.status.to_string())
        .chain(
            loaded
                .broken
                .iter()
                .map(|(_, f)| format!("failed: {}", f.message)),
        )
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
    let warm = load(root, false);
    assert_eq!(
        warm.parsed, 0,
        "a warm cache reads no task file, broken ones included"
    );
    assert_eq!(warm.snapshot, first.snapshot);
    assert_eq!(statuses(&first), statuses(&warm));

    // Different size: read and re-parsed.
    write(
        root,
        "tasks/TASK-0002.task.yaml",
        &task("TASK-0002", "in_progress"),
    );
    let third = load(root, false);
    assert_eq!(third.parsed, 1);
    assert_ne!(third.snapshot, first.snapshot);
    assert_eq!(statuses(&third)[2], "in_progress");

    // Same bytes, new mtime: read, recognised by hash, outcome reused with the new mtime.
    let path = root.join("tasks/TASK-0003.task.yaml");
    let later = std::time::SystemTime::now() - std::time::Duration::from_secs(30);
    set_mtime(&path, later);
    let fourth = load(root, false);
    assert_eq!(fourth.parsed, 1);
    assert_eq!(
        fourth.snapshot, third.snapshot,
        "same content: same snapshot"
    );
    assert_eq!(load(root, false).parsed, 0, "the new mtime was saved");
    let t = &fourth.tasks[3];
    assert_eq!(t.path, "tasks/TASK-0003.task.yaml");
    let meta = std::fs::metadata(&path).unwrap();
    assert!((t.mtime - FileTime::of(&meta).as_f64()).abs() < 1e-6);

    // Forced: everything again, and still the same snapshot; also without any cache.
    let forced = load(root, true);
    assert_eq!(forced.parsed, 6);
    assert_eq!(forced.snapshot, third.snapshot);
    std::fs::remove_dir_all(root.join("tasks/.cache")).unwrap();
    assert_eq!(load(root, false).snapshot, third.snapshot);
    assert!(third.snapshot < 1 << 53, "a JSON-safe integer");
}

/// Load `root` on a thread; its result (parsed count, statuses, warnings, whether the save
/// failed) comes through the receiver.
fn load_on_a_thread(
    root: &Path,
    force: bool,
) -> std::sync::mpsc::Receiver<(usize, Vec<String>, Vec<String>, bool)> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        let loaded = load(&root, force);
        let _ = sender.send((
            loaded.parsed,
            statuses(&loaded),
            loaded.warnings.clone(),
            loaded.unsaved.is_some(),
        ));
    });
    receiver
}

#[test]
fn a_run_never_waits_for_another_runs_save_but_a_refresh_does() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for i in 1..=3 {
        let id = format!("TASK-000{i}");
        write(root, &format!("tasks/{id}.task.yaml"), &task(&id, "todo"));
    }
    assert_eq!(load(root, false).parsed, 3);
    write(
        root,
        "tasks/TASK-0002.task.yaml",
        &task("TASK-0002", "in_progress"),
    );
    let (cache_path, lock_path, _) = cache_paths(root);
    let before = std::fs::read(&cache_path).unwrap();

    // Another process saving (or stopped mid-save) holds the lock. A run that waited for it
    // would never answer while it is held here.
    let held = store::lock_exclusive(&lock_path).unwrap();
    let answer = std::time::Duration::from_secs(120);
    let (parsed, statuses, warnings, unsaved) = load_on_a_thread(root, false)
        .recv_timeout(answer)
        .expect("a run waited for the cache lock");
    assert_eq!(parsed, 1);
    assert_eq!(statuses, ["todo", "in_progress", "todo"]);
    assert!(warnings.is_empty() && !unsaved, "{warnings:?}");
    assert_eq!(
        std::fs::read(&cache_path).unwrap(),
        before,
        "not saved while the lock is busy"
    );

    // `--refresh-cache` waits: it has not finished while the lock is held, and saves after.
    let refresh = load_on_a_thread(root, true);
    assert!(
        refresh
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "a refresh went on without the lock"
    );
    drop(held);
    let (parsed, statuses, warnings, unsaved) = refresh
        .recv_timeout(answer)
        .expect("the refresh never finished");
    assert_eq!(parsed, 3);
    assert_eq!(statuses, ["todo", "in_progress", "todo"]);
    assert!(warnings.is_empty() && !unsaved, "{warnings:?}");
    assert_eq!(load(root, false).parsed, 0, "the refresh saved the cache");
}

#[test]
fn a_cache_its_owner_cannot_read_is_replaced_by_one_they_can() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "tasks/TASK-0001.task.yaml",
        &task("TASK-0001", "todo"),
    );
    assert_eq!(load(root, false).parsed, 1);
    let (cache_path, _, _) = cache_paths(root);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let set =
        |m: u32| std::fs::set_permissions(&cache_path, std::fs::Permissions::from_mode(m)).unwrap();
    // Read-only for everyone: kept as it is, plus the owner's write.
    set(0o444);
    write(
        root,
        "tasks/TASK-0002.task.yaml",
        &task("TASK-0002", "todo"),
    );
    assert_eq!(load(root, false).parsed, 1);
    assert_eq!(mode(&cache_path), 0o644);
    // Unreadable (as root this test could read it anyway: the mode is what is checked).
    set(0o000);
    load(root, true);
    assert_eq!(mode(&cache_path), 0o600);
    assert_eq!(load(root, false).parsed, 0, "the cache is read again");
    // Group and other bits the owner chose are kept.
    set(0o640);
    load(root, true);
    assert_eq!(mode(&cache_path), 0o640);
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
    let rels = |l: &Loaded| l.tasks.iter().map(|t| t.path.clone()).collect::<Vec<_>>();
    let cold = load(root, false);
    let warm = load(root, false);
    assert_eq!(rels(&cold), rels(&warm));
    assert_eq!(rels(&cold)[0], "tasks/0.task.yaml");
}

#[test]
fn a_cached_entry_a_parse_could_not_have_written_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "tasks/TASK-0001.task.yaml",
        &task("TASK-0001", "todo"),
    );
    write(root, "tasks/TASK-0002.task.yaml", "id: [\n");
    let cold = load(root, false);
    for forge in [
        "id",
        "blank title",
        "untrimmed status",
        "task hash",
        "failure hash",
        "snapshot",
    ] {
        // Rewrite the cache with one entry changed and a valid checksum (as a forger could).
        let Opened { front, rest } =
            open_cache(&held_cache(root), &mut Vec::new()).expect("a cache");
        let mut previous = Previous::decode(rest.entries().unwrap(), front.count).unwrap();
        let bad_hash = "z".repeat(64);
        match forge {
            "id" => previous.tasks[0].id = "../../outside".into(),
            "blank title" => previous.tasks[0].title = " ".into(),
            "untrimmed status" => previous.tasks[0].status = " todo ".into(),
            _ => {}
        }
        let snapshot = if forge == "snapshot" {
            u64::MAX
        } else {
            front.snapshot
        };
        resave(root, &front, &previous, snapshot, |e| {
            match (forge, e.outcome) {
                ("task hash", Slot::Task(_)) => &bad_hash,
                ("failure hash", Slot::Failed(_)) => "abc",
                _ => e.sha256,
            }
            .to_string()
        });
        let forged = load(root, false);
        assert!(
            forged.warnings.iter().any(|w| w.contains("corrupt")),
            "{forge}: {:?}",
            forged.warnings
        );
        assert_eq!(statuses(&forged), statuses(&cold), "{forge}");
        assert_eq!(forged.tasks[0].id, "TASK-0001", "{forge}");
        assert_eq!(forged.snapshot, cold.snapshot, "{forge}");
        // Rebuilt: the next run is warm and quiet.
        let warm = load(root, false);
        assert!(warm.warnings.is_empty() && warm.parsed == 0, "{forge}");
    }
}

#[test]
fn an_entry_text_is_sized_exactly_and_read_back_as_written() {
    let task = Task {
        id: "TASK-0001".into(),
        title: "Título with ünïcode".into(),
        status: "todo".into(),
        priority: "P1".into(),
        area: "backend".into(),
        blocked_reason: Some("waits on the API".into()),
        blocked_by: vec!["TASK-0002".into(), "TASK-0003".into()],
        depends_on: vec!["TASK-0004".into()],
        schema_version: "1.1".into(),
        ..Task::default()
    };
    let failure = ParseFailure::new("line 3: mapping values are not allowed here");
    let long = "x".repeat(300);
    let sha = "a".repeat(64);
    let entries = [
        StoredRef {
            rel: &long,
            size: 1,
            mtime: FileTime::default(),
            sha256: &sha,
            outcome: OutcomeRef::Task(&task),
        },
        StoredRef {
            rel: "tasks/b.task.yaml",
            size: 2,
            mtime: FileTime { secs: -5, nanos: 7 },
            sha256: "",
            outcome: OutcomeRef::Failed(&failure),
        },
    ];
    for entry in &entries {
        let mut out = Vec::new();
        entries::write_section(&mut out, std::slice::from_ref(entry).iter().copied()).unwrap();
        let records = u64::from_le_bytes(out[..8].try_into().unwrap()) as usize;
        assert_eq!(out.len() - 8 - records, entry.text_len());
    }
    // Both, then read back: every string where the records say it is.
    let mut out = Vec::new();
    entries::write_section(&mut out, entries.iter().copied()).unwrap();
    let mut reader = entries::Reader::new(out.leak()).unwrap();
    let first = reader.entry().unwrap();
    assert_eq!((first.rel, first.size, first.sha256), (&*long, 1, &*sha));
    match first.outcome {
        StoredOutcome::Task(read) => assert_eq!(
            read,
            Task {
                path: long.clone().into(),
                hash: sha.clone().into(),
                ..task.clone()
            }
        ),
        StoredOutcome::Failed(_) => panic!("a task was written"),
    }
    let second = reader.entry().unwrap();
    assert_eq!(
        (second.rel, second.size, second.mtime, second.sha256),
        ("tasks/b.task.yaml", 2, FileTime { secs: -5, nanos: 7 }, "")
    );
    match second.outcome {
        StoredOutcome::Failed(read) => assert_eq!(read, failure),
        StoredOutcome::Task(_) => panic!("a failure was written"),
    }
    assert!(reader.is_empty());
}

#[test]
fn forged_entry_bytes_are_refused_never_a_panic() {
    // Whatever a forger writes under a valid checksum, decoding gives tasks or an error: every
    // byte changed in turn, and every truncation.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "tasks/TASK-0001.task.yaml",
        "id: TASK-0001\ntitle: Ünïcode title\nstatus: blocked\npriority: P1\narea: core\nblocked_by: [TASK-0002]\nblocked_reason: waits\norder: 3\n",
    );
    write(
        root,
        "tasks/TASK-0002.task.yaml",
        &task("TASK-0002", "todo"),
    );
    write(root, "tasks/TASK-0003.task.yaml", "id: [\n");
    load(root, false);
    let Opened { front, rest } = open_cache(&held_cache(root), &mut Vec::new()).expect("a cache");
    let section = rest.entries().unwrap();
    let good = Previous::decode(section, front.count).unwrap();
    assert_eq!((good.tasks.len(), good.failures.len()), (2, 1));
    assert_eq!(good.tasks[0].title, "Ünïcode title");
    for at in 0..section.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut forged = section.to_vec();
            forged[at] ^= flip;
            let _ = Previous::decode(forged.leak(), front.count);
        }
        let _ = Previous::decode(section[..at].to_vec().leak(), front.count);
    }
    for count in [0, 1, 2, 4, u64::MAX] {
        assert!(Previous::decode(section, count).is_err(), "count {count}");
    }
}

#[test]
fn racily_clean_an_edit_in_the_same_clock_tick_is_seen() {
    // A file system that keeps times to the second gives an edit made in the same second as the
    // previous one the same mtime; with the same size, only the content tells. An entry made
    // that close to its file's change is checked again until the change has settled.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tick = std::time::SystemTime::now();
    write_at(
        root,
        "tasks/TASK-0001.task.yaml",
        &task("TASK-0001", "todo"),
        tick,
    );
    assert_eq!(statuses(&load(root, false)), ["todo"]);
    write_at(
        root,
        "tasks/TASK-0001.task.yaml",
        &task("TASK-0001", "done"),
        tick,
    );
    let seen = load(root, false);
    assert_eq!(
        statuses(&seen),
        ["done"],
        "an edit in the same tick is seen"
    );
    // Checked again (its bytes hashed), not parsed; not saved again while it is recent.
    let again = load(root, false);
    assert_eq!(
        (statuses(&again), again.parsed),
        (vec!["done".to_string()], 1)
    );
    assert_eq!(again.snapshot, seen.snapshot);
    // Once settled, the entry is trusted: nothing is read.
    let (cache_path, _, _) = cache_paths(root);
    let before = std::fs::read(&cache_path).unwrap();
    let settled = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
    set_mtime(&root.join("tasks/TASK-0001.task.yaml"), settled);
    assert_eq!(load(root, false).parsed, 1, "the new mtime is read once");
    assert_ne!(std::fs::read(&cache_path).unwrap(), before, "and saved");
    assert_eq!(load(root, false).parsed, 0, "then trusted");
    // A file dated in the future never settles: hashed on each run, never saved for it.
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    set_mtime(&root.join("tasks/TASK-0001.task.yaml"), future);
    load(root, false);
    let saved = std::fs::read(&cache_path).unwrap();
    for _ in 0..2 {
        let run = load(root, false);
        assert_eq!((run.parsed, statuses(&run)), (1, vec!["done".to_string()]));
        assert_eq!(
            std::fs::read(&cache_path).unwrap(),
            saved,
            "not saved again"
        );
    }
}

#[test]
fn a_killed_save_leaves_no_file_behind_for_long() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "tasks/TASK-0001.task.yaml",
        &task("TASK-0001", "todo"),
    );
    load(root, false);
    let (_, _, cache_dir) = cache_paths(root);
    let leftover = cache_dir.join(format!(".{CACHE_FILE}.Xy12ab.tmp"));
    std::fs::write(&leftover, b"half a cache").unwrap();
    let other = cache_dir.join("draft-warnings.json.tmp");
    std::fs::write(&other, b"not ours to sweep").unwrap();
    write(
        root,
        "tasks/TASK-0002.task.yaml",
        &task("TASK-0002", "todo"),
    );
    load(root, false);
    assert!(!leftover.exists(), "swept by the next save");
    assert!(other.exists(), "only the cache's own leftovers are removed");
}

#[test]
fn the_word_hex_check_agrees_with_a_byte_by_byte_one() {
    let plain =
        |s: &[u8]| s.len() == 64 && s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let good = b"0123456789abcdef".repeat(4);
    assert!(is_sha256_hex(std::str::from_utf8(&good).unwrap()));
    // Every byte value at every position of a good hash (and every length around 64).
    for at in 0..64 {
        for byte in 0..=255u8 {
            let mut bytes = good.clone();
            bytes[at] = byte;
            if let Ok(text) = std::str::from_utf8(&bytes) {
                assert_eq!(is_sha256_hex(text), plain(&bytes), "{byte:#x} at {at}");
            }
            // Non-UTF-8 bytes reach the word check through the others' neighbours too.
            let word = u64::from_le_bytes(bytes[at / 8 * 8..at / 8 * 8 + 8].try_into().unwrap());
            assert_eq!(
                is_lower_hex_word(word),
                plain(&[&bytes[at / 8 * 8..at / 8 * 8 + 8], &good[8..]].concat()),
                "{byte:#x} at {at}"
            );
        }
    }
    for len in [0, 1, 63, 65, 128] {
        let text = "a".repeat(len);
        assert!(!is_sha256_hex(&text), "{len}");
    }
}

#[test]
fn the_directory_records_are_read_in_place_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "tasks/a/TASK-0001.task.yaml",
        &task("TASK-0001", "todo"),
    );
    write(
        root,
        "tasks/b/TASK-0002.task.yaml",
        &task("TASK-0002", "todo"),
    );
    load(root, false);
    let Opened { front, .. } = open_cache(&held_cache(root), &mut Vec::new()).expect("a cache");
    assert!(front.dirs.len() >= 3, "{:?}", front.dirs);
    for record in &front.dirs {
        // Borrowed from the file's bytes, not copied.
        assert!(
            matches!(record.rel, std::borrow::Cow::Borrowed(_))
                && matches!(record.paths, std::borrow::Cow::Borrowed(_))
                && matches!(record.kinds, std::borrow::Cow::Borrowed(_)),
            "{record:?}"
        );
    }
}

#[test]
fn a_forged_entry_count_cannot_reserve_more_than_a_bound() {
    let section = |records: usize| -> &'static [u8] {
        let mut bytes = (records as u64).to_le_bytes().to_vec();
        bytes.resize(8 + records, 0);
        bytes.leak()
    };
    let small = entries::Reader::new(section(60)).unwrap();
    // No more than the records could hold (30 bytes an entry at least) ...
    assert_eq!(small.capacity(5), 2);
    assert_eq!(small.capacity(1), 1);
    // ... and never more than the memory budget: four times the section, and 16 MiB.
    let len = 30 * 1_000_000;
    let large = entries::Reader::new(section(len)).unwrap();
    let most = large.capacity(u64::MAX);
    assert!(most < 1_000_000, "{most}");
    assert!(
        most * entries::ENTRY_COST <= 4 * (len + 8) + (16 << 20),
        "{most}"
    );
    assert_eq!(large.capacity(7), 7);
}

#[test]
fn a_section_declaring_more_than_its_size_is_damaged_not_decoded() {
    // Empty list items cost a byte on disk and a string slot in memory: a million of them
    // (an 8 MB forged cache could hold nine) overrun the budget; a thousand do not.
    let read = |items: usize| {
        let task = Task {
            id: "TASK-0001".into(),
            title: "t".into(),
            status: "todo".into(),
            priority: "P1".into(),
            blocked_by: vec!["".into(); items],
            ..Task::default()
        };
        let mut out = Vec::new();
        let entry = StoredRef {
            rel: "tasks/TASK-0001.task.yaml",
            size: 1,
            mtime: FileTime::default(),
            sha256: "",
            outcome: OutcomeRef::Task(&task),
        };
        entries::write_section(&mut out, std::iter::once(entry)).unwrap();
        let mut reader = entries::Reader::new(out.leak()).unwrap();
        reader.entry().map(|_| ())
    };
    assert!(read(1_000).is_ok());
    let refused = read(1_000_000).unwrap_err();
    assert!(refused.0.contains("declares more"), "{refused}");
}

#[test]
fn a_front_declaring_too_many_directories_is_damaged_not_decoded() {
    let record = DirRecord::for_test("", String::new(), String::new());
    let front = |dirs: usize| -> &'static [u8] {
        let dirs: Vec<std::borrow::Cow<DirRecord>> =
            vec![std::borrow::Cow::Borrowed(&record); dirs];
        let front = FrontRef {
            snapshot: 1,
            listed_at: FileTime::default(),
            dirs: &dirs,
            count: 0,
        };
        postcard::to_stdvec(&front).unwrap().leak()
    };
    assert_eq!(
        postcard::from_bytes::<Front>(front(3)).unwrap().dirs.len(),
        3
    );
    assert_eq!(
        postcard::from_bytes::<Front>(front(MAX_DIRS))
            .unwrap()
            .dirs
            .len(),
        MAX_DIRS
    );
    assert!(postcard::from_bytes::<Front>(front(MAX_DIRS + 1)).is_err());
}

#[test]
fn a_buffer_the_system_cannot_give_is_none_not_an_abort() {
    assert_eq!(leaked_zeroed(10).map(|b| b.to_vec()), Some(vec![0u8; 10]));
    assert_eq!(leaked_zeroed(0).map(|b| b.len()), Some(0));
    // Far more than any machine has: refused, and the cache is rebuilt instead of read.
    assert!(leaked_zeroed(1 << 62).is_none());
    assert!(leaked_zeroed(usize::MAX).is_none());
}

#[test]
fn a_cache_file_this_tool_did_not_write_here_is_not_read() {
    // The attack: a cache committed to the repository whose entry for a reviewed, harmless
    // file holds the parse of another text with the harmless file's hash. After a clone every
    // file's mtime is new, its hash matches, and the entry's task would be believed.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let rel = "tasks/TASK-0001.task.yaml";
    write(root, rel, &task("TASK-0001", "todo"));
    load(root, false);
    let harmless = task("TASK-0001", "completed");
    write(root, rel, &harmless);
    let (cache_path, _, cache_dir) = cache_paths(root);
    let Opened { front, rest } = open_cache(&held_cache(root), &mut Vec::new()).expect("a cache");
    let previous = Previous::decode(rest.entries().unwrap(), front.count).unwrap();
    let harmless_hash = crate::store::sha256_hex(harmless.as_bytes());
    resave(root, &front, &previous, front.snapshot, |_| {
        harmless_hash.clone()
    });
    std::fs::hard_link(&cache_path, cache_dir.join("kept")).unwrap();
    // Written here, by this tool: believed (whoever can write it can write the task files).
    let forged = std::fs::read(&cache_path).unwrap();
    assert_eq!(statuses(&load(root, false)), ["todo"]);
    // The same bytes in another file, as a clone, a copy or a restore makes them: not read.
    // (The forged file's inode is kept, so that the copy cannot be given its number: a number
    // given again is told apart by its birth time where the file system records one.)
    let copy = cache_dir.join("copy.bin");
    std::fs::write(&copy, &forged).unwrap();
    std::fs::rename(&copy, &cache_path).unwrap();
    let cloned = load(root, false);
    assert_eq!(statuses(&cloned), ["completed"]);
    assert_eq!(cloned.parsed, 1, "every file read again");
    assert!(cloned.warnings.is_empty(), "{:?}", cloned.warnings);
    // The cache written then is this run's own: the next run is warm.
    assert_eq!(load(root, false).parsed, 0);
}
