//! QA log parsers (spec 03 §5, schemas §4, contract D7): ESLint, tsc, Jest/Vitest and coverage
//! summaries, read line by line in bounded memory. Logs of monorepos carry a `<package>:<task>: `
//! prefix on every line (pnpm + turbo) and hold several packages' results: counts are summed over
//! packages, coverage is per metric the lowest package's. ANSI colour codes and CR/CRLF are
//! removed first.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The kinds of QA command a log can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Lint,
    Typecheck,
    Test,
    Coverage,
}

pub const KINDS: [&str; 4] = ["lint", "typecheck", "test", "coverage"];

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Lint => "lint",
            Kind::Typecheck => "typecheck",
            Kind::Test => "test",
            Kind::Coverage => "coverage",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "lint" => Some(Kind::Lint),
            "typecheck" => Some(Kind::Typecheck),
            "test" => Some(Kind::Test),
            "coverage" => Some(Kind::Coverage),
            _ => None,
        }
    }

    /// The kind a command line runs, from its words (`eslint`, `tsc`, `vitest --coverage`, …).
    pub fn of_command(command: &str) -> Option<Kind> {
        let c = command.to_lowercase();
        let has = |w: &str| c.contains(w);
        if has("coverage") {
            Some(Kind::Coverage)
        } else if has("typecheck") || has("type-check") || has("tsc") {
            Some(Kind::Typecheck)
        } else if has("lint") {
            Some(Kind::Lint)
        } else if has("test") || has("jest") || has("vitest") {
            Some(Kind::Test)
        } else {
            None
        }
    }
}

/// Coverage percentages; a metric the log does not show is absent (not 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coverage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branches: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statements: Option<f64>,
}

impl Coverage {
    fn is_empty(&self) -> bool {
        *self == Coverage::default()
    }

    fn metrics_mut(&mut self) -> [(&'static str, &mut Option<f64>); 4] {
        [
            ("lines", &mut self.lines),
            ("branches", &mut self.branches),
            ("functions", &mut self.functions),
            ("statements", &mut self.statements),
        ]
    }
}

/// What a log says, for one kind of command. The counts of the kind are always present (0 when
/// nothing was found); the others are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint_errors: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint_warnings: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_errors: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_passed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_failed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_skipped: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_todo: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// Keys this version does not know (summaries written by other tools), kept.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Summary {
    /// Whether the log held the numbers of `kind`. A clean ESLint or tsc run prints nothing, so
    /// lint and typecheck are always read; a test or coverage run without its summary crashed or
    /// was not that tool.
    pub fn recognized(&self, kind: Kind) -> bool {
        match kind {
            Kind::Lint | Kind::Typecheck => true,
            Kind::Test => self.tests_passed.is_some(),
            Kind::Coverage => self.coverage.is_some(),
        }
    }

    /// True when the log reports failures (errors or failed tests) — the exit code a command
    /// with this output most likely had was not 0.
    pub fn has_failures(&self) -> bool {
        [self.lint_errors, self.type_errors, self.tests_failed]
            .iter()
            .any(|n| n.unwrap_or(0) > 0)
    }
}

/// Everything gathered about one package (or the unprefixed log).
#[derive(Debug, Default, Clone)]
struct Package {
    eslint_summary: Option<(u64, u64)>,
    eslint_lines: (u64, u64),
    tsc_found: Option<u64>,
    tsc_lines: u64,
    tests: Option<TestCounts>,
    coverage: Coverage,
}

#[derive(Debug, Default, Clone, Copy)]
struct TestCounts {
    passed: u64,
    failed: u64,
    skipped: u64,
    todo: u64,
}

impl TestCounts {
    fn add(&mut self, other: &TestCounts) {
        self.passed = self.passed.saturating_add(other.passed);
        self.failed = self.failed.saturating_add(other.failed);
        self.skipped = self.skipped.saturating_add(other.skipped);
        self.todo = self.todo.saturating_add(other.todo);
    }
}

