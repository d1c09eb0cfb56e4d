//! Agent telemetry (schemas §5, issue 14): one file per task and role,
//! `.agent-output/<ID>/telemetry-<role>.json`, in the schemas §5.1 shape. Two sources add to it:
//! the tool itself, when the role of its caller is known (`--agent` or `TASKS_AGENT`): context
//! reads with the bytes served and the bytes of the files they stand for, warnings and errors it
//! printed, JSON documents it printed, validation commands it ran; and agent harnesses, through
//! `--record-telemetry` (file reads, writes and edits, cache hits and misses, JSON calls and
//! parse failures, warnings).
//!
//! Every change is read → apply → replace under the task's lock, so concurrent writers lose
//! nothing, and a new session of a role adds to the file's history (`sessions`) instead of
//! overwriting it. `tasks.py`'s flat shape (`file_operations`, `cache_operations`, `json_calls`
//! at the top level) is read too, and converted when the file is next written.

use crate::context::store::ContextStore;
use crate::error::Result;
use crate::repo::Repo;
use crate::store::{self, StateError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The roles telemetry is recorded for: the agents' (schemas §5.1 also names `task-runner`,
/// which has no coordination of its own and no `--agent` value: left out, so that one set of
/// roles holds everywhere).
pub const ROLES: [&str; 3] = ["implementer", "reviewer", "validator"];

/// The events `--record-telemetry --event` takes.
pub const EVENTS: [&str; 8] = [
    "file_read",
    "file_write",
    "file_edit",
    "cache_hit",
    "cache_miss",
    "json_call",
    "json_parse_failure",
    "warning",
];

/// The environment variables that name the task and the role of an agent's process, and the
/// one that turns the tool's own recording off (`off`, `0`, `false`, `no`).
pub const TASK_ENV: &str = "TASKS_TASK";
pub const AGENT_ENV: &str = "TASKS_AGENT";
pub const SWITCH_ENV: &str = "TASKS_TELEMETRY";
/// The session id of the tool's own records (an agent's process sets it).
pub const SESSION_ENV: &str = "TASKS_SESSION_ID";

/// Whether the tool records its own work (not turned off by `TASKS_TELEMETRY`).
pub fn enabled() -> bool {
    !matches!(
        std::env::var(SWITCH_ENV)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref(),
        Ok("off" | "0" | "false" | "no" | "disabled")
    )
}

/// The role named by `TASKS_AGENT`, checked against the roles; `None` when it is not set.
pub fn role_from_env() -> std::result::Result<Option<&'static str>, String> {
    match std::env::var(AGENT_ENV) {
        Ok(value) if !value.is_empty() => ROLES
            .iter()
            .find(|r| **r == value)
            .map(|r| Some(*r))
            .ok_or_else(|| {
                format!(
                    "{AGENT_ENV}={:?} is not a role ({})",
                    crate::text::prefix(&value, 40),
                    ROLES.join(", ")
                )
            }),
        _ => Ok(None),
    }
}

/// A session without an id ends when its role has been silent this long.
pub const SESSION_GAP_MINUTES: i64 = 30;

/// The largest telemetry file read (a larger one is corrupt state).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Most entries kept per role in each list — distinct warnings, files read, commands run,
/// sessions — so that a file stays far below [`MAX_FILE_BYTES`] (counters stay exact beyond:
/// the oldest commands are dropped, the oldest sessions merged).
pub const MAX_LISTED: usize = 2_000;

/// The longest path and message kept (longer ones are cut at a character boundary).
pub const MAX_TEXT: usize = 1_000;

/// Bytes per token in every estimate (1 token ≈ 4 bytes).
pub const BYTES_PER_TOKEN: u64 = 4;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    FileRead {
        path: Option<String>,
        size: u64,
    },
    FileWrite {
        path: Option<String>,
        size: u64,
    },
    FileEdit {
        path: Option<String>,
        size: u64,
    },
    /// A cache hit reported by a harness: `bytes` it saved.
    CacheHit {
        bytes: u64,
    },
    CacheMiss,
    /// The tool served a task's context: `served` bytes printed, standing for `source` bytes
    /// of task file, cited standards and checklists.
    ContextRead {
        served: u64,
        source: u64,
    },
    JsonCall,
    JsonParseFailure,
    Warning {
        level: Level,
        message: String,
    },
    Command(CommandRun),
}

