//! Crash safety (issue 10, contract D9): every writing verb is killed at each of its crash points
//! (`TASKS_CRASH_AT=N`, a SIGKILL at the N-th step of a state change), and then at random
//! moments, until it has been killed 100 times; and fails with an injected I/O error at each of
//! its steps (`TASKS_FAIL_AT=N`), and panics at each of them (`TASKS_PANIC_AT=N`, the coded E999
//! error). After a kill or a panic, every state file parses and equals its before or after
//! version; after the next command (which finishes an interrupted change), the whole state is
//! the before or the after state. A verb that fails changes nothing.

use crate::support::{TestRepo, command, files_under};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Kills per verb: each crash point once, then random moments up to this count.
const KILLS: usize = 100;
const NOW: &str = "2026-11-29T12:00:00Z";
const ID: &str = "TASK-0701";

type State = BTreeMap<String, Vec<u8>>;

const TASK: &str = r#"schema_version: "1.1"
id: TASK-0701
title: Crash-proof importer
status: in_progress
priority: P1
area: backend
description: Make the importer crash-proof.
scope:
  in: [src/]
  out: [docs]
plan:
  - id: 1
    title: Harden
    outputs: [src/importer.ts]
deliverables: [src/importer.ts]
acceptance_criteria:
  - The importer survives a crash
validation:
  pipeline:
    - command: pnpm lint
context:
  repo_paths: [src/]
"#;

const STANDARDS: &str = "# Backend\n\n## Handler Constraints\n\nHandlers stay small. Complexity stays low.\n\n## Layering Rules\n\nHandlers call services. Never the other way.\n";

/// The fixture every verb starts from: a committed repository with active, completed and
/// broken tasks, standards, checklists and a QA log.
fn base() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(&format!("tasks/backend/{ID}-importer.task.yaml"), TASK)
        .task(
            "tasks/backend/TASK-0702-exporter.task.yaml",
            "TASK-0702",
            "todo",
            "P2",
            "",
        )
        .task(
            "tasks/backend/TASK-0703-done.task.yaml",
            "TASK-0703",
            "completed",
            "P3",
            "",
        )
        .write(
            ".gitignore",
            ".agent-output/\ntasks/.cache/\ndocs/compliance/\nqa/\n",
        )
        .write("src/importer.ts", "export const importer = 1;\n")
        .write("standards/backend-tier.md", STANDARDS)
        .write(
            "standards/security.md",
            "# Security\n\n## Secrets\n\nNever commit secrets.\n",
        )
        .write(
            "docs/agents/implementer-checklist.md",
            "# Implementer\n\n- [ ] tests\n",
        )
        .commit();
    repo.write(
        "qa/lint.log",
        "/src/importer.ts\n  1:1  error  Unexpected any  @typescript-eslint/no-explicit-any\n\n✖ 1 problem (1 error, 0 warnings)\n",
    )
    .write(
        "qa/lint-again.log",
        "/src/importer.ts\n  1:1  error  Unexpected any  @typescript-eslint/no-explicit-any\n\n✖ 1 problem (1 error, 0 warnings)\n",
    );
    repo
}

fn run(repo: &TestRepo, args: &[&str]) -> crate::support::Run {
    repo.run_env(args, &[("TASKS_NOW", NOW)])
}

fn ok(repo: &TestRepo, args: &[&str]) {
    let out = run(repo, args);
    assert!(
        out.code == 0,
        "setup {args:?} exited {}: {}",
        out.code,
        out.stderr
    );
}

fn with_context(repo: &TestRepo) {
    ok(repo, &["--init-context", ID]);
}

fn with_snapshot(repo: &TestRepo) {
    with_context(repo);
    repo.write("src/importer.ts", "export const importer = 2;\n");
    ok(repo, &["--snapshot-worktree", ID, "--agent", "implementer"]);
}

