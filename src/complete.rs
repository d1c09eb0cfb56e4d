//! Shell completion that knows the repository: flags and enum values from the clap definition,
//! and task ids read from the repository of the current directory at the moment of completion —
//! the active ones (files under `tasks/`) for the commands that change a task, the ones with a
//! context (`.agent-output/<ID>/`) for the context commands, every one otherwise. The shell's
//! script (`tasks --completions bash|zsh|fish`) calls the binary with `COMPLETE=<shell>`; only
//! directory names are listed (no task file is opened), so a completion stays fast on a
//! repository of 10,000 tasks.

use crate::repo::{ARCHIVE_DIR, Repo, TASKS_DIR};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use std::path::Path;

/// The variable the shell scripts set to ask for completions.
pub const VAR: &str = "COMPLETE";

/// Which task ids a command's value takes.
#[derive(Clone, Copy)]
enum Ids {
    /// Files under `tasks/` (not archived): claim, block, complete…
    Active,
    /// Tasks with a context directory.
    WithContext,
    /// Every task file.
    All,
}

/// Which ids a command's task-id value takes: the active ones for the commands that change a
/// task's status, the ones with a context for the commands of the context's families (but the
/// one that builds it, and the pipeline listing, which read the task file), every one otherwise.
fn ids_of(flag: &str) -> Ids {
    use crate::commands::{context, evidence, excerpts, handoffs, qa, telemetry, validation};
    const ACTIVE: [&str; 5] = ["claim", "unclaim", "block", "complete", "archive"];
    const CONTEXT_FAMILIES: [&str; 7] = [
        context::TITLE,
        excerpts::TITLE,
        handoffs::TITLE,
        qa::TITLE,
        evidence::TITLE,
        validation::TITLE,
        telemetry::TITLE,
    ];
    let family = crate::cli::FAMILIES
        .iter()
        .find(|(_, commands)| commands.iter().any(|c| c.flag == flag))
        .map(|(title, _)| *title);
    if ACTIVE.contains(&flag) {
        Ids::Active
    } else if family.is_some_and(|f| CONTEXT_FAMILIES.contains(&f))
        && !["init-context", "list-validation"].contains(&flag)
    {
        Ids::WithContext
    } else {
        Ids::All
    }
}

/// The clap definition with task-id candidates on the flags that take one.
pub fn definition() -> clap::Command {
    let mut cmd = crate::cli::definition();
    let flags: Vec<(String, Ids)> = cmd
        .get_arguments()
        .filter(|a| {
            a.get_value_names()
                .is_some_and(|n| n.iter().any(|v| v.as_str().starts_with("TASK")))
        })
        .filter_map(|a| {
            let long = a.get_long()?;
            Some((a.get_id().to_string(), ids_of(long)))
        })
        .collect();
    for (id, which) in flags {
        cmd = cmd.mut_arg(id, |arg| {
            arg.add(ArgValueCandidates::new(move || candidates(which)))
        });
    }
    cmd
}

fn candidates(which: Ids) -> Vec<CompletionCandidate> {
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let Ok(repo) = Repo::discover(None, &cwd) else {
        return Vec::new();
    };
    let mut ids = match which {
        Ids::Active => ids_in(&repo.root.join(TASKS_DIR)),
        Ids::All => {
            let mut ids = ids_in(&repo.root.join(TASKS_DIR));
            ids.extend(ids_in(&repo.root.join(ARCHIVE_DIR)));
            ids
        }
        Ids::WithContext => {
            crate::ids::dirs_named_by_ids(&repo.root.join(crate::context::store::OUTPUT_DIR))
        }
    };
    ids.sort();
    ids.dedup();
    ids.into_iter().map(CompletionCandidate::new).collect()
}

/// The ids the task file names under `dir` start with (no file is opened; links are not
/// followed; at most 100,000 names). Not `tasks::discover`: that one stats every file for the
/// cache, which doubles the time of a completion (30 ms instead of 16 on 10,000 tasks).
fn ids_in(dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if kind.is_dir() && !name.starts_with('.') {
                pending.push(entry.path());
            } else if kind.is_file()
                && name.ends_with(crate::tasks::file::TASK_FILE_SUFFIX)
                && let Some(id) = crate::ids::id_from_file_name(name)
            {
                ids.push(id);
                if ids.len() >= 100_000 {
                    return ids;
                }
            }
        }
    }
    ids
}

/// Answer a completion request when the shell asked for one (`COMPLETE` set): print the
/// candidates and exit. Otherwise return.
pub fn answer_if_asked() {
    // Nothing but this check on an ordinary run.
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty()) {
        return;
    }
    clap_complete::CompleteEnv::with_factory(definition)
        .var(VAR)
        .complete();
}

/// The registration script of a shell: sourced once, it asks this binary for completions.
pub fn script(shell: clap_complete::Shell) -> Option<String> {
    use clap_complete::env::EnvCompleter;
    let bin = "tasks";
    // The binary's own path, when the script can hold it as it is; else the name, found on
    // PATH (a path with a space, a quote or a `$` would break the script, or run code).
    let completer = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .filter(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
        })
        .unwrap_or_else(|| bin.to_string());
    let mut buf = Vec::new();
    let written = match shell {
        clap_complete::Shell::Bash => {
            clap_complete::env::Bash.write_registration(VAR, bin, bin, &completer, &mut buf)
        }
        clap_complete::Shell::Zsh => {
            clap_complete::env::Zsh.write_registration(VAR, bin, bin, &completer, &mut buf)
        }
        clap_complete::Shell::Fish => {
            clap_complete::env::Fish.write_registration(VAR, bin, bin, &completer, &mut buf)
        }
        _ => return None,
    };
    written.ok()?;
    String::from_utf8(buf).ok()
}
