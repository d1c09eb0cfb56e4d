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
