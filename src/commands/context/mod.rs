//! The context cache: `--init-context`, `--get-context`, `--update-agent`, `--mark-blocked`,
//! `--purge-context`, `--rebuild-context`.

pub mod verbs;

use super::args::{Revision, Role, TaskId, Text};
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::context::model::AGENT_STATUSES;
use crate::error::Result;
use crate::output::{Printer, Shape};
use clap::Args;
use verbs::{AgentUpdate, InitOptions};

pub const TITLE: &str = "Context cache";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Build a task's context cache for the agents (.agent-output/TASK_ID/)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    init_context: Option<TaskId>,

    /// Print a task's context, its age and staleness (--role R: one role's coordination)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    get_context: Option<TaskId>,

    /// Set a role's status, QA log or session id (--agent R --status S …)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    update_agent: Option<TaskId>,

    /// Record a blocking finding; the role becomes blocked (--agent R --finding T)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    mark_blocked: Option<TaskId>,

    /// Delete a task's context directory
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    purge_context: Option<TaskId>,

    /// Rebuild the snapshot from the files now; coordination, snapshots and evidence kept
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    rebuild_context: Option<TaskId>,

    /// Base the context on this commit instead of HEAD
    #[arg(long, value_name = "SHA", help_heading = "Options")]
    base_commit: Option<Revision>,

    /// Init even with uncommitted changes (their paths are recorded and ignored later)
    #[arg(long, help_heading = "Options")]
    allow_preexisting_dirty: bool,

    /// Path of the agent's QA log (--update-agent)
    #[arg(long, value_name = "PATH", help_heading = "Options")]
    qa_log: Option<Text>,

    /// The blocking finding (--mark-blocked)
    #[arg(long, value_name = "TEXT", help_heading = "Options")]
    finding: Option<String>,

    /// Only this role's coordination (--get-context)
    #[arg(long, value_enum, value_name = "ROLE", help_heading = "Options")]
    role: Option<Role>,
}

