//! Validation runs: `--run-validation`, `--list-validation`.

pub mod verbs;

use super::args::{TaskId, Text};
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use clap::Args;

pub const TITLE: &str = "Validation runs";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Run a task's validation commands and record their QA evidence (--command-id CID | --all)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    run_validation: Option<TaskId>,

    /// List a task's validation pipeline with the id of each command
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    list_validation: Option<TaskId>,

    /// Run every command of the pipeline, in order (--run-validation)
    #[arg(long, help_heading = "Options")]
    all: bool,

    /// Working directory of an ad-hoc command, inside the repository (default: its root)
    #[arg(long, value_name = "DIR", help_heading = "Options")]
    cwd: Option<String>,

    /// KEY=VALUE set for the commands, over the inherited and the entry's own (repeatable)
    #[arg(long, value_name = "KEY=VALUE", action = clap::ArgAction::Append, help_heading = "Options")]
    env: Vec<String>,

    /// Paths or globs an ad-hoc command needs; the first missing one skips it
    #[arg(long, value_name = "PATH", num_args = 1.., action = clap::ArgAction::Append, help_heading = "Options")]
    expected_paths: Vec<String>,

    /// Skip an ad-hoc command while this task is not completed
    #[arg(long, value_name = "TASK_ID", help_heading = "Options")]
    blocker_id: Option<TaskId>,

    /// Per attempt, 1000..600000 (default 120000)
    #[arg(
        long,
        value_name = "MS",
        allow_negative_numbers = true,
        help_heading = "Options"
    )]
    timeout_ms: Option<i64>,

    /// required (default), recommended or optional; also error (= required), warning (= recommended)
    #[arg(long, value_name = "LEVEL", help_heading = "Options")]
    criticality: Option<String>,

    /// Exit codes that count as success (default 0)
    #[arg(long, value_name = "N", num_args = 1.., action = clap::ArgAction::Append, allow_negative_numbers = true, help_heading = "Options")]
    expected_exit_codes: Vec<i32>,

    /// The package an ad-hoc command is for (recorded)
    #[arg(long, value_name = "NAME", help_heading = "Options")]
    package: Option<Text>,
}

