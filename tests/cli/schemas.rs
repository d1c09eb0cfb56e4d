//! Published JSON Schemas (issue 15): `docs/schemas/` is what `tasks --schema` prints, every
//! command's success and error documents match their schema (support.rs checks every JSON
//! document the suite sees; this file makes sure each command is seen both ways), and the state
//! files match theirs.

use crate::sample_repo::sample;
use crate::support::{TestRepo, check_schema, run_in, validator};
use serde_json::{Value, json};
use std::path::Path;
use tasks::schema::{Kind, entries};

fn docs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas")
}

/// `TASKS_WRITE_SCHEMAS=1 cargo test --test cli schemas` rewrites docs/schemas/ from the types
/// (then review the diff, and bump `schema::VERSION` as its policy says).
#[test]
fn docs_schemas_are_what_the_binary_prints() {
    let write = std::env::var_os("TASKS_WRITE_SCHEMAS").is_some();
    let dir = tempfile::tempdir().unwrap();
    let mut stale = Vec::new();
    for entry in entries() {
        let run = run_in(dir.path(), &["--schema", entry.name]);
        assert_eq!(run.code, 0, "{}: {}", entry.name, run.stderr);
        let path = docs().join(entry.doc_path());
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &run.stdout).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(run.stdout.as_str()) {
            stale.push(entry.doc_path());
        }
    }
    assert!(
        stale.is_empty(),
        "docs/schemas/ differs from the types for {stale:?}: run \
         TASKS_WRITE_SCHEMAS=1 cargo test --test cli schemas, review the diff and bump \
         schema::VERSION as docs/schemas/README.md says"
    );
    // Nothing else lives there, and the README lists every schema.
    let readme = std::fs::read_to_string(docs().join("README.md")).unwrap();
    for entry in entries() {
        assert!(
            readme.contains(&format!("]({})", entry.doc_path())),
            "docs/schemas/README.md does not link {}",
            entry.doc_path()
        );
    }
    let expected: std::collections::BTreeSet<String> =
        entries().iter().map(|e| e.doc_path()).collect();
    for sub in ["commands", "files"] {
        for file in std::fs::read_dir(docs().join(sub)).unwrap() {
            let name = format!("{sub}/{}", file.unwrap().file_name().to_string_lossy());
            assert!(
                expected.contains(&name),
                "docs/schemas/{name} is not a schema the tool has"
            );
        }
    }
}

#[test]
fn every_schema_is_a_valid_2020_12_schema_with_an_id_and_a_version() {
    let mut ids = std::collections::BTreeSet::new();
    for entry in entries() {
        let schema = tasks::schema::by_name(entry.name).unwrap();
        assert!(
            jsonschema::meta::is_valid(&schema),
            "{} is not a valid JSON Schema",
            entry.name
        );
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let id = schema["$id"].as_str().unwrap().to_string();
        assert!(id.starts_with("urn:tasks:schema:"), "{id}");
        assert!(
            id.ends_with(&format!(":{}", tasks::schema::VERSION)),
            "{id}"
        );
        assert!(ids.insert(id.clone()), "{id} is used twice");
        // Every reference resolves (the validator compiles).
        validator(entry.name);
    }
}

