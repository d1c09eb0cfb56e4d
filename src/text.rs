//! Text from task and state files made safe to print, and cut for display. Used by the domain
//! modules and by the output layer alike (so it sits below both).

use std::borrow::Cow;

/// The first of the private-use characters the output layer uses as paint markers (see
/// `output::Paint`); content can never carry them: [`field`] escapes them.
pub(crate) const PAINT_START: u32 = 0xE000;

pub(crate) fn is_marker(c: char) -> bool {
    (PAINT_START..=PAINT_START + 0xF).contains(&(c as u32))
}

/// One value from a task or state file inside a line of text output (a title, a path, a status):
/// every control character is escaped — `\n`, `\t`, `\r`, `\x1b`, `\u{9b}` — and so are the
/// bidirectional overrides, so that a value can neither start a line or a column of its own
/// nor send commands to the terminal.
pub fn field(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// Everything written as text (stdout and stderr): control characters other than line breaks
/// and tabs are escaped as in [`field`] (contract D9: terminal escape sequences from a task file
/// never reach the terminal). JSON output needs no such step: serde escapes control characters.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

fn is_special(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Special in a value: also the paint markers (content never paints).
fn is_special_in_field(c: char) -> bool {
    is_special(c) || is_marker(c)
}

fn escape(text: &str, field: bool) -> Cow<'_, str> {
    let special = |c: char| {
        if field {
            is_special_in_field(c)
        } else {
            is_special(c)
        }
    };
    let keep = |c: char, next: Option<&char>| {
        !field && (c == '\n' || c == '\t' || (c == '\r' && next == Some(&'\n')))
    };
    // Fast path: most text has nothing to escape. Printable ASCII is checked byte by byte;
    // from the first other byte on, character by character.
    let ascii_clean = text
        .bytes()
        .position(|b| !(0x20..0x7f).contains(&b) && (field || (b != b'\n' && b != b'\t')))
        .unwrap_or(text.len());
    // Everything before `ascii_clean` is ASCII, so it is a character boundary.
    let mut probe = text[ascii_clean..].chars().peekable();
    let mut clean = true;
    while let Some(c) = probe.next() {
        if special(c) && !keep(c, probe.peek()) {
            clean = false;
            break;
        }
    }
    if clean {
        return Cow::Borrowed(text);
    }
    let mut chars = text.chars().peekable();
    let mut out = String::with_capacity(text.len() + 8);
    while let Some(c) = chars.next() {
        if !special(c) || keep(c, chars.peek()) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// The first `n` characters of `text` (a commit id, a hash) for display; never splits a
/// character, whatever the text holds.
pub fn prefix(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// `text` cut to `max` characters for a line or a table cell, an ellipsis marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", prefix(text, max.saturating_sub(1)))
    }
}

#[cfg(test)]
#[path = "tests/text.rs"]
mod tests;
