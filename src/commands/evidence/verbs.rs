//! The evidence commands: input checks, the progress bar, reports. The work is in `evidence/`.

use super::super::args::TaskId;
use crate::app::Ctx;
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::evidence::archive::Extracted;
use crate::evidence::attach::{self, Request};
use crate::evidence::index::{Attachment, Index};
use crate::evidence::keep::{self, Restored};
use crate::evidence::verify::{self, Finding};
use crate::evidence::{Kind, human_size};
use crate::output::{Report, Text, table};
use crate::text::field;
use serde::Serialize;
use serde_json::{Map, Value};

/// How deep `--metadata` may nest (objects and lists).
pub const MAX_METADATA_DEPTH: usize = 32;

fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The longest description, in characters.
pub const MAX_DESCRIPTION: usize = 200;

/// `--attach-evidence`, its options checked.
#[derive(Debug)]
pub struct AttachInput {
    id: TaskId,
    kind: Kind,
    path: String,
    description: Option<String>,
    metadata: Option<Map<String, Value>>,
}

impl AttachInput {
    /// E002 for a description over 200 characters and for metadata that is not a JSON object
    /// (or whose `command`, `exit_code` or `duration_ms` has the wrong type).
    pub fn new(
        id: TaskId,
        kind: Kind,
        path: String,
        description: Option<String>,
        metadata: Option<String>,
    ) -> Result<AttachInput> {
        if let Some(d) = &description {
            let n = d.chars().count();
            if n > MAX_DESCRIPTION {
                return Err(Error::new(
                    ErrorCode::E002,
                    format!(
                        "--description is {n} characters long; at most {MAX_DESCRIPTION} are kept"
                    ),
                )
                .with_detail("field", "--description")
                .with_detail("length", n)
                .with_detail("limit", MAX_DESCRIPTION)
                .with_recovery("Shorten the description (details belong in the evidence itself)"));
            }
        }
        let metadata = metadata.map(|m| parse_metadata(&m)).transpose()?;
        // An empty description is no description.
        let description = description.filter(|d| !d.is_empty());
        Ok(AttachInput {
            id,
            kind,
            path,
            description,
            metadata,
        })
    }
}

