use super::*;

fn names<T: ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
        .collect()
}

#[test]
fn the_value_enums_are_the_domain_sets() {
    assert_eq!(names::<Role>(), crate::context::model::ROLES);
    assert_eq!(names::<ExceptionType>(), crate::ledger::EXCEPTION_TYPES);
    assert_eq!(names::<Trigger>(), crate::ledger::TRIGGERS);
    assert_eq!(names::<Reason>(), crate::quarantine::REASONS);
    assert_eq!(names::<QaKind>(), crate::qa::parse::KINDS);
    assert_eq!(names::<DiffType>(), ["from_base", "incremental"]);
    for role in Role::value_variants() {
        assert_eq!(
            names::<Role>()
                .iter()
                .filter(|n| *n == role.as_str())
                .count(),
            1
        );
    }
}

#[test]
fn task_ids_text_and_revisions_are_checked() {
    assert!("TASK-0001".parse::<TaskId>().is_ok());
    assert!("TASK-0911G".parse::<TaskId>().is_ok());
    for bad in ["", "../x", "task-1", "TASK-", "TASK-1/x", "-TASK-1"] {
        assert!(bad.parse::<TaskId>().is_err(), "{bad:?}");
    }
    assert!("reviewer-bot".parse::<Text>().is_ok());
    for bad in ["", "  ", "a\nb", "a\u{1b}b"] {
        assert!(bad.parse::<Text>().is_err(), "{bad:?}");
    }
    assert!("HEAD~1".parse::<Revision>().is_ok());
    for bad in ["", "-p", "--output=x", "a b"] {
        assert!(bad.parse::<Revision>().is_err(), "{bad:?}");
    }
}

#[test]
fn every_status_a_command_takes_is_offered_to_completions() {
    use crate::context::model::AGENT_STATUSES;
    use crate::ledger::STATUSES;
    use crate::quarantine::REPAIR_STATUSES;
    for status in AGENT_STATUSES
        .iter()
        .chain(&STATUSES)
        .chain(&REPAIR_STATUSES)
    {
        assert!(crate::commands::EVERY_STATUS.contains(status), "{status}");
    }
}
