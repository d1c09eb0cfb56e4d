//! The guides run as printed: every command of the `console` blocks of
//! `docs/troubleshooting.md`, `docs/migrating-from-tasks-py.md` and `docs/agents.md` is run, in
//! the order of its guide, on a fresh copy of the sample repository, and must exit as the guide
//! says and print what the guide shows first.
//!
//! The conventions the guides follow (and this test reads):
//!
//! - a block opened with ```` ```console ```` at the start of a line holds commands and their
//!   output; a line `$ tasks …` runs the binary (in the repository, `/srv/repo` standing for its
//!   path), any other `$ …` line is a setup step run by `sh -c` (simple POSIX commands and git);
//! - the lines after a command, up to the next command, are its output (stdout and stderr as a
//!   terminal shows them); a line `…` stands for lines left out, a line ending in `…` for the
//!   rest of that line;
//! - `# exit N` after the output gives the exit code when it is not 0;
//! - `> /dev/full` at the end of a `tasks` command sends its stdout there (skipped where there is
//!   no `/dev/full`).
//!
//! Checks, per command: the exit code; the first line of output shown (unless it is `…`) is in
//! stdout or stderr; every `Error [E0xx]` line shown is on stderr, and its code has that exit
//! code; with `--format json`, stdout is one JSON document whose `success` and `error.code` are
//! the ones shown. Times are pinned (`TASKS_NOW`), telemetry is off, commits are made by a fixed
//! identity at a fixed date, and `pnpm` is never found (only `git` is on the tool's `PATH`).

use crate::support::command;
use regex::Regex;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tasks::error::ErrorCode;

const NOW: &str = "2026-11-20T10:00:00Z";
const COMMIT_DATE: &str = "2026-11-20T09:00:00Z";
/// What the guides write for the repository's path.
const REPO: &str = "/srv/repo";

/// One `$ …` line of a guide with the output shown after it.
#[derive(Debug)]
struct Step {
    doc: &'static str,
    /// 1-based line number in the guide.
    line: usize,
    command: String,
    output: Vec<String>,
    exit: i32,
}

/// Every command of the guide's `console` blocks, in order.
fn parse(doc: &'static str, text: &str) -> Vec<Step> {
    let exit_line = Regex::new(r"^# exit (\d+)$").unwrap();
    let mut steps: Vec<Step> = Vec::new();
    let mut in_console = false;
    let mut in_other = false;
    // Whether the open console block has had a command yet.
    let mut block_started = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if in_other {
            if line.trim_start().starts_with("```") {
                in_other = false;
            }
            continue;
        }
        if !in_console {
            if line == "```console" {
                in_console = true;
                block_started = false;
            } else if line.trim_start() == "```console" {
                panic!("{doc}:{}: an indented console block is not run", i + 1);
            } else if line.trim_start().starts_with("```") {
                in_other = true;
            }
            continue;
        }
        if line == "```" {
            in_console = false;
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            assert!(
                !cmd.ends_with('\\'),
                "{doc}:{}: continued command lines are not supported",
                i + 1
            );
            block_started = true;
            steps.push(Step {
                doc,
                line: i + 1,
                command: cmd.to_string(),
                output: Vec::new(),
                exit: 0,
            });
            continue;
        }
        assert!(block_started, "{doc}:{}: output before any command", i + 1);
        let step = steps.last_mut().unwrap();
        if let Some(code) = exit_line.captures(line) {
            step.exit = code[1].parse().unwrap();
        } else {
            step.output.push(line.to_string());
        }
    }
    assert!(!in_console, "{doc}: a console block is not closed");
    steps
}

