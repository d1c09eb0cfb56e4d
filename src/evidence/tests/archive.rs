use super::*;
use crate::store::hash::sha256_hex;
use std::cell::{Cell, RefCell};
use std::fs;
use std::io::Cursor;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::{Duration, SystemTime};

const CREATED: &str = "2024-01-02T03:04:05Z";

fn long_name() -> String {
    format!("{}.txt", "n".repeat(120))
}

fn deep_path() -> String {
    format!(
        "{}/{}/{}/{}/{}.txt",
        "d".repeat(60),
        "e".repeat(60),
        "f".repeat(60),
        "g".repeat(60),
        "h".repeat(30)
    )
}

fn long_target() -> String {
    format!("{}/target", "t".repeat(150))
}

/// The same tree, made as two different machines would: other mtimes, modes (umask) and
/// creation order.
fn make_tree(root: &Path, other_machine: bool) {
    let files: Vec<(String, Vec<u8>)> = vec![
        ("a.txt".into(), b"alpha\n".to_vec()),
        ("bin/run.sh".into(), b"#!/bin/sh\necho hi\n".to_vec()),
        (
            "nested/deeper/data.bin".into(),
            (0..5000u32).map(|i| (i % 253) as u8).collect(),
        ),
        (long_name(), b"long name".to_vec()),
        (deep_path(), b"deep path".to_vec()),
        ("a-b".into(), b"sorts between a and a/".to_vec()),
    ];
    let dirs = ["empty", "bin", "nested/deeper"];
    let (file_mode, exec_mode, dir_mode, mtime) = if other_machine {
        (0o600, 0o700, 0o700, 2_000_000_000)
    } else {
        (0o644, 0o755, 0o755, 1_000_000)
    };
    let order: Vec<usize> = if other_machine {
        (0..files.len()).rev().collect()
    } else {
        (0..files.len()).collect()
    };
    if other_machine {
        symlink("a.txt", root.join("link")).unwrap();
        symlink(long_target(), root.join("longlink")).unwrap();
    }
    for &i in &order {
        let (rel, bytes) = &files[i];
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        let mode = if rel.ends_with(".sh") {
            exec_mode
        } else {
            file_mode
        };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime))
            .unwrap();
    }
    for dir in dirs {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    if !other_machine {
        symlink(long_target(), root.join("longlink")).unwrap();
        symlink("a.txt", root.join("link")).unwrap();
    }
    for dir in dirs {
        let path = root.join(dir);
        fs::File::open(&path)
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime + 7))
            .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(dir_mode)).unwrap();
    }
}

fn build_with(
    dir: &Path,
    skip: &dyn Fn(&str) -> Option<String>,
    progress: &mut dyn FnMut(u64),
) -> (Vec<u8>, Built) {
    let mut out = Vec::new();
    let built = write(
        dir,
        "evidence",
        "out/evidence",
        CREATED,
        &mut out,
        skip,
        progress,
    )
    .unwrap();
    (out, built)
}

fn build(dir: &Path) -> (Vec<u8>, Built) {
    build_with(dir, &|_| None, &mut |_| {})
}

/// (path, type byte, mode, mtime, uid, gid, size, link target) of every member.
type MemberInfo = (String, u8, u32, u64, u64, u64, u64, Option<String>);

fn members(archive: &[u8]) -> Vec<MemberInfo> {
    let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(archive).unwrap());
    tar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                String::from_utf8(e.path_bytes().into_owned()).unwrap(),
                h.entry_type().as_byte(),
                h.mode().unwrap(),
                h.mtime().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.size().unwrap(),
                e.link_name_bytes()
                    .map(|t| String::from_utf8(t.into_owned()).unwrap()),
            )
        })
        .collect()
}

#[test]
fn the_same_tree_archives_to_the_same_bytes_on_any_machine() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    make_tree(one.path(), false);
    make_tree(two.path(), true);
    let (bytes1, built1) = build(one.path());
    let (bytes2, built2) = build(two.path());
    assert!(bytes1 == bytes2, "archives differ");
    assert_eq!(built1.sha256, built2.sha256);
    assert_eq!(built1.sha256, sha256_hex(&bytes1));
    assert_eq!(built1.size, bytes1.len() as u64);
    assert_eq!(built1.index.files, built2.index.files);
    // And again from the same directory.
    assert!(build(one.path()).0 == bytes1);
}

