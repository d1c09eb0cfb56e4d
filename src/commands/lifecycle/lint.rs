//! `--lint PATH`: the schema rules of spec 01 §8 for one task file. Errors are E010 (exit 10);
//! warnings alone exit 0.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text};
use crate::tasks::lint::{Finding, LintEnv, Severity, lint};
use crate::tasks::parse::{MAX_TASK_FILE_BYTES, decode};
use serde::Serialize;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LintReport {
    /// Absolute path of the file linted.
    pub path: String,
    /// The same, relative to the repository (for tables).
    #[serde(skip)]
    pub rel: String,
    pub schema_version: String,
    /// `1.1` or `legacy`.
    pub rules: &'static str,
    pub findings: Vec<Finding>,
    pub counts: Counts,
    /// E010 when a finding is an error.
    #[serde(skip)]
    pub failure: Option<Error>,
}

/// Files of the repository, for evidence paths and standards references. Only regular files
/// that resolve inside the repository count (an absolute path, or `..` or a symbolic link
/// leading out, counts as missing); files over 1 MiB are not read.
struct RepoFiles<'a> {
    root: &'a Path,
}

use crate::standards::MAX_FILE_BYTES as MAX_REFERENCED_FILE;

impl RepoFiles<'_> {
    fn resolve(&self, rel: &str) -> Option<std::path::PathBuf> {
        let rel = Path::new(rel);
        if rel
            .components()
            .any(|c| matches!(c, Component::RootDir | Component::Prefix(_)))
        {
            return None;
        }
        let path = self.root.join(rel).canonicalize().ok()?;
        (path.starts_with(self.root) && path.is_file()).then_some(path)
    }
}

impl LintEnv for RepoFiles<'_> {
    fn read(&self, rel: &str) -> Option<String> {
        let path = self.resolve(rel)?;
        if std::fs::metadata(&path).ok()?.len() > MAX_REFERENCED_FILE {
            return None;
        }
        std::fs::read_to_string(path).ok()
    }
    fn exists(&self, rel: &str) -> bool {
        self.resolve(rel).is_some()
    }
}

/// What `--lint` was given: one file (a path or an id), or many (a directory, or nothing: the
/// whole repository).
pub fn run(ctx: &Ctx, arg: Option<&str>, enforce_drafts: bool) -> Result<LintRun> {
    let Some(arg) = arg else {
        return all(ctx, None, enforce_drafts).map(LintRun::Many);
    };
    let path = ctx.cwd.join(arg);
    if path.is_dir() {
        return all(ctx, Some((arg, &path)), enforce_drafts).map(LintRun::Many);
    }
    one(ctx, arg, enforce_drafts).map(LintRun::One)
}

/// The result of `--lint`: one file's report, or the summary of many.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum LintRun {
    One(LintReport),
    Many(LintAllReport),
}

impl Report for LintRun {
    fn failure(&self) -> Option<&Error> {
        match self {
            LintRun::One(r) => r.failure(),
            LintRun::Many(r) => r.failure.as_ref(),
        }
    }

    fn text(&self, out: &mut Text) {
        match self {
            LintRun::One(r) => r.text(out),
            LintRun::Many(r) => r.text(out),
        }
    }
}

/// `--lint` of many files (CI mode).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LintAllReport {
    /// The directory linted (absolute), or null for the whole repository.
    pub directory: Option<String>,
    pub files_checked: usize,
    pub files_with_errors: usize,
    pub counts: Counts,
    /// Every file with a finding (clean files are counted, not listed).
    pub files: Vec<LintReport>,
    pub enforce_drafts: bool,
    #[serde(skip)]
    pub failure: Option<Error>,
}

