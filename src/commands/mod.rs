//! The command layer: one module per family of commands. A family owns its clap flags (all in
//! the one exclusive `command` group, so exactly one runs), the options only it reads, the
//! conversion into its typed command, the `CommandInfo` of each command (JSON shape, the
//! options it reads, its help) and its run functions and reports. The work itself is done by the
//! domain modules (`tasks/`, `context/`, `worktree/`, `qa/`, …), which never see this layer.
//!
//! Adding a family: a directory here with `Flags` (clap `Args`: command flags with
//! `group = "verb"`, and its own options), `TITLE` and `COMMANDS` (one `CommandInfo` per
//! command) and `Flags::verb`, then its name in the `families!` list of `cli.rs`.

pub mod args;
pub mod context;
pub mod evidence;
pub mod excerpts;
pub mod handoffs;
pub mod ledger;
pub mod lifecycle;
pub mod qa;
pub mod quarantine;
pub mod tasks;
pub mod telemetry;
pub mod validation;

use crate::app::Verb;
use crate::error::{Error, Result};
use args::{Role, Text};
use clap::Args;

/// Every value `--status` takes with some command (agent, exception and quarantine statuses), so
/// that completions offer them; each command then checks the value against its own set.
pub(crate) const EVERY_STATUS: [&str; 9] = [
    "pending",
    "in_progress",
    "done",
    "blocked",
    "open",
    "resolved",
    "wont_fix",
    "repaired",
    "cannot_repair",
];

/// An option that takes any non-empty text at parse time (each command checks it against its
/// own set, so that the error lists the values that command takes), but offers every value any
/// command takes to completions.
#[derive(Clone, Copy, Debug)]
struct AnyOf(&'static [&'static [&'static str]]);

impl clap::builder::TypedValueParser for AnyOf {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        clap::builder::NonEmptyStringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .iter()
                .flat_map(|set| set.iter())
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// Options several families read (each command still lists the ones it reads in its
/// `CommandInfo`; any other is a usage error).
#[derive(Args, Debug, Default)]
#[group(skip)]
pub struct Shared {
    /// Agent role: implementer, reviewer or validator
    #[arg(long, value_enum, value_name = "ROLE", help_heading = "Options")]
    pub agent: Option<Role>,

    /// A status: the filter of --list-exceptions and --list-quarantined, the new agent status of
    /// --update-agent (each command checks it against the values it takes; the last one given
    /// counts); --list keeps the tasks of any status given (repeatable, or comma-separated)
    #[arg(
        long,
        value_name = "STATUS",
        value_parser = AnyOf(&[&EVERY_STATUS, &crate::tasks::model::STATUSES]),
        hide_possible_values = true,
        action = clap::ArgAction::Append,
        help_heading = "Options"
    )]
    pub status: Vec<String>,

    /// A type: of the exception (--add-exception, same as --exception-type), of the evidence
    /// (--attach-evidence, the filter of --list-evidence)
    #[arg(
        long = "type",
        value_name = "TYPE",
        value_parser = AnyOf(&[&crate::ledger::EXCEPTION_TYPES, &crate::evidence::KIND_NAMES]),
        hide_possible_values = true,
        help_heading = "Options"
    )]
    pub type_: Option<String>,

    /// A command line: of a QA log (--record-qa; also --cmd), of an ad-hoc validation command
    /// (--run-validation)
    #[arg(long, alias = "cmd", value_name = "COMMAND", help_heading = "Options")]
    pub command: Option<Text>,

    /// A command's id: QA results are matched by it (--record-qa, --compare-qa; default: the
    /// command type); the pipeline entry to run (--run-validation; val-001, …)
    #[arg(long, value_name = "ID", help_heading = "Options")]
    pub command_id: Option<Text>,

    /// What it is, at most 200 characters (--attach-evidence, --run-validation --command)
    #[arg(long, value_name = "TEXT", help_heading = "Options")]
    pub description: Option<String>,

    /// Where from: the QA log to read (--record-qa with --agent, --compare-qa); the first day
    /// of a dashboard, YYYY-MM-DD (--generate-dashboard)
    #[arg(long, value_name = "LOG|DATE", help_heading = "Options")]
    pub from: Option<String>,

    /// Where to: the directory to extract into, created if missing (--extract-evidence); the
    /// last day of a dashboard, YYYY-MM-DD (--generate-dashboard)
    #[arg(long, value_name = "DIR|DATE", help_heading = "Options")]
    pub to: Option<String>,

    /// A path, relative to the current directory: the file or directory to attach
    /// (--attach-evidence); the file read, written or edited (--record-telemetry)
    #[arg(long, value_name = "PATH", help_heading = "Options")]
    pub path: Option<String>,

    /// The agent's session id (--update-agent, --record-telemetry)
    #[arg(long, value_name = "ID", help_heading = "Options")]
    pub session_id: Option<Text>,

    /// A message: of the exception (--add-exception; --error-details works too), of the
    /// warning recorded (--record-telemetry --event warning)
    #[arg(long, value_name = "TEXT", help_heading = "Options")]
    pub message: Option<String>,

    /// Why: the quarantine reason (--quarantine-task: malformed_yaml, validation_failed,
    /// corrupted_context, manual); what blocks the task, recorded as its blocked_reason (--block)
    #[arg(
        long,
        value_name = "REASON",
        value_parser = AnyOf(&[&args::REASONS]),
        hide_possible_values = true,
        help_heading = "Options"
    )]
    pub reason: Option<String>,

    /// An id: of the evidence, 16 hex digits as --list-evidence shows (--extract-evidence); of
    /// the new task (--new-task; default: the next free one)
    #[arg(long, value_name = "ID", help_heading = "Options")]
    pub id: Option<String>,

    /// An area: the filter of --list (repeatable, or comma-separated); the new task's, its
    /// directory under tasks/ (--new-task)
    #[arg(long, value_name = "AREA", action = clap::ArgAction::Append, help_heading = "Options")]
    pub area: Vec<String>,

    /// A priority: the filter of --list, as written in the task files (repeatable, or
    /// comma-separated); the new task's, P0 to P3 (--new-task; default P2)
    #[arg(long, value_name = "PRIORITY", action = clap::ArgAction::Append, help_heading = "Options")]
    pub priority: Vec<String>,

    /// Notes (--resolve-exception, --release-quarantine)
    #[arg(long, value_name = "TEXT", help_heading = "Options")]
    pub notes: Option<String>,

    /// Error details (--quarantine-task; also the message of --add-exception)
    #[arg(long, alias = "error", value_name = "TEXT", help_heading = "Options")]
    pub error_details: Option<String>,

    /// Who makes the change, recorded in the context (default: task-runner)
    #[arg(long, value_name = "NAME", help_heading = "Options")]
    pub actor: Option<Text>,

    /// Proceed although the secret scan matched (a false positive); recorded in the context
    #[arg(long, help_heading = "Options")]
    pub force_secrets: bool,
}

