//! The command line: the global flags, the families' flags flattened into one parser (all
//! command flags in the one exclusive `command` group), word forms (`tasks list`, `tasks context
//! get ID`), argparse-style prefix expansion, help, and the check that every option given is one
//! the command reads. The only module besides the families that knows clap; what it hands on is
//! a `Box<dyn Verb>`.

use crate::app::{CommandInfo, Invocation, Verb};
use crate::commands;
use crate::error::{Error, ErrorCode, Result};
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
            version,
            group(ArgGroup::new("verb").required(true).multiple(false)),
            args_override_self = true,
            disable_help_flag = true,
            disable_version_flag = true,
            disable_help_subcommand = true,
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
    tasks, lifecycle, ledger, quarantine, context, excerpts, handoffs, qa
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

    /// Print help: an overview, or one command's (tasks --pick --help, tasks help pick)
    #[arg(short, long, action = clap::ArgAction::SetTrue, help_heading = "Global options")]
    help: bool,

    /// Print the version
    #[arg(short = 'V', long, action = clap::ArgAction::Version, help_heading = "Global options")]
    version: Option<bool>,
}

/// Long names of the global options (allowed with every command).
const GLOBAL: [&str; 5] = ["format", "repo-root", "color", "help", "version"];

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
    /// `--help`, `--version` or `--completions`: print this on stdout and exit 0.
    Print(String),
    Usage {
        error: Error,
        format: Format,
        /// The JSON shape of the command that was asked for (flat when unknown).
        shape: Shape,
    },
}

/// Parse `argv` (including the program name).
pub fn parse(argv: Vec<OsString>) -> Parsed {
    // The one clap definition of this run (building it is most of the cost of parsing).
    let mut cmd = definition();
    let longs = long_names(&cmd);
    let (format, shape) = requested(&argv, &longs, &cmd);
    let usage = |error: Error| Parsed::Usage {
        error,
        format,
        shape,
    };
    let argv = match expand_prefixes(&argv, &longs) {
        Ok(expanded) => rewrite_words(expanded, &cmd),
        Err(error) => return usage(error),
    };
    if let Some(text) = crate::help::requested(&argv) {
        return Parsed::Print(text);
    }
    let matches = match cmd.try_get_matches_from_mut(&argv) {
        Ok(matches) => matches,
        Err(e) => {
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    Parsed::Print(e.render().to_string())
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
    if let Some(shell) = cli.completions {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "tasks", &mut buf);
        return Parsed::Print(String::from_utf8_lossy(&buf).into_owned());
    }
    let repo_root = cli.global.repo_root.clone();
    let verb = match verb(cli) {
        Some(Ok(verb)) => verb,
        Some(Err(error)) => return usage(error),
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
    })
}

/// The long names of the options given on the command line (not the command flag, not the
/// global options).
fn given_options(matches: &clap::ArgMatches, cmd: &clap::Command) -> Vec<String> {
    let commands: Vec<&clap::Id> = cmd
        .get_groups()
        .filter(|g| g.get_id() == "verb")
        .flat_map(|g| g.get_args())
        .collect();
    cmd.get_arguments()
        .filter(|arg| matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine))
        .filter(|arg| !commands.contains(&arg.get_id()))
        .filter_map(|arg| arg.get_long().map(str::to_string))
        .filter(|long| !GLOBAL.contains(&long.as_str()))
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

/// The JSON shape of a command flag (for usage errors before the command is known).
pub fn shape_of_flag(flag: &str) -> Option<Shape> {
    command_info(flag).map(|c| c.shape)
}

/// The table entry of a command flag (without `--`).
pub fn command_info(flag: &str) -> Option<&'static CommandInfo> {
    FAMILIES
        .iter()
        .flat_map(|(_, commands)| commands.iter().copied())
        .find(|c| c.flag == flag)
}

/// The command a word form names and how many words it takes: `list` → (`list`, 1),
/// `context init` → (`init-context`, 2). `None` for anything else.
pub fn word_form(first: &str, second: Option<&str>) -> Option<(&'static str, usize)> {
    let one = match first {
        "list" => Some("list"),
        "pick" => Some("pick"),
        "validate" => Some("validate"),
        "graph" => Some("graph"),
        "lint" => Some("lint"),
        "explain" => Some("explain"),
        _ => None,
    };
    if let Some(flag) = one {
        return Some((flag, 1));
    }
    let flag = match (first, second?) {
        ("context", "init") => "init-context",
        ("context", "get") => "get-context",
        ("context", "update") => "update-agent",
        ("context", "block") => "mark-blocked",
        ("context", "rebuild") => "rebuild-context",
        ("context", "purge") => "purge-context",
        ("context", "diff") => "get-diff",
        ("context", "verify") => "verify-worktree",
        ("context", "snapshot") => "snapshot-worktree",
        ("exceptions", "list") => "list-exceptions",
        ("exceptions", "add") => "add-exception",
        ("exceptions", "resolve") => "resolve-exception",
        ("exceptions", "cleanup") => "cleanup-exceptions",
        ("quarantine", "list") => "list-quarantined",
        ("quarantine", "add") => "quarantine-task",
        ("quarantine", "release") => "release-quarantine",
        ("quarantine", "repair") => "repair-quarantined",
        _ => return None,
    };
    Some((flag, 2))
}

