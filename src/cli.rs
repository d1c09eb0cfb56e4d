//! The command line: the global flags, the families' flags flattened into one parser (all
//! command flags in the one exclusive `command` group), word forms (`tasks list`, `tasks context
//! get ID`), argparse-style prefix expansion, help, and the check that every option given is one
//! the command reads. The only module besides the families that knows clap; what it hands on is
//! a `Box<dyn Verb>`.

use crate::app::{CommandInfo, Invocation, Verb};
use crate::commands;
use crate::error::{Error, Result};
use crate::output::{ColorChoice, Format, Shape};
use clap::parser::ValueSource;
use clap::{ArgGroup, CommandFactory, FromArgMatches, Parser, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// The families, in the order help lists them: each is a module of `commands/` with `Flags`,
/// `TITLE`, `COMMANDS`. Adding a family is adding its name here.
macro_rules! families {
    ($($family:ident),* $(,)?) => {
        #[derive(Parser, Debug)]
        #[command(
            name = "tasks",
            about = "the task workflow of a *.task.yaml repository and its agents' context cache",
            version,
            group(ArgGroup::new("verb").required(true).multiple(false)),
            args_override_self = true,
            disable_help_flag = true,
            disable_version_flag = true,
            disable_help_subcommand = true,
            // No subcommands: this only spares clap's build the usage line it would prefix to
            // a subcommand's name (computed over every argument, ~14% of a small verb's
            // instructions).
            args_conflicts_with_subcommands = true,
            max_term_width = 100
        )]
        struct Cli {
            $(
                #[command(flatten)]
                $family: commands::$family::Flags,
            )*

            #[command(flatten)]
            shared: commands::Shared,

            /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
            #[arg(long, group = "verb", value_name = "SHELL", help_heading = "Other")]
            completions: Option<clap_complete::Shell>,

            /// Print the manual page (roff; man -l <(tasks --man))
            #[arg(long, group = "verb", help_heading = "Other")]
            man: bool,

            /// Print the JSON Schema of a command's output (list, init-context, …) or of a file
            /// the tool writes (context.json, …): see docs/schemas/
            #[arg(
                long,
                group = "verb",
                value_name = "NAME",
                value_parser = clap::builder::PossibleValuesParser::new(crate::schema::names()),
                hide_possible_values = true,
                help_heading = "Other"
            )]
            schema: Option<String>,

            #[command(flatten)]
            global: Global,
        }

        /// Every family: its title and the table of its commands.
        pub static FAMILIES: &[(&str, &[&CommandInfo])] =
            &[$((commands::$family::TITLE, commands::$family::COMMANDS)),*];

        /// The command the parsed flags name.
        fn verb(cli: Cli) -> Option<Result<Box<dyn Verb>>> {
            let shared = cli.shared;
            $(
                if let Some(verb) = cli.$family.verb(&shared) {
                    return Some(verb);
                }
            )*
            None
        }
    };
}

families!(
    tasks, lifecycle, ledger, quarantine, context, excerpts, handoffs, qa, evidence, validation,
    telemetry
);

/// Options every command takes.
#[derive(clap::Args, Debug)]
#[group(skip)]
struct Global {
    /// Output format: text for people, json for scripts (one JSON document on stdout)
    #[arg(long, value_enum, default_value_t = FormatArg::Text, help_heading = "Global options")]
    format: FormatArg,

    /// Repository root (default: the nearest directory at or above the current one holding .git)
    #[arg(long, value_name = "DIR", help_heading = "Global options")]
    repo_root: Option<PathBuf>,

    /// Colour in text output: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN", help_heading = "Global options")]
    color: ColorArg,

    /// No warnings or notes on stderr (errors still print)
    #[arg(short, long, help_heading = "Global options")]
    quiet: bool,

    /// Print help: an overview, or one command's (tasks --pick --help, tasks help pick)
    #[arg(short, long, action = clap::ArgAction::SetTrue, help_heading = "Global options")]
    help: bool,

    /// Print the version
    #[arg(short = 'V', long, action = clap::ArgAction::Version, help_heading = "Global options")]
    version: Option<bool>,
}

