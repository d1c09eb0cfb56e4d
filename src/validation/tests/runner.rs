use super::*;
use crate::validation::pipeline::{Entry, Retry};
use std::path::PathBuf;

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    stop: AtomicBool,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("sub/deep")).unwrap();
        std::fs::write(root.join("sub/deep/a.json"), "{}").unwrap();
        Fixture {
            _tmp: tmp,
            root,
            stop: AtomicBool::new(false),
        }
    }

    fn run(&self, entry: &Entry) -> (Outcome, Vec<u8>) {
        self.run_with(entry, &[])
    }

    fn run_with(&self, entry: &Entry, extra: &[(String, String)]) -> (Outcome, Vec<u8>) {
        let status = |id: &str| match id {
            "TASK-0001" => Some("completed".to_string()),
            "TASK-0002" => Some("in_progress".to_string()),
            _ => None,
        };
        let env = Env {
            root: &self.root,
            task_status: &status,
            extra_env: extra,
            interrupted: &self.stop,
        };
        let mut log = Vec::new();
        let outcome = run(
            entry,
            &env,
            &mut |stream, bytes| {
                if stream == Stream::Restart {
                    log.clear();
                }
                log.extend_from_slice(bytes);
                Ok(())
            },
            &mut |_| {},
        )
        .unwrap();
        (outcome, log)
    }
}

#[test]
fn pass_fail_and_expected_codes() {
    let f = Fixture::new();
    let (ok, log) = f.run(&Entry::new("val-001", "echo hi; echo oops >&2"));
    assert!(ok.success && !ok.skipped, "{ok:?}");
    assert_eq!((ok.exit_code, ok.attempts), (Some(0), 1));
    assert_eq!(ok.stdout_tail, "hi\n");
    assert_eq!(ok.stderr_tail, "oops\n");
    assert_eq!(log.len(), 8);
    let (failed, _) = f.run(&Entry::new("val-002", "exit 3"));
    assert!(!failed.success);
    assert_eq!(failed.exit_code, Some(3));
    let mut three = Entry::new("val-003", "exit 3");
    three.expected_exit_codes = vec![0, 3];
    assert!(f.run(&three).0.success);
}

#[test]
fn preflight_skips_and_notes() {
    let f = Fixture::new();
    let mut e = Entry::new("val-001", "true");
    e.blocker_id = Some("TASK-0002".into());
    let (o, _) = f.run(&e);
    assert!(o.skipped && !o.success);
    assert_eq!(
        o.skip_reason.as_deref(),
        Some("Blocked by TASK-0002 (status: in_progress)")
    );
    assert_eq!((o.exit_code, o.attempts), (None, 0));
    e.blocker_id = Some("TASK-0001".into());
    assert!(f.run(&e).0.success);
    e.blocker_id = Some("TASK-0404".into());
    let (o, _) = f.run(&e);
    assert!(o.success, "a missing blocker does not skip");
    assert_eq!(o.notes.len(), 1);
    let mut p = Entry::new("val-002", "true");
    p.expected_paths = vec!["sub/**/*.json".into(), "missing/*.txt".into()];
    let (o, _) = f.run(&p);
    assert_eq!(
        o.skip_reason.as_deref(),
        Some("Expected path not found: missing/*.txt")
    );
    p.expected_paths = vec!["sub/**/*.json".into(), "sub/deep".into()];
    assert!(f.run(&p).0.success);
    let mut c = Entry::new("val-003", "pwd");
    c.cwd = "sub/deep".into();
    let (o, _) = f.run(&c);
    assert_eq!(
        o.stdout_tail.trim(),
        f.root.join("sub/deep").display().to_string()
    );
    c.cwd = "nope".into();
    assert_eq!(
        f.run(&c).0.skip_reason.as_deref(),
        Some("Working directory does not exist: nope")
    );
}

#[test]
fn a_cwd_outside_the_repository_is_refused() {
    let f = Fixture::new();
    let mut c = Entry::new("val-001", "true");
    c.cwd = "..".into();
    let status = |_: &str| None;
    let env = Env {
        root: &f.root,
        task_status: &status,
        extra_env: &[],
        interrupted: &f.stop,
    };
    let o = run(&c, &env, &mut |_, _| Ok(()), &mut |_| {}).unwrap();
    assert!(!o.success && !o.skipped && o.attempts == 0, "{o:?}");
    assert!(o.stderr_tail.contains("outside the repository"), "{o:?}");
    // A working directory that is a file is skipped, like a missing one.
    std::fs::write(f.root.join("file"), "").unwrap();
    c.cwd = "file".into();
    let o = run(&c, &env, &mut |_, _| Ok(()), &mut |_| {}).unwrap();
    assert!(o.skipped, "{o:?}");
}