#[test]
fn members_are_sorted_with_fixed_headers() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(dir.path(), true);
    let (bytes, _) = build(dir.path());
    let members = members(&bytes);
    let names: Vec<&str> = members.iter().map(|m| m.0.as_str()).collect();
    let long = format!("evidence/{}", long_name());
    let deep = format!("evidence/{}", deep_path());
    let deep_rel = deep_path();
    let parts: Vec<&str> = deep_rel.split('/').collect();
    let deep_dirs: Vec<String> = (1..parts.len())
        .map(|n| format!("evidence/{}/", parts[..n].join("/")))
        .collect();
    let mut expected = vec![
        "evidence/",
        "evidence/a-b",
        "evidence/a.txt",
        "evidence/bin/",
        "evidence/bin/run.sh",
    ];
    expected.extend(deep_dirs.iter().map(String::as_str));
    expected.extend([
        deep.as_str(),
        "evidence/empty/",
        "evidence/link",
        "evidence/longlink",
    ]);
    expected.extend([
        "evidence/nested/",
        "evidence/nested/deeper/",
        "evidence/nested/deeper/data.bin",
    ]);
    // "nested" < "nnn…": compared byte by byte, 'e' < 'n'.
    expected.push(long.as_str());
    assert_eq!(names, expected);
    for (name, kind, mode, mtime, uid, gid, _, target) in &members {
        assert_eq!((*mtime, *uid, *gid), (0, 0, 0), "{name}");
        let want = match kind {
            b'5' => 0o755,
            b'2' => 0o777,
            b'0' if name.ends_with(".sh") => 0o755,
            b'0' => 0o644,
            other => panic!("unexpected type {other} for {name}"),
        };
        assert_eq!(*mode, want, "{name}");
        match name.as_str() {
            "evidence/link" => assert_eq!(target.as_deref(), Some("a.txt")),
            "evidence/longlink" => assert_eq!(target.as_deref(), Some(long_target().as_str())),
            _ => {}
        }
    }
    // Empty user and group names.
    let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(&bytes[..]).unwrap());
    for entry in tar.entries().unwrap() {
        let entry = entry.unwrap();
        assert_eq!(entry.header().username_bytes(), Some(&b""[..]));
        assert_eq!(entry.header().groupname_bytes(), Some(&b""[..]));
    }
}

#[test]
fn different_content_gives_a_different_archive() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    make_tree(one.path(), false);
    make_tree(two.path(), false);
    fs::write(two.path().join("a.txt"), b"alphA\n").unwrap();
    assert_ne!(build(one.path()).1.sha256, build(two.path()).1.sha256);
}

#[test]
fn the_index_lists_files_and_links_in_order() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(dir.path(), false);
    let (_, built) = build(dir.path());
    let index = &built.index;
    assert_eq!(index.created_at, CREATED);
    assert_eq!(index.root, "out/evidence");
    assert!(index.extra.is_empty());
    let paths: Vec<&str> = index.files.iter().map(|f| f.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 6);
    assert!(paths.contains(&deep_path().as_str()));
    let mut total = 0;
    for file in &index.files {
        let bytes = fs::read(dir.path().join(&file.path)).unwrap();
        assert_eq!(file.size, bytes.len() as u64, "{}", file.path);
        assert_eq!(file.sha256, sha256_hex(&bytes), "{}", file.path);
        total += file.size;
    }
    assert_eq!(built.original_size, total);
    assert_eq!(
        index.links,
        vec![
            IndexedLink {
                path: "link".into(),
                target: "a.txt".into()
            },
            IndexedLink {
                path: "longlink".into(),
                target: long_target()
            },
        ]
    );
    assert!(built.skipped.is_empty());

    // The listing's layout, and unknown keys kept.
    let json = serde_json::to_value(index).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["created_at", "files", "links", "root"]);
    assert_eq!(
        json["files"][0],
        serde_json::json!({"path": "a-b", "size": 22, "sha256": sha256_hex(b"sorts between a and a/")})
    );
    let mut with_extra = json.clone();
    with_extra["format_version"] = 1.into();
    with_extra.as_object_mut().unwrap().remove("links");
    let parsed: ArchiveIndex = serde_json::from_value(with_extra).unwrap();
    assert!(parsed.links.is_empty());
    assert_eq!(parsed.extra.get("format_version"), Some(&1.into()));
    let again = serde_json::to_value(&parsed).unwrap();
    assert_eq!(again["format_version"], 1);
    assert!(again.get("links").is_none());
}

