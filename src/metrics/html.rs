//! The metrics dashboard as one HTML page a maintainer opens in a browser: a header (when it was
//! generated, how many tasks, the period), the five criteria with ✓/✗/— and their actual value,
//! one chart per criterion (a bar per task against the dashed target line, green when the task
//! meets it and red when not, and beside it the criterion over time, one point per day), then
//! every task's values in a table.
//!
//! The page is self-contained — inline CSS and inline SVG, no script, no font, image or link to
//! anything outside it — so it can be mailed, attached to a ticket or opened from an archive
//! years later and still show the same thing. It is polyglot markup (well-formed XML and valid
//! HTML5), and every text from the data goes through [`escape`]: task ids are directory names
//! and may hold anything. Pure.

use super::dashboard::{Dashboard, TaskPoint, TrendPoint};
use super::{
    CRITERIA, TARGET_FILE_READS, TARGET_PROMPT_SAVINGS, TARGET_QA_COVERAGE,
    TARGET_REPEATED_WARNINGS, criterion_label,
};
use std::fmt::Write;

/// The size of every chart, in CSS pixels.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
/// The plot area (y), shared by both panels of a chart.
const TOP: f64 = 34.0;
const BOTTOM: f64 = 186.0;
/// The bars' panel (x).
const BARS: (f64, f64) = (48.0, 410.0);
/// The over-time panel (x).
const TREND: (f64, f64) = (480.0, 626.0);
/// The most x labels a panel prints (beyond, every n-th).
const MAX_BAR_LABELS: usize = 16;
const MAX_DAY_LABELS: usize = 5;
/// The longest task id printed under a bar (the tooltip has all of it).
const LABEL_CHARS: usize = 12;

/// The `generator` of the page: a file holding it is a dashboard page this tool wrote.
pub const GENERATOR: &str = "tasks --generate-dashboard";

/// The page's only styles: a system font stack, a centred column, green, red and grey verdicts.
const STYLE: &str = "
body { margin: 0; background: #f6f8fa; color: #1f2328; font: 15px/1.45 system-ui, -apple-system,
  \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif; }
