//! Standards excerpts of a task's context (spec 04 §3, schemas §7): `--attach-standard`,
//! `--verify-excerpts` and `--invalidate-excerpts` (the last two are port extensions).

use crate::app::Ctx;
use crate::clock::iso;
use crate::context::excerpts::{
    Excerpt, ExcerptIndex, IndexEntry, Staleness, cache_name, cached_copy_matches, extract,
    freshness, is_plain_name,
};
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text};
use crate::standards::headings;
use crate::store;
use crate::store::txn::Locked;
use serde::Serialize;
use std::path::PathBuf;

/// Standards files larger than this are refused (they would be a mistake, not a standard).
use crate::standards::MAX_FILE_BYTES as MAX_STANDARDS_FILE;

fn index_path(store: &ContextStore) -> PathBuf {
    store.evidence_dir().join("standards").join("index.json")
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AttachReport {
    pub task_id: String,
    /// `file` (repo-relative), `section` (the request lowercased, spaces → `-`), `heading` (as
    /// written in the file), `requirement`, `line_span`, `content_sha`, `excerpt_id`.
    #[serde(flatten)]
    pub excerpt: Excerpt,
    /// Repo-relative path of the cached excerpt.
    pub cached_path: String,
    pub cached_at: String,
    /// True when the same file and section was already attached (its entry was replaced).
    pub replaced: bool,
}

/// Extract `section` of the standards file `file` (a path relative to the current directory,
/// inside the repository) and cache it for `id`. No context is needed.
pub fn attach(ctx: &Ctx, id: &str, file: &str, section: &str) -> Result<AttachReport> {
    let (rel, text) = read_standards(ctx, file)?;
    let Some(excerpt) = extract(&text, &rel, section) else {
        return Err(section_missing(&rel, section, &text));
    };
    let store = ContextStore::of(&ctx.repo, id);
    let now = iso(ctx.clock.now());
    let locked = store.lock(&ctx.repo)?;
    let mut index: ExcerptIndex = store::read_json(&index_path(&store))?.unwrap_or_default();
    let name = cache_name(&excerpt);
    let mut txn = locked.begin();
    txn.put(
        &store.rel(&format!("evidence/standards/{name}")),
        excerpt.body.as_bytes(),
    )?;
    let replaced = index
        .excerpts
        .iter()
        .any(|e| e.file == excerpt.file && e.section == excerpt.section);
    if let Some(old) = index.upsert(IndexEntry::of(&excerpt, &now))
        && is_plain_name(&old)
    {
        // The section's text changed since it was last attached: its old copy goes.
        txn.remove(&store.rel(&format!("evidence/standards/{old}")))?;
    }
    txn.put_json(&store.rel("evidence/standards/index.json"), &index)?;
    txn.commit()?;
    Ok(AttachReport {
        task_id: id.to_string(),
        cached_path: format!("{}/evidence/standards/{name}", store.rel_dir),
        cached_at: now,
        replaced,
        excerpt,
    })
}

/// The standards file named on the command line: repo-relative path and text. E040 when it does
/// not exist, E002 when it is outside the repository, not a file, too large or not UTF-8.
fn read_standards(ctx: &Ctx, file: &str) -> Result<(String, String)> {
    let given = ctx.cwd.join(file);
    if !given.exists() {
        return Err(
            Error::new(ErrorCode::E040, format!("Standards file not found: {file}"))
                .with_detail("file", file)
                .with_recovery(
                    "Pass the path of a Markdown file, relative to the current directory (e.g. standards/backend-tier.md)",
                ),
        );
    }
    let abs = given
        .canonicalize()
        .map_err(|e| crate::store::StateError::io(&given, "resolve", e))?;
    if !abs.starts_with(&ctx.repo.root) {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "{file} is outside the repository (it resolves to {})",
                crate::text::field(&abs.display().to_string())
            ),
        )
        .with_detail("file", file)
        .with_detail("resolved", abs.display().to_string())
        .with_recovery("Pass a standards file of this repository"));
    }
    let invalid = |why: String| {
        Error::new(
            ErrorCode::E002,
            format!("{file} cannot be used as a standards file: {why}"),
        )
        .with_detail("file", file)
        .with_recovery("Pass a UTF-8 Markdown file of the repository")
    };
    let meta = store::fs::metadata(&abs)?;
    if !meta.is_file() {
        return Err(invalid("it is not a file".into()));
    }
    if meta.len() > MAX_STANDARDS_FILE {
        return Err(invalid(format!(
            "it is {} bytes, over the {MAX_STANDARDS_FILE} byte limit",
            meta.len()
        )));
    }
    let bytes = store::fs::read(&abs)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        invalid(format!(
            "it is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let rel = ctx.repo.relative(&abs).unwrap_or_default();
    Ok((rel, text))
}

/// E003 naming the file, the section asked for and the headings the file has.
fn section_missing(rel: &str, section: &str, text: &str) -> Error {
    let available: Vec<String> = headings(text)
        .into_iter()
        .take(50)
        .map(|h| format!("{} {}", "#".repeat(h.level), h.text))
        .collect();
    Error::new(
        ErrorCode::E003,
        format!("{rel} has no section \"{section}\""),
    )
    .with_detail("file", rel)
    .with_detail("section", section)
    .with_detail("available_headings", &available)
    .with_recovery(
        "Pass one of the file's headings (listed above; any case, spaces or '-' between words, '&' or 'and')",
    )
}

impl Report for AttachReport {
    fn text(&self, out: &mut Text) {
        let e = &self.excerpt;
        out.stdout.push_str(&format!(
            "✓ Standards excerpt attached: {}{}\n  File: {}\n  Section: {} ({})\n  Lines: {}\n  Requirement: {}\n  Cached: {}\n",
            crate::output::field(&e.excerpt_id),
            if self.replaced { " (replaced the previous copy)" } else { "" },
            crate::output::field(&e.file),
            crate::output::field(&e.heading),
            crate::output::field(&e.section),
            crate::output::field(&e.line_span),
            if e.requirement.is_empty() { "-".into() } else { crate::output::field(&e.requirement) },
            self.cached_path
        ));
    }
}

/// One cached excerpt checked against its standards file as it is now.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExcerptState {
    pub excerpt_id: String,
    pub file: String,
    pub section: String,
    pub fresh: bool,
    /// What was found (`fresh` when the excerpt still holds).
    pub state: Staleness,
    /// Repo-relative path of the cached copy.
    pub cached_path: String,
}

