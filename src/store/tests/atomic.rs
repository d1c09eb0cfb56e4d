use super::*;

#[test]
fn replaces_content_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    atomic_write(&path, b"old").unwrap();
    atomic_write(&path, b"new").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn missing_directory_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing/state.json");
    assert!(atomic_write(&path, b"x").is_err());
}

#[cfg(unix)]
#[test]
fn permissions_are_kept_or_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // what the umask makes of a plain new file
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let new = dir.path().join("new.json");
    atomic_write(&new, b"{}").unwrap();
    assert_eq!(mode(&new), mode(&plain));
    let created = dir.path().join("created.md");
    atomic_create(&created, b"x", None).unwrap();
    assert_eq!(mode(&created), mode(&plain));
    let shared = dir.path().join("shared.json");
    std::fs::write(&shared, b"old").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o664)).unwrap();
    atomic_write(&shared, b"new").unwrap();
    assert_eq!(mode(&shared), 0o664);
}

#[test]
fn create_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.md");
    atomic_create(&path, b"first", None).unwrap();
    let err = atomic_create(&path, b"second", None).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read(&path).unwrap(), b"first");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}