#[test]
fn environment_from_the_entry_and_the_flags() {
    let f = Fixture::new();
    let mut e = Entry::new("val-001", "echo $A-$B");
    e.env = vec![("A".into(), "entry".into()), ("B".into(), "entry".into())];
    let (o, _) = f.run_with(&e, &[("B".into(), "flag".into())]);
    assert_eq!(o.stdout_tail, "entry-flag\n");
}

#[test]
fn a_timeout_kills_the_whole_group_and_retries() {
    let f = Fixture::new();
    let pidfile = f.root.join("grandchild.pid");
    let mut e = Entry::new(
        "val-001",
        format!("sleep 30 & echo $! > {}; wait", pidfile.display()),
    );
    e.timeout_ms = 1000;
    e.retry = Retry {
        max_attempts: 2,
        backoff_ms: 50,
        retry_on_failure: false,
    };
    let started = Instant::now();
    let (o, _) = f.run(&e);
    assert!(o.timed_out && !o.success, "{o:?}");
    assert_eq!(o.attempts, 2);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(o.duration_ms >= 2000, "{o:?}");
    assert!(o.stderr_tail.ends_with("Command timed out after 1000 ms"));
    let pid: libc::pid_t = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The grandchild is gone (or a zombie about to be reaped by init).
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|state| state != "Z"));
    assert!(!alive, "the sleep grandchild outlived the timeout");
}

#[test]
fn a_process_that_leaves_the_group_does_not_hold_the_run() {
    let f = Fixture::new();
    let mut e = Entry::new("val-001", "setsid sleep 5 & echo started");
    e.timeout_ms = 2000;
    let started = Instant::now();
    let (o, _) = f.run(&e);
    assert!(o.success, "{o:?}");
    assert_eq!(o.stdout_tail, "started\n");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let mut t = Entry::new("val-002", "setsid sleep 5 & sleep 30");
    t.timeout_ms = 1000;
    let started = Instant::now();
    let (o, _) = f.run(&t);
    assert!(o.timed_out, "{o:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn failing_exits_are_retried_only_when_asked() {
    let f = Fixture::new();
    let counter = f.root.join("count");
    let mut e = Entry::new(
        "val-001",
        format!("echo x >> {}; exit 1", counter.display()),
    );
    e.retry = Retry {
        max_attempts: 3,
        backoff_ms: 10,
        retry_on_failure: false,
    };
    assert_eq!(f.run(&e).0.attempts, 1);
    e.retry.retry_on_failure = true;
    assert_eq!(f.run(&e).0.attempts, 3);
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap().lines().count(),
        4
    );
}

#[test]
fn output_is_streamed_and_the_tails_stay_small() {
    let f = Fixture::new();
    let (o, _) = f.run(&Entry::new(
        "val-001",
        "head -c 20000000 /dev/zero | tr '\\0' 'x'",
    ));
    assert!(o.success);
    assert_eq!(o.output_bytes, 20_000_000);
    assert_eq!(o.stdout_tail.len(), TAIL_BYTES);
}

#[test]
fn an_interrupt_stops_the_command() {
    let f = Fixture::new();
    let stop = &f.stop;
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::SeqCst);
        });
        let (o, _) = f.run(&Entry::new("val-001", "sleep 30"));
        assert!(o.interrupted && !o.success, "{o:?}");
    });
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn expected_paths_are_checked_without_leaving_the_repository() {
    let f = Fixture::new();
    assert!(exists(&f.root, "sub/deep/a.json"));
    assert!(exists(&f.root, "./sub"));
    assert!(exists(&f.root, "**/*.json"));
    assert!(!exists(&f.root, "../etc/passwd"));
    assert!(!exists(&f.root, "/etc/passwd"));
    assert!(!exists(&f.root, "sub/*.txt"));
}

#[test]
fn expected_paths_never_look_through_a_link_out_of_the_repository() {
    let f = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("secret")).unwrap();
    std::fs::write(outside.path().join("secret/id_rsa"), "k").unwrap();
    std::os::unix::fs::symlink(outside.path(), f.root.join("out")).unwrap();
    assert!(!exists(&f.root, "out/secret/id_rsa"));
    assert!(!exists(&f.root, "out/*/id_*"));
    assert!(exists(&f.root, "."));
}
