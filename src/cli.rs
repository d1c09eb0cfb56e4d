//! The command line: clap definitions (the only module that knows clap), argparse-style prefix
//! expansion, sub-command aliases, and conversion into a plain [`Invocation`].

use crate::app::{Command, Invocation};
use crate::error::Error;
use crate::output::{Format, Shape};
use crate::verbs::context::{AgentUpdate, InitOptions};
use crate::verbs::qa::QaInput;
use clap::{Args, CommandFactory, Parser, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

const ABOUT: &str = "Task workflow CLI: list, pick and validate *.task.yaml tasks; per-task context cache for agents";

const LONG_ABOUT: &str = "\
Task workflow CLI: list, pick and validate the *.task.yaml files of a repository.

Task files live under tasks/ (active) and docs/completed-tasks/ (archived). For AI coding agents, \
--init-context freezes a task's criteria, plan and cited standards into .agent-output/TASK_ID/, \
where the implementer, reviewer and validator coordinate. Exactly one command flag is given per run; long flags may be abbreviated to any unique prefix (--pic = --pick).";

const EXAMPLES: &str = "\
Examples:
  tasks --pick                          path of the next task to work on
  tasks --pick --format json | jq .task.id
  tasks --list todo                     todo tasks, in pick order
  tasks list unblocker                  same as --list unblocker
  tasks --explain TASK-0003             why TASK-0003 is (not) ready
  tasks --validate                      cycles, missing dependencies, duplicate ids (exit 10)
  tasks --graph | dot -Tpng -o tasks.png
  tasks --check-halt                    exit 2 when an unblocker is blocked
  tasks --claim TASK-0007               todo -> in_progress (a path works too)
  tasks --complete tasks/web/TASK-0007-x.task.yaml
  tasks --lint tasks/web/TASK-0007-x.task.yaml
  tasks --init-context TASK-0007 --format json    context cache for the agents
  tasks --update-agent TASK-0007 --agent implementer --status done
  tasks --attach-standard TASK-0007 --file standards/backend-tier.md --section \"Handler Constraints\"
  tasks --verify-excerpts TASK-0007     exit 20 when a cached standards excerpt is stale
  tasks --snapshot-worktree TASK-0007 --agent implementer
  tasks --verify-worktree TASK-0007 --expected-agent implementer   exit 20 on drift
  tasks --snapshot-worktree TASK-0007 --agent reviewer --previous-agent implementer
  tasks context diff TASK-0007 --agent reviewer --incremental
  tasks --record-qa TASK-0007 --agent implementer --from qa/lint.log
  tasks --compare-qa TASK-0007 --agent validator --from qa/lint.log   exit 20 on a regression

Exit codes: 0 ok, 1 nothing to pick, 2 usage error or workflow halt, 10-19 validation,
20-29 drift (stale excerpts), 40-49 file not found or unreadable, 50-59 context or state
file problems, 60-69 git problems. With --format json, stdout
always holds one JSON document, errors included: {\"success\": false, \"error\": {...}}.";

#[derive(Parser, Debug)]
#[command(
    name = "tasks",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    override_usage = "tasks <COMMAND> [OPTIONS]\n       tasks list|pick [FILTER] [OPTIONS]\n       tasks context get|diff|verify|snapshot TASK_ID [OPTIONS]",
    args_override_self = true,
    disable_help_flag = true,
    disable_version_flag = true,
    max_term_width = 100
)]
struct Cli {
    #[command(flatten)]
    commands: Commands,

    #[command(flatten)]
    options: VerbOptions,

    /// Output format: text for people, json for scripts (one JSON document on stdout)
    #[arg(long, value_enum, default_value_t = FormatArg::Text, help_heading = "Options")]
    format: FormatArg,

    /// Repository root (default: the nearest directory at or above the current one holding .git)
    #[arg(long, value_name = "DIR", help_heading = "Options")]
    repo_root: Option<PathBuf>,

    /// Print help (a summary with -h)
    #[arg(short, long, action = clap::ArgAction::Help, help_heading = "Options")]
    help: Option<bool>,

