use super::*;

fn stamp(now: &str) -> Stamp {
    Stamp {
        now: now.to_string(),
        deadline: "2026-12-31".to_string(),
    }
}

fn exception(id: &str, kind: &str, file: Option<&str>) -> NewException {
    NewException {
        task_id: id.to_string(),
        exception_type: kind.to_string(),
        message: None,
        file: file.map(str::to_string),
        line: None,
        column: None,
        owner: None,
    }
}

#[test]
fn adding_the_same_problem_again_updates_it() {
    let mut ledger = Ledger::empty("t0");
    let file = Some("tasks/TASK-0113.task.yaml");
    assert_eq!(
        ledger.add(exception("TASK-0113", "malformed_yaml", file), &stamp("t1")),
        (true, 0)
    );
    assert_eq!(
        ledger.add(exception("TASK-0113", "malformed_yaml", file), &stamp("t2")),
        (false, 0)
    );
    // A maintainer's add of the same type names no file: still the same entry.
    let mut manual = exception("TASK-0113", "malformed_yaml", None);
    manual.message = Some("being fixed in #42".to_string());
    assert_eq!(ledger.add(manual, &stamp("t3")), (false, 0));
    assert_eq!(ledger.exceptions.len(), 1);
    let entry = &ledger.exceptions[0];
    assert_eq!(entry.file.as_deref(), file, "the file is kept");
    assert_eq!(entry.parse_error.as_deref(), Some("being fixed in #42"));
    assert_eq!(entry.detected_at, "t3");
}

#[test]
fn a_different_problem_of_the_same_task_is_its_own_entry() {
    let mut ledger = Ledger::empty("t0");
    ledger.add(
        exception("TASK-0113", "malformed_yaml", Some("tasks/a.task.yaml")),
        &stamp("t1"),
    );
    assert_eq!(
        ledger.add(
            exception("TASK-0113", "missing_standards", None),
            &stamp("t2")
        ),
        (true, 1)
    );
    // And a second manual add of that type updates the manual entry.
    assert_eq!(
        ledger.add(
            exception("TASK-0113", "missing_standards", None),
            &stamp("t3")
        ),
        (false, 1)
    );
    assert_eq!(ledger.exceptions.len(), 2);
}

#[test]
fn a_re_add_reopens_a_resolved_entry() {
    let mut ledger = Ledger::empty("t0");
    ledger.add(
        exception("TASK-0001", "missing_standards", None),
        &stamp("t1"),
    );
    ledger.exceptions[0].remediation.status = "resolved".to_string();
    ledger.exceptions[0].remediation.resolved_at = Some("t2".to_string());
    ledger.add(
        exception("TASK-0001", "missing_standards", None),
        &stamp("t3"),
    );
    assert!(ledger.exceptions[0].is_open());
    assert_eq!(ledger.exceptions[0].remediation.resolved_at, None);
}
