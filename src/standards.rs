//! Headings of Markdown standards files (schemas §7.1): finding a section by its heading text or
//! by a `#slug` anchor.

/// The largest standards file the tool reads (citations, excerpts, lint references): one
/// limit, so that init, attach, verify and lint agree about every file.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A Markdown ATX heading: 1–6 `#`, whitespace, text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: usize,
    pub text: String,
    /// 0-based line index.
    pub line: usize,
}

pub fn headings(markdown: &str) -> Vec<Heading> {
    markdown
        .split('\n')
        .enumerate()
        .filter_map(|(line, raw)| {
            let raw = raw.trim_end_matches('\r');
            let level = raw.chars().take_while(|c| *c == '#').count();
            let rest = &raw[level..];
            // A closing sequence of `#` (after a blank) is not part of the text.
            let text = rest.trim();
            let text = match text.trim_end_matches('#') {
                stripped if stripped.len() < text.len() && stripped.ends_with([' ', '\t']) => {
                    stripped.trim_end()
                }
                _ => text,
            };
            ((1..=6).contains(&level) && rest.starts_with([' ', '\t']) && !text.is_empty()).then(
                || Heading {
                    level,
                    text: text.to_string(),
                    line,
                },
            )
        })
        .collect()
}

/// The schemas §7.1 normal form: lowercase, each space → `-`, each `&` → `and`.
pub fn normalize(text: &str) -> String {
    text.to_lowercase().replace(' ', "-").replace('&', "and")
}

/// The anchor a Markdown renderer such as GitHub gives a heading: lowercase, punctuation dropped,
/// spaces → `-`.
pub fn anchor_slug(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Whether `request` (a section name or an anchor, without `#`) names the heading `text`: equal in
/// the schemas §7.1 normal form, or the heading's Markdown anchor.
pub fn names_heading(request: &str, text: &str) -> bool {
    let wanted = normalize(request.trim());
    normalize(text) == wanted || anchor_slug(text) == wanted
}

/// Whether `anchor` (without `#`) names a heading of `markdown` — the same lookup as the
/// excerpts of a context's citations.
pub fn has_anchor(markdown: &str, anchor: &str) -> bool {
    headings(markdown)
        .iter()
        .any(|h| names_heading(anchor, &h.text))
}

#[cfg(test)]
#[path = "tests/standards.rs"]
mod tests;
