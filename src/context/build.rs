//! The immutable part of a context, built from a task file (contract D6). One builder serves
//! `--init-context` and `--rebuild-context`, so the same task gives the same payload.

use super::excerpts::{Excerpt, WHOLE_FILE, extract, extract_document};
use super::model::{Citation, SourceFile, TaskSnapshot, ValidationBaseline};
use super::normalize::normalize_multiline;
use crate::repo::Repo;
use crate::standards::normalize;
use crate::store::sha256_hex;
use crate::tasks::Task;
use crate::tasks::parse::flow_text;
use crate::tasks::yaml::{Yaml, format_float};
use crate::text::field;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Component, Path};

pub const SCOPE_GLOBS: &str = "docs/templates/scope-globs.json";

/// Everything a context records about its task, and what it was built from.
#[derive(Debug, Clone)]
pub struct Payload {
    pub snapshot: TaskSnapshot,
    pub citations: Vec<Citation>,
    /// The excerpts of the citations whose section was found.
    pub excerpts: Vec<Excerpt>,
    pub baseline: ValidationBaseline,
    pub repo_paths: Vec<String>,
    /// The standards files read (for the manifest).
    pub sources: Vec<SourceFile>,
    /// W-warnings for stderr.
    pub warnings: Vec<String>,
}

pub fn build(repo: &Repo, task: &Task, doc: &Yaml) -> Payload {
    let mut warnings = Vec::new();
    let snapshot = snapshot(task, doc);
    let (citations, excerpts, sources) = citations(repo, task, doc, &mut warnings);
    Payload {
        snapshot,
        citations,
        excerpts,
        baseline: baseline(doc, &mut warnings),
        repo_paths: repo_paths(repo, doc, &mut warnings),
        sources,
        warnings,
    }
}

fn text_of(value: &Yaml) -> String {
    match value {
        Yaml::Str(s) => s.clone(),
        other => flow_text(other),
    }
}

/// A list item as its author wrote it. An item holding `: ` (`- Preset loads with reanimated:
/// false`) is a one-key mapping to YAML; it reads back as `key: value` (`key:` for an empty
/// value), the value's own trailing newline dropped. Other items are their text, or flow style.
fn item_text(value: &Yaml) -> String {
    match value {
        Yaml::Map(entries) if entries.len() == 1 => {
            let (key, value) = &entries[0];
            match value {
                Yaml::Null => format!("{key}:"),
                other => format!("{key}: {}", text_of(other).trim_end_matches('\n')),
            }
        }
        other => text_of(other),
    }
}

fn items(value: Option<&Yaml>) -> Vec<String> {
    match value {
        Some(Yaml::Seq(items)) => items.iter().filter(|i| !i.is_null()).map(item).collect(),
        Some(Yaml::Null) | None => Vec::new(),
        Some(one) => vec![item(one)],
    }
}

/// One item, normalized. A one-key mapping item is exactly what the author wrote, `key: value`,
/// without the final newline normalization adds to the other items (issue 10, which overrides
/// the normalization rule for it: the text is the author's line, nothing more).
fn item(value: &Yaml) -> String {
    let text = normalize_multiline(&item_text(value), true);
    match value {
        Yaml::Map(entries) if entries.len() == 1 => text.trim_end_matches('\n').to_string(),
        _ => text,
    }
}

fn snapshot(task: &Task, doc: &Yaml) -> TaskSnapshot {
    let description = doc
        .get("description")
        .map(text_of)
        .filter(|d| !d.trim().is_empty())
        .map(|d| normalize_multiline(&d, false))
        .unwrap_or_default();
    // `{must: [...], quality_gates: [...]}` is its items in order, like a list.
    let acceptance_criteria = match doc.get("acceptance_criteria") {
        Some(Yaml::Map(groups)) => groups
            .iter()
            .flat_map(|(_, group)| items(Some(group)))
            .collect(),
        other => items(other),
    };
    let scope = doc.get("scope");
    TaskSnapshot {
        title: Value::String(task.title.to_string()),
        priority: Value::String(task.priority.to_string()),
        area: Value::String(task.area.to_string()),
        description,
        scope_in: items(scope.and_then(|s| s.get("in"))),
        scope_out: items(scope.and_then(|s| s.get("out"))),
        acceptance_criteria,
        outcome: doc
            .get("outcome")
            .map(text_of)
            .filter(|o| !o.trim().is_empty())
            .map(|o| normalize_multiline(&o, false)),
        plan: doc.get("plan").filter(|p| !p.is_null()).map(to_json),
        deliverables: doc
            .get("deliverables")
            .filter(|d| !d.is_null())
            .map(to_json),
        extra: Map::new(),
    }
}

/// A YAML node as JSON (non-finite floats become their YAML spelling).
pub fn to_json(value: &Yaml) -> Value {
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => i64::try_from(*i)
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(i.to_string())),
        Yaml::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(format_float(*f))),
        Yaml::Str(s) => Value::String(s.clone()),
        Yaml::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

