//! Rendering results and errors (contract D3): exactly one JSON document on stdout in JSON mode,
//! text on stdout otherwise, and warnings and diagnostics on stderr, always.

use crate::error::{Error, ErrorJson};
use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// The JSON shape a verb's result takes (contract D3). Every document carries `success` and
/// `generated_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The report's fields at the top level, plus `success` and `generated_at`.
    Flat,
    /// `{"success": true, "data": {...}, "error": null, "generated_at": …}`.
    Envelope,
    /// A verdict: the report's fields at the top level, `success` (false when the verdict
    /// fails or halts), the `error` object of a failed verdict, `generated_at`. With `data`,
    /// the report is also under `data` (verdicts whose documents were envelopes keep it).
    Verdict { data: bool },
}

/// Text output of a verb: what goes to stdout and what goes to stderr.
#[derive(Debug, Default)]
pub struct Text {
    pub stdout: String,
    pub stderr: String,
}

/// A verb's result: serializable for JSON, renderable as text, with its exit code.
pub trait Report: Serialize {
    fn text(&self, out: &mut Text);

    /// A verdict that failed (`--validate` found problems, `--verify-worktree` drift): the
    /// error printed next to the report; its exit code is the command's.
    fn failure(&self) -> Option<&Error> {
        None
    }

    /// Whether the verdict is a success (`false` for a failure, and for a workflow halt).
    fn succeeded(&self) -> bool {
        self.failure().is_none()
    }

    /// Verdicts that are not errors may exit non-zero (`--pick` with nothing ready: 1, a halt:
    /// 2).
    fn exit_code(&self) -> u8 {
        self.failure().map_or(0, |e| e.exit)
    }
}

/// The stream printer. JSON is serialized straight into a buffered stdout (no intermediate
/// tree); broken pipes (`tasks --list | head -1`) end output quietly.
pub struct Printer {
    pub format: Format,
    pub shape: Shape,
    pub generated_at: String,
}

/// A flat result or verdict: the report's own fields, then `success`, the error of a failed
/// verdict, the report again under `data` (verdicts that were envelopes) and `generated_at`.
#[derive(Serialize)]
struct FlatDoc<'a, R: Serialize> {
    #[serde(flatten)]
    body: &'a R,
    success: bool,
    /// `null` on success for verdicts that were envelopes; absent on other successes.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Option<ErrorJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a R>,
    generated_at: &'a str,
}

/// An error: `data: null` for envelope verbs (and verdicts that were envelopes).
#[derive(Serialize)]
struct ErrorDoc<'a> {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Option<()>>,
    error: ErrorJson<'a>,
    generated_at: &'a str,
}

#[derive(Serialize)]
struct EnvelopeDoc<'a, R: Serialize> {
    success: bool,
    data: &'a R,
    error: Option<()>,
    generated_at: &'a str,
}

impl Printer {
    pub fn warnings(&self, warnings: &[String]) {
        let mut err = std::io::stderr().lock();
        for w in warnings {
            let _ = writeln!(err, "{}", sanitize(w));
        }
    }

    /// Print a verb's result (a failed verdict with its error) and return its exit code.
    pub fn success<R: Report>(&self, report: &R) -> u8 {
        let written = match self.format {
            Format::Json => to_stdout(|out| self.json_success(out, report)),
            Format::Text => {
                let mut text = Text::default();
                report.text(&mut text);
                write_stderr(&text.stderr);
                let written = write_stdout(&text.stdout);
                if let Some(error) = report.failure() {
                    text_error(error);
                }
                written
            }
        };
        checked(written, report.exit_code())
    }

    pub fn error(&self, error: &Error) -> u8 {
        match self.format {
            Format::Json => checked(to_stdout(|out| self.json_error(out, error)), error.exit),
            Format::Text => {
                text_error(error);
                error.exit
            }
        }
    }

    /// A command-line usage error: the message on stderr in every format (contract D1), and in
    /// JSON mode the error document on stdout as well.
    pub fn usage_error(&self, error: &Error) -> u8 {
        text_error(error);
        if self.format == Format::Json {
            return checked(to_stdout(|out| self.json_error(out, error)), error.exit);
        }
        error.exit
    }

