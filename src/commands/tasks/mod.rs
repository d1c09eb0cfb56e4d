//! The task catalog: `--list`, `--pick`, `--validate`, `--refresh-cache`, `--graph`,
//! `--explain`, `--check-halt`.

pub mod check_halt;
pub mod explain;
pub mod graph;
pub mod list;
pub mod pick;
pub mod refresh;
pub mod validate;

use super::args::TaskId;
use crate::app::{CommandInfo, Ctx, Verb, emit};
use crate::error::Result;
use crate::output::{Printer, Shape};
use crate::tasks::Task;
use crate::tasks::model::STATUSES;
use crate::tasks::picker::Filter;
use clap::Args;
use serde::Serialize;

pub const TITLE: &str = "Tasks";

/// Tasks from which a verb walks the graph on two threads (the draft alerts beside the
/// priorities, the reasons beside the sort): below, a thread costs more than it saves.
const PARALLEL_FROM: usize = 2_000;

#[derive(Args, Debug)]
#[group(skip)]
pub struct Flags {
    /// List tasks in pick order (FILTER: a status or `unblocker`; default all)
    #[arg(long, group = "verb", num_args = 0..=1, default_missing_value = "all", value_name = "FILTER", help_heading = TITLE)]
    list: Option<String>,

    /// The columns of the text output, comma-separated (--list): id, status, priority,
    /// effective_priority, area, path, rel_path, title, unblocker, quarantined, blocked_by,
    /// depends_on
    #[arg(long, value_name = "FIELDS", help_heading = "Options")]
    fields: Option<String>,

    /// Pick the next task: unblockers first, then status, inherited priority, order
    #[arg(long, group = "verb", num_args = 0..=1, default_missing_value = "auto", value_name = "FILTER", help_heading = TITLE)]
    pick: Option<String>,

    /// Check the dependency graph: cycles, missing dependencies, duplicate ids
    #[arg(long, group = "verb", help_heading = TITLE)]
    validate: bool,

    /// Re-parse every task file and rewrite the task cache
    #[arg(long, group = "verb", help_heading = TITLE)]
    refresh_cache: bool,

    /// Print the dependency graph in Graphviz DOT format
    #[arg(long, group = "verb", help_heading = TITLE)]
    graph: bool,

    /// Explain a task's blockers, artifact dependencies and readiness
    #[arg(long, group = "verb", value_name = "TASK_ID", help_heading = TITLE)]
    explain: Option<TaskId>,

    /// Exit 2 when an unblocker task is blocked (the workflow is halted)
    #[arg(long, group = "verb", help_heading = TITLE)]
    check_halt: bool,
}

#[derive(Debug)]
pub enum Cmd {
    List(list::Query),
    Pick(String),
    Validate,
    RefreshCache,
    Graph,
    Explain(TaskId),
    CheckHalt,
}

impl Flags {
    pub fn verb(self, shared: &super::Shared) -> Option<Result<Box<dyn Verb>>> {
        let cmd = if let Some(filter) = self.list {
            match list::Query::new(
                filter,
                &shared.status,
                &shared.area,
                &shared.priority,
                self.fields,
            ) {
                Ok(query) => Cmd::List(query),
                Err(e) => return Some(Err(e)),
            }
        } else if let Some(filter) = self.pick {
            Cmd::Pick(filter)
        } else if self.validate {
            Cmd::Validate
        } else if self.refresh_cache {
            Cmd::RefreshCache
        } else if self.graph {
            Cmd::Graph
        } else if let Some(id) = self.explain {
            Cmd::Explain(id)
        } else if self.check_halt {
            Cmd::CheckHalt
        } else {
            return None;
        };
        super::boxed(cmd)
    }
}

impl Verb for Cmd {
    fn info(&self) -> &'static CommandInfo {
        match self {
            Cmd::List(_) => &LIST,
            Cmd::Pick(_) => &PICK,
            Cmd::Validate => &VALIDATE,
            Cmd::RefreshCache => &REFRESH_CACHE,
            Cmd::Graph => &GRAPH,
            Cmd::Explain(_) => &EXPLAIN,
            Cmd::CheckHalt => &CHECK_HALT,
        }
    }

    fn rebuilds_cache(&self) -> bool {
        matches!(self, Cmd::RefreshCache)
    }

    fn run(&self, ctx: &Ctx, out: &Printer) -> Result<u8> {
        Ok(match self {
            Cmd::List(query) => emit(ctx, out, list::run(ctx, query)?),
            Cmd::Pick(filter) => emit(ctx, out, pick::run(ctx, filter)?),
            Cmd::Validate => emit(ctx, out, validate::run(ctx)?),
            Cmd::RefreshCache => emit(ctx, out, refresh::run(ctx)?),
            Cmd::Graph => emit(ctx, out, graph::run(ctx)),
            Cmd::Explain(id) => emit(ctx, out, explain::run(ctx, id.as_str())?),
            Cmd::CheckHalt => emit(ctx, out, check_halt::run(ctx)),
        })
    }
}

