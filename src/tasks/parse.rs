//! From the bytes of one `*.task.yaml` file to a [`Task`] or a [`ParseFailure`] (contract D5,
//! spec 01 §3.2–§3.3). Pure: no I/O here.

use super::model::{Task, Text};
use super::yaml::{self, TopLevel, Yaml, format_float};
use crate::ids::{ID_PATTERN, is_valid_id};
use serde::{Deserialize, Serialize};

/// The top-level keys a [`Task`] is built from; other keys are checked but not kept.
pub(crate) const TASK_KEYS: [&str; 11] = [
    "id",
    "title",
    "status",
    "priority",
    "area",
    "unblocker",
    "order",
    "blocked_reason",
    "blocked_by",
    "depends_on",
    "schema_version",
];

/// Task files larger than this are refused unread: real task files are a few kilobytes, and a
/// runaway file must not cost every run its parse time.
pub const MAX_TASK_FILE_BYTES: u64 = 1024 * 1024;

/// Why a task file was not loaded. Cached by content hash, so a broken file is parsed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParseFailure {
    pub message: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

impl ParseFailure {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ParseFailure {
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

impl std::fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// Decode, normalise newlines and hash a task file's bytes. Returns the text and its hash.
pub fn decode(bytes: &[u8]) -> Result<(String, String), ParseFailure> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        let column = (offset
            - bytes[..offset]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1)) as u64
            + 1;
        ParseFailure {
            message: format!("file is not valid UTF-8 (invalid byte at offset {offset})"),
            line: Some(line),
            column: Some(column),
        }
    })?;
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    };
    let hash = crate::store::sha256_hex(text.as_bytes());
    Ok((text, hash))
}

/// Parse a task file's bytes. `path` is repo-relative; `mtime` is recorded as given.
#[cfg(test)]
pub fn parse_task(bytes: &[u8], path: &str, mtime: f64) -> Result<Task, ParseFailure> {
    let (text, hash) = decode(bytes)?;
    parse_text(&text, hash, path, mtime)
}

/// Parse the decoded text of a task file whose [`decode`] hash is `hash`.
pub fn parse_text(text: &str, hash: String, path: &str, mtime: f64) -> Result<Task, ParseFailure> {
    let keep = |key: &str| TASK_KEYS.contains(&key);
    // The plain YAML task files are written in is read by the fast reader; anything else (and
    // every error) by the full parser.
    let fields = match super::fastyaml::top_level(text, keep) {
        Some(fields) => fields,
        None => yaml::parse_top_level(text, keep).map_err(|e| ParseFailure {
            message: e.message,
            line: e.line,
            column: e.column,
        })?,
    };
    let shape_error = match &fields {
        TopLevel::Map(_) => None,
        TopLevel::Empty => Some("file is empty (expected a mapping of task fields)"),
        TopLevel::Seq => {
            Some("top level is a list, expected a mapping of task fields (id, title, status, ...)")
        }
        TopLevel::Scalar => Some(
            "top level is a single value, expected a mapping of task fields (id, title, status, ...)",
        ),
    };
    if let Some(message) = shape_error {
        return Err(ParseFailure::new(message));
    }

    let mut missing = Vec::new();
    let mut required = |key: &'static str| -> Result<String, ParseFailure> {
        match fields.get(key) {
            Some(Yaml::Seq(_) | Yaml::Map(_)) => Err(ParseFailure::new(format!(
                "field '{key}' must be a single value, not a list or mapping"
            ))),
            Some(value) => match value.scalar_text() {
                Some(text) if !text.trim().is_empty() => Ok(text),
                _ => {
                    missing.push(key);
                    Ok(String::new())
                }
            },
            None => {
                missing.push(key);
                Ok(String::new())
            }
        }
    };
    let id = required("id")?;
    let title = required("title")?;
    let status = required("status")?;
    let priority = required("priority")?;
    let area = required("area")?;
    if !missing.is_empty() {
        return Err(ParseFailure::new(format!(
            "missing or empty required field(s): {}",
            missing.join(", ")
        )));
    }
    let id = id.trim().to_string();
    if !is_valid_id(&id) {
        return Err(ParseFailure::new(format!(
            "id {id:?} does not match {ID_PATTERN} (e.g. TASK-0001)"
        )));
    }

    Ok(Task {
        id: id.into(),
        title: title.into(),
        status: status.trim().to_string().into(),
        priority: priority.trim().to_string().into(),
        area: area.into(),
        unblocker: boolean_field(fields.get("unblocker"), "unblocker")?,
        order: order_field(fields.get("order"))?,
        blocked_reason: match fields.get("blocked_reason") {
            Some(Yaml::Str(s)) => Some(s.clone().into()),
            _ => None,
        },
        blocked_by: id_list(fields.get("blocked_by")),
        depends_on: id_list(fields.get("depends_on")),
        schema_version: fields
            .get("schema_version")
            .and_then(Yaml::scalar_text)
            .map_or(Text::Borrowed("1.0"), Text::Owned),
        path: path.to_string().into(),
        hash: hash.into(),
        mtime,
    })
}