#[test]
fn a_fifo_is_skipped_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("f"), b"x").unwrap();
    let fifo = std::ffi::CString::new(dir.path().join("pipe").as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let path = dir.path().to_path_buf();
    let (send, recv) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(build(&path));
    });
    let (bytes, built) = recv
        .recv_timeout(Duration::from_secs(20))
        .expect("archiving a directory with a FIFO blocked");
    assert_eq!(
        built.skipped,
        vec![("pipe".to_string(), "a FIFO".to_string())]
    );
    let names: Vec<String> = members(&bytes).into_iter().map(|m| m.0).collect();
    assert_eq!(names, ["evidence/", "evidence/f"]);
}

#[test]
fn skip_leaves_a_subtree_out() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("state/inner")).unwrap();
    fs::write(dir.path().join("state/inner/x"), b"x").unwrap();
    fs::write(dir.path().join("keep"), b"k").unwrap();
    let asked = RefCell::new(Vec::new());
    let skip = |rel: &str| {
        asked.borrow_mut().push(rel.to_string());
        (rel == "state").then(|| "the tool's own state directory".to_string())
    };
    let (bytes, built) = build_with(dir.path(), &skip, &mut |_| {});
    let names: Vec<String> = members(&bytes).into_iter().map(|m| m.0).collect();
    assert_eq!(names, ["evidence/", "evidence/keep"]);
    assert_eq!(
        built.skipped,
        vec![(
            "state".to_string(),
            "the tool's own state directory".to_string()
        )]
    );
    let mut asked = asked.into_inner();
    asked.sort();
    assert_eq!(
        asked,
        ["keep", "state"],
        "not descended into a skipped directory"
    );
}

#[test]
fn a_link_to_a_directory_outside_is_stored_as_a_link() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), b"TOP-SECRET-CONTENT").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("f"), b"x").unwrap();
    symlink(outside.path(), dir.path().join("out")).unwrap();
    let (bytes, built) = build(dir.path());
    let target = outside.path().to_str().unwrap().to_string();
    assert_eq!(
        built.index.links,
        vec![IndexedLink {
            path: "out".into(),
            target: target.clone()
        }]
    );
    assert_eq!(built.index.files.len(), 1);
    let members = members(&bytes);
    assert_eq!(members.len(), 3);
    assert_eq!(members[2].0, "evidence/out");
    assert_eq!(members[2].1, b'2');
    assert_eq!(members[2].7.as_deref(), Some(target.as_str()));
    let tar_bytes = zstd::stream::decode_all(&bytes[..]).unwrap();
    assert!(!tar_bytes.windows(18).any(|w| w == b"TOP-SECRET-CONTENT"));
}

#[test]
fn progress_is_reported_about_every_mib() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 5).map(|i| (i % 241) as u8).collect();
    fs::write(dir.path().join("big"), &big).unwrap();
    let mut seen = Vec::new();
    let (_, built) = build_with(dir.path(), &|_| None, &mut |n| seen.push(n));
    assert_eq!(built.original_size, big.len() as u64);
    assert_eq!(*seen.last().unwrap(), big.len() as u64);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert!((3..=5).contains(&seen.len()), "{seen:?}");
}

#[test]
fn a_file_that_changes_size_while_read_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    fs::write(&path, b"0123456789").unwrap();
    for declared in [20u64, 5] {
        let mut calls = |_: u64| {};
        let mut progress = Progress {
            callback: &mut calls,
            total: 0,
            next: PROGRESS_STEP,
            reported: None,
        };
        let mut reader = ExactReader {
            inner: fs::File::open(&path).unwrap(),
            remaining: declared,
            rel: "sub/f",
            hasher: Hasher::default(),
            progress: &mut progress,
        };
        let mut sink = Vec::new();
        let err = io::copy(&mut reader, &mut sink).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(err.to_string(), "sub/f changed while it was being archived");
    }
}