/// The index of `id` and each entry's state. E051 when the task has no excerpt index.
/// The task's lock for reading its excerpts: E051 (no excerpts) when it has no directory.
fn read_lock(ctx: &Ctx, store: &ContextStore) -> Result<Locked> {
    store.read_lock(&ctx.repo).map_err(|e| {
        if e.code == ErrorCode::E051 {
            no_excerpts(store)
        } else {
            e
        }
    })
}

fn no_excerpts(store: &ContextStore) -> Error {
    Error::new(
        ErrorCode::E051,
        format!("{} has no standards excerpts", store.id),
    )
    .with_detail("task_id", &store.id)
    .with_detail("index", store.rel("evidence/standards/index.json"))
    .with_recovery(format!(
        "Run tasks --init-context {0} or tasks --attach-standard {0} --file F --section S first",
        store.id
    ))
}

/// Every excerpt in the index with its state (the caller holds the task's lock).
fn check_all(ctx: &Ctx, store: &ContextStore) -> Result<(ExcerptIndex, Vec<ExcerptState>)> {
    let path = index_path(store);
    let Some(index) = store::read_json::<ExcerptIndex>(&path)? else {
        return Err(no_excerpts(store));
    };
    // Each standards file is read once, however many of its sections are cached.
    let mut texts: std::collections::HashMap<&str, Option<String>> = Default::default();
    let states = index
        .excerpts
        .iter()
        .map(|entry| {
            let current = texts
                .entry(entry.file.as_str())
                .or_insert_with(|| read_current(ctx, &entry.file));
            let mut state = freshness(entry, current.as_deref());
            if state == Staleness::Fresh {
                // The standards file still says the same: is the cached copy still it?
                let cached = is_plain_name(&entry.excerpt_path)
                    .then(|| {
                        store::read_state(
                            &store
                                .evidence_dir()
                                .join("standards")
                                .join(&entry.excerpt_path),
                        )
                        .ok()
                        .flatten()
                    })
                    .flatten();
                if !cached_copy_matches(entry, cached.as_deref()) {
                    state = Staleness::CacheChanged;
                }
            }
            ExcerptState {
                excerpt_id: entry.id.clone(),
                file: entry.file.clone(),
                section: entry.section.clone(),
                fresh: state == Staleness::Fresh,
                state,
                cached_path: format!(
                    "{}/evidence/standards/{}",
                    store.rel_dir, entry.excerpt_path
                ),
            }
        })
        .collect();
    Ok((index, states))
}

