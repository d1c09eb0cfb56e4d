use crate::list::workflow_repo;
use crate::support::TestRepo;
use serde_json::Value;

#[test]
fn text_prints_the_path_and_draft_warnings_on_stderr() {
    let repo = workflow_repo();
    let run = repo.run(&["--pick"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!(
            "{}\n",
            repo.abs("tasks/backend/TASK-0001-unblock.task.yaml")
        )
    );
    assert_eq!(
        run.stderr,
        "WARNING: 1 draft task(s) require clarification before new work is picked.\n  - TASK-0006 \u{2014} Task TASK-0006: no downstream tasks blocked\n"
    );
}

#[test]
fn json_explains_the_choice() {
    let repo = workflow_repo();
    let (code, doc, run) = repo.json(&["--pick"]);
    assert_eq!(code, 0);
    assert_eq!(run.stderr, "", "draft warnings are text-mode only");
    assert_eq!(doc["status"], "success");
    assert_eq!(doc["reason"], "unblocker");
    assert_eq!(doc["task"]["id"], "TASK-0001");
    assert_eq!(doc["task"]["priority"], "P2");
    assert_eq!(doc["task"]["effective_priority"], "P1");
    assert_eq!(
        doc["task"]["priority_reason"],
        "Blocks P1 work: TASK-0003, TASK-0004"
    );
    assert!(doc["snapshot_id"].as_u64().unwrap() >= 1);
    assert_eq!(doc["draft_alerts"]["has_drafts"], true);
    assert_eq!(doc["draft_alerts"]["draft_count"], 1);
    assert_eq!(doc["draft_alerts"]["drafts"][0]["id"], "TASK-0006");
    assert!(doc["generated_at"].is_string());
}

#[test]
fn prefix_and_alias_forms_pick_the_same() {
    let repo = workflow_repo();
    let a = repo.run(&["--pick"]).stdout;
    assert_eq!(repo.run(&["--pic"]).stdout, a);
    assert_eq!(repo.run(&["pick"]).stdout, a);
}

fn picked(repo: &TestRepo, args: &[&str]) -> Value {
    let mut all = vec!["--pick"];
    all.extend_from_slice(args);
    let (code, doc, run) = repo.json(&all);
    assert_eq!(code, 0, "{}\n{}", run.stdout, run.stderr);
    doc
}

#[test]
fn priority_is_inherited_across_a_three_hop_chain() {
    // A blocks B blocks C blocks D (P0): A is picked as P0 work.
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0010.task.yaml", "TASK-0010", "todo", "P2", "")
        .task(
            "tasks/TASK-0011.task.yaml",
            "TASK-0011",
            "todo",
            "P2",
            "blocked_by: [TASK-0010]\n",
        )
        .task(
            "tasks/TASK-0012.task.yaml",
            "TASK-0012",
            "todo",
            "P2",
            "blocked_by: [TASK-0011]\n",
        )
        .task(
            "tasks/TASK-0013.task.yaml",
            "TASK-0013",
            "todo",
            "P0",
            "blocked_by: [TASK-0012]\n",
        )
        .task("tasks/TASK-0020.task.yaml", "TASK-0020", "todo", "P1", "");
    let doc = picked(&repo, &[]);
    assert_eq!(doc["task"]["id"], "TASK-0010");
    assert_eq!(doc["reason"], "priority_inherited");
    assert_eq!(doc["task"]["effective_priority"], "P0");
    assert_eq!(doc["task"]["priority_reason"], "Blocks P0 work: TASK-0013");
    // every link of the chain shows the inheritance in --list
    let (_, list, _) = repo.json(&["--list"]);
    for t in list["tasks"].as_array().unwrap() {
        let expected = match t["id"].as_str().unwrap() {
            "TASK-0010" | "TASK-0011" | "TASK-0012" | "TASK-0013" => "P0",
            _ => "P1",
        };
        assert_eq!(t["effective_priority"], expected, "{}", t["id"]);
    }
}

#[test]
fn priority_is_inherited_through_a_diamond() {
    // R blocks L and M; both block X (P0); M also blocks Y (P0); L blocks Z (P1).
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0100.task.yaml", "TASK-0100", "todo", "P2", "")
        .task(
            "tasks/TASK-0101.task.yaml",
            "TASK-0101",
            "todo",
            "P2",
            "blocked_by: [TASK-0100]\n",
        )
        .task(
            "tasks/TASK-0102.task.yaml",
            "TASK-0102",
            "todo",
            "P2",
            "blocked_by: [TASK-0100]\n",
        )
        .task(
            "tasks/TASK-0103.task.yaml",
            "TASK-0103",
            "todo",
            "P0",
            "blocked_by: [TASK-0101, TASK-0102]\n",
        )
        .task(
            "tasks/TASK-0104.task.yaml",
            "TASK-0104",
            "todo",
            "P0",
            "blocked_by: [TASK-0102]\n",
        )
        .task(
            "tasks/TASK-0105.task.yaml",
            "TASK-0105",
            "todo",
            "P1",
            "blocked_by: [TASK-0101]\n",
        )
        .task("tasks/TASK-0200.task.yaml", "TASK-0200", "todo", "P1", "");
    let doc = picked(&repo, &[]);
    assert_eq!(doc["task"]["id"], "TASK-0100");
    assert_eq!(
        doc["task"]["priority_reason"],
        "Blocks P0 work: TASK-0103, TASK-0104"
    );
    let (_, list, _) = repo.json(&["--list"]);
    let reason = |id: &str| {
        list["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["priority_reason"]
            .clone()
    };
    assert_eq!(reason("TASK-0101"), "Blocks P0 work: TASK-0103");
    assert_eq!(reason("TASK-0102"), "Blocks P0 work: TASK-0103, TASK-0104");
    assert_eq!(reason("TASK-0105"), Value::Null);
}

#[test]
fn status_filters_and_reasons() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/TASK-0010.task.yaml",
        "TASK-0010",
        "blocked",
        "P2",
        "",
    )
    .task(
        "tasks/TASK-0011.task.yaml",
        "TASK-0011",
        "in_progress",
        "P1",
        "",
    )
    .task("tasks/TASK-0012.task.yaml", "TASK-0012", "todo", "P0", "");
    let doc = picked(&repo, &[]);
    assert_eq!(
        (doc["task"]["id"].as_str(), doc["reason"].as_str()),
        (Some("TASK-0010"), Some("blocked_manual_intervention"))
    );
    let doc = picked(&repo, &["todo"]);
    assert_eq!(
        (doc["task"]["id"].as_str(), doc["reason"].as_str()),
        (Some("TASK-0012"), Some("highest_priority"))
    );
    let doc = picked(&repo, &["in_progress"]);
    assert_eq!(
        (doc["task"]["id"].as_str(), doc["reason"].as_str()),
        (Some("TASK-0011"), Some("in_progress_resume"))
    );
    let doc = picked(&repo, &["auto"]);
    assert_eq!(doc["task"]["id"], "TASK-0010");
}

