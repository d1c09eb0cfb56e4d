//! The task-file linter (spec 01 §8): every rule of the reference, each finding with its own
//! code, plus precise findings where the reference crashed into one generic error (numeric
//! `schema_version`, `plan: null`, non-mapping `clarifications`) and a check that
//! `standards/x.md#anchor` anchors — in plan steps and in the `context.related_docs` that a
//! context cites — name a real heading. Pure: file access goes through [`LintEnv`].

use super::yaml::{self, Yaml};
use crate::ids::{ID_PATTERN, is_valid_id};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub severity: Severity,
    /// Stable, one per rule (`evidence_path_missing`, `pipeline_empty`, ...).
    pub code: &'static str,
    pub field: String,
    pub message: String,
    pub suggestion: Option<String>,
}

/// What the linter may look at besides the file: other files of the repository.
pub trait LintEnv {
    /// The content of a repo-relative file, if it exists inside the repository.
    fn read(&self, rel: &str) -> Option<String>;
    fn exists(&self, rel: &str) -> bool;
}

/// Which rule set applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Lint {
    /// The `schema_version` as read (default `1.0`).
    pub schema_version: String,
    /// `1.1` for the full rule set, `legacy` for older files.
    pub rules: &'static str,
    pub findings: Vec<Finding>,
}

/// Every finding code the linter (and `--lint` itself) can produce; `fixtures/lint/` holds one
/// file per code.
pub const CODES: [&str; 34] = [
    "yaml_invalid",
    "not_a_mapping",
    "not_utf8",
    "file_too_large",
    "schema_version_not_text",
    "schema_version_invalid",
    "required_field_missing",
    "required_field_empty",
    "id_invalid",
    "clarifications_not_mapping",
    "evidence_path_missing",
    "evidence_path_not_text",
    "evidence_file_missing",
    "validation_missing",
    "validation_not_mapping",
    "pipeline_missing",
    "pipeline_not_list",
    "pipeline_empty",
    "pipeline_entry_not_mapping",
    "pipeline_entry_no_command",
    "pipeline_entry_no_description",
    "manual_checks_not_list",
    "plan_not_list",
    "plan_outputs_missing",
    "plan_outputs_empty",
    "standards_file_missing",
    "standards_anchor_missing",
    "text_item_is_mapping",
    "too_many_files",
    "many_files",
    "too_many_steps",
    "session_time_risk",
    "estimate_large",
    "estimate_missing",
];

const REQUIRED: [&str; 5] = ["id", "title", "status", "priority", "area"];
const HARD_STATUSES: [&str; 3] = ["todo", "in_progress", "completed"];
const VALIDATION_EXAMPLES: &str = "docs/templates/validation-section-examples.md";

struct Collector {
    findings: Vec<Finding>,
}

impl Collector {
    fn add(
        &mut self,
        severity: Severity,
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
        suggestion: Option<String>,
    ) {
        debug_assert!(CODES.contains(&code), "{code} is missing from CODES");
        self.findings.push(Finding {
            severity,
            code,
            field: field.into(),
            message: message.into(),
            suggestion,
        });
    }
}

/// Lint the decoded text of a task file.
pub fn lint(text: &str, env: &dyn LintEnv) -> Lint {
    let mut c = Collector {
        findings: Vec::new(),
    };
    let doc = match yaml::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let at = match (e.line, e.column) {
                (Some(l), Some(col)) => format!("line {l}, column {col}: "),
                _ => String::new(),
            };
            c.add(
                Severity::Error,
                "yaml_invalid",
                "",
                format!("The file is not valid YAML: {at}{}", e.message),
                Some("Fix the YAML at the reported position (tasks --repair-quarantined can fix some cases)".into()),
            );
            return finish(c, "unknown", "legacy");
        }
    };
    if !matches!(doc, Yaml::Map(_)) {
        c.add(
            Severity::Error,
            "not_a_mapping",
            "",
            "The file is empty or not a mapping of task fields",
            Some("A task file is a YAML mapping: id, title, status, priority, area, ...".into()),
        );
        return finish(c, "unknown", "legacy");
    }
    let version = schema_version(&doc, &mut c);
    let full = is_at_least_1_1(&version);
    required_fields(&doc, &mut c);
    if full {
        evidence_rules(&doc, env, &mut c);
        validation_rules(&doc, &mut c);
        plan_rules(&doc, env, &mut c);
        related_docs_rules(&doc, env, &mut c);
        text_item_rules(&doc, &mut c);
        sizing_rules(&doc, &mut c);
    }
    finish(c, &version, if full { "1.1" } else { "legacy" })
}