/// Whether a parse could have produced `task` (the rules of [`parse_text`]): a valid id, the
/// required fields not blank, status and priority trimmed. A cached task that breaks them was
/// not written by a parse.
pub(crate) fn could_parse_to(task: &Task) -> bool {
    is_valid_id(&task.id)
        && !is_blank(&task.title)
        && !is_blank(&task.area)
        && is_trimmed(&task.status)
        && is_trimmed(&task.priority)
}

/// Not empty, and no white space at either end (what `trim` leaves). Checked on every cached
/// task of every warm run: ends that are ASCII are decided from their bytes.
fn is_trimmed(s: &str) -> bool {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(first), Some(last)) if solid_ascii(*first) && solid_ascii(*last) => true,
        (Some(_), Some(_)) => s.trim() == s,
        _ => false,
    }
}

/// Empty or only white space.
fn is_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(&first) if solid_ascii(first) => false,
        _ => s.trim().is_empty(),
    }
}

/// An ASCII byte that `trim` keeps (white space as `char::is_whitespace` has it); a byte that is
/// not ASCII decides nothing alone.
fn solid_ascii(byte: u8) -> bool {
    byte.is_ascii() && !char::from(byte).is_whitespace()
}

/// Booleans per contract D5: `true/false/yes/no/on/off` in any case, quoted or not; absent or
/// null is false; 0/1 are accepted. Anything else is an error rather than a guess.
pub fn boolean_field(value: Option<&Yaml>, key: &str) -> Result<bool, ParseFailure> {
    match value {
        None | Some(Yaml::Null) => Ok(false),
        Some(Yaml::Bool(b)) => Ok(*b),
        Some(Yaml::Int(0)) => Ok(false),
        Some(Yaml::Int(1)) => Ok(true),
        Some(Yaml::Str(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Ok(true),
            "false" | "no" | "off" | "" => Ok(false),
            _ => Err(invalid_boolean(key, s)),
        },
        Some(other) => Err(invalid_boolean(key, &flow_text(other))),
    }
}

fn invalid_boolean(key: &str, got: &str) -> ParseFailure {
    ParseFailure::new(format!(
        "field '{key}' must be a boolean (true/false/yes/no/on/off), got {got:?}"
    ))
}

/// `order`: integers kept, floats truncated toward zero, booleans 0/1, numeric strings parsed,
/// anything else absent. Infinity cannot be an order: the file is refused (spec 01 §3.2).
fn order_field(value: Option<&Yaml>) -> Result<Option<i64>, ParseFailure> {
    let out_of_range = || ParseFailure::new("field 'order' is out of range for an integer");
    match value {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::Int(i)) => i64::try_from(*i).map(Some).map_err(|_| out_of_range()),
        Some(Yaml::Bool(b)) => Ok(Some(i64::from(*b))),
        Some(Yaml::Float(f)) if f.is_nan() => Ok(None),
        Some(Yaml::Float(f)) if f.is_infinite() => Err(ParseFailure::new(
            "field 'order' is infinite; it must be an integer",
        )),
        Some(Yaml::Float(f)) => {
            let t = f.trunc();
            if t >= i64::MIN as f64 && t <= i64::MAX as f64 {
                Ok(Some(t as i64))
            } else {
                Err(out_of_range())
            }
        }
        Some(Yaml::Str(s)) => Ok(s.trim().parse::<i64>().ok()),
        Some(_) => Ok(None),
    }
}

/// `blocked_by` / `depends_on`: a list (items stringified and trimmed, nulls dropped, order and
/// duplicates kept) or a single string (one item, no comma splitting); anything else is empty.
fn id_list(value: Option<&Yaml>) -> Vec<Text> {
    match value {
        Some(Yaml::Seq(items)) => items
            .iter()
            .filter(|item| !item.is_null())
            .map(|item| flow_text(item).trim().to_string().into())
            .collect(),
        Some(Yaml::Str(s)) => vec![s.trim().to_string().into()],
        _ => Vec::new(),
    }
}

/// A compact one-line rendering of any node (flow style), for messages and odd list items.
pub fn flow_text(value: &Yaml) -> String {
    match value {
        Yaml::Null => "null".to_string(),
        Yaml::Float(f) => format_float(*f),
        Yaml::Seq(items) => {
            let inner: Vec<String> = items.iter().map(flow_text).collect();
            format!("[{}]", inner.join(", "))
        }
        Yaml::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow_text(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        scalar => scalar.scalar_text().unwrap_or_default(),
    }
}

#[cfg(test)]
#[path = "tests/parse.rs"]
mod tests;
