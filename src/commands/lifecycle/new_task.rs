//! `--new-task --area A --title T [--id ID] [--slug S] [--priority P]`: a new draft task file,
//! `tasks/<area>/<ID>-<slug>.task.yaml`, from the repository's template
//! (`docs/templates/TASK-0000-template.task.yaml`) or a built-in schema 1.1 one; its
//! clarifications stub; and what the linter says is left to fill.

use super::clarifications_stub;
use super::lint::{Counts, LintRun};
use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text, field};
use crate::tasks::edit;
use crate::tasks::lint::Finding;
use serde::Serialize;

/// The repository's template, when it has one.
pub const TEMPLATE: &str = "docs/templates/TASK-0000-template.task.yaml";

/// The placeholder id of a template, replaced everywhere by the new id.
const PLACEHOLDER: &str = "TASK-0000";

/// The built-in template: every section of schema 1.1, with what is left to write.
const BUILT_IN: &str = r#"schema_version: "1.1"
id: TASK-0000
title: ""
status: draft
priority: P2
area: ""
unblocker: false
description: |
  What the task changes and why.
outcome: ""
scope:
  in: []
  out: []
context:
  standards_tier: ""
  related_docs: []
plan: []
deliverables: []
acceptance_criteria: []
validation:
  pipeline: []
clarifications:
  evidence_path: docs/evidence/tasks/TASK-0000-clarifications.md
  outstanding: []
"#;

#[derive(Debug)]
pub struct NewTask {
    pub area: String,
    pub title: String,
    pub id: Option<String>,
    pub slug: Option<String>,
    pub priority: String,
}

#[derive(Debug, Serialize)]
pub struct NewTaskReport {
    pub task_id: String,
    /// Absolute path of the new task file.
    pub path: String,
    /// Repo-relative.
    pub rel_path: String,
    pub status: &'static str,
    /// The template used: its path, or `built-in`.
    pub template: String,
    /// The clarifications stub (repo-relative) and whether it was created.
    pub evidence_path: String,
    pub evidence_created: bool,
    /// What the linter finds in the new file: what a person must fill in.
    pub lint_counts: Counts,
    pub to_fill: Vec<Finding>,
}

/// A lowercase slug: letters and digits, words joined by `-`, at most 60 characters.
pub fn slug_of(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_matches('-').chars().take(60).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Whether a name can be one path component of a task file: lowercase letters, digits, `-`.
pub fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 60
        && !text.starts_with('-')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The next free id: one more than the highest `TASK-<number>` of the active and archived tasks
/// (and of broken files named for an id), with at least four digits.
fn next_id(ctx: &Ctx) -> String {
    let catalog = ctx.catalog();
    let number = |id: &str| id.strip_prefix("TASK-").and_then(|n| n.parse::<u64>().ok());
    let highest = (catalog.tasks.iter().map(|t| t.id.as_str()))
        .chain(catalog.broken.iter().filter_map(|b| b.id.as_deref()))
        .filter_map(number)
        .max()
        .unwrap_or(0);
    format!("TASK-{:04}", highest + 1)
}

pub fn run(ctx: &Ctx, input: &NewTask) -> Result<NewTaskReport> {
    let id = match &input.id {
        Some(id) => id.clone(),
        None => next_id(ctx),
    };
    if let Some(found) = ctx.catalog().find(&id) {
        return Err(Error::new(
            ErrorCode::E002,
            format!("{id} is taken: {}", field(found.path())),
        )
        .with_detail("task_id", &id)
        .with_detail("path", found.path())
        .with_recovery("Leave --id out for the next free id, or choose another"));
    }
    let slug = match &input.slug {
        Some(slug) => slug.clone(),
        None => slug_of(&input.title),
    };
    let slug = if slug.is_empty() {
        "task".to_string()
    } else {
        slug
    };
    let file_name = format!("{id}-{slug}{}", crate::tasks::file::TASK_FILE_SUFFIX);
    let dir_rel = format!("{}/{}", crate::repo::TASKS_DIR, input.area);
    let rel = format!("{dir_rel}/{file_name}");

    // The template: the repository's (a plain file inside it, never through a link), else the
    // built-in one.
    let (template_text, template) = match read_template(ctx)? {
        Some(text) => (text, TEMPLATE.to_string()),
        None => (BUILT_IN.to_string(), "built-in".to_string()),
    };
    let text = fill(&template_text, &id, input).map_err(|why| {
        Error::new(
            ErrorCode::E002,
            format!("The template {template} cannot be filled in: {why}"),
        )
        .with_detail("path", &template)
        .with_recovery(format!(
            "Give {TEMPLATE} plain top-level id, title, status, priority and area lines (or remove it to use the built-in template)"
        ))
    })?;
    // The new file must read back as the task asked for.
    let task = crate::tasks::file::parse_file(text.as_bytes(), &rel)?;
    if task.id != id || task.status != "draft" || task.area != input.area {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "The template {template} does not give a task {id} in area {} as draft",
                input.area
            ),
        )
        .with_recovery(format!("Check {TEMPLATE}")));
    }

    // Written without ever replacing a file; the directory walked from the root (no link).
    let dir = ctx.repo.state_dir(&dir_rel)?;
    let path = dir.join(&file_name);
    match crate::store::atomic_create(&path, text.as_bytes(), None) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::new(ErrorCode::E042, format!("{rel} already exists"))
                .with_detail("path", &rel)
                .with_recovery("Choose another --slug or --id"));
        }
        Err(e) => return Err(crate::store::StateError::io(&path, "write", e).into()),
    }
    let stub = clarifications_stub::run(ctx, &id)?;
    let LintRun::One(lint) = super::lint::run(ctx, Some(&rel), false)? else {
        unreachable!("one file is linted as one")
    };
    Ok(NewTaskReport {
        task_id: id,
        path: path.display().to_string(),
        rel_path: rel,
        status: "draft",
        template,
        evidence_path: stub.evidence_path,
        evidence_created: stub.created,
        lint_counts: lint.counts,
        to_fill: lint.findings,
    })
}

