//! The private task cache: correct whatever state it is in, and invisible in the results.

use crate::list::workflow_repo;
use serde_json::Value;

const CACHE: &str = "tasks/.cache/task-index.v9.bin";

fn without_time(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("generated_at");
    doc
}

#[test]
fn cold_and_warm_runs_print_the_same() {
    let repo = workflow_repo();
    repo.write("tasks/broken/TASK-0077.task.yaml", "id: [\n");
    let (_, cold, _) = repo.json(&["--list"]);
    assert!(repo.root().join(CACHE).is_file());
    let (_, warm, _) = repo.json(&["--list"]);
    assert_eq!(without_time(cold.clone()), without_time(warm));
    let (_, forced, _) = repo.json(&["--refresh-cache"]);
    assert_eq!(forced["tasks_loaded"], 8);
    let (_, after, _) = repo.json(&["--list"]);
    assert_eq!(without_time(cold), without_time(after));
}

#[test]
fn snapshot_id_changes_only_when_task_files_change() {
    let repo = workflow_repo();
    let snapshot = || repo.json(&["--pick"]).1["snapshot_id"].as_u64().unwrap();
    let first = snapshot();
    assert_eq!(snapshot(), first);
    assert_eq!(snapshot(), first);
    repo.task(
        "tasks/backend/TASK-0002.task.yaml",
        "TASK-0002",
        "in_progress",
        "P2",
        "",
    );
    let second = snapshot();
    assert_ne!(second, first);
    let (_, doc, _) = repo.json(&["--list", "in_progress"]);
    assert_eq!(crate::support::ids(&doc), vec!["TASK-0007", "TASK-0002"]);
    // rebuilding or losing the cache does not change it: it identifies content
    assert_eq!(repo.json(&["--refresh-cache"]).1["snapshot_id"], second);
    std::fs::remove_dir_all(repo.root().join("tasks/.cache")).unwrap();
    assert_eq!(snapshot(), second);
    // back to the first content, back to the first id
    repo.task(
        "tasks/backend/TASK-0002.task.yaml",
        "TASK-0002",
        "todo",
        "P2",
        "",
    );
    assert_eq!(snapshot(), first);
    std::fs::remove_file(repo.root().join("tasks/backend/TASK-0002.task.yaml")).unwrap();
    assert_ne!(snapshot(), first);
    assert_eq!(repo.json(&["--list"]).1["count"], 7);
}

#[test]
fn corrupt_cache_is_rebuilt_with_one_warning() {
    let repo = workflow_repo();
    repo.run(&["--list"]);
    repo.write(CACHE, "{ this is not json");
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 8);
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("corrupt"), "{}", warnings[0]);
    let (_, _, run) = repo.json(&["--list"]);
    assert_eq!(run.stderr, "", "the rebuilt cache is valid");
}

#[test]
fn truncated_or_foreign_caches_never_break_a_run() {
    let repo = workflow_repo();
    repo.run(&["--list"]);
    let path = repo.root().join(CACHE);
    let full = std::fs::read(&path).unwrap();
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 8);
    assert_eq!(run.warnings().len(), 1, "{}", run.stderr);
    // Rebuilt whole (not byte for byte: the directory records carry their stamps): the next
    // run reads it without a word.
    let rebuilt = std::fs::read(&path).unwrap();
    assert!(
        rebuilt.len() > full.len() / 2,
        "rebuilt, not left truncated"
    );
    let (_, again, run) = repo.json(&["--list"]);
    assert_eq!(run.stderr, "", "the rebuilt cache is valid");
    assert_eq!(again["count"], 8);
    // another format version (999) written by another release: replaced silently
    let mut foreign = b"tasks task-index\n".to_vec();
    foreign.extend([0xE7, 0x07, 0x05]);
    foreign.extend(b"9.9.9 and whatever follows");
    std::fs::write(&path, foreign).unwrap();
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 8);
    assert_eq!(run.stderr, "");
}

