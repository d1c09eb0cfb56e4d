//! A fast path for the YAML that task files are written in. Parsing a 5 KB task file with the
//! full parser takes ~80 µs, most of a run without a cache (docs/performance.md). Task files use
//! a small part of YAML: block mappings and sequences, one-line plain and quoted scalars, one-line
//! flow sequences, block scalars (`|`, `>`) and comments. [`top_level`] reads documents made only
//! of those, line by line, and answers `None` for anything else, which then goes to the full
//! parser ([`super::yaml::parse_top_level`]).
//!
//! The rule that keeps it correct: it answers only for documents it *fully* checked, and then
//! gives exactly what the full parser gives. So it never reports an error (errors, with their
//! positions, always come from the full parser), it refuses whatever it is unsure of (tabs,
//! control characters, anchors, tags, multi-line plain or quoted scalars, escapes, explicit
//! indentation indicators, flow mappings, nested flow collections, odd keys, duplicate keys at any
//! level, numbers other than plain decimal integers), and builds values only for the kept keys
//! (their block scalars and nested mappings are refused too). A differential test compares it with
//! the full parser on the fixtures and on thousands of mutated documents.

use super::yaml::{TopLevel, Yaml};

/// Nesting deeper than this is left to the full parser (and its budget of 64).
const MAX_DEPTH: usize = 32;
/// Documents with more nodes than this are left to the full parser (whose budget is 250,000: a
/// file under the 1 MB limit can exceed it).
const MAX_NODES: usize = 100_000;
/// Longer keys are left to the full parser (which looks at most 1,024 characters ahead for the
/// `:` of a key).
const MAX_KEY_BYTES: usize = 256;

/// The kept top-level values of `text`, or `None` when the document is not one this reader
/// checks fully (then the full parser decides).
pub fn top_level(text: &str, keep: fn(&str) -> bool) -> Option<TopLevel> {
    if !text.chars().all(allowed) {
        return None;
    }
    let mut reader = Reader {
        lines: text.split('\n').map(Line::new).collect(),
        at: 0,
        nodes: 0,
    };
    // An optional `---` before the first node (comments may precede it).
    reader.skip_insignificant();
    if reader
        .peek()
        .is_some_and(|l| l.indent == 0 && l.rest == "---")
    {
        reader.at += 1;
    }
    reader.skip_insignificant();
    let first = reader.peek()?;
    if first.indent != 0 {
        return None;
    }
    let entries = reader.mapping(0, 0, Some(keep))?;
    reader.skip_insignificant();
    // Everything must have been read, and the document must be a mapping with entries.
    if reader.at < reader.lines.len() || entries.is_empty() {
        return None;
    }
    Some(TopLevel::Map(
        entries
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect(),
    ))
}

/// Characters the reader accepts anywhere: printable ones and the newline. A tab, a control
/// character, a byte-order mark or an odd line separator sends the document to the full parser.
fn allowed(c: char) -> bool {
    match c {
        '\n' => true,
        ' '..='~' => true,
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{A0}' => false,
        '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}' => false,
        _ => true,
    }
}

/// One line: its indentation (spaces) and the rest.
#[derive(Clone, Copy)]
struct Line<'t> {
    indent: usize,
    rest: &'t str,
}

impl<'t> Line<'t> {
    fn new(raw: &'t str) -> Line<'t> {
        let rest = raw.trim_start_matches(' ');
        Line {
            indent: raw.len() - rest.len(),
            rest,
        }
    }

    /// Blank, or only a comment.
    fn insignificant(&self) -> bool {
        self.rest.trim_end_matches(' ').is_empty() || self.rest.starts_with('#')
    }
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    at: usize,
    /// Nodes seen so far (collections, keys, scalars; flow items counted generously).
    nodes: usize,
}

/// A value as the reader saw it: built (`Some`) for kept keys, only checked (`None`) otherwise.
type Value = Option<Yaml>;

impl<'t> Reader<'t> {
    /// Count `n` more nodes; `None` once there are too many for this reader.
    fn count(&mut self, n: usize) -> Option<()> {
        self.nodes += n;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// [`one_line`], its nodes counted.
    fn one_line(&mut self, text: &str, build: bool) -> Option<Value> {
        let items = if text.starts_with('[') {
            text.matches(',').count() + 1
        } else {
            0
        };
        self.count(1 + items)?;
        one_line(text, build)
    }

    fn peek(&self) -> Option<Line<'t>> {
        self.lines.get(self.at).copied()
    }

