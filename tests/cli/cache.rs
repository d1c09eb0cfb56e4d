//! The private task cache: correct whatever state it is in, and invisible in the results.

use crate::list::workflow_repo;
use serde_json::Value;

const CACHE: &str = "tasks/.cache/task-index.v2.bin";

fn without_time(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("generated_at");
    doc
}

#[test]
fn cold_and_warm_runs_print_the_same() {
    let repo = workflow_repo();
    repo.write("tasks/broken/TASK-0077.task.yaml", "id: [\n");
    let (_, cold, _) = repo.json(&["--list"]);
    assert!(repo.root().join(CACHE).is_file());
    let (_, warm, _) = repo.json(&["--list"]);
    assert_eq!(without_time(cold.clone()), without_time(warm));
    let (_, forced, _) = repo.json(&["--refresh-cache"]);
    assert_eq!(forced["tasks_loaded"], 8);
    let (_, after, _) = repo.json(&["--list"]);
    assert_eq!(without_time(cold), without_time(after));
}

#[test]
fn snapshot_id_changes_only_when_task_files_change() {
    let repo = workflow_repo();
    let snapshot = || repo.json(&["--pick"]).1["snapshot_id"].as_u64().unwrap();
    let first = snapshot();
    assert_eq!(snapshot(), first);
    assert_eq!(snapshot(), first);
    repo.task(
        "tasks/backend/TASK-0002.task.yaml",
        "TASK-0002",
        "in_progress",
        "P2",
        "",
    );
    let second = snapshot();
    assert_ne!(second, first);
    let (_, doc, _) = repo.json(&["--list", "in_progress"]);
    assert_eq!(crate::support::ids(&doc), vec!["TASK-0007", "TASK-0002"]);
    // rebuilding or losing the cache does not change it: it identifies content
    assert_eq!(repo.json(&["--refresh-cache"]).1["snapshot_id"], second);
    std::fs::remove_dir_all(repo.root().join("tasks/.cache")).unwrap();
    assert_eq!(snapshot(), second);
    // back to the first content, back to the first id
    repo.task(
        "tasks/backend/TASK-0002.task.yaml",
        "TASK-0002",
        "todo",
        "P2",
        "",
    );
    assert_eq!(snapshot(), first);
    std::fs::remove_file(repo.root().join("tasks/backend/TASK-0002.task.yaml")).unwrap();
    assert_ne!(snapshot(), first);
    assert_eq!(repo.json(&["--list"]).1["count"], 7);
}

#[test]
fn corrupt_cache_is_rebuilt_with_one_warning() {
    let repo = workflow_repo();
    repo.run(&["--list"]);
    repo.write(CACHE, "{ this is not json");
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 8);
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("corrupt"), "{}", warnings[0]);
    let (_, _, run) = repo.json(&["--list"]);
    assert_eq!(run.stderr, "", "the rebuilt cache is valid");
}

#[test]
fn truncated_or_foreign_caches_never_break_a_run() {
    let repo = workflow_repo();
    repo.run(&["--list"]);
    let path = repo.root().join(CACHE);
    let full = std::fs::read(&path).unwrap();
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 8);
    assert_eq!(run.warnings().len(), 1, "{}", run.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), full, "rebuilt byte for byte");
    // another format version (999) written by another release: replaced silently
    let mut foreign = b"tasks task-index\n".to_vec();
    foreign.extend([0xE7, 0x07, 0x05]);
    foreign.extend(b"9.9.9 and whatever follows");
    std::fs::write(&path, foreign).unwrap();
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 8);
    assert_eq!(run.stderr, "");
}

#[test]
fn unreadable_and_unwritable_cache_still_gives_correct_results() {
    let repo = workflow_repo();
    std::fs::create_dir_all(repo.root().join(CACHE)).unwrap();
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 8);
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("cannot read the task cache"))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("could not save the task cache"))
    );
}

#[test]
fn cache_directory_ignores_itself_in_git() {
    let repo = workflow_repo();
    repo.run(&["--list"]);
    assert!(repo.read("tasks/.cache/.gitignore").contains('*'));
    repo.commit();
    assert_eq!(repo.git_stdout(&["status", "--porcelain"]), "");
}