#[test]
fn a_non_utf8_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(OsStr::from_bytes(b"bad\xff")), b"x").unwrap();
    let err = write(
        dir.path(),
        "e",
        "e",
        CREATED,
        &mut Vec::new(),
        &|_| None,
        &mut |_| {},
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("bad"), "{err}");
}

// --- check ---------------------------------------------------------------------------------

enum Hand<'a> {
    File(&'a [u8]),
    Exec(&'a [u8]),
    Dir,
    Symlink(&'a str),
    HardLink(&'a str),
}

/// A tar.zst written by hand: names go into the header as raw bytes, so that `..` and absolute
/// paths (which the tar crate refuses in `set_path`) can be written.
fn hand(members: &[(&str, Hand<'_>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, kind) in members {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        let data: &[u8] = match kind {
            Hand::File(data) | Hand::Exec(data) => data,
            _ => b"",
        };
        let (kind, mode) = match kind {
            Hand::File(_) => (tar::EntryType::Regular, 0o644),
            Hand::Exec(_) => (tar::EntryType::Regular, 0o4755),
            Hand::Dir => (tar::EntryType::Directory, 0o755),
            Hand::Symlink(target) => {
                h.set_link_name_literal(target).unwrap();
                (tar::EntryType::Symlink, 0o777)
            }
            Hand::HardLink(target) => {
                h.set_link_name_literal(target).unwrap();
                (tar::EntryType::Link, 0o644)
            }
        };
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_cksum();
        tar.append(&h, data).unwrap();
    }
    zstd::stream::encode_all(&tar.into_inner().unwrap()[..], 3).unwrap()
}

fn small_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a"), b"one").unwrap();
    fs::write(dir.path().join("b"), b"two").unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/c"), b"three").unwrap();
    dir
}

#[test]
fn check_finds_nothing_on_the_archive_it_was_built_with() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(dir.path(), false);
    let (bytes, built) = build(dir.path());
    assert_eq!(check(&mut Cursor::new(&bytes), &built.index).unwrap(), []);
}

#[test]
fn check_reports_modified_missing_and_unexpected_files() {
    let dir = small_tree();
    let (_, built) = build(dir.path());
    let tampered = hand(&[
        ("evidence/", Hand::Dir),
        ("evidence/a", Hand::File(b"ONE")),
        ("evidence/sub/", Hand::Dir),
        ("evidence/sub/c", Hand::File(b"three")),
        ("evidence/z", Hand::File(b"extra")),
    ]);
    let findings = check(&mut Cursor::new(&tampered), &built.index).unwrap();
    assert_eq!(
        findings,
        vec![
            MemberFinding {
                path: "a".into(),
                status: "modified",
                expected_sha256: Some(sha256_hex(b"one")),
                actual_sha256: Some(sha256_hex(b"ONE")),
            },
            MemberFinding {
                path: "b".into(),
                status: "missing",
                expected_sha256: Some(sha256_hex(b"two")),
                actual_sha256: None,
            },
            MemberFinding {
                path: "z".into(),
                status: "unexpected",
                expected_sha256: None,
                actual_sha256: Some(sha256_hex(b"extra")),
            },
        ]
    );
    let json = serde_json::to_value(&findings[1]).unwrap();
    assert!(json.get("actual_sha256").is_none());
}

#[test]
fn check_refuses_an_archive_that_cannot_be_decoded() {
    let dir = small_tree();
    let (bytes, built) = build(dir.path());
    let garbage = b"this is not a zstd frame at all".to_vec();
    let truncated = bytes[..bytes.len() - 8].to_vec();
    let mut flipped = bytes.clone();
    let last = flipped.len() - 2;
    flipped[last] ^= 0xff;
    for bad in [garbage, truncated, flipped] {
        let err = check(&mut Cursor::new(&bad), &built.index).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    }
}

// --- extract -------------------------------------------------------------------------------

fn opener(bytes: Vec<u8>) -> impl Fn() -> io::Result<Box<dyn Read>> {
    move || Ok(Box::new(Cursor::new(bytes.clone())) as Box<dyn Read>)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A destination holding something of its own.
fn destination() -> (tempfile::TempDir, PathBuf) {
    let base = tempfile::tempdir().unwrap();
    let to = base.path().join("dest");
    fs::create_dir(&to).unwrap();
    fs::write(to.join("keep"), b"mine").unwrap();
    (base, to)
}

#[test]
fn extract_restores_what_was_archived() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(dir.path(), false);
    let (bytes, built) = build(dir.path());
    let base = tempfile::tempdir().unwrap();
    let to = base.path().join("new/dest");
    let done = extract(&opener(bytes), &to).unwrap();
    assert_eq!(done.created, ["evidence"]);
    assert_eq!(listing(&to), ["evidence"], "no temporary directory left");
    let root = to.join("evidence");
    for file in &built.index.files {
        let bytes = fs::read(root.join(&file.path)).unwrap();
        assert_eq!(sha256_hex(&bytes), file.sha256, "{}", file.path);
    }
    assert_eq!(done.files, built.index.files.len() as u64);
    assert_eq!(done.bytes, built.original_size);
    assert_eq!(done.links, 2);
    // evidence, bin, empty, nested, nested/deeper and the four directories of the deep path.
    assert_eq!(done.directories, 9);
    assert!(root.join("empty").is_dir());
    let mode = |p: &str| fs::metadata(root.join(p)).unwrap().permissions().mode();
    assert_ne!(mode("bin/run.sh") & 0o100, 0, "executable bit kept");
    assert_eq!(mode("a.txt") & 0o111, 0);
    assert_eq!(
        fs::read_link(root.join("link")).unwrap(),
        Path::new("a.txt")
    );
    assert_eq!(fs::read(root.join("link")).unwrap(), b"alpha\n");
    assert_eq!(
        fs::read_link(root.join("longlink")).unwrap(),
        Path::new(&long_target())
    );
    assert!(done.skipped.is_empty());
    // Extracting again: the top-level name exists now.
    let before = fs::read(root.join("a.txt")).unwrap();
    match extract(&opener(build(dir.path()).0), &to) {
        Err(ExtractError::Exists(path)) => assert_eq!(path, root),
        other => panic!("expected Exists, got {other:?}"),
    }
    assert_eq!(fs::read(root.join("a.txt")).unwrap(), before);
    assert_eq!(listing(&to), ["evidence"]);
}

#[test]
fn hostile_paths_are_refused_before_anything_is_written() {
    for name in [
        "../evil",
        "/abs/evil",
        "a/../../evil",
        "top/./../evil",
        "",
        "./",
    ] {
        let (base, to) = destination();
        let archive = hand(&[
            ("top/", Hand::Dir),
            ("top/fine", Hand::File(b"ok")),
            (name, Hand::File(b"evil")),
        ]);
        match extract(&opener(archive), &to) {
            Err(ExtractError::Hostile { member, .. }) => assert_eq!(member, name),
            other => panic!("{name:?}: expected Hostile, got {other:?}"),
        }
        assert_eq!(listing(&to), ["keep"], "{name:?}");
        assert_eq!(listing(base.path()), ["dest"], "{name:?}");
    }
}

#[test]
fn a_file_under_a_link_is_refused() {
    for target in ["/etc", "../..", "inside"] {
        let (base, to) = destination();
        let archive = hand(&[
            ("a", Hand::Symlink(target)),
            ("a/passwd", Hand::File(b"root::0:0::/:/bin/sh\n")),
        ]);
        match extract(&opener(archive), &to) {
            Err(ExtractError::Hostile { member, why }) => {
                assert_eq!(member, "a/passwd");
                assert!(why.contains("through the link"), "{why}");
            }
            other => panic!("{target}: expected Hostile, got {other:?}"),
        }
        assert_eq!(listing(&to), ["keep"]);
        assert_eq!(listing(base.path()), ["dest"]);
    }
}

#[test]
fn links_out_of_the_top_directory_are_skipped() {
    let (base, to) = destination();
    let archive = hand(&[
        ("top/", Hand::Dir),
        ("top/f", Hand::File(b"data")),
        ("top/ok", Hand::Symlink("f")),
        ("top/s/l", Hand::Symlink("../f")),
        ("top/s/self", Hand::Symlink("..")),
        ("top/up", Hand::Symlink("../..")),
        ("top/sibling", Hand::Symlink("../keep")),
        ("top/abs", Hand::Symlink("/etc")),
        // Restored (lexically `top`), and a chain through it that a lexical check alone would
        // let out: `top/a1/a2/l/../../x` is `top/a1/x` lexically but `dest/../x` for real.
        ("top/a1/a2/l", Hand::Symlink("../..")),
        ("top/a1/a2/m", Hand::Symlink("l/../../x")),
        ("esc", Hand::Symlink("/etc")),
    ]);
    let done = extract(&opener(archive), &to).unwrap();
    let root = to.join("top");
    assert_eq!(fs::read_link(root.join("ok")).unwrap(), Path::new("f"));
    assert_eq!(fs::read(root.join("s/l")).unwrap(), b"data");
    assert_eq!(fs::read_link(root.join("s/self")).unwrap(), Path::new(".."));
    assert_eq!(
        fs::read_link(root.join("a1/a2/l")).unwrap(),
        Path::new("../..")
    );
    assert_eq!(done.links, 4);
    let skipped: Vec<&str> = done.skipped.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        skipped,
        ["top/up", "top/sibling", "top/abs", "top/a1/a2/m", "esc"]
    );
    for name in ["up", "sibling", "abs", "a1/a2/m"] {
        assert!(fs::symlink_metadata(root.join(name)).is_err(), "{name}");
    }
    assert_eq!(done.created, ["top"]);
    assert_eq!(listing(&to), ["keep", "top"]);
    assert_eq!(listing(base.path()), ["dest"]);
}