    fn skip_insignificant(&mut self) {
        while self.peek().is_some_and(|l| l.insignificant()) {
            self.at += 1;
        }
    }

    /// The next significant line, without moving past it.
    fn next_significant(&mut self) -> Option<Line<'t>> {
        self.skip_insignificant();
        self.peek()
    }

    /// A block mapping whose entries sit at `indent`, starting at the current line. `keep`
    /// decides which values are built (only at the top level); below it nothing is built unless
    /// `build` says the whole value is kept. Returns the entries with their values (`None` when
    /// not built), or `None` when the reader cannot vouch for the mapping.
    fn mapping(
        &mut self,
        indent: usize,
        depth: usize,
        keep: Option<fn(&str) -> bool>,
    ) -> Option<Vec<(String, Value)>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.count(1)?;
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut keys = Keys::default();
        while let Some(line) = self.next_significant() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let (key, after) = split_key(line.rest)?;
            if !keys.insert(key) {
                return None;
            }
            self.count(1)?;
            self.at += 1;
            let build = keep.is_some_and(|keep| keep(key));
            let value = self.value_after(indent, after, depth, build)?;
            entries.push((key.to_string(), value));
        }
        Some(entries)
    }

    /// The value of an entry whose key (or `-`) sits at `indent`, `after` being what follows it
    /// on its line.
    fn value_after(
        &mut self,
        indent: usize,
        after: &'t str,
        depth: usize,
        build: bool,
    ) -> Option<Value> {
        let inline = strip_comment(after)?;
        if inline.is_empty() {
            // The value is on the following lines: a nested block, a sequence at the same
            // indentation (allowed under a mapping key), or nothing (null).
            return match self.next_significant() {
                Some(next) if next.indent > indent => self.block(next.indent, depth + 1, build),
                Some(next) if next.indent == indent && is_item(next.rest) => {
                    self.sequence(indent, depth + 1, build)
                }
                _ => {
                    self.count(1)?;
                    Some(build.then_some(Yaml::Null))
                }
            };
        }
        if inline.starts_with(['|', '>']) {
            return self.block_scalar(inline, indent, build);
        }
        let value = self.one_line(inline, build)?;
        // A more indented line after a one-line value would continue it (a multi-line scalar)
        // or be an error: either way, not for this reader.
        if self.next_significant().is_some_and(|l| l.indent > indent) {
            return None;
        }
        Some(value)
    }

    /// A block node at `indent` (a mapping or a sequence), starting at the current line.
    fn block(&mut self, indent: usize, depth: usize, build: bool) -> Option<Value> {
        let line = self.next_significant()?;
        if is_item(line.rest) {
            return self.sequence(indent, depth, build);
        }
        if build {
            // A kept key holding a mapping: rare; the full parser builds it.
            return None;
        }
        self.mapping(indent, depth, None)?;
        Some(None)
    }

    /// A block sequence whose `-` sit at `indent`.
    fn sequence(&mut self, indent: usize, depth: usize, build: bool) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.count(1)?;
        let mut items = Vec::new();
        while let Some(line) = self.next_significant() {
            // A line at the sequence's indentation that is not an item ends it (a sequence
            // under a mapping key may sit at the key's indentation); the caller judges it.
            if line.indent < indent || (line.indent == indent && !is_item(line.rest)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let after = &line.rest[1..];
            let content = after.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                // `-` alone: the item is on the following lines, or null.
                self.at += 1;
                if !after.is_empty() && !after.starts_with(' ') {
                    return None;
                }
                let item = match self.next_significant() {
                    Some(next) if next.indent > indent => {
                        if build {
                            return None;
                        }
                        self.block(next.indent, depth + 1, false)?
                    }
                    _ => {
                        self.count(1)?;
                        build.then_some(Yaml::Null)
                    }
                };
                items.push(item);
                continue;
            }
            // `- content`: the content is a node indented by the dash and the spaces after it
            // (a compact mapping or sequence continues at that indentation).
            let inner = indent + 1 + (after.len() - content.len());
            if is_item(content) || split_key(content).is_some() {
                if build {
                    return None;
                }
                self.lines[self.at] = Line {
                    indent: inner,
                    rest: content,
                };
                self.block(inner, depth + 1, false)?;
                items.push(None);
                continue;
            }
            self.at += 1;
            if content.starts_with(['|', '>']) {
                // Conservatively, its content must be indented past the item's content column.
                items.push(self.block_scalar(content, indent + 1, build)?);
                continue;
            }
            let item = self.one_line(strip_comment(content)?, build)?;
            if self.next_significant().is_some_and(|l| l.indent > indent) {
                return None;
            }
            items.push(item);
        }
        if items.is_empty() {
            return None;
        }
        Some(build.then(|| Yaml::Seq(items.into_iter().map(|i| i.unwrap_or(Yaml::Null)).collect())))
    }

    /// A block scalar whose header (`|` or `>`, with an optional chomping indicator) has been
    /// read and whose parent sits at `parent`: only checked, never built (a kept key holding one,
    /// or an explicit indentation indicator, goes to the full parser).
    fn block_scalar(&mut self, header: &str, parent: usize, build: bool) -> Option<Value> {
        if build || !matches!(header, "|" | "|-" | "|+" | ">" | ">-" | ">+") {
            return None;
        }
        self.count(1)?;
        self.block_scalar_lines(parent)?;
        Some(None)
    }

    /// The content lines of a block scalar whose parent sits at `parent` (only checked): every
    /// line up to the first non-blank one indented at most `parent`.
    fn block_scalar_lines(&mut self, parent: usize) -> Option<()> {
        // The content's indentation is that of its first non-blank line. A blank line before it
        // that is longer than that is an error in YAML: refused here.
        let start = self.at;
        let mut content_indent = None;
        let mut longest_blank = 0;
        for line in &self.lines[start..] {
            if line.rest.is_empty() {
                longest_blank = longest_blank.max(line.indent);
                continue;
            }
            content_indent = Some(line.indent);
            break;
        }
        let Some(content) = content_indent.filter(|&c| c > parent) else {
            // Empty block scalar: only blank lines (kept short) until a line at the parent's
            // level or less.
            if longest_blank > parent {
                return None;
            }
            return Some(());
        };
        if longest_blank > content {
            return None;
        }
        while let Some(line) = self.peek() {
            if line.rest.is_empty() || line.indent >= content {
                self.at += 1;
                continue;
            }
            break;
        }
        // Trailing blank lines belong to the scalar; a following line less indented than the
        // content but more than the parent would be an error (or another node): refused.
        if self.next_significant().is_some_and(|l| l.indent > parent) {
            return None;
        }
        Some(())
    }
}