#[test]
fn unblocker_filter_picks_unblockers_only() {
    let repo = workflow_repo();
    let doc = picked(&repo, &["unblocker"]);
    assert_eq!(doc["task"]["id"], "TASK-0001");
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P0", "");
    let (code, doc, _) = repo.json(&["--pick", "unblocker"]);
    assert_eq!(code, 1);
    assert_eq!(doc["status"], "no_ready_tasks");
}

#[test]
fn nothing_ready_exits_1() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/TASK-0001.task.yaml",
        "TASK-0001",
        "todo",
        "P0",
        "blocked_by: [TASK-0002]\n",
    )
    .task(
        "tasks/TASK-0002.task.yaml",
        "TASK-0002",
        "todo",
        "P0",
        "blocked_by: [TASK-0001]\n",
    )
    .task(
        "docs/completed-tasks/TASK-0003.task.yaml",
        "TASK-0003",
        "completed",
        "P0",
        "",
    );
    let run = repo.run(&["--pick"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (1, "", "No ready tasks found\n")
    );
    let (code, doc, _) = repo.json(&["--pick"]);
    assert_eq!(code, 1);
    assert_eq!(doc["status"], "no_ready_tasks");
    assert_eq!(doc["message"], "No ready tasks found");
    assert_eq!(doc["task"], Value::Null);
    assert_eq!(doc["draft_alerts"]["draft_count"], 0);
}

