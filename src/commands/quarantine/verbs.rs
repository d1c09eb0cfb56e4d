//! `--quarantine-task`, `--list-quarantined`, `--release-quarantine`, `--repair-quarantined`.

use crate::app::Ctx;
use crate::clock::iso;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text, table};
use crate::quarantine::repair::{Repair, repair};
use crate::quarantine::{Entry, Quarantine, RepairStep, not_quarantined};
use crate::tasks::parse::MAX_TASK_FILE_BYTES;
use serde::Serialize;

/// The task's real file: the parsed task with that id, else a broken file named for it.
fn task_file(ctx: &Ctx, id: &str) -> Result<String> {
    match ctx.catalog().find(id) {
        Some(found) => Ok(found.path().to_string()),
        None => Err({
            Error::new(ErrorCode::E040, format!("No task file for {id}"))
                .with_detail("task_id", id)
                .with_recovery(
                    "Check the id with --list; a broken file counts when its name starts with the id",
                )
        }),
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct QuarantineReport {
    pub task_id: String,
    pub reason: String,
    /// Absolute path of the entry file.
    pub path: String,
    pub original_path: String,
    /// False when an existing entry was updated.
    pub created: bool,
}

pub fn quarantine(
    ctx: &Ctx,
    id: &str,
    reason: &str,
    error_details: Option<String>,
) -> Result<QuarantineReport> {
    let original_path = task_file(ctx, id)?;
    let q = Quarantine::of(&ctx.repo);
    let now = iso(ctx.clock.now());
    let (entry, created) = q.put(id, reason, error_details, &original_path, &now)?;
    Ok(QuarantineReport {
        task_id: entry.task_id,
        reason: entry.reason,
        path: q.entry_path(id).display().to_string(),
        original_path: entry.original_path,
        created,
    })
}

impl Report for QuarantineReport {
    fn text(&self, out: &mut Text) {
        let verb = if self.created {
            "quarantined"
        } else {
            "quarantine updated"
        };
        out.stdout.push_str(&format!(
            "✓ Task {} {verb}\n  Reason: {}\n  File: {}\n  Entry: {}\n",
            self.task_id,
            self.reason,
            crate::text::field(&self.original_path),
            crate::text::field(&self.path)
        ));
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListReport {
    pub quarantined: Vec<Entry>,
    pub count: usize,
    pub status: Option<String>,
}

pub fn list(ctx: &Ctx, status: Option<String>) -> Result<ListReport> {
    let quarantined: Vec<Entry> = Quarantine::of(&ctx.repo)
        .entries()?
        .into_iter()
        .filter(|e| status.as_ref().is_none_or(|s| &e.repair_status == s))
        .collect();
    Ok(ListReport {
        count: quarantined.len(),
        quarantined,
        status,
    })
}

impl Report for ListReport {
    fn text(&self, out: &mut Text) {
        if self.quarantined.is_empty() {
            out.stdout.push_str("No quarantined tasks\n");
            return;
        }
        let rows: Vec<[String; 5]> = self
            .quarantined
            .iter()
            .map(|e| {
                [
                    e.task_id.clone(),
                    e.reason.clone(),
                    e.repair_status.clone(),
                    e.quarantined_at.chars().take(19).collect(),
                    e.original_path.clone(),
                ]
            })
            .collect();
        table(
            out,
            ["TASK", "REASON", "REPAIR", "QUARANTINED (UTC)", "FILE"],
            &rows,
        );
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReleaseReport {
    pub task_id: String,
    pub status: &'static str,
    pub resolved_at: String,
    pub notes: Option<String>,
    /// Absolute path of the archived entry; null when the index listed the task without an
    /// entry file (the index was repaired).
    pub path: Option<String>,
}

pub fn release(ctx: &Ctx, id: &str, notes: Option<String>) -> Result<ReleaseReport> {
    let q = Quarantine::of(&ctx.repo);
    let now = iso(ctx.clock.now());
    let entry = q.release(id, notes.clone(), &now)?;
    Ok(ReleaseReport {
        task_id: id.to_string(),
        status: "released",
        resolved_at: now,
        notes,
        path: entry.map(|_| q.resolved_path(id).display().to_string()),
    })
}

impl Report for ReleaseReport {
    fn text(&self, out: &mut Text) {
        out.stdout
            .push_str(&format!("✓ Released {} from quarantine\n", self.task_id));
        match &self.path {
            Some(path) => out.stdout.push_str(&format!("  Entry archived: {path}\n")),
            None => out
                .stdout
                .push_str("  The index listed it without an entry file; the index is repaired\n"),
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RepairReport {
    pub task_id: String,
    pub repaired: bool,
    pub repair_status: String,
    pub repairs: Vec<RepairStep>,
    pub notes: String,
    /// Absolute path of the task file.
    pub path: String,
}

/// Try the documented repairs on a copy of the task file; write it back (atomically) only when
/// the result parses and keeps the id and title. The entry records what was tried either way.
pub fn repair_task(ctx: &Ctx, id: &str) -> Result<RepairReport> {
    let q = Quarantine::of(&ctx.repo);
    if q.read_entry(id)?.is_none() {
        return Err(not_quarantined(id, &q.entry_path(id)));
    }
    // The file is found again from the id, never taken from the (editable) entry.
    let rel = task_file(ctx, id)?;
    // No claim or completion of the task while its file is repaired.
    let _task = crate::tasks::journal::lock(&ctx.repo, id)?;
    let file = ctx.repo.root.join(&rel);
    if crate::store::paths::is_symlink(&file) {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "{} is a symbolic link; the repair changes the task file itself",
                crate::text::field(&rel)
            ),
        )
        .with_detail("path", &rel)
        .with_recovery("Replace the link with the task file, then retry"));
    }
    let original = read_bounded(&file).map_err(|e| {
        Error::new(
            ErrorCode::E040,
            format!("Cannot read {}: {e}", file.display()),
        )
        .with_detail("path", file.display().to_string())
        .with_recovery("Restore the task file, or release the task and quarantine it again")
    })?;
    let too_large = |what: &str, size: u64| {
        Err((
            format!(
                "cannot repair: {what} {size} bytes, over the {MAX_TASK_FILE_BYTES} byte limit for task files (no command loads it)"
            ),
            Vec::new(),
        ))
    };
    let outcome = match original.map(String::from_utf8) {
        Err(size) => too_large("the file is", size),
        Ok(Err(_)) => Err((
            "cannot repair: the file is not valid UTF-8".to_string(),
            Vec::new(),
        )),
        Ok(Ok(text)) => match repair(&text, id) {
            Repair::NotNeeded => Ok((
                "The file already parses; nothing to repair".to_string(),
                Vec::new(),
                None,
            )),
            Repair::Refused { why, steps } => Err((why, steps)),
            Repair::Repaired { text, .. } if text.len() as u64 > MAX_TASK_FILE_BYTES => {
                too_large("the repaired file would be", text.len() as u64)
            }
            Repair::Repaired { text, steps } => {
                let note = format!(
                    "Applied {} repair(s); review them (git diff), then run --release-quarantine {id}",
                    steps.len()
                );
                Ok((note, steps, Some(text)))
            }
        },
    };
    record(ctx, &q, id, &rel, &file, outcome)
}

/// What a repair found: notes, the repairs and the repaired text to write; or why it cannot.
type Outcome =
    std::result::Result<(String, Vec<RepairStep>, Option<String>), (String, Vec<RepairStep>)>;

/// The bytes of a task file, or its size when it is larger than task files may be (then it is
/// not read past the limit).
fn read_bounded(path: &std::path::Path) -> std::io::Result<std::result::Result<Vec<u8>, u64>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut bytes = Vec::new();
    file.take(MAX_TASK_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if size > MAX_TASK_FILE_BYTES || bytes.len() as u64 > MAX_TASK_FILE_BYTES {
        return Ok(Err(size.max(bytes.len() as u64)));
    }
    Ok(Ok(bytes))
}

/// Write the repaired file (if any) and the entry's record of the attempt in one transaction.
fn record(
    ctx: &Ctx,
    q: &Quarantine,
    id: &str,
    rel: &str,
    file: &std::path::Path,
    outcome: Outcome,
) -> Result<RepairReport> {
    let now = iso(ctx.clock.now());
    let repaired = outcome.is_ok();
    let (notes, steps, text) = match outcome {
        Ok(done) => done,
        Err((notes, steps)) => (notes, steps, None),
    };
    let status = if repaired {
        "repaired"
    } else {
        "cannot_repair"
    };
    q.update_entry(id, |entry, txn| {
        if let Some(text) = &text {
            txn.put(rel, text.as_bytes())?;
        }
        entry.original_path = rel.to_string();
        entry.auto_repair_attempted = true;
        entry.repair_status = status.to_string();
        entry.repair_notes = Some(notes.clone());
        entry.repairs = steps.clone();
        entry.updated_at = Some(now.clone());
        Ok(())
    })?;
    if !repaired {
        return Err(Error::new(
            ErrorCode::E011,
            format!("{id} could not be repaired: {notes}"),
        )
        .with_detail("task_id", id)
        .with_detail("path", file.display().to_string())
        .with_detail("repair_status", status)
        .with_detail("repairs", &steps)
        .with_recovery(format!(
            "Fix {} by hand, then run --release-quarantine {id}",
            file.display()
        )));
    }
    Ok(RepairReport {
        task_id: id.to_string(),
        repaired: true,
        repair_status: status.to_string(),
        repairs: steps,
        notes,
        path: file.display().to_string(),
    })
}

impl Report for RepairReport {
    fn text(&self, out: &mut Text) {
        if self.repairs.is_empty() {
            out.stdout
                .push_str(&format!("✓ {}: {}\n", self.task_id, self.notes));
            return;
        }
        out.stdout.push_str(&format!(
            "✓ Repaired {} ({})\n",
            self.task_id,
            crate::text::field(&self.path)
        ));
        for step in &self.repairs {
            out.stdout
                .push_str(&format!("  - line {}: {}\n", step.line, step.repair));
        }
        out.stdout.push_str(&format!("  {}\n", self.notes));
    }
}