#[test]
fn unreadable_and_unwritable_cache_still_gives_correct_results() {
    let repo = workflow_repo();
    std::fs::create_dir_all(repo.root().join(CACHE)).unwrap();
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 8);
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("cannot read the task cache"))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("could not save the task cache"))
    );
}

#[test]
fn cache_directory_ignores_itself_in_git() {
    let repo = workflow_repo();
    repo.run(&["--list"]);
    assert!(repo.read("tasks/.cache/.gitignore").contains('*'));
    repo.commit();
    assert_eq!(repo.git_stdout(&["status", "--porcelain"]), "");
}

/// The warm `--list` (cache, reused directory listings) against a cold one (no cache) of the
/// same files.
fn warm_matches_cold(repo: &crate::support::TestRepo, what: &str) -> Value {
    let (_, warm, warm_run) = repo.json(&["--list"]);
    std::fs::remove_dir_all(repo.root().join("tasks/.cache")).unwrap();
    let (_, cold, cold_run) = repo.json(&["--list"]);
    assert_eq!(warm_run.stderr, cold_run.stderr, "{what}");
    assert_eq!(
        without_time(warm.clone()),
        without_time(cold),
        "{what}: the cached run differs from a cold one"
    );
    warm
}

/// Let every directory settle (its listing is then reused by later runs, docs/performance.md),
/// and check the cache took note.
fn settle(repo: &crate::support::TestRepo) {
    repo.run(&["--list"]);
    let digest = || crate::support::sha256(&std::fs::read(repo.root().join(CACHE)).unwrap());
    let before = digest();
    std::thread::sleep(std::time::Duration::from_millis(2_300));
    repo.run(&["--list"]);
    assert_ne!(before, digest(), "settled directories are recorded as such");
}

fn set_mtime(path: &std::path::Path, secs: i64) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let times = [
        libc::timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
        libc::timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
    ];
    // SAFETY: a NUL-terminated path and two timespecs, as utimensat takes them.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), 0) };
    assert_eq!(rc, 0);
}

