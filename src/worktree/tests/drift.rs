use super::*;
use crate::store::sha256_hex;
use crate::worktree::tests::{git, repo_with, write};

fn recorded_file(path: &str, status: &str, content: &[u8]) -> FileSnapshot {
    FileSnapshot {
        path: path.into(),
        sha256: if status == "D" {
            String::new()
        } else {
            sha256_hex(content)
        },
        status: status.into(),
        mode: "644".into(),
        size: content.len() as u64,
        previous_path: None,
        extra: Default::default(),
    }
}

/// The tree a snapshot would record now, with HEAD.
fn snapshot(repo: &Repo, scope: &Scope, dirty: &[String]) -> (ObjectId, ObjectId) {
    let cap = capture(repo, scope, dirty).unwrap();
    (cap.head, cap.tree)
}

fn detect_tree(
    repo: &Repo,
    scope: &Scope,
    dirty: &[String],
    head: &ObjectId,
    tree: &ObjectId,
) -> Option<Drift> {
    let task = Task {
        scope,
        preexisting_dirty: dirty,
    };
    detect(repo, &task, head, &Recorded::Tree(tree)).unwrap()
}

#[test]
fn an_untouched_tree_has_no_drift() {
    let (dir, repo) = repo_with(&[("src/a.txt", b"a\n")]);
    write(dir.path(), "src/a.txt", b"changed by the implementer\n");
    let scope = Scope::new(&[]);
    let (head, tree) = snapshot(&repo, &scope, &[]);
    assert_eq!(detect_tree(&repo, &scope, &[], &head, &tree), None);
    // The tool's own directories never count.
    write(dir.path(), ".agent-output/TASK-0001/context.json", b"{}");
    write(dir.path(), "docs/compliance/ledger.json", b"{}");
    assert_eq!(detect_tree(&repo, &scope, &[], &head, &tree), None);
}

#[test]
fn each_changed_file_is_described_with_both_hashes() {
    let (dir, repo) = repo_with(&[("src/a.txt", b"a\n"), ("src/b.txt", b"b\n")]);
    let d = dir.path();
    write(d, "src/a.txt", b"implementer\n");
    let scope = Scope::new(&["src".into()]);
    let (head, tree) = snapshot(&repo, &scope, &[]);

    write(d, "src/a.txt", b"someone else\n");
    std::fs::remove_file(d.join("src/b.txt")).unwrap();
    write(d, "src/new.txt", b"new\n");
    let Some(Drift::Files(findings)) = detect_tree(&repo, &scope, &[], &head, &tree) else {
        panic!("file drift expected");
    };
    let by_path = |p: &str| findings.iter().find(|f| f.path == p).cloned().unwrap();
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert_eq!(
        by_path("src/a.txt"),
        Finding {
            path: "src/a.txt".into(),
            change: "modified",
            expected_sha256: sha256_hex(b"implementer\n"),
            current_sha256: sha256_hex(b"someone else\n"),
        }
    );
    let deleted = by_path("src/b.txt");
    assert_eq!(deleted.change, "deleted");
    assert_eq!(deleted.expected_sha256, sha256_hex(b"b\n"));
    assert_eq!(deleted.current_sha256, "");
    let added = by_path("src/new.txt");
    assert_eq!(
        (added.change, added.expected_sha256.as_str()),
        ("added", "")
    );
    assert_eq!(added.current_sha256, sha256_hex(b"new\n"));
}

#[test]
fn out_of_scope_untracked_files_and_preexisting_dirt_are_not_drift() {
    let (dir, repo) = repo_with(&[("src/a.txt", b"a\n"), ("notes.txt", b"n\n")]);
    let d = dir.path();
    write(d, "notes.txt", b"the user's own work\n");
    let dirty = vec!["notes.txt".to_string()];
    write(d, "src/a.txt", b"implementer\n");
    let scope = Scope::new(&["src".into()]);
    let (head, tree) = snapshot(&repo, &scope, &dirty);

    write(d, "notes.txt", b"the user keeps working\n");
    write(d, "elsewhere/untracked.txt", b"x\n");
    assert_eq!(detect_tree(&repo, &scope, &dirty, &head, &tree), None);
}

#[test]
fn a_commit_moves_head() {
    let (dir, repo) = repo_with(&[("a.txt", b"a\n")]);
    let d = dir.path();
    write(d, "a.txt", b"implementer\n");
    let scope = Scope::new(&[]);
    let (head, tree) = snapshot(&repo, &scope, &[]);
    git(d, &["commit", "-qam", "commit the work"]);
    let now = head_of(&repo);
    assert_eq!(
        detect_tree(&repo, &scope, &[], &head, &tree),
        Some(Drift::HeadMoved {
            expected: head.clone(),
            current: now,
        })
    );
}

fn head_of(repo: &Repo) -> ObjectId {
    super::head(&Git::new(&repo.root)).unwrap()
}

