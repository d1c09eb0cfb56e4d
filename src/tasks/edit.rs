//! The edits the lifecycle verbs make to a task file: the value of its top-level `status:` line
//! (contract D5), and a top-level text field beside it (`blocked_reason:` of `--block`). Every other byte survives — comments, key order, quoting, flow lists,
//! long lines, a BOM, CRLF or CR-only line endings. Pure. Values it cannot replace with certainty (block
//! scalars, tags, anchors, aliases, a flow mapping on the line) are refused, and the caller
//! checks the result by parsing both versions.

/// Why the status line could not be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

/// Replace the value of the top-level `status:` key with `new_status`, keeping the quoting style
/// and any trailing comment of the line.
pub fn set_status(text: &str, new_status: &str) -> Result<String, EditError> {
    let (start, end, _) = find_field(text, "status")?
        .ok_or_else(|| EditError("the file has no top-level `status:` line".into()))?;
    let old = &text[start..end];
    let replacement = match old.chars().next() {
        Some(q @ ('"' | '\'')) => format!("{q}{new_status}{q}"),
        _ => new_status.to_string(),
    };
    Ok(format!("{}{replacement}{}", &text[..start], &text[end..]))
}

/// Set the top-level text field `key` to `value`, written as a double-quoted scalar (any text
/// survives: quotes, `#`, a colon). An existing one-line value is replaced, its comment kept;
/// without one, the line `key: "value"` is inserted after the line of `after` (which must
/// exist), with the file's line ending.
pub fn set_text_field(
    text: &str,
    key: &str,
    value: &str,
    after: &str,
) -> Result<String, EditError> {
    // A JSON string is a valid YAML double-quoted scalar; a plain word needs no quotes.
    let rendered = if is_plain_word(value) {
        value.to_string()
    } else {
        serde_json::Value::String(value.to_string()).to_string()
    };
    if let Some((start, end, _)) = find_field(text, key)? {
        return Ok(format!("{}{rendered}{}", &text[..start], &text[end..]));
    }
    let (_, _, line_end) = find_field(text, after)?
        .ok_or_else(|| EditError(format!("the file has no top-level `{after}:` line")))?;
    let ending = if text[..line_end].ends_with("\r\n") {
        "\r\n"
    } else if text[..line_end].ends_with('\r') {
        "\r"
    } else {
        "\n"
    };
    // The line of `after` may be the last one, without a line break.
    let (head, tail) = text.split_at(line_end);
    let lead = if head.ends_with(['\n', '\r']) {
        ""
    } else {
        ending
    };
    Ok(format!("{head}{lead}{key}: {rendered}{ending}{tail}"))
}

/// A value YAML reads as the same text unquoted: a letter, then letters, digits, `-` and `_`,
/// and not a word YAML 1.1 takes for a boolean or null.
fn is_plain_word(value: &str) -> bool {
    const WORDS: [&str; 12] = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf", "infinity",
    ];
    value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !WORDS.contains(&value.to_ascii_lowercase().as_str())
}

/// The value span of the top-level `key:` line and the end of that line (after its line
/// break); `None` when there is none. Two such lines, or a value that is not a one-line scalar,
/// are an error.
fn find_field(text: &str, key: &str) -> Result<Option<(usize, usize, usize)>, EditError> {
    let mut offset = 0;
    let mut found: Option<(usize, usize, usize)> = None;
    let prefix = format!("{key}:");
    // A lone CR ends a line too (YAML counts it as a line break); a CRLF gives an extra "\n"
    // piece, which is no field line.
    let mut pieces = text.split_inclusive(['\n', '\r']).peekable();
    while let Some(line) = pieces.next() {
        let body = line.strip_prefix('\u{feff}').unwrap_or(line);
        let bom = line.len() - body.len();
        let mut line_end = offset + line.len();
        if line.ends_with('\r') && pieces.peek() == Some(&"\n") {
            line_end += 1;
        }
        if let Some(rest) = body.strip_prefix(prefix.as_str())
            && (rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        {
            if found.is_some() {
                return Err(EditError(format!(
                    "the file has more than one top-level {key} line"
                )));
            }
            let (start, end) = value_span(rest)?;
            let base = offset + bom + prefix.len();
            found = Some((base + start, base + end, line_end));
        }
        offset += line.len();
    }
    Ok(found)
}

/// Byte span of the value in what follows `status:` on its line (quotes included). After the
/// value only blanks and a comment may follow.
fn value_span(rest: &str) -> Result<(usize, usize), EditError> {
    let refuse = |why: &str| Err(EditError(format!("the value {why}")));
    let line_end = rest.find(['\r', '\n']).unwrap_or(rest.len());
    let line = &rest[..line_end];
    let start = line.len() - line.trim_start_matches([' ', '\t']).len();
    let value = &line[start..];
    let len = match value.chars().next() {
        None => return refuse("is not on its key's line"),
        Some('#') => return refuse("is not on its key's line"),
        Some('|' | '>') => return refuse("is a block scalar"),
        Some('&' | '!' | '*') => return refuse("has an anchor, a tag or an alias"),
        Some('{' | '[') => return refuse("is a flow collection"),
        Some('"') => match closing_double_quote(value) {
            Some(len) => len,
            None => return refuse("has an unterminated quote"),
        },
        Some('\'') => match closing_single_quote(value) {
            Some(len) => len,
            None => return refuse("has an unterminated quote"),
        },
        Some(_) => plain_len(value),
    };
    let tail = &value[len..];
    let after_blanks = tail.trim_start_matches([' ', '\t']);
    let only_blanks_or_comment = tail.is_empty()
        || (after_blanks.len() < tail.len()
            && (after_blanks.is_empty() || after_blanks.starts_with('#')));
    if !only_blanks_or_comment {
        return refuse("is followed by more than a comment");
    }
    Ok((start, start + len))
}

/// A plain scalar ends at a comment (`#` after a blank) or the end of the line; trailing blanks
/// are not part of it.
fn plain_len(value: &str) -> usize {
    let bytes = value.as_bytes();
    let comment = (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
        .unwrap_or(bytes.len());
    value[..comment].trim_end_matches([' ', '\t']).len()
}

/// Length of a double-quoted scalar including its quotes (escapes skipped).
fn closing_double_quote(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Length of a single-quoted scalar including its quotes (`''` is an escaped quote).
fn closing_single_quote(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
#[path = "tests/edit.rs"]
mod tests;