fn all(ctx: &Ctx, dir: Option<(&str, &Path)>, enforce_drafts: bool) -> Result<LintAllReport> {
    let (found, warnings) = crate::tasks::discover::discover(&ctx.repo.root);
    for w in warnings {
        ctx.warn(w);
    }
    let within = match dir {
        Some((_, path)) => Some(crate::store::fs::canonicalize(path)?),
        None => None,
    };
    let files: Vec<_> = found
        .into_iter()
        // A link is not linted in place of its target (linted on its own when it is a task
        // file), as a link named on the command line is refused.
        .filter(|f| matches!(f.origin, crate::tasks::discover::Origin::At { .. }))
        .filter(|f| {
            within
                .as_ref()
                .is_none_or(|d| f.path(&ctx.repo.root).starts_with(d))
        })
        .collect();
    if files.is_empty() {
        let place = dir.map_or("tasks/ or docs/completed-tasks/".to_string(), |(arg, _)| {
            crate::output::field(arg).into_owned()
        });
        return Err(Error::new(
            ErrorCode::E040,
            format!("No task files (*.task.yaml) under {place}"),
        )
        .with_recovery(
            "Task files live under tasks/ and docs/completed-tasks/; lint a directory of them, a file or an id",
        ));
    }
    let mut reports = Vec::new();
    let mut counts = Counts {
        errors: 0,
        warnings: 0,
        infos: 0,
    };
    let checked = files.len();
    for file in files {
        // Found from the repository root: named by its repo-relative path, opened by its full
        // path (whatever the working directory).
        let report = lint_file(ctx, &file.rel, file.path(&ctx.repo.root), enforce_drafts)?;
        counts.errors += report.counts.errors;
        counts.warnings += report.counts.warnings;
        counts.infos += report.counts.infos;
        if !report.findings.is_empty() {
            reports.push(report);
        }
    }
    let with_errors = reports.iter().filter(|r| r.counts.errors > 0).count();
    let failure = (counts.errors > 0).then(|| {
        Error::new(
            ErrorCode::E010,
            format!(
                "{with_errors} of {checked} task file(s) have lint errors ({} in all)",
                counts.errors
            ),
        )
        .with_detail(
            "files",
            reports
                .iter()
                .filter(|r| r.counts.errors > 0)
                .map(|r| r.rel.clone())
                .collect::<Vec<_>>(),
        )
        .with_recovery("Fix the errors listed for each file, then lint again")
    });
    Ok(LintAllReport {
        directory: within.map(|d| d.display().to_string()),
        files_checked: checked,
        files_with_errors: with_errors,
        counts,
        files: reports,
        enforce_drafts,
        failure,
    })
}

impl LintAllReport {
    fn text(&self, out: &mut Text) {
        let summary = format!(
            "Linted {} task file(s): {} error(s), {} warning(s), {} info in {} file(s) with findings{}\n",
            self.files_checked,
            self.counts.errors,
            self.counts.warnings,
            self.counts.infos,
            self.files.len(),
            if self.enforce_drafts {
                " (draft discipline enforced)"
            } else {
                ""
            }
        );
        out.stdout.push_str(&summary);
        if self.files.is_empty() {
            out.stdout.push_str("✓ Every task file passes\n");
            return;
        }
        let mut rows: Vec<[String; 5]> = Vec::new();
        for report in &self.files {
            let mut sorted: Vec<&Finding> = report.findings.iter().collect();
            sorted.sort_by_key(|f| f.severity);
            for f in sorted {
                rows.push([
                    report.rel.clone(),
                    match f.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                        Severity::Info => "info",
                    }
                    .to_string(),
                    f.code.to_string(),
                    f.field.clone(),
                    f.message.clone(),
                ]);
            }
        }
        out.stdout.push('\n');
        crate::output::table(out, ["FILE", "LEVEL", "CODE", "FIELD", "MESSAGE"], &rows);
    }
}

/// One task file's report (a path relative to the current directory, or an id).
pub fn one(ctx: &Ctx, arg: &str, enforce_drafts: bool) -> Result<LintReport> {
    let mut path = ctx.cwd.join(arg);
    // A task id names its file, like --claim's argument (a broken file too: lint explains it).
    if !path.exists()
        && crate::ids::is_valid_id(arg)
        && let Some(found) = ctx.catalog().find(arg)
    {
        path = ctx.repo.root.join(found.path());
    }
    lint_file(ctx, arg, path, enforce_drafts)
}

