//! The run of one command: the context every verb gets (repository, format, clock, task catalog,
//! warnings), and dispatch from [`Command`] to the verb that does the work.

use crate::clock::{Clock, iso};
use crate::error::{Error, ErrorCode, Result};
use crate::ids;
use crate::ledger;
use crate::output::{Format, Printer, Report, Shape};
use crate::repo::Repo;
use crate::tasks::Catalog;
use crate::verbs;
use crate::verbs::context::{AgentUpdate, InitOptions};
use crate::verbs::qa::QaInput;
use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};

/// One command per invocation (contract D1). Nothing past `cli.rs` sees clap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List {
        filter: String,
    },
    Pick {
        filter: String,
    },
    Validate,
    RefreshCache,
    Graph,
    Explain {
        id: String,
    },
    CheckHalt,
    Claim {
        task: String,
    },
    Complete {
        task: String,
    },
    Archive {
        task: String,
    },
    Lint {
        path: String,
    },
    BootstrapEvidence {
        id: String,
    },
    AddException {
        id: String,
        exception_type: String,
        message: Option<String>,
        owner: Option<String>,
    },
    ListExceptions {
        status: Option<String>,
    },
    ResolveException {
        id: String,
        notes: Option<String>,
    },
    CleanupExceptions {
        id: Option<String>,
        trigger: Option<String>,
    },
    QuarantineTask {
        id: String,
        reason: String,
        error_details: Option<String>,
    },
    ListQuarantined {
        status: Option<String>,
    },
    ReleaseQuarantine {
        id: String,
        notes: Option<String>,
    },
    RepairQuarantined {
        id: String,
    },
    InitContext {
        id: String,
        options: InitOptions,
    },
    GetContext {
        id: String,
    },
    UpdateAgent {
        id: String,
        role: String,
        update: AgentUpdate,
    },
    MarkBlocked {
        id: String,
        role: String,
        finding: String,
        force_secrets: bool,
        actor: Option<String>,
    },
    PurgeContext {
        id: String,
    },
    RebuildContext {
        id: String,
        options: InitOptions,
    },
    AttachStandard {
        id: String,
        file: String,
        section: String,
    },
    VerifyExcerpts {
        id: String,
    },
    InvalidateExcerpts {
        id: String,
    },
    SnapshotWorktree {
        id: String,
        role: String,
        previous: Option<String>,
        actor: Option<String>,
    },
    VerifyWorktree {
        id: String,
        role: String,
    },
    GetDiff {
        id: String,
        role: String,
        diff_type: String,
    },
    ResolveDrift {
        id: String,
        role: String,
        note: String,
        actor: Option<String>,
    },
    RecordQa {
        id: String,
        input: QaInput,
    },
    CompareQa {
        id: String,
        role: String,
        input: QaInput,
    },
}

/// The JSON shape of each command flag's output (contract D3); `None` for options.
pub fn shape_of_flag(flag: &str) -> Option<Shape> {
    Some(match flag {
        "list" | "pick" | "validate" | "explain" | "check-halt" => Shape::Flat,
        "graph" | "refresh-cache" | "claim" | "complete" | "archive" | "lint"
        | "bootstrap-evidence" => Shape::FlatSuccess,
        "add-exception"
        | "list-exceptions"
        | "resolve-exception"
        | "cleanup-exceptions"
        | "quarantine-task"
        | "list-quarantined"
        | "release-quarantine"
        | "repair-quarantined"
        | "init-context"
        | "attach-standard"
        | "verify-excerpts"
        | "invalidate-excerpts"
        | "verify-worktree"
        | "record-qa" => Shape::Envelope,
        // Flat, with the `success: true` the reference printed for these (spec 02 §11, 03 §1.5).
        "get-context" | "update-agent" | "mark-blocked" | "purge-context" | "rebuild-context"
        | "snapshot-worktree" | "get-diff" | "resolve-drift" | "compare-qa" => Shape::FlatSuccess,
        _ => return None,
    })
}

