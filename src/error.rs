//! The one error type of the tool: a stable code (contract D4), a message, structured details and
//! a recovery action. Every failure that reaches the user goes through [`Error`].

use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// One row of the code table.
pub struct CodeInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub exit: u8,
    pub recovery: &'static str,
}

/// The code table, declared once: each row makes an [`ErrorCode`] variant, its entry in
/// [`ErrorCode::ALL`] and its [`CodeInfo`]. Never renumber, only add.
macro_rules! codes {
    ($($code:ident $name:literal $exit:literal $recovery:literal,)*) => {
        /// Stable error codes. The code, its SCREAMING_SNAKE name and its exit code are a
        /// contract with scripts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($code,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$code,)*];

            pub fn info(self) -> CodeInfo {
                match self {
                    $(ErrorCode::$code => CodeInfo {
                        code: stringify!($code),
                        name: $name,
                        exit: $exit,
                        recovery: $recovery,
                    },)*
                }
            }
        }
    };
}

codes! {
    E001 "VALIDATION_EMPTY_FIELD" 10 "Fill in the empty required field(s) in the task file and retry",
    E002 "VALIDATION_INVALID_TYPE" 10 "Correct the value to one of the accepted forms and retry (see --help)",
    E003 "VALIDATION_MISSING_REFERENCE" 10 "Create the referenced item or remove the reference",
    E010 "SCHEMA_VALIDATION_FAILED" 10 "Fix the reported problems and run the command again",
    E011 "MALFORMED_YAML" 10 "Fix the YAML syntax at the reported line and column",
    E012 "SECRET_DETECTED" 10 "Remove the secret from the task, or pass --force-secrets if it is a false positive",
    E013 "VALIDATION_COMMAND_FAILED" 10 "Inspect the command output, fix the failure and rerun the validation",
    E020 "DRIFT_FILE_MODIFIED" 20 "Revert the unexpected changes or take a new snapshot",
    E021 "DRIFT_BASE_COMMIT_CHANGED" 20 "Move HEAD back; or, if the commit belongs to the task, resolve the drift (--resolve-drift) and snapshot again",
    E022 "DRIFT_UNEXPECTED_CLEAN" 20 "The working tree was cleaned or committed early; restore the changes or re-snapshot",
    E023 "QA_DRIFT" 20 "Fix the regressions listed, then record QA again",
    E024 "DRIFT_BUDGET_EXCEEDED" 20 "Investigate the drift, then run --resolve-drift with a --note",
    E025 "EXCERPT_STALE" 20 "Run --rebuild-context (it caches the excerpts again), or --invalidate-excerpts and attach the standards again",
    E026 "EVIDENCE_MODIFIED" 20 "Find out who changed the stored evidence; attach it again from a trusted copy (--attach-evidence)",
    E027 "METRICS_REGRESSED" 20 "Look at the criteria that regressed (deltas) and what changed between the two runs",
    E030 "BLOCKED_BY_TASK" 30 "Finish the blocking task first",
    E031 "BLOCKED_BY_VALIDATION" 30 "Resolve the blocking task before running this validation",
    E032 "TASK_QUARANTINED" 30 "Repair or release the task from quarantine first",
    E040 "FILE_NOT_FOUND" 40 "Check the path or id and retry",
    E041 "PERMISSION_DENIED" 40 "Fix the file permissions and retry",
    E042 "DESTINATION_EXISTS" 40 "Remove or rename the existing destination file, then retry",
    E050 "CONTEXT_EXISTS" 50 "Use --rebuild-context to refresh it, or --purge-context to start over",
    E051 "CONTEXT_NOT_FOUND" 50 "Run --init-context first",
    E052 "CONTEXT_CORRUPTED" 50 "Inspect the named file; restore it from backup or purge and re-init the context",
    E060 "GIT_DIRTY_TREE" 60 "Commit or stash your changes, or pass --allow-preexisting-dirty",
    E061 "GIT_COMMAND_FAILED" 60 "Check that git is installed and the repository is healthy (git status)",
    E999 "INTERNAL" 1 "This is a bug in tasks; please report it with the command you ran",
}

