//! One consistent JSON surface (issue 11): every document has `success` and `generated_at`;
//! verdicts print their report at the top level, with the error when they fail; a halt says
//! it is a halt; options a command does not read are usage errors.

use crate::support::{TestRepo, error_code, task_yaml};
use serde_json::Value;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.task(
        "tasks/a/TASK-0001-a.task.yaml",
        "TASK-0001",
        "todo",
        "P1",
        "",
    )
    .task(
        "tasks/a/TASK-0002-b.task.yaml",
        "TASK-0002",
        "todo",
        "P2",
        "blocked_by: [TASK-0001]\n",
    )
    .commit();
    repo
}

#[test]
fn every_document_carries_success_and_generated_at() {
    let repo = repo();
    for args in [
        &["--list"][..],
        &["--pick"],
        &["--validate"],
        &["--graph"],
        &["--refresh-cache"],
        &["--explain", "TASK-0002"],
        &["--check-halt"],
        &["--list-exceptions"],
        &["--list-quarantined"],
        &["--get-context", "TASK-0001"],
        &["--explain", "TASK-0404"],
        &["--bogus"],
    ] {
        let (_, doc, _) = repo.json(args);
        assert!(doc["success"].is_boolean(), "{args:?}: {doc}");
        assert!(doc["generated_at"].is_string(), "{args:?}: {doc}");
    }
}

#[test]
fn validate_prints_its_report_at_the_top_level() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["--validate"]);
    assert_eq!(code, 0);
    assert_eq!(
        (
            doc["success"].clone(),
            doc["valid"].clone(),
            doc["error_count"].clone()
        ),
        (Value::Bool(true), Value::Bool(true), Value::from(0))
    );
    repo.write(
        "tasks/a/TASK-0003-c.task.yaml",
        task_yaml("TASK-0003", "todo", "P2", "blocked_by: [TASK-0999]\n"),
    );
    let (code, doc, _) = repo.json(&["--validate"]);
    assert_eq!((code, error_code(&doc)), (10, "E010"), "{doc}");
    assert_eq!(doc["success"], false);
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["error_count"], 1);
    assert!(
        doc["errors"][0].as_str().unwrap().contains("TASK-0999"),
        "{doc}"
    );
    // The details keep what scripts read there before.
    assert_eq!(doc["error"]["details"]["errors"], doc["errors"]);
}

#[test]
fn a_halt_says_it_is_a_halt() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/a/TASK-0001-a.task.yaml",
        "TASK-0001",
        "blocked",
        "P0",
        "unblocker: true\nblocked_reason: waiting for credentials\n",
    )
    .commit();
    for args in [&["--check-halt"][..], &["--pick"]] {
        let (code, doc, _) = repo.json(args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(doc["success"], false, "{args:?}");
        assert_eq!(doc["halt"], true, "{args:?}");
        assert_eq!(doc["type"], "blocked_unblocker", "{args:?}");
        assert!(doc.get("error").is_none(), "a halt is not an error: {doc}");
    }
    // A usage error exits 2 too, but carries the error object.
    let (code, doc, _) = repo.json(&["--check-halt", "--agent", "implementer"]);
    assert_eq!((code, error_code(&doc)), (2, "E002"));
    assert!(doc.get("halt").is_none());
}

#[test]
fn an_option_the_command_does_not_read_is_a_usage_error() {
    let repo = repo();
    let (code, doc, run) = repo.json(&["--pick", "--status", "todo"]);
    assert_eq!((code, error_code(&doc)), (2, "E002"), "{doc}");
    assert!(
        run.stderr.contains("--status is not an option of --pick")
            && run.stderr.contains("--list-exceptions"),
        "{}",
        run.stderr
    );
    assert_eq!(doc["error"]["details"]["option"], "--status");
    let run = repo.run(&["--graph", "--actor", "me"]);
    assert_eq!(run.code, 2);
}

#[test]
fn bad_values_list_what_is_allowed() {
    let repo = repo();
    let (code, doc, run) = repo.json(&["--get-context", "TASK-0001", "--role", "boss"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(
        doc["error"]["details"]["expected"],
        serde_json::json!(["implementer", "reviewer", "validator"])
    );
    assert!(
        run.stderr
            .contains("Recovery: Use one of: implementer, reviewer, validator")
    );
}

#[test]
fn a_shortened_global_option_does_not_change_the_shape_of_an_error() {
    let repo = repo();
    // An envelope command's usage error carries "data": null however --format is spelled.
    for args in [
        &["--format", "json", "exceptions", "add", "TASK-0001"][..],
        &["--form", "json", "exceptions", "add", "TASK-0001"][..],
        &[
            "--repo",
            ".",
            "--format",
            "json",
            "exceptions",
            "add",
            "TASK-0001",
        ][..],
    ] {
        let run = repo.run(args);
        assert_eq!(run.code, 2, "{args:?}");
        let doc = run.json();
        assert!(
            doc.as_object().unwrap().contains_key("data"),
            "{args:?}: {doc}"
        );
        assert_eq!(doc["data"], serde_json::Value::Null);
    }
}
