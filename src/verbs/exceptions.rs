//! `--add-exception`, `--list-exceptions`, `--resolve-exception`, `--cleanup-exceptions`.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::id_from_file_name;
use crate::ledger::{Exception, LEDGER_FILE, LedgerFile, NewException, Stamp};
use crate::output::{Report, Text};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Serialize)]
pub struct AddReport {
    pub task_id: String,
    pub exception_type: String,
    /// False when an existing entry (same id and file) was updated.
    pub created: bool,
    pub exception: Exception,
}

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

#[derive(Debug, Serialize)]
pub struct ListReport {
    pub exceptions: Vec<Exception>,
    pub count: usize,
    /// The `--status` filter, or null.
    pub status: Option<String>,
}

pub fn list(ctx: &Ctx, status: Option<String>) -> Result<ListReport> {
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

/// An aligned text table; the last column is not padded.
pub fn table<const N: usize>(out: &mut Text, header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.stdout.push_str(text.trim_end());
        out.stdout.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

#[derive(Debug, Serialize)]
pub struct ResolveReport {
    pub task_id: String,
    pub status: &'static str,
    /// Entries resolved (one per file for malformed files).
    pub resolved: usize,
    pub notes: String,
}

pub fn resolve(ctx: &Ctx, id: &str, notes: Option<String>) -> Result<ResolveReport> {
    let stamp = Stamp::at(ctx.clock.now());
    let notes = notes.unwrap_or_else(|| "Resolved".to_string());
    let ledger_file = LedgerFile::of(&ctx.repo);
    let absent = || {
        Error::new(
            ErrorCode::E003,
            format!("Task {id} not found in the exception ledger"),
        )
        .with_detail("task_id", id)
        .with_recovery("List the recorded exceptions with --list-exceptions")
    };
    // Reading first keeps a resolve of an unknown id from creating the ledger.
    let known = ledger_file
        .read()?
        .is_some_and(|l| l.exceptions.iter().any(|e| e.task_id == id));
    if !known {
        return Err(absent());
    }
    let resolved = ledger_file.update(&stamp.now, |ledger| {
        let count = ledger.resolve(id, &notes, &stamp.now);
        if count == 0 {
            return Err(absent());
        }
        Ok((count, true))
    })?;
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

#[derive(Debug, Serialize)]
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
/// go by explicit id.
pub fn cleanup(ctx: &Ctx, id: Option<String>, trigger: Option<String>) -> Result<CleanupReport> {
    let ledger_file = LedgerFile::of(&ctx.repo);
    let Some(ledger) = ledger_file.read()? else {
        return Ok(CleanupReport {
            task_id: id,
            trigger,
            removed: Vec::new(),
            count: 0,
            remaining: 0,
        });
    };
    let holds = trigger_conditions(ctx, &ledger.exceptions, id.is_none());
    let selected = |e: &Exception| {
        trigger.as_ref().is_none_or(|t| &e.auto_remove_on == t)
            && match &id {
                Some(id) => &e.task_id == id,
                None => holds(e),
            }
    };
    if !ledger.exceptions.iter().any(&selected) {
        return Ok(CleanupReport {
            task_id: id,
            trigger,
            removed: Vec::new(),
            count: 0,
            remaining: ledger.exceptions.len(),
        });
    }
    let now = crate::clock::iso(ctx.clock.now());
    let (removed, remaining) = ledger_file.update(&now, |ledger| {
        let removed = ledger.remove_where(&now, &selected);
        Ok(((removed, ledger.exceptions.len()), true))
    })?;
    Ok(CleanupReport {
        task_id: id,
        trigger,
        count: removed.len(),
        removed,
        remaining,
    })
}

/// Whether each entry's `auto_remove_on` condition holds (computed only for a clean-up
/// without id, which needs the task files).
fn trigger_conditions(
    ctx: &Ctx,
    exceptions: &[Exception],
    needed: bool,
) -> impl Fn(&Exception) -> bool {
    let mut completed = BTreeSet::new();
    let mut existing = BTreeSet::new();
    if needed && !exceptions.is_empty() {
        let catalog = ctx.catalog();
        for task in &catalog.tasks {
            existing.insert(task.id.clone());
            if task.is_completed() {
                completed.insert(task.id.clone());
            }
        }
        for broken in &catalog.broken {
            let name = broken.path.rsplit('/').next().unwrap_or(&broken.path);
            existing.extend(id_from_file_name(name));
        }
    }
    move |e: &Exception| match e.auto_remove_on.as_str() {
        "task_completion" => completed.contains(&e.task_id),
        "task_deletion" => !existing.contains(&e.task_id),
        _ => false,
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
                e.task_id,
                e.exception_type,
                e.auto_remove_on,
                e.file
                    .as_deref()
                    .map(|f| format!(" {f}"))
                    .unwrap_or_default()
            ));
        }
    }
}
