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