#[test]
fn every_kind_of_change_is_seen_by_a_warm_run() {
    let repo = workflow_repo();
    repo.task(
        "tasks/web/sub/TASK-0010.task.yaml",
        "TASK-0010",
        "todo",
        "P2",
        "",
    );
    let ids = |doc: &Value| crate::support::ids(doc);

    // Round 1: edits (size kept or not), an addition, a removal.
    settle(&repo);
    let path = repo.root().join("tasks/backend/TASK-0002.task.yaml");
    let text = repo.read("tasks/backend/TASK-0002.task.yaml");
    let same_size = text.replace("priority: P2", "priority: P0");
    assert_eq!(same_size.len(), text.len());
    std::fs::write(&path, same_size).unwrap();
    set_mtime(&path, 1_700_000_000);
    repo.write(
        "tasks/mobile/TASK-0004.task.yaml",
        crate::support::task_yaml("TASK-0004", "in_progress", "P1", "notes: longer now\n"),
    );
    repo.task(
        "tasks/mobile/TASK-0011.task.yaml",
        "TASK-0011",
        "todo",
        "P0",
        "",
    );
    std::fs::remove_file(repo.root().join("tasks/web/TASK-0008.task.yaml")).unwrap();
    let doc = warm_matches_cold(&repo, "round 1");
    let tasks = doc["tasks"].as_array().unwrap();
    let find = |id: &str| tasks.iter().find(|t| t["id"] == id).cloned();
    assert_eq!(
        find("TASK-0002").unwrap()["priority"],
        "P0",
        "same size, other mtime"
    );
    assert_eq!(find("TASK-0004").unwrap()["status"], "in_progress");
    assert!(find("TASK-0011").is_some(), "added");
    assert!(find("TASK-0008").is_none(), "removed");

    // Round 2: a rename, a move to another directory, a new subdirectory, and an addition
    // whose directory mtime is then set back to what it was (its ctime still moves).
    settle(&repo);
    std::fs::rename(
        repo.root().join("tasks/backend/TASK-0003.task.yaml"),
        repo.root()
            .join("tasks/backend/TASK-0003-renamed.task.yaml"),
    )
    .unwrap();
    std::fs::rename(
        repo.root().join("tasks/mobile/TASK-0011.task.yaml"),
        repo.root().join("tasks/web/TASK-0011.task.yaml"),
    )
    .unwrap();
    repo.task(
        "tasks/data/deep/TASK-0012.task.yaml",
        "TASK-0012",
        "todo",
        "P1",
        "",
    );
    let web_sub = repo.root().join("tasks/web/sub");
    let old = std::fs::metadata(&web_sub).unwrap();
    repo.task(
        "tasks/web/sub/TASK-0013.task.yaml",
        "TASK-0013",
        "todo",
        "P1",
        "",
    );
    set_mtime(&web_sub, std::os::unix::fs::MetadataExt::mtime(&old));
    let doc = warm_matches_cold(&repo, "round 2");
    let paths: Vec<&str> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("TASK-0003-renamed.task.yaml"))
    );
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("tasks/web/TASK-0011.task.yaml"))
    );
    assert!(
        ids(&doc).contains(&"TASK-0012".to_string()),
        "new subdirectory"
    );
    assert!(
        ids(&doc).contains(&"TASK-0013".to_string()),
        "mtime set back"
    );

    // Round 3: a directory removed, a directory replaced by a link (never entered), a file
    // replaced by a link to a file in the repository, an archived task.
    settle(&repo);
    std::fs::remove_dir_all(repo.root().join("tasks/data")).unwrap();
    std::fs::rename(
        repo.root().join("tasks/web/sub"),
        repo.root().join("elsewhere"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        repo.root().join("elsewhere"),
        repo.root().join("tasks/web/sub"),
    )
    .unwrap();
    std::fs::rename(
        repo.root().join("tasks/web/TASK-0011.task.yaml"),
        repo.root().join("spare-0011.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        repo.root().join("spare-0011.yaml"),
        repo.root().join("tasks/web/TASK-0011.task.yaml"),
    )
    .unwrap();
    std::fs::rename(
        repo.root().join("tasks/web/TASK-0007.task.yaml"),
        repo.root().join("docs/completed-tasks/TASK-0007.task.yaml"),
    )
    .unwrap();
    let doc = warm_matches_cold(&repo, "round 3");
    let ids = ids(&doc);
    assert!(!ids.contains(&"TASK-0012".to_string()), "directory removed");
    assert!(
        !ids.contains(&"TASK-0010".to_string()),
        "a linked directory is not entered"
    );
    assert!(
        ids.contains(&"TASK-0011".to_string()),
        "a link to a file is read"
    );
    let archived = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "TASK-0007")
        .unwrap();
    assert!(
        archived["path"]
            .as_str()
            .unwrap()
            .contains("docs/completed-tasks/")
    );
}

#[test]
fn a_cache_of_an_older_layout_is_rebuilt_not_misread() {
    let repo = workflow_repo();
    let (_, expected, _) = repo.json(&["--list"]);
    std::fs::remove_dir_all(repo.root().join("tasks/.cache")).unwrap();
    // The previous layout's file, whatever it holds, is not read, and goes when the new one is
    // written.
    for (old, version) in [
        ("tasks/.cache/task-index.v2.bin", 2),
        ("tasks/.cache/task-index.v5.bin", 5),
        ("tasks/.cache/task-index.v6.bin", 6),
        ("tasks/.cache/task-index.v7.bin", 7),
        ("tasks/.cache/task-index.v8.bin", 8),
    ] {
        let mut bytes = b"tasks task-index\n".to_vec();
        bytes.extend([version, 5]);
        bytes.extend(b"0.1.0 entries that would decode as garbage");
        repo.write(old, &bytes);
        std::fs::remove_file(repo.root().join(CACHE)).ok();
        let (_, doc, run) = repo.json(&["--list"]);
        assert_eq!(run.stderr, "");
        assert_eq!(without_time(doc), without_time(expected.clone()));
        assert!(
            !repo.root().join(old).exists(),
            "the old layout's file {old} is removed"
        );
    }
    // The current file name with an older version inside: replaced silently.
    let mut older = b"tasks task-index\n".to_vec();
    older.extend([2, 5]);
    older.extend(b"0.1.0");
    older.extend([0u8; 64]);
    repo.write(CACHE, &older);
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(run.stderr, "");
    assert_eq!(without_time(doc), without_time(expected));
    assert_ne!(std::fs::read(repo.root().join(CACHE)).unwrap(), older);
}