    /// Print the version
    #[arg(short = 'V', long, action = clap::ArgAction::Version, help_heading = "Options")]
    version: Option<bool>,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
struct Commands {
    /// List tasks in pick order. FILTER: a status (todo, in_progress, blocked, completed, draft)
    /// or `unblocker`; default all
    #[arg(long, num_args = 0..=1, default_missing_value = "all", value_name = "FILTER", help_heading = "Commands")]
    list: Option<String>,

    /// Pick the next task: unblockers first, then status, inherited priority, order. FILTER: a
    /// status or `unblocker`; default auto. Exit 1 when nothing is ready, 2 on a workflow halt
    #[arg(long, num_args = 0..=1, default_missing_value = "auto", value_name = "FILTER", help_heading = "Commands")]
    pick: Option<String>,

    /// Check the dependency graph: cycles, missing dependencies, duplicate ids (exit 10 if any)
    #[arg(long, help_heading = "Commands")]
    validate: bool,

    /// Re-parse every task file and rewrite the task cache
    #[arg(long, help_heading = "Commands")]
    refresh_cache: bool,

    /// Print the dependency graph in Graphviz DOT format
    #[arg(long, help_heading = "Commands")]
    graph: bool,

    /// Explain a task's blockers, artifact dependencies and readiness
    #[arg(long, value_name = "TASK_ID", help_heading = "Commands")]
    explain: Option<String>,

    /// Check for workflow halt conditions (blocked unblockers); exit 2 when halted
    #[arg(long, help_heading = "Commands")]
    check_halt: bool,

    /// Claim a task: todo or blocked → in_progress. TASK is a task file path or a task id
    #[arg(long, value_name = "TASK", help_heading = "Task lifecycle")]
    claim: Option<String>,

    /// Complete a task: status → completed, file moved to docs/completed-tasks/ (never over an
    /// existing file), its exceptions cleaned up, a notification sent when configured
    #[arg(long, value_name = "TASK", help_heading = "Task lifecycle")]
    complete: Option<String>,

    /// Move a completed task to docs/completed-tasks/ without changing it
    #[arg(long, value_name = "TASK", help_heading = "Task lifecycle")]
    archive: Option<String>,

    /// Check a task file against the schema 1.1 rules (exit 10 when there are errors)
    #[arg(long, value_name = "TASK_PATH", help_heading = "Task lifecycle")]
    lint: Option<String>,

    /// Create docs/evidence/tasks/TASK_ID-clarifications.md from a template (never overwrites)
    #[arg(long, value_name = "TASK_ID", help_heading = "Task lifecycle")]
    bootstrap_evidence: Option<String>,

    /// Record a known problem with a task in the exception ledger (needs --exception-type or
    /// --type; message from --message or --error-details). Re-adding updates the entry
    #[arg(long, value_name = "TASK_ID", help_heading = "Exception ledger")]
    add_exception: Option<String>,

    /// List the exception ledger (optional --status open|in_progress|resolved|wont_fix)
    #[arg(long, help_heading = "Exception ledger")]
    list_exceptions: bool,

    /// Mark a task's exceptions resolved (optional --notes)
    #[arg(long, value_name = "TASK_ID", help_heading = "Exception ledger")]
    resolve_exception: Option<String>,

    /// Remove exceptions: those of TASK_ID, or without it every one whose auto_remove_on
    /// trigger holds (optional --trigger task_completion|task_deletion|manual)
    #[arg(long, num_args = 0..=1, value_name = "TASK_ID", help_heading = "Exception ledger")]
    cleanup_exceptions: Option<Option<String>>,

    /// Quarantine a task so it is never picked (needs --reason; optional --error-details)
    #[arg(long, value_name = "TASK_ID", help_heading = "Quarantine")]
    quarantine_task: Option<String>,

    /// List quarantined tasks (optional --status pending|in_progress|repaired|cannot_repair)
    #[arg(long, help_heading = "Quarantine")]
    list_quarantined: bool,

    /// Release a task from quarantine (optional --notes)
    #[arg(long, value_name = "TASK_ID", help_heading = "Quarantine")]
    release_quarantine: Option<String>,

    /// Try the documented YAML repairs on a quarantined task's file (tabs, reserved first
    /// characters, stray lines in lists); the file is rewritten only if the result parses
    #[arg(long, value_name = "TASK_ID", help_heading = "Quarantine")]
    repair_quarantined: Option<String>,

