//! Task lifecycle: `--claim`, `--complete`, `--archive`, `--lint`, `--bootstrap-evidence`.

pub mod clarifications_stub;
pub mod lint;
pub mod new_task;
pub mod transitions;

use super::args::TaskId;
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use clap::Args;
use transitions::Action;

pub const TITLE: &str = "Task lifecycle";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Claim a task: todo or blocked → in_progress (TASK: a task file or a task id)
    #[arg(long, group = "verb", value_name = "TASK", help_heading = TITLE)]
    claim: Option<String>,

    /// Create a draft task file from the template (--area A --title T)
    #[arg(long, group = "verb", help_heading = TITLE)]
    new_task: bool,

    /// The new task's title (--new-task)
    #[arg(long, value_name = "TITLE", help_heading = "Options")]
    title: Option<String>,

    /// The new task's file name after its id (--new-task; default: from the title)
    #[arg(long, value_name = "SLUG", help_heading = "Options")]
    slug: Option<String>,

    /// Give a claimed task back: in_progress → todo
    #[arg(long, group = "verb", value_name = "TASK", help_heading = TITLE)]
    unclaim: Option<String>,

    /// Block a task: → blocked, with its blocked_reason (--reason R)
    #[arg(long, group = "verb", value_name = "TASK", help_heading = TITLE)]
    block: Option<String>,

    /// Complete a task: → completed, moved to docs/completed-tasks/, cleaned up, notified
    #[arg(long, group = "verb", value_name = "TASK", help_heading = TITLE)]
    complete: Option<String>,

    /// Move a completed task to docs/completed-tasks/ unchanged
    #[arg(long, group = "verb", value_name = "TASK", help_heading = TITLE)]
    archive: Option<String>,

    /// Check task files against the schema rules, one code per finding (a file, an id, a
    /// directory, or nothing: every task file)
    #[arg(long, group = "verb", num_args = 0..=1, value_name = "TASK_PATH", help_heading = TITLE)]
    lint: Option<Option<String>>,

    /// Add the draft discipline to --lint: open questions or evidence for a draft, none for a
    /// todo task, a dependency on a draft also a blocker
    #[arg(long, help_heading = "Options")]
    enforce_drafts: bool,

    /// Create the clarifications stub docs/evidence/tasks/TASK_ID-clarifications.md
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    bootstrap_evidence: Option<TaskId>,
}

#[derive(Debug)]
pub enum Cmd {
    Change(Action, String),
    Block(String, String),
    New(new_task::NewTask),
    Lint(Option<String>, bool),
    ClarificationsStub(TaskId),
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let cmd = if let Some(task) = self.claim {
            Cmd::Change(Action::Claim, task)
        } else if self.new_task {
            match new_task_input(shared, self.title, self.slug) {
                Ok(input) => Cmd::New(input),
                Err(e) => return Some(Err(e)),
            }
        } else if let Some(task) = self.unclaim {
            Cmd::Change(Action::Unclaim, task)
        } else if let Some(task) = self.block {
            let Some(reason) = shared.reason.clone() else {
                return super::usage(
                    "--block needs --reason TEXT: what blocks the task (kept as its blocked_reason)",
                );
            };
            if let Err(why) = reason.parse::<super::args::Text>() {
                return Some(Err(super::bad_value(
                    "--reason",
                    crate::text::prefix(&reason, 80),
                    &why,
                    Some("--block"),
                )));
            }
            if reason.chars().count() > transitions::MAX_REASON {
                return Some(Err(super::bad_value(
                    "--reason",
                    crate::text::prefix(&reason, 80),
                    &format!("at most {} characters", transitions::MAX_REASON),
                    Some("--block"),
                )));
            }
            Cmd::Block(task, reason)
        } else if let Some(task) = self.complete {
            Cmd::Change(Action::Complete, task)
        } else if let Some(task) = self.archive {
            Cmd::Change(Action::Archive, task)
        } else if let Some(path) = self.lint {
            Cmd::Lint(path, self.enforce_drafts)
        } else if let Some(id) = self.bootstrap_evidence {
            Cmd::ClarificationsStub(id)
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Change(Action::Claim, _) => &CLAIM,
            Cmd::Change(Action::Unclaim, _) => &UNCLAIM,
            Cmd::New(_) => &NEW_TASK,
            Cmd::Block(..) | Cmd::Change(Action::Block, _) => &BLOCK,
            Cmd::Change(Action::Complete, _) => &COMPLETE,
            Cmd::Change(Action::Archive, _) => &ARCHIVE,
            Cmd::Lint(..) => &LINT,
            Cmd::ClarificationsStub(_) => &BOOTSTRAP_EVIDENCE,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Change(action, task) => {
                emit(ctx, out, transitions::run(ctx, *action, task, None)?)
            }
            Cmd::New(input) => emit(ctx, out, new_task::run(ctx, input)?),
            Cmd::Block(task, reason) => emit(
                ctx,
                out,
                transitions::run(ctx, Action::Block, task, Some(reason))?,
            ),
            Cmd::Lint(path, drafts) => emit(ctx, out, lint::run(ctx, path.as_deref(), *drafts)?),
            Cmd::ClarificationsStub(id) => {
                emit(ctx, out, clarifications_stub::run(ctx, id.as_str())?)
            }
        })
    }
}

