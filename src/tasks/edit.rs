//! The one edit the lifecycle verbs make to a task file: the value of its top-level `status:`
//! line (contract D5). Every other byte survives — comments, key order, quoting, flow lists,
//! long lines, a BOM, CRLF line endings. Pure.

/// Why the status line could not be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

/// Replace the value of the top-level `status:` key with `new_status`, keeping the quoting style
/// and any trailing comment of the line.
pub fn set_status(text: &str, new_status: &str) -> Result<String, EditError> {
    let mut offset = 0;
    let mut found: Option<(usize, usize)> = None;
    for line in text.split_inclusive('\n') {
        let body = line.strip_prefix('\u{feff}').unwrap_or(line);
        let bom = line.len() - body.len();
        if let Some(rest) = body.strip_prefix("status:")
            && (rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        {
            if found.is_some() {
                return Err(EditError(
                    "the file has more than one top-level status line".into(),
                ));
            }
            let (start, end) = value_span(rest).ok_or_else(|| {
                EditError("the top-level status line has no value to replace".into())
            })?;
            let base = offset + bom + "status:".len();
            found = Some((base + start, base + end));
        }
        offset += line.len();
    }
    let (start, end) =
        found.ok_or_else(|| EditError("the file has no top-level `status:` line".into()))?;
    let old = &text[start..end];
    let replacement = match old.chars().next() {
        Some(q @ ('"' | '\'')) => format!("{q}{new_status}{q}"),
        _ => new_status.to_string(),
    };
    Ok(format!("{}{replacement}{}", &text[..start], &text[end..]))
}

/// Byte span of the value in what follows `status:` on its line (quotes included).
fn value_span(rest: &str) -> Option<(usize, usize)> {
    let line_end = rest.find(['\r', '\n']).unwrap_or(rest.len());
    let line = &rest[..line_end];
    let start = line.len() - line.trim_start_matches([' ', '\t']).len();
    let value = &line[start..];
    if value.is_empty() || value.starts_with('#') {
        return None;
    }
    let len = match value.chars().next() {
        Some(q @ ('"' | '\'')) => value[1..].find(q).map(|close| close + 2)?,
        _ => {
            let before_comment = value.find(" #").unwrap_or(value.len());
            value[..before_comment].trim_end().len()
        }
    };
    Some((start, start + len))
}

#[cfg(test)]
#[path = "tests/edit.rs"]
mod tests;