pub static COMMANDS: &[&CommandInfo] = &[
    &LIST,
    &PICK,
    &VALIDATE,
    &REFRESH_CACHE,
    &GRAPH,
    &EXPLAIN,
    &CHECK_HALT,
];

pub static LIST: CommandInfo = CommandInfo {
    flag: "list",
    report: crate::schema::of::<list::ListReport<'static>>,
    shape: Shape::Flat,
    reads: &["status", "area", "priority", "fields"],
    summary: "every task, archived too, in pick order (FILTER: a status…)",
    about: "Lists every task, archived ones included, in the order --pick would take them: \
unblockers first, then by status, effective (inherited) priority, `order` and id. FILTER is a \
status (todo, in_progress, blocked, completed, draft) or `unblocker`; without it, all tasks. \
--status, --area and --priority (each repeatable, or comma-separated) keep the tasks matching \
any value given of each; all filters together. Quarantined tasks are marked. Piped, each task is \
one line: id, status, path and title, separated by tabs — or the columns --fields names, in its \
order (the JSON always has every field).",
    examples: &[
        ("tasks --list", "all tasks"),
        ("tasks --list todo", "the todo tasks, in pick order"),
        (
            "tasks --list --status todo,blocked --area backend --fields id,status,priority,title",
            "open backend work, four columns",
        ),
        (
            "tasks --list --format json | jq -r '.tasks[].id'",
            "the ids, for scripts",
        ),
    ],
    exits: "0 listed · 10 the quarantine directory is a link (E002) · 50 corrupt quarantine index (E052)",
};

pub static PICK: CommandInfo = CommandInfo {
    flag: "pick",
    report: crate::schema::of::<pick::PickReport<'static>>,
    shape: Shape::Verdict { data: false },
    reads: &[],
    summary: "the next task to work on: unblockers first, inherited priority",
    about: "Prints the path of the next task to work on (the task itself with --format json, \
with `reason`, `effective_priority` and draft alerts). A candidate is not completed, not a draft, \
not quarantined, and every task it is blocked by is completed; unblockers come first, then \
in-progress work, then the priority inherited through blocked_by chains. FILTER: auto (default), \
a status, or unblocker. A blocked unblocker halts the workflow (exit 2) — fix it first.",
    examples: &[
        ("tasks --pick", "the path of the next task"),
        ("tasks --pick --format json | jq .task.id", "its id"),
        ("tasks --pick unblocker", "only unblocker tasks"),
    ],
    exits: "0 picked · 1 nothing ready · 2 workflow halted (a blocked unblocker) · 10 the quarantine directory is a link (E002) · 50 corrupt quarantine index (E052)",
};

pub static VALIDATE: CommandInfo = CommandInfo {
    flag: "validate",
    report: crate::schema::of::<validate::ValidateReport>,
    shape: Shape::Verdict { data: false },
    reads: &[],
    summary: "cycles, missing dependencies and duplicate ids in the task graph",
    about: "Checks the dependency graph of all tasks: blocked_by/depends_on cycles, references \
to ids no task has, and ids defined by more than one file. The report has `valid`, \
`error_count` and `errors` (as tasks.py printed them).",
    examples: &[
        ("tasks --validate", "the problems, one per line"),
        (
            "tasks --validate --format json | jq .errors",
            "the list, for scripts",
        ),
    ],
    exits: "0 valid · 10 problems found (E010)",
};

pub static REFRESH_CACHE: CommandInfo = CommandInfo {
    flag: "refresh-cache",
    report: crate::schema::of::<refresh::RefreshReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "re-parse every task file and rewrite the task cache",
    about: "Reads and parses every task file again, ignoring the cache, and rewrites \
tasks/.cache/. Never needed for correctness (the cache notices changed files by size, mtime and \
hash); useful after an edit that kept a file's size and modification time.",
    examples: &[("tasks --refresh-cache", "the counts of what was loaded")],
    exits: "0 · 10 tasks/.cache/ is a link or not a directory (E002) · 40 the cache cannot be written: a full disk, a permission (E041)",
};