/// The options of --new-task, checked: an area and a slug that can name a path component, a
/// one-line title, a task id, a priority P0–P3.
fn new_task_input(
    shared: &super::Shared,
    title: Option<String>,
    slug: Option<String>,
) -> Result<new_task::NewTask> {
    let bad = |option: &str, value: &str, why: &str| {
        super::bad_value(
            option,
            crate::text::prefix(value, 80),
            why,
            Some("--new-task"),
        )
    };
    let (Some(area), Some(title)) = (shared.area.last().cloned(), title) else {
        return Err(crate::error::Error::usage(
            "--new-task needs --area AREA and --title TITLE",
        ));
    };
    if !new_task::is_name(&area) {
        return Err(bad(
            "--area",
            &area,
            "an area names a directory under tasks/: lowercase letters, digits and -",
        ));
    }
    if let Err(why) = title.parse::<super::args::Text>() {
        return Err(bad("--title", &title, &why));
    }
    if title.chars().count() > 200 {
        return Err(bad("--title", &title, "at most 200 characters"));
    }
    if let Some(slug) = &slug
        && !new_task::is_name(slug)
    {
        return Err(bad(
            "--slug",
            slug,
            "lowercase letters, digits and -, at most 60 characters",
        ));
    }
    let id = match &shared.id {
        Some(id) if crate::ids::is_valid_id(id) => Some(id.clone()),
        Some(id) => {
            return Err(bad(
                "--id",
                id,
                "not a task id (expected the form TASK-0001)",
            ));
        }
        None => None,
    };
    let priority = shared
        .priority
        .last()
        .cloned()
        .unwrap_or_else(|| "P2".into());
    crate::ledger::check_choice("--priority", &priority, &["P0", "P1", "P2", "P3"])?;
    Ok(new_task::NewTask {
        area,
        title,
        id,
        slug,
        priority,
    })
}

pub static COMMANDS: &[&CommandInfo] = &[
    &NEW_TASK,
    &CLAIM,
    &UNCLAIM,
    &BLOCK,
    &COMPLETE,
    &ARCHIVE,
    &LINT,
    &BOOTSTRAP_EVIDENCE,
];

pub static NEW_TASK: CommandInfo = CommandInfo {
    flag: "new-task",
    report: crate::schema::of::<new_task::NewTaskReport>,
    shape: Shape::Flat,
    reads: &["area", "title", "id", "slug", "priority"],
    summary: "create a draft task file from the template (--area A --title T)",
    about: "Creates tasks/AREA/ID-SLUG.task.yaml as a draft: from \
docs/templates/TASK-0000-template.task.yaml when the repository has one (TASK-0000 replaced by \
the id everywhere; id, title, status, priority and area set), else from a built-in schema 1.1 \
template. The id is --id, or the next free one across active and archived tasks; the slug is \
--slug, or made from the title. It bootstraps the clarifications stub, then lints the new file \
and lists what is left to fill. An id that is taken, or a file that exists, is refused and \
nothing is written.",
    examples: &[
        (
            "tasks --new-task --area backend --title \"Rate-limit the tracking API\"",
            "the next free id, priority P2",
        ),
        (
            "tasks --new-task --area mobile --title \"Offline banner\" --id TASK-0420 --slug offline-banner --priority P1",
            "everything chosen",
        ),
    ],
    exits: "0 created · 2 no --area or --title · 10 a bad value, an id taken, a template that cannot be filled (E002), a broken template (E011) · 40 the file exists (E042), a write that failed (E041)",
};

pub static UNCLAIM: CommandInfo = CommandInfo {
    flag: "unclaim",
    report: crate::schema::of::<transitions::LifecycleReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "in_progress → todo: give a claimed task back",
    about: "Gives a claimed task back: its status becomes todo again, so that --pick offers it. \
Only an in_progress task can be unclaimed. Only the value of the `status:` line changes.",
    examples: &[("tasks --unclaim TASK-0101", "back to todo")],
    exits: "0 unclaimed · 10 not in_progress or malformed (E002, E011) · 40 no such task (E040)",
};