/// Long names of the global options (allowed with every command).
const GLOBAL: [&str; 6] = ["format", "repo-root", "color", "quiet", "help", "version"];

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl ColorArg {
    fn choice(self) -> ColorChoice {
        match self {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

/// The outcome of reading the command line.
#[derive(Debug)]
pub enum Parsed {
    Run(Invocation),
    /// `--help`, `--version` or `--completions`: print this on stdout and exit 0 (with
    /// `--format json`, as the `what` field of a JSON document).
    Print {
        text: String,
        /// `help`, `version` or `completions`.
        what: &'static str,
        format: Format,
    },
    Usage {
        error: Error,
        format: Format,
        /// The JSON shape of the command that was asked for (flat when unknown).
        shape: Shape,
        /// The command that was asked for, when the command line names one.
        command: Option<&'static str>,
    },
}

/// Parse `argv` (including the program name).
pub fn parse(argv: Vec<OsString>) -> Parsed {
    // The one clap definition of this run (building it is most of the cost of parsing).
    let mut cmd = definition();
    let longs = long_names(&cmd);
    // Prefixes expanded, then word forms turned into flags — once. What the run asked for
    // (JSON, the command's shape, colour) is read from that, or from the raw argv when it
    // cannot be read, so that even a usage error comes in the format asked for.
    let read = expand_prefixes(&argv, &longs).and_then(|expanded| rewrite_words(expanded, &cmd));
    let (format, command) = requested(read.as_deref().unwrap_or(&argv), &longs);
    let usage = |error: Error| Parsed::Usage {
        error,
        format,
        shape: command.map_or(Shape::Flat, |c| c.shape),
        command: command.map(|c| c.flag),
    };
    let argv = match read {
        Ok(argv) => argv,
        Err(error) => return usage(error),
    };
    match crate::help::requested(&argv, &cmd) {
        Some(Ok(text)) => {
            return Parsed::Print {
                text,
                what: "help",
                format,
            };
        }
        Some(Err(error)) => return usage(error),
        None => {}
    }
    let matches = match cmd.try_get_matches_from_mut(&argv) {
        Ok(matches) => matches,
        Err(e) => {
            return match e.kind() {
                clap::error::ErrorKind::DisplayVersion => Parsed::Print {
                    text: e.render().to_string(),
                    what: "version",
                    format,
                },
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    Parsed::Print {
                        text: e.render().to_string(),
                        what: "help",
                        format,
                    }
                }
                _ => usage(clap_error(&e)),
            };
        }
    };
    let given = given_options(&matches, &cmd);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage(clap_error(&e)),
    };
    let format = match cli.global.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
    };
    crate::output::set_color(cli.global.color.choice());
    crate::output::set_quiet(cli.global.quiet);
    // --man, --schema and --completions print the tool's own text: no option changes it.
    let printer_flag = if cli.man {
        Some("--man")
    } else if cli.schema.is_some() {
        Some("--schema")
    } else {
        cli.completions.map(|_| "--completions")
    };
    if let (Some(flag), Some(stray)) = (printer_flag, given.first()) {
        return usage(
            Error::usage(format!("{flag} takes no option (--{stray} was given)"))
                .with_detail("option", stray.as_str())
                .with_recovery(format!("Leave --{stray} out")),
        );
    }
    if cli.man {
        return Parsed::Print {
            text: crate::help::manual(&cmd),
            what: "man",
            format,
        };
    }
    if let Some(name) = cli.schema {
        let schema = crate::schema::by_name(&name).unwrap_or_default();
        return Parsed::Print {
            text: crate::schema::to_text(&schema),
            what: "schema",
            format,
        };
    }
    if let Some(shell) = cli.completions {
        // bash, zsh and fish complete from the repository (task ids) through the binary; the
        // other shells get the static script of flags and values.
        if let Some(text) = crate::complete::script(shell) {
            return Parsed::Print {
                text,
                what: "completions",
                format,
            };
        }
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "tasks", &mut buf);
        return Parsed::Print {
            text: String::from_utf8_lossy(&buf).into_owned(),
            what: "completions",
            format,
        };
    }
    let repo_root = cli.global.repo_root.clone();
    // The caller's role, for its telemetry: --agent, or the role --get-context shows.
    let agent = cli
        .shared
        .agent
        .or_else(|| matches.get_one::<commands::args::Role>("role").copied())
        .map(|r| r.as_str());
    // The task the command is about: its flag's value, when that is a task id.
    let subject = matches
        .get_one::<clap::Id>("verb")
        .and_then(|id| matches.get_raw(id.as_str()))
        .and_then(|mut values| values.next())
        .and_then(|v| v.to_str())
        .filter(|v| crate::ids::is_valid_id(v))
        .map(str::to_string);
    // The command flag given, for hints that name it.
    let flag = matches
        .get_one::<clap::Id>("verb")
        .and_then(|id| cmd.get_arguments().find(|a| a.get_id() == id))
        .and_then(|a| a.get_long())
        .map(str::to_string);
    // Options repeat as in tasks.py (the last one wins), but a command does not: `--claim A
    // --claim B` would act on B alone without a word.
    if let Some(flag) = &flag {
        let long = format!("--{flag}");
        let given = (argv.iter().filter_map(|a| a.to_str()))
            .take_while(|a| *a != "--")
            .filter(|a| {
                *a == long
                    || a.strip_prefix(long.as_str())
                        .is_some_and(|r| r.starts_with('='))
            })
            .count();
        if given > 1 {
            return usage(
                Error::usage(format!(
                    "{long} is given {given} times: a run does one command, once"
                ))
                .with_recovery(format!("Pass {long} once (run the tool again for another)")),
            );
        }
    }
    let verb = match verb(cli) {
        Some(Ok(verb)) => verb,
        Some(Err(error)) => {
            // A usage error of a family (an incomplete form): point at that command's help,
            // not the overview.
            let error = match &flag {
                Some(flag) if error.exit == 2 => error.with_recovery(format!(
                    "Run 'tasks --{flag} --help' for its options and examples"
                )),
                _ => error,
            };
            return usage(error);
        }
        // clap's required group makes this unreachable; report it as usage all the same.
        None => return usage(Error::usage("no command given")),
    };
    if let Err(error) = check_options(verb.info(), &given) {
        return usage(error);
    }
    Parsed::Run(Invocation {
        verb,
        format,
        repo_root,
        subject,
        agent,
    })
}