/// The default citations of spec 02 §6 for an area: (file, section, requirement).
fn default_citations(area: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(&str, String, String)> = vec![
        (
            "standards/global.md",
            "evidence-requirements".into(),
            "Mandatory artifacts per release: evidence bundles, test results, compliance proofs"
                .into(),
        ),
        (
            "standards/AGENTS.md",
            "agent-coordination".into(),
            "Agent handoff protocols and context management".into(),
        ),
    ];
    let area_specific: &[(&str, &str, &str)] = match area {
        "backend" => &[
            (
                "standards/backend-tier.md",
                "handler-constraints",
                "Handler complexity must not exceed cyclomatic complexity 10; handlers limited to 75 LOC",
            ),
            (
                "standards/backend-tier.md",
                "layering-rules",
                "Handlers \u{2192} Services \u{2192} Providers (one-way only); no circular dependencies",
            ),
            (
                "standards/cross-cutting.md",
                "hard-fail-controls",
                "Handlers cannot import AWS SDKs; zero cycles; complexity budgets enforced",
            ),
        ],
        "mobile" => &[
            (
                "standards/frontend-tier.md",
                "component-standards",
                "Component complexity and state management patterns",
            ),
            (
                "standards/frontend-tier.md",
                "state-management",
                "Redux Toolkit patterns and async handling",
            ),
        ],
        "shared" => &[
            (
                "standards/shared-contracts-tier.md",
                "contract-first",
                "Zod schemas at boundaries; contract-first API design",
            ),
            (
                "standards/shared-contracts-tier.md",
                "versioning",
                "Breaking changes require /v{n} versioning",
            ),
        ],
        "infrastructure" | "infra" => &[(
            "standards/infrastructure-tier.md",
            "terraform-modules",
            "Terraform module structure and local dev platform",
        )],
        _ => &[],
    };
    out.extend(
        area_specific
            .iter()
            .map(|(f, s, r)| (*f, s.to_string(), r.to_string())),
    );
    if matches!(area, "backend" | "mobile" | "shared") {
        out.push((
            "standards/typescript.md",
            "strict-config".into(),
            "Strict tsconfig including exactOptionalPropertyTypes; Zod at boundaries; neverthrow Results".into(),
        ));
    }
    out.push((
        "standards/testing-standards.md",
        format!("{area}-qa-commands"),
        format!("QA commands and coverage thresholds for {area}"),
    ));
    out.into_iter()
        .map(|(f, s, r)| (f.to_string(), s, r))
        .collect()
}

/// The text of a repo-relative file that stays inside the repository, or why it cannot be used.
fn read_inside(repo: &Repo, rel: &str) -> Result<(String, Vec<u8>), &'static str> {
    const MISSING: &str = "the file does not exist in the repository";
    let p = Path::new(rel);
    if !p
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(MISSING);
    }
    let resolved = repo.root.join(p).canonicalize().map_err(|_| MISSING)?;
    let meta = std::fs::metadata(&resolved).map_err(|_| MISSING)?;
    if !resolved.starts_with(&repo.root) || !meta.is_file() {
        return Err(MISSING);
    }
    if meta.len() > crate::standards::MAX_FILE_BYTES {
        return Err("the file is larger than 4 MiB");
    }
    let bytes = std::fs::read(&resolved).map_err(|_| "the file cannot be read")?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| "the file is not UTF-8 text")?;
    Ok((text, bytes))
}

type Built = (Vec<Citation>, Vec<Excerpt>, Vec<SourceFile>);

