//! Evidence: `--attach-evidence`, `--list-evidence`, `--verify-evidence`, `--extract-evidence`.

pub mod verbs;

use super::args::TaskId;
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::evidence::{KIND_NAMES, Kind};
use crate::output::{Printer, Shape};
use clap::Args;

pub const TITLE: &str = "Evidence";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Keep a file or directory as a task's evidence (--type T --path P)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    attach_evidence: Option<TaskId>,

    /// List a task's evidence (--type T to filter)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    list_evidence: Option<TaskId>,

    /// Re-hash a task's stored evidence: is every piece still what was attached?
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    verify_evidence: Option<TaskId>,

    /// Restore an archive of a task's evidence into a directory (--id EID --to DIR)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    extract_evidence: Option<TaskId>,

    /// A JSON object kept with the evidence, e.g. '{"command": "pnpm test", "exit_code": 0,
    /// "duration_ms": 5120}' (--attach-evidence)
    #[arg(long, value_name = "JSON", help_heading = "Options")]
    metadata: Option<String>,
}

#[derive(Debug)]
pub enum Cmd {
    Attach(verbs::AttachInput),
    List(TaskId, Option<Kind>),
    Verify(TaskId),
    Extract { id: TaskId, eid: String, to: String },
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let kind = match shared.type_in(&KIND_NAMES) {
            Ok(t) => t.and_then(|t| Kind::parse(&t)),
            Err(e) => return Some(Err(e)),
        };
        let cmd = if let Some(id) = self.attach_evidence {
            let Some(kind) = kind else {
                return super::usage(format!(
                    "--attach-evidence needs --type TYPE: {}",
                    KIND_NAMES.join(", ")
                ));
            };
            let Some(path) = shared.path.clone() else {
                return super::usage("--attach-evidence needs --path PATH (a file or a directory)");
            };
            match verbs::AttachInput::new(id, kind, path, shared.description.clone(), self.metadata)
            {
                Ok(input) => Cmd::Attach(input),
                Err(e) => return Some(Err(e)),
            }
        } else if let Some(id) = self.list_evidence {
            Cmd::List(id, kind)
        } else if let Some(id) = self.verify_evidence {
            Cmd::Verify(id)
        } else if let Some(id) = self.extract_evidence {
            // Ids are printed in lowercase; one typed in capitals means the same.
            let Some(eid) = shared.id.clone().map(|e| e.to_ascii_lowercase()) else {
                return super::usage(
                    "--extract-evidence needs --id EID (the archive's id, as --list-evidence shows it)",
                );
            };
            if !crate::evidence::is_hex(&eid, 16) {
                return Some(Err(super::bad_value(
                    "--id",
                    &eid,
                    "an evidence id is 16 hex digits, as --list-evidence shows it",
                    Some("--extract-evidence"),
                )));
            }
            let Some(to) = shared.to.clone().filter(|t| !t.is_empty()) else {
                return super::usage(
                    "--extract-evidence needs --to DIR (a directory to extract into)",
                );
            };
            Cmd::Extract { id, eid, to }
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Attach(_) => &ATTACH_EVIDENCE,
            Cmd::List(..) => &LIST_EVIDENCE,
            Cmd::Verify(_) => &VERIFY_EVIDENCE,
            Cmd::Extract { .. } => &EXTRACT_EVIDENCE,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Attach(input) => emit(ctx, out, verbs::attach(ctx, input)?),
            Cmd::List(id, kind) => emit(ctx, out, verbs::list(ctx, id.as_str(), *kind)?),
            Cmd::Verify(id) => emit(ctx, out, verbs::verify(ctx, id.as_str())?),
            Cmd::Extract { id, eid, to } => {
                emit(ctx, out, verbs::extract(ctx, id.as_str(), eid, to)?)
            }
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[
    &ATTACH_EVIDENCE,
    &LIST_EVIDENCE,
    &VERIFY_EVIDENCE,
    &EXTRACT_EVIDENCE,
];

pub static ATTACH_EVIDENCE: CommandInfo = CommandInfo {
    flag: "attach-evidence",
    report: crate::schema::of::<verbs::AttachReport>,
    shape: Shape::Envelope,
    reads: &["type", "path", "description", "metadata"],
    summary: "keep a file or directory as a task's evidence",
    about: "Copies a file of the repository into the task's evidence \
(.agent-output/TASK_ID/evidence/attachments/, named by its SHA-256) and lists it in the task's \
evidence index; a later edit or deletion of the original changes nothing. A directory \
(--type directory) becomes a deterministic tar.zst archive with a listing of every file's size \
and SHA-256: the same directory gives the same bytes on any machine. Types and their limits: \
file 1 MiB, directory none, archive 50 MiB, log 10 MiB, screenshot 5 MiB, qa_output 10 MiB, \
summary 500 KiB, diff 10 MiB. Attaching the same content again updates its entry. A qa_output \
takes command, exit_code and duration_ms from the task's recorded QA result for the same log \
(--record-qa), or from --metadata. Needs the task's context.",
    examples: &[
        (
            "tasks --attach-evidence TASK-0101 --type log --path qa/lint.log --description \"Lint run\"",
            "keep a log",
        ),
        (
            "tasks --attach-evidence TASK-0101 --type qa_output --path qa/test.log --metadata '{\"command\": \"pnpm test\", \"exit_code\": 0, \"duration_ms\": 5120}'",
            "a QA log with its command",
        ),
        (
            "tasks --attach-evidence TASK-0101 --type directory --path screenshots/",
            "archive a directory",
        ),
    ],
    exits: "0 · 2 a missing option · 10 over the size limit (E010), bad type, metadata or path (E002) · 40 no such path (E040) · 50 no context (E051), unreadable index (E052)",
};

pub static LIST_EVIDENCE: CommandInfo = CommandInfo {
    flag: "list-evidence",
    report: crate::schema::of::<verbs::ListReport>,
    shape: Shape::Envelope,
    reads: &["type"],
    summary: "list a task's evidence",
    about: "Lists the task's evidence index: attachments, QA logs recorded with --record-qa \
and checklists copied at --init-context, in the order they were added, with id, type, size, \
description and the stored copy. --type keeps one type. A task without evidence has an empty list.",
    examples: &[
        ("tasks --list-evidence TASK-0101", "a table"),
        (
            "tasks --list-evidence TASK-0101 --type qa_output --format json | jq -r '.data.evidence[].stored_path'",
            "where the QA logs are kept",
        ),
    ],
    exits: "0 · 10 bad --type (E002) · 50 unreadable index (E052)",
};

pub static VERIFY_EVIDENCE: CommandInfo = CommandInfo {
    flag: "verify-evidence",
    report: crate::schema::of::<verbs::VerifyReport>,
    shape: Shape::Verdict { data: true },
    reads: &[],
    summary: "is a task's stored evidence still what was attached?",
    about: "Re-hashes every piece of the task's evidence — the stored copy, or for an entry \
written by tasks.py the file it names — against its recorded SHA-256, and every file inside an \
archive against the archive's listing. Each problem is missing (the file is gone) or modified \
(its content, or a file inside an archive, differs). A record naming a path outside the task's \
directory is reported, never read.",
    examples: &[(
        "tasks --verify-evidence TASK-0101",
        "exit 20 when something changed",
    )],
    exits: "0 all intact · 20 missing or modified (E026) · 50 no context (E051), unreadable index (E052)",
};

pub static EXTRACT_EVIDENCE: CommandInfo = CommandInfo {
    flag: "extract-evidence",
    report: crate::schema::of::<crate::evidence::keep::Restored>,
    shape: Shape::Envelope,
    reads: &["id", "to"],
    summary: "restore an archive of a task's evidence into a directory",
    about: "Restores an archive — an archived directory of the task's evidence, or the task's \
context that --complete kept in .agent-output/.completed/TASK_ID/ — into DIR. The archive is \
re-hashed first; no member may leave DIR (an absolute path or '..' refuses the whole archive, \
a link pointing out of it is skipped) and nothing in DIR is replaced. A failed extraction \
leaves DIR as it was; one killed midway is removed, or finished once it had unpacked everything, \
by the next extraction into DIR.",
    examples: &[
        (
            "tasks --extract-evidence TASK-0101 --id 3f2a9c0d1b7e4a55 --to /tmp/screens",
            "restore an archived directory",
        ),
        (
            "tasks --extract-evidence TASK-0101 --id 9e1c44b20a7d3f80 --to .agent-output",
            "bring back a completed task's context",
        ),
    ],
    exits: "0 · 2 a missing option · 10 not an archive or a hostile archive (E002), no such id (E003) · 20 the archive changed (E026) · 40 a name exists in DIR (E042)",
};