#[derive(Debug)]
pub enum Cmd {
    Run(Box<verbs::RunInput>),
    List(TaskId),
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let cmd = if let Some(id) = self.run_validation {
            let command = shared.command.clone().map(Text::into_string);
            let command_id = shared.command_id.clone().map(Text::into_string);
            let adhoc_only = [
                ("--cwd", self.cwd.is_some()),
                ("--expected-paths", !self.expected_paths.is_empty()),
                ("--blocker-id", self.blocker_id.is_some()),
                ("--timeout-ms", self.timeout_ms.is_some()),
                ("--criticality", self.criticality.is_some()),
                (
                    "--expected-exit-codes",
                    !self.expected_exit_codes.is_empty(),
                ),
                ("--package", self.package.is_some()),
                ("--description", shared.description.is_some()),
            ];
            let selection = match (self.all, command, command_id) {
                (true, None, None) => verbs::Selection::All,
                (false, None, Some(cid)) => verbs::Selection::One(cid),
                (false, Some(command), Some(cid)) => verbs::Selection::AdHoc { command, id: cid },
                (true, _, _) => {
                    return super::usage(
                        "--run-validation --all runs the pipeline: it takes no --command or --command-id",
                    );
                }
                (false, Some(_), None) => {
                    return super::usage(
                        "--run-validation --command CMD needs --command-id CID (the id its result is recorded under)",
                    );
                }
                (false, None, None) => {
                    return super::usage(
                        "--run-validation needs --command-id CID (one pipeline entry), --all, or --command CMD --command-id CID",
                    );
                }
            };
            if !matches!(selection, verbs::Selection::AdHoc { .. })
                && let Some((flag, _)) = adhoc_only.iter().find(|(_, given)| *given)
            {
                return super::usage(format!(
                    "{flag} describes an ad-hoc command (--command CMD --command-id CID); pipeline entries take theirs from the task file"
                ));
            }
            match verbs::RunInput::new(
                id,
                selection,
                verbs::AdHocFields {
                    description: shared.description.clone(),
                    cwd: self.cwd,
                    expected_paths: self.expected_paths,
                    blocker_id: self.blocker_id.map(|b| b.as_str().to_string()),
                    timeout_ms: self.timeout_ms,
                    criticality: self.criticality,
                    expected_exit_codes: self.expected_exit_codes,
                    package: self.package.map(Text::into_string),
                },
                self.env,
                shared.agent.map(|r| r.as_str().to_string()),
                shared.actor.clone().map(Text::into_string),
            ) {
                Ok(input) => Cmd::Run(Box::new(input)),
                Err(e) => return Some(Err(e)),
            }
        } else if let Some(id) = self.list_validation {
            Cmd::List(id)
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Run(_) => &RUN_VALIDATION,
            Cmd::List(_) => &LIST_VALIDATION,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Run(input) => emit(ctx, out, verbs::run(ctx, input)?),
            Cmd::List(id) => emit(ctx, out, verbs::list(ctx, id.as_str())?),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[&RUN_VALIDATION, &LIST_VALIDATION];

pub static RUN_VALIDATION: CommandInfo = CommandInfo {
    flag: "run-validation",
    report: crate::schema::of::<verbs::RunReport>,
    shape: Shape::Verdict { data: true },
    reads: &[
        "all",
        "command",
        "command-id",
        "description",
        "cwd",
        "env",
        "expected-paths",
        "blocker-id",
        "timeout-ms",
        "criticality",
        "expected-exit-codes",
        "package",
        "agent",
        "actor",
    ],
    summary: "run a task's validation commands and record their QA evidence",
    about: "Runs commands of the task's validation.pipeline — one (--command-id val-002) or every \
one in order (--all); entries without an id are val-001, val-002, … by position \
(--list-validation shows them) — or an ad-hoc command (--command CMD --command-id CID and its \
options). Each runs through /bin/sh in its own process group after its pre-flight checks \
(blocker completed, expected paths present, working directory inside the repository), with \
its timeout killing the whole group and its retries; its output is streamed into a log that \
is kept in the task's evidence (qa_output) and recorded like --record-qa (the baseline of its \
command id; the role's latest with --agent). Exit 0 when every required command passed; \
E013 (exit 10) when a required one failed; E031 (exit 30) when the only problems are skips; \
failures of recommended or optional commands are warnings. Ctrl-C stops the running command, \
records what ran and exits 130. Needs the task's context.",
    examples: &[
        (
            "tasks --run-validation TASK-0101 --all",
            "the whole pipeline",
        ),
        (
            "tasks --run-validation TASK-0101 --command-id val-002 --agent implementer",
            "one entry, recorded as the implementer's latest",
        ),
        (
            "tasks --run-validation TASK-0101 --command \"pnpm test\" --command-id unit --timeout-ms 300000 --env CI=1",
            "an ad-hoc command",
        ),
    ],
    exits: "0 required commands passed · 2 no selection · 10 a required command failed (E013), unknown id or no pipeline (E003), bad option (E002) · 30 only skips (E031) · 50 no context (E051) · 130 interrupted",
};

pub static LIST_VALIDATION: CommandInfo = CommandInfo {
    flag: "list-validation",
    report: crate::schema::of::<verbs::ListReport>,
    shape: Shape::Envelope,
    reads: &[],
    summary: "list a task's validation pipeline with the id of each command",
    about: "Lists the entries of the task's validation.pipeline (read from the task file as it \
is now) with their id (given, or val-001, val-002, … by position), criticality, working \
directory and command; JSON adds every field (timeout, blocker, expected paths and exit codes, \
attempts). An entry that cannot run as written is listed with its problem.",
    examples: &[(
        "tasks --list-validation TASK-0101",
        "the ids --run-validation takes",
    )],
    exits: "0 · 10 a broken task file (E011) · 40 no such task (E040)",
};
