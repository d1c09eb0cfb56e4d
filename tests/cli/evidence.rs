//! Evidence: --attach-evidence, --list-evidence, --verify-evidence, --extract-evidence and the
//! context kept by --complete (issue 12; spec 04 §2, schemas §1).

use crate::support::{TestRepo, error_code, files_under, sha256};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

const ID: &str = "TASK-0501";
const DIR: &str = ".agent-output/TASK-0501";
const INDEX: &str = ".agent-output/TASK-0501/evidence/index.json";

const TASK: &str = r#"id: TASK-0501
title: Shipment screenshots
status: in_progress
priority: P1
area: web
scope:
  in: [apps/web/]
plan:
  - id: 1
    outputs: [apps/web/src/Shipments.tsx]
deliverables: [apps/web/src/Shipments.tsx]
acceptance_criteria:
  - Screens show the shipment status
"#;

/// A repository whose task TASK-0501 has a context; `qa/` and `shots/` are ignored by git.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("tasks/web/TASK-0501-shots.task.yaml", TASK)
        .write(".gitignore", "qa/\nshots/\nbig/\n")
        .write(
            "docs/agents/implementer-checklist.md",
            "# Implementer\n- [ ] tests\n",
        )
        .commit();
    let run = repo.run(&["--init-context", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo
}

fn index(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.read(INDEX)).unwrap()
}

fn entries(repo: &TestRepo) -> Vec<Value> {
    index(repo)["evidence"].as_array().unwrap().clone()
}

/// Every file of the task's directory, with its bytes.
fn evidence_state(repo: &TestRepo) -> BTreeMap<String, Vec<u8>> {
    files_under(&repo.root().join(DIR), |_| true)
}

fn attach(repo: &TestRepo, args: &[&str]) -> (i32, Value, crate::support::Run) {
    let mut all = vec!["--attach-evidence", ID];
    all.extend(args);
    repo.json(&all)
}

#[test]
fn a_file_is_copied_under_its_hash_and_listed_with_its_record() {
    let repo = repo();
    repo.write("qa/lint.log", "lint ok\n");
    let (code, doc, run) = attach(
        &repo,
        &[
            "--type",
            "log",
            "--path",
            "qa/lint.log",
            "--description",
            "Lint run",
            "--metadata",
            r#"{"command": "pnpm lint", "exit_code": 0, "reviewer": "kim"}"#,
        ],
    );
    assert_eq!(code, 0, "{doc}");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let d = &doc["data"];
    let sha = sha256(b"lint ok\n");
    // The id of the same bytes in the tasks.py session of 04 §2.2.
    assert_eq!(d["id"], "1033b53b7c170416");
    assert_eq!(d["id"], &sha[..16]);
    assert_eq!(d["sha256"], sha.as_str());
    assert_eq!(d["type"], "log");
    assert_eq!(d["path"], "qa/lint.log");
    assert_eq!(d["size"], 8);
    assert_eq!(d["description"], "Lint run");
    assert_eq!(d["updated"], false);
    // Unknown metadata keys are kept.
    assert_eq!(
        d["metadata"],
        json!({"command": "pnpm lint", "exit_code": 0, "reviewer": "kim"})
    );
    assert!(
        chrono_like(d["created_at"].as_str().unwrap()),
        "{}",
        d["created_at"]
    );
    let stored = d["stored_path"].as_str().unwrap();
    assert_eq!(
        stored,
        format!("{DIR}/evidence/attachments/1033b53b7c170416-lint.log")
    );
    assert_eq!(repo.read(stored), "lint ok\n");
    // The original changes or goes: the evidence does not.
    std::fs::remove_file(repo.root().join("qa/lint.log")).unwrap();
    assert_eq!(repo.read(stored), "lint ok\n");
    let listed: Vec<Value> = entries(&repo)
        .into_iter()
        .filter(|e| e["id"] == d["id"])
        .collect();
    assert_eq!(listed.len(), 1);
    let mut record = d.clone();
    record.as_object_mut().unwrap().remove("updated");
    assert_eq!(listed[0], record, "the output is the index record");
    let (code, doc, _) = repo.json(&["--verify-evidence", ID]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["success"], true);
}

fn chrono_like(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.contains('T') && s.ends_with("+00:00")
}