#[test]
fn odd_names_and_old_times_are_read_right_warm_and_cold() {
    use std::os::unix::ffi::OsStrExt;
    let repo = crate::support::TestRepo::new();
    // A directory whose name is not UTF-8, beside one named as its lossy form.
    let odd = repo.root().join(std::ffi::OsStr::from_bytes(b"tasks/\xff"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(
        odd.join("a.task.yaml"),
        crate::support::task_yaml("TASK-0001", "todo", "P1", ""),
    )
    .unwrap();
    repo.task("tasks/\u{fffd}/a.task.yaml", "TASK-0002", "todo", "P1", "");
    let doc = warm_matches_cold(&repo, "odd names");
    let mut ids = crate::support::ids(&doc);
    ids.sort();
    assert_eq!(ids, ["TASK-0001", "TASK-0002"]);
    // A file dated before 1970, edited at the same size and dated before 1970 again.
    repo.task(
        "tasks/old/TASK-0003.task.yaml",
        "TASK-0003",
        "todo",
        "P1",
        "",
    );
    let path = repo.root().join("tasks/old/TASK-0003.task.yaml");
    set_mtime(&path, -315_619_200);
    repo.run(&["--list"]);
    let text = std::fs::read_to_string(&path).unwrap().replace("P1", "P0");
    std::fs::write(&path, text).unwrap();
    set_mtime(&path, -144_201_600);
    let (_, doc, _) = repo.json(&["--list"]);
    let old = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "TASK-0003")
        .unwrap();
    assert_eq!(old["priority"], "P0", "an edit dated before 1970 is seen");
}

#[test]
fn a_damaged_cache_is_rebuilt_never_believed() {
    let repo = workflow_repo();
    let (_, expected, _) = repo.json(&["--list"]);
    let path = repo.root().join(CACHE);
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    // The identity of the file the cache was written in (device, inode, birth time) follows the
    // magic line (17 bytes), the header (the version, 1 byte; the tool's version, its length and
    // text) and the two lengths (16 bytes). A cache whose identity is not its file's is another
    // file (copied, cloned): rebuilt without a warning.
    let identity = 17 + 1 + 1 + env!("CARGO_PKG_VERSION").len() + 16;
    // One byte changed at many places (past the magic line and the version), in place (the file
    // the last run wrote, whose identity it records): each run gives the cold result, with one
    // warning, and leaves a valid cache behind.
    let step = (len / 40).max(1);
    for at in (24..len).step_by(step).chain(identity..identity + 24) {
        let mut damaged = std::fs::read(&path).unwrap();
        damaged[at] ^= 0x01;
        std::fs::write(&path, &damaged).unwrap();
        let (_, doc, run) = repo.json(&["--list"]);
        assert_eq!(
            without_time(doc),
            without_time(expected.clone()),
            "byte {at} changed"
        );
        let warned = if (identity..identity + 24).contains(&at) {
            0
        } else {
            1
        };
        assert_eq!(run.warnings().len(), warned, "byte {at}: {}", run.stderr);
        let (_, _, again) = repo.json(&["--list"]);
        assert_eq!(again.stderr, "", "byte {at}: the rebuilt cache is valid");
    }
}

#[test]
fn a_cache_grown_since_it_was_written_is_not_read() {
    // A sparse gigabyte after the real bytes: refused by its length at once (nothing of it is
    // read into memory), rebuilt with one warning.
    let repo = workflow_repo();
    let (_, expected, _) = repo.json(&["--list"]);
    let path = repo.root().join(CACHE);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(without_time(doc), without_time(expected));
    assert_eq!(run.warnings().len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("length"), "{}", run.stderr);
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20, "rebuilt");
}