#[test]
fn empty_repository_has_nothing_to_pick() {
    let repo = TestRepo::new();
    let (code, doc, _) = repo.json(&["--pick"]);
    assert_eq!(code, 1);
    assert_eq!(doc["status"], "no_ready_tasks");
}

#[test]
fn blocked_unblocker_halts_cleanly_with_exit_2() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/TASK-0200.task.yaml",
        "TASK-0200",
        "blocked",
        "P1",
        "unblocker: true\nblocked_reason: Waiting on vendor\n",
    )
    .task(
        "tasks/TASK-0201.task.yaml",
        "TASK-0201",
        "blocked",
        "P1",
        "unblocker: yes\n",
    )
    .task("tasks/TASK-0202.task.yaml", "TASK-0202", "todo", "P0", "");
    let run = repo.run(&["--pick"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("WORKFLOW HALTED: 2 unblocker task(s) blocked."),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("  - TASK-0200: Waiting on vendor\n"));
    assert!(
        run.stderr
            .contains("  - TASK-0201: (no reason specified)\n")
    );
    // A halt is why the pick failed, not a note: `--quiet` still says it.
    let quiet = repo.run(&["--pick", "-q"]);
    assert_eq!(quiet.code, 2);
    assert_eq!(quiet.stdout, "");
    assert_eq!(quiet.stderr, run.stderr);
    let (code, doc, _) = repo.json(&["--pick"]);
    assert_eq!(code, 2);
    assert_eq!(doc["halt"], true);
    assert_eq!(doc["type"], "blocked_unblocker");
    assert_eq!(doc["tasks"], serde_json::json!(["TASK-0200", "TASK-0201"]));
    // `unblocker: no` is false: such a blocked task does not halt anything
    let repo = TestRepo::new();
    repo.task(
        "tasks/TASK-0300.task.yaml",
        "TASK-0300",
        "blocked",
        "P1",
        "unblocker: no\n",
    );
    assert_eq!(repo.run(&["--pick"]).code, 0);
}

