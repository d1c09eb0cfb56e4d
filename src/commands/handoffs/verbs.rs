//! Agent handoffs (spec 03 §4.1–§4.3, §4.6, contract D7): `--snapshot-worktree`,
//! `--verify-worktree`, `--get-diff`, `--resolve-drift`.

use crate::app::Ctx;
use crate::clock::iso;
use crate::context::model::{Context, DriftResolution, FileSnapshot, WorktreeSnapshot};
use crate::context::store::ContextStore;
use crate::error::{Error, ErrorCode, Result};
use crate::git::{Git, ObjectId};
use crate::output::{Report, Text, prefix};
use crate::store::{self, sha256_hex};
use crate::text::field;
use crate::worktree::drift::{self, Drift, Finding, Recorded};
use crate::worktree::{self, Capture, Scope};
use serde::Serialize;
use serde_json::json;

/// Diffs above this size get a warning (probably a binary or generated file).
const LARGE_DIFF: usize = 10 * 1024 * 1024;

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn no_snapshot(id: &str, role: &str) -> Error {
    Error::new(
        ErrorCode::E051,
        format!("The {role} of {id} has no worktree snapshot"),
    )
    .with_detail("task_id", id)
    .with_detail("agent", role)
    .with_recovery(format!(
        "The {role} takes one with tasks --snapshot-worktree {id} --agent {role}"
    ))
}

/// `role`'s snapshot; E051 with a hint when it has none.
fn snapshot_of<'a>(context: &'a Context, id: &str, role: &str) -> Result<&'a WorktreeSnapshot> {
    (context.coordination.role(role))
        .and_then(|c| c.worktree_snapshot.as_ref())
        .ok_or_else(|| no_snapshot(id, role))
}

/// The working tree as the context's task sees it: its scope, minus paths that were dirty
/// before the task began.
fn capture(ctx: &Ctx, context: &Context) -> Result<Capture> {
    let scope = Scope::new(&context.immutable.repo_paths);
    worktree::capture(&ctx.repo, &scope, &context.immutable.preexisting_dirty)
}