impl Command {
    /// The command-line flag of this command.
    pub fn flag(&self) -> &'static str {
        match self {
            Command::List { .. } => "list",
            Command::Pick { .. } => "pick",
            Command::Validate => "validate",
            Command::RefreshCache => "refresh-cache",
            Command::Graph => "graph",
            Command::Explain { .. } => "explain",
            Command::CheckHalt => "check-halt",
            Command::Claim { .. } => "claim",
            Command::Complete { .. } => "complete",
            Command::Archive { .. } => "archive",
            Command::Lint { .. } => "lint",
            Command::BootstrapEvidence { .. } => "bootstrap-evidence",
            Command::AddException { .. } => "add-exception",
            Command::ListExceptions { .. } => "list-exceptions",
            Command::ResolveException { .. } => "resolve-exception",
            Command::CleanupExceptions { .. } => "cleanup-exceptions",
            Command::QuarantineTask { .. } => "quarantine-task",
            Command::ListQuarantined { .. } => "list-quarantined",
            Command::ReleaseQuarantine { .. } => "release-quarantine",
            Command::RepairQuarantined { .. } => "repair-quarantined",
            Command::InitContext { .. } => "init-context",
            Command::GetContext { .. } => "get-context",
            Command::UpdateAgent { .. } => "update-agent",
            Command::MarkBlocked { .. } => "mark-blocked",
            Command::PurgeContext { .. } => "purge-context",
            Command::RebuildContext { .. } => "rebuild-context",
            Command::AttachStandard { .. } => "attach-standard",
            Command::VerifyExcerpts { .. } => "verify-excerpts",
            Command::InvalidateExcerpts { .. } => "invalidate-excerpts",
            Command::SnapshotWorktree { .. } => "snapshot-worktree",
            Command::VerifyWorktree { .. } => "verify-worktree",
            Command::GetDiff { .. } => "get-diff",
            Command::ResolveDrift { .. } => "resolve-drift",
            Command::RecordQa { .. } => "record-qa",
            Command::CompareQa { .. } => "compare-qa",
        }
    }

    /// The JSON shape of this command's output (contract D3).
    pub fn shape(&self) -> Shape {
        shape_of_flag(self.flag()).unwrap_or(Shape::Flat)
    }

    /// Input checks that need no repository: ids are checked before any path is built from
    /// them, enum values against their sets (E002).
    fn check_arguments(&self) -> Result<()> {
        use crate::context::model::{AGENT_STATUSES, ROLES};
        use crate::ledger::{EXCEPTION_TYPES, STATUSES, TRIGGERS, check_choice};
        use crate::quarantine::{REASONS, REPAIR_STATUSES};
        let id = ids::check_cli_id;
        let choice = |option: &str, value: &Option<String>, allowed: &[&str]| match value {
            Some(v) => check_choice(option, v, allowed),
            None => Ok(()),
        };
        match self {
            Command::Explain { id: task } => id("--explain", task),
            Command::AddException {
                id: task,
                exception_type,
                ..
            } => {
                id("--add-exception", task)?;
                check_choice("--exception-type", exception_type, &EXCEPTION_TYPES)
            }
            Command::ListExceptions { status } => choice("--status", status, &STATUSES),
            Command::ResolveException { id: task, .. } => id("--resolve-exception", task),
            Command::CleanupExceptions { id: task, trigger } => {
                if let Some(task) = task {
                    id("--cleanup-exceptions", task)?;
                }
                choice("--trigger", trigger, &TRIGGERS)
            }
            Command::QuarantineTask {
                id: task, reason, ..
            } => {
                id("--quarantine-task", task)?;
                check_choice("--reason", reason, &REASONS)
            }
            Command::ListQuarantined { status } => choice("--status", status, &REPAIR_STATUSES),
            Command::ReleaseQuarantine { id: task, .. } => id("--release-quarantine", task),
            Command::RepairQuarantined { id: task } => id("--repair-quarantined", task),
            Command::BootstrapEvidence { id: task } => id("--bootstrap-evidence", task),
            Command::InitContext { id: task, options }
            | Command::RebuildContext { id: task, options } => {
                id(&format!("--{}", self.flag()), task)?;
                check_commit("--base-commit", options.base_commit.as_deref())?;
                check_text("--actor", options.actor.as_deref())
            }
            Command::UpdateAgent {
                id: task,
                role,
                update,
            } => {
                id("--update-agent", task)?;
                check_choice("--agent", role, &ROLES)?;
                choice("--status", &update.status, &AGENT_STATUSES)?;
                check_text("--qa-log", update.qa_log.as_deref())?;
                check_text("--session-id", update.session_id.as_deref())?;
                check_text("--actor", update.actor.as_deref())
            }
            Command::MarkBlocked {
                id: task,
                role,
                actor,
                ..
            } => {
                id("--mark-blocked", task)?;
                check_choice("--agent", role, &ROLES)?;
                check_text("--actor", actor.as_deref())
            }
            Command::AttachStandard { id: task, .. } => id("--attach-standard", task),
            Command::RecordQa { id: task, input }
            | Command::CompareQa {
                id: task, input, ..
            } => {
                id(&format!("--{}", self.flag()), task)?;
                choice("--agent", &input.agent, &ROLES)?;
                choice(
                    "--command-type",
                    &input.command_type,
                    &crate::qa::parse::KINDS,
                )?;
                check_text("--command", input.command.as_deref())?;
                check_text("--command-id", input.command_id.as_deref())?;
                check_text("--actor", input.actor.as_deref())
            }
            Command::SnapshotWorktree {
                id: task,
                role,
                previous,
                actor,
            } => {
                id("--snapshot-worktree", task)?;
                check_choice("--agent", role, &ROLES)?;
                choice("--previous-agent", previous, &ROLES)?;
                check_text("--actor", actor.as_deref())
            }
            Command::VerifyWorktree { id: task, role } => {
                id("--verify-worktree", task)?;
                check_choice("--expected-agent", role, &ROLES)
            }
            Command::GetDiff {
                id: task,
                role,
                diff_type,
            } => {
                id("--get-diff", task)?;
                check_choice("--agent", role, &ROLES)?;
                check_choice(
                    "--diff-type",
                    diff_type,
                    &crate::verbs::worktree::DIFF_TYPES,
                )
            }
            Command::ResolveDrift {
                id: task,
                role,
                note,
                actor,
            } => {
                id("--resolve-drift", task)?;
                check_choice("--agent", role, &ROLES)?;
                check_text("--note", Some(note))?;
                check_text("--actor", actor.as_deref())
            }
            Command::GetContext { id: task }
            | Command::PurgeContext { id: task }
            | Command::VerifyExcerpts { id: task }
            | Command::InvalidateExcerpts { id: task } => id(&format!("--{}", self.flag()), task),
            Command::Claim { .. }
            | Command::Complete { .. }
            | Command::Archive { .. }
            | Command::Lint { .. } => Ok(()),
            Command::List { .. }
            | Command::Pick { .. }
            | Command::Validate
            | Command::RefreshCache
            | Command::Graph
            | Command::CheckHalt => Ok(()),
        }
    }
}