#[test]
fn the_schema_command_prints_one_schema_in_either_format_and_refuses_unknown_names() {
    let dir = tempfile::tempdir().unwrap();
    let text = run_in(dir.path(), &["--schema", "list"]);
    let json = run_in(dir.path(), &["--schema", "list", "--format", "json"]);
    assert_eq!((text.code, json.code), (0, 0));
    assert_eq!(text.stdout, json.stdout, "the same schema in both formats");
    let schema: Value = serde_json::from_str(&text.stdout).unwrap();
    assert_eq!(
        schema["$id"],
        format!("urn:tasks:schema:command:list:{}", tasks::schema::VERSION)
    );
    assert_eq!(schema["title"], "tasks --list --format json");
    // The head comes first, the definitions last: readable from the top.
    assert!(
        text.stdout.starts_with("{\n  \"$schema\""),
        "{}",
        &text.stdout[..80]
    );
    let file = run_in(dir.path(), &["--schema", "context.json"]);
    assert_eq!(file.code, 0);
    assert!(file.stdout.contains("\"coordination\""));

    let bad = run_in(dir.path(), &["--schema", "nope", "--format", "json"]);
    assert_eq!(bad.code, 10, "{}", bad.stderr);
    let doc: Value = serde_json::from_str(&bad.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "E002");
    for name in ["list", "init-context", "context.json", "dashboard.json"] {
        assert!(
            doc["error"]["message"].as_str().unwrap().contains(name),
            "{doc}"
        );
    }
    let missing = run_in(dir.path(), &["--schema"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stdout.is_empty());
}

#[test]
fn a_document_that_drifts_from_its_schema_is_caught() {
    // The check itself can fail: a field the type does not have, a wrong type, a missing
    // field, a success without generated_at, an unknown error code.
    let list = validator("list");
    let repo = TestRepo::new();
    repo.task(
        "tasks/a/TASK-0001-a.task.yaml",
        "TASK-0001",
        "todo",
        "P1",
        "",
    )
    .commit();
    let (_, doc, _) = repo.json(&["--list"]);
    assert!(list.is_valid(&doc), "{doc}");
    let mut extra = doc.clone();
    extra["surprise"] = json!(1);
    assert!(!list.is_valid(&extra));
    let mut wrong = doc.clone();
    wrong["count"] = json!("1");
    assert!(!list.is_valid(&wrong));
    let mut nested = doc.clone();
    nested["tasks"][0]["surprise"] = json!(1);
    assert!(!list.is_valid(&nested), "nested objects are closed too");
    let mut nested_type = doc.clone();
    nested_type["tasks"][0]["blocked_by"] = json!("TASK-0002");
    assert!(!list.is_valid(&nested_type));
    let mut missing = doc.clone();
    missing.as_object_mut().unwrap().remove("generated_at");
    assert!(!list.is_valid(&missing));
    let mut bad_time = doc.clone();
    bad_time["generated_at"] = json!("yesterday");
    assert!(!list.is_valid(&bad_time));
    let error = json!({"success": false, "generated_at": "2026-11-29T10:00:00+00:00",
        "error": {"code": "E999", "name": "INTERNAL", "message": "m", "details": {},
        "recovery_action": "r"}});
    assert!(list.is_valid(&error), "{error}");
    let mut unknown = error.clone();
    unknown["error"]["code"] = json!("E777");
    assert!(!list.is_valid(&unknown));
}

/// Every command prints an error document of its shape that matches its schema: a command line
/// that names the command but cannot run (an option it does not know).
#[test]
fn every_command_prints_an_error_document_that_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in entries().iter().filter(|e| e.kind == Kind::Command) {
        let flag = format!("--{}", entry.name);
        let args = [flag.as_str(), "--no-such-option", "--format", "json"];
        let run = run_in(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(tasks::schema::name_for_args(&args), Some(entry.name));
        let doc: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["success"], false);
        // Outside a repository, the commands that need one fail with their own error.
        let outside = run_in(dir.path(), &[flag.as_str(), "--format", "json"]);
        if !outside.stdout.is_empty() {
            check_schema(&[flag.as_str(), "--format", "json"], &outside);
        }
        seen += 1;
    }
    assert_eq!(
        seen,
        tasks::cli::FAMILIES
            .iter()
            .map(|(_, c)| c.len())
            .sum::<usize>()
    );
}

