//! Expected values were produced by the reference steps on Python 3.11 (`textwrap.fill`,
//! `re.match`, `str.strip`), so they pin Python's behaviour, quirks included.

use super::*;

fn wrap(text: &str) -> String {
    normalize_multiline(text, false)
}

fn keep(text: &str) -> String {
    normalize_multiline(text, true)
}

#[test]
fn version_is_1_0_0() {
    assert_eq!(NORMALIZATION_VERSION, "1.0.0");
}

#[test]
fn first_line_keeps_its_indent_and_newlines_become_spaces() {
    assert_eq!(wrap("  lead  x\n  y  "), "  lead  x   y\n");
}

#[test]
fn blank_lines_vanish_so_paragraphs_merge() {
    assert_eq!(wrap("Para one.\n\nPara two."), "Para one. Para two.\n");
}

#[test]
fn bulleted_text_is_kept_verbatim() {
    assert_eq!(wrap("- a\n- b\n  c"), "- a\n- b\n  c\n");
    assert_eq!(wrap("* a\n* b"), "* a\n* b\n");
    assert_eq!(wrap("1. a\n2. b"), "1. a\n2. b\n");
    assert_eq!(wrap("3) a\nb"), "3) a\nb\n");
    assert_eq!(wrap("\t- a\nb"), "\t- a\nb\n");
}

#[test]
fn anything_starting_with_a_number_and_a_space_counts_as_a_bullet() {
    assert_eq!(wrap("12 monkeys\nand more"), "12 monkeys\nand more\n");
    assert_eq!(wrap("2024-01-01 x\ny"), "2024-01-01 x\ny\n");
    assert_eq!(wrap("42 x\ny"), "42 x\ny\n");
}

#[test]
fn bullet_marker_needs_whitespace_right_after_it() {
    assert_eq!(wrap("-x y\nz"), "-x y z\n");
    assert_eq!(wrap("1.5 x\ny"), "1.5 x y\n");
    assert_eq!(wrap("x\n- y"), "x - y\n");
}

#[test]
fn bullet_pattern_uses_python_unicode_classes() {
    // Python's `\s` matches U+001C and its `\d` any decimal digit.
    assert_eq!(wrap("\u{1C}- x\ny"), "\u{1C}- x\ny\n");
    assert_eq!(wrap("\u{663} x\ny"), "\u{663} x\ny\n");
}

#[test]
fn comment_lines_are_dropped_even_when_indented() {
    assert_eq!(wrap("#c\n\n"), "\n");
    assert_eq!(wrap("  # x\nC# x"), "C# x\n");
    assert_eq!(wrap("\u{3000}# x\nkeep"), "keep\n");
    assert_eq!(keep("a\n\t#b\nc"), "a\nc\n");
}

#[test]
fn empty_input_becomes_a_single_newline() {
    for text in ["", "\n\n", "   ", " \n\t\n\r\n"] {
        assert_eq!(wrap(text), "\n", "{text:?}");
        assert_eq!(keep(text), "\n", "{text:?}");
    }
}

#[test]
fn lines_of_python_whitespace_are_blank() {
    assert_eq!(keep("a\n\u{1C}\nb"), "a\nb\n");
    assert_eq!(keep("a\n\u{A0}\u{3000}\nb"), "a\nb\n");
}

#[test]
fn only_lf_splits_lines() {
    assert_eq!(keep("a\u{2028}b\nc"), "a\u{2028}b\nc\n");
    assert_eq!(wrap("a\u{2028}b\nc"), "a\u{2028}b c\n");
}

#[test]
fn crlf_and_lone_cr_become_lf() {
    assert_eq!(keep("a\r\nb\rc"), "a\nb\nc\n");
    // CR followed by CRLF is two line ends, hence a blank line that is then dropped.
    assert_eq!(keep("a\r\r\nb"), "a\nb\n");
    assert_eq!(wrap("a\r\nb"), "a b\n");
}

#[test]
fn lines_fill_up_to_120_code_points() {
    let exact = format!("{} b", "a".repeat(118));
    assert_eq!(wrap(&exact), format!("{exact}\n"));
    let over = format!("{} b", "a".repeat(119));
    assert_eq!(wrap(&over), format!("{}\nb\n", "a".repeat(119)));
}

#[test]
fn width_counts_code_points_not_bytes() {
    let wide = format!("{} {}", "日".repeat(60), "日".repeat(59));
    assert_eq!(wrap(&wide), format!("{wide}\n"));
    let accented = format!("{} b", "é".repeat(119));
    assert_eq!(wrap(&accented), format!("{}\nb\n", "é".repeat(119)));
}

#[test]
fn long_words_are_never_broken() {
    let word = "w".repeat(125);
    assert_eq!(wrap(&word), format!("{word}\n"));
    assert_eq!(wrap(&format!("x {word} y")), format!("x\n{word}\ny\n"));
}

#[test]
fn tabs_expand_to_8_columns_restarting_after_each_newline() {
    assert_eq!(wrap("x\ty"), "x       y\n");
    assert_eq!(wrap("abc\tz"), "abc     z\n");
    // Expansion runs before the newline turns into a space: `cd` starts column 0.
    assert_eq!(wrap("ab\ncd\tz"), "ab cd      z\n");
    assert_eq!(wrap("  \ta\nb"), "        a b\n");
}

#[test]
fn whitespace_runs_keep_their_length() {
    assert_eq!(wrap("a   b"), "a   b\n");
    assert_eq!(wrap("a\u{B}b\u{C}c"), "a b c\n");
}

#[test]
fn unicode_spaces_are_word_characters_when_wrapping() {
    assert_eq!(wrap("a \u{A0} b"), "a \u{A0} b\n");
}

#[test]
fn a_lone_unicode_space_word_is_dropped_at_a_line_end() {
    // textwrap drops one trailing chunk whose strip() is empty: here the NBSP, which leaves
    // the ASCII space before it in place.
    let text = format!("{} \u{A0} b", "a".repeat(118));
    assert_eq!(wrap(&text), format!("{} \nb\n", "a".repeat(118)));
}

#[test]
fn leading_whitespace_that_cannot_fit_with_the_first_word_is_dropped() {
    let text = format!("{}{} b", " ".repeat(100), "a".repeat(50));
    assert_eq!(wrap(&text), format!("{} b\n", "a".repeat(50)));
    assert_eq!(wrap(&format!("{}w", " ".repeat(200))), "w\n");
}

#[test]
fn preserve_mode_keeps_lines_and_their_whitespace() {
    assert_eq!(
        keep("Multi-line item\n\n# comment\nsecond"),
        "Multi-line item\nsecond\n"
    );
    assert_eq!(keep("x  \n"), "x  \n");
    assert_eq!(keep("x  "), "x  \n");
    assert_eq!(keep("a\tb"), "a\tb\n");
    let long = format!("{} b", "a".repeat(200));
    assert_eq!(keep(&long), format!("{long}\n"));
}