/// The long names of the options given on the command line (not the command flag, not the
/// global options).
fn given_options(matches: &clap::ArgMatches, cmd: &clap::Command) -> Vec<String> {
    // Only the arguments present (not all ~100 defined), and of those the ones typed.
    matches
        .ids()
        .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::CommandLine))
        .filter_map(|id| cmd.get_arguments().find(|arg| arg.get_id() == id))
        .filter_map(|arg| arg.get_long())
        // Not the command flag itself, not a global option.
        .filter(|long| {
            command_info(long).is_none() && !["completions", "man", "schema"].contains(long)
        })
        .filter(|long| !GLOBAL.contains(long))
        .map(str::to_string)
        .collect()
}

/// Options the command does not read are a usage error naming the option and the commands that
/// take it (contract D8): `--list --status todo` must not silently list everything.
fn check_options(info: &CommandInfo, given: &[String]) -> Result<()> {
    let Some(stray) = given.iter().find(|o| !info.reads.contains(&o.as_str())) else {
        return Ok(());
    };
    let takers: Vec<String> = FAMILIES
        .iter()
        .flat_map(|(_, commands)| commands.iter())
        .filter(|c| c.reads.contains(&stray.as_str()))
        .map(|c| format!("--{}", c.flag))
        .collect();
    let message = if takers.is_empty() {
        format!("--{stray} is not an option of --{}", info.flag)
    } else {
        format!(
            "--{stray} is not an option of --{}; it is read by {}",
            info.flag,
            takers.join(", ")
        )
    };
    Err(Error::usage(message)
        .with_detail("option", format!("--{stray}"))
        .with_detail("command", format!("--{}", info.flag))
        .with_detail("read_by", &takers)
        .with_recovery(format!(
            "Leave --{stray} out, or see the options of --{} with: tasks --{} --help",
            info.flag, info.flag
        )))
}

/// The table entry of a command flag (without `--`).
pub fn command_info(flag: &str) -> Option<&'static CommandInfo> {
    FAMILIES
        .iter()
        .flat_map(|(_, commands)| commands.iter().copied())
        .find(|c| c.flag == flag)
}

