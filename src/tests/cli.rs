use super::*;
use crate::error::ErrorCode;

fn args(list: &[&str]) -> Vec<OsString> {
    std::iter::once("tasks")
        .chain(list.iter().copied())
        .map(OsString::from)
        .collect()
}

/// The parsed command, as its debug form (`List("todo")`), and its flag.
fn command(list: &[&str]) -> (String, &'static str) {
    match parse(args(list)) {
        Parsed::Run(inv) => (format!("{:?}", inv.verb), inv.verb.info().flag),
        other => panic!("{list:?}: {other:?}"),
    }
}

fn usage_error(list: &[&str]) -> Error {
    match parse(args(list)) {
        Parsed::Usage { error, .. } => error,
        other => panic!("{list:?}: {other:?}"),
    }
}

#[test]
fn prefixes_expand_and_exact_names_win() {
    assert_eq!(command(&["--pic"]), ("Pick(\"auto\")".into(), "pick"));
    assert_eq!(
        command(&["--list", "todo"]),
        ("List(Query { filter: \"todo\", statuses: [], areas: [], priorities: [], fields: None })".into(), "list")
    );
    assert_eq!(command(&["--expl=TASK-1"]).1, "explain");
    let Parsed::Run(inv) = parse(args(&["--list", "--form", "json"])) else {
        panic!()
    };
    assert_eq!(inv.format, Format::Json);
}

#[test]
fn word_forms_work_anywhere_after_the_global_options() {
    assert_eq!(
        command(&["list", "todo"]).0,
        "List(Query { filter: \"todo\", statuses: [], areas: [], priorities: [], fields: None })"
    );
    assert_eq!(command(&["pick"]).0, "Pick(\"auto\")");
    assert_eq!(command(&["--format", "json", "pick"]).1, "pick");
    assert_eq!(command(&["--repo-root", "/x", "list"]).1, "list");
    assert_eq!(command(&["--repo-root=/x", "validate"]).1, "validate");
    assert_eq!(command(&["graph"]).1, "graph");
    assert_eq!(command(&["explain", "TASK-1"]).1, "explain");
    assert_eq!(command(&["lint", "a.task.yaml"]).1, "lint");
    for (words, flag) in [
        (["context", "init"], "init-context"),
        (["context", "get"], "get-context"),
        (["context", "purge"], "purge-context"),
        (["context", "rebuild"], "rebuild-context"),
        (["context", "verify"], "verify-worktree"),
        (["quarantine", "release"], "release-quarantine"),
        (["quarantine", "repair"], "repair-quarantined"),
        (["exceptions", "resolve"], "resolve-exception"),
    ] {
        assert_eq!(
            command(&[words[0], words[1], "TASK-1"]).1,
            flag,
            "{words:?}"
        );
    }
    assert_eq!(command(&["exceptions", "list"]).1, "list-exceptions");
    assert_eq!(command(&["quarantine", "list"]).1, "list-quarantined");
    assert_eq!(
        command(&[
            "context", "update", "TASK-1", "--agent", "reviewer", "--status", "done"
        ])
        .1,
        "update-agent"
    );
    assert_eq!(
        command(&[
            "context",
            "block",
            "TASK-1",
            "--agent",
            "reviewer",
            "--finding",
            "x"
        ])
        .1,
        "mark-blocked"
    );
    let (debug, flag) = command(&[
        "context",
        "diff",
        "TASK-1",
        "--agent",
        "reviewer",
        "--incremental",
    ]);
    assert_eq!(flag, "get-diff");
    assert!(debug.contains("Incremental"), "{debug}");
    // A value of a command flag is never a word form.
    assert_eq!(
        command(&["--list", "pick"]).0,
        "List(Query { filter: \"pick\", statuses: [], areas: [], priorities: [], fields: None })"
    );
}

#[test]
fn two_commands_or_none_are_usage_errors() {
    for bad in [&["--list", "--pick"][..], &[], &["--bogus"]] {
        assert_eq!(usage_error(bad).exit, 2, "{bad:?}");
    }
}