/// E024 when any role has unresolved drift: any budget but 0 (a negative one, which only a
/// hand edit can write, blocks too: it must never let a drift pass).
fn check_budget(id: &str, context: &Context) -> Result<()> {
    let over: Vec<(&str, i64)> = context
        .coordination
        .roles()
        .into_iter()
        .filter(|(_, c)| c.drift_budget != 0)
        .map(|(role, c)| (role, c.drift_budget))
        .collect();
    let Some((first, _)) = over.first() else {
        return Ok(());
    };
    let listed: Vec<String> = over.iter().map(|(r, n)| format!("{r} ({n})")).collect();
    Err(Error::new(
        ErrorCode::E024,
        format!(
            "{id} has unresolved drift: {}; no snapshot is taken until it is resolved",
            listed.join(", ")
        ),
    )
    .with_detail("task_id", id)
    .with_detail(
        "drift_budgets",
        over.iter()
            .map(|(r, n)| json!({"agent": r, "drift_budget": n}))
            .collect::<Vec<_>>(),
    )
    .with_recovery(format!(
        "Review the drift, then run tasks --resolve-drift {id} --agent {first} --note \"what was done\""
    )))
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SnapshotReport {
    pub task_id: String,
    pub agent_role: String,
    pub snapshot: WorktreeSnapshot,
}

/// Take `role`'s snapshot: the working tree as a tree object, the cumulative diff from the
/// context's base commit, the changed files as they are on disk, and — with `previous` — the
/// diff from that role's snapshot.
pub fn snapshot(
    ctx: &Ctx,
    id: &str,
    role: &str,
    previous: Option<&str>,
    actor: Option<&str>,
) -> Result<SnapshotReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let context = store.read(&ctx.repo)?;
    check_budget(id, &context)?;
    if previous == Some(role) {
        return Err(Error::new(
            ErrorCode::E002,
            format!("--previous-agent must name another role than --agent ({role})"),
        )
        .with_detail("field", "--previous-agent")
        .with_recovery(
            "Name the role whose snapshot you took over, e.g. --previous-agent implementer",
        ));
    }
    let previous_tree = match previous {
        None => None,
        Some(prev) => {
            let snap = snapshot_of(&context, id, prev)?;
            let tree = snap
                .tree_sha
                .as_deref()
                .map(|t| {
                    ObjectId::from_state(
                        t,
                        &store.context_path(),
                        &format!("coordination.{prev}.worktree_snapshot.tree_sha"),
                    )
                })
                .transpose()?;
            Some((prev, tree))
        }
    };
    let base = ObjectId::from_state(&context.git_head, &store.context_path(), "git_head")?;
    let cap = capture(ctx, &context)?;
    if !cap.out_of_scope.is_empty() {
        let mut warning = format!(
            "Warning: {} untracked file(s) outside the task's repo_paths are not part of the snapshot:",
            cap.out_of_scope.len()
        );
        for path in cap.out_of_scope.iter().take(5) {
            warning.push_str(&format!("\n  {}", field(path)));
        }
        if cap.out_of_scope.len() > 5 {
            warning.push_str(&format!("\n  ... and {} more", cap.out_of_scope.len() - 5));
        }
        ctx.warn(warning);
    }
    if !cap.embedded.is_empty() {
        ctx.warn(format!(
            "Warning: nested git repositories are not part of the snapshot: {}",
            cap.embedded
                .iter()
                .map(|p| field(p).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let git = Git::new(&ctx.repo.root);
    let diff = worktree::diff(&git, &base, &cap.tree).map_err(|e| unreachable_base(e, &base))?;
    if diff.len() > LARGE_DIFF {
        ctx.warn(format!(
            "Warning: the diff is {:.1} MB; check for unintended binary or generated files",
            diff.len() as f64 / 1_048_576.0
        ));
    }
    let files_changed = worktree::changes(&git, &base, &cap.tree)?
        .into_iter()
        .map(|c| file_snapshot(ctx, c))
        .collect();
    let diff_stat = worktree::diff_stat(&git, &base, &cap.tree)?;
    let status_report = lossy(&git.run(&["status", "--porcelain", "-z", "--", "."])?);
    let incremental = match &previous_tree {
        None => None,
        Some((prev, None)) => {
            let reason = format!(
                "The {prev} snapshot was taken by tasks.py and has no tree_sha, so no incremental diff can be computed; review the cumulative diff (--get-diff {id} --agent {role})"
            );
            ctx.warn(format!("Warning: {reason}"));
            Some((prev.to_string(), Err(reason)))
        }
        Some((prev, Some(tree))) => {
            let bytes = worktree::diff(&git, tree, &cap.tree).map_err(|e| pruned_tree(e, prev))?;
            let stat = worktree::diff_stat(&git, tree, &cap.tree)?;
            Some((prev.to_string(), Ok((bytes, stat))))
        }
    };
    let now = iso(ctx.clock.now());
    let rel = |name: &str| format!("{}/{name}", store.rel_dir);
    let mut snap = WorktreeSnapshot {
        base_commit: base.to_string(),
        snapshot_time: now.clone(),
        diff_from_base: rel(&format!("{role}-from-base.diff")),
        diff_sha: sha256_hex(&diff),
        status_report,
        files_changed,
        diff_stat,
        scope_hash: worktree::scope_hash(&context.immutable.repo_paths),
        diff_from_implementer: None,
        incremental_diff_sha: None,
        incremental_diff_error: None,
        tree_sha: Some(cap.tree.to_string()),
        head_commit: Some(cap.head.to_string()),
        incremental_diff_from: None,
        incremental_diff_path: None,
        incremental_diff_stat: None,
        extra: serde_json::Map::new(),
    };
    let mut incremental_bytes = None;
    if let Some((prev, outcome)) = incremental {
        snap.incremental_diff_from = Some(prev.clone());
        match outcome {
            Ok((bytes, stat)) => {
                let path = rel(&format!("{role}-incremental.diff"));
                snap.incremental_diff_sha = Some(sha256_hex(&bytes));
                snap.incremental_diff_stat = Some(stat);
                if role == "reviewer" && prev == "implementer" {
                    snap.diff_from_implementer = Some(path.clone());
                }
                snap.incremental_diff_path = Some(path);
                incremental_bytes = Some(bytes);
            }
            Err(reason) => snap.incremental_diff_error = Some(reason),
        }
    }
    let saved = snap.clone();
    store.update(&ctx.repo, |context, txn| {
        check_budget(id, context)?;
        txn.put(&saved.diff_from_base, &diff)?;
        if let (Some(path), Some(bytes)) = (&saved.incremental_diff_path, &incremental_bytes) {
            txn.put(path, bytes)?;
        }
        let agent = context.coordination.agent_mut("--agent", role)?;
        agent.worktree_snapshot = Some(saved.clone());
        context.audit.touch(&now, actor);
        Ok(())
    })?;
    Ok(SnapshotReport {
        task_id: id.to_string(),
        agent_role: role.to_string(),
        snapshot: snap,
    })
}

fn unreachable_base(e: Error, base: &ObjectId) -> Error {
    e.with_recovery(format!(
        "The context's base commit {base} is not in this repository any more (history rewritten?); rebuild the context with --rebuild-context ID --base-commit HEAD"
    ))
}

fn pruned_tree(e: Error, role: &str) -> Error {
    e.with_recovery(format!(
        "The tree of the {role} snapshot is gone (git gc prunes unreachable objects after some weeks); the {role} can snapshot again, or review the cumulative diff"
    ))
}

fn file_snapshot(ctx: &Ctx, change: worktree::Change) -> FileSnapshot {
    let state = (change.status != "D")
        .then(|| worktree::file_state(&ctx.repo, &change.path))
        .flatten();
    let (sha256, mode, size) = state.unwrap_or_default();
    FileSnapshot {
        path: lossy(&change.path),
        sha256,
        status: change.status,
        mode,
        size,
        previous_path: change.from.as_deref().map(lossy),
        extra: serde_json::Map::new(),
    }
}

impl Report for SnapshotReport {
    fn text(&self, out: &mut Text) {
        let s = &self.snapshot;
        let o = &mut out.stdout;
        o.push_str(&format!(
            "✓ Snapshotted working tree for {} on {}\n  Base commit: {}\n  Files changed: {}\n  Diff saved to: {}\n",
            self.agent_role,
            self.task_id,
            short(&s.base_commit),
            s.files_changed.len(),
            s.diff_from_base
        ));
        if let Some(path) = &s.incremental_diff_path {
            o.push_str(&format!(
                "  Incremental diff from {}: {}\n",
                s.incremental_diff_from.as_deref().unwrap_or("-"),
                path
            ));
        }
        if s.diff_stat.is_empty() {
            o.push_str("  Diff stat: (no changes)\n");
        } else {
            o.push_str("  Diff stat:\n");
            for line in s.diff_stat.lines() {
                o.push_str(&format!("    {}\n", line.trim_start()));
            }
        }
        if let Some(error) = &s.incremental_diff_error {
            o.push_str(&format!("\n⚠️  No incremental diff: {error}\n"));
        }
    }
}

fn short(sha: &str) -> &str {
    prefix(sha, 8)
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    pub task_id: String,
    pub expected_agent: String,
    /// True when no --expected-agent was given and the most recent snapshot was taken.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expected_agent_inferred: bool,
    pub drift_detected: bool,
    /// How the snapshot was compared: `tree` (tree_sha) or `checksums` (a tasks.py snapshot).
    pub method: &'static str,
    pub files_checked: usize,
    /// Each file that differs (E020).
    pub findings: Vec<Finding>,
    /// The role's drift budget after this drift (null without drift).
    pub drift_budget: Option<i64>,
    /// E020, E021 or E022 on drift.
    #[serde(skip)]
    pub failure: Option<Error>,
}

/// Compare the working tree now with `role`'s snapshot. Drift is E020 (files changed, each in
/// `details.findings`), E021 (HEAD moved) or E022 (the snapshot had changes, the tree has none);
/// each increments that role's drift budget.
pub fn verify(ctx: &Ctx, id: &str, role: Option<&str>) -> Result<VerifyReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let context = store.read(&ctx.repo)?;
    let inferred = role.is_none();
    let role = match role {
        Some(role) => role,
        None => context.coordination.latest_snapshot().ok_or_else(|| {
            Error::new(
                ErrorCode::E051,
                format!("No role of {id} has a worktree snapshot to verify against"),
            )
            .with_detail("task_id", id)
            .with_recovery(format!(
                "A role snapshots first: tasks --snapshot-worktree {id} --agent implementer"
            ))
        })?,
    };
    if inferred {
        ctx.warn(format!(
            "Warning: no --expected-agent given: verifying against the most recent snapshot, the {role}'s"
        ));
    }
    let snap = snapshot_of(&context, id, role)?.clone();
    let field = |name: &str| format!("coordination.{role}.worktree_snapshot.{name}");
    let expected_head = match &snap.head_commit {
        Some(head) => ObjectId::from_state(head, &store.context_path(), &field("head_commit"))?,
        None => ObjectId::from_state(
            &snap.base_commit,
            &store.context_path(),
            &field("base_commit"),
        )?,
    };
    let tree = snap
        .tree_sha
        .as_deref()
        .map(|t| ObjectId::from_state(t, &store.context_path(), &field("tree_sha")))
        .transpose()?;
    let recorded = match &tree {
        Some(tree) => Recorded::Tree(tree),
        None => {
            check_recorded_paths(&store, role, &snap.files_changed)?;
            Recorded::Files(&snap.files_changed)
        }
    };
    let scope = Scope::new(&context.immutable.repo_paths);
    let task = drift::Task {
        scope: &scope,
        preexisting_dirty: &context.immutable.preexisting_dirty,
    };
    let drift = drift::detect(&ctx.repo, &task, &expected_head, &recorded)?;
    let mut report = VerifyReport {
        task_id: id.to_string(),
        expected_agent: role.to_string(),
        expected_agent_inferred: inferred,
        drift_detected: drift.is_some(),
        method: recorded.method(),
        files_checked: snap.files_changed.len(),
        findings: Vec::new(),
        drift_budget: None,
        failure: None,
    };
    let drift = drift.map(|d| match d {
        Drift::HeadMoved { expected, current } => (
            Error::new(
                ErrorCode::E021,
                format!(
                    "HEAD moved since the {role} snapshot of {id}: expected {}, now {} (a commit, rebase or merge)",
                    short(expected.as_str()),
                    short(current.as_str())
                ),
            )
            .with_detail("expected_head", expected.as_str())
            .with_detail("current_head", current.as_str()),
            Vec::new(),
        ),
        Drift::Files(findings) => (file_drift(id, role, &findings), findings),
        Drift::ChangesGone => (unexpected_clean(id, role), Vec::new()),
    });
    let Some((error, findings)) = drift else {
        return Ok(report);
    };
    let now = iso(ctx.clock.now());
    let budget = store.update(&ctx.repo, |context, _| {
        let agent = context.coordination.agent_mut("--expected-agent", role)?;
        // Saturating: a budget at the maximum stays unresolved instead of wrapping negative.
        agent.drift_budget = agent.drift_budget.max(0).saturating_add(1);
        let budget = agent.drift_budget;
        context.audit.touch(&now, Some("drift-check"));
        Ok(budget)
    })?;
    let resolve = format!("tasks --resolve-drift {id} --agent {role} --note \"...\"");
    let recovery = match error.code {
        ErrorCode::E021 => format!(
            "If the commit belongs to the task, run {resolve} and have the {role} snapshot again; otherwise move HEAD back"
        ),
        ErrorCode::E022 => format!(
            "Bring the changes back (git stash pop, or undo the commit), or run {resolve} and have the {role} snapshot again"
        ),
        _ => format!(
            "Find out who changed the files listed above; restore them, or run {resolve} and have the {role} snapshot again"
        ),
    };
    report.findings = findings;
    report.drift_budget = Some(budget);
    report.failure = Some(
        error
            .with_detail("task_id", id)
            .with_detail("expected_agent", role)
            .with_detail("drift_budget", budget)
            .with_recovery(recovery),
    );
    Ok(report)
}

/// The paths a tasks.py snapshot recorded are read from the disk: each must be a clean relative
/// path (E052 naming the field otherwise, and nothing is read).
fn check_recorded_paths(store: &ContextStore, role: &str, files: &[FileSnapshot]) -> Result<()> {
    for (i, f) in files.iter().enumerate() {
        crate::store::paths::check_relative(&f.path).map_err(|why| {
            let field = format!("coordination.{role}.worktree_snapshot.files_changed[{i}].path");
            Error::new(
                ErrorCode::E052,
                format!("{} is not valid: {field}: {why}", store.context_path().display()),
            )
            .with_detail("path", store.context_path().display().to_string())
            .with_detail("field", field)
            .with_recovery("Nothing was read. Have the role snapshot again, or restore the context, then retry")
        })?;
    }
    Ok(())
}

fn file_drift(id: &str, role: &str, findings: &[Finding]) -> Error {
    let mut message = format!(
        "The working tree changed since the {role} snapshot of {id}: {} file(s)",
        findings.len()
    );
    for f in findings.iter().take(20) {
        message.push_str(&format!("\n  {} ({})", field(&f.path), f.change));
        if !f.expected_sha256.is_empty() || !f.current_sha256.is_empty() {
            message.push_str(&format!(
                "\n    expected {}\n    current  {}",
                short_sha(&f.expected_sha256),
                short_sha(&f.current_sha256)
            ));
        }
    }
    if findings.len() > 20 {
        message.push_str(&format!(
            "\n  ... and {} more (all of them with --format json)",
            findings.len() - 20
        ));
    }
    Error::new(ErrorCode::E020, message).with_detail("findings", findings)
}

fn short_sha(sha: &str) -> String {
    if sha.is_empty() {
        "(none)".into()
    } else {
        format!("{}...", field(prefix(sha, 16)))
    }
}

fn unexpected_clean(id: &str, role: &str) -> Error {
    Error::new(
        ErrorCode::E022,
        format!(
            "The {role} snapshot of {id} had changes but the working tree has none: they were committed, stashed or reverted"
        ),
    )
}

impl Report for VerifyReport {
    fn text(&self, out: &mut Text) {
        // A drift is told by the error (on stderr), which lists the files.
        if !self.drift_detected {
            out.stdout.push_str(&format!(
                "✓ Working tree verified against {} snapshot for {}\n  No drift detected ({} changed file(s) in the snapshot)\n",
                self.expected_agent, self.task_id, self.files_checked
            ));
        }
    }

    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DiffReport {
    pub task_id: String,
    pub agent_role: String,
    /// `from_base` or `incremental`.
    pub diff_type: String,
    pub diff_path: String,
    /// The diff as text (bytes that are not UTF-8 replaced by U+FFFD; the file is exact).
    pub diff_content: String,
    /// False when `diff_content` had to replace bytes that are not UTF-8.
    pub diff_utf8: bool,
    pub diff_sha: String,
    /// The `git diff --stat` of the diff printed (cumulative or incremental).
    pub diff_stat: Option<String>,
    /// For an incremental diff: the role it starts from.
    pub incremental_diff_from: Option<String>,
}

pub fn get_diff(ctx: &Ctx, id: &str, role: &str, diff_type: &str) -> Result<DiffReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let _locked = store.read_lock(&ctx.repo)?;
    let context = store.load()?;
    let snap = snapshot_of(&context, id, role)?.clone();
    let field_of = |name: &str| format!("coordination.{role}.worktree_snapshot.{name}");
    let (path, expected_sha, field_name) = if diff_type == "incremental" {
        match (&snap.incremental_diff_path, &snap.diff_from_implementer) {
            (Some(p), _) => (
                p.clone(),
                snap.incremental_diff_sha.clone(),
                field_of("incremental_diff_path"),
            ),
            (None, Some(p)) => (
                p.clone(),
                snap.incremental_diff_sha.clone(),
                field_of("diff_from_implementer"),
            ),
            (None, None) => {
                let why = snap.incremental_diff_error.clone().unwrap_or_else(|| {
                    format!("the {role} snapshot was taken without --previous-agent")
                });
                return Err(Error::new(
                    ErrorCode::E051,
                    format!("No incremental diff for the {role} of {id}: {}", field(&why)),
                )
                .with_detail("task_id", id)
                .with_detail("agent", role)
                .with_recovery(format!(
                    "Snapshot again with --previous-agent ROLE, or read the cumulative diff: tasks --get-diff {id} --agent {role}"
                )));
            }
        }
    } else {
        (
            snap.diff_from_base.clone(),
            Some(snap.diff_sha.clone()),
            field_of("diff_from_base"),
        )
    };
    let abs = store.file_named_by(&ctx.repo, &path, &field_name)?;
    let bytes = match store::read_state(&abs).map_err(Error::from) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(Error::new(
                ErrorCode::E040,
                format!("Diff file not found: {}", field(&path)),
            )
            .with_detail("path", &path)
            .with_recovery(format!(
                "The {role} can snapshot again: tasks --snapshot-worktree {id} --agent {role}"
            )));
        }
        Err(e) => return Err(e),
    };
    let sha = sha256_hex(&bytes);
    if expected_sha.as_ref().is_some_and(|s| *s != sha) {
        ctx.warn(format!(
            "Warning: {} changed since the snapshot (its sha256 is not the recorded one)",
            field(&path)
        ));
    }
    let diff_utf8 = std::str::from_utf8(&bytes).is_ok();
    Ok(DiffReport {
        task_id: id.to_string(),
        agent_role: role.to_string(),
        diff_type: diff_type.to_string(),
        diff_path: path,
        diff_content: lossy(&bytes),
        diff_utf8,
        diff_sha: sha,
        // The stat of the diff printed: the incremental one has its own (null for snapshots
        // taken before it was recorded).
        diff_stat: if diff_type == "incremental" {
            snap.incremental_diff_stat.clone()
        } else {
            Some(snap.diff_stat.clone())
        },
        incremental_diff_from: (diff_type == "incremental")
            .then(|| {
                snap.incremental_diff_from
                    .clone()
                    .or(Some("implementer".into()))
            })
            .flatten(),
    })
}

impl Report for DiffReport {
    fn text(&self, out: &mut Text) {
        out.stdout.push_str(&format!(
            "Diff for {} ({}): {}\n\n{}",
            self.agent_role,
            self.diff_type,
            field(&self.diff_path),
            self.diff_content
        ));
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ResolveReport {
    pub task_id: String,
    pub agent_role: String,
    pub previous_drift_budget: i64,
    /// The record appended to `coordination.<role>.drift_resolutions` (null when there was no
    /// drift to resolve).
    pub resolution: Option<DriftResolution>,
}

pub fn resolve_drift(
    ctx: &Ctx,
    id: &str,
    role: &str,
    note: &str,
    actor: Option<&str>,
) -> Result<ResolveReport> {
    let now = iso(ctx.clock.now());
    let store = ContextStore::of(&ctx.repo, id);
    let (previous, resolution) = store.update(&ctx.repo, |context, _| {
        let agent = context.coordination.agent_mut("--agent", role)?;
        let previous = agent.drift_budget;
        if previous == 0 {
            return Ok((0, None));
        }
        let record = DriftResolution {
            note: note.to_string(),
            actor: actor.unwrap_or("operator").to_string(),
            resolved_at: now.clone(),
            previous_drift_budget: previous,
            extra: serde_json::Map::new(),
        };
        agent.drift_budget = 0;
        agent.drift_resolutions.push(record.clone());
        context.audit.touch(&now, actor.or(Some("operator")));
        Ok((previous, Some(record)))
    })?;
    Ok(ResolveReport {
        task_id: id.to_string(),
        agent_role: role.to_string(),
        previous_drift_budget: previous,
        resolution,
    })
}

impl Report for ResolveReport {
    fn text(&self, out: &mut Text) {
        match &self.resolution {
            None => out.stdout.push_str(&format!(
                "✓ No drift to resolve for {} on {} (drift budget is 0)\n",
                self.agent_role, self.task_id
            )),
            Some(r) => out.stdout.push_str(&format!(
                "✓ Resolved drift for {} on {}\n  Previous drift budget: {}\n  New drift budget: 0\n  Resolution note: {}\n",
                self.agent_role, self.task_id, self.previous_drift_budget, r.note
            )),
        }
    }
}
