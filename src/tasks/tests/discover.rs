use super::*;

/// Each file of `rels` under `root`, its directories made, holding its own path.
fn write_tree(root: &Path, rels: &[&str]) {
    for rel in rels {
        std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
        std::fs::write(root.join(rel), rel).unwrap();
    }
}

#[test]
fn active_before_archived_each_sorted_and_recursive() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(
        root,
        &[
            "tasks/zz/b.task.yaml",
            "tasks/zz/sub/a.task.yaml",
            "tasks/a.task.yaml",
            "tasks/mobile/c.task.yaml",
            "tasks/notes.yaml",
            "docs/completed-tasks/0.task.yaml",
            "docs/templates/t.task.yaml",
        ],
    );
    let rels: Vec<String> = discover(root)
        .0
        .into_iter()
        .map(|f| f.rel.into_owned())
        .collect();
    assert_eq!(
        rels,
        vec![
            "tasks/a.task.yaml",
            "tasks/mobile/c.task.yaml",
            "tasks/zz/b.task.yaml",
            "tasks/zz/sub/a.task.yaml",
            "docs/completed-tasks/0.task.yaml",
        ]
    );
}

#[cfg(unix)]
#[test]
fn symlinked_files_are_read_symlinked_dirs_are_not_entered() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tasks")).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    std::fs::write(root.join("elsewhere/x.task.yaml"), "x").unwrap();
    std::os::unix::fs::symlink(
        root.join("elsewhere/x.task.yaml"),
        root.join("tasks/link.task.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root.join("elsewhere"), root.join("tasks/dirlink")).unwrap();
    let rels: Vec<String> = discover(root)
        .0
        .into_iter()
        .map(|f| f.rel.into_owned())
        .collect();
    assert_eq!(rels, vec!["tasks/link.task.yaml"]);
}

#[test]
fn a_trusted_unchanged_directory_is_not_listed_again_and_anything_else_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tasks/a")).unwrap();
    std::fs::write(root.join("tasks/a/one.task.yaml"), "x").unwrap();
    let first = discover_with(root, &[]);
    assert_eq!(first.files.len(), 1);
    // Just written: not settled, so not trusted.
    assert!(first.dirs.iter().all(|d| !d.trusted), "{:?}", first.dirs);
    // A record that is trusted and whose stamp matches is reused as it is: here it (falsely)
    // lists no file, which shows the directory was not read again.
    let mut records: Vec<DirRecord> = first.dirs.iter().map(|d| d.clone().into_owned()).collect();
    for record in &mut records {
        record.trusted = true;
        if record.rel == "tasks/a" {
            record.paths = "".into();
            record.kinds = "".into();
        }
    }
    let reused = discover_with(root, &records);
    assert!(reused.files.is_empty());
    // A record whose paths and kinds do not agree (a damaged cache) is not reused.
    let mut damaged = records.clone();
    for record in &mut damaged {
        if record.rel == "tasks/a" {
            record.kinds = "ff".into();
        }
    }
    assert_eq!(discover_with(root, &damaged).files.len(), 1);
    // The same record untrusted, or with another stamp, is listed again.
    let mut untrusted = records.clone();
    untrusted.iter_mut().for_each(|r| r.trusted = false);
    assert_eq!(discover_with(root, &untrusted).files.len(), 1);
    let mut moved = records.clone();
    moved.iter_mut().for_each(|r| r.stamp.ctime.1 += 1);
    assert_eq!(discover_with(root, &moved).files.len(), 1);
    // A file added to the directory changes its stamp: seen whatever the record says.
    std::fs::write(root.join("tasks/a/two.task.yaml"), "x").unwrap();
    let rels: Vec<String> = discover_with(root, &records)
        .files
        .into_iter()
        .map(|f| f.rel.into_owned())
        .collect();
    assert_eq!(rels, vec!["tasks/a/one.task.yaml", "tasks/a/two.task.yaml"]);
}

#[test]
fn the_tool_cache_directory_is_not_searched() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tasks/.cache")).unwrap();
    std::fs::write(root.join("tasks/.cache/x.task.yaml"), "x").unwrap();
    std::fs::write(root.join("tasks/y.task.yaml"), "x").unwrap();
    let rels: Vec<String> = discover(root)
        .0
        .into_iter()
        .map(|f| f.rel.into_owned())
        .collect();
    assert_eq!(rels, vec!["tasks/y.task.yaml"]);
}