#[test]
fn a_cache_replaced_by_a_link_lends_it_no_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let repo = workflow_repo();
    repo.run(&["--list"]);
    let path = repo.root().join(CACHE);
    // A world-writable, setuid file outside, linked in the cache's place.
    let outside = tempfile::tempdir().unwrap();
    let lender = outside.path().join("lender");
    std::fs::write(&lender, b"x").unwrap();
    std::fs::set_permissions(&lender, std::fs::Permissions::from_mode(0o4777)).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&lender, &path).unwrap();
    repo.run(&["--list"]);
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.is_file(), "the link is replaced by a plain file");
    assert_eq!(
        meta.permissions().mode() & 0o7002,
        0,
        "{:o}",
        meta.permissions().mode()
    );
    assert_eq!(
        std::fs::read(&lender).unwrap(),
        b"x",
        "the outside file is untouched"
    );
}

#[test]
fn a_cache_too_large_for_the_memory_given_is_rebuilt_not_an_abort() {
    use std::os::unix::process::CommandExt;
    let repo = workflow_repo();
    let (_, expected, _) = repo.json(&["--list"]);
    // A genuine cache whose header says it is 2 GiB long, and is (a sparse file): its front is
    // read and checked, then a buffer of its size is asked for.
    let path = repo.root().join(CACHE);
    let mut bytes = std::fs::read(&path).unwrap();
    let len = (bytes.len() as u64).to_le_bytes();
    let at = bytes[..64]
        .windows(8)
        .position(|w| w == len)
        .expect("the header holds the file's length");
    let large: u64 = 2 << 30;
    bytes[at..at + 8].copy_from_slice(&large.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(large)
        .unwrap();
    let mut cmd = crate::support::command();
    cmd.args(["--list", "--format", "json"])
        .current_dir(repo.root());
    // SAFETY: only `setrlimit`, async-signal-safe, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("no memory"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(without_time(doc), without_time(expected));
    // Rebuilt at its real size.
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
}

#[test]
fn refresh_cache_fails_when_it_cannot_write_the_cache_other_commands_warn() {
    let repo = workflow_repo();
    let (_, expected, _) = repo.json(&["--list"]);
    // Something that is not a file in the cache file's place: the save fails.
    std::fs::remove_dir_all(repo.root().join("tasks/.cache")).unwrap();
    std::fs::create_dir_all(repo.root().join(CACHE).join("x")).unwrap();
    let (code, doc, run) = repo.json(&["--refresh-cache"]);
    assert_eq!(code, 40, "{}", run.stderr);
    assert_eq!(doc["error"]["code"], "E041", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("task-index.v9.bin"), "{message}");
    assert!(
        doc["error"]["recovery_action"]
            .as_str()
            .unwrap()
            .contains("--refresh-cache again"),
        "{doc}"
    );
    // Every other command works without the cache, with a warning.
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(without_time(doc), without_time(expected.clone()));
    assert!(
        run.stderr.contains("could not save the task cache"),
        "{}",
        run.stderr
    );
    // A cache directory that is a link: refused, E002.
    std::fs::remove_dir_all(repo.root().join("tasks/.cache")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), repo.root().join("tasks/.cache")).unwrap();
    // A malformed file the ledger has not seen: a failed refresh does not record it.
    repo.write("tasks/TASK-0999-broken.task.yaml", "id: [\n");
    let ledger = repo
        .root()
        .join("docs/compliance/context-cache-exceptions.json");
    let before = std::fs::read(&ledger).ok();
    let (code, doc, _) = repo.json(&["--refresh-cache"]);
    assert_eq!(code, 10);
    assert_eq!(doc["error"]["code"], "E002", "{doc}");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    assert_eq!(
        std::fs::read(&ledger).ok(),
        before,
        "the ledger is unchanged"
    );
    std::fs::remove_file(repo.root().join("tasks/TASK-0999-broken.task.yaml")).unwrap();
    let (code, doc, _) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(without_time(doc), without_time(expected));
    // Put right: the refresh works again.
    std::fs::remove_file(repo.root().join("tasks/.cache")).unwrap();
    let (code, doc, run) = repo.json(&["--refresh-cache"]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(doc["success"], true);
    assert!(repo.root().join(CACHE).is_file());
}

/// Huge pages (docs/performance.md, `src/alloc.rs`) are asked for by a warm run from a large
/// cache only, and given up before a mass parse (a cold run's, or most files changed); small
/// repositories never ask.
/// The requests show as phases of `TASKS_TRACE_TIME`.
#[test]
fn huge_pages_are_asked_for_by_warm_runs_on_large_repositories_only() {
    // The binary maps its arena unless the kernel never overcommits (then the requests are
    // traced as made without one).
    let arena = std::fs::read_to_string("/proc/sys/vm/overcommit_memory")
        .map_or(true, |mode| mode.trim() != "2");
    let asks = |repo: &crate::support::TestRepo| {
        let run = repo.run_env(&["--list"], &[("TASKS_TRACE_TIME", "1")]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stderr.contains("(no arena)"),
            !arena && run.stderr.contains("trace: heap:"),
            "{}",
            run.stderr
        );
        (
            run.stderr.contains("trace: heap: huge pages"),
            run.stderr.contains("trace: heap: small pages"),
        )
    };
    let small = crate::support::TestRepo::new();
    small.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    assert_eq!(asks(&small), (false, false), "cold, small");
    assert_eq!(asks(&small), (false, false), "warm, small");

    // 3,600 tasks with long titles: a cache of over 1.5 MiB. Written with an old mtime, so that
    // the warm run trusts every entry (one made within a clock tick of its file's change is
    // read again).
    let large = crate::support::TestRepo::new();
    let title = "A long title ".repeat(32);
    let write_all = |priority: &str, mtime: i64| {
        for n in 0..3_600 {
            let rel = format!("tasks/TASK-{n:05}.task.yaml");
            let yaml = format!(
                "id: TASK-{n:05}\ntitle: {title}{n}\nstatus: todo\npriority: {priority}\narea: x\n"
            );
            large.write(&rel, yaml);
            set_mtime(&large.root().join(rel), mtime);
        }
    };
    write_all("P2", 1_700_000_000);
    // Cold: every file is parsed, in small pages.
    assert_eq!(asks(&large), (false, true), "cold, large");
    let cache = std::fs::metadata(large.root().join(CACHE)).unwrap().len();
    assert!(cache >= 3 << 19, "the cache holds {cache} bytes");
    assert_eq!(asks(&large), (true, false), "warm, large");
    // Every file changed: the run goes back to small pages before parsing them again.
    write_all("P1", 1_700_000_100);
    assert_eq!(asks(&large), (true, true), "warm cache, every file changed");
}

#[test]
fn a_refresh_says_at_once_that_it_waits_for_a_held_cache_lock_and_goes_on_once_it_is_free() {
    use std::io::BufRead;
    let repo = workflow_repo();
    repo.run(&["--list"]);
    // Another run holds the cache lock (saving, or stopped while it saved).
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(repo.root().join("tasks/.cache/task-index.lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = crate::support::command()
        .args(["--refresh-cache"])
        .current_dir(repo.root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let _ = sender.send(line.unwrap_or_default());
        }
    });
    let first = lines.recv_timeout(std::time::Duration::from_secs(120));
    let still_waiting = child.try_wait().unwrap().is_none();
    lock.unlock().unwrap();
    let status = child.wait().unwrap();
    let first = first.expect("nothing on stderr while waiting for the lock");
    assert!(
        first.starts_with("Note: waiting for ") && first.contains("task-index.lock"),
        "{first}"
    );
    assert!(still_waiting, "the refresh went on without the lock");
    assert_eq!(status.code(), Some(0));
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(stdout.starts_with("Cache refreshed: "), "{stdout}");
}