/// E002 unless an optional free-text value is non-empty and free of control characters.
fn check_text(option: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if v.trim().is_empty() || v.chars().any(char::is_control) => Err(Error::new(
            ErrorCode::E002,
            format!("{option} needs a non-empty value without control characters"),
        )
        .with_detail("field", option)
        .with_detail("actual", v)
        .with_recovery(format!("Pass a value to {option}, or leave the option out"))),
        _ => Ok(()),
    }
}

/// E002 unless `--base-commit` looks like a revision: never an option for git (`-x`), never
/// whitespace.
fn check_commit(option: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v)
            if v.is_empty()
                || v.starts_with('-')
                || v.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Err(
                Error::new(ErrorCode::E002, format!("{option} {v:?} is not a commit"))
                    .with_detail("field", option)
                    .with_detail("actual", v)
                    .with_recovery(
                        "Pass a commit SHA or a ref name (git log --oneline shows them)",
                    ),
            )
        }
        _ => Ok(()),
    }
}

#[derive(Debug)]
pub struct Invocation {
    pub command: Command,
    pub format: Format,
    pub repo_root: Option<PathBuf>,
}

/// What every verb can reach.
pub struct Ctx {
    pub repo: Repo,
    /// The directory the command was run from (paths on the command line are relative to it).
    pub cwd: PathBuf,
    pub format: Format,
    pub clock: Clock,
    catalog: OnceCell<Catalog>,
    quarantined: OnceCell<std::collections::BTreeSet<String>>,
    force_rebuild: bool,
    warnings: RefCell<Vec<String>>,
}

impl Ctx {
    pub fn new(repo: Repo, cwd: PathBuf, format: Format, clock: Clock) -> Ctx {
        Ctx {
            repo,
            cwd,
            format,
            clock,
            catalog: OnceCell::new(),
            quarantined: OnceCell::new(),
            force_rebuild: false,
            warnings: RefCell::new(Vec::new()),
        }
    }

