use super::*;
use crate::tasks::yaml::parse_top_level;

/// The keys a task file's parse keeps.
fn keep(key: &str) -> bool {
    crate::tasks::parse::TASK_KEYS.contains(&key)
}

/// When the fast reader answers, the full parser accepts the document and gives the same.
fn agrees(text: &str) -> bool {
    let Some(fast) = top_level(text, keep) else {
        return false;
    };
    match parse_top_level(text, keep) {
        Ok(full) => assert_eq!(fast, full, "the readers disagree on:\n{text}"),
        Err(e) => panic!("the fast reader accepted what the full parser refuses ({e:?}):\n{text}"),
    }
    true
}

const TYPICAL: &str = r#"# TASK-0042: Make the importer idempotent
# A comment before the first key.
schema_version: "1.1"
id: TASK-0042
title: Make the importer idempotent
status: blocked
priority: P1
area: backend
unblocker: true
order: 3  # early
blocked_by: [TASK-0001, TASK-0002]
depends_on:
  - TASK-0003
  - 'TASK-0004'
blocked_reason: Waiting on the schema review (see docs/adr/0003.md#review)
created: 2025-02-14
labels: [web, "check: out"]

description: |
  The importer writes twice when retried; make it idempotent.
    An indented line, a # that is not a comment, and a colon: here.

  After a blank line.
notes: >-
  Folded text
  on two lines.
scope:
  in:
    - backend/
    - "quoted: item"
  out: []
plan:
  - id: step-1
    title: Add a contract test
    details: |
      Multi-line details.
    outputs:
      - apps/web/src/a.rs
  - id: 2
    title: It's done with 'quotes'
    outputs: [a, b]
  -
    id: 3
  - - nested
    - list
  - plain item
  - |
      a block item
acceptance_criteria:
- at the key's indentation
- second
validation:
  pipeline:
    - command: "pnpm --filter @app/web test"
      description: Errors are reported with a stable code
empty:
nested:
  deeper:
    deepest: value # a comment
"#;

#[test]
fn a_typical_task_file_is_read_fast_and_the_same() {
    assert!(agrees(TYPICAL), "the typical document takes the fast path");
    let Some(TopLevel::Map(entries)) = top_level(TYPICAL, keep) else {
        panic!()
    };
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "schema_version",
            "id",
            "title",
            "status",
            "priority",
            "area",
            "unblocker",
            "order",
            "blocked_by",
            "depends_on",
            "blocked_reason"
        ]
    );
}

#[test]
fn every_task_file_of_the_fixtures_agrees() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut fast = 0;
    let mut all = 0;
    for dir in ["fixtures", "tests"] {
        for entry in walkdir::WalkDir::new(root.join(dir)) {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy();
            if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
                continue;
            }
            let Ok((text, _)) = crate::tasks::parse::decode(&std::fs::read(entry.path()).unwrap())
            else {
                continue;
            };
            all += 1;
            fast += usize::from(agrees(&text));
        }
    }
    assert!(all >= 50, "{all} files");
    // Most fixture files are plain task files; the rest are deliberately broken or odd.
    assert!(fast * 2 > all, "{fast} of {all} read fast");
}

#[test]
fn what_it_is_unsure_of_goes_to_the_full_parser() {
    for text in [
        "id: A-1\ntitle:\tx\n",
        "id: &a A-1\ntitle: *a\n",
        "id: !!str A-1\n",
        "id: A-1\ntitle: two\n  lines\n",
        "id: A-1\ntitle: \"esc\\n\"\n",
        "id: A-1\ntitle: |\n  block\n",
        "id: A-1\ntitle: x\nid: A-2\n",
        "id: A-1\nplan:\n  a: 1\n  a: 2\n",
        "id: A-1\nunblocker: True\n",
        "id: A-1\nunblocker: yes\n",
        "id: A-1\norder: 1.5\n",
        "id: A-1\norder: 007\n",
        "id: A-1\nx: {a: 1}\n",
        "id: A-1\nx: [[a]]\n",
        "id: A-1\n---\nid: A-2\n",
        "id: A-1\nx: |2\n   text\n",
        "  id: A-1\n",
        "- a\n",
        "text\n",
        "",
        "# only a comment\n",
        "id: A-1\n\"quoted key\": x\n",
        "id: A-1\nx: a: b\n",
        "id: A-1\nx: 'open\n",
        "id: A-1\nx: [a,\n  b]\n",
    ] {
        assert_eq!(top_level(text, keep), None, "{text:?}");
    }
}

