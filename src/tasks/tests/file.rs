use super::*;
use crate::error::ErrorCode;

const TODO: &str =
    "id: TASK-0001\ntitle: First\nstatus: todo # keep this comment\npriority: P1\narea: web\n";

fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, Repo, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let repo = Repo::discover(Some(dir.path()), dir.path()).unwrap();
    let catalog = Catalog::load(&repo, true);
    (dir, repo, catalog)
}

#[test]
fn an_id_or_a_path_from_anywhere_in_the_repository_names_the_file() {
    let (_dir, repo, catalog) = repo(&[
        ("tasks/web/TASK-0001-first.task.yaml", TODO),
        (
            "docs/completed-tasks/TASK-0002.task.yaml",
            "id: TASK-0002\ntitle: Done\nstatus: completed\npriority: P2\narea: web\n",
        ),
    ]);
    let want = "tasks/web/TASK-0001-first.task.yaml";
    assert_eq!(
        locate(&repo, &repo.root, || &catalog, "TASK-0001").unwrap(),
        want
    );
    assert_eq!(locate(&repo, &repo.root, || &catalog, want).unwrap(), want);
    let sub = repo.root.join("tasks/web");
    assert_eq!(
        locate(&repo, &sub, || &catalog, "TASK-0001-first.task.yaml").unwrap(),
        want,
        "relative to the current directory"
    );
    assert_eq!(
        locate(&repo, &repo.root, || &catalog, "TASK-0002").unwrap(),
        "docs/completed-tasks/TASK-0002.task.yaml"
    );
}

#[test]
fn what_is_not_a_task_file_of_the_repository_is_refused() {
    let (_dir, repo, catalog) = repo(&[
        ("tasks/TASK-0001.task.yaml", TODO),
        ("notes/TASK-0003.task.yaml", TODO),
        ("tasks/TASK-0001.md", "not a task\n"),
    ]);
    let code = |arg: &str| {
        locate(&repo, &repo.root, || &catalog, arg)
            .unwrap_err()
            .code
    };
    assert_eq!(
        code("notes/TASK-0003.task.yaml"),
        ErrorCode::E002,
        "outside tasks/"
    );
    assert_eq!(
        code("tasks/TASK-0001.md"),
        ErrorCode::E002,
        "not *.task.yaml"
    );
    assert_eq!(code("tasks"), ErrorCode::E002, "a directory");
    assert_eq!(
        code("/etc/hostname"),
        ErrorCode::E002,
        "outside the repository"
    );
    assert_eq!(code("TASK-9999"), ErrorCode::E040);
    assert_eq!(code("tasks/nope.task.yaml"), ErrorCode::E040);
}

#[test]
fn an_id_whose_file_is_broken_says_so() {
    let (_dir, repo, catalog) = repo(&[("tasks/TASK-0007-x.task.yaml", "id: [unclosed\n")]);
    let err = locate(&repo, &repo.root, || &catalog, "TASK-0007").unwrap_err();
    assert_eq!(err.code, ErrorCode::E011);
    assert!(
        err.message.contains("tasks/TASK-0007-x.task.yaml"),
        "{}",
        err.message
    );
}

#[test]
fn read_parses_and_reread_sees_a_change() {
    let (dir, repo, _) = repo(&[("tasks/TASK-0001.task.yaml", TODO)]);
    let file = TaskFile::read(&repo, "tasks/TASK-0001.task.yaml").unwrap();
    assert_eq!((&*file.task.id, &*file.task.status), ("TASK-0001", "todo"));
    assert_eq!(file.raw, TODO.as_bytes());
    let document = file.document().unwrap();
    assert!(matches!(document, Yaml::Map(ref m) if m.len() == 5));

    let same = file.clone().reread().unwrap();
    assert_eq!(same.task.status, "todo");
    std::fs::write(
        dir.path().join("tasks/TASK-0001.task.yaml"),
        TODO.replace("todo", "blocked"),
    )
    .unwrap();
    assert_eq!(file.reread().unwrap().task.status, "blocked");

    std::fs::write(dir.path().join("tasks/TASK-0001.task.yaml"), "id: [x\n").unwrap();
    let err = TaskFile::read(&repo, "tasks/TASK-0001.task.yaml").unwrap_err();
    assert_eq!(err.code, ErrorCode::E011);
}

#[test]
fn with_status_changes_only_the_status() {
    let (_dir, repo, _) = repo(&[("tasks/TASK-0001.task.yaml", TODO)]);
    let file = TaskFile::read(&repo, "tasks/TASK-0001.task.yaml").unwrap();
    assert_eq!(
        file.with_status("in_progress").unwrap(),
        TODO.replace("status: todo", "status: in_progress")
    );
}

#[test]
fn with_status_refuses_an_edit_that_would_change_more() {
    let flow = "{id: TASK-0001, title: T, status: todo, priority: P1, area: web}\n";
    let (_dir, repo, _) = repo(&[("tasks/TASK-0001.task.yaml", flow)]);
    let file = TaskFile::read(&repo, "tasks/TASK-0001.task.yaml").unwrap();
    let err = file.with_status("completed").unwrap_err();
    assert_eq!(err.code, ErrorCode::E002);
    assert!(err.recovery.contains("status: completed"), "{err:?}");
}

#[test]
fn a_path_never_loads_the_catalog() {
    let (_dir, repo, _) = repo(&[("tasks/TASK-0001.task.yaml", TODO)]);
    let rel = locate(
        &repo,
        &repo.root,
        || panic!("the catalog was loaded for a path"),
        "tasks/TASK-0001.task.yaml",
    );
    assert_eq!(rel.unwrap(), "tasks/TASK-0001.task.yaml");
}