fn finish(c: Collector, version: &str, rules: &'static str) -> Lint {
    Lint {
        schema_version: version.to_string(),
        rules,
        findings: c.findings,
    }
}

fn schema_version(doc: &Yaml, c: &mut Collector) -> String {
    match doc.get("schema_version") {
        None | Some(Yaml::Null) => "1.0".to_string(),
        Some(Yaml::Str(s)) => s.trim().to_string(),
        Some(other @ (Yaml::Int(_) | Yaml::Float(_))) => {
            let text = other.scalar_text().unwrap_or_default();
            c.add(
                Severity::Warning,
                "schema_version_not_text",
                "schema_version",
                format!("schema_version is the number {text}; it should be text"),
                Some(format!("Quote it: schema_version: \"{text}\"")),
            );
            text
        }
        Some(_) => {
            c.add(
                Severity::Error,
                "schema_version_invalid",
                "schema_version",
                "schema_version must be a version such as \"1.1\"",
                None,
            );
            "invalid".to_string()
        }
    }
}

/// `major.minor` ≥ 1.1; anything non-numeric gets the legacy rules, like the reference.
fn is_at_least_1_1(version: &str) -> bool {
    let mut parts = version.split('.');
    let major = parts.next().and_then(|p| p.parse::<u64>().ok());
    let minor = match parts.next() {
        None => Some(0),
        Some(p) => p.parse::<u64>().ok(),
    };
    matches!((major, minor), (Some(major), Some(minor)) if (major, minor) >= (1, 1))
}

fn required_fields(doc: &Yaml, c: &mut Collector) {
    for key in REQUIRED {
        match doc.get(key) {
            None => c.add(
                Severity::Error,
                "required_field_missing",
                key,
                format!("Missing required field: {key}"),
                None,
            ),
            Some(value) if value.scalar_text().is_none_or(|t| t.trim().is_empty()) => c.add(
                Severity::Error,
                "required_field_empty",
                key,
                format!("Required field {key} is empty or not a single value"),
                None,
            ),
            Some(_) => {}
        }
    }
    if let Some(id) = doc.get("id").and_then(Yaml::scalar_text)
        && !id.trim().is_empty()
        && !is_valid_id(id.trim())
    {
        c.add(
            Severity::Error,
            "id_invalid",
            "id",
            format!("id {id:?} does not match {ID_PATTERN}"),
            Some("Use an id such as TASK-0001".into()),
        );
    }
}

fn status_of(doc: &Yaml) -> String {
    doc.get("status")
        .and_then(Yaml::scalar_text)
        .unwrap_or_else(|| "draft".to_string())
}

fn truthy(value: Option<&Yaml>) -> bool {
    match value {
        None | Some(Yaml::Null) | Some(Yaml::Bool(false)) | Some(Yaml::Int(0)) => false,
        Some(Yaml::Str(s)) => !s.is_empty(),
        Some(Yaml::Seq(v)) => !v.is_empty(),
        Some(Yaml::Map(v)) => !v.is_empty(),
        Some(Yaml::Float(f)) => *f != 0.0,
        Some(_) => true,
    }
}