/// A context with telemetry from two roles and a QA baseline: what the metrics are made of.
fn with_telemetry(repo: &TestRepo) {
    with_context(repo);
    for (agent, event) in [("implementer", "file_read"), ("reviewer", "file_read")] {
        ok(
            repo,
            &[
                "--record-telemetry",
                ID,
                "--agent",
                agent,
                "--event",
                event,
                "--path",
                "qa/lint.log",
            ],
        );
    }
    ok(
        repo,
        &[
            "--record-qa",
            ID,
            "--agent",
            "implementer",
            "--from",
            "qa/lint.log",
        ],
    );
}

/// One writing verb: how its repository is prepared, how it is run, what exit it normally
/// has, and the command that comes next (and finishes what a crash interrupted).
struct Case {
    name: &'static str,
    setup: fn(&TestRepo),
    args: &'static [&'static str],
    exit: i32,
    next: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        // The task file and its clarifications stub: both or neither.
        name: "new-task",
        setup: |_| {},
        args: &["--new-task", "--area", "backend", "--title", "Crash me"],
        exit: 0,
        next: &["--list"],
    },
    Case {
        name: "claim",
        setup: |_| {},
        args: &["--claim", "TASK-0702"],
        exit: 0,
        next: &["--list"],
    },
    Case {
        name: "complete",
        setup: |repo| {
            with_context(repo);
            ok(repo, &["--add-exception", ID, "--type", "invalid_schema"]);
        },
        args: &["--complete", ID],
        exit: 0,
        // A completion stopped after the move is finished by running it again.
        next: &["--complete", ID],
    },
    Case {
        name: "archive",
        setup: |_| {},
        args: &["--archive", "TASK-0703"],
        exit: 0,
        next: &["--list"],
    },
    Case {
        name: "init-context",
        setup: |_| {},
        args: &["--init-context", ID],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "rebuild-context",
        setup: |repo| {
            with_context(repo);
            repo.write(
                "standards/backend-tier.md",
                STANDARDS.replace("stay small", "stay tiny"),
            );
            repo.write(
                &format!("tasks/backend/{ID}-importer.task.yaml"),
                TASK.replace("survives a crash", "survives any crash"),
            );
            repo.commit();
        },
        args: &["--rebuild-context", ID],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "update-agent",
        setup: with_context,
        args: &[
            "--update-agent",
            ID,
            "--agent",
            "implementer",
            "--status",
            "done",
        ],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "mark-blocked",
        setup: with_context,
        args: &[
            "--mark-blocked",
            ID,
            "--agent",
            "reviewer",
            "--finding",
            "Missing tests",
        ],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "purge-context",
        setup: with_snapshot,
        args: &["--purge-context", ID],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "snapshot-worktree",
        setup: |repo| {
            with_context(repo);
            repo.write("src/importer.ts", "export const importer = 2;\n");
            repo.write("src/new.ts", "export const fresh = true;\n");
        },
        args: &["--snapshot-worktree", ID, "--agent", "implementer"],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "snapshot-worktree-incremental",
        setup: |repo| {
            with_snapshot(repo);
            repo.write("src/importer.ts", "export const importer = 3;\n");
        },
        args: &[
            "--snapshot-worktree",
            ID,
            "--agent",
            "reviewer",
            "--previous-agent",
            "implementer",
        ],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "verify-worktree",
        setup: |repo| {
            with_snapshot(repo);
            repo.write("src/importer.ts", "export const importer = 9;\n");
        },
        args: &["--verify-worktree", ID, "--expected-agent", "implementer"],
        exit: 20,
        next: &["--get-context", ID],
    },
    Case {
        name: "resolve-drift",
        setup: |repo| {
            with_snapshot(repo);
            repo.write("src/importer.ts", "export const importer = 9;\n");
            let out = run(
                repo,
                &["--verify-worktree", ID, "--expected-agent", "implementer"],
            );
            assert_eq!(out.code, 20, "{}", out.stderr);
        },
        args: &[
            "--resolve-drift",
            ID,
            "--agent",
            "implementer",
            "--note",
            "Reviewed",
        ],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "record-qa",
        setup: with_context,
        args: &[
            "--record-qa",
            ID,
            "--agent",
            "implementer",
            "--from",
            "qa/lint.log",
        ],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "attach-evidence",
        setup: with_context,
        args: &[
            "--attach-evidence",
            ID,
            "--type",
            "log",
            "--path",
            "qa/lint.log",
        ],
        exit: 0,
        next: &["--list-evidence", ID],
    },
    Case {
        name: "attach-evidence-directory",
        setup: |repo| {
            with_context(repo);
            repo.write("shots/home.png", "png")
                .write("shots/nested/detail.png", "png 2");
        },
        args: &[
            "--attach-evidence",
            ID,
            "--type",
            "directory",
            "--path",
            "shots",
        ],
        exit: 0,
        next: &["--verify-evidence", ID],
    },
    Case {
        name: "run-validation",
        setup: with_context,
        args: &[
            "--run-validation",
            ID,
            "--command",
            "echo 'Tests:       3 passed, 3 total'",
            "--command-id",
            "unit",
            "--agent",
            "implementer",
        ],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "record-telemetry",
        setup: |repo| {
            with_context(repo);
            // A first event, so that the killed one changes an existing file.
            ok(
                repo,
                &[
                    "--record-telemetry",
                    ID,
                    "--agent",
                    "reviewer",
                    "--event",
                    "json_call",
                ],
            );
        },
        args: &[
            "--record-telemetry",
            ID,
            "--agent",
            "reviewer",
            "--event",
            "file_read",
            "--path",
            "qa/lint.log",
        ],
        exit: 0,
        next: &["--list-evidence", ID],
    },
    Case {
        name: "compare-qa",
        setup: |repo| {
            with_context(repo);
            ok(
                repo,
                &[
                    "--record-qa",
                    ID,
                    "--agent",
                    "implementer",
                    "--from",
                    "qa/lint.log",
                ],
            );
        },
        args: &[
            "--compare-qa",
            ID,
            "--agent",
            "reviewer",
            "--from",
            "qa/lint-again.log",
        ],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "attach-standard",
        setup: with_context,
        args: &[
            "--attach-standard",
            ID,
            "--file",
            "standards/security.md",
            "--section",
            "secrets",
        ],
        exit: 0,
        next: &["--verify-excerpts", ID],
    },
    Case {
        name: "invalidate-excerpts",
        setup: |repo| {
            with_context(repo);
            repo.write(
                "standards/backend-tier.md",
                STANDARDS.replace("stay small", "stay tiny"),
            );
        },
        args: &["--invalidate-excerpts", ID],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "quarantine-task",
        setup: |_| {},
        args: &["--quarantine-task", "TASK-0702", "--reason", "manual"],
        exit: 0,
        next: &["--list-quarantined"],
    },
    Case {
        name: "release-quarantine",
        setup: |repo| {
            ok(
                repo,
                &["--quarantine-task", "TASK-0702", "--reason", "manual"],
            )
        },
        args: &["--release-quarantine", "TASK-0702", "--notes", "fixed"],
        exit: 0,
        next: &["--list-quarantined"],
    },
    Case {
        name: "repair-quarantined",
        setup: |repo| {
            repo.write(
                "tasks/backend/TASK-0709-tabs.task.yaml",
                "id: TASK-0709\ntitle: Tabs\nstatus: todo\npriority: P2\narea: backend\nblocked_by:\n\t- TASK-0702\n",
            );
            ok(
                repo,
                &[
                    "--quarantine-task",
                    "TASK-0709",
                    "--reason",
                    "malformed_yaml",
                ],
            );
        },
        args: &["--repair-quarantined", "TASK-0709"],
        exit: 0,
        next: &["--list-quarantined"],
    },
    Case {
        name: "add-exception",
        setup: |_| {},
        args: &["--add-exception", ID, "--type", "invalid_schema"],
        exit: 0,
        next: &["--list-exceptions"],
    },
    Case {
        name: "resolve-exception",
        setup: |repo| ok(repo, &["--add-exception", ID, "--type", "invalid_schema"]),
        args: &["--resolve-exception", ID, "--notes", "done"],
        exit: 0,
        next: &["--list-exceptions"],
    },
    Case {
        name: "unclaim",
        setup: |_| {},
        args: &["--unclaim", ID],
        exit: 0,
        next: &["--list"],
    },
    Case {
        name: "block",
        setup: |_| {},
        args: &["--block", "TASK-0702", "--reason", "waiting for the keys"],
        exit: 0,
        next: &["--list"],
    },
    Case {
        name: "cleanup-exceptions",
        setup: |repo| {
            ok(repo, &["--add-exception", ID, "--type", "invalid_schema"]);
            ok(
                repo,
                &["--add-exception", "TASK-0702", "--type", "invalid_schema"],
            );
        },
        args: &["--cleanup-exceptions", ID],
        exit: 0,
        next: &["--list-exceptions"],
    },
    Case {
        name: "collect-metrics",
        setup: with_telemetry,
        args: &["--collect-metrics", ID],
        exit: 0,
        next: &["--get-context", ID],
    },
    Case {
        name: "generate-dashboard",
        setup: with_telemetry,
        args: &["--generate-dashboard"],
        exit: 0,
        next: &["--list"],
    },
    Case {
        name: "generate-dashboard-html",
        setup: with_telemetry,
        args: &[
            "--generate-dashboard",
            "--output-path",
            "docs/dashboard.html",
        ],
        exit: 0,
        next: &["--list"],
    },
    Case {
        name: "extract-evidence",
        setup: |repo| {
            with_context(repo);
            repo.write("shots/home.png", "png")
                .write("shots/nested/detail.png", "png 2");
            ok(
                repo,
                &[
                    "--attach-evidence",
                    ID,
                    "--type",
                    "directory",
                    "--path",
                    "shots",
                ],
            );
        },
        args: &[
            "--extract-evidence",
            ID,
            "--id",
            "{evidence}",
            "--to",
            "restored",
        ],
        exit: 0,
        // An extraction killed midway is finished by the next one into the same directory.
        next: &[
            "--extract-evidence",
            ID,
            "--id",
            "{evidence}",
            "--to",
            "restored",
        ],
    },
    Case {
        name: "bootstrap-evidence",
        setup: |_| {},
        args: &["--bootstrap-evidence", ID],
        exit: 0,
        next: &["--list"],
    },
];

