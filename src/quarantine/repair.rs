//! The documented YAML repairs of `--repair-quarantined`. Each changes only the line the YAML
//! parser reports (or, for a stray line, one of the two lines above it), the text is parsed again
//! after every repair, and the result is accepted only when it is a valid task with the same id
//! (and the same title, when the original's `title:` line can be read on its own). Line endings
//! (LF, CRLF or CR alone, as the YAML parser counts lines) are kept. A file that already loads
//! as the task needs no repair, whatever YAML features it uses (merge keys, anchors). Pure: the
//! caller reads and writes the file.
//!
//! 1. `tabs_to_spaces`: tab characters in the indentation of the line become two spaces each.
//! 2. `quote_reserved_scalar`: a plain value starting with a character YAML reserves
//!    (`` ` ``, `@`, `%`) is put in single quotes (a trailing ` # comment` stays outside).
//! 3. `reindent_stray_line`: a line inside a block sequence that is indented less than the item
//!    it continues is indented to the item's text column.

use super::RepairStep;
use crate::tasks::parse::{decode, parse_text};
use crate::tasks::yaml::{self, Yaml};

const MAX_STEPS: usize = 100;

/// What a repair attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// The text is a valid task after these steps, with the same id and title.
    Repaired {
        text: String,
        steps: Vec<RepairStep>,
    },
    /// The file is a valid task as it is.
    NotNeeded,
    /// Why the file cannot be repaired, with the steps that were tried.
    Refused { why: String, steps: Vec<RepairStep> },
}

/// One line without its line ending, and the ending (`\n`, `\r\n`, `\r`, or nothing at the end).
struct Line {
    text: String,
    ending: &'static str,
}

/// The lines of `text` as the YAML parser counts them: LF, CRLF and a lone CR each end one.
fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut rest = text;
    loop {
        let Some(at) = rest.find(['\n', '\r']) else {
            lines.push(Line {
                text: rest.to_string(),
                ending: "",
            });
            return lines;
        };
        let ending = if rest[at..].starts_with("\r\n") {
            "\r\n"
        } else if rest[at..].starts_with('\r') {
            "\r"
        } else {
            "\n"
        };
        lines.push(Line {
            text: rest[..at].to_string(),
            ending,
        });
        rest = &rest[at + ending.len()..];
    }
}

pub fn repair(original: &str, expected_id: &str) -> Repair {
    let mut lines = split_lines(original);
    let expected_title = top_level_scalar(&lines, "title");
    let mut steps = Vec::new();
    for _ in 0..MAX_STEPS {
        let text = join(&lines);
        let err = match yaml::parse(&text) {
            Ok(_) => return verify(expected_id, expected_title.as_deref(), text, steps),
            Err(err) => err,
        };
        let Some(line) = err.line.map(|l| l as usize) else {
            let why = format!("cannot repair: {} (no position)", err.message);
            return Repair::Refused { why, steps };
        };
        let mut texts: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
        let applied = tabs_to_spaces(&mut texts, line)
            .or_else(|| quote_reserved_scalar(&mut texts, line))
            .or_else(|| reindent_stray_line(&mut texts, line));
        let Some(step) = applied else {
            let why = format!(
                "cannot repair: line {line}: {} (none of the known repairs applies)",
                err.message
            );
            return Repair::Refused { why, steps };
        };
        for (l, t) in lines.iter_mut().zip(texts) {
            l.text = t;
        }
        steps.push(step);
    }
    let why = "cannot repair: too many problems".to_string();
    Repair::Refused { why, steps }
}

fn join(lines: &[Line]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&l.text);
        out.push_str(l.ending);
    }
    out
}

/// The text parses as YAML: it must also load as a task (read exactly as task files are) with
/// the expected id and, after repairs, the expected title.
fn verify(
    expected_id: &str,
    expected_title: Option<&str>,
    text: String,
    steps: Vec<RepairStep>,
) -> Repair {
    let task = match decode(text.as_bytes())
        .and_then(|(normalized, hash)| parse_text(&normalized, hash, "", 0.0))
    {
        Ok(task) => task,
        Err(failure) => {
            let why = format!("cannot repair: the YAML is valid but the task is not: {failure}");
            return Repair::Refused { why, steps };
        }
    };
    if task.id != expected_id {
        let why = format!(
            "refused: the repaired file has id {:?}, expected {expected_id:?}",
            task.id
        );
        return Repair::Refused { why, steps };
    }
    if steps.is_empty() {
        return Repair::NotNeeded;
    }
    // Only a title that can be read before the repairs can be compared (not one that comes
    // through a merge key or an alias, say).
    if let Some(expected_title) = expected_title
        && task.title != expected_title
    {
        let why = format!(
            "refused: the repaired file has title {:?}, expected {expected_title:?}",
            task.title
        );
        return Repair::Refused { why, steps };
    }
    Repair::Repaired { text, steps }
}

