use super::*;
use crate::metrics::dashboard::{Period, build};
use crate::metrics::{Baseline, Input, QaCommand, QaCoverage, Summary, collect};
use crate::telemetry::{Event, Telemetry, parse_time};
use quick_xml::Reader;
use quick_xml::events::Event as Xml;

const NOW: &str = "2026-11-29T10:00:00+00:00";

/// One task's telemetry: `reads` file reads by the implementer on `day` (none: no activity at
/// all, so the task has no date), plus `events`.
fn telemetry(task: &str, reads: u64, day: Option<&str>, events: &[Event]) -> Telemetry {
    let mut t = Telemetry::new(task, "implementer");
    if let Some(day) = day {
        let mut all: Vec<Event> = (0..reads)
            .map(|_| Event::FileRead {
                path: None,
                size: 10,
            })
            .collect();
        all.extend_from_slice(events);
        let at = parse_time(&format!("{day}T09:00:00Z")).unwrap();
        t.apply(&all, at, None);
    }
    t
}

fn qa(with_log: bool) -> QaCoverage {
    QaCoverage {
        commands: vec![QaCommand {
            passed: None,
            command_id: "lint".into(),
            command: "cargo clippy".into(),
            log_path: with_log.then(|| "logs/lint.log".into()),
        }],
    }
}

fn summary(task: &str, t: Telemetry, qa: &QaCoverage, baseline: Option<Baseline>) -> Summary {
    collect(&Input {
        task_id: task,
        telemetry: &[t],
        qa,
        baseline,
        now: NOW,
    })
}

/// A task with `reads` file reads on `day`, full QA coverage and no prompt baseline.
fn task(task_id: &str, reads: u64, day: Option<&str>) -> Summary {
    summary(
        task_id,
        telemetry(task_id, reads, day, &[]),
        &qa(true),
        None,
    )
}

fn page(summaries: &[Summary]) -> String {
    render(&build(summaries, Period::default(), NOW))
}

/// A mixed dashboard: two days, a prompt saving on one task, a parse failure, a missing log.
fn mixed() -> String {
    let a = task("TASK-A", 3, Some("2026-11-27"));
    let b = summary(
        "TASK-B",
        telemetry(
            "TASK-B",
            9,
            Some("2026-11-28"),
            &[
                Event::JsonCall,
                Event::JsonParseFailure,
                Event::ContextRead {
                    served: 400,
                    source: 1000,
                },
            ],
        ),
        &qa(false),
        None,
    );
    let c = task("TASK-C", 0, Some("2026-11-28"));
    page(&[a, b, c])
}

/// Parse `page` as XML to the end, failing on any error, with every element closed in order.
/// Returns the `data-criterion` values of the charts, in document order.
fn parse(page: &str) -> Vec<String> {
    let mut reader = Reader::from_str(page);
    let mut open: Vec<String> = Vec::new();
    let mut criteria = Vec::new();
    let (mut doctype, mut root) = (false, false);
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not XML at {}: {e}", reader.buffer_position()));
        match event {
            Xml::DocType(_) => doctype = true,
            Xml::Start(ref e) | Xml::Empty(ref e) => {
                let name = e.name().as_ref().to_string();
                if open.is_empty() {
                    assert!(!root, "a second root element <{name}>");
                    assert_eq!(name, "html");
                    root = true;
                }
                for attr in e.attributes() {
                    let attr = attr.unwrap_or_else(|err| panic!("attribute of <{name}>: {err}"));
                    if attr.key.as_ref() == "data-criterion" {
                        criteria.push(attr.value.into_owned());
                    }
                }
                if matches!(event, Xml::Start(_)) {
                    open.push(name);
                }
            }
            Xml::End(e) => {
                let name = e.name().as_ref().to_string();
                assert_eq!(
                    open.pop().as_deref(),
                    Some(name.as_str()),
                    "unbalanced </{name}>"
                );
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    assert!(doctype, "no DOCTYPE");
    assert!(root, "no root element");
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    criteria
}

/// The text of one criterion's chart.
fn figure<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"chart-{name}\""))
        .unwrap_or_else(|| panic!("no chart of {name}"));
    let end = start + page[start..].find("</figure>").unwrap();
    &page[start..end]
}

