//! `--lint PATH`: the schema rules of spec 01 §8 for one task file. Errors are E010 (exit 10);
//! warnings alone exit 0.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text};
use crate::tasks::lint::{Finding, LintEnv, Severity, lint};
use crate::tasks::parse::{MAX_TASK_FILE_BYTES, decode};
use serde::Serialize;
use std::path::{Component, Path};

#[derive(Debug, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

#[derive(Debug, Serialize)]
pub struct LintReport {
    /// Absolute path of the file linted.
    pub path: String,
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

pub fn run(ctx: &Ctx, arg: &str) -> Result<LintReport> {
    let mut path = ctx.cwd.join(arg);
    // A task id names its file, like --claim's argument (a broken file too: lint explains it).
    if !path.exists()
        && crate::ids::is_valid_id(arg)
        && let Some(found) = ctx.catalog().find(arg)
    {
        path = ctx.repo.root.join(found.path());
    }
    let shown = path.display().to_string();
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
                let result = lint(&text, &env);
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