header, main { max-width: 960px; margin: 0 auto; padding: 0 24px; }
h1 { font-size: 1.5rem; margin: 24px 0 4px; } h2 { font-size: 1.15rem; margin: 32px 0 12px; }
.meta { color: #57606a; margin: 0 0 8px; } .verdict { font-weight: 600; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #d0d7de; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #d0d7de; }
thead th { background: #f0f3f6; font-size: 0.9rem; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 700; text-align: center; } a { color: #0969da; text-decoration: none; }
.met { color: #1a7f37; } .missed { color: #cf222e; } .nodata { color: #6e7781; }
figure.chart { margin: 0 0 20px; padding: 12px 16px; background: #fff;
  border: 1px solid #d0d7de; border-radius: 6px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg { display: block; width: 100%; max-width: 912px; height: auto; font: 10px system-ui, sans-serif; }
td:first-child, td.num { white-space: nowrap; } .table-wrap { overflow-x: auto; }
svg text { fill: #57606a; } svg .panel { fill: #1f2328; font-weight: 600; font-size: 11px; }
.grid { stroke: #eaeef2; } .axis { stroke: #8c959f; }
.bar.met { fill: #2da44e; } .bar.missed { fill: #cf222e; } .bar.nodata { fill: #afb8c1; }
.target { stroke: #57606a; stroke-width: 1.5; stroke-dasharray: 6 4; }
.trend { fill: none; stroke: #0969da; stroke-width: 2; }
.dot { fill: #0969da; } .dot.nodata { fill: #afb8c1; }
";

/// The dashboard as a self-contained HTML page.
pub fn render(d: &Dashboard) -> String {
    let mut out = String::with_capacity(16 * 1024 + d.tasks.len() * 2048);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    // What `--generate-dashboard` recognises as its own page (and so may replace).
    out.push_str(&format!(
        "<meta name=\"generator\" content=\"{GENERATOR}\"/>\n"
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    out.push_str("<title>Task metrics dashboard</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    header(&mut out, d);
    out.push_str("<main>\n");
    summary(&mut out, d);
    out.push_str("<section id=\"charts\">\n<h2>Per task and over time</h2>\n");
    for (i, name) in CRITERIA.into_iter().enumerate() {
        chart(&mut out, d, i, name);
    }
    out.push_str("</section>\n");
    tasks(&mut out, d);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Text from the data made safe in element content and in quoted attributes: `& < > " '`
/// become references, and the characters XML forbids (control characters, `U+FFFE`, `U+FFFF`)
/// become `U+FFFD`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A number with at most one decimal (`3`, `2.5`, never `-0`); 0 for a value that is not
/// finite, which the data never holds.
fn num(value: f64) -> String {
    if !value.is_finite() {
        return "0".into();
    }
    let rounded = (value * 10.0).round() / 10.0 + 0.0;
    let text = format!("{rounded:.1}");
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => text,
    }
}

/// Each criterion's target and what its values count (after the number in a tooltip), in
/// [`CRITERIA`] order.
const SPEC: [(f64, &str); 5] = [
    (TARGET_FILE_READS, " file reads per agent"),
    (TARGET_REPEATED_WARNINGS as f64, " repeated warnings"),
    (TARGET_QA_COVERAGE, " % QA coverage"),
    (TARGET_PROMPT_SAVINGS, " % prompt saving"),
    (0.0, " JSON parse failures"),
];

/// A task's value of each criterion, in [`CRITERIA`] order.
fn task_values(t: &TaskPoint) -> [Option<f64>; 5] {
    [
        t.file_reads_per_agent,
        t.repeated_warnings.map(|n| n as f64),
        t.qa_artifact_coverage,
        t.prompt_size_savings,
        t.json_parse_failures.map(|n| n as f64),
    ]
}

/// A day's value of each criterion, in [`CRITERIA`] order.
fn day_values(p: &TrendPoint) -> [Option<f64>; 5] {
    [
        p.file_reads_per_agent,
        p.repeated_warnings,
        p.qa_artifact_coverage,
        p.prompt_size_savings,
        p.json_parse_failures.map(|n| n as f64),
    ]
}

/// The CSS class of a verdict: met, missed, or nothing to measure.
fn class(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "nodata",
    }
}

fn task_met(t: &TaskPoint, name: &str) -> Option<bool> {
    t.criteria.get(name).copied().flatten()
}

fn header(out: &mut String, d: &Dashboard) {
    let period = match (&d.period.from, &d.period.to) {
        (Some(from), Some(to)) => format!("{} to {}", escape(from), escape(to)),
        (Some(from), None) => format!("from {}", escape(from)),
        (None, Some(to)) => format!("up to {}", escape(to)),
        (None, None) => "all dates".into(),
    };
    let plural = if d.total_tasks == 1 { "" } else { "s" };
    let _ = writeln!(
        out,
        "<header>\n<h1>Task metrics dashboard</h1>\n\
         <p class=\"meta\">Generated {} · {} task{plural} · period: {period}</p>\n</header>",
        escape(&d.generated_at),
        d.total_tasks,
    );
}

fn summary(out: &mut String, d: &Dashboard) {
    out.push_str("<section id=\"summary\">\n<h2>Success criteria</h2>\n<table>\n<thead><tr>");
    out.push_str(
        "<th>Criterion</th><th class=\"status\">Met</th><th>Target</th><th>Actual</th></tr></thead>\n",
    );
    out.push_str("<tbody>\n");
    for ((name, met, actual), target) in d.criteria().into_iter().zip(d.targets()) {
        let (mark, word) = match met {
            Some(true) => ("✓", "met"),
            Some(false) => ("✗", "not met"),
            None => ("—", "no data"),
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><a href=\"#chart-{name}\">{}</a></th>\
             <td class=\"status {}\" title=\"{word}\">{mark}</td><td>{}</td><td>{}</td></tr>",
            escape(criterion_label(name)),
            class(met),
            escape(&target),
            escape(&actual),
        );
    }
    let (verdict, text) = if d.all_criteria_met {
        ("met", "All criteria met.")
    } else {
        ("missed", "Not every criterion is met.")
    };
    let _ = writeln!(
        out,
        "</tbody>\n</table>\n<p class=\"verdict {verdict}\">{text}</p>\n</section>"
    );
}

/// The y scale of a chart: from min(0, values) to max(values, target), with a little headroom.
struct Scale {
    lo: f64,
    hi: f64,
}

impl Scale {
    fn new(values: impl Iterator<Item = f64>, target: f64) -> Scale {
        let (mut lo, mut hi) = (0.0f64, target.max(0.0));
        for v in values.filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi - lo <= 0.0 {
            hi = lo + 1.0;
        }
        hi += (hi - lo) * 0.12;
        Scale { lo, hi }
    }

    fn y(&self, value: f64) -> f64 {
        let v = if value.is_finite() { value } else { 0.0 };
        let v = v.clamp(self.lo, self.hi);
        BOTTOM - (v - self.lo) / (self.hi - self.lo) * (BOTTOM - TOP)
    }

    /// Round gridline values (steps of 1, 2 or 5 × 10ⁿ), about four of them.
    fn ticks(&self) -> Vec<f64> {
        let raw = (self.hi - self.lo) / 4.0;
        if !raw.is_finite() || raw <= 0.0 {
            return vec![self.lo];
        }
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        let mut ticks = Vec::new();
        let mut t = (self.lo / step).ceil() * step;
        while t <= self.hi && ticks.len() < 12 {
            ticks.push(t);
            t += step;
        }
        ticks
    }
}

/// One criterion: the bars per task on the left, the days on the right, on one y scale.
fn chart(out: &mut String, d: &Dashboard, i: usize, name: &str) {
    let (goal, unit) = SPEC[i];
    let days: Vec<(&str, Option<f64>)> = (d.trend_data.iter())
        .map(|p| (p.date.as_str(), day_values(p)[i]))
        .collect();
    let values = (d.tasks.iter().filter_map(|t| task_values(t)[i]))
        .chain(days.iter().filter_map(|(_, v)| *v));
    let scale = Scale::new(values, goal);
    let label = escape(criterion_label(name));
    let ((b0, b1), (t0, t1)) = (BARS, TREND);
    let _ = writeln!(
        out,
        "<figure class=\"chart\" id=\"chart-{name}\" data-criterion=\"{name}\">\n\
         <figcaption>{label}</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" \
         aria-label=\"{label}\">"
    );
    let _ = writeln!(
        out,
        "<text class=\"panel\" x=\"{b0}\" y=\"16\">Per task</text>\
         <text class=\"panel\" x=\"{t0}\" y=\"16\">Over time</text>"
    );
    for tick in scale.ticks() {
        let (y, tick) = (num(scale.y(tick)), num(tick));
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{b0}\" y1=\"{y}\" x2=\"{b1}\" y2=\"{y}\"/>\
             <line class=\"grid\" x1=\"{t0}\" y1=\"{y}\" x2=\"{t1}\" y2=\"{y}\"/>\
             <text x=\"{b0}\" y=\"{y}\" dx=\"-6\" dy=\"3\" text-anchor=\"end\">{tick}</text>"
        );
    }
    bars(out, d, i, name, &scale);
    trend(out, &days, unit, &scale);
    let (zero, y, target) = (num(scale.y(0.0)), num(scale.y(goal)), num(goal));
    for (left, right) in [BARS, TREND] {
        let _ = writeln!(
            out,
            "<line class=\"axis\" x1=\"{left}\" y1=\"{zero}\" x2=\"{right}\" y2=\"{zero}\"/>\
             <line class=\"target\" x1=\"{left}\" y1=\"{y}\" x2=\"{right}\" y2=\"{y}\">\
             <title>target {target}</title></line>"
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{b1}\" y=\"{y}\" dx=\"5\" dy=\"3\">target {target}</text>\n</svg>\n</figure>"
    );
}

/// A bar per task (a "no data" marker for a task without a value), its id under it.
fn bars(out: &mut String, d: &Dashboard, i: usize, name: &str, scale: &Scale) {
    let n = d.tasks.len().max(1);
    let slot = (BARS.1 - BARS.0) / n as f64;
    let width = (slot * 0.7).min(36.0);
    let every = n.div_ceil(MAX_BAR_LABELS);
    let zero = scale.y(0.0);
    for (k, t) in d.tasks.iter().enumerate() {
        let x = BARS.0 + slot * (k as f64 + 0.5);
        let id = escape(&t.task_id);
        match task_values(t)[i] {
            Some(v) => {
                // A zero still shows as a sliver, so that every task has a mark.
                let (top, height) = if v >= 0.0 {
                    let top = scale.y(v).min(zero - 1.5);
                    (top, zero - top)
                } else {
                    (zero, (scale.y(v) - zero).max(1.5))
                };
                let _ = writeln!(
                    out,
                    "<rect class=\"bar {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\">\
                     <title>{id}: {}{}</title></rect>",
                    class(task_met(t, name)),
                    num(x - width / 2.0),
                    num(top),
                    num(width),
                    num(height),
                    num(v),
                    SPEC[i].1
                );
            }
            None => {
                let (x, y) = (num(x + 3.0), num(zero - 4.0));
                let _ = writeln!(
                    out,
                    "<text class=\"nodata\" x=\"{x}\" y=\"{y}\" transform=\"rotate(-90 {x} {y})\">\
                     <title>{id}: no data</title>no data</text>"
                );
            }
        }
        if k % every == 0 {
            let mut short: String = t.task_id.chars().take(LABEL_CHARS).collect();
            if short.len() < t.task_id.len() {
                short.pop();
                short.push('…');
            }
            x_label(out, x, &format!("<title>{id}</title>{}", escape(&short)));
        }
    }
}

/// The criterion over time: a line through the days that have a value, a dot per day.
fn trend(out: &mut String, days: &[(&str, Option<f64>)], unit: &str, scale: &Scale) {
    if days.iter().all(|(_, v)| v.is_none()) {
        let note = if days.is_empty() {
            "no dated data"
        } else {
            "no data"
        };
        let (x, y) = (num((TREND.0 + TREND.1) / 2.0), num((TOP + BOTTOM) / 2.0));
        let _ = writeln!(
            out,
            "<text class=\"nodata\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\">{note}</text>"
        );
        return;
    }
    let step = (TREND.1 - TREND.0) / (days.len().max(2) - 1) as f64;
    let x = |i: usize| match days.len() {
        1 => (TREND.0 + TREND.1) / 2.0,
        _ => TREND.0 + step * i as f64,
    };
    // One polyline per run of consecutive days with a value.
    let mut run: Vec<String> = Vec::new();
    for (i, (_, value)) in days.iter().enumerate() {
        if let Some(v) = value {
            run.push(format!("{},{}", num(x(i)), num(scale.y(*v))));
        }
        if value.is_none() || i + 1 == days.len() {
            if run.len() >= 2 {
                let _ = writeln!(
                    out,
                    "<polyline class=\"trend\" points=\"{}\"/>",
                    run.join(" ")
                );
            }
            run.clear();
        }
    }
    let every = days.len().div_ceil(MAX_DAY_LABELS);
    for (i, (date, value)) in days.iter().enumerate() {
        let date = escape(date);
        let (dot, cy, text) = match value {
            Some(v) => ("dot", scale.y(*v), format!("{}{unit}", num(*v))),
            None => ("dot nodata", scale.y(0.0), "no data".to_string()),
        };
        let _ = writeln!(
            out,
            "<circle class=\"{dot}\" cx=\"{}\" cy=\"{}\" r=\"3.5\">\
             <title>{date}: {text}</title></circle>",
            num(x(i)),
            num(cy)
        );
        if i % every == 0 {
            x_label(out, x(i), &date);
        }
    }
}

/// A label under an x position, slanted so that long ones do not overlap (`markup` is escaped).
fn x_label(out: &mut String, x: f64, markup: &str) {
    let (x, y) = (num(x), num(BOTTOM + 12.0));
    let _ = writeln!(
        out,
        "<text x=\"{x}\" y=\"{y}\" text-anchor=\"end\" \
         transform=\"rotate(-40 {x} {y})\">{markup}</text>"
    );
}

/// Every task's values, each cell coloured by whether it meets its criterion.
fn tasks(out: &mut String, d: &Dashboard) {
    out.push_str("<section id=\"tasks\">\n<h2>Tasks</h2>\n<table>\n<thead><tr>");
    out.push_str("<th>Task</th><th>Date</th>");
    for name in CRITERIA {
        let _ = write!(
            out,
            "<th class=\"num\">{}</th>",
            escape(criterion_label(name))
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for t in &d.tasks {
        let date = t.date.as_deref().map_or("—".to_string(), escape);
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{date}</td>",
            escape(&t.task_id)
        );
        for (name, value) in CRITERIA.into_iter().zip(task_values(t)) {
            let value = value.map_or("no data".to_string(), num);
            let _ = write!(
                out,
                "<td class=\"num {}\">{value}</td>",
                class(task_met(t, name))
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
#[path = "tests/html.rs"]
mod tests;
