//! Quarantine: `--quarantine-task`, `--list-quarantined`, `--release-quarantine`,
//! `--repair-quarantined`.

pub mod verbs;

use super::args::{Reason, TaskId};
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use crate::quarantine::REPAIR_STATUSES;
use clap::Args;

pub const TITLE: &str = "Quarantine";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Quarantine a task so that it is never picked (--reason R)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    quarantine_task: Option<TaskId>,

    /// The quarantined tasks (--status S)
    #[arg(long, group = "verb", help_heading = TITLE)]
    list_quarantined: bool,

    /// Release a task from quarantine (--notes N)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    release_quarantine: Option<TaskId>,

    /// Try the documented YAML repairs on a quarantined task's file
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    repair_quarantined: Option<TaskId>,
}

#[derive(Debug)]
pub enum Cmd {
    Quarantine(TaskId, Reason, Option<String>),
    List(Option<String>),
    Release(TaskId, Option<String>),
    Repair(TaskId),
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let cmd = if let Some(id) = self.quarantine_task {
            let reason = match &shared.reason {
                None => {
                    return super::usage(
                        "--quarantine-task needs --reason REASON: malformed_yaml, validation_failed, corrupted_context or manual",
                    );
                }
                Some(r) => {
                    if let Err(e) =
                        crate::ledger::check_choice("--reason", r, &super::args::REASONS)
                    {
                        return Some(Err(e));
                    }
                    match Reason::parse(r) {
                        Some(reason) => reason,
                        None => return super::usage("--reason: not a quarantine reason"),
                    }
                }
            };
            Cmd::Quarantine(id, reason, shared.error_details.clone())
        } else if self.list_quarantined {
            match shared.status_in(&REPAIR_STATUSES) {
                Ok(status) => Cmd::List(status),
                Err(e) => return Some(Err(e)),
            }
        } else if let Some(id) = self.release_quarantine {
            Cmd::Release(id, shared.notes.clone())
        } else if let Some(id) = self.repair_quarantined {
            Cmd::Repair(id)
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Quarantine(..) => &QUARANTINE_TASK,
            Cmd::List(_) => &LIST_QUARANTINED,
            Cmd::Release(..) => &RELEASE_QUARANTINE,
            Cmd::Repair(_) => &REPAIR_QUARANTINED,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Quarantine(id, reason, details) => emit(
                ctx,
                out,
                verbs::quarantine(ctx, id.as_str(), reason.as_str(), details.clone())?,
            ),
            Cmd::List(status) => emit(ctx, out, verbs::list(ctx, status.clone())?),
            Cmd::Release(id, notes) => {
                emit(ctx, out, verbs::release(ctx, id.as_str(), notes.clone())?)
            }
            Cmd::Repair(id) => emit(ctx, out, verbs::repair_task(ctx, id.as_str())?),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[
    &QUARANTINE_TASK,
    &LIST_QUARANTINED,
    &RELEASE_QUARANTINE,
    &REPAIR_QUARANTINED,
];

pub static QUARANTINE_TASK: CommandInfo = CommandInfo {
    flag: "quarantine-task",
    report: crate::schema::of::<verbs::QuarantineReport>,
    shape: Shape::Envelope,
    reads: &["reason", "error-details"],
    summary: "quarantine a task: never picked, marked in --list (--reason R)",
    about: "Quarantines a task: it is never picked and --list marks it, until it is released. \
The entry (docs/compliance/quarantine/TASK_ID.quarantine.json) names the task's real file and \
why: malformed_yaml, validation_failed, corrupted_context or manual.",
    examples: &[(
        "tasks --quarantine-task TASK-0113 --reason malformed_yaml --error-details \"stray backtick\"",
        "quarantine a broken task",
    )],
    exits: "0 · 2 no --reason · 10 bad id or reason (E002) · 40 no task file (E040)",
};

pub static LIST_QUARANTINED: CommandInfo = CommandInfo {
    flag: "list-quarantined",
    report: crate::schema::of::<verbs::ListReport>,
    shape: Shape::Envelope,
    reads: &["status"],
    summary: "the quarantined tasks (--status S)",
    about: "Lists the quarantined tasks by id, optionally only those with one repair status: \
pending, in_progress, repaired or cannot_repair.",
    examples: &[("tasks --list-quarantined", "every quarantined task")],
    exits: "0 · 10 unknown status (E002) · 50 corrupt entry or index (E052)",
};

pub static RELEASE_QUARANTINE: CommandInfo = CommandInfo {
    flag: "release-quarantine",
    report: crate::schema::of::<verbs::ReleaseReport>,
    shape: Shape::Envelope,
    reads: &["notes"],
    summary: "release a task from quarantine; its entry is archived (--notes N)",
    about: "Releases a task: it can be picked again. Its entry moves to \
docs/compliance/quarantine/resolved/ with the release time and notes.",
    examples: &[(
        "tasks --release-quarantine TASK-0113 --notes \"fixed the backtick\"",
        "release a repaired task",
    )],
    exits: "0 · 40 not quarantined (E040) · 50 corrupt entry or index (E052)",
};

pub static REPAIR_QUARANTINED: CommandInfo = CommandInfo {
    flag: "repair-quarantined",
    report: crate::schema::of::<verbs::RepairReport>,
    shape: Shape::Envelope,
    reads: &[],
    summary: "try the documented YAML repairs on a quarantined task's file",
    about: "Tries three repairs on the lines the YAML error points at: tabs in indentation, a \
plain value starting with a reserved character (quoted), a stray line inside a list \
(re-indented). The file is rewritten only when the result loads as the same task; the entry \
records what was tried either way.",
    examples: &[(
        "tasks --repair-quarantined TASK-0113",
        "repair, then review with git diff",
    )],
    exits: "0 repaired or nothing to do · 10 cannot repair (E011) · 40 not quarantined (E040)",
};