#[test]
fn hard_links_and_special_modes_are_not_restored() {
    let (_base, to) = destination();
    let archive = hand(&[
        ("top/", Hand::Dir),
        ("top/f", Hand::File(b"data")),
        ("top/h", Hand::HardLink("top/f")),
        ("top/x", Hand::Exec(b"#!/bin/sh\n")),
    ]);
    let done = extract(&opener(archive), &to).unwrap();
    assert_eq!(
        done.skipped,
        vec![("top/h".to_string(), "a hard link".to_string())]
    );
    assert!(fs::symlink_metadata(to.join("top/h")).is_err());
    assert_eq!(fs::read(to.join("top/f")).unwrap(), b"data");
    let mode = fs::metadata(to.join("top/x")).unwrap().permissions().mode();
    assert_eq!(mode & 0o7000, 0, "no setuid");
    assert_ne!(mode & 0o100, 0);
    assert_eq!(done.files, 2);
}

#[test]
fn an_existing_top_level_name_is_refused() {
    let (_base, to) = destination();
    let archive = hand(&[
        ("keep", Hand::File(b"theirs")),
        ("other/f", Hand::File(b"x")),
    ]);
    match extract(&opener(archive), &to) {
        Err(ExtractError::Exists(path)) => assert_eq!(path, to.join("keep")),
        other => panic!("expected Exists, got {other:?}"),
    }
    assert_eq!(fs::read(to.join("keep")).unwrap(), b"mine");
    assert_eq!(listing(&to), ["keep"]);
}