fn read_template(ctx: &Ctx) -> Result<Option<String>> {
    let file = crate::store::beneath::Dir::open(&ctx.repo.root)
        .and_then(|root| root.file(std::path::Path::new(TEMPLATE)));
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::new(
                ErrorCode::E002,
                format!(
                    "{TEMPLATE} cannot be read: {e} (a link or not a plain file is never followed)"
                ),
            )
            .with_detail("path", TEMPLATE)
            .with_recovery(format!("Make {TEMPLATE} a plain file, or remove it")));
        }
    };
    let mut text = String::new();
    use std::io::Read;
    (&mut file)
        .take(crate::tasks::parse::MAX_TASK_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| {
            Error::new(ErrorCode::E002, format!("{TEMPLATE} cannot be read: {e}"))
                .with_detail("path", TEMPLATE)
                .with_recovery(format!("Make {TEMPLATE} UTF-8 text"))
        })?;
    Ok(Some(text))
}

/// The template with the placeholder id replaced everywhere and the top-level fields set.
fn fill(template: &str, id: &str, input: &NewTask) -> std::result::Result<String, String> {
    let mut text = template.replace(PLACEHOLDER, id);
    text = edit::set_status(&text, "draft").map_err(|e| e.0)?;
    for (key, value) in [
        ("priority", input.priority.as_str()),
        ("area", input.area.as_str()),
        ("title", input.title.as_str()),
        ("id", id),
    ] {
        text = edit::set_text_field(&text, key, value, "status").map_err(|e| e.0)?;
    }
    Ok(text)
}

impl Report for NewTaskReport {
    fn text(&self, out: &mut Text) {
        let s = &mut out.stdout;
        s.push_str(&format!(
            "✓ Created {} (draft) from the {} template\n  File: {}\n  Clarifications: {}{}\n",
            self.task_id,
            if self.template == "built-in" {
                "built-in".to_string()
            } else {
                field(&self.template).into_owned()
            },
            field(&self.rel_path),
            field(&self.evidence_path),
            if self.evidence_created {
                ""
            } else {
                " (already there, kept)"
            }
        ));
        if self.to_fill.is_empty() {
            s.push_str("  The linter finds nothing left to fill\n");
            return;
        }
        s.push_str(&format!(
            "  Left to fill before it can move to todo ({} error(s), {} warning(s)):\n",
            self.lint_counts.errors, self.lint_counts.warnings
        ));
        for f in &self.to_fill {
            let place = if f.field.is_empty() {
                String::new()
            } else {
                format!("{}: ", field(&f.field))
            };
            s.push_str(&format!("    - {place}{}\n", field(&f.message)));
        }
    }
}