    /// The task catalog, loaded on first use (through the cache), its warnings recorded once.
    pub fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| {
            // A task move a crash interrupted is finished before the files are read.
            let recovered = crate::tasks::journal::recover_interrupted(&self.repo);
            self.warnings.borrow_mut().extend(recovered);
            let catalog = Catalog::load(&self.repo, self.force_rebuild);
            // Broken files and duplicate ids are reported once, then tracked in the exception
            // ledger (D5).
            let stamp = ledger::Stamp::at(self.clock.now());
            let reconciled = ledger::reconcile(&self.repo, &catalog, &stamp);
            let warnings = catalog.warnings(
                &self.repo,
                |b| reconciled.report.contains(&b.path),
                |d| reconciled.duplicates.contains(&d.id),
            );
            let mut all = self.warnings.borrow_mut();
            all.extend(warnings);
            all.extend(reconciled.notes);
            drop(all);
            catalog
        })
    }

    /// Ids of quarantined tasks (the quarantine index). A corrupt index is E052: better to stop
    /// than to pick a quarantined task.
    pub fn quarantined(&self) -> Result<&std::collections::BTreeSet<String>> {
        if let Some(ids) = self.quarantined.get() {
            return Ok(ids);
        }
        let ids = crate::quarantine::Quarantine::of(&self.repo).quarantined_ids()?;
        Ok(self.quarantined.get_or_init(|| ids))
    }

    /// A warning for stderr (printed before the result, in every format).
    pub fn warn(&self, message: impl Into<String>) {
        self.warnings.borrow_mut().push(message.into());
    }

    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }

    /// Absolute path string of a repo-relative path.
    pub fn abs(&self, rel: &str) -> String {
        self.repo.abs_string(rel)
    }
}

/// Run one invocation from `cwd` and return the process exit code.
pub fn run(invocation: Invocation, cwd: &Path, clock: Clock) -> u8 {
    let printer = Printer {
        format: invocation.format,
        shape: invocation.command.shape(),
        generated_at: iso(clock.now()),
    };
    if let Err(e) = invocation.command.check_arguments() {
        return printer.error(&e);
    }
    let repo = match Repo::discover(invocation.repo_root.as_deref(), cwd) {
        Ok(repo) => repo,
        Err(e) => return printer.error(&e),
    };
    let mut ctx = Ctx::new(repo, cwd.to_path_buf(), invocation.format, clock);
    ctx.force_rebuild = invocation.command == Command::RefreshCache;
    let exit = match dispatch(&ctx, &printer, &invocation.command) {
        Ok(exit) => exit,
        Err(e) => {
            printer.warnings(&ctx.take_warnings());
            printer.error(&e)
        }
    };
    // The process ends here: freeing thousands of tasks one by one is wasted work.
    std::mem::forget(ctx);
    exit
}

/// Warnings first (stderr), then the result.
fn emit<R: Report>(ctx: &Ctx, printer: &Printer, report: R) -> u8 {
    printer.warnings(&ctx.take_warnings());
    let exit = printer.success(&report);
    std::mem::forget(report);
    exit
}