#[test]
fn a_name_taken_during_extraction_undoes_the_moves() {
    let (_base, to) = destination();
    let archive = hand(&[("p/f", Hand::File(b"1")), ("q/g", Hand::File(b"2"))]);
    let calls = Cell::new(0);
    let racer = to.join("q");
    let open = || {
        calls.set(calls.get() + 1);
        if calls.get() == 2 {
            fs::write(&racer, b"raced").unwrap();
        }
        Ok(Box::new(Cursor::new(archive.clone())) as Box<dyn Read>)
    };
    match extract(&open, &to) {
        Err(ExtractError::Exists(path)) => assert_eq!(path, racer),
        other => panic!("expected Exists, got {other:?}"),
    }
    assert_eq!(listing(&to), ["keep", "q"]);
    assert_eq!(fs::read(&racer).unwrap(), b"raced");
}

#[test]
fn a_failed_extraction_removes_what_it_created() {
    let base = tempfile::tempdir().unwrap();
    let to = base.path().join("made/here");
    let first = hand(&[("p/f", Hand::File(b"1"))]);
    let second = hand(&[("p/f", Hand::File(b"1")), ("p/g", Hand::File(b"2"))]);
    let calls = Cell::new(0);
    let open = || {
        calls.set(calls.get() + 1);
        let bytes = if calls.get() == 1 { &first } else { &second };
        Ok(Box::new(Cursor::new(bytes.clone())) as Box<dyn Read>)
    };
    match extract(&open, &to) {
        Err(ExtractError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(listing(base.path()), Vec::<String>::new());
}

#[test]
fn extract_refuses_an_archive_that_cannot_be_decoded() {
    let (_base, to) = destination();
    match extract(&opener(b"garbage".to_vec()), &to) {
        Err(ExtractError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(listing(&to), ["keep"]);
}

#[test]
fn check_refuses_other_top_directories_odd_names_and_repeats() {
    let listing = ArchiveIndex {
        created_at: String::new(),
        files: vec![IndexedFile {
            path: "big".into(),
            sha256: crate::store::hash::sha256_hex(b"x"),
            size: 1,
        }],
        links: Vec::new(),
        root: "T0".into(),
        extra: serde_json::Map::new(),
    };
    let build = |members: &[(&[u8], &[u8])]| -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (name, content) in members {
            let mut header = tar::Header::new_gnu();
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            tar.append(&header, *content).unwrap();
        }
        zstd::encode_all(&tar.into_inner().unwrap()[..], 3).unwrap()
    };
    let statuses = |bytes: Vec<u8>| -> Vec<(String, &'static str)> {
        check(&mut &bytes[..], &listing)
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.status))
            .collect()
    };
    assert!(statuses(build(&[(b"T0/big", b"x")])).is_empty());
    // The same file under a second top directory is not the listed one.
    assert_eq!(
        statuses(build(&[(b"T0/big", b"x"), (b"T1/big", b"x")])),
        [("T1/big".to_string(), "unexpected")]
    );
    // Twice under the same name: the second is unexpected.
    assert_eq!(
        statuses(build(&[(b"T0/big", b"x"), (b"T0/big", b"x")])),
        [("big".to_string(), "unexpected")]
    );
    // A name that is not UTF-8 never matches a listed one.
    assert_eq!(
        statuses(build(&[(b"T0/big", b"x"), (b"T0/\xff", b"x")])).len(),
        1
    );
    // A listing that names a file twice is not one this tool wrote.
    let mut twice = listing.clone();
    twice.files.push(twice.files[0].clone());
    let bytes = build(&[(b"T0/big", b"x")]);
    let found = check(&mut &bytes[..], &twice).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, "unexpected");
}

