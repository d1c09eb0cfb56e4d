//! The context cache: init, get, update-agent, mark-blocked, rebuild, purge (spec 02, contract
//! D6), and its standards excerpts (attach, verify, invalidate).

use crate::support::{TestRepo, command, error_code, sha256};
use serde_json::{Value, json};

const TASK_PATH: &str = "tasks/backend/TASK-0201-carrier-rates.task.yaml";
const CONTEXT: &str = ".agent-output/TASK-0201/context.json";
const LEDGER: &str = "docs/compliance/context-cache-exceptions.json";

const TASK: &str = r#"schema_version: "1.1"
id: TASK-0201
title: Carrier rate comparison
status: todo
priority: P1
area: backend
description: |
  Compare carrier rates for a shipment
  and show the cheapest option first.
outcome: Shippers see the cheapest carrier first.
scope:
  in:
    - backend/src/rates/
  out:
    - Carrier onboarding
plan:
  - id: 1
    title: Rate service
    outputs: [backend/src/rates/service.ts]
deliverables: [backend/src/rates/service.ts]
acceptance_criteria:
  must:
    - Rates are rounded half-up to the cent
    - The table lists every active carrier
  quality_gates:
    - Coverage stays at 80% or more
validation:
  pipeline:
    - command: pnpm turbo run lint --filter=backend
      description: Lint
    - command: pnpm turbo run test --filter=backend
      description: Tests
context:
  standards_tier: backend
  related_docs:
    - standards/backend-tier.md#testing
  repo_paths:
    - ":rates"
    - ./backend//src/rates/
"#;

const BACKEND_TIER: &str = "# Backend tier\n\n## Handler Constraints\n\nHandlers stay under 75 lines. They call one service.\n\n## Layering Rules\n\nHandlers call services; never the reverse.\n\n## Testing\n\nEvery service has unit tests.\n";

/// A committed repository with one complete task, standards, checklists and scope macros.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(TASK_PATH, TASK)
        .write("standards/backend-tier.md", BACKEND_TIER)
        .write(
            "standards/global.md",
            "# Global\n\n## Evidence Requirements\n\nKeep QA evidence. Always.\n",
        )
        .write(
            "docs/agents/implementer-checklist.md",
            "# Implementer\n\n- [ ] run the QA pipeline\n",
        )
        .write(
            "docs/templates/scope-globs.json",
            r#"{"globs": {":rates": ["backend/src/rates/**/*.ts", "./backend//tests/rates/*.test.ts"]}}"#,
        )
        .commit();
    repo
}

/// Every command that reads an existing context of TASK-0201.
const CONTEXT_READERS: [&[&str]; 4] = [
    &["--get-context", "TASK-0201"],
    &[
        "--update-agent",
        "TASK-0201",
        "--agent",
        "implementer",
        "--status",
        "done",
    ],
    &[
        "--mark-blocked",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--finding",
        "x",
    ],
    &["--rebuild-context", "TASK-0201"],
];

fn context(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(CONTEXT)).unwrap()
}

fn head(repo: &TestRepo) -> String {
    repo.git_stdout(&["rev-parse", "HEAD"]).trim().to_string()
}

