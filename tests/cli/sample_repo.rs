//! The sample repository the README's quick start runs on.

use crate::support::{TestRepo, ids};
use std::path::Path;

/// Copy the sample repository as a fresh clone has it: without the state the tool writes there
/// when the README's quick start runs on it (git-ignored), so the tests pass whatever ran before.
fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        if ["tasks/.cache", "docs/compliance", ".agent-output"]
            .iter()
            .any(|state| rel.starts_with(state))
        {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn sample() -> TestRepo {
    let repo = TestRepo::new();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-repo"),
        repo.root(),
    );
    repo
}

#[test]
fn quick_start_picks_the_unblocker_that_inherits_p0() {
    let repo = sample();
    let run = repo.run(&["--pick"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout.trim(),
        repo.abs("tasks/backend/TASK-0101-extract-shipment-status-service.task.yaml")
    );
    let (_, doc, _) = repo.json(&["--pick"]);
    assert_eq!(doc["reason"], "unblocker");
    assert_eq!(doc["task"]["effective_priority"], "P0");
    assert_eq!(doc["task"]["priority_reason"], "Blocks P0 work: TASK-0106");
    assert_eq!(doc["draft_alerts"]["drafts"][0]["id"], "TASK-0110");
}

#[test]
fn sample_repo_has_what_the_readme_promises() {
    let repo = sample();
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 13);
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("TASK-0113-release-checklist.task.yaml"));
    assert!(warnings[0].contains("line 12, column 7"));
    let all = ids(&doc);
    assert_eq!(all[0], "TASK-0101");
    assert_eq!(&all[11..], ["TASK-0100", "TASK-0102"]);
    let areas: std::collections::BTreeSet<&str> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["area"].as_str().unwrap())
        .collect();
    assert!(areas.len() >= 4);
    assert_eq!(repo.run(&["--validate"]).code, 0);
    assert_eq!(repo.run(&["--check-halt"]).code, 0);
    let (_, explain, _) = repo.json(&["--explain", "TASK-0106"]);
    assert_eq!(
        explain["transitive_closure"],
        serde_json::json!(["TASK-0101", "TASK-0103", "TASK-0104", "TASK-0105"])
    );
}

#[test]
fn the_sample_repo_builds_an_agent_context() {
    let repo = sample();
    repo.commit();
    let (code, doc, run) = repo.json(&["--init-context", "TASK-0101"]);
    assert_eq!(code, 0, "{doc}\n{}", run.stderr);
    let data = &doc["data"];
    assert_eq!(data["acceptance_criteria_count"], 4);
    assert_eq!(data["standards_citations"], 8);
    assert_eq!(data["excerpts"], 6);
    assert_eq!(data["checklists"], 2);
    // Only the citations of the default table that the sample does not ship warn.
    let missing: Vec<&str> = run
        .warnings()
        .into_iter()
        .filter(|w| w.contains("citation"))
        .collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert_eq!(repo.run(&["--verify-excerpts", "TASK-0101"]).code, 0);
    // The tool's own state is git-ignored in the sample: the tree stays clean.
    assert_eq!(repo.git_stdout(&["status", "--porcelain"]), "");
}