fn evidence_rules(doc: &Yaml, env: &dyn LintEnv, c: &mut Collector) {
    let status = status_of(doc);
    let hard = HARD_STATUSES.contains(&status.as_str());
    let id = doc
        .get("id")
        .and_then(Yaml::scalar_text)
        .unwrap_or_else(|| "TASK-ID".to_string());
    let field = "clarifications.evidence_path";
    let clarifications = doc.get("clarifications");
    if let Some(value) = clarifications
        && truthy(Some(value))
        && !matches!(value, Yaml::Map(_))
    {
        c.add(
            Severity::Error,
            "clarifications_not_mapping",
            "clarifications",
            "clarifications must be a mapping (with evidence_path)",
            Some(format!(
                "Write it as a mapping: clarifications: {{evidence_path: docs/evidence/tasks/{id}-clarifications.md}}"
            )),
        );
        return;
    }
    // A falsy clarifications (`""`, `[]`, null) is an absent one.
    let path = clarifications.and_then(|c| c.get("evidence_path"));
    if !truthy(path) {
        if hard {
            c.add(
                Severity::Error,
                "evidence_path_missing",
                field,
                format!("clarifications.evidence_path is required for status '{status}'"),
                Some(format!(
                    "Add it, or create the stub with: tasks --bootstrap-evidence {id}"
                )),
            );
        } else {
            c.add(
                Severity::Warning,
                "evidence_path_missing",
                field,
                "clarifications.evidence_path is missing (required before the task becomes 'todo')",
                Some("Add evidence_path before moving the task out of draft".into()),
            );
        }
        return;
    }
    let Some(Yaml::Str(path)) = path else {
        c.add(
            Severity::Error,
            "evidence_path_not_text",
            field,
            "clarifications.evidence_path must be a path",
            None,
        );
        return;
    };
    if !env.exists(path) {
        let suggestion = Some(format!("Create it with: tasks --bootstrap-evidence {id}"));
        if hard {
            c.add(
                Severity::Error,
                "evidence_file_missing",
                field,
                format!("Evidence file does not exist: {path}"),
                suggestion,
            );
        } else {
            c.add(
                Severity::Warning,
                "evidence_file_missing",
                field,
                format!(
                    "Evidence file does not exist: {path} (required before the task becomes 'todo')"
                ),
                suggestion,
            );
        }
    }
}

fn validation_rules(doc: &Yaml, c: &mut Collector) {
    let validation = doc.get("validation");
    if !truthy(validation) {
        c.add(
            Severity::Error,
            "validation_missing",
            "validation",
            "Missing 'validation' section (required by schema 1.1)",
            Some(format!(
                "Add a validation section with pipeline commands (see {VALIDATION_EXAMPLES})"
            )),
        );
        return;
    }
    let Some(Yaml::Map(_)) = validation else {
        c.add(
            Severity::Error,
            "validation_not_mapping",
            "validation",
            "validation must be a mapping",
            None,
        );
        return;
    };
    let validation = validation.unwrap_or(&Yaml::Null);
    match validation.get("pipeline") {
        None | Some(Yaml::Null) => c.add(
            Severity::Error,
            "pipeline_missing",
            "validation.pipeline",
            "validation.pipeline is required",
            Some(format!("Add pipeline commands (see {VALIDATION_EXAMPLES})")),
        ),
        Some(Yaml::Seq(items)) if items.is_empty() => c.add(
            Severity::Error,
            "pipeline_empty",
            "validation.pipeline",
            "validation.pipeline is empty (add at least one validation command)",
            Some(format!(
                "Add commands such as lint, typecheck, test, coverage (see {VALIDATION_EXAMPLES})"
            )),
        ),
        Some(Yaml::Seq(items)) => {
            for (i, item) in items.iter().enumerate() {
                let field = format!("validation.pipeline[{i}]");
                if !matches!(item, Yaml::Map(_)) {
                    c.add(
                        Severity::Error,
                        "pipeline_entry_not_mapping",
                        field,
                        format!("validation.pipeline[{i}] must be a mapping with 'command' and 'description'"),
                        None,
                    );
                    continue;
                }
                for key in ["command", "description"] {
                    if item.get(key).is_none() {
                        c.add(
                            Severity::Error,
                            if key == "command" {
                                "pipeline_entry_no_command"
                            } else {
                                "pipeline_entry_no_description"
                            },
                            format!("{field}.{key}"),
                            format!("validation.pipeline[{i}] has no '{key}'"),
                            None,
                        );
                    }
                }
            }
        }
        Some(_) => c.add(
            Severity::Error,
            "pipeline_not_list",
            "validation.pipeline",
            "validation.pipeline must be a list",
            None,
        ),
    }
    if let Some(checks) = validation.get("manual_checks")
        && !matches!(checks, Yaml::Seq(_) | Yaml::Null)
    {
        c.add(
            Severity::Error,
            "manual_checks_not_list",
            "validation.manual_checks",
            "validation.manual_checks must be a list (or left out when empty)",
            None,
        );
    }
}

