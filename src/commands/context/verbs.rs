//! The context lifecycle (spec 02, contract D6): `--init-context`, `--get-context`,
//! `--update-agent`, `--mark-blocked`, `--purge-context`, `--rebuild-context`.

use crate::app::Ctx;
use crate::clock::iso;
use crate::context::build::{Payload, build, to_json};
use crate::context::completeness;
use crate::context::model::{
    Audit, CONTEXT_VERSION, Context, Coordination, DEFAULT_ACTOR, SCHEMA_VERSION,
};
use crate::context::secrets;
use crate::context::stage;
use crate::context::store::{ContextStore, OUTPUT_DIR};
use crate::error::{Error, ErrorCode, Result};
use crate::git::{Git, ObjectId};
use crate::ledger::{LedgerFile, NewException, Stamp};
use crate::output::{Report, Text, prefix};
use crate::store::sha256_hex;
use crate::tasks::catalog::Found;
use crate::tasks::file::TaskFile;
use crate::tasks::yaml::Yaml;
use serde::Serialize;
use serde_json::{Map, Value};

/// A task file found for an id, read and parsed (task rules and the whole YAML document).
struct Source {
    file: TaskFile,
    doc: Yaml,
}

/// The task file of `id`: a loaded task, or a broken file named for it (E011; loading the
/// catalog already recorded it in the exception ledger), or none (E040).
fn find_task(ctx: &Ctx, id: &str) -> Result<Source> {
    let rel = match ctx.catalog().find(id) {
        Some(Found::Task(task)) => task.path.clone(),
        None => {
            return Err(
                Error::new(ErrorCode::E040, format!("No task file for {id}"))
                    .with_detail("task_id", id)
                    .with_recovery("Check the id with tasks --list (archived tasks count too)"),
            );
        }
        Some(Found::Broken(broken)) => return Err(broken.error()),
    };
    let file = TaskFile::read(&ctx.repo, &rel)?;
    let doc = file.document()?;
    Ok(Source { file, doc })
}

/// Record a problem in the exception ledger; a ledger that cannot be written only warns (the
/// command's own error matters more).
fn record_exception(ctx: &Ctx, exception: NewException) {
    let stamp = Stamp::at(ctx.clock.now());
    let recorded = LedgerFile::of(&ctx.repo).update(&stamp.now, |ledger| {
        ledger.add(exception, &stamp);
        Ok(((), true))
    });
    if let Err(e) = recorded {
        ctx.warn(format!(
            "Warning: could not record the exception: {}",
            e.message
        ));
    }
}

/// The commit the context is based on: `--base-commit` (resolved) or HEAD.
fn base_commit(git: &Git, given: Option<&str>) -> Result<String> {
    if let Some(given) = given {
        let out = git.output(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{given}^{{commit}}"),
        ])?;
        if !out.status.success() {
            return Err(Error::new(
                ErrorCode::E002,
                format!("--base-commit {given} is not a commit of this repository"),
            )
            .with_detail("field", "--base-commit")
            .with_recovery("Pass a commit SHA (git log --oneline shows them)"));
        }
        return Ok(ObjectId::from_git(&out.stdout, "git rev-parse --verify")?
            .as_str()
            .to_string());
    }
    git.head()?.ok_or_else(|| {
        Error::new(ErrorCode::E061, "The repository has no commits yet")
            .with_detail("command", "git rev-parse HEAD")
            .with_recovery("Commit the task files first, then init the context")
    })
}

