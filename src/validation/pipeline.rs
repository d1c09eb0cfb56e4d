//! A task's validation pipeline (schemas §2.1): the entries of `validation.pipeline` read from
//! the task file with their defaults. Real task files write entries without an `id` (only
//! `command` and `description`, sometimes a plain string): each gets the implicit id `val-NNN`
//! of its position. An entry that breaks a rule (a timeout out of range, an unknown
//! criticality, …) is kept as a [`Problem`] naming the field, so that listing the pipeline shows
//! it and running it refuses it.

use crate::tasks::yaml::Yaml;
use std::ops::RangeInclusive;

/// Per attempt, in milliseconds.
pub const TIMEOUT_MS: RangeInclusive<u64> = 1_000..=600_000;
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;
pub const MAX_ATTEMPTS: RangeInclusive<u64> = 1..=5;
pub const DEFAULT_BACKOFF_MS: u64 = 1_000;
/// The longest description, in characters.
pub const MAX_DESCRIPTION: usize = 200;

/// What a failure of the command means for the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criticality {
    Required,
    Recommended,
    Optional,
}

pub const CRITICALITIES: [&str; 3] = ["required", "recommended", "optional"];

impl Criticality {
    /// The three names, and the aliases `tasks.py`'s flag took: `error` → required, `warning` →
    /// recommended.
    pub fn parse(name: &str) -> Option<Criticality> {
        match name {
            "required" | "error" => Some(Criticality::Required),
            "recommended" | "warning" => Some(Criticality::Recommended),
            "optional" => Some(Criticality::Optional),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Required => "required",
            Criticality::Recommended => "recommended",
            Criticality::Optional => "optional",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub max_attempts: u64,
    pub backoff_ms: u64,
    /// Retry a failing exit too, not only a timeout.
    pub retry_on_failure: bool,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            max_attempts: 1,
            backoff_ms: DEFAULT_BACKOFF_MS,
            retry_on_failure: false,
        }
    }
}

/// One validation command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `val-NNN`: given, or implicit from the position.
    pub id: String,
    /// Whether the id came from the position (the entry has none).
    pub implicit_id: bool,
    pub command: String,
    pub description: String,
    /// Repo-relative.
    pub cwd: String,
    pub package: Option<String>,
    pub env: Vec<(String, String)>,
    pub expected_paths: Vec<String>,
    pub blocker_id: Option<String>,
    pub timeout_ms: u64,
    pub retry: Retry,
    pub criticality: Criticality,
    pub expected_exit_codes: Vec<i32>,
}

impl Entry {
    /// An entry with every default: the command alone.
    pub fn new(id: impl Into<String>, command: impl Into<String>) -> Entry {
        Entry {
            id: id.into(),
            implicit_id: false,
            command: command.into(),
            description: "Validation command".into(),
            cwd: ".".into(),
            package: None,
            env: Vec::new(),
            expected_paths: Vec::new(),
            blocker_id: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            retry: Retry::default(),
            criticality: Criticality::Required,
            expected_exit_codes: vec![0],
        }
    }
}

/// A required command of a pipeline, as the metrics count it: its id, command line and the exit
/// codes that pass. An entry that cannot run as written is still required (it never passes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Required {
    pub id: String,
    pub command: String,
    pub expected_exit_codes: Vec<i32>,
}

/// The required commands of a task's pipeline.
pub fn required(doc: &Yaml) -> Vec<Required> {
    from_task(doc)
        .into_iter()
        .filter_map(|entry| match entry {
            Ok(e) if e.criticality == Criticality::Required => Some(Required {
                id: e.id,
                command: e.command,
                expected_exit_codes: e.expected_exit_codes,
            }),
            Ok(_) => None,
            Err(p) => Some(Required {
                id: p.id,
                command: String::new(),
                expected_exit_codes: Vec::new(),
            }),
        })
        .collect()
}

/// An entry that cannot run as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub id: String,
    /// `validation.pipeline[i].field`.
    pub field: String,
    pub message: String,
}

/// Whether `name` can name an environment variable: letters, digits and `_`, not starting with
/// a digit.
pub fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// The implicit id of the entry at `index` (0-based): `val-001`, `val-002`, …
pub fn implicit_id(index: usize) -> String {
    format!("val-{:03}", index + 1)
}

/// Whether `id` has the form `val-NNN`.
pub fn is_id(id: &str) -> bool {
    id.strip_prefix("val-")
        .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The entries of the task document's `validation.pipeline` (`validation.commands` too), in
/// order, each parsed or its first problem. No pipeline: an empty list.
pub fn from_task(doc: &Yaml) -> Vec<Result<Entry, Problem>> {
    let list = doc
        .get("validation")
        .and_then(|v| v.get("pipeline").or_else(|| v.get("commands")));
    let Some(Yaml::Seq(items)) = list else {
        return Vec::new();
    };
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            // An id is taken by a broken entry too (it is listed under it).
            let entry = entry(i, item).inspect_err(|p| {
                seen.insert(p.id.clone());
            })?;
            if !seen.insert(entry.id.clone()) {
                return Err(Problem {
                    id: entry.id.clone(),
                    field: format!("validation.pipeline[{i}].id"),
                    message: format!("{} is the id of an earlier entry", entry.id),
                });
            }
            Ok(entry)
        })
        .collect()
}