#[test]
fn every_type_is_accepted_and_unknown_ones_are_refused() {
    let repo = repo();
    for (i, kind) in [
        "file",
        "archive",
        "log",
        "screenshot",
        "qa_output",
        "summary",
        "diff",
    ]
    .iter()
    .enumerate()
    {
        repo.write(&format!("qa/{kind}.txt"), format!("{kind} {i}\n"));
        let (code, doc, _) = attach(
            &repo,
            &["--type", kind, "--path", &format!("qa/{kind}.txt")],
        );
        assert_eq!(code, 0, "{kind}: {doc}");
        assert_eq!(doc["data"]["type"], *kind);
    }
    repo.write("shots/a.png", "png");
    let (code, doc, _) = attach(&repo, &["--type", "directory", "--path", "shots"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["type"], "archive");
    let before = evidence_state(&repo);
    let (code, doc, _) = attach(&repo, &["--type", "picture", "--path", "shots/a.png"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    let expected = json!([
        "file",
        "directory",
        "archive",
        "log",
        "screenshot",
        "qa_output",
        "summary",
        "diff"
    ]);
    assert_eq!(doc["error"]["details"]["expected"], expected, "{doc}");
    // A directory needs --type directory, a file another type.
    let (code, doc, _) = attach(&repo, &["--type", "file", "--path", "shots"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    let (code, doc, _) = attach(&repo, &["--type", "directory", "--path", "shots/a.png"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(evidence_state(&repo), before, "refusals change nothing");
    let (code, doc, _) = repo.json(&["--list-evidence", ID, "--type", "screenshot"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["count"], 1);
    assert_eq!(doc["data"]["evidence"][0]["type"], "screenshot");
}

#[test]
fn each_limit_takes_exactly_the_limit_and_refuses_one_byte_more() {
    let repo = repo();
    let limits: [(&str, u64); 7] = [
        ("file", 1_048_576),
        ("summary", 512_000),
        ("screenshot", 5_242_880),
        ("log", 10_485_760),
        ("qa_output", 10_485_760),
        ("diff", 10_485_760),
        ("archive", 52_428_800),
    ];
    for (kind, limit) in limits {
        let path = format!("big/{kind}.bin");
        let file = std::fs::File::create(repo.root().join("big").join(format!("{kind}.bin")))
            .or_else(|_| {
                std::fs::create_dir_all(repo.root().join("big"))?;
                std::fs::File::create(repo.root().join(&path))
            })
            .unwrap();
        file.set_len(limit + 1).unwrap();
        let before = evidence_state(&repo);
        let (code, doc, _) = attach(&repo, &["--type", kind, "--path", &path]);
        assert_eq!((code, error_code(&doc)), (10, "E010"), "{kind}: {doc}");
        let details = &doc["error"]["details"];
        assert_eq!(details["size"], limit + 1, "{kind}");
        assert_eq!(details["limit"], limit, "{kind}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("{} bytes", limit + 1))
                && message.contains(&format!("{limit} bytes")),
            "{message}"
        );
        assert_eq!(evidence_state(&repo), before, "{kind}: nothing written");
        file.set_len(limit).unwrap();
        let (code, doc, _) = attach(&repo, &["--type", kind, "--path", &path]);
        assert_eq!(code, 0, "{kind}: {doc}");
        assert_eq!(doc["data"]["size"], limit);
        std::fs::remove_file(
            repo.root()
                .join(doc["data"]["stored_path"].as_str().unwrap()),
        )
        .unwrap();
        std::fs::remove_file(repo.root().join(&path)).unwrap();
    }
}

/// Build `shots/` with the same content in two different ways: other mtimes, modes and
/// creation order, as two machines would.
fn shots(repo: &TestRepo, variant: u32) {
    use std::os::unix::fs::PermissionsExt;
    let root = repo.root().join("shots");
    let files: [(&str, &str); 4] = [
        ("home.png", "png-bytes-1"),
        ("nested/detail.png", "png-bytes-2"),
        ("nested/deeper/run.sh", "#!/bin/sh\necho ok\n"),
        ("notes.txt", "two screens\n"),
    ];
    let order: Vec<usize> = if variant == 0 {
        vec![0, 1, 2, 3]
    } else {
        vec![3, 2, 1, 0]
    };
    for i in order {
        let (rel, content) = files[i];
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let mode = match (rel.ends_with(".sh"), variant) {
            (true, 0) => 0o755,
            (true, _) => 0o700,
            (false, 0) => 0o644,
            (false, _) => 0o600,
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let when = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(1_000_000 * (variant as u64 + 1));
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
    std::fs::create_dir_all(root.join("empty")).unwrap();
    std::os::unix::fs::symlink("home.png", root.join("latest.png")).unwrap();
    if variant != 0 {
        std::fs::set_permissions(root.join("nested"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
    }
}

#[test]
fn a_directory_archives_to_the_same_bytes_on_any_machine() {
    let (one, two) = (repo(), repo());
    shots(&one, 0);
    shots(&two, 1);
    let (code, a, _) = attach(&one, &["--type", "directory", "--path", "shots"]);
    assert_eq!(code, 0, "{a}");
    let (code, b, _) = attach(&two, &["--type", "directory", "--path", "shots/"]);
    assert_eq!(code, 0, "{b}");
    let (a, b) = (&a["data"], &b["data"]);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["sha256"], b["sha256"]);
    let archive = |repo: &TestRepo, d: &Value| {
        std::fs::read(repo.root().join(d["stored_path"].as_str().unwrap())).unwrap()
    };
    let bytes = archive(&one, a);
    assert_eq!(bytes, archive(&two, b), "byte-identical archives");
    assert_eq!(sha256(&bytes), a["sha256"].as_str().unwrap());
    assert_eq!(a["type"], "archive");
    assert_eq!(a["source_path"], "shots");
    assert_eq!(
        a["path"], a["stored_path"],
        "tasks.py pointed path at the archive"
    );
    let stored = a["stored_path"].as_str().unwrap();
    assert!(
        stored.starts_with(&format!("{DIR}/evidence/archives/shots-"))
            && stored.ends_with(".tar.zst")
    );
    let c = &a["compression"];
    assert_eq!(c["format"], "tar.zst");
    assert_eq!(c["original_size"], 11 + 11 + 18 + 12);
    let listing: Value =
        serde_json::from_str(&one.read(c["index_path"].as_str().unwrap())).unwrap();
    assert_eq!(listing["root"], "shots");
    let files: Vec<(&str, u64)> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["size"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("home.png", 11),
            ("nested/deeper/run.sh", 18),
            ("nested/detail.png", 11),
            ("notes.txt", 12)
        ]
    );
    assert_eq!(
        listing["files"][0]["sha256"],
        sha256(b"png-bytes-1").as_str()
    );
    assert_eq!(
        listing["links"],
        json!([{"path": "latest.png", "target": "home.png"}])
    );
    // Attached again: the same id, one entry, updated.
    let (code, again, _) = attach(&one, &["--type", "directory", "--path", "./shots"]);
    assert_eq!(code, 0, "{again}");
    assert_eq!(again["data"]["id"], a["id"]);
    assert_eq!(again["data"]["updated"], true);
    assert_eq!(
        entries(&one).iter().filter(|e| e["id"] == a["id"]).count(),
        1
    );
    // Restored elsewhere: the same files, the link as a link (the id typed in capitals works).
    let out = tempfile::tempdir().unwrap();
    let to = out.path().join("restored");
    let upper = a["id"].as_str().unwrap().to_ascii_uppercase();
    let (code, doc, _) = one.json(&[
        "--extract-evidence",
        ID,
        "--id",
        &upper,
        "--to",
        to.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["files"], 4);
    assert_eq!(
        std::fs::read_to_string(to.join("shots/nested/detail.png")).unwrap(),
        "png-bytes-2"
    );
    assert_eq!(
        std::fs::read_link(to.join("shots/latest.png")).unwrap(),
        Path::new("home.png")
    );
    assert!(to.join("shots/empty").is_dir());
}

#[test]
fn links_are_kept_as_links_and_special_files_are_left_out() {
    let repo = repo();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "do not copy").unwrap();
    repo.write("shots/a.txt", "a");
    std::os::unix::fs::symlink(outside.path().join("secret"), repo.root().join("shots/out"))
        .unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root().join("shots/outdir")).unwrap();
    let fifo = std::ffi::CString::new(repo.root().join("shots/pipe").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let (code, doc, run) = attach(&repo, &["--type", "directory", "--path", "shots"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        doc["data"]["skipped"],
        json!([{"path": "pipe", "reason": "a FIFO"}])
    );
    assert!(
        run.warnings().iter().any(|w| w.contains("pipe")),
        "{}",
        run.stderr
    );
    let bytes = std::fs::read(
        repo.root()
            .join(doc["data"]["stored_path"].as_str().unwrap()),
    )
    .unwrap();
    let tar = zstd::decode_all(&bytes[..]).unwrap();
    assert!(
        !tar.windows(11).any(|w| w == b"do not copy"),
        "a link is never followed"
    );
    let listing: Value = serde_json::from_str(
        &repo.read(doc["data"]["compression"]["index_path"].as_str().unwrap()),
    )
    .unwrap();
    assert_eq!(listing["links"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_is_refused_with_its_code_and_changes_nothing() {
    let repo = repo();
    repo.write("qa/ok.log", "ok\n");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("creds"), "secret").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("creds"),
        repo.root().join("qa/link.log"),
    )
    .unwrap();
    repo.write(".agent-output/TASK-0999/context.json", "{}");
    repo.write(&format!("{DIR}/notes.md"), "mine\n");
    let outside_file = outside.path().join("creds");
    let long = "x".repeat(201);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["--type", "log", "--path", "qa/missing.log"],
            40,
            "E040",
        ),
        (
            vec![
                "--type",
                "log",
                "--path",
                "qa/ok.log",
                "--metadata",
                "not json",
            ],
            10,
            "E002",
        ),
        (
            vec![
                "--type",
                "log",
                "--path",
                "qa/ok.log",
                "--metadata",
                "[1, 2]",
            ],
            10,
            "E002",
        ),
        (
            vec!["--type", "log", "--path", "qa/ok.log", "--metadata", "null"],
            10,
            "E002",
        ),
        (
            vec![
                "--type",
                "log",
                "--path",
                "qa/ok.log",
                "--metadata",
                r#"{"exit_code": "0"}"#,
            ],
            10,
            "E002",
        ),
        (
            vec![
                "--type",
                "log",
                "--path",
                "qa/ok.log",
                "--description",
                &long,
            ],
            10,
            "E002",
        ),
        (
            vec!["--type", "log", "--path", outside_file.to_str().unwrap()],
            10,
            "E002",
        ),
        (vec!["--type", "log", "--path", "qa/link.log"], 10, "E002"),
        (
            vec![
                "--type",
                "file",
                "--path",
                ".agent-output/TASK-0999/context.json",
            ],
            10,
            "E002",
        ),
        (
            vec!["--type", "file", "--path", ".agent-output/.locks"],
            10,
            "E002",
        ),
        (
            vec!["--type", "directory", "--path", ".agent-output"],
            10,
            "E002",
        ),
        (vec!["--type", "nope", "--path", "qa/ok.log"], 10, "E002"),
    ];
    let before = evidence_state(&repo);
    for (args, exit, code) in cases {
        let (got, doc, _) = attach(&repo, &args);
        assert_eq!((got, error_code(&doc)), (exit, code), "{args:?}: {doc}");
        assert!(
            doc["error"]["recovery_action"]
                .as_str()
                .is_some_and(|r| !r.is_empty())
        );
        assert_eq!(
            evidence_state(&repo),
            before,
            "{args:?} changed the evidence"
        );
    }
    // Missing options are usage errors.
    let (got, _, _) = attach(&repo, &["--path", "qa/ok.log"]);
    assert_eq!(got, 2);
    let (got, _, _) = attach(&repo, &["--type", "log"]);
    assert_eq!(got, 2);
    // Options of other commands are refused.
    let (got, _, _) = repo.json(&["--list-evidence", ID, "--path", "x"]);
    assert_eq!(got, 2);
    // The task's own files may be attached.
    let (code, doc, _) = attach(
        &repo,
        &["--type", "summary", "--path", &format!("{DIR}/notes.md")],
    );
    assert_eq!(code, 0, "{doc}");
    // No context: E051, and nothing created.
    let (code, doc, _) = repo.json(&[
        "--attach-evidence",
        "TASK-0777",
        "--type",
        "log",
        "--path",
        "qa/ok.log",
    ]);
    assert_eq!((code, error_code(&doc)), (50, "E051"), "{doc}");
    assert!(!repo.root().join(".agent-output/TASK-0777").exists());
    let (code, doc, _) = repo.json(&["--list-evidence", "TASK-0777"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        doc["data"],
        json!({"task_id": "TASK-0777", "evidence": [], "count": 0})
    );
    assert!(!repo.root().join(".agent-output/TASK-0777").exists());
}

#[test]
fn a_qa_output_takes_its_metadata_from_the_recorded_qa_result_or_warns() {
    let repo = repo();
    repo.write(
        "qa/test.log",
        "Tests:       2 passed, 2 total\nTest Suites: 1 passed, 1 total\n",
    );
    repo.write("qa/other.log", "Tests:       1 passed, 1 total\n");
    let run = repo.run(&[
        "--record-qa",
        ID,
        "--command",
        "pnpm test",
        "--exit-code",
        "0",
        "--log-path",
        "qa/test.log",
        "--duration-ms",
        "5120",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, doc, run) = attach(&repo, &["--type", "qa_output", "--path", "qa/test.log"]);
    assert_eq!(code, 0, "{doc}");
    assert!(run.warnings().is_empty(), "{}", run.stderr);
    let meta = &doc["data"]["metadata"];
    assert_eq!(meta["command"], "pnpm test");
    assert_eq!(meta["exit_code"], 0);
    assert_eq!(meta["duration_ms"], 5120);
    // The log --record-qa kept and this attachment are one entry (same content).
    let same: Vec<Value> = entries(&repo)
        .into_iter()
        .filter(|e| e["id"] == doc["data"]["id"])
        .collect();
    assert_eq!(same.len(), 1, "{same:?}");
    // A log nobody recorded: attached all the same, with a warning naming what is missing.
    let (code, doc, run) = attach(&repo, &["--type", "qa_output", "--path", "qa/other.log"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        doc["data"]["missing_metadata"],
        json!(["command", "exit_code", "duration_ms"])
    );
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].contains("command, exit_code, duration_ms"),
        "{}",
        warnings[0]
    );
}

#[test]
fn sixteen_concurrent_attaches_lose_nothing() {
    let repo = repo();
    for i in 0..16 {
        repo.write(&format!("qa/{i}.log"), format!("log {i}\n"));
    }
    let children: Vec<_> = (0..16)
        .map(|i| {
            crate::support::command()
                .args([
                    "--attach-evidence",
                    ID,
                    "--type",
                    "log",
                    "--path",
                    &format!("qa/{i}.log"),
                    "--format",
                    "json",
                ])
                .current_dir(repo.root())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let logs: Vec<Value> = entries(&repo)
        .into_iter()
        .filter(|e| e["type"] == "log")
        .collect();
    assert_eq!(logs.len(), 16);
    let (code, doc, _) = repo.json(&["--verify-evidence", ID]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["checked"], 17, "16 logs and the checklist");
}

#[test]
fn verify_finds_missing_and_modified_evidence() {
    let repo = repo();
    repo.write("qa/a.log", "a\n").write("qa/b.log", "b\n");
    shots(&repo, 0);
    let (_, a, _) = attach(&repo, &["--type", "log", "--path", "qa/a.log"]);
    let (_, b, _) = attach(&repo, &["--type", "log", "--path", "qa/b.log"]);
    let (_, dir, _) = attach(&repo, &["--type", "directory", "--path", "shots"]);
    let stored = |d: &Value| d["data"]["stored_path"].as_str().unwrap().to_string();
    repo.write(&stored(&a), "A\n");
    std::fs::remove_file(repo.root().join(stored(&b))).unwrap();
    let (code, doc, run) = repo.json(&["--verify-evidence", ID]);
    assert_eq!((code, error_code(&doc)), (20, "E026"), "{doc}");
    assert_eq!(doc["success"], false);
    assert_eq!(
        (doc["missing"].as_u64(), doc["modified"].as_u64()),
        (Some(1), Some(1))
    );
    let findings = doc["findings"].as_array().unwrap();
    let status = |id: &Value| {
        findings
            .iter()
            .find(|f| f["id"] == *id)
            .map(|f| f["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status(&a["data"]["id"]).as_deref(), Some("modified"));
    assert_eq!(status(&b["data"]["id"]).as_deref(), Some("missing"));
    assert_eq!(status(&dir["data"]["id"]), None);
    let modified = findings.iter().find(|f| f["status"] == "modified").unwrap();
    assert_eq!(modified["actual_sha256"], sha256(b"A\n").as_str());
    assert_eq!(doc["error"]["details"]["findings"], doc["findings"]);
    assert!(run.stderr.is_empty() || !run.stderr.contains("panicked"));
    // The listing of an archive edited: found by its recorded hash.
    let listing = dir["data"]["compression"]["index_path"].as_str().unwrap();
    let edited = repo.read(listing).replace("home.png", "home.jpg");
    repo.write(listing, edited);
    let (_, doc, _) = repo.json(&["--verify-evidence", ID]);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == dir["data"]["id"])
        .cloned()
        .unwrap();
    assert_eq!(f["status"], "modified", "{f}");
    assert!(f["reason"].as_str().unwrap().contains("listing"), "{f}");
    // Text: one line per finding, and the error on stderr.
    let run = repo.run(&["--verify-evidence", ID]);
    assert_eq!(run.code, 20);
    assert!(run.stdout.contains("3 of 4"), "{}", run.stdout);
    assert!(run.stderr.starts_with("Error [E026]"), "{}", run.stderr);
}

#[test]
fn an_archive_whose_files_differ_from_its_listing_is_modified() {
    let repo = repo();
    shots(&repo, 0);
    let (_, dir, _) = attach(&repo, &["--type", "directory", "--path", "shots"]);
    // A forger rewrites the archive with other content and fixes its record's hashes, but
    // cannot fix the listing's recorded hash without the listing no longer matching it.
    forge(
        &repo,
        &dir["data"],
        &build_archive(&[("shots/home.png", b"evil".as_slice())]),
    );
    let (code, doc, _) = repo.json(&["--verify-evidence", ID]);
    assert_eq!((code, error_code(&doc)), (20, "E026"), "{doc}");
    let f = &doc["findings"][0];
    assert_eq!(f["status"], "modified");
    let members: Vec<(&str, &str)> = f["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["path"].as_str().unwrap(), m["status"].as_str().unwrap()))
        .collect();
    assert!(members.contains(&("home.png", "modified")), "{members:?}");
    assert!(members.contains(&("notes.txt", "missing")), "{members:?}");
}

/// Replace the stored copy of the record `d` with `forged` and fix the record's id, hash and
/// size to match (what a forger who can write the task's directory does); the new sha256.
fn forge(repo: &TestRepo, d: &Value, forged: &[u8]) -> String {
    let sha = sha256(forged);
    repo.write(d["stored_path"].as_str().unwrap(), forged);
    let mut idx = index(repo);
    for e in idx["evidence"].as_array_mut().unwrap() {
        if e["id"] == d["id"] {
            e["id"] = json!(&sha[..16]);
            e["sha256"] = json!(sha);
            e["size"] = json!(forged.len());
        }
    }
    repo.write(INDEX, serde_json::to_vec_pretty(&idx).unwrap());
    sha
}

/// A tar.zst of `entries` (name bytes written as given, so `../` names are possible).
fn build_archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, content) in entries {
        let mut header = tar::Header::new_gnu();
        let bytes = name.as_bytes();
        header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        tar.append(&header, *content).unwrap();
    }
    let tar = tar.into_inner().unwrap();
    zstd::encode_all(&tar[..], 3).unwrap()
}

#[test]
fn extraction_refuses_a_hostile_archive_and_writes_nothing() {
    let repo = repo();
    // A hostile repository plants an archive and an index entry that names it.
    for (i, name) in [
        "../escape.txt",
        "/tmp/abs-escape.txt",
        "ok/../../escape.txt",
    ]
    .iter()
    .enumerate()
    {
        let bytes = build_archive(&[
            ("ok/fine.txt", b"fine".as_slice()),
            (name, b"pwned".as_slice()),
        ]);
        let sha = sha256(&bytes);
        let stored = format!("{DIR}/evidence/archives/hostile{i}.tar.zst");
        repo.write(&stored, &bytes);
        repo.write(
            &format!("{DIR}/evidence/archives/hostile{i}.index.json"),
            "{}",
        );
        let mut idx = index(&repo);
        idx["evidence"].as_array_mut().unwrap().push(json!({
            "id": &sha[..16], "type": "archive", "path": stored, "stored_path": stored,
            "sha256": sha, "size": bytes.len(), "created_at": "2026-01-01T00:00:00+00:00",
            "compression": {"format": "tar.zst", "original_size": 9,
                "index_path": format!("{DIR}/evidence/archives/hostile{i}.index.json")},
        }));
        repo.write(INDEX, serde_json::to_vec_pretty(&idx).unwrap());
        let out = tempfile::tempdir().unwrap();
        let to = out.path().join("a/b");
        let (code, doc, _) = repo.json(&[
            "--extract-evidence",
            ID,
            "--id",
            &sha[..16],
            "--to",
            to.to_str().unwrap(),
        ]);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{name}: {doc}");
        assert!(
            files_under(out.path(), |_| true).is_empty() && !out.path().join("a").exists(),
            "{name}: something was written"
        );
        assert!(!out.path().join("escape.txt").exists());
        assert!(!Path::new("/tmp/abs-escape.txt").exists());
    }
    // Bad ids and unknown ones.
    let (code, doc, _) = repo.json(&["--extract-evidence", ID, "--id", "../../etc", "--to", "x"]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        "0123456789abcdef",
        "--to",
        "x",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E003"), "{doc}");
    assert_eq!(
        doc["error"]["details"]["archives"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(!repo.root().join("x").exists());
}

#[test]
fn complete_keeps_the_context_as_a_restorable_archive() {
    let repo = repo();
    repo.write("qa/lint.log", "lint ok\n");
    let (code, doc, _) = attach(&repo, &["--type", "log", "--path", "qa/lint.log"]);
    assert_eq!(code, 0, "{doc}");
    let before = evidence_state(&repo);
    let (code, doc, run) = repo.json(&["--complete", ID]);
    assert_eq!(code, 0, "{doc} {}", run.stderr);
    assert_eq!(doc["context_removed"], true);
    assert!(!repo.root().join(DIR).exists());
    let kept = &doc["context_archive"];
    let path = kept["path"].as_str().unwrap();
    assert!(
        path.starts_with(".agent-output/.completed/TASK-0501/context-"),
        "{kept}"
    );
    let bytes = std::fs::read(repo.root().join(path)).unwrap();
    assert_eq!(sha256(&bytes), kept["sha256"].as_str().unwrap());
    assert_eq!(kept["id"], &kept["sha256"].as_str().unwrap()[..16]);
    let restore = kept["restore"].as_str().unwrap();
    assert_eq!(
        restore,
        format!(
            "tasks --repo-root {} --extract-evidence {ID} --id {} --to {}",
            repo.root().canonicalize().unwrap().display(),
            kept["id"].as_str().unwrap(),
            repo.abs(".agent-output")
        )
    );
    // Asking for the archived context says where it went and how to get it back.
    let (code, doc, _) = repo.json(&["--get-context", ID]);
    assert_eq!((code, error_code(&doc)), (50, "E051"), "{doc}");
    let recovery = doc["error"]["recovery_action"].as_str().unwrap();
    assert!(
        recovery.contains(&format!(".agent-output/.completed/{ID}/"))
            && recovery.contains(&format!("tasks --list-evidence {ID}")),
        "{recovery}"
    );
    // The task's evidence list points at what --complete kept.
    let (code, doc, _) = repo.json(&["--list-evidence", ID]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["count"], 0);
    assert_eq!(doc["data"]["completed_contexts"][0]["id"], kept["id"]);
    assert_eq!(doc["data"]["completed_contexts"][0]["restore"], restore);
    // The command it names brings the context back, byte for byte, from any directory.
    let args: Vec<&str> = restore.split(' ').skip(1).collect();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut all = args.clone();
    all.extend(["--format", "json"]);
    let run = crate::support::run_in(elsewhere.path(), &all);
    let doc = run.json();
    let code = run.code;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["source"], "completed_context");
    assert_eq!(evidence_state(&repo), before);
    let (code, doc, _) = repo.json(&["--verify-evidence", ID]);
    assert_eq!(code, 0, "{doc}");
    // Restoring again: the context exists, nothing is replaced.
    let (code, doc, _) = repo.json(&args);
    assert_eq!((code, error_code(&doc)), (40, "E042"), "{doc}");
    assert_eq!(evidence_state(&repo), before);
}

#[test]
fn the_index_of_tasks_py_is_read_and_its_entries_verified_where_they_point() {
    let repo = repo();
    repo.write(&format!("{DIR}/qa-static.log"), "lint ok\n");
    let sha = sha256(b"lint ok\n");
    let mut idx = index(&repo);
    idx["evidence"].as_array_mut().unwrap().push(json!({
        "created_at": "2026-11-25T11:36:21.876063+00:00", "description": "Static analysis",
        "id": &sha[..16], "metadata": {"command": "pnpm lint", "duration_ms": 4523, "exit_code": 0},
        "path": format!("{DIR}/qa-static.log"), "sha256": sha, "size": 8, "type": "qa_output"
    }));
    repo.write(INDEX, serde_json::to_vec_pretty(&idx).unwrap());
    let run = repo.run(&["--list-evidence", ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Static analysis"), "{}", run.stdout);
    let (code, doc, _) = repo.json(&["--verify-evidence", ID]);
    assert_eq!(code, 0, "{doc}");
    repo.write(&format!("{DIR}/qa-static.log"), "lint failed\n");
    let (code, doc, _) = repo.json(&["--verify-evidence", ID]);
    assert_eq!((code, error_code(&doc)), (20, "E026"), "{doc}");
    // A record naming a path out of the repository is reported, never read.
    let mut idx = index(&repo);
    idx["evidence"][1]["path"] = json!("../../../../etc/passwd");
    repo.write(INDEX, serde_json::to_vec_pretty(&idx).unwrap());
    let (code, doc, _) = repo.json(&["--verify-evidence", ID]);
    assert_eq!((code, error_code(&doc)), (20, "E026"), "{doc}");
    assert!(
        doc["findings"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not read"),
        "{doc}"
    );
    // A corrupt index: E052, and it is not replaced.
    repo.write(INDEX, "{not json");
    let (code, doc, _) = attach(
        &repo,
        &["--type", "log", "--path", &format!("{DIR}/qa-static.log")],
    );
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert_eq!(repo.read(INDEX), "{not json");
}

#[test]
fn extraction_refuses_an_archive_whose_files_differ_from_its_listing() {
    let repo = repo();
    shots(&repo, 0);
    let (_, dir, _) = attach(&repo, &["--type", "directory", "--path", "shots"]);
    // The archive rebuilt with other content, its record's hashes fixed, its listing untouched.
    let sha = forge(
        &repo,
        &dir["data"],
        &build_archive(&[
            ("shots/home.png", b"evil".as_slice()),
            ("shots/extra.bin", vec![0u8; 4096].as_slice()),
        ]),
    );
    let out = tempfile::tempdir().unwrap();
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        &sha[..16],
        "--to",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!((code, error_code(&doc)), (20, "E026"), "{doc}");
    assert!(
        files_under(out.path(), |_| true).is_empty(),
        "nothing written"
    );
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none());
}

/// A repository with `shots/` attached as a directory (the attach's JSON) and an empty
/// destination to extract it into.
fn attached_shots() -> (TestRepo, Value, tempfile::TempDir) {
    let repo = repo();
    shots(&repo, 0);
    let (_, dir, _) = attach(&repo, &["--type", "directory", "--path", "shots"]);
    (repo, dir, tempfile::tempdir().unwrap())
}

/// The id of a process that has ended (what a killed extraction's leftovers are named after).
fn gone_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn an_extraction_killed_midway_is_cleaned_up_by_the_next_one() {
    let (repo, dir, out) = attached_shots();
    // What a killed extraction leaves: its temporary directory, named after a process that is gone.
    let pid = gone_pid();
    let left = out.path().join(format!(".tasks-extract-{pid}-abc123"));
    // Names this tool never gives are not touched, whatever they hold.
    let foreign = out.path().join(format!(".tasks-extract-+{pid}-abc123"));
    std::fs::create_dir_all(foreign.join("important")).unwrap();
    std::fs::create_dir_all(left.join("shots")).unwrap();
    std::fs::write(left.join("shots/half.png"), "half").unwrap();
    // One of a process that still runs is not touched.
    let running = out
        .path()
        .join(format!(".tasks-extract-{}-live00", std::process::id()));
    std::fs::create_dir_all(&running).unwrap();
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        dir["data"]["id"].as_str().unwrap(),
        "--to",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{doc}");
    assert!(!left.exists(), "the abandoned directory is removed");
    assert!(foreign.join("important").exists());
    assert!(running.exists());
    assert!(out.path().join("shots/home.png").exists());
}

#[test]
fn an_extraction_killed_after_unpacking_is_finished_by_the_next_one() {
    let (repo, dir, out) = attached_shots();
    let pid = gone_pid();
    // Killed between two moves: `first` is in place; `second` and `shots` are still in the
    // unpacked directory; `taken` was made in the destination since, by someone else.
    let left = out.path().join(format!(".tasks-extracted-{pid}-abc123"));
    std::fs::create_dir_all(out.path().join("first")).unwrap();
    std::fs::create_dir_all(left.join("second")).unwrap();
    std::fs::write(left.join("second/part.txt"), "second").unwrap();
    std::fs::create_dir_all(left.join("shots")).unwrap();
    std::fs::write(left.join("shots/home.png"), "the killed run's").unwrap();
    std::fs::write(left.join("taken"), "extracted").unwrap();
    std::fs::write(out.path().join("taken"), "the user's").unwrap();
    // Never moved in: a link (an extraction puts none at the top), another leftover.
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), left.join("evil")).unwrap();
    let nested = format!(".tasks-extracted-{pid}-nest00");
    std::fs::create_dir_all(left.join(&nested).join("inner")).unwrap();
    // One of a process that still runs is not touched.
    let running = out
        .path()
        .join(format!(".tasks-extracted-{}-live00", std::process::id()));
    std::fs::create_dir_all(running.join("kept")).unwrap();
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        dir["data"]["id"].as_str().unwrap(),
        "--to",
        out.path().to_str().unwrap(),
    ]);
    // The killed extraction is finished first: its `shots` is then a name that exists.
    assert_eq!((code, error_code(&doc)), (40, "E042"), "{doc}");
    assert!(!left.exists(), "the finished directory is removed");
    assert_eq!(
        std::fs::read_to_string(out.path().join("second/part.txt")).unwrap(),
        "second"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("shots/home.png")).unwrap(),
        "the killed run's"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("taken")).unwrap(),
        "the user's",
        "never replaced"
    );
    assert!(std::fs::symlink_metadata(out.path().join("evil")).is_err());
    assert!(!out.path().join(&nested).exists());
    assert!(running.join("kept").exists());
}

#[test]
fn a_failed_extraction_killed_while_it_undoes_is_undone_by_the_next_one() {
    let (repo, dir, out) = attached_shots();
    let id = dir["data"]["id"].as_str().unwrap();
    let to = out.path().to_str().unwrap();
    let args = ["--extract-evidence", ID, "--id", id, "--to", to];
    // The move of `shots` into place fails (point 4); the kill comes right after the unpacked
    // directory took back its first name, before it is removed (point 5).
    let killed = repo.run_env(&args, &[("TASKS_FAIL_AT", "4"), ("TASKS_CRASH_AT", "5")]);
    assert_eq!(killed.code, -1, "killed: {}", killed.stderr);
    let left: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.len() == 1 && left[0].starts_with(".tasks-extract-"),
        "{left:?}"
    );
    // So the next extraction removes it (undoing the failed one) and extracts afresh, instead
    // of finishing it and reporting the name as existing.
    let (code, doc, _) = repo.json(&args);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "only shots/"
    );
    assert!(out.path().join("shots/home.png").exists());
}

#[test]
fn extraction_errors_name_the_destination_not_a_descriptor() {
    let (repo, dir, out) = attached_shots();
    let id = dir["data"]["id"].as_str().unwrap();
    let to = out.path().to_str().unwrap();
    for point in ["1", "2"] {
        let run = repo.run_env(
            &[
                "--extract-evidence",
                ID,
                "--id",
                id,
                "--to",
                to,
                "--format",
                "json",
            ],
            &[("TASKS_FAIL_AT", point)],
        );
        assert_eq!(run.code, 40, "{}", run.stdout);
        assert!(run.stdout.contains(to), "{}", run.stdout);
        assert!(!run.stdout.contains("/proc/self/fd"), "{}", run.stdout);
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }
}

#[test]
fn a_destination_reached_through_another_path_to_the_repository_follows_its_rule() {
    let (repo, dir, _) = attached_shots();
    let id = dir["data"]["id"].as_str().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.root().join("docs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root().join("docs/out")).unwrap();
    let other = tempfile::tempdir().unwrap();
    let alias = other.path().join("alias");
    std::os::unix::fs::symlink(repo.root(), &alias).unwrap();
    // A link outside that leads to the repository's link (followed all the way, it would look
    // like a path outside).
    let to_the_link = other.path().join("to-the-link");
    std::os::unix::fs::symlink(repo.root().join("docs/out"), &to_the_link).unwrap();
    for to in [
        "docs/out".to_string(),
        alias.join("docs/out").to_str().unwrap().to_string(),
        alias.join("docs/out/deeper").to_str().unwrap().to_string(),
        to_the_link.to_str().unwrap().to_string(),
    ] {
        let (code, doc, _) = repo.json(&["--extract-evidence", ID, "--id", id, "--to", &to]);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{to}: {doc}");
        assert_eq!(
            std::fs::read_dir(outside.path()).unwrap().count(),
            0,
            "{to}"
        );
    }
    // Through the other path, a plain directory of the repository is fine.
    let to = alias.join("docs/restored");
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        id,
        "--to",
        to.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{doc}");
    assert!(repo.root().join("docs/restored/shots/home.png").exists());
}

#[test]
fn state_that_is_not_the_tools_own_is_refused_and_never_read() {
    let repo = repo();
    repo.write("qa/a.log", "a\n");
    attach(&repo, &["--type", "log", "--path", "qa/a.log"]);
    // The evidence directory replaced by a link to an index somewhere else.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("index.json"),
        r#"{"version": 1, "evidence": [{"id": "aaaaaaaaaaaaaaaa", "type": "file", "path": "SECRET-FROM-OUTSIDE", "sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "created_at": "x"}]}"#,
    )
    .unwrap();
    let evidence = repo.root().join(DIR).join("evidence");
    std::fs::rename(&evidence, repo.root().join("evidence-real")).unwrap();
    std::os::unix::fs::symlink(outside.path(), &evidence).unwrap();
    for args in [
        vec!["--list-evidence", ID],
        vec!["--verify-evidence", ID],
        vec![
            "--extract-evidence",
            ID,
            "--id",
            "aaaaaaaaaaaaaaaa",
            "--to",
            "x",
        ],
    ] {
        let (code, doc, run) = repo.json(&args);
        assert_eq!((code, error_code(&doc)), (10, "E002"), "{args:?}: {doc}");
        assert!(!run.stdout.contains("SECRET-FROM-OUTSIDE"), "{args:?}");
    }
    std::fs::remove_file(&evidence).unwrap();
    std::fs::rename(repo.root().join("evidence-real"), &evidence).unwrap();
    // A planted journal that removes the evidence directory: refused, nothing removed.
    repo.write(
        ".agent-output/.txn/TASK-0501/journal.json",
        r#"{"version":1,"ops":[{"kind":"remove","target":".agent-output/TASK-0501/evidence"}]}"#,
    );
    let before = evidence_state(&repo);
    let (code, doc, _) = repo.json(&["--list-evidence", ID]);
    assert_eq!((code, error_code(&doc)), (50, "E052"), "{doc}");
    assert_eq!(evidence_state(&repo), before);
    let _ = std::fs::remove_dir_all(repo.root().join(".agent-output/.txn/TASK-0501"));
    // Metadata nested deeper than an index can hold is refused before it breaks the index.
    let deep = format!("{{\"x\": {}{}}}", "[".repeat(40), "]".repeat(40));
    let (code, doc, _) = attach(
        &repo,
        &["--type", "log", "--path", "qa/a.log", "--metadata", &deep],
    );
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    let (code, _, _) = repo.json(&["--list-evidence", ID]);
    assert_eq!(code, 0);
}

#[test]
fn attaching_again_updates_the_entry_in_place_and_says_what_changed() {
    let repo = repo();
    repo.write("qa/a.log", "a\n").write("qa/b.log", "b\n");
    repo.write("screens/home.png", "same bytes")
        .write("shots/tablet.png", "same bytes");
    let (_, a, _) = attach(
        &repo,
        &[
            "--type",
            "log",
            "--path",
            "qa/a.log",
            "--description",
            "first",
        ],
    );
    attach(&repo, &["--type", "log", "--path", "qa/b.log"]);
    let created = a["data"]["created_at"].clone();
    let (code, again, run) = attach(
        &repo,
        &[
            "--type",
            "log",
            "--path",
            "qa/a.log",
            "--description",
            "second",
        ],
    );
    assert_eq!(code, 0, "{again}");
    assert!(run.warnings().is_empty(), "{}", run.stderr);
    let ids: Vec<Value> = entries(&repo).iter().map(|e| e["id"].clone()).collect();
    assert_eq!(ids[ids.len() - 2], a["data"]["id"], "keeps its place");
    assert_eq!(again["data"]["created_at"], created);
    assert!(again["data"]["updated_at"].is_string());
    assert_eq!(again["data"]["description"], "second");
    // The same bytes from another file: one entry, and a warning names what it was.
    let (_, _, _) = attach(
        &repo,
        &[
            "--type",
            "screenshot",
            "--path",
            "screens/home.png",
            "--description",
            "Home screen",
        ],
    );
    let (code, doc, run) = attach(
        &repo,
        &["--type", "screenshot", "--path", "shots/tablet.png"],
    );
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["path"], "shots/tablet.png");
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].contains("screens/home.png") && warnings[0].contains("Home screen"),
        "{}",
        warnings[0]
    );
    // --type directory lists the archives of directories.
    let (_, _, _) = attach(&repo, &["--type", "directory", "--path", "shots"]);
    let (code, doc, _) = repo.json(&["--list-evidence", ID, "--type", "directory"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["data"]["count"], 1);
    assert_eq!(doc["data"]["evidence"][0]["source_path"], "shots");
    let run = repo.run(&["--list-evidence", ID, "--type", "diff"]);
    assert_eq!(run.stdout, "No evidence of type diff for TASK-0501\n");
    // A long description is cut in the table, never in JSON.
    let long = "d".repeat(150);
    attach(
        &repo,
        &[
            "--type",
            "log",
            "--path",
            "qa/b.log",
            "--description",
            &long,
        ],
    );
    let run = repo.run(&["--list-evidence", ID, "--type", "log"]);
    assert!(
        run.stdout.contains(&format!("{}…", "d".repeat(59))),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(&"d".repeat(61)), "{}", run.stdout);
    let (_, doc, _) = repo.json(&["--list-evidence", ID, "--type", "log"]);
    assert!(
        doc["data"]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["description"] == long.as_str())
    );
    // --to that is a file: E002, nothing written.
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        doc["data"]["evidence"][0]["id"].as_str().unwrap(),
        "--to",
        "qa/a.log",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not a directory"),
        "{doc}"
    );
}

#[test]
fn a_kept_context_restores_only_its_own_task_and_never_through_a_link() {
    let repo = repo();
    let (code, doc, _) = repo.json(&["--complete", ID]);
    assert_eq!(code, 0, "{doc}");
    let kept = doc["context_archive"]["id"].as_str().unwrap().to_string();
    // --to inside the repository through a link: E002, nothing written there.
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root().join(".agent-output/TASK-0999"))
        .unwrap();
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        &kept,
        "--to",
        ".agent-output/TASK-0999/sub",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(files_under(outside.path(), |_| true).is_empty());
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    // A planted "kept context" whose top directory is another task's: refused.
    let planted = build_archive(&[("TASK-0202/context.json", b"{}".as_slice())]);
    let id = &sha256(&planted)[..16];
    let dir = format!(".agent-output/.completed/{ID}");
    repo.write(&format!("{dir}/context-{id}.tar.zst"), &planted);
    repo.write(
        &format!("{dir}/context-{id}.index.json"),
        r#"{"created_at": "", "files": [{"path": "context.json", "sha256": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2}], "root": "x"}"#,
    );
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        id,
        "--to",
        ".agent-output",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(!repo.root().join(".agent-output/TASK-0202").exists());
    // A link under an archive's name is not listed as a kept context.
    std::os::unix::fs::symlink(
        "/etc/hostname",
        repo.root()
            .join(format!("{dir}/context-0123456789abcdef.tar.zst")),
    )
    .unwrap();
    let (_, doc, _) = repo.json(&["--list-evidence", ID]);
    let listed: Vec<&str> = doc["data"]["completed_contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&"0123456789abcdef"), "{listed:?}");
    assert!(listed.contains(&kept.as_str()));
}

#[test]
fn an_extraction_inside_the_repository_refuses_dot_dot() {
    // `docs/l/../x` with `l` a link would land beside the link's target: refused before
    // anything is looked up or created.
    let repo = repo();
    std::fs::create_dir_all(repo.root().join("docs")).unwrap();
    std::os::unix::fs::symlink(repo.root().join(DIR), repo.root().join("docs/l")).unwrap();
    let snapshot = repo.snapshot();
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        "0123456789abcdef",
        "--to",
        "docs/l/../x",
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert!(doc["error"]["message"].as_str().unwrap().contains("'..'"));
    assert_eq!(repo.snapshot(), snapshot);
    assert!(!repo.root().join(DIR).join("../x").exists());
}

#[test]
fn a_destination_that_enters_the_repository_by_a_name_not_in_utf8_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let (repo, dir, _) = attached_shots();
    let id = dir["data"]["id"].as_str().unwrap();
    let odd = repo.root().join(std::ffi::OsStr::from_bytes(b"odd-\xff"));
    std::fs::create_dir(&odd).unwrap();
    let other = tempfile::tempdir().unwrap();
    let link = other.path().join("to-odd");
    std::os::unix::fs::symlink(&odd, &link).unwrap();
    let (code, doc, _) = repo.json(&[
        "--extract-evidence",
        ID,
        "--id",
        id,
        "--to",
        link.to_str().unwrap(),
    ]);
    assert_eq!((code, error_code(&doc)), (10, "E002"), "{doc}");
    assert_eq!(std::fs::read_dir(&odd).unwrap().count(), 0);
}