#[test]
fn a_forged_or_damaged_record_is_not_used() {
    let record = |paths: &str, kinds: &str| DirRecord {
        trusted: true,
        ..DirRecord::for_test("tasks", paths.to_string(), kinds.to_string())
    };
    assert!(record_is_plain(&record(
        "tasks/a.task.yaml\0tasks/sub\0",
        "fd"
    )));
    assert!(record_is_plain(&record("", "")));
    for (paths, kinds) in [
        ("tasks/../x.task.yaml\0", "f"),
        ("tasks/..\0", "d"),
        ("tasks/.\0", "d"),
        ("tasks/\0", "f"),
        ("tasks/a/b.task.yaml\0", "f"),
        // A `/` at every place of a word and past the first ones.
        ("tasks/abcdefg/x.task.yaml\0", "f"),
        ("tasks/abcdefgh/x.task.yaml\0", "f"),
        ("tasks/abcdefghijklmnopq/x.task.yaml\0", "f"),
        ("tasks/x.task.yaml/\0", "d"),
        ("tasks/abcdefghijklmno/\0", "d"),
        ("tasks//etc/passwd\0", "f"),
        ("/etc/passwd\0", "f"),
        ("tasks/notes.txt\0", "f"),
        ("tasks/a.task.yaml\0", "x"),
        ("tasks/a.task.yaml\0", "ff"),
        ("tasks/a.task.yaml", "f"),
        // Another directory's path, or a bare name (the layout of cache v7).
        ("docs/a.task.yaml\0", "f"),
        ("tasksa.task.yaml\0", "f"),
        ("a.task.yaml\0", "f"),
    ] {
        assert!(
            !record_is_plain(&record(paths, kinds)),
            "{paths:?} {kinds:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_directory_swapped_for_a_link_after_the_walk_is_not_read_through() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tasks/sub")).unwrap();
    std::fs::create_dir_all(root.join("outside")).unwrap();
    std::fs::write(root.join("tasks/sub/a.task.yaml"), "inside").unwrap();
    std::fs::write(root.join("outside/a.task.yaml"), "OUTSIDE").unwrap();
    let found = discover(root).0;
    assert_eq!(found.len(), 1);
    // The directory is replaced by a link once the walk is done: the file is read from the
    // directory the walk opened (its descriptor), never through the link.
    std::fs::rename(root.join("tasks/sub"), root.join("tasks/sub.real")).unwrap();
    std::os::unix::fs::symlink(root.join("outside"), root.join("tasks/sub")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut found[0].open(root).unwrap(), &mut text).unwrap();
    assert_eq!(text, "inside");
}

#[cfg(unix)]
#[test]
fn a_linked_docs_or_tasks_directory_is_not_searched() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(outside.join("completed-tasks")).unwrap();
    std::fs::write(outside.join("completed-tasks/x.task.yaml"), "x").unwrap();
    std::fs::create_dir_all(root.join("tasks")).unwrap();
    std::fs::write(root.join("tasks/a.task.yaml"), "x").unwrap();
    std::os::unix::fs::symlink(&outside, root.join("docs")).unwrap();
    let (files, warnings) = discover(&root);
    let rels: Vec<&str> = files.iter().map(|f| &*f.rel).collect();
    assert_eq!(rels, vec!["tasks/a.task.yaml"]);
    assert!(
        warnings.iter().any(|w| w.contains("docs/completed-tasks")),
        "{warnings:?}"
    );
}

#[test]
fn times_before_1970_are_told_apart() {
    assert_ne!(FileTime::from_stat(-100, 0), FileTime::from_stat(-200, 0));
    assert_ne!(FileTime::from_stat(-1, 5), FileTime::default());
}

