//! Text normalization "1.0.0": the exact rewrite the reference Python tool applies to multi-line
//! task text before it lands in the context cache. Its output is hashed and compared across
//! tools, so every step mirrors a Python primitive (`str.strip`, `re.match`, `str.expandtabs`,
//! `textwrap.fill`) rather than a Rust near-equivalent.

use regex::Regex;
use std::sync::LazyLock;

/// Version of the normalization rules; bump it whenever the output for some input changes.
pub const NORMALIZATION_VERSION: &str = "1.0.0";

/// `textwrap.fill(width=...)` of the reference tool.
const WRAP_WIDTH: usize = 120;

/// `str.expandtabs()` default tab size.
const TAB_SIZE: usize = 8;

/// `^\s*[-*\d]+[.)]?\s` with Python's `\s`, which (unlike the regex crate's) also matches the
/// separators U+001C..U+001F.
static BULLET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\s\x1C-\x1F]*[-*\d]+[.)]?[\s\x1C-\x1F]").expect("bullet pattern is valid")
});

/// Normalize multi-line text: unify newlines, drop comment and blank lines, then either keep
/// the line structure (`preserve = true`) or reflow to 120 columns like Python's
/// `textwrap.fill` (`preserve = false`, "wrapping mode"; bulleted text is kept verbatim).
/// The result always ends with exactly one LF.
pub fn normalize_multiline(text: &str, preserve: bool) -> String {
    let paragraph = kept_lines(&unify_newlines(text)).join("\n");
    let body = if preserve || is_bullet(&paragraph) {
        paragraph
    } else {
        fill(&paragraph)
    };
    // Only LFs are stripped: trailing spaces are content in preserve mode.
    let mut out = body.trim_end_matches('\n').to_string();
    out.push('\n');
    out
}

/// CRLF first, so that it becomes one LF rather than two.
fn unify_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The lines that are neither comments nor blank. Splitting is on LF only (not Python's
/// `splitlines`), so other line separators stay inside their line.
fn kept_lines(text: &str) -> Vec<&str> {
    text.split('\n')
        .filter(|line| {
            let stripped = python_strip(line);
            !stripped.is_empty() && !stripped.starts_with('#')
        })
        .collect()
}

/// Python's `str.strip()` with no argument.
fn python_strip(text: &str) -> &str {
    text.trim_matches(python_isspace)
}

/// Python's `str.isspace()` for one character: Unicode White_Space plus the information
/// separators U+001C..U+001F, which Python counts as whitespace and Rust does not.
fn python_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Whether wrapping mode must keep the paragraph verbatim: reflowing would merge list items.
/// The reference's pattern is loose on purpose (`12 monkeys` counts), and we match it as is.
fn is_bullet(paragraph: &str) -> bool {
    BULLET.is_match(paragraph)
}

/// `textwrap.fill(paragraph, width=120, break_long_words=False, break_on_hyphens=False)`.
fn fill(paragraph: &str) -> String {
    let text = whitespace_to_spaces(&expand_tabs(paragraph));
    wrap_chunks(&split_chunks(&text)).join("\n")
}

/// Python's `str.expandtabs(8)`: columns count code points and restart after LF or CR.
fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let pad = TAB_SIZE - column % TAB_SIZE;
                out.extend(std::iter::repeat_n(' ', pad));
                column += pad;
            }
            '\n' | '\r' => {
                out.push(c);
                column = 0;
            }
            _ => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

/// textwrap's `_whitespace`: the only characters it treats as breakable whitespace. Unicode
/// spaces such as U+00A0 are word characters to it.
fn is_wrap_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ')
}

/// textwrap's `replace_whitespace`: each whitespace character becomes one space, so runs keep
/// their length.
fn whitespace_to_spaces(text: &str) -> String {
    text.chars()
        .map(|c| if is_wrap_space(c) { ' ' } else { c })
        .collect()
}

/// textwrap's `wordsep_simple_re` split: maximal runs of whitespace and of non-whitespace,
/// alternating, none empty.
fn split_chunks(text: &str) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (at, c) in text.char_indices() {
        let space = is_wrap_space(c);
        if in_space.is_some_and(|previous| previous != space) {
            chunks.push(&text[start..at]);
            start = at;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        chunks.push(&text[start..]);
    }
    chunks
}

/// textwrap's `_wrap_chunks` with `drop_whitespace=True` and `break_long_words=False`.
fn wrap_chunks(chunks: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut next = 0;
    while next < chunks.len() {
        // Python tests "has a line been emitted", not "is this the first pass": a first pass
        // that emits nothing keeps leading whitespace eligible for the next one.
        if !lines.is_empty() && is_blank(chunks[next]) {
            next += 1;
        }
        let mut line: Vec<&str> = Vec::new();
        let mut length = 0;
        while let Some(chunk) = chunks.get(next) {
            let size = code_points(chunk);
            if length + size > WRAP_WIDTH {
                break;
            }
            line.push(chunk);
            length += size;
            next += 1;
        }
        // Nothing fit although chunks remain: the next chunk alone exceeds the width, and
        // since long words are never broken it takes a line of its own.
        if line.is_empty()
            && let Some(chunk) = chunks.get(next)
        {
            line.push(chunk);
            next += 1;
        }
        if line.last().is_some_and(|chunk| is_blank(chunk)) {
            line.pop();
        }
        if !line.is_empty() {
            lines.push(line.concat());
        }
    }
    lines
}

/// textwrap drops a chunk when `chunk.strip() == ''`, which also holds for a word made only
/// of Unicode spaces (e.g. a lone U+00A0), not just for the whitespace chunks.
fn is_blank(chunk: &str) -> bool {
    python_strip(chunk).is_empty()
}

/// Python's `len()` of a string.
fn code_points(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
#[path = "tests/normalize.rs"]
mod tests;
