//! `context.json` and `context.manifest` (spec 02 §3–§4, contract D6). Field names are the
//! reference's, so contexts it wrote load; `schema_version: "1.1"` and a few fields are added;
//! every key this version does not know is kept (`extra`) and written back.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const CONTEXT_VERSION: u32 = 1;
pub const SCHEMA_VERSION: &str = "1.1";
pub const ROLES: [&str; 3] = ["implementer", "reviewer", "validator"];
/// `created_by` and `audit.updated_by` when no `--actor` is given.
pub const DEFAULT_ACTOR: &str = "task-runner";
pub const AGENT_STATUSES: [&str; 4] = ["pending", "in_progress", "done", "blocked"];

fn version_one() -> u32 {
    CONTEXT_VERSION
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Context {
    #[serde(default = "version_one")]
    pub version: u32,
    /// `"1.1"` for contexts written by this tool; absent (1.0) in the reference's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    pub task_id: String,
    pub created_at: String,
    pub created_by: Option<String>,
    /// The base commit of the task's work.
    pub git_head: String,
    /// SHA-256 of the task file's bytes at init.
    pub task_file_sha: String,
    pub immutable: Immutable,
    pub coordination: Coordination,
    pub audit: Audit,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Immutable {
    pub task_snapshot: TaskSnapshot,
    pub standards_citations: Vec<Citation>,
    pub validation_baseline: ValidationBaseline,
    pub repo_paths: Vec<String>,
    /// SHA-256 of `task-snapshot.yaml` beside the context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_snapshot_sha256: Option<String>,
    /// Paths that were dirty at init with `--allow-preexisting-dirty` (drift checks ignore them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preexisting_dirty: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaskSnapshot {
    /// Text in the contexts this tool writes; the raw YAML value in those of `tasks.py`.
    #[schemars(schema_with = "crate::schema::scalar")]
    pub title: Value,
    #[schemars(schema_with = "crate::schema::scalar")]
    pub priority: Value,
    #[schemars(schema_with = "crate::schema::scalar")]
    pub area: Value,
    pub description: String,
    pub scope_in: Vec<String>,
    pub scope_out: Vec<String>,
    pub acceptance_criteria: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The plan's steps, as the task file has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::objects")]
    pub plan: Option<Value>,
    /// The deliverables, as the task file has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::array")]
    pub deliverables: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Citation {
    pub file: String,
    pub section: String,
    pub requirement: String,
    /// `"L<a>-L<b>"`, null when the file or section does not exist.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::string_or_null")]
    pub line_span: Option<Value>,
    /// First 16 hex characters of the excerpt's SHA-256; null when not found.
    #[serde(default)]
    pub content_sha: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValidationBaseline {
    pub commands: Vec<String>,
    /// The QA results recorded as the baseline (`--record-qa`), null before the first.
    #[serde(default)]
    #[schemars(with = "Option<crate::qa::compare::QaResults>")]
    pub initial_results: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coordination {
    pub implementer: AgentCoordination,
    pub reviewer: AgentCoordination,
    pub validator: AgentCoordination,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Coordination {
    pub fn fresh() -> Coordination {
        Coordination {
            implementer: AgentCoordination::fresh(),
            reviewer: AgentCoordination::fresh(),
            validator: AgentCoordination::fresh(),
            extra: Map::new(),
        }
    }

    /// The coordination of `role` (one of [`ROLES`]).
    pub fn role(&self, role: &str) -> Option<&AgentCoordination> {
        match role {
            "implementer" => Some(&self.implementer),
            "reviewer" => Some(&self.reviewer),
            "validator" => Some(&self.validator),
            _ => None,
        }
    }

    /// Each role with its coordination, in [`ROLES`] order.
    pub fn roles(&self) -> [(&'static str, &AgentCoordination); 3] {
        [
            ("implementer", &self.implementer),
            ("reviewer", &self.reviewer),
            ("validator", &self.validator),
        ]
    }

    /// The role whose worktree snapshot was taken last, by its recorded time (RFC 3339; the
    /// later role in [`ROLES`] order on a tie, a time that does not parse counts as earliest).
    pub fn latest_snapshot(&self) -> Option<&'static str> {
        let time = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(&t.replace('Z', "+00:00"))
                .ok()
                .map(|d| d.timestamp_micros())
        };
        self.roles()
            .into_iter()
            .filter_map(|(role, c)| {
                let snap = c.worktree_snapshot.as_ref()?;
                Some((time(&snap.snapshot_time), role))
            })
            .max_by_key(|(t, _)| *t)
            .map(|(_, role)| role)
    }

    /// The coordination of `role`; anything but one of [`ROLES`] is E002 naming `option`.
    pub fn agent_mut(
        &mut self,
        option: &str,
        role: &str,
    ) -> crate::error::Result<&mut AgentCoordination> {
        self.role_mut(role)
            .ok_or_else(|| crate::ledger::invalid_choice(option, role, &ROLES))
    }

    /// The coordination of `role` (one of [`ROLES`], checked by the caller).
    pub fn role_mut(&mut self, role: &str) -> Option<&mut AgentCoordination> {
        match role {
            "implementer" => Some(&mut self.implementer),
            "reviewer" => Some(&mut self.reviewer),
            "validator" => Some(&mut self.validator),
            _ => None,
        }
    }
}

fn pending() -> String {
    "pending".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentCoordination {
    #[serde(default = "pending")]
    pub status: String,
    #[serde(default)]
    pub completed_at: Option<String>,
    #[serde(default)]
    pub qa_log_path: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    /// Text findings (the reference could store nulls: kept as they are).
    #[serde(default)]
    #[schemars(with = "Vec<Option<String>>")]
    pub blocking_findings: Vec<Value>,
    #[serde(default)]
    pub worktree_snapshot: Option<WorktreeSnapshot>,
    /// Unresolved drifts found against this role's snapshot; any non-zero budget blocks
    /// snapshots until `--resolve-drift`.
    #[serde(default)]
    pub drift_budget: i64,
    /// This role's last QA result (`--record-qa`, `--compare-qa`), null before the first.
    #[serde(default)]
    #[schemars(with = "Option<crate::qa::compare::QaResult>")]
    pub qa_results: Option<Value>,
    /// `--resolve-drift` records, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift_resolutions: Vec<DriftResolution>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A role's snapshot of the working tree (spec 03 §2.2). `tree_sha`, `head_commit` and the
/// `incremental_diff_*` fields are absent in snapshots written by `tasks.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorktreeSnapshot {
    /// The context's base commit (`git_head`) the diff is taken from.
    pub base_commit: String,
    pub snapshot_time: String,
    /// Repo-relative path of `<role>-from-base.diff`.
    pub diff_from_base: String,
    /// SHA-256 of that file's bytes.
    pub diff_sha: String,
    /// `git status --porcelain -z` at snapshot time (NUL separators kept).
    #[serde(default)]
    pub status_report: String,
    #[serde(default)]
    pub files_changed: Vec<FileSnapshot>,
    #[serde(default)]
    pub diff_stat: String,
    /// First 16 hex characters of the SHA-256 of the sorted `repo_paths`, one per line.
    #[serde(default)]
    pub scope_hash: String,
    /// Reviewer only: the incremental diff from the implementer's snapshot.
    #[serde(default)]
    pub diff_from_implementer: Option<String>,
    #[serde(default)]
    pub incremental_diff_sha: Option<String>,
    #[serde(default)]
    pub incremental_diff_error: Option<String>,
    /// The working tree as a git tree object (temporary index + `git write-tree`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_sha: Option<String>,
    /// HEAD when the snapshot was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_commit: Option<String>,
    /// The role whose snapshot the incremental diff starts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental_diff_from: Option<String>,
    /// Repo-relative path of `<role>-incremental.diff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental_diff_path: Option<String>,
    /// `git diff --stat` of the incremental diff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental_diff_stat: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One changed file of a snapshot, as it was on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileSnapshot {
    pub path: String,
    /// SHA-256 of the file's bytes; empty for a deleted file.
    pub sha256: String,
    /// git's letter: `M`, `A`, `D`, `R`, `T`, …
    pub status: String,
    /// The last three octal digits of the file mode (`"644"`); empty for a deleted file.
    pub mode: String,
    pub size: u64,
    /// The old path of a rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_path: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `--resolve-drift` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DriftResolution {
    pub note: String,
    pub actor: String,
    pub resolved_at: String,
    pub previous_drift_budget: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AgentCoordination {
    pub fn fresh() -> AgentCoordination {
        AgentCoordination {
            status: pending(),
            completed_at: None,
            qa_log_path: None,
            session_id: None,
            blocking_findings: Vec::new(),
            worktree_snapshot: None,
            drift_budget: 0,
            qa_results: None,
            drift_resolutions: Vec::new(),
            extra: Map::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Audit {
    pub updated_at: String,
    pub updated_by: Option<String>,
    pub update_count: u64,
    /// True when the secret scan was bypassed with `--force-secrets`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_secrets: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Audit {
    /// Record one change: when, by whom (`--actor`, else [`DEFAULT_ACTOR`]), one more update.
    pub fn touch(&mut self, now: &str, actor: Option<&str>) {
        self.updated_at = now.to_string();
        self.updated_by = Some(actor.unwrap_or(DEFAULT_ACTOR).to_string());
        // A hand-edited count at the maximum stays there rather than wrapping to 0.
        self.update_count = self.update_count.saturating_add(1);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Manifest {
    #[serde(default = "version_one")]
    pub version: u32,
    pub created_at: String,
    pub created_by: Option<String>,
    pub git_head: String,
    pub task_id: String,
    #[serde(default = "version_one")]
    pub context_schema_version: u32,
    #[serde(default)]
    pub normalization_version: Option<String>,
    pub source_files: Vec<SourceFile>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SourceFile {
    /// Repo-relative.
    pub path: String,
    pub sha256: String,
    /// `task_yaml`, `standards_citation` or `checklist`.
    pub purpose: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
#[path = "tests/model.rs"]
mod tests;
