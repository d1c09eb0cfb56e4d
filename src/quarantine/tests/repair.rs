use super::*;

const HEAD: &str = "id: TASK-0042\ntitle: \"Fix: the release checklist\"\nstatus: todo\npriority: P1\narea: mobile\n";

fn repaired(body: &str) -> (String, Vec<(String, u64)>) {
    match repair(&format!("{HEAD}{body}"), "TASK-0042") {
        Repair::Repaired { text, steps } => (
            text,
            steps.into_iter().map(|s| (s.repair, s.line)).collect(),
        ),
        other => panic!("{other:?}"),
    }
}

fn refused(text: &str) -> (String, Vec<RepairStep>) {
    match repair(text, "TASK-0042") {
        Repair::Refused { why, steps } => (why, steps),
        other => panic!("{other:?}"),
    }
}

#[test]
fn backticks_and_at_signs_are_quoted() {
    let (text, steps) = repaired(
        "manual_checks:\n  - `pnpm run release:dry` prints the changelog # keep\nowner: @alice\n",
    );
    assert!(
        text.contains("  - '`pnpm run release:dry` prints the changelog' # keep\n"),
        "{text}"
    );
    assert!(text.contains("owner: '@alice'\n"), "{text}");
    assert_eq!(
        steps,
        vec![
            ("quote_reserved_scalar".to_string(), 7),
            ("quote_reserved_scalar".to_string(), 8)
        ]
    );
    let doc = yaml::parse(&text).unwrap();
    assert_eq!(
        doc.get("owner").and_then(Yaml::scalar_text).as_deref(),
        Some("@alice")
    );
}

#[test]
fn single_quotes_inside_are_doubled() {
    let (text, _) = repaired("note: `it's` fine\n");
    assert!(text.contains("note: '`it''s` fine'\n"), "{text}");
}

#[test]
fn tab_indentation_becomes_spaces() {
    let (text, steps) = repaired("scope:\n\tin:\n\t\t- a\n");
    assert!(text.ends_with("scope:\n  in:\n    - a\n"), "{text}");
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].0, "tabs_to_spaces");
}

#[test]
fn a_stray_continuation_line_is_reindented() {
    let (text, steps) = repaired(
        "acceptance_criteria:\n  - Tests cover the parser for every\nfixture in the repository\n  - Docs updated\n",
    );
    assert!(
        text.contains("  - Tests cover the parser for every\n    fixture in the repository\n"),
        "{text}"
    );
    assert_eq!(steps, vec![("reindent_stray_line".to_string(), 8)]);
    let doc = yaml::parse(&text).unwrap();
    assert_eq!(
        doc.get("acceptance_criteria"),
        Some(&Yaml::Seq(vec![
            Yaml::Str("Tests cover the parser for every fixture in the repository".into()),
            Yaml::Str("Docs updated".into())
        ]))
    );
}

#[test]
fn a_misplaced_key_is_refused_and_the_attempt_reported() {
    let (why, steps) = refused(&format!("{HEAD}scope:\n  - a\n  - b\n modularity: 3\n"));
    assert!(why.starts_with("cannot repair: line"), "{why}");
    assert!(steps.is_empty());
}

#[test]
fn a_repair_that_would_change_the_id_is_refused() {
    let text = "id: @TASK-0042\ntitle: t\nstatus: todo\npriority: P1\narea: a\n";
    let (why, steps) = refused(text);
    assert!(why.contains("refused"), "{why}");
    assert_eq!(steps.len(), 1);
}

#[test]
fn a_file_that_parses_needs_no_repair() {
    assert_eq!(repair(HEAD, "TASK-0042"), Repair::NotNeeded);
}
