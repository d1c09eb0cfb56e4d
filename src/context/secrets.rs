//! The secret scan run before anything is written to a context (spec 02 §9): a string that
//! looks like a credential stops `--init-context`, `--rebuild-context`, `--update-agent` and
//! `--mark-blocked` with E012 unless `--force-secrets` is given.

use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// (name, pattern, needles), checked in this order. A match of the pattern contains one of its
/// needles: a string with none of them is passed without running (or even compiling) the
/// regular expressions, which cost a tenth of a millisecond to build in every command that
/// scans.
const PATTERNS: [(&str, &str, &[&str]); 6] = [
    ("AWS access key", r"AKIA[0-9A-Z]{16}", &["AKIA"]),
    (
        "Stripe live key",
        r"sk_live_[a-zA-Z0-9]{24,}",
        &["sk_live_"],
    ),
    (
        "JWT token",
        r"eyJ[a-zA-Z0-9_-]+\.eyJ[a-zA-Z0-9_-]+\.",
        &["eyJ"],
    ),
    (
        "GitHub token",
        r"gh[pousr]_[a-zA-Z0-9]{36,}",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    ),
    ("GitLab token", r"glpat-[a-zA-Z0-9_-]{20,}", &["glpat-"]),
    (
        "private key",
        r"-----BEGIN (RSA|DSA|EC|OPENSSH|) ?PRIVATE KEY-----",
        &["PRIVATE KEY-----"],
    ),
];

static COMPILED: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .filter_map(|(name, pattern, _)| Regex::new(pattern).ok().map(|re| (*name, re)))
        .collect()
});

/// The kind of secret `text` looks like, if any (the first pattern that matches).
fn kind_of(text: &str) -> Option<&'static str> {
    let needed = PATTERNS
        .iter()
        .any(|(_, _, needles)| needles.iter().any(|n| text.contains(n)));
    if !needed {
        return None;
    }
    COMPILED
        .iter()
        .find(|(_, re)| re.is_match(text))
        .map(|(kind, _)| *kind)
}

/// A string that looks like a secret: which kind, and where (a JSON-pointer-like path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub kind: &'static str,
    pub path: String,
}

/// The first secret-looking string among the values of `data` (depth first, in order; mapping
/// keys are not scanned).
pub fn scan(data: &Value) -> Option<Hit> {
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), data)];
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::String(s) => {
                if let Some(kind) = kind_of(s) {
                    return Some(Hit { kind, path });
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((format!("{path}/{i}"), item));
                }
            }
            Value::Object(map) => {
                let entries: Vec<_> = map.iter().collect();
                for (k, v) in entries.into_iter().rev() {
                    stack.push((format!("{path}/{k}"), v));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
#[path = "tests/secrets.rs"]
mod tests;