/// The class of the bar whose tooltip starts with `tooltip`.
fn bar_class<'a>(chart: &'a str, tooltip: &str) -> &'a str {
    let at = chart
        .find(&format!("<title>{tooltip}"))
        .unwrap_or_else(|| panic!("no bar titled {tooltip}"));
    let rect = &chart[chart[..at].rfind("<rect").unwrap()..at];
    let class = &rect[rect.find("class=\"").unwrap() + 7..];
    &class[..class.find('"').unwrap()]
}

fn assert_self_contained(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.contains("<meta charset=\"utf-8\"/>"));
    assert!(!page.to_lowercase().contains("<script"), "a script");
    let rest = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !rest.contains("http://") && !rest.contains("https://"),
        "a URL"
    );
    assert!(!rest.contains("src="), "an external resource");
    for (at, _) in page.match_indices("href=\"") {
        assert!(page[at + 6..].starts_with('#'), "a link out of the page");
    }
    assert!(!page.contains("NaN"), "NaN");
    assert!(!page.to_lowercase().contains("inf"), "an infinite number");
}

#[test]
fn page_is_well_formed_xml_with_balanced_elements() {
    parse(&mixed());
    parse(&page(&[task("ONLY", 0, None)]));
}

#[test]
fn one_chart_with_one_svg_per_criterion_in_order() {
    let page = mixed();
    assert_eq!(parse(&page), CRITERIA);
    assert_eq!(page.matches("<svg").count(), 5);
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 5);
    for name in CRITERIA {
        let chart = figure(&page, name);
        assert_eq!(chart.matches("<svg").count(), 1, "{name}");
        assert!(
            chart.contains(&format!(
                "<figcaption>{}</figcaption>",
                criterion_label(name)
            )),
            "{name}"
        );
        assert!(
            chart.contains("<line class=\"target\""),
            "{name}: no target line"
        );
        assert_eq!(
            chart.matches("<title>TASK-").count(),
            3 + 3,
            "{name}: bar + label"
        );
    }
}

#[test]
fn page_is_self_contained_without_nan_or_infinite_numbers() {
    assert_self_contained(&mixed());
    // Every value zero (the JSON chart's target is 0 too), a task without any date.
    assert_self_contained(&page(&[task("ZERO", 0, Some("2026-11-28"))]));
    assert_self_contained(&page(&[task("UNDATED", 0, None)]));
}

#[test]
fn header_has_the_generation_time_the_task_count_and_the_period() {
    let summaries = [task("TASK-A", 1, Some("2026-11-27"))];
    let period = Period {
        from: Some("2026-11-01".into()),
        to: Some("2026-11-30".into()),
    };
    let page = render(&build(&summaries, period, NOW));
    parse(&page);
    assert!(page.contains(&format!(
        "Generated {NOW} · 1 task · period: 2026-11-01 to 2026-11-30"
    )));
    assert!(mixed().contains("· 3 tasks · period: all dates"));
}

#[test]
fn hostile_task_id_is_escaped() {
    let id = "<script>alert(1)</script>&\"'\u{1}";
    let page = page(&[task(id, 2, Some("2026-11-28"))]);
    parse(&page);
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;\u{FFFD}"));
    assert_self_contained(&page);
}

