use super::*;

fn root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    (dir, root)
}

#[test]
fn creates_missing_directories_inside_the_root() {
    let (_tmp, root) = root();
    let dir = state_dir(&root, "a/b/c").unwrap();
    assert_eq!(dir, root.join("a/b/c"));
    assert!(dir.is_dir());
}

#[test]
fn a_link_out_of_the_root_is_refused_before_anything_is_created() {
    let (_tmp, root) = root();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("a")).unwrap();
    let err = state_dir(&root, "a/b/c").unwrap_err();
    assert!(matches!(err, StateError::Linked { .. }), "{err:?}");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(matches!(
        existing_state_dir(&root, "a/b"),
        Err(StateError::Linked { .. })
    ));
}

#[test]
fn a_deeper_link_out_is_refused_too() {
    let (_tmp, root) = root();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.join("a")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("a/b")).unwrap();
    assert!(matches!(
        state_dir(&root, "a/b/c"),
        Err(StateError::Linked { .. })
    ));
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn a_link_that_stays_inside_is_refused_too() {
    let (_tmp, root) = root();
    std::fs::create_dir(root.join("real")).unwrap();
    std::os::unix::fs::symlink(root.join("real"), root.join("alias")).unwrap();
    assert!(matches!(
        state_dir(&root, "alias/x"),
        Err(StateError::Linked { .. })
    ));
    assert!(!root.join("real/x").exists());
    // The last component counts as well.
    assert!(matches!(
        existing_state_dir(&root, "alias"),
        Err(StateError::Linked { .. })
    ));
}

#[test]
fn a_file_in_the_way_is_an_error() {
    let (_tmp, root) = root();
    std::fs::write(root.join("a"), b"x").unwrap();
    assert!(matches!(
        state_dir(&root, "a/b"),
        Err(StateError::Io { .. })
    ));
}

#[test]
fn existing_state_dir_creates_nothing() {
    let (_tmp, root) = root();
    assert!(existing_state_dir(&root, "a/b").unwrap().is_none());
    assert!(!root.join("a").exists());
}

#[test]
fn paths_that_climb_or_are_absolute_are_refused() {
    for bad in ["", "/etc", "a/../b", "./a", "a//b", "..", "a/.", "a\\b"] {
        assert!(check_relative(bad).is_err(), "{bad:?}");
    }
    for good in ["a", "a/b.json", ".agent-output/TASK-1/x.diff"] {
        assert!(check_relative(good).is_ok(), "{good:?}");
    }
    let (_tmp, root) = root();
    assert!(matches!(
        state_dir(&root, "a/../../x"),
        Err(StateError::BadPath { .. })
    ));
}

#[test]
fn a_held_directory_swapped_for_a_link_afterwards_redirects_nothing() {
    let (_tmp, root) = root();
    let outside = tempfile::tempdir().unwrap();
    let held = hold_state_dir(&root, "a/b").unwrap();
    assert_eq!(held.shown(), root.join("a/b"));
    // After the check: `a` is moved away and a link out of the repository takes its name.
    std::fs::rename(root.join("a"), root.join("moved")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("a")).unwrap();
    std::fs::create_dir(outside.path().join("b")).unwrap();
    let (io, shown) = held.file("f");
    assert_eq!(shown, root.join("a/b/f"));
    crate::store::atomic_write(&io, b"state").unwrap();
    crate::store::lock_exclusive(&held.file("f.lock").0).unwrap();
    assert_eq!(
        std::fs::read(root.join("moved/b/f")).unwrap(),
        b"state",
        "written in the directory that was checked"
    );
    assert!(root.join("moved/b/f.lock").exists());
    assert_eq!(
        std::fs::read_dir(outside.path().join("b")).unwrap().count(),
        0,
        "nothing written where the link points"
    );
    // Errors met through it name the shown path.
    let e = held.shown_error(StateError::io(
        &io,
        "write",
        std::io::ErrorKind::Other.into(),
    ));
    assert!(
        matches!(e, StateError::Io { ref path, .. } if *path == shown),
        "{e:?}"
    );
    // And a new hold refuses the link, as the check always did.
    assert!(matches!(
        hold_existing_state_dir(&root, "a/b"),
        Err(StateError::Linked { .. })
    ));
}

#[test]
fn a_missing_directory_is_not_held_or_created() {
    let (_tmp, root) = root();
    assert!(hold_existing_state_dir(&root, "a/b").unwrap().is_none());
    assert!(!root.join("a").exists());
}

#[test]
fn a_dangling_link_is_named_with_where_it_says_it_leads() {
    let (_tmp, root) = root();
    std::os::unix::fs::symlink("/nonexistent/zz", root.join("a")).unwrap();
    match existing_state_dir(&root, "a/b") {
        Err(StateError::Linked { path, resolved }) => {
            assert_eq!(path, root.join("a"));
            assert_eq!(resolved, Path::new("/nonexistent/zz"));
        }
        other => panic!("{other:?}"),
    }
}