impl Event {
    /// The event's name, as counted per session.
    pub fn name(&self) -> &'static str {
        match self {
            Event::FileRead { .. } => "file_read",
            Event::FileWrite { .. } => "file_write",
            Event::FileEdit { .. } => "file_edit",
            Event::CacheHit { .. } => "cache_hit",
            Event::CacheMiss => "cache_miss",
            Event::ContextRead { .. } => "context_read",
            Event::JsonCall => "json_call",
            Event::JsonParseFailure => "json_parse_failure",
            Event::Warning { level, .. } => match level {
                Level::Warning => "warning",
                Level::Error => "error",
            },
            Event::Command(_) => "command",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Warning,
    Error,
}

/// `telemetry-<role>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Telemetry {
    pub task_id: String,
    pub agent_role: String,
    /// The start of the first session, the end of the last (absent before the first event).
    #[serde(default)]
    pub session_start: Option<String>,
    #[serde(default)]
    pub session_end: Option<String>,
    /// The sessions' durations added up.
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub metrics: Counters,
    /// One entry per distinct message and level, with how often it was seen.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// The role's sessions, oldest first.
    #[serde(default)]
    pub sessions: Vec<Session>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Counters {
    #[serde(default)]
    pub file_operations: FileOperations,
    #[serde(default)]
    pub cache_operations: CacheOperations,
    #[serde(default)]
    pub commands_executed: Vec<CommandRun>,
    #[serde(default)]
    pub json_calls: u64,
    #[serde(default)]
    pub json_parse_failures: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileOperations {
    #[serde(default)]
    pub read_calls: u64,
    #[serde(default)]
    pub write_calls: u64,
    #[serde(default)]
    pub edit_calls: u64,
    #[serde(default)]
    pub files_read: Vec<FileRead>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileRead {
    pub path: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default = "one")]
    pub read_count: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CacheOperations {
    /// `--get-context` calls.
    #[serde(default)]
    pub context_reads: u64,
    #[serde(default)]
    pub cache_hits: u64,
    #[serde(default)]
    pub cache_misses: u64,
    /// Tokens not uploaded thanks to the cache (bytes ÷ 4).
    #[serde(default)]
    pub token_savings_estimate: u64,
    /// Bytes the context reads printed.
    #[serde(default)]
    pub bytes_served: u64,
    /// Bytes of the files those reads stand for (task file, cited standards, checklists).
    #[serde(default)]
    pub source_bytes: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommandRun {
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    /// When it was first seen.
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub level: Level,
    #[serde(default)]
    pub message: String,
    /// How often it was seen (1 in files that do not say).
    #[serde(default = "one")]
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Session {
    #[serde(default)]
    pub session_id: Option<String>,
    pub session_start: String,
    pub session_end: String,
    #[serde(default)]
    pub duration_ms: u64,
    /// Events of the session by name.
    #[serde(default)]
    pub events: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Telemetry {
    pub fn new(task_id: &str, role: &str) -> Telemetry {
        Telemetry {
            task_id: task_id.to_string(),
            agent_role: role.to_string(),
            session_start: None,
            session_end: None,
            duration_ms: 0,
            metrics: Counters::default(),
            warnings: Vec::new(),
            sessions: Vec::new(),
            extra: Map::new(),
        }
    }

    /// A telemetry document from its JSON: the schemas §5.1 shape (counters under `metrics`),
    /// or `tasks.py`'s flat one (counters at the top level), converted.
    pub fn from_json(value: Value) -> std::result::Result<Telemetry, String> {
        let Value::Object(mut map) = value else {
            return Err("it is not a JSON object".into());
        };
        if map.get("metrics").is_some_and(Value::is_object) {
            return serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string());
        }
        // tasks.py's flat shape (which has neither `metrics` nor `sessions`).
        for key in ["metrics", "sessions"] {
            if map.contains_key(key) {
                return Err(format!(
                    "`{key}` is not what telemetry holds there (metrics: an object; no sessions without metrics)"
                ));
            }
        }
        let number = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
        let mut counters = Counters::default();
        if let Some(Value::Object(files)) = map.remove("file_operations") {
            counters.file_operations.read_calls = number(files.get("read_calls"));
            counters.file_operations.write_calls = number(files.get("write_calls"));
            counters.file_operations.edit_calls = number(files.get("edit_calls"));
        }
        if let Some(Value::Object(cache)) = map.remove("cache_operations") {
            let c = &mut counters.cache_operations;
            c.cache_hits = number(cache.get("hits").or_else(|| cache.get("cache_hits")));
            c.cache_misses = number(cache.get("misses").or_else(|| cache.get("cache_misses")));
            c.token_savings_estimate = number(
                cache
                    .get("estimated_tokens_saved")
                    .or_else(|| cache.get("token_savings_estimate")),
            );
        }
        counters.json_calls = number(map.remove("json_calls").as_ref());
        counters.json_parse_failures = number(map.remove("json_parse_failures").as_ref());
        let warnings = match map.remove("warnings") {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| Warning {
                    timestamp: item
                        .get("timestamp")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    level: Level::Warning,
                    message: match item.get("message") {
                        Some(Value::String(s)) => s.clone(),
                        _ => String::new(),
                    },
                    count: 1,
                    last_seen: None,
                    extra: Map::new(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        let session_start = text(map.remove("session_start"));
        let session_end = text(map.remove("session_end"));
        let sessions = match (&session_start, &session_end) {
            (Some(start), end) => vec![Session {
                session_id: None,
                session_start: start.clone(),
                session_end: end.clone().unwrap_or_else(|| start.clone()),
                duration_ms: span_ms(start, end.as_deref().unwrap_or(start)),
                events: BTreeMap::new(),
                extra: Map::new(),
            }],
            _ => Vec::new(),
        };
        let mut telemetry = Telemetry {
            task_id: text(map.remove("task_id")).unwrap_or_default(),
            agent_role: text(map.remove("agent_role")).unwrap_or_else(|| "unknown".into()),
            session_start,
            session_end,
            duration_ms: map
                .remove("duration_ms")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            metrics: counters,
            warnings: Vec::new(),
            sessions,
            extra: map,
        };
        telemetry.merge_warnings(warnings);
        Ok(telemetry)
    }

    fn merge_warnings(&mut self, warnings: Vec<Warning>) {
        for w in warnings {
            match self
                .warnings
                .iter_mut()
                .find(|x| x.level == w.level && x.message == w.message)
            {
                Some(x) => {
                    x.count = x.count.saturating_add(w.count);
                    x.last_seen = w.last_seen.or(w.timestamp);
                }
                None => self.warnings.push(w),
            }
        }
    }

    /// Add `events`, which happened at `now` in session `session_id` (none: the role's latest
    /// session without an id, unless it has been silent for [`SESSION_GAP_MINUTES`]).
    pub fn apply(&mut self, events: &[Event], now: DateTime<Utc>, session_id: Option<&str>) {
        let stamp = crate::clock::iso(now);
        let session = self.session_for(session_id, now, &stamp);
        for event in events {
            *session.events.entry(event.name().to_string()).or_insert(0) += 1;
        }
        for event in events {
            self.count(event, &stamp);
        }
        self.bound();
        self.session_start = self
            .sessions
            .iter()
            .map(|s| s.session_start.clone())
            .min_by_key(|s| parse_time(s));
        self.session_end = self
            .sessions
            .iter()
            .map(|s| s.session_end.clone())
            .max_by_key(|s| parse_time(s));
        self.duration_ms = self
            .sessions
            .iter()
            .fold(0u64, |sum, s| sum.saturating_add(s.duration_ms));
    }

    fn session_for(
        &mut self,
        session_id: Option<&str>,
        now: DateTime<Utc>,
        stamp: &str,
    ) -> &mut Session {
        let found = match session_id {
            Some(id) => self
                .sessions
                .iter()
                .rposition(|s| s.session_id.as_deref() == Some(id)),
            // Events of concurrent writers may arrive a little out of order: an event joins a
            // session it falls within the gap of, before or after its end.
            None => self.sessions.iter().rposition(|s| {
                s.session_id.is_none()
                    && parse_time(&s.session_end).is_some_and(|end| {
                        (now - end).abs() <= chrono::Duration::minutes(SESSION_GAP_MINUTES)
                    })
            }),
        };
        let index = match found {
            Some(i) => i,
            None => {
                self.sessions.push(Session {
                    session_id: session_id.map(str::to_string),
                    session_start: stamp.to_string(),
                    session_end: stamp.to_string(),
                    duration_ms: 0,
                    events: BTreeMap::new(),
                    extra: Map::new(),
                });
                self.sessions.len() - 1
            }
        };
        let session = &mut self.sessions[index];
        if parse_time(&session.session_end).is_none_or(|end| now > end) {
            session.session_end = stamp.to_string();
        }
        if parse_time(&session.session_start).is_some_and(|start| now < start) {
            session.session_start = stamp.to_string();
        }
        session.duration_ms = span_ms(&session.session_start, &session.session_end);
        &mut self.sessions[index]
    }

    /// Keep every list within [`MAX_LISTED`]: the oldest commands dropped, the two oldest
    /// sessions merged (their bounds, durations and counts kept).
    fn bound(&mut self) {
        let commands = &mut self.metrics.commands_executed;
        if commands.len() > MAX_LISTED {
            commands.drain(..commands.len() - MAX_LISTED);
        }
        while self.sessions.len() > MAX_LISTED {
            let second = self.sessions.remove(1);
            let first = &mut self.sessions[0];
            first.session_id = None;
            first.session_end = second.session_end;
            first.duration_ms = first.duration_ms.saturating_add(second.duration_ms);
            for (name, n) in second.events {
                let count = first.events.entry(name).or_insert(0);
                *count = count.saturating_add(n);
            }
        }
    }

    fn count(&mut self, event: &Event, stamp: &str) {
        let m = &mut self.metrics;
        let add = |n: &mut u64, by: u64| *n = n.saturating_add(by);
        match event {
            Event::FileRead { path, size } => {
                add(&mut m.file_operations.read_calls, 1);
                if let Some(path) = path {
                    let path = &crate::text::prefix(path, MAX_TEXT).to_string();
                    let files = &mut m.file_operations.files_read;
                    if let Some(f) = files.iter_mut().find(|f| &f.path == path) {
                        f.read_count = f.read_count.saturating_add(1);
                        f.size = *size;
                    } else if files.len() < MAX_LISTED {
                        files.push(FileRead {
                            path: path.clone(),
                            size: *size,
                            read_count: 1,
                            extra: Map::new(),
                        });
                    }
                }
            }
            Event::FileWrite { .. } => add(&mut m.file_operations.write_calls, 1),
            Event::FileEdit { .. } => add(&mut m.file_operations.edit_calls, 1),
            Event::CacheHit { bytes } => {
                add(&mut m.cache_operations.cache_hits, 1);
                add(
                    &mut m.cache_operations.token_savings_estimate,
                    bytes / BYTES_PER_TOKEN,
                );
            }
            Event::CacheMiss => add(&mut m.cache_operations.cache_misses, 1),
            Event::ContextRead { served, source } => {
                let c = &mut m.cache_operations;
                add(&mut c.context_reads, 1);
                add(&mut c.cache_hits, 1);
                add(&mut c.bytes_served, *served);
                add(&mut c.source_bytes, *source);
                add(
                    &mut c.token_savings_estimate,
                    source.saturating_sub(*served) / BYTES_PER_TOKEN,
                );
            }
            Event::JsonCall => add(&mut m.json_calls, 1),
            Event::JsonParseFailure => add(&mut m.json_parse_failures, 1),
            Event::Warning { level, message } => {
                let message = &crate::text::prefix(message, MAX_TEXT).to_string();
                let found =
                    (self.warnings.iter()).position(|w| w.level == *level && &w.message == message);
                if let Some(i) = found {
                    let w = &mut self.warnings[i];
                    w.count = w.count.saturating_add(1);
                    w.last_seen = Some(stamp.to_string());
                } else if self.warnings.len() < MAX_LISTED {
                    self.warnings.push(Warning {
                        timestamp: Some(stamp.to_string()),
                        level: *level,
                        message: message.clone(),
                        count: 1,
                        last_seen: None,
                        extra: Map::new(),
                    });
                } else if let Some(w) = self.warnings.last_mut() {
                    // Beyond the bound the count goes on the last entry, so totals stay exact
                    // (the message is not kept).
                    w.count = w.count.saturating_add(1);
                }
            }
            Event::Command(run) => {
                let mut run = run.clone();
                run.command = crate::text::prefix(&run.command, MAX_TEXT).to_string();
                run.timestamp.get_or_insert_with(|| stamp.to_string());
                m.commands_executed.push(run);
            }
        }
    }

    /// Every session bound, for the task's duration.
    pub fn times(&self) -> impl Iterator<Item = &str> {
        self.sessions
            .iter()
            .flat_map(|s| [s.session_start.as_str(), s.session_end.as_str()])
            .chain(self.session_start.as_deref())
            .chain(self.session_end.as_deref())
    }
}

/// An RFC 3339 / ISO 8601 timestamp with any offset (`Z`, `+02:00`), or a naive one taken as UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    None
}

fn span_ms(start: &str, end: &str) -> u64 {
    match (parse_time(start), parse_time(end)) {
        (Some(s), Some(e)) if e > s => (e - s).num_milliseconds().max(0) as u64,
        _ => 0,
    }
}

pub fn file_name(role: &str) -> String {
    format!("telemetry-{role}.json")
}

/// Whether a file name is a telemetry file (`telemetry-<anything>.json`).
pub fn is_file_name(name: &str) -> bool {
    name.strip_prefix("telemetry-")
        .and_then(|r| r.strip_suffix(".json"))
        .is_some_and(|r| !r.is_empty())
}

/// Read one telemetry file: `None` when absent, E052 naming it when it is not telemetry.
pub fn read(path: &std::path::Path) -> std::result::Result<Option<Telemetry>, StateError> {
    let corrupt = |reason: String| StateError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && meta.is_file()
        && meta.len() > MAX_FILE_BYTES
    {
        return Err(corrupt(format!(
            "it holds {} bytes, more than telemetry ever does ({MAX_FILE_BYTES})",
            meta.len()
        )));
    }
    let Some(bytes) = store::read_state(path)? else {
        return Ok(None);
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    Telemetry::from_json(value).map(Some).map_err(corrupt)
}

/// Add `events` to the role's telemetry of a task, under the task's lock. E051 when the task has
/// no context directory (nothing is created), E052 when the file is not telemetry (it is left
/// as it is).
pub fn record(
    repo: &Repo,
    task_id: &str,
    role: &str,
    events: &[Event],
    session_id: Option<&str>,
    clock: &crate::clock::Clock,
) -> Result<Telemetry> {
    let store = ContextStore::of(repo, task_id);
    let locked = store.read_lock(repo)?;
    let name = file_name(role);
    let path = store.dir.join(&name);
    let mut telemetry = read(&path)?.unwrap_or_else(|| Telemetry::new(task_id, role));
    // Now is read under the lock: writers that follow each other see their times in order.
    telemetry.apply(events, clock.now(), session_id);
    let bytes = serde_json::to_vec_pretty(&telemetry).map_err(|e| StateError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(StateError::Corrupt {
            path,
            reason: format!(
                "it would grow beyond {MAX_FILE_BYTES} bytes (its unknown keys hold too much); nothing was written"
            ),
        }
        .into());
    }
    let mut txn = locked.begin();
    txn.put_json(&store.rel(&name), &telemetry)?;
    txn.commit()?;
    Ok(telemetry)
}

/// The telemetry files of a task's directory, sorted by name (the caller holds the lock).
pub fn files(store: &ContextStore) -> std::result::Result<Vec<String>, StateError> {
    let mut names = Vec::new();
    for entry in store::fs::read_dir(&store.dir)? {
        let entry = entry.map_err(|e| StateError::io(&store.dir, "list", e))?;
        if let Some(name) = entry.file_name().to_str()
            && is_file_name(name)
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