#[test]
fn escape_covers_markup_characters_and_characters_xml_forbids() {
    assert_eq!(escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    assert_eq!(
        escape("tab\there\u{0}\u{FFFF}"),
        "tab\there\u{FFFD}\u{FFFD}"
    );
}

#[test]
fn numbers_have_at_most_one_decimal() {
    assert_eq!(num(3.0), "3");
    assert_eq!(num(2.345), "2.3");
    assert_eq!(num(10.0 / 3.0), "3.3");
    assert_eq!(num(-0.04), "0");
    assert_eq!(num(f64::NAN), "0");
    assert_eq!(num(f64::INFINITY), "0");
    // Two agents of one task: 3 and 4 reads, 3.5 on average.
    let summary = collect(&Input {
        task_id: "AVG",
        telemetry: &[
            telemetry("AVG", 3, Some("2026-11-28"), &[]),
            telemetry("AVG", 4, Some("2026-11-28"), &[]),
        ],
        qa: &qa(true),
        baseline: None,
        now: NOW,
    });
    let page = page(&[summary]);
    assert!(page.contains("<title>AVG: 3.5 file reads per agent</title>"));
}

#[test]
fn empty_trend_and_missing_prompt_saving_render_no_data() {
    let page = page(&[task("UNDATED", 2, None)]);
    parse(&page);
    // No date: every over-time panel says so.
    assert_eq!(page.matches(">no dated data</text>").count(), 5);
    assert!(!page.contains("<circle"));
    // No prompt saving: — in the summary, a marker instead of a bar, "no data" in the table.
    assert!(page.contains("title=\"no data\">—</td><td>average ≥ 15%</td><td>no data</td>"));
    let chart = figure(&page, "prompt_size_savings");
    assert!(!chart.contains("<rect"));
    assert!(chart.contains("<title>UNDATED: no data</title>no data</text>"));
    assert!(page.contains("<td class=\"num nodata\">no data</td>"));

    // Dated, but still no saving: the over-time panel says "no data".
    let page = self::page(&[task("DATED", 2, Some("2026-11-28"))]);
    let chart = figure(&page, "prompt_size_savings");
    assert!(chart.contains(">no data</text>"));
    assert!(!chart.contains("<circle"));
}

#[test]
fn bars_are_green_when_the_task_meets_the_criterion_and_red_when_not() {
    let page = mixed();
    let reads = figure(&page, "file_reads_per_agent");
    assert_eq!(bar_class(reads, "TASK-A: 3 "), "bar met");
    assert_eq!(bar_class(reads, "TASK-B: 9 "), "bar missed");
    let qa = figure(&page, "qa_artifact_coverage");
    assert_eq!(bar_class(qa, "TASK-A: 100 "), "bar met");
    assert_eq!(bar_class(qa, "TASK-B: 0 "), "bar missed");
    let json = figure(&page, "json_parse_failures");
    assert_eq!(bar_class(json, "TASK-A: 0 "), "bar met");
    assert_eq!(bar_class(json, "TASK-B: 1 "), "bar missed");
    let saving = figure(&page, "prompt_size_savings");
    assert_eq!(bar_class(saving, "TASK-B: 60 "), "bar met");
    assert!(saving.contains("<title>TASK-A: no data</title>"));
    // The summary: file reads (2 of 3 agents ≤ 5, under 80 %) not met, with its actual value.
    assert!(
        page.contains("title=\"not met\">✗</td><td>≥80% of agents ≤ 5 reads</td><td>66.7%</td>")
    );
}

#[test]
fn trend_has_one_point_per_day() {
    // One day: a single dot, no line.
    let one = page(&[task("TASK-A", 3, Some("2026-11-28"))]);
    let chart = figure(&one, "file_reads_per_agent");
    assert_eq!(chart.matches("<circle").count(), 1);
    assert!(!chart.contains("<polyline"));
    assert!(chart.contains("<title>2026-11-28: 3 file reads per agent</title>"));
    // Two days: a dot each and a line through them, the days' means.
    let page = mixed();
    let chart = figure(&page, "file_reads_per_agent");
    assert_eq!(chart.matches("<circle").count(), 2);
    assert_eq!(chart.matches("<polyline").count(), 1);
    assert!(chart.contains("<title>2026-11-27: 3 file reads per agent</title>"));
    assert!(chart.contains("<title>2026-11-28: 4.5 file reads per agent</title>"));
    assert!(chart.contains(">2026-11-27</text>") && chart.contains(">2026-11-28</text>"));
}

#[test]
fn task_table_lists_every_task_with_its_values() {
    let page = mixed();
    let table = &page[page.find("<section id=\"tasks\">").unwrap()..];
    assert!(table.contains(
        "<tr><th scope=\"row\">TASK-B</th><td>2026-11-28</td><td class=\"num missed\">9</td>\
         <td class=\"num met\">0</td><td class=\"num missed\">0</td><td class=\"num met\">60</td>\
         <td class=\"num missed\">1</td></tr>"
    ));
    assert_eq!(table.matches("<tr><th scope=\"row\">").count(), 3);
}
