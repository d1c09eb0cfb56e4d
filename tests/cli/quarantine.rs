//! Quarantine verbs, repairs, and their effect on --list and --pick.

use crate::support::{TestRepo, error_code, ids};
use serde_json::{Value, json};

const DIR: &str = "docs/compliance/quarantine";

fn entry(repo: &TestRepo, id: &str) -> Value {
    serde_json::from_str(&repo.read(&format!("{DIR}/{id}.quarantine.json"))).unwrap()
}

fn index(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(&format!("{DIR}/index.json"))).unwrap()
}

fn repo_with_tasks() -> TestRepo {
    let repo = TestRepo::new();
    repo.task("tasks/mobile/TASK-0001-top.task.yaml", "TASK-0001", "todo", "P0", "")
        .task("tasks/web/TASK-0002-next.task.yaml", "TASK-0002", "todo", "P1", "")
        .write(
            "tasks/mobile/TASK-0113-release-checklist.task.yaml",
            "id: TASK-0113\ntitle: Release checklist\nstatus: todo\npriority: P0\narea: mobile\nmanual_checks:\n  - `pnpm run release:dry` prints the changelog\n",
        );
    repo
}

#[test]
fn quarantine_records_the_real_file_and_updates_on_repeat() {
    let repo = repo_with_tasks();
    let (code, doc, _) = repo.json(&[
        "--quarantine-task",
        "TASK-0001",
        "--reason",
        "manual",
        "--error-details",
        "flaky spec",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["data"]["task_id"], "TASK-0001");
    assert_eq!(doc["data"]["reason"], "manual");
    assert_eq!(
        doc["data"]["original_path"],
        "tasks/mobile/TASK-0001-top.task.yaml"
    );
    assert_eq!(
        doc["data"]["path"],
        repo.abs(&format!("{DIR}/TASK-0001.quarantine.json"))
    );
    assert_eq!(doc["data"]["created"], true);
    let e = entry(&repo, "TASK-0001");
    assert_eq!(e["repair_status"], "pending");
    assert_eq!(e["auto_repair_attempted"], false);
    assert_eq!(e["error_details"], "flaky spec");
    let first_at = e["quarantined_at"].clone();
    // again, with another reason: the entry is updated, the index not duplicated
    let (_, doc, _) = repo.json(&[
        "--quarantine-task",
        "TASK-0001",
        "--reason",
        "validation_failed",
        "--error",
        "pipeline red",
    ]);
    assert_eq!(doc["data"]["created"], false);
    let e = entry(&repo, "TASK-0001");
    assert_eq!(e["reason"], "validation_failed");
    assert_eq!(e["error_details"], "pipeline red");
    assert_eq!(e["quarantined_at"], first_at);
    assert!(e["updated_at"].is_string());
    assert_eq!(index(&repo), json!({"quarantined_tasks": ["TASK-0001"]}));
    // a broken file can be quarantined by the id in its name
    let run = repo.run(&[
        "--quarantine-task",
        "TASK-0113",
        "--reason",
        "malformed_yaml",
    ]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("✓ Task TASK-0113 quarantined\n  Reason: malformed_yaml\n  File: tasks/mobile/TASK-0113-release-checklist.task.yaml\n"));
}

#[test]
fn quarantine_input_errors() {
    let repo = repo_with_tasks();
    let (code, doc, _) = repo.json(&["--quarantine-task", "TASK-4242", "--reason", "manual"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (40, Some("E040")));
    let (code, doc, _) = repo.json(&["--quarantine-task", "TASK-0001", "--reason", "bogus"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (10, Some("E002")));
    assert_eq!(
        doc["error"]["details"]["expected"],
        json!([
            "malformed_yaml",
            "validation_failed",
            "corrupted_context",
            "manual"
        ])
    );
    assert_eq!(repo.run(&["--quarantine-task", "TASK-0001"]).code, 2);
    for bad in ["../x", "TASK-1/../../etc", ""] {
        for verb in [
            "--quarantine-task",
            "--release-quarantine",
            "--repair-quarantined",
        ] {
            let (code, doc, _) = repo.json(&[verb, bad, "--reason", "manual"]);
            assert_eq!(
                (code, doc["error"]["code"].as_str()),
                (10, Some("E002")),
                "{verb} {bad:?}"
            );
        }
    }
    assert!(!repo.root().join("docs/compliance/quarantine").exists());
}

#[test]
fn quarantined_tasks_are_marked_in_list_and_never_picked() {
    let repo = repo_with_tasks();
    assert_eq!(repo.json(&["--pick"]).1["task"]["id"], "TASK-0001");
    repo.run(&["--quarantine-task", "TASK-0001", "--reason", "manual"]);
    let (_, doc, _) = repo.json(&["--pick"]);
    assert_eq!(doc["task"]["id"], "TASK-0002");
    let (_, doc, _) = repo.json(&["--list"]);
    let flags: Vec<(Value, Value)> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].clone(), t["quarantined"].clone()))
        .collect();
    assert_eq!(
        flags,
        vec![
            (json!("TASK-0001"), json!(true)),
            (json!("TASK-0002"), json!(false))
        ]
    );
    let run = repo.run(&["--list"]);
    assert!(
        run.stdout
            .lines()
            .next()
            .unwrap()
            .ends_with("\tTask TASK-0001 [quarantined]"),
        "{}",
        run.stdout
    );
    repo.run(&["--quarantine-task", "TASK-0002", "--reason", "manual"]);
    let (code, doc, _) = repo.json(&["--pick"]);
    assert_eq!((code, doc["status"].as_str()), (1, Some("no_ready_tasks")));
}