fn parse_metadata(raw: &str) -> Result<Map<String, Value>> {
    let bad = |why: String| {
        Error::new(ErrorCode::E002, format!("Invalid --metadata: {why}"))
            .with_detail("field", "--metadata")
            .with_detail("actual", crate::text::prefix(raw, 200))
            .with_recovery(
                "Pass a JSON object, e.g. --metadata '{\"command\": \"pnpm test\", \"exit_code\": 0, \"duration_ms\": 5120}'",
            )
    };
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| bad(format!("not JSON ({e})")).with_detail("error", e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(bad("a JSON object is expected".into()));
    };
    // The index nests metadata a few levels deep, and JSON readers have depth limits (serde
    // reads 128): deeper metadata would make the task's index unreadable.
    if depth(&Value::Object(map.clone())) > MAX_METADATA_DEPTH {
        return Err(bad(format!(
            "nested more than {MAX_METADATA_DEPTH} levels deep"
        )));
    }
    type Check = (&'static str, fn(&Value) -> bool, &'static str);
    let checks: [Check; 3] = [
        ("command", Value::is_string, "a string"),
        ("exit_code", |v| v.is_i64(), "an integer"),
        ("duration_ms", |v| v.is_u64(), "a non-negative integer"),
    ];
    for (key, ok, what) in checks {
        if let Some(v) = map.get(key)
            && !ok(v)
        {
            return Err(bad(format!("\"{key}\" must be {what}, not {v}")));
        }
    }
    Ok(map)
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The attachment record, plus what this run did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AttachReport {
    #[serde(flatten)]
    pub attachment: Attachment,
    /// The same content was attached before: its entry was updated.
    pub updated: bool,
    /// Entries of a directory left out of its archive.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Metadata the type requires that nobody gave (also a warning).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_metadata: Vec<&'static str>,
}

pub fn attach(ctx: &Ctx, input: &AttachInput) -> Result<AttachReport> {
    let id = input.id.as_str();
    let store = ContextStore::of(&ctx.repo, id);
    store.check_links(&ctx.repo)?;
    if !store.exists() {
        return Err(store.missing());
    }
    let source = attach::resolve(&ctx.repo, &ctx.cwd, &input.path, id)?;
    let now = crate::clock::iso(ctx.clock.now());
    let bar = crate::output::spinner(
        "{spinner} {msg} {bytes} ({bytes_per_sec})",
        format!("reading {}", field(&input.path)),
    );
    let mut progress = |n: u64| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    };
    let request = Request {
        kind: input.kind,
        source: &source,
        description: input.description.clone(),
        metadata: input.metadata.clone(),
        now: &now,
    };
    let done = attach::attach(&ctx.repo, &store, &request, &mut progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let done = done?;
    for (path, reason) in &done.skipped {
        ctx.warn(format!(
            "Warning: left out of the archive of {}: {} ({reason})",
            field(&input.path),
            field(path)
        ));
    }
    if let Some(old) = &done.previous
        && (old.path != done.attachment.path || old.kind != done.attachment.kind)
    {
        ctx.warn(format!(
            "Warning: the same content was attached before as {} {}{}; its entry ({}) now says {} {}",
            field(&old.kind),
            field(&old.path),
            old.description
                .as_deref()
                .map(|d| format!(" (\"{}\")", field(d)))
                .unwrap_or_default(),
            done.attachment.id,
            field(&done.attachment.kind),
            field(&done.attachment.path),
        ));
    }
    if !done.missing_metadata.is_empty() {
        ctx.warn(format!(
            "Warning: {} evidence {} has no {} (no QA result of {id} has this log): pass them with --metadata, or record the log with --record-qa first",
            input.kind.as_str(),
            done.attachment.id,
            done.missing_metadata.join(", ")
        ));
    }
    Ok(AttachReport {
        attachment: done.attachment,
        updated: done.updated,
        skipped: done
            .skipped
            .into_iter()
            .map(|(path, reason)| Skipped { path, reason })
            .collect(),
        missing_metadata: done.missing_metadata,
    })
}

impl Report for AttachReport {
    fn text(&self, out: &mut Text) {
        let a = &self.attachment;
        let s = &mut out.stdout;
        s.push_str(&format!(
            "✓ Evidence {}: {}\n  Type: {}\n  Path: {}\n",
            if self.updated { "updated" } else { "attached" },
            field(&a.id),
            field(&a.kind),
            field(&a.path)
        ));
        if let Some(d) = &a.description {
            s.push_str(&format!("  Description: {}\n", field(d)));
        }
        if let Some(source) = &a.source_path {
            s.push_str(&format!("  Source: {}\n", field(source)));
        }
        if let Some(stored) = &a.stored_path
            && *stored != a.path
        {
            s.push_str(&format!("  Stored: {}\n", field(stored)));
        }
        if let Some(size) = a.size {
            s.push_str(&format!("  Size: {}\n", human_size(size)));
        }
        if let Some(c) = &a.compression {
            s.push_str(&format!(
                "  Archive: {} of {} (listing {})\n",
                field(&c.format),
                human_size(c.original_size),
                field(&c.index_path)
            ));
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListReport {
    pub task_id: String,
    pub evidence: Vec<Attachment>,
    pub count: usize,
    /// The filter given (`--type`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<&'static str>,
    /// Contexts of this task that `--complete` archived, each with the command that restores it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub completed_contexts: Vec<keep::KeptRef>,
}

/// The task's evidence, in index order (`kind` keeps one type). No context directory: an empty
/// list, and nothing created.
pub fn list(ctx: &Ctx, id: &str, kind: Option<Kind>) -> Result<ListReport> {
    let store = ContextStore::of(&ctx.repo, id);
    store.check_links(&ctx.repo)?;
    let index = if std::fs::symlink_metadata(&store.dir).is_ok() || store.unsettled(&ctx.repo) {
        let _locked = store.read_lock(&ctx.repo)?;
        Index::load(&store)?
    } else {
        Index::default()
    };
    // `directory` finds the archives of directories (their records say `archive`).
    let evidence: Vec<Attachment> = index
        .evidence
        .into_iter()
        .filter(|a| match kind {
            None => true,
            Some(Kind::Directory) => a.kind == "archive" && a.source_path.is_some(),
            Some(k) => a.kind == k.as_str(),
        })
        .collect();
    Ok(ListReport {
        task_id: id.to_string(),
        count: evidence.len(),
        evidence,
        r#type: kind.map(Kind::as_str),
        completed_contexts: keep::kept_contexts(&ctx.repo, &store)?,
    })
}

impl Report for ListReport {
    fn text(&self, out: &mut Text) {
        let of_type = self
            .r#type
            .map(|t| format!(" of type {t}"))
            .unwrap_or_default();
        for kept in &self.completed_contexts {
            out.stdout.push_str(&format!(
                "Context kept by --complete: {}\n  Restore it with: {}\n",
                field(&kept.path),
                field(&kept.restore)
            ));
        }
        if self.evidence.is_empty() {
            out.stdout
                .push_str(&format!("No evidence{of_type} for {}\n", self.task_id));
            return;
        }
        out.stdout.push_str(&format!(
            "Evidence{of_type} of {} ({}):\n",
            self.task_id, self.count
        ));
        let rows: Vec<[String; 5]> = self
            .evidence
            .iter()
            .map(|a| {
                [
                    a.id.clone(),
                    a.kind.clone(),
                    a.size.map(human_size).unwrap_or_default(),
                    a.description
                        .as_deref()
                        .map(|d| crate::text::shorten(d, 60))
                        .unwrap_or_default(),
                    a.stored_path.clone().unwrap_or_else(|| a.path.clone()),
                ]
            })
            .collect();
        table(out, ["ID", "TYPE", "SIZE", "DESCRIPTION", "STORED"], &rows);
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    pub task_id: String,
    pub checked: usize,
    pub intact: usize,
    pub missing: usize,
    pub modified: usize,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub failure: Option<Error>,
}

/// Every piece of the task's evidence re-hashed; E026 (exit 20) when any is missing or
/// modified, with the findings in the error's details.
pub fn verify(ctx: &Ctx, id: &str) -> Result<VerifyReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let _locked = store.read_lock(&ctx.repo)?;
    if !store.exists() {
        return Err(store.missing());
    }
    let index = Index::load(&store)?;
    let checked = verify::verify(&ctx.repo, &store, &index);
    let count = |status: &str| {
        checked
            .findings
            .iter()
            .filter(|f| f.status == status)
            .count()
    };
    let (missing, modified) = (count("missing"), count("modified"));
    let failure = (!checked.findings.is_empty()).then(|| {
        Error::new(
            ErrorCode::E026,
            format!(
                "{} of {} piece(s) of evidence of {id} are not what was attached: {missing} missing, {modified} modified",
                checked.findings.len(),
                checked.checked
            ),
        )
        .with_detail("task_id", id)
        .with_detail("missing", missing)
        .with_detail("modified", modified)
        .with_detail("findings", &checked.findings)
        .with_recovery(format!(
            "Find out what changed them; attach the evidence again from a trusted copy (tasks --attach-evidence {id} …)"
        ))
    });
    Ok(VerifyReport {
        task_id: id.to_string(),
        checked: checked.checked,
        intact: checked.checked - checked.findings.len(),
        missing,
        modified,
        findings: checked.findings,
        failure,
    })
}

impl Report for VerifyReport {
    fn text(&self, out: &mut Text) {
        let s = &mut out.stdout;
        if self.findings.is_empty() {
            s.push_str(&format!(
                "✓ {} piece(s) of evidence of {} are intact\n",
                self.checked, self.task_id
            ));
            return;
        }
        s.push_str(&format!(
            "{} of {} piece(s) of evidence of {} are not what was attached:\n",
            self.findings.len(),
            self.checked,
            self.task_id
        ));
        for f in &self.findings {
            s.push_str(&format!(
                "  ✖ {} {} {} {}: {}\n",
                field(&f.id),
                f.status,
                field(&f.kind),
                field(&f.path),
                field(&f.reason)
            ));
            for m in &f.members {
                s.push_str(&format!("      {} {}\n", m.status, field(&m.path)));
            }
        }
    }

    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }
}

pub fn extract(ctx: &Ctx, id: &str, eid: &str, to: &str) -> Result<Restored> {
    let store = ContextStore::of(&ctx.repo, id);
    store.check_links(&ctx.repo)?;
    let dest = ctx.cwd.join(to);
    if std::fs::metadata(&dest).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::new(
            ErrorCode::E002,
            format!("--to {} is not a directory", field(to)),
        )
        .with_detail("field", "--to")
        .with_detail("actual", to)
        .with_recovery("Pass a directory (it is created when it does not exist)"));
    }
    // Inside the repository the destination follows the rule of every state directory: no
    // link on its way (E002), wherever it points; and it is then reached from the root without
    // following one.
    let base = ctx.cwd.canonicalize().unwrap_or_else(|_| ctx.cwd.clone());
    let Some((rel, climbs)) = in_repository(&ctx.repo.root, &base.join(to)) else {
        return keep::extract(
            &ctx.repo,
            &store,
            eid,
            &dest,
            &crate::evidence::archive::Destination::Path,
        );
    };
    let Some(rel) = rel else {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "--to {} leads into the repository through a link to a name that is not valid UTF-8",
                field(to)
            ),
        )
        .with_detail("field", "--to")
        .with_detail("actual", to)
        .with_recovery("Pass the directory inside the repository itself, by a UTF-8 name"));
    };
    // The kernel applies `..` after following a link (`docs/l/../x` with `l` a link lands
    // beside the link's target), so a path checked as text must not hold one.
    if climbs {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "--to {} holds '..'; inside the repository give the directory without it",
                field(to)
            ),
        )
        .with_detail("field", "--to")
        .with_detail("actual", to)
        .with_recovery(format!("Pass --to {rel}")));
    }
    ctx.repo.existing_state_dir(&rel)?;
    keep::extract(
        &ctx.repo,
        &store,
        eid,
        &dest,
        &crate::evidence::archive::Destination::Beneath {
            root: &ctx.repo.root,
            rel: &rel,
        },
    )
}