#[test]
fn a_destination_beneath_the_root_is_never_reached_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(dir.path(), false);
    let (bytes, _) = build(dir.path());
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir(root.join("docs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("docs/out")).unwrap();
    // As if the link had been swapped in after the command checked the path.
    for rel in ["docs/out", "docs/out/deeper"] {
        let from = Destination::Beneath { root: &root, rel };
        let err = extract_into(&opener(bytes.clone()), &root.join(rel), &from).unwrap_err();
        assert!(matches!(err, ExtractError::Io(_)), "{err:?}");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0, "{rel}");
    }
    // Missing directories are created below the root, and removed again when it fails.
    let from = Destination::Beneath {
        root: &root,
        rel: "docs/new/dest",
    };
    extract_into(&opener(bytes.clone()), &root.join("docs/new/dest"), &from).unwrap();
    assert!(root.join("docs/new/dest/evidence").is_dir());
    let again = extract_into(&opener(bytes), &root.join("docs/new/dest"), &from).unwrap_err();
    assert!(matches!(again, ExtractError::Exists(_)), "{again:?}");
}

#[test]
fn directories_created_for_a_failed_extraction_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(dir.path(), false);
    let (bytes, _) = build(dir.path());
    let base = tempfile::tempdir().unwrap();
    let to = base.path().join("a/b");
    // The first read (the check) sees the archive; the second (the unpacking, after `a/b` is
    // created) sees it cut in half.
    let reads = std::cell::Cell::new(0);
    let open = || -> io::Result<Box<dyn Read>> {
        reads.set(reads.get() + 1);
        let mut now = bytes.clone();
        if reads.get() > 1 {
            now.truncate(bytes.len() / 2);
        }
        Ok(Box::new(io::Cursor::new(now)))
    };
    assert!(extract(&open, &to).is_err());
    assert!(reads.get() > 1, "failed while unpacking");
    assert_eq!(
        listing(base.path()),
        Vec::<String>::new(),
        "a and a/b removed"
    );
}
