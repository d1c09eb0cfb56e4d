use super::*;
use std::collections::HashMap;

struct Files(HashMap<&'static str, &'static str>);

impl LintEnv for Files {
    fn read(&self, rel: &str) -> Option<String> {
        self.0.get(rel).map(|s| s.to_string())
    }
    fn exists(&self, rel: &str) -> bool {
        self.0.contains_key(rel)
    }
}

fn env() -> Files {
    Files(HashMap::from([
        (
            "docs/evidence/tasks/TASK-0001-clarifications.md",
            "# evidence\n",
        ),
        (
            "standards/backend-tier.md",
            "# Backend\n\n## Error handling & retries\n\ntext\n",
        ),
    ]))
}

const VALID: &str = r#"schema_version: "1.1"
id: TASK-0001
title: Valid task
status: todo
priority: P1
area: backend
estimate: M
clarifications:
  evidence_path: docs/evidence/tasks/TASK-0001-clarifications.md
validation:
  pipeline:
    - command: pnpm test
      description: Unit tests
plan:
  - id: 1
    title: Do it
    details: Follow standards/backend-tier.md#error-handling-and-retries here.
    outputs: [src/a.ts]
"#;

fn codes(text: &str) -> Vec<(&'static str, Severity)> {
    lint(text, &env())
        .findings
        .iter()
        .map(|f| (f.code, f.severity))
        .collect()
}

fn with(replace: &str, by: &str) -> String {
    assert!(VALID.contains(replace), "{replace}");
    VALID.replace(replace, by)
}

#[test]
fn a_valid_file_has_no_findings() {
    let result = lint(VALID, &env());
    assert_eq!(result.findings, vec![]);
    assert_eq!(
        (result.schema_version.as_str(), result.rules),
        ("1.1", "1.1")
    );
}

#[test]
fn evidence_rules_a1_to_a4() {
    let no_evidence = with(
        "clarifications:\n  evidence_path: docs/evidence/tasks/TASK-0001-clarifications.md\n",
        "",
    );
    assert_eq!(
        codes(&no_evidence),
        vec![("evidence_path_missing", Severity::Error)]
    );
    assert_eq!(
        codes(&no_evidence.replace("status: todo", "status: draft")),
        vec![("evidence_path_missing", Severity::Warning)]
    );
    let missing_file = with("TASK-0001-clarifications.md", "nothere.md");
    assert_eq!(
        codes(&missing_file),
        vec![("evidence_file_missing", Severity::Error)]
    );
    assert_eq!(
        codes(&missing_file.replace("status: todo", "status: blocked")),
        vec![("evidence_file_missing", Severity::Warning)]
    );
    let f = &lint(&missing_file, &env()).findings[0];
    assert_eq!(f.field, "clarifications.evidence_path");
    assert_eq!(
        f.suggestion.as_deref(),
        Some("Create it with: tasks --bootstrap-evidence TASK-0001")
    );
    let not_mapping = with(
        "clarifications:\n  evidence_path: docs/evidence/tasks/TASK-0001-clarifications.md\n",
        "clarifications: [a]\n",
    );
    assert_eq!(
        codes(&not_mapping),
        vec![("clarifications_not_mapping", Severity::Error)]
    );
}

#[test]
fn validation_rules_b1_to_b9() {
    let section =
        "validation:\n  pipeline:\n    - command: pnpm test\n      description: Unit tests\n";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (with(section, ""), vec!["validation_missing"]),
        (
            with(section, "validation: [x]\n"),
            vec!["validation_not_mapping"],
        ),
        (
            with(section, "validation:\n  manual_checks: []\n"),
            vec!["pipeline_missing"],
        ),
        (
            with(section, "validation:\n  pipeline: null\n"),
            vec!["pipeline_missing"],
        ),
        (
            with(section, "validation:\n  pipeline: pnpm test\n"),
            vec!["pipeline_not_list"],
        ),
        (
            with(section, "validation:\n  pipeline: []\n"),
            vec!["pipeline_empty"],
        ),
        (
            with(section, "validation:\n  pipeline:\n    - pnpm test\n"),
            vec!["pipeline_entry_not_mapping"],
        ),
        (
            with(section, "validation:\n  pipeline:\n    - description: x\n"),
            vec!["pipeline_entry_no_command"],
        ),
        (
            with(section, "validation:\n  pipeline:\n    - command: x\n"),
            vec!["pipeline_entry_no_description"],
        ),
        (
            with(section, &format!("{section}  manual_checks: check it\n")),
            vec!["manual_checks_not_list"],
        ),
    ];
    for (text, expected) in cases {
        let got: Vec<&str> = codes(&text)
            .into_iter()
            .map(|(c, s)| {
                assert_eq!(s, Severity::Error);
                c
            })
            .collect();
        assert_eq!(got, expected, "{text}");
    }
}