#[test]
fn list_quarantined_sorted_and_filtered() {
    let repo = repo_with_tasks();
    assert_eq!(
        repo.run(&["--list-quarantined"]).stdout,
        "No quarantined tasks\n"
    );
    for id in ["TASK-0113", "TASK-0002", "TASK-0001"] {
        repo.run(&["--quarantine-task", id, "--reason", "manual"]);
    }
    let (code, doc, _) = repo.json(&["--list-quarantined"]);
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["count"], 3);
    let listed: Vec<&str> = doc["data"]["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec!["TASK-0001", "TASK-0002", "TASK-0113"]);
    repo.run(&["--repair-quarantined", "TASK-0113"]);
    let (_, doc, _) = repo.json(&["--list-quarantined", "--status", "repaired"]);
    assert_eq!(doc["data"]["count"], 1);
    assert_eq!(doc["data"]["quarantined"][0]["task_id"], "TASK-0113");
    let (_, doc, _) = repo.json(&["--list-quarantined", "--status", "pending"]);
    assert_eq!(doc["data"]["count"], 2);
    let run = repo.run(&["--list-quarantined"]);
    let header = run.stdout.lines().next().unwrap();
    assert_eq!(
        header,
        "TASK       REASON  REPAIR    QUARANTINED (UTC)    FILE"
    );
}