/// The text of a standards file now; `None` when it is gone or unreadable — or when the path,
/// read from the excerpt index, is not a file inside the repository. Bytes that are not UTF-8
/// are replaced, so such a file reads as changed rather than failing the check.
fn read_current(ctx: &Ctx, rel: &str) -> Option<String> {
    let path = ctx.repo.inside(rel).ok()?;
    // A plain file of a sane size: a FIFO or a device would block or never end.
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_STANDARDS_FILE {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    pub task_id: String,
    pub excerpts: Vec<ExcerptState>,
    pub fresh_count: usize,
    pub stale_count: usize,
    /// E025 when an excerpt is stale.
    #[serde(skip)]
    pub failure: Option<Error>,
}

/// Every cached excerpt of `id`, fresh or stale. Any stale excerpt is E025 (exit 20) with the
/// whole report in the error details.
pub fn verify(ctx: &Ctx, id: &str) -> Result<VerifyReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let _locked = read_lock(ctx, &store)?;
    let (_, excerpts) = check_all(ctx, &store)?;
    let stale: Vec<&ExcerptState> = excerpts.iter().filter(|e| !e.fresh).collect();
    let failure = (!stale.is_empty()).then(|| {
        Error::new(
            ErrorCode::E025,
            format!(
                "{} of {} standards excerpt(s) of {id} are stale",
                stale.len(),
                excerpts.len(),
            ),
        )
        .with_detail("task_id", id)
        .with_detail("stale_count", stale.len())
        .with_detail("fresh_count", excerpts.len() - stale.len())
        .with_detail("excerpts", &excerpts)
        .with_recovery(format!(
            "Run tasks --invalidate-excerpts {id}, then --rebuild-context {id} or --attach-standard again"
        ))
    });
    Ok(VerifyReport {
        task_id: id.to_string(),
        fresh_count: excerpts.len() - stale.len(),
        stale_count: stale.len(),
        excerpts,
        failure,
    })
}

impl Report for VerifyReport {
    fn text(&self, out: &mut Text) {
        if self.stale_count == 0 {
            out.stdout.push_str(&format!(
                "✓ {} standards excerpt(s) of {} are fresh\n",
                self.fresh_count, self.task_id
            ));
        } else {
            out.stdout.push_str(&format!(
                "{} of {} standards excerpt(s) of {} are stale (✖), {} fresh (✓):\n",
                self.stale_count,
                self.excerpts.len(),
                self.task_id,
                self.fresh_count
            ));
        }
        for e in &self.excerpts {
            let (mark, state) = if e.fresh {
                ("✓", String::new())
            } else {
                ("✖", format!(" ({})", e.state.describe()))
            };
            out.stdout.push_str(&format!(
                "  {mark} {} {} #{}{state}\n",
                crate::output::field(&e.excerpt_id),
                crate::output::field(&e.file),
                crate::output::field(&e.section)
            ));
        }
    }

    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InvalidateReport {
    pub task_id: String,
    /// Ids of the excerpts removed.
    pub invalidated: Vec<String>,
    /// What was removed, and why.
    pub removed: Vec<ExcerptState>,
    /// Excerpts still cached (all fresh).
    pub remaining: usize,
}

/// Remove the stale excerpts of `id`: their cached copies and their index entries.
pub fn invalidate(ctx: &Ctx, id: &str) -> Result<InvalidateReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let locked = read_lock(ctx, &store)?;
    let (mut index, states) = check_all(ctx, &store)?;
    let removed: Vec<ExcerptState> = states.into_iter().filter(|s| !s.fresh).collect();
    if !removed.is_empty() {
        let mut txn = locked.begin();
        let mut gone = Vec::new();
        index.excerpts.retain(|entry| {
            let stale = removed.iter().any(|r| {
                r.excerpt_id == entry.id && r.file == entry.file && r.section == entry.section
            });
            if stale {
                gone.push(entry.excerpt_path.clone());
            }
            !stale
        });
        // A copy goes only when no remaining excerpt uses it.
        for name in gone.into_iter().filter_map(|name| index.unused(name)) {
            txn.remove(&store.rel(&format!("evidence/standards/{name}")))?;
        }
        txn.put_json(&store.rel("evidence/standards/index.json"), &index)?;
        txn.commit()?;
    }
    Ok(InvalidateReport {
        task_id: id.to_string(),
        invalidated: removed.iter().map(|r| r.excerpt_id.clone()).collect(),
        remaining: index.excerpts.len(),
        removed,
    })
}

impl Report for InvalidateReport {
    fn text(&self, out: &mut Text) {
        if self.removed.is_empty() {
            out.stdout.push_str(&format!(
                "✓ No stale standards excerpts for {} ({} cached, all fresh)\n",
                self.task_id, self.remaining
            ));
            return;
        }
        out.stdout.push_str(&format!(
            "✓ Invalidated {} stale standards excerpt(s) of {}\n",
            self.removed.len(),
            self.task_id
        ));
        for e in &self.removed {
            out.stdout.push_str(&format!(
                "  {} {} #{} ({})\n",
                crate::output::field(&e.excerpt_id),
                crate::output::field(&e.file),
                crate::output::field(&e.section),
                e.state.describe()
            ));
        }
        out.stdout
            .push_str(&format!("  Remaining: {} excerpt(s)\n", self.remaining));
    }
}