#[test]
fn plan_rules_c1_to_c3_and_standards_d1_d2() {
    let plan = "plan:\n  - id: 1\n    title: Do it\n    details: Follow standards/backend-tier.md#error-handling-and-retries here.\n    outputs: [src/a.ts]\n";
    assert_eq!(
        codes(&with(plan, "plan: null\n")),
        vec![("plan_not_list", Severity::Error)]
    );
    assert_eq!(
        codes(&with(plan, "plan: 3\n")),
        vec![("plan_not_list", Severity::Error)]
    );
    assert_eq!(
        codes(&with("    outputs: [src/a.ts]\n", "")),
        vec![("plan_outputs_missing", Severity::Error)]
    );
    assert_eq!(
        codes(&with("[src/a.ts]", "[]")),
        vec![("plan_outputs_empty", Severity::Error)]
    );
    assert_eq!(
        codes(&with(
            "standards/backend-tier.md#error",
            "docs/standards/missing-tier.md#error"
        )),
        vec![("standards_file_missing", Severity::Warning)]
    );
    assert_eq!(
        codes(&with("#error-handling-and-retries", "#versioning")),
        vec![("standards_anchor_missing", Severity::Warning)]
    );
    assert_eq!(
        codes(&with(
            "#error-handling-and-retries",
            "#error-handling--retries"
        )),
        vec![]
    );
    let dod = with(
        "    outputs: [src/a.ts]\n",
        "    outputs: [src/a.ts]\n    definition_of_done:\n      - Meets standards/nope.md\n      - Meets standards/backend-tier.md#nothing\n",
    );
    let f = lint(&dod, &env()).findings;
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].field, "plan[0].definition_of_done[0]");
    assert_eq!(f[1].code, "standards_anchor_missing");
    assert!(
        f[0].message
            .starts_with("plan[0] (step 1), definition_of_done[0]: "),
        "{}",
        f[0].message
    );
}

#[test]
fn step_ids_fall_back_to_their_position_and_non_mapping_steps_are_skipped() {
    let plan = "plan:\n  - id: 1\n    title: Do it\n    details: Follow standards/backend-tier.md#error-handling-and-retries here.\n    outputs: [src/a.ts]\n";
    let text = with(
        plan,
        "plan:\n  - just a string step\n  - title: no id\n    outputs: []\n",
    );
    let f = lint(&text, &env()).findings;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].field, "plan[1].outputs");
    assert!(
        f[0].message.starts_with("plan[1] (step 2) "),
        "{}",
        f[0].message
    );
}

#[test]
fn falsy_clarifications_count_as_absent() {
    let ev = "clarifications:\n  evidence_path: docs/evidence/tasks/TASK-0001-clarifications.md\n";
    let draft = with(ev, "clarifications: []\n").replace("status: todo", "status: draft");
    assert_eq!(
        codes(&draft),
        vec![("evidence_path_missing", Severity::Warning)]
    );
}

#[test]
fn sizing_rules_e1_to_e6() {
    let files = |n: usize| {
        (0..n)
            .map(|i| format!("  - src/f{i}.ts\n"))
            .collect::<String>()
    };
    let steps = |n: usize| {
        (0..n)
            .map(|i| format!("  - id: {i}\n    title: s\n    outputs: [x]\n"))
            .collect::<String>()
    };
    let plan = "plan:\n  - id: 1\n    title: Do it\n    details: Follow standards/backend-tier.md#error-handling-and-retries here.\n    outputs: [src/a.ts]\n";
    assert_eq!(
        codes(&format!("{VALID}deliverables:\n{}", files(11))),
        vec![("too_many_files", Severity::Error)]
    );
    assert_eq!(
        codes(&format!("{VALID}deliverables:\n{}", files(9))),
        vec![("many_files", Severity::Warning)]
    );
    assert_eq!(
        codes(&with(plan, &format!("plan:\n{}", steps(7)))),
        vec![("too_many_steps", Severity::Warning)]
    );
    assert_eq!(
        codes(&format!(
            "{}deliverables:\n{}",
            with(plan, &format!("plan:\n{}", steps(7))),
            files(6)
        )),
        vec![
            ("too_many_steps", Severity::Warning),
            ("session_time_risk", Severity::Error)
        ]
    );
    assert_eq!(
        codes(&with("estimate: M", "estimate: L")),
        vec![("estimate_large", Severity::Warning)]
    );
    assert_eq!(
        codes(&with("estimate: M\n", "")),
        vec![("estimate_missing", Severity::Info)]
    );
    assert_eq!(
        file_count(Some(&Yaml::Str("src/a.ts, src/b.ts and tests".into()))),
        2
    );
    assert_eq!(file_count(Some(&Yaml::Str("a refactor".into()))), 1);
    let map = yaml::parse("files: [a, b]\nartifacts: [docs/x.md, note]\n").unwrap();
    assert_eq!(file_count(Some(&map)), 3);
}

