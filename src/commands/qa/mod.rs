//! QA baselines: `--record-qa`, `--compare-qa`.

pub mod verbs;

use super::args::{QaKind, Role, TaskId, Text};
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use clap::Args;
use verbs::QaInput;

pub const TITLE: &str = "QA baselines";

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// Parse a lint/tsc/test/coverage log into its command's baseline (--agent R --from LOG)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    record_qa: Option<TaskId>,

    /// Compare a new QA log with the baseline (--agent R --from LOG)
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    compare_qa: Option<TaskId>,

    /// The QA log to read (the command form of --record-qa)
    #[arg(long, value_name = "LOG", help_heading = "Options")]
    log_path: Option<String>,

    /// What the log is (default: told from the command or the log)
    #[arg(long, value_enum, value_name = "TYPE", help_heading = "Options")]
    command_type: Option<QaKind>,

    /// The QA command's exit status (default: inferred from the log, and flagged)
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "Options"
    )]
    exit_code: Option<i64>,

    /// How long the QA command ran
    #[arg(
        long,
        value_name = "MS",
        allow_negative_numbers = true,
        help_heading = "Options"
    )]
    duration_ms: Option<u64>,
}

#[derive(Debug)]
pub enum Cmd {
    Record(TaskId, QaInput),
    Compare(TaskId, Role, QaInput),
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let input = |log: String| QaInput {
            log,
            agent: shared.agent.map(|r| r.as_str().to_string()),
            command: shared.command.clone().map(Text::into_string),
            command_type: self.command_type.map(|k| k.as_str().to_string()),
            command_id: shared.command_id.clone().map(Text::into_string),
            exit_code: self.exit_code,
            duration_ms: self.duration_ms,
            actor: shared.actor.clone().map(Text::into_string),
            source: None,
            quiet: false,
        };
        let cmd = if let Some(id) = self.record_qa.clone() {
            let log = match (shared.from.clone(), self.log_path.clone()) {
                (Some(_), Some(_)) => {
                    return super::usage(
                        "--record-qa takes --from LOG (with --agent) or --log-path LOG (with --command), not both",
                    );
                }
                (Some(log), None) => {
                    if shared.agent.is_none() {
                        return super::usage("--record-qa --from LOG needs --agent ROLE");
                    }
                    log
                }
                (None, Some(log)) => {
                    if shared.command.is_none() {
                        return super::usage(
                            "--record-qa --log-path LOG needs --command COMMAND (--exit-code N is optional: inferred from the log when absent)",
                        );
                    }
                    log
                }
                (None, None) => {
                    return super::usage(
                        "--record-qa needs --agent ROLE --from LOG, or --command COMMAND --log-path LOG [--exit-code N]",
                    );
                }
            };
            Cmd::Record(id, input(log))
        } else if let Some(id) = self.compare_qa.clone() {
            let (Some(role), Some(log)) = (shared.agent, shared.from.clone()) else {
                return super::usage(
                    "--compare-qa needs --agent ROLE and --from LOG (the new QA log)",
                );
            };
            Cmd::Compare(id, role, input(log))
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::Record(..) => &RECORD_QA,
            Cmd::Compare(..) => &COMPARE_QA,
        }
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::Record(id, input) => emit(ctx, out, verbs::record(ctx, id.as_str(), input)?),
            Cmd::Compare(id, role, input) => emit(
                ctx,
                out,
                verbs::compare_qa(ctx, id.as_str(), role.as_str(), input)?,
            ),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[&RECORD_QA, &COMPARE_QA];

pub static RECORD_QA: CommandInfo = CommandInfo {
    flag: "record-qa",
    report: crate::schema::of::<verbs::RecordReport>,
    shape: Shape::Envelope,
    reads: &[
        "agent",
        "from",
        "log-path",
        "command",
        "command-type",
        "command-id",
        "exit-code",
        "duration-ms",
        "actor",
    ],
    summary: "parse a lint/tsc/test/coverage log into its command's baseline",
    about: "Reads a QA log (ESLint, tsc, Jest/Vitest, coverage; monorepo prefixes, colours and \
CRLF handled), keeps a copy as evidence, and records its summary as the baseline of its command \
id (and, with --agent, as that role's latest result). Two forms: --agent ROLE --from LOG, or \
--command COMMAND --log-path LOG [--exit-code N] (without --exit-code the exit status is \
inferred from the log and flagged).",
    examples: &[
        (
            "tasks --record-qa TASK-0101 --agent implementer --from qa/lint.log",
            "a baseline from the implementer's lint run",
        ),
        (
            "tasks --record-qa TASK-0101 --command \"pnpm test\" --exit-code 1 --log-path qa/test.log",
            "the command form",
        ),
    ],
    exits: "0 · 2 an incomplete form · 10 unknown log kind, a log linked out of the repository (E002) · 40 no log (E040) · 50 no context (E051)",
};

pub static COMPARE_QA: CommandInfo = CommandInfo {
    flag: "compare-qa",
    report: crate::schema::of::<verbs::CompareReport>,
    shape: Shape::Verdict { data: false },
    reads: &[
        "agent",
        "from",
        "command-type",
        "command-id",
        "exit-code",
        "duration-ms",
        "actor",
    ],
    summary: "compare a new QA log with the baseline (exit 20 on a regression)",
    about: "Parses a new QA log and compares it with the baseline of the same command id: a \
worse exit code, more lint or type errors, more failed tests, or coverage of lines or branches \
down by more than one point is a regression (E023). The result becomes the role's latest.",
    examples: &[(
        "tasks --compare-qa TASK-0101 --agent reviewer --from qa/lint.log",
        "exit 20 when something regressed",
    )],
    exits: "0 no regression · 2 an incomplete form · 10 unknown log kind, a log linked out of the repository (E002) · 20 regressed (E023) · 40 no log (E040) · 50 no baseline (E051)",
};
