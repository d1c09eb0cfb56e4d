use super::*;

#[test]
fn walks_up_to_the_directory_holding_git() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let deep = dir.path().join("a/b/c");
    std::fs::create_dir_all(&deep).unwrap();
    let repo = Repo::discover(None, &deep).unwrap();
    assert_eq!(repo.root, dir.path().canonicalize().unwrap());
}

#[test]
fn a_git_file_counts_like_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".git"), "gitdir: elsewhere").unwrap();
    let repo = Repo::discover(None, dir.path()).unwrap();
    assert_eq!(repo.root, dir.path().canonicalize().unwrap());
}

#[test]
fn explicit_root_must_exist() {
    let err = Repo::discover(Some(Path::new("/definitely/not/here")), Path::new("/")).unwrap_err();
    assert_eq!(err.code, ErrorCode::E040);
}
