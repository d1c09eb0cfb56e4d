//! Agent handoffs: `--snapshot-worktree`, `--verify-worktree`, `--get-diff`, `--resolve-drift`.

pub mod verbs;

use super::args::{DiffType, Role, TaskId, Text};
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use clap::Args;

pub const TITLE: &str = "Agent handoffs";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Snapshot the working tree for a role (--agent R [--previous-agent R])
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    snapshot_worktree: Option<TaskId>,

    /// Is the tree still what a role handed over? (--expected-agent R; default: the latest)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    verify_worktree: Option<TaskId>,

    /// Print a role's diff since the base commit or since the previous role (--agent R [--diff-type from_base|incremental])
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    get_diff: Option<TaskId>,

    /// Reset a role's drift budget after a drift was dealt with (--agent R --note T)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    resolve_drift: Option<TaskId>,

    /// The role whose snapshot this one follows: adds the incremental diff (--snapshot-worktree)
    #[arg(long, value_enum, value_name = "ROLE", help_heading = "Options")]
    previous_agent: Option<Role>,

    /// The role whose snapshot to verify against (--verify-worktree)
    #[arg(long, value_enum, value_name = "ROLE", help_heading = "Options")]
    expected_agent: Option<Role>,

    /// Which diff --get-diff prints (default from_base)
    #[arg(long, value_enum, value_name = "TYPE", help_heading = "Options")]
    diff_type: Option<DiffType>,

    /// Same as --diff-type from_base (--get-diff)
    #[arg(long, help_heading = "Options")]
    from_base: bool,

    /// Same as --diff-type incremental (--get-diff)
    #[arg(long, help_heading = "Options")]
    incremental: bool,

    /// What was done about a drift (--resolve-drift)
    #[arg(long, value_name = "TEXT", help_heading = "Options")]
    note: Option<Text>,
}