fn citations(repo: &Repo, task: &Task, doc: &Yaml, warnings: &mut Vec<String>) -> Built {
    let mut wanted = default_citations(&task.area);
    // A section is cited once (whether or not its whole file is cited too: the section is what
    // the task points at, and a section that does not exist must be said); a whole file only
    // when none of it is cited yet.
    let is_new = |wanted: &[(String, String, String)], file: &str, section: &str| {
        !wanted.iter().any(|(f, s, _)| {
            f == file
                && (section == WHOLE_FILE
                    || (s != WHOLE_FILE && normalize(s.trim()) == normalize(section.trim())))
        })
    };
    let context = doc.get("context");
    if let Some(tier) = context
        .and_then(|c| c.get("standards_tier"))
        .and_then(Yaml::scalar_text)
        .filter(|t| !t.trim().is_empty())
    {
        let file = format!("standards/{}-tier.md", tier.trim());
        if read_inside(repo, &file).is_ok() && is_new(&wanted, &file, WHOLE_FILE) {
            wanted.push((
                file,
                WHOLE_FILE.into(),
                format!("Standards tier: {}", tier.trim()),
            ));
        }
    }
    if let Some(Yaml::Seq(docs)) = context.and_then(|c| c.get("related_docs")) {
        for d in docs.iter().filter_map(Yaml::scalar_text) {
            let (file, section) = match d.split_once('#') {
                Some((f, a)) => (f.to_string(), a.to_string()),
                None => (d.clone(), WHOLE_FILE.to_string()),
            };
            if file.starts_with("standards/") && is_new(&wanted, &file, &section) {
                wanted.push((file, section, "Referenced in task context".into()));
            }
        }
    }
    let mut citations = Vec::new();
    let mut excerpts = Vec::new();
    let mut sources: Vec<SourceFile> = Vec::new();
    for (file, section, requirement) in wanted {
        let found = read_inside(repo, &file);
        if let Ok((_, bytes)) = &found
            && !sources.iter().any(|s| s.path == file)
        {
            sources.push(SourceFile {
                path: file.clone(),
                sha256: sha256_hex(bytes),
                purpose: "standards_citation".into(),
                extra: Map::new(),
            });
        }
        let excerpt = found.as_ref().ok().and_then(|(text, _)| {
            if section == WHOLE_FILE {
                Some(extract_document(text, &file))
            } else {
                extract(text, &file, &section)
            }
        });
        match (&found, &excerpt) {
            (Err(why), _) => warnings.push(format!(
                "Warning: citation {}: {why} (kept without an excerpt)",
                field(&format!("{file}#{section}"))
            )),
            (Ok(_), None) => warnings.push(format!(
                "Warning: citation {}: no such section in the file (kept without an excerpt)",
                field(&format!("{file}#{section}"))
            )),
            _ => {}
        }
        citations.push(Citation {
            file,
            requirement: excerpt
                .as_ref()
                .map(|e| e.requirement.clone())
                .filter(|r| !r.is_empty())
                .unwrap_or(requirement),
            line_span: excerpt.as_ref().map(|e| Value::String(e.line_span.clone())),
            content_sha: excerpt.as_ref().map(|e| e.content_sha.clone()),
            section,
            extra: Map::new(),
        });
        excerpts.extend(excerpt);
    }
    (citations, excerpts, sources)
}

fn baseline(doc: &Yaml, warnings: &mut Vec<String>) -> ValidationBaseline {
    let validation = doc.get("validation");
    let list = validation
        .and_then(|v| v.get("pipeline").or_else(|| v.get("commands")))
        .and_then(|l| match l {
            Yaml::Seq(items) => Some(items.as_slice()),
            _ => None,
        })
        .unwrap_or(&[]);
    let mut commands = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let command = match item {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Map(_) => item
                .get("command")
                .or_else(|| item.get("cmd"))
                .and_then(Yaml::scalar_text),
            _ => None,
        };
        match command.filter(|c| !c.trim().is_empty()) {
            Some(c) => commands.push(c),
            None => warnings.push(format!(
                "Warning: validation.pipeline[{i}] has no command; it is left out of the baseline"
            )),
        }
    }
    ValidationBaseline {
        commands,
        initial_results: None,
        extra: Map::new(),
    }
}

/// `context.repo_paths`, with `:macro` entries expanded through `docs/templates/scope-globs.json`,
/// then normalized (no `./`, no doubled `/`), sorted and de-duplicated. Idempotent.
fn repo_paths(repo: &Repo, doc: &Yaml, warnings: &mut Vec<String>) -> Vec<String> {
    let Some(Yaml::Seq(entries)) = doc.get("context").and_then(|c| c.get("repo_paths")) else {
        return Vec::new();
    };
    let macros: Option<Map<String, Value>> = read_inside(repo, SCOPE_GLOBS)
        .ok()
        .and_then(|(text, _)| serde_json::from_str::<Value>(&text).ok())
        .and_then(|v| v.get("globs").and_then(Value::as_object).cloned());
    let mut out = BTreeSet::new();
    for entry in entries.iter().filter_map(Yaml::scalar_text) {
        let entry = entry.trim().to_string();
        if entry.starts_with(':') {
            match macros
                .as_ref()
                .and_then(|m| m.get(&entry))
                .and_then(Value::as_array)
            {
                Some(patterns) => {
                    out.extend(
                        patterns
                            .iter()
                            .filter_map(Value::as_str)
                            .map(normalize_path),
                    );
                }
                None => {
                    warnings.push(format!(
                        "Warning: repo_paths macro {} is not defined in {SCOPE_GLOBS}; kept as it is",
                        field(&entry)
                    ));
                    out.insert(entry);
                }
            }
        } else if !entry.is_empty() {
            out.insert(normalize_path(&entry));
        }
    }
    out.into_iter().collect()
}

/// `./a//b/` → `a/b/`: leading `./` removed, repeated separators collapsed.
pub fn normalize_path(path: &str) -> String {
    let mut p = path.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
#[path = "tests/build.rs"]
mod tests;
