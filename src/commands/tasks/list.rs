//! `--list [FILTER]`: every task (archived ones included) in pick order.

use super::TaskJson;
use crate::app::Ctx;
use crate::error::Result;
use crate::output::{Paint, Report, Text, field, width};
use crate::tasks::graph::Graph;
use crate::tasks::picker::{self, Filter};
use crate::tasks::priority::Priorities;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ListFilter {
    /// The status filtered on, or null.
    pub status: Option<String>,
    pub unblocker_only: bool,
}

#[derive(Debug, Serialize)]
pub struct ListReport<'a> {
    pub count: usize,
    pub filter: ListFilter,
    pub tasks: Vec<TaskJson<'a>>,
}

pub fn run<'a>(ctx: &'a Ctx, filter_arg: &str) -> Result<ListReport<'a>> {
    let catalog = ctx.catalog();
    let quarantined = ctx.quarantined()?;
    let filter = Filter::parse(Some(filter_arg));
    let graph = Graph::new(&catalog.tasks);
    let priorities = Priorities::compute(&graph);
    let mut selected: Vec<usize> = (0..graph.tasks.len())
        .filter(|&i| filter.matches(&graph.tasks[i]))
        .collect();
    picker::sort(&graph, &priorities, &mut selected);

    super::hint_unknown_status(ctx, &filter, &catalog.tasks);

    let tasks: Vec<TaskJson> = selected
        .into_iter()
        .map(|i| {
            let task = &graph.tasks[i];
            let q = quarantined.contains(&task.id);
            TaskJson::new(ctx, task, priorities.effective(i), q)
        })
        .collect();
    Ok(ListReport {
        count: tasks.len(),
        filter: ListFilter {
            status: match &filter {
                Filter::Status(s) => Some(s.clone()),
                Filter::All | Filter::Unblocker => None,
            },
            unblocker_only: filter == Filter::Unblocker,
        },
        tasks,
    })
}

impl Report for ListReport<'_> {
    fn text(&self, out: &mut Text) {
        if out.terminal {
            return self.table(out);
        }
        for t in &self.tasks {
            let mark = if t.quarantined { " [quarantined]" } else { "" };
            // One task per line, always four fields: values never add lines or columns.
            out.stdout.push_str(&format!(
                "{}\t{}\t{}\t{}{mark}\n",
                field(t.id),
                field(t.status),
                field(&t.path),
                field(t.title)
            ));
        }
    }
}

impl ListReport<'_> {
    /// For a person at a terminal: a header and aligned columns — id, status, priority (with the
    /// one it inherits), the path relative to the repository, the title. Piped, `--list` prints
    /// the tab-separated lines of tasks.py instead.
    fn table(&self, out: &mut Text) {
        let rows: Vec<[String; 5]> = self
            .tasks
            .iter()
            .map(|t| {
                let priority = if t.effective_priority == t.priority {
                    field(t.priority).into_owned()
                } else {
                    format!("{} → {}", field(t.priority), field(&t.effective_priority))
                };
                let title = if t.quarantined {
                    format!("{} {}", field(t.title), Paint::Bad.paint("[quarantined]"))
                } else {
                    field(t.title).into_owned()
                };
                [
                    field(t.id).into_owned(),
                    field(t.status).into_owned(),
                    priority,
                    field(t.rel).into_owned(),
                    title,
                ]
            })
            .collect();
        let header = ["ID", "STATUS", "PRIORITY", "PATH", "TITLE"];
        let mut widths = header.map(width);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let pad = |cell: &str, w: usize| format!("{cell}{}", " ".repeat(w - width(cell) + 2));
        let heading: String = header
            .iter()
            .zip(widths)
            .take(4)
            .map(|(h, w)| pad(h, w))
            .collect::<String>()
            + header[4];
        out.stdout.push_str(&Paint::Bold.paint(&heading));
        out.stdout.push('\n');
        for (row, t) in rows.iter().zip(&self.tasks) {
            let status = match t.status {
                "completed" => Paint::Good,
                "blocked" => Paint::Bad,
                "in_progress" => Paint::Warn,
                "draft" => Paint::Dim,
                _ => Paint::Bold,
            };
            out.stdout.push_str(&pad(&row[0], widths[0]));
            let status_cell = pad(&row[1], widths[1]);
            if status == Paint::Bold {
                out.stdout.push_str(&status_cell);
            } else {
                out.stdout.push_str(&status.paint(&status_cell));
            }
            out.stdout.push_str(&pad(&row[2], widths[2]));
            out.stdout.push_str(&pad(&row[3], widths[3]));
            out.stdout.push_str(&row[4]);
            out.stdout.push('\n');
        }
        out.stdout.push_str(&format!("{} task(s)\n", self.count));
    }
}