/// Paths whose bytes differ between two [`TestRepo::snapshot`]s (added, removed or changed).
fn changed(
    a: &std::collections::BTreeMap<String, Vec<u8>>,
    b: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

fn recovery(doc: &Value) -> &str {
    doc["error"]["recovery_action"].as_str().unwrap_or("")
}

#[test]
fn lifecycle_in_json() {
    let repo = repo();
    // init: envelope
    let (code, doc, run) = repo.json(&["--init-context", "TASK-0201", "--actor", "alice"]);
    assert_eq!(code, 0, "{}", run.stderr);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["error"], Value::Null);
    let data = &doc["data"];
    assert_eq!(data["task_id"], "TASK-0201");
    assert_eq!(data["context_initialized"], true);
    assert_eq!(data["base_commit"], head(&repo));
    assert_eq!(data["context_version"], 1);
    assert_eq!(data["acceptance_criteria_count"], 3);
    assert_eq!(data["context_file"], CONTEXT);

    let c = context(&repo);
    assert_eq!(c["version"], 1);
    assert_eq!(c["schema_version"], "1.1");
    assert_eq!(c["created_by"], "alice");
    assert_eq!(c["git_head"], head(&repo));
    assert_eq!(
        c["task_file_sha"],
        sha256(&std::fs::read(repo.root().join(TASK_PATH)).unwrap())
    );
    let snapshot_file = std::fs::read(
        repo.root()
            .join(".agent-output/TASK-0201/task-snapshot.yaml"),
    )
    .unwrap();
    assert_eq!(snapshot_file, TASK.as_bytes());
    assert_eq!(
        c["immutable"]["task_snapshot_sha256"],
        sha256(&snapshot_file)
    );
    let t = &c["immutable"]["task_snapshot"];
    assert_eq!(
        t["acceptance_criteria"],
        json!([
            "Rates are rounded half-up to the cent\n",
            "The table lists every active carrier\n",
            "Coverage stays at 80% or more\n"
        ])
    );
    assert_eq!(
        t["description"],
        "Compare carrier rates for a shipment and show the cheapest option first.\n"
    );
    assert_eq!(t["outcome"], "Shippers see the cheapest carrier first.\n");
    assert_eq!(t["scope_in"], json!(["backend/src/rates/\n"]));
    assert_eq!(t["plan"][0]["outputs"][0], "backend/src/rates/service.ts");
    assert_eq!(t["deliverables"], json!(["backend/src/rates/service.ts"]));
    assert_eq!(
        c["immutable"]["repo_paths"],
        json!([
            "backend/src/rates/",
            "backend/src/rates/**/*.ts",
            "backend/tests/rates/*.test.ts"
        ])
    );
    assert_eq!(
        c["immutable"]["validation_baseline"]["commands"],
        json!([
            "pnpm turbo run lint --filter=backend",
            "pnpm turbo run test --filter=backend"
        ])
    );
    // Citations: found ones carry a real span and hash, missing ones nulls (and a warning).
    let citations = c["immutable"]["standards_citations"].as_array().unwrap();
    let handler = citations
        .iter()
        .find(|x| x["section"] == "handler-constraints")
        .unwrap();
    assert_eq!(handler["line_span"], "L5-L5");
    assert_eq!(handler["requirement"], "Handlers stay under 75 lines.");
    let body = "Handlers stay under 75 lines. They call one service.\n";
    assert_eq!(handler["content_sha"], sha256(body.as_bytes())[..16]);
    let testing = citations
        .iter()
        .find(|x| x["section"] == "testing")
        .unwrap();
    assert_eq!(testing["line_span"], "L13-L13");
    let missing = citations
        .iter()
        .find(|x| x["file"] == "standards/typescript.md")
        .unwrap();
    assert_eq!(
        (&missing["line_span"], &missing["content_sha"]),
        (&Value::Null, &Value::Null)
    );
    assert!(
        run.stderr.contains("standards/typescript.md"),
        "{}",
        run.stderr
    );
    // Excerpts cached with their index.
    let id = &sha256(body.as_bytes())[..8];
    let cached = format!(
        ".agent-output/TASK-0201/evidence/standards/{id}-backend-tier-handler-constraints.md"
    );
    assert_eq!(repo.read(&cached), body);
    let index: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0201/evidence/standards/index.json"))
            .unwrap();
    let entry = index["excerpts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == *id)
        .unwrap();
    assert_eq!(
        entry["excerpt_path"],
        format!("{id}-backend-tier-handler-constraints.md")
    );
    // Checklists copied with their sha256.
    let checklist =
        repo.read(".agent-output/TASK-0201/evidence/checklists/implementer-checklist.md");
    assert_eq!(checklist, "# Implementer\n\n- [ ] run the QA pipeline\n");
    let evidence: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0201/evidence/index.json")).unwrap();
    assert_eq!(
        evidence["evidence"][0]["sha256"],
        sha256(checklist.as_bytes())
    );
    // The manifest lists the task, the standards files read and the checklist.
    let manifest: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0201/context.manifest")).unwrap();
    let sources: Vec<(&str, &str)> = manifest["source_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["purpose"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sources,
        vec![
            (TASK_PATH, "task_yaml"),
            ("standards/global.md", "standards_citation"),
            ("standards/backend-tier.md", "standards_citation"),
            ("docs/agents/implementer-checklist.md", "checklist"),
        ]
    );

    // get: flat with success
    let (code, doc, _) = repo.json(&["--get-context", "TASK-0201"]);
    assert_eq!(code, 0);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["context"], c);
    assert_eq!(doc["age_hours"], 0.0);
    assert_eq!(doc["staleness_warning"], Value::Null);
    assert!(doc["generated_at"].is_string());

    // update-agent
    let (code, doc, _) = repo.json(&[
        "--update-agent",
        "TASK-0201",
        "--agent",
        "implementer",
        "--status",
        "done",
        "--session-id",
        "impl-1",
        "--actor",
        "bob",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["agent_role"], "implementer");
    assert_eq!(doc["updates"]["status"], "done");
    assert_eq!(doc["updates"]["session_id"], "impl-1");
    let completed = doc["updates"]["completed_at"].as_str().unwrap().to_string();
    let c = context(&repo);
    let implementer = &c["coordination"]["implementer"];
    assert_eq!(implementer["status"], "done");
    assert_eq!(implementer["completed_at"], completed.as_str());
    assert_eq!(implementer["session_id"], "impl-1");
    assert_eq!(c["audit"]["update_count"], 1);
    assert_eq!(c["audit"]["updated_by"], "bob");

    // mark-blocked
    let (code, doc, _) = repo.json(&[
        "--mark-blocked",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--finding",
        "Rounding differs from the carrier table",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["total_findings"], 1);
    let (_, doc, _) = repo.json(&[
        "--mark-blocked",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--finding",
        "No test for zero rates",
    ]);
    assert_eq!(doc["total_findings"], 2);
    let before_rebuild = context(&repo);
    assert_eq!(
        before_rebuild["coordination"]["reviewer"]["status"],
        "blocked"
    );
    assert_eq!(
        before_rebuild["coordination"]["reviewer"]["blocking_findings"],
        json!([
            "Rounding differs from the carrier table",
            "No test for zero rates"
        ])
    );

    // rebuild: coordination kept, immutable rebuilt from the edited task
    repo.write(
        TASK_PATH,
        TASK.replace("Carrier onboarding", "Carrier onboarding and billing"),
    );
    let (code, doc, run) = repo.json(&["--rebuild-context", "TASK-0201"]);
    assert_eq!(code, 0, "{}", run.stdout);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["changes"], json!([format!("Modified: {TASK_PATH}")]));
    let after = context(&repo);
    assert_eq!(after["coordination"], before_rebuild["coordination"]);
    assert_eq!(
        after["immutable"]["task_snapshot"]["scope_out"],
        json!(["Carrier onboarding and billing\n"])
    );
    assert_eq!(after["created_at"], before_rebuild["created_at"]);
    assert_eq!(after["git_head"], before_rebuild["git_head"]);
    assert_eq!(after["audit"]["update_count"], 4);

    // purge, twice
    let (code, doc, _) = repo.json(&["--purge-context", "TASK-0201"]);
    assert_eq!(
        (code, &doc["purged"], &doc["success"]),
        (0, &json!(true), &json!(true))
    );
    assert!(!repo.root().join(".agent-output/TASK-0201").exists());
    let (code, doc, _) = repo.json(&["--purge-context", "TASK-0201"]);
    assert_eq!((code, &doc["purged"]), (0, &json!(false)));
    let (code, doc, _) = repo.json(&["--get-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (50, "E051"));
}

#[test]
fn lifecycle_in_text() {
    let repo = repo();
    let run = repo.run(&["--init-context", "TASK-0201"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("✓ Context initialized for TASK-0201\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("Base commit: {}", &head(&repo)[..8]))
    );
    assert!(run.stdout.contains("Acceptance criteria: 3 item(s)"));
    assert_eq!(context(&repo)["created_by"], "task-runner");

    let run = repo.run(&["--get-context", "TASK-0201"]);
    assert_eq!(run.code, 0);
    for line in [
        "Context for TASK-0201",
        "Created by: task-runner",
        "Title: Carrier rate comparison",
        "Acceptance criteria: 3",
        "Implementer: pending",
    ] {
        assert!(run.stdout.contains(line), "{line} in\n{}", run.stdout);
    }
    assert_eq!(run.stderr, "");

    let run = repo.run(&[
        "--update-agent",
        "TASK-0201",
        "--agent",
        "validator",
        "--status",
        "in_progress",
        "--qa-log",
        "logs/qa.log",
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "✓ Updated validator coordination for TASK-0201\n  status: in_progress\n  qa_log_path: logs/qa.log\n"
    );
    let run = repo.run(&[
        "--mark-blocked",
        "TASK-0201",
        "--agent",
        "validator",
        "--finding",
        "Lint fails",
    ]);
    assert_eq!(
        run.stdout,
        "✓ Marked validator as blocked for TASK-0201\n  Finding: Lint fails\n  Total findings: 1\n"
    );
    let run = repo.run(&["--get-context", "TASK-0201"]);
    assert!(
        run.stdout.contains("Validator: blocked (1 finding(s))"),
        "{}",
        run.stdout
    );
    let run = repo.run(&["--rebuild-context", "TASK-0201"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("✓ Rebuilt context for TASK-0201\n"));
    let run = repo.run(&["--purge-context", "TASK-0201"]);
    assert_eq!(run.stdout, "✓ Purged context for TASK-0201\n");
    let run = repo.run(&["--purge-context", "TASK-0201"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("nothing to purge"));
    let run = repo.run(&["--get-context", "TASK-0201"]);
    assert_eq!(run.code, 50);
    assert!(run.stderr.starts_with("Error [E051]: "), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Recovery: Run tasks --init-context TASK-0201")
    );
}

#[test]
fn context_get_is_an_alias() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    let (code, doc, _) = repo.json(&["context", "get", "TASK-0201"]);
    assert_eq!(code, 0);
    assert_eq!(doc["context"]["task_id"], "TASK-0201");
}

#[test]
fn archived_tasks_get_a_context_too() {
    let repo = repo();
    let archived = "docs/completed-tasks/TASK-0201-carrier-rates.task.yaml";
    std::fs::create_dir_all(repo.root().join("docs/completed-tasks")).unwrap();
    std::fs::rename(repo.root().join(TASK_PATH), repo.root().join(archived)).unwrap();
    repo.commit();
    let (code, _, run) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!(code, 0, "{}", run.stdout);
    let manifest: Value =
        serde_json::from_str(&repo.read(".agent-output/TASK-0201/context.manifest")).unwrap();
    assert_eq!(manifest["source_files"][0]["path"], archived);
}

#[test]
fn init_and_rebuild_build_the_same_immutable_payload() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    let first = context(&repo);
    let manifest = |repo: &TestRepo| -> Value {
        let mut m: Value =
            serde_json::from_str(&repo.read(".agent-output/TASK-0201/context.manifest")).unwrap();
        m.as_object_mut().unwrap().remove("created_at");
        m
    };
    let first_manifest = manifest(&repo);
    let (code, doc, _) = repo.json(&["--rebuild-context", "TASK-0201"]);
    assert_eq!(code, 0);
    assert_eq!(doc["changes"], json!([]));
    let second = context(&repo);
    assert_eq!(second["immutable"], first["immutable"]);
    assert_eq!(second["task_file_sha"], first["task_file_sha"]);
    assert_eq!(manifest(&repo), first_manifest);
    // And a second fresh init of the same task gives the same payload again.
    assert_eq!(repo.run(&["--purge-context", "TASK-0201"]).code, 0);
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    assert_eq!(context(&repo)["immutable"], first["immutable"]);
}

#[test]
fn rebuild_failure_leaves_the_old_context_untouched() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    assert_eq!(
        repo.run(&[
            "--update-agent",
            "TASK-0201",
            "--agent",
            "implementer",
            "--status",
            "in_progress"
        ])
        .code,
        0
    );
    let before = repo.snapshot();
    // A secret in the task now: the rebuild is refused and nothing changes.
    repo.write(
        TASK_PATH,
        TASK.replace(
            "Compare carrier rates",
            "Use AKIAIOSFODNN7EXAMPLE to compare carrier rates",
        ),
    );
    let (code, doc, _) = repo.json(&["--rebuild-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E012"));
    assert_eq!(
        changed(&before, &repo.snapshot()),
        vec![TASK_PATH.to_string()]
    );
    // Required fields emptied: E001, same.
    repo.write(
        TASK_PATH,
        TASK.replace(
            "deliverables: [backend/src/rates/service.ts]",
            "deliverables: []",
        ),
    );
    let (code, doc, _) = repo.json(&["--rebuild-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E001"));
    assert_eq!(
        changed(&before, &repo.snapshot()),
        vec![TASK_PATH.to_string()]
    );
    // A broken task file: same (the ledger records the broken file).
    repo.write(TASK_PATH, "id: TASK-0201\ntitle: [unclosed\n");
    let (code, doc, _) = repo.json(&["--rebuild-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E011"));
    assert_eq!(
        changed(&before, &repo.snapshot()),
        vec![
            "docs/compliance/.gitignore".to_string(),
            LEDGER.to_string(),
            LEDGER.replace(".json", ".lock"),
            TASK_PATH.to_string()
        ]
    );
}

#[test]
fn bad_ids_are_refused_before_any_path_is_built() {
    let repo = repo();
    // What `../x` would name from the repository: never created nor touched (compared with what
    // was there before, should something of that name exist beside the test's repository).
    let outside = repo.root().parent().unwrap().join("x");
    let stamp = |p: &std::path::Path| {
        std::fs::symlink_metadata(p)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let before = stamp(&outside);
    for verb in [
        "--init-context",
        "--get-context",
        "--purge-context",
        "--rebuild-context",
        "--verify-excerpts",
        "--invalidate-excerpts",
    ] {
        for id in ["../x", "TASK-1/../../etc", ""] {
            let (code, doc, _) = repo.json(&[verb, id]);
            assert_eq!((code, error_code(&doc)), (10, "E002"), "{verb} {id:?}");
        }
    }
    let (code, doc, _) = repo.json(&[
        "--update-agent",
        "../x",
        "--agent",
        "implementer",
        "--status",
        "done",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"));
    assert!(!repo.root().join(".agent-output").exists());
    assert_eq!(
        stamp(&outside),
        before,
        "{} was created or changed",
        outside.display()
    );
}

#[test]
fn init_twice_is_e050_with_a_recovery_hint() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    let before = repo.read(CONTEXT);
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (50, "E050"));
    assert_eq!(doc["data"], Value::Null);
    let recovery = doc["error"]["recovery_action"].as_str().unwrap();
    assert!(
        recovery.contains("--rebuild-context TASK-0201"),
        "{recovery}"
    );
    assert!(recovery.contains("--purge-context TASK-0201"), "{recovery}");
    // D6 order: "exists" is checked before the dirty tree.
    repo.write("scratch.txt", "x");
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (50, "E050"));
    assert_eq!(repo.read(CONTEXT), before);
}

#[test]
fn unknown_task_is_e040() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0999"]);
    assert_eq!((code, error_code(&doc)), (40, "E040"));
}

#[test]
fn quarantined_task_is_e032() {
    let repo = repo();
    let (code, _, _) = repo.json(&["--quarantine-task", "TASK-0201", "--reason", "manual"]);
    assert_eq!(code, 0);
    repo.commit();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (30, "E032"));
    assert!(recovery(&doc).contains("--release-quarantine TASK-0201"));
    assert!(!repo.root().join(CONTEXT).exists());
}

#[test]
fn a_broken_task_file_is_e011_and_recorded_in_the_ledger() {
    let repo = repo();
    repo.write(
        TASK_PATH,
        "id: TASK-0201\ntitle: Rates\nstatus: todo\nsteps:\n  - `pnpm test`\n",
    );
    repo.commit();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E011"));
    assert_eq!(doc["error"]["details"]["path"], TASK_PATH);
    assert_eq!(doc["error"]["details"]["line"], 5);
    assert_eq!(doc["error"]["details"]["column"], 5);
    let ledger: Value = serde_json::from_str(&repo.read(LEDGER)).unwrap();
    let entry = &ledger["exceptions"][0];
    assert_eq!(entry["task_id"], "TASK-0201");
    assert_eq!(entry["exception_type"], "malformed_yaml");
    assert_eq!(entry["file"], TASK_PATH);
}

#[test]
fn non_utf8_bytes_in_a_task_file_are_a_coded_error() {
    let repo = repo();
    let mut bytes = TASK.as_bytes().to_vec();
    bytes.extend_from_slice(b"notes: \xff\xfe broken\n");
    repo.write(TASK_PATH, bytes);
    repo.commit();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E011"));
    assert!(
        doc["error"]["message"].as_str().unwrap().contains("UTF-8"),
        "{doc}"
    );
}

#[test]
fn non_utf8_standards_file_only_warns_at_init() {
    let repo = repo();
    repo.write(
        "standards/global.md",
        b"# Global\n\n## Evidence Requirements\n\nKeep \xff evidence.\n",
    );
    repo.commit();
    let (code, doc, run) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        run.stderr
            .contains("standards/global.md#evidence-requirements: the file is not UTF-8 text"),
        "{}",
        run.stderr
    );
    let c = context(&repo);
    let global = c["immutable"]["standards_citations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["file"] == "standards/global.md")
        .unwrap()
        .clone();
    assert_eq!(global["line_span"], Value::Null);
}

#[test]
fn empty_acceptance_criteria_is_e001_listing_every_empty_field() {
    let repo = repo();
    let task = TASK
        .replace(
            "acceptance_criteria:\n  must:\n    - Rates are rounded half-up to the cent\n    - The table lists every active carrier\n  quality_gates:\n    - Coverage stays at 80% or more\n",
            "acceptance_criteria: []\n",
        )
        .replace("deliverables: [backend/src/rates/service.ts]\n", "deliverables:\n")
        .replace("    outputs: [backend/src/rates/service.ts]\n", "    outputs: []\n")
        .replace("  out:\n    - Carrier onboarding\n", "")
        .replace("  standards_tier: backend\n", "");
    repo.write(TASK_PATH, task);
    repo.commit();
    let (code, doc, run) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E001"), "{doc}");
    assert_eq!(
        doc["error"]["details"]["fields"],
        json!(["acceptance_criteria", "deliverables", "plan[0].outputs"])
    );
    let message = doc["error"]["message"].as_str().unwrap();
    for field in ["acceptance_criteria", "deliverables", "plan[0].outputs"] {
        assert!(message.contains(field), "{message}");
    }
    // Warnings (W001 scope.out, W002 standards tier) on stderr only.
    // With the stable `Warning: ` prefix scripts rely on.
    assert!(run.stderr.contains("Warning: [W001] "), "{}", run.stderr);
    assert!(run.stderr.contains("Warning: [W002] "), "{}", run.stderr);
    let ledger: Value = serde_json::from_str(&repo.read(LEDGER)).unwrap();
    assert_eq!(
        ledger["exceptions"][0]["exception_type"],
        "empty_acceptance_criteria"
    );
    assert_eq!(ledger["exceptions"][0]["task_id"], "TASK-0201");
    assert!(!repo.root().join(CONTEXT).exists());
}

#[test]
fn validation_pipeline_is_required_from_schema_1_1_only() {
    let repo = repo();
    let without = TASK.replace(
        "validation:\n  pipeline:\n    - command: pnpm turbo run lint --filter=backend\n      description: Lint\n    - command: pnpm turbo run test --filter=backend\n      description: Tests\n",
        "",
    );
    repo.write(TASK_PATH, &without);
    repo.commit();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E001"));
    assert_eq!(
        doc["error"]["details"]["fields"],
        json!(["validation.pipeline"])
    );
    repo.write(
        TASK_PATH,
        without.replace("schema_version: \"1.1\"", "schema_version: \"1.0\""),
    );
    repo.commit();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
}

/// Untracked files in each of the tool's own directories (never "dirty", contract D6).
fn write_tool_state(repo: &TestRepo) {
    repo.write("tasks/.cache/anything.bin", "x")
        .write(".agent-output/TASK-0999/context.json", "{}")
        .write(
            "docs/compliance/quarantine/index.json",
            "{\"quarantined_tasks\": []}",
        );
}

#[test]
fn a_dirty_tree_is_e060_unless_allowed_and_the_tools_own_paths_never_count() {
    let repo = repo();
    write_tool_state(&repo);
    repo.write("backend/src/rates/wip.ts", "export {}\n");
    repo.write("standards/global.md", "# Global\n\nchanged\n");
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (60, "E060"), "{doc}");
    assert_eq!(
        doc["error"]["details"]["files"],
        json!(["backend/src/rates/wip.ts", "standards/global.md"])
    );
    assert!(!repo.root().join(CONTEXT).exists());
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201", "--allow-preexisting-dirty"]);
    assert_eq!(code, 0);
    assert_eq!(
        doc["data"]["preexisting_dirty"],
        json!(["backend/src/rates/wip.ts", "standards/global.md"])
    );
    assert_eq!(
        context(&repo)["immutable"]["preexisting_dirty"],
        json!(["backend/src/rates/wip.ts", "standards/global.md"])
    );
}

#[test]
fn the_tools_own_paths_alone_leave_the_tree_clean() {
    let repo = repo();
    write_tool_state(&repo);
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        context(&repo)["immutable"]
            .get("preexisting_dirty")
            .is_none()
    );
}

#[test]
fn secrets_are_refused_unless_forced_and_forcing_is_recorded() {
    let repo = repo();
    repo.write(
        TASK_PATH,
        TASK.replace(
            "Compare carrier rates",
            "Use key AKIAIOSFODNN7EXAMPLE to compare carrier rates",
        ),
    );
    repo.commit();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E012"));
    assert_eq!(doc["error"]["details"]["pattern"], "AWS access key");
    assert!(
        !doc.to_string().contains("AKIAIOSFODNN7EXAMPLE"),
        "the secret is not echoed back"
    );
    assert!(!repo.root().join(CONTEXT).exists());
    let (code, _, run) = repo.json(&["--init-context", "TASK-0201", "--force-secrets"]);
    assert_eq!(code, 0);
    assert!(run.stderr.contains("--force-secrets"), "{}", run.stderr);
    assert_eq!(context(&repo)["audit"]["force_secrets"], true);
    // Updates are scanned too.
    let token = format!("ghp_{}", "a".repeat(36));
    let (code, doc, _) = repo.json(&[
        "--update-agent",
        "TASK-0201",
        "--agent",
        "implementer",
        "--session-id",
        &token,
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E012"));
    assert_eq!(doc["error"]["details"]["location"], "/session_id");
    let (code, doc, _) = repo.json(&[
        "--mark-blocked",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--finding",
        &format!("leaked {token}"),
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E012"));
    assert_eq!(doc["error"]["details"]["location"], "/finding", "{doc}");
    assert_eq!(
        context(&repo)["coordination"]["reviewer"]["blocking_findings"],
        json!([])
    );
}

#[test]
fn a_repository_without_commits_is_e061() {
    let repo = TestRepo::new();
    repo.write(TASK_PATH, TASK);
    repo.write(".gitignore", "*\n");
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (60, "E061"), "{doc}");
}

#[test]
fn base_commit_is_honoured_and_checked() {
    let repo = repo();
    let first = head(&repo);
    repo.write("README.md", "second commit\n").commit();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201", "--base-commit", "HEAD~1"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["base_commit"], first.as_str());
    assert_eq!(context(&repo)["git_head"], first.as_str());
    // get warns (stderr, once) that HEAD moved since.
    let (_, _, run) = repo.json(&["--get-context", "TASK-0201"]);
    assert_eq!(run.warnings().len(), 1, "{}", run.stderr);
    assert!(run.warnings()[0].contains(&first[..8]));
    // rebuild keeps the base commit unless told otherwise.
    let (_, doc, _) = repo.json(&["--rebuild-context", "TASK-0201"]);
    assert_eq!(doc["git_head"], first.as_str());
    let (_, doc, _) = repo.json(&["--rebuild-context", "TASK-0201", "--base-commit", "HEAD"]);
    assert_eq!(doc["git_head"], head(&repo).as_str());
    for bad in ["no-such-ref", "-x", "a b"] {
        let (code, doc, _) = repo.json(&[
            "--rebuild-context",
            "TASK-0201",
            &format!("--base-commit={bad}"),
        ]);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{bad}");
    }
}

#[test]
fn staleness_is_reported_once_on_stderr_and_in_json() {
    let repo = repo();
    let run = repo.run_env(
        &["--init-context", "TASK-0201"],
        &[("TASKS_NOW", "2026-11-20T10:00:00Z")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = repo.run_env(
        &["--get-context", "TASK-0201", "--format", "json"],
        &[("TASKS_NOW", "2026-11-23T10:00:00Z")],
    );
    let doc = run.json();
    assert_eq!(doc["age_hours"], 72.0);
    assert!(
        doc["staleness_warning"]
            .as_str()
            .unwrap()
            .contains("72.0 hours old")
    );
    let run = repo.run_env(
        &["--get-context", "TASK-0201"],
        &[("TASKS_NOW", "2026-11-23T10:00:00Z")],
    );
    // Once, as a warning on stderr (stdout holds the context only).
    assert_eq!(
        run.stderr
            .matches("Warning: Context is 72.0 hours old")
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("hours old."), "{}", run.stdout);
    assert_eq!(doc["head_moved"], false);
    // A commit moves HEAD: the JSON says so too (an agent reads no stderr).
    repo.write("notes.txt", "later work\n");
    repo.commit();
    let (_, doc, run) = repo.json(&["--get-context", "TASK-0201"]);
    assert_eq!(doc["head_moved"], true, "{doc}");
    let head = doc["current_head"].as_str().unwrap();
    assert_ne!(head, doc["context"]["git_head"].as_str().unwrap());
    assert_eq!(head.len(), 40);
    assert!(run.stderr.contains("current HEAD is"), "{}", run.stderr);
}

#[test]
fn missing_contexts_are_e051() {
    let repo = repo();
    for args in CONTEXT_READERS {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (50, "E051"), "{args:?}");
        assert!(recovery(&doc).contains("--init-context TASK-0201"));
    }
    assert!(!repo.root().join(CONTEXT).exists());
}

#[test]
fn a_corrupt_context_is_e052_naming_the_file_and_left_untouched() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    let full = repo.read(CONTEXT);
    for corrupt in [
        &full[..full.len() / 2],
        "not json at all",
        "{\"version\": 2, \"task_id\": \"TASK-0201\"}",
        "[]",
    ] {
        repo.write(CONTEXT, corrupt);
        for args in CONTEXT_READERS {
            let (code, doc, _) = repo.json(args);
            assert_eq!(
                (code, error_code(&doc)),
                (50, "E052"),
                "{args:?} on {corrupt:?}"
            );
            assert!(
                doc["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("context.json"),
                "{doc}"
            );
            // git ignores contexts: the way out is to start over, not a restore from git.
            let recovery = doc["error"]["recovery_action"].as_str().unwrap();
            assert!(
                recovery.contains(
                    "tasks --purge-context TASK-0201, then tasks --init-context TASK-0201"
                ) && !recovery.contains("git"),
                "{recovery}"
            );
            assert_eq!(
                repo.read(CONTEXT),
                corrupt,
                "{args:?} changed the corrupt file"
            );
        }
        let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
        assert_eq!((code, error_code(&doc)), (50, "E050"));
    }
}

#[test]
fn usage_errors_name_the_missing_option() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    for (args, needle) in [
        (
            &["--update-agent", "TASK-0201", "--status", "done"][..],
            "--agent",
        ),
        (
            &["--update-agent", "TASK-0201", "--agent", "implementer"],
            "nothing to update",
        ),
        (
            &["--mark-blocked", "TASK-0201", "--agent", "reviewer"],
            "--finding",
        ),
        (
            &["--mark-blocked", "TASK-0201", "--finding", "x"],
            "--agent",
        ),
        (
            &[
                "--mark-blocked",
                "TASK-0201",
                "--agent",
                "reviewer",
                "--finding",
                " ",
            ],
            "--finding",
        ),
        (
            &["--attach-standard", "TASK-0201", "--section", "Testing"],
            "--file",
        ),
        (
            &[
                "--attach-standard",
                "TASK-0201",
                "--file",
                "standards/backend-tier.md",
            ],
            "--section",
        ),
        (
            &[
                "--attach-standard",
                "standards/backend-tier.md",
                "--file",
                "x.md",
                "--task-id",
                "TASK-0201",
                "--section",
                "Testing",
            ],
            "not both",
        ),
    ] {
        let run = repo.run(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (2, "E002"), "{args:?}");
    }
    for (args, field) in [
        (
            &[
                "--update-agent",
                "TASK-0201",
                "--agent",
                "bob",
                "--status",
                "done",
            ][..],
            "--agent",
        ),
        (
            &[
                "--update-agent",
                "TASK-0201",
                "--agent",
                "implementer",
                "--status",
                "finished",
            ],
            "--status",
        ),
        (
            &[
                "--mark-blocked",
                "TASK-0201",
                "--agent",
                "boss",
                "--finding",
                "x",
            ],
            "--agent",
        ),
        (
            &[
                "--update-agent",
                "TASK-0201",
                "--agent",
                "implementer",
                "--session-id",
                "",
            ],
            "--session-id",
        ),
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{args:?}");
        assert_eq!(doc["error"]["details"]["field"], field);
    }
    assert_eq!(context(&repo)["audit"]["update_count"], 0);
}

#[test]
fn parallel_updates_of_different_roles_lose_nothing() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    let roles = ["implementer", "reviewer", "validator"];
    let mut children = Vec::new();
    for round in 0..3 {
        for role in roles {
            let (option, value) = match round {
                0 => ("--status", "in_progress".to_string()),
                1 => ("--session-id", format!("{role}-session")),
                _ => ("--qa-log", format!("logs/{role}.log")),
            };
            children.push(
                command()
                    .args([
                        "--update-agent",
                        "TASK-0201",
                        "--agent",
                        role,
                        option,
                        &value,
                    ])
                    .current_dir(repo.root())
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap(),
            );
        }
    }
    assert_eq!(children.len(), 9);
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let c = context(&repo);
    for role in roles {
        let r = &c["coordination"][role];
        assert_eq!(r["status"], "in_progress", "{role}");
        assert_eq!(r["session_id"], format!("{role}-session"));
        assert_eq!(r["qa_log_path"], format!("logs/{role}.log"));
    }
    assert_eq!(c["audit"]["update_count"], 9);
}

fn install_reference_context(repo: &TestRepo) -> String {
    let fixture = crate::support::reference_context_fixture();
    let mut doc: Value = serde_json::from_str(&fixture).unwrap();
    // Keys this version does not know, at several levels.
    doc["legacy_note"] = json!({"kept": true});
    doc["coordination"]["implementer"]["handoff_token"] = json!("abc");
    doc["immutable"]["task_snapshot"]["legacy_field"] = json!([1, 2]);
    repo.write(CONTEXT, serde_json::to_string_pretty(&doc).unwrap());
    fixture
}

#[test]
fn a_context_in_the_reference_format_loads_and_keeps_every_key() {
    let repo = repo();
    install_reference_context(&repo);
    let (code, doc, run) = repo.json(&["--get-context", "TASK-0201"]);
    assert_eq!(code, 0, "{}", run.stdout);
    let c = &doc["context"];
    assert_eq!(c["created_by"], Value::Null);
    assert!(c.get("schema_version").is_none(), "a 1.0 context stays 1.0");
    assert_eq!(
        c["coordination"]["reviewer"]["blocking_findings"][1],
        Value::Null
    );
    assert_eq!(
        c["coordination"]["implementer"]["worktree_snapshot"]["files_changed"][1]["status"],
        "D"
    );
    assert_eq!(
        c["immutable"]["validation_baseline"]["initial_results"]["results"][0]["summary"]["lint_warnings"],
        3
    );
    assert!(
        run.stderr.contains("7ca91851"),
        "HEAD moved: {}",
        run.stderr
    );
    let run = repo.run(&["--get-context", "TASK-0201"]);
    assert!(run.stdout.contains("Created by: -"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Reviewer: blocked (2 finding(s))"),
        "{}",
        run.stdout
    );

    let before = context(&repo);
    let (code, _, _) = repo.json(&[
        "--update-agent",
        "TASK-0201",
        "--agent",
        "validator",
        "--status",
        "in_progress",
    ]);
    assert_eq!(code, 0);
    let (code, doc, _) = repo.json(&[
        "--mark-blocked",
        "TASK-0201",
        "--agent",
        "reviewer",
        "--finding",
        "Third",
    ]);
    assert_eq!((code, &doc["total_findings"]), (0, &json!(3)));
    let after = context(&repo);
    assert_eq!(after["legacy_note"], json!({"kept": true}));
    assert_eq!(after["coordination"]["implementer"]["handoff_token"], "abc");
    assert_eq!(
        after["immutable"], before["immutable"],
        "the immutable part is not rewritten"
    );
    assert_eq!(
        after["coordination"]["implementer"],
        before["coordination"]["implementer"]
    );
    assert_eq!(after["coordination"]["validator"]["status"], "in_progress");
    assert_eq!(after["audit"]["update_count"], 5);
    assert!(after.get("schema_version").is_none());
}

#[test]
fn a_reference_context_without_manifest_rebuilds() {
    let repo = repo();
    install_reference_context(&repo);
    let before = context(&repo);
    let (code, doc, run) = repo.json(&["--rebuild-context", "TASK-0201"]);
    assert_eq!(code, 0, "{}", run.stdout);
    assert_eq!(doc["changes"], json!([]));
    let after = context(&repo);
    assert_eq!(after["coordination"], before["coordination"]);
    assert_eq!(after["legacy_note"], json!({"kept": true}));
    assert_eq!(after["schema_version"], "1.1");
    assert_eq!(
        after["git_head"],
        "7ca918515e0f0a3c1f6c3d2b9e8a7f6e5d4c3b2a"
    );
    assert_eq!(
        after["immutable"]["validation_baseline"]["initial_results"],
        before["immutable"]["validation_baseline"]["initial_results"],
        "recorded QA results survive a rebuild"
    );
    assert!(
        repo.root()
            .join(".agent-output/TASK-0201/context.manifest")
            .exists()
    );
}

#[test]
fn purge_never_leaves_the_task_directory() {
    let repo = repo();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("keep.txt"), "keep").unwrap();
    std::fs::create_dir_all(repo.root().join(".agent-output")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root().join(".agent-output/TASK-0201"))
        .unwrap();
    let (code, doc, _) = repo.json(&["--purge-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(outside.path().join("keep.txt").exists());
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);
}

#[test]
fn a_file_where_a_context_would_be_is_not_removed_as_one() {
    let repo = repo();
    repo.write(".agent-output/TASK-0201", "not a context\n");
    let (code, doc, _) = repo.json(&["--purge-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert_eq!(repo.read(".agent-output/TASK-0201"), "not a context\n");
    // Completing the task warns and says nothing was removed.
    let (code, doc, run) = repo.json(&["--complete", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["context_removed"], false);
    assert!(run.stderr.contains("was not removed"), "{}", run.stderr);
    assert_eq!(repo.read(".agent-output/TASK-0201"), "not a context\n");
}

// ---- standards excerpts ----

fn excerpt_index(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(".agent-output/TASK-0201/evidence/standards/index.json"))
        .unwrap()
}

#[test]
fn attach_standard_caches_the_section() {
    let repo = repo();
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        "standards/backend-tier.md",
        "--section",
        "handler constraints",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["success"], true);
    let d = &doc["data"];
    let body = "Handlers stay under 75 lines. They call one service.\n";
    let sha = sha256(body.as_bytes());
    assert_eq!(d["file"], "standards/backend-tier.md");
    assert_eq!(d["section"], "handler-constraints");
    assert_eq!(d["heading"], "Handler Constraints");
    assert_eq!(d["line_span"], "L5-L5");
    assert_eq!(d["content_sha"], sha[..16]);
    assert_eq!(d["excerpt_id"], sha[..8]);
    assert_eq!(d["requirement"], "Handlers stay under 75 lines.");
    let cached = d["cached_path"].as_str().unwrap();
    assert_eq!(
        cached,
        format!(
            ".agent-output/TASK-0201/evidence/standards/{}-backend-tier-handler-constraints.md",
            &sha[..8]
        )
    );
    assert_eq!(repo.read(cached), body);
    let index = excerpt_index(&repo);
    assert_eq!(index["excerpts"].as_array().unwrap().len(), 1);
    assert_eq!(index["excerpts"][0]["id"], sha[..8]);
    assert_eq!(index["excerpts"][0]["content_sha"], sha[..16]);

    // Other spellings of the heading, and the design docs' argument order, find the same section.
    for spelling in ["HANDLER CONSTRAINTS", "handler-constraints"] {
        let run = repo.run(&[
            "--attach-standard",
            "standards/backend-tier.md",
            "--section",
            spelling,
            "--task-id",
            "TASK-0201",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout
                .starts_with(&format!("✓ Standards excerpt attached: {}", &sha[..8])),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("Lines: L5-L5"));
    }
    assert_eq!(
        excerpt_index(&repo)["excerpts"].as_array().unwrap().len(),
        1,
        "re-attaching replaces"
    );
}

#[test]
fn attach_standard_matches_ampersands_and_deeper_headings() {
    let repo = repo();
    repo.write(
        "standards/edge.md",
        "# Edge\n\n## Edge & Interface Layer\n\n**Framework**\n\n### Details\n\nMore.\n\n## Next\n\nNo.\n",
    );
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        "standards/edge.md",
        "--section",
        "edge-and-interface-layer",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["line_span"], "L5-L9");
    assert_eq!(doc["data"]["heading"], "Edge & Interface Layer");
    let cached = doc["data"]["cached_path"].as_str().unwrap().to_string();
    assert_eq!(
        repo.read(&cached),
        "**Framework**\n\n### Details\n\nMore.\n"
    );
}

#[test]
fn attach_standard_bad_inputs() {
    let repo = repo();
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        "standards/nope.md",
        "--section",
        "x",
    ]);
    assert_eq!((code, error_code(&doc)), (40, "E040"));
    assert_eq!(doc["error"]["details"]["file"], "standards/nope.md");
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        "standards/backend-tier.md",
        "--section",
        "Deployment",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E003"));
    assert_eq!(
        doc["error"]["details"]["available_headings"],
        json!([
            "# Backend tier",
            "## Handler Constraints",
            "## Layering Rules",
            "## Testing"
        ])
    );
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "# X\n\n## Y\n\nz\n").unwrap();
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        outside.path().to_str().unwrap(),
        "--section",
        "Y",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"));
    repo.write("standards/binary.md", b"# X\n\n## Y\n\n\xff\xfe\n");
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        "standards/binary.md",
        "--section",
        "Y",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"));
    assert!(doc["error"]["message"].as_str().unwrap().contains("UTF-8"));
    let (code, doc, _) = repo.json(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        "standards",
        "--section",
        "Y",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"));
    assert!(
        !repo.root().join(".agent-output").exists(),
        "nothing written on failure"
    );
}

#[test]
fn excerpt_freshness_after_editing_standards() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    let (code, doc, _) = repo.json(&["--verify-excerpts", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    let total = doc["data"]["excerpts"].as_array().unwrap().len();
    assert!(total >= 4, "{doc}");
    assert_eq!(doc["data"]["stale_count"], 0);
    assert_eq!(doc["data"]["fresh_count"], total);
    let run = repo.run(&["--verify-excerpts", "TASK-0201"]);
    assert!(run.stdout.starts_with(&format!(
        "✓ {total} standards excerpt(s) of TASK-0201 are fresh"
    )));

    // Blank lines around a section do not matter.
    repo.write(
        "standards/backend-tier.md",
        BACKEND_TIER.replace("## Testing\n\n", "## Testing\n\n\n\n"),
    );
    assert_eq!(repo.run(&["--verify-excerpts", "TASK-0201"]).code, 0);

    // Change one section, remove another.
    repo.write(
        "standards/backend-tier.md",
        BACKEND_TIER
            .replace("under 75 lines", "under 60 lines")
            .replace(
                "## Layering Rules\n\nHandlers call services; never the reverse.\n\n",
                "",
            ),
    );
    let (code, doc, _) = repo.json(&["--verify-excerpts", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (20, "E025"), "{doc}");
    // A verdict: the report at the top level (and under data), success false, the error.
    assert_eq!(doc["success"], false);
    assert_eq!(doc["stale_count"], 2);
    assert_eq!(doc["fresh_count"], 2);
    assert_eq!(doc["data"]["stale_count"], 2);
    let details = &doc["error"]["details"];
    assert_eq!(details["stale_count"], 2);
    let states: Vec<(String, String)> = details["excerpts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["fresh"] == false)
        .map(|e| {
            (
                e["section"].as_str().unwrap().to_string(),
                e["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("handler-constraints".to_string(), "changed".to_string()),
            ("layering-rules".to_string(), "section_missing".to_string()),
        ]
    );
    let run = repo.run(&["--verify-excerpts", "TASK-0201"]);
    assert_eq!(run.code, 20);
    assert!(
        run.stdout.contains("handler-constraints (section changed)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .starts_with("2 of 4 standards excerpt(s) of TASK-0201 are stale (✖), 2 fresh (✓):\n"),
        "{}",
        run.stdout
    );
    let marks: Vec<&str> = run.stdout.lines().skip(1).map(|l| &l[..5]).collect();
    assert_eq!(
        marks.iter().filter(|m| m.contains('✖')).count(),
        2,
        "{}",
        run.stdout
    );
    assert_eq!(
        marks.iter().filter(|m| m.contains('✓')).count(),
        2,
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.starts_with("Error [E025]: 2 of 4"),
        "{}",
        run.stderr
    );

    // A deleted standards file makes its excerpts stale too.
    std::fs::remove_file(repo.root().join("standards/global.md")).unwrap();
    let (_, doc, _) = repo.json(&["--verify-excerpts", "TASK-0201"]);
    assert_eq!(doc["error"]["details"]["stale_count"], 3);

    // Invalidate: the stale copies and entries go, the list says which.
    let stale_paths: Vec<String> = doc["error"]["details"]["excerpts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["fresh"] == false)
        .map(|e| e["cached_path"].as_str().unwrap().to_string())
        .collect();
    for p in &stale_paths {
        assert!(repo.root().join(p).exists(), "{p}");
    }
    let (code, doc, _) = repo.json(&["--invalidate-excerpts", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["invalidated"].as_array().unwrap().len(), 3);
    assert_eq!(doc["data"]["remaining"], total - 3);
    for p in &stale_paths {
        assert!(!repo.root().join(p).exists(), "{p}");
    }
    assert_eq!(
        excerpt_index(&repo)["excerpts"].as_array().unwrap().len(),
        total - 3
    );
    let (code, _, _) = repo.json(&["--verify-excerpts", "TASK-0201"]);
    assert_eq!(code, 0);
    let run = repo.run(&["--invalidate-excerpts", "TASK-0201"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("No stale standards excerpts"),
        "{}",
        run.stdout
    );

    // A rebuild caches the changed section again.
    repo.commit();
    assert_eq!(repo.run(&["--rebuild-context", "TASK-0201"]).code, 0);
    let (code, doc, _) = repo.json(&["--verify-excerpts", "TASK-0201"]);
    assert_eq!(code, 0);
    assert!(
        doc["data"]["excerpts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["section"] == "handler-constraints")
    );
}

#[test]
fn excerpt_verbs_without_excerpts_are_e051() {
    let repo = repo();
    for verb in ["--verify-excerpts", "--invalidate-excerpts"] {
        let (code, doc, _) = repo.json(&[verb, "TASK-0201"]);
        assert_eq!((code, error_code(&doc)), (50, "E051"), "{verb}");
        assert_eq!(doc["data"], Value::Null);
    }
    assert!(!repo.root().join(".agent-output").exists());
}

#[test]
fn a_corrupt_excerpt_index_is_e052_and_untouched() {
    let repo = repo();
    let index = ".agent-output/TASK-0201/evidence/standards/index.json";
    repo.write(index, "{\"excerpts\": [");
    for args in [
        &["--verify-excerpts", "TASK-0201"][..],
        &["--invalidate-excerpts", "TASK-0201"],
        &[
            "--attach-standard",
            "TASK-0201",
            "--file",
            "standards/backend-tier.md",
            "--section",
            "Testing",
        ],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (50, "E052"), "{args:?}");
        assert_eq!(repo.read(index), "{\"excerpts\": [");
    }
}

#[test]
fn a_repo_root_below_the_git_top_level_sees_only_its_own_changes() {
    let outer = TestRepo::new();
    outer
        .write(&format!("project/{TASK_PATH}"), TASK)
        .write("project/standards/backend-tier.md", BACKEND_TIER)
        .commit();
    outer.write("elsewhere/notes.txt", "not part of the project\n");
    let project = outer.root().join("project");
    let project = project.to_str().unwrap();
    let (code, doc, run) = outer.json(&["--repo-root", project, "--init-context", "TASK-0201"]);
    assert_eq!(code, 0, "{doc} {}", run.stderr);
    outer.write("project/backend/wip.ts", "x\n");
    let (code, doc, _) = outer.json(&["--repo-root", project, "--purge-context", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    let (code, doc, _) = outer.json(&["--repo-root", project, "--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (60, "E060"));
    assert_eq!(doc["error"]["details"]["files"], json!(["backend/wip.ts"]));
}

#[test]
fn a_file_system_refusal_is_e041_and_changes_nothing() {
    let repo = repo();
    // A file where the context directory has to go.
    repo.write(".agent-output", "not a directory\n").commit();
    let before = repo.snapshot();
    let (code, doc, _) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (40, "E041"), "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains(".agent-output")
    );
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn odd_text_in_a_hand_edited_context_is_displayed_not_a_crash() {
    let repo = repo();
    let mut doc: Value =
        serde_json::from_str(&crate::support::reference_context_fixture()).unwrap();
    doc["git_head"] = json!("aéééééééééé");
    repo.write(CONTEXT, serde_json::to_string_pretty(&doc).unwrap());
    let run = repo.run(&["--get-context", "TASK-0201"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Git HEAD: aééééééé\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_task_directory_linked_inside_the_repository_is_never_followed() {
    let repo = repo();
    std::fs::create_dir_all(repo.root().join(".agent-output")).unwrap();
    std::os::unix::fs::symlink("..", repo.root().join(".agent-output/TASK-0201")).unwrap();
    let before = repo.snapshot();
    for args in [
        &["--purge-context", "TASK-0201"][..],
        &["--init-context", "TASK-0201"],
        &[
            "--attach-standard",
            "TASK-0201",
            "--file",
            "standards/backend-tier.md",
            "--section",
            "Testing",
        ],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{args:?} {doc}");
    }
    assert!(
        repo.root().join(".git").is_dir(),
        "the repository is still there"
    );
    assert_eq!(repo.snapshot(), before);
    // The same with .agent-output itself a link to a tracked directory.
    std::fs::remove_file(repo.root().join(".agent-output/TASK-0201")).unwrap();
    std::fs::remove_dir(repo.root().join(".agent-output")).unwrap();
    std::os::unix::fs::symlink("standards", repo.root().join(".agent-output")).unwrap();
    let (code, doc, _) = repo.json(&["--purge-context", "TASK-0201"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(repo.root().join("standards/backend-tier.md").exists());
}

#[test]
fn a_hostile_excerpt_index_never_deletes_outside_its_directory() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    let index_path = ".agent-output/TASK-0201/evidence/standards/index.json";
    let mut index: Value = serde_json::from_str(&repo.read(index_path)).unwrap();
    index["excerpts"][0]["excerpt_path"] = json!("../../../../standards/global.md");
    index["excerpts"][0]["content_sha"] = json!("0000000000000000");
    repo.write(index_path, serde_json::to_string_pretty(&index).unwrap());
    let (code, doc, _) = repo.json(&["--invalidate-excerpts", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["invalidated"].as_array().unwrap().len(), 1);
    assert!(
        repo.root().join("standards/global.md").exists(),
        "never deleted"
    );
    // Re-attaching over such an entry does not delete it either.
    index["excerpts"][0]["excerpt_path"] = json!("../../../../standards/backend-tier.md");
    repo.write(index_path, serde_json::to_string_pretty(&index).unwrap());
    let file = index["excerpts"][0]["file"].as_str().unwrap().to_string();
    let section = index["excerpts"][0]["section"]
        .as_str()
        .unwrap()
        .to_string();
    repo.run(&[
        "--attach-standard",
        "TASK-0201",
        "--file",
        &file,
        "--section",
        &section,
    ]);
    assert!(repo.root().join("standards/backend-tier.md").exists());
}

#[test]
fn a_rebuild_stopped_by_a_corrupt_index_writes_nothing() {
    for index in [
        ".agent-output/TASK-0201/evidence/index.json",
        ".agent-output/TASK-0201/evidence/standards/index.json",
    ] {
        let repo = repo();
        assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
        repo.write(
            TASK_PATH,
            TASK.replace("Carrier rate comparison", "Carrier rate comparison v2"),
        );
        repo.write(index, "{ not json");
        let before = repo.snapshot();
        let (code, doc, _) = repo.json(&["--rebuild-context", "TASK-0201"]);
        assert_eq!((code, error_code(&doc)), (50, "E052"), "{index}: {doc}");
        assert_eq!(repo.snapshot(), before, "{index}: nothing written");
    }
}

#[test]
fn a_criterion_holding_a_colon_is_stored_as_written_and_linted() {
    let repo = repo();
    let item = "storybookPreset.js loads babel-preset-expo with reanimated: false";
    repo.write(
        TASK_PATH,
        TASK.replace(
            "    - The table lists every active carrier\n",
            &format!("    - {item}\n"),
        ),
    )
    .commit();
    let (code, doc, run) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}\n{}", run.stderr);
    assert_eq!(
        context(&repo)["immutable"]["task_snapshot"]["acceptance_criteria"],
        json!([
            "Rates are rounded half-up to the cent\n",
            item,
            "Coverage stays at 80% or more\n"
        ])
    );
    // E010 for the task's missing evidence path; the warning is among the findings.
    let (code, doc, _) = repo.json(&["--lint", TASK_PATH]);
    assert_eq!(code, 10, "{doc}");
    let finding = doc["error"]["details"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "text_item_is_mapping")
        .cloned()
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["field"], "acceptance_criteria.must[1]");
    assert_eq!(
        finding["suggestion"],
        format!("Quote the item: - \"{item}\"")
    );
}

#[test]
fn a_cited_section_that_does_not_exist_warns_at_init_and_in_lint() {
    let repo = repo();
    // area web: no default citation of backend-tier.md, so the tier cites the whole file; the
    // sections the task names are cited beside it, and the missing one is said.
    repo.write(
        TASK_PATH,
        TASK.replace("area: backend", "area: web").replace(
            "    - standards/backend-tier.md#testing\n",
            "    - standards/backend-tier.md#testing\n    - standards/backend-tier.md#rate-limits\n",
        ),
    )
    .commit();
    let (code, doc, run) = repo.json(&["--init-context", "TASK-0201"]);
    assert_eq!(code, 0, "{doc}\n{}", run.stderr);
    let citations = context(&repo)["immutable"]["standards_citations"].clone();
    let backend: Vec<(Value, Value)> = citations
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["file"] == "standards/backend-tier.md")
        .map(|c| (c["section"].clone(), c["line_span"].clone()))
        .collect();
    assert_eq!(
        backend,
        vec![
            (json!("document"), json!("L1-L13")),
            (json!("testing"), json!("L13-L13")),
            (json!("rate-limits"), Value::Null),
        ]
    );
    assert!(
        run.warnings().contains(
            &"Warning: citation standards/backend-tier.md#rate-limits: no such section in the file (kept without an excerpt)"
        ),
        "{}",
        run.stderr
    );
    // --lint names the same anchor.
    let (_, doc, _) = repo.json(&["--lint", TASK_PATH]);
    let findings = doc["error"]["details"]["findings"].as_array().unwrap();
    let anchor = findings
        .iter()
        .find(|f| f["code"] == "standards_anchor_missing")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(anchor["field"], "context.related_docs[1]");
    assert!(
        anchor["message"]
            .as_str()
            .unwrap()
            .contains("standards/backend-tier.md has no heading for #rate-limits"),
        "{anchor}"
    );
}

#[test]
fn complete_warns_of_roles_that_started_and_are_not_done() {
    let repo = repo();
    assert_eq!(repo.run(&["--init-context", "TASK-0201"]).code, 0);
    for (role, status) in [("implementer", "done"), ("validator", "blocked")] {
        let run = repo.run(&[
            "--update-agent",
            "TASK-0201",
            "--agent",
            role,
            "--status",
            status,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let run = repo.run(&["--complete", "TASK-0201"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The reviewer never started (pending): not named.
    assert_eq!(
        run.warnings(),
        [
            "Warning: TASK-0201 is completed while roles of its context are not done: validator (blocked)"
        ]
    );
}