    /// Create the context cache of a task (.agent-output/TASK_ID/): a snapshot of its acceptance
    /// criteria, scope, plan, standards excerpts and validation commands, plus agent
    /// coordination. Refused on a dirty tree (--allow-preexisting-dirty records it instead)
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    init_context: Option<String>,

    /// Print a task's context (staleness warnings on stderr)
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    get_context: Option<String>,

    /// Update one agent's coordination: --agent ROLE and at least one of --status, --qa-log,
    /// --session-id
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    update_agent: Option<String>,

    /// Record a blocking finding for an agent (--agent ROLE --finding TEXT); its status becomes
    /// blocked
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    mark_blocked: Option<String>,

    /// Delete a task's context directory and everything in it (nothing to delete is not an error)
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    purge_context: Option<String>,

    /// Rebuild a context's immutable part and manifest from the task and standards files as they
    /// are now; agent coordination, snapshots and evidence are kept
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    rebuild_context: Option<String>,

    /// Cache a section of a standards file for a task: --attach-standard TASK_ID --file FILE
    /// --section HEADING (or --attach-standard FILE --section HEADING --task-id TASK_ID)
    #[arg(long, value_name = "TASK_ID|FILE", help_heading = "Context cache")]
    attach_standard: Option<String>,

    /// Check a task's cached standards excerpts against the files now (exit 20 when any is stale)
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    verify_excerpts: Option<String>,

    /// Remove a task's stale standards excerpts and list them
    #[arg(long, value_name = "TASK_ID", help_heading = "Context cache")]
    invalidate_excerpts: Option<String>,

    /// Snapshot the working tree for an agent (--agent ROLE [--previous-agent ROLE]): a git tree
    /// of the worktree, the diff from the context's base commit, the changed files with sha256
    /// and, with --previous-agent, the diff since that role's snapshot
    #[arg(long, value_name = "TASK_ID", help_heading = "Agent handoffs")]
    snapshot_worktree: Option<String>,

    /// Check that the working tree still matches an agent's snapshot (--expected-agent ROLE);
    /// exit 20 on drift (E020 files changed, E021 HEAD moved, E022 changes gone)
    #[arg(long, value_name = "TASK_ID", help_heading = "Agent handoffs")]
    verify_worktree: Option<String>,

    /// Print an agent's diff (--agent ROLE [--diff-type from_base|incremental])
    #[arg(long, value_name = "TASK_ID", help_heading = "Agent handoffs")]
    get_diff: Option<String>,

    /// Reset an agent's drift budget after a drift was dealt with (--agent ROLE --note TEXT)
    #[arg(long, value_name = "TASK_ID", help_heading = "Agent handoffs")]
    resolve_drift: Option<String>,

    /// Record a QA result as the baseline of its command: --agent ROLE --from LOG, or --command C
    /// --exit-code N --log-path LOG ([--command-type lint|typecheck|test|coverage] [--command-id
    /// ID]); the log is parsed (ESLint, tsc, Jest/Vitest, coverage) and kept as evidence
    #[arg(long, value_name = "TASK_ID", help_heading = "QA baselines")]
    record_qa: Option<String>,

    /// Compare a new QA log with the baseline of the same command (--agent ROLE --from LOG);
    /// exit 20 when something regressed (E023)
    #[arg(long, value_name = "TASK_ID", help_heading = "QA baselines")]
    compare_qa: Option<String>,

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[arg(long, value_name = "SHELL", help_heading = "Commands")]
    completions: Option<clap_complete::Shell>,
}

/// Options some commands read; others ignore them.
#[derive(Args, Debug)]
struct VerbOptions {
    /// Exception type: malformed_yaml, missing_standards, empty_acceptance_criteria, invalid_schema
    #[arg(long, value_name = "TYPE", help_heading = "Command options")]
    exception_type: Option<String>,

    /// Same as --exception-type for --add-exception
    #[arg(long = "type", value_name = "TYPE", help_heading = "Command options")]
    type_: Option<String>,

    /// Exception message (--add-exception)
    #[arg(long, value_name = "TEXT", help_heading = "Command options")]
    message: Option<String>,

