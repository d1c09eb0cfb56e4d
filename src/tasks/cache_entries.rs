//! The encoding of the task cache's entries (layout v8), written and read by hand so that a warm
//! run builds its tasks without copying a string.
//!
//! The entries section is `records_len` (u64, little-endian), the records, then the text: every
//! string of every entry, one after another in record order, checked as UTF-8 once. A string in
//! a record is its length in bytes (LEB128); it starts where the previous one ended. Other
//! numbers are little-endian and fixed width.
//!
//! An entry: path, size (u64), mtime (i64 seconds, u32 nanoseconds), SHA-256 (hex, or empty), then
//! `0` and a task (id, title, status, priority, area, unblocker (u8), order (u8 flag, i64),
//! blocked reason (u8 flag, string), blocked_by and depends_on (u32 count, strings), schema
//! version) or `1` and a failure (message, line and column (u8 flag, u64 each)).
//!
//! Reading checks every bound, offset, length, flag and count: damaged or forged bytes give
//! [`Damaged`], never a panic, a huge allocation or a string cut inside a character.

use super::super::discover::FileTime;
use super::super::model::{Task, Text};
use super::super::parse::ParseFailure;

/// One entry as written: what a file was when it was last read, borrowed from this run.
#[derive(Clone, Copy)]
pub(super) struct StoredRef<'a> {
    pub rel: &'a str,
    pub size: u64,
    pub mtime: FileTime,
    /// SHA-256 of the LF-normalised text (the task's `hash`), or of the raw bytes when they are
    /// not text; empty when the file was refused unread (too large).
    pub sha256: &'a str,
    pub outcome: OutcomeRef<'a>,
}

#[derive(Clone, Copy)]
pub(super) enum OutcomeRef<'a> {
    Task(&'a Task),
    Failed(&'a ParseFailure),
}

/// One entry as read, its strings borrowed from the cache's bytes (kept for the whole run).
pub(super) struct Stored {
    pub rel: &'static str,
    pub size: u64,
    pub mtime: FileTime,
    pub sha256: &'static str,
    pub outcome: StoredOutcome,
}

#[allow(clippy::large_enum_variant)] // transient: the task is moved out at once
pub(super) enum StoredOutcome {
    Task(Task),
    Failed(ParseFailure),
}

/// Why the entries could not be read: the cache is rebuilt.
#[derive(Debug)]
pub(super) struct Damaged(pub String);

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn damaged(what: &str) -> Damaged {
    Damaged(what.to_string())
}

const TASK: u8 = 0;
const FAILED: u8 = 1;

impl StoredRef<'_> {
    /// The bytes its strings take in the text (what [`Writer::entry`] adds to it): the text is
    /// allocated once, at its size.
    pub fn text_len(&self) -> usize {
        let task = match self.outcome {
            OutcomeRef::Task(task) => {
                let fields = [
                    &task.id,
                    &task.title,
                    &task.status,
                    &task.priority,
                    &task.area,
                    &task.schema_version,
                ];
                fields.iter().map(|s| s.len()).sum::<usize>()
                    + task
                        .blocked_by
                        .iter()
                        .chain(&task.depends_on)
                        .map(|s| s.len())
                        .sum::<usize>()
                    + task.blocked_reason.as_deref().map_or(0, str::len)
            }
            OutcomeRef::Failed(failure) => failure.message.len(),
        };
        self.rel.len() + self.sha256.len() + task
    }
}

/// Append the entries section to `out`: its records' length, the records, then the text. The
/// entries are walked twice by the same code (`Writer::entry`), once writing the records and
/// once the strings, so the text is never held apart from the file's bytes and its strings come
/// in the order the records name them.
pub(super) fn write_section<'a>(
    out: &mut Vec<u8>,
    entries: impl Iterator<Item = StoredRef<'a>> + Clone,
) -> Result<(), String> {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    let mut records = Writer { out, text: false };
    for entry in entries.clone() {
        records.entry(&entry)?;
    }
    let len = (out.len() - start - 8) as u64;
    out[start..start + 8].copy_from_slice(&len.to_le_bytes());
    let mut text = Writer { out, text: true };
    for entry in entries {
        text.entry(&entry)?;
    }
    Ok(())
}

/// One pass over the entries: the records (numbers, flags and each string's length), or the
/// text (the strings).
struct Writer<'o> {
    out: &'o mut Vec<u8>,
    text: bool,
}