#[test]
fn documents_past_the_full_parsers_budgets_go_to_it() {
    let base = "id: T-1\ntitle: t\nstatus: todo\npriority: P1\narea: a\n";
    // A key longer than the full parser looks ahead for its `:` (found by the attack round).
    for n in [MAX_KEY_BYTES + 1, 1025] {
        let text = format!("{base}{}: x\n", "k".repeat(n));
        assert_eq!(top_level(&text, keep), None, "key of {n}");
        let text = format!("{base}plan:\n  - {}: x\n", "k".repeat(n));
        assert_eq!(top_level(&text, keep), None, "nested key of {n}");
    }
    assert!(agrees(&format!("{base}{}: x\n", "k".repeat(MAX_KEY_BYTES))));
    // More nodes than it counts (the full parser stops at 250,000, under the file size limit).
    let many = MAX_NODES + 1;
    let flow = format!("{base}notes: [{}]\n", vec!["a"; many].join(","));
    assert_eq!(top_level(&flow, keep), None);
    let kept = format!("{base}depends_on: [{}]\n", vec!["a"; many].join(","));
    assert_eq!(top_level(&kept, keep), None);
    let block = format!("{base}notes:\n{}", "- a\n".repeat(many));
    assert_eq!(top_level(&block, keep), None);
    let keys = format!(
        "{base}notes:\n{}",
        (0..many)
            .map(|i| format!("  k{i}: v\n"))
            .collect::<String>()
    );
    assert_eq!(top_level(&keys, keep), None);
    // Many keys in one mapping (kept in a set past a few): a duplicate is still refused.
    let distinct: String = (0..100).map(|i| format!("  k{i}: v\n")).collect();
    assert!(agrees(&format!("{base}notes:\n{distinct}")));
    assert_eq!(
        top_level(&format!("{base}notes:\n{distinct}  k7: again\n"), keep),
        None
    );
    // Well within: read fast, and the same.
    assert!(agrees(&format!(
        "{base}notes: [{}]\n",
        vec!["a"; 1000].join(",")
    )));
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn thousands_of_mutated_documents_never_disagree() {
    let bases = [
        TYPICAL,
        "id: T-1\ntitle: t\nstatus: todo\npriority: P1\narea: a\nblocked_by:\n- T-2\n- T-3\n",
        "---\nid: T-1\nlist:\n  - k: v\n    m: [1, 2]\n  - |\n      x\n\n  - 'y'\nz: \"q\"\n",
    ];
    let tokens = [
        ":", ": ", " #", "#", "-", "- ", "'", "\"", "[", "]", "{", "}", ",", "|", ">", "|-", "&a ",
        "*a", "!t ", "%", "@", "`", "?", "\t", "\n", "  ", "\n  ", "\n- ", "yes", "True", "~",
        "null", "0", "01", "1.5", ".inf", "-1", "\\", "''", "---", "...", "\u{a0}", "é", "x: y",
        "\n\n", " ", "k:", "\r",
    ];
    let values = [
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "~",
        "NULL",
        "Null",
        "null",
        "True",
        "FALSE",
        "true",
        "0o17",
        "0x1F",
        "1e3",
        "+1",
        "-0",
        "-1",
        "0",
        "00",
        "12",
        "123456789012345678901",
        ".5",
        "1.",
        "1_000",
        ".inf",
        ".NaN",
        "'a''b'",
        "\"a\\\"b\"",
        "\"a'b\"",
        "[a, [b]]",
        "[]",
        "[ ]",
        "[a,]",
        "{}",
        "|",
        ">-",
        "|2",
        "a #b",
        "a#b",
        "a: b",
        "a:b",
        "a:",
        "-",
        "- a",
        "!!str x",
        "&x y",
        "*x",
        "2025-02-14",
        "12:30",
        "@x",
        "`x`",
        "%x",
        "'x' y",
        "\"x\" #c",
        "…",
        "é",
        "TASK-1, TASK-2",
        "",
        " ",
        "#",
        "? x",
        "x ? y",
        "[x] y",
        "{a: 1}",
        "'",
        "\"",
        "''",
        "\"\"",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let (mut fast, mut total) = (0, 0);
    for round in 0..30_000 {
        let base = bases[round % bases.len()];
        let mut text = base.to_string();
        for _ in 0..=rng.below(3) {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match rng.below(5) {
                0 | 1 => text.insert_str(at, tokens[rng.below(tokens.len())]),
                3 => {
                    // Replace what follows the `: ` or `- ` of the line holding `at` with a
                    // value YAML might read as something other than a string.
                    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                    let line = &text[start..end];
                    if let Some(p) = line.find(": ").or_else(|| line.find("- ")) {
                        let value = values[rng.below(values.len())];
                        text.replace_range(start + p + 2..end, value);
                    }
                }
                2 => {
                    let mut end = (at + 1 + rng.below(6)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                }
                _ => {
                    // Indent or dedent the line holding `at`.
                    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                    if rng.below(2) == 0 {
                        text.insert(start, ' ');
                    } else if text[start..].starts_with(' ') {
                        text.remove(start);
                    }
                }
            }
        }
        total += 1;
        fast += usize::from(agrees(&text));
    }
    // Not vacuous: a good share of the mutants are still plain task YAML.
    assert!(fast * 5 > total, "{fast} of {total} read fast");
}