/// A command line split into words as `sh` would: single quotes, double quotes (with `\"`,
/// `\\`, `\$`, `` \` ``), backslash escapes. Operators are refused: the guides run one command.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some(e) => {
                                word.push('\\');
                                word.push(e);
                            }
                            None => word.push('\\'),
                        },
                        '$' | '`' => panic!("expansions are not supported: {line}"),
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    word.push(e);
                }
            }
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '|' | ';' | '&' | '<' | '$' | '`' | '(' | ')' => {
                panic!("shell operators are not supported in a tasks command: {line}")
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The sample repository as a fresh clone has it (without the state the tool writes there),
/// committed by a fixed identity at a fixed date, so that its commit id is the same everywhere.
fn sample_repo(root: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-repo");
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&from).unwrap();
        if ["tasks/.cache", "docs/compliance", ".agent-output"]
            .iter()
            .any(|state| rel.starts_with(state))
        {
            continue;
        }
        let target = root.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-qm", "Sample repository"],
    ] {
        let status = git_env(Command::new("git").args(args).current_dir(root))
            .status()
            .expect("git");
        assert!(status.success(), "git {args:?}");
    }
}

/// The identity, dates and configuration of every git commit the guides make.
fn git_env(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@e")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@e")
        .env("GIT_AUTHOR_DATE", COMMIT_DATE)
        .env("GIT_COMMITTER_DATE", COMMIT_DATE)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
}

/// A directory holding only `git`: the tool's `PATH`, so that a validation command calling
/// `pnpm` fails the same way on every machine (and never reaches the network).
fn git_only_path(dir: &Path) -> PathBuf {
    let git = std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("git"))
                .find(|g| g.is_file())
        })
        .expect("git on PATH");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(git, bin.join("git")).unwrap();
    bin
}