#[test]
fn only_a_record_a_walk_could_write_is_plain() {
    // Each name as the record of `tasks` holds it: after `tasks/`, and followed by its NUL (a
    // last name without one is kept so, to check it is refused).
    let paths = |names: &str| {
        let mut parts: Vec<&str> = names.split('\0').collect();
        let last = parts.pop().unwrap_or_default();
        let mut paths: String = parts.iter().map(|p| format!("tasks/{p}\0")).collect();
        if !last.is_empty() {
            paths.push_str(&format!("tasks/{last}"));
        }
        paths
    };
    let record = |names: &str, kinds: &str| DirRecord {
        trusted: true,
        ..DirRecord::for_test("tasks", paths(names), kinds.to_string())
    };
    for (names, kinds) in [
        ("", ""),
        ("a\0", "d"),
        ("a\0b.task.yaml\0", "df"),
        ("l.task.yaml\0", "l"),
    ] {
        assert!(
            record_is_plain(&record(names, kinds)),
            "{names:?} {kinds:?}"
        );
    }
    for (names, kinds) in [
        ("", "f"),
        ("a\0", ""),
        ("a\0", "dd"),
        ("a", "d"),
        ("a\0b", "dd"),
        ("\0", "d"),
        ("a\0\0", "dd"),
        (".\0", "d"),
        ("..\0", "d"),
        ("a/b\0", "d"),
        ("../x.task.yaml\0", "f"),
        ("x.txt\0", "f"),
        ("x.txt\0", "l"),
        ("a\0", "q"),
        // A name twice (one file found twice), or out of order.
        ("a.task.yaml\0a.task.yaml\0", "ff"),
        ("b\0a\0", "dd"),
    ] {
        assert!(
            !record_is_plain(&record(names, kinds)),
            "{names:?} {kinds:?}"
        );
    }
}

#[test]
fn a_reused_listing_lends_each_file_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(
        root,
        &[
            "tasks/a/one.task.yaml",
            "tasks/a/b/two.task.yaml",
            "tasks/three.task.yaml",
            "docs/completed-tasks/four.task.yaml",
        ],
    );
    let first = discover_with(root, &[]);
    let listed: Vec<String> = first.files.iter().map(|f| f.rel.to_string()).collect();
    assert!(first.files.iter().all(|f| matches!(f.rel, Cow::Owned(_))));
    let mut records: Vec<DirRecord> = first.dirs.iter().map(|d| d.clone().into_owned()).collect();
    records.iter_mut().for_each(|r| r.trusted = true);
    let reused = discover_with(root, &records);
    // The same files, each path borrowed from its directory's record, and each file opened by
    // the name at the end of that path.
    let rels: Vec<&str> = reused.files.iter().map(|f| &*f.rel).collect();
    assert_eq!(rels, listed);
    for file in &reused.files {
        assert!(matches!(file.rel, Cow::Borrowed(_)), "{}", file.rel);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file.open(root).unwrap(), &mut text).unwrap();
        assert_eq!(text, file.rel);
    }
}

#[test]
fn a_forged_record_cannot_reserve_more_than_a_bound() {
    let record = |kinds: String| DirRecord::for_test("nowhere", String::new(), kinds);
    assert_eq!(reserved_for(&[record("fdl".into())]), 2);
    let huge = [record("f".repeat(RESERVED_FILES)), record("l".repeat(5))];
    assert_eq!(reserved_for(&huge), RESERVED_FILES);
    // Such a record is not used either, even trusted and with the directory's real stamp: its
    // kinds and paths do not agree, so the walk lists what is there.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tasks")).unwrap();
    std::fs::write(dir.path().join("tasks/a.task.yaml"), "x").unwrap();
    let tasks = crate::store::beneath::Dir::open(dir.path())
        .unwrap()
        .dir(Path::new("tasks"))
        .unwrap();
    let mut forged = record("f".repeat(RESERVED_FILES + 1));
    forged.rel = "tasks".into();
    forged.trusted = true;
    forged.stamp = stamp_of(&tasks).unwrap();
    let found = discover_with(dir.path(), std::slice::from_ref(&forged));
    let rels: Vec<&str> = found.files.iter().map(|f| &*f.rel).collect();
    assert_eq!(rels, vec!["tasks/a.task.yaml"]);
}

