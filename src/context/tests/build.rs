use super::*;
use crate::tasks::parse::parse_task;
use crate::tasks::yaml::parse;

const TASK: &str = r#"schema_version: "1.1"
id: TASK-0042
title: Timeline API
status: todo
priority: P1
area: backend
description: |
  Expose the timeline.

  Second paragraph.
outcome: Clients read one ordered list.
scope:
  in: [backend/src/timeline/, "./backend//handlers/"]
  out: [web]
acceptance_criteria:
  must:
    - Events are ordered
    - 404 for unknown shipments
  quality_gates:
    - Coverage >= 80%
plan:
  - id: 1
    outputs: [backend/src/timeline.ts]
deliverables: [backend/src/timeline.ts]
validation:
  pipeline:
    - command: pnpm test
      description: tests
    - cmd: pnpm lint
    - "pnpm typecheck"
    - description: nothing to run
context:
  standards_tier: backend
  related_docs:
    - standards/global.md
    - standards/extra.md#retries
    - docs/not-standards.md
    - standards/backend-tier.md#layering-rules
    - standards/backend-tier.md#testing
  repo_paths: [":handlers", "./backend//lib/", "backend/lib/", ":unknown"]
"#;

fn repo() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "standards/global.md",
        "# Global\n\n## Evidence requirements\n\nKeep evidence. Always.\n",
    );
    write(
        "standards/backend-tier.md",
        "# Backend tier\n\n## Handler constraints\n\nHandlers stay small. Really.\n\n## Layering rules\n\nOne way only.\n\n## Testing\n\nTest every rule.\n",
    );
    write("standards/extra.md", "# Extra\n\n## Retries\n\nBack off.\n");
    write(
        SCOPE_GLOBS,
        r#"{"globs": {":handlers": ["backend/handlers/**/*.ts", "./backend//routes/*.ts"]}}"#,
    );
    let repo = Repo::discover(Some(dir.path()), dir.path()).unwrap();
    (dir, repo)
}

fn payload() -> Payload {
    let (_dir, repo) = repo();
    let task = parse_task(TASK.as_bytes(), "tasks/TASK-0042.task.yaml", 0.0).unwrap();
    build(&repo, &task, &parse(TASK).unwrap())
}

#[test]
fn snapshot_fields() {
    let p = payload();
    let s = &p.snapshot;
    assert_eq!(s.title, "Timeline API");
    assert_eq!(s.description, "Expose the timeline. Second paragraph.\n");
    assert_eq!(
        s.outcome.as_deref(),
        Some("Clients read one ordered list.\n")
    );
    assert_eq!(
        s.acceptance_criteria,
        vec![
            "Events are ordered\n",
            "404 for unknown shipments\n",
            "Coverage >= 80%\n"
        ],
        "a mapping of criteria is its items in order"
    );
    assert_eq!(
        s.scope_in,
        vec!["backend/src/timeline/\n", "./backend//handlers/\n"]
    );
    assert_eq!(s.scope_out, vec!["web\n"]);
    assert_eq!(
        s.plan.as_ref().unwrap()[0]["outputs"][0],
        "backend/src/timeline.ts"
    );
    assert_eq!(
        s.deliverables.as_ref().unwrap()[0],
        "backend/src/timeline.ts"
    );
}

#[test]
fn baseline_commands_come_from_the_pipeline() {
    let p = payload();
    assert_eq!(
        p.baseline.commands,
        vec!["pnpm test", "pnpm lint", "pnpm typecheck"]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("validation.pipeline[3]"))
    );
}

#[test]
fn repo_paths_expand_macros_and_normalize_idempotently() {
    let p = payload();
    assert_eq!(
        p.repo_paths,
        vec![
            ":unknown",
            "backend/handlers/**/*.ts",
            "backend/lib/",
            "backend/routes/*.ts"
        ]
    );
    assert!(p.warnings.iter().any(|w| w.contains(":unknown")));
    for path in &p.repo_paths {
        assert_eq!(&normalize_path(path), path);
    }
}

