//! `--new-task --area A --title T [--id ID] [--slug S] [--priority P]`: a new draft task file,
//! `tasks/<area>/<ID>-<slug>.task.yaml`, from the repository's template
//! (`docs/templates/TASK-0000-template.task.yaml`) or a built-in schema 1.1 one; its
//! clarifications stub; and what the linter says is left to fill.

use super::clarifications_stub;
use super::lint::Counts;
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

#[derive(Debug, Serialize, schemars::JsonSchema)]
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
fn next_id(ctx: &Ctx) -> Result<String> {
    let catalog = ctx.catalog();
    let number = |id: &str| id.strip_prefix("TASK-").and_then(|n| n.parse::<u64>().ok());
    let highest = (catalog.tasks.iter().map(|t| t.id.as_ref()))
        .chain(catalog.broken.iter().filter_map(|b| b.id.as_deref()))
        .filter_map(number)
        .max()
        .unwrap_or(0);
    let next = highest.checked_add(1).ok_or_else(|| {
        Error::new(
            ErrorCode::E002,
            format!("There is no id after TASK-{highest}"),
        )
        .with_recovery("Give the new task an id with --id")
    })?;
    Ok(format!("TASK-{next:04}"))
}

pub fn run(ctx: &Ctx, input: &NewTask) -> Result<NewTaskReport> {
    // One new task at a time: the id is chosen and the file created under one lock, and the
    // task files are read after it is taken (two runs never choose the same id).
    let lock_dir = ctx
        .repo
        .state_dir(&format!("{}/locks", crate::repo::CACHE_DIR))?;
    let lock_path = lock_dir.join("new-task.lock");
    let _lock = crate::store::lock_exclusive(&lock_path)
        .map_err(|e| crate::store::StateError::io(&lock_path, "lock", e))?;
    let id = match &input.id {
        Some(id) => id.clone(),
        None => next_id(ctx)?,
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

    if text.len() as u64 > crate::tasks::parse::MAX_TASK_FILE_BYTES {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "The new task file would be larger than a task file may be ({} bytes)",
                crate::tasks::parse::MAX_TASK_FILE_BYTES
            ),
        )
        .with_recovery("Shorten the template or the title"));
    }
    // Where the stub goes is checked first (never through a link): a refusal there writes
    // nothing.
    ctx.repo.state_dir(clarifications_stub::STUB_DIR)?;
    // The directory walked from the root (no link).
    let dir = ctx.repo.state_dir(&dir_rel)?;
    let path = dir.join(&file_name);
    // The task file and its stub are one transaction of the task's journal: a crash leaves
    // both or neither (the next command finishes or clears it). Never replaces a file.
    let locked = crate::tasks::journal::lock(&ctx.repo, &id)?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::new(ErrorCode::E042, format!("{rel} already exists"))
            .with_detail("path", &rel)
            .with_recovery("Choose another --slug or --id"));
    }
    let stub = clarifications_stub::planned(ctx, &id);
    let mut txn = locked.begin();
    txn.create(&rel, text.as_bytes(), None)?;
    // An existing stub (of an id used before) is kept as it is.
    let created = std::fs::symlink_metadata(&stub.path).is_err();
    if created {
        txn.create(&stub.evidence_path, stub.text.as_bytes(), None)?;
    }
    txn.commit()?;
    drop(locked);
    let lint = super::lint::one(ctx, &rel, false)?;
    Ok(NewTaskReport {
        task_id: id,
        path: path.display().to_string(),
        rel_path: rel,
        status: "draft",
        template,
        evidence_path: stub.evidence_path,
        evidence_created: created,
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
        .take(crate::tasks::parse::MAX_TASK_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            Error::new(ErrorCode::E002, format!("{TEMPLATE} cannot be read: {e}"))
                .with_detail("path", TEMPLATE)
                .with_recovery(format!("Make {TEMPLATE} UTF-8 text"))
        })?;
    if text.len() as u64 > crate::tasks::parse::MAX_TASK_FILE_BYTES {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "{TEMPLATE} is larger than a task file may be ({} bytes)",
                crate::tasks::parse::MAX_TASK_FILE_BYTES
            ),
        )
        .with_detail("path", TEMPLATE)
        .with_recovery(format!("Shorten {TEMPLATE}")));
    }
    Ok(Some(text))
}

/// `TASK-0000` replaced by `id` wherever it is a whole id (not the start of `TASK-00001`).
fn replace_placeholder(template: &str, id: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(PLACEHOLDER) {
        let after = &rest[at + PLACEHOLDER.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            out.push_str(PLACEHOLDER);
        } else {
            out.push_str(id);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The template with the placeholder id replaced everywhere and the top-level fields set.
fn fill(template: &str, id: &str, input: &NewTask) -> std::result::Result<String, String> {
    let mut text = replace_placeholder(template, id);
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
