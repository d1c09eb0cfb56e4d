//! Reading one QA log (spec 03 §4.4, contract D7). The log is streamed once — parsed line by
//! line, hashed and copied — and then classified: what kind of QA command wrote it, the command
//! id its result is filed under, whether the run crashed and, when no exit code was given, the
//! exit code its output implies.

use super::parse::{Kind, LogParser, Summary, read_lines};
use crate::store::Hasher;
use std::io::{BufRead, Write};

/// What the caller knows about the log besides its bytes (all optional; given beats inferred).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// The command line that wrote the log (`pnpm lint`): its words say the kind.
    pub command: Option<&'a str>,
    /// The kind, named (`--command-type`): beats everything else.
    pub command_type: Option<&'a str>,
    /// The command id to file the result under (`--command-id`).
    pub command_id: Option<&'a str>,
    /// The kind recorded before for this command id (its baseline's): used only when nothing
    /// else tells, so that a log that says nothing is still read as what it should be.
    pub recorded_type: Option<&'a str>,
}

/// Which side of the copy failed.
#[derive(Debug)]
pub enum CopyError {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// A log read to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub size: u64,
    /// SHA-256 of the log's bytes (hex).
    pub sha256: String,
    /// The kind: named, else from the command's words, else detected in the log, else the one
    /// recorded before for the command id.
    pub kind: Option<Kind>,
    pub summary: Summary,
    /// The log holds the summary of its kind (see [`Summary::recognized`]).
    pub recognized: bool,
    /// The given command id, else the kind's name; `None` when nothing says what the log is.
    pub command_id: Option<String>,
}

/// Stream `reader` into `out`, parsing and hashing on the way.
pub fn ingest(
    reader: impl BufRead,
    out: &mut impl Write,
    hints: &Hints,
) -> Result<Ingested, CopyError> {
    let mut parser = LogParser::new();
    let mut hasher = Hasher::default();
    let mut write_error = None;
    let size = read_lines(reader, &mut parser, |chunk| {
        hasher.update(chunk);
        out.write_all(chunk)
            .inspect_err(|e| write_error = Some(e.kind()))
    })
    .map_err(|e| match write_error {
        Some(_) => CopyError::Write(e),
        None => CopyError::Read(e),
    })?;
    let kind = match hints.command_type {
        Some(t) => Kind::parse(t),
        None => hints
            .command
            .and_then(Kind::of_command)
            .or_else(|| parser.detected())
            .or_else(|| hints.recorded_type.and_then(Kind::parse)),
    };
    let summary = kind.map(|k| parser.summary(k)).unwrap_or_default();
    let recognized = kind.is_some_and(|k| summary.recognized(k));
    let command_id = match (hints.command_id, kind) {
        (Some(id), _) => Some(id.to_string()),
        (None, Some(k)) => Some(k.as_str().to_string()),
        (None, None) => None,
    };
    Ok(Ingested {
        size,
        sha256: hasher.hex(),
        kind,
        summary,
        recognized,
        command_id,
    })
}

impl Ingested {
    /// A log of a known kind without that kind's summary: the run crashed (or was not that
    /// tool). A log of no known kind says nothing either way.
    pub fn crashed(&self) -> bool {
        self.kind.is_some() && !self.recognized
    }

    /// The exit code to record and whether it was inferred: the given one, else 1 when the log
    /// reports failures or the run crashed, else 0 (contract D7).
    pub fn exit_code(&self, given: Option<i64>) -> (i64, bool) {
        match given {
            Some(code) => (code, false),
            None => (
                i64::from(self.summary.has_failures() || self.crashed()),
                true,
            ),
        }
    }

    /// The name of the log's copy in the evidence directory: the command id made safe for a
    /// file name, then the first 12 hex digits of the hash (`lint-0123456789ab.log`).
    pub fn file_name(&self) -> String {
        let id = self.command_id.as_deref().unwrap_or("unknown");
        let safe: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!("{safe}-{}.log", crate::text::prefix(&self.sha256, 12))
    }
}

#[cfg(test)]
#[path = "tests/ingest.rs"]
mod tests;