#[test]
fn citations_carry_real_spans_and_missing_ones_warn() {
    let p = payload();
    let by: Vec<(&str, &str)> = p
        .citations
        .iter()
        .map(|c| (c.file.as_str(), c.section.as_str()))
        .collect();
    assert_eq!(
        by,
        vec![
            ("standards/global.md", "evidence-requirements"),
            ("standards/AGENTS.md", "agent-coordination"),
            ("standards/backend-tier.md", "handler-constraints"),
            ("standards/backend-tier.md", "layering-rules"),
            ("standards/cross-cutting.md", "hard-fail-controls"),
            ("standards/typescript.md", "strict-config"),
            ("standards/testing-standards.md", "backend-qa-commands"),
            ("standards/extra.md", "retries"),
            ("standards/backend-tier.md", "testing"),
        ],
        "the tier file and global.md are already cited (whole files are not added again); \
         related_docs adds only sections not cited yet"
    );
    let global = &p.citations[0];
    assert_eq!(global.line_span, Some(Value::String("L5-L5".into())));
    assert_eq!(global.requirement, "Keep evidence.");
    assert_eq!(global.content_sha.as_deref().map(str::len), Some(16));
    let agents = &p.citations[1];
    assert_eq!(
        (agents.line_span.clone(), agents.content_sha.clone()),
        (None, None)
    );
    assert_eq!(
        agents.requirement,
        "Agent handoff protocols and context management"
    );
    assert_eq!(p.excerpts.len(), 5);
    let sources: Vec<&str> = p.sources.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        sources,
        vec![
            "standards/global.md",
            "standards/backend-tier.md",
            "standards/extra.md"
        ]
    );
    assert!(p.warnings.iter().any(|w| w.contains("standards/AGENTS.md")));
}

#[test]
fn the_same_task_gives_the_same_payload() {
    let a = payload();
    let b = payload();
    assert_eq!(a.snapshot, b.snapshot);
    assert_eq!(a.citations, b.citations);
    assert_eq!(a.repo_paths, b.repo_paths);
}

#[test]
fn an_item_holding_a_colon_reads_as_written() {
    let doc = parse(
        "acceptance_criteria:\n  - storybookPreset.js loads babel-preset-expo with reanimated: false\n  - 'Ports: 8080'\n  - Check the following:\n  - Timeout: 30\n  - Note: |\n      two\n      lines\n  - {a: 1, b: 2}\n  - [x, y]\n",
    )
    .unwrap();
    assert_eq!(
        items(doc.get("acceptance_criteria")),
        vec![
            // One-key mappings: the author's line, with no final newline.
            "storybookPreset.js loads babel-preset-expo with reanimated: false",
            "Ports: 8080\n",
            "Check the following:",
            "Timeout: 30",
            "Note: two\nlines",
            "{a: 1, b: 2}\n",
            "[x, y]\n",
        ]
    );
}

#[test]
fn a_section_of_a_file_cited_whole_is_still_cited_and_checked() {
    let (_dir, repo) = repo();
    // area web: the defaults cite no section of backend-tier.md, so the tier cites it whole.
    let text = TASK.replace("area: backend", "area: web").replace(
        "    - standards/backend-tier.md#testing\n",
        "    - standards/backend-tier.md#Testing\n    - standards/backend-tier.md#no-such-section\n    - standards/backend-tier.md#testing\n",
    );
    let task = parse_task(text.as_bytes(), "tasks/TASK-0042.task.yaml", 0.0).unwrap();
    let p = build(&repo, &task, &parse(&text).unwrap());
    let backend: Vec<(&str, Option<&Value>)> = p
        .citations
        .iter()
        .filter(|c| c.file == "standards/backend-tier.md")
        .map(|c| (c.section.as_str(), c.line_span.as_ref()))
        .collect();
    assert_eq!(
        backend,
        vec![
            ("document", Some(&Value::String("L1-L13".into()))),
            ("layering-rules", Some(&Value::String("L9-L9".into()))),
            ("Testing", Some(&Value::String("L13-L13".into()))),
            ("no-such-section", None),
        ],
        "sections are cited beside the whole file, once each (in any case)"
    );
    assert!(
        p.warnings.iter().any(|w| w.contains(
            "citation standards/backend-tier.md#no-such-section: no such section in the file"
        )),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_large_standards_file_is_cited_up_to_the_one_limit_attach_uses_too() {
    let (dir, repo) = repo();
    let mut big = String::from("# Extra\n\n## Retries\n\nBack off.\n\n## Appendix\n\n");
    while big.len() < 2 * 1024 * 1024 {
        big.push_str("A long appendix line that only makes the file large.\n");
    }
    std::fs::write(dir.path().join("standards/extra.md"), &big).unwrap();
    let task = parse_task(TASK.as_bytes(), "tasks/TASK-0042.task.yaml", 0.0).unwrap();
    let p = build(&repo, &task, &parse(TASK).unwrap());
    assert!(
        p.excerpts.iter().any(|e| e.file == "standards/extra.md"),
        "a 2 MiB file is read: {:?}",
        p.warnings
    );
    let over = "x".repeat(crate::standards::MAX_FILE_BYTES as usize + 1);
    std::fs::write(dir.path().join("standards/extra.md"), over).unwrap();
    let p = build(&repo, &task, &parse(TASK).unwrap());
    assert!(
        p.warnings.iter().any(|w| w.contains("larger than 4 MiB")),
        "{:?}",
        p.warnings
    );
}