fn plan_rules(doc: &Yaml, env: &dyn LintEnv, c: &mut Collector) {
    let steps = match doc.get("plan") {
        None => return,
        Some(Yaml::Seq(steps)) => steps,
        Some(_) => {
            c.add(
                Severity::Error,
                "plan_not_list",
                "plan",
                "plan must be a list of steps",
                Some("Write each step as a list item with id, title, details and outputs".into()),
            );
            return;
        }
    };
    for (i, step) in steps.iter().enumerate() {
        if !matches!(step, Yaml::Map(_)) {
            continue;
        }
        let step_id = step
            .get("id")
            .and_then(Yaml::scalar_text)
            .unwrap_or_else(|| (i + 1).to_string());
        let at = format!("plan[{i}] (step {step_id})");
        match step.get("outputs") {
            None | Some(Yaml::Null) => c.add(
                Severity::Error,
                "plan_outputs_missing",
                format!("plan[{i}].outputs"),
                format!("{at} has no outputs"),
                Some("List the files or artifacts this step produces".into()),
            ),
            Some(Yaml::Seq(outputs)) if outputs.is_empty() => c.add(
                Severity::Error,
                "plan_outputs_empty",
                format!("plan[{i}].outputs"),
                format!("{at} has an empty outputs list"),
                Some("List the files or artifacts this step produces (e.g. src/domain/job.ts, tests/job.test.ts)".into()),
            ),
            Some(_) => {}
        }
        if let Some(Yaml::Str(details)) = step.get("details") {
            standards_references(details, &format!("plan[{i}].details"), &at, env, c);
        }
        if let Some(Yaml::Seq(done)) = step.get("definition_of_done") {
            for (j, item) in done.iter().enumerate() {
                if let Yaml::Str(text) = item {
                    let field = format!("plan[{i}].definition_of_done[{j}]");
                    standards_references(
                        text,
                        &field,
                        &format!("{at}, definition_of_done[{j}]"),
                        env,
                        c,
                    );
                }
            }
        }
    }
}

/// Every `standards/<name>.md` (optionally `#anchor`) in `text` must exist, and its anchor must
/// name a heading of that file.
fn standards_references(text: &str, field: &str, at: &str, env: &dyn LintEnv, c: &mut Collector) {
    for (file, anchor) in standards_links(text) {
        match env.read(&file) {
            None => c.add(
                Severity::Warning,
                "standards_file_missing",
                field,
                format!("{at}: referenced file does not exist: {file}"),
                Some("Check the path, or create the standards file".into()),
            ),
            Some(content) => {
                if let Some(anchor) = anchor
                    && !crate::standards::has_anchor(&content, &anchor)
                {
                    c.add(
                        Severity::Warning,
                        "standards_anchor_missing",
                        field,
                        format!("{at}: {file} has no heading for #{anchor}"),
                        Some(format!("Check the headings of {file}")),
                    );
                }
            }
        }
    }
}

