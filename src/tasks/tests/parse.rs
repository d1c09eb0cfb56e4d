use super::*;

const BASE: &str = "id: TASK-0001\ntitle: Do it\nstatus: todo\npriority: P1\narea: backend\n";

fn parse(extra: &str) -> Result<Task, ParseFailure> {
    parse_task(
        format!("{BASE}{extra}").as_bytes(),
        "tasks/x/TASK-0001.task.yaml",
        1.5,
    )
}

#[test]
fn minimal_task_parses_with_defaults() {
    let t = parse("").unwrap();
    assert_eq!(t.id, "TASK-0001");
    assert!(!t.unblocker);
    assert_eq!(t.order, None);
    assert_eq!(t.schema_version, "1.0");
    assert!(t.blocked_by.is_empty());
    assert_eq!(t.mtime, 1.5);
}

#[test]
fn boolean_words_any_case_quoted_or_not() {
    for (text, expected) in [
        ("yes", true),
        ("Yes", true),
        ("ON", true),
        ("true", true),
        ("'true'", true),
        ("no", false),
        ("\"no\"", false),
        ("Off", false),
        ("false", false),
        ("FALSE", false),
        ("~", false),
        ("0", false),
        ("1", true),
    ] {
        let t = parse(&format!("unblocker: {text}\n")).unwrap();
        assert_eq!(t.unblocker, expected, "unblocker: {text}");
    }
    let err = parse("unblocker: maybe\n").unwrap_err();
    assert!(err.message.contains("unblocker"));
}

#[test]
fn order_coercions() {
    let order = |v: &str| parse(&format!("order: {v}\n")).unwrap().order;
    assert_eq!(order("'3'"), Some(3));
    assert_eq!(order("' 4 '"), Some(4));
    assert_eq!(order("2.7"), Some(2));
    assert_eq!(order("-2.7"), Some(-2));
    assert_eq!(order("true"), Some(1));
    assert_eq!(order("abc"), None);
    assert_eq!(order("'3.5'"), None);
    assert_eq!(order(".nan"), None);
    assert_eq!(order("[1]"), None);
    assert!(
        parse("order: .inf\n")
            .unwrap_err()
            .message
            .contains("infinite")
    );
    assert!(parse("order: -.inf\n").is_err());
}

#[test]
fn dependency_lists() {
    let t = parse("blocked_by: TASK-0701\ndepends_on: 'A, B'\n").unwrap();
    assert_eq!(t.blocked_by, vec!["TASK-0701"]);
    assert_eq!(t.depends_on, vec!["A, B"]);
    let t = parse("blocked_by: [1, null, ' X ', 2.50, TASK-1, TASK-1]\ndepends_on: 5\n").unwrap();
    assert_eq!(t.blocked_by, vec!["1", "X", "2.5", "TASK-1", "TASK-1"]);
    assert!(t.depends_on.is_empty());
    let t = parse("blocked_by:\n  - TASK-0002\n  - TASK-0003\n").unwrap();
    assert_eq!(t.blocked_by, vec!["TASK-0002", "TASK-0003"]);
}

#[test]
fn required_fields_are_reported_together() {
    let err = parse_task(b"id: TASK-0001\ntitle: ''\nstatus: todo\n", "p", 0.0).unwrap_err();
    assert_eq!(
        err.message,
        "missing or empty required field(s): title, priority, area"
    );
}

#[test]
fn ids_must_match_the_pattern() {
    let err = parse_task(
        b"id: task-1\ntitle: t\nstatus: todo\npriority: P1\narea: a\n",
        "p",
        0.0,
    )
    .unwrap_err();
    assert!(err.message.contains("does not match"));
}

#[test]
fn wrong_top_level_shapes() {
    assert!(
        parse_task(b"", "p", 0.0)
            .unwrap_err()
            .message
            .contains("empty")
    );
    assert!(
        parse_task(b"- a\n- b\n", "p", 0.0)
            .unwrap_err()
            .message
            .contains("list")
    );
    assert!(
        parse_task(b"just text\n", "p", 0.0)
            .unwrap_err()
            .message
            .contains("single value")
    );
}

#[test]
fn invalid_utf8_reports_its_position() {
    let err = parse_task(b"id: TASK-1\ntitle: caf\xe9\n", "p", 0.0).unwrap_err();
    assert!(err.message.contains("UTF-8"));
    assert_eq!((err.line, err.column), (Some(2), Some(11)));
}

#[test]
fn crlf_hashes_like_lf_and_bom_is_tolerated() {
    let lf = parse_task(BASE.as_bytes(), "p", 0.0).unwrap();
    let crlf = parse_task(BASE.replace('\n', "\r\n").as_bytes(), "p", 0.0).unwrap();
    let bom = parse_task(format!("\u{feff}{BASE}").as_bytes(), "p", 0.0).unwrap();
    assert_eq!(lf.hash, crlf.hash);
    assert_eq!(lf.hash, bom.hash);
    assert_eq!(lf.hash, crate::store::sha256_hex(BASE.as_bytes()));
}

#[test]
fn scalars_of_other_types_are_stringified() {
    let t = parse_task(
        b"id: TASK-0002\ntitle: 2025-01-01\nstatus: todo\npriority: 1\narea: 3.5\nschema_version: 1.1\n",
        "p",
        0.0,
    )
    .unwrap();
    assert_eq!(t.title, "2025-01-01");
    assert_eq!(t.priority, "1");
    assert_eq!(t.area, "3.5");
    assert_eq!(t.schema_version, "1.1");
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for len in 0..400 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Bias towards YAML punctuation so the parser sees interesting structure.
                const ALPHABET: &[u8] = b"ab:- \n[]{}'\"#&*!|>%@`\t\r\xff";
                ALPHABET[(seed % ALPHABET.len() as u64) as usize]
            })
            .collect();
        let _ = parse_task(&bytes, "p", 0.0);
    }
}

#[test]
fn the_fast_trim_checks_agree_with_trim() {
    // Every string of up to three characters from an alphabet of ASCII and non-ASCII white
    // space, control characters and letters.
    let alphabet = [
        "", " ", "\t", "\n", "\u{b}", "\u{c}", "\r", "\u{1c}", "\u{0}", "a", "é", "\u{85}",
        "\u{a0}", "\u{3000}", "\u{200b}", "-",
    ];
    for a in alphabet {
        for b in alphabet {
            for c in alphabet {
                let s = format!("{a}{b}{c}");
                assert_eq!(is_trimmed(&s), !s.is_empty() && s.trim() == s, "{s:?}");
                assert_eq!(is_blank(&s), s.trim().is_empty(), "{s:?}");
            }
        }
    }
}
