//! Command-line usage: exactly one command, prefixes, help, version, usage errors.

use crate::support::{TestRepo, run_in};

fn usage_error(args: &[&str], needle: &str) {
    let repo = TestRepo::new();
    let run = repo.run(args);
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    assert_eq!(run.stdout, "", "{args:?}");
    assert!(
        run.stderr.starts_with("Error [E002]: "),
        "{args:?}: {}",
        run.stderr
    );
    assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    assert!(run.stderr.contains("\nRecovery: "), "{args:?}");
    // In JSON mode stdout also carries the error object.
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let run = repo.run(&json_args);
    assert_eq!(run.code, 2, "{json_args:?}");
    let doc = run.json();
    assert_eq!(doc["success"], false);
    assert_eq!(doc["error"]["code"], "E002");
    assert!(
        doc["error"]["message"].as_str().unwrap().contains(needle),
        "{doc}"
    );
}

#[test]
fn unknown_flag() {
    usage_error(&["--list", "--bogus"], "--bogus");
}

#[test]
fn a_misspelled_option_is_suggested_as_a_sentence() {
    usage_error(&["--lst"], "--lst");
    let run = TestRepo::new().run(&["--formt", "json", "--list"]);
    assert!(
        run.stderr
            .contains("\nRecovery: A similar argument exists: '--format'; run 'tasks --help'"),
        "{}",
        run.stderr
    );
}

#[test]
fn two_commands() {
    usage_error(&["--list", "--pick"], "--pick");
    usage_error(&["--validate", "--graph"], "--graph");
}

#[test]
fn no_command() {
    usage_error(&[], "no command given");
}

#[test]
fn missing_value() {
    usage_error(&["--explain"], "--explain");
}

#[test]
fn ambiguous_prefix_names_the_candidates() {
    usage_error(
        &["--lis"],
        "ambiguous option: --lis could match --list, --list-exceptions, --list-quarantined",
    );
}

#[test]
fn invalid_format_value() {
    // A bad value is E002 with exit 10, like every bad value (issue 11).
    let repo = TestRepo::new();
    let run = repo.run(&["--list", "--format", "xml"]);
    assert_eq!(run.code, 10);
    assert!(run.stderr.contains("xml"));
    assert!(
        run.stderr.contains("Recovery: Use one of: text, json"),
        "{}",
        run.stderr
    );
}

