use crate::support::{TestRepo, ids};

/// Eight tasks covering every status, an unblocker, an archived task and a missing dependency.
pub fn workflow_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.task(
        "tasks/backend/TASK-0001-unblock.task.yaml",
        "TASK-0001",
        "todo",
        "P2",
        "unblocker: true\n",
    )
    .task(
        "tasks/backend/TASK-0002.task.yaml",
        "TASK-0002",
        "todo",
        "P2",
        "",
    )
    .task(
        "tasks/backend/TASK-0003.task.yaml",
        "TASK-0003",
        "todo",
        "P1",
        "blocked_by: [TASK-0001, TASK-0099]\n",
    )
    .task(
        "tasks/mobile/TASK-0004.task.yaml",
        "TASK-0004",
        "todo",
        "P1",
        "blocked_by:\n  - TASK-0001\ndepends_on: [TASK-0099]\n",
    )
    .task(
        "docs/completed-tasks/TASK-0005.task.yaml",
        "TASK-0005",
        "completed",
        "P1",
        "",
    )
    .task(
        "tasks/web/TASK-0006-draft.task.yaml",
        "TASK-0006",
        "draft",
        "P2",
        "",
    )
    .task(
        "tasks/web/TASK-0007.task.yaml",
        "TASK-0007",
        "in_progress",
        "P0",
        "",
    )
    .task(
        "tasks/web/TASK-0008.task.yaml",
        "TASK-0008",
        "blocked",
        "P1",
        "blocked_reason: Waiting on design\n",
    );
    repo
}

const ORDER: [&str; 8] = [
    "TASK-0001",
    "TASK-0008",
    "TASK-0007",
    "TASK-0003",
    "TASK-0004",
    "TASK-0002",
    "TASK-0006",
    "TASK-0005",
];

#[test]
fn text_lists_every_task_in_pick_order() {
    let repo = workflow_repo();
    let run = repo.run(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 8);
    let first: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(
        first,
        vec![
            "TASK-0001",
            "todo",
            repo.abs("tasks/backend/TASK-0001-unblock.task.yaml")
                .as_str(),
            "Task TASK-0001"
        ]
    );
    let order: Vec<&str> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(order, ORDER);
    assert_eq!(run.stderr, "");
}