/// A failure with everything needed to report it: code, message, details, recovery.
#[derive(Debug, Clone)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub details: Map<String, Value>,
    pub recovery: String,
    /// Usage errors are E002 in JSON but exit 2 like every CLI usage error.
    pub exit: u8,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let info = code.info();
        Error {
            code,
            message: message.into(),
            details: Map::new(),
            recovery: info.recovery.to_string(),
            exit: info.exit,
        }
    }

    /// A command-line usage error: exit 2, code E002.
    pub fn usage(message: impl Into<String>) -> Self {
        let mut e = Error::new(ErrorCode::E002, message);
        e.exit = 2;
        e.recovery = "Run 'tasks --help' to see the commands and their options".to_string();
        e
    }

    pub fn with_recovery(mut self, recovery: impl Into<String>) -> Self {
        self.recovery = recovery.into();
        self
    }

    pub fn with_detail(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.insert(key.to_string(), value);
        self
    }

    /// The JSON error object of contract D3 (`error` member of every error output).
    pub fn to_json(&self) -> ErrorJson<'_> {
        let info = self.code.info();
        ErrorJson {
            code: info.code,
            name: info.name,
            message: &self.message,
            details: &self.details,
            recovery_action: &self.recovery,
        }
    }
}

/// `{"code", "name", "message", "details", "recovery_action"}`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ErrorJson<'a> {
    #[schemars(schema_with = "code_schema")]
    pub code: &'static str,
    #[schemars(schema_with = "name_schema")]
    pub name: &'static str,
    pub message: &'a str,
    pub details: &'a Map<String, Value>,
    pub recovery_action: &'a str,
}

/// `code` is one of the stable codes (contract D4).
fn code_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.info().code).collect();
    schemars::json_schema!({"type": "string", "enum": codes})
}

/// `name` is the code's SCREAMING_SNAKE name.
fn name_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.info().name).collect();
    schemars::json_schema!({"type": "string", "enum": names})
}

/// The task whose context `path` belongs to (`…/.agent-output/ID/…`), if it is in one.
fn context_of(path: &std::path::Path) -> Option<String> {
    let mut parts = path.components().map(|c| c.as_os_str().to_string_lossy());
    parts.find(|part| part == ".agent-output")?;
    let id = parts.next()?;
    crate::ids::is_valid_id(&id).then(|| id.into_owned())
}

impl From<crate::store::StateError> for Error {
    fn from(err: crate::store::StateError) -> Self {
        use crate::store::StateError;
        match err {
            StateError::Corrupt { path, reason } => Error::new(
                ErrorCode::E052,
                format!("{} is not valid: {reason}", path.display()),
            )
            .with_detail("path", path.display().to_string())
            .with_detail("reason", reason)
            .with_recovery(match context_of(&path) {
                // A context's files are ignored by git: nothing to restore from there.
                Some(id) => format!(
                    "Nothing was written. Restore {} from a backup, or start the context over: tasks --purge-context {id}, then tasks --init-context {id} (its coordination, snapshots and evidence records are lost)",
                    path.display()
                ),
                None => format!(
                    "Nothing was written. Repair {} by hand (or restore it from git), then retry",
                    path.display()
                ),
            }),
            StateError::Io {
                path,
                action,
                source,
            } => {
                let code = match source.kind() {
                    std::io::ErrorKind::NotFound => ErrorCode::E040,
                    _ => ErrorCode::E041,
                };
                Error::new(
                    code,
                    format!("Cannot {action} {}: {source}", path.display()),
                )
                .with_detail("path", path.display().to_string())
                .with_recovery("Check that the path exists and is writable, then retry")
            }
            StateError::Outside { path, resolved } => Error::new(
                ErrorCode::E002,
                format!(
                    "{} resolves to {}, outside the repository; the tool never creates, writes, reads or removes anything there",
                    path.display(),
                    resolved.display()
                ),
            )
            .with_detail("path", path.display().to_string())
            .with_detail("resolved", resolved.display().to_string())
            .with_recovery(
                "Replace the symbolic link with a directory inside the repository, then retry",
            ),
            StateError::Linked { path, resolved } => Error::new(
                ErrorCode::E002,
                format!(
                    "{} is a symbolic link (to {}); the tool's state directories are never reached through a link, so nothing is created, written, read or removed there",
                    path.display(),
                    resolved.display()
                ),
            )
            .with_detail("path", path.display().to_string())
            .with_detail("resolved", resolved.display().to_string())
            .with_recovery(
                "Replace the symbolic link with a real directory (move its content there if it is yours), then retry",
            ),
            StateError::BadPath { path, reason } => Error::new(
                ErrorCode::E052,
                format!("Refusing the path {}: {reason}", path.display()),
            )
            .with_detail("path", path.display().to_string())
            .with_detail("reason", reason)
            .with_recovery(
                "A state file names a path the tool never writes; repair or remove that state file (restore it from git), then retry",
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code.info().code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
#[path = "tests/error.rs"]
mod tests;
