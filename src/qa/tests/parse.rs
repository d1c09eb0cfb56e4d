use super::*;
use std::io::Read as _;

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/qa")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn summary(name: &str, kind: Kind) -> Summary {
    parse_text(&fixture(name)).summary(kind)
}

fn lint(e: u64, w: u64) -> Summary {
    Summary {
        lint_errors: Some(e),
        lint_warnings: Some(w),
        ..Summary::default()
    }
}

fn types(n: u64) -> Summary {
    Summary {
        type_errors: Some(n),
        ..Summary::default()
    }
}

fn tests(passed: u64, failed: u64, skipped: u64, todo: u64) -> Summary {
    Summary {
        tests_passed: Some(passed),
        tests_failed: Some(failed),
        tests_skipped: Some(skipped),
        tests_todo: Some(todo),
        ..Summary::default()
    }
}

fn cov(lines: f64, branches: f64, functions: f64, statements: f64) -> Coverage {
    Coverage {
        lines: Some(lines),
        branches: Some(branches),
        functions: Some(functions),
        statements: Some(statements),
    }
}

#[test]
fn eslint_summary_line_wins_over_counting() {
    assert_eq!(summary("eslint-fail.log", Kind::Lint), lint(5, 1));
    assert_eq!(summary("eslint-pass.log", Kind::Lint), lint(0, 0));
}

#[test]
fn eslint_monorepo_sums_packages_and_counts_lines_without_a_summary() {
    // api: summary 2/0; web: summary 0/2; mobile: no summary, 1 error + 1 warning line.
    assert_eq!(summary("eslint-monorepo-crlf.log", Kind::Lint), lint(3, 3));
}

#[test]
fn eslint_problem_lines_are_counted_when_there_is_no_summary() {
    let log = "/repo/a.ts\n  1:1  error  x  rule\n  2:1  warning  y  rule\n  3:1  error  z  rule\n";
    assert_eq!(parse_text(log).summary(Kind::Lint), lint(2, 1));
}

#[test]
fn tsc_plain_pretty_and_monorepo() {
    assert_eq!(summary("tsc-fail.log", Kind::Typecheck), types(3));
    assert_eq!(summary("tsc-pretty-fail.log", Kind::Typecheck), types(2));
    assert_eq!(summary("tsc-pass.log", Kind::Typecheck), types(0));
    assert_eq!(summary("tsc-monorepo.log", Kind::Typecheck), types(4));
    // Error lines without a "Found" line are counted.
    let log =
        "a.ts(1,1): error TS1005: ';' expected.\nb.ts(2,2): error TS2304: Cannot find name 'x'.\n";
    assert_eq!(parse_text(log).summary(Kind::Typecheck), types(2));
}

#[test]
fn jest_and_vitest_counts() {
    assert_eq!(summary("jest-fail.log", Kind::Test), tests(26, 2, 1, 1));
    assert_eq!(summary("jest-pass.log", Kind::Test), tests(28, 0, 0, 0));
    assert_eq!(
        summary("vitest-fail-crlf.log", Kind::Test),
        tests(28, 2, 0, 0)
    );
    assert_eq!(summary("vitest-pass.log", Kind::Test), tests(28, 0, 2, 0));
    assert_eq!(summary("test-monorepo.log", Kind::Test), tests(97, 4, 1, 1));
}

#[test]
fn coverage_text_summary_table_and_monorepo_minimum() {
    let s = summary("coverage-text-summary.log", Kind::Coverage);
    assert_eq!(s.coverage, Some(cov(84.5, 70.12, 90.0, 84.21)));
    assert_eq!(
        s.tests_passed,
        Some(28),
        "a coverage run keeps its test counts"
    );
    let s = summary("coverage-table.log", Kind::Coverage);
    assert_eq!(s.coverage, Some(cov(78.9, 61.02, 85.71, 78.4)));
    assert_eq!(s.tests_passed, None, "no test counts in that log");
    let s = summary("coverage-monorepo-crlf.log", Kind::Coverage);
    // Per metric the lowest package: lines web 80.4, branches api 74.5, functions mobile 86.2,
    // statements web 81.0.
    assert_eq!(s.coverage, Some(cov(80.4, 74.5, 86.2, 81.0)));
    assert_eq!(s.tests_passed, Some(57));
}

#[test]
fn the_log_tells_its_kind() {
    for (name, kind) in [
        ("eslint-fail.log", Some(Kind::Lint)),
        ("eslint-monorepo-crlf.log", Some(Kind::Lint)),
        ("tsc-pretty-fail.log", Some(Kind::Typecheck)),
        ("jest-fail.log", Some(Kind::Test)),
        ("vitest-fail-crlf.log", Some(Kind::Test)),
        ("coverage-table.log", Some(Kind::Coverage)),
        ("eslint-pass.log", None),
    ] {
        assert_eq!(parse_text(&fixture(name)).detected(), kind, "{name}");
    }
}

