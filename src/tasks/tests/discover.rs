use super::*;

#[test]
fn active_before_archived_each_sorted_and_recursive() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [
        "tasks/zz/b.task.yaml",
        "tasks/zz/sub/a.task.yaml",
        "tasks/a.task.yaml",
        "tasks/mobile/c.task.yaml",
        "tasks/notes.yaml",
        "docs/completed-tasks/0.task.yaml",
        "docs/templates/t.task.yaml",
    ] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }
    let rels: Vec<String> = discover(root).0.into_iter().map(|f| f.rel).collect();
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
    let rels: Vec<String> = discover(root).0.into_iter().map(|f| f.rel).collect();
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
    let mut records = first.dirs.clone();
    for record in &mut records {
        record.trusted = true;
        if record.rel == "tasks/a" {
            record.names.clear();
            record.kinds.clear();
        }
    }
    let reused = discover_with(root, &records);
    assert!(reused.files.is_empty());
    // A record whose names and kinds do not agree (a damaged cache) is not reused.
    let mut damaged = records.clone();
    for record in &mut damaged {
        if record.rel == "tasks/a" {
            record.kinds = "ff".to_string();
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
        .map(|f| f.rel)
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
    let rels: Vec<String> = discover(root).0.into_iter().map(|f| f.rel).collect();
    assert_eq!(rels, vec!["tasks/y.task.yaml"]);
}