/// Lint the file at `path` (`arg` is how it was named, for messages).
fn lint_file(ctx: &Ctx, arg: &str, path: PathBuf, enforce_drafts: bool) -> Result<LintReport> {
    let shown = path.display().to_string();
    // A link is not linted in place of the file it points to (a task file is a plain file; CI
    // mode skips links too).
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::new(
            ErrorCode::E002,
            format!(
                "{} is a symbolic link; lint the task file itself",
                crate::output::field(arg)
            ),
        )
        .with_detail("path", &shown)
        .with_recovery("Pass the path of the task file the link points to"));
    }
    let meta = std::fs::metadata(&path)
        .ok()
        .filter(|m| m.is_file())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::E040,
                format!("Task file not found: {}", crate::output::field(arg)),
            )
            .with_detail("path", &shown)
            .with_recovery("Pass the path of a *.task.yaml file, or a task id")
        })?;
    let env = RepoFiles {
        root: &ctx.repo.root,
    };
    let (schema_version, rules, findings) = if meta.len() > MAX_TASK_FILE_BYTES {
        let f = whole_file_error(
            "file_too_large",
            format!(
                "The file is {} bytes, over the {MAX_TASK_FILE_BYTES} byte limit for task files",
                meta.len()
            ),
        );
        ("unknown".to_string(), "legacy", vec![f])
    } else {
        let bytes = crate::store::fs::read(&path)?;
        match decode(&bytes) {
            Ok((text, _)) => {
                let mut result = lint(&text, &env);
                if enforce_drafts {
                    result.findings.extend(draft_discipline(ctx, &text, &env));
                }
                result.findings.extend(duplicate_id(ctx, &path));
                (result.schema_version, result.rules, result.findings)
            }
            Err(failure) => (
                "unknown".to_string(),
                "legacy",
                vec![whole_file_error("not_utf8", failure.to_string())],
            ),
        }
    };
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let mut report = LintReport {
        rel: std::fs::canonicalize(&path)
            .ok()
            .and_then(|abs| ctx.repo.relative(&abs))
            .unwrap_or_else(|| shown.clone()),
        path: shown,
        schema_version,
        rules,
        counts: Counts {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        },
        findings,
        failure: None,
    };
    if report.counts.errors > 0 {
        report.failure = Some(
            Error::new(
                ErrorCode::E010,
                format!(
                    "{} has {} lint error(s)",
                    crate::output::field(arg),
                    report.counts.errors
                ),
            )
            .with_detail("path", &report.path)
            .with_detail("schema_version", &report.schema_version)
            .with_detail("rules", report.rules)
            .with_detail("findings", &report.findings)
            .with_detail("counts", &report.counts)
            .with_recovery(
                "Fix the errors listed (each with its field and a hint), then lint again",
            ),
        );
    }
    Ok(report)
}

/// An error when another task file has the same id (only one of them is used).
fn duplicate_id(ctx: &Ctx, path: &Path) -> Option<Finding> {
    let rel = ctx.repo.relative(&std::fs::canonicalize(path).ok()?)?;
    let duplicate = (ctx.catalog().duplicates.iter()).find(|d| d.paths.contains(&rel))?;
    let others: Vec<&str> = (duplicate.paths.iter())
        .filter(|p| **p != rel)
        .map(String::as_str)
        .collect();
    Some(Finding {
        severity: Severity::Error,
        code: "duplicate_id",
        field: "id".into(),
        message: format!(
            "{} is also the id of {}",
            duplicate.id,
            crate::output::field(&others.join(", "))
        ),
        suggestion: Some(
            "Give one of the files a new id (tasks --new-task picks a free one)".into(),
        ),
    })
}