#[derive(Debug)]
pub enum Cmd {
    Snapshot {
        id: TaskId,
        role: Role,
        previous: Option<Role>,
        actor: Option<String>,
    },
    Verify(TaskId, Option<Role>),
    Diff(TaskId, Role, DiffType),
    ResolveDrift {
        id: TaskId,
        role: Role,
        note: String,
        actor: Option<String>,
    },
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let actor = shared.actor.clone().map(Text::into_string);
        let cmd = if let Some(id) = self.snapshot_worktree {
            let Some(role) = shared.agent else {
                return super::usage(
                    "--snapshot-worktree needs --agent ROLE (implementer, reviewer or validator)",
                );
            };
            Cmd::Snapshot {
                id,
                role,
                previous: self.previous_agent,
                actor,
            }
        } else if let Some(id) = self.verify_worktree {
            Cmd::Verify(id, self.expected_agent)
        } else if let Some(id) = self.get_diff {
            let Some(role) = shared.agent else {
                return super::usage("--get-diff needs --agent ROLE");
            };
            let chosen = [
                self.diff_type,
                self.from_base.then_some(DiffType::FromBase),
                self.incremental.then_some(DiffType::Incremental),
            ];
            let mut chosen = chosen.into_iter().flatten();
            let diff_type = chosen.next().unwrap_or(DiffType::FromBase);
            if chosen.next().is_some() {
                return super::usage(
                    "--from-base and --incremental choose the same thing (--diff-type): pass one",
                );
            }
            Cmd::Diff(id, role, diff_type)
        } else if let Some(id) = self.resolve_drift {
            let (Some(role), Some(note)) = (shared.agent, self.note) else {
                return super::usage(
                    "--resolve-drift needs --agent ROLE and --note TEXT (what was done about the drift)",
                );
            };
            Cmd::ResolveDrift {
                id,
                role,
                note: note.into_string(),
                actor,
            }
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Snapshot { .. } => &SNAPSHOT_WORKTREE,
            Cmd::Verify(..) => &VERIFY_WORKTREE,
            Cmd::Diff(..) => &GET_DIFF,
            Cmd::ResolveDrift { .. } => &RESOLVE_DRIFT,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Snapshot {
                id,
                role,
                previous,
                actor,
            } => emit(
                ctx,
                out,
                verbs::snapshot(
                    ctx,
                    id.as_str(),
                    role.as_str(),
                    previous.map(Role::as_str),
                    actor.as_deref(),
                )?,
            ),
            Cmd::Verify(id, role) => emit(
                ctx,
                out,
                verbs::verify(ctx, id.as_str(), role.map(Role::as_str))?,
            ),
            Cmd::Diff(id, role, diff_type) => emit(
                ctx,
                out,
                verbs::get_diff(ctx, id.as_str(), role.as_str(), diff_type.as_str())?,
            ),
            Cmd::ResolveDrift {
                id,
                role,
                note,
                actor,
            } => emit(
                ctx,
                out,
                verbs::resolve_drift(ctx, id.as_str(), role.as_str(), note, actor.as_deref())?,
            ),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[
    &SNAPSHOT_WORKTREE,
    &VERIFY_WORKTREE,
    &GET_DIFF,
    &RESOLVE_DRIFT,
];

pub static SNAPSHOT_WORKTREE: CommandInfo = CommandInfo {
    flag: "snapshot-worktree",
    report: crate::schema::of::<verbs::SnapshotReport>,
    shape: Shape::Flat,
    reads: &["agent", "previous-agent", "actor"],
    summary: "snapshot the working tree for a role: its diff from the base",
    about: "Records what a role hands over: the working tree as a git tree (the user's index is \
never touched), the diff from the context's base commit, the changed files with their sha256, \
and with --previous-agent the incremental diff since that role's snapshot. Refused while any \
role has unresolved drift (E024).",
    examples: &[
        (
            "tasks --snapshot-worktree TASK-0101 --agent implementer",
            "the implementer hands over",
        ),
        (
            "tasks --snapshot-worktree TASK-0101 --agent reviewer --previous-agent implementer",
            "the reviewer's changes on top",
        ),
    ],
    exits: "0 · 2 no --agent · 20 unresolved drift (E024) · 50 no context (E051) · 60 git (E061)",
};

pub static VERIFY_WORKTREE: CommandInfo = CommandInfo {
    flag: "verify-worktree",
    report: crate::schema::of::<verbs::VerifyReport>,
    shape: Shape::Verdict { data: true },
    reads: &["expected-agent"],
    summary: "is the working tree still what a role handed over?",
    about: "Compares the working tree now with a role's snapshot (--expected-agent; without it, \
the most recent snapshot, named in the report). Drift is E020 (files changed, each with its \
expected and current sha256), E021 (HEAD moved) or E022 (the changes are gone); each drift \
counts against that role's drift budget.",
    examples: &[(
        "tasks --verify-worktree TASK-0101 --expected-agent implementer",
        "exit 20 on drift",
    )],
    exits: "0 no drift · 20 drift (E020, E021, E022) · 50 no snapshot (E051)",
};

pub static GET_DIFF: CommandInfo = CommandInfo {
    flag: "get-diff",
    report: crate::schema::of::<verbs::DiffReport>,
    shape: Shape::Flat,
    reads: &["agent", "diff-type", "from-base", "incremental"],
    summary: "a role's diff: from_base (since the base) or incremental",
    about: "Prints the diff a role's snapshot recorded: from the context's base commit \
(from_base, the default) or since the previous role's snapshot (incremental).",
    examples: &[
        (
            "tasks --get-diff TASK-0101 --agent implementer",
            "the cumulative diff",
        ),
        (
            "tasks --get-diff TASK-0101 --agent reviewer --diff-type incremental",
            "only the reviewer's changes",
        ),
        (
            "tasks context diff TASK-0101 --agent reviewer --incremental",
            "the same (--from-base and --incremental spell the two types)",
        ),
    ],
    exits: "0 · 2 no --agent · 40 diff file gone (E040) · 50 no snapshot or no incremental diff (E051)",
};

pub static RESOLVE_DRIFT: CommandInfo = CommandInfo {
    flag: "resolve-drift",
    report: crate::schema::of::<verbs::ResolveReport>,
    shape: Shape::Flat,
    reads: &["agent", "note", "actor"],
    summary: "reset a role's drift budget, keeping a note of what was done",
    about: "Resets a role's drift budget to 0 after a drift was dealt with, and records the note, \
who and when in its drift_resolutions.",
    examples: &[(
        "tasks --resolve-drift TASK-0101 --agent implementer --note \"Reverted a stray edit\"",
        "clear the drift",
    )],
    exits: "0 · 2 no --agent or --note · 50 no context (E051)",
};