#[test]
fn drafts_are_never_picked_and_depends_on_drafts_filters_out() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/TASK-0400.task.yaml",
        "TASK-0400",
        "draft",
        "P0",
        "unblocker: true\n",
    )
    .task("tasks/TASK-0401.task.yaml", "TASK-0401", "draft", "P1", "")
    .task(
        "tasks/TASK-0402.task.yaml",
        "TASK-0402",
        "todo",
        "P1",
        "blocked_by: [TASK-0401]\n",
    )
    .task(
        "tasks/TASK-0403.task.yaml",
        "TASK-0403",
        "todo",
        "P0",
        "depends_on: [TASK-0401, TASK-0400]\n",
    )
    .task(
        "tasks/TASK-0404.task.yaml",
        "TASK-0404",
        "blocked",
        "P1",
        "blocked_by: [TASK-0400]\ndepends_on: [TASK-0400]\n",
    )
    .task(
        "tasks/TASK-0405.task.yaml",
        "TASK-0405",
        "todo",
        "P2",
        "order: 5\n",
    )
    .task(
        "tasks/TASK-0406.task.yaml",
        "TASK-0406",
        "todo",
        "P0",
        "blocked_by: [TASK-0405]\n",
    )
    .task(
        "tasks/TASK-0407.task.yaml",
        "TASK-0407",
        "todo",
        "P1",
        "order: 1\n",
    );
    let doc = picked(&repo, &[]);
    assert_eq!(doc["task"]["id"], "TASK-0405");
    assert_eq!(doc["reason"], "priority_inherited");
    assert_eq!(doc["task"]["priority_reason"], "Blocks P0 work: TASK-0406");
    let alerts = &doc["draft_alerts"];
    assert_eq!(alerts["draft_count"], 2);
    assert_eq!(alerts["draft_unblockers"][0]["id"], "TASK-0400");
    assert_eq!(
        alerts["violations"]["missing_blocked_by"],
        serde_json::json!([
            {"task_id": "TASK-0403", "task_status": "todo", "draft_id": "TASK-0400"},
            {"task_id": "TASK-0403", "task_status": "todo", "draft_id": "TASK-0401"}
        ])
    );
    assert_eq!(
        alerts["violations"]["needs_blocked_status"][0]["task_id"],
        "TASK-0402"
    );
    assert_eq!(alerts["filtered_out_by_picker"][0]["task_id"], "TASK-0403");
    assert_eq!(alerts["downstream"][0]["draft_id"], "TASK-0400");
    assert_eq!(
        alerts["downstream"][0]["blocked_by"][0]["task_id"],
        "TASK-0404"
    );
    assert_eq!(
        alerts["downstream"][1]["depends_on_only"][0]["task_id"],
        "TASK-0403"
    );

    let run = repo.run(&["--pick"]);
    assert!(
        run.stderr
            .starts_with("WARNING: 2 draft task(s) require clarification")
    );
    assert!(
        run.stderr
            .contains("  CRITICAL: Draft unblocker tasks detected!\n")
    );
    assert!(
        run.stderr
            .contains("    - TASK-0400 (P0) \u{2014} Task TASK-0400\n")
    );
    assert!(run.stderr.contains("  - TASK-0401 \u{2014} Task TASK-0401: 1 downstream task(s) blocked; 1 downstream task(s) missing blocked_by\n"));
    assert!(
        run.stderr
            .contains("    - TASK-0403 (status=todo) \u{2192} draft TASK-0400\n")
    );
    assert!(
        run.stderr
            .contains("    - TASK-0402 currently 'todo' \u{2192} draft TASK-0401\n")
    );
    assert!(
        run.stderr
            .contains("The picker skipped tasks missing blocked_by linkage")
    );
}

#[test]
fn an_unknown_status_filter_gets_a_hint() {
    let repo = workflow_repo();
    let (code, doc, run) = repo.json(&["--pick", "todoo"]);
    assert_eq!(code, 1);
    assert_eq!(doc["status"], "no_ready_tasks");
    assert_eq!(run.warnings().len(), 1);
    assert!(run.stderr.contains("no task has status 'todoo'"));
}