/// The two-word forms: (family word, verb, command flag).
pub const WORD_FORMS: &[(&str, &str, &str)] = &[
    ("context", "init", "init-context"),
    ("context", "get", "get-context"),
    ("context", "update", "update-agent"),
    ("context", "block", "mark-blocked"),
    ("context", "rebuild", "rebuild-context"),
    ("context", "purge", "purge-context"),
    ("context", "diff", "get-diff"),
    ("context", "verify", "verify-worktree"),
    ("context", "snapshot", "snapshot-worktree"),
    ("exceptions", "list", "list-exceptions"),
    ("exceptions", "add", "add-exception"),
    ("exceptions", "resolve", "resolve-exception"),
    ("exceptions", "cleanup", "cleanup-exceptions"),
    ("quarantine", "list", "list-quarantined"),
    ("quarantine", "add", "quarantine-task"),
    ("quarantine", "release", "release-quarantine"),
    ("quarantine", "repair", "repair-quarantined"),
    ("evidence", "attach", "attach-evidence"),
    ("evidence", "list", "list-evidence"),
    ("evidence", "verify", "verify-evidence"),
    ("evidence", "extract", "extract-evidence"),
    ("validation", "run", "run-validation"),
    ("validation", "list", "list-validation"),
    ("telemetry", "record", "record-telemetry"),
    ("metrics", "collect", "collect-metrics"),
    ("metrics", "dashboard", "generate-dashboard"),
    ("metrics", "compare", "compare-metrics"),
];

/// The command a word form names and how many words it takes: a command's own name (`pick`,
/// `claim`, `init-context`) → 1, a family word and its verb (`context init`) → 2. `None` for
/// anything else.
pub fn word_form(first: &str, second: Option<&str>) -> Option<(&'static str, usize)> {
    if let Some(info) = command_info(first) {
        return Some((info.flag, 1));
    }
    let second = second?;
    WORD_FORMS
        .iter()
        .find(|(family, verb, _)| *family == first && *verb == second)
        .map(|(_, _, flag)| (*flag, 2))
}

/// The verbs of a family word (`context` → init, get, …); `None` for any other word.
pub fn family_verbs(word: &str) -> Option<Vec<&'static str>> {
    let verbs: Vec<&str> = WORD_FORMS
        .iter()
        .filter(|(family, _, _)| *family == word)
        .map(|(_, verb, _)| *verb)
        .collect();
    (!verbs.is_empty()).then_some(verbs)
}

/// The two-word form of a command (`init-context` → `context init`), if it has one.
pub fn two_word_form(flag: &str) -> Option<String> {
    WORD_FORMS
        .iter()
        .find(|(_, _, f)| *f == flag)
        .map(|(family, verb, _)| format!("{family} {verb}"))
}

/// Whether the long option `long` is followed by its value as the next argument.
fn takes_value(cmd: &clap::Command, long: &str) -> bool {
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(long))
        .is_some_and(|a| {
            a.get_action().takes_values() && a.get_num_args().is_none_or(|n| n.min_values() > 0)
        })
}

/// The arguments of a command line after the program name, up to `--` or an argument that is
/// not UTF-8 (clap reports those): the long options given (their names, without `--` and any
/// `=value`) and the words (neither an option nor an option's value), each with its index.
#[derive(Debug, Default)]
pub struct Scanned<'a> {
    pub longs: Vec<(usize, &'a str)>,
    pub words: Vec<(usize, &'a str)>,
}

pub fn scan<'a>(argv: &'a [OsString], cmd: &clap::Command) -> Scanned<'a> {
    let mut out = Scanned::default();
    let mut i = 1;
    while let Some(arg) = argv.get(i).and_then(|a| a.to_str()) {
        if arg == "--" {
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            out.longs.push((i, name));
            // Its value is the next argument — unless that is an option itself (clap takes no
            // `--x` as a value: `tasks --record-qa --help` asks for help).
            let next_is_option = argv
                .get(i + 1)
                .and_then(|a| a.to_str())
                .is_some_and(|a| a.starts_with("--"));
            if !long.contains('=') && takes_value(cmd, long) && !next_is_option {
                i += 1;
            }
        } else if !arg.starts_with('-') {
            out.words.push((i, arg));
        }
        i += 1;
    }
    out
}