static ANSI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
        .expect("ANSI pattern")
});
/// turbo: `@scope/pkg:task: …`; pnpm recursive: `packages/api test: …` (a path with a `/`,
/// then the script name; `$ ` on the line that echoes the command).
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:((?:@[\w.-]+/)?[\w.-]+):([A-Za-z][\w:.-]*): ?|((?:@[\w.-]+/)?[\w.-]+(?:/[\w.-]+)+) ([A-Za-z][\w:.-]*)(?:: ?|\$ ))",
    )
    .expect("prefix pattern")
});
static ESLINT_PROBLEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+\d+:\d+\s+(error|warning)\s").expect("eslint problem"));
static ESLINT_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"✖\s+\d+\s+problems?\s+\((\d+)\s+errors?,\s+(\d+)\s+warnings?\)")
        .expect("eslint summary")
});
static TSC_ERROR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\berror\s+TS\d+\s*:").expect("tsc error"));
static TSC_FOUND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bFound\s+(\d+)\s+errors?\b").expect("tsc found"));
static TESTS_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*Tests:?\s+(.*)$").expect("tests line"));
static COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+)\s+(passed|failed|skipped|pending|todo)\b").expect("test count")
});
static COVERAGE_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(statements|branches|functions|lines)\s*:\s*([\d.]+)\s*%")
        .expect("coverage summary")
});
static ALL_FILES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*All files\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)")
        .expect("all files row")
});

/// Longest line kept; the rest of a longer line (a binary blob, a minified bundle) is skipped.
pub const MAX_LINE: usize = 64 * 1024;

/// A line-by-line parser of one log: feed it lines, then ask for the summary of a kind.
#[derive(Debug, Default)]
pub struct LogParser {
    packages: BTreeMap<String, Package>,
}

impl LogParser {
    pub fn new() -> LogParser {
        LogParser::default()
    }

    /// One line of the log, without its `\n` (may hold `\r` and ANSI codes; bytes that are not
    /// UTF-8 are replaced).
    pub fn feed(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let clean = ANSI.replace_all(&text, "");
        // A CR starts the line again (progress output) or ends it (CRLF).
        for part in clean.split('\r') {
            self.feed_clean(part);
        }
    }

    fn feed_clean(&mut self, line: &str) {
        let (package, line) = match PREFIX.captures(line) {
            Some(c) => {
                let end = c.get(0).map_or(0, |m| m.end());
                let name = c.get(1).or_else(|| c.get(3)).map_or("", |m| m.as_str());
                (name.to_string(), &line[end..])
            }
            None => (String::new(), line),
        };
        if line.trim().is_empty() {
            return;
        }
        let p = self.packages.entry(package).or_default();
        if let Some(c) = ESLINT_SUMMARY.captures(line) {
            let (e, w) = (number(&c[1]), number(&c[2]));
            let sum = p.eslint_summary.get_or_insert((0, 0));
            sum.0 = sum.0.saturating_add(e);
            sum.1 = sum.1.saturating_add(w);
        } else if let Some(c) = ESLINT_PROBLEM.captures(line) {
            if &c[1] == "error" {
                p.eslint_lines.0 = p.eslint_lines.0.saturating_add(1);
            } else {
                p.eslint_lines.1 = p.eslint_lines.1.saturating_add(1);
            }
        }
        if TSC_ERROR.is_match(line) {
            p.tsc_lines = p.tsc_lines.saturating_add(1);
        }
        if let Some(c) = TSC_FOUND.captures(line) {
            let found = p.tsc_found.get_or_insert(0);
            *found = found.saturating_add(number(&c[1]));
        }
        if let Some(c) = TESTS_LINE.captures(line) {
            let mut counts = TestCounts::default();
            let mut any = false;
            for m in COUNT.captures_iter(&c[1]) {
                any = true;
                let n = number(&m[1]);
                let slot = match &m[2] {
                    "passed" => &mut counts.passed,
                    "failed" => &mut counts.failed,
                    "todo" => &mut counts.todo,
                    _ => &mut counts.skipped,
                };
                *slot = slot.saturating_add(n);
            }
            if any {
                p.tests.get_or_insert_with(TestCounts::default).add(&counts);
            }
        }
        if let Some(c) = COVERAGE_SUMMARY.captures(line) {
            let metric = c[1].to_lowercase();
            if let Ok(value) = c[2].parse::<f64>() {
                for (name, slot) in p.coverage.metrics_mut() {
                    if name == metric && slot.is_none() {
                        *slot = Some(value);
                    }
                }
            }
        } else if let Some(c) = ALL_FILES.captures(line) {
            // % Stmts | % Branch | % Funcs | % Lines
            let values: Vec<Option<f64>> = (1..=4).map(|i| c[i].parse().ok()).collect();
            let cov = &mut p.coverage;
            for (slot, value) in [
                (&mut cov.statements, values[0]),
                (&mut cov.branches, values[1]),
                (&mut cov.functions, values[2]),
                (&mut cov.lines, values[3]),
            ] {
                if slot.is_none() {
                    *slot = value;
                }
            }
        }
    }