/// Where `dest` (absolute) lies in the repository `root`, once the links on its way *outside*
/// the repository are followed (`/home` a link, another path to the repository): its
/// repository-relative path (empty for the root itself), and whether a `..` comes after it
/// entered the repository. `None` when it never enters the repository. Inside, no link is
/// followed: the state-directory rule checks what is there.
fn in_repository(root: &std::path::Path, dest: &std::path::Path) -> Option<(Option<String>, bool)> {
    use std::path::PathBuf;
    // The components still to walk, first first; a link outside the repository puts its
    // target's in front of them, one link at a time, as the kernel resolves it (so a link that
    // leads to another one inside the repository is seen entering it).
    let mut todo: std::collections::VecDeque<std::ffi::OsString> = dest
        .components()
        .map(|c| c.as_os_str().to_os_string())
        .collect();
    let mut at = PathBuf::from("/");
    let mut links = 0;
    while let Some(part) = todo.pop_front() {
        if at.starts_with(root) {
            todo.push_front(part);
            return Some(rest_of(root, &at, todo.iter().map(std::path::Path::new)));
        }
        if part == "/" {
            at = PathBuf::from("/");
        } else if part == ".." {
            at.pop();
        } else if part != "." {
            let next = at.join(&part);
            let target = std::fs::symlink_metadata(&next)
                .is_ok_and(|m| m.is_symlink())
                .then(|| std::fs::read_link(&next).ok())
                .flatten();
            match target {
                // Forty links, as the kernel allows (ELOOP beyond): then taken as it is.
                Some(target) if links < 40 => {
                    links += 1;
                    if target.is_absolute() {
                        at = PathBuf::from("/");
                    }
                    for c in target.components().rev() {
                        todo.push_front(c.as_os_str().to_os_string());
                    }
                }
                _ => at = next,
            }
        }
    }
    at.starts_with(root)
        .then(|| rest_of(root, &at, std::iter::empty()))
}