fn entry(i: usize, item: &Yaml) -> Result<Entry, Problem> {
    let implicit = implicit_id(i);
    let field = |name: &str| format!("validation.pipeline[{i}].{name}");
    let problem = |id: &str, name: &str, message: String| Problem {
        id: id.to_string(),
        field: field(name),
        message,
    };
    let map = match item {
        Yaml::Str(command) if !command.trim().is_empty() => {
            let mut e = Entry::new(implicit, command.clone());
            e.implicit_id = true;
            return Ok(e);
        }
        Yaml::Map(_) => item,
        _ => {
            return Err(problem(
                &implicit,
                "command",
                "an entry is a command string or a mapping with `command`".into(),
            ));
        }
    };
    let (id, implicit_id) = match map.get("id") {
        None | Some(Yaml::Null) => (implicit, true),
        Some(v) => match v.scalar_text() {
            Some(id) if is_id(&id) => (id, false),
            other => {
                return Err(problem(
                    &implicit,
                    "id",
                    format!(
                        "an id has the form val-NNN, not {:?}",
                        other.unwrap_or_default()
                    ),
                ));
            }
        },
    };
    let text = |name: &str| map.get(name).and_then(Yaml::scalar_text);
    let Some(command) = text("command")
        .or_else(|| text("cmd"))
        .filter(|c| !c.trim().is_empty())
    else {
        return Err(problem(&id, "command", "the entry has no command".into()));
    };
    let mut e = Entry::new(id.clone(), command);
    e.implicit_id = implicit_id;
    if let Some(d) = text("description") {
        if d.chars().count() > MAX_DESCRIPTION {
            return Err(problem(
                &id,
                "description",
                format!("longer than {MAX_DESCRIPTION} characters"),
            ));
        }
        e.description = d;
    }
    if let Some(cwd) = text("cwd").filter(|c| !c.is_empty()) {
        e.cwd = cwd;
    }
    e.package = text("package");
    if let Some(env) = map.get("env") {
        let Yaml::Map(pairs) = env else {
            return Err(problem(&id, "env", "a mapping of names to values".into()));
        };
        for (k, v) in pairs {
            if !is_env_name(k) {
                return Err(problem(
                    &id,
                    "env",
                    format!(
                        "{k:?} is not a variable name (letters, digits and _, not starting with a digit)"
                    ),
                ));
            }
            let Some(v) = v.scalar_text().filter(|v| !v.contains('\0')) else {
                return Err(problem(
                    &id,
                    "env",
                    format!("the value of {k} is not a scalar"),
                ));
            };
            e.env.push((k.clone(), v));
        }
    }
    if let Some(paths) = map.get("expected_paths") {
        e.expected_paths = strings(paths)
            .ok_or_else(|| problem(&id, "expected_paths", "a list of paths or globs".into()))?;
        if let Some(bad) = e
            .expected_paths
            .iter()
            .find(|p| globset::Glob::new(p).is_err())
        {
            return Err(problem(
                &id,
                "expected_paths",
                format!("{bad:?} is not a valid glob"),
            ));
        }
    }
    e.blocker_id = text("blocker_id").filter(|b| !b.is_empty());
    if let Some(t) = map.get("timeout_ms").filter(|t| !t.is_null()) {
        e.timeout_ms = integer(t)
            .filter(|t| TIMEOUT_MS.contains(t))
            .ok_or_else(|| {
                problem(
                    &id,
                    "timeout_ms",
                    format!(
                        "must be {}..{} milliseconds, not {}",
                        TIMEOUT_MS.start(),
                        TIMEOUT_MS.end(),
                        t.scalar_text().unwrap_or_default()
                    ),
                )
            })?;
    }
    if let Some(policy) = map.get("retry_policy").filter(|p| !p.is_null()) {
        if let Some(n) = policy.get("max_attempts").filter(|n| !n.is_null()) {
            e.retry.max_attempts =
                integer(n)
                    .filter(|n| MAX_ATTEMPTS.contains(n))
                    .ok_or_else(|| {
                        problem(
                            &id,
                            "retry_policy.max_attempts",
                            format!("must be {}..{}", MAX_ATTEMPTS.start(), MAX_ATTEMPTS.end()),
                        )
                    })?;
        }
        if let Some(b) = policy.get("backoff_ms").filter(|b| !b.is_null()) {
            e.retry.backoff_ms = integer(b).filter(|b| *b <= 600_000).ok_or_else(|| {
                problem(
                    &id,
                    "retry_policy.backoff_ms",
                    "must be 0..600000 milliseconds".into(),
                )
            })?;
        }
        if let Some(r) = policy.get("retry_on_failure") {
            e.retry.retry_on_failure = matches!(r, Yaml::Bool(true));
        }
    }
    if let Some(c) = text("criticality") {
        e.criticality = Criticality::parse(&c).ok_or_else(|| {
            problem(
                &id,
                "criticality",
                format!("must be one of {}, not {c:?}", CRITICALITIES.join(", ")),
            )
        })?;
    }
    if let Some(codes) = map.get("expected_exit_codes").filter(|c| !c.is_null()) {
        let Yaml::Seq(items) = codes else {
            return Err(problem(
                &id,
                "expected_exit_codes",
                "a list of integers".into(),
            ));
        };
        let parsed: Option<Vec<i32>> = items
            .iter()
            .map(|c| match c {
                Yaml::Int(n) => i32::try_from(*n).ok(),
                _ => None,
            })
            .collect();
        e.expected_exit_codes = parsed
            .filter(|c| !c.is_empty())
            .ok_or_else(|| problem(&id, "expected_exit_codes", "a list of integers".into()))?;
    }
    Ok(e)
}

fn integer(v: &Yaml) -> Option<u64> {
    match v {
        Yaml::Int(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}

fn strings(v: &Yaml) -> Option<Vec<String>> {
    match v {
        Yaml::Seq(items) => items.iter().map(Yaml::scalar_text).collect(),
        Yaml::Str(s) => Some(vec![s.clone()]),
        Yaml::Null => Some(Vec::new()),
        _ => None,
    }
}

#[cfg(test)]
#[path = "tests/pipeline.rs"]
mod tests;
