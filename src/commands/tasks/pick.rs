//! `--pick [FILTER]`: the next task to work on, or why there is none.

use super::TaskJson;
use crate::app::Ctx;
use crate::error::Result;
use crate::output::{Report, Text, field};
use crate::tasks::graph::Graph;
use crate::tasks::model::PRIORITIES;
use crate::tasks::pick_memo;
use crate::tasks::picker::{self, DraftAlerts, Filter, Halt};
use crate::tasks::priority::Priorities;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PickReport<'a> {
    Picked {
        status: &'static str,
        reason: &'static str,
        task: TaskJson<'a>,
        /// Identifies the content of the task files (a 52-bit integer, exact in JavaScript).
        #[schemars(range(max = 4_503_599_627_370_495u64))]
        snapshot_id: u64,
        draft_alerts: DraftAlerts,
    },
    NothingReady {
        status: &'static str,
        message: &'static str,
        task: Option<TaskJson<'a>>,
        draft_alerts: DraftAlerts,
    },
    /// A blocked unblocker stops the workflow: the `--check-halt` object, exit 2.
    Halted(Halt),
}

pub fn run<'a>(ctx: &'a Ctx, filter_arg: &str) -> Result<PickReport<'a>> {
    let catalog = ctx.catalog();
    let quarantined = ctx.quarantined()?;
    let halt = Halt::check(&catalog.tasks);
    if halt.halt {
        return Ok(PickReport::Halted(halt));
    }
    let filter = Filter::parse(Some(filter_arg));
    // A pick over the same files, filter and quarantine as the last one: its answer, remembered
    // (never when the task cache is not in use: then nothing under it is trusted either).
    let cache_in_use = catalog.cache_warnings.is_empty() && catalog.cache_unsaved.is_none();
    let filter_key = match &filter {
        Filter::All => "all".to_string(),
        Filter::Unblocker => "unblocker".to_string(),
        Filter::Status(status) => format!("status:{status}"),
    };
    let key = cache_in_use.then_some(pick_memo::Key {
        snapshot: catalog.snapshot,
        root: ctx.repo.root_text(),
        filter: &filter_key,
        quarantined,
    });
    let recalled = key
        .as_ref()
        .and_then(|key| pick_memo::recall(&ctx.repo.root, key))
        .filter(|answer| answer.fits(&catalog.tasks));
    let answer = match recalled {
        Some(answer) => answer,
        None => {
            let answer = find(ctx, catalog, quarantined, &filter);
            if let Some(key) = &key
                && pick_memo::remember(&ctx.repo.root, key, &answer).is_err()
            {
                ctx.warn(
                    "Warning: the pick's answer was not remembered: an internal error (please report it); the answer below is right",
                );
            }
            answer
        }
    };
    let draft_alerts = answer.alerts;
    // In text, a draft is warned about once a day, not on every pick (the JSON has them all).
    let draft_alerts = if ctx.format == crate::output::Format::Text && !crate::output::quiet() {
        let today = ctx.clock.now().date_naive().to_string();
        let ids: Vec<String> = draft_alerts.drafts.iter().map(|d| d.id.clone()).collect();
        let fresh = crate::tasks::drafts::not_warned_today(&ctx.repo, &ids, &today);
        draft_alerts.only(&fresh)
    } else {
        draft_alerts
    };
    super::hint_unknown_status(ctx, &filter, &catalog.tasks);
    super::note_no_task_files(ctx, catalog);
    Ok(match answer.first {
        Some(first) => {
            let task = &catalog.tasks[first.index as usize];
            let (priority, reason) = match first.inherited {
                Some((level, reason)) => (PRIORITIES[usize::from(level)], Some(reason)),
                None => (&*task.priority, None),
            };
            PickReport::Picked {
                status: "success",
                reason: picker::pick_reason(task, priority),
                task: TaskJson::new(
                    &ctx.repo,
                    task,
                    priority,
                    reason.map(std::borrow::Cow::Owned),
                    false,
                ),
                snapshot_id: catalog.snapshot,
                draft_alerts,
            }
        }
        None => PickReport::NothingReady {
            status: "no_ready_tasks",
            message: "No ready tasks found",
            task: None,
            draft_alerts,
        },
    })
}

/// The pick worked out from the graph: the draft alerts, the tasks that can be picked, the
/// priorities they inherit, and the first of them in picker order.
fn find(
    ctx: &Ctx,
    catalog: &crate::tasks::catalog::Catalog,
    quarantined: &std::collections::BTreeSet<String>,
    filter: &Filter,
) -> pick_memo::Answer {
    let graph = {
        let _t = crate::trace::phase("pick: graph");
        Graph::of(catalog)
    };
    let repo = &ctx.repo;
    // The draft alerts, then the tasks that can be picked (which the alerts filter): neither
    // needs the priorities.
    let alerts_and_ready = || {
        let alerts = {
            let _t = crate::trace::phase("pick: draft alerts");
            DraftAlerts::compute(&graph, &|rel: &str| repo.abs_string(rel))
        };
        let _t = crate::trace::phase("pick: ready tasks");
        let quarantined = |t: &crate::tasks::Task| quarantined.contains(&*t.id);
        let ready = picker::ready(&graph, &alerts, filter, &quarantined);
        (alerts, ready)
    };
    let priorities = || {
        let _t = crate::trace::phase("pick: priorities");
        Priorities::compute(&graph)
    };
    // Independent walks of the graph: side by side when it is large enough to pay for a thread.
    let (priorities, (alerts, ready)) = if graph.tasks.len() >= super::PARALLEL_FROM {
        std::thread::scope(|scope| {
            let alerts_and_ready = &alerts_and_ready;
            let alerting = crate::threads::try_spawn(scope, alerts_and_ready);
            let priorities = priorities();
            let alerts_and_ready = match alerting {
                Some(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread could start: found here.
                None => alerts_and_ready(),
            };
            (priorities, alerts_and_ready)
        })
    } else {
        (priorities(), alerts_and_ready())
    };
    let _t = crate::trace::phase("pick: candidates");
    let first = picker::first_of(&graph, &priorities, &ready).map(|i| {
        let inherited = priorities.inherited(i).map(|level| {
            let reason = priorities.effective(i).reason.unwrap_or_default();
            (level, reason.to_string())
        });
        pick_memo::First {
            index: u32::try_from(i).expect("fewer than 2^32 tasks"),
            id: graph.tasks[i].id.to_string(),
            inherited,
        }
    });
    pick_memo::Answer { first, alerts }
}

impl Report for PickReport<'_> {
    fn text(&self, out: &mut Text) {
        match self {
            PickReport::Picked {
                task, draft_alerts, ..
            } => {
                out.stderr.push_str(&draft_alerts.warning_text());
                out.stdout
                    .push_str(&format!("{}\n", field(&task.path.to_string())));
            }
            PickReport::NothingReady {
                message,
                draft_alerts,
                ..
            } => {
                out.stderr.push_str(&draft_alerts.warning_text());
                out.stderr.push_str(&format!("{message}\n"));
            }
            PickReport::Halted(halt) => halt.text(out),
        }
    }

    fn succeeded(&self) -> bool {
        !matches!(self, PickReport::Halted(_))
    }

    fn exit_code(&self) -> u8 {
        match self {
            PickReport::Picked { .. } => 0,
            PickReport::NothingReady { .. } => 1,
            PickReport::Halted(_) => 2,
        }
    }
}