/// Paths that are not state: git's own files, the private cache (rebuilt at will), lock files
/// and journals (checked separately), the hidden temporary file a killed atomic write may
/// leave beside its target (never read), and the `.gitignore` files written when
/// `.agent-output/` or `docs/compliance/` is created (hints to git, read by nothing).
fn is_state(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    !(rel.starts_with(".git/")
        || rel == ".agent-output/.gitignore"
        || rel == "docs/compliance/.gitignore"
        || rel.starts_with("tasks/.cache/")
        || rel.starts_with(".agent-output/.locks/")
        || rel.starts_with(".agent-output/.txn/")
        // Scratch logs of validation runs, removed by the next run once their process is gone.
        || rel.starts_with(".agent-output/.runs/")
        || rel.starts_with("docs/compliance/quarantine/.txn/")
        // An extraction's own directory in its destination, removed or finished (moved into
        // place) by the next extraction there.
        || rel.contains("/.tasks-extract")
        || name.ends_with(".lock")
        || (name.starts_with('.') && name.ends_with(".tmp")))
}

/// The state of the repository. Measured durations (`duration_ms` of a validation run) differ
/// from run to run: they are set to 0 so that "the before or the after state" compares what a
/// crash could mix, not the clock.
fn state(root: &Path) -> State {
    let measured = regex::bytes::Regex::new(r#""duration_ms": \d+"#).unwrap();
    files_under(root, is_state)
        .into_iter()
        .map(|(path, bytes)| {
            let bytes = if path.ends_with(".json") {
                measured
                    .replace_all(&bytes, &b"\"duration_ms\": 0"[..])
                    .into_owned()
            } else {
                bytes
            };
            (path, bytes)
        })
        .collect()
}

/// Journal directories left behind (there must be none once the next command ran).
fn journals(root: &Path) -> Vec<String> {
    [
        ".agent-output/.txn",
        "tasks/.cache/txn",
        "docs/compliance/quarantine/.txn",
    ]
    .iter()
    .filter_map(|d| std::fs::read_dir(root.join(d)).ok().map(|r| (d, r)))
    .flat_map(|(d, r)| {
        r.flatten()
            .map(move |e| format!("{d}/{}", e.file_name().to_string_lossy()))
    })
    .collect()
}

/// Fewer files to copy for each of the many runs: git's objects in one pack (unreachable ones,
/// like snapshot trees, included), no sample hooks, no logs.
fn slim(repo: &TestRepo) {
    repo.git(&["repack", "-a", "-d", "-k", "-q"]);
    for dir in [".git/hooks", ".git/logs"] {
        let _ = std::fs::remove_dir_all(repo.root().join(dir));
    }
}

/// A fresh copy of the prepared repository (mtimes kept, so the cache stays warm).
fn copy(template: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in walkdir::WalkDir::new(template).min_depth(1) {
        let entry = entry.unwrap();
        let to = dir
            .path()
            .join(entry.path().strip_prefix(template).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
            let modified = entry.metadata().unwrap().modified().unwrap();
            std::fs::File::options()
                .write(true)
                .open(&to)
                .unwrap()
                .set_modified(modified)
                .unwrap();
        }
    }
    dir
}

thread_local! {
    /// The killed runs' temporary directory: a run killed while it holds a temporary file (the
    /// snapshot's git index) cannot remove it, so each test gives its runs a directory of its
    /// own, removed when the test's thread ends, instead of leaving them in the system's.
    static TMP: tempfile::TempDir = tempfile::tempdir().unwrap();
}

fn spawn(root: &Path, args: &[&str], env: &[(&str, String)]) -> std::process::Child {
    command()
        .args(args)
        .current_dir(root)
        .env("TASKS_NOW", NOW)
        .env("TMPDIR", TMP.with(|tmp| tmp.path().to_owned()))
        // The tool's own telemetry is a transaction of its own after the command's: a kill
        // between the two loses that observation, never the command's change. The cases check
        // the command's; --record-telemetry has a case of its own.
        .env(
            "TASKS_TELEMETRY",
            if args.contains(&"--record-telemetry") {
                "on"
            } else {
                "off"
            },
        )
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn killed(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

/// A small deterministic generator for the random kill moments.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below.max(1)
    }
}

struct Outcome {
    what: String,
    problems: Vec<String>,
}

/// Every state file is its before or its after version (or absent where one of them lacks it).
fn check_files(now: &State, before: &State, after: &State, out: &mut Outcome) {
    for (path, bytes) in now {
        if before.get(path) != Some(bytes) && after.get(path) != Some(bytes) {
            out.problems.push(format!(
                "{}: {path} is neither its before nor its after version",
                out.what
            ));
        }
    }
    for path in before.keys().filter(|p| after.contains_key(*p)) {
        if !now.contains_key(path) {
            out.problems
                .push(format!("{}: {path} is missing", out.what));
        }
    }
}

/// The next command runs; then the whole state is the before or the after state.
fn check_settled(root: &Path, next: &[&str], before: &State, after: &State, out: &mut Outcome) {
    let ran = spawn(root, next, &[]).wait_with_output().unwrap();
    let now = state(root);
    if now != *before && now != *after {
        let differing: Vec<&String> = now
            .keys()
            .chain(after.keys())
            .filter(|k| now.get(*k) != after.get(*k) && now.get(*k) != before.get(*k))
            .collect();
        let mixed: Vec<&String> = after
            .keys()
            .chain(before.keys())
            .filter(|k| now.get(*k) != after.get(*k))
            .collect();
        out.problems.push(format!(
            "{}: after {:?} the state is a mix (not before: {differing:?}; not after: {mixed:?}); stderr: {}",
            out.what,
            next,
            String::from_utf8_lossy(&ran.stderr)
        ));
    }
    let left = journals(root);
    if !left.is_empty() {
        out.problems.push(format!(
            "{}: journals left after the next command: {left:?}",
            out.what
        ));
    }
}

fn exercise(case: &Case) {
    let fixture = base();
    (case.setup)(&fixture);
    // Warm: the cache and the ledger's record of anything broken are written once here.
    ok(&fixture, &["--list"]);
    slim(&fixture);
    let template: PathBuf = fixture.root().to_path_buf();
    let args = resolved(case.args, &template);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let next = resolved(case.next, &template);
    let next: Vec<&str> = next.iter().map(String::as_str).collect();
    let before = state(&template);
    let after = {
        let dir = copy(&template);
        let out = spawn(dir.path(), &args, &[]).wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(case.exit),
            "{}: {}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(journals(dir.path()).is_empty(), "{}", case.name);
        state(dir.path())
    };
    assert!(before != after, "{} changes nothing", case.name);
    let mut problems = Vec::new();
    let mut kills = 0;
    // Each crash point, in order, until the verb runs to its end.
    let mut point = 1u64;
    let last_duration = loop {
        let dir = copy(&template);
        let started = std::time::Instant::now();
        let out = spawn(dir.path(), &args, &[("TASKS_CRASH_AT", point.to_string())])
            .wait_with_output()
            .unwrap();
        if !killed(&out.status) {
            assert_eq!(out.status.code(), Some(case.exit), "{}", case.name);
            break started.elapsed();
        }
        kills += 1;
        let mut outcome = Outcome {
            what: format!("{} killed at point {point}", case.name),
            problems: Vec::new(),
        };
        check_files(&state(dir.path()), &before, &after, &mut outcome);
        check_settled(dir.path(), &next, &before, &after, &mut outcome);
        problems.extend(outcome.problems);
        point += 1;
        assert!(point < 500, "{}: no end to the crash points", case.name);
    };
    let total = point - 1;
    assert!(total > 1, "{}: the verb has no crash points", case.name);
    // Then at random moments (a real SIGKILL from outside), up to KILLS kills.
    let mut random = Lcg(point ^ 0x5eed);
    // Most of a run is spent in the verb's work; a kill after the end would be wasted. The one
    // timed run may have been slowed by a busy machine (other tests, a build): each kill that
    // comes after the verb has ended narrows the window, so it follows the verb's real length.
    let mut span = (last_duration.as_micros() * 9 / 10).max(MIN_SPAN) as u64;
    let mut attempts = 0;
    while kills < KILLS {
        attempts += 1;
        assert!(
            attempts < KILLS * 20,
            "{}: could not kill it ({kills} kills in {attempts} attempts, window {span} µs)",
            case.name
        );
        let dir = copy(&template);
        let mut child = spawn(dir.path(), &args, &[]);
        std::thread::sleep(std::time::Duration::from_micros(random.next(span)));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let mut outcome = Outcome {
            what: format!("{} killed at random (attempt {attempts})", case.name),
            problems: Vec::new(),
        };
        if killed(&out.status) {
            kills += 1;
            check_files(&state(dir.path()), &before, &after, &mut outcome);
        } else {
            span = narrower(span);
        }
        check_settled(dir.path(), &next, &before, &after, &mut outcome);
        problems.extend(outcome.problems);
    }
    // An I/O error at each step: the verb fails and changes nothing, or (when the step was not
    // one it needs, like the cache) succeeds.
    for point in 1..=total {
        let (dir, out, stderr) = run_at(&template, &args, "TASKS_FAIL_AT", point);
        let code = out.status.code().unwrap_or(-1);
        let what = format!("{} failing at point {point}", case.name);
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        if code == case.exit {
            // The failing step was one the verb can do without (the cache, say).
            let mut outcome = Outcome {
                what,
                problems: Vec::new(),
            };
            check_settled(dir.path(), &next, &before, &after, &mut outcome);
            problems.extend(outcome.problems);
        } else {
            let now = state(dir.path());
            if now != before {
                let changed: Vec<&String> = now
                    .keys()
                    .chain(before.keys())
                    .filter(|k| now.get(*k) != before.get(*k))
                    .collect();
                problems.push(format!(
                    "{what}: exited {code} but changed {changed:?}: {stderr}"
                ));
            }
            if !journals(dir.path()).is_empty() {
                problems.push(format!("{what}: journal left: {:?}", journals(dir.path())));
            }
        }
    }
    // A panic at each step (a bug there): it unwinds to the coded E999 error, or is one the verb
    // survives (a helper thread's); either way the state is the before or the after state once
    // the next command has run, as after a kill. The first step is on the command's own thread
    // in every verb: at least one panic must end in E999.
    let mut internal_errors = 0;
    for point in 1..=total {
        let (dir, out, stderr) = run_at(&template, &args, "TASKS_PANIC_AT", point);
        let what = format!("{} panicking at point {point}", case.name);
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        let mut outcome = Outcome {
            what: what.clone(),
            problems: Vec::new(),
        };
        if out.status.code() != Some(case.exit) {
            internal_errors += 1;
            if out.status.code() != Some(1) || !stderr.contains("E999") {
                outcome.problems.push(format!(
                    "{what}: exited {:?} without E999: {stderr}",
                    out.status
                ));
            }
            check_files(&state(dir.path()), &before, &after, &mut outcome);
        }
        check_settled(dir.path(), &next, &before, &after, &mut outcome);
        problems.extend(outcome.problems);
    }
    assert!(internal_errors > 0, "{}: no panic was injected", case.name);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The narrowest window for a kill at random, in µs: about the time to start the process.
const MIN_SPAN: u128 = 1000;

/// The kill window after a kill that came too late: three quarters of it, never below `MIN_SPAN`.
fn narrower(span: u64) -> u64 {
    (span / 4 * 3).max(MIN_SPAN as u64)
}

/// Run `args` in a copy of `template` with the fault variable `var` set to `point`; the copy,
/// the output and its stderr.
fn run_at(
    template: &Path,
    args: &[&str],
    var: &str,
    point: u64,
) -> (tempfile::TempDir, std::process::Output, String) {
    let dir = copy(template);
    let out = spawn(dir.path(), args, &[(var, point.to_string())])
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (dir, out, stderr)
}

/// A case's arguments with `{evidence}` replaced by the id of the task's first archived evidence
/// in the prepared repository (known only once its setup has attached it).
fn resolved(args: &[&str], template: &Path) -> Vec<String> {
    let evidence = || {
        let out = command()
            .args(["--list-evidence", ID, "--format", "json"])
            .current_dir(template)
            .env("TASKS_NOW", NOW)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["data"]["evidence"]
            .as_array()
            .and_then(|all| all.iter().find(|e| e["type"] == "archive"))
            .and_then(|e| e["id"].as_str())
            .unwrap_or_else(|| panic!("no archive in the prepared repository: {doc}"))
            .to_string()
    };
    args.iter()
        .map(|a| match *a {
            "{evidence}" => evidence(),
            a => a.to_string(),
        })
        .collect()
}

macro_rules! crash_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                let case = CASES.iter().find(|c| c.name == $name).expect($name);
                exercise(case);
            }
        )*
        #[test]
        fn every_case_has_a_test() {
            let named = [$($name),*];
            for case in CASES {
                assert!(named.contains(&case.name), "{} has no test", case.name);
            }
        }
    };
}

