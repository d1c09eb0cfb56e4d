//! `--validate`: cycles, missing dependencies and duplicate ids. Problems are an E010 error.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text};
use crate::tasks::graph::{Graph, Issue};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ValidateReport {
    pub valid: bool,
    pub error_count: usize,
    pub errors: Vec<String>,
    pub issues: Vec<Issue>,
    pub tasks_checked: usize,
}

pub fn run(ctx: &Ctx) -> Result<ValidateReport> {
    let catalog = ctx.catalog();
    let graph = Graph::new(&catalog.tasks);
    let duplicates: Vec<(String, Vec<String>)> = catalog
        .duplicates
        .iter()
        .map(|d| (d.id.clone(), d.paths.clone()))
        .collect();
    let issues = graph.validate(&duplicates);
    let errors: Vec<String> = issues.iter().map(|i| i.message.clone()).collect();
    if issues.is_empty() {
        return Ok(ValidateReport {
            valid: true,
            error_count: 0,
            errors,
            issues,
            tasks_checked: catalog.tasks.len(),
        });
    }
    let mut message = format!(
        "Validation failed: {} problem(s) in the task dependency graph:",
        errors.len()
    );
    for e in &errors {
        message.push_str("\n  - ");
        message.push_str(e);
    }
    Err(Error::new(ErrorCode::E010, message)
        .with_detail("valid", false)
        .with_detail("error_count", errors.len())
        .with_detail("errors", &errors)
        .with_detail("issues", &issues)
        .with_recovery(
            "Fix the blocked_by/depends_on references and ids named above, then run --validate again",
        ))
}

impl Report for ValidateReport {
    fn text(&self, out: &mut Text) {
        out.stdout
            .push_str("Validation passed: No dependency errors found\n");
    }
}
