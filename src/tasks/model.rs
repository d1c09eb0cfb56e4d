//! The task record every verb works with, and the rank tables of statuses and priorities.

use serde::{Deserialize, Serialize};

/// A task's text: borrowed from the task cache's bytes when the task was read from the cache
/// (kept for the rest of the process, so a warm run copies no string), owned when the task was
/// parsed from its file.
pub type Text = std::borrow::Cow<'static, str>;

/// One task as parsed from its file (contract D5 field rules). Serialized only into the task
/// cache, whose entries already hold the path, hash and mtime: those three are not repeated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Task {
    pub id: Text,
    pub title: Text,
    pub status: Text,
    pub priority: Text,
    pub area: Text,
    pub unblocker: bool,
    pub order: Option<i64>,
    pub blocked_reason: Option<Text>,
    /// Hard blockers, in declared order (duplicates kept).
    pub blocked_by: Vec<Text>,
    /// Informational dependencies, in declared order.
    pub depends_on: Vec<Text>,
    pub schema_version: Text,
    /// Repo-relative path with `/` separators.
    #[serde(skip)]
    pub path: Text,
    /// SHA-256 of the file's text with newlines normalised to `\n`.
    #[serde(skip)]
    pub hash: Text,
    /// Modification time, seconds since the epoch.
    #[serde(skip)]
    pub mtime: f64,
}

pub const STATUSES: [&str; 5] = ["draft", "todo", "in_progress", "blocked", "completed"];
pub const PRIORITIES: [&str; 3] = ["P0", "P1", "P2"];

impl Task {
    /// True for files under `docs/completed-tasks/`.
    pub fn is_archived(&self) -> bool {
        self.path.starts_with(crate::repo::ARCHIVE_DIR)
            && self.path[crate::repo::ARCHIVE_DIR.len()..].starts_with('/')
    }

    pub fn is_completed(&self) -> bool {
        self.status == "completed"
    }
}

/// blocked 0, in_progress 1, todo 2, draft 3, completed 4, anything else 99.
pub fn status_rank(status: &str) -> u8 {
    match status {
        "blocked" => 0,
        "in_progress" => 1,
        "todo" => 2,
        "draft" => 3,
        "completed" => 4,
        _ => 99,
    }
}

/// P0 0, P1 1, P2 2; unknown priorities are `None`.
pub fn priority_level(priority: &str) -> Option<u8> {
    match priority {
        "P0" => Some(0),
        "P1" => Some(1),
        "P2" => Some(2),
        _ => None,
    }
}

/// Rank used for sorting: known levels, unknown priorities last (99).
pub fn priority_rank(priority: &str) -> u8 {
    priority_level(priority).unwrap_or(UNKNOWN_PRIORITY_RANK)
}

/// The sorting rank of a priority that is not a known level.
pub const UNKNOWN_PRIORITY_RANK: u8 = 99;