pub static GRAPH: CommandInfo = CommandInfo {
    flag: "graph",
    report: crate::schema::of::<graph::GraphReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "the dependency graph in Graphviz DOT",
    about: "Prints the dependency graph as Graphviz DOT: one node per task coloured by status, \
solid edges for blocked_by, dashed ones for depends_on.",
    examples: &[
        ("tasks --graph > tasks.dot", "the graph as a DOT file"),
        (
            "tasks --graph | dot -Tpng -o tasks.png",
            "rendered as a PNG (needs Graphviz)",
        ),
    ],
    exits: "0",
};

pub static EXPLAIN: CommandInfo = CommandInfo {
    flag: "explain",
    report: crate::schema::of::<explain::ExplainReport>,
    shape: Shape::Flat,
    reads: &[],
    summary: "why a task is (not) ready: its blockers and their chain",
    about: "Explains one task: its hard blockers (blocked_by) and whether each is completed, its \
artifact dependencies (depends_on), every task it transitively waits for, and whether it is \
ready.",
    examples: &[(
        "tasks --explain TASK-0106",
        "why TASK-0106 is or is not ready",
    )],
    exits: "0 · 10 malformed id (E002), its file cannot be loaded (E011) · 40 no task with that id (E040)",
};

pub static CHECK_HALT: CommandInfo = CommandInfo {
    flag: "check-halt",
    report: crate::schema::of::<crate::tasks::picker::Halt>,
    shape: Shape::Verdict { data: false },
    reads: &[],
    summary: "exit 2 when a blocked unblocker halts the workflow",
    about: "Checks for a workflow halt: an unblocker task whose status is blocked stops all other \
work until it is fixed. Prints the halted tasks (on stderr in text mode).",
    examples: &[(
        "tasks --check-halt && tasks --pick",
        "pick only when nothing halts the workflow",
    )],
    exits: "0 no halt · 2 halted",
};

/// A task as `--list` and `--pick` print it in JSON (spec 01 §7.1 field names).
// It borrows from the catalog: a 10,000-task listing copies no task text.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub priority: &'a str,
    pub effective_priority: &'a str,
    pub priority_reason: Option<std::borrow::Cow<'a, str>>,
    pub area: &'a str,
    pub unblocker: bool,
    pub order: Option<i64>,
    /// Sorted.
    pub blocked_by: Vec<&'a str>,
    /// Sorted.
    pub depends_on: Vec<&'a str>,
    /// Absolute path of the task file.
    pub path: crate::repo::AbsPath<'a>,
    /// The same, relative to the repository (for people).
    #[serde(skip)]
    pub rel: &'a str,
    pub hash: &'a str,
    pub mtime: f64,
    /// Listed in the quarantine index: never picked.
    pub quarantined: bool,
}

impl<'a> TaskJson<'a> {
    /// `priority` and `reason`: the task's effective priority and why it is inherited.
    pub fn new(
        repo: &'a crate::repo::Repo,
        task: &'a Task,
        priority: &'a str,
        reason: Option<std::borrow::Cow<'a, str>>,
        quarantined: bool,
    ) -> TaskJson<'a> {
        let sorted = |v: &'a [crate::tasks::model::Text]| {
            let mut v: Vec<&'a str> = v.iter().map(|s| &**s).collect();
            v.sort_unstable();
            v
        };
        TaskJson {
            id: &task.id,
            title: &task.title,
            status: &task.status,
            priority: &task.priority,
            effective_priority: priority,
            priority_reason: reason,
            area: &task.area,
            unblocker: task.unblocker,
            order: task.order,
            blocked_by: sorted(&task.blocked_by),
            depends_on: sorted(&task.depends_on),
            path: repo.abs_path(&task.path),
            rel: &task.path,
            hash: &task.hash,
            mtime: task.mtime,
            quarantined,
        }
    }
}

/// A repository without any task file is told so on stderr (an empty listing or no pick could
/// otherwise be a wrong directory taken silently).
pub fn note_no_task_files(ctx: &Ctx, catalog: &crate::tasks::catalog::Catalog) {
    if catalog.files == 0 {
        // Named: run from a subdirectory without its own `.git`, the root may not be the one
        // the caller meant.
        ctx.warn(format!(
            "Note: {} under {}, the repository root (--repo-root names another)",
            refresh::NO_TASK_FILES,
            crate::text::field(&ctx.repo.root.display().to_string())
        ));
    }
}

/// A status filter that is no known status and that no task has is most likely a typo: say so
/// on stderr (custom statuses stay usable).
pub fn hint_unknown_status(ctx: &Ctx, filter: &Filter, tasks: &[Task]) {
    if let Filter::Status(status) = filter
        && !STATUSES.contains(&status.as_str())
        && !tasks.iter().any(|t| &t.status == status)
    {
        ctx.warn(format!(
            "Warning: no task has status '{status}' (known statuses: {}, or the filter unblocker)",
            STATUSES.join(", ")
        ));
    }
}