#[derive(Debug)]
pub enum Cmd {
    Init(TaskId, InitOptions),
    Get(TaskId, Option<Role>),
    UpdateAgent(TaskId, Role, AgentUpdate),
    MarkBlocked {
        id: TaskId,
        role: Role,
        finding: String,
        force_secrets: bool,
        actor: Option<String>,
    },
    Purge(TaskId),
    Rebuild(TaskId, InitOptions),
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let actor = shared.actor.clone().map(Text::into_string);
        let options = |allow_preexisting_dirty| InitOptions {
            base_commit: self.base_commit.as_ref().map(|r| r.as_str().to_string()),
            allow_preexisting_dirty,
            force_secrets: shared.force_secrets,
            actor: actor.clone(),
        };
        let cmd = if let Some(id) = self.init_context.clone() {
            Cmd::Init(id, options(self.allow_preexisting_dirty))
        } else if let Some(id) = self.get_context.clone() {
            Cmd::Get(id, self.role)
        } else if let Some(id) = self.update_agent.clone() {
            let Some(role) = shared.agent else {
                return super::usage(
                    "--update-agent needs --agent ROLE (implementer, reviewer or validator)",
                );
            };
            if shared.status.is_empty() && self.qa_log.is_none() && shared.session_id.is_none() {
                return super::usage(
                    "--update-agent has nothing to update: pass --status, --qa-log or --session-id",
                );
            }
            let status = match shared.status_in(&AGENT_STATUSES) {
                Ok(status) => status,
                Err(e) => return Some(Err(e)),
            };
            Cmd::UpdateAgent(
                id,
                role,
                AgentUpdate {
                    status,
                    qa_log: self.qa_log.clone().map(Text::into_string),
                    session_id: shared.session_id.clone().map(Text::into_string),
                    force_secrets: shared.force_secrets,
                    actor: actor.clone(),
                },
            )
        } else if let Some(id) = self.mark_blocked.clone() {
            let (Some(role), Some(finding)) = (
                shared.agent,
                self.finding.clone().filter(|f| !f.trim().is_empty()),
            ) else {
                return super::usage(
                    "--mark-blocked needs --agent ROLE and --finding TEXT (not empty)",
                );
            };
            Cmd::MarkBlocked {
                id,
                role,
                finding,
                force_secrets: shared.force_secrets,
                actor: actor.clone(),
            }
        } else if let Some(id) = self.purge_context.clone() {
            Cmd::Purge(id)
        } else if let Some(id) = self.rebuild_context.clone() {
            Cmd::Rebuild(id, options(false))
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Init(..) => &INIT_CONTEXT,
            Cmd::Get(..) => &GET_CONTEXT,
            Cmd::UpdateAgent(..) => &UPDATE_AGENT,
            Cmd::MarkBlocked { .. } => &MARK_BLOCKED,
            Cmd::Purge(_) => &PURGE_CONTEXT,
            Cmd::Rebuild(..) => &REBUILD_CONTEXT,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Init(id, options) => emit(ctx, out, verbs::init(ctx, id.as_str(), options)?),
            Cmd::Get(id, role) => emit(
                ctx,
                out,
                verbs::get(ctx, id.as_str(), role.map(Role::as_str))?,
            ),
            Cmd::UpdateAgent(id, role, update) => emit(
                ctx,
                out,
                verbs::update_agent(ctx, id.as_str(), role.as_str(), update)?,
            ),
            Cmd::MarkBlocked {
                id,
                role,
                finding,
                force_secrets,
                actor,
            } => emit(
                ctx,
                out,
                verbs::mark_blocked(
                    ctx,
                    id.as_str(),
                    role.as_str(),
                    finding,
                    *force_secrets,
                    actor.as_deref(),
                )?,
            ),
            Cmd::Purge(id) => emit(ctx, out, verbs::purge(ctx, id.as_str())?),
            Cmd::Rebuild(id, options) => emit(ctx, out, verbs::rebuild(ctx, id.as_str(), options)?),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[
    &INIT_CONTEXT,
    &GET_CONTEXT,
    &UPDATE_AGENT,
    &MARK_BLOCKED,
    &PURGE_CONTEXT,
    &REBUILD_CONTEXT,
];

pub static INIT_CONTEXT: CommandInfo = CommandInfo {
    flag: "init-context",
    report: crate::schema::of::<verbs::InitReport>,
    shape: Shape::Envelope,
    reads: &[
        "base-commit",
        "allow-preexisting-dirty",
        "force-secrets",
        "actor",
    ],
    summary: "build a task's context cache for the agents",
    about: "Freezes what the agents need into .agent-output/TASK_ID/: the task's acceptance \
criteria, scope, plan, deliverables and validation commands, the cited standards sections \
(excerpts cached), the checklists of docs/agents/, and the coordination state of the \
implementer, reviewer and validator. Checks, in order: the task exists, is not quarantined, \
loads, has every required field, has no context yet, the working tree is clean (or \
--allow-preexisting-dirty records what was dirty), and holds no secret (or --force-secrets).",
    examples: &[
        ("tasks --init-context TASK-0101", "the context of TASK-0101"),
        (
            "tasks --init-context TASK-0101 --format json | jq .data.context_file",
            "where it was written",
        ),
    ],
    exits: "0 · 10 incomplete (E001), malformed (E011), secret (E012) · 30 quarantined (E032) · 40 no task (E040) · 50 exists (E050) · 60 dirty tree (E060), git (E061)",
};

pub static GET_CONTEXT: CommandInfo = CommandInfo {
    flag: "get-context",
    report: crate::schema::of::<verbs::GetReport>,
    shape: Shape::Flat,
    reads: &["role"],
    summary: "a task's context, its age and staleness (--role R: one role)",
    about: "Prints a task's context: the frozen task snapshot and the agents' coordination, with \
its age. A context older than 48 hours has a staleness_warning; one whose base commit is no \
longer HEAD has head_moved true and current_head (both are also warnings on stderr). --role \
shows only that role's coordination.",
    examples: &[
        ("tasks --get-context TASK-0101", "a summary"),
        (
            "tasks --get-context TASK-0101 --role reviewer --format json",
            "the reviewer's part, for an agent",
        ),
    ],
    exits: "0 · 50 no context (E051) or corrupt (E052)",
};

pub static UPDATE_AGENT: CommandInfo = CommandInfo {
    flag: "update-agent",
    report: crate::schema::of::<verbs::UpdateReport>,
    shape: Shape::Flat,
    reads: &[
        "agent",
        "status",
        "qa-log",
        "session-id",
        "force-secrets",
        "actor",
    ],
    summary: "set a role's status, QA log or session id",
    about: "Updates one role's coordination in a task's context: --status (pending, \
in_progress, done, blocked), --qa-log PATH, --session-id ID. `done` records completed_at. \
Values are scanned for secrets.",
    examples: &[(
        "tasks --update-agent TASK-0101 --agent implementer --status done",
        "the implementer is done",
    )],
    exits: "0 · 2 no --agent or nothing to update · 10 bad status (E002), secret (E012) · 50 no context (E051)",
};

pub static MARK_BLOCKED: CommandInfo = CommandInfo {
    flag: "mark-blocked",
    report: crate::schema::of::<verbs::BlockedReport>,
    shape: Shape::Flat,
    reads: &["agent", "finding", "force-secrets", "actor"],
    summary: "record a blocking finding; the role becomes blocked",
    about: "Appends a blocking finding to a role's coordination and sets its status to blocked.",
    examples: &[(
        "tasks --mark-blocked TASK-0101 --agent reviewer --finding \"Missing tests for retries\"",
        "the reviewer blocks on a finding",
    )],
    exits: "0 · 2 no --agent or --finding · 10 secret (E012) · 50 no context (E051)",
};

pub static PURGE_CONTEXT: CommandInfo = CommandInfo {
    flag: "purge-context",
    report: crate::schema::of::<verbs::PurgeReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "delete a task's context directory",
    about: "Deletes .agent-output/TASK_ID/ and everything in it — its evidence included, with no \
archive kept (--complete keeps one) — in one step. Nothing to delete is not an error \
(`purged: false`).",
    examples: &[("tasks --purge-context TASK-0101", "start over")],
    exits: "0 · 10 a linked directory (E002) · 50 something else than a directory in its place (E052)",
};

pub static REBUILD_CONTEXT: CommandInfo = CommandInfo {
    flag: "rebuild-context",
    report: crate::schema::of::<verbs::RebuildReport>,
    shape: Shape::Flat,
    reads: &["base-commit", "force-secrets", "actor"],
    summary: "rebuild the snapshot from the files now; coordination kept",
    about: "Rebuilds a context's frozen part and manifest from the task and standards files as \
they are now, and lists what changed. Coordination, snapshots, evidence and QA results stay; the \
base commit stays unless --base-commit moves it. All or nothing: a failure changes nothing.",
    examples: &[(
        "tasks --rebuild-context TASK-0101",
        "after the task file changed",
    )],
    exits: "0 · 10 incomplete (E001), malformed (E011), secret (E012) · 50 no context (E051), corrupt (E052)",
};
