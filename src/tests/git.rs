use super::*;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn head_is_none_before_the_first_commit_then_a_sha() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let repo = Git::new(dir.path());
    assert_eq!(repo.head().unwrap(), None);
    std::fs::write(dir.path().join("a.txt"), "a").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "init"]);
    let head = repo.head().unwrap().unwrap();
    assert_eq!(head.len(), 40);
}

#[test]
fn status_lists_untracked_and_renamed_paths_with_spaces_and_unicode() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join("old name.txt"), "content\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "init"]);
    git(dir.path(), &["mv", "old name.txt", "nouveau é.txt"]);
    std::fs::create_dir_all(dir.path().join("deep/dir")).unwrap();
    std::fs::write(dir.path().join("deep/dir/new.txt"), "x").unwrap();
    let mut entries = Git::new(dir.path()).status().unwrap();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].code, "??");
    assert_eq!(entries[0].path, "deep/dir/new.txt");
    assert_eq!(entries[1].code, "R ");
    assert_eq!(entries[1].path, "nouveau é.txt");
    assert_eq!(entries[1].orig_path.as_deref(), Some("old name.txt"));
}

#[test]
fn failures_are_e061_with_command_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let err = Git::new(dir.path())
        .run(&["rev-parse", "no-such-ref"])
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::E061);
    assert_eq!(err.details["command"], "git rev-parse no-such-ref");
    assert!(!err.details["stderr"].as_str().unwrap().is_empty());
}

#[test]
fn head_read_from_the_files_is_what_git_says_in_every_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    let repo = Git::new(root);
    // Unborn branch: no id either way.
    assert_eq!(repo.head_quick().unwrap(), None);
    std::fs::write(root.join("a.txt"), "a").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "one"]);
    let loose = repo.head().unwrap().unwrap();
    assert_eq!(repo.head_from_files(), Some(loose.clone()), "a loose ref");
    // Packed refs only.
    git(root, &["pack-refs", "--all"]);
    assert!(!root.join(".git/refs/heads/main").exists());
    assert_eq!(repo.head_from_files(), Some(loose.clone()), "a packed ref");
    // A newer loose ref wins over the packed one.
    std::fs::write(root.join("b.txt"), "b").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "two"]);
    let second = repo.head().unwrap().unwrap();
    assert_eq!(repo.head_quick().unwrap(), Some(second.clone()));
    // Detached.
    git(root, &["checkout", "-q", "--detach", &loose]);
    assert_eq!(repo.head_from_files(), Some(loose.clone()), "detached");
    // A hostile ref name or a non-id value is not read from the files: git decides.
    std::fs::write(
        root.join(".git/HEAD"),
        "ref: refs/heads/../../../etc/passwd\n",
    )
    .unwrap();
    assert_eq!(repo.head_from_files(), None);
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(root.join(".git/refs/heads/main"), "not an id\n").unwrap();
    assert_eq!(repo.head_from_files(), None);
    // A worktree's `.git` file: git is asked.
    let linked = tempfile::tempdir().unwrap();
    let wt = linked.path().join("wt");
    git(root, &["checkout", "-q", "--detach", &second]);
    std::fs::write(root.join(".git/refs/heads/main"), format!("{second}\n")).unwrap();
    git(
        root,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            wt.to_str().unwrap(),
            &second,
        ],
    );
    let worktree = Git::new(&wt);
    assert_eq!(worktree.head_from_files(), None);
    assert_eq!(worktree.head_quick().unwrap(), Some(second));
}
