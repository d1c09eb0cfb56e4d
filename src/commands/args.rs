//! Typed command-line values, checked while the command line is parsed: a bad value is one kind
//! of error everywhere (E002, exit 10, the allowed values listed), and shell completions know the
//! values of the enums.

use clap::ValueEnum;
use std::fmt;
use std::str::FromStr;

/// A task id (`TASK-0001`, `TASK-0911G`), checked before any path is built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskId(String);

impl TaskId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TaskId {
    type Err = String;

    fn from_str(s: &str) -> Result<TaskId, String> {
        if crate::ids::is_valid_id(s) {
            return Ok(TaskId(s.to_string()));
        }
        // Say what was probably meant: the id of a task file's path, an id in capitals.
        let name = s.rsplit('/').next().unwrap_or(s);
        let hint = if let Some(id) = crate::ids::id_from_file_name(name)
            .filter(|_| s.contains('/') || s.ends_with(".task.yaml"))
        {
            format!("; that is a task file: pass its id, {id}")
        } else if crate::ids::is_valid_id(&s.to_uppercase()) {
            format!("; ids are in capitals: {}", s.to_uppercase())
        } else if s.is_empty() {
            ", not empty".to_string()
        } else {
            String::new()
        };
        Err(format!(
            "not a task id (expected the form TASK-0001: capital letters and digits, a dash, digits){hint}"
        ))
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text recorded in a state file (`--actor`, `--note`, `--command`…): not empty, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for Text {
    type Err = String;

    fn from_str(s: &str) -> Result<Text, String> {
        if s.trim().is_empty() {
            Err("needs a value that is not empty".into())
        } else if s.chars().any(char::is_control) {
            Err("may not hold control characters (line breaks, tabs, escapes)".into())
        } else {
            Ok(Text(s.to_string()))
        }
    }
}

/// A revision for `--base-commit`: never something git could take for an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision(String);

impl Revision {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Revision {
    type Err = String;

    fn from_str(s: &str) -> Result<Revision, String> {
        if s.is_empty()
            || s.starts_with('-')
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            Err(
                "is not a commit (a commit SHA or a ref name; `git log --oneline` shows them)"
                    .into(),
            )
        } else {
            Ok(Revision(s.to_string()))
        }
    }
}

/// An agent role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Implementer,
    Reviewer,
    Validator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Implementer => "implementer",
            Role::Reviewer => "reviewer",
            Role::Validator => "validator",
        }
    }
}

/// Which diff `--get-diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffType {
    #[value(name = "from_base")]
    FromBase,
    Incremental,
}

impl DiffType {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffType::FromBase => "from_base",
            DiffType::Incremental => "incremental",
        }
    }
}

/// What a QA log is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QaKind {
    Lint,
    Typecheck,
    Test,
    Coverage,
}

impl QaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QaKind::Lint => "lint",
            QaKind::Typecheck => "typecheck",
            QaKind::Test => "test",
            QaKind::Coverage => "coverage",
        }
    }
}

/// An exception type `--add-exception` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExceptionType {
    #[value(name = "malformed_yaml")]
    MalformedYaml,
    #[value(name = "missing_standards")]
    MissingStandards,
    #[value(name = "empty_acceptance_criteria")]
    EmptyAcceptanceCriteria,
    #[value(name = "invalid_schema")]
    InvalidSchema,
}

impl ExceptionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionType::MalformedYaml => "malformed_yaml",
            ExceptionType::MissingStandards => "missing_standards",
            ExceptionType::EmptyAcceptanceCriteria => "empty_acceptance_criteria",
            ExceptionType::InvalidSchema => "invalid_schema",
        }
    }
}

/// When a ledger exception goes away by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Trigger {
    #[value(name = "task_completion")]
    TaskCompletion,
    #[value(name = "task_deletion")]
    TaskDeletion,
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::TaskCompletion => "task_completion",
            Trigger::TaskDeletion => "task_deletion",
            Trigger::Manual => "manual",
        }
    }
}

/// Why a task is quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Reason {
    #[value(name = "malformed_yaml")]
    MalformedYaml,
    #[value(name = "validation_failed")]
    ValidationFailed,
    #[value(name = "corrupted_context")]
    CorruptedContext,
    Manual,
}

/// The quarantine reasons, as `--reason` takes them for `--quarantine-task`.
pub const REASONS: [&str; 4] = [
    "malformed_yaml",
    "validation_failed",
    "corrupted_context",
    "manual",
];

impl Reason {
    pub fn parse(name: &str) -> Option<Reason> {
        <Reason as ValueEnum>::from_str(name, false).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MalformedYaml => "malformed_yaml",
            Reason::ValidationFailed => "validation_failed",
            Reason::CorruptedContext => "corrupted_context",
            Reason::Manual => "manual",
        }
    }
}

#[cfg(test)]
#[path = "tests/args.rs"]
mod tests;
