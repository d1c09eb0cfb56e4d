use super::*;

#[test]
fn only_the_value_changes() {
    let cases = [
        ("status: todo\n", "status: in_progress\n"),
        (
            "status: todo  # picked by the sprint board\n",
            "status: in_progress  # picked by the sprint board\n",
        ),
        ("status: \"todo\"\n", "status: \"in_progress\"\n"),
        (
            "status: 'todo' # quoted\n",
            "status: 'in_progress' # quoted\n",
        ),
        ("status:    todo\r\n", "status:    in_progress\r\n"),
        ("\u{feff}status: todo\n", "\u{feff}status: in_progress\n"),
        ("status: todo", "status: in_progress"),
        (
            "status: todo\t# tab before the comment\n",
            "status: in_progress\t# tab before the comment\n",
        ),
        ("status: todo   \n", "status: in_progress   \n"),
        ("status: \"to\\\"do\"\n", "status: \"in_progress\"\n"),
        ("status: 'it''s' # x\n", "status: 'in_progress' # x\n"),
        ("---\nstatus: todo\n", "---\nstatus: in_progress\n"),
    ];
    for (before, after) in cases {
        assert_eq!(
            set_status(before, "in_progress").unwrap(),
            after,
            "{before:?}"
        );
    }
}

#[test]
fn nested_and_lookalike_keys_are_left_alone() {
    let text = "id: TASK-1\nplan:\n  - status: todo\nstatus_note: x\nstatus: blocked # why\ncontext:\n  status: draft\n";
    let out = set_status(text, "todo").unwrap();
    assert_eq!(
        out,
        "id: TASK-1\nplan:\n  - status: todo\nstatus_note: x\nstatus: todo # why\ncontext:\n  status: draft\n"
    );
}

#[test]
fn refuses_what_it_cannot_edit_safely() {
    assert!(set_status("id: TASK-1\n", "todo").is_err());
    assert!(set_status("status:\n  todo\n", "todo").is_err());
    assert!(set_status("status: # nothing\n", "todo").is_err());
    assert!(set_status("status: todo\nstatus: done\n", "todo").is_err());
    assert!(set_status("status: \"unterminated\n", "todo").is_err());
    for refused in [
        "status: >-\n  todo\n",
        "status: |\n  todo\n",
        "status: &s todo\nnote: *s\n",
        "status: !!str todo\n",
        "status: *alias\n",
        "status: [todo]\n",
        "status: \"todo\" trailing\n",
    ] {
        assert!(set_status(refused, "in_progress").is_err(), "{refused:?}");
    }
}

#[test]
fn a_long_realistic_file_differs_in_one_line() {
    let mut text = String::from(
        "# Task file\nschema_version: \"1.1\"\nid: TASK-0001\ntitle: 'A title: with a colon'\nstatus: todo   # comment kept\n",
    );
    for i in 0..300 {
        text.push_str(&format!(
            "notes_{i}: [a, b, \"c d\"]  # {}\n",
            "x".repeat(i % 120)
        ));
    }
    let out = set_status(&text, "in_progress").unwrap();
    let changed: Vec<(&str, &str)> = text
        .lines()
        .zip(out.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed,
        vec![(
            "status: todo   # comment kept",
            "status: in_progress   # comment kept"
        )]
    );
    assert_eq!(text.lines().count(), out.lines().count());
}

#[test]
fn cr_only_line_endings_are_lines() {
    let text = "id: TASK-1\rstatus: todo # x\rarea: a\r";
    assert_eq!(
        set_status(text, "in_progress").unwrap(),
        "id: TASK-1\rstatus: in_progress # x\rarea: a\r"
    );
    let crlf = "id: TASK-1\r\nstatus: todo\r\n";
    assert_eq!(
        set_status(crlf, "done").unwrap(),
        "id: TASK-1\r\nstatus: done\r\n"
    );
}