crash_tests! {
    new_task => "new-task",
    claim => "claim",
    complete => "complete",
    archive => "archive",
    init_context => "init-context",
    rebuild_context => "rebuild-context",
    update_agent => "update-agent",
    mark_blocked => "mark-blocked",
    purge_context => "purge-context",
    snapshot_worktree => "snapshot-worktree",
    snapshot_worktree_incremental => "snapshot-worktree-incremental",
    verify_worktree => "verify-worktree",
    resolve_drift => "resolve-drift",
    record_qa => "record-qa",
    compare_qa => "compare-qa",
    attach_standard => "attach-standard",
    invalidate_excerpts => "invalidate-excerpts",
    quarantine_task => "quarantine-task",
    release_quarantine => "release-quarantine",
    repair_quarantined => "repair-quarantined",
    add_exception => "add-exception",
    resolve_exception => "resolve-exception",
    bootstrap_evidence => "bootstrap-evidence",
    unclaim => "unclaim",
    block => "block",
    cleanup_exceptions => "cleanup-exceptions",
    collect_metrics => "collect-metrics",
    generate_dashboard => "generate-dashboard",
    generate_dashboard_html => "generate-dashboard-html",
    extract_evidence => "extract-evidence",
    attach_evidence => "attach-evidence",
    attach_evidence_directory => "attach-evidence-directory",
    run_validation => "run-validation",
    record_telemetry => "record-telemetry",
}

