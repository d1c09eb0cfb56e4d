//! `--list [FILTER]`: every task (archived ones included) in pick order.

use super::TaskJson;
use crate::app::Ctx;
use crate::error::Result;
use crate::output::{Report, Text, field};
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
