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
fn tab_indentation_becomes_spaces_on_the_reported_lines_only() {
    let (text, steps) = repaired("notes: |\n  keep\tthis tab\nscope:\n\tin:\n\t\t- a\n");
    assert!(
        text.ends_with("notes: |\n  keep\tthis tab\nscope:\n  in:\n    - a\n"),
        "{text:?}"
    );
    assert_eq!(steps.len(), 2);
    assert!(steps.iter().all(|s| s.0 == "tabs_to_spaces"));
}

#[test]
fn crlf_line_endings_are_kept() {
    let body = format!("{HEAD}owner: @bob\n").replace('\n', "\r\n");
    let Repair::Repaired { text, .. } = repair(&body, "TASK-0042") else {
        panic!()
    };
    assert!(text.contains("owner: '@bob'\r\n"), "{text:?}");
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
}

#[test]
fn valid_yaml_that_is_not_a_valid_task_is_refused() {
    let (why, _) = refused("id: TASK-0042\ntitle: t\nowner: @bob\n");
    assert!(why.contains("the task is not"), "{why}");
    let (why, steps) = refused("id: TASK-0042\ntitle: t\nstatus: todo\n");
    assert!(why.contains("priority"), "{why}");
    assert!(steps.is_empty());
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
    // The file named for TASK-0042 holds another task's id.
    let text = "id: TASK-0043\ntitle: t\nstatus: todo\npriority: P1\narea: a\nx: @y\n";
    let (why, steps) = refused(text);
    assert!(why.contains("refused"), "{why}");
    assert_eq!(steps.len(), 1);
}

#[test]
fn a_file_that_parses_needs_no_repair() {
    assert_eq!(repair(HEAD, "TASK-0042"), Repair::NotNeeded);
}

#[test]
fn cr_only_lines_are_lines_and_keep_their_endings() {
    let cr = HEAD.replace('\n', "\r");
    assert_eq!(repair(&cr, "TASK-0042"), Repair::NotNeeded);
    match repair(&format!("{cr}owner: @alice\r\rnote: x\r"), "TASK-0042") {
        Repair::Repaired { text, steps } => {
            assert_eq!(text, format!("{cr}owner: '@alice'\r\rnote: x\r"));
            assert_eq!(steps[0].line, 6);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mixed_line_endings_are_kept_line_by_line() {
    let text = "id: TASK-0042\r\ntitle: t\rstatus: todo\npriority: P1\r\narea: a\nx: @y";
    match repair(text, "TASK-0042") {
        Repair::Repaired { text: fixed, .. } => assert_eq!(fixed, text.replace("@y", "'@y'")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn merge_keys_and_a_bom_load_as_they_do_everywhere() {
    let merged = "base: &base\n  title: From the anchor\n  priority: P1\n  area: a\nid: TASK-0042\nstatus: todo\n<<: *base\n";
    assert_eq!(repair(merged, "TASK-0042"), Repair::NotNeeded);
    assert!(matches!(
        repair(&format!("{merged}owner: @bob\n"), "TASK-0042"),
        Repair::Repaired { .. }
    ));
    let bom = format!("\u{feff}{HEAD}note: `x`\n");
    match repair(&bom, "TASK-0042") {
        Repair::Repaired { text, .. } => assert!(text.starts_with("\u{feff}id: TASK-0042\n")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_valid_file_with_another_id_is_still_refused() {
    let (why, steps) = refused(&HEAD.replace("TASK-0042", "TASK-0043"));
    assert!(why.contains("TASK-0043"), "{why}");
    assert!(steps.is_empty());
}
