use super::*;

const DOC: &str = "# Backend tier\n\nintro\n\n## Error handling & retries\n\ntext\n\n### Idempotency keys\r\n####### not a heading\n#nospace\n";

#[test]
fn finds_atx_headings_of_levels_one_to_six() {
    let all = headings(DOC);
    let found: Vec<(usize, &str, usize)> = all
        .iter()
        .map(|h| (h.level, h.text.as_str(), h.line))
        .collect();
    assert_eq!(
        found,
        vec![
            (1, "Backend tier", 0),
            (2, "Error handling & retries", 4),
            (3, "Idempotency keys", 8)
        ]
    );
}

#[test]
fn anchors_match_either_normal_form() {
    assert!(has_anchor(DOC, "error-handling-and-retries"));
    assert!(has_anchor(DOC, "error-handling--retries"));
    assert!(has_anchor(DOC, "Idempotency-Keys"));
    assert!(!has_anchor(DOC, "versioning"));
    assert!(has_anchor("## Closing hashes ##\n", "closing-hashes"));
    assert!(has_anchor("## C# notes\n", "c#-notes"));
    assert_eq!(
        normalize("Error handling & retries"),
        "error-handling-and-retries"
    );
    assert_eq!(
        anchor_slug("Error handling & retries"),
        "error-handling--retries"
    );
}