#[test]
fn bad_values_are_e002_exit_10_everywhere() {
    for bad in [
        &["--format", "xml", "--list"][..],
        &["--explain", "../x"],
        &[
            "--update-agent",
            "TASK-1",
            "--agent",
            "boss",
            "--status",
            "done",
        ],
        &[
            "--get-diff",
            "TASK-1",
            "--agent",
            "reviewer",
            "--diff-type",
            "sideways",
        ],
        &["--quarantine-task", "TASK-1", "--reason", "bored"],
        &[
            "--update-agent",
            "TASK-1",
            "--agent",
            "reviewer",
            "--status",
            "sleeping",
        ],
        &["--list-exceptions", "--status", "nope"],
    ] {
        let error = usage_error(bad);
        assert_eq!(
            (error.code, error.exit),
            (ErrorCode::E002, 10),
            "{bad:?}: {error:?}"
        );
    }
    let error = usage_error(&[
        "--update-agent",
        "TASK-1",
        "--agent",
        "boss",
        "--status",
        "done",
    ]);
    assert_eq!(
        error.details.get("expected"),
        Some(&serde_json::json!(["implementer", "reviewer", "validator"]))
    );
}

#[test]
fn options_a_command_does_not_read_are_usage_errors_naming_their_commands() {
    let error = usage_error(&["--pick", "--status", "todo"]);
    assert_eq!(error.exit, 2);
    assert!(
        error
            .message
            .contains("--status is not an option of --pick")
            && error.message.contains("--list-exceptions"),
        "{}",
        error.message
    );
    assert_eq!(usage_error(&["--graph", "--actor", "me"]).exit, 2);
    assert_eq!(
        usage_error(&["--get-context", "TASK-1", "--agent", "implementer"]).exit,
        2
    );
    // Global options go with everything.
    assert_eq!(command(&["--list", "--format", "json"]).1, "list");
}

#[test]
fn usage_errors_know_json_was_requested() {
    match parse(args(&["--list", "--pick", "--format", "json"])) {
        Parsed::Usage { format, error, .. } => {
            assert_eq!(format, Format::Json);
            assert!(error.message.contains("--pick"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn repeated_option_last_wins() {
    let Parsed::Run(inv) = parse(args(&["--list", "--format", "json", "--format", "text"])) else {
        panic!()
    };
    assert_eq!(inv.format, Format::Text);
}

#[test]
fn ambiguity_lists_the_candidates() {
    let err = expand_prefixes(&args(&["--lis"]), &long_names(&definition())).unwrap_err();
    assert_eq!(
        err.message,
        "ambiguous option: --lis could match --list, --list-exceptions, --list-quarantined, --list-evidence, --list-validation"
    );
}

#[test]
fn every_command_flag_has_its_table_entry_and_reads_only_real_options() {
    let cmd = definition();
    let commands: Vec<String> = cmd
        .get_groups()
        .filter(|g| g.get_id() == "verb")
        .flat_map(|g| g.get_args())
        .filter_map(|id| cmd.get_arguments().find(|a| a.get_id() == id))
        .filter_map(|a| a.get_long().map(str::to_string))
        .filter(|l| !["completions", "man", "schema"].contains(&l.as_str()))
        .collect();
    let table: Vec<&str> = FAMILIES
        .iter()
        .flat_map(|(_, c)| c.iter().map(|c| c.flag))
        .collect();
    assert_eq!(commands.len(), table.len(), "{commands:?} vs {table:?}");
    for flag in &commands {
        assert!(
            table.contains(&flag.as_str()),
            "--{flag} has no CommandInfo"
        );
    }
    let longs = long_names(&definition());
    for info in FAMILIES.iter().flat_map(|(_, c)| c.iter()) {
        for option in info.reads {
            assert!(
                longs.iter().any(|l| l == option),
                "--{}: --{option}",
                info.flag
            );
            assert!(
                !commands.iter().any(|c| c == option),
                "--{}: --{option}",
                info.flag
            );
        }
    }
}

#[test]
fn help_and_version_print() {
    assert!(
        matches!(parse(args(&["--help"])), Parsed::Print { text: s, .. } if s.contains("tasks --COMMAND --help"))
    );
    assert!(
        matches!(parse(args(&["--pick", "--help"])), Parsed::Print { text: s, .. } if s.starts_with("tasks --pick"))
    );
    assert!(
        matches!(parse(args(&["--version"])), Parsed::Print { text: s, .. } if s.starts_with("tasks "))
    );
}