#[test]
fn a_draft_is_warned_about_once_a_day_and_quiet_prints_no_warning() {
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "")
        .task("tasks/TASK-0002.task.yaml", "TASK-0002", "draft", "P1", "");
    let pick = |now: &str, extra: &[&str]| {
        let mut args = vec!["--pick"];
        args.extend(extra);
        repo.run_env(&args, &[("TASKS_NOW", now)])
    };
    let first = pick("2026-11-29T09:00:00Z", &[]);
    assert_eq!(first.code, 0);
    assert!(first.stderr.contains("1 draft task(s)"), "{}", first.stderr);
    let again = pick("2026-11-29T17:00:00Z", &[]);
    assert_eq!(again.code, 0);
    assert!(!again.stderr.contains("draft"), "{}", again.stderr);
    // The JSON always has the drafts.
    let run = repo.run_env(
        &["--pick", "--format", "json"],
        &[("TASKS_NOW", "2026-11-29T18:00:00Z")],
    );
    assert_eq!(run.json()["draft_alerts"]["draft_count"], 1);
    // The next day, once more; with --quiet, never.
    let quiet = pick("2026-11-30T09:00:00Z", &["--quiet"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
    let next = pick("2026-11-30T10:00:00Z", &[]);
    assert!(next.stderr.contains("1 draft task(s)"), "{}", next.stderr);
    // Errors still print with --quiet.
    let run = repo.run(&["--explain", "TASK-0404", "-q"]);
    assert_eq!(run.code, 40);
    assert!(run.stderr.contains("E040"));
}

#[test]
fn a_pick_in_a_repository_without_task_files_says_none_were_found() {
    let repo = TestRepo::new();
    let run = repo.run(&["--pick"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("Note: No task files found (tasks/**/*.task.yaml"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("No ready tasks found"),
        "{}",
        run.stderr
    );
    // Where there are task files, nothing is said about them.
    repo.task(
        "tasks/TASK-0001.task.yaml",
        "TASK-0001",
        "completed",
        "P1",
        "",
    );
    let run = repo.run(&["--pick"]);
    assert_eq!(run.code, 1);
    assert!(
        !run.stderr.contains("No task files found"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_large_pick_finds_the_same_draft_alerts_on_its_second_thread() {
    // 2,100 tasks: the draft alerts are found on a thread of their own (from 2,000).
    let repo = TestRepo::new();
    for i in 0..2100 {
        let (status, extra) = match i {
            5 => ("draft", String::new()),
            6 => ("blocked", "blocked_by: [TASK-0005]\n".to_string()),
            7 => ("draft", "unblocker: true\n".to_string()),
            _ => ("todo", String::new()),
        };
        repo.task(
            &format!("tasks/TASK-{i:04}.task.yaml"),
            &format!("TASK-{i:04}"),
            status,
            "P2",
            &extra,
        );
    }
    let (code, doc, run) = repo.json(&["--pick"]);
    assert_eq!(code, 0, "{}", run.stderr);
    let alerts = &doc["draft_alerts"];
    assert_eq!(alerts["draft_count"], 2, "{alerts}");
    let drafts: Vec<&str> = (alerts["drafts"].as_array().unwrap().iter())
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(drafts, ["TASK-0005", "TASK-0007"]);
    assert_eq!(alerts["draft_unblockers"][0]["id"], "TASK-0007", "{alerts}");
    assert_eq!(alerts["downstream"][0]["draft_id"], "TASK-0005", "{alerts}");
    assert_eq!(
        alerts["downstream"][0]["blocked_by"][0]["task_id"], "TASK-0006",
        "{alerts}"
    );
    assert_eq!(
        alerts["downstream"][0]["blocked_by"][0]["path"],
        repo.abs("tasks/TASK-0006.task.yaml")
    );
    // Neither a draft nor the task waiting on one is picked.
    assert_eq!(doc["task"]["id"], "TASK-0000", "{}", doc["task"]);
}

/// What a pick prints, the time aside: exit code, JSON document, text stdout.
fn pick_outputs(repo: &TestRepo, filter: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let args: Vec<&str> = ["--pick"].iter().chain(filter).copied().collect();
    let json: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    let run = repo.run_env(&json, env);
    let mut doc: Value = serde_json::from_str(&run.stdout).expect(&run.stdout);
    doc.as_object_mut().unwrap().remove("generated_at");
    let text = repo.run_env(&args, env);
    assert_eq!(run.code, text.code);
    (run.code, doc, text.stdout)
}

#[test]
fn a_remembered_pick_prints_what_a_pick_worked_out_afresh_does() {
    let repo = workflow_repo();
    let cache = repo.root().join("tasks/.cache");
    let memo = cache.join("pick-memo.v1.bin");
    let traced = [("TASKS_TRACE_TIME", "1")];
    let filters: [&[&str]; 5] = [
        &[],
        &["unblocker"],
        &["todo"],
        &["in_progress"],
        &["blocked"],
    ];
    // In each state of the repository, for each filter: a pick with the memo of another state
    // (or filter), a pick with no cache at all, then one answered from the memo the last left.
    let check = |state: &str| {
        for filter in filters {
            let stale = pick_outputs(&repo, filter, &[]);
            std::fs::remove_dir_all(&cache).unwrap();
            let fresh = pick_outputs(&repo, filter, &[]);
            assert!(
                memo.is_file(),
                "{state} {filter:?}: a pick remembers its answer"
            );
            let recalled = pick_outputs(&repo, filter, &traced);
            assert_eq!(
                stale, fresh,
                "{state} {filter:?}: with another state's memo"
            );
            assert_eq!(recalled, fresh, "{state} {filter:?}: recalled");
            // It was recalled, not worked out again: no walk of the graph.
            let args: Vec<&str> = ["--pick"].iter().chain(filter).copied().collect();
            let run = repo.run_env(&args, &traced);
            assert!(run.stderr.contains("pick: recall"), "{}", run.stderr);
            assert!(!run.stderr.contains("pick: graph"), "{}", run.stderr);
        }
    };
    check("as made");
    let first = pick_outputs(&repo, &[], &[]).1;
    assert_eq!(first["task"]["id"], "TASK-0001");

    // The task it picks quarantined: another pick, though no task file changed.
    let run = repo.run(&["--quarantine-task", "TASK-0001", "--reason", "manual"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    check("TASK-0001 quarantined");
    assert_ne!(pick_outputs(&repo, &[], &[]).1["task"]["id"], "TASK-0001");

    // A task file edited (priorities and what is inherited change), one added, one claimed.
    let path = "tasks/backend/TASK-0002.task.yaml";
    repo.write(
        path,
        repo.read(path).replace("priority: P2", "priority: P0"),
    );
    repo.task(
        "tasks/web/TASK-0012.task.yaml",
        "TASK-0012",
        "todo",
        "P1",
        "blocked_by: [TASK-0002]\n",
    );
    check("edited and added");
    let resumed = || pick_outputs(&repo, &["in_progress"], &[]).1["task"]["id"].clone();
    assert_eq!(resumed(), "TASK-0007");
    let run = repo.run(&["--claim", "TASK-0002"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    check("claimed");
    assert_eq!(
        resumed(),
        "TASK-0002",
        "claimed, P0, before TASK-0007 by id"
    );

    // A damaged memo is worked out again, and rewritten.
    let good = std::fs::read(&memo).unwrap();
    std::fs::write(&memo, &good[..good.len() / 2]).unwrap();
    let run = repo.run_env(&["--pick", "--format", "json"], &traced);
    assert!(run.stderr.contains("pick: graph"), "{}", run.stderr);
    assert_eq!(run.code, 0);
    assert!(!run.stderr.contains("Warning"), "{}", run.stderr);
    check("after a damaged memo");
}

#[test]
fn a_bug_while_remembering_the_answer_leaves_the_pick_standing() {
    let repo = workflow_repo();
    let (code, expected, _) = repo.json(&["--pick"]);
    assert_eq!(code, 0);
    let memo = repo.root().join("tasks/.cache/pick-memo.v1.bin");
    // Once the cache has settled (its directories' listings are trusted after 2 s, and saved
    // once more), the memo's write holds a pick's first steps of a state change.
    std::thread::sleep(std::time::Duration::from_millis(2_300));
    repo.run(&["--pick"]);
    std::fs::remove_file(&memo).unwrap();
    for at in ["1", "2"] {
        let run = repo.run_env(&["--pick", "--format", "json"], &[("TASKS_PANIC_AT", at)]);
        assert_eq!(run.code, 0, "step {at}: {}\n{}", run.stdout, run.stderr);
        let mut doc: Value = serde_json::from_str(&run.stdout).unwrap();
        doc.as_object_mut().unwrap().remove("generated_at");
        let mut expected = expected.clone();
        expected.as_object_mut().unwrap().remove("generated_at");
        assert_eq!(doc, expected, "step {at}");
        assert!(
            run.stderr
                .contains("Warning: the pick's answer was not remembered"),
            "step {at}: {}",
            run.stderr
        );
        assert!(!memo.exists(), "step {at}");
    }
}