/// The exit code a code's `Error [E0xx]` line comes with (E002 is also a usage error: 2).
fn exits_of(code: &str) -> Vec<i32> {
    let info = ErrorCode::ALL
        .iter()
        .map(|c| c.info())
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("{code} is not an error code"));
    let mut exits = vec![i32::from(info.exit)];
    if code == "E002" {
        exits.push(2);
    }
    exits
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run every step of one guide; returns how many commands ran.
fn run_guide(doc: &'static str) -> usize {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
    let steps = parse(doc, &text);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    sample_repo(&root);
    let root = root.canonicalize().unwrap();
    let real = root.to_string_lossy().into_owned();
    let bin = git_only_path(tmp.path());
    let duration = Regex::new(r"\d+\.\d+ s\b").unwrap();
    let error_line = Regex::new(r"^Error \[(E\d{3})\]").unwrap();
    let mask = |s: &str| duration.replace_all(s, "N s").into_owned();
    let mut ran = 0;
    for step in &steps {
        let at = format!("{}:{}: $ {}", step.doc, step.line, step.command);
        let command_line = step.command.replace(REPO, &real);
        let json = command_line.contains("--format json");
        let outcome = if let Some(rest) = command_line.strip_prefix("tasks ") {
            let mut words = split_words(rest);
            let mut cmd = command();
            let to_full = words.ends_with(&[">".to_string(), "/dev/full".to_string()]);
            if to_full {
                words.truncate(words.len() - 2);
            }
            assert!(
                !words.iter().any(|w| w.starts_with('>')),
                "{at}: the only redirection is a final `> /dev/full`"
            );
            if to_full {
                let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
                    eprintln!("{at}: skipped (no /dev/full here)");
                    continue;
                };
                cmd.stdout(full);
            } else {
                cmd.stdout(Stdio::piped());
            }
            git_env(&mut cmd)
                .args(&words)
                .current_dir(&root)
                .env("TASKS_NOW", NOW)
                .env("TASKS_TELEMETRY", "off")
                .env("PATH", &bin)
                .stderr(Stdio::piped());
            let out = cmd
                .spawn()
                .and_then(|c| c.wait_with_output())
                .expect("run tasks");
            Outcome {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        } else {
            assert!(
                !command_line.starts_with("tasks"),
                "{at}: a tasks command needs arguments"
            );
            let out = git_env(Command::new("sh").args(["-c", &command_line]))
                .current_dir(&root)
                .stdin(Stdio::null())
                .output()
                .expect("sh");
            Outcome {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        };
        ran += 1;
        let shown = || {
            format!(
                "{at}\nexit {}\n--- stdout\n{}--- stderr\n{}",
                outcome.code, outcome.stdout, outcome.stderr
            )
        };
        assert!(
            !outcome.stderr.contains("panicked"),
            "the binary panicked: {}",
            shown()
        );
        assert_eq!(outcome.code, step.exit, "exit code: {}", shown());
        let (stdout, stderr) = (mask(&outcome.stdout), mask(&outcome.stderr));
        if let Some(first) = step.output.first() {
            let expected = mask(&first.replace(REPO, &real));
            let expected = expected.trim_end();
            let expected = expected.strip_suffix('…').unwrap_or(expected);
            if !expected.trim().is_empty() {
                assert!(
                    stdout.contains(expected) || stderr.contains(expected),
                    "the first line shown, {expected:?}, is not in the output: {}",
                    shown()
                );
            }
        }
        for line in &step.output {
            if let Some(code) = error_line.captures(line) {
                let expected = line.replace(REPO, &real);
                let expected = expected.strip_suffix('…').unwrap_or(&expected);
                assert!(
                    stderr.contains(&mask(expected)),
                    "{expected:?} is not on stderr: {}",
                    shown()
                );
                assert!(
                    exits_of(&code[1]).contains(&step.exit),
                    "{at}: {} does not exit {}",
                    &code[1],
                    step.exit
                );
            }
        }
        if json && step.command.starts_with("tasks ") && !command_line.ends_with("/dev/full") {
            let doc: Value = serde_json::from_str(&outcome.stdout)
                .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", shown()));
            for line in &step.output {
                if let Some(value) = line.strip_prefix("  \"success\": ") {
                    let value = value.trim_end_matches(',');
                    assert_eq!(doc["success"].to_string(), value, "success: {}", shown());
                }
                if let Some(code) = line.trim_start().strip_prefix("\"code\": \"") {
                    let code = code.trim_end_matches(',').trim_end_matches('"');
                    assert_eq!(doc["error"]["code"], code, "error.code: {}", shown());
                }
            }
        }
    }
    ran
}

#[test]
fn the_troubleshooting_guide_runs_as_printed() {
    let ran = run_guide("docs/troubleshooting.md");
    assert!(ran >= 60, "only {ran} commands ran");
}

#[test]
fn the_migration_guide_runs_as_printed() {
    let ran = run_guide("docs/migrating-from-tasks-py.md");
    assert!(ran >= 12, "only {ran} commands ran");
}

#[test]
fn the_agent_guide_runs_as_printed() {
    let ran = run_guide("docs/agents.md");
    assert!(ran >= 25, "only {ran} commands ran");
}

/// Every code of the table has its section in the troubleshooting guide, with its name and exit
/// code, and every code the guide names exists.
#[test]
fn the_troubleshooting_guide_covers_every_error_code() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/troubleshooting.md"),
    )
    .unwrap();
    for code in ErrorCode::ALL {
        let info = code.info();
        let heading = format!("### {} {}", info.code, info.name);
        let section = text
            .split("\n### ")
            .find(|s| format!("### {s}").starts_with(&heading))
            .unwrap_or_else(|| panic!("no section `{heading}` in docs/troubleshooting.md"));
        let exit = format!("exit {}", info.exit);
        assert!(
            section.to_lowercase().contains(&exit),
            "the section of {} does not say `{exit}`",
            info.code
        );
    }
    let named = Regex::new(r"### (E\d{3}) ").unwrap();
    for code in named.captures_iter(&text) {
        exits_of(&code[1]);
    }
}

#[test]
fn the_parser_reads_the_conventions() {
    let steps = parse(
        "x.md",
        "text\n```console\n$ tasks --pick\n/srv/repo/a\n$ echo hi > x\n$ tasks --explain X-1\nError [E040]: …\n# exit 40\n```\n```json\n$ not a command\n```\n",
    );
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0].output, ["/srv/repo/a"]);
    assert_eq!(steps[1].command, "echo hi > x");
    assert_eq!(steps[2].exit, 40);
    assert_eq!(steps[2].line, 6);
    assert_eq!(
        split_words(r#"--finding "a \"b\" c" --x 'd e' f\ g"#),
        ["--finding", "a \"b\" c", "--x", "d e", "f g"]
    );
}