/// `--enforce-drafts`: a draft needs open questions (`clarifications.outstanding`) or a
/// non-empty evidence file (`clarifications.evidence_path`); a todo task may not have open
/// questions; a task that depends on a draft must also be blocked by it.
fn draft_discipline(ctx: &Ctx, text: &str, env: &RepoFiles) -> Vec<Finding> {
    use crate::tasks::yaml::Yaml;
    let Ok(doc) = crate::tasks::yaml::parse(text) else {
        return Vec::new();
    };
    let list = |v: Option<&Yaml>| -> Vec<String> {
        match v {
            Some(Yaml::Seq(items)) => items.iter().filter_map(Yaml::scalar_text).collect(),
            Some(other) => other.scalar_text().into_iter().collect(),
            None => Vec::new(),
        }
    };
    let status = doc
        .get("status")
        .and_then(Yaml::scalar_text)
        .unwrap_or_default();
    let clarifications = doc.get("clarifications");
    let mut findings = Vec::new();
    // Open questions: a list whose items are non-blank text or mappings (a question with its
    // details); anything else is not a list of questions.
    let outstanding: Vec<String> = match clarifications.and_then(|c| c.get("outstanding")) {
        None | Some(Yaml::Null) => Vec::new(),
        Some(Yaml::Seq(items)) => items
            .iter()
            .filter_map(|item| match item {
                Yaml::Map(_) => Some("(a question)".to_string()),
                other => other.scalar_text().filter(|t| !t.trim().is_empty()),
            })
            .collect(),
        Some(_) => {
            findings.push(Finding {
                severity: Severity::Error,
                code: "outstanding_not_a_list",
                field: "clarifications.outstanding".into(),
                message: "clarifications.outstanding is not a list of questions".into(),
                suggestion: Some("Write one question per list item: `- Which carrier?`".into()),
            });
            Vec::new()
        }
    };
    let evidence = clarifications
        .and_then(|c| c.get("evidence_path"))
        .and_then(Yaml::scalar_text)
        .filter(|p| !p.trim().is_empty());
    let error = |code, field: &str, message: String, suggestion: &str| Finding {
        severity: Severity::Error,
        code,
        field: field.to_string(),
        message,
        suggestion: Some(suggestion.to_string()),
    };
    if status == "draft" {
        let evidence_written = evidence
            .as_deref()
            .and_then(|p| env.read(p))
            // Written: not empty, and not the stub as --bootstrap-evidence made it (its
            // REPLACE markers still there).
            .is_some_and(|t| !t.trim().is_empty() && !t.contains("REPLACE:"));
        if outstanding.is_empty() && !evidence_written {
            findings.push(error(
                "draft_without_clarifications",
                "clarifications.outstanding",
                "A draft needs open questions (clarifications.outstanding) or a written evidence file (clarifications.evidence_path)".into(),
                "List what must be clarified, or write the clarifications file (tasks --bootstrap-evidence ID)",
            ));
        }
    }
    if status == "todo" && !outstanding.is_empty() {
        findings.push(error(
            "todo_with_open_clarifications",
            "clarifications.outstanding",
            format!(
                "The task is todo with {} unresolved clarification(s)",
                outstanding.len()
            ),
            "Resolve them (move them to the evidence file), or set the status back to draft",
        ));
    }
    let blocked_by = list(doc.get("blocked_by"));
    let catalog = ctx.catalog();
    for dep in list(doc.get("depends_on")) {
        let Some(crate::tasks::catalog::Found::Task(other)) = catalog.find(&dep) else {
            continue;
        };
        if other.status == "draft" && !blocked_by.contains(&dep) {
            findings.push(error(
                "draft_dependency_not_blocking",
                "blocked_by",
                format!("The task depends on the draft {dep} but is not blocked by it"),
                "Add the draft to blocked_by (a draft's output is not ready to build on)",
            ));
        }
    }
    findings
}

fn whole_file_error(code: &'static str, message: String) -> Finding {
    Finding {
        severity: Severity::Error,
        code,
        field: String::new(),
        message,
        suggestion: None,
    }
}

impl Report for LintReport {
    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }

    fn text(&self, out: &mut Text) {
        let name = Path::new(&self.path)
            .file_name()
            .map(|n| crate::output::field(&n.to_string_lossy()).into_owned())
            .unwrap_or_default();
        let s = &mut out.stdout;
        if self.findings.is_empty() {
            let rules = if self.rules == "1.1" {
                "all schema 1.1 checks".to_string()
            } else {
                format!(
                    "the checks of schema {}",
                    crate::output::field(&self.schema_version)
                )
            };
            s.push_str(&format!("✓ {name} passes {rules}\n"));
            return;
        }
        s.push_str(&format!(
            "Lint results for {name}: {} error(s), {} warning(s), {} info\n",
            self.counts.errors, self.counts.warnings, self.counts.infos
        ));
        let mut sorted: Vec<&Finding> = self.findings.iter().collect();
        sorted.sort_by_key(|f| f.severity);
        for f in sorted {
            let level = match f.severity {
                Severity::Error => "ERROR  ",
                Severity::Warning => "WARNING",
                Severity::Info => "INFO   ",
            };
            let field = if f.field.is_empty() {
                String::new()
            } else {
                format!(" [{}]", crate::output::field(&f.field))
            };
            s.push_str(&format!(
                "  {level} {}{field} ({})\n",
                crate::output::field(&f.message),
                f.code
            ));
            if let Some(hint) = &f.suggestion {
                s.push_str(&format!("          → {}\n", crate::output::field(hint)));
            }
        }
        if self.counts.errors == 0 {
            s.push_str("✓ No blocking errors (the warnings should still be addressed)\n");
        } else {
            s.push_str(&format!(
                "{} error(s) must be fixed before the task can move to 'todo'\n",
                self.counts.errors
            ));
        }
    }
}