#[test]
fn versions_required_fields_and_broken_files() {
    let legacy = "id: TASK-0002\ntitle: Old\nstatus: todo\npriority: P1\n";
    let result = lint(legacy, &env());
    assert_eq!(result.rules, "legacy");
    assert_eq!(
        result.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        vec!["required_field_missing"]
    );
    assert_eq!(result.findings[0].field, "area");
    let numeric = with("schema_version: \"1.1\"", "schema_version: 1.1");
    assert_eq!(
        codes(&numeric),
        vec![("schema_version_not_text", Severity::Warning)]
    );
    assert_eq!(lint(&numeric, &env()).rules, "1.1", "still linted as 1.1");
    assert_eq!(lint(&with("\"1.1\"", "\"v1.1\""), &env()).rules, "legacy");
    assert_eq!(
        codes(&with("id: TASK-0001", "id: task_1")),
        vec![("id_invalid", Severity::Error)]
    );
    assert_eq!(codes(""), vec![("not_a_mapping", Severity::Error)]);
    assert_eq!(codes("- a\n"), vec![("not_a_mapping", Severity::Error)]);
    let broken = lint("id: x\nsteps:\n  - `bad`\n", &env());
    assert_eq!(broken.findings[0].code, "yaml_invalid");
    assert!(
        broken.findings[0].message.contains("line 3, column 5"),
        "{}",
        broken.findings[0].message
    );
}

#[test]
fn text_items_that_yaml_reads_as_mappings_warn() {
    let text = format!(
        "{VALID}acceptance_criteria:\n  must:\n    - Plain text\n    - storybookPreset.js loads babel-preset-expo with reanimated: false\n  quality_gates:\n    - \"Quoted: fine\"\n    - Coverage: {{lines: 80, branches: 70}}\nscope:\n  in:\n    - Check the following:\n  out:\n    - {{name: a, why: b}}\n"
    );
    let f = lint(&text, &env()).findings;
    let fields: Vec<(&str, &str, Severity)> = f
        .iter()
        .map(|f| (f.code, f.field.as_str(), f.severity))
        .collect();
    assert_eq!(
        fields,
        vec![
            (
                "text_item_is_mapping",
                "acceptance_criteria.must[1]",
                Severity::Warning
            ),
            (
                "text_item_is_mapping",
                "acceptance_criteria.quality_gates[1]",
                Severity::Warning
            ),
            ("text_item_is_mapping", "scope.in[0]", Severity::Warning),
            ("text_item_is_mapping", "scope.out[0]", Severity::Warning),
        ]
    );
    assert_eq!(
        f[0].suggestion.as_deref(),
        Some(
            "Quote the item: - \"storybookPreset.js loads babel-preset-expo with reanimated: false\""
        )
    );
    assert!(
        f[0].message
            .contains("\"storybookPreset.js loads babel-preset-expo with reanimated\""),
        "{}",
        f[0].message
    );
    assert_eq!(
        f[1].suggestion.as_deref(),
        Some("Quote the item: - \"Coverage: {lines: 80, branches: 70}\"")
    );
    assert_eq!(
        f[2].suggestion.as_deref(),
        Some("Quote the item: - \"Check the following:\"")
    );
    assert!(f[3].message.contains("2 keys"), "{}", f[3].message);
    // A plain list of criteria, and legacy files (required fields only), have none.
    let list = format!("{VALID}acceptance_criteria:\n  - a: b\n");
    assert_eq!(
        lint(&list, &env()).findings[0].field,
        "acceptance_criteria[0]"
    );
    let legacy = list.replace("schema_version: \"1.1\"\n", "");
    assert_eq!(lint(&legacy, &env()).findings, vec![]);
}

#[test]
fn related_docs_citations_must_name_real_files_and_headings() {
    let text = format!(
        "{VALID}context:\n  related_docs:\n    - docs/adr/0001.md#gone\n    - standards/backend-tier.md\n    - standards/backend-tier.md#Error handling & retries\n    - standards/backend-tier.md#error-handling--retries\n    - standards/backend-tier.md#versioning\n    - standards/nope.md\n    - 42\n"
    );
    let f = lint(&text, &env()).findings;
    let found: Vec<(&str, &str)> = f.iter().map(|f| (f.code, f.field.as_str())).collect();
    assert_eq!(
        found,
        vec![
            ("standards_anchor_missing", "context.related_docs[4]"),
            ("standards_file_missing", "context.related_docs[5]"),
        ]
    );
    assert_eq!(
        f[0].message,
        "context.related_docs[4]: standards/backend-tier.md has no heading for #versioning (the context would cite it without an excerpt)"
    );
}