pub static BLOCK: CommandInfo = CommandInfo {
    flag: "block",
    report: crate::schema::of::<transitions::LifecycleReport>,
    shape: Shape::Flat,
    reads: &["reason"],
    summary: "→ blocked, with what blocks it (--reason R)",
    about: "Blocks a task: its status becomes blocked and --reason is kept as its top-level \
blocked_reason (what --check-halt and --explain show). Only those two lines change: the \
status value, and the blocked_reason value (written as a quoted string) or, without one, a new \
line after the status line. A todo, in_progress or blocked task can be blocked (blocking again \
replaces the reason); --claim takes it back.",
    examples: &[(
        "tasks --block TASK-0101 --reason \"waiting for the carrier API keys\"",
        "blocked, and why",
    )],
    exits: "0 blocked · 2 no --reason · 10 not blockable, a bad reason or malformed (E002, E011) · 40 no such task (E040)",
};

pub static CLAIM: CommandInfo = CommandInfo {
    flag: "claim",
    report: crate::schema::of::<transitions::LifecycleReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "todo or blocked → in_progress (TASK: a task file or an id)",
    about: "Claims a task: its status becomes in_progress. Only todo and blocked tasks can be \
claimed; a warning names blockers that are not completed yet. Only the value of the `status:` \
line changes — comments, quoting and line endings survive byte for byte.",
    examples: &[
        ("tasks --claim TASK-0101", "by id"),
        (
            "tasks --claim tasks/backend/TASK-0101-extract-shipment-status-service.task.yaml",
            "by path",
        ),
    ],
    exits: "0 claimed · 10 not claimable or malformed (E002, E011) · 40 no such task (E040)",
};

pub static COMPLETE: CommandInfo = CommandInfo {
    flag: "complete",
    report: crate::schema::of::<transitions::LifecycleReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "→ completed, archived, its exceptions and context cleaned up",
    about: "Completes a task: its status becomes completed and the file moves to \
docs/completed-tasks/ (never over an existing file), in one crash-safe step. Then its \
task_completion exceptions leave the ledger, its context cache (.agent-output/TASK_ID/) is \
archived into .agent-output/.completed/TASK_ID/context-<id>.tar.zst and removed in one step — the \
output names the archive and the command that restores it (tasks --extract-evidence) — and a \
notification is sent when the environment configures one. Running it again after an \
interruption finishes the clean-up (`resumed: true`).",
    examples: &[(
        "tasks --complete TASK-0101",
        "complete and archive TASK-0101",
    )],
    exits: "0 completed · 10 not completable (E002, E011) · 40 no such task (E040), destination exists (E042)",
};

pub static ARCHIVE: CommandInfo = CommandInfo {
    flag: "archive",
    report: crate::schema::of::<transitions::LifecycleReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "move a completed task to docs/completed-tasks/ unchanged",
    about: "Moves a completed task's file to docs/completed-tasks/ without changing it (a task \
already there is left as it is: `already_archived`).",
    examples: &[("tasks --archive TASK-0100", "archive a completed task")],
    exits: "0 archived · 10 not completed or malformed (E002, E011) · 40 no such task (E040), destination exists (E042)",
};

pub static LINT: CommandInfo = CommandInfo {
    flag: "lint",
    report: crate::schema::of::<lint::LintRun>,
    shape: Shape::Verdict { data: false },
    reads: &["enforce-drafts"],
    summary: "check task files against the schema rules (one code per finding)",
    about: "Checks one task file (a path relative to the current directory, or a task id) against \
the schema rules: schema 1.1 files get every rule, older ones the required fields. Each finding \
has a severity, a code, the field and a suggestion. With a directory, or nothing (every task \
file of tasks/ and docs/completed-tasks/), it is CI mode: one summary, a table of the findings \
by file, exit 10 on any error. --enforce-drafts adds the draft discipline: a draft needs open \
clarifications.outstanding or a written clarifications.evidence_path file, a todo task may not \
have open clarifications, and a task that depends_on a draft must be blocked_by it.",
    examples: &[
        (
            "tasks --lint tasks/backend/TASK-0101-extract-shipment-status-service.task.yaml",
            "the findings of one file",
        ),
        ("tasks lint TASK-0101", "the same, by id"),
        (
            "tasks --lint --enforce-drafts",
            "every task file, as CI runs it",
        ),
        ("tasks --lint tasks/mobile", "a directory of them"),
    ],
    exits: "0 clean or warnings only · 10 errors (E010) · 40 no such file, or no task file in the directory (E040)",
};

pub static BOOTSTRAP_EVIDENCE: CommandInfo = CommandInfo {
    flag: "bootstrap-evidence",
    report: crate::schema::of::<clarifications_stub::StubReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "create a task's clarifications stub (never overwrites)",
    about: "Creates docs/evidence/tasks/TASK_ID-clarifications.md from the built-in template \
(questions, answers, decisions), never over an existing file (`created: false` then).",
    examples: &[(
        "tasks --bootstrap-evidence TASK-0110",
        "the stub of a draft task",
    )],
    exits: "0",
};