/// The keys of one mapping, to refuse a duplicate: a short list, a hash set past a few (a file
/// with thousands of keys in one mapping must not be quadratic).
#[derive(Default)]
struct Keys<'t> {
    few: Vec<&'t str>,
    many: Option<foldhash::HashSet<&'t str>>,
}

impl<'t> Keys<'t> {
    /// False when `key` was already there.
    fn insert(&mut self, key: &'t str) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() > 16 {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

/// `- ` or a lone `-`: a sequence item.
fn is_item(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ") || rest.starts_with("-#")
}

/// A mapping entry's key and what follows its `:`. Keys are plain words (a letter or `_` first,
/// then letters, digits, `_`, `-`, `.`, `/` and single inner spaces), and never a word YAML
/// reads as null or a boolean. Anything else is refused.
fn split_key(rest: &str) -> Option<(&str, &str)> {
    let colon = rest.find(':')?;
    let (key, after) = (&rest[..colon], &rest[colon + 1..]);
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    if key.len() > MAX_KEY_BYTES {
        return None;
    }
    let mut chars = key.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
        || key.ends_with(' ')
        || key.contains("  ")
        || key.contains(" #")
    {
        return None;
    }
    if matches!(
        key.to_ascii_lowercase().as_str(),
        "null" | "true" | "false" | "y" | "n" | "yes" | "no" | "on" | "off"
    ) {
        return None;
    }
    Some((key, after))
}

/// The value text of a line once a trailing comment (` #…`) is removed and the ends trimmed.
/// Quoted values keep their `#`s; a line whose quotes do not close on it is refused.
fn strip_comment(text: &str) -> Option<&str> {
    let text = text.trim_matches(' ');
    let end = match text.as_bytes().first() {
        Some(b'"' | b'\'') => {
            let quote = text.as_bytes()[0];
            let close = closing_quote(text, quote)?;
            let tail = text[close + 1..].trim_start_matches(' ');
            if !(tail.is_empty() || tail.starts_with('#') && text[close + 1..].starts_with(' ')) {
                return None;
            }
            close + 1
        }
        Some(b'[') => {
            let close = text.find(']')?;
            let tail = &text[close + 1..];
            let trimmed = tail.trim_start_matches(' ');
            if !(trimmed.is_empty() || trimmed.starts_with('#') && tail.starts_with(' ')) {
                return None;
            }
            close + 1
        }
        _ => text.find(" #").unwrap_or(text.len()),
    };
    Some(text[..end].trim_end_matches(' '))
}

/// Where the quote that closes `text` (which opens with `quote`) is. In single quotes `''` is an
/// escaped quote; double-quoted text with a backslash is refused (escapes are the full parser's).
fn closing_quote(text: &str, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => return None,
            b if b == quote => {
                if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Some(i);
            }
            _ => i += 1,
        }
    }
    None
}

