//! Broken task files: each is reported once per run on stderr, never a panic, never on stdout,
//! and the other tasks still load.

use crate::support::TestRepo;

/// (file name, bytes, a word the warning must contain)
fn broken_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let valid_head = "id: TASK-0900\ntitle: t\nstatus: todo\npriority: P1\narea: a\n";
    let mut deep = String::new();
    for i in 0..200 {
        deep.push_str(&" ".repeat(i));
        deep.push_str("k:\n");
    }
    let mut huge = String::from(valid_head);
    huge.push_str("description: |\n");
    while huge.len() < 10 * 1024 * 1024 {
        huge.push_str("  lorem ipsum dolor sit amet, consectetur adipiscing elit\n");
    }
    vec![
        (
            "TASK-0901-utf8.task.yaml",
            b"id: TASK-0901\ntitle: caf\xe9\n".to_vec(),
            "UTF-8",
        ),
        ("TASK-0902-empty.task.yaml", Vec::new(), "empty"),
        (
            "TASK-0903-list.task.yaml",
            b"- id: TASK-0903\n- title: x\n".to_vec(),
            "list",
        ),
        (
            "TASK-0904-missing.task.yaml",
            b"id: TASK-0904\ntitle: x\nstatus: todo\n".to_vec(),
            "priority, area",
        ),
        (
            "TASK-0905-inf.task.yaml",
            format!("{valid_head}order: .inf\n")
                .replace("0900", "0905")
                .into_bytes(),
            "order",
        ),
        ("TASK-0906-huge.task.yaml", huge.into_bytes(), "limit"),
        (
            "TASK-0907-dupkey.task.yaml",
            format!("{valid_head}status: done\n").into_bytes(),
            "duplicate",
        ),
        (
            "TASK-0908-twodocs.task.yaml",
            format!("{valid_head}---\nid: X-1\n").into_bytes(),
            "document",
        ),
        (
            "TASK-0909-badid.task.yaml",
            valid_head.replace("TASK-0900", "task_909").into_bytes(),
            "does not match",
        ),
        (
            "TASK-0910-bool.task.yaml",
            format!("{valid_head}unblocker: maybe\n").into_bytes(),
            "boolean",
        ),
        ("TASK-0911-deep.task.yaml", deep.into_bytes(), "line"),
        (
            "TASK-0912-backtick.task.yaml",
            format!("{valid_head}steps:\n  - `pnpm test`\n").into_bytes(),
            "line 7, column 5",
        ),
        (
            "TASK-0913-indent.task.yaml",
            format!("{valid_head}scope:\n  - a\n  - b\n modularity: 3\n").into_bytes(),
            "line",
        ),
    ]
}

fn broken_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    for (name, bytes, _) in broken_files() {
        repo.write(&format!("tasks/broken/{name}"), bytes);
    }
    repo
}

#[test]
fn each_broken_file_is_reported_once_then_tracked_in_the_ledger() {
    let repo = broken_repo();
    let expected = broken_files();
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 1, "only the valid task loads");
    let warnings = run.warnings();
    assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
    for (name, _, needle) in &expected {
        let line = warnings
            .iter()
            .find(|w| w.contains(name))
            .unwrap_or_else(|| panic!("no warning for {name}"));
        assert!(line.starts_with("Warning: Failed to parse "), "{line}");
        assert!(line.contains(needle), "{name}: {line}");
    }
    assert!(run.stderr.contains(&format!(
        "Note: recorded {} malformed task file(s)",
        expected.len()
    )));
    // The second run is silent: every file is recorded as an open exception.
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 1);
    assert_eq!(run.stderr, "");
}

#[test]
fn a_broken_file_without_an_id_in_its_name_is_reported_every_run() {
    let repo = TestRepo::new();
    repo.write("tasks/notes.task.yaml", "id: [\n");
    for _ in 0..2 {
        let run = repo.run(&["--list"]);
        assert_eq!(run.warnings().len(), 1, "{}", run.stderr);
    }
    assert!(!repo.root().join("docs/compliance").exists());
}

#[test]
fn every_verb_survives_broken_files() {
    let repo = broken_repo();
    for args in [
        &["--pick"][..],
        &["--validate"],
        &["--graph"],
        &["--check-halt"],
        &["--refresh-cache"],
        &["--explain", "TASK-0001"],
    ] {
        let (code, _doc, run) = repo.json(args);
        assert_eq!(code, 0, "{args:?}: {}", run.stderr);
    }
    let (_, doc, _) = repo.json(&["--refresh-cache"]);
    assert_eq!(doc["unparsable"], broken_files().len());
}

#[test]
fn a_fixed_file_loads_again() {
    let repo = broken_repo();
    repo.run(&["--list"]);
    repo.task(
        "tasks/broken/TASK-0912-backtick.task.yaml",
        "TASK-0912",
        "todo",
        "P0",
        "steps:\n  - \"`pnpm test`\"\n",
    );
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 2);
    assert_eq!(doc["tasks"][0]["id"], "TASK-0912");
    assert!(!run.stderr.contains("TASK-0912"));
}

#[test]
fn crlf_and_bom_files_parse_and_hash_like_lf() {
    let repo = TestRepo::new();
    let lf = "id: TASK-0001\ntitle: t\nstatus: todo\npriority: P1\narea: a\n";
    repo.write("tasks/TASK-0001.task.yaml", lf.replace('\n', "\r\n"));
    repo.write(
        "tasks/TASK-0002.task.yaml",
        format!("\u{feff}{}", lf.replace("0001", "0002")),
    );
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(run.stderr, "");
    assert_eq!(doc["count"], 2);
    let expected = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(lf.as_bytes());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let t1 = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "TASK-0001")
        .unwrap();
    assert_eq!(t1["hash"], expected);
}

#[test]
fn field_coercions_through_the_cli() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/TASK-0001.task.yaml",
        "id: TASK-0001\ntitle: t\nstatus: todo\npriority: P1\narea: a\nunblocker: \"no\"\norder: 2.7\nblocked_by: TASK-0701\ndepends_on: 'TASK-1, TASK-2'\n",
    );
    let (_, doc, _) = repo.json(&["--list"]);
    let t = &doc["tasks"][0];
    assert_eq!(t["unblocker"], false);
    assert_eq!(t["order"], 2);
    assert_eq!(t["blocked_by"], serde_json::json!(["TASK-0701"]));
    assert_eq!(t["depends_on"], serde_json::json!(["TASK-1, TASK-2"]));
}
