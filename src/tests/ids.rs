use super::*;

#[test]
fn accepts_the_documented_forms() {
    for id in ["TASK-0001", "TASK-0911G", "A-1", "AB2-77X9", "BUG-123"] {
        assert!(is_valid_id(id), "{id}");
    }
}

#[test]
fn rejects_everything_else() {
    for id in [
        "",
        "TASK",
        "task-0001",
        "TASK-",
        "TASK-A1",
        "-0001",
        "1TASK-1",
        "TASK-1/../x",
        "../x",
        "TASK-0001 ",
        "TASK_0001",
        "TASK-1-2",
        "TASK-1a",
        "TÄSK-1",
    ] {
        assert!(!is_valid_id(id), "{id:?}");
    }
}

#[test]
fn cli_ids_are_checked_with_e002() {
    let err = check_cli_id("--explain", "../etc").unwrap_err();
    assert_eq!(err.code, ErrorCode::E002);
    assert!(err.message.contains("--explain"));
}

#[test]
fn id_from_file_name_takes_the_leading_id() {
    assert_eq!(
        id_from_file_name("TASK-0822-foo.task.yaml").as_deref(),
        Some("TASK-0822")
    );
    assert_eq!(
        id_from_file_name("TASK-0822.task.yaml").as_deref(),
        Some("TASK-0822")
    );
    assert_eq!(
        id_from_file_name("TASK-0911G-x-y.task.yaml").as_deref(),
        Some("TASK-0911G")
    );
    assert_eq!(id_from_file_name("notes.task.yaml"), None);
}

#[test]
fn the_byte_check_agrees_with_the_pattern_on_every_short_string() {
    // The pattern read character by character: `^[A-Z][A-Z0-9]*-[0-9]+[A-Z0-9]*$`.
    fn reference(id: &str) -> bool {
        let Some((prefix, rest)) = id.split_once('-') else {
            return false;
        };
        let mut chars = prefix.chars();
        let head = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        let tail = chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let suffix = rest[digits..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        head && tail && digits > 0 && suffix
    }
    let alphabet = ["A", "Z", "a", "0", "9", "-", "é", " ", "_", "Ā"];
    let mut strings = vec![String::new()];
    for _ in 0..5 {
        let longer: Vec<String> = strings
            .iter()
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        for s in &longer {
            assert_eq!(is_valid_id(s), reference(s), "{s:?}");
        }
        strings = longer;
    }
}