/// `context.related_docs` entries under `standards/` become citations of the task's context
/// (`file#section`, or the whole file): the file must exist and the section must name a heading,
/// else `--init-context` keeps the citation without an excerpt.
fn related_docs_rules(doc: &Yaml, env: &dyn LintEnv, c: &mut Collector) {
    let Some(Yaml::Seq(docs)) = doc.get("context").and_then(|c| c.get("related_docs")) else {
        return;
    };
    for (i, entry) in docs.iter().enumerate() {
        let Some(entry) = entry.scalar_text() else {
            continue;
        };
        let (file, anchor) = match entry.split_once('#') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (entry.as_str(), None),
        };
        if !file.starts_with("standards/") {
            continue;
        }
        let field = format!("context.related_docs[{i}]");
        match env.read(file) {
            None => c.add(
                Severity::Warning,
                "standards_file_missing",
                &field,
                format!("{field}: cited file does not exist: {file}"),
                Some("Check the path, or create the standards file".into()),
            ),
            Some(content) => {
                if let Some(anchor) = anchor
                    && !crate::standards::has_anchor(&content, anchor)
                {
                    c.add(
                        Severity::Warning,
                        "standards_anchor_missing",
                        &field,
                        format!(
                            "{field}: {file} has no heading for #{anchor} (the context would cite it without an excerpt)"
                        ),
                        Some(format!("Check the headings of {file}")),
                    );
                }
            }
        }
    }
}

/// Matches of `(standards/[\w-]+\.md)(#[\w-]+)?` (also inside longer paths).
fn standards_links(text: &str) -> Vec<(String, Option<String>)> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("standards/") {
        let start = from + at;
        let name_start = start + "standards/".len();
        let name_len = text[name_start..]
            .find(|c: char| !word(c))
            .unwrap_or(text.len() - name_start);
        let after = name_start + name_len;
        from = name_start;
        if name_len == 0 || !text[after..].starts_with(".md") {
            continue;
        }
        let file = text[start..after + 3].to_string();
        let rest = &text[after + 3..];
        let anchor = rest.strip_prefix('#').and_then(|r| {
            let len = r.find(|c: char| !word(c)).unwrap_or(r.len());
            (len > 0).then(|| r[..len].to_string())
        });
        out.push((file, anchor));
    }
    out
}

/// Acceptance criteria and scope items are text; an item holding `: ` is a mapping to YAML
/// (`- Preset loads with reanimated: false` is the key `Preset loads with reanimated` and the
/// value `false`). The context reads a one-key item back as `key: value`, but the file says
/// something else than it seems to: quoting the item says what is meant.
fn text_item_rules(doc: &Yaml, c: &mut Collector) {
    let mut lists: Vec<(String, &Yaml)> = Vec::new();
    match doc.get("acceptance_criteria") {
        Some(Yaml::Map(groups)) => lists.extend(
            groups
                .iter()
                .map(|(name, group)| (format!("acceptance_criteria.{name}"), group)),
        ),
        Some(list) => lists.push(("acceptance_criteria".to_string(), list)),
        None => {}
    }
    let scope = doc.get("scope");
    for part in ["in", "out"] {
        if let Some(list) = scope.and_then(|s| s.get(part)) {
            lists.push((format!("scope.{part}"), list));
        }
    }
    for (field, list) in lists {
        let Yaml::Seq(items) = list else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Yaml::Map(entries) = item else {
                continue;
            };
            let (message, suggestion) = match entries.as_slice() {
                [(key, value)] => {
                    let written = match value {
                        Yaml::Null => format!("{key}:"),
                        other => format!("{key}: {}", super::parse::flow_text(other)),
                    };
                    (
                        format!(
                            "{field}[{i}] is a mapping, not text: YAML reads the `: ` in it as a key ({key:?}) and a value"
                        ),
                        format!(
                            "Quote the item: - \"{}\"",
                            written.replace('\\', "\\\\").replace('"', "\\\"")
                        ),
                    )
                }
                _ => (
                    format!(
                        "{field}[{i}] is a mapping with {} keys, not text; the context stores it in flow style ({{...}})",
                        entries.len()
                    ),
                    "Write the item as one line of text (quoted if it holds `: `)".to_string(),
                ),
            };
            c.add(
                Severity::Warning,
                "text_item_is_mapping",
                format!("{field}[{i}]"),
                message,
                Some(suggestion),
            );
        }
    }
}

