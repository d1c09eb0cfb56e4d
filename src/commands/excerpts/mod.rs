//! Standards excerpts: `--attach-standard`, `--verify-excerpts`, `--invalidate-excerpts`.

pub mod verbs;

use super::args::TaskId;
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use clap::Args;

pub const TITLE: &str = "Standards excerpts";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Cache one section of a standards file for a task (--file F --section S)
    #[arg(long, group = "verb", value_name = "TASK_ID|FILE", help_heading = TITLE)]
    attach_standard: Option<String>,

    /// Are a task's cached standards excerpts still what the files say?
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    verify_excerpts: Option<TaskId>,

    /// Remove a task's stale standards excerpts
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    invalidate_excerpts: Option<TaskId>,

    /// Standards file, relative to the current directory (--attach-standard)
    #[arg(long, value_name = "FILE", help_heading = "Options")]
    file: Option<String>,

    /// Heading of the section: any case, spaces or '-' (--attach-standard)
    #[arg(long, value_name = "HEADING", help_heading = "Options")]
    section: Option<String>,

    /// The task, when --attach-standard names the file (FILE --section S --task-id ID)
    #[arg(long, value_name = "TASK_ID", help_heading = "Options")]
    task_id: Option<TaskId>,
}

#[derive(Debug)]
pub enum Cmd {
    Attach {
        id: TaskId,
        file: String,
        section: String,
    },
    Verify(TaskId),
    Invalidate(TaskId),
}

impl Flags {
    pub fn verb(self, _: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let cmd = if let Some(first) = self.attach_standard {
            // Two forms: TASK_ID --file FILE, or FILE --task-id TASK_ID (the design docs' form).
            let (id, file) = match (self.task_id, self.file) {
                (Some(_), Some(_)) => {
                    return super::usage(
                        "--attach-standard takes either --file FILE (TASK_ID --file FILE) or --task-id TASK_ID (FILE --task-id TASK_ID), not both",
                    );
                }
                (Some(id), None) => (id, first),
                (None, Some(file)) => match first.parse::<TaskId>() {
                    Ok(id) => (id, file),
                    Err(why) => {
                        return Some(Err(super::bad_value(
                            "--attach-standard",
                            &first,
                            &why,
                            Some("--attach-standard"),
                        )));
                    }
                },
                (None, None) => {
                    return super::usage(
                        "--attach-standard needs --file FILE (or the form FILE --section S --task-id TASK_ID)",
                    );
                }
            };
            let Some(section) = self.section else {
                return super::usage("--attach-standard needs --section HEADING");
            };
            Cmd::Attach { id, file, section }
        } else if let Some(id) = self.verify_excerpts {
            Cmd::Verify(id)
        } else if let Some(id) = self.invalidate_excerpts {
            Cmd::Invalidate(id)
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Attach { .. } => &ATTACH_STANDARD,
            Cmd::Verify(_) => &VERIFY_EXCERPTS,
            Cmd::Invalidate(_) => &INVALIDATE_EXCERPTS,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Attach { id, file, section } => {
                emit(ctx, out, verbs::attach(ctx, id.as_str(), file, section)?)
            }
            Cmd::Verify(id) => emit(ctx, out, verbs::verify(ctx, id.as_str())?),
            Cmd::Invalidate(id) => emit(ctx, out, verbs::invalidate(ctx, id.as_str())?),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[&ATTACH_STANDARD, &VERIFY_EXCERPTS, &INVALIDATE_EXCERPTS];

pub static ATTACH_STANDARD: CommandInfo = CommandInfo {
    flag: "attach-standard",
    report: crate::schema::of::<verbs::AttachReport>,
    shape: Shape::Envelope,
    reads: &["file", "section", "task-id"],
    summary: "cache one section of a standards file for a task",
    about: "Extracts one section of a standards file (Markdown, found by its heading in any \
case) and caches it for a task under .agent-output/TASK_ID/evidence/standards/, with its line \
span, a hash and its first sentence. No context is needed. Also accepted in the design docs' \
form: --attach-standard FILE --section S --task-id TASK_ID.",
    examples: &[(
        "tasks --attach-standard TASK-0101 --file standards/backend-tier.md --section \"Handler Constraints\"",
        "cache one section",
    )],
    exits: "0 · 2 a missing option · 10 no such section (E003), outside the repository (E002) · 40 no such file (E040)",
};

pub static VERIFY_EXCERPTS: CommandInfo = CommandInfo {
    flag: "verify-excerpts",
    report: crate::schema::of::<verbs::VerifyReport>,
    shape: Shape::Verdict { data: true },
    reads: &[],
    summary: "are a task's cached standards excerpts still what the files say?",
    about: "Compares every cached excerpt of a task with its standards file now, and its cached \
copy with what it should hold. Each excerpt is fresh or stale: file gone, section gone, section \
changed, cached copy missing or edited.",
    examples: &[(
        "tasks --verify-excerpts TASK-0101",
        "exit 20 when one is stale",
    )],
    exits: "0 all fresh · 20 stale (E025) · 50 no excerpts (E051)",
};

pub static INVALIDATE_EXCERPTS: CommandInfo = CommandInfo {
    flag: "invalidate-excerpts",
    report: crate::schema::of::<verbs::InvalidateReport>,
    shape: Shape::Envelope,
    reads: &[],
    summary: "remove a task's stale standards excerpts",
    about: "Removes the stale excerpts of a task (their cached copies and index entries) and \
lists them; --rebuild-context or --attach-standard caches them again.",
    examples: &[(
        "tasks --invalidate-excerpts TASK-0101",
        "drop what is stale",
    )],
    exits: "0 · 50 no excerpts (E051)",
};
