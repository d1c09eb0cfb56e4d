//! Completeness of a task before its context is created (schemas §8, contract D6): every empty
//! required field is an E001 finding, a missing `scope.out` or `context.standards_tier` a
//! warning.

use crate::tasks::yaml::Yaml;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `E001` (error), `W001` or `W002` (warnings).
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

impl Finding {
    pub fn is_error(&self) -> bool {
        self.code.starts_with('E')
    }
}

/// A value counts as empty when it is missing, null, blank text, or an empty list or mapping.
fn is_empty(value: Option<&Yaml>) -> bool {
    match value {
        None | Some(Yaml::Null) => true,
        Some(Yaml::Str(s)) => s.trim().is_empty(),
        Some(Yaml::Seq(items)) => items.is_empty(),
        Some(Yaml::Map(entries)) => entries.is_empty(),
        Some(_) => false,
    }
}

fn path<'a>(doc: &'a Yaml, dotted: &str) -> Option<&'a Yaml> {
    dotted.split('.').try_fold(doc, |node, key| node.get(key))
}

/// `schema_1_1`: the task declares schema 1.1 or later (then `validation.pipeline` is required).
pub fn check(doc: &Yaml, schema_1_1: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut required = vec![
        ("acceptance_criteria", "acceptance criteria"),
        ("scope.in", "scope (in)"),
        ("plan", "plan"),
        ("deliverables", "deliverables"),
    ];
    if schema_1_1 {
        required.push(("validation.pipeline", "validation pipeline"));
    }
    for (field, name) in required {
        if is_empty(path(doc, field)) {
            findings.push(Finding {
                code: "E001",
                field: field.to_string(),
                message: format!("{field}: the {name} must not be empty"),
            });
        }
    }
    if let Some(Yaml::Seq(steps)) = doc.get("plan") {
        for (i, step) in steps.iter().enumerate() {
            if matches!(step, Yaml::Map(_)) && is_empty(step.get("outputs")) {
                findings.push(Finding {
                    code: "E001",
                    field: format!("plan[{i}].outputs"),
                    message: format!(
                        "plan[{i}].outputs: plan step {} lists no outputs (schema 1.1)",
                        i + 1
                    ),
                });
            }
        }
    }
    if is_empty(path(doc, "scope.out")) {
        findings.push(Finding {
            code: "W001",
            field: "scope.out".to_string(),
            message: "scope.out is empty: consider listing what is out of scope".to_string(),
        });
    }
    if is_empty(path(doc, "context.standards_tier")) {
        findings.push(Finding {
            code: "W002",
            field: "context.standards_tier".to_string(),
            message: "context.standards_tier is empty: the context may lack grounding".to_string(),
        });
    }
    findings
}

#[cfg(test)]
#[path = "tests/completeness.rs"]
mod tests;