    /// The JSON document of a result, in this printer's shape, plus a newline.
    pub fn json_success<R: Report>(&self, out: &mut dyn Write, report: &R) -> std::io::Result<()> {
        match self.shape {
            Shape::Envelope => write_json(
                out,
                &EnvelopeDoc {
                    success: true,
                    data: report,
                    error: None,
                    generated_at: &self.generated_at,
                },
            ),
            Shape::Flat | Shape::Verdict { .. } => {
                let enveloped = matches!(self.shape, Shape::Verdict { data: true });
                let error = match report.failure() {
                    Some(error) => Some(Some(error.to_json())),
                    None => enveloped.then_some(None),
                };
                write_json(
                    out,
                    &FlatDoc {
                        body: report,
                        success: report.succeeded(),
                        error,
                        data: enveloped.then_some(report),
                        generated_at: &self.generated_at,
                    },
                )
            }
        }
    }

    /// The JSON document of an error, in this printer's shape, plus a newline.
    pub fn json_error(&self, out: &mut dyn Write, error: &Error) -> std::io::Result<()> {
        let data = matches!(self.shape, Shape::Envelope | Shape::Verdict { data: true });
        write_json(
            out,
            &ErrorDoc {
                success: false,
                data: data.then_some(None),
                error: error.to_json(),
                generated_at: &self.generated_at,
            },
        )
    }
}

fn write_json<T: Serialize>(out: &mut dyn Write, doc: &T) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    out.write_all(b"\n")
}

/// Help, version and completion scripts: the tool's own text, written as is. Exit 0, or 40
/// (E041) when stdout cannot take it.
pub fn print_raw(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    checked(out.write_all(text.as_bytes()).and_then(|()| out.flush()), 0)
}

/// Write through a buffered, locked stdout.
fn to_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    write(&mut out).and_then(|()| out.flush())
}

/// The exit code once the output is written. A closed pipe (`tasks --list | head -1`) is the
/// reader's choice and ends quietly; any other failure to write the result (a full disk, say)
/// is reported on stderr as E041 (exit 40): a script must never take a lost result for success.
fn checked(written: std::io::Result<()>, exit: u8) -> u8 {
    match written {
        Ok(()) => exit,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit,
        Err(e) => {
            let error = Error::new(
                crate::error::ErrorCode::E041,
                format!("Cannot write the result to stdout: {e}"),
            )
            .with_recovery(
                "Check where stdout goes (a full disk, a closed file), then run the command again",
            );
            text_error(&error);
            error.exit
        }
    }
}

/// `Error [E0xx]: <message>` and `Recovery: <action>` on stderr.
fn text_error(error: &Error) {
    let code = error.code.info().code;
    write_stderr(&format!(
        "Error [{code}]: {}\nRecovery: {}\n",
        error.message, error.recovery
    ));
}

/// An aligned text table; the last column is not padded.
pub fn table<const N: usize>(out: &mut Text, header: [&str; N], rows: &[[String; N]]) {
    // A cell never spans lines or columns (values come from task and state files).
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| row.clone().map(|cell| field(&cell).into_owned()))
        .collect();
    let rows = rows.as_slice();
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.stdout.push_str(text.trim_end());
        out.stdout.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn write_stdout(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(sanitize(s).as_bytes())
        .and_then(|()| out.flush())
}

fn write_stderr(s: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(sanitize(s).as_bytes());
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
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, field: bool) -> Cow<'_, str> {
    let mut chars = text.chars().peekable();
    let keep = |c: char, next: Option<&char>| {
        !field && (c == '\n' || c == '\t' || (c == '\r' && next == Some(&'\n')))
    };
    // Fast path: most text has nothing to escape.
    let mut probe = text.chars().peekable();
    let mut clean = true;
    while let Some(c) = probe.next() {
        if is_special(c) && !keep(c, probe.peek()) {
            clean = false;
            break;
        }
    }
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    while let Some(c) = chars.next() {
        if !is_special(c) || keep(c, chars.peek()) {
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

#[cfg(test)]
#[path = "tests/output.rs"]
mod tests;
