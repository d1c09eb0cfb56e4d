//! Help that teaches: `tasks --help` is an overview that fits a screen (the commands by family,
//! one line each); `tasks --pick --help`, `tasks pick --help` and `tasks help pick` show one
//! command: what it does, its options, examples that run as printed, its exit codes. Both are
//! built from the families' `CommandInfo` tables and the clap definitions, so they cannot drift
//! from what the parser accepts.

use crate::app::CommandInfo;
use crate::cli::{FAMILIES, command_info, family_verbs, scan, two_word_form, word_form};
use crate::error::Error;
use std::ffi::OsString;

const WIDTH: usize = 100;

/// The help text when the command line asks for help (`--help`/`-h` anywhere before `--`): an
/// overview, one command's help, or a family's verbs (`tasks help context`). A word that names
/// nothing is a usage error.
pub fn requested(argv: &[OsString], cmd: &clap::Command) -> Option<Result<String, Error>> {
    let scanned = scan(argv, cmd);
    if !(scanned.longs.iter().any(|(_, l)| *l == "help"))
        && !argv
            .iter()
            .skip(1)
            .take_while(|a| *a != "--")
            .any(|a| a == "-h")
    {
        return None;
    }
    let flag = scanned
        .longs
        .iter()
        .find_map(|(_, long)| command_info(long));
    if let Some(info) = flag {
        return Some(Ok(command_help(cmd, info)));
    }
    // `tasks help pick`, `tasks help context init`, `tasks context --help` (the word `help`
    // became --help): the words.
    let words: Vec<&str> = scanned.words.iter().map(|(_, w)| *w).collect();
    let Some(first) = words.first() else {
        return Some(Ok(overview(cmd)));
    };
    if let Some((flag, _)) = word_form(first, words.get(1).copied())
        && let Some(info) = command_info(flag)
    {
        return Some(Ok(command_help(cmd, info)));
    }
    if let Some(verbs) = family_verbs(first) {
        // `tasks help evidence bogus`: a verb the family does not have.
        if let Some(verb) = words.get(1) {
            return Some(Err(Error::usage(format!(
                "The {first} family has no verb '{verb}' (it has: {})",
                verbs.join(", ")
            ))
            .with_detail("actual", *verb)
            .with_detail("expected", &verbs)
            .with_recovery(format!("tasks help {first} lists its verbs"))));
        }
        return Some(Ok(family_help(first, &verbs)));
    }
    if GLOBAL_WORDS.contains(first) {
        return Some(Ok(overview(cmd)));
    }
    Some(Err(Error::usage(format!("No command is named '{first}'"))
        .with_detail("actual", *first)
        .with_recovery("tasks --help lists every command")))
}

/// Words `tasks help` explains with the overview (global options).
const GLOBAL_WORDS: [&str; 8] = [
    "format",
    "repo-root",
    "color",
    "completions",
    "man",
    "schema",
    "version",
    "help",
];

/// `tasks help context`: the family's verbs, each with its command and summary.
fn family_help(family: &str, verbs: &[&str]) -> String {
    let mut out = format!("tasks {family} VERB ...\n\n");
    let rows: Vec<(String, &CommandInfo)> = verbs
        .iter()
        .filter_map(|verb| {
            let (flag, _) = word_form(family, Some(verb))?;
            Some((format!("tasks {family} {verb}"), command_info(flag)?))
        })
        .collect();
    let width = rows
        .iter()
        .map(|(w, _)| w.chars().count())
        .max()
        .unwrap_or(0);
    for (words, info) in &rows {
        out.push_str(&format!(
            "  {words:<width$}  = --{}: {}\n",
            info.flag, info.summary
        ));
    }
    out.push_str(&format!(
        "\nOne command's help: tasks help {family} {}\n",
        verbs.first().copied().unwrap_or_default()
    ));
    out
}

/// The value name of a command flag as usage shows it (`TASK_ID`, `[FILTER]`).
fn value_of(cmd: &clap::Command, flag: &str) -> String {
    let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(flag)) else {
        return String::new();
    };
    if !arg.get_action().takes_values() {
        return String::new();
    }
    let name = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| "VALUE".to_string(), ToString::to_string);
    if arg.get_num_args().is_some_and(|n| n.min_values() == 0) {
        format!(" [{name}]")
    } else {
        format!(" {name}")
    }
}

