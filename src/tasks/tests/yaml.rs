use super::*;

#[test]
fn scalars_follow_yaml_1_2_core() {
    let doc = parse("a: yes\nb: true\nc: 3\nd: 2.5\ne: ~\nf: 2025-01-01\ng: .inf\n").unwrap();
    assert_eq!(doc.get("a"), Some(&Yaml::Str("yes".into())));
    assert_eq!(doc.get("b"), Some(&Yaml::Bool(true)));
    assert_eq!(doc.get("c"), Some(&Yaml::Int(3)));
    assert_eq!(doc.get("d"), Some(&Yaml::Float(2.5)));
    assert_eq!(doc.get("e"), Some(&Yaml::Null));
    assert_eq!(doc.get("f"), Some(&Yaml::Str("2025-01-01".into())));
    assert_eq!(doc.get("g"), Some(&Yaml::Float(f64::INFINITY)));
}

#[test]
fn empty_and_comment_only_documents_are_null() {
    assert_eq!(parse("").unwrap(), Yaml::Null);
    assert_eq!(parse("# nothing\n").unwrap(), Yaml::Null);
}

#[test]
fn duplicate_keys_and_multiple_documents_are_errors_with_positions() {
    let err = parse("a: 1\na: 2\n").unwrap_err();
    assert!(err.message.contains("duplicate"), "{}", err.message);
    assert_eq!((err.line, err.column), (Some(2), Some(1)));
    let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
    assert_eq!(err.line, Some(3));
}

#[test]
fn the_two_real_world_breakages_are_rejected() {
    let err = parse("steps:\n  - `pnpm test`\n").unwrap_err();
    assert_eq!((err.line, err.column), (Some(2), Some(5)));
    assert_eq!(
        err.message,
        "unexpected character '`' (a plain value cannot start with it: put the value in quotes)"
    );
    assert!(!err.message.contains(" at line "));
    assert!(parse("a:\n  - x\n  - y\n modularity: 3\n").is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    assert!(parse(&"[".repeat(100_000)).is_err());
    let nested: String = (0..5000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    assert!(parse(&nested).is_err());
}

#[test]
fn top_level_keeps_only_the_wanted_keys_but_checks_everything() {
    let keep: fn(&str) -> bool = |k| k == "id";
    let doc = parse_top_level("id: A-1\nplan:\n  - x: [1, 2]\n", keep).unwrap();
    assert_eq!(
        doc,
        TopLevel::Map(vec![("id".into(), Yaml::Str("A-1".into()))])
    );
    assert_eq!(parse_top_level("", keep).unwrap(), TopLevel::Empty);
    assert_eq!(parse_top_level("- a\n- b\n", keep).unwrap(), TopLevel::Seq);
    assert_eq!(parse_top_level("text\n", keep).unwrap(), TopLevel::Scalar);
    let err = parse_top_level("id: A-1\nplan:\n  a: 1\n  a: 2\n", keep).unwrap_err();
    assert!(err.message.contains("duplicate"), "{}", err.message);
    assert!(parse_top_level("id: A-1\n---\nid: A-2\n", keep).is_err());
    assert!(parse_top_level("id: A-1\nx:\n  - `y`\n", keep).is_err());
    let nested: String = (0..5000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    assert!(parse_top_level(&format!("id: A-1\nx:\n{nested}"), keep).is_err());
}

#[test]
fn merge_keys_are_honoured() {
    let doc = parse("base: &b {x: 1}\nt:\n  <<: *b\n  y: 2\n").unwrap();
    assert_eq!(doc.get("t").unwrap().get("x"), Some(&Yaml::Int(1)));
}

#[test]
fn float_formatting() {
    assert_eq!(format_float(2.5), "2.5");
    assert_eq!(format_float(2.0), "2.0");
    assert_eq!(format_float(f64::NEG_INFINITY), "-.inf");
}

#[test]
fn a_document_with_nan_equals_itself() {
    let text = "order: .nan\nnested: [.NaN, 1.5]\n";
    assert_eq!(parse(text), parse(text));
    assert_ne!(parse("a: .nan\n"), parse("a: .inf\n"));
    assert_ne!(parse("a: 1.0\n"), parse("a: 1\n"));
}