/// Word forms: `tasks list [FILTER]`, `tasks pick`, `tasks validate`, `tasks graph`,
/// `tasks lint PATH`, `tasks explain ID`, `tasks context init|get|update|block|rebuild|purge|
/// diff|verify|snapshot ID`, `tasks exceptions list|add|resolve|cleanup`, `tasks quarantine
/// list|add|release|repair`, `tasks help [COMMAND]` — anywhere after the global options
/// (`tasks --format json pick`). The word is the first argument that is neither an option nor
/// the value of a global option, when no command flag came before it.
pub fn rewrite_words(mut argv: Vec<OsString>, cmd: &clap::Command) -> Vec<OsString> {
    let takes_value = |long: &str| {
        cmd.get_arguments()
            .find(|a| a.get_long() == Some(long))
            .is_some_and(|a| {
                a.get_action().takes_values() && a.get_num_args().is_none_or(|n| n.min_values() > 0)
            })
    };
    let mut i = 1;
    while i < argv.len() {
        let Some(arg) = argv[i].to_str() else {
            return argv;
        };
        if arg == "--" {
            return argv;
        }
        if let Some(long) = arg.strip_prefix("--") {
            if command_info(long).is_some() || long == "completions" {
                return argv;
            }
            if !long.contains('=') && takes_value(long) {
                i += 1;
            }
            i += 1;
            continue;
        }
        if arg.starts_with('-') {
            i += 1;
            continue;
        }
        break;
    }
    let word = |k: usize| argv.get(k).and_then(|a| a.to_str()).map(str::to_string);
    let (Some(first), second) = (word(i), word(i + 1)) else {
        return argv;
    };
    let (flag, words) = match word_form(&first, second.as_deref()) {
        Some((flag, words)) => (format!("--{flag}"), words),
        None if first == "help" => ("--help".to_string(), 1),
        None => return argv,
    };
    argv.splice(i..i + words, [OsString::from(&flag)]);
    if flag == "--get-diff" {
        // `context diff ID --from-base|--incremental` picks the diff type.
        for arg in argv.iter_mut().skip(i + 1) {
            match arg.to_str() {
                Some("--from-base") => *arg = OsString::from("--diff-type=from_base"),
                Some("--incremental") => *arg = OsString::from("--diff-type=incremental"),
                _ => {}
            }
        }
    }
    argv
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
fn requested(argv: &[OsString], longs: &[String], cmd: &clap::Command) -> (Format, Shape) {
    let argv = rewrite_words(argv.to_vec(), cmd);
    let mut format = Format::Text;
    let mut shape = None;
    for (resolved, _, value, i) in long_options(&argv, longs) {
        let Resolved::Name(name) = resolved else {
            continue;
        };
        if name == "format" {
            let value = value.or_else(|| argv.get(i + 1).and_then(|v| v.to_str()));
            format = if value == Some("json") {
                Format::Json
            } else {
                Format::Text
            };
        } else if name == "color" {
            // Usage errors are coloured as asked, too.
            let value = value.or_else(|| argv.get(i + 1).and_then(|v| v.to_str()));
            if let Some(choice) = value.and_then(|v| ColorArg::from_str(v, false).ok()) {
                crate::output::set_color(choice.choice());
            }
        } else if shape.is_none() {
            shape = shape_of_flag(name);
        }
    }
    (format, shape.unwrap_or(Shape::Flat))
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
        let mut error = Error::new(ErrorCode::E002, first)
            .with_detail("field", &option)
            .with_detail("actual", &value);
        if !allowed.is_empty() {
            error = error
                .with_detail("expected", &allowed)
                .with_recovery(format!("Pass one of: {}", allowed.join(", ")));
        } else {
            error = error.with_recovery(format!(
                "Check the value of {option} (tasks {option} --help shows what it takes)"
            ));
        }
        return error;
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