/// Successes the rest of the suite does not print in JSON, and the state files of a workflow on
/// the sample repository, each against its schema.
#[test]
fn a_workflow_on_the_sample_repo_matches_the_schemas_of_its_outputs_and_files() {
    let repo = sample();
    repo.write(".gitignore", "docs/compliance/\n");
    repo.commit();
    let ok = |args: &[&str]| {
        let (code, doc, run) = repo.json(args);
        assert_eq!(code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
        doc
    };
    ok(&["--claim", "TASK-0104"]);
    ok(&["--unclaim", "TASK-0104"]);
    ok(&["--graph"]);
    ok(&["--refresh-cache"]);
    ok(&["--init-context", "TASK-0101"]);
    ok(&[
        "--attach-standard",
        "TASK-0101",
        "--file",
        "standards/backend-tier.md",
        "--section",
        "Handler Constraints",
    ]);
    ok(&[
        "--attach-evidence",
        "TASK-0101",
        "--type",
        "file",
        "--path",
        "README.md",
    ]);
    let archived = ok(&[
        "--attach-evidence",
        "TASK-0101",
        "--type",
        "directory",
        "--path",
        "standards",
    ]);
    let listing = archived["data"]["compression"]["index_path"]
        .as_str()
        .unwrap_or_else(|| panic!("no listing path in {archived}"))
        .to_string();
    ok(&[
        "--record-telemetry",
        "TASK-0101",
        "--agent",
        "implementer",
        "--event",
        "file_read",
        "--path",
        "README.md",
    ]);
    ok(&["--collect-metrics", "TASK-0101"]);
    ok(&["--generate-dashboard"]);
    ok(&[
        "--add-exception",
        "TASK-0113",
        "--type",
        "malformed_yaml",
        "--message",
        "stray backtick",
    ]);
    ok(&[
        "--quarantine-task",
        "TASK-0113",
        "--reason",
        "malformed_yaml",
    ]);
    ok(&["--list-validation", "TASK-0101"]);
    for printed in ["--help", "--version", "--man"] {
        ok(&[printed]);
    }
    ok(&["--completions", "bash"]);

    let files = [
        (".agent-output/TASK-0101/context.json", "context.json"),
        (
            ".agent-output/TASK-0101/context.manifest",
            "context.manifest",
        ),
        (
            ".agent-output/TASK-0101/evidence/index.json",
            "evidence-index.json",
        ),
        (
            ".agent-output/TASK-0101/evidence/standards/index.json",
            "standards-index.json",
        ),
        (
            ".agent-output/TASK-0101/telemetry-implementer.json",
            "telemetry.json",
        ),
        (".agent-output/TASK-0101/metrics.json", "metrics.json"),
        (
            "docs/compliance/context-cache-exceptions.json",
            "exceptions.json",
        ),
        (listing.as_str(), "archive-listing.json"),
        (
            "docs/compliance/quarantine/index.json",
            "quarantine-index.json",
        ),
        (
            "docs/compliance/quarantine/TASK-0113.quarantine.json",
            "quarantine-entry.json",
        ),
        (
            "docs/evidence/metrics/cache-hardening-dashboard.json",
            "dashboard.json",
        ),
    ];
    for (rel, name) in files {
        check_file(&repo, rel, name);
    }
    // The files a context written by tasks.py holds load and match as well.
    let reference: Value =
        serde_json::from_str(&crate::support::reference_context_fixture()).unwrap();
    let errors: Vec<String> = validator("context.json")
        .iter_errors(&reference)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "the tasks.py context: {errors:?}");
}

fn check_file(repo: &TestRepo, rel: &str, name: &'static str) {
    let text = repo.read(rel);
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let errors: Vec<String> = validator(name)
        .iter_errors(&doc)
        .take(10)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{rel} does not match the schema {name}:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_printing_commands_take_no_other_option_and_are_in_the_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--schema", "list", "--status", "todo"][..],
        &["--man", "--agent", "implementer"],
        &["--completions", "bash", "--enforce-drafts"],
    ] {
        let run = run_in(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("takes no option"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    // Global options still apply.
    assert_eq!(
        run_in(dir.path(), &["--schema", "list", "--format", "json"]).code,
        0
    );
    let help = run_in(dir.path(), &["--help"]);
    assert!(
        help.stdout.contains("tasks --schema NAME"),
        "{}",
        help.stdout
    );
    let word = run_in(dir.path(), &["help", "schema"]);
    assert_eq!(word.code, 0, "{}", word.stderr);
    let man = run_in(dir.path(), &["--man"]);
    assert!(
        man.stdout.contains("\\-\\-schema"),
        "the manual lists --schema"
    );
}