impl Writer<'_> {
    fn entry(&mut self, entry: &StoredRef) -> Result<(), String> {
        self.str(entry.rel);
        self.u64(entry.size);
        self.i64(entry.mtime.secs);
        self.u32(entry.mtime.nanos);
        self.str(entry.sha256);
        match entry.outcome {
            OutcomeRef::Task(task) => {
                self.byte(TASK);
                for field in [
                    &task.id,
                    &task.title,
                    &task.status,
                    &task.priority,
                    &task.area,
                ] {
                    self.str(field);
                }
                self.byte(u8::from(task.unblocker));
                self.byte(u8::from(task.order.is_some()));
                self.i64(task.order.unwrap_or(0));
                self.byte(u8::from(task.blocked_reason.is_some()));
                self.str(task.blocked_reason.as_deref().unwrap_or(""));
                for list in [&task.blocked_by, &task.depends_on] {
                    let count = u32::try_from(list.len())
                        .map_err(|_| "a task lists over 4 billion ids".to_string())?;
                    self.u32(count);
                    for id in list {
                        self.str(id);
                    }
                }
                self.str(&task.schema_version);
            }
            OutcomeRef::Failed(failure) => {
                self.byte(FAILED);
                self.str(&failure.message);
                for at in [failure.line, failure.column] {
                    self.byte(u8::from(at.is_some()));
                    self.u64(at.unwrap_or(0));
                }
            }
        }
        Ok(())
    }

    /// A string: its length (LEB128) in the records, its bytes in the text.
    fn str(&mut self, s: &str) {
        if self.text {
            self.out.extend_from_slice(s.as_bytes());
            return;
        }
        let mut len = s.len();
        while len >= 0x80 {
            self.out.push((len & 0x7f) as u8 | 0x80);
            len >>= 7;
        }
        self.out.push(len as u8);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        if !self.text {
            self.out.extend_from_slice(bytes);
        }
    }

    fn byte(&mut self, b: u8) {
        self.bytes(&[b]);
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// Room reserved for a list before its strings are read.
const LIST_RESERVED: usize = 16;

/// The entries section being read.
pub(super) struct Reader {
    records: &'static [u8],
    /// The text not read yet: the next string starts it.
    text: &'static str,
    /// Bytes of memory the decoded entries may still take (see [`budget_for`]).
    budget: usize,
}

/// The memory decoding a section of `len` bytes may take: four times its size (a real cache
/// needs one to three: a task of a few hundred bytes on disk is a few hundred in memory), plus
/// 16 MiB. A forged section that declares more (millions of empty list items or minimal
/// entries, each a byte or a few on disk and dozens in memory) is damaged, not decoded: what a
/// run holds stays proportional to the files it reads.
fn budget_for(len: usize) -> usize {
    len.saturating_mul(4).saturating_add(16 << 20)
}

/// What one decoded entry costs besides its lists: its record and its task (or failure).
pub(super) const ENTRY_COST: usize = 64 + std::mem::size_of::<Task>();

impl Reader {
    /// Split a section into its records and its text (checked as UTF-8 here, once).
    pub fn new(section: &'static [u8]) -> Result<Reader, Damaged> {
        let (len, rest) = section
            .split_first_chunk::<8>()
            .ok_or_else(|| damaged("truncated"))?;
        let len = usize::try_from(u64::from_le_bytes(*len))
            .ok()
            .filter(|&len| len <= rest.len())
            .ok_or_else(|| damaged("its records overrun the file"))?;
        let (records, text) = rest.split_at(len);
        let text = std::str::from_utf8(text).map_err(|_| damaged("its text is not UTF-8"))?;
        Ok(Reader {
            records,
            text,
            budget: budget_for(section.len()),
        })
    }

    /// Take `bytes` of the memory budget, or fail when it is spent.
    fn spend(&mut self, bytes: usize) -> Result<(), Damaged> {
        self.budget = self
            .budget
            .checked_sub(bytes)
            .ok_or_else(|| damaged("it declares more than its size can hold"))?;
        Ok(())
    }

    /// Whether every record and every string was read.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.text.is_empty()
    }

    /// How many entries to reserve room for: the count given, but no more than the records
    /// could hold (an entry takes at least 30 bytes) nor than the memory budget allows (a
    /// forged count reserves nothing the file could not pay for; a real one is reserved at
    /// once, never grown by doubling).
    pub fn capacity(&self, count: u64) -> usize {
        usize::try_from(count)
            .unwrap_or(usize::MAX)
            .min(self.records.len() / 30)
            .min(self.budget / ENTRY_COST)
    }

    pub fn entry(&mut self) -> Result<Stored, Damaged> {
        self.spend(ENTRY_COST)?;
        let rel = self.str()?;
        let size = self.u64()?;
        let mtime = FileTime {
            secs: self.i64()?,
            nanos: self.u32()?,
        };
        if mtime.nanos > 999_999_999 {
            return Err(damaged("a modification time is out of range"));
        }
        let sha256 = self.str()?;
        let outcome = match self.u8()? {
            TASK => {
                let id = self.text()?;
                let title = self.text()?;
                let status = self.text()?;
                let priority = self.text()?;
                let area = self.text()?;
                let unblocker = self.flag()?;
                let has_order = self.flag()?;
                let order = self.i64()?;
                let has_reason = self.flag()?;
                let reason = self.text()?;
                let blocked_by = self.list()?;
                let depends_on = self.list()?;
                let schema_version = self.text()?;
                StoredOutcome::Task(Task {
                    id,
                    title,
                    status,
                    priority,
                    area,
                    unblocker,
                    order: has_order.then_some(order),
                    blocked_reason: has_reason.then_some(reason),
                    blocked_by,
                    depends_on,
                    schema_version,
                    path: Text::Borrowed(rel),
                    hash: Text::Borrowed(sha256),
                    mtime: mtime.as_f64(),
                })
            }
            FAILED => {
                let message = self.str()?;
                self.spend(message.len())?;
                let message = message.to_string();
                let line = self.optional_u64()?;
                let column = self.optional_u64()?;
                StoredOutcome::Failed(ParseFailure {
                    message,
                    line,
                    column,
                })
            }
            _ => return Err(damaged("an entry is neither a task nor a failure")),
        };
        Ok(Stored {
            rel,
            size,
            mtime,
            sha256,
            outcome,
        })
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], Damaged> {
        let (bytes, rest) = self
            .records
            .split_first_chunk::<N>()
            .ok_or_else(|| damaged("truncated"))?;
        self.records = rest;
        Ok(*bytes)
    }

    fn u8(&mut self) -> Result<u8, Damaged> {
        Ok(self.take::<1>()?[0])
    }

    fn flag(&mut self) -> Result<bool, Damaged> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(damaged("a flag is neither 0 nor 1")),
        }
    }

    fn u32(&mut self) -> Result<u32, Damaged> {
        self.take().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, Damaged> {
        self.take().map(u64::from_le_bytes)
    }

    fn i64(&mut self) -> Result<i64, Damaged> {
        self.take().map(i64::from_le_bytes)
    }

    fn optional_u64(&mut self) -> Result<Option<u64>, Damaged> {
        let present = self.flag()?;
        let value = self.u64()?;
        Ok(present.then_some(value))
    }

    /// A string: the next `len` bytes of the text, which must end on a character boundary.
    fn str(&mut self) -> Result<&'static str, Damaged> {
        let len = self.len()?;
        let (s, rest) = self
            .text
            .split_at_checked(len)
            .ok_or_else(|| damaged("a string lies outside the text"))?;
        self.text = rest;
        Ok(s)
    }

    /// A LEB128 length (at most 5 bytes: strings are shorter than 4 GiB).
    fn len(&mut self) -> Result<usize, Damaged> {
        // Nearly every string is shorter than 128 bytes: one byte.
        if let Some((&byte, rest)) = self.records.split_first()
            && byte < 0x80
        {
            self.records = rest;
            return Ok(usize::from(byte));
        }
        let mut len = 0usize;
        for shift in (0..35).step_by(7) {
            let byte = self.u8()?;
            len |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(len);
            }
        }
        Err(damaged("a length is too long"))
    }

    fn text(&mut self) -> Result<Text, Damaged> {
        self.str().map(Text::Borrowed)
    }

    fn list(&mut self) -> Result<Vec<Text>, Damaged> {
        let count = self.u32()? as usize;
        // Each string takes a byte of record at least.
        if count > self.records.len() {
            return Err(damaged("a list is longer than the file"));
        }
        // Lists are short: room for a few, then grown as strings are read (a forged count
        // reserves nothing the file does not hold).
        self.spend(count.saturating_mul(std::mem::size_of::<Text>()))?;
        let mut list = Vec::with_capacity(count.min(LIST_RESERVED));
        for _ in 0..count {
            list.push(self.text()?);
        }
        Ok(list)
    }
}
