use super::*;

fn args(list: &[&str]) -> Vec<OsString> {
    std::iter::once("tasks")
        .chain(list.iter().copied())
        .map(OsString::from)
        .collect()
}

fn command(list: &[&str]) -> Command {
    match parse(args(list)) {
        Parsed::Run(inv) => inv.command,
        other => panic!("{other:?}"),
    }
}

#[test]
fn prefixes_expand_and_exact_names_win() {
    assert_eq!(
        command(&["--pic"]),
        Command::Pick {
            filter: "auto".into()
        }
    );
    assert_eq!(
        command(&["--list", "todo"]),
        Command::List {
            filter: "todo".into()
        }
    );
    assert_eq!(
        command(&["--expl=TASK-1"]),
        Command::Explain {
            id: "TASK-1".into()
        }
    );
    let Parsed::Run(inv) = parse(args(&["--list", "--form", "json"])) else {
        panic!()
    };
    assert_eq!(inv.format, Format::Json);
}

#[test]
fn aliases_rewrite_to_flags() {
    assert_eq!(
        command(&["list", "todo"]),
        Command::List {
            filter: "todo".into()
        }
    );
    assert_eq!(
        command(&["pick"]),
        Command::Pick {
            filter: "auto".into()
        }
    );
}

#[test]
fn two_commands_or_none_are_usage_errors() {
    for bad in [
        &["--list", "--pick"][..],
        &[],
        &["--bogus"],
        &["--format", "xml", "--list"],
    ] {
        match parse(args(bad)) {
            Parsed::Usage { error, .. } => assert_eq!(error.exit, 2, "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
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
    let err = expand_prefixes(&args(&["--lis"]), &long_names()).unwrap_err();
    assert_eq!(
        err.message,
        "ambiguous option: --lis could match --list, --list-exceptions, --list-quarantined"
    );
}

#[test]
fn help_and_version_print() {
    assert!(matches!(parse(args(&["--help"])), Parsed::Print(s) if s.contains("Examples:")));
    assert!(matches!(parse(args(&["--version"])), Parsed::Print(s) if s.starts_with("tasks ")));
}
