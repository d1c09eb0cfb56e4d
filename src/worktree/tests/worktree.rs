use super::*;
use std::path::Path;
use std::process::Command;

pub(super) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(super) fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

pub(super) fn repo_with(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    for (rel, bytes) in files {
        write(dir.path(), rel, bytes);
    }
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    let repo = Repo::discover(Some(dir.path()), dir.path()).unwrap();
    (dir, repo)
}

fn names(changes: &[Change]) -> Vec<(String, String)> {
    changes
        .iter()
        .map(|c| {
            (
                c.status.clone(),
                String::from_utf8_lossy(&c.path).into_owned(),
            )
        })
        .collect()
}

#[test]
fn scope_matches_directories_files_and_patterns() {
    let scope = Scope::new(&["src/app/".into(), "README".into(), "backend/**/*.ts".into()]);
    assert!(scope.contains(b"src/app/a.txt"));
    assert!(scope.contains(b"src/app"));
    assert!(!scope.contains(b"src/application.txt"));
    assert!(scope.contains(b"README"));
    assert!(!scope.contains(b"README.md"));
    assert!(scope.contains(b"backend/x/y/z.ts"));
    assert!(scope.contains(b"backend/z.ts"));
    assert!(!scope.contains(b"backend/z.js"));
    assert!(Scope::new(&[]).contains(b"anything/at/all"));
    assert!(Scope::new(&[".".into()]).contains(b"x"));
}

#[test]
fn scope_hash_is_order_independent() {
    let a = scope_hash(&["b".into(), "a".into()]);
    assert_eq!(a, scope_hash(&["a".into(), "b".into()]));
    assert_eq!(a, crate::store::sha256_hex(b"a\nb\n")[..16]);
}

#[test]
fn name_status_parses_renames_and_odd_names() {
    let out = b"M\0src/a b.txt\0R100\0old.txt\0new\xff.txt\0D\0gone\0A\0new\0";
    let changes = parse_name_status_z(out);
    assert_eq!(changes.len(), 4);
    assert_eq!(changes[1].status, "R");
    assert_eq!(changes[1].from.as_deref(), Some(&b"old.txt"[..]));
    assert_eq!(changes[1].path, b"new\xff.txt");
    assert_eq!(changes[3].status, "A");
}

#[test]
fn capture_takes_tracked_changes_and_in_scope_untracked_files_only() {
    let (dir, repo) = repo_with(&[
        ("src/app/a.txt", b"a\n"),
        ("src/app/gone.txt", b"gone\n"),
        ("src/app/old.txt", b"rename me\n"),
        ("other/tracked.txt", b"t\n"),
    ]);
    let d = dir.path();
    write(d, "src/app/a.txt", b"a changed\n");
    std::fs::remove_file(d.join("src/app/gone.txt")).unwrap();
    git(d, &["mv", "src/app/old.txt", "src/app/new.txt"]);
    write(d, "other/tracked.txt", b"t changed\n");
    write(
        d,
        "src/app/deep/er/and/deeper/still/untracked-file-with-a-long-name.txt",
        b"u\n",
    );
    write(d, "outside/untracked.txt", b"o\n");
    write(d, "staged-new.txt", b"s\n");
    git(d, &["add", "staged-new.txt"]);
    write(d, ".agent-output/TASK-1/context.json", b"{}");
    write(d, "docs/compliance/x.json", b"{}");
    write(d, "src/app/wip.txt", b"preexisting\n");
    let index_before = std::fs::read(d.join(".git/index")).unwrap();

    let scope = Scope::new(&["src/app".into()]);
    let cap = capture(&repo, &scope, &["src/app/wip.txt".into()]).unwrap();
    assert!(!cap.is_clean());
    assert_eq!(cap.out_of_scope, vec!["outside/untracked.txt".to_string()]);
    let g = Git::new(&repo.root);
    let got = names(&changes(&g, &cap.head, &cap.tree).unwrap());
    assert_eq!(
        got,
        vec![
            ("M".into(), "other/tracked.txt".into()),
            ("M".into(), "src/app/a.txt".into()),
            (
                "A".into(),
                "src/app/deep/er/and/deeper/still/untracked-file-with-a-long-name.txt".into()
            ),
            ("D".into(), "src/app/gone.txt".into()),
            ("R".into(), "src/app/new.txt".into()),
            ("A".into(), "staged-new.txt".into()),
        ]
    );
    assert_eq!(
        std::fs::read(d.join(".git/index")).unwrap(),
        index_before,
        "the user's index is untouched"
    );
    // The same state captures to the same tree.
    assert_eq!(
        capture(&repo, &scope, &["src/app/wip.txt".into()])
            .unwrap()
            .tree,
        cap.tree
    );
}

#[test]
fn a_clean_tree_captures_to_heads_tree() {
    let (_dir, repo) = repo_with(&[("a.txt", b"a\n")]);
    let cap = capture(&repo, &Scope::new(&[]), &[]).unwrap();
    assert!(cap.is_clean());
    assert_eq!(
        diff(&Git::new(&repo.root), &cap.head, &cap.tree).unwrap(),
        b""
    );
}

