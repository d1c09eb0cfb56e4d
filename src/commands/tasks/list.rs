//! `--list [FILTER]`: every task (archived ones included) in pick order.

use super::TaskJson;
use crate::app::Ctx;
use crate::error::Result;
use crate::output::{Paint, Report, Text, field, width};
use crate::tasks::graph::Graph;
use crate::tasks::picker::{self, Filter};
use crate::tasks::priority::{Priorities, Ranks};
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListFilter {
    /// The status filtered on, or null.
    pub status: Option<String>,
    pub unblocker_only: bool,
    /// `--status`, `--area`, `--priority` (empty: any).
    pub statuses: Vec<String>,
    pub areas: Vec<String>,
    pub priorities: Vec<String>,
}

/// The text columns `--fields` can name.
pub const FIELDS: [&str; 12] = [
    "id",
    "status",
    "priority",
    "effective_priority",
    "area",
    "path",
    "rel_path",
    "title",
    "unblocker",
    "quarantined",
    "blocked_by",
    "depends_on",
];

/// What `--list` was asked for.
#[derive(Debug, Clone)]
pub struct Query {
    pub filter: String,
    pub statuses: Vec<String>,
    pub areas: Vec<String>,
    pub priorities: Vec<String>,
    /// `--fields`, checked.
    pub fields: Option<Vec<&'static str>>,
}

/// Values of a repeatable option, each possibly comma-separated; blanks dropped.
fn values(given: &[String]) -> Vec<String> {
    given
        .iter()
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

impl Query {
    pub fn new(
        filter: String,
        statuses: &[String],
        areas: &[String],
        priorities: &[String],
        fields: Option<String>,
    ) -> Result<Query> {
        // A filter given empty (an unset shell variable) is refused, never taken for "any".
        for (option, given) in [
            ("--status", statuses),
            ("--area", areas),
            ("--priority", priorities),
        ] {
            if !given.is_empty() && values(given).is_empty() {
                return Err(crate::commands::bad_value(
                    option,
                    &given.join(","),
                    "needs a value (an empty filter would list everything)",
                    Some("--list"),
                ));
            }
        }
        let statuses = values(statuses);
        for status in &statuses {
            crate::ledger::check_choice("--status", status, &crate::tasks::model::STATUSES)?;
        }
        let fields = match fields {
            None => None,
            Some(list) => {
                let mut chosen = Vec::new();
                for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    crate::ledger::check_choice("--fields", name, &FIELDS)?;
                    let known = FIELDS.iter().find(|f| **f == name).copied();
                    chosen.extend(known);
                }
                if chosen.is_empty() {
                    return Err(crate::commands::bad_value(
                        "--fields",
                        &list,
                        "name at least one column",
                        Some("--list"),
                    ));
                }
                Some(chosen)
            }
        };
        Ok(Query {
            filter,
            statuses,
            areas: values(areas),
            priorities: values(priorities),
            fields,
        })
    }

    fn keeps(&self, task: &crate::tasks::Task) -> bool {
        let any = |set: &[String], value: &str| set.is_empty() || set.iter().any(|v| v == value);
        any(&self.statuses, &task.status)
            && any(&self.areas, &task.area)
            && any(&self.priorities, &task.priority)
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListReport<'a> {
    pub count: usize,
    pub filter: ListFilter,
    #[schemars(with = "Vec<TaskJson<'static>>")]
    pub tasks: Rows<'a>,
    /// `--fields`: the text columns.
    #[serde(skip)]
    pub fields: Option<Vec<&'static str>>,
}

pub fn run<'a>(ctx: &'a Ctx, query: &Query) -> Result<ListReport<'a>> {
    let catalog = ctx.catalog();
    let quarantined = ctx.quarantined()?;
    let filter = Filter::parse(Some(&query.filter));
    let graph = Graph::of(catalog);
    // The reasons are found on a helper thread while the tasks are selected and sorted here
    // (the sort needs only the ranks).
    let select_and_sort = |ranks: &Ranks| {
        let _s = crate::trace::phase("list: select, sort");
        let mut selected: Vec<usize> = (0..graph.tasks.len())
            .filter(|&i| filter.matches(&graph.tasks[i]) && query.keeps(&graph.tasks[i]))
            .collect();
        picker::sort(&graph, ranks, &mut selected);
        selected
    };
    let (priorities, selected) = {
        let _p = crate::trace::phase("list: priorities with reasons, select, sort");
        if graph.tasks.len() >= super::PARALLEL_FROM {
            Priorities::with_reasons_beside(&graph, select_and_sort)
        } else {
            let priorities = Priorities::with_reasons(&graph);
            let selected = select_and_sort(priorities.ranks());
            (priorities, selected)
        }
    };
    let _rows = crate::trace::phase("list: rows");

    super::hint_unknown_status(ctx, &filter, &catalog.tasks);
    super::note_no_task_files(ctx, catalog);

    let rows: Vec<Row> = selected
        .into_iter()
        .map(|i| {
            let task = &graph.tasks[i];
            Row {
                task,
                effective: priorities.effective(i),
                quarantined: quarantined.contains(&*task.id),
            }
        })
        .collect();
    let tasks = Rows {
        repo: &ctx.repo,
        rows,
    };
    Ok(ListReport {
        count: tasks.len(),
        filter: ListFilter {
            status: match &filter {
                Filter::Status(s) => Some(s.clone()),
                Filter::All | Filter::Unblocker => None,
            },
            unblocker_only: filter == Filter::Unblocker,
            statuses: query.statuses.clone(),
            areas: query.areas.clone(),
            priorities: query.priorities.clone(),
        },
        tasks,
        fields: query.fields.clone(),
    })
}

