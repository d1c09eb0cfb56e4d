//! Rendering results and errors (contract D3): exactly one JSON document on stdout in JSON mode,
//! text on stdout otherwise, and warnings and diagnostics on stderr, always.

use crate::error::{Error, ErrorJson};
use crate::text::{PAINT_START, is_marker};
pub use crate::text::{field, prefix, sanitize};
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
    /// Warnings and notes (not printed with `--quiet`).
    pub stderr: String,
    /// Why the result is a failure when it carries no error of its own (a halted workflow):
    /// on stderr after the notes, even with `--quiet`.
    pub alert: String,
    /// stdout is a terminal: reports may lay out for people (a table with a header) instead of
    /// the lines scripts read.
    pub terminal: bool,
}

/// `--color`: when text output is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or `TERM=dumb`).
    #[default]
    Auto,
    Always,
    Never,
}

static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

/// `--quiet`: warnings and notes are not printed (errors are).
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Set once, from the command line.
pub fn set_color(choice: ColorChoice) {
    let _ = COLOR.set(choice);
}

fn colored(terminal: bool) -> bool {
    match COLOR.get().copied().unwrap_or_default() {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Text styles a report may use. They are written as private-use markers and turned into ANSI
/// sequences (or dropped) only when the text is written, after control characters from task and
/// state files were escaped — so a title can never emit a sequence of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Bold,
    Good,
    Warn,
    Bad,
    Dim,
}

const PAINT_RESET: char = '\u{E00F}';

impl Paint {
    fn marker(self) -> char {
        let n = match self {
            Paint::Bold => 0,
            Paint::Good => 1,
            Paint::Warn => 2,
            Paint::Bad => 3,
            Paint::Dim => 4,
        };
        char::from_u32(PAINT_START + n).unwrap_or(PAINT_RESET)
    }

    fn style(self) -> anstyle::Style {
        use anstyle::{AnsiColor, Style};
        match self {
            Paint::Bold => Style::new().bold(),
            Paint::Good => Style::new().fg_color(Some(AnsiColor::Green.into())),
            Paint::Warn => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            Paint::Bad => Style::new().fg_color(Some(AnsiColor::Red.into())),
            Paint::Dim => Style::new().dimmed(),
        }
    }

    /// `text` in this style (its own markers are never in `text`: `field` escapes them).
    pub fn paint(self, text: &str) -> String {
        format!("{}{text}{PAINT_RESET}", self.marker())
    }
}

/// Turn the paint markers into ANSI sequences, or drop them.
fn render_paint(text: &str, color: bool) -> Cow<'_, str> {
    // Every marker is encoded as 0xEE 0x80 0x80..0x8F: text without that lead byte has none.
    if !text.as_bytes().contains(&0xEE) || !text.chars().any(is_marker) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_marker(c) {
            out.push(c);
        } else if color {
            let paint = match c as u32 - PAINT_START {
                0 => Some(Paint::Bold),
                1 => Some(Paint::Good),
                2 => Some(Paint::Warn),
                3 => Some(Paint::Bad),
                4 => Some(Paint::Dim),
                _ => None,
            };
            match paint {
                Some(p) => out.push_str(&p.style().render().to_string()),
                None => out.push_str(&anstyle::Reset.render().to_string()),
            }
        }
    }
    Cow::Owned(out)
}

/// Display width of a text (East Asian wide characters count two columns, markers none).
pub fn width(text: &str) -> usize {
    text.chars()
        .filter(|c| !is_marker(*c))
        .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
        .sum()
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
    /// One warning line on stderr, outside any command's result (nothing with `--quiet`).
    pub fn warning_line(warning: &str) {
        if quiet() {
            return;
        }
        let _ = writeln!(std::io::stderr().lock(), "{}", sanitize(warning));
    }

    /// The warnings and notes of a command on stderr (nothing with `--quiet`).
    pub fn warnings(&self, warnings: &[String]) {
        if quiet() {
            return;
        }
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
                use std::io::IsTerminal;
                let mut text = Text {
                    terminal: std::io::stdout().is_terminal(),
                    ..Text::default()
                };
                report.text(&mut text);
                // A report's stderr holds its warnings and notes; its error is printed apart.
                if !quiet() {
                    write_stderr(&text.stderr);
                }
                write_stderr(&text.alert);
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
        // A usage error found while the command ran is still a usage error: on stderr too.
        if error.exit == 2 {
            return self.usage_error(error);
        }
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
    // The bytes serde_json's pretty printer writes, faster (`crate::pretty`), a few at a time
    // into a buffer of a known type (inlined), not through `dyn Write` call by call.
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, out);
    crate::pretty::to_writer(&mut buffered, doc)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// Help, version and completion scripts: the tool's own text, written as is. Exit 0, or 40
/// (E041) when stdout cannot take it.
pub fn print_raw(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    checked(out.write_all(text.as_bytes()).and_then(|()| out.flush()), 0)
}

/// Write through a buffered, locked stdout.
fn to_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, Counted(std::io::stdout().lock()));
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

