//! `--validate`: cycles, missing dependencies and duplicate ids. Problems are an E010 error.

use crate::app::Ctx;
use crate::error::{Error, ErrorCode, Result};
use crate::output::{Report, Text};
use crate::tasks::graph::{Graph, Issue};
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ValidateReport {
    pub valid: bool,
    pub error_count: usize,
    pub errors: Vec<String>,
    pub issues: Vec<Issue>,
    pub tasks_checked: usize,
    /// Circular dependencies found but not listed (dense graphs have very many).
    pub omitted_cycles: usize,
    /// E010 when the graph has problems.
    #[serde(skip)]
    pub failure: Option<Error>,
}

/// How many problems the text message lists (all are in the report).
const MESSAGE_PROBLEMS: usize = 20;

/// The report of the dependency graph: valid, or E010 with every problem.
pub fn run(ctx: &Ctx) -> Result<ValidateReport> {
    let catalog = ctx.catalog();
    let graph = Graph::of(catalog);
    let (issues, omitted_cycles) = graph.validate(&catalog.duplicates);
    let mut errors: Vec<String> = issues.iter().map(|i| i.message.clone()).collect();
    if omitted_cycles > 0 {
        errors.push(format!(
            "... and {omitted_cycles} more circular dependencies (not listed)"
        ));
    }
    let error_count = issues.len() + omitted_cycles;
    let failure = (error_count > 0).then(|| {
        let mut message =
            format!("Validation failed: {error_count} problem(s) in the task dependency graph:");
        for e in errors.iter().take(MESSAGE_PROBLEMS) {
            message.push_str("\n  - ");
            message.push_str(e);
        }
        if errors.len() > MESSAGE_PROBLEMS {
            message.push_str(&format!(
                "\n  ... {} more (all of them with --format json)",
                errors.len() - MESSAGE_PROBLEMS
            ));
        }
        Error::new(ErrorCode::E010, message)
            .with_detail("valid", false)
            .with_detail("error_count", error_count)
            .with_detail("errors", &errors)
            .with_detail("issues", &issues)
            .with_detail("omitted_cycles", omitted_cycles)
            .with_recovery(
                "Fix the blocked_by/depends_on references and ids named above, then run --validate again",
            )
    });
    Ok(ValidateReport {
        valid: error_count == 0,
        error_count,
        errors,
        issues,
        tasks_checked: catalog.tasks.len(),
        omitted_cycles,
        failure,
    })
}

impl Report for ValidateReport {
    fn text(&self, out: &mut Text) {
        if self.valid {
            out.stdout
                .push_str("Validation passed: No dependency errors found\n");
        }
    }

    fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }
}