impl Shared {
    /// `--type`, checked against the values the command takes (E002 listing them).
    pub fn type_in(&self, allowed: &[&str]) -> Result<Option<String>> {
        if let Some(value) = &self.type_ {
            crate::ledger::check_choice("--type", value, allowed)?;
        }
        Ok(self.type_.clone())
    }

    /// `--status` (the last one given), checked against the values the command takes (E002
    /// listing them).
    pub fn status_in(&self, allowed: &[&str]) -> Result<Option<String>> {
        let status = self.status.last();
        if let Some(status) = status {
            crate::ledger::check_choice("--status", status, allowed)?;
        }
        Ok(status.cloned())
    }
}

/// A command's own boxed form.
pub fn boxed<V: Verb + 'static>(verb: V) -> Option<Result<Box<dyn Verb>>> {
    Some(Ok(Box::new(verb)))
}

/// A usage error (exit 2) from a family's conversion; `cli::parse` points its recovery at the
/// command's own help.
pub fn usage(message: impl Into<String>) -> Option<Result<Box<dyn Verb>>> {
    Some(Err(Error::usage(message)))
}

/// A bad value for an option (E002, exit 10 — the one error for a bad value, whether clap or a
/// family refuses it). `command`: the command whose help shows what the option takes, if known.
pub fn bad_value(option: &str, value: &str, why: &str, command: Option<&str>) -> Error {
    let help = match command {
        Some(command) => format!("tasks {command} --help shows what it takes"),
        None => "the help of the command shows what it takes".to_string(),
    };
    Error::new(
        crate::error::ErrorCode::E002,
        format!("Invalid value {value:?} for {option}: {why}"),
    )
    .with_detail("field", option)
    .with_detail("actual", value)
    .with_recovery(format!("Check the value of {option} ({help})"))
}
