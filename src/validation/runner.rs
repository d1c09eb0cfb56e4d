//! Running one validation command (schemas §2.2, with its notes settled): pre-flight checks,
//! then the command through `/bin/sh -c` in a process group of its own, its output streamed (to
//! a sink and to bounded tails, never buffered whole), a timeout that kills the whole group, and
//! retries.

use super::pipeline::Entry;
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long output is still read once the command has settled (exited, timed out, stopped)
/// while a process that left its group keeps the output open.
const ESCAPED_GRACE: Duration = Duration::from_millis(500);

/// How much of each stream's end a result keeps.
pub const TAIL_BYTES: usize = 4096;

/// What a run can see of the world around it.
pub struct Env<'a> {
    /// The repository root (canonical).
    pub root: &'a Path,
    /// The status of a task by id; `None` when there is no such task.
    pub task_status: &'a dyn Fn(&str) -> Option<String>,
    /// Variables set on top of the inherited environment and the entry's own (`--env`).
    pub extra_env: &'a [(String, String)],
    /// Set (by a Ctrl-C handler) to stop the running command.
    pub interrupted: &'a AtomicBool,
}

/// Which stream a chunk of output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// No bytes: a new attempt starts, and what the sink got before is superseded (the result
    /// is the last attempt's: its log alone is parsed, its tails alone kept).
    Restart,
}

/// What happened. Every result has the same fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Outcome {
    pub success: bool,
    pub skipped: bool,
    pub skip_reason: Option<String>,
    pub exit_code: Option<i32>,
    pub stdout_tail: String,
    pub stderr_tail: String,
    /// Since the first attempt started.
    pub duration_ms: u64,
    pub attempts: u64,
    pub timed_out: bool,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// Output bytes, both streams.
    pub output_bytes: u64,
    /// Things worth knowing that did not stop the run (a blocker that does not exist).
    pub notes: Vec<String>,
}

impl Outcome {
    /// A command that could not be started: a failure, its reason in `stderr_tail`.
    fn not_started(reason: String, notes: Vec<String>) -> Outcome {
        Outcome {
            stderr_tail: reason,
            notes,
            ..Outcome::default()
        }
    }

    fn skipped(reason: String, notes: Vec<String>) -> Outcome {
        Outcome {
            skipped: true,
            skip_reason: Some(reason),
            notes,
            ..Outcome::default()
        }
    }
}

/// Why a command could not be run at all (a setup error, not a result).
#[derive(Debug)]
pub enum RunError {
    /// The output could not be written (the sink failed: a full disk).
    Io(io::Error),
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Io(e)
    }
}