/// Word forms: every command by its name (`tasks list [FILTER]`, `tasks pick`, `tasks claim
/// TASK`, `tasks check-halt`), the family forms (`tasks context init|get|update|block|rebuild|
/// purge|diff|verify|snapshot ID`, `tasks exceptions list|add|resolve|cleanup`, `tasks
/// quarantine list|add|release|repair`) and `tasks help [COMMAND]` — anywhere after the global
/// options (`tasks --format json pick`). A family word without one of its verbs is a usage error
/// listing them. The word is the first argument that is neither an option nor the value of an
/// option, when no command flag came before it.
pub fn rewrite_words(mut argv: Vec<OsString>, cmd: &clap::Command) -> Result<Vec<OsString>> {
    let scanned = scan(&argv, cmd);
    let Some(&(i, _)) = scanned.words.first() else {
        return Ok(argv);
    };
    let command_before = (scanned.longs.iter())
        .any(|(j, long)| *j < i && (command_info(long).is_some() || *long == "completions"));
    if command_before {
        return Ok(argv);
    }
    let word = |k: usize| argv.get(k).and_then(|a| a.to_str()).map(str::to_string);
    let (Some(first), second) = (word(i), word(i + 1)) else {
        return Ok(argv);
    };
    let (flag, words) = match word_form(&first, second.as_deref()) {
        Some((flag, words)) => (format!("--{flag}"), words),
        None if first == "help" => ("--help".to_string(), 1),
        None => {
            let asks_help = argv.iter().any(|a| a == "--help" || a == "-h");
            if let Some(verbs) = family_verbs(&first).filter(|_| !asks_help) {
                let given = second.as_deref().filter(|s| !s.starts_with('-'));
                let what = match given {
                    Some(verb) => format!("'{verb}' is not a verb of 'tasks {first}'"),
                    None => format!("'tasks {first}' needs a verb"),
                };
                return Err(Error::usage(format!("{what}: {}", verbs.join(", ")))
                    .with_detail("expected", &verbs)
                    .with_recovery(format!(
                        "Run 'tasks help {first}': it lists each verb with what it takes"
                    )));
            }
            return Ok(argv);
        }
    };
    argv.splice(i..i + words, [OsString::from(&flag)]);
    Ok(argv)
}

/// Every long option name of the (built) definition, aliases included.
fn long_names(cmd: &clap::Command) -> Vec<String> {
    let mut names = Vec::new();
    for arg in cmd.get_arguments() {
        names.extend(arg.get_long().map(str::to_string));
        names.extend(
            arg.get_all_aliases()
                .unwrap_or_default()
                .into_iter()
                .map(str::to_string),
        );
    }
    names
}

/// The clap definition, for help and completions.
pub fn definition() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// How a long option name typed on the command line resolves, argparse-style: an exact name
/// wins, else a unique prefix; several candidates are ambiguous.
enum Resolved<'a> {
    Name(&'a str),
    Unknown,
    Ambiguous(Vec<&'a str>),
}

fn resolve<'a>(typed: &str, longs: &'a [String]) -> Resolved<'a> {
    if let Some(exact) = longs.iter().find(|l| *l == typed) {
        return Resolved::Name(exact);
    }
    let candidates: Vec<&str> = longs
        .iter()
        .filter(|l| l.starts_with(typed))
        .map(String::as_str)
        .collect();
    match candidates.as_slice() {
        [] => Resolved::Unknown,
        [only] => Resolved::Name(only),
        _ => Resolved::Ambiguous(candidates),
    }
}

