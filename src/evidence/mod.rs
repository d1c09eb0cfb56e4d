//! Evidence: the typed attachments of a task (`.agent-output/<ID>/evidence/index.json`), their
//! content-addressed copies, and deterministic `tar.zst` archives of directories.
//!
//! One index per task lists everything kept as evidence: QA logs (`--record-qa`), checklists
//! (`--init-context`) and attachments (`--attach-evidence`). Every entry names where the
//! evidence came from (`path`, as `tasks.py` stored it) and, for entries this tool wrote, the
//! copy it keeps (`stored_path`, inside the task's `evidence/` directory): a later edit or
//! deletion of the original changes nothing, and `--verify-evidence` re-hashes the copies.

pub mod archive;
pub mod attach;
pub mod index;
pub mod keep;
pub mod verify;

pub use index::{Attachment, Compression, Index};

/// The 8 kinds of evidence and their size limits (binary units; `size > limit` is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    Archive,
    Log,
    Screenshot,
    QaOutput,
    Summary,
    Diff,
}

pub const KINDS: [Kind; 8] = [
    Kind::File,
    Kind::Directory,
    Kind::Archive,
    Kind::Log,
    Kind::Screenshot,
    Kind::QaOutput,
    Kind::Summary,
    Kind::Diff,
];

/// The names of [`KINDS`], in order.
pub const KIND_NAMES: [&str; 8] = [
    "file",
    "directory",
    "archive",
    "log",
    "screenshot",
    "qa_output",
    "summary",
    "diff",
];

const MIB: u64 = 1024 * 1024;

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        KIND_NAMES.iter().position(|n| *n == name).map(|i| KINDS[i])
    }

    pub fn as_str(self) -> &'static str {
        KIND_NAMES[KINDS.iter().position(|k| *k == self).unwrap_or(0)]
    }

    /// The largest accepted size in bytes; `None` for a directory (archived, no limit).
    pub fn limit(self) -> Option<u64> {
        match self {
            Kind::File => Some(MIB),
            Kind::Directory => None,
            Kind::Archive => Some(50 * MIB),
            Kind::Log | Kind::QaOutput | Kind::Diff => Some(10 * MIB),
            Kind::Screenshot => Some(5 * MIB),
            Kind::Summary => Some(500 * 1024),
        }
    }

    /// The metadata keys the design requires for this kind (schemas §1.2). A `log` needs
    /// `command` and `exit_code` only "when produced by a command", which the tool cannot
    /// know: none are required of it.
    pub fn required_metadata(self) -> &'static [&'static str] {
        match self {
            Kind::QaOutput => &["command", "exit_code", "duration_ms"],
            _ => &[],
        }
    }
}

/// A size for people: `1.00 MiB`, `500.0 KiB`, `12 B`.
pub fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes >= MIB {
        format!("{:.2} MiB", b / MIB as f64)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// Whether `s` is `len` lowercase hex digits.
pub fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
#[path = "tests/kinds.rs"]
mod tests;
