//! One task's metrics from its files: the telemetry of its context directory, the QA baseline of
//! its `context.json`, the required commands of its pipeline. Used by `--collect-metrics`, the
//! dashboard, and `--complete` (which keeps the final metrics beside the archived context).
//! The caller holds the task's lock.

use super::{Baseline, Input, QaCommand, QaCoverage, Summary, collect};
use crate::context::store::{ContextStore, OUTPUT_DIR};
use crate::error::{ErrorCode, Result};
use crate::qa::compare::{QaResult, QaResults};
use crate::repo::Repo;
use crate::store::StateError;
use crate::telemetry::{self, Telemetry};
use crate::validation::pipeline::{self, Required};
use serde_json::Value;

/// Where `--complete` keeps a task's final metrics (beside its archived context).
pub fn completed_path(id: &str) -> String {
    format!("{OUTPUT_DIR}/.completed/{id}/metrics.json")
}

/// The task's telemetry files (repo-relative names) and documents; E052 naming a file that is
/// not telemetry.
pub fn read_telemetry(store: &ContextStore) -> Result<(Vec<String>, Vec<Telemetry>)> {
    let names = telemetry::files(store)?;
    let mut docs = Vec::new();
    for name in &names {
        if let Some(doc) = telemetry::read(&store.dir.join(name))? {
            docs.push(doc);
        }
    }
    Ok((names.iter().map(|n| store.rel(n)).collect(), docs))
}

/// The required pipeline commands and their stored logs. `pipeline`: the task file's, when it
/// could be read; otherwise the commands the context recorded at init (each required, passing
/// on 0). A log counts when the result of its command (by id, else by command line) names a
/// file inside the task's directory that exists; a path leaving it is never followed.
pub fn qa_coverage(
    repo: &Repo,
    store: &ContextStore,
    pipeline: Option<Vec<Required>>,
) -> Result<QaCoverage> {
    let context = match store.load() {
        Ok(c) => Some(c),
        Err(e) if e.code == ErrorCode::E051 => None,
        Err(e) => return Err(e),
    };
    let required = pipeline.unwrap_or_else(|| {
        context
            .iter()
            .flat_map(|c| c.immutable.validation_baseline.commands.iter())
            .enumerate()
            .map(|(i, c)| Required {
                id: pipeline::implicit_id(i),
                command: c.clone(),
                expected_exit_codes: vec![0],
            })
            .collect()
    });
    let results: Vec<QaResult> = context
        .as_ref()
        .and_then(|c| {
            c.immutable
                .validation_baseline
                .initial_results
                .clone()
                // A context of tasks.py's tests kept it at the top level.
                .or_else(|| {
                    c.extra
                        .get("validation_baseline")?
                        .get("initial_results")
                        .cloned()
                })
        })
        .map(|v| match v {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|i| serde_json::from_value(i).ok())
                .collect(),
            other => serde_json::from_value::<QaResults>(other)
                .map(|r| r.results)
                .unwrap_or_default(),
        })
        .unwrap_or_default();
    let commands = required
        .into_iter()
        .map(|r| {
            let result = (results.iter().rev())
                .find(|x| x.command_id == r.id)
                .or_else(|| {
                    (results.iter().rev()).find(|x| !r.command.is_empty() && x.command == r.command)
                });
            let log_path = result.and_then(|x| x.log_path.clone()).filter(|rel| {
                store
                    .file_named_by(repo, rel, "log_path")
                    .is_ok_and(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
            });
            QaCommand {
                passed: result.map(|x| {
                    x.exit_code.is_some_and(|code| {
                        r.expected_exit_codes.iter().any(|e| i64::from(*e) == code)
                    })
                }),
                command_id: r.id,
                command: r.command,
                log_path,
            }
        })
        .collect();
    Ok(QaCoverage { commands })
}

/// One task's summary and the telemetry files it was computed from.
pub fn summarize(
    repo: &Repo,
    store: &ContextStore,
    pipeline: Option<Vec<Required>>,
    baseline: Option<Baseline>,
    now: &str,
) -> Result<(Summary, Vec<String>)> {
    let (files, docs) = read_telemetry(store)?;
    let qa = qa_coverage(repo, store, pipeline)?;
    let summary = collect(&Input {
        task_id: &store.id,
        telemetry: &docs,
        qa: &qa,
        baseline,
        now,
    });
    Ok((summary, files))
}

/// The metrics `--complete` kept for a task: `None` when there are none; E052 naming the file
/// when it is not a summary. Never read through a link.
pub fn read_completed(repo: &Repo, id: &str) -> Result<Option<Summary>> {
    let path = repo.root.join(completed_path(id));
    if crate::store::paths::existing_state_dir(
        &repo.root,
        &format!("{OUTPUT_DIR}/.completed/{id}"),
    )?
    .is_none()
    {
        return Ok(None);
    }
    let Some(bytes) = crate::store::read_state(&path)? else {
        return Ok(None);
    };
    let summary: Summary = serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if summary.task_id != id {
        return Err(StateError::Corrupt {
            path,
            reason: format!(
                "it holds the metrics of {:?}",
                crate::text::prefix(&summary.task_id, 40)
            ),
        }
        .into());
    }
    Ok(Some(summary))
}