#[test]
fn release_archives_the_entry_with_notes() {
    let repo = repo_with_tasks();
    repo.run(&["--quarantine-task", "TASK-0001", "--reason", "manual"]);
    let (code, doc, _) = repo.json(&[
        "--release-quarantine",
        "TASK-0001",
        "--notes",
        "spec clarified",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["status"], "released");
    assert_eq!(doc["data"]["notes"], "spec clarified");
    assert!(
        !repo
            .root()
            .join(format!("{DIR}/TASK-0001.quarantine.json"))
            .exists()
    );
    let archived: Value =
        serde_json::from_str(&repo.read(&format!("{DIR}/resolved/TASK-0001.quarantine.json")))
            .unwrap();
    assert_eq!(archived["release_notes"], "spec clarified");
    assert!(archived["resolved_at"].is_string());
    assert_eq!(index(&repo), json!({"quarantined_tasks": []}));
    assert_eq!(repo.json(&["--pick"]).1["task"]["id"], "TASK-0001");
    let (code, doc, _) = repo.json(&["--release-quarantine", "TASK-0001"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (40, Some("E040")));
    // a second quarantine and release keeps the first archived entry
    repo.run(&["--quarantine-task", "TASK-0001", "--reason", "manual"]);
    let run = repo.run(&["--release-quarantine", "TASK-0001"]);
    assert!(
        run.stdout
            .starts_with("✓ Released TASK-0001 from quarantine\n")
    );
    let archived = std::fs::read_dir(repo.root().join(format!("{DIR}/resolved")))
        .unwrap()
        .count();
    assert_eq!(archived, 2);
}

#[test]
fn a_repair_that_succeeds_rewrites_the_file_and_the_task_loads() {
    let repo = repo_with_tasks();
    repo.commit();
    assert_eq!(repo.run(&["--list"]).warnings().len(), 1);
    repo.run(&[
        "--quarantine-task",
        "TASK-0113",
        "--reason",
        "malformed_yaml",
    ]);
    let (code, doc, _) = repo.json(&["--repair-quarantined", "TASK-0113"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["repaired"], true);
    assert_eq!(doc["data"]["repair_status"], "repaired");
    assert_eq!(
        doc["data"]["repairs"],
        json!([{"repair": "quote_reserved_scalar", "line": 7}])
    );
    assert!(
        repo.read("tasks/mobile/TASK-0113-release-checklist.task.yaml")
            .contains("  - '`pnpm run release:dry` prints the changelog'\n")
    );
    let e = entry(&repo, "TASK-0113");
    assert_eq!(e["auto_repair_attempted"], true);
    assert_eq!(e["repair_status"], "repaired");
    assert_eq!(e["repairs"][0]["repair"], "quote_reserved_scalar");
    // the task loads again (still quarantined until released), and its exception is resolved
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(run.stderr, "");
    assert!(ids(&doc).contains(&"TASK-0113".to_string()));
    let ledger: Value =
        serde_json::from_str(&repo.read("docs/compliance/context-cache-exceptions.json")).unwrap();
    assert_eq!(ledger["exceptions"][0]["remediation"]["status"], "resolved");
    let flag = |repo: &TestRepo| {
        let (_, doc, _) = repo.json(&["--list"]);
        doc["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == "TASK-0113")
            .unwrap()["quarantined"]
            .clone()
    };
    assert_eq!(flag(&repo), json!(true));
    repo.run(&["--release-quarantine", "TASK-0113"]);
    assert_eq!(flag(&repo), json!(false));
}

#[test]
fn a_refused_repair_changes_nothing_and_says_what_was_tried() {
    let repo = TestRepo::new();
    let path = "tasks/TASK-0820-services.task.yaml";
    let original = "id: TASK-0820\ntitle: Services\nstatus: todo\npriority: P1\narea: backend\nscope:\n  - ports\n  - adapters\n modularity: strict\n";
    repo.write(path, original);
    repo.run(&[
        "--quarantine-task",
        "TASK-0820",
        "--reason",
        "malformed_yaml",
    ]);
    let (code, doc, _) = repo.json(&["--repair-quarantined", "TASK-0820"]);
    assert_eq!(code, 10);
    assert_eq!(doc["error"]["code"], "E011");
    assert_eq!(doc["error"]["details"]["repair_status"], "cannot_repair");
    assert!(doc["error"]["message"].as_str().unwrap().contains("line 9"));
    assert_eq!(repo.read(path), original, "the task file is untouched");
    let e = entry(&repo, "TASK-0820");
    assert_eq!(e["auto_repair_attempted"], true);
    assert_eq!(e["repair_status"], "cannot_repair");
    assert!(
        e["repair_notes"]
            .as_str()
            .unwrap()
            .starts_with("cannot repair")
    );
    let run = repo.run(&["--repair-quarantined", "TASK-0820"]);
    assert!(
        run.stderr
            .starts_with("Error [E011]: TASK-0820 could not be repaired"),
        "{}",
        run.stderr
    );
    let (code, doc, _) = repo.json(&["--repair-quarantined", "TASK-0001"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (40, Some("E040")));
}

#[test]
fn a_corrupt_index_or_entry_is_e052_and_left_byte_identical() {
    let repo = repo_with_tasks();
    repo.run(&["--quarantine-task", "TASK-0002", "--reason", "manual"]);
    let index_path = repo.root().join(format!("{DIR}/index.json"));
    std::fs::write(&index_path, "{\"quarantined_tasks\": [\"TASK-0002\"").unwrap();
    let before = std::fs::read(&index_path).unwrap();
    for args in [
        &["--quarantine-task", "TASK-0001", "--reason", "manual"][..],
        &["--release-quarantine", "TASK-0002"],
        &["--pick"],
        &["--list"],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!(code, 50, "{args:?}");
        assert_eq!(doc["error"]["code"], "E052");
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("index.json")
        );
    }
    assert_eq!(std::fs::read(&index_path).unwrap(), before);
    assert!(
        !repo
            .root()
            .join(format!("{DIR}/TASK-0001.quarantine.json"))
            .exists()
    );
    // a corrupt entry file
    repo.write(&format!("{DIR}/TASK-0003.quarantine.json"), "not json");
    let (code, doc, _) = repo.json(&["--list-quarantined"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (50, Some("E052")));
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TASK-0003.quarantine.json")
    );
}

#[test]
fn a_tampered_entry_never_chooses_a_path() {
    let repo = repo_with_tasks();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.task.yaml");
    std::fs::write(&victim, "id: TASK-0113\ntitle: Release checklist\nx: @y\n").unwrap();
    repo.run(&[
        "--quarantine-task",
        "TASK-0113",
        "--reason",
        "malformed_yaml",
    ]);
    // original_path pointing outside the repository is ignored: the file is found from the id
    let mut e = entry(&repo, "TASK-0113");
    e["original_path"] = json!(victim.to_str().unwrap());
    repo.write(
        &format!("{DIR}/TASK-0113.quarantine.json"),
        serde_json::to_string(&e).unwrap(),
    );
    let (code, doc, _) = repo.json(&["--repair-quarantined", "TASK-0113"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "id: TASK-0113\ntitle: Release checklist\nx: @y\n"
    );
    assert_eq!(
        entry(&repo, "TASK-0113")["original_path"],
        "tasks/mobile/TASK-0113-release-checklist.task.yaml"
    );
    // an entry naming another task is corrupt, and nothing is written from its contents
    let mut e = entry(&repo, "TASK-0113");
    // A directory name of this test's own, so that nothing else on the machine can have made it.
    let outside = format!(
        "outside-{}",
        repo.root().file_name().unwrap().to_string_lossy()
    );
    e["task_id"] = json!(format!("../../../{outside}/pwn"));
    repo.write(
        &format!("{DIR}/TASK-0113.quarantine.json"),
        serde_json::to_string(&e).unwrap(),
    );
    for args in [
        &["--repair-quarantined", "TASK-0113"][..],
        &["--list-quarantined"],
        &["--release-quarantine", "TASK-0113"],
    ] {
        let (code, doc, _) = repo.json(args);
        assert_eq!(
            (code, doc["error"]["code"].as_str()),
            (50, Some("E052")),
            "{args:?}"
        );
    }
    assert!(!repo.root().join("docs").join(&outside).exists());
    assert!(!repo.root().parent().unwrap().join(&outside).exists());
}

#[test]
fn valid_yaml_that_is_not_a_valid_task_cannot_be_repaired() {
    let repo = TestRepo::new();
    let path = "tasks/TASK-0700-incomplete.task.yaml";
    repo.write(path, "id: TASK-0700\ntitle: Incomplete\nunblocker: maybe\n");
    repo.run(&[
        "--quarantine-task",
        "TASK-0700",
        "--reason",
        "validation_failed",
    ]);
    let (code, doc, _) = repo.json(&["--repair-quarantined", "TASK-0700"]);
    assert_eq!((code, doc["error"]["code"].as_str()), (10, Some("E011")));
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the task is not"),
        "{doc}"
    );
    assert_eq!(entry(&repo, "TASK-0700")["repair_status"], "cannot_repair");
}

#[test]
fn index_and_entry_files_each_quarantine_a_task() {
    let repo = repo_with_tasks();
    // an entry file the index does not list (an interrupted quarantine) still quarantines
    repo.run(&["--quarantine-task", "TASK-0001", "--reason", "manual"]);
    repo.write(&format!("{DIR}/index.json"), "{\"quarantined_tasks\": []}");
    assert_eq!(repo.json(&["--pick"]).1["task"]["id"], "TASK-0002");
    // an id the index lists without an entry file (an interrupted release) can be released
    repo.write(
        &format!("{DIR}/index.json"),
        "{\"quarantined_tasks\": [\"TASK-0002\"]}",
    );
    std::fs::remove_file(repo.root().join(format!("{DIR}/TASK-0001.quarantine.json"))).unwrap();
    let (code, _, _) = repo.json(&["--pick"]);
    assert_eq!(code, 0);
    assert_eq!(repo.json(&["--pick"]).1["task"]["id"], "TASK-0001");
    let (code, doc, _) = repo.json(&["--release-quarantine", "TASK-0002"]);
    assert_eq!(code, 0);
    assert_eq!(doc["data"]["path"], Value::Null);
    assert_eq!(index(&repo), json!({"quarantined_tasks": []}));
}

#[test]
fn an_oversized_task_file_is_refused_not_declared_fine() {
    let repo = TestRepo::new();
    let path = "tasks/TASK-0900-huge.task.yaml";
    // Valid YAML, but over the 1 MiB limit: no command loads it.
    let huge = format!(
        "id: TASK-0900\ntitle: Huge\nstatus: todo\npriority: P1\narea: backend\ndescription: {}\n",
        "x".repeat(2 * 1024 * 1024)
    );
    repo.write(path, &huge);
    let run = repo.run(&[
        "--quarantine-task",
        "TASK-0900",
        "--reason",
        "malformed_yaml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, doc, _) = repo.json(&["--repair-quarantined", "TASK-0900"]);
    assert_eq!((code, error_code(&doc)), (10, "E011"), "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("over the 1048576 byte limit for task files"),
        "{message}"
    );
    assert_eq!(doc["error"]["details"]["repair_status"], "cannot_repair");
    assert_eq!(entry(&repo, "TASK-0900")["repair_status"], "cannot_repair");
    assert_eq!(repo.read(path), huge, "the task file is untouched");
}

#[test]
fn cr_only_and_merge_key_files_are_repaired_like_any_other() {
    let repo = TestRepo::new();
    let files = [
        // Load fine as they are: nothing to repair.
        (
            "tasks/TASK-0401-cr.task.yaml",
            "id: TASK-0401\rtitle: Classic Mac file\rstatus: todo\rpriority: P1\rarea: a\r",
            None,
        ),
        (
            "tasks/TASK-0402-merge.task.yaml",
            "base: &base\n  title: Merged title\n  priority: P1\n  area: a\nid: TASK-0402\nstatus: todo\n<<: *base\n",
            None,
        ),
        // Need one repair each; the line endings stay.
        (
            "tasks/TASK-0403-cr.task.yaml",
            "id: TASK-0403\rtitle: Classic Mac file\rstatus: todo\rpriority: P1\rarea: a\rowner: @alice\r",
            Some(
                "id: TASK-0403\rtitle: Classic Mac file\rstatus: todo\rpriority: P1\rarea: a\rowner: '@alice'\r",
            ),
        ),
        (
            "tasks/TASK-0404-merge.task.yaml",
            "base: &base\n  title: Merged title\n  priority: P1\n  area: a\nid: TASK-0404\nstatus: todo\n<<: *base\nowner: @bob\n",
            Some(
                "base: &base\n  title: Merged title\n  priority: P1\n  area: a\nid: TASK-0404\nstatus: todo\n<<: *base\nowner: '@bob'\n",
            ),
        ),
    ];
    for (path, text, _) in files {
        repo.write(path, text);
    }
    for (path, text, fixed) in files {
        let id = &path["tasks/".len().."tasks/TASK-0401".len()];
        repo.run(&["--quarantine-task", id, "--reason", "manual"]);
        let (code, doc, _) = repo.json(&["--repair-quarantined", id]);
        assert_eq!(code, 0, "{id}: {doc}");
        assert_eq!(doc["data"]["repair_status"], "repaired", "{id}");
        match fixed {
            None => {
                assert_eq!(doc["data"]["repairs"], json!([]), "{id}");
                assert_eq!(repo.read(path), text, "{id}");
            }
            Some(fixed) => {
                assert_eq!(doc["data"]["repairs"][0]["repair"], "quote_reserved_scalar");
                assert_eq!(repo.read(path), fixed, "{id}");
            }
        }
    }
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(
        ids(&doc),
        ["TASK-0401", "TASK-0402", "TASK-0403", "TASK-0404"],
        "{}",
        run.stderr
    );
}