fn overview(cmd: &clap::Command) -> String {
    let mut out = wrap(
        &format!(
            "tasks {} — the task workflow of a *.task.yaml repository and its agents' context cache",
            env!("CARGO_PKG_VERSION")
        ),
        WIDTH,
        "",
    );
    out.push_str(
        "\nUsage: tasks --COMMAND [ARG] [OPTIONS], or by name: tasks pick · tasks context init ID\n",
    );
    let rows: Vec<(String, &str, &str)> = FAMILIES
        .iter()
        .flat_map(|(title, commands)| {
            commands.iter().map(move |c| {
                (
                    format!("--{}{}", c.flag, value_of(cmd, c.flag)),
                    c.summary,
                    *title,
                )
            })
        })
        .collect();
    let width = rows
        .iter()
        .map(|(u, _, _)| u.chars().count())
        .max()
        .unwrap_or(0);
    let mut title = "";
    for (usage, summary, family) in &rows {
        if *family != title {
            out.push_str(&format!("{family}:\n"));
            title = family;
        }
        out.push_str(&format!("  {usage:<width$}  {summary}\n"));
    }
    out.push_str(
        "\nGlobal: --format text|json · --repo-root DIR · --color WHEN · -q/--quiet · --completions SHELL\n\
More: tasks --COMMAND --help (options, examples, exits) · tasks help FAMILY · tasks --man\n\
JSON Schemas of every output and state file: tasks --schema NAME (docs/schemas/)\n\
Exit codes: 0 ok · 1 nothing to pick · 2 usage or halt · 10 invalid · 20 drift or regression\n  \
· 30 blocked · 40 files · 50 context state · 60 git · 130 interrupted",
    );
    out.push('\n');
    out
}

fn command_help(cmd: &clap::Command, info: &CommandInfo) -> String {
    let mut out = format!("tasks --{}{}", info.flag, value_of(cmd, info.flag));
    if !info.reads.is_empty() {
        out.push_str(" [OPTIONS]");
    }
    let words = two_word_form(info.flag).unwrap_or_else(|| info.flag.to_string());
    out.push_str(&format!(
        "\n   or: tasks {words}{}",
        value_of(cmd, info.flag)
    ));
    out.push_str(&format!("\n\n{}\n", wrap(info.about, WIDTH, "")));
    if !info.reads.is_empty() {
        out.push_str("\nOptions:\n");
        for long in info.reads {
            let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(long)) else {
                continue;
            };
            let mut usage = format!("--{long}");
            if arg.get_action().takes_values() {
                let values: Vec<String> = arg
                    .get_possible_values()
                    .iter()
                    .filter(|_| !arg.is_hide_possible_values_set())
                    .map(|v| v.get_name().to_string())
                    .collect();
                let name = if values.is_empty() {
                    arg.get_value_names()
                        .and_then(|v| v.first())
                        .map_or_else(|| "VALUE".to_string(), ToString::to_string)
                } else {
                    values.join("|")
                };
                usage.push_str(&format!(" {name}"));
            }
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            out.push_str(&format!("  {usage}\n{}\n", wrap(&help, WIDTH, "      ")));
        }
    }
    out.push_str(
        "\nGlobal options: --format text|json, --repo-root DIR, --color WHEN, --quiet (tasks --help)\n",
    );
    if !info.examples.is_empty() {
        out.push_str("\nExamples:\n");
        for (line, what) in info.examples {
            out.push_str(&format!("  {line}\n      {what}\n"));
        }
    }
    out.push_str(&format!("\nExit codes: {}\n", info.exits));
    out
}

/// Greedy word wrap to `width` columns, each line after `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty()
            && indent.len() + line.chars().count() + 1 + word.chars().count() > width
        {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines.join("\n")
}

#[cfg(test)]
#[path = "tests/help.rs"]
mod tests;