#[test]
fn changes_that_were_stashed_are_gone() {
    let (dir, repo) = repo_with(&[("a.txt", b"a\n")]);
    let d = dir.path();
    write(d, "a.txt", b"implementer\n");
    let scope = Scope::new(&[]);
    let (head, tree) = snapshot(&repo, &scope, &[]);
    git(d, &["stash", "-q"]);
    assert_eq!(
        detect_tree(&repo, &scope, &[], &head, &tree),
        Some(Drift::ChangesGone)
    );
}

fn detect_files(repo: &Repo, dirty: &[String], files: &[FileSnapshot]) -> Option<Drift> {
    let scope = Scope::new(&[]);
    let task = Task {
        scope: &scope,
        preexisting_dirty: dirty,
    };
    detect(repo, &task, &head_of(repo), &Recorded::Files(files)).unwrap()
}

#[test]
fn a_snapshot_without_a_tree_is_compared_file_by_file() {
    let (dir, repo) = repo_with(&[("a.txt", b"a\n"), ("b.txt", b"b\n")]);
    let d = dir.path();
    write(d, "a.txt", b"implementer\n");
    std::fs::remove_file(d.join("b.txt")).unwrap();
    let files = vec![
        recorded_file("a.txt", "M", b"implementer\n"),
        recorded_file("b.txt", "D", b""),
    ];
    assert_eq!(detect_files(&repo, &[], &files), None, "as recorded");
    assert_eq!(Recorded::Files(&files).method(), "checksums");

    write(d, "a.txt", b"someone else\n");
    write(d, "b.txt", b"back again\n");
    let Some(Drift::Files(findings)) = detect_files(&repo, &[], &files) else {
        panic!("file drift expected");
    };
    let changes: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.path.as_str(), f.change))
        .collect();
    assert_eq!(changes, [("a.txt", "modified"), ("b.txt", "added")]);
    assert_eq!(findings[0].expected_sha256, sha256_hex(b"implementer\n"));
    assert_eq!(findings[0].current_sha256, sha256_hex(b"someone else\n"));

    // A recorded file that was dirty before the task began is never drift.
    assert!(matches!(
        detect_files(&repo, &["a.txt".into()], &files),
        Some(Drift::Files(f)) if f.len() == 1 && f[0].path == "b.txt"
    ));
}

#[test]
fn a_snapshot_without_a_tree_whose_changes_were_reverted() {
    let (dir, repo) = repo_with(&[("a.txt", b"a\n")]);
    let files = vec![recorded_file("a.txt", "M", b"a\n")];
    // The recorded content is on disk, but git sees no change at all.
    assert_eq!(detect_files(&repo, &[], &files), Some(Drift::ChangesGone));
    // A recorded deletion of a file that is gone, with other changes: no drift.
    write(dir.path(), "a.txt", b"a\n");
    write(dir.path(), "c.txt", b"c\n");
    let files = vec![recorded_file("gone.txt", "D", b"")];
    assert_eq!(detect_files(&repo, &[], &files), None);
    // Nothing recorded and nothing changed: no drift either.
    std::fs::remove_file(dir.path().join("c.txt")).unwrap();
    assert_eq!(detect_files(&repo, &[], &[]), None);
}

#[test]
fn a_recorded_path_that_leads_out_through_a_link_reads_as_deleted() {
    let (dir, repo) = repo_with(&[("a.txt", b"a\n")]);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"secret\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    let files = vec![recorded_file("link/secret", "M", b"secret\n")];
    let Some(Drift::Files(findings)) = detect_files(&repo, &[], &files) else {
        panic!("file drift expected");
    };
    assert_eq!(findings[0].change, "deleted");
    assert_eq!(
        findings[0].current_sha256, "",
        "never read through the link"
    );
}

#[test]
fn a_snapshot_without_a_tree_sees_its_changes_gone_despite_older_dirt() {
    let (dir, repo) = repo_with(&[("a.txt", b"a\n"), ("notes.txt", b"n\n")]);
    // notes.txt was dirty before the task began; the task's own change is reverted.
    write(dir.path(), "notes.txt", b"the user's own work\n");
    let files = vec![recorded_file("a.txt", "M", b"implementer\n")];
    let dirty = vec!["notes.txt".to_string()];
    assert!(matches!(
        detect_files(&repo, &dirty, &files),
        Some(Drift::Files(_))
    ));
    // a.txt is back to HEAD's content but recorded as modified: that is file drift (deleted
    // content). With a.txt as recorded and only the older dirt left, nothing is wrong:
    write(dir.path(), "a.txt", b"implementer\n");
    assert_eq!(detect_files(&repo, &dirty, &files), None);
    // The task's change reverted, only the older dirt left: the changes are gone.
    let gone = vec![recorded_file("gone.txt", "D", b"")];
    write(dir.path(), "a.txt", b"a\n");
    assert_eq!(detect_files(&repo, &dirty, &gone), Some(Drift::ChangesGone));
}