#[test]
fn every_nul_is_found_at_every_position() {
    // Every placement of up to three NULs in strings of 0 to 20 bytes (the other bytes 0x01,
    // 0x7f, 0x80 or 0xff), against a byte-by-byte search.
    let plain = |bytes: &[u8]| -> Vec<usize> {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == 0)
            .map(|(i, _)| i)
            .collect()
    };
    for len in 0..=20usize {
        for fill in [1u8, 0x7f, 0x80, 0xff] {
            for a in 0..=len {
                for b in a..=len {
                    for c in b..=len {
                        let mut bytes = vec![fill; len];
                        for at in [a, b, c] {
                            if at < len {
                                bytes[at] = 0;
                            }
                        }
                        assert_eq!(nuls(&bytes).collect::<Vec<_>>(), plain(&bytes), "{bytes:?}");
                    }
                }
            }
        }
    }
    // A byte of 0x01 just above a NUL, where the subtraction borrows.
    let bytes = [b'a', 0, 1, 1, 0, 1, b'b', b'c', 1, 0, 1];
    assert_eq!(nuls(&bytes).collect::<Vec<_>>(), plain(&bytes));
}

#[test]
fn a_name_that_is_not_utf8_is_read_by_its_own_bytes() {
    use std::os::unix::ffi::OsStrExt;
    // `\xBD.task.yaml` shows as `\u{FFFD}.task.yaml`, which ends with its raw bytes (U+FFFD is
    // EF BF BD): it must still be read by its own name, not the other file's.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tasks")).unwrap();
    let raw = root.join(std::ffi::OsStr::from_bytes(b"tasks/\xBD.task.yaml"));
    std::fs::write(&raw, "RAW").unwrap();
    std::fs::write(root.join("tasks/\u{FFFD}.task.yaml"), "OTHER").unwrap();
    let files = discover(root).0;
    let read = |f: &TaskFile| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut f.open(root).unwrap(), &mut text).unwrap();
        text
    };
    // Sorted by their bytes: 0xBD before 0xEF.
    assert_eq!(files.len(), 2);
    assert_eq!(
        (read(&files[0]), read(&files[1])),
        ("RAW".into(), "OTHER".into())
    );
    assert_eq!(files[0].path(root), raw);
}

#[test]
fn a_listing_under_a_directory_whose_name_is_not_utf8_is_reused_too() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let odd = root.join(std::ffi::OsStr::from_bytes(b"tasks/\xff"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("x.task.yaml"), "inside").unwrap();
    let first = discover_with(root, &[]);
    let mut records: Vec<DirRecord> = first.dirs.iter().map(|d| d.clone().into_owned()).collect();
    records.iter_mut().for_each(|r| r.trusted = true);
    let reused = discover_with(root, &records);
    assert_eq!(reused.files.len(), 1);
    let file = &reused.files[0];
    assert_eq!(&*file.rel, "tasks/\u{FFFD}/x.task.yaml");
    assert!(matches!(file.rel, Cow::Borrowed(_)));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file.open(root).unwrap(), &mut text).unwrap();
    assert_eq!(text, "inside");
}

#[test]
fn every_file_gets_its_own_size_whichever_thread_stats_it() {
    // 3,000 files (helper threads from 1,025), in directories of every size, each of a size
    // of its own: a stat placed with another file shows.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut expected = Vec::new();
    for i in 0..3000usize {
        let rel = match i % 7 {
            0 => format!("tasks/small{}/t{i:04}.task.yaml", i % 5),
            1..=3 => format!("tasks/big/t{i:04}.task.yaml"),
            _ => format!("docs/completed-tasks/t{i:04}.task.yaml"),
        };
        std::fs::create_dir_all(root.join(&rel).parent().unwrap()).unwrap();
        std::fs::write(root.join(&rel), vec![b'x'; i + 1]).unwrap();
        expected.push((rel, i as u64 + 1));
    }
    let tasks_first = |(rel, _): &(String, u64)| (!rel.starts_with("tasks/"), rel.clone());
    expected.sort_by_key(tasks_first);
    let found: Vec<(String, u64)> = discover(root)
        .0
        .into_iter()
        .map(|f| (f.rel.into_owned(), f.size))
        .collect();
    assert_eq!(found.len(), 3000);
    assert_eq!(found, expected);
}