fn sizing_rules(doc: &Yaml, c: &mut Collector) {
    let files = file_count(doc.get("deliverables"));
    let steps = match doc.get("plan") {
        Some(Yaml::Seq(steps)) => steps.len(),
        _ => 0,
    };
    if files > 10 {
        c.add(
            Severity::Error,
            "too_many_files",
            "deliverables",
            format!("The task touches {files} files (at most 10): break it down"),
            Some("Split it into subtasks of at most 10 files each (see standards/task-sizing-guide.md)".into()),
        );
    } else if files > 8 {
        c.add(
            Severity::Warning,
            "many_files",
            "deliverables",
            format!("The task touches {files} files (warning at 8, error above 10): consider a breakdown"),
            Some("Check whether the task can be split into smaller subtasks".into()),
        );
    }
    if steps > 6 {
        c.add(
            Severity::Warning,
            "too_many_steps",
            "plan",
            format!("The plan has {steps} steps (at most 6): consider a breakdown"),
            Some("Break long plans into subtasks of at most 6 steps".into()),
        );
        if files > 5 {
            c.add(
                Severity::Error,
                "session_time_risk",
                "plan",
                format!(
                    "{steps} steps and {files} files do not fit one working session: break it down"
                ),
                Some("Keep either the plan at 6 steps or fewer, or the files at 5 or fewer".into()),
            );
        }
    }
    match doc.get("estimate") {
        Some(Yaml::Str(e)) if e == "L" => c.add(
            Severity::Warning,
            "estimate_large",
            "estimate",
            "The task is estimated L (large), the upper limit: check whether it should be split",
            Some(
                "L tasks (9-10 files, 300-500 lines) are acceptable but worth a second look".into(),
            ),
        ),
        estimate if !truthy(estimate) && steps > 0 => c.add(
            Severity::Info,
            "estimate_missing",
            "estimate",
            "No estimate (XS/S/M/L): recommended for tracking size",
            None,
        ),
        _ => {}
    }
}

/// Files a task delivers: a list counts its items; a mapping its `files` plus the `artifacts`
/// that are paths; a text the file names in it (at least 1).
fn file_count(deliverables: Option<&Yaml>) -> usize {
    match deliverables {
        Some(Yaml::Seq(items)) => items.len(),
        Some(map @ Yaml::Map(_)) => {
            let files = match map.get("files") {
                Some(Yaml::Seq(f)) => f.len(),
                _ => 0,
            };
            let artifacts = match map.get("artifacts") {
                Some(Yaml::Seq(a)) => a
                    .iter()
                    .filter(|x| matches!(x, Yaml::Str(s) if s.contains('/')))
                    .count(),
                _ => 0,
            };
            files + artifacts
        }
        Some(Yaml::Str(s)) if !s.is_empty() => {
            // The reference counts matches of `\S+\.\w{1,4}(?:\s|,|$)`: at most one per
            // whitespace-separated word (`\S+` is greedy), the word holding a `.ext` followed by
            // a comma or the end of the word.
            let names = s.split_whitespace().filter(|w| has_file_name(w)).count();
            names.max(1)
        }
        _ => 0,
    }
}

/// Whether `word` has, after at least one character, `.` + 1–4 word characters followed by a
/// comma or the end of the word.
fn has_file_name(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    (1..chars.len()).any(|dot| {
        if chars[dot] != '.' {
            return false;
        }
        let ext = chars[dot + 1..].iter().take_while(|c| is_word(**c)).count();
        let end = dot + 1 + ext;
        (1..=4).contains(&ext) && (end == chars.len() || chars[end] == ',')
    })
}

#[cfg(test)]
#[path = "tests/lint.rs"]
mod tests;
