//! The exception ledger: `--add-exception`, `--list-exceptions`, `--resolve-exception`,
//! `--cleanup-exceptions`.

pub mod exceptions;

use super::args::{ExceptionType, TaskId, Trigger};
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::ledger::STATUSES;
use crate::output::{Printer, Shape};
use clap::{Args, ValueEnum};

pub const TITLE: &str = "Exception ledger";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Record a known problem with a task (--type T; --message M)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    add_exception: Option<TaskId>,

    /// The exception ledger as a table or JSON (--status S)
    #[arg(long, group = "verb", help_heading = TITLE)]
    list_exceptions: bool,

    /// Mark a task's exceptions resolved (--notes N)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    resolve_exception: Option<TaskId>,

    /// Remove a task's exceptions, or without an id every one whose trigger holds (--trigger T)
    #[arg(long, group = "verb", num_args = 0..=1, value_name = "TASK_ID", help_heading = TITLE)]
    cleanup_exceptions: Option<Option<TaskId>>,

    /// Exception type (--add-exception)
    #[arg(long, value_enum, value_name = "TYPE", help_heading = "Options")]
    exception_type: Option<ExceptionType>,

    /// Owner of a new exception (--add-exception; default: system)
    #[arg(long, value_name = "OWNER", help_heading = "Options")]
    owner: Option<String>,

    /// Which exceptions --cleanup-exceptions removes
    #[arg(long, value_enum, value_name = "TRIGGER", help_heading = "Options")]
    trigger: Option<Trigger>,
}

#[derive(Debug)]
pub enum Cmd {
    Add(exceptions::AddRequest),
    List(Option<String>),
    Resolve(TaskId, Option<String>),
    Cleanup(Option<TaskId>, Option<Trigger>),
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let cmd = if let Some(id) = self.add_exception {
            // Two spellings of one option: both given, they must agree.
            let type_ = match shared.type_in(&crate::ledger::EXCEPTION_TYPES) {
                Ok(t) => t.and_then(|t| ExceptionType::from_str(&t, false).ok()),
                Err(e) => return Some(Err(e)),
            };
            if let (Some(a), Some(b)) = (self.exception_type, type_)
                && a != b
            {
                return super::usage(format!(
                    "--exception-type {} and --type {} disagree: they are the same option, pass one",
                    a.as_str(),
                    b.as_str()
                ));
            }
            if let (Some(a), Some(b)) = (&shared.message, &shared.error_details)
                && a != b
            {
                return super::usage(
                    "--message and --error-details are the same option for --add-exception: pass one",
                );
            }
            let Some(exception_type) = self.exception_type.or(type_) else {
                return super::usage(
                    "--add-exception needs --type TYPE (or --exception-type TYPE): malformed_yaml, missing_standards, empty_acceptance_criteria or invalid_schema",
                );
            };
            Cmd::Add(exceptions::AddRequest {
                id: id.to_string(),
                exception_type: exception_type.as_str().to_string(),
                message: shared
                    .message
                    .clone()
                    .or_else(|| shared.error_details.clone()),
                owner: self.owner,
            })
        } else if self.list_exceptions {
            match shared.status_in(&STATUSES) {
                Ok(status) => Cmd::List(status),
                Err(e) => return Some(Err(e)),
            }
        } else if let Some(id) = self.resolve_exception {
            Cmd::Resolve(id, shared.notes.clone())
        } else if let Some(id) = self.cleanup_exceptions {
            Cmd::Cleanup(id, self.trigger)
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Add(_) => &ADD_EXCEPTION,
            Cmd::List(_) => &LIST_EXCEPTIONS,
            Cmd::Resolve(..) => &RESOLVE_EXCEPTION,
            Cmd::Cleanup(..) => &CLEANUP_EXCEPTIONS,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Add(request) => emit(ctx, out, exceptions::add(ctx, request.clone())?),
            Cmd::List(status) => emit(ctx, out, exceptions::list(ctx, status.clone())?),
            Cmd::Resolve(id, notes) => emit(
                ctx,
                out,
                exceptions::resolve(ctx, id.as_str(), notes.clone())?,
            ),
            Cmd::Cleanup(id, trigger) => emit(
                ctx,
                out,
                exceptions::cleanup(
                    ctx,
                    id.as_ref().map(ToString::to_string),
                    trigger.map(|t| t.as_str().to_string()),
                )?,
            ),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[
    &ADD_EXCEPTION,
    &LIST_EXCEPTIONS,
    &RESOLVE_EXCEPTION,
    &CLEANUP_EXCEPTIONS,
];

pub static ADD_EXCEPTION: CommandInfo = CommandInfo {
    flag: "add-exception",
    report: crate::schema::of::<exceptions::AddReport>,
    shape: Shape::Envelope,
    reads: &[
        "exception-type",
        "type",
        "message",
        "error-details",
        "owner",
    ],
    summary: "record a known problem with a task in the exception ledger",
    about: "Records a known problem with a task in docs/compliance/context-cache-exceptions.json \
(the exception ledger), so that it is tracked instead of reported again and again. Adding the \
same type for the same task again updates the entry and re-opens it.",
    examples: &[(
        "tasks --add-exception TASK-0113 --type malformed_yaml --message \"Release checklist has a stray backtick\"",
        "track a broken task file",
    )],
    exits: "0 · 2 no --type · 10 bad id or type (E002) · 50 corrupt ledger (E052)",
};

pub static LIST_EXCEPTIONS: CommandInfo = CommandInfo {
    flag: "list-exceptions",
    report: crate::schema::of::<exceptions::ListReport>,
    shape: Shape::Envelope,
    reads: &["status"],
    summary: "the exception ledger (--status S)",
    about: "Prints the exception ledger as a table (or JSON), optionally only the entries with \
one remediation status: open, in_progress, resolved or wont_fix.",
    examples: &[
        ("tasks --list-exceptions", "every entry"),
        (
            "tasks --list-exceptions --status open",
            "what is still open",
        ),
    ],
    exits: "0 · 10 unknown status (E002) · 50 corrupt ledger (E052)",
};

pub static RESOLVE_EXCEPTION: CommandInfo = CommandInfo {
    flag: "resolve-exception",
    report: crate::schema::of::<exceptions::ResolveReport>,
    shape: Shape::Envelope,
    reads: &["notes"],
    summary: "mark a task's exceptions resolved (--notes N)",
    about: "Marks every exception of a task resolved, with a timestamp and optional notes.",
    examples: &[(
        "tasks --resolve-exception TASK-0113 --notes \"Backtick quoted\"",
        "close the entries of TASK-0113",
    )],
    exits: "0 · 10 the id is not in the ledger (E003) · 50 corrupt ledger (E052)",
};

pub static CLEANUP_EXCEPTIONS: CommandInfo = CommandInfo {
    flag: "cleanup-exceptions",
    report: crate::schema::of::<exceptions::CleanupReport>,
    shape: Shape::Envelope,
    reads: &["trigger"],
    summary: "remove a task's exceptions, or every one whose trigger holds",
    about: "With a task id, removes that task's exceptions (only those with the --trigger given, \
if any). Without an id, removes every exception whose auto-remove trigger holds now: \
task_completion when the task is completed, task_deletion when no file for it exists; manual \
ones only go by explicit id.",
    examples: &[
        (
            "tasks --cleanup-exceptions",
            "remove what no longer applies",
        ),
        (
            "tasks --cleanup-exceptions TASK-0113",
            "remove the entries of one task",
        ),
    ],
    exits: "0 · 10 bad id or trigger (E002) · 50 corrupt ledger (E052)",
};