/// The long options of `argv` as (resolution, inline `=value`, index), up to `--`.
fn long_options<'a>(
    argv: &'a [OsString],
    longs: &'a [String],
) -> impl Iterator<Item = (Resolved<'a>, &'a str, Option<&'a str>, usize)> {
    argv.iter()
        .enumerate()
        .map_while(|(i, arg)| match arg.to_str() {
            Some("--") => None,
            other => Some((i, other)),
        })
        .filter_map(move |(i, text)| {
            let body = text?.strip_prefix("--")?;
            let (typed, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            Some((resolve(typed, longs), typed, value, i))
        })
}

/// argparse accepts any unique prefix of a long flag; an ambiguous one is an error naming the
/// candidates. Exact names always win (`--list` even when `--list-x` exists).
fn expand_prefixes(argv: &[OsString], longs: &[String]) -> Result<Vec<OsString>> {
    let mut out = argv.to_vec();
    for (resolved, typed, value, i) in long_options(argv, longs) {
        match resolved {
            Resolved::Name(name) => {
                out[i] = OsString::from(match value {
                    Some(v) => format!("--{name}={v}"),
                    None => format!("--{name}"),
                });
            }
            Resolved::Unknown => {}
            Resolved::Ambiguous(candidates) => {
                let names: Vec<String> = candidates.iter().map(|c| format!("--{c}")).collect();
                return Err(Error::usage(format!(
                    "ambiguous option: --{typed} could match {}",
                    names.join(", ")
                ))
                .with_detail("option", format!("--{typed}"))
                .with_detail("candidates", &names)
                .with_recovery("Type more of the option name so that only one option matches"));
            }
        }
    }
    Ok(out)
}

/// What a command line asked for even when it cannot be parsed: JSON output (so that a usage
/// error is JSON too), and the JSON shape of its command flag.
fn requested(argv: &[OsString], longs: &[String]) -> (Format, Option<&'static CommandInfo>) {
    let mut format = Format::Text;
    let mut command = None;
    let mut color = None;
    for (resolved, _, value, i) in long_options(argv, longs) {
        let Resolved::Name(name) = resolved else {
            continue;
        };
        if name == "format" {
            // A `--format` without its value (at the end, or before another option) does not
            // undo a `--format json` before it: the usage error it causes is still JSON.
            let value = value.or_else(|| {
                argv.get(i + 1)
                    .and_then(|v| v.to_str())
                    .filter(|v| !v.starts_with("--"))
            });
            match value {
                Some("json") => format = Format::Json,
                Some(_) => format = Format::Text,
                None => {}
            }
        } else if name == "color" {
            // Usage errors are coloured as asked, too.
            let value = value.or_else(|| argv.get(i + 1).and_then(|v| v.to_str()));
            if let Some(choice) = value.and_then(|v| ColorArg::from_str(v, false).ok()) {
                color = Some(choice);
            }
        } else if command.is_none() {
            command = command_info(name);
        }
    }
    // The last one, as with every option (the setting can be made only once).
    if let Some(choice) = color {
        crate::output::set_color(choice.choice());
    }
    (format, command)
}

/// A clap error as ours: a bad value (an unknown role, a malformed task id) is E002 with exit 10
/// and the allowed values, like every bad value; anything else is a usage error (exit 2).
fn clap_error(e: &clap::Error) -> Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let rendered = e.render().to_string();
    let mut lines = rendered.lines();
    let first = lines
        .next()
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_string();
    // "a value is required for --x but none was supplied" is a usage error, not a bad value.
    let missing = e.kind() == ErrorKind::InvalidValue
        && matches!(e.get(ContextKind::InvalidValue), Some(ContextValue::String(v)) if v.is_empty());
    if matches!(
        e.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) && !missing
    {
        let context = |kind| match e.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::Strings(v)) => Some(v.join(", ")),
            _ => None,
        };
        let option = context(ContextKind::InvalidArg)
            .map(|a| a.split_whitespace().next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let value = context(ContextKind::InvalidValue).unwrap_or_default();
        let allowed: Vec<String> = match e.get(ContextKind::ValidValue) {
            Some(ContextValue::Strings(v)) => v.clone(),
            _ => Vec::new(),
        };
        if !allowed.is_empty() {
            // The same error as a value a command checks itself (`--status`).
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            return crate::ledger::invalid_choice(&option, &value, &allowed);
        }
        // clap: "invalid value 'x' for '--opt <NAME>': why"; ours: Invalid value "x" for --opt: why
        let why = first
            .split_once("': ")
            .map_or(first.as_str(), |(_, why)| why);
        let command = command_info(option.trim_start_matches('-')).map(|_| option.as_str());
        return commands::bad_value(&option, &value, why, command);
    }
    let message = if first.ends_with(':') {
        // "the following required arguments were not provided:" continues on the next line.
        let next = lines.next().unwrap_or("").trim();
        if next.starts_with('<') {
            "no command given: pass exactly one command flag such as --list or --pick".to_string()
        } else {
            format!("{first} {next}")
        }
    } else {
        first
    };
    let tip = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: ").map(str::to_string));
    let mut error = Error::usage(message);
    if let Some(tip) = tip {
        let mut chars = tip.chars();
        let tip: String = chars
            .next()
            .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect());
        error = error.with_recovery(format!("{tip}; run 'tasks --help' for all options"));
    }
    error
}

#[cfg(test)]
#[path = "tests/cli.rs"]
mod tests;