#[test]
fn commands_tell_their_kind() {
    for (command, kind) in [
        ("pnpm turbo run lint --filter=web", Some(Kind::Lint)),
        ("eslint . --max-warnings=0", Some(Kind::Lint)),
        ("pnpm turbo run typecheck", Some(Kind::Typecheck)),
        ("tsc --noEmit", Some(Kind::Typecheck)),
        ("vitest run", Some(Kind::Test)),
        ("pnpm test", Some(Kind::Test)),
        ("pnpm test -- --coverage", Some(Kind::Coverage)),
        ("make release", None),
    ] {
        assert_eq!(Kind::of_command(command), kind, "{command}");
    }
}

#[test]
fn prefixes_are_not_confused_with_paths_or_labels() {
    let log =
        "Tests:       3 passed, 3 total\nsrc/a.ts(1,1): error TS1005: x\nhttp://x.test: 1 failed\n";
    let p = parse_text(log);
    assert_eq!(p.summary(Kind::Test).tests_passed, Some(3));
    assert_eq!(p.summary(Kind::Typecheck).type_errors, Some(1));
}

#[test]
fn binary_garbage_and_huge_lines_parse_in_bounded_memory() {
    let mut garbage: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 256) as u8).collect();
    garbage.extend_from_slice(b"\nTests:       1 failed, 2 passed, 3 total\n");
    let mut parser = LogParser::new();
    let mut seen = 0u64;
    let total = read_lines(
        std::io::BufReader::with_capacity(4096, garbage.as_slice()),
        &mut parser,
        |chunk| {
            seen += chunk.len() as u64;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!((total, seen), (garbage.len() as u64, garbage.len() as u64));
    assert_eq!(parser.summary(Kind::Test), tests(2, 1, 0, 0));
    // A 20 MB line without a newline: only MAX_LINE bytes of it are ever held.
    let huge = std::io::repeat(b'x').take(20 * 1024 * 1024);
    let mut parser = LogParser::new();
    let total = read_lines(std::io::BufReader::new(huge), &mut parser, |_| Ok(())).unwrap();
    assert_eq!(total, 20 * 1024 * 1024);
    assert_eq!(parser.detected(), None);
}

#[test]
fn lines_split_across_chunks_are_joined() {
    let log = "Tests:       4 failed, 9 passed, 13 total\n";
    let mut parser = LogParser::new();
    read_lines(
        std::io::BufReader::with_capacity(3, log.as_bytes()),
        &mut parser,
        |_| Ok(()),
    )
    .unwrap();
    assert_eq!(parser.summary(Kind::Test), tests(9, 4, 0, 0));
}

#[test]
fn serialized_summaries_keep_zero_counts_and_drop_absent_fields() {
    let json = serde_json::to_value(summary("eslint-pass.log", Kind::Lint)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"lint_errors": 0, "lint_warnings": 0})
    );
    let json = serde_json::to_value(summary("coverage-table.log", Kind::Coverage)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"coverage": {"lines": 78.9, "branches": 61.02, "functions": 85.71, "statements": 78.4}})
    );
}

#[test]
fn pnpm_recursive_prefixes_are_packages_too() {
    let log = "\
packages/api test$ jest
packages/api test: Test Suites: 1 failed, 1 passed, 2 total
packages/api test: Tests:       2 failed, 5 passed, 7 total
packages/api test: Failed
apps/web test$ vitest run
apps/web test:       Tests  1 failed | 9 passed (10)
apps/web test: All files |   70.5 |   60 |   80 |   71.25 |
packages/api test: All files |   90 |   85 |   95 |   91 |
";
    let p = parse_text(log);
    assert_eq!(p.summary(Kind::Test), tests(14, 3, 0, 0));
    let c = p.summary(Kind::Coverage).coverage.unwrap();
    assert_eq!((c.lines, c.branches), (Some(71.25), Some(60.0)));
}

#[test]
fn a_test_log_without_its_summary_has_no_counts() {
    let crash =
        "FAIL src/a.test.ts\n  ● Test suite failed to run\n\n    Cannot find module './missing'\n";
    let s = parse_text(crash).summary(Kind::Test);
    assert_eq!(s, Summary::default());
    assert!(!s.recognized(Kind::Test));
    assert!(parse_text("").summary(Kind::Lint).recognized(Kind::Lint));
    assert_eq!(
        parse_text("no coverage here\n")
            .summary(Kind::Coverage)
            .coverage,
        None
    );
}

#[test]
fn huge_numbers_saturate() {
    let line = "✖ 18446744073709551615 problems (18446744073709551615 errors, 0 warnings)\n";
    let s = parse_text(&line.repeat(2)).summary(Kind::Lint);
    assert_eq!(s.lint_errors, Some(u64::MAX));
}