/// `--complete` removes the context under the context's own lock: a concurrent `--mark-blocked`
/// either lands before (and is removed with the rest) or finds no context; never a partial
/// directory.
#[test]
fn complete_and_mark_blocked_never_leave_a_partial_context() {
    for round in 0..8 {
        let repo = base();
        with_context(&repo);
        let blockers: Vec<std::process::Child> = (0..4)
            .map(|i| {
                let finding = format!("finding {i}");
                spawn(
                    repo.root(),
                    &[
                        "--mark-blocked",
                        ID,
                        "--agent",
                        "reviewer",
                        "--finding",
                        &finding,
                    ],
                    &[],
                )
            })
            .collect();
        let complete = spawn(repo.root(), &["--complete", ID], &[]);
        for child in blockers {
            let out = child.wait_with_output().unwrap();
            let code = out.status.code();
            assert!(
                code == Some(0) || code == Some(50),
                "round {round}: mark-blocked exited {code:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = complete.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "round {round}");
        let dir = repo.root().join(".agent-output").join(ID);
        assert!(
            !dir.exists(),
            "round {round}: the context directory is still there: {:?}",
            walkdir::WalkDir::new(&dir)
                .into_iter()
                .filter_map(Result::ok)
                .map(|e| e.path().display().to_string())
                .collect::<Vec<_>>()
        );
        assert!(journals(repo.root()).is_empty(), "round {round}");
    }
}

/// A window set by one slow run narrows, miss by miss, down to the floor: a busy machine at the
/// timed run cannot leave the random kills landing after the verb has ended.
#[test]
fn the_kill_window_narrows_to_about_a_process_start() {
    let mut span = 2_000_000u64;
    let mut misses = 0;
    while span > MIN_SPAN as u64 {
        span = narrower(span);
        misses += 1;
    }
    assert_eq!(span, MIN_SPAN as u64);
    assert!(misses < 40, "{misses}");
    assert_eq!(narrower(MIN_SPAN as u64), MIN_SPAN as u64);
}