    /// Error details (--quarantine-task; also the message of --add-exception)
    #[arg(
        long,
        alias = "error",
        value_name = "TEXT",
        help_heading = "Command options"
    )]
    error_details: Option<String>,

    /// Owner of a new exception (default: system)
    #[arg(long, value_name = "OWNER", help_heading = "Command options")]
    owner: Option<String>,

    /// A status: the filter of --list-exceptions (open, in_progress, resolved, wont_fix) and
    /// --list-quarantined (pending, in_progress, repaired, cannot_repair); the new agent status
    /// of --update-agent (pending, in_progress, done, blocked)
    #[arg(long, value_name = "STATUS", help_heading = "Command options")]
    status: Option<String>,

    /// Notes for --resolve-exception and --release-quarantine
    #[arg(long, value_name = "TEXT", help_heading = "Command options")]
    notes: Option<String>,

    /// Clean-up trigger: task_completion, task_deletion or manual
    #[arg(long, value_name = "TRIGGER", help_heading = "Command options")]
    trigger: Option<String>,

    /// Quarantine reason: malformed_yaml, validation_failed, corrupted_context or manual
    #[arg(long, value_name = "REASON", help_heading = "Command options")]
    reason: Option<String>,

    /// Agent role: implementer, reviewer or validator (--update-agent, --mark-blocked,
    /// --snapshot-worktree, --get-diff, --resolve-drift)
    #[arg(long, value_name = "ROLE", help_heading = "Context options")]
    agent: Option<String>,

    /// Path of the agent's QA log (--update-agent)
    #[arg(long, value_name = "PATH", help_heading = "Context options")]
    qa_log: Option<String>,

    /// The agent's session id (--update-agent)
    #[arg(long, value_name = "ID", help_heading = "Context options")]
    session_id: Option<String>,

    /// The blocking finding to record (--mark-blocked)
    #[arg(long, value_name = "TEXT", help_heading = "Context options")]
    finding: Option<String>,

    /// Who makes the change, recorded in the context (default: task-runner)
    #[arg(long, value_name = "NAME", help_heading = "Context options")]
    actor: Option<String>,

    /// Base the context on this commit instead of HEAD (--init-context, --rebuild-context)
    #[arg(long, value_name = "SHA", help_heading = "Context options")]
    base_commit: Option<String>,

    /// Init even with uncommitted changes; their paths are recorded and ignored by drift checks
    #[arg(long, help_heading = "Context options")]
    allow_preexisting_dirty: bool,

    /// Proceed although the secret scan matched (a false positive); recorded in the context
    #[arg(long, help_heading = "Context options")]
    force_secrets: bool,

    /// Standards file, relative to the current directory (--attach-standard)
    #[arg(long, value_name = "FILE", help_heading = "Context options")]
    file: Option<String>,

    /// Heading of the standards section (--attach-standard): any case, spaces or '-', '&' or 'and'
    #[arg(long, value_name = "HEADING", help_heading = "Context options")]
    section: Option<String>,

    /// The role whose snapshot this one follows (--snapshot-worktree): adds the incremental diff
    #[arg(long, value_name = "ROLE", help_heading = "Context options")]
    previous_agent: Option<String>,

    /// The role whose snapshot to verify against (--verify-worktree)
    #[arg(long, value_name = "ROLE", help_heading = "Context options")]
    expected_agent: Option<String>,

    /// Which diff --get-diff prints: from_base (default) or incremental
    #[arg(long, value_name = "TYPE", help_heading = "Context options")]
    diff_type: Option<String>,

    /// What was done about a drift (--resolve-drift)
    #[arg(long, value_name = "TEXT", help_heading = "Context options")]
    note: Option<String>,

    /// QA log to read (--record-qa ROLE form, --compare-qa)
    #[arg(long, value_name = "LOG", help_heading = "QA options")]
    from: Option<String>,

    /// QA log to read (--record-qa command form)
    #[arg(long, value_name = "LOG", help_heading = "QA options")]
    log_path: Option<String>,

    /// The QA command line that produced the log
    #[arg(long, value_name = "COMMAND", help_heading = "QA options")]
    command: Option<String>,

    /// What the log is: lint, typecheck, test or coverage (default: told from the command or the log)
    #[arg(long, value_name = "TYPE", help_heading = "QA options")]
    command_type: Option<String>,

    /// The id results are matched by (default: the command type)
    #[arg(long, value_name = "ID", help_heading = "QA options")]
    command_id: Option<String>,

    /// The QA command's exit status (default: 1 when the log shows errors or failures, else 0)
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "QA options"
    )]
    exit_code: Option<i64>,

    /// How long the QA command ran
    #[arg(long, value_name = "MS", help_heading = "QA options")]
    duration_ms: Option<u64>,

    /// The task, when --attach-standard is given the standards file
    #[arg(long, value_name = "TASK_ID", help_heading = "Context options")]
    task_id: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
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
    let argv = rewrite_aliases(argv);
    let longs = long_names();
    let (format, shape) = requested(&argv, &longs);
    let usage = |error: Error| Parsed::Usage {
        error,
        format,
        shape,
    };
    let argv = match expand_prefixes(&argv, &longs) {
        Ok(expanded) => expanded,
        Err(error) => return usage(error),
    };
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    Parsed::Print(e.render().to_string())
                }
                _ => usage(usage_error(&e)),
            };
        }
    };
    let format = match cli.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
    };
    let c = cli.commands;
    let o = cli.options;
    if let Some(shell) = c.completions {
        let mut cmd = Cli::command();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "tasks", &mut buf);
        return Parsed::Print(String::from_utf8_lossy(&buf).into_owned());
    }
    let command = if let Some(filter) = c.list {
        Command::List { filter }
    } else if let Some(filter) = c.pick {
        Command::Pick { filter }
    } else if c.validate {
        Command::Validate
    } else if c.refresh_cache {
        Command::RefreshCache
    } else if c.graph {
        Command::Graph
    } else if let Some(id) = c.explain {
        Command::Explain { id }
    } else if c.check_halt {
        Command::CheckHalt
    } else if let Some(task) = c.claim {
        Command::Claim { task }
    } else if let Some(task) = c.complete {
        Command::Complete { task }
    } else if let Some(task) = c.archive {
        Command::Archive { task }
    } else if let Some(path) = c.lint {
        Command::Lint { path }
    } else if let Some(id) = c.bootstrap_evidence {
        Command::BootstrapEvidence { id }
    } else if let Some(id) = c.add_exception {
        let Some(exception_type) = o.exception_type.or(o.type_) else {
            return usage(Error::usage(
                "--add-exception needs --exception-type TYPE (or --type TYPE)",
            ));
        };
        Command::AddException {
            id,
            exception_type,
            message: o.message.or(o.error_details),
            owner: o.owner,
        }
    } else if c.list_exceptions {
        Command::ListExceptions { status: o.status }
    } else if let Some(id) = c.resolve_exception {
        Command::ResolveException { id, notes: o.notes }
    } else if let Some(id) = c.cleanup_exceptions {
        Command::CleanupExceptions {
            id,
            trigger: o.trigger,
        }
    } else if let Some(id) = c.quarantine_task {
        let Some(reason) = o.reason else {
            return usage(Error::usage("--quarantine-task needs --reason REASON"));
        };
        Command::QuarantineTask {
            id,
            reason,
            error_details: o.error_details,
        }
    } else if c.list_quarantined {
        Command::ListQuarantined { status: o.status }
    } else if let Some(id) = c.release_quarantine {
        Command::ReleaseQuarantine { id, notes: o.notes }
    } else if let Some(id) = c.repair_quarantined {
        Command::RepairQuarantined { id }
    } else if let Some(id) = c.init_context {
        Command::InitContext {
            id,
            options: InitOptions {
                base_commit: o.base_commit,
                allow_preexisting_dirty: o.allow_preexisting_dirty,
                force_secrets: o.force_secrets,
                actor: o.actor,
            },
        }
    } else if let Some(id) = c.get_context {
        Command::GetContext { id }
    } else if let Some(id) = c.update_agent {
        let Some(role) = o.agent else {
            return usage(Error::usage(
                "--update-agent needs --agent ROLE (implementer, reviewer or validator)",
            ));
        };
        if o.status.is_none() && o.qa_log.is_none() && o.session_id.is_none() {
            return usage(Error::usage(
                "--update-agent has nothing to update: pass --status, --qa-log or --session-id",
            ));
        }
        Command::UpdateAgent {
            id,
            role,
            update: AgentUpdate {
                status: o.status,
                qa_log: o.qa_log,
                session_id: o.session_id,
                force_secrets: o.force_secrets,
                actor: o.actor,
            },
        }
    } else if let Some(id) = c.mark_blocked {
        let (Some(role), Some(finding)) = (o.agent, o.finding.filter(|f| !f.trim().is_empty()))
        else {
            return usage(Error::usage(
                "--mark-blocked needs --agent ROLE and --finding TEXT (not empty)",
            ));
        };
        Command::MarkBlocked {
            id,
            role,
            finding,
            force_secrets: o.force_secrets,
            actor: o.actor,
        }
    } else if let Some(id) = c.purge_context {
        Command::PurgeContext { id }
    } else if let Some(id) = c.rebuild_context {
        Command::RebuildContext {
            id,
            options: InitOptions {
                base_commit: o.base_commit,
                allow_preexisting_dirty: false,
                force_secrets: o.force_secrets,
                actor: o.actor,
            },
        }
    } else if let Some(first) = c.attach_standard {
        // Two forms: TASK_ID --file FILE, or FILE --task-id TASK_ID (the design docs' form).
        let (id, file) = match (o.task_id, o.file) {
            (Some(_), Some(_)) => {
                return usage(Error::usage(
                    "--attach-standard takes either --file FILE (TASK_ID --file FILE) or --task-id TASK_ID (FILE --task-id TASK_ID), not both",
                ));
            }
            (Some(id), None) => (id, first),
            (None, Some(file)) => (first, file),
            (None, None) => {
                return usage(Error::usage(
                    "--attach-standard needs --file FILE (or the form FILE --section S --task-id TASK_ID)",
                ));
            }
        };
        let Some(section) = o.section else {
            return usage(Error::usage("--attach-standard needs --section HEADING"));
        };
        Command::AttachStandard { id, file, section }
    } else if let Some(id) = c.verify_excerpts {
        Command::VerifyExcerpts { id }
    } else if let Some(id) = c.invalidate_excerpts {
        Command::InvalidateExcerpts { id }
    } else if let Some(id) = c.snapshot_worktree {
        let Some(role) = o.agent else {
            return usage(Error::usage(
                "--snapshot-worktree needs --agent ROLE (implementer, reviewer or validator)",
            ));
        };
        Command::SnapshotWorktree {
            id,
            role,
            previous: o.previous_agent,
            actor: o.actor,
        }
    } else if let Some(id) = c.verify_worktree {
        let Some(role) = o.expected_agent else {
            return usage(Error::usage(
                "--verify-worktree needs --expected-agent ROLE (whose snapshot to compare with)",
            ));
        };
        Command::VerifyWorktree { id, role }
    } else if let Some(id) = c.get_diff {
        let Some(role) = o.agent else {
            return usage(Error::usage("--get-diff needs --agent ROLE"));
        };
        Command::GetDiff {
            id,
            role,
            diff_type: o.diff_type.unwrap_or_else(|| "from_base".into()),
        }
    } else if let Some(id) = c.resolve_drift {
        let (Some(role), Some(note)) = (o.agent, o.note.filter(|n| !n.trim().is_empty())) else {
            return usage(Error::usage(
                "--resolve-drift needs --agent ROLE and --note TEXT (what was done about the drift)",
            ));
        };
        Command::ResolveDrift {
            id,
            role,
            note,
            actor: o.actor,
        }
    } else if let Some(id) = c.record_qa {
        let log = match (o.from.clone(), o.log_path.clone()) {
            (Some(_), Some(_)) => {
                return usage(Error::usage(
                    "--record-qa takes --from LOG (with --agent) or --log-path LOG (with --command and --exit-code), not both",
                ));
            }
            (Some(log), None) => {
                if o.agent.is_none() {
                    return usage(Error::usage("--record-qa --from LOG needs --agent ROLE"));
                }
                log
            }
            (None, Some(log)) => {
                if o.command.is_none() || o.exit_code.is_none() {
                    return usage(Error::usage(
                        "--record-qa --log-path LOG needs --command COMMAND and --exit-code N",
                    ));
                }
                log
            }
            (None, None) => {
                return usage(Error::usage(
                    "--record-qa needs --agent ROLE --from LOG, or --command COMMAND --exit-code N --log-path LOG",
                ));
            }
        };
        Command::RecordQa {
            id,
            input: qa_input(o, log),
        }
    } else if let Some(id) = c.compare_qa {
        let (Some(role), Some(log)) = (o.agent.clone(), o.from.clone()) else {
            return usage(Error::usage(
                "--compare-qa needs --agent ROLE and --from LOG (the new QA log)",
            ));
        };
        Command::CompareQa {
            id,
            role,
            input: qa_input(o, log),
        }
    } else {
        // clap's required group makes this unreachable; report it as usage all the same.
        return usage(Error::usage("no command given"));
    };
    Parsed::Run(Invocation {
        command,
        format,
        repo_root: cli.repo_root,
    })
}

