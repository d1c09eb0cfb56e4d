//! Standards excerpts (schemas §7): the section of a standards file under a heading, with its line
//! span and hash, cached under `.agent-output/<ID>/evidence/standards/` with an `index.json`, and
//! checked for freshness against the file as it is now.

use crate::standards::{headings, names_heading};
use crate::store::sha256_hex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The section name used for a citation of a whole file.
pub const WHOLE_FILE: &str = "document";

/// One extracted section (serialized without its body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Excerpt {
    /// Repo-relative path of the standards file.
    pub file: String,
    /// The section asked for, lowercased with spaces → `-` (`document` for the whole file).
    pub section: String,
    /// The heading that matched, as written in the file (empty for the whole file).
    pub heading: String,
    /// The first sentence of the first paragraph, at most 140 characters.
    pub requirement: String,
    /// `L<a>-L<b>`: 1-based, inclusive, first to last non-blank body line.
    pub line_span: String,
    /// First 16 hex characters of the body's SHA-256.
    pub content_sha: String,
    /// First 8 hex characters of the body's SHA-256.
    pub excerpt_id: String,
    /// The section's text, ending with a newline (empty when the section is).
    #[serde(skip)]
    pub body: String,
}

/// The section under the first heading matching `request` (compared in the schemas §7 normal
/// form — lowercase, spaces → `-`, `&` → `and` — or as a Markdown anchor), up to the next
/// heading of the same or a higher level.
pub fn extract(markdown: &str, file: &str, request: &str) -> Option<Excerpt> {
    let all = headings(markdown);
    let (i, start) = all
        .iter()
        .enumerate()
        .find(|(_, h)| names_heading(request, &h.text))?;
    let end = all[i + 1..]
        .iter()
        .find(|h| h.level <= start.level)
        .map_or(usize::MAX, |h| h.line);
    let section = request.trim().to_lowercase().replace(' ', "-");
    let mut excerpt = build(markdown, file, &section, start.line + 1, end);
    excerpt.heading = start.text.clone();
    Some(excerpt)
}

/// The whole file as one excerpt (for citations that name no section).
pub fn extract_document(markdown: &str, file: &str) -> Excerpt {
    build(markdown, file, WHOLE_FILE, 0, usize::MAX)
}

fn build(markdown: &str, file: &str, section: &str, from: usize, to: usize) -> Excerpt {
    let lines: Vec<&str> = markdown
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .collect();
    let to = to.min(lines.len());
    let mut start = from.min(to);
    let mut end = to;
    while start < end && lines[start].trim().is_empty() {
        start += 1;
    }
    while end > start && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    let mut body = lines[start..end].join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    let hash = sha256_hex(body.as_bytes());
    Excerpt {
        file: file.to_string(),
        section: section.to_string(),
        heading: String::new(),
        requirement: requirement(&body),
        line_span: format!("L{}-L{}", start + 1, end),
        content_sha: hash[..16].to_string(),
        excerpt_id: hash[..8].to_string(),
        body,
    }
}

/// The first sentence of the first paragraph that is not a heading, on one line, at most 140
/// characters.
fn requirement(body: &str) -> String {
    let paragraph = body
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or("");
    let flat = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = match flat.find(". ") {
        Some(at) => &flat[..=at],
        None => flat.as_str(),
    };
    sentence.chars().take(140).collect()
}

/// `evidence/standards/index.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExcerptIndex {
    pub excerpts: Vec<IndexEntry>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IndexEntry {
    /// The excerpt id (8 hex).
    pub id: String,
    pub file: String,
    pub section: String,
    pub content_sha: String,
    pub cached_at: String,
    /// File name relative to the index's directory.
    pub excerpt_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_span: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IndexEntry {
    pub fn of(excerpt: &Excerpt, cached_at: &str) -> IndexEntry {
        IndexEntry {
            id: excerpt.excerpt_id.clone(),
            file: excerpt.file.clone(),
            section: excerpt.section.clone(),
            content_sha: excerpt.content_sha.clone(),
            cached_at: cached_at.to_string(),
            excerpt_path: cache_name(excerpt),
            requirement: Some(excerpt.requirement.clone()),
            line_span: Some(excerpt.line_span.clone()),
            extra: Map::new(),
        }
    }
}

/// `<excerpt_id>-<file stem>-<section>.md`, with anything but `[a-z0-9-]` turned into `-`. The
/// stem is the file's path below `standards/` (`standards/web/testing.md` → `web-testing`), so
/// that two files of the same name in different directories never share a cached copy.
pub fn cache_name(excerpt: &Excerpt) -> String {
    let stem = excerpt
        .file
        .strip_prefix("standards/")
        .unwrap_or(&excerpt.file)
        .trim_end_matches(".md");
    let clean = |s: &str| -> String {
        s.to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!(
        "{}-{}-{}.md",
        excerpt.excerpt_id,
        clean(stem),
        clean(&excerpt.section)
    )
}

/// Whether an `excerpt_path` read from an index names a file directly in the index's directory
/// (a hand-edited or hostile index must never make the tool delete anything else).
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl ExcerptIndex {
    /// Add an excerpt, replacing the entry for the same file and section. Returns the cache
    /// file the replaced entry used when nothing uses it any more and it is a plain file name of
    /// this directory ([`is_plain_name`]): that copy can go.
    pub fn upsert(&mut self, entry: IndexEntry) -> Option<String> {
        match self
            .excerpts
            .iter_mut()
            .find(|e| e.file == entry.file && e.section == entry.section)
        {
            Some(existing) => {
                let old = std::mem::replace(existing, entry);
                self.unused(old.excerpt_path)
            }
            None => {
                self.excerpts.push(entry);
                None
            }
        }
    }

    /// `name`, if no entry uses it and it is a plain file name: a cached copy that can go.
    pub fn unused(&self, name: String) -> Option<String> {
        (is_plain_name(&name) && !self.excerpts.iter().any(|e| e.excerpt_path == name))
            .then_some(name)
    }
}

/// Why an excerpt no longer matches its standards file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Staleness {
    Fresh,
    FileMissing,
    SectionMissing,
    Changed,
    /// The cached copy is gone, or no longer the excerpt it stands for.
    CacheChanged,
}

impl Staleness {
    /// A few words for people.
    pub fn describe(self) -> &'static str {
        match self {
            Staleness::Fresh => "fresh",
            Staleness::FileMissing => "file gone",
            Staleness::SectionMissing => "section gone",
            Staleness::Changed => "section changed",
            Staleness::CacheChanged => "cached copy missing or edited",
        }
    }
}

/// Compare a cached excerpt with the standards file's current text (`None`: the file is gone).
pub fn freshness(entry: &IndexEntry, current: Option<&str>) -> Staleness {
    let Some(text) = current else {
        return Staleness::FileMissing;
    };
    let now = if entry.section == WHOLE_FILE {
        Some(extract_document(text, &entry.file))
    } else {
        extract(text, &entry.file, &entry.section)
    };
    match now {
        None => Staleness::SectionMissing,
        Some(e) if e.content_sha == entry.content_sha => Staleness::Fresh,
        Some(_) => Staleness::Changed,
    }
}

/// Whether a cached copy (`None`: gone) is still the excerpt its entry stands for.
pub fn cached_copy_matches(entry: &IndexEntry, cached: Option<&[u8]>) -> bool {
    cached.is_some_and(|bytes| sha256_hex(bytes).get(..16) == Some(entry.content_sha.as_str()))
}

#[cfg(test)]
#[path = "tests/excerpts.rs"]
mod tests;