/// Details that a person needs to act on and that the message does not already list: shown in
/// text mode under the message (JSON has them in `details`).
const SHOWN_DETAILS: [(&str, &str); 3] = [
    ("files", "Files"),
    ("available_headings", "Headings of the file"),
    ("baselines", "Baselines recorded"),
];

/// How many values of a detail the text shows.
const SHOWN_VALUES: usize = 20;

/// `Error [E0xx]: <message>`, the details a person needs, and `Recovery: <action>` on stderr.
fn text_error(error: &Error) {
    let code = error.code.info().code;
    let mut text = format!("Error [{code}]: {}\n", error.message);
    for (key, label) in SHOWN_DETAILS {
        let Some(serde_json::Value::Array(values)) = error.details.get(key) else {
            continue;
        };
        if values.is_empty() {
            continue;
        }
        text.push_str(&format!("{label}:\n"));
        for value in values.iter().take(SHOWN_VALUES) {
            let shown = match value {
                serde_json::Value::String(s) => field(s).into_owned(),
                other => other.to_string(),
            };
            text.push_str(&format!("  {shown}\n"));
        }
        if values.len() > SHOWN_VALUES {
            text.push_str(&format!(
                "  ... and {} more (all of them with --format json)\n",
                values.len() - SHOWN_VALUES
            ));
        }
    }
    text.push_str(&format!("Recovery: {}\n", error.recovery));
    write_stderr(&text);
}

/// An aligned text table; the last column is not padded.
pub fn table<const N: usize>(out: &mut Text, header: [&str; N], rows: &[[String; N]]) {
    let rows: Vec<&[String]> = rows.iter().map(|row| row.as_slice()).collect();
    table_of(out, &header, &rows);
}

/// [`table`] with a number of columns known only when it runs (`--list --fields`).
pub fn table_of(out: &mut Text, header: &[&str], rows: &[&[String]]) {
    let n = header.len();
    // A cell never spans lines or columns (values come from task and state files).
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| field(cell).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut line = |cells: Vec<&str>, heading: bool| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == n {
                text.push_str(cell);
            } else {
                // Padded by display width: wide characters take two columns.
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[i] - width(cell) + 2));
            }
        }
        let text = text.trim_end();
        if heading {
            out.stdout.push_str(&Paint::Bold.paint(text));
        } else {
            out.stdout.push_str(text);
        }
        out.stdout.push('\n');
    };
    line(header.to_vec(), true);
    for row in &rows {
        line(row.iter().map(String::as_str).collect(), false);
    }
}

fn write_stdout(s: &str) -> std::io::Result<()> {
    use std::io::IsTerminal;
    let mut out = std::io::stdout().lock();
    let color = colored(out.is_terminal());
    let clean = sanitize(s);
    let text = render_paint(&clean, color);
    STDOUT_BYTES.fetch_add(text.len() as u64, std::sync::atomic::Ordering::Relaxed);
    out.write_all(text.as_bytes()).and_then(|()| out.flush())
}

/// Bytes of results written to stdout so far (what a context read served, for telemetry).
static STDOUT_BYTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn stdout_bytes() -> u64 {
    STDOUT_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// A writer that counts what passes through it into [`STDOUT_BYTES`].
struct Counted<W: Write>(W);

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(buf)?;
        STDOUT_BYTES.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A line on stderr at once (not collected with the run's warnings): for a command about to
/// wait, so that it does not sit there without a word. Nothing under `--quiet`.
pub fn note_now(line: &str) {
    if !quiet() {
        write_stderr(&format!("{line}\n"));
    }
}

fn write_stderr(s: &str) {
    use std::io::IsTerminal;
    let mut err = std::io::stderr().lock();
    let color = colored(err.is_terminal());
    let _ = err.write_all(render_paint(&sanitize(s), color).as_bytes());
}

/// A progress line on stderr (`template`: indicatif's, `{msg}` being `message`) when stderr is a
/// terminal; `None` otherwise, so that pipes and logs get nothing but the result.
pub fn spinner(template: &str, message: String) -> Option<indicatif::ProgressBar> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    // Drawn at once: a short operation shows it too.
    bar.tick();
    Some(bar)
}

#[cfg(test)]
#[path = "tests/output.rs"]
mod tests;