/// Changed paths of the work tree, the tool's own paths left out.
fn dirty_paths(git: &Git) -> Result<Vec<String>> {
    // Both sides of a rename: the source is gone from the tree too.
    let mut paths: Vec<String> = git
        .status()?
        .into_iter()
        .flat_map(|e| std::iter::once(e.path).chain(e.orig_path))
        .filter(|p| !crate::worktree::is_tool_path(p.as_bytes()))
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// "an AWS access key", "a private key".
fn with_article(kind: &str) -> String {
    let vowel = kind
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {kind}", if vowel { "an" } else { "a" })
}

fn scan_for_secrets(ctx: &Ctx, data: &Value, force: bool, what: &str) -> Result<bool> {
    let Some(hit) = secrets::scan(data) else {
        return Ok(false);
    };
    if force {
        ctx.warn(format!(
            "Warning: {what} contains what looks like {} (at {}); --force-secrets bypassed the scan and the context records it",
            with_article(hit.kind), crate::output::field(&hit.path)
        ));
        return Ok(true);
    }
    Err(Error::new(
        ErrorCode::E012,
        format!(
            "{what} contains what looks like {} (at {})",
            with_article(hit.kind),
            crate::output::field(&hit.path)
        ),
    )
    .with_detail("pattern", hit.kind)
    .with_detail("location", &hit.path)
    .with_recovery(
        "Remove the secret, or pass --force-secrets if it is a false positive (this is recorded)",
    ))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitOptions {
    pub base_commit: Option<String>,
    pub allow_preexisting_dirty: bool,
    pub force_secrets: bool,
    pub actor: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InitReport {
    pub task_id: String,
    pub context_initialized: bool,
    pub base_commit: String,
    pub context_version: u32,
    pub schema_version: &'static str,
    pub acceptance_criteria_count: usize,
    /// Repo-relative.
    pub context_file: String,
    pub standards_citations: usize,
    pub excerpts: usize,
    pub checklists: usize,
    pub preexisting_dirty: Vec<String>,
}

/// Contract D6: id → task found → quarantine → parse → completeness → context exists → dirty
/// tree → secret scan → write.
pub fn init(ctx: &Ctx, id: &str, opts: &InitOptions) -> Result<InitReport> {
    let source = find_task(ctx, id)?;
    if ctx.quarantined()?.contains(id) {
        return Err(Error::new(ErrorCode::E032, format!("Task {id} is quarantined"))
            .with_detail("task_id", id)
            .with_recovery(format!(
                "Repair or release it first (tasks --repair-quarantined {id}, --release-quarantine {id})"
            )));
    }
    check_completeness(ctx, &source)?;
    let store = ContextStore::of(&ctx.repo, id);
    if store.exists() {
        return Err(exists(id));
    }
    let git = Git::new(&ctx.repo.root);
    let base = base_commit(&git, opts.base_commit.as_deref())?;
    let dirty = dirty_paths(&git)?;
    // The task's own file may be uncommitted (`--claim` just changed its status): it is the
    // context's input, so it is recorded like a pre-existing change rather than refused.
    let others: Vec<&String> = dirty.iter().filter(|p| **p != source.file.rel).collect();
    if !others.is_empty() && !opts.allow_preexisting_dirty {
        return Err(Error::new(
            ErrorCode::E060,
            format!(
                "The working tree has {} uncommitted change(s)",
                others.len()
            ),
        )
        .with_detail("files", &others));
    }
    if dirty.contains(&source.file.rel) {
        ctx.warn(format!(
            "Note: {} has uncommitted changes (a claim?); they are recorded as pre-existing and drift checks ignore them",
            crate::output::field(&source.file.rel)
        ));
    }
    let Prepared {
        forced,
        payload,
        now,
        actor,
    } = prepare(ctx, &source, opts)?;
    let locked = store.lock(&ctx.repo)?;
    if store.exists() {
        return Err(exists(id));
    }
    let mut txn = locked.begin();
    let written = stage::files(&ctx.repo, &store, &mut txn, &source.file, &payload, &now)?;
    let context = Context {
        version: CONTEXT_VERSION,
        schema_version: Some(SCHEMA_VERSION.to_string()),
        task_id: id.to_string(),
        created_at: now.clone(),
        created_by: Some(actor.clone()),
        git_head: base.clone(),
        task_file_sha: sha256_hex(&source.file.raw),
        immutable: stage::immutable(&payload, &written, dirty.clone(), Map::new()),
        coordination: Coordination::fresh(),
        audit: Audit {
            updated_at: now.clone(),
            updated_by: Some(actor.clone()),
            update_count: 0,
            force_secrets: forced,
            extra: Map::new(),
        },
        extra: Map::new(),
    };
    store.stage_manifest(
        &mut txn,
        &stage::manifest(&source.file, &payload, &written, &now, &actor, &base),
    )?;
    store.stage(&mut txn, &context)?;
    txn.commit()?;
    Ok(InitReport {
        task_id: id.to_string(),
        context_initialized: true,
        base_commit: base,
        context_version: CONTEXT_VERSION,
        schema_version: SCHEMA_VERSION,
        acceptance_criteria_count: context.immutable.task_snapshot.acceptance_criteria.len(),
        context_file: format!("{}/context.json", store.rel_dir),
        standards_citations: payload.citations.len(),
        excerpts: payload.excerpts.len(),
        checklists: written.checklists.len(),
        preexisting_dirty: dirty,
    })
}

/// What init and rebuild compute before they take the lock.
struct Prepared {
    /// The secret scan matched and `--force-secrets` bypassed it.
    forced: bool,
    payload: Payload,
    now: String,
    actor: String,
}

/// The secret scan (E012 unless forced), then the payload, its warnings reported.
fn prepare(ctx: &Ctx, source: &Source, opts: &InitOptions) -> Result<Prepared> {
    let forced = scan_for_secrets(ctx, &to_json(&source.doc), opts.force_secrets, "the task")?;
    let payload = build(&ctx.repo, &source.file.task, &source.doc);
    for warning in &payload.warnings {
        ctx.warn(warning.clone());
    }
    Ok(Prepared {
        forced,
        payload,
        now: iso(ctx.clock.now()),
        actor: opts
            .actor
            .clone()
            .unwrap_or_else(|| DEFAULT_ACTOR.to_string()),
    })
}

fn exists(id: &str) -> Error {
    Error::new(
        ErrorCode::E050,
        format!("A context already exists for {id}"),
    )
    .with_detail("task_id", id)
    .with_recovery(format!(
        "Use tasks --rebuild-context {id} to refresh it, or --purge-context {id} to start over"
    ))
}

/// E001 for every empty required field (an empty acceptance_criteria is also recorded in the
/// exception ledger); warnings go to stderr.
fn check_completeness(ctx: &Ctx, source: &Source) -> Result<()> {
    let version = source.file.task.schema_version.trim();
    let v11 = version
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .is_some_and(|v| v >= (1, 1));
    let findings = completeness::check(&source.doc, v11);
    for f in findings.iter().filter(|f| !f.is_error()) {
        ctx.warn(format!("Warning: [{}] {}", f.code, f.message));
    }
    let errors: Vec<&completeness::Finding> = findings.iter().filter(|f| f.is_error()).collect();
    if errors.is_empty() {
        return Ok(());
    }
    if errors.iter().any(|f| f.field == "acceptance_criteria") {
        record_exception(
            ctx,
            NewException {
                task_id: source.file.task.id.to_string(),
                exception_type: "empty_acceptance_criteria".into(),
                message: Some("acceptance_criteria field is empty".into()),
                file: Some(source.file.rel.clone()),
                line: None,
                column: None,
                owner: None,
            },
        );
    }
    let fields: Vec<&str> = errors.iter().map(|f| f.field.as_str()).collect();
    let mut message = format!(
        "{} is incomplete: {} empty required field(s):",
        source.file.task.id,
        errors.len()
    );
    for f in &errors {
        message.push_str(&format!("\n  - {}", f.message));
    }
    Err(Error::new(ErrorCode::E001, message)
        .with_detail("task_id", &source.file.task.id)
        .with_detail("path", &source.file.rel)
        .with_detail("fields", &fields)
        .with_recovery(format!(
            "Fill in {} in {}, then retry",
            fields.join(", "),
            source.file.rel
        )))
}

impl Report for InitReport {
    fn text(&self, out: &mut Text) {
        out.stdout.push_str(&format!(
            "✓ Context initialized for {}\n  Base commit: {}\n  Context file: {}\n  Acceptance criteria: {} item(s)\n  Standards: {} citation(s), {} excerpt(s) cached\n",
            self.task_id,
            prefix(&self.base_commit, 8),
            self.context_file,
            self.acceptance_criteria_count,
            self.standards_citations,
            self.excerpts
        ));
        if !self.preexisting_dirty.is_empty() {
            out.stdout.push_str(&format!(
                "  Pre-existing dirty paths recorded: {}\n",
                self.preexisting_dirty.len()
            ));
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GetReport {
    #[serde(serialize_with = "only_role")]
    #[schemars(schema_with = "shown_context")]
    pub context: (Context, Option<&'static str>),
    /// Hours since the context was created (null if its timestamp cannot be read).
    pub age_hours: Option<f64>,
    pub staleness_warning: Option<String>,
    /// HEAD now (null when it cannot be read).
    pub current_head: Option<String>,
    /// True when HEAD is no longer the commit the context was built on (`git_head`): the
    /// context may be stale (also a warning on stderr).
    pub head_moved: bool,
    /// With `--role`: the one role whose coordination the context shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
}

/// The schema of the context `--get-context` shows: with `--role`, one role's coordination.
fn shown_context(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    use schemars::JsonSchema;
    let mut context = Context::json_schema(generator);
    let mut coordination = crate::context::model::Coordination::json_schema(generator);
    coordination.remove("required");
    if let Some(properties) = context.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("coordination".into(), coordination.to_value());
    }
    context
}

/// The context, with only one role's coordination when `--role` asked for it.
fn only_role<S: serde::Serializer>(
    (context, role): &(Context, Option<&'static str>),
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    let Some(role) = role else {
        return context.serialize(serializer);
    };
    let mut value = serde_json::to_value(context).map_err(S::Error::custom)?;
    if let Some(coordination) = value.get_mut("coordination").and_then(Value::as_object_mut) {
        coordination.retain(|key, _| key == role);
    }
    value.serialize(serializer)
}

/// The context of `id`; with `role`, only that role's coordination is shown.
pub fn get(ctx: &Ctx, id: &str, role: Option<&'static str>) -> Result<GetReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let context = store.read(&ctx.repo)?;
    if ctx.observing() && ctx.format == crate::output::Format::Json {
        // A context read (the JSON document agents use; the text form is a summary for people)
        // stands for the files it summarises; the bytes served are counted once the result is
        // printed.
        ctx.observe(crate::telemetry::Event::ContextRead {
            served: 0,
            source: store.source_bytes(&ctx.repo),
        });
    }
    let current_head = Git::new(&ctx.repo.root).head_quick().ok().flatten();
    let head_moved = current_head
        .as_ref()
        .is_some_and(|head| *head != context.git_head);
    if let Some(head) = current_head.as_ref().filter(|_| head_moved) {
        ctx.warn(format!(
            "Warning: Context created at {}, current HEAD is {}. Context may be stale.",
            crate::output::field(prefix(&context.git_head, 8)),
            prefix(head, 8)
        ));
    }
    let age_hours =
        chrono::DateTime::parse_from_rfc3339(&context.created_at.replace('Z', "+00:00"))
            .ok()
            .map(|created| {
                let seconds = (ctx.clock.now() - created.with_timezone(&chrono::Utc)).num_seconds();
                (seconds as f64 / 360.0).round() / 10.0
            });
    let staleness_warning = age_hours.filter(|h| *h > 48.0).map(|h| {
        format!("Context is {h:.1} hours old. Consider rebuilding if task requirements changed.")
    });
    Ok(GetReport {
        context: (context, role),
        age_hours,
        staleness_warning,
        current_head,
        head_moved,
        role,
    })
}

fn text_value(v: &Value) -> String {
    match v {
        Value::String(s) => crate::output::field(s).into_owned(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

impl Report for GetReport {
    fn text(&self, out: &mut Text) {
        use crate::output::field;
        let c = &self.context.0;
        let s = &mut out.stdout;
        // Every value comes from context.json: one line each, whatever it holds.
        s.push_str(&format!("Context for {}\n", field(&c.task_id)));
        s.push_str(&format!(
            "  Version: {} (schema {})\n",
            c.version,
            field(c.schema_version.as_deref().unwrap_or("1.0"))
        ));
        s.push_str(&format!("  Created: {}\n", field(&c.created_at)));
        s.push_str(&format!(
            "  Created by: {}\n",
            field(c.created_by.as_deref().unwrap_or("-"))
        ));
        s.push_str(&format!("  Git HEAD: {}\n", field(prefix(&c.git_head, 8))));
        if let Some(age) = self.age_hours {
            s.push_str(&format!("  Age: {age:.1} hours\n"));
        }
        if let Some(warning) = &self.staleness_warning {
            // A warning: on stderr, like every warning (the JSON has it as a field).
            out.stderr.push_str(&format!("Warning: {warning}\n"));
        }
        let t = &c.immutable.task_snapshot;
        s.push_str(&format!(
            "\nTask Snapshot:\n  Title: {}\n  Priority: {}\n  Area: {}\n  Acceptance criteria: {}\n  Standards citations: {}\n  Validation commands: {}\n",
            text_value(&t.title),
            text_value(&t.priority),
            text_value(&t.area),
            t.acceptance_criteria.len(),
            c.immutable.standards_citations.len(),
            c.immutable.validation_baseline.commands.len()
        ));
        s.push_str("\nAgent Coordination:\n");
        for (name, role) in [
            ("Implementer", &c.coordination.implementer),
            ("Reviewer", &c.coordination.reviewer),
            ("Validator", &c.coordination.validator),
        ]
        .into_iter()
        .filter(|(name, _)| self.role.is_none_or(|r| r.eq_ignore_ascii_case(name)))
        {
            let findings = if role.blocking_findings.is_empty() {
                String::new()
            } else {
                format!(" ({} finding(s))", role.blocking_findings.len())
            };
            s.push_str(&format!(
                "  {name}: {}{findings}\n",
                crate::output::field(&role.status)
            ));
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentUpdate {
    pub status: Option<String>,
    pub qa_log: Option<String>,
    pub session_id: Option<String>,
    pub force_secrets: bool,
    pub actor: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UpdateReport {
    pub task_id: String,
    pub agent_role: String,
    /// The fields set, in the order status, qa_log_path, session_id, completed_at (a JSON
    /// object; the text lists them in that order).
    #[serde(serialize_with = "as_object")]
    #[schemars(with = "Updated")]
    pub updates: Vec<(&'static str, String)>,
}

/// The fields set (`updates` of `--update-agent`).
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct Updated {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qa_log_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_at: Option<String>,
}

fn as_object<S: serde::Serializer>(
    pairs: &[(&'static str, String)],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

pub fn update_agent(ctx: &Ctx, id: &str, role: &str, update: &AgentUpdate) -> Result<UpdateReport> {
    let now = iso(ctx.clock.now());
    let mut updates: Vec<(&'static str, String)> = [
        ("status", &update.status),
        ("qa_log_path", &update.qa_log),
        ("session_id", &update.session_id),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key, value.clone()?)))
    .collect();
    if update.status.as_deref() == Some("done") {
        updates.push(("completed_at", now.clone()));
    }
    let scanned: Map<String, Value> = updates
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect();
    let forced = scan_for_secrets(
        ctx,
        &Value::Object(scanned),
        update.force_secrets,
        "the update",
    )?;
    let store = ContextStore::of(&ctx.repo, id);
    store.update(&ctx.repo, |context, _| {
        let agent = context.coordination.agent_mut("--agent", role)?;
        if let Some(s) = &update.status {
            agent.status = s.clone();
            if s == "done" {
                agent.completed_at = Some(now.clone());
            }
        }
        if let Some(q) = &update.qa_log {
            agent.qa_log_path = Some(q.clone());
        }
        if let Some(session) = &update.session_id {
            agent.session_id = Some(session.clone());
        }
        touch(&mut context.audit, &now, update.actor.as_deref(), forced);
        Ok(())
    })?;
    Ok(UpdateReport {
        task_id: id.to_string(),
        agent_role: role.to_string(),
        updates,
    })
}

fn touch(audit: &mut Audit, now: &str, actor: Option<&str>, forced: bool) {
    audit.touch(now, actor);
    audit.force_secrets |= forced;
}

impl Report for UpdateReport {
    fn text(&self, out: &mut Text) {
        out.stdout.push_str(&format!(
            "✓ Updated {} coordination for {}\n",
            self.agent_role, self.task_id
        ));
        for (k, v) in &self.updates {
            out.stdout.push_str(&format!("  {k}: {v}\n"));
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BlockedReport {
    pub task_id: String,
    pub agent_role: String,
    pub finding: String,
    pub total_findings: usize,
}

pub fn mark_blocked(
    ctx: &Ctx,
    id: &str,
    role: &str,
    finding: &str,
    force_secrets: bool,
    actor: Option<&str>,
) -> Result<BlockedReport> {
    // Scanned as `{"finding": …}` so that the hit's location names it (`/finding`).
    let scanned = Value::Object(Map::from_iter([(
        "finding".to_string(),
        Value::String(finding.to_string()),
    )]));
    let forced = scan_for_secrets(ctx, &scanned, force_secrets, "the finding")?;
    let now = iso(ctx.clock.now());
    let total = ContextStore::of(&ctx.repo, id).update(&ctx.repo, |context, _| {
        let agent = context.coordination.agent_mut("--agent", role)?;
        agent
            .blocking_findings
            .push(Value::String(finding.to_string()));
        agent.status = "blocked".into();
        let total = agent.blocking_findings.len();
        touch(&mut context.audit, &now, actor, forced);
        Ok(total)
    })?;
    Ok(BlockedReport {
        task_id: id.to_string(),
        agent_role: role.to_string(),
        finding: finding.to_string(),
        total_findings: total,
    })
}

impl Report for BlockedReport {
    fn text(&self, out: &mut Text) {
        out.stdout.push_str(&format!(
            "✓ Marked {} as blocked for {}\n  Finding: {}\n  Total findings: {}\n",
            self.agent_role, self.task_id, self.finding, self.total_findings
        ));
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PurgeReport {
    pub task_id: String,
    /// False when there was nothing to remove.
    pub purged: bool,
}

pub fn purge(ctx: &Ctx, id: &str) -> Result<PurgeReport> {
    let store = ContextStore::of(&ctx.repo, id);
    let purged = store.purge(&ctx.repo)?;
    Ok(PurgeReport {
        task_id: id.to_string(),
        purged,
    })
}

impl Report for PurgeReport {
    fn text(&self, out: &mut Text) {
        if self.purged {
            out.stdout
                .push_str(&format!("✓ Purged context for {}\n", self.task_id));
        } else {
            out.stdout.push_str(&format!(
                "No context for {} (nothing to purge)\n",
                self.task_id
            ));
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RebuildReport {
    pub task_id: String,
    pub git_head: String,
    pub source_files_count: usize,
    /// `Modified: <path>`, `Missing: <path>`, `New: <path>` against the previous manifest.
    pub changes: Vec<String>,
    pub changes_applied: usize,
}

/// Rebuild the immutable part and the manifest from the task and standards files as they are
/// now; coordination, snapshots and evidence stay. Everything is built first, so a failure
/// leaves the old context as it was.
pub fn rebuild(ctx: &Ctx, id: &str, opts: &InitOptions) -> Result<RebuildReport> {
    let store = ContextStore::of(&ctx.repo, id);
    // A missing or corrupt context stops the rebuild before anything is built (E051/E052).
    store.read(&ctx.repo)?;
    let source = find_task(ctx, id)?;
    check_completeness(ctx, &source)?;
    let Prepared {
        forced,
        payload,
        now,
        actor,
    } = prepare(ctx, &source, opts)?;
    let locked = store.read_lock(&ctx.repo)?;
    let current = store.load()?;
    let base = match &opts.base_commit {
        Some(_) => base_commit(&Git::new(&ctx.repo.root), opts.base_commit.as_deref())?,
        // Kept from the context: written back only as the checked commit id it must be.
        None => ObjectId::from_state(&current.git_head, &store.context_path(), "git_head")?
            .as_str()
            .to_string(),
    };
    let previous = store.load_manifest()?;
    let mut txn = locked.begin();
    let written = stage::files(&ctx.repo, &store, &mut txn, &source.file, &payload, &now)?;
    let manifest = stage::manifest(&source.file, &payload, &written, &now, &actor, &base);
    let changes = stage::compare_sources(previous.as_ref(), &manifest);
    let mut context = current.clone();
    context.git_head = base.clone();
    context.task_file_sha = sha256_hex(&source.file.raw);
    context.schema_version = Some(SCHEMA_VERSION.to_string());
    context.immutable = stage::immutable(
        &payload,
        &written,
        current.immutable.preexisting_dirty.clone(),
        current.immutable.extra.clone(),
    );
    context.immutable.validation_baseline.initial_results = current
        .immutable
        .validation_baseline
        .initial_results
        .clone();
    touch(&mut context.audit, &now, Some(&actor), forced);
    store.stage_manifest(&mut txn, &manifest)?;
    store.stage(&mut txn, &context)?;
    txn.commit()?;
    Ok(RebuildReport {
        task_id: id.to_string(),
        git_head: base,
        source_files_count: manifest.source_files.len(),
        changes_applied: changes.len(),
        changes,
    })
}

impl Report for RebuildReport {
    fn text(&self, out: &mut Text) {
        out.stdout.push_str(&format!(
            "✓ Rebuilt context for {}\n  Git HEAD: {}\n",
            self.task_id,
            prefix(&self.git_head, 8)
        ));
        for change in &self.changes {
            out.stdout
                .push_str(&format!("  {}\n", crate::output::field(change)));
        }
        out.stdout.push_str(&format!(
            "  Context file: {OUTPUT_DIR}/{}/context.json\n  Manifest: {} source file(s)\n",
            self.task_id, self.source_files_count
        ));
    }
}