/// `at` (inside `root`) and the components after it, as a repository-relative path, and whether
/// they hold a `..`.
fn rest_of<'a>(
    root: &std::path::Path,
    at: &std::path::Path,
    rest: impl Iterator<Item = &'a std::path::Path>,
) -> (Option<String>, bool) {
    use std::path::Component;
    let inside = at.strip_prefix(root).unwrap_or(std::path::Path::new(""));
    let mut names: Vec<&std::ffi::OsStr> = inside.iter().collect();
    let mut climbs = false;
    for part in rest.flat_map(std::path::Path::components) {
        match part {
            Component::Normal(name) => names.push(name),
            Component::ParentDir => climbs = true,
            _ => {}
        }
    }
    // Not UTF-8: no repository-relative path names it (`None`).
    let names: Option<Vec<&str>> = names.iter().map(|n| n.to_str()).collect();
    (names.map(|n| n.join("/")), climbs)
}

impl Report for Restored {
    fn text(&self, out: &mut Text) {
        let Extracted {
            files,
            directories,
            links,
            bytes,
            ..
        } = &self.extracted;
        out.stdout.push_str(&format!(
            "✓ Extracted {} of {} into {}\n  {files} file(s), {directories} directory(ies), {links} link(s), {}\n",
            self.id,
            self.task_id,
            field(&self.to),
            human_size(*bytes)
        ));
        for name in &self.extracted.created {
            out.stdout
                .push_str(&format!("  Created: {}\n", field(name)));
        }
        for (path, why) in &self.extracted.skipped {
            out.stdout
                .push_str(&format!("  Skipped: {} ({})\n", field(path), field(why)));
        }
    }
}
