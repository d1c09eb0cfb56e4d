use super::*;

const DOC: &str = "# Backend tier\n\nIntro text.\n\n## Handler Constraints\n\nHandlers stay under 75 lines. Complexity at most 10.\nSecond line.\n\n### Sub rule\n\nDeeper text.\n\n## Error handling & retries\n\nRetry with backoff.\n\n\n";

#[test]
fn a_section_runs_to_the_next_heading_of_its_level() {
    let e = extract(DOC, "standards/backend-tier.md", "Handler Constraints").unwrap();
    assert_eq!(
        e.body,
        "Handlers stay under 75 lines. Complexity at most 10.\nSecond line.\n\n### Sub rule\n\nDeeper text.\n"
    );
    assert_eq!(e.line_span, "L7-L12");
    assert_eq!(e.section, "handler-constraints");
    assert_eq!(e.requirement, "Handlers stay under 75 lines.");
    let hash = sha256_hex(e.body.as_bytes());
    assert_eq!(e.content_sha, hash[..16]);
    assert_eq!(e.excerpt_id, hash[..8]);
}

#[test]
fn headings_match_in_either_normal_form() {
    for request in [
        "Error handling & retries",
        "error-handling-and-retries",
        "error-handling--retries",
        "ERROR HANDLING & RETRIES",
    ] {
        let e = extract(DOC, "f.md", request).unwrap_or_else(|| panic!("{request}"));
        assert_eq!(e.body, "Retry with backoff.\n");
        assert_eq!(e.line_span, "L16-L16");
    }
    assert!(extract(DOC, "f.md", "Versioning").is_none());
}

#[test]
fn whole_documents_and_empty_sections() {
    let doc = extract_document(DOC, "f.md");
    assert_eq!(doc.line_span, "L1-L16");
    assert_eq!(doc.section, WHOLE_FILE);
    assert_eq!(doc.requirement, "Intro text.");
    let empty = extract("## A\n\n## B\ntext\n", "f.md", "A").unwrap();
    assert_eq!(empty.body, "");
    assert_eq!(empty.requirement, "");
}

#[test]
fn long_first_sentences_are_cut_at_140_characters() {
    let long = format!("## S\n\n{} end\n", "word ".repeat(60));
    let e = extract(&long, "f.md", "S").unwrap();
    assert_eq!(e.requirement.chars().count(), 140);
}

#[test]
fn freshness_follows_the_file() {
    let e = extract(DOC, "standards/backend-tier.md", "Handler Constraints").unwrap();
    let entry = IndexEntry::of(&e, "2026-11-25T10:00:00+00:00");
    assert_eq!(
        entry.excerpt_path,
        format!("{}-backend-tier-handler-constraints.md", e.excerpt_id)
    );
    assert_eq!(freshness(&entry, Some(DOC)), Staleness::Fresh);
    assert_eq!(
        freshness(&entry, Some(&DOC.replace("## Error", "\n## Error"))),
        Staleness::Fresh,
        "blank lines around do not count"
    );
    assert_eq!(
        freshness(&entry, Some(&DOC.replace("75 lines", "80 lines"))),
        Staleness::Changed
    );
    assert_eq!(
        freshness(&entry, Some("# Other\n")),
        Staleness::SectionMissing
    );
    assert_eq!(freshness(&entry, None), Staleness::FileMissing);
}

#[test]
fn a_cached_copy_matches_only_its_own_excerpt() {
    let excerpt = extract(DOC, "standards/backend-tier.md", "handler-constraints").unwrap();
    let entry = IndexEntry::of(&excerpt, "2026-01-01T00:00:00Z");
    assert!(cached_copy_matches(&entry, Some(excerpt.body.as_bytes())));
    assert!(!cached_copy_matches(&entry, Some(b"edited\n")));
    assert!(!cached_copy_matches(&entry, None));
}

#[test]
fn the_index_replaces_an_entry_per_file_and_section() {
    let mut index = ExcerptIndex::default();
    let a = extract(DOC, "f.md", "Handler Constraints").unwrap();
    assert_eq!(index.upsert(IndexEntry::of(&a, "t1")), None);
    let changed = extract(&DOC.replace("75", "80"), "f.md", "handler-constraints").unwrap();
    let old = index.upsert(IndexEntry::of(&changed, "t2"));
    assert_eq!(old, Some(cache_name(&a)));
    assert_eq!(index.excerpts.len(), 1);
    assert_eq!(index.excerpts[0].cached_at, "t2");
}