/// Run `entry`: `sink` gets every chunk of output as it comes (to a log file), `progress` the
/// output bytes so far.
pub fn run(
    entry: &Entry,
    env: &Env,
    sink: &mut dyn FnMut(Stream, &[u8]) -> io::Result<()>,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, RunError> {
    let mut notes = Vec::new();
    // 1. The blocker: skipped while it is not completed; one that does not exist is a note.
    if let Some(blocker) = &entry.blocker_id {
        match (env.task_status)(blocker) {
            None => notes.push(format!(
                "blocker {blocker} does not exist; the command runs"
            )),
            Some(status) if status != "completed" => {
                return Ok(Outcome::skipped(
                    format!("Blocked by {blocker} (status: {status})"),
                    notes,
                ));
            }
            Some(_) => {}
        }
    }
    // 2. Expected paths, in order: the first with no match skips.
    for pattern in &entry.expected_paths {
        if !exists(env.root, pattern) {
            return Ok(Outcome::skipped(
                format!("Expected path not found: {pattern}"),
                notes,
            ));
        }
    }
    // 3. The working directory: inside the repository; missing skips.
    let cwd = env.root.join(&entry.cwd);
    let cwd = match cwd.canonicalize() {
        Ok(real) if real.starts_with(env.root) && real.is_dir() => real,
        Ok(real) if real.starts_with(env.root) => {
            return Ok(Outcome::skipped(
                format!("Working directory is not a directory: {}", entry.cwd),
                notes,
            ));
        }
        Ok(real) => {
            return Ok(Outcome::not_started(
                format!(
                    "its working directory {} resolves to {}, outside the repository: not run",
                    entry.cwd,
                    real.display()
                ),
                notes,
            ));
        }
        Err(_) => {
            return Ok(Outcome::skipped(
                format!("Working directory does not exist: {}", entry.cwd),
                notes,
            ));
        }
    };
    // 4. Attempts.
    let started = Instant::now();
    let mut outcome = Outcome {
        notes,
        ..Outcome::default()
    };
    let mut tails = Tails::default();
    loop {
        outcome.attempts += 1;
        if outcome.attempts > 1 {
            tails = Tails::default();
            outcome.output_bytes = 0;
            sink(Stream::Restart, &[])?;
        }
        let attempt = attempt(entry, env, &cwd, sink, progress, &mut tails, &mut outcome)?;
        outcome.duration_ms = started.elapsed().as_millis() as u64;
        match attempt {
            Attempt::Exited(code) => {
                outcome.exit_code = Some(code);
                outcome.timed_out = false;
                outcome.success = entry.expected_exit_codes.contains(&code);
                if outcome.success || !entry.retry.retry_on_failure {
                    break;
                }
            }
            Attempt::TimedOut => {
                outcome.exit_code = None;
                outcome.timed_out = true;
                outcome.success = false;
            }
            Attempt::Interrupted => {
                outcome.interrupted = true;
                outcome.success = false;
                break;
            }
            Attempt::NotStarted(why) => {
                let mut failed = Outcome::not_started(why, std::mem::take(&mut outcome.notes));
                failed.attempts = outcome.attempts;
                failed.duration_ms = outcome.duration_ms;
                return Ok(failed);
            }
        }
        if outcome.attempts >= entry.retry.max_attempts {
            break;
        }
        // Backoff, cut short by Ctrl-C.
        let until = Instant::now() + Duration::from_millis(entry.retry.backoff_ms);
        while Instant::now() < until {
            if env.interrupted.load(Ordering::SeqCst) {
                outcome.interrupted = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
        }
        if outcome.interrupted {
            break;
        }
    }
    outcome.stdout_tail = tails.text(Stream::Stdout);
    outcome.stderr_tail = tails.text(Stream::Stderr);
    if outcome.timed_out {
        outcome.stderr_tail.push_str(&format!(
            "\nCommand timed out after {} ms",
            entry.timeout_ms
        ));
    }
    Ok(outcome)
}

enum Attempt {
    Exited(i32),
    TimedOut,
    Interrupted,
    NotStarted(String),
}

/// The last bytes of each stream.
#[derive(Default)]
struct Tails {
    out: std::collections::VecDeque<u8>,
    err: std::collections::VecDeque<u8>,
}

impl Tails {
    fn push(&mut self, stream: Stream, bytes: &[u8]) {
        let tail = match stream {
            Stream::Stdout => &mut self.out,
            Stream::Stderr => &mut self.err,
            Stream::Restart => return,
        };
        let keep = &bytes[bytes.len().saturating_sub(TAIL_BYTES)..];
        tail.extend(keep);
        while tail.len() > TAIL_BYTES {
            tail.pop_front();
        }
    }

    fn text(&self, stream: Stream) -> String {
        let tail = match stream {
            Stream::Stdout | Stream::Restart => &self.out,
            Stream::Stderr => &self.err,
        };
        let bytes: Vec<u8> = tail.iter().copied().collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// One attempt: spawn, stream, wait (or kill the group on timeout or Ctrl-C).
fn attempt(
    entry: &Entry,
    env: &Env,
    cwd: &Path,
    sink: &mut dyn FnMut(Stream, &[u8]) -> io::Result<()>,
    progress: &mut dyn FnMut(u64),
    tails: &mut Tails,
    outcome: &mut Outcome,
) -> Result<Attempt, RunError> {
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(&entry.command)
        .current_dir(cwd)
        .envs(entry.env.iter().map(|(k, v)| (k, v)))
        .envs(env.extra_env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a timeout or Ctrl-C kills the command and everything it
        // started, grandchildren included.
        .process_group(0);
    // The tool ignores SIGXFSZ (a file-size limit becomes a write error it reports); an ignored
    // signal would be inherited by the command, so the command gets the default back.
    // SAFETY: `signal` is async-signal-safe, as a `pre_exec` hook requires.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Ok(Attempt::NotStarted(format!("could not start /bin/sh: {e}"))),
    };
    let group = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::sync_channel::<(Stream, Vec<u8>)>(16);
    let readers = [
        child
            .stdout
            .take()
            .map(|r| reader(r, Stream::Stdout, tx.clone())),
        child
            .stderr
            .take()
            .map(|r| reader(r, Stream::Stderr, tx.clone())),
    ];
    drop(tx);
    let deadline = Instant::now() + Duration::from_millis(entry.timeout_ms);
    let mut status: Option<Attempt> = None;
    let mut settled: Option<Instant> = None;
    let mut sink_error: Option<io::Error> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok((stream, bytes)) => {
                outcome.output_bytes += bytes.len() as u64;
                tails.push(stream, &bytes);
                if sink_error.is_none()
                    && let Err(e) = sink(stream, &bytes)
                {
                    // The log cannot be written (a full disk): stop the command.
                    sink_error = Some(e);
                    kill_group(group);
                }
                progress(outcome.output_bytes);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Both streams closed: the command and everything holding its output are done.
                if status.is_none() {
                    status = Some(wait(&mut child, group, deadline, env)?);
                }
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if status.is_some() {
            // Settled, but something that left the group (`setsid`, a daemon) still holds the
            // output open: read what it has for a moment, then stop listening.
            if settled.get_or_insert_with(Instant::now).elapsed() >= ESCAPED_GRACE {
                break;
            }
            continue;
        }
        if status.is_none() {
            if env.interrupted.load(Ordering::SeqCst) {
                kill_group(group);
                status = Some(Attempt::Interrupted);
            } else if Instant::now() >= deadline {
                kill_group(group);
                status = Some(Attempt::TimedOut);
            } else if let Some(exit) = child.try_wait()? {
                // The shell is done; whatever it left running in its group goes too (it
                // would hold the output open forever).
                kill_group(group);
                status = Some(Attempt::Exited(code_of(exit)));
            }
        }
    }
    let _ = child.wait();
    // Readers still blocked on an escaped process's output are left behind (they end when it
    // closes it, or with the tool); the others are done.
    drop(rx);
    for handle in readers.into_iter().flatten() {
        if handle.is_finished() {
            let _ = handle.join();
        }
    }
    if let Some(e) = sink_error {
        return Err(RunError::Io(e));
    }
    Ok(status.unwrap_or(Attempt::Exited(-1)))
}

/// Wait for the shell once its output is closed (it may still be running: a closed stdout does
/// not mean an exit).
fn wait(
    child: &mut Child,
    group: libc::pid_t,
    deadline: Instant,
    env: &Env,
) -> io::Result<Attempt> {
    loop {
        if let Some(exit) = child.try_wait()? {
            kill_group(group);
            return Ok(Attempt::Exited(code_of(exit)));
        }
        if env.interrupted.load(Ordering::SeqCst) {
            kill_group(group);
            return Ok(Attempt::Interrupted);
        }
        if Instant::now() >= deadline {
            kill_group(group);
            return Ok(Attempt::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn code_of(exit: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    exit.code()
        .unwrap_or_else(|| 128 + exit.signal().unwrap_or(0))
}

/// Kill every process of the group (a group already gone is fine), and wait — at most two
/// seconds — until none of them runs any more: what the run records, and the next attempt, come
/// after the killed commands, not beside them. A zombie waiting for its parent to reap it does
/// not count.
fn kill_group(group: libc::pid_t) {
    // SAFETY: a signal to a process group this run created.
    unsafe {
        libc::killpg(group, libc::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while group_runs(group) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether a process of the group is still alive (not a zombie).
fn group_runs(group: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    if unsafe { libc::killpg(group, 0) } != 0 {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .any(|stat| {
            // pid (comm) state ppid pgrp …: the fields after the last ')'.
            let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
            let mut fields = rest.split_whitespace();
            let state = fields.next();
            let pgrp = fields.nth(1).and_then(|p| p.parse::<libc::pid_t>().ok());
            pgrp == Some(group) && state.is_some_and(|s| s != "Z" && s != "X")
        })
}

fn reader(
    mut from: impl Read + Send + 'static,
    stream: Stream,
    tx: mpsc::SyncSender<(Stream, Vec<u8>)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if tx.send((stream, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    })
}

/// Whether `pattern` (repo-relative; `*`, `?`, `[…]` and `**` allowed) names something in the
/// repository. A plain path is looked up; a glob is matched against the files below its fixed
/// leading directories.
pub fn exists(root: &Path, pattern: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    if pattern.is_empty() || pattern == "." {
        return true;
    }
    if crate::store::paths::check_relative(pattern.trim_end_matches('/')).is_err() {
        return false;
    }
    // Never through a link out of the repository (a planted `out -> /home/x` must not confirm
    // that files exist there).
    let inside = |path: &Path| {
        path.parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p.starts_with(root))
    };
    if !pattern.contains(['*', '?', '[', '{']) {
        let path = root.join(pattern.trim_end_matches('/'));
        return std::fs::symlink_metadata(&path).is_ok() && inside(&path);
    }
    let Ok(glob) = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    else {
        return false;
    };
    let matcher = glob.compile_matcher();
    // Walk only below the pattern's fixed leading directories.
    let fixed: Vec<&str> = pattern
        .split('/')
        .take_while(|p| !p.contains(['*', '?', '[', '{']))
        .collect();
    let start = fixed.join("/");
    if !start.is_empty()
        && !root
            .join(&start)
            .canonicalize()
            .is_ok_and(|p| p.starts_with(root))
    {
        return false;
    }
    let mut pending = vec![start];
    let mut seen = 0usize;
    while let Some(rel) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > 1_000_000 {
                return false;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if rel.is_empty() && (name == ".git" || name == crate::context::store::OUTPUT_DIR) {
                continue;
            }
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if matcher.is_match(&path) {
                return true;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            }
        }
    }
    false
}

#[cfg(test)]
#[path = "tests/runner.rs"]
mod tests;
