use super::*;

#[test]
fn prefix_never_splits_a_character() {
    assert_eq!(prefix("0123456789abcdef", 8), "01234567");
    assert_eq!(prefix("abc", 8), "abc");
    assert_eq!(prefix("ééééééééé", 8), "éééééééé");
    assert_eq!(prefix("", 8), "");
}

#[test]
fn clean_text_is_borrowed() {
    for text in [
        "",
        "TASK-0001\tP1 title",
        "Überschrift — 見出し",
        "a\nb\r\nc\t",
    ] {
        assert!(matches!(sanitize(text), Cow::Borrowed(_)), "{text:?}");
    }
    for text in ["", "TASK-0001 title", "Überschrift — 見出し"] {
        assert!(matches!(field(text), Cow::Borrowed(_)), "{text:?}");
    }
}

#[test]
fn a_field_escapes_every_control_character_and_the_markers() {
    assert_eq!(field("a\tb\nc\rd"), "a\\tb\\nc\\rd");
    assert_eq!(field("\x1b[31mred\x7f"), "\\x1b[31mred\\x7f");
    assert_eq!(
        field("ascii first, then é and \u{9b}"),
        "ascii first, then é and \\u{9b}"
    );
    assert_eq!(field("bidi \u{202e}override"), "bidi \\u{202e}override");
    assert_eq!(field("paint \u{e001}marker"), "paint \\u{e001}marker");
}

#[test]
fn sanitize_keeps_line_breaks_and_tabs_only() {
    assert_eq!(sanitize("one\ttwo\nthree\r\n"), "one\ttwo\nthree\r\n");
    assert_eq!(sanitize("lone\rcarriage"), "lone\\rcarriage");
    assert_eq!(sanitize("end\r"), "end\\r");
    assert_eq!(sanitize("é\x1b]0;title\x07"), "é\\x1b]0;title\\x07");
    // Markers are the output layer's own: sanitize (applied to whole reports) keeps them.
    assert_eq!(sanitize("\u{e000}bold\u{e00f}"), "\u{e000}bold\u{e00f}");
}

#[test]
fn direction_marks_and_unicode_line_breaks_are_escaped_too() {
    assert_eq!(
        field("a\u{200e}b\u{200f}c\u{61c}d\u{2028}e\u{2029}f"),
        "a\\u{200e}b\\u{200f}c\\u{61c}d\\u{2028}e\\u{2029}f"
    );
    assert_eq!(sanitize("line\u{2028}break"), "line\\u{2028}break");
}

#[test]
fn shorten_marks_the_cut() {
    assert_eq!(shorten("abc", 3), "abc");
    assert_eq!(shorten("abcdef", 4), "abc…");
    assert_eq!(shorten("ééééé", 3), "éé…");
}
