//! `--add-exception`, `--list-exceptions`, `--resolve-exception`, `--cleanup-exceptions`.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{Exception, LEDGER_FILE, LedgerFile, NewException, Stamp};
use crate::output::{Report, Text, field, table};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AddReport {
    pub task_id: String,
    pub exception_type: String,
    /// False when an existing entry (same id and file) was updated.
    pub created: bool,
    pub exception: Exception,
}

#[derive(Debug, Clone)]
pub struct AddRequest {
    pub id: String,
    pub exception_type: String,
    pub message: Option<String>,
    pub owner: Option<String>,
}

pub fn add(ctx: &Ctx, request: AddRequest) -> Result<AddReport> {
    let stamp = Stamp::at(ctx.clock.now());
    let exception_type = request.exception_type.clone();
    let (created, exception) = LedgerFile::of(&ctx.repo).update(&stamp.now, |ledger| {
        let (created, index) = ledger.add(
            NewException {
                task_id: request.id.clone(),
                exception_type: request.exception_type,
                message: request.message,
                file: None,
                line: None,
                column: None,
                owner: request.owner,
            },
            &stamp,
        );
        Ok(((created, ledger.exceptions[index].clone()), true))
    })?;
    Ok(AddReport {
        task_id: request.id,
        exception_type,
        created,
        exception,
    })
}