/// The tasks listed, in order, each made into its [`TaskJson`] when it is printed: on two
/// threads for a long JSON listing (`pretty::ParallelSeq`), which is most of the time a long
/// `--list --format json` takes.
#[derive(Debug)]
pub struct Rows<'a> {
    repo: &'a crate::repo::Repo,
    rows: Vec<Row<'a>>,
}

#[derive(Debug)]
struct Row<'a> {
    task: &'a crate::tasks::Task,
    effective: crate::tasks::priority::Effective<'a>,
    quarantined: bool,
}

impl<'a> Rows<'a> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn json(&self, i: usize) -> TaskJson<'_> {
        let row = &self.rows[i];
        TaskJson::new(
            self.repo,
            row.task,
            row.effective.priority,
            row.effective
                .reason
                .as_deref()
                .map(std::borrow::Cow::Borrowed),
            row.quarantined,
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = TaskJson<'_>> {
        (0..self.rows.len()).map(|i| self.json(i))
    }
}

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::pretty::ParallelSeq {
            len: self.rows.len(),
            make: |i| self.json(i),
        }
        .serialize(serializer)
    }
}

impl Report for ListReport<'_> {
    fn text(&self, out: &mut Text) {
        if let Some(fields) = &self.fields {
            return self.columns(out, fields);
        }
        if out.terminal {
            return self.table(out);
        }
        for t in self.tasks.iter() {
            let mark = if t.quarantined { " [quarantined]" } else { "" };
            // One task per line, always four fields: values never add lines or columns.
            out.stdout.push_str(&format!(
                "{}\t{}\t{}\t{}{mark}\n",
                field(t.id),
                field(t.status),
                field(&t.path.to_string()),
                field(t.title)
            ));
        }
    }
}

impl ListReport<'_> {
    /// `--fields`: the chosen columns, tab-separated when piped, a table on a terminal.
    fn columns(&self, out: &mut Text, fields: &[&'static str]) {
        let value = |t: &TaskJson, name: &str| -> String {
            match name {
                "id" => t.id.to_string(),
                "status" => t.status.to_string(),
                "priority" => t.priority.to_string(),
                "effective_priority" => t.effective_priority.to_string(),
                "area" => t.area.to_string(),
                "path" => t.path.to_string(),
                "rel_path" => t.rel.to_string(),
                "title" => t.title.to_string(),
                "unblocker" => t.unblocker.to_string(),
                "quarantined" => t.quarantined.to_string(),
                "blocked_by" => t.blocked_by.join(","),
                "depends_on" => t.depends_on.join(","),
                _ => String::new(),
            }
        };
        if out.terminal {
            let header: Vec<String> = fields.iter().map(|f| f.to_uppercase()).collect();
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            let rows: Vec<Vec<String>> = (self.tasks.iter())
                .map(|t| fields.iter().map(|f| value(&t, f)).collect())
                .collect();
            let rows: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
            crate::output::table_of(out, &header, &rows);
            return;
        }
        for t in self.tasks.iter() {
            let cells: Vec<String> = fields
                .iter()
                .map(|f| field(&value(&t, f)).into_owned())
                .collect();
            out.stdout.push_str(&cells.join("\t"));
            out.stdout.push('\n');
        }
    }

    /// For a person at a terminal: a header and aligned columns — id, status, priority (with the
    /// one it inherits), the path relative to the repository, the title. Piped, `--list` prints
    /// the tab-separated lines of tasks.py instead.
    fn table(&self, out: &mut Text) {
        let tasks: Vec<TaskJson> = self.tasks.iter().collect();
        let rows: Vec<[String; 5]> = tasks
            .iter()
            .map(|t| {
                let priority = if t.effective_priority == t.priority {
                    field(t.priority).into_owned()
                } else {
                    format!("{} → {}", field(t.priority), field(t.effective_priority))
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
        for (row, t) in rows.iter().zip(&tasks) {
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