fn dispatch(ctx: &Ctx, printer: &Printer, command: &Command) -> Result<u8> {
    Ok(match command {
        Command::List { filter } => emit(ctx, printer, verbs::list::run(ctx, filter)?),
        Command::Pick { filter } => emit(ctx, printer, verbs::pick::run(ctx, filter)?),
        Command::Validate => emit(ctx, printer, verbs::validate::run(ctx)?),
        Command::RefreshCache => emit(ctx, printer, verbs::refresh::run(ctx)),
        Command::Graph => emit(ctx, printer, verbs::graph::run(ctx)),
        Command::Explain { id } => emit(ctx, printer, verbs::explain::run(ctx, id)?),
        Command::CheckHalt => emit(ctx, printer, verbs::check_halt::run(ctx)),
        Command::Claim { task } => {
            let report = verbs::lifecycle::run(ctx, verbs::lifecycle::Action::Claim, task)?;
            emit(ctx, printer, report)
        }
        Command::Complete { task } => {
            let report = verbs::lifecycle::run(ctx, verbs::lifecycle::Action::Complete, task)?;
            emit(ctx, printer, report)
        }
        Command::Archive { task } => {
            let report = verbs::lifecycle::run(ctx, verbs::lifecycle::Action::Archive, task)?;
            emit(ctx, printer, report)
        }
        Command::Lint { path } => emit(ctx, printer, verbs::lint::run(ctx, path)?),
        Command::BootstrapEvidence { id } => emit(ctx, printer, verbs::evidence::run(ctx, id)?),
        Command::AddException {
            id,
            exception_type,
            message,
            owner,
        } => {
            let request = verbs::exceptions::AddRequest {
                id: id.clone(),
                exception_type: exception_type.clone(),
                message: message.clone(),
                owner: owner.clone(),
            };
            emit(ctx, printer, verbs::exceptions::add(ctx, request)?)
        }
        Command::ListExceptions { status } => {
            emit(ctx, printer, verbs::exceptions::list(ctx, status.clone())?)
        }
        Command::ResolveException { id, notes } => emit(
            ctx,
            printer,
            verbs::exceptions::resolve(ctx, id, notes.clone())?,
        ),
        Command::CleanupExceptions { id, trigger } => emit(
            ctx,
            printer,
            verbs::exceptions::cleanup(ctx, id.clone(), trigger.clone())?,
        ),
        Command::QuarantineTask {
            id,
            reason,
            error_details,
        } => emit(
            ctx,
            printer,
            verbs::quarantine::quarantine(ctx, id, reason, error_details.clone())?,
        ),
        Command::ListQuarantined { status } => {
            emit(ctx, printer, verbs::quarantine::list(ctx, status.clone())?)
        }
        Command::ReleaseQuarantine { id, notes } => emit(
            ctx,
            printer,
            verbs::quarantine::release(ctx, id, notes.clone())?,
        ),
        Command::RepairQuarantined { id } => {
            emit(ctx, printer, verbs::quarantine::repair_task(ctx, id)?)
        }
        Command::InitContext { id, options } => {
            emit(ctx, printer, verbs::context::init(ctx, id, options)?)
        }
        Command::GetContext { id } => emit(ctx, printer, verbs::context::get(ctx, id)?),
        Command::UpdateAgent { id, role, update } => emit(
            ctx,
            printer,
            verbs::context::update_agent(ctx, id, role, update)?,
        ),
        Command::MarkBlocked {
            id,
            role,
            finding,
            force_secrets,
            actor,
        } => emit(
            ctx,
            printer,
            verbs::context::mark_blocked(ctx, id, role, finding, *force_secrets, actor.as_deref())?,
        ),
        Command::PurgeContext { id } => emit(ctx, printer, verbs::context::purge(ctx, id)?),
        Command::RebuildContext { id, options } => {
            emit(ctx, printer, verbs::context::rebuild(ctx, id, options)?)
        }
        Command::AttachStandard { id, file, section } => emit(
            ctx,
            printer,
            verbs::excerpts::attach(ctx, id, file, section)?,
        ),
        Command::VerifyExcerpts { id } => emit(ctx, printer, verbs::excerpts::verify(ctx, id)?),
        Command::InvalidateExcerpts { id } => {
            emit(ctx, printer, verbs::excerpts::invalidate(ctx, id)?)
        }
        Command::SnapshotWorktree {
            id,
            role,
            previous,
            actor,
        } => emit(
            ctx,
            printer,
            verbs::worktree::snapshot(ctx, id, role, previous.as_deref(), actor.as_deref())?,
        ),
        Command::VerifyWorktree { id, role } => {
            emit(ctx, printer, verbs::worktree::verify(ctx, id, role)?)
        }
        Command::GetDiff {
            id,
            role,
            diff_type,
        } => emit(
            ctx,
            printer,
            verbs::worktree::get_diff(ctx, id, role, diff_type)?,
        ),
        Command::ResolveDrift {
            id,
            role,
            note,
            actor,
        } => emit(
            ctx,
            printer,
            verbs::worktree::resolve_drift(ctx, id, role, note, actor.as_deref())?,
        ),
        Command::RecordQa { id, input } => emit(ctx, printer, verbs::qa::record(ctx, id, input)?),
        Command::CompareQa { id, role, input } => {
            emit(ctx, printer, verbs::qa::compare_qa(ctx, id, role, input)?)
        }
    })
}
