//! `--bootstrap-evidence ID`: create `docs/evidence/tasks/<ID>-clarifications.md` from a template
//! (spec 01 §7.10 structure). An existing file is never touched.

use crate::app::Ctx;
use crate::error::Result;
use crate::output::{Report, Text};
use crate::store;
use serde::Serialize;

/// Where clarification stubs go (the "evidence" of the task docs, not the evidence family's
/// attachments under `.agent-output/<ID>/evidence/`).
pub const STUB_DIR: &str = crate::repo::STUB_DIR;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StubReport {
    pub task_id: String,
    /// Absolute path of the clarifications stub.
    pub path: String,
    /// Repo-relative path, as `clarifications.evidence_path` takes it.
    pub evidence_path: String,
    /// False when the file already existed (it is left as it is).
    pub created: bool,
}

/// A task's stub as it would be created now: where, and its text.
pub struct Planned {
    /// Absolute path.
    pub path: std::path::PathBuf,
    /// Repo-relative path.
    pub evidence_path: String,
    pub text: String,
}

/// The stub `--new-task` creates with the task, in the same transaction.
pub fn planned(ctx: &Ctx, id: &str) -> Planned {
    let evidence_path = format!("{STUB_DIR}/{id}-clarifications.md");
    let today = ctx.clock.now().format("%Y-%m-%d").to_string();
    Planned {
        path: ctx.repo.root.join(&evidence_path),
        evidence_path,
        text: template(id, &today),
    }
}

pub fn run(ctx: &Ctx, id: &str) -> Result<StubReport> {
    // The directory walked from the root (no link) before anything is created in it.
    ctx.repo.state_dir(STUB_DIR)?;
    let Planned {
        path,
        evidence_path: rel,
        text,
    } = planned(ctx, id);
    let created = match store::atomic_create(&path, text.as_bytes(), None) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => return Err(store::StateError::io(&path, "write", e).into()),
    };
    Ok(StubReport {
        task_id: id.to_string(),
        path: path.display().to_string(),
        evidence_path: rel,
        created,
    })
}

fn template(id: &str, today: &str) -> String {
    format!(
        "# {id} Clarifications & Evidence

Created {today}. Replace every REPLACE below; keep the headings so reviewers and tools find
each part.

## Purpose

REPLACE: what this task changes and why, in two or three sentences.

## Clarifications

### Outstanding Questions

- REPLACE: a question that blocks or shapes the work, and who can answer it.

### Resolved Items

- REPLACE: a decision, when it was made and by whom.

## Standards Alignment

### Grounding References

- `standards/REPLACE-tier.md#REPLACE-section`: how the task follows it.

### Gap Analysis

- REPLACE: where the standards are silent or in tension, and the choice made.

## Implementation Notes

### Approach

REPLACE: the chosen design and the alternatives set aside.

### Standards Compliance

REPLACE: how the result will be checked against the references above.

## Validation Evidence

### Static Analysis

REPLACE: lint and type-check results (command, date, outcome).

### Test Results

REPLACE: test and coverage results (command, date, outcome).

### Manual Verification

REPLACE: what was checked by hand, on which build.

## References

- REPLACE: links to designs, tickets, pull requests.
"
    )
}

impl Report for StubReport {
    fn text(&self, out: &mut Text) {
        if !self.created {
            out.stdout.push_str(&format!(
                "Evidence file already exists: {} (left untouched)\n",
                self.path
            ));
            return;
        }
        out.stdout.push_str(&format!(
            "✓ Created evidence stub: {}\n\nNext steps:\n  1. Replace the REPLACE placeholders in the file\n  2. Point the task at it: clarifications.evidence_path: \"{}\"\n  3. Record clarifications and standards gaps while planning the task\n",
            self.path, self.evidence_path
        ));
    }
}