#[test]
fn prefixes_and_equals_forms() {
    let repo = TestRepo::new();
    repo.task("tasks/TASK-0001.task.yaml", "TASK-0001", "todo", "P1", "");
    let run = repo.run(&["--list", "--form=json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["count"], 1);
    let run = repo.run(&["--check-h"]);
    assert_eq!(run.code, 0);
    let run = repo.run(&["--explain=TASK-0001"]);
    assert!(run.stdout.starts_with("TASK-0001: Task TASK-0001\n"));
}

#[test]
fn help_teaches_and_exits_0() {
    let repo = TestRepo::new();
    let run = repo.run(&["--help"]);
    assert_eq!(run.code, 0);
    for needle in [
        "--list",
        "--pick",
        "--validate",
        "--explain",
        "--format",
        "--repo-root",
        "tasks --COMMAND --help",
        "exits",
    ] {
        assert!(run.stdout.contains(needle), "help lacks {needle}");
    }
    let run = repo.run(&["-h"]);
    assert_eq!(run.code, 0);
    // One command's help, three ways, with examples and exit codes.
    let flag = repo.run(&["--pick", "--help"]);
    assert_eq!(flag.code, 0);
    assert!(flag.stdout.contains("Examples:") && flag.stdout.contains("Exit codes: 0 picked"));
    assert_eq!(repo.run(&["pick", "--help"]).stdout, flag.stdout);
    assert_eq!(repo.run(&["help", "pick"]).stdout, flag.stdout);
    // Help is shown even when the rest of the line would not parse.
    assert_eq!(repo.run(&["--update-agent", "--help"]).code, 0);
}

#[test]
fn every_example_in_the_help_parses() {
    // Each example of every command's help is a command line the parser accepts as it stands:
    // parsed, converted and its options checked (nothing is run).
    let repo = TestRepo::new();
    let overview = repo.run(&["--help"]).stdout;
    let flags: Vec<String> = overview
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|f| !["format", "repo-root", "color", "completions"].contains(f))
        .map(str::to_string)
        .collect();
    assert_eq!(flags.len(), 48, "{flags:?}");
    for flag in flags {
        let help = repo.run(&[&format!("--{flag}"), "--help"]).stdout;
        let examples: Vec<&str> = help
            .lines()
            .skip_while(|l| *l != "Examples:")
            .filter_map(|l| l.strip_prefix("  tasks "))
            .collect();
        assert!(!examples.is_empty(), "--{flag} has no example");
        for example in examples {
            let line = example.split(" | ").next().unwrap_or(example);
            let line = line.split(" > ").next().unwrap_or(line);
            let line = line.split(" && ").next().unwrap_or(line);
            let argv: Vec<std::ffi::OsString> = std::iter::once("tasks".to_string())
                .chain(shell_words(line))
                .map(Into::into)
                .collect();
            match tasks::cli::parse(argv) {
                tasks::cli::Parsed::Run(inv) => {
                    assert_eq!(inv.verb.info().flag, flag, "`tasks {example}`")
                }
                other => panic!("--{flag}: `tasks {example}` does not parse: {other:?}"),
            }
        }
    }
}

/// Split a command line like a shell would (double and single quotes only).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (_, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

#[test]
fn version() {
    let repo = TestRepo::new();
    let run = repo.run(&["--version"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, format!("tasks {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn completions_need_no_repository() {
    let dir = tempfile::tempdir().unwrap();
    // bash, zsh, fish: a script that asks the binary at each TAB.
    for shell in ["bash", "zsh", "fish"] {
        let run = run_in(dir.path(), &["--completions", shell]);
        assert_eq!(run.code, 0, "{shell}");
        assert!(run.stdout.contains("COMPLETE="), "{shell}: {}", run.stdout);
    }
    // Other shells: the static script of flags and values.
    let run = run_in(dir.path(), &["--completions", "powershell"]);
    assert_eq!(run.code, 0);
    for value in ["--check-halt", "implementer", "in_progress"] {
        assert!(run.stdout.contains(value), "{value}");
    }
    let run = run_in(dir.path(), &["--completions", "tcsh"]);
    assert_eq!(run.code, 10, "a bad value, like every bad value");
}

/// What bash completes for the words of a command line (the last one being completed), with the
/// script `tasks --completions bash` prints, in `cwd`.
fn bash_completes(cwd: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <('{bin}' --completions bash)\n\
         COMP_WORDS=(tasks {words})\n\
         COMP_CWORD={cword}\n\
         COMP_LINE=\"tasks {line}\"\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         _clap_complete_tasks tasks '{current}' '{previous}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        bin = crate::support::bin().display(),
        words = quoted.join(" "),
        cword = words.len(),
        line = words.join(" "),
        current = words.last().unwrap(),
        previous = if words.len() > 1 {
            words[words.len() - 2]
        } else {
            "tasks"
        },
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(cwd)
        .env_remove("COMPLETE")
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_offer_the_flags_values_and_task_ids_of_the_repository() {
    let repo = TestRepo::new();
    repo.task(
        "tasks/backend/TASK-0101-a.task.yaml",
        "TASK-0101",
        "todo",
        "P1",
        "",
    )
    .task(
        "tasks/mobile/TASK-0102-b.task.yaml",
        "TASK-0102",
        "todo",
        "P1",
        "",
    )
    .task(
        "docs/completed-tasks/TASK-0050-c.task.yaml",
        "TASK-0050",
        "completed",
        "P1",
        "",
    );
    std::fs::create_dir_all(repo.root().join(".agent-output/TASK-0102")).unwrap();
    // Not a task file, though named like one: never offered.
    repo.write("tasks/backend/TASK-0103-notes.md", "notes\n");
    let sub = repo.root().join("tasks/backend");
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--cla"], vec!["--claim"]),
        // Active tasks for --claim; every task for --explain; with a context for --get-context.
        (vec!["--claim", ""], vec!["TASK-0101", "TASK-0102"]),
        (
            vec!["--explain", "TASK-0"],
            vec!["TASK-0050", "TASK-0101", "TASK-0102"],
        ),
        (vec!["--get-context", ""], vec!["TASK-0102"]),
        (vec!["--record-qa", ""], vec!["TASK-0102"]),
        // The ledger and the context's init read task files, not contexts.
        (
            vec!["--add-exception", ""],
            vec!["TASK-0050", "TASK-0101", "TASK-0102"],
        ),
        (
            vec!["--init-context", ""],
            vec!["TASK-0050", "TASK-0101", "TASK-0102"],
        ),
        (
            vec!["--update-agent", "TASK-0102", "--agent", ""],
            vec!["implementer", "reviewer", "validator"],
        ),
    ];
    for (words, expected) in cases {
        // From a subdirectory too: the repository is found as every command finds it.
        for cwd in [repo.root(), sub.as_path()] {
            let got = bash_completes(cwd, &words);
            assert_eq!(got, expected, "{words:?} in {}", cwd.display());
        }
    }
    let statuses = bash_completes(repo.root(), &["--list", "--status", ""]);
    assert!(
        statuses.contains(&"in_progress".to_string()),
        "{statuses:?}"
    );
}

#[test]
fn no_repository_above_cwd_is_e040() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["--list"]);
    assert_eq!(run.code, 40);
    assert!(
        run.stderr
            .starts_with("Error [E040]: No git repository found"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--repo-root"));
    let run = run_in(dir.path(), &["--pick", "--format", "json"]);
    assert_eq!(run.code, 40);
    let doc = run.json();
    assert_eq!(doc["error"]["code"], "E040");
    let run = run_in(dir.path(), &["--list", "--repo-root", "/no/such/dir"]);
    assert_eq!(run.code, 40);
}

#[test]
fn broken_pipe_is_quiet() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let repo = TestRepo::new();
    for i in 0..300 {
        repo.task(
            &format!("tasks/TASK-{i:04}.task.yaml"),
            &format!("TASK-{i:04}"),
            "todo",
            "P1",
            "",
        );
    }
    let mut child = Command::new(crate::support::bin())
        .args(["--list", "--format", "json"])
        .current_dir(repo.root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_manual_page_is_generated_from_the_commands() {
    let repo = TestRepo::new();
    let run = repo.run(&["--man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = &run.stdout;
    assert!(page.contains(".TH TASKS 1"), "{page}");
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "OPTIONS",
        "\"GLOBAL OPTIONS\"",
        "\"EXIT STATUS\"",
        "ENVIRONMENT",
    ] {
        assert!(page.contains(&format!(".SH {section}\n")), "{section}");
    }
    assert!(
        page.contains("\\fB\\-\\-enforce\\-drafts\\fR"),
        "options are listed"
    );
    assert!(page.contains("tasks \\- the task workflow"));
    // Every command of the overview, with its examples and exit codes.
    let overview = repo.run(&["--help"]).stdout;
    let flags: Vec<&str> = overview
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|f| !["format", "repo-root", "color", "completions"].contains(f))
        .collect();
    assert!(flags.len() >= 48);
    for flag in flags {
        let roff = format!("\\fB\\-\\-{}", flag.replace('-', "\\-"));
        assert!(page.contains(&roff), "--{flag} is not in the manual");
    }
    assert!(page.contains("E027"));
    // With --format json: one document holding the page.
    let run = repo.run(&["--man", "--format", "json"]);
    assert_eq!(run.json()["man"].as_str().unwrap(), page.as_str());
    // Rendered by man(1) where it is installed: no warning from the formatter.
    if let Ok(out) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(page.as_bytes())?;
            child.wait_with_output()
        })
    {
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");
    }
}