/// The manual page (roff, section 1): the name and synopsis, then every family's commands with
/// what each does, its examples and its exit codes, the options, the exit codes, the
/// environment and the documentation — from the same tables as `--help`, so that it cannot
/// drift from the parser.
pub fn manual(cmd: &clap::Command) -> String {
    use clap_mangen::roff::{Roff, bold, italic, roman};
    let man = clap_mangen::Man::new(cmd.clone())
        .title("TASKS")
        .section("1")
        .manual("tasks manual")
        .source(format!("tasks {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let mut page = Roff::new();
    page.control("SH", ["SYNOPSIS"]);
    page.text([
        bold("tasks"),
        roman(" "),
        italic("--COMMAND"),
        roman(" [ARG] [OPTIONS]   or by name: "),
        bold("tasks pick"),
        roman(", "),
        bold("tasks context init ID"),
    ]);
    page.control("SH", ["DESCRIPTION"]);
    page.text([roman(
        "The task workflow of a repository of *.task.yaml files (list, pick, claim, complete, \
         lint, dependency graph) and the per-task context cache its AI coding agents share \
         (context snapshots, handoffs with drift detection, QA baselines, evidence, validation \
         runs, telemetry and metrics). With --format json, stdout carries exactly one JSON \
         document; warnings and errors go to stderr.",
    )]);
    page.control("SH", ["COMMANDS"]);
    for (title, commands) in FAMILIES {
        page.control("SS", [*title]);
        for c in commands.iter() {
            page.control("TP", []);
            page.text([bold(format!("--{}{}", c.flag, value_of(cmd, c.flag)))]);
            page.text([roman(c.about)]);
            if !c.reads.is_empty() {
                page.control("br", []);
                page.text([
                    italic("Options: "),
                    roman(
                        c.reads
                            .iter()
                            .map(|o| format!("--{o}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ]);
            }
            for (example, what) in c.examples {
                page.control("br", []);
                page.text([bold(*example), roman(format!("  ({what})"))]);
            }
            page.control("br", []);
            page.text([italic("Exit: "), roman(c.exits)]);
        }
    }
    // The options commands read, then the global ones (the command flags are above).
    for heading in ["Options", "Other", "Global options"] {
        page.control("SH", [heading.to_uppercase().as_str()]);
        for arg in cmd
            .get_arguments()
            .filter(|a| a.get_help_heading() == Some(heading) && !a.is_hide_set())
        {
            let Some(long) = arg.get_long() else {
                continue;
            };
            let value = arg
                .get_value_names()
                .and_then(|names| names.first())
                .filter(|_| arg.get_action().takes_values())
                .map(|name| format!(" {name}"))
                .unwrap_or_default();
            let short = arg
                .get_short()
                .map(|c| format!("-{c}, "))
                .unwrap_or_default();
            page.control("TP", []);
            page.text([bold(format!("{short}--{long}{value}"))]);
            page.text([roman(
                arg.get_long_help()
                    .or_else(|| arg.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default(),
            )]);
        }
    }
    let _ = page.to_writer(&mut out);
    let mut tail = Roff::new();
    tail.control("SH", ["EXIT STATUS"]);
    tail.text([roman(
        "0 ok; 1 nothing to pick; 2 usage error or workflow halt; 10 invalid input or task file \
         (E001–E013); 20 drift or regression (E020–E027); 30 blocked (E030–E032); 40 files \
         (E040–E042); 50 context state (E050–E052); 60 git (E060, E061); 130 interrupted. \
         Every error has a code, a message and a recovery (docs/error-codes.md, \
         docs/troubleshooting.md).",
    )]);
    tail.control("SH", ["ENVIRONMENT"]);
    for (name, what) in [
        (
            "TASKS_NOW",
            "pin the clock (RFC 3339), for reproducible output",
        ),
        (
            "TASKS_AGENT",
            "the agent role of the process (implementer, reviewer, validator): its telemetry",
        ),
        (
            "TASKS_TASK",
            "the task of the process (--record-telemetry's default)",
        ),
        (
            "TASKS_SESSION_ID",
            "the session of the tool's own telemetry records",
        ),
        (
            "TASKS_TELEMETRY",
            "off: the tool records no telemetry of its own",
        ),
        ("NO_COLOR", "no colour in text output"),
        (
            "TASKS_TRACE_TIME",
            "1: print how long each phase of the run took, on stderr (docs/performance.md)",
        ),
    ] {
        tail.control("TP", []);
        tail.text([bold(name)]);
        tail.text([roman(what)]);
    }
    tail.control("SH", ["FILES"]);
    tail.text([roman(
        "tasks/**/*.task.yaml and docs/completed-tasks/ (the tasks); tasks/.cache/ (the private \
         cache); .agent-output/TASK-ID/ (a task's context, evidence, telemetry, metrics); \
         docs/compliance/ (exception ledger, quarantine).",
    )]);
    tail.control("SH", ["SEE ALSO"]);
    tail.text([roman(
        "tasks --help; tasks help COMMAND; docs/commands.md, docs/agents.md, \
         docs/troubleshooting.md, docs/migrating-from-tasks-py.md in the source repository.",
    )]);
    let _ = tail.to_writer(&mut out);
    // Non-ASCII characters (→, ·, ≤, —) as groff escapes: the page reads the same whatever
    // encoding the formatter assumes.
    String::from_utf8_lossy(&out)
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\[u{:04X}]", c as u32)
            }
        })
        .collect()
}