/// A one-line value (comment already removed): a quoted or plain scalar, or a flow sequence of
/// them. Built as the full parser builds it when `build`; `None` when refused.
fn one_line(text: &str, build: bool) -> Option<Value> {
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        let mut items = Vec::new();
        if !inner.trim_matches(' ').is_empty() {
            for item in inner.split(',') {
                let item = item.trim_matches(' ');
                if item.is_empty() || item.contains(['[', ']', '{', '}', '#']) {
                    return None;
                }
                if item.contains(':') && !item.starts_with(['\'', '"']) {
                    return None;
                }
                items.push(scalar(item, build)?);
            }
        }
        return Some(build.then(|| Yaml::Seq(items.into_iter().flatten().collect())));
    }
    scalar(text, build)
}

/// A one-line scalar: single- or double-quoted (no escapes) or plain.
fn scalar(text: &str, build: bool) -> Option<Value> {
    match text.as_bytes().first() {
        None => return Some(build.then_some(Yaml::Null)),
        Some(&quote @ (b'"' | b'\'')) => {
            let close = closing_quote(text, quote)?;
            if close != text.len() - 1 {
                return None;
            }
            let inner = &text[1..close];
            let value = if quote == b'\'' {
                inner.replace("''", "'")
            } else {
                inner.to_string()
            };
            return Some(build.then_some(Yaml::Str(value)));
        }
        Some(_) => {}
    }
    // Plain: not starting with an indicator, no `: ` or ` #` inside, no `:` at the end.
    // A `-` starts a plain scalar (`-5`, `-x`) unless it is alone or followed by a space.
    let indicator = match text.chars().next()? {
        '-' => text == "-" || text.starts_with("- "),
        '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '%' | '@'
        | '`' => true,
        _ => false,
    };
    if indicator {
        return None;
    }
    if text.contains(": ") || text.ends_with(':') || text.contains(" #") || text.starts_with("---")
    {
        return None;
    }
    if !build {
        return Some(None);
    }
    resolve(text).map(Some)
}

/// A plain scalar as YAML 1.2's core schema reads it (with booleans strict): null, a boolean,
/// a plain decimal integer, or a string. Anything else that could be a number is refused.
fn resolve(text: &str) -> Option<Yaml> {
    match text {
        "~" | "null" => return Some(Yaml::Null),
        "true" => return Some(Yaml::Bool(true)),
        "false" => return Some(Yaml::Bool(false)),
        // Other spellings YAML schemas read as null or booleans: the full parser decides.
        _ if matches!(
            text.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "y" | "n" | "yes" | "no" | "on" | "off"
        ) =>
        {
            return None;
        }
        _ => {}
    }
    let first = text.chars().next()?;
    if first.is_ascii_digit() || matches!(first, '+' | '-' | '.') {
        let plain_integer = text.bytes().all(|b| b.is_ascii_digit())
            && (text == "0" || !text.starts_with('0'))
            && text.len() <= 18;
        return plain_integer
            .then(|| text.parse::<i128>().ok().map(Yaml::Int))
            .flatten();
    }
    Some(Yaml::Str(text.to_string()))
}

#[cfg(test)]
#[path = "tests/fastyaml.rs"]
mod tests;
