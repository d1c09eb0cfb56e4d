use super::*;

#[test]
fn exit_code_is_the_decade_of_the_code() {
    for &code in ErrorCode::ALL {
        let info = code.info();
        let number: u16 = info.code[1..].parse().unwrap();
        let expected = if code == ErrorCode::E999 {
            1
        } else if number < 10 {
            10
        } else {
            (number / 10 * 10) as u8
        };
        assert_eq!(info.exit, expected, "{}", info.code);
        assert!(!info.recovery.is_empty());
        assert!(
            info.name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_')
        );
    }
}

#[test]
fn usage_errors_exit_2_with_e002() {
    let e = Error::usage("two commands");
    assert_eq!(e.exit, 2);
    assert_eq!(e.code, ErrorCode::E002);
    assert_eq!(serde_json::to_value(e.to_json()).unwrap()["code"], "E002");
}

#[test]
fn a_corrupt_context_file_is_started_over_other_state_repaired() {
    use crate::store::StateError;
    let recovery = |path: &str| {
        Error::from(StateError::Corrupt {
            path: path.into(),
            reason: "bad".into(),
        })
        .recovery
    };
    for path in [
        "/repo/.agent-output/TASK-0001/context.json",
        "/repo/.agent-output/TASK-0001/evidence/index.json",
    ] {
        let r = recovery(path);
        assert!(
            r.contains("tasks --purge-context TASK-0001, then tasks --init-context TASK-0001"),
            "{r}"
        );
    }
    for path in [
        "/repo/docs/compliance/context-cache-exceptions.json",
        "/repo/.agent-output/.locks/x.json",
        "/repo/.agent-output",
    ] {
        assert!(recovery(path).contains("restore it from git"), "{path}");
    }
}