#[test]
fn json_has_count_filter_and_task_fields() {
    let repo = workflow_repo();
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0);
    assert_eq!(run.stderr, "");
    assert_eq!(doc["count"], 8);
    assert_eq!(doc["filter"]["status"], serde_json::Value::Null);
    assert_eq!(doc["filter"]["unblocker_only"], false);
    assert!(doc["generated_at"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(ids(&doc), ORDER);
    let t = &doc["tasks"][4];
    assert_eq!(t["id"], "TASK-0004");
    assert_eq!(t["blocked_by"], serde_json::json!(["TASK-0001"]));
    assert_eq!(t["depends_on"], serde_json::json!(["TASK-0099"]));
    assert_eq!(t["path"], repo.abs("tasks/mobile/TASK-0004.task.yaml"));
    assert_eq!(t["hash"].as_str().unwrap().len(), 64);
    assert!(t["mtime"].as_f64().unwrap() > 1.0e9);
    for key in [
        "area",
        "effective_priority",
        "order",
        "priority",
        "priority_reason",
        "status",
        "title",
        "unblocker",
    ] {
        assert!(t.get(key).is_some(), "missing {key}");
    }
    // --list shows inherited priority too (the reference left it null).
    let unblocker = &doc["tasks"][0];
    assert_eq!(unblocker["effective_priority"], "P1");
    assert_eq!(
        unblocker["priority_reason"],
        "Blocks P1 work: TASK-0003, TASK-0004"
    );
}

#[test]
fn filters_by_status_and_unblocker() {
    let repo = workflow_repo();
    let (_, doc, _) = repo.json(&["--list", "todo"]);
    assert_eq!(
        ids(&doc),
        vec!["TASK-0001", "TASK-0003", "TASK-0004", "TASK-0002"]
    );
    assert_eq!(doc["filter"]["status"], "todo");
    let (_, doc, _) = repo.json(&["--list", "unblocker"]);
    assert_eq!(ids(&doc), vec!["TASK-0001"]);
    assert_eq!(doc["filter"]["unblocker_only"], true);
    let (_, doc, _) = repo.json(&["--list", "completed"]);
    assert_eq!(ids(&doc), vec!["TASK-0005"]);
    let (_, doc, _) = repo.json(&["--list", "all"]);
    assert_eq!(doc["count"], 8);
    let (_, doc, _) = repo.json(&["--list", ""]);
    assert_eq!(doc["count"], 8);
}

#[test]
fn unknown_status_filter_is_empty_with_a_hint_on_stderr() {
    let repo = workflow_repo();
    let (code, doc, run) = repo.json(&["--list", "foo"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 0);
    assert_eq!(doc["filter"]["status"], "foo");
    assert_eq!(run.warnings().len(), 1);
    assert!(run.stderr.contains("known statuses"));
}

#[test]
fn custom_statuses_are_listed_and_filterable() {
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "review", "P3", "");
    let (_, doc, run) = repo.json(&["--list", "review"]);
    assert_eq!(ids(&doc), vec!["TASK-0001"]);
    assert_eq!(run.stderr, "");
}

#[test]
fn unicode_titles_round_trip() {
    let repo = TestRepo::new();
    repo.write(
        "tasks/TASK-0001.task.yaml",
        "id: TASK-0001\ntitle: \"Unicode edge case testing 🧪 with émojis\"\nstatus: todo\npriority: P1\narea: web\n",
    );
    let (_, doc, _) = repo.json(&["--list"]);
    assert_eq!(
        doc["tasks"][0]["title"],
        "Unicode edge case testing 🧪 with émojis"
    );
    let run = repo.run(&["--list"]);
    assert!(run.stdout.contains("testing 🧪 with émojis"));
}

#[test]
fn empty_repository_lists_nothing() {
    let repo = TestRepo::new();
    let run = repo.run(&["--list"]);
    // Nothing on stdout; a note on stderr says why (as `--pick` does).
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert!(
        run.stderr
            .starts_with("Note: No task files found (tasks/**/*.task.yaml"),
        "{}",
        run.stderr
    );
    // It names the root it looked in (a subdirectory without its own .git is not one).
    assert!(
        run.stderr.contains(&format!(
            "under {}, the repository root",
            repo.root().canonicalize().unwrap().display()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(repo.run(&["--list", "-q"]).stderr, "");
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 0);
    assert!(run.stderr.contains("No task files found"), "{}", run.stderr);
    assert!(
        !repo.root().join("tasks").exists(),
        "an empty repo gets no tasks/ directory"
    );
    // Where there are task files, nothing is said about them, even when none is listed.
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    let run = repo.run(&["--list", "--status", "blocked"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn duplicate_ids_active_file_wins_and_warns() {
    let repo = TestRepo::new();
    repo.task(
        "docs/completed-tasks/TASK-0001.task.yaml",
        "TASK-0001",
        "completed",
        "P1",
        "",
    )
    .task("tasks/b/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "")
    .task(
        "tasks/a/TASK-0001-other.task.yaml",
        "TASK-0001",
        "blocked",
        "P1",
        "",
    );
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["count"], 1);
    assert_eq!(doc["tasks"][0]["status"], "blocked");
    assert_eq!(
        doc["tasks"][0]["path"],
        repo.abs("tasks/a/TASK-0001-other.task.yaml")
    );
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("Duplicate task id TASK-0001"));
    assert!(warnings[0].contains("using tasks/a/TASK-0001-other.task.yaml"));
    // Tasks after the dropped duplicates are found by id at their new places, and the id of a
    // duplicate names its winner.
    repo.task(
        "tasks/c/TASK-0002.task.yaml",
        "TASK-0002",
        "todo",
        "P1",
        "blocked_by: [TASK-0001]\n",
    );
    let (code, doc, _) = repo.json(&["--explain", "TASK-0002"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["task"]["id"], "TASK-0002", "{doc}");
    assert_eq!(doc["hard_blockers"][0]["id"], "TASK-0001", "{doc}");
    assert_eq!(doc["hard_blockers"][0]["status"], "blocked", "{doc}");
    let (code, doc, _) = repo.json(&["--explain", "TASK-0001"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["task"]["status"], "blocked", "{doc}");
    assert_eq!(doc["unblocks"][0], "TASK-0002", "{doc}");
}

#[test]
fn archived_task_that_is_not_completed_warns_and_keeps_its_status() {
    let repo = TestRepo::new();
    repo.task(
        "docs/completed-tasks/TASK-0001.task.yaml",
        "TASK-0001",
        "todo",
        "P1",
        "",
    );
    let (_, doc, run) = repo.json(&["--list"]);
    assert_eq!(doc["tasks"][0]["status"], "todo");
    assert_eq!(run.warnings().len(), 1);
    assert!(
        run.stderr
            .contains("Archived task TASK-0001 has status 'todo'")
    );
}

#[test]
fn subcommand_alias_and_repo_root_from_elsewhere() {
    let repo = workflow_repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let root = repo.root().to_str().unwrap();
    let run = crate::support::run_in(
        elsewhere.path(),
        &["list", "unblocker", "--repo-root", root],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("TASK-0001\t"));
    // from a subdirectory the root is found by walking up
    let run = crate::support::run_in(&repo.root().join("tasks/web"), &["--list", "draft"]);
    assert!(run.stdout.starts_with("TASK-0006\t"));
}

#[test]
fn order_field_breaks_ties_within_a_priority() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/TASK-0001.task.yaml",
        "TASK-0001",
        "todo",
        "P1",
        "order: 9\n",
    )
    .task(
        "tasks/TASK-0002.task.yaml",
        "TASK-0002",
        "todo",
        "P1",
        "order: '2'\n",
    )
    .task("tasks/TASK-0003.task.yaml", "TASK-0003", "todo", "P1", "")
    .task(
        "tasks/TASK-0004.task.yaml",
        "TASK-0004",
        "todo",
        "P0",
        "order: 50\n",
    );
    let (_, doc, _) = repo.json(&["--list"]);
    assert_eq!(
        ids(&doc),
        vec!["TASK-0004", "TASK-0002", "TASK-0001", "TASK-0003"]
    );
    assert_eq!(doc["tasks"][1]["order"], 2);
}

#[test]
fn priority_reasons_name_five_ids_and_count_the_rest() {
    // TASK-0001 (P2) blocks 30 P0 tasks directly (a fan-in); TASK-0100 (P2) heads a chain of
    // 150 P0 tasks, more than a reason counts exactly; TASK-0002 (P2) blocks two P0 tasks.
    let repo = TestRepo::new();
    repo.task("tasks/a/TASK-0001.task.yaml", "TASK-0001", "todo", "P2", "")
        .task("tasks/a/TASK-0002.task.yaml", "TASK-0002", "todo", "P2", "")
        .task("tasks/c/TASK-0100.task.yaml", "TASK-0100", "todo", "P2", "");
    for n in 10..40 {
        let id = format!("TASK-{n:04}");
        repo.task(
            &format!("tasks/a/{id}.task.yaml"),
            &id,
            "blocked",
            "P0",
            "blocked_by: [TASK-0001]\n",
        );
    }
    for n in 50..52 {
        let id = format!("TASK-{n:04}");
        repo.task(
            &format!("tasks/b/{id}.task.yaml"),
            &id,
            "blocked",
            "P0",
            "blocked_by: [TASK-0002]\n",
        );
    }
    for n in 101..251 {
        let id = format!("TASK-{n:04}");
        repo.task(
            &format!("tasks/c/{id}.task.yaml"),
            &id,
            "blocked",
            "P0",
            &format!("blocked_by: [TASK-{:04}]\n", n - 1),
        );
    }
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let reason = |id: &str| {
        doc["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["priority_reason"].clone())
            .unwrap()
    };
    assert_eq!(
        reason("TASK-0001"),
        "Blocks P0 work: TASK-0010, TASK-0011, TASK-0012, TASK-0013, TASK-0014 and 25 more"
    );
    assert_eq!(reason("TASK-0002"), "Blocks P0 work: TASK-0050, TASK-0051");
    assert_eq!(
        reason("TASK-0100"),
        "Blocks P0 work: TASK-0101, TASK-0102, TASK-0103, TASK-0104, TASK-0105 and 95+ more"
    );
    let longest = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["priority_reason"].as_str())
        .map(str::len)
        .max()
        .unwrap();
    assert!(longest < 100, "{longest}");
    // --pick gives the same reason.
    let (_, pick, _) = repo.json(&["--pick"]);
    assert_eq!(pick["task"]["id"], "TASK-0001");
    assert_eq!(pick["task"]["priority_reason"], reason("TASK-0001"));
}

#[test]
fn list_filters_by_status_area_and_priority_and_prints_chosen_fields() {
    let repo = TestRepo::new();
    for (id, status, priority, area) in [
        ("TASK-0101", "todo", "P1", "backend"),
        ("TASK-0102", "blocked", "P2", "backend"),
        ("TASK-0103", "in_progress", "P1", "backend"),
        ("TASK-0104", "todo", "P1", "mobile"),
        ("TASK-0105", "todo", "P0", "web"),
    ] {
        repo.write(
            &format!("tasks/{area}/{id}.task.yaml"),
            format!(
                "id: {id}\ntitle: Task {id}\nstatus: {status}\npriority: {priority}\narea: {area}\n"
            ),
        );
    }
    let listed = |args: &[&str]| {
        let mut all = vec!["--list"];
        all.extend(args);
        let (code, doc, run) = repo.json(&all);
        assert_eq!(code, 0, "{}", run.stderr);
        ids(&doc)
    };
    assert_eq!(
        listed(&[
            "--status", "todo", "--status", "blocked", "--area", "backend"
        ]),
        ["TASK-0102", "TASK-0101"]
    );
    assert_eq!(
        listed(&["--status", "todo,blocked", "--area", "backend"]),
        ["TASK-0102", "TASK-0101"]
    );
    assert_eq!(
        listed(&["--priority", "P1", "--area", "backend,mobile"]),
        ["TASK-0103", "TASK-0101", "TASK-0104"]
    );
    assert_eq!(listed(&["todo", "--area", "web"]), ["TASK-0105"]);
    assert_eq!(listed(&["--area", "infra"]), Vec::<String>::new());
    let (_, doc, _) = repo.json(&["--list", "--status", "todo", "--area", "backend"]);
    assert_eq!(
        doc["filter"],
        serde_json::json!({"status": null, "unblocker_only": false, "statuses": ["todo"],
            "areas": ["backend"], "priorities": []})
    );
    // --fields: the columns of the text, in their order; the JSON keeps every field.
    let run = repo.run(&[
        "--list",
        "--area",
        "backend",
        "--fields",
        "id,status,rel_path",
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "TASK-0102\tblocked\ttasks/backend/TASK-0102.task.yaml\n\
         TASK-0103\tin_progress\ttasks/backend/TASK-0103.task.yaml\n\
         TASK-0101\ttodo\ttasks/backend/TASK-0101.task.yaml\n"
    );
    let (_, doc, _) = repo.json(&["--list", "--fields", "id"]);
    assert!(doc["tasks"][0]["title"].is_string());
    // Bad values name what is allowed; --fields is read by --list only.
    for (args, needle) in [
        (
            vec!["--list", "--status", "done"],
            "draft, todo, in_progress, blocked, completed",
        ),
        (vec!["--list", "--fields", "id,size"], "effective_priority"),
        (vec!["--list", "--fields", ","], "at least one column"),
    ] {
        let (code, doc, _) = repo.json(&args);
        assert_eq!(code, 10, "{args:?}");
        assert!(
            doc["error"]["message"].as_str().unwrap().contains(needle),
            "{doc}"
        );
    }
    let (code, _, _) = repo.json(&["--pick", "--fields", "id"]);
    assert_eq!(code, 2);
}

#[test]
fn an_empty_filter_is_refused_not_taken_for_any() {
    let repo = workflow_repo();
    for args in [
        vec!["--list", "--area", ""],
        vec!["--list", "--priority", ",,"],
        vec!["--list", "--status", " "],
    ] {
        let (code, doc, _) = repo.json(&args);
        assert_eq!(code, 10, "{args:?}: {doc}");
    }
}

#[test]
fn a_long_json_listing_is_the_text_listing_row_for_row() {
    // 700 tasks: more than five batches of rows, so the helper thread renders some of them.
    // A chain every tenth task makes some priorities inherited, with reasons.
    let repo = TestRepo::new();
    for i in 0..700 {
        let extra = if i % 10 == 1 {
            format!("blocked_by: [TASK-{:04}]\n", i - 1)
        } else {
            String::new()
        };
        let (status, priority) = match i % 10 {
            0 => ("todo", "P2"),
            1 => ("blocked", "P0"),
            _ => ("todo", "P1"),
        };
        let id = format!("TASK-{i:04}");
        repo.write(
            &format!("tasks/area{}/{id}.task.yaml", i % 3),
            format!(
                "id: {id}\ntitle: \"Row {i} \\\"quoted\\\" \\u00e9\"\nstatus: {status}\npriority: {priority}\narea: backend\n{extra}"
            ),
        );
    }
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let rows = doc["tasks"].as_array().expect("rows");
    assert_eq!(rows.len(), 700);
    assert_eq!(doc["count"], 700);
    let text = repo.run(&["--list"]);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 700);
    for (row, line) in rows.iter().zip(&lines) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(row["id"], fields[0], "{line}");
        assert_eq!(row["status"], fields[1], "{line}");
        assert_eq!(row["path"], fields[2], "{line}");
        assert_eq!(row["title"], fields[3], "{line}");
        let id = row["id"].as_str().unwrap();
        let n: usize = id[5..].parse().unwrap();
        assert_eq!(
            row["path"],
            repo.abs(&format!("tasks/area{}/{id}.task.yaml", n % 3))
        );
        // The tasks a P0 blocker blocks make it inherit: its reason names them.
        if n.is_multiple_of(10) {
            assert_eq!(row["effective_priority"], "P0", "{row}");
            assert_eq!(
                row["priority_reason"],
                format!("Blocks P0 work: TASK-{:04}", n + 1),
                "{row}"
            );
        } else {
            assert_eq!(row["priority_reason"], serde_json::Value::Null, "{row}");
        }
    }
}

#[test]
fn a_large_listing_finds_its_reasons_beside_the_sort() {
    // 2,100 tasks: the reasons are found on a second thread while the tasks are sorted (from
    // 2,000). A P0 task waits on a chain that starts with an unblocker; a P1 task waits on one
    // other task.
    let repo = TestRepo::new();
    for i in 0..2100 {
        let (priority, extra) = match i {
            99 => ("P2", "unblocker: true\n"),
            100 => ("P2", "blocked_by: [TASK-0099]\n"),
            2050 => ("P0", "blocked_by: [TASK-0100]\n"),
            1500 => ("P1", "blocked_by: [TASK-0200]\n"),
            _ => ("P2", ""),
        };
        repo.task(
            &format!("tasks/TASK-{i:04}.task.yaml"),
            &format!("TASK-{i:04}"),
            "todo",
            priority,
            extra,
        );
    }
    let (code, doc, run) = repo.json(&["--list"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let rows = doc["tasks"].as_array().expect("rows");
    assert_eq!(rows.len(), 2100);
    let row = |n: usize| {
        let r = &rows[n];
        (
            r["id"].as_str().unwrap().to_string(),
            r["effective_priority"].as_str().unwrap().to_string(),
            r["priority_reason"].as_str().map(str::to_string),
        )
    };
    let reason = |text: &str| Some(text.to_string());
    let first: Vec<_> = (0..6).map(row).collect();
    assert_eq!(
        first,
        [
            (
                "TASK-0099".into(),
                "P0".into(),
                reason("Blocks P0 work: TASK-2050")
            ),
            ("TASK-2050".into(), "P0".into(), None),
            (
                "TASK-0100".into(),
                "P0".into(),
                reason("Blocks P0 work: TASK-2050")
            ),
            ("TASK-1500".into(), "P1".into(), None),
            (
                "TASK-0200".into(),
                "P1".into(),
                reason("Blocks P1 work: TASK-1500")
            ),
            ("TASK-0000".into(), "P2".into(), None),
        ]
    );
    // The rest in id order, none inheriting.
    let rest: Vec<String> = (5..2100).map(|n| row(n).0).collect();
    let mut sorted = rest.clone();
    sorted.sort();
    assert_eq!(rest, sorted);
    assert!((5..2100).all(|n| row(n).2.is_none()));
}
