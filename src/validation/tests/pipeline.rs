use super::*;

fn doc(text: &str) -> Yaml {
    crate::tasks::yaml::parse(text).unwrap()
}

#[test]
fn entries_without_ids_get_them_from_their_position() {
    let entries = from_task(&doc(
        "validation:\n  pipeline:\n    - command: pnpm lint\n      description: Lint\n    - pnpm test\n    - id: val-010\n      command: make check\n",
    ));
    let entries: Vec<Entry> = entries.into_iter().map(Result::unwrap).collect();
    let ids: Vec<(&str, bool)> = entries
        .iter()
        .map(|e| (e.id.as_str(), e.implicit_id))
        .collect();
    assert_eq!(
        ids,
        [("val-001", true), ("val-002", true), ("val-010", false)]
    );
    assert_eq!(entries[0].description, "Lint");
    assert_eq!(entries[1].command, "pnpm test");
    // Defaults.
    let e = &entries[1];
    assert_eq!((e.cwd.as_str(), e.timeout_ms), (".", 120_000));
    assert_eq!(e.retry, Retry::default());
    assert_eq!(e.criticality, Criticality::Required);
    assert_eq!(e.expected_exit_codes, [0]);
}

#[test]
fn every_field_is_read() {
    let entries = from_task(&doc(
        "validation:\n  pipeline:\n    - id: val-002\n      command: pnpm turbo run qa:static\n      description: Static\n      cwd: backend\n      package: '@x/backend'\n      env: {NODE_ENV: test, N: 3}\n      expected_paths: [backend/package.json, 'turbo.json']\n      blocker_id: TASK-0100\n      timeout_ms: 60000\n      retry_policy: {max_attempts: 3, backoff_ms: 10, retry_on_failure: true}\n      criticality: warning\n      expected_exit_codes: [0, 3]\n",
    ));
    let e = entries[0].clone().unwrap();
    assert_eq!(e.cwd, "backend");
    assert_eq!(e.package.as_deref(), Some("@x/backend"));
    assert_eq!(
        e.env,
        [
            ("NODE_ENV".to_string(), "test".to_string()),
            ("N".to_string(), "3".to_string())
        ]
    );
    assert_eq!(e.expected_paths, ["backend/package.json", "turbo.json"]);
    assert_eq!(e.blocker_id.as_deref(), Some("TASK-0100"));
    assert_eq!(e.timeout_ms, 60_000);
    assert_eq!(
        e.retry,
        Retry {
            max_attempts: 3,
            backoff_ms: 10,
            retry_on_failure: true
        }
    );
    assert_eq!(e.criticality, Criticality::Recommended);
    assert_eq!(e.expected_exit_codes, [0, 3]);
}

#[test]
fn broken_entries_are_problems_naming_their_field() {
    let entries = from_task(&doc(
        "validation:\n  pipeline:\n    - command: a\n      timeout_ms: 999\n    - command: b\n      criticality: fatal\n    - description: no command\n    - id: check-1\n      command: c\n    - command: d\n      retry_policy: {max_attempts: 6}\n    - id: val-001\n      command: e\n    - 42\n",
    ));
    let fields: Vec<String> = entries
        .iter()
        .map(|r| r.as_ref().unwrap_err().field.clone())
        .collect();
    assert_eq!(
        fields,
        [
            "validation.pipeline[0].timeout_ms",
            "validation.pipeline[1].criticality",
            "validation.pipeline[2].command",
            "validation.pipeline[3].id",
            "validation.pipeline[4].retry_policy.max_attempts",
            "validation.pipeline[5].id",
            "validation.pipeline[6].command",
        ]
    );
    // The first entry's problem keeps its implicit id, for --list-validation.
    assert_eq!(entries[0].as_ref().unwrap_err().id, "val-001");
    assert!(from_task(&doc("title: x\n")).is_empty());
}

#[test]
fn criticality_takes_the_flag_aliases() {
    assert_eq!(Criticality::parse("error"), Some(Criticality::Required));
    assert_eq!(
        Criticality::parse("warning"),
        Some(Criticality::Recommended)
    );
    assert_eq!(Criticality::parse("optional"), Some(Criticality::Optional));
    assert_eq!(Criticality::parse("Required"), None);
    assert!(is_id("val-007") && !is_id("val-7") && !is_id("val-0071"));
}

#[test]
fn env_names_and_globs_are_checked() {
    let entries = from_task(&doc(
        "validation:\n  pipeline:\n    - command: a\n      env: {\"A=B\": x}\n    - command: b\n      env: {1X: y}\n    - command: c\n      expected_paths: ['[z-a]*']\n    - command: d\n      env: {GOOD_1: ok}\n",
    ));
    let fields: Vec<Option<String>> = entries
        .iter()
        .map(|r| r.as_ref().err().map(|p| p.field.clone()))
        .collect();
    assert_eq!(
        fields,
        [
            Some("validation.pipeline[0].env".to_string()),
            Some("validation.pipeline[1].env".to_string()),
            Some("validation.pipeline[2].expected_paths".to_string()),
            None
        ]
    );
}
