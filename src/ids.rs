//! Identifier rules (contract D5): `^[A-Z][A-Z0-9]*-[0-9]+[A-Z0-9]*$`, checked before any path is
//! built from an id.

use crate::error::{Error, ErrorCode, Result};

/// The pattern, for messages and docs.
pub const ID_PATTERN: &str = "^[A-Z][A-Z0-9]*-[0-9]+[A-Z0-9]*$";

/// True when `id` matches [`ID_PATTERN`] (e.g. `TASK-0001`, `TASK-0911G`).
pub fn is_valid_id(id: &str) -> bool {
    // Byte by byte: every character the pattern allows is ASCII, so any other byte fails it
    // (checked for every cached task on every warm run).
    let bytes = id.as_bytes();
    let Some(dash) = bytes.iter().position(|&b| b == b'-') else {
        return false;
    };
    let (prefix, rest) = (&bytes[..dash], &bytes[dash + 1..]);
    let upper_or_digit = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    prefix.first().is_some_and(u8::is_ascii_uppercase)
        && prefix[1..].iter().all(upper_or_digit)
        && digits > 0
        && rest[digits..].iter().all(upper_or_digit)
}

/// Validate an id given on the command line: E002 naming the option when it is malformed.
pub fn check_cli_id(option: &str, id: &str) -> Result<()> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::E002,
            format!("Invalid task id for {option}: {id:?} (expected a form like TASK-0001)"),
        )
        .with_detail("field", option)
        .with_detail("expected", ID_PATTERN)
        .with_detail("actual", id)
        .with_recovery("Pass an id such as TASK-0001 (see `tasks --list`)"))
    }
}

/// The id a task file name starts with (`TASK-0822-foo.task.yaml` → `TASK-0822`), if any.
pub fn id_from_file_name(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".task.yaml").unwrap_or(name);
    // The id is the longest prefix `X-123...` that is valid and followed by `-`, `.` or the end.
    let bytes = stem.as_bytes();
    let mut best = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'-' || b == b'.' {
            let candidate = &stem[..i];
            if is_valid_id(candidate) {
                best = Some(candidate.to_string());
            }
        }
    }
    if is_valid_id(stem) {
        best = Some(stem.to_string());
    }
    best
}

#[cfg(test)]
#[path = "tests/ids.rs"]
mod tests;

/// The names of the directories directly under `dir` that are task ids (`.agent-output/<ID>/`,
/// `.agent-output/.completed/<ID>/`), unsorted; a link is not a directory here, and a directory
/// that cannot be read has none.
pub fn dirs_named_by_ids(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|name| is_valid_id(name))
                .collect()
        })
        .unwrap_or_default()
}
