use super::*;

fn help(list: &[&str]) -> String {
    let argv: Vec<OsString> = std::iter::once("tasks")
        .chain(list.iter().copied())
        .map(OsString::from)
        .collect();
    let argv = crate::cli::rewrite_words(argv, &crate::cli::definition()).expect("words");
    requested(&argv, &crate::cli::definition())
        .expect("help")
        .expect("known")
}

#[test]
fn the_overview_fits_a_screen_and_lists_every_command_once() {
    let text = help(&["--help"]);
    // One page of a terminal (a laptop's full-height window shows about 70 lines): every
    // command once, with its one-line summary.
    assert!(text.lines().count() <= 72, "{} lines", text.lines().count());
    for (_, commands) in FAMILIES {
        for c in commands.iter() {
            let shown = text
                .lines()
                .filter(|l| {
                    l.trim_start().starts_with(&format!("--{} ", c.flag))
                        || l.trim() == format!("--{}", c.flag)
                })
                .count();
            assert_eq!(shown, 1, "--{}", c.flag);
        }
    }
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}

#[test]
fn one_command_three_ways() {
    let flag = help(&["--pick", "--help"]);
    assert_eq!(help(&["pick", "--help"]), flag);
    assert_eq!(help(&["help", "pick"]), flag);
    // Two-word forms name their own command, not their family's first one.
    for (words, flag) in [
        (&["help", "context", "init"][..], "--init-context"),
        (&["context", "init", "--help"][..], "--init-context"),
        (&["help", "exceptions", "add"][..], "--add-exception"),
        (
            &["help", "quarantine", "repair"][..],
            "--repair-quarantined",
        ),
        (&["help", "context", "verify"][..], "--verify-worktree"),
        (&["help", "init-context"][..], "--init-context"),
    ] {
        assert!(
            help(words).starts_with(&format!("tasks {flag} ")),
            "{words:?}: {}",
            help(words)
        );
    }
    assert!(flag.starts_with("tasks --pick [FILTER]"), "{flag}");
    assert!(flag.contains("Examples:") && flag.contains("Exit codes: 0 picked"));
    let qa = help(&["--record-qa", "--help"]);
    assert!(
        qa.contains("--agent implementer|reviewer|validator"),
        "{qa}"
    );
    assert!(qa.contains("--from LOG"), "{qa}");
}

#[test]
fn no_help_without_the_flag() {
    let argv: Vec<OsString> = ["tasks", "--list"].iter().map(OsString::from).collect();
    assert!(requested(&argv, &crate::cli::definition()).is_none());
}