/// The value of a top-level `key:` line, read by the YAML parser (so quoting is honoured).
fn top_level_scalar(lines: &[Line], key: &str) -> Option<String> {
    let prefix = format!("{key}:");
    let line = lines.iter().find(|l| {
        l.text
            .strip_prefix('\u{feff}')
            .unwrap_or(&l.text)
            .starts_with(&prefix)
    })?;
    yaml::parse(&line.text)
        .ok()?
        .get(key)
        .and_then(Yaml::scalar_text)
        .filter(|value| !value.trim().is_empty())
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn step(repair: &str, index: usize) -> RepairStep {
    RepairStep {
        repair: repair.to_string(),
        line: index as u64 + 1,
    }
}

fn tabs_to_spaces(lines: &mut [String], line: usize) -> Option<RepairStep> {
    let index = line.checked_sub(1)?;
    let text = lines.get_mut(index)?;
    let ws_len = text.len() - text.trim_start_matches([' ', '\t']).len();
    if !text[..ws_len].contains('\t') {
        return None;
    }
    let fixed = text[..ws_len].replace('\t', "  ");
    *text = format!("{fixed}{}", &text[ws_len..]);
    Some(step("tabs_to_spaces", index))
}

fn quote_reserved_scalar(lines: &mut [String], line: usize) -> Option<RepairStep> {
    let index = line.checked_sub(1)?;
    let text = lines.get(index)?;
    let indent = indent_of(text);
    let body = &text[indent..];
    // The value starts after `- ` markers and after a `key: ` prefix.
    let mut value_at = indent;
    let mut rest = body;
    while let Some(after) = rest.strip_prefix("- ") {
        value_at += 2;
        rest = after;
    }
    if let Some(colon) = rest.find(": ")
        && !rest[..colon].contains(['`', '"', '\''])
    {
        let skip = colon + 2 + (rest[colon + 2..].len() - rest[colon + 2..].trim_start().len());
        value_at += skip;
        rest = &rest[skip..];
    }
    if !rest.starts_with(['`', '@', '%']) {
        return None;
    }
    let (value, comment) = match rest.find(" #") {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let quoted = format!("'{}'", value.trim_end().replace('\'', "''"));
    lines[index] = format!("{}{quoted}{comment}", &text[..value_at]);
    Some(step("quote_reserved_scalar", index))
}

fn reindent_stray_line(lines: &mut [String], line: usize) -> Option<RepairStep> {
    let last = line.checked_sub(1)?.min(lines.len().checked_sub(1)?);
    // The parser may notice the problem a line or two after the stray line.
    for index in (last.saturating_sub(2)..=last).rev() {
        let text = &lines[index];
        let trimmed = text.trim_start();
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("- ")
            || looks_like_key(trimmed)
        {
            continue;
        }
        let indent = indent_of(text);
        let Some(item_indent) = enclosing_item_indent(&lines[..index]) else {
            continue;
        };
        let content_column = item_indent + 2;
        if indent < content_column {
            lines[index] = format!("{}{trimmed}", " ".repeat(content_column));
            return Some(step("reindent_stray_line", index));
        }
    }
    None
}

/// `key:` or `key: value` — a structural line, never a stray continuation.
fn looks_like_key(trimmed: &str) -> bool {
    trimmed.split_once(':').is_some_and(|(key, rest)| {
        !key.is_empty()
            && !key.contains([' ', '`', '"', '\''])
            && (rest.is_empty() || rest.starts_with(' '))
    })
}

/// The indentation of the `- ` item that the line after `above` would continue: the nearest
/// item line above, when only its own continuation lines come between.
fn enclosing_item_indent(above: &[String]) -> Option<usize> {
    for text in above.iter().rev() {
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = indent_of(text);
        if trimmed.starts_with("- ") || trimmed == "-" {
            return Some(indent);
        }
        // A more-indented continuation of an item further up: keep looking.
        if indent == 0 {
            return None;
        }
    }
    None
}

#[cfg(test)]
#[path = "tests/repair.rs"]
mod tests;