#[test]
fn binary_crlf_and_non_utf8_content_diff_as_bytes() {
    let (dir, repo) = repo_with(&[
        ("bin.dat", &[0u8, 1, 2, 3][..]),
        ("crlf.txt", b"one\r\ntwo\r\n"),
        ("latin1.txt", b"caf\xe9\n"),
    ]);
    let d = dir.path();
    write(d, "bin.dat", &[0u8, 9, 9, 9]);
    write(d, "crlf.txt", b"one\r\nTWO\r\n");
    write(d, "latin1.txt", b"th\xe9\n");
    let cap = capture(&repo, &Scope::new(&[]), &[]).unwrap();
    let out = diff(&Git::new(&repo.root), &cap.head, &cap.tree).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("Binary files a/bin.dat and b/bin.dat differ"),
        "{text}"
    );
    assert!(out.windows(6).any(|w| w == b"+TWO\r\n"), "CR kept");
    assert!(out.windows(5).any(|w| w == b"+th\xe9\n"), "bytes kept");
}

#[test]
fn file_state_reads_mode_size_and_hash() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, repo) = repo_with(&[("run.sh", b"echo\n")]);
    let p = dir.path().join("run.sh");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (sha, mode, size) = file_state(&repo, b"run.sh").unwrap();
    assert_eq!(sha, crate::store::sha256_hex(b"echo\n"));
    assert_eq!((mode.as_str(), size), ("755", 5));
    assert!(file_state(&repo, b"missing").is_none());
}

#[test]
fn stale_index_directories_of_killed_captures_are_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    let now = std::time::SystemTime::now() + day + std::time::Duration::from_secs(60);
    let old = now - day - std::time::Duration::from_secs(1);
    // A directory holding `files`, last changed at `when`.
    let mkdir = |name: &str, files: &[&str], when: std::time::SystemTime| {
        let dir = t.join(name);
        std::fs::create_dir(&dir).unwrap();
        for file in files {
            std::fs::write(dir.join(file), b"DIRC").unwrap();
        }
        std::fs::File::open(&dir)
            .unwrap()
            .set_modified(when)
            .unwrap();
        dir
    };
    let mark = "tasks-capture";
    let killed = mkdir("tasks-index-AbC123", &[mark, "index"], old);
    let killed_locked = mkdir("tasks-index-x9Y8z7", &[mark, "index", "index.lock"], old);
    let killed_marked = mkdir("tasks-index-MARK00", &[mark], old);
    let killed_early = mkdir("tasks-index-EMPTY0", &[], old);
    let running = mkdir(
        "tasks-index-BBBBBB",
        &[mark, "index"],
        now - std::time::Duration::from_secs(60),
    );
    // Not what a capture makes: another name, another length, no mark, something else inside.
    let other = mkdir("other-index-CCCCCC", &[mark, "index"], old);
    let named_alike = mkdir("tasks-index-backup-2026", &["notes.txt"], old);
    let too_long = mkdir("tasks-index-ABCDEFG", &[mark, "index"], old);
    let with_more = mkdir("tasks-index-DDDDDD", &[mark, "index", "notes.txt"], old);
    let unmarked = mkdir("tasks-index-backup", &["index"], old);
    let nested = mkdir("tasks-index-EEEEEE", &[mark], old);
    std::fs::create_dir(nested.join("index")).unwrap();
    std::fs::File::open(&nested)
        .unwrap()
        .set_modified(old)
        .unwrap();
    // A link named like ours, to a directory of someone's: neither followed nor removed.
    let target = mkdir("kept-target", &[mark, "index"], old);
    std::os::unix::fs::symlink(&target, t.join("tasks-index-LINKED")).unwrap();
    // A plain file named like ours is not a directory of ours.
    std::fs::write(t.join("tasks-index-FILE00"), b"x").unwrap();
    sweep_stale_indexes(t, now);
    assert!(!killed.exists(), "a day-old capture directory is removed");
    assert!(!killed_locked.exists());
    assert!(!killed_marked.exists(), "killed before git wrote its index");
    assert!(!killed_early.exists(), "killed before its mark");
    assert!(running.join("index").exists(), "a recent one is kept");
    for kept in [
        &other,
        &named_alike,
        &too_long,
        &with_more,
        &unmarked,
        &nested,
        &target,
    ] {
        assert!(kept.exists(), "{}", kept.display());
    }
    assert!(named_alike.join("notes.txt").exists());
    assert!(with_more.join("index").exists(), "nothing in it removed");
    assert!(unmarked.join("index").exists(), "a user's own, unmarked");
    assert!(t.join("tasks-index-LINKED").symlink_metadata().is_ok());
    assert!(t.join("tasks-index-FILE00").exists());
    // A directory that cannot be opened is no error.
    sweep_stale_indexes(&t.join("missing"), now);
}

#[test]
fn a_capture_directory_left_by_a_killed_run_is_swept_a_day_later() {
    let tmp = tempfile::tempdir().unwrap();
    // What a kill leaves: the directory, its mark, and git's index.
    let left = capture_dir(tmp.path()).unwrap().keep();
    std::fs::write(left.join("index"), b"DIRC").unwrap();
    let name = left.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("tasks-index-") && name.len() == "tasks-index-".len() + 6);
    sweep_stale_indexes(tmp.path(), std::time::SystemTime::now());
    assert!(left.join("index").exists(), "not a day old yet");
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    sweep_stale_indexes(tmp.path(), std::time::SystemTime::now() + day);
    assert!(!left.exists());
}