impl Report for AddReport {
    fn text(&self, out: &mut Text) {
        let verb = if self.created { "added" } else { "updated" };
        out.stdout.push_str(&format!(
            "✓ Exception {verb} for {}\n  Type: {}\n  Status: {}\n",
            self.task_id, self.exception_type, self.exception.remediation.status
        ));
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListReport {
    pub exceptions: Vec<Exception>,
    pub count: usize,
    /// The `--status` filter, or null.
    pub status: Option<String>,
}

pub fn list(ctx: &Ctx, status: Option<String>) -> Result<ListReport> {
    // Reading the task files first reconciles the ledger with them: a file repaired since the
    // last run shows as resolved now, not at the next --list.
    let _ = ctx.catalog();
    let ledger = LedgerFile::of(&ctx.repo).read()?;
    let exceptions: Vec<Exception> = ledger
        .map(|l| l.exceptions)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| status.as_ref().is_none_or(|s| &e.remediation.status == s))
        .collect();
    Ok(ListReport {
        count: exceptions.len(),
        exceptions,
        status,
    })
}

impl Report for ListReport {
    fn text(&self, out: &mut Text) {
        if self.exceptions.is_empty() {
            out.stdout.push_str("No exceptions found\n");
            return;
        }
        let rows: Vec<[String; 5]> = self
            .exceptions
            .iter()
            .map(|e| {
                let mut problem = String::new();
                if let Some(file) = &e.file {
                    problem.push_str(file);
                    if let (Some(line), Some(column)) = (e.line, e.column) {
                        problem.push_str(&format!(":{line}:{column}"));
                    }
                    problem.push(' ');
                }
                if let Some(error) = &e.parse_error {
                    problem.push_str(error);
                }
                [
                    e.task_id.clone(),
                    e.exception_type.clone(),
                    e.remediation.status.clone(),
                    e.detected_at.chars().take(19).collect(),
                    problem.trim_end().to_string(),
                ]
            })
            .collect();
        table(
            out,
            ["TASK", "TYPE", "STATUS", "DETECTED (UTC)", "FILE / ERROR"],
            &rows,
        );
        out.stdout
            .push_str(&format!("\n{} exception(s) in {LEDGER_FILE}\n", self.count));
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ResolveReport {
    pub task_id: String,
    pub status: &'static str,
    /// Entries resolved (one per file for malformed files).
    pub resolved: usize,
    pub notes: String,
}

pub fn resolve(ctx: &Ctx, id: &str, notes: Option<String>) -> Result<ResolveReport> {
    let now = crate::clock::iso(ctx.clock.now());
    let notes = notes.unwrap_or_else(|| "Resolved".to_string());
    let resolved = LedgerFile::of(&ctx.repo)
        .update_existing(|ledger| {
            let count = ledger.resolve(id, &notes, &now);
            Ok((count, count > 0))
        })?
        .unwrap_or(0);
    if resolved == 0 {
        return Err(Error::new(
            ErrorCode::E003,
            format!("Task {id} not found in the exception ledger"),
        )
        .with_detail("task_id", id)
        .with_recovery("List the recorded exceptions with --list-exceptions"));
    }
    Ok(ResolveReport {
        task_id: id.to_string(),
        status: "resolved",
        resolved,
        notes,
    })
}

impl Report for ResolveReport {
    fn text(&self, out: &mut Text) {
        out.stdout.push_str(&format!(
            "✓ Exception resolved for {} ({} entr{})\n",
            self.task_id,
            self.resolved,
            if self.resolved == 1 { "y" } else { "ies" }
        ));
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CleanupReport {
    /// The id given, or null for a clean-up of every entry whose trigger holds.
    pub task_id: Option<String>,
    pub trigger: Option<String>,
    pub removed: Vec<Exception>,
    pub count: usize,
    pub remaining: usize,
}

/// With an id: remove that id's entries (only those with `auto_remove_on == trigger` when a
/// trigger is given). Without: remove every entry whose trigger holds now — `task_completion`:
/// the task is completed; `task_deletion`: no task file for the id exists; `manual` entries only
/// go by explicit id. Nothing is written when nothing is removed.
pub fn cleanup(ctx: &Ctx, id: Option<String>, trigger: Option<String>) -> Result<CleanupReport> {
    let holds = match &id {
        Some(_) => None,
        None => Some(TriggerState::of(ctx)),
    };
    let selected = |e: &Exception| {
        trigger.as_ref().is_none_or(|t| &e.auto_remove_on == t)
            && match (&id, &holds) {
                (Some(id), _) => &e.task_id == id,
                (None, Some(state)) => state.holds(e),
                (None, None) => false,
            }
    };
    let now = crate::clock::iso(ctx.clock.now());
    let (removed, remaining) = LedgerFile::of(&ctx.repo)
        .update_existing(|ledger| {
            let removed = ledger.remove_where(&now, selected);
            let changed = !removed.is_empty();
            Ok(((removed, ledger.exceptions.len()), changed))
        })?
        .unwrap_or_default();
    Ok(CleanupReport {
        task_id: id,
        trigger,
        count: removed.len(),
        removed,
        remaining,
    })
}

/// What the task files say about clean-up triggers.
struct TriggerState {
    completed: BTreeSet<String>,
    existing: BTreeSet<String>,
}

impl TriggerState {
    fn of(ctx: &Ctx) -> TriggerState {
        let catalog = ctx.catalog();
        let completed = catalog
            .tasks
            .iter()
            .filter(|t| t.is_completed())
            .map(|t| t.id.to_string())
            .collect();
        let existing = catalog
            .tasks
            .iter()
            .map(|t| t.id.to_string())
            .chain(catalog.broken.iter().filter_map(|b| b.id.clone()))
            .collect();
        TriggerState {
            completed,
            existing,
        }
    }

    fn holds(&self, e: &Exception) -> bool {
        match e.auto_remove_on.as_str() {
            "task_completion" => self.completed.contains(&e.task_id),
            "task_deletion" => !self.existing.contains(&e.task_id),
            _ => false,
        }
    }
}

impl Report for CleanupReport {
    fn text(&self, out: &mut Text) {
        if self.removed.is_empty() {
            out.stdout.push_str(&format!(
                "No exceptions to clean up ({} remaining)\n",
                self.remaining
            ));
            return;
        }
        out.stdout.push_str(&format!(
            "✓ Removed {} exception(s) ({} remaining)\n",
            self.count, self.remaining
        ));
        for e in &self.removed {
            out.stdout.push_str(&format!(
                "  - {}: {} (auto_remove_on: {}){}\n",
                field(&e.task_id),
                field(&e.exception_type),
                field(&e.auto_remove_on),
                e.file
                    .as_deref()
                    .map(|f| format!(" {}", field(f)))
                    .unwrap_or_default()
            ));
        }
    }
}
