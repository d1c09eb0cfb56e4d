//! When each draft was last warned about (`tasks/.cache/draft-warnings.json`), so that `--pick`
//! warns about a draft once a day instead of on every run. The tool's own state: a missing,
//! unreadable or corrupt file means "not warned yet" (the warning is printed, never lost), and a
//! failure to write it is ignored (the warning comes again, nothing else changes).

use crate::repo::{CACHE_DIR, Repo};
use crate::store;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

const FILE: &str = "draft-warnings.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Warned {
    #[serde(default)]
    version: u32,
    /// Draft id → the last day (UTC, `YYYY-MM-DD`) it was warned about.
    #[serde(default)]
    warned: BTreeMap<String, String>,
}

/// The drafts of `ids` not warned about on `today`; they are recorded as warned today. Drafts no
/// longer given are forgotten.
pub fn not_warned_today(repo: &Repo, ids: &[String], today: &str) -> BTreeSet<String> {
    let known = read(repo);
    let fresh: BTreeSet<String> = ids
        .iter()
        .filter(|id| known.warned.get(*id).is_none_or(|day| day != today))
        .cloned()
        .collect();
    // Written (under its lock) only when something changes: a draft warned about, or one gone.
    // (A set: thousands of drafts against thousands of records must not be quadratic.)
    let given: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let forgotten = known.warned.keys().any(|id| !given.contains(id.as_str()));
    if !fresh.is_empty() || forgotten {
        let _ = write(repo, ids, &fresh, today);
    }
    fresh
}

fn read(repo: &Repo) -> Warned {
    let Ok(Some(dir)) = store::paths::hold_existing_state_dir(&repo.root, CACHE_DIR) else {
        return Warned::default();
    };
    store::read_json(&dir.file(FILE).0)
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn write(
    repo: &Repo,
    ids: &[String],
    fresh: &BTreeSet<String>,
    today: &str,
) -> Result<(), store::StateError> {
    // Through the directories checked and held open (a swap for a link meanwhile redirects
    // nothing); errors name the held paths, and are not shown (the record is best effort).
    let dir = super::cache::hold_cache_dir(&repo.root)?;
    let locks = store::paths::hold_state_dir(&repo.root, &format!("{CACHE_DIR}/locks"))?;
    let lock = locks.file("draft-warnings.lock").0;
    // Never waits for the lock: when another run holds it (recording its own warnings, or
    // stopped while it did), this run's warnings are printed but not recorded.
    store::try_update_json(
        &dir.file(FILE).0,
        &lock,
        Warned::default,
        |state: &mut Warned| {
            let before = state.warned.clone();
            state.version = 1;
            let given: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
            state.warned.retain(|id, _| given.contains(id.as_str()));
            for id in fresh {
                state.warned.insert(id.clone(), today.to_string());
            }
            let changed = state.warned != before;
            Ok::<_, store::StateError>(((), changed))
        },
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_warned_about_once_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::discover(Some(dir.path()), dir.path()).unwrap();
        let ids = vec!["TASK-0001".to_string(), "TASK-0002".to_string()];
        let first = not_warned_today(&repo, &ids, "2026-11-29");
        assert_eq!(first.len(), 2);
        assert!(not_warned_today(&repo, &ids, "2026-11-29").is_empty());
        // A new draft the same day: only it.
        let more = vec![ids[0].clone(), "TASK-0003".to_string()];
        let fresh = not_warned_today(&repo, &more, "2026-11-29");
        assert_eq!(fresh.into_iter().collect::<Vec<_>>(), ["TASK-0003"]);
        // The next day: all again.
        assert_eq!(not_warned_today(&repo, &more, "2026-11-30").len(), 2);
        // A corrupt file: warned again, never lost.
        std::fs::write(dir.path().join("tasks/.cache").join(FILE), "{nope").unwrap();
        assert_eq!(not_warned_today(&repo, &more, "2026-11-30").len(), 2);
    }

    #[test]
    fn a_held_lock_means_warned_again_not_a_wait() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::discover(Some(dir.path()), dir.path()).unwrap();
        let ids = vec!["TASK-0001".to_string()];
        let lock = store::paths::state_dir(&repo.root, &format!("{CACHE_DIR}/locks"))
            .unwrap()
            .join("draft-warnings.lock");
        // Another run holds the lock (or was stopped while it did). A run that waited for it
        // would never answer while it is held here.
        let held = store::lock_exclusive(&lock).unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let on_thread = repo.clone();
        let given = ids.clone();
        std::thread::spawn(move || {
            let _ = sender.send(not_warned_today(&on_thread, &given, "2026-11-29").len());
        });
        let answer = std::time::Duration::from_secs(120);
        assert_eq!(
            receiver.recv_timeout(answer),
            Ok(1),
            "warned, without waiting"
        );
        // Not recorded: warned again while the lock is held, and once more after it is free.
        assert_eq!(not_warned_today(&repo, &ids, "2026-11-29").len(), 1);
        drop(held);
        assert_eq!(not_warned_today(&repo, &ids, "2026-11-29").len(), 1);
        assert!(not_warned_today(&repo, &ids, "2026-11-29").is_empty());
    }
}