    /// The kind the log itself looks like (for commands whose name says nothing).
    pub fn detected(&self) -> Option<Kind> {
        let any = |f: &dyn Fn(&Package) -> bool| self.packages.values().any(f);
        if any(&|p| !p.coverage.is_empty()) {
            Some(Kind::Coverage)
        } else if any(&|p| p.tests.is_some()) {
            Some(Kind::Test)
        } else if any(&|p| p.tsc_found.is_some() || p.tsc_lines > 0) {
            Some(Kind::Typecheck)
        } else if any(&|p| p.eslint_summary.is_some() || p.eslint_lines != (0, 0)) {
            Some(Kind::Lint)
        } else {
            None
        }
    }

    /// The summary for `kind`: its counts summed over packages (a package's own summary line
    /// wins over counting its problem lines), coverage per metric the lowest package's. A
    /// coverage run also reports its test counts when the log has them.
    pub fn summary(&self, kind: Kind) -> Summary {
        let mut s = Summary::default();
        let packages = self.packages.values();
        match kind {
            Kind::Lint => {
                let (e, w) = packages.fold((0u64, 0u64), |(e, w), p| {
                    let (pe, pw) = p.eslint_summary.unwrap_or(p.eslint_lines);
                    (e.saturating_add(pe), w.saturating_add(pw))
                });
                s.lint_errors = Some(e);
                s.lint_warnings = Some(w);
            }
            Kind::Typecheck => {
                let n = packages.fold(0u64, |n, p| {
                    n.saturating_add(p.tsc_found.unwrap_or(p.tsc_lines))
                });
                s.type_errors = Some(n);
            }
            Kind::Test | Kind::Coverage => {
                // Test runners always print a summary line: without one the counts are unknown
                // (a crashed run), not zero.
                let mut total: Option<TestCounts> = None;
                for t in self.packages.values().filter_map(|p| p.tests.as_ref()) {
                    total.get_or_insert_with(TestCounts::default).add(t);
                }
                if let Some(t) = total {
                    s.tests_passed = Some(t.passed);
                    s.tests_failed = Some(t.failed);
                    s.tests_skipped = Some(t.skipped);
                    s.tests_todo = Some(t.todo);
                }
                if kind == Kind::Coverage {
                    let mut lowest = Coverage::default();
                    for p in self.packages.values() {
                        let mut cov = p.coverage.clone();
                        for ((_, low), (_, value)) in
                            lowest.metrics_mut().into_iter().zip(cov.metrics_mut())
                        {
                            if let Some(v) = *value {
                                *low = Some(low.map_or(v, |l: f64| l.min(v)));
                            }
                        }
                    }
                    s.coverage = (!lowest.is_empty()).then_some(lowest);
                }
            }
        }
        s
    }
}

fn number(text: &str) -> u64 {
    text.parse().unwrap_or(u64::MAX)
}

/// Feed every line of `reader` to a parser, in bounded memory: lines longer than [`MAX_LINE`]
/// are cut. Every byte read is also handed to `each_chunk` (for hashing and copying).
pub fn read_lines(
    mut reader: impl std::io::BufRead,
    parser: &mut LogParser,
    mut each_chunk: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<u64> {
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    let mut total = 0u64;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        each_chunk(chunk)?;
        let len = chunk.len();
        total += len as u64;
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            let (body, ends) = match piece.strip_suffix(b"\n") {
                Some(body) => (body, true),
                None => (piece, false),
            };
            let room = MAX_LINE.saturating_sub(line.len());
            line.extend_from_slice(&body[..body.len().min(room)]);
            if ends {
                parser.feed(&line);
                line.clear();
            }
        }
        reader.consume(len);
    }
    if !line.is_empty() {
        parser.feed(&line);
    }
    Ok(total)
}

/// Parse a whole log held in memory (tests, small inputs).
pub fn parse_text(text: &str) -> LogParser {
    let mut parser = LogParser::new();
    let _ = read_lines(text.as_bytes(), &mut parser, |_| Ok(()));
    parser
}

#[cfg(test)]
#[path = "tests/parse.rs"]
mod tests;
