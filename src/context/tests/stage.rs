use super::*;
use crate::context::build::build;

const TASK: &str = "schema_version: \"1.1\"\nid: TASK-0042\ntitle: Timeline\nstatus: todo\npriority: P1\narea: backend\n\
description: d\nacceptance_criteria:\n  must: [ordered]\ncontext:\n  related_docs:\n    - standards/global.md#evidence-requirements\n";

fn repo() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("tasks/TASK-0042.task.yaml", TASK);
    write(
        "standards/global.md",
        "# Global\n\n## Evidence requirements\n\nKeep evidence.\n",
    );
    write("docs/agents/implementer.md", "# Implementer\n- [ ] tests\n");
    write("docs/agents/reviewer.md", "# Reviewer\n");
    write("docs/agents/notes.txt", "not a checklist\n");
    write(
        "docs/agents/nested/deeper.md",
        "not directly in the directory\n",
    );
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let repo = Repo::discover(Some(dir.path()), dir.path()).unwrap();
    (dir, repo)
}

/// Stage the files of a context for the task and commit them.
fn stage_and_commit(repo: &Repo, store: &ContextStore) -> (TaskFile, Written, Manifest) {
    let file = TaskFile::read(repo, "tasks/TASK-0042.task.yaml").unwrap();
    let payload = build(repo, &file.task, &file.document().unwrap());
    let locked = store.lock(repo).unwrap();
    let mut txn = locked.begin();
    let written = files(
        repo,
        store,
        &mut txn,
        &file,
        &payload,
        "2026-11-29T10:00:00Z",
    )
    .unwrap();
    let manifest = manifest(
        &file,
        &payload,
        &written,
        "2026-11-29T10:00:00Z",
        "me",
        "abc",
    );
    txn.commit().unwrap();
    (file, written, manifest)
}

#[test]
fn the_snapshot_excerpts_and_checklists_are_written_and_indexed() {
    let (_dir, repo) = repo();
    let store = ContextStore::of(&repo, "TASK-0042");
    let (file, written, _) = stage_and_commit(&repo, &store);
    let dir = repo.root.join(".agent-output/TASK-0042");

    assert_eq!(
        std::fs::read(dir.join("task-snapshot.yaml")).unwrap(),
        file.raw
    );
    assert_eq!(written.snapshot_sha, sha256_hex(&file.raw));

    let names: Vec<&str> = written.checklists.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        names,
        ["docs/agents/implementer.md", "docs/agents/reviewer.md"]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("evidence/checklists/implementer.md")).unwrap(),
        "# Implementer\n- [ ] tests\n"
    );
    assert!(!dir.join("evidence/checklists/notes.txt").exists());
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("evidence/index.json")).unwrap()).unwrap();
    let text = index.to_string();
    assert!(text.contains("evidence/checklists/reviewer.md"), "{text}");
    assert!(text.contains(&sha256_hex(b"# Reviewer\n")), "{text}");

    let standards = std::fs::read_dir(dir.join("evidence/standards"))
        .unwrap()
        .count();
    assert_eq!(standards, 2, "one excerpt and its index.json");
}

#[test]
fn the_manifest_lists_every_source_with_its_hash() {
    let (_dir, repo) = repo();
    let store = ContextStore::of(&repo, "TASK-0042");
    let (file, _, manifest) = stage_and_commit(&repo, &store);
    let sources: Vec<(&str, &str)> = manifest
        .source_files
        .iter()
        .map(|s| (s.path.as_str(), s.purpose.as_str()))
        .collect();
    assert_eq!(sources[0], ("tasks/TASK-0042.task.yaml", "task_yaml"));
    assert!(sources.iter().any(|(p, _)| *p == "standards/global.md"));
    assert!(sources.contains(&("docs/agents/reviewer.md", "checklist")));
    assert_eq!(manifest.source_files[0].sha256, sha256_hex(&file.raw));
    assert_eq!(manifest.task_id, "TASK-0042");
    assert_eq!(manifest.git_head, "abc");
}

#[test]
fn source_changes_between_manifests() {
    let (dir, repo) = repo();
    let store = ContextStore::of(&repo, "TASK-0042");
    let (_, _, before) = stage_and_commit(&repo, &store);
    assert!(compare_sources(None, &before).is_empty());
    assert!(compare_sources(Some(&before), &before).is_empty());

    std::fs::write(
        dir.path().join("docs/agents/reviewer.md"),
        "# Reviewer v2\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("docs/agents/implementer.md")).unwrap();
    std::fs::write(dir.path().join("docs/agents/validator.md"), "# Validator\n").unwrap();
    let (_, _, after) = stage_and_commit(&repo, &store);
    assert_eq!(
        compare_sources(Some(&before), &after),
        [
            "Missing: docs/agents/implementer.md",
            "Modified: docs/agents/reviewer.md",
            "New: docs/agents/validator.md",
        ]
    );
}

#[test]
fn a_corrupt_evidence_index_stops_the_staging_before_anything_is_written() {
    let (dir, repo) = repo();
    let evidence = dir.path().join(".agent-output/TASK-0042/evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(evidence.join("index.json"), "{ not json").unwrap();
    let store = ContextStore::of(&repo, "TASK-0042");
    let file = TaskFile::read(&repo, "tasks/TASK-0042.task.yaml").unwrap();
    let payload = build(&repo, &file.task, &file.document().unwrap());
    let locked = store.lock(&repo).unwrap();
    let mut txn = locked.begin();
    let err = files(&repo, &store, &mut txn, &file, &payload, "now").unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::E052);
    assert!(txn.is_empty(), "nothing staged");
    assert_eq!(
        std::fs::read(evidence.join("index.json")).unwrap(),
        b"{ not json"
    );
}