/// The QA options of `--record-qa` and `--compare-qa`.
fn qa_input(o: VerbOptions, log: String) -> QaInput {
    QaInput {
        log,
        agent: o.agent,
        command: o.command,
        command_type: o.command_type,
        command_id: o.command_id,
        exit_code: o.exit_code,
        duration_ms: o.duration_ms,
        actor: o.actor,
    }
}

/// Sub-command aliases: `tasks list [FILTER]`, `tasks pick [FILTER]`, and `tasks context
/// get|diff|verify|snapshot ID` (`--get-context`, `--get-diff`, `--verify-worktree`,
/// `--snapshot-worktree`; `context diff ID --from-base|--incremental` sets `--diff-type`).
fn rewrite_aliases(mut argv: Vec<OsString>) -> Vec<OsString> {
    let word = |i: usize| argv.get(i).and_then(|a| a.to_str()).map(str::to_string);
    match (word(1).as_deref(), word(2).as_deref()) {
        (Some("list"), _) => argv[1] = OsString::from("--list"),
        (Some("pick"), _) => argv[1] = OsString::from("--pick"),
        (Some("context"), Some(verb @ ("get" | "diff" | "verify" | "snapshot"))) => {
            let flag = match verb {
                "get" => "--get-context",
                "diff" => "--get-diff",
                "verify" => "--verify-worktree",
                _ => "--snapshot-worktree",
            };
            argv.splice(1..3, [OsString::from(flag)]);
            if verb == "diff" {
                // `--from-base` / `--incremental` pick the diff type.
                for arg in argv.iter_mut().skip(2) {
                    match arg.to_str() {
                        Some("--from-base") => *arg = OsString::from("--diff-type=from_base"),
                        Some("--incremental") => *arg = OsString::from("--diff-type=incremental"),
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }
    argv
}

/// Every long option name, aliases included.
fn long_names() -> Vec<String> {
    let mut cmd = Cli::command();
    cmd.build();
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
fn expand_prefixes(argv: &[OsString], longs: &[String]) -> Result<Vec<OsString>, Error> {
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
fn requested(argv: &[OsString], longs: &[String]) -> (Format, Shape) {
    let mut format = Format::Text;
    let mut shape = None;
    for (resolved, _, value, i) in long_options(argv, longs) {
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
        } else if shape.is_none() {
            shape = crate::app::shape_of_flag(name);
        }
    }
    (format, shape.unwrap_or(Shape::Flat))
}

fn usage_error(e: &clap::Error) -> Error {
    let rendered = e.render().to_string();
    let mut lines = rendered.lines();
    let message = lines
        .next()
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_string();
    let message = if message.ends_with(':') {
        // "the following required arguments were not provided:" continues on the next line.
        let next = lines.next().unwrap_or("").trim();
        if next.starts_with('<') {
            "no command given: pass exactly one command flag such as --list or --pick".to_string()
        } else {
            format!("{message} {next}")
        }
    } else {
        message
    };
    let tip = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: ").map(str::to_string));
    let mut error = Error::usage(message);
    if let Some(tip) = tip {
        error = error.with_recovery(format!("{tip}; run 'tasks --help' for all options"));
    }
    error
}

#[cfg(test)]
#[path = "tests/cli.rs"]
mod tests;
